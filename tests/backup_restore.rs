//! Round trips through the binary: trees with awkward cases, streams, dedup, filters.

mod common;

use std::fs;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use common::{assert_same_tree, dump_rows, noise, World};

/// A tree with the cases restore must get right.
fn awkward_tree(root: &Path) {
    fs::create_dir_all(root.join("docs/deep/deeper")).unwrap();
    fs::create_dir_all(root.join("empty-dir")).unwrap();
    fs::write(root.join("empty-file"), b"").unwrap();
    fs::write(root.join("docs/readme.txt"), b"hello cairn\n").unwrap();
    fs::write(root.join("docs/deep/deeper/big.bin"), noise(9_000_000, 1)).unwrap();
    fs::write(
        root.join("docs/deep/repeated.txt"),
        "same line\n".repeat(100_000),
    )
    .unwrap();
    fs::write(root.join("été 😀 unicode.txt"), "unicode name").unwrap();
    let latin1 = std::ffi::OsStr::from_bytes(b"caf\xe9-latin1");
    fs::write(root.join(latin1), b"not utf-8 name").unwrap();
    std::os::unix::fs::symlink("docs/readme.txt", root.join("link-to-readme")).unwrap();
    std::os::unix::fs::symlink("/nonexistent/target", root.join("dangling")).unwrap();
    fs::write(root.join("script.sh"), b"#!/bin/sh\necho hi\n").unwrap();
    fs::set_permissions(root.join("script.sh"), fs::Permissions::from_mode(0o750)).unwrap();
    fs::set_permissions(root.join("docs/deep"), fs::Permissions::from_mode(0o700)).unwrap();
    // Sparse file: a hole between two data regions.
    let f = fs::File::create(root.join("sparse.img")).unwrap();
    f.set_len(20 << 20).unwrap();
    use std::os::unix::fs::FileExt;
    f.write_all_at(b"start", 0).unwrap();
    f.write_all_at(b"end", (20 << 20) - 3).unwrap();
    let old = filetime::FileTime::from_unix_time(1_000_000_000, 123_456_789);
    filetime::set_file_times(root.join("docs/readme.txt"), old, old).unwrap();
}

/// Makes `awkward_tree` under the world and backs it up; returns its path.
fn backed_up_awkward_tree(w: &World) -> PathBuf {
    let src = w.path("src");
    awkward_tree(&src);
    w.backup(&[src.to_str().unwrap()]);
    src
}

/// Restores the latest snapshot into `target`; returns where `src` landed in it.
fn restore_latest(w: &World, target: &Path, src: &Path) -> PathBuf {
    w.ok(&["restore", "latest", "--target", target.to_str().unwrap()]);
    target.join(src.strip_prefix("/").unwrap())
}

#[test]
fn tree_round_trip_restores_content_modes_times_links_and_holes() {
    let w = World::new();
    let src = w.path("src");
    awkward_tree(&src);
    let snap = w.backup(&[src.to_str().unwrap(), "--tag", "nightly"]);
    assert_eq!(snap["stats"]["errors"], 0);
    let restored = restore_latest(&w, &w.path("restored"), &src);
    assert_same_tree(&src, &restored);
    // The hole stays a hole: far fewer blocks than bytes.
    use std::os::unix::fs::MetadataExt;
    let meta = fs::metadata(restored.join("sparse.img")).unwrap();
    assert_eq!(meta.len(), 20 << 20);
    assert!(
        meta.blocks() * 512 < 4 << 20,
        "sparse file restored dense: {} blocks",
        meta.blocks()
    );
}

/// Restoring over an earlier restore: changed files are rewritten, and a symlink or a
/// FIFO where a file belongs is replaced, never followed or opened.
#[test]
fn restore_over_an_earlier_restore_replaces_what_is_in_the_way() {
    let w = World::new();
    let src = backed_up_awkward_tree(&w);
    let target = w.path("restored");
    let restored = restore_latest(&w, &target, &src);

    let outside = w.path("outside.txt");
    fs::write(&outside, b"must stay").unwrap();
    fs::remove_file(restored.join("docs/readme.txt")).unwrap();
    std::os::unix::fs::symlink(&outside, restored.join("docs/readme.txt")).unwrap();
    fs::remove_file(restored.join("script.sh")).unwrap();
    let mkfifo = std::process::Command::new("mkfifo")
        .arg(restored.join("script.sh"))
        .status()
        .unwrap();
    assert!(mkfifo.success());
    fs::write(restored.join("docs/deep/repeated.txt"), b"short now").unwrap();
    fs::write(restored.join("empty-file"), b"not empty any more").unwrap();

    restore_latest(&w, &target, &src);
    assert_same_tree(&src, &restored);
    assert_eq!(fs::read(&outside).unwrap(), b"must stay");
}

#[test]
fn second_backup_of_unchanged_tree_adds_nothing_and_reads_nothing() {
    let w = World::new();
    let src = w.path("src");
    awkward_tree(&src);
    let first = w.backup(&[src.to_str().unwrap()]);
    assert!(first["stats"]["bytes_added"].as_u64().unwrap() > 9_000_000);
    let second = w.backup(&[src.to_str().unwrap()]);
    // At most the trees of ancestor directories (/tmp changes while tests run).
    assert!(
        second["stats"]["bytes_added"].as_u64().unwrap() < 4096,
        "{second}"
    );
    assert_eq!(
        second["stats"]["bytes_read"], 0,
        "files cache unused: {second}"
    );
    assert_eq!(second["stats"]["files_new"], 0);
    assert_eq!(
        second["stats"]["files_unchanged"],
        first["stats"]["files_new"]
    );

    // Without the cache everything is read again, yet still nothing is stored twice.
    fs::remove_dir_all(&w.cache).unwrap();
    let third = w.backup(&[src.to_str().unwrap()]);
    assert!(third["stats"]["bytes_read"].as_u64().unwrap() > 9_000_000);
    // Only tree blobs may be new: deleting the cache changed the mtime of an ancestor
    // directory, which is recorded. No file content is stored again.
    assert!(
        third["stats"]["bytes_added"].as_u64().unwrap() < 4096,
        "{third}"
    );

    // One changed file: only it is read.
    fs::write(src.join("docs/readme.txt"), b"changed\n").unwrap();
    let fourth = w.backup(&[src.to_str().unwrap()]);
    assert_eq!(fourth["stats"]["files_changed"], 1, "{fourth}");
    assert_eq!(fourth["stats"]["bytes_read"], 8);
    assert_eq!(w.snapshots().len(), 4);
    w.ok(&["check", "--read-data"]);
}

/// Sets the access time of `p` (a file or a directory) to one before its modification
/// time, which a `relatime` mount updates at the next read.
fn set_old_atime(p: &Path) {
    let old = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_000_000);
    let f = fs::File::open(p).unwrap();
    f.set_times(fs::FileTimes::new().set_accessed(old)).unwrap();
}

fn atime(p: &Path) -> i64 {
    use std::os::unix::fs::MetadataExt;
    fs::metadata(p).unwrap().atime()
}

#[test]
fn backup_reads_without_touching_access_times_and_reads_what_it_may_not_keep_them_on() {
    let w = World::new();
    let src = w.path("src");
    fs::create_dir_all(src.join("d")).unwrap();
    fs::write(src.join("d/f"), b"read me").unwrap();
    let (dir, file) = (src.join("d"), src.join("d/f"));

    // The test can fail only where reads update access times: show that they do here.
    set_old_atime(&file);
    set_old_atime(&dir);
    fs::read(&file).unwrap();
    fs::read_dir(&dir).unwrap().for_each(drop);
    assert!(
        atime(&file) > 1_000_000 && atime(&dir) > 1_000_000,
        "this file system does not update access times on read (mounted noatime?)"
    );

    set_old_atime(&file);
    set_old_atime(&dir);
    let first = w.backup(&[src.to_str().unwrap()]);
    assert_eq!(first["stats"]["bytes_read"], 7, "{first}");
    assert_eq!(
        atime(&file),
        1_000_000,
        "the backup touched the file's atime"
    );
    assert_eq!(
        atime(&dir),
        1_000_000,
        "the backup touched the directory's atime"
    );

    // O_NOATIME is for the owner (or CAP_FOWNER) only: as `nobody`, root's readable
    // tree is read the ordinary way rather than refused.
    if common::is_root() {
        let outside = tempfile::tempdir().unwrap();
        fs::set_permissions(outside.path(), fs::Permissions::from_mode(0o755)).unwrap();
        fs::write(outside.path().join("g"), b"not mine").unwrap();
        let path = outside.path().to_str().unwrap();
        let out = common::run_as_nobody(&w, &["--json", "backup", path]);
        common::assert_ok(&out, "backup as nobody of root's files");
        let landed = restore_latest(&w, &w.path("restored"), outside.path());
        assert_eq!(fs::read(landed.join("g")).unwrap(), b"not mine");
    }
}

#[test]
fn stdin_and_command_streams_round_trip_through_dump() {
    let w = World::new();
    let data = noise(3_000_000, 7);
    w.ok_stdin(&["backup", "--stdin-name", "app.dump"], &data);
    let out = w
        .cmd()
        .args(["dump", "latest", "app.dump"])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(out.stdout == data, "dumped stream differs");

    let gen = w.path("gen.sh");
    fs::write(&gen, "seq 1 300000\n").unwrap();
    w.ok(&[
        "backup",
        "--stdin-name",
        "numbers.txt",
        "--stdin-from",
        &format!("sh {}", gen.display()),
    ]);
    let out = w.ok(&["dump", "latest", "numbers.txt"]);
    let expected: String = (1..=300000).map(|i| format!("{i}\n")).collect();
    assert!(out == expected);
    let snaps = w.snapshots();
    assert_eq!(snaps.last().unwrap()["source"], "command");
    assert_eq!(snaps[0]["source"], "stdin");
}

/// A stream of many reader batches (8 MiB each), whose buffers are reused from batch to
/// batch: every byte comes back in place, and a second run stores no data blob (only
/// the new tree: a stream's time is its backup's).
#[test]
fn long_stream_of_many_batches_round_trips() {
    let w = World::new();
    let data = noise(41 << 20, 11);
    w.ok_stdin(&["backup", "--stdin-name", "big.bin"], &data);
    let out = w
        .cmd()
        .args(["dump", "latest", "big.bin"])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(out.stdout == data, "dumped stream differs");
    let out = w.ok_stdin(&["--json", "backup", "--stdin-name", "big.bin"], &data);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["stats"]["blobs_added"], 1, "{v}");
    w.ok(&["check", "--read-data"]);
}

#[test]
fn failing_command_writes_no_snapshot() {
    let w = World::new();
    let err = w.fails(
        &[
            "backup",
            "--stdin-name",
            "db.dump",
            "--stdin-from",
            "seq 1 500000; echo 'pg_dump: connection lost' >&2; exit 2",
        ],
        1,
    );
    assert!(
        err.contains("exit status 2") && err.contains("connection lost"),
        "{err}"
    );
    assert!(
        err.lines()
            .filter(|l| l.starts_with("cairn backup:"))
            .count()
            == 1,
        "{err}"
    );
    assert!(w.snapshots().is_empty());
    let err = w.fails(
        &[
            "backup",
            "--stdin-name",
            "x",
            "--stdin-from",
            "no-such-program-xyz",
        ],
        1,
    );
    assert!(err.contains("exit status 127"), "{err}");
    assert!(w.snapshots().is_empty());
    w.ok(&["check"]);
}

#[test]
fn dump_with_one_percent_changed_rows_adds_a_small_fraction() {
    let w = World::new();
    let rows = 400_000;
    let day1 = dump_rows(rows, |_| false);
    // Changes cluster as they do in real tables (recent and hot rows): 1% of rows in
    // 20 runs of 200.
    let day2 = dump_rows(rows, |i| i % 20_000 < 200);
    w.ok_stdin(&["backup", "--stdin-name", "app.dump"], &day1);
    let before: u64 = w
        .objects("data")
        .iter()
        .map(|p| fs::metadata(p).unwrap().len())
        .sum();
    let out = w.ok_stdin(&["--json", "backup", "--stdin-name", "app.dump"], &day2);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    // Raw bytes of new chunks: each run of changed rows re-chunks one or two 64 KiB
    // chunks (up to 256 KiB), 20 runs in all.
    let added = v["stats"]["bytes_added"].as_u64().unwrap();
    assert!(
        added * 5 < day2.len() as u64,
        "{added} of {} bytes re-stored",
        day2.len()
    );
    let after: u64 = w
        .objects("data")
        .iter()
        .map(|p| fs::metadata(p).unwrap().len())
        .sum();
    // What it costs: the changed chunks are stored as deltas against day 1's.
    assert!(
        (after - before) * 20 < before,
        "storage grew {before} -> {after}"
    );
    let restored = w
        .cmd()
        .args(["dump", "latest", "app.dump"])
        .output()
        .unwrap()
        .stdout;
    assert!(restored == day2);
}

#[test]
fn excludes_include_and_ls() {
    let w = World::new();
    let src = w.path("src");
    awkward_tree(&src);
    fs::write(src.join("docs/scratch.tmp"), b"tmp").unwrap();
    fs::create_dir_all(src.join("cache-dir")).unwrap();
    fs::write(
        src.join("cache-dir/CACHEDIR.TAG"),
        b"Signature: 8a477f597d28d172789f06886806bc55\n",
    )
    .unwrap();
    let s = src.to_str().unwrap();
    w.backup(&[
        s,
        "--exclude",
        "*.tmp",
        "--exclude",
        &format!("{s}/docs/deep/*"),
        "--exclude-caches",
    ]);
    let listing = w.ok(&["ls", "latest", s]);
    assert!(listing.contains("/docs/readme.txt"));
    assert!(!listing.contains("scratch.tmp"), "{listing}");
    assert!(!listing.contains("big.bin"), "{listing}");
    assert!(!listing.contains("cache-dir"), "{listing}");
    assert!(
        listing.contains("/docs/deep\n"),
        "directory itself kept: {listing}"
    );

    let target = w.path("partial");
    let docs = format!("{s}/docs");
    w.ok(&[
        "restore",
        "latest",
        "--target",
        target.to_str().unwrap(),
        "--include",
        &docs,
    ]);
    let base = target.join(src.strip_prefix("/").unwrap());
    assert!(base.join("docs/readme.txt").exists());
    assert!(!base.join("script.sh").exists());
    let err = w.fails(
        &[
            "restore",
            "latest",
            "--target",
            target.to_str().unwrap(),
            "--include",
            "/nope",
        ],
        1,
    );
    assert!(err.contains("nothing in snapshot"), "{err}");
}

#[test]
fn several_paths_diff_and_snapshot_selection() {
    let w = World::new();
    let (a, b) = (w.path("a"), w.path("b"));
    fs::create_dir_all(&a).unwrap();
    fs::create_dir_all(&b).unwrap();
    fs::write(a.join("one"), b"1").unwrap();
    fs::write(b.join("two"), b"2").unwrap();
    let first = w.backup(&[
        a.to_str().unwrap(),
        b.to_str().unwrap(),
        "--time",
        "2026-01-31T02:00:00Z",
        "--host",
        "db1",
    ]);
    fs::write(a.join("one"), b"11").unwrap();
    fs::write(a.join("new"), b"n").unwrap();
    fs::remove_file(b.join("two")).unwrap();
    let second = w.backup(&[
        a.to_str().unwrap(),
        b.to_str().unwrap(),
        "--host",
        "db1",
        "--tag",
        "t",
    ]);
    let snaps = w.snapshots();
    assert_eq!(snaps[0]["time"], "2026-01-31T02:00:00Z");
    assert_eq!(snaps[0]["host"], "db1");
    assert_eq!(snaps[1]["parent"], first["id"]);
    let ida = first["id"].as_str().unwrap();
    let idb = second["id"].as_str().unwrap();
    let diff = w.ok(&["diff", &ida[..8], &idb[..8]]);
    let sa = a.to_str().unwrap();
    let sb = b.to_str().unwrap();
    assert!(diff.contains(&format!("M {sa}/one")), "{diff}");
    assert!(diff.contains(&format!("+ {sa}/new")), "{diff}");
    assert!(diff.contains(&format!("- {sb}/two")), "{diff}");
    // Filters narrow `latest`.
    let out = w.json(&["snapshots", "--tag", "t"]);
    assert_eq!(out.as_array().unwrap().len(), 1);
    let err = w.fails(&["ls", "latest", "--host", "other"], 1);
    assert!(err.contains("no snapshot matches"), "{err}");
    let err = w.fails(&["ls", "zz"], 2);
    assert!(err.contains("not a snapshot id"), "{err}");
}

#[test]
fn concurrent_backups_of_two_hosts_both_succeed() {
    let w = World::new();
    let src = w.path("src");
    awkward_tree(&src);
    let s = src.to_str().unwrap().to_string();
    let spawn = |host: &str| {
        w.cmd()
            .args(["backup", &s, "--host", host])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap()
    };
    let (a, b) = (spawn("host-a"), spawn("host-b"));
    for c in [a, b] {
        let out = c.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let snaps = w.snapshots();
    assert_eq!(snaps.len(), 2);
    w.ok(&["check", "--read-data"]);
    for (i, snap) in snaps.iter().enumerate() {
        let t = w.path(&format!("r{i}"));
        w.ok(&[
            "restore",
            snap["id"].as_str().unwrap(),
            "--target",
            t.to_str().unwrap(),
        ]);
        assert_same_tree(&src, &t.join(src.strip_prefix("/").unwrap()));
    }
}

#[test]
fn stats_and_key_info() {
    let w = World::new();
    let src = backed_up_awkward_tree(&w);
    w.backup(&[src.to_str().unwrap()]);
    let stats = w.json(&["stats"]);
    assert_eq!(stats["snapshots"], 2);
    assert!(stats["dedup_ratio"].as_f64().unwrap() > 1.9, "{stats}");
    assert!(stats["compression_ratio"].as_f64().unwrap() > 1.0);
    let info = w.json(&["key", "info"]);
    assert_eq!(info["secret"], true);
    assert_eq!(info["passphrase_protected"], false);
    assert_eq!(info["fingerprint"].as_str().unwrap().len(), 40);
}

/// Standard input is read ahead while the key is unlocked: a wrong passphrase still
/// fails with the message it always had, at once (not after the stream ends: here it
/// never does) and having written nothing; the right one stores the stream whole,
/// read-ahead bytes and the rest.
#[test]
fn stdin_read_ahead_during_unlock_changes_nothing_for_a_wrong_passphrase() {
    use std::io::Write;
    use std::process::Stdio;
    let mut w = World::bare();
    let pass = w.path("pass");
    fs::write(&pass, "the right one\n").unwrap();
    w.passphrase_file = Some(pass);
    w.ok(&["key", "generate", "--out", w.key.to_str().unwrap()]);
    w.ok(&["init"]);
    let wrong = w.path("wrong");
    fs::write(&wrong, "not it\n").unwrap();
    let expected = common::error_line(
        &w.cmd()
            .env("CAIRN_PASSPHRASE_FILE", &wrong)
            .arg("snapshots")
            .output()
            .unwrap(),
        "snapshots",
    )
    .replacen("cairn snapshots:", "cairn backup:", 1);
    assert!(expected.contains("wrong passphrase"), "{expected}");
    let before = w.listing();
    let mut child = w
        .cmd()
        .env("CAIRN_PASSPHRASE_FILE", &wrong)
        .args(["backup", "--stdin-name", "s.bin"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Some input, and the pipe held open until cairn has exited.
    let mut input = child.stdin.take().unwrap();
    input.write_all(&noise(100_000, 5)).unwrap();
    let out = child.wait_with_output().unwrap();
    drop(input);
    assert_eq!(common::error_line(&out, "backup"), expected);
    assert!(w.listing() == before, "nothing written");
    // Larger than what is read ahead, so both parts are in the snapshot.
    let data = noise(20_000_000, 6);
    w.ok_stdin(&["backup", "--stdin-name", "s.bin"], &data);
    let out = w.cmd().args(["dump", "latest", "s.bin"]).output().unwrap();
    common::assert_ok(&out, "dump");
    assert!(out.stdout == data, "the stream comes back whole");
}
