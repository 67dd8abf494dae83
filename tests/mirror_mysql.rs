//! `cairn mirror` into a real MariaDB (tests/services/mariadb.sh): the test database ends
//! up equal to the source, including its view, routines, trigger and event, with the
//! sessions on the old one ended; every failure, the swap's own included, leaves the old
//! test database as it was (its data, triggers and views) and no `__cairn_` database
//! behind.

mod common;

use std::fs;
use std::process::Stdio;

use common::mariadb::{fingerprint, shop, Mariadb};
use common::{assert_ok, World};

/// An existing test database with contents of its own: two tables, a trigger, a view.
fn old_test_db(db: &Mariadb, name: &str) -> String {
    db.sql("", &format!("CREATE DATABASE {name}"));
    db.sql(
        name,
        "CREATE TABLE mine (id INT PRIMARY KEY, v VARCHAR(20));
         CREATE TABLE locked (id INT PRIMARY KEY);
         CREATE TABLE log (what VARCHAR(40));
         CREATE TRIGGER mine_ai AFTER INSERT ON mine FOR EACH ROW
           INSERT INTO log VALUES (CONCAT('mine ', NEW.id));
         CREATE VIEW mine_v AS SELECT v FROM mine;
         INSERT INTO mine VALUES (1, 'keep me'), (2, 'ü');
         INSERT INTO locked VALUES (7);",
    );
    old_state(db, name)
}

/// What must survive a failed mirror: data, the trigger (by what it does) and the view.
fn old_state(db: &Mariadb, name: &str) -> String {
    let mut s = db.sql(name, "CHECKSUM TABLE mine, locked, log EXTENDED");
    s += &db.sql(
        name,
        "SELECT TRIGGER_NAME, ACTION_STATEMENT FROM information_schema.TRIGGERS \
         WHERE TRIGGER_SCHEMA = DATABASE()",
    );
    s += &db.sql(name, "SELECT * FROM mine_v ORDER BY v");
    s
}

fn leftovers(db: &Mariadb) -> Vec<String> {
    db.sql("", "SHOW DATABASES")
        .lines()
        .filter(|d| d.contains("__cairn_"))
        .map(str::to_string)
        .collect()
}

fn production(w: &World, db: &Mariadb) {
    shop(db, "shop");
    w.backup(&["--mysql", &db.url("shop")]);
}

#[test]
fn mirror_replaces_the_test_database_and_ends_its_sessions() {
    let w = World::new();
    let db = Mariadb::start(&w.path("mariadb"));
    production(&w, &db);
    old_test_db(&db, "shop_test");

    // A client sitting in the test database while the mirror runs.
    let client = db
        .client("mariadb")
        .args(["--database=shop_test", "-e", "SELECT SLEEP(600)"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    for _ in 0..100 {
        let n = db.sql(
            "",
            "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE DB = 'shop_test'",
        );
        if n == "1" {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }

    let target = db.url("shop_test");
    let out = w.run(&["mirror", "--database", "shop", "--target", &target]);
    assert_ok(&out, "mirror");
    let ended = client.wait_with_output().unwrap();
    assert!(
        !ended.status.success(),
        "the session on the old database was ended"
    );

    assert_eq!(fingerprint(&db, "shop_test"), fingerprint(&db, "shop"));
    let tables = db.sql("shop_test", "SHOW TABLES");
    assert!(
        !tables.contains("mine") && !tables.contains("locked"),
        "{tables}"
    );
    assert!(leftovers(&db).is_empty(), "{:?}", leftovers(&db));
    let v = &w.snapshots()[0]["verified"][0];
    assert_eq!(v["database"], "shop");
    assert_eq!(v["tables_checked"], 5);

    // Again, keeping the replaced copy: it holds the tables of the first mirror.
    db.sql("shop", "INSERT INTO empty_one VALUES (42)");
    w.backup(&["--mysql", &db.url("shop")]);
    let out = w.run(&[
        "mirror",
        "--database",
        "shop",
        "--target",
        &target,
        "--keep",
        "1",
    ]);
    assert_ok(&out, "mirror --keep 1");
    assert_eq!(fingerprint(&db, "shop_test"), fingerprint(&db, "shop"));
    let kept: Vec<String> = leftovers(&db)
        .into_iter()
        .filter(|d| d.starts_with("shop_test__cairn_old_"))
        .collect();
    assert_eq!(kept.len(), 1, "{:?}", leftovers(&db));
    assert_eq!(db.sql(&kept[0], "SELECT COUNT(*) FROM empty_one"), "0");
    assert_eq!(db.sql(&kept[0], "SELECT COUNT(*) FROM audit"), "20000");
}

#[test]
fn failures_leave_the_test_database_as_it_was() {
    let w = World::new();
    let db = Mariadb::start(&w.path("mariadb"));
    production(&w, &db);
    let before = old_test_db(&db, "shop_test");
    let unchanged = |what: &str| {
        assert_eq!(old_state(&db, "shop_test"), before, "after {what}");
        assert!(
            leftovers(&db).is_empty(),
            "after {what}: {:?}",
            leftovers(&db)
        );
    };
    let mirror = |target: &str, extra: &[&str]| {
        let mut args = vec!["mirror", "--database", "shop", "--target", target];
        args.extend_from_slice(extra);
        w.run(&args)
    };
    let target = db.url("shop_test");

    let scrub = w.path("scrub.sql");
    fs::write(
        &scrub,
        "UPDATE customers SET note = NULL;\nSELECT no_such_column FROM orders;\n",
    )
    .unwrap();
    let err = common::error_line(
        &mirror(&target, &["--scrub", scrub.to_str().unwrap()]),
        "scrub",
    );
    assert!(
        err.contains("step 3/5 scrub: ")
            && err.contains("scrub.sql")
            && err.contains("at line 2")
            && err.contains("no_such_column"),
        "{err}"
    );
    unchanged("a failing scrub");

    let err = common::error_line(
        &mirror(&target, &["--check", "SELECT COUNT(*) = 0 FROM orders"]),
        "check",
    );
    assert!(
        err.contains("step 4/5 check: check query did not return true"),
        "{err}"
    );
    unchanged("a failing check");

    // The swap itself fails: a user that may do everything but move the table
    // `locked` (RENAME TABLE needs ALTER and DROP on it). The target's triggers and
    // views were dropped for the move and must be back.
    db.sql(
        "",
        "CREATE USER 'mirror'@'127.0.0.1';
         GRANT ALL ON `shop\\_test\\_\\_cairn\\_%`.* TO 'mirror'@'127.0.0.1';
         GRANT CREATE, SET USER, PROCESS ON *.* TO 'mirror'@'127.0.0.1';
         GRANT SELECT ON mysql.proc TO 'mirror'@'127.0.0.1';
         GRANT EVENT, CREATE VIEW, SHOW VIEW ON shop_test.* TO 'mirror'@'127.0.0.1';
         GRANT ALL ON shop_test.mine TO 'mirror'@'127.0.0.1';
         GRANT ALL ON shop_test.log TO 'mirror'@'127.0.0.1';
         GRANT ALL ON shop_test.mine_v TO 'mirror'@'127.0.0.1';
         GRANT SELECT, INSERT, TRIGGER ON shop_test.locked TO 'mirror'@'127.0.0.1';",
    );
    let as_mirror = format!("mysql://mirror@127.0.0.1:{}/shop_test", db.port);
    let err = common::error_line(&mirror(&as_mirror, &[]), "swap");
    assert!(
        err.contains("step 5/5 swap: ")
            && err.contains("command denied")
            && err.contains("`locked`"),
        "{err}"
    );
    unchanged("a failing swap");

    // A server that is not there, and a password that is wrong.
    let down = format!("mysql://root@127.0.0.1:{}/shop_test", free_port());
    let err = common::error_line(&mirror(&down, &[]), "server down");
    assert!(err.contains("step 2/5 restore: "), "{err}");
    db.sql("", "CREATE USER 'pw'@'127.0.0.1' IDENTIFIED BY 'right-one'");
    let cnf = w.path("wrong.cnf");
    fs::write(&cnf, "[client]\npassword=wrong-one\n").unwrap();
    let pw = format!("mysql://pw@127.0.0.1:{}/shop_test", db.port);
    let err = common::error_line(
        &mirror(&pw, &["--option-file", cnf.to_str().unwrap()]),
        "wrong password",
    );
    assert!(
        err.contains("Access denied") && !err.contains("wrong-one"),
        "{err}"
    );
    unchanged("a wrong password");

    // Another mirror into the same database holds its lock (a session of its own):
    // this one is refused before it touches anything.
    let mut holder = db
        .client("mariadb")
        .args([
            "-e",
            "SELECT GET_LOCK('cairn mirror shop_test', 0), SLEEP(600)",
        ])
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let mut held = false;
    for _ in 0..100 {
        if db.sql(
            "",
            "SELECT IS_USED_LOCK('cairn mirror shop_test') IS NOT NULL",
        ) == "1"
        {
            held = true;
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert!(held, "the other session never took the lock");
    let err = common::error_line(&mirror(&target, &[]), "a concurrent mirror");
    assert!(
        err.contains("step 2/5 restore: ") && err.contains("another mirror into shop_test"),
        "{err}"
    );
    // Ending the client alone would leave its session (and lock) asleep on the server.
    let id = db.sql("", "SELECT IS_USED_LOCK('cairn mirror shop_test')");
    db.sql("", &format!("KILL {id}"));
    holder.wait().unwrap();
    unchanged("a concurrent mirror");

    // A damaged pack: the restore fails reading the repository.
    w.damage_biggest_pack();
    let err = common::error_line(&mirror(&target, &[]), "corrupt pack");
    assert!(
        err.contains("step 2/5 restore: ") && err.contains("mysql/shop.sql"),
        "{err}"
    );
    unchanged("a damaged pack");
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[test]
fn restore_db_into_an_empty_server() {
    let w = World::new();
    let prod = Mariadb::start(&w.path("prod"));
    let empty = Mariadb::start(&w.path("empty"));
    production(&w, &prod);
    let to = empty.url("");
    let restore = |extra: &[&str]| {
        let mut args = vec!["restore-db", "latest", "--database", "shop", "--to", &to];
        args.extend_from_slice(extra);
        w.run(&args)
    };
    assert_ok(&restore(&[]), "restore-db");
    assert_eq!(fingerprint(&empty, "shop"), fingerprint(&prod, "shop"));
    assert!(leftovers(&empty).is_empty());

    let err = common::error_line(&restore(&[]), "restore-db over an existing database");
    assert!(
        err.contains("already exists") && err.contains("--replace"),
        "{err}"
    );
    empty.sql("shop", "DELETE FROM audit");
    assert_ok(&restore(&["--replace"]), "restore-db --replace");
    assert_eq!(fingerprint(&empty, "shop"), fingerprint(&prod, "shop"));
    assert!(leftovers(&empty).is_empty());
}
