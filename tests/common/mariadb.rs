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
