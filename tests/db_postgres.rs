//! `cairn backup --postgres` against a real PostgreSQL (tests/services/postgres.sh): the
//! dumps restore with pg_restore to the same contents, the manifest records what was
//! dumped, and a dump that fails in any way leaves no snapshot.

mod common;

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Output;

use common::postgres::Postgres;
use common::World;

/// `cairn ARGS` with the server's PG* variables.
fn cairn(w: &World, pg: &Postgres, args: &[&str]) -> Output {
    cairn_with(w, pg, &[], args)
}

/// `cairn ARGS` with the server's PG* variables and `env` on top.
fn cairn_with(w: &World, pg: &Postgres, env: &[(&str, &str)], args: &[&str]) -> Output {
    w.cmd()
        .envs(pg.env.iter().map(|(k, v)| (k, v)))
        .envs(env.iter().copied())
        .args(args)
        .output()
        .unwrap()
}

/// `cairn backup --postgres URL` with the dump tools of `bin` first on PATH; it must
/// fail with exit 1, and its stderr is returned.
fn backup_fails_with_tools(w: &World, pg: &Postgres, bin: &Path, url: &str) -> String {
    let out = cairn_with(
        w,
        pg,
        &[("PATH", &with_path(bin))],
        &["backup", "--postgres", url],
    );
    let e = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(1), "{e}");
    e
}

fn ok(w: &World, pg: &Postgres, args: &[&str]) -> String {
    let out = cairn(w, pg, args);
    common::assert_ok(&out, &format!("cairn {args:?}"));
    String::from_utf8(out.stdout).unwrap()
}

fn fails(w: &World, pg: &Postgres, args: &[&str], code: i32) -> String {
    let out = cairn(w, pg, args);
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(code), "cairn {args:?}: {err}");
    err
}

fn server(pg: &Postgres) -> String {
    let port = &pg.env.iter().find(|(k, _)| k == "PGPORT").unwrap().1;
    format!("postgresql://postgres@127.0.0.1:{port}")
}

fn createdb(pg: &Postgres, name: &str) {
    let out = pg.cmd("createdb").arg(name).output().unwrap();
    common::assert_ok(&out, "createdb");
}

/// Several schemas and tables, a sequence, indexes, a view, a function, large objects,
/// non-ASCII text and two contrib extensions.
fn rich_schema(pg: &Postgres, db: &str) {
    createdb(pg, db);
    pg.sql(
        db,
        "CREATE EXTENSION pgcrypto; CREATE EXTENSION hstore;
         CREATE ROLE app_reader;
         CREATE SCHEMA billing; CREATE SCHEMA \"Catalog Ünïcode\";
         CREATE SEQUENCE billing.invoice_no START 1000;
         CREATE TABLE public.customers (id serial PRIMARY KEY, name text NOT NULL,
             email text UNIQUE, attrs hstore, secret bytea);
         CREATE TABLE billing.invoices (no bigint PRIMARY KEY DEFAULT nextval('billing.invoice_no'),
             customer int REFERENCES public.customers(id), amount numeric(12,2), issued date);
         CREATE INDEX invoices_by_customer ON billing.invoices (customer, issued);
         CREATE TABLE \"Catalog Ünïcode\".\"Prodüct\" (sku text PRIMARY KEY, label text);
         CREATE TABLE public.empty (x int);
         INSERT INTO public.customers (name, email, attrs, secret)
             SELECT 'Ćustomer ' || i || ' 日本語 ✓', 'c' || i || '@example.org',
                    hstore('tier', (i % 3)::text), digest('s' || i, 'sha256')
             FROM generate_series(1, 500) i;
         INSERT INTO billing.invoices (customer, amount, issued)
             SELECT 1 + i % 500, i * 1.25, date '2026-01-01' + i % 300
             FROM generate_series(1, 3000) i;
         INSERT INTO \"Catalog Ünïcode\".\"Prodüct\" VALUES ('ø-1', 'Smørrebrød'), ('ß-2', 'Straße');
         CREATE VIEW billing.totals AS
             SELECT customer, sum(amount) AS total FROM billing.invoices GROUP BY customer;
         CREATE FUNCTION billing.total_of(c int) RETURNS numeric LANGUAGE sql STABLE
             AS 'SELECT total FROM billing.totals WHERE customer = c';
         GRANT SELECT ON ALL TABLES IN SCHEMA billing TO app_reader;
         SELECT lo_from_bytea(0, convert_to('large object ✓', 'UTF8'));
         SELECT lo_from_bytea(0, decode(repeat('00ff', 40000), 'hex'));",
    );
}

/// Every user table's rows in a stable order, plus large objects, the sequence, the
/// view and the function: equal strings mean equal contents.
fn fingerprint(pg: &Postgres, db: &str) -> String {
    let tables = pg.sql(
        db,
        "SELECT quote_ident(schemaname) || '.' || quote_ident(tablename) FROM pg_tables \
         WHERE schemaname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1",
    );
    let mut out = String::new();
    for t in tables.lines() {
        let q = format!(
            "SELECT count(*) || ':' || coalesce(md5(string_agg(t::text, '|' ORDER BY t::text)), '-') FROM {t} t"
        );
        out.push_str(&format!("{t}={}\n", pg.sql(db, &q)));
    }
    for q in [
        "SELECT count(*) || ':' || md5(string_agg(encode(lo_get(oid), 'hex'), ',' ORDER BY oid)) FROM pg_largeobject_metadata",
        "SELECT last_value FROM billing.invoice_no",
        "SELECT md5(string_agg(customer || '=' || total, ',' ORDER BY customer)) FROM billing.totals",
        "SELECT billing.total_of(7)",
        "SELECT count(*) FROM pg_indexes WHERE indexname = 'invoices_by_customer'",
    ] {
        out.push_str(&format!("{q} => {}\n", pg.sql(db, q)));
    }
    out
}

fn snapshots(w: &World) -> Vec<serde_json::Value> {
    w.snapshots()
}

#[test]
fn one_database_and_all_databases_restore_with_pg_restore_to_the_same_contents() {
    let w = World::new();
    let pg = Postgres::start(&w.path("pg"));
    rich_schema(&pg, "app");
    createdb(&pg, "shop");
    pg.sql(
        "shop",
        "CREATE TABLE orders AS SELECT generate_series(1, 42) AS id",
    );
    let srv = server(&pg);

    // One database.
    let out = ok(
        &w,
        &pg,
        &["--json", "backup", "--postgres", &format!("{srv}/app")],
    );
    let summary: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        summary["databases"],
        serde_json::json!(["postgresql/app.pgdump", "postgresql/globals.sql"])
    );
    let snap = &snapshots(&w)[0];
    assert_eq!(snap["source"], "database");
    assert_eq!(snap["paths"], serde_json::json!([format!("{srv}/app")]));
    let dbs = snap["databases"].as_array().unwrap();
    assert_eq!(dbs.len(), 2);
    let app = &dbs[0];
    assert_eq!(app["database"], "app");
    assert_eq!(app["server"], srv.as_str());
    assert_eq!(app["format"], "custom");
    let server_version = pg.sql("app", "SHOW server_version");
    assert_eq!(app["server_version"], server_version.as_str());
    assert!(app["client_version"]
        .as_str()
        .unwrap()
        .starts_with("pg_dump (PostgreSQL)"));
    assert!(app["duration_secs"].as_f64().unwrap() > 0.0);

    // Row counts: every user table, exact, as count(*) says.
    let tables = app["tables"].as_array().unwrap();
    let names: Vec<String> = tables
        .iter()
        .map(|t| {
            format!(
                "{}.{}",
                t["schema"].as_str().unwrap(),
                t["name"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(
        names,
        [
            "Catalog Ünïcode.Prodüct",
            "billing.invoices",
            "public.customers",
            "public.empty"
        ]
    );
    for t in tables {
        let q = format!(
            "SELECT count(*) FROM {}.{}",
            quote(t["schema"].as_str().unwrap()),
            quote(t["name"].as_str().unwrap())
        );
        assert_eq!(t["rows"].to_string(), pg.sql("app", &q), "{t}");
        assert_eq!(t["exact"], true);
    }

    // The detail view: one line per dump with its tables, rows and versions.
    let view = w.ok(&["snapshots", "--databases"]);
    let line = view
        .lines()
        .find(|l| l.contains(&format!("{srv}/app ")))
        .unwrap_or_else(|| panic!("{view}"));
    let total_rows: u64 = tables.iter().map(|t| t["rows"].as_u64().unwrap()).sum();
    assert!(
        line.contains("postgresql/app.pgdump") && line.contains(&format!(" 4  {total_rows} ")),
        "{view}"
    );
    assert!(
        line.contains(&format!("postgresql {server_version}")),
        "{view}"
    );
    assert!(view.contains(&format!("{srv} (globals)")), "{view}");
    assert!(view.ends_with("2 dumps\n"), "{view}");

    // Restore the files, pg_restore the dump into a fresh database, compare.
    let target = w.path("restored");
    w.ok(&["restore", "latest", "--target", target.to_str().unwrap()]);
    let dump = target.join("postgresql/app.pgdump");
    assert_eq!(
        fs::metadata(&dump).unwrap().len(),
        app["bytes"].as_u64().unwrap()
    );
    let globals = fs::read_to_string(target.join("postgresql/globals.sql")).unwrap();
    assert!(globals.contains("CREATE ROLE app_reader"), "{globals}");
    createdb(&pg, "app_copy");
    let restore = pg
        .cmd("pg_restore")
        .args(["--no-owner", "--exit-on-error", "-d", "app_copy"])
        .arg(&dump)
        .output()
        .unwrap();
    common::assert_ok(&restore, "pg_restore");
    assert_eq!(fingerprint(&pg, "app"), fingerprint(&pg, "app_copy"));

    // Every database: each allowing connections, no templates, plus the globals.
    pg.sql("postgres", "DROP DATABASE app_copy");
    ok(&w, &pg, &["backup", "--postgres-all"]);
    let snap = &snapshots(&w)[1];
    let paths: Vec<&str> = snap["databases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["path"].as_str().unwrap())
        .collect();
    assert_eq!(
        paths,
        [
            "postgresql/app.pgdump",
            "postgresql/postgres.pgdump",
            "postgresql/shop.pgdump",
            "postgresql/globals.sql"
        ]
    );
    assert_eq!(
        snap["paths"],
        serde_json::json!([
            format!("{srv}/app"),
            format!("{srv}/postgres"),
            format!("{srv}/shop")
        ])
    );
    let listing = w.ok(&["ls", "latest"]);
    for p in &paths {
        assert!(listing.contains(&format!("/{p}\n")), "{listing}");
    }
    // `ls -l` shows each dump's manifest record after it, `--json` the whole record.
    let long = w.ok(&["ls", "-l", "latest"]);
    let line = |path: &str| {
        long.lines()
            .find(|l| l.contains(&format!("/{path}  [")))
            .unwrap_or_else(|| panic!("no annotated {path} in\n{long}"))
            .to_string()
    };
    let app = snap["databases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["path"] == "postgresql/app.pgdump")
        .unwrap();
    let tables = app["tables"].as_array().unwrap();
    let rows: u64 = tables.iter().map(|t| t["rows"].as_u64().unwrap()).sum();
    let app_line = line("postgresql/app.pgdump");
    assert!(
        app_line.contains(&format!("[{srv}/app, {} table", tables.len()))
            && app_line.contains(&format!(" {rows} rows, dumped in "))
            && app_line.contains(app["client_version"].as_str().unwrap()),
        "{app_line}"
    );
    let globals_line = line("postgresql/globals.sql");
    assert!(
        globals_line.contains(&format!("[{srv} (globals), dumped in "))
            && globals_line.contains("pg_dumpall"),
        "{globals_line}"
    );
    let mut listed: Vec<String> = w
        .ok(&["--json", "ls", "latest"])
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter_map(|r| r["dump"]["path"].as_str().map(str::to_string))
        .collect();
    listed.sort();
    let mut want: Vec<String> = paths.iter().map(|p| p.to_string()).collect();
    want.sort();
    assert_eq!(listed, want);

    // The same as a URL without a database, leaving one out.
    ok(
        &w,
        &pg,
        &[
            "backup",
            "--postgres",
            &format!("{srv}/"),
            "--exclude-database",
            "postgres",
        ],
    );
    let snap = &snapshots(&w)[2];
    assert_eq!(
        snap["paths"],
        serde_json::json!([format!("{srv}/app"), format!("{srv}/shop")])
    );
}

fn quote(ident: &str) -> String {
    format!("\"{}\"", ident.replace('"', "\"\""))
}

#[test]
fn files_and_databases_in_one_snapshot_or_one_snapshot_per_database() {
    let w = World::new();
    let pg = Postgres::start(&w.path("pg"));
    createdb(&pg, "app");
    createdb(&pg, "shop");
    pg.sql(
        "app",
        "CREATE TABLE a AS SELECT generate_series(1, 10) AS id",
    );
    let src = common::small_tree(&w, 7);
    let srv = server(&pg);
    let app = format!("{srv}/app");
    let shop = format!("{srv}/shop");

    ok(
        &w,
        &pg,
        &[
            "backup",
            src.to_str().unwrap(),
            "--postgres",
            &app,
            "--postgres",
            &shop,
        ],
    );
    let snap = &snapshots(&w)[0];
    assert_eq!(snap["source"], "files");
    assert_eq!(
        snap["paths"],
        serde_json::json!([src.to_str().unwrap(), app, shop])
    );
    let target = w.path("out");
    w.ok(&["restore", "latest", "--target", target.to_str().unwrap()]);
    common::assert_same_tree(&src, &target.join(src.strip_prefix("/").unwrap()));
    for f in ["app.pgdump", "shop.pgdump", "globals.sql"] {
        assert!(target.join("postgresql").join(f).is_file(), "{f}");
    }

    // One snapshot for the files, one per database, each database with the globals.
    let before = snapshots(&w).len();
    let out = ok(
        &w,
        &pg,
        &[
            "--json",
            "backup",
            src.to_str().unwrap(),
            "--postgres",
            &format!("{srv}/"),
            "--exclude-database",
            "postgres",
            "--snapshot-per-database",
        ],
    );
    let summaries: Vec<serde_json::Value> = serde_json::from_str(&out).unwrap();
    assert_eq!(summaries.len(), 3, "{out}");
    let snaps = snapshots(&w);
    let new: Vec<&serde_json::Value> = snaps[before..].iter().collect();
    for (summary, snap) in summaries.iter().zip(&new) {
        assert_eq!(summary["id"], snap["id"]);
    }
    let paths: Vec<&serde_json::Value> = new.iter().map(|s| &s["paths"]).collect();
    assert_eq!(
        paths,
        [
            &serde_json::json!([src.to_str().unwrap()]),
            &serde_json::json!([app]),
            &serde_json::json!([shop])
        ]
    );
    for s in &new[1..] {
        let files: Vec<&str> = s["databases"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["path"].as_str().unwrap())
            .collect();
        assert_eq!(files.len(), 2, "{files:?}");
        assert_eq!(files[1], "postgresql/globals.sql");
    }

    // A stream goes alone.
    let before = snapshots(&w).len();
    let e = fails(
        &w,
        &pg,
        &["backup", "--postgres", &app, "--stdin-name", "x"],
        2,
    );
    assert!(e.contains("not both"), "{e}");
    assert_eq!(snapshots(&w).len(), before);
}

/// A `pg_dump` first on PATH that records its arguments and whether it got PGPASSWORD,
/// then runs the real one, or (with `kill_after`) cuts its output short and dies by
/// SIGKILL as a pg_dump lost mid-stream would.
fn fake_pg_dump(dir: &Path, kill_after: Option<usize>) -> PathBuf {
    let run = match kill_after {
        None => "exec \"$REAL\" \"$@\"".to_string(),
        Some(n) => format!("\"$REAL\" \"$@\" | head -c {n}\nkill -KILL $$"),
    };
    fake_pg_dump_with(dir, &run)
}

/// A bash script named `pg_dump` in `dir/bin` that logs as `fake_pg_dump` says, then
/// runs `body` with `$REAL` the real pg_dump (`--version` goes straight to the real
/// one); returns the directory to put on PATH.
fn fake_pg_dump_with(dir: &Path, body: &str) -> PathBuf {
    let real = String::from_utf8(
        std::process::Command::new("sh")
            .args(["-c", "command -v pg_dump"])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap()
    .trim()
    .to_string();
    let bin = dir.join("bin");
    fs::create_dir_all(&bin).unwrap();
    let log = dir.join("pg_dump.log");
    let script = format!(
        "#!/bin/bash\nREAL={real}\nprintf '%s\\n' \"argv: $*\" \"password: ${{PGPASSWORD:-none}}\" >> {}\n\
         [ \"$1\" = --version ] && exec \"$REAL\" --version\n{body}\n",
        log.display()
    );
    let path = bin.join("pg_dump");
    fs::write(&path, script).unwrap();
    fs::set_permissions(&path, fs::Permissions::from_mode(0o755)).unwrap();
    bin
}

fn with_path(bin: &Path) -> String {
    format!("{}:{}", bin.display(), std::env::var("PATH").unwrap())
}

#[test]
fn failing_dumps_write_no_snapshot_and_name_the_database() {
    let w = World::new();
    let pg = Postgres::start(&w.path("pg"));
    createdb(&pg, "app");
    pg.sql(
        "app",
        "CREATE TABLE big AS SELECT i, md5(i::text) AS h FROM generate_series(1, 400000) i",
    );
    let srv = server(&pg);
    let app = format!("{srv}/app");

    // A database that does not exist.
    let e = fails(
        &w,
        &pg,
        &["backup", "--postgres", &format!("{srv}/no_such_db")],
        1,
    );
    assert!(
        e.contains(&format!(
            "pg_dump of database \"no_such_db\" on {srv} failed"
        )),
        "{e}"
    );
    assert!(e.contains("does not exist"), "{e}");

    // pg_dump killed mid-stream, after part of the dump reached cairn.
    let bin = fake_pg_dump(&w.path("fake"), Some(50_000));
    let e = backup_fails_with_tools(&w, &pg, &bin, &app);
    assert!(
        e.contains(&format!(
            "pg_dump of database \"app\" on {srv} failed (killed by a signal)"
        )),
        "{e}"
    );

    // The connection lost mid-stream: the server ends pg_dump's session while pg_dump
    // waits on a full pipe, in the middle of the table's COPY.
    let bin = fake_pg_dump_with(
        &w.path("lost"),
        "set -o pipefail\n\
         \"$REAL\" \"$@\" | { head -c 100000; psql -X -q -d postgres -c \
         \"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'pg_dump'\" \
         >/dev/null; cat; }",
    );
    let e = backup_fails_with_tools(&w, &pg, &bin, &app);
    assert!(
        e.contains(&format!(
            "pg_dump of database \"app\" on {srv} failed (exit status 1)"
        )),
        "{e}"
    );
    // Which words the server's goodbye carries depends on whether pg_dump was reading
    // when the session ended; either way the server's reason reaches the one line.
    assert!(
        e.contains("(Error message from server: server closed the connection unexpectedly)")
            || e.contains(
                "(Error message from server: FATAL:  terminating connection due to administrator command)"
            ),
        "{e}"
    );

    // A password in the URL is refused before anything runs, and never echoed.
    let e = fails(
        &w,
        &pg,
        &[
            "backup",
            "--postgres",
            "postgresql://postgres:hunter2@127.0.0.1/app",
        ],
        2,
    );
    assert!(e.contains("password") && !e.contains("hunter2"), "{e}");

    // The server down.
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/services/postgres.sh");
    let stop = std::process::Command::new("bash")
        .arg(script)
        .arg("stop")
        .arg(w.path("pg"))
        .output()
        .unwrap();
    common::assert_ok(&stop, "postgres.sh stop");
    let e = fails(&w, &pg, &["backup", "--postgres", &app], 1);
    assert!(
        e.contains(&format!("pg_dump of database \"app\" on {srv} failed")),
        "{e}"
    );
    let e = fails(&w, &pg, &["backup", "--postgres-all"], 1);
    assert!(
        e.contains(&format!("listing the databases on {srv}")),
        "{e}"
    );

    assert!(snapshots(&w).is_empty());
    assert!(w.stored("snapshots").is_empty());
}

#[test]
fn pgpassword_reaches_pg_dump_but_never_its_arguments_or_the_manifest() {
    let w = World::new();
    let pg = Postgres::start(&w.path("pg"));
    createdb(&pg, "app");
    let bin = fake_pg_dump(&w.path("fake"), None);
    let secret = "s3cret-pw-4711";
    let out = cairn_with(
        &w,
        &pg,
        &[("PATH", &with_path(&bin)), ("PGPASSWORD", secret)],
        &["backup", "--postgres", &format!("{}/app", server(&pg))],
    );
    common::assert_ok(&out, "backup");
    let log = fs::read_to_string(w.path("fake/pg_dump.log")).unwrap();
    let argv: Vec<&str> = log.lines().filter(|l| l.starts_with("argv:")).collect();
    assert!(argv.iter().all(|a| !a.contains(secret)), "{log}");
    assert_eq!(
        argv.iter()
            .filter(|a| a.contains("-Fc -Z0 --snapshot="))
            .count(),
        1,
        "{log}"
    );
    assert!(log.contains(&format!("password: {secret}")), "{log}");
    let manifest = w.ok(&["--json", "snapshots"]);
    assert!(!manifest.contains(secret));
    assert!(!String::from_utf8_lossy(&out.stderr).contains(secret));
}

#[test]
fn profile_with_paths_and_two_databases_in_one_snapshot_or_one_per_database() {
    use common::profiles::{cmd, write_profile};
    let w = World::new();
    let pg = Postgres::start(&w.path("pg"));
    createdb(&pg, "app");
    createdb(&pg, "shop");
    let src = common::small_tree(&w, 3);
    let srv = server(&pg);
    let run = |args: &[&str]| {
        cmd(&w, args)
            .envs(pg.env.iter().map(|(k, v)| (k, v)))
            .output()
            .unwrap()
    };
    let body = |extra: &str| {
        format!(
            "{extra}[source]\npaths = [\"{}\"]\n\n[[database]]\nurl = \"{srv}/app\"\n\n\
             [[database]]\nurl = \"{srv}/\"\nname = \"shop-db\"\ndatabases = [\"shop\"]\n",
            src.display()
        )
    };
    write_profile(&w, "app", &body(""));

    let check = run(&["profile", "check", "app"]);
    let lines = String::from_utf8_lossy(&check.stdout).into_owned();
    assert_eq!(check.status.code(), Some(0), "{lines}");
    assert!(lines.contains("database tool pg_dump"), "{lines}");
    assert!(
        lines.contains(&format!("{srv}/: reachable; dumps shop into shop-db/")),
        "{lines}"
    );

    let out = run(&["run", "app"]);
    common::assert_ok(&out, "cairn run app");
    let snaps = snapshots(&w);
    assert_eq!(snaps.len(), 1);
    assert_eq!(snaps[0]["profile"], "app");
    assert_eq!(
        snaps[0]["paths"],
        serde_json::json!([
            src.to_str().unwrap(),
            format!("{srv}/app"),
            format!("{srv}/shop")
        ])
    );
    let listing = w.ok(&["ls", "latest"]);
    for f in [
        "/postgresql/app.pgdump",
        "/postgresql/globals.sql",
        "/shop-db/shop.pgdump",
        "/shop-db/globals.sql",
    ] {
        assert!(listing.contains(&format!("{f}\n")), "{listing}");
    }

    // The per-database choice: the paths, then each database on its own.
    write_profile(&w, "app", &body("snapshot_per_database = true\n"));
    let out = run(&["run", "app"]);
    common::assert_ok(&out, "cairn run app");
    let snaps = snapshots(&w);
    let paths: Vec<&serde_json::Value> = snaps[1..].iter().map(|s| &s["paths"]).collect();
    assert_eq!(
        paths,
        [
            &serde_json::json!([src.to_str().unwrap()]),
            &serde_json::json!([format!("{srv}/app")]),
            &serde_json::json!([format!("{srv}/shop")])
        ]
    );

    // A database that is not there fails the check, naming it.
    write_profile(
        &w,
        "gone",
        &format!("[[database]]\nurl = \"{srv}/\"\ndatabases = [\"nope\"]\n"),
    );
    let check = run(&["profile", "check", "gone"]);
    let lines = String::from_utf8_lossy(&check.stdout).into_owned();
    assert_ne!(check.status.code(), Some(0), "{lines}");
    assert!(lines.contains("no database \"nope\""), "{lines}");

    // A path stored where a database's directory goes is refused with its line.
    let first = src
        .components()
        .nth(1)
        .unwrap()
        .as_os_str()
        .to_str()
        .unwrap()
        .to_string();
    write_profile(
        &w,
        "clash",
        &format!(
            "[source]\npaths = [\"{}\"]\n[[database]]\nurl = \"{srv}/app\"\nname = \"{first}\"\n",
            src.display()
        ),
    );
    let out = run(&["run", "clash"]);
    let e = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(e.contains("would be stored where [[database]]"), "{e}");
    assert_eq!(snapshots(&w).len(), 4);
}

#[test]
fn a_table_above_the_exact_limit_records_the_planner_estimate() {
    let w = World::new();
    let pg = Postgres::start(&w.path("pg"));
    createdb(&pg, "app");
    // About 80 MiB on disk, over the 64 MiB up to which rows are counted exactly.
    pg.sql(
        "app",
        "CREATE TABLE big AS SELECT i, repeat('x', 200) AS pad FROM generate_series(1, 330000) i;
         CREATE TABLE small AS SELECT generate_series(1, 5) AS i;
         ANALYZE big;",
    );
    let size: u64 = pg
        .sql("app", "SELECT pg_relation_size('big')")
        .parse()
        .unwrap();
    assert!(size > 64 << 20, "{size}");
    ok(
        &w,
        &pg,
        &["backup", "--postgres", &format!("{}/app", server(&pg))],
    );
    let snap = &snapshots(&w)[0];
    let tables = snap["databases"][0]["tables"].as_array().unwrap();
    let big = tables.iter().find(|t| t["name"] == "big").unwrap();
    let small = tables.iter().find(|t| t["name"] == "small").unwrap();
    assert_eq!(big["exact"], false, "{big}");
    let estimate: u64 = pg
        .sql(
            "app",
            "SELECT reltuples::bigint FROM pg_class WHERE relname = 'big'",
        )
        .parse()
        .unwrap();
    assert_eq!(big["rows"].as_u64().unwrap(), estimate);
    assert_eq!(small["exact"], true);
    assert_eq!(small["rows"], 5);
    let view = w.ok(&["snapshots", "--databases"]);
    assert!(view.contains(&format!("~{}", estimate + 5)), "{view}");
}

#[test]
fn a_signal_mid_dump_stops_pg_dump_and_the_session_and_writes_no_snapshot() {
    use std::process::Stdio;
    use std::time::{Duration, Instant};
    const HANG: Duration = Duration::from_secs(60);
    let w = World::new();
    let pg = Postgres::start(&w.path("pg"));
    createdb(&pg, "app");
    let pidfile = w.path("pg_dump.pid");
    // The whole dump, then a pg_dump that never ends: the backup is surely in flight.
    let bin = fake_pg_dump_with(
        &w.path("fake"),
        &format!(
            "echo $$ > {}\n\"$REAL\" \"$@\"\nsleep 600",
            pidfile.display()
        ),
    );
    let mut child = w
        .cmd()
        .envs(pg.env.iter().map(|(k, v)| (k, v)))
        .env("PATH", with_path(&bin))
        .args(["backup", "--postgres", &format!("{}/app", server(&pg))])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while !pidfile.exists() || fs::read_to_string(&pidfile).unwrap().trim().is_empty() {
        assert!(start.elapsed() < HANG, "pg_dump did not start");
        std::thread::sleep(Duration::from_millis(20));
    }
    let pid = fs::read_to_string(&pidfile).unwrap().trim().to_string();
    let sessions = || {
        pg.sql(
            "postgres",
            "SELECT count(*) FROM pg_stat_activity WHERE datname = 'app' AND application_name = 'psql'",
        )
    };
    assert_eq!(sessions(), "1", "the counting session holds the snapshot");
    let ok = std::process::Command::new("kill")
        .args(["-s", "TERM", &child.id().to_string()])
        .status()
        .unwrap()
        .success();
    assert!(ok);
    while child.try_wait().unwrap().is_none() {
        assert!(start.elapsed() < HANG, "cairn did not stop");
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(143),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The fake pg_dump (cairn's child) and the psql session end with it.
    let gone = |p: &str| {
        fs::read_to_string(format!("/proc/{p}/stat"))
            .map(|s| s.split_whitespace().nth(2) == Some("Z"))
            .unwrap_or(true)
    };
    while !gone(&pid) || sessions() != "0" {
        assert!(
            start.elapsed() < HANG,
            "pg_dump or its session outlived cairn"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(snapshots(&w).is_empty());
}

/// A role that can connect and read every table but is not superuser, as managed
/// PostgreSQL services hand out: `pg_dumpall --globals-only` cannot read `pg_authid`.
#[test]
fn globals_of_a_non_superuser_role_without_passwords_or_not_at_all() {
    let w = World::new();
    let pg = Postgres::start(&w.path("pg"));
    createdb(&pg, "app");
    pg.sql(
        "app",
        // Not pg_read_all_data: that reads pg_authid too.
        "CREATE ROLE app_owner LOGIN PASSWORD 'owner-secret';
         CREATE TABLE t (id int); INSERT INTO t SELECT generate_series(1, 10);
         CREATE ROLE reader LOGIN; GRANT SELECT ON t TO reader;",
    );
    let port = &pg.env.iter().find(|(k, _)| k == "PGPORT").unwrap().1;
    let url = format!("postgresql://reader@127.0.0.1:{port}/app");

    let err = fails(&w, &pg, &["backup", "--postgres", &url], 1);
    let line = err
        .lines()
        .rfind(|l| l.starts_with("cairn backup:"))
        .unwrap();
    assert!(
        line.contains("pg_dumpall --globals-only")
            && line.contains("pg_authid")
            && line.contains("--postgres-globals no-role-passwords")
            && line.contains("globals = \"no-role-passwords\""),
        "{line}"
    );
    assert!(snapshots(&w).is_empty());

    ok(
        &w,
        &pg,
        &[
            "backup",
            "--postgres",
            &url,
            "--postgres-globals",
            "no-role-passwords",
        ],
    );
    let globals = ok(&w, &pg, &["dump", "latest", "/postgresql/globals.sql"]);
    assert!(globals.contains("CREATE ROLE app_owner"), "{globals}");
    assert!(!globals.contains("SCRAM-SHA-256"), "{globals}");
    let table = ok(&w, &pg, &["snapshots", "--databases"]);
    assert!(table.contains("(globals --no-role-passwords)"), "{table}");
    let records: serde_json::Value =
        serde_json::from_str(&ok(&w, &pg, &["--json", "snapshots", "--databases"])).unwrap();
    let g = records
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["path"] == "postgresql/globals.sql")
        .unwrap();
    assert_eq!(g["options"], serde_json::json!(["--no-role-passwords"]));

    ok(
        &w,
        &pg,
        &["backup", "--postgres", &url, "--postgres-globals", "none"],
    );
    let listed = ok(&w, &pg, &["ls", "latest", "/postgresql"]);
    assert!(
        listed.contains("app.pgdump") && !listed.contains("globals.sql"),
        "{listed}"
    );
    let newest = snapshots(&w).pop().unwrap();
    let paths: Vec<&str> = newest["databases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["path"].as_str().unwrap())
        .collect();
    assert_eq!(paths, ["postgresql/app.pgdump"]);

    let err = fails(
        &w,
        &pg,
        &["backup", "--stdin-name", "x", "--postgres-globals", "none"],
        2,
    );
    assert!(
        err.contains("--postgres-globals goes with --postgres"),
        "{err}"
    );

    // `profile check` tells before the night does; the profile's choice is what runs.
    let profile = |globals: &str| {
        common::profiles::write_profile(
            &w,
            "managed",
            &format!("[[database]]\nurl = \"{url}\"\n{globals}"),
        );
        let mut c = common::profiles::cmd(&w, &["profile", "check", "managed"]);
        c.envs(pg.env.iter().map(|(k, v)| (k, v)));
        c.output().unwrap()
    };
    let out = profile("");
    let lines = String::from_utf8_lossy(&out.stdout);
    assert!(!out.status.success());
    assert!(
        lines.contains("FAIL") && lines.contains("cannot read pg_authid"),
        "{lines}"
    );
    let out = profile("globals = \"no-role-passwords\"\n");
    common::assert_ok(&out, "profile check with no-role-passwords");
    let mut c = common::profiles::cmd(&w, &["run", "managed"]);
    c.envs(pg.env.iter().map(|(k, v)| (k, v)));
    common::assert_ok(&c.output().unwrap(), "run managed");
    let newest = snapshots(&w).pop().unwrap();
    assert_eq!(newest["profile"], "managed");
    let globals = newest["databases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["path"] == "postgresql/globals.sql")
        .cloned()
        .unwrap();
    assert_eq!(
        globals["options"],
        serde_json::json!(["--no-role-passwords"])
    );
}
