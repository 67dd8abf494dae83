//! Small behaviours that decide whether a mistake is noticed: a data check that reads
//! at least something, an empty dump refused, and errors that say what a path is.

mod common;

use std::fs;
use std::path::PathBuf;

use common::{noise, run_with_input, World};

/// Backs up `data` read from standard input as `name`; returns the snapshot's JSON.
fn stdin_backup(w: &World, name: &str, data: &[u8], extra: &[&str]) -> serde_json::Value {
    let mut args = vec!["--json", "backup", "--stdin-name", name];
    args.extend_from_slice(extra);
    serde_json::from_str(&w.ok_stdin(&args, data)).expect("backup JSON")
}

/// A repository with several packs: each backup of new data writes its own.
fn repo_with_packs(w: &World, backups: u64) -> usize {
    for i in 0..backups {
        stdin_backup(w, &format!("part{i}"), &noise(200_000, 100 + i), &[]);
    }
    let packs = w.stored("data").len();
    assert!(packs >= backups as usize, "expected a pack per backup");
    packs
}

fn stderr_of(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// The one error line of a failed command.
fn error_line(err: &str, command: &str) -> String {
    let prefix = format!("cairn {command}: ");
    let lines: Vec<&str> = err.lines().filter(|l| l.starts_with(&prefix)).collect();
    assert_eq!(lines.len(), 1, "expected one `{prefix}` line:\n{err}");
    lines[0].to_string()
}

#[test]
fn a_small_percentage_still_reads_a_pack_and_says_how_many() {
    let w = World::new();
    let packs = repo_with_packs(&w, 5);
    // 1% of a few packs is a fraction of one: it reads one, not none.
    let out = w
        .cmd()
        .args(["check", "--read-data-subset", "1%"])
        .output()
        .unwrap();
    common::assert_ok(&out, "check 1%");
    let err = stderr_of(&out);
    assert!(
        err.contains(&format!("read 1 of {packs} packs (1%")),
        "{err}"
    );
    let report = w.json(&["check", "--read-data-subset", "1%"]);
    assert_eq!(report["packs_read"], 1, "{report}");
    assert_eq!(report["read_data"], "1%", "{report}");
    // Rounded up: 10% of 11 packs is 2, 50% of an odd count more than half.
    for (pct, part) in [("10%", 10), ("50%", 2)] {
        let r = w.json(&["check", "--read-data-subset", pct]);
        assert_eq!(r["packs_read"], packs.div_ceil(part) as u64, "{pct}: {r}");
    }
    // The n/m buckets, run in turn, read every pack exactly once.
    let mut total = 0;
    for n in 1..=3 {
        let r = w.json(&["check", "--read-data-subset", &format!("{n}/3")]);
        total += r["packs_read"].as_u64().unwrap();
    }
    assert_eq!(total, packs as u64);
    let all = w.json(&["check", "--read-data"]);
    assert_eq!(all["packs_read"], packs as u64, "{all}");
}

#[test]
fn a_damaged_pack_is_found_by_a_small_subset_on_a_one_pack_repository() {
    let w = World::new();
    stdin_backup(&w, "only", &noise(100_000, 7), &[]);
    for pack in w.stored("data") {
        let mut bytes = fs::read(&pack).unwrap();
        let mid = bytes.len() / 2;
        bytes[mid] ^= 0x40;
        fs::write(&pack, bytes).unwrap();
    }
    let err = w.fails(&["check", "--read-data-subset", "1%"], 1);
    assert!(err.contains("errors"), "{err}");
}

#[test]
fn a_profile_check_subset_reads_a_pack_on_a_small_repository() {
    let w = World::new();
    let packs = repo_with_packs(&w, 3);
    let dir = common::profiles::profiles(&w);
    let src = common::small_tree(&w, 3);
    common::profiles::write_profile(
        &w,
        "app",
        &format!(
            "[source]\npaths = [\"{}\"]\n[check]\nread_data_subset = \"5%\"\n",
            src.display()
        ),
    );
    let out = w
        .cmd()
        .args(["--config", dir.to_str().unwrap(), "run", "app"])
        .output()
        .unwrap();
    common::assert_ok(&out, "run app");
    let err = stderr_of(&out);
    assert!(err.contains("checked_packs=1"), "{err}");
    assert!(
        w.stored("data").len() > packs,
        "the run's backup added a pack"
    );
}

#[test]
fn an_empty_stream_is_refused_unless_allowed() {
    let w = World::new();
    let out = run_with_input(w.cmd().args(["backup", "--stdin-name", "app.dump"]), b"");
    assert_eq!(out.status.code(), Some(1), "{}", stderr_of(&out));
    let line = error_line(&stderr_of(&out), "backup");
    assert!(
        line.contains("app.dump") && line.contains("empty") && line.contains("--allow-empty"),
        "{line}"
    );
    assert!(w.snapshots().is_empty(), "no snapshot may be written");
    assert!(w.stored("snapshots").is_empty());

    // A command that prints nothing and exits 0: the classic silent pg_dump failure.
    let err = w.fails(
        &["backup", "--stdin-name", "db.dump", "--stdin-from", "true"],
        1,
    );
    assert!(error_line(&err, "backup").contains("empty"), "{err}");
    // A failing command is reported as failing, not as empty.
    let err = w.fails(
        &[
            "backup",
            "--stdin-name",
            "db.dump",
            "--stdin-from",
            "exit 3",
        ],
        1,
    );
    let line = error_line(&err, "backup");
    assert!(!line.contains("empty") && line.contains("exit"), "{line}");
    assert!(w.snapshots().is_empty());

    let snap = stdin_backup(&w, "app.dump", b"", &["--allow-empty"]);
    assert_eq!(snap["stats"]["total_bytes"], 0, "{snap}");
    w.ok(&[
        "backup",
        "--stdin-name",
        "db.dump",
        "--stdin-from",
        "true",
        "--allow-empty",
    ]);
    assert_eq!(w.snapshots().len(), 2);
    let restored = w
        .cmd()
        .args(["dump", "latest", "db.dump"])
        .output()
        .unwrap();
    common::assert_ok(&restored, "dump");
    assert!(restored.stdout.is_empty());
}

#[test]
fn a_profile_command_that_prints_nothing_fails_the_run_unless_allow_empty() {
    let w = World::new();
    let dir = common::profiles::profiles(&w);
    let profile = |allow: &str| {
        common::profiles::write_profile(
            &w,
            "db",
            &format!("[source]\ncommand = \"true\"\nstdin_name = \"db.dump\"\n{allow}"),
        );
    };
    profile("");
    let out = w
        .cmd()
        .args(["run", "db", "--config", dir.to_str().unwrap()])
        .output()
        .unwrap();
    let err = stderr_of(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("result=failure") && err.contains("empty"),
        "{err}"
    );
    assert!(w.snapshots().is_empty());
    profile("allow_empty = true\n");
    let out = w
        .cmd()
        .args(["run", "db", "--config", dir.to_str().unwrap()])
        .output()
        .unwrap();
    common::assert_ok(&out, "run db with allow_empty");
    assert_eq!(w.snapshots().len(), 1);
}

#[test]
fn a_missing_key_file_is_named_as_one() {
    let w = World::new();
    let missing = w.path("nope.key");
    let err = w.fails(&["-k", missing.to_str().unwrap(), "snapshots"], 1);
    assert!(
        error_line(&err, "snapshots")
            .contains(&format!("key file {}: not found", missing.display())),
        "{err}"
    );
    let err = w.fails(&["-k", w.dir.path().to_str().unwrap(), "snapshots"], 1);
    assert!(
        error_line(&err, "snapshots").contains("is a directory"),
        "{err}"
    );
}

#[test]
fn restore_into_a_file_and_dump_of_a_directory_say_what_the_path_is() {
    let w = World::new();
    let src = common::small_tree(&w, 1);
    w.ok(&["backup", src.to_str().unwrap()]);
    let file = w.path("plain-file");
    fs::write(&file, "keep me").unwrap();
    let err = w.fails(
        &["restore", "latest", "--target", file.to_str().unwrap()],
        1,
    );
    assert!(
        error_line(&err, "restore")
            .contains(&format!("restore target {} is a file", file.display())),
        "{err}"
    );
    assert_eq!(fs::read_to_string(&file).unwrap(), "keep me");

    let dir = format!("{}/d", src.display());
    let err = w.fails(&["dump", "latest", &dir], 1);
    let line = error_line(&err, "dump");
    assert!(
        line.contains("`dump` writes one file")
            && line.contains(&format!("{dir} is a directory"))
            && line.contains("restore"),
        "{line}"
    );
}

#[test]
fn a_missing_repository_directory_suggests_checking_the_mount() {
    let w = World::new();
    for repo in [w.path("not-mounted"), {
        // An empty mount point looks the same when the disk is not mounted.
        let p = w.path("empty-mount-point");
        fs::create_dir(&p).unwrap();
        p
    }] {
        let err = w.fails(&["-r", repo.to_str().unwrap(), "snapshots"], 1);
        let line = error_line(&err, "snapshots");
        assert!(
            line.contains(repo.to_str().unwrap())
                && line.contains("mounted")
                && line.contains("init"),
            "{line}"
        );
    }
}

#[test]
fn init_refuses_a_directory_with_other_files() {
    let w = World::new();
    let home: PathBuf = w.path("someones-files");
    fs::create_dir(&home).unwrap();
    fs::write(home.join("notes.txt"), "mine").unwrap();
    let err = w.fails(&["-r", home.to_str().unwrap(), "init"], 1);
    let line = error_line(&err, "init");
    assert!(
        line.contains("not a cairn repository") || line.contains("no cairn repository"),
        "{line}"
    );
    let left: Vec<_> = fs::read_dir(&home).unwrap().collect();
    assert_eq!(left.len(), 1, "nothing may be written next to notes.txt");
    // A fresh file system's lost+found is no obstacle.
    let disk = w.path("fresh-disk");
    fs::create_dir_all(disk.join("lost+found")).unwrap();
    w.ok(&["-r", disk.to_str().unwrap(), "init"]);
}

#[test]
fn forget_with_a_mistyped_host_says_the_filter_matched_nothing() {
    let w = World::new();
    stdin_backup(&w, "a", b"one", &["--host", "web1"]);
    stdin_backup(&w, "a", b"two", &["--host", "web1"]);
    let err = w.fails(&["forget", "--host", "web01", "--keep-last", "1"], 1);
    let line = error_line(&err, "forget");
    assert!(
        line.contains("no snapshot matches --host web01") && line.contains("web1"),
        "{line}"
    );
    assert_eq!(w.snapshots().len(), 2, "nothing removed");
    // A tag or path no snapshot has is named with the values the repository holds.
    stdin_backup(&w, "a", b"three", &["--host", "web1", "--tag", "nightly"]);
    let err = w.fails(&["forget", "--tag", "nighty", "--keep-last", "1"], 1);
    let line = error_line(&err, "forget");
    assert!(
        line.contains("no snapshot matches --tag nighty (tags in the repository: nightly)"),
        "{line}"
    );
    let err = w.fails(&["forget", "--path", "/nowhere", "--keep-last", "1"], 1);
    let line = error_line(&err, "forget");
    assert!(
        line.contains("no snapshot matches --path /nowhere (paths in the repository: "),
        "{line}"
    );
    assert_eq!(w.snapshots().len(), 3, "nothing removed");
    // The right host still works.
    w.ok(&["forget", "--host", "web1", "--keep-last", "1"]);
    assert_eq!(w.snapshots().len(), 1);
}

#[test]
fn an_ambiguous_id_prefix_lists_the_candidates() {
    let w = World::new();
    // Sixteen hex digits: seventeen snapshots always share a first digit, and a few
    // usually do much sooner.
    let mut ids: Vec<String> = Vec::new();
    let prefix = loop {
        let n = ids.len();
        let snap = stdin_backup(
            &w,
            "a",
            b"same data",
            &[
                "--host",
                &format!("host{n}"),
                "--time",
                &format!("2026-01-01T00:{n:02}:00Z"),
            ],
        );
        let id = snap["id"].as_str().unwrap().to_string();
        if let Some(other) = ids.iter().find(|o| o[..1] == id[..1]) {
            break (id[..1].to_string(), other.clone(), id);
        }
        ids.push(id);
        assert!(ids.len() <= 16);
    };
    let (p, first, second) = prefix;
    let err = w.fails(&["dump", &p, "a"], 1);
    let line = error_line(&err, "dump");
    assert!(line.contains("ambiguous"), "{line}");
    for id in [&first, &second] {
        assert!(line.contains(&id[..8]), "{id} missing from {line}");
    }
    assert!(line.contains("UTC") && line.contains("host"), "{line}");
    // Enough digits pick one.
    w.ok(&["dump", &first[..12], "a"]);
}

#[test]
fn key_generate_without_passphrase_or_terminal_warns() {
    let w = World::bare();
    let out = w
        .cmd()
        .args(["key", "generate", "--out", w.key.to_str().unwrap()])
        .output()
        .unwrap();
    common::assert_ok(&out, "key generate");
    let err = stderr_of(&out);
    assert!(
        err.lines()
            .any(|l| l.starts_with("cairn: warning: no passphrase given")),
        "{err}"
    );
}

#[test]
fn config_is_accepted_before_and_after_the_subcommand() {
    let w = World::new();
    let dir = common::profiles::profiles(&w);
    let src = common::small_tree(&w, 2);
    common::profiles::write_profile(
        &w,
        "files",
        &format!("[source]\npaths = [\"{}\"]\n", src.display()),
    );
    let d = dir.to_str().unwrap();
    for args in [
        vec!["--config", d, "profile", "list"],
        vec!["profile", "--config", d, "list"],
        vec!["profile", "list", "--config", d],
    ] {
        let out = w.ok(&args);
        assert!(out.contains("files\t"), "{args:?}: {out}");
    }
    for args in [
        ["--config", d, "run", "files"],
        ["run", "files", "--config", d],
    ] {
        let out = w.run(&args);
        common::assert_ok(&out, &format!("{args:?}"));
        assert!(stderr_of(&out).contains("profile=files result=success snapshot="));
    }
}

#[test]
fn usage_lines_do_not_show_options_set_in_the_environment_as_required() {
    let w = World::new();
    // World::cmd sets CAIRN_REPO and CAIRN_KEY.
    let err = w.fails(&["restore"], 2);
    let usage: Vec<&str> = err.lines().filter(|l| l.starts_with("Usage:")).collect();
    assert_eq!(
        usage,
        ["Usage: cairn restore --target <TARGET> <SNAPSHOT>"],
        "{err}"
    );
    let err = w.fails(&["key", "export"], 2);
    assert!(err.contains("Usage: cairn key export --public\n"), "{err}");
    // A bad value in the environment is still the error shown.
    let out = w
        .cmd()
        .env("CAIRN_CONNECTIONS", "999")
        .arg("snapshots")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr_of(&out).contains("'999'"), "{}", stderr_of(&out));
    let help = w.ok(&["restore", "--help"]);
    assert!(help.contains("[env: CAIRN_REPO="), "{help}");
}
