//! A throwaway MariaDB server (tests/services/mariadb.sh) for the tests that need one.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::assert_ok;

pub struct Mariadb {
    dir: PathBuf,
    pub port: u16,
    pub env: Vec<(String, String)>,
}

fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/services/mariadb.sh")
}

impl Mariadb {
    pub fn start(dir: &Path) -> Mariadb {
        let out = Command::new("bash")
            .arg(script())
            .arg("start")
            .arg(dir)
            .output()
            .unwrap();
        assert_ok(&out, "mariadb.sh start");
        let env: Vec<(String, String)> = String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .filter_map(|l| l.strip_prefix("export "))
            .filter_map(|kv| kv.split_once('='))
            .map(|(k, v)| (k.to_string(), v.trim_matches(['\'', '"']).to_string()))
            .collect();
        let port = env
            .iter()
            .find(|(k, _)| k == "MYSQL_TCP_PORT")
            .and_then(|(_, v)| v.parse().ok())
            .expect("mariadb.sh printed MYSQL_TCP_PORT");
        Mariadb {
            dir: dir.to_path_buf(),
            port,
            env,
        }
    }

    /// `mysql://root@127.0.0.1:PORT/DB` (the whole server when `db` is empty).
    pub fn url(&self, db: &str) -> String {
        format!("mysql://root@127.0.0.1:{}/{db}", self.port)
    }

    /// The client `program` (mariadb, mariadb-dump…) reading no option file, connected
    /// as root over TCP. `--no-defaults` has to be the first argument.
    pub fn client(&self, program: &str) -> Command {
        let mut c = Command::new(program);
        c.envs(self.env.iter().map(|(k, v)| (k, v)))
            .arg("--no-defaults")
            .args(["--protocol=tcp", "--host=127.0.0.1", "--user=root"])
            .arg(format!("--port={}", self.port))
            .arg("--default-character-set=utf8mb4");
        c
    }

    /// Runs `query` (any number of statements) in `db` ("" for none); returns the
    /// output, tab-separated, without column names.
    pub fn sql(&self, db: &str, query: &str) -> String {
        let mut c = self.client("mariadb");
        c.args(["--batch", "--skip-column-names", "-e", query]);
        if !db.is_empty() {
            c.arg(db);
        }
        let out = c.output().unwrap();
        assert_ok(&out, &format!("mariadb -e {query:?}"));
        String::from_utf8(out.stdout).unwrap().trim().to_string()
    }

    /// Loads a SQL file (a dump) into `db`, as `mariadb DB < FILE` does.
    pub fn load(&self, db: &str, file: &Path) {
        let out = self
            .client("mariadb")
            .arg(db)
            .stdin(std::fs::File::open(file).unwrap())
            .output()
            .unwrap();
        assert_ok(&out, &format!("mariadb {db} < {}", file.display()));
    }

    pub fn stop(&self) {
        let out = Command::new("bash")
            .arg(script())
            .arg("stop")
            .arg(&self.dir)
            .output()
            .unwrap();
        assert_ok(&out, "mariadb.sh stop");
    }
}

impl Drop for Mariadb {
    fn drop(&mut self) {
        let _ = Command::new("bash")
            .arg(script())
            .arg("stop")
            .arg(&self.dir)
            .status();
    }
}

const SCHEMA: &str = "
CREATE TABLE customers (
  id INT PRIMARY KEY AUTO_INCREMENT,
  name VARCHAR(100) NOT NULL,
  note TEXT,
  raw VARBINARY(16),
  KEY by_name (name)
);
CREATE TABLE orders (
  id INT PRIMARY KEY AUTO_INCREMENT,
  customer_id INT NOT NULL,
  total DECIMAL(10,2),
  placed DATETIME NOT NULL DEFAULT '2026-01-01 00:00:00',
  KEY by_customer (customer_id, placed),
  FOREIGN KEY (customer_id) REFERENCES customers(id)
);
CREATE TABLE audit (id INT PRIMARY KEY AUTO_INCREMENT, what VARCHAR(200));
CREATE TABLE empty_one (x INT);
CREATE TABLE `odd``name (x)` (v VARCHAR(10));
INSERT INTO customers (name, note, raw) VALUES
  ('Zoë Ångström', 'line1\nline2 (paren) ''quote'' \\\\ back', UNHEX('00010A0D27')),
  ('Łukasz Żółć', NULL, NULL),
  ('日本語の名前', '),(', ''),
  ('emoji 🎉', 'tab\there', NULL);
INSERT INTO orders (customer_id, total) VALUES (1, 10.50), (2, 3.00), (1, 7.25), (4, 99.99);
INSERT INTO `odd``name (x)` VALUES ('a'), ('b'), ('c');
CREATE VIEW big_orders AS
  SELECT o.id, c.name, o.total FROM orders o JOIN customers c ON c.id = o.customer_id
  WHERE o.total > 5;
CREATE FUNCTION with_tax(x DECIMAL(10,2)) RETURNS DECIMAL(10,2) DETERMINISTIC
  RETURN x * 1.2;
CREATE PROCEDURE add_order(c INT, t DECIMAL(10,2))
  INSERT INTO orders (customer_id, total) VALUES (c, t);
CREATE TRIGGER orders_audit AFTER INSERT ON orders FOR EACH ROW
  INSERT INTO audit (what) VALUES (CONCAT('order ', NEW.id));
CREATE EVENT nightly ON SCHEDULE EVERY 1 DAY DISABLE DO DELETE FROM empty_one;
";

/// The `shop` database: several tables, indexes, a foreign key, a view, routines, a
/// trigger, an event, non-ASCII text, and enough rows that the dump spans several
/// reads and INSERT statements.
pub fn shop(db: &Mariadb, name: &str) {
    db.sql("", &format!("CREATE DATABASE `{name}`"));
    db.sql(name, SCHEMA);
    db.sql(
        name,
        "INSERT INTO audit (what) SELECT CONCAT('seed ', seq, ' ', REPEAT('x', seq % 50)) \
         FROM seq_1_to_20000",
    );
}

/// Every table's CHECKSUM and the results of the view and the function: equal for two
/// databases that hold the same thing.
pub fn fingerprint(db: &Mariadb, name: &str) -> String {
    let tables = db.sql(
        name,
        "SELECT GROUP_CONCAT(CONCAT('`', REPLACE(TABLE_NAME, '`', '``'), '`') ORDER BY TABLE_NAME) \
         FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_TYPE = 'BASE TABLE'",
    );
    let mut out = db
        .sql(name, &format!("CHECKSUM TABLE {tables} EXTENDED"))
        .lines()
        .map(|l| {
            l.split_once('.')
                .map(|(_, rest)| rest)
                .unwrap_or(l)
                .to_string()
        })
        .collect::<Vec<_>>()
        .join("\n");
    out += "\n";
    out += &db.sql(name, "SELECT * FROM big_orders ORDER BY id");
    out += &db.sql(name, "SELECT with_tax(10)");
    out += &db.sql(
        name,
        "SELECT TRIGGER_NAME, ACTION_STATEMENT FROM information_schema.TRIGGERS \
         WHERE TRIGGER_SCHEMA = DATABASE()",
    );
    out += &db.sql(
        name,
        "SELECT ROUTINE_NAME, ROUTINE_TYPE FROM information_schema.ROUTINES \
         WHERE ROUTINE_SCHEMA = DATABASE() ORDER BY 1",
    );
    out += &db.sql(
        name,
        "SELECT EVENT_NAME, STATUS FROM information_schema.EVENTS WHERE EVENT_SCHEMA = DATABASE()",
    );
    out
}
