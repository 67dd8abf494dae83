//! `cairn mirror` and `cairn restore-db` against real PostgreSQL servers
//! (tests/services/postgres.sh): a "production" database backed up with `--postgres`,
//! restored into a test database that ends up with the same contents; every failure
//! leaves the old test database exactly as it was, and no temporary database behind.

mod common;

use std::fs;
use std::process::{Command, Output, Stdio};

use common::postgres::Postgres;
use common::profiles::{self, write_profile};
use common::{assert_ok, World};

/// Several schemas and tables, a sequence, indexes, a view, a function, large objects,
/// non-ASCII text and an extension from contrib.
const SCHEMA: &str = "
CREATE EXTENSION pgcrypto;
CREATE SCHEMA shop;
CREATE SCHEMA audit;
CREATE SEQUENCE shop.order_no START 1000;
CREATE TABLE shop.customers (id serial PRIMARY KEY, name text NOT NULL, email text UNIQUE,
    pw bytea);
CREATE TABLE shop.orders (no int PRIMARY KEY DEFAULT nextval('shop.order_no'),
    customer int REFERENCES shop.customers, total numeric(10,2), note text);
CREATE INDEX orders_total ON shop.orders (total);
CREATE TABLE audit.log (at timestamptz DEFAULT '2026-01-01', what jsonb);
CREATE VIEW shop.big_orders AS SELECT * FROM shop.orders WHERE total > 500;
CREATE FUNCTION shop.greet(n text) RETURNS text LANGUAGE sql AS $$ SELECT 'Grüße, ' || n $$;
INSERT INTO shop.customers (name, email, pw)
    SELECT 'Kunde ' || g || ' Ærøskøbing 日本', 'c' || g || '@example.org',
           digest('pw' || g, 'sha256')
    FROM generate_series(1, 300) g;
INSERT INTO shop.orders (customer, total, note)
    SELECT 1 + g % 300, (g * 7.31) % 1000, repeat('ß', g % 20) FROM generate_series(1, 2000) g;
INSERT INTO audit.log (what) SELECT jsonb_build_object('order', g) FROM generate_series(1, 50) g;
SELECT lo_from_bytea(0, convert_to('large object ' || g, 'UTF8')) FROM generate_series(1, 3) g;
";

/// A checksum of everything in `db` that a restore must bring back: every table's rows,
/// the sequence, large objects, the view and the function.
fn digest(pg: &Postgres, db: &str) -> String {
    let tables = pg.sql(
        db,
        "SELECT string_agg(t, ' ' ORDER BY t) FROM (SELECT format('%I.%I', schemaname, \
         tablename) t FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', \
         'information_schema')) s",
    );
    let mut parts = Vec::new();
    for t in tables.split_whitespace() {
        parts.push(pg.sql(
            db,
            &format!(
                "SELECT '{t}:' || count(*) || ':' || coalesce(md5(string_agg(x::text, '|' \
                 ORDER BY x::text)), '') FROM {t} x"
            ),
        ));
    }
    parts.push(pg.sql(db, "SELECT last_value FROM shop.order_no"));
    parts.push(pg.sql(
        db,
        "SELECT coalesce(md5(string_agg(encode(lo_get(oid), 'hex'), ',' ORDER BY oid)), '') \
         FROM pg_largeobject_metadata",
    ));
    parts.push(pg.sql(db, "SELECT count(*) FROM shop.big_orders"));
    parts.push(pg.sql(db, "SELECT shop.greet('Zoë')"));
    parts.join("\n")
}

fn databases(pg: &Postgres) -> Vec<String> {
    pg.sql("postgres", "SELECT datname FROM pg_database ORDER BY 1")
        .lines()
        .map(str::to_string)
        .collect()
}

fn port(pg: &Postgres) -> String {
    pg.env
        .iter()
        .find(|(k, _)| k == "PGPORT")
        .map(|(_, v)| v.clone())
        .unwrap()
}

fn url(pg: &Postgres, user: Option<&str>, db: &str) -> String {
    let user = user.map(|u| format!("{u}@")).unwrap_or_default();
    format!("postgresql://{user}127.0.0.1:{}/{db}", port(pg))
}

fn psql(pg: &Postgres, db: &str, script: &str) {
    pg.script(db, script)
}

/// The production database `app` on `pg`, backed up with `--postgres`.
fn production(w: &World, pg: &Postgres) {
    psql(pg, "postgres", "CREATE DATABASE app");
    psql(pg, "app", SCHEMA);
    let out = cairn(w, pg, &["backup", "--postgres", &url(pg, None, "app")]);
    assert_ok(&out, "backup --postgres");
}

/// An existing test database with contents of its own, which a failed mirror must keep.
fn old_test_db(pg: &Postgres, name: &str) -> String {
    psql(pg, "postgres", &format!("CREATE DATABASE {name}"));
    psql(
        pg,
        name,
        "CREATE TABLE mine (id int, v text); INSERT INTO mine VALUES (1, 'keep me'), (2, 'ü');",
    );
    let d = pg.sql(
        name,
        "SELECT md5(string_agg(m::text, ',' ORDER BY id)) FROM mine m",
    );
    assert!(!d.is_empty());
    d
}

fn old_digest(pg: &Postgres, name: &str) -> String {
    pg.sql(
        name,
        "SELECT md5(string_agg(m::text, ',' ORDER BY id)) FROM mine m",
    )
}

/// `cairn ARGS` with the server's PG* variables, for the client tools it runs.
fn cairn(w: &World, pg: &Postgres, args: &[&str]) -> Output {
    let mut c = w.cmd();
    c.envs(pg.env.iter().map(|(k, v)| (k, v))).args(args);
    c.output().unwrap()
}

fn assert_no_leftovers(pg: &Postgres) {
    let left: Vec<String> = databases(pg)
        .into_iter()
        .filter(|d| d.contains("__cairn_"))
        .collect();
    assert!(left.is_empty(), "left behind: {left:?}");
}

#[test]
fn mirror_into_another_server_equals_the_source_and_ends_sessions_on_the_old_test_db() {
    let w = World::new();
    let prod = Postgres::start(&w.path("prod"));
    let test = Postgres::start(&w.path("test"));
    production(&w, &prod);
    old_test_db(&test, "app_test");

    // A client connected to the test database while the mirror runs.
    let client = test
        .cmd("psql")
        .args(["-X", "-d", "app_test", "-c", "SELECT pg_sleep(600)"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let connected = (0..300).any(|_| {
        let n = test.sql(
            "postgres",
            "SELECT count(*) FROM pg_stat_activity WHERE datname = 'app_test'",
        );
        n == "1" || {
            std::thread::sleep(std::time::Duration::from_millis(100));
            false
        }
    });
    assert!(connected, "the client never connected");

    let target = url(&test, None, "app_test");
    let out = cairn(
        &w,
        &prod,
        &["mirror", "--database", "app", "--target", &target],
    );
    assert_ok(&out, "mirror");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("restored database app of snapshot") && stdout.contains("recorded"),
        "{stdout}"
    );
    let ended = client.wait_with_output().unwrap();
    let why = String::from_utf8_lossy(&ended.stderr);
    assert!(
        !ended.status.success() && why.contains("terminating connection"),
        "the old session was ended: {why}"
    );
    assert_eq!(digest(&prod, "app"), digest(&test, "app_test"));
    assert_no_leftovers(&test);

    // The snapshot now shows when it was verified restorable.
    let snaps = w.snapshots();
    let v = &snaps[0]["verified"][0];
    assert_eq!(v["command"], "mirror");
    assert_eq!(v["database"], "app");
    assert_eq!(v["target"], target.as_str());
    assert_eq!(v["tables_checked"], 3);
    let table = w.ok(&["snapshots"]);
    assert!(
        table.lines().next().unwrap().contains("verified"),
        "{table}"
    );
    assert!(w.objects("verified").len() == 1);

    // Forgetting the snapshot removes its record.
    psql(
        &prod,
        "app",
        "INSERT INTO audit.log (what) VALUES ('{\"day\": 2}')",
    );
    assert_ok(
        &cairn(
            &w,
            &prod,
            &["backup", "--postgres", &url(&prod, None, "app")],
        ),
        "second backup",
    );
    // A record copied under the new snapshot's name (by someone with access to the
    // storage) does not make it verified: the signed body names the old snapshot.
    let record = w.objects("verified").pop().unwrap();
    let second = w.snapshots()[1]["id"].as_str().unwrap().to_string();
    let planted = w.repo.join("verified").join(&second);
    fs::create_dir_all(&planted).unwrap();
    fs::copy(&record, planted.join(record.file_name().unwrap())).unwrap();
    let out = w.cmd().args(["--json", "snapshots"]).output().unwrap();
    assert_ok(&out, "snapshots");
    assert!(String::from_utf8_lossy(&out.stderr).contains("(moved?)"));
    let listed: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(listed[1].get("verified").is_none(), "{listed}");

    w.ok(&["forget", "--keep-last", "1"]);
    assert_eq!(
        w.objects("verified").len(),
        1,
        "only the planted record is left"
    );
    assert!(w.snapshots()[0].get("verified").is_none());
    // Prune leaves it too: its snapshot exists; it is simply never believed.
    w.ok(&["prune"]);
    assert_eq!(w.objects("verified").len(), 1);
    // Once its snapshot is gone some other way (a manifest deleted by hand, an older
    // cairn's forget), prune removes the record.
    fs::remove_file(w.repo.join("snapshots").join(&second)).unwrap();
    w.ok(&["prune"]);
    assert!(w.objects("verified").is_empty());
}

#[test]
fn every_failure_leaves_the_old_test_database_unchanged_and_nothing_behind() {
    let w = World::new();
    let pg = Postgres::start(&w.path("pg"));
    production(&w, &pg);
    let before = old_test_db(&pg, "app_test");
    let target = url(&pg, None, "app_test");
    let mirror = |extra: &[&str]| {
        let mut args = vec!["mirror", "--database", "app", "--target", &target];
        args.extend_from_slice(extra);
        cairn(&w, &pg, &args)
    };
    let unchanged = |what: &str| {
        assert_eq!(old_digest(&pg, "app_test"), before, "after {what}");
        assert_no_leftovers(&pg);
    };

    // A scrub file that fails on its second statement.
    let scrub = w.path("scrub.sql");
    fs::write(
        &scrub,
        "UPDATE shop.customers SET email = 'x' || id || '@test';\nSELECT no_such_column FROM shop.orders;\n",
    )
    .unwrap();
    let err = common::error_line(&mirror(&["--scrub", scrub.to_str().unwrap()]), "scrub");
    assert!(
        err.starts_with("cairn mirror: step 3/5 scrub: ")
            && err.contains("scrub.sql line 2: ERROR: column \"no_such_column\" does not exist"),
        "{err}"
    );
    unchanged("a failing scrub");

    // A check query that is not true.
    let err = common::error_line(
        &mirror(&["--check", "SELECT count(*) = 0 FROM shop.orders"]),
        "check",
    );
    assert!(
        err.contains("step 4/5 check: check query did not return true"),
        "{err}"
    );
    unchanged("a failing check");

    // A leftover temporary database from a crashed run is dropped first, and said so.
    psql(&pg, "postgres", "CREATE DATABASE app_test__cairn_new");
    let out = mirror(&["--dry-run", "--json"]);
    assert_ok(&out, "dry run");
    assert!(String::from_utf8_lossy(&out.stderr).contains("would drop app_test__cairn_new"));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["dry_run"], true);
    assert_eq!(report["dump_path"], "postgresql/app.pgdump");
    assert!(report["record"].is_null());
    unchanged_but_leftover(&pg, &before);

    // Creating the temporary database is refused: a role without CREATEDB.
    psql(&pg, "postgres", "DROP DATABASE app_test__cairn_new");
    psql(&pg, "postgres", "CREATE ROLE nocreate LOGIN");
    let no_create = url(&pg, Some("nocreate"), "app_test");
    let out = cairn(
        &w,
        &pg,
        &["mirror", "--database", "app", "--target", &no_create],
    );
    let err = common::error_line(&out, "no CREATEDB");
    assert!(
        err.contains("step 2/5 restore: ") && err.contains("permission denied to create database"),
        "{err}"
    );
    unchanged("a refused CREATE DATABASE");

    // A signal while the scrub runs: the scrub is stopped, the temporary database goes.
    let slow = w.path("slow.sql");
    fs::write(&slow, "SELECT pg_sleep(600);\n").unwrap();
    let mut c = w.cmd();
    c.envs(pg.env.iter().map(|(k, v)| (k, v)))
        .args([
            "mirror",
            "--database",
            "app",
            "--target",
            &target,
            "--scrub",
        ])
        .arg(&slow)
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let child = c.spawn().unwrap();
    let sleeping = "SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep%' \
                    AND datname = 'app_test__cairn_new'";
    let mut seen = false;
    for _ in 0..600 {
        if pg.sql("postgres", sleeping) == "1" {
            seen = true;
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert!(seen, "the scrub never started");
    // A second mirror into the same database meanwhile is refused, and leaves the first
    // one's temporary database alone.
    let err = common::error_line(&mirror(&[]), "a concurrent mirror");
    assert!(
        err.contains("step 2/5 restore: ")
            && err.contains("another mirror into app_test is running"),
        "{err}"
    );
    assert!(databases(&pg).contains(&"app_test__cairn_new".to_string()));
    let st = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(st.success());
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{err}");
    assert!(err.contains("interrupted"), "{err}");
    unchanged("a signal during the scrub");

    // A damaged pack: the restore stops part way, the temporary database goes.
    w.damage_biggest_pack();
    let err = common::error_line(&mirror(&[]), "corrupt pack");
    assert!(err.contains("step 2/5 restore: "), "{err}");
    assert!(err.contains("reading postgresql/app.pgdump"), "{err}");
    unchanged("a damaged pack");
}

fn unchanged_but_leftover(pg: &Postgres, before: &str) {
    assert_eq!(old_digest(pg, "app_test"), before);
    assert!(databases(pg).contains(&"app_test__cairn_new".to_string()));
}

#[test]
fn a_leftover_is_dropped_and_a_scrubbed_mirror_from_a_profile_keeps_old_copies() {
    let w = World::new();
    let pg = Postgres::start(&w.path("pg"));
    production(&w, &pg);
    old_test_db(&pg, "app_test");
    psql(&pg, "postgres", "CREATE DATABASE app_test__cairn_new");
    fs::create_dir_all(w.path("profiles/scrub")).unwrap();
    fs::write(
        w.path("profiles/scrub/anonymise.sql"),
        "UPDATE shop.customers SET email = 'user' || id || '@example.invalid', pw = NULL;\n",
    )
    .unwrap();
    fs::write(
        w.path("profiles/scrub/cut.sql"),
        "DELETE FROM shop.orders WHERE no >= 1100;\n",
    )
    .unwrap();
    // The dump was made by `cairn backup`, not by this profile: `profile = "*"` lets the
    // mirror take another profile's snapshot.
    write_profile(
        &w,
        "app-db",
        &format!(
            "[source]\npaths = [\"{}\"]\n[mirror]\ndatabase = \"app\"\ntarget = \"{}\"\n\
             scrub = [\"scrub/anonymise.sql\", \"scrub/cut.sql\"]\n\
             checks = [\"SELECT count(*) = 100 FROM shop.orders\"]\nkeep = 1\n\
             profile = \"*\"\n",
            w.path("profiles").display(),
            url(&pg, None, "app_test")
        ),
    );
    let run = |args: &[&str]| {
        let mut c = profiles::cmd(&w, args);
        c.envs(pg.env.iter().map(|(k, v)| (k, v)));
        c.output().unwrap()
    };
    // Without it, a profile that backs up mirrors only its own snapshots, and has none.
    let text = fs::read_to_string(w.path("profiles/app-db.toml")).unwrap();
    fs::write(
        w.path("profiles/app-db.toml"),
        text.replace("profile = \"*\"\n", ""),
    )
    .unwrap();
    let out = run(&["mirror", "app-db"]);
    assert!(common::error_line(&out, "mirror of no own snapshot").contains(
        "no snapshot holds a postgresql database \"app\" (among the snapshots of profile app-db)"
    ));
    fs::write(w.path("profiles/app-db.toml"), text).unwrap();
    let out = run(&["profile", "check", "app-db"]);
    assert_ok(&out, "profile check");
    let lines = String::from_utf8_lossy(&out.stdout);
    assert!(
        lines.contains("scrub/cut.sql: readable") && lines.contains("app_test exists"),
        "{lines}"
    );
    let out = run(&["mirror", "app-db"]);
    assert_ok(&out, "mirror app-db");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("dropped app_test__cairn_new, left behind by an earlier run"),
        "{err}"
    );
    assert_eq!(
        pg.sql(
            "app_test",
            "SELECT count(*) FILTER (WHERE email LIKE '%@example.invalid') || '/' || count(*) FROM shop.customers"
        ),
        "300/300"
    );
    assert_eq!(
        pg.sql("app_test", "SELECT count(*) FROM shop.orders"),
        "100"
    );
    // keep = 1: the replaced test database stays under a dated name.
    let kept: Vec<String> = databases(&pg)
        .into_iter()
        .filter(|d| d.starts_with("app_test__cairn_old_"))
        .collect();
    assert_eq!(kept.len(), 1, "{kept:?}");
    assert_eq!(pg.sql(&kept[0], "SELECT count(*) FROM mine"), "2");
    assert!(!databases(&pg).contains(&"app_test__cairn_new".to_string()));
}

#[test]
fn cairn_run_backs_up_and_mirrors_when_due() {
    let w = World::new();
    let pg = Postgres::start(&w.path("pg"));
    psql(&pg, "postgres", "CREATE DATABASE app");
    psql(&pg, "app", SCHEMA);
    write_profile(
        &w,
        "nightly",
        &format!(
            "[[database]]\nurl = \"{}\"\n[mirror]\ndatabase = \"app\"\ntarget = \"{}\"\n\
             every = \"1d\"\n[retention]\nkeep_last = 5\n",
            url(&pg, None, "app"),
            url(&pg, None, "app_test")
        ),
    );
    let run = || {
        let mut c = profiles::cmd(&w, &["run", "nightly"]);
        c.envs(pg.env.iter().map(|(k, v)| (k, v)));
        c.output().unwrap()
    };
    let first = run();
    assert_ok(&first, "run");
    let line = String::from_utf8_lossy(&first.stderr);
    let snap = w.snapshots()[0]["short_id"].as_str().unwrap().to_string();
    assert!(
        line.contains("result=success") && line.contains(&format!("mirrored={snap}")),
        "{line}"
    );
    assert_eq!(digest(&pg, "app"), digest(&pg, "app_test"));
    // The next run backs up again, but the mirror is not due before a day has passed.
    psql(&pg, "app", "DELETE FROM audit.log");
    let second = run();
    assert_ok(&second, "second run");
    assert!(!String::from_utf8_lossy(&second.stderr).contains("mirrored="));
    assert_eq!(w.snapshots().len(), 2);
    assert_eq!(pg.sql("app_test", "SELECT count(*) FROM audit.log"), "50");
    assert_eq!(w.objects("verified").len(), 1);
}

#[test]
fn restore_db_into_an_empty_server_and_refusing_to_overwrite() {
    let w = World::new();
    let prod = Postgres::start(&w.path("prod"));
    let empty = Postgres::start(&w.path("empty"));
    // A role of the production server that the dump grants to.
    psql(&prod, "postgres", "CREATE ROLE reader NOLOGIN");
    psql(&prod, "postgres", "CREATE DATABASE app");
    psql(&prod, "app", SCHEMA);
    psql(&prod, "app", "GRANT USAGE ON SCHEMA shop TO reader");
    psql(&prod, "app", "GRANT SELECT ON shop.orders TO reader");
    let out = cairn(
        &w,
        &prod,
        &["backup", "--postgres", &url(&prod, None, "app")],
    );
    assert_ok(&out, "backup --postgres");
    let to = format!("postgresql://127.0.0.1:{}/", port(&empty));

    // The role does not exist on the new server: the GRANT fails, nothing is left.
    let restore = |extra: &[&str]| {
        let mut args = vec!["restore-db", "latest", "--database", "app", "--to", &to];
        args.extend_from_slice(extra);
        cairn(&w, &prod, &args)
    };
    let err = common::error_line(&restore(&[]), "restore-db without the roles");
    assert!(
        err.contains("step 2/5 restore: ") && err.contains("role \"reader\" does not exist"),
        "{err}"
    );
    assert!(!databases(&empty).contains(&"app".to_string()));
    assert_no_leftovers(&empty);

    // --globals restores the roles first (the superuser, which exists, is reported).
    let out = restore(&["--globals"]);
    assert_ok(&out, "restore-db --globals");
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(
        said.contains("globals.sql: ERROR: role \"postgres\" already exists"),
        "{said}"
    );
    assert_eq!(digest(&prod, "app"), digest(&empty, "app"));
    assert_eq!(
        empty.sql(
            "app",
            "SELECT has_table_privilege('reader', 'shop.orders', 'SELECT')"
        ),
        "t"
    );
    assert_no_leftovers(&empty);

    let err = common::error_line(
        &cairn(
            &w,
            &prod,
            &["restore-db", "latest", "--database", "app", "--to", &to],
        ),
        "restore-db over an existing database",
    );
    assert!(
        err.contains("database \"app\" already exists") && err.contains("--replace"),
        "{err}"
    );
    psql(&empty, "app", "DELETE FROM audit.log");
    let out = cairn(
        &w,
        &prod,
        &[
            "restore-db",
            "latest",
            "--database",
            "app",
            "--to",
            &to,
            "--replace",
            "-j",
            "2",
        ],
    );
    assert_ok(&out, "restore-db --replace -j 2");
    assert_eq!(digest(&prod, "app"), digest(&empty, "app"));
    assert_no_leftovers(&empty);

    // A database no snapshot holds is named with those that exist.
    let err = common::error_line(
        &cairn(
            &w,
            &prod,
            &["restore-db", "latest", "--database", "ap", "--to", &to],
        ),
        "unknown database",
    );
    assert!(
        err.contains("step 1/5 snapshot: no snapshot holds a postgresql database \"ap\"")
            && err.contains("app"),
        "{err}"
    );
}

#[test]
fn target_down_and_wrong_password_leave_the_test_database_unchanged() {
    let w = World::new();
    let prod = Postgres::start(&w.path("prod"));
    production(&w, &prod);

    // Password authentication for one role; its password comes from PGPASSWORD or a
    // .pgpass file, never the command line.
    let test_dir = w.path("test");
    let test = Postgres::start(&test_dir);
    psql(
        &test,
        "postgres",
        "CREATE ROLE pwuser LOGIN CREATEDB PASSWORD 'right-horse'",
    );
    let before = old_test_db(&test, "pw_test");
    psql(&test, "postgres", "ALTER DATABASE pw_test OWNER TO pwuser");
    let hba = test_dir.join("data/pg_hba.conf");
    let rules = fs::read_to_string(&hba).unwrap();
    fs::write(
        &hba,
        format!("host all pwuser 127.0.0.1/32 scram-sha-256\n{rules}"),
    )
    .unwrap();
    test.sql("postgres", "SELECT pg_reload_conf()");
    let target = url(&test, Some("pwuser"), "pw_test");
    let mut c = w.cmd();
    c.envs(prod.env.iter().map(|(k, v)| (k, v)))
        .env("PGPASSWORD", "wrong-horse")
        .args(["mirror", "--database", "app", "--target", &target]);
    let out = c.output().unwrap();
    let err = common::error_line(&out, "wrong password");
    assert!(
        err.contains("step 2/5 restore: ")
            && err.contains("password authentication failed for user \"pwuser\""),
        "{err}"
    );
    assert!(!String::from_utf8_lossy(&out.stderr).contains("wrong-horse"));
    assert_eq!(old_digest(&test, "pw_test"), before);
    assert_no_leftovers(&test);

    // The right password in a .pgpass file works, and the old database is replaced.
    let pgpass = w.path("pgpass");
    fs::write(
        &pgpass,
        format!("127.0.0.1:{}:*:pwuser:right-horse\n", port(&test)),
    )
    .unwrap();
    fs::set_permissions(&pgpass, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
    let mut c = w.cmd();
    c.envs(prod.env.iter().map(|(k, v)| (k, v)))
        .env("PGPASSFILE", &pgpass)
        .args(["mirror", "--database", "app", "--target", &target]);
    assert_ok(&c.output().unwrap(), "mirror with .pgpass");
    assert_eq!(digest(&prod, "app"), digest(&test, "pw_test"));

    // The server of the test database is down: nothing can be done, nothing is lost.
    let before = digest(&test, "pw_test");
    let st = Command::new("bash")
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/services/postgres.sh"
        ))
        .arg("stop")
        .arg(&test_dir)
        .status()
        .unwrap();
    assert!(st.success());
    let down = url(&test, None, "pw_test");
    let err = common::error_line(
        &cairn(
            &w,
            &prod,
            &["mirror", "--database", "app", "--target", &down],
        ),
        "server down",
    );
    assert!(
        err.contains("step 2/5 restore: ") && err.contains("Connection refused"),
        "{err}"
    );
    let test = Postgres::start(&test_dir);
    assert_eq!(digest(&test, "pw_test"), before);
    assert_no_leftovers(&test);
}

/// A test host that backs nothing up: a profile with only `[mirror]`, run by `cairn run`
/// with its hooks, taking only the snapshots its section names even when a newer one of
/// another host or profile holds a database of the same name.
#[test]
fn a_mirror_only_profile_takes_only_the_snapshots_it_names() {
    let w = World::new();
    let prod = Postgres::start(&w.path("prod"));
    let staging = Postgres::start(&w.path("staging"));
    let test = Postgres::start(&w.path("test"));
    psql(&prod, "postgres", "CREATE DATABASE app");
    psql(&prod, "app", SCHEMA);
    write_profile(
        &w,
        "prod-app",
        &format!("[[database]]\nurl = \"{}\"\n", url(&prod, None, "app")),
    );
    let mut c = profiles::cmd(&w, &["run", "prod-app"]);
    c.envs(prod.env.iter().map(|(k, v)| (k, v)));
    assert_ok(&c.output().unwrap(), "run prod-app");
    let prod_snap = w.snapshots()[0]["short_id"].as_str().unwrap().to_string();
    // Newer, from another host and no profile, holding a database of the same name.
    psql(&staging, "postgres", "CREATE DATABASE app");
    psql(&staging, "app", "CREATE TABLE staging_only (x int)");
    let staging_url = url(&staging, None, "app");
    let out = cairn(
        &w,
        &staging,
        &["backup", "--postgres", &staging_url, "--host", "staging1"],
    );
    assert_ok(&out, "backup staging");

    let hooks_log = w.path("hooks.log");
    let morning = |from: &str| {
        format!(
            "[hooks]\nbefore = \"echo before >> {log}\"\n\
             after = \"echo after $CAIRN_RESULT >> {log}\"\n\
             on_failure = \"echo failed >> {log}\"\n\
             [mirror]\ndatabase = \"app\"\ntarget = \"{}\"\n{from}",
            url(&test, None, "app_test"),
            log = hooks_log.display()
        )
    };
    write_profile(&w, "morning", &morning("profile = \"prod-app\"\n"));
    let run = |args: &[&str]| {
        let mut c = profiles::cmd(&w, args);
        c.envs(test.env.iter().map(|(k, v)| (k, v)));
        c.output().unwrap()
    };
    let out = run(&["profile", "check", "morning"]);
    assert_ok(&out, "profile check morning");
    let lines = String::from_utf8_lossy(&out.stdout);
    assert!(
        lines.contains("source: none") && lines.contains("app_test does not exist yet"),
        "{lines}"
    );

    let out = run(&["run", "morning"]);
    assert_ok(&out, "run morning");
    let line = String::from_utf8_lossy(&out.stderr);
    assert!(
        line.contains("cairn run: profile=morning result=success")
            && line.contains(&format!("mirrored={prod_snap}"))
            && !line.contains("snapshot=")
            && !line.contains("retention="),
        "{line}"
    );
    assert_eq!(digest(&prod, "app"), digest(&test, "app_test"));
    assert_eq!(
        fs::read_to_string(&hooks_log).unwrap(),
        "before\nafter success\n"
    );
    // Nothing was backed up or forgotten.
    assert_eq!(w.snapshots().len(), 2);

    // A snapshot named on the command line must be one the section takes.
    let staging_snap = w.snapshots()[1]["short_id"].as_str().unwrap().to_string();
    let out = run(&["mirror", "morning", "--snapshot", &staging_snap]);
    assert!(
        common::error_line(&out, "mirror of another profile's snapshot").contains(
            "is not one the [mirror] section takes (it takes snapshots of profile prod-app)"
        )
    );
    assert_eq!(digest(&prod, "app"), digest(&test, "app_test"));

    // Narrowed by host instead, the newer staging snapshot is the one taken.
    write_profile(&w, "morning", &morning("host = \"staging1\"\n"));
    let out = run(&["mirror", "morning"]);
    assert_ok(&out, "mirror morning");
    assert_eq!(
        test.sql(
            "app_test",
            "SELECT count(*) FROM pg_tables WHERE tablename = 'staging_only'"
        ),
        "1"
    );

    // A profile that made no snapshot: the run fails, naming how the choice was narrowed.
    fs::remove_file(&hooks_log).unwrap();
    write_profile(&w, "morning", &morning("profile = \"prod-ap\"\n"));
    let out = run(&["run", "morning"]);
    assert_eq!(out.status.code(), Some(1));
    let line = String::from_utf8_lossy(&out.stderr);
    assert!(
        line.contains("result=failure")
            && line.contains("(among the snapshots of profile prod-ap)"),
        "{line}"
    );
    assert_eq!(
        fs::read_to_string(&hooks_log).unwrap(),
        "before\nafter failure\nfailed\n"
    );
    assert_eq!(
        test.sql(
            "app_test",
            "SELECT count(*) FROM pg_tables WHERE tablename = 'staging_only'"
        ),
        "1"
    );
}
