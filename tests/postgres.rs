//! A real PostgreSQL (started by tests/services/postgres.sh on loopback): dump through
//! `--stdin-from`, restore through `dump | pg_restore`, and a failing pg_dump.

mod common;

use std::process::Stdio;

use common::postgres::Postgres;
use common::World;

#[test]
fn pg_dump_backup_restores_with_pg_restore_and_failing_dump_writes_nothing() {
    let w = World::new();
    let pg = Postgres::start(&w.path("pg"));
    assert!(pg.cmd("createdb").arg("app").status().unwrap().success());
    let init = pg
        .cmd("pgbench")
        .args(["-i", "-q", "-s", "2", "app"])
        .output()
        .unwrap();
    assert!(
        init.status.success(),
        "{}",
        String::from_utf8_lossy(&init.stderr)
    );
    pg.sql(
        "app",
        "UPDATE pgbench_accounts SET filler = 'cairn-' || aid WHERE aid % 1000 = 0",
    );

    let mut backup = w.cmd();
    backup.envs(pg.env.iter().map(|(k, v)| (k, v))).args([
        "--json",
        "backup",
        "--stdin-name",
        "app.dump",
        "--stdin-from",
        "pg_dump -Fc -Z0 -d app",
    ]);
    let out = backup.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // cairn dump | pg_restore into a fresh database.
    assert!(pg
        .cmd("createdb")
        .arg("app_copy")
        .status()
        .unwrap()
        .success());
    let mut dump = w
        .cmd()
        .args(["dump", "latest", "app.dump"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let restore = pg
        .cmd("pg_restore")
        .args(["--no-owner", "-d", "app_copy"])
        .stdin(dump.stdout.take().unwrap())
        .output()
        .unwrap();
    assert!(dump.wait().unwrap().success());
    assert!(
        restore.status.success(),
        "{}",
        String::from_utf8_lossy(&restore.stderr)
    );
    let q = "SELECT count(*) || ':' || sum(abalance) || ':' || count(*) FILTER (WHERE filler LIKE 'cairn-%') FROM pgbench_accounts";
    assert_eq!(pg.sql("app", q), pg.sql("app_copy", q));
    assert_eq!(
        pg.sql("app_copy", "SELECT count(*) FROM pgbench_accounts"),
        "200000"
    );

    // pg_dump of a database that does not exist: exit 1, the reason, no snapshot.
    let out = w
        .cmd()
        .envs(pg.env.iter().map(|(k, v)| (k, v)))
        .args([
            "backup",
            "--stdin-name",
            "x.dump",
            "--stdin-from",
            "pg_dump -Fc -d no_such_db",
        ])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("`pg_dump` failed") && err.contains("no_such_db"),
        "{err}"
    );
    assert_eq!(w.snapshots().len(), 1);
}
