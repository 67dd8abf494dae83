//! A real MariaDB (tests/services/mariadb.sh): `cairn backup --mysql` of a schema with
//! indexes, a foreign key, a view, routines, a trigger, an event and non-ASCII text;
//! the dump loaded into a fresh database matches the source; the manifest's row counts;
//! failures that must write no snapshot; credentials from an option file only.

mod common;

use std::fs;
use std::process::Stdio;

use common::mariadb::{fingerprint, shop, Mariadb};
use common::{assert_ok, World};

/// `cairn dump SNAP PATH` into a file.
fn dump_file(w: &World, snap: &str, path: &str) -> std::path::PathBuf {
    let file = w.path(&path.replace('/', "_"));
    let out = w
        .cmd()
        .args(["dump", snap, path])
        .stdout(fs::File::create(&file).unwrap())
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    common::assert_ok(&out, &format!("cairn dump {snap} {path}"));
    file
}

#[test]
fn backup_restores_into_another_database_with_everything_and_exact_counts() {
    let w = World::new();
    let db = Mariadb::start(&w.path("mariadb"));
    shop(&db, "shop");

    let summary = w.backup(&["--mysql", &db.url("shop")]);
    assert!(summary.is_object(), "{summary}");
    let snaps = w.snapshots();
    assert_eq!(snaps.len(), 1);
    let snap = &snaps[0];
    assert_eq!(snap["paths"], serde_json::json!([db.url("shop")]));
    let rec = &snap["databases"][0];
    assert_eq!(rec["engine"], "mysql");
    assert_eq!(rec["database"], "shop");
    assert_eq!(rec["path"], "mysql/shop.sql");
    assert_eq!(rec["format"], "sql");
    assert_eq!(rec["server"], format!("mysql://root@127.0.0.1:{}", db.port));
    assert!(
        rec["server_version"].as_str().unwrap().contains("MariaDB"),
        "{rec}"
    );
    assert!(
        rec["client_version"]
            .as_str()
            .unwrap()
            .contains("mariadb-dump"),
        "{rec}"
    );

    // The manifest's counts are the source's, for every base table (not the view).
    let mut counted: Vec<(String, u64)> = rec["tables"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            assert_eq!(t["schema"], "shop");
            assert_eq!(t["exact"], true);
            (
                t["name"].as_str().unwrap().to_string(),
                t["rows"].as_u64().unwrap(),
            )
        })
        .collect();
    counted.sort();
    let mut actual: Vec<(String, u64)> = Vec::new();
    for name in ["audit", "customers", "empty_one", "odd`name (x)", "orders"] {
        let n = db.sql(
            "shop",
            &format!("SELECT COUNT(*) FROM `{}`", name.replace('`', "``")),
        );
        actual.push((name.to_string(), n.parse().unwrap()));
    }
    assert_eq!(counted, actual);
    assert_eq!(actual[0].1, 20_000);

    // The dump loads into a database of another name, and holds the same.
    let file = dump_file(&w, "latest", "mysql/shop.sql");
    let text = fs::read_to_string(&file).unwrap();
    assert!(
        !text.contains("CREATE DATABASE") && !text.contains("USE `shop`"),
        "the dump must not be tied to its database's name"
    );
    db.sql("", "CREATE DATABASE shop_copy");
    db.load("shop_copy", &file);
    assert_eq!(fingerprint(&db, "shop_copy"), fingerprint(&db, "shop"));
    // The trigger works in the copy.
    db.sql("shop_copy", "CALL add_order(3, 1.00)");
    assert_eq!(
        db.sql(
            "shop_copy",
            "SELECT COUNT(*) FROM audit WHERE what LIKE 'order %'"
        ),
        "1"
    );
}

#[test]
fn a_url_without_a_database_dumps_every_user_database() {
    let w = World::new();
    let db = Mariadb::start(&w.path("mariadb"));
    shop(&db, "shop");
    db.sql("", "CREATE DATABASE `crm-ü`");
    db.sql(
        "crm-ü",
        "CREATE TABLE t (x INT); INSERT INTO t VALUES (1), (2)",
    );

    w.backup(&["--mysql", &db.url("")]);
    let snap = &w.snapshots()[0];
    let dumped: Vec<&str> = snap["databases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["database"].as_str().unwrap())
        .collect();
    assert_eq!(dumped, ["crm-ü", "shop"], "system schemas are left out");
    assert_eq!(
        snap["paths"],
        serde_json::json!([db.url("crm-%C3%BC"), db.url("shop")])
    );
    let listing = w.ok(&["ls", "latest"]);
    assert!(listing.contains("mysql/crm-ü.sql"), "{listing}");
    assert!(listing.contains("mysql/shop.sql"), "{listing}");
}

#[test]
fn failing_dumps_write_no_snapshot_and_name_the_database() {
    let w = World::new();
    let db = Mariadb::start(&w.path("mariadb"));
    shop(&db, "shop");

    let err = w.fails(&["backup", "--mysql", &db.url("nope")], 1);
    assert!(
        err.contains("\"nope\"") && err.contains("Unknown database"),
        "{err}"
    );
    assert!(w.stored("snapshots").is_empty());

    // One good database and one missing: still nothing.
    let err = w.fails(
        &[
            "backup",
            "--mysql",
            &db.url("shop"),
            "--mysql",
            &db.url("gone"),
        ],
        1,
    );
    assert!(err.contains("\"gone\""), "{err}");
    assert!(w.stored("snapshots").is_empty());

    // A dump cut short by something that still exits 0 (here a wrapper whose pipeline
    // status is `head`'s) is caught by its missing last line.
    let bin = w.path("bin");
    fs::create_dir_all(&bin).unwrap();
    let wrapper = bin.join("mariadb-dump");
    let real = String::from_utf8(
        std::process::Command::new("sh")
            .args(["-c", "command -v mariadb-dump"])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    fs::write(
        &wrapper,
        format!("#!/bin/sh\n{} \"$@\" | head -n 60\n", real.trim()),
    )
    .unwrap();
    fs::set_permissions(
        &wrapper,
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    let out = w
        .cmd()
        .env(
            "PATH",
            format!("{}:{}", bin.display(), std::env::var("PATH").unwrap()),
        )
        .args(["backup", "--mysql", &db.url("shop")])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("\"shop\"") && err.contains("truncated"),
        "{err}"
    );
    assert!(w.stored("snapshots").is_empty());

    db.stop();
    let err = w.fails(&["backup", "--mysql", &db.url("shop")], 1);
    assert!(
        err.contains("\"shop\"") && err.contains(&format!("127.0.0.1:{}", db.port)),
        "{err}"
    );
    assert!(w.stored("snapshots").is_empty());
}

#[test]
fn credentials_come_from_an_option_file_or_mysql_pwd_never_the_command_line() {
    let w = World::new();
    let db = Mariadb::start(&w.path("mariadb"));
    shop(&db, "shop");
    let secret = "s3cret-Pw-4711";
    db.sql(
        "",
        &format!(
            "CREATE USER 'bk'@'127.0.0.1' IDENTIFIED BY '{secret}';
             GRANT SELECT, SHOW VIEW, TRIGGER, LOCK TABLES, EVENT, PROCESS ON *.* TO 'bk'@'127.0.0.1';"
        ),
    );
    let url = format!("mysql://bk@127.0.0.1:{}/shop", db.port);

    // No password anywhere: refused by the server, and the message says which database.
    let err = w.fails(&["backup", "--mysql", &url], 1);
    assert!(
        err.contains("\"shop\"") && err.contains("Access denied"),
        "{err}"
    );

    let cnf = w.path("backup.cnf");
    fs::write(&cnf, format!("[client]\npassword={secret}\n")).unwrap();
    w.backup(&[
        "--mysql",
        &url,
        "--mysql-option-file",
        cnf.to_str().unwrap(),
    ]);

    let mut c = w.cmd();
    c.env("MYSQL_PWD", secret)
        .args(["--json", "backup", "--mysql", &url]);
    common::assert_ok(&c.output().unwrap(), "backup with MYSQL_PWD");

    let snaps = serde_json::to_string(&w.snapshots()).unwrap();
    assert_eq!(w.snapshots().len(), 2);
    assert!(!snaps.contains(secret));

    // A password in the URL is refused before anything runs, without echoing it.
    let err = w.fails(
        &[
            "backup",
            "--mysql",
            &format!("mysql://bk:{secret}@127.0.0.1:{}/shop", db.port),
        ],
        2,
    );
    assert!(
        err.contains("option file") && !err.contains(secret),
        "{err}"
    );
    let missing = w.path("missing.cnf");
    let err = w.fails(
        &[
            "backup",
            "--mysql",
            &url,
            "--mysql-option-file",
            missing.to_str().unwrap(),
        ],
        1,
    );
    assert!(err.contains("missing.cnf"), "{err}");
}

#[test]
fn a_profile_with_paths_and_a_mysql_server_with_its_option_file() {
    use common::profiles::{cmd, write_profile};
    let w = World::new();
    let db = Mariadb::start(&w.path("mariadb"));
    shop(&db, "shop");
    db.sql("", "CREATE DATABASE scratch");
    db.sql(
        "",
        "CREATE USER 'bk'@'127.0.0.1' IDENTIFIED BY 'pw-from-file';
         GRANT SELECT, SHOW VIEW, TRIGGER, LOCK TABLES, EVENT, PROCESS ON *.* TO 'bk'@'127.0.0.1';",
    );
    let files = w.path("files");
    fs::create_dir_all(&files).unwrap();
    fs::write(files.join("app.conf"), "x=1\n").unwrap();
    // Relative to the profile's directory.
    fs::write(
        common::profiles::profiles(&w).join("db.cnf"),
        "[client]\npassword=pw-from-file\n",
    )
    .unwrap();
    write_profile(
        &w,
        "shop",
        &format!(
            "[source]\npaths = [\"{}\"]\n[[database]]\nurl = \"mysql://bk@127.0.0.1:{}/\"\n\
             exclude_databases = [\"scratch\"]\noption_file = \"db.cnf\"\n",
            files.display(),
            db.port
        ),
    );
    let check = cmd(&w, &["profile", "check", "shop"]).output().unwrap();
    assert_ok(&check, "profile check");
    let text = String::from_utf8_lossy(&check.stdout);
    assert!(text.contains("dumps shop into mysql/"), "{text}");

    let out = cmd(&w, &["run", "shop"]).output().unwrap();
    assert_ok(&out, "run shop");
    let snap = &w.snapshots()[0];
    assert_eq!(snap["source"], "files");
    let dumped: Vec<&str> = snap["databases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["path"].as_str().unwrap())
        .collect();
    assert_eq!(dumped, ["mysql/shop.sql"]);
    let listing = w.ok(&["ls", "latest"]);
    assert!(
        listing.contains("app.conf") && listing.contains("/mysql/shop.sql"),
        "{listing}"
    );
}
