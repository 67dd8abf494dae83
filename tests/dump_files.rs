//! Database dumps written to disk (`pg_dump -f`) are chunked like dump streams, so a
//! second day's dump with a few changed rows adds little to the repository.

mod common;

use std::fs;
use std::path::Path;

use common::postgres::Postgres;
use common::World;

/// Writes today's custom-format and plain dumps of `app` into `dir`.
fn dump(pg: &Postgres, dir: &Path) {
    fs::create_dir_all(dir).unwrap();
    for (format, name) in [("-Fc", "app.dump"), ("-Fp", "app.sql")] {
        let out = pg
            .cmd("pg_dump")
            .args([format, "-Z0", "-d", "app", "-f"])
            .arg(dir.join(name))
            .output()
            .unwrap();
        common::assert_ok(&out, "pg_dump");
    }
}

/// The same files with their first byte changed, so they no longer look like dumps.
fn disguise(dir: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for name in ["app.dump", "app.sql"] {
        let mut bytes = fs::read(dir.join(name)).unwrap();
        bytes[0] = b'#';
        fs::write(to.join(name), bytes).unwrap();
    }
}

fn added(w: &World, dir: &Path) -> u64 {
    w.backup(&[dir.to_str().unwrap()])["stats"]["bytes_added"]
        .as_u64()
        .unwrap()
}

#[test]
fn pg_dump_files_deduplicate_across_days_and_restore_byte_identical() {
    let w = World::new();
    let plain = World::new();
    let pg = Postgres::start(&w.path("pg"));
    assert!(pg.cmd("createdb").arg("app").status().unwrap().success());
    let init = pg
        .cmd("pgbench")
        .args(["-i", "-q", "-s", "1", "app"])
        .output()
        .unwrap();
    common::assert_ok(&init, "pgbench -i");

    let (dir, disguised) = (w.path("backups"), plain.path("backups"));
    dump(&pg, &dir);
    let sql = fs::read(dir.join("app.sql")).unwrap();
    assert!(
        sql.starts_with(b"--\n-- PostgreSQL database dump"),
        "pg_dump's plain header changed: {:?}",
        String::from_utf8_lossy(&sql[..sql.len().min(64)])
    );
    let size = fs::metadata(dir.join("app.dump")).unwrap().len() + sql.len() as u64;
    disguise(&dir, &disguised);
    added(&w, &dir);
    added(&plain, &disguised);

    // Day 2: 1% of the accounts change, in ten runs of a hundred rows.
    pg.sql(
        "app",
        "UPDATE pgbench_accounts SET abalance = abalance + 7 WHERE aid % 10000 < 100",
    );
    dump(&pg, &dir);
    disguise(&dir, &disguised);
    let detected = added(&w, &dir);
    let undetected = added(&plain, &disguised);
    eprintln!("day 2 of {size} bytes of dumps: added {detected} as dumps, {undetected} as files");
    assert!(
        detected * 4 < undetected,
        "as dumps {detected} bytes, as plain files {undetected} bytes"
    );

    // Unchanged dumps are files cache hits, skipped before they are opened.
    let again = w.backup(&[dir.to_str().unwrap()]);
    assert_eq!(again["stats"]["bytes_read"], 0, "{again}");
    assert_eq!(again["stats"]["files_unchanged"], 2, "{again}");

    let target = w.path("restored");
    w.ok(&["restore", "latest", "--target", target.to_str().unwrap()]);
    let restored = target.join(dir.strip_prefix("/").unwrap());
    for name in ["app.dump", "app.sql"] {
        assert!(
            fs::read(restored.join(name)).unwrap() == fs::read(dir.join(name)).unwrap(),
            "{name} restored differently"
        );
    }
}
