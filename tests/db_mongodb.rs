//! MongoDB without a MongoDB: Debian 12 packages neither mongod nor mongodump, so these
//! tests put a stand-in `mongodump` first on PATH. It records the arguments and the
//! environment it was given and prints an archive-shaped stream. What they prove is the
//! wiring (arguments, credentials kept out of argv, layout and manifest, failures); a
//! real server is not involved (docs/DATABASES.md says so).

mod common;

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use common::World;

/// A directory holding the stand-in `mongodump`; it writes its arguments, one a line, to
/// `args.log` beside itself, and fails like mongodump for a database named `nope`.
fn stand_in(w: &World) -> PathBuf {
    let bin = w.path("bin");
    fs::create_dir_all(&bin).unwrap();
    let log = bin.join("args.log");
    let script = format!(
        r#"#!/bin/sh
if [ "$1" = --version ]; then echo "mongodump version: 100.9.4-stand-in"; exit 0; fi
for a in "$@"; do printf '%s\n' "$a" >> {log}; done
printf 'env MONGO_SECRET=%s\n' "${{CAIRN_PASSPHRASE:-unset}}" >> {log}
case "$*" in
  *--db=nope*) echo "Failed: database nope: not found" >&2; exit 1 ;;
esac
printf '\155\342\231\201archive of %s\n' "$*"
i=0; while [ $i -lt 2000 ]; do echo "document $i"; i=$((i+1)); done
"#,
        log = log.display()
    );
    let tool = bin.join("mongodump");
    fs::write(&tool, script).unwrap();
    fs::set_permissions(&tool, fs::Permissions::from_mode(0o755)).unwrap();
    bin
}

fn path_with(bin: &Path) -> String {
    format!("{}:{}", bin.display(), std::env::var("PATH").unwrap())
}

/// `cairn ARGS` with the stand-in tools of `bin` first on PATH.
fn cairn_with_tools(w: &World, bin: &Path, args: &[&str]) -> std::process::Output {
    w.cmd()
        .env("PATH", path_with(bin))
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn mongodb_urls_run_mongodump_per_database_with_the_config_file() {
    let w = World::new();
    let bin = stand_in(&w);
    let config = w.path("mongodump.yaml");
    fs::write(&config, "password: s3cret-mongo\n").unwrap();
    let out = w
        .cmd()
        .env("PATH", path_with(&bin))
        .env("CAIRN_PASSPHRASE", "not-for-children")
        .args([
            "--json",
            "backup",
            "--mongodb",
            "mongodb://backup@127.0.0.1:27017/events?authSource=admin",
            "--mongodb",
            "mongodb://backup@127.0.0.1:27017/users?authSource=admin",
            "--mongodb-config",
            config.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    common::assert_ok(&out, "backup --mongodb");

    let args = fs::read_to_string(bin.join("args.log")).unwrap();
    let expected = format!(
        "--config={c}\n--archive\n--uri=mongodb://backup@127.0.0.1:27017/?authSource=admin\n\
         --db=events\nenv MONGO_SECRET=unset\n\
         --config={c}\n--archive\n--uri=mongodb://backup@127.0.0.1:27017/?authSource=admin\n\
         --db=users\nenv MONGO_SECRET=unset\n",
        c = config.display()
    );
    assert_eq!(args, expected);

    let snap = &w.snapshots()[0];
    assert_eq!(
        snap["paths"],
        serde_json::json!([
            "mongodb://backup@127.0.0.1:27017/events?authSource=admin",
            "mongodb://backup@127.0.0.1:27017/users?authSource=admin"
        ])
    );
    let recs = snap["databases"].as_array().unwrap();
    assert_eq!(recs.len(), 2);
    assert_eq!(recs[0]["engine"], "mongodb");
    assert_eq!(recs[0]["path"], "mongodb/events.archive");
    assert_eq!(recs[0]["format"], "archive");
    assert_eq!(
        recs[0]["client_version"],
        "mongodump version: 100.9.4-stand-in"
    );
    assert!(!serde_json::to_string(snap).unwrap().contains("s3cret"));

    let dumped = w.ok(&["dump", "latest", "mongodb/users.archive"]);
    assert!(dumped.contains("--db=users") && dumped.ends_with("document 1999\n"));
}

#[test]
fn a_failing_mongodump_writes_no_snapshot_and_names_the_database() {
    let w = World::new();
    let bin = stand_in(&w);
    let out = cairn_with_tools(
        &w,
        &bin,
        &[
            "backup",
            "--mongodb",
            "mongodb://127.0.0.1/events",
            "--mongodb",
            "mongodb://127.0.0.1/nope",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("mongodump of database \"nope\"") && err.contains("not found"),
        "{err}"
    );
    assert!(w.stored("snapshots").is_empty());

    // Every database must be named: there is no way to list them without mongosh.
    let out = cairn_with_tools(
        &w,
        &bin,
        &["backup", "--mongodb", "mongodb://127.0.0.1:27017/"],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("name each MongoDB database"));
}

#[test]
fn a_mongodump_archive_streams_through_the_generic_command_source() {
    let w = World::new();
    let bin = stand_in(&w);
    let out = cairn_with_tools(
        &w,
        &bin,
        &[
            "backup",
            "--stdin-name",
            "events.archive",
            "--stdin-from",
            "mongodump --archive --uri=mongodb://127.0.0.1:27017/ --db=events",
        ],
    );
    common::assert_ok(&out, "backup --stdin-from mongodump");
    let dumped = w.ok(&["dump", "latest", "events.archive"]);
    assert!(dumped.contains("--db=events") && dumped.ends_with("document 1999\n"));
}
