//! What restore makes of hard links and special files, and what it does with a target
//! that already holds something: `--overwrite`, `--delete`, `--dry-run`.

mod common;

use std::fs;
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::{Path, PathBuf};
use std::process::Command;

use common::World;

/// Where `src` lands below `target`.
fn landed(target: &Path, src: &Path) -> PathBuf {
    target.join(src.strip_prefix("/").unwrap())
}

/// `cairn --json restore latest --target T EXTRA…`: the stats, and stderr.
fn restore(w: &World, target: &Path, extra: &[&str]) -> (serde_json::Value, String) {
    let mut args = vec![
        "--json",
        "restore",
        "latest",
        "--target",
        target.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    let out = w.run(&args);
    common::assert_ok(&out, &format!("cairn {args:?}"));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    (
        json["stats"].clone(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

fn set_mtime(p: &Path, secs: i64) {
    let t = filetime::FileTime::from_unix_time(secs, 0);
    filetime::set_symlink_file_times(p, t, t).unwrap();
}

const SNAP_TIME: i64 = 1_600_000_000;

#[test]
fn hard_links_come_back_as_links_among_the_restored_files() {
    let w = World::new();
    let src = w.path("src");
    fs::create_dir_all(src.join("sub")).unwrap();
    fs::write(src.join("a"), "shared content\n").unwrap();
    fs::hard_link(src.join("a"), src.join("b")).unwrap();
    fs::hard_link(src.join("a"), src.join("sub/c")).unwrap();
    fs::write(src.join("alone"), "shared content\n").unwrap();
    w.backup(&[src.to_str().unwrap()]);

    let target = w.path("t");
    let (stats, _) = restore(&w, &target, &[]);
    let at = landed(&target, &src);
    let meta = |rel: &str| fs::metadata(at.join(rel)).unwrap();
    assert_eq!(meta("a").nlink(), 3);
    assert_eq!(meta("a").ino(), meta("b").ino());
    assert_eq!(meta("a").ino(), meta("sub/c").ino());
    assert_ne!(meta("a").ino(), meta("alone").ino());
    assert_eq!(fs::read(at.join("sub/c")).unwrap(), b"shared content\n");
    assert_eq!(
        (stats["files"].as_u64(), stats["hardlinks"].as_u64()),
        (Some(2), Some(2))
    );

    // Only the names selected are restored, and linked among themselves.
    let target = w.path("t2");
    let sub = src.join("sub");
    let b = src.join("b");
    let (sub, b) = (sub.to_str().unwrap(), b.to_str().unwrap());
    restore(&w, &target, &["--include", sub, "--include", b]);
    let at = landed(&target, &src);
    assert!(!at.join("a").exists());
    let meta = |rel: &str| fs::metadata(at.join(rel)).unwrap();
    let (lb, lc) = (meta("b"), meta("sub/c"));
    assert_eq!((lb.ino(), lb.nlink()), (lc.ino(), 2));

    // Restored again over itself, nothing needs relinking.
    let again = [
        "--overwrite",
        "if-changed",
        "--include",
        sub,
        "--include",
        b,
    ];
    let (stats, _) = restore(&w, &target, &again);
    assert_eq!(
        (stats["replaced"].as_u64(), stats["unchanged"].as_u64()),
        (Some(0), Some(2))
    );
    assert_eq!(meta("b").nlink(), 2);
    // The whole snapshot over it: `a` comes first, and the others, though unchanged
    // as files, are relinked to it.
    let (stats, _) = restore(&w, &target, &["--overwrite", "if-changed"]);
    assert_eq!(stats["replaced"], 2, "{stats}");
    assert_eq!(meta("sub/c").nlink(), 3);
}

#[test]
fn fifos_and_device_nodes_are_recreated_and_sockets_named() {
    let w = World::new();
    let src = w.path("src");
    fs::create_dir_all(&src).unwrap();
    let st = Command::new("mkfifo")
        .args(["-m", "0666"])
        .arg(src.join("pipe"))
        .status()
        .unwrap();
    assert!(st.success());
    let _listener = std::os::unix::net::UnixListener::bind(src.join("s.sock")).unwrap();
    if common::is_root() {
        let st = Command::new("mknod")
            .arg(src.join("null"))
            .args(["c", "1", "3"])
            .status()
            .unwrap();
        assert!(st.success());
    }
    set_mtime(&src.join("pipe"), SNAP_TIME);
    w.backup(&[src.to_str().unwrap()]);

    let target = w.path("t");
    let (stats, err) = restore(&w, &target, &[]);
    let at = landed(&target, &src);
    let pipe = fs::symlink_metadata(at.join("pipe")).unwrap();
    assert!(pipe.file_type().is_fifo());
    assert_eq!(pipe.mode() & 0o7777, 0o666);
    assert_eq!(pipe.mtime(), SNAP_TIME);
    let sock = src.join("s.sock");
    assert!(
        err.contains(&format!(
            "skipped socket {}: sockets cannot be restored",
            sock.display()
        )),
        "{err}"
    );
    assert!(!at.join("s.sock").exists());
    assert!(!err.contains("Socket") && !err.contains("Fifo"), "{err}");
    if common::is_root() {
        let null = fs::symlink_metadata(at.join("null")).unwrap();
        assert!(null.file_type().is_char_device());
        assert_eq!(null.rdev(), fs::metadata("/dev/null").unwrap().rdev());
        assert_eq!(stats["specials"], 2, "{stats}");
    } else {
        assert_eq!(stats["specials"], 1, "{stats}");
    }
}

#[test]
fn device_nodes_are_counted_in_one_line_when_not_root() {
    let w = World::new();
    let src = w.path("src");
    fs::create_dir_all(&src).unwrap();
    if !common::is_root() {
        // Only root can make the device nodes to back up; CI runs the tests as root.
        assert!(std::env::var_os("CI").is_none(), "needs root");
        eprintln!("skipped: making device nodes needs root");
        return;
    }
    for name in ["null", "zero"] {
        let minor = if name == "null" { "3" } else { "5" };
        let st = Command::new("mknod")
            .arg(src.join(name))
            .args(["c", "1", minor])
            .status()
            .unwrap();
        assert!(st.success());
    }
    w.backup(&[src.to_str().unwrap()]);
    let target = w.path("t");
    fs::create_dir_all(&target).unwrap();
    let out = common::run_as_nobody(
        &w,
        &["restore", "latest", "--target", target.to_str().unwrap()],
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(
        err.contains("2 device nodes not restored (only root can create them)"),
        "{err}"
    );
    assert_eq!(err.matches("device").count(), 1, "{err}");
    assert!(!landed(&target, &src).join("null").exists());
}

/// A snapshot of src/{same, changed, newer, typed/inner, file_where_dir}, restored into
/// a target where then `same` differs in content only (same size and mtime), `changed`
/// has other content and an older mtime, `newer` other content and a later mtime.
struct Altered {
    w: World,
    src: PathBuf,
    target: PathBuf,
    at: PathBuf,
}

fn altered() -> Altered {
    let w = World::new();
    let src = w.path("src");
    fs::create_dir_all(&src).unwrap();
    for name in ["same", "changed", "newer"] {
        fs::write(src.join(name), format!("snapshot {name}\n")).unwrap();
        set_mtime(&src.join(name), SNAP_TIME);
    }
    w.backup(&[src.to_str().unwrap()]);
    let target = w.path("t");
    restore(&w, &target, &[]);
    let at = landed(&target, &src);
    fs::write(at.join("same"), "SNAPSHOT same\n").unwrap();
    set_mtime(&at.join("same"), SNAP_TIME);
    fs::write(at.join("changed"), "local edit\n").unwrap();
    set_mtime(&at.join("changed"), SNAP_TIME - 100);
    fs::write(at.join("newer"), "local edit\n").unwrap();
    set_mtime(&at.join("newer"), SNAP_TIME + 100);
    Altered { w, src, target, at }
}

fn content(at: &Path, name: &str) -> String {
    fs::read_to_string(at.join(name)).unwrap()
}

#[test]
fn each_overwrite_mode_replaces_what_it_says() {
    // (mode, which of same/changed/newer end up with the snapshot's content,
    //  replaced, unchanged, skipped)
    let cases = [
        ("always", [true, true, true], 3, 0, 0),
        ("if-changed", [false, true, true], 2, 1, 0),
        ("if-newer", [false, true, false], 1, 1, 1),
        ("never", [false, false, false], 0, 1, 2),
    ];
    for (mode, expect, replaced, unchanged, skipped) in cases {
        let a = altered();
        let (stats, _) = restore(&a.w, &a.target, &["--overwrite", mode]);
        for (name, from_snapshot) in ["same", "changed", "newer"].iter().zip(expect) {
            let snap = format!("snapshot {name}\n");
            assert_eq!(
                content(&a.at, name) == snap,
                from_snapshot,
                "{mode}: {name}"
            );
        }
        assert_eq!(stats["replaced"], replaced, "{mode}: {stats}");
        assert_eq!(stats["unchanged"], unchanged, "{mode}: {stats}");
        assert_eq!(stats["skipped"], skipped, "{mode}: {stats}");
        assert_eq!(stats["files"], replaced, "{mode}: {stats}");
    }
    // The default is restic's: always.
    let a = altered();
    let (stats, _) = restore(&a.w, &a.target, &[]);
    assert_eq!(stats["replaced"], 3, "{stats}");
    assert_eq!(content(&a.at, "newer"), "snapshot newer\n");
    drop(a.src);
}

#[test]
fn type_conflicts_are_decided_alike_both_ways() {
    let w = World::new();
    let src = w.path("src");
    fs::create_dir_all(src.join("dir")).unwrap();
    fs::write(src.join("dir/inner"), "inner\n").unwrap();
    fs::write(src.join("file"), "file\n").unwrap();
    fs::write(src.join("linked"), "linked\n").unwrap();
    w.backup(&[src.to_str().unwrap()]);
    let outside = w.path("outside");
    fs::write(&outside, "outside\n").unwrap();
    let plant = |target: &Path| {
        let at = landed(target, &src);
        fs::create_dir_all(at.join("file/deep")).unwrap();
        fs::write(at.join("file/deep/x"), "x").unwrap();
        fs::write(at.join("dir"), "a file where a directory goes").unwrap();
        std::os::unix::fs::symlink(&outside, at.join("linked")).unwrap();
        at
    };

    let target = w.path("never");
    let at = plant(&target);
    let (stats, _) = restore(&w, &target, &["--overwrite", "never"]);
    assert!(at.join("file/deep/x").is_file());
    assert_eq!(content(&at, "dir"), "a file where a directory goes");
    assert!(fs::symlink_metadata(at.join("linked"))
        .unwrap()
        .is_symlink());
    // The file, the link and the directory kept, with the file that would go below it.
    assert_eq!(stats["skipped"], 4, "{stats}");
    assert_eq!(stats["replaced"], 0, "{stats}");

    for mode in ["always", "if-changed"] {
        let target = w.path(mode);
        let at = plant(&target);
        let (stats, err) = restore(&w, &target, &["--overwrite", mode, "-v"]);
        common::assert_same_tree(&src, &at);
        assert_eq!(stats["replaced"], 3, "{mode}: {stats}");
        for name in ["dir", "file", "linked"] {
            let line = format!("replaced {}", at.join(name).display());
            assert!(err.lines().any(|l| l == line), "{mode}: {line} in\n{err}");
        }
    }
    assert_eq!(fs::read_to_string(&outside).unwrap(), "outside\n");
}

#[test]
fn delete_removes_what_the_snapshot_does_not_have_in_what_is_restored() {
    let w = World::new();
    let src = w.path("src");
    fs::create_dir_all(src.join("a")).unwrap();
    fs::create_dir_all(src.join("b")).unwrap();
    fs::write(src.join("a/keep"), "keep\n").unwrap();
    fs::write(src.join("b/keep"), "keep\n").unwrap();
    w.backup(&[src.to_str().unwrap()]);
    let target = w.path("t");
    restore(&w, &target, &[]);
    let at = landed(&target, &src);
    for d in ["a", "b"] {
        fs::write(at.join(d).join("stray"), "stray\n").unwrap();
        fs::create_dir_all(at.join(d).join("stray-dir/deeper")).unwrap();
    }

    // Only below what is restored.
    let a = src.join("a");
    let (stats, err) = restore(
        &w,
        &target,
        &["--delete", "-v", "--include", a.to_str().unwrap()],
    );
    assert_eq!(stats["deleted"], 2, "{stats}");
    assert!(!at.join("a/stray").exists() && !at.join("a/stray-dir").exists());
    assert!(at.join("b/stray").exists() && at.join("b/stray-dir/deeper").is_dir());
    assert!(at.join("a/keep").exists());
    let line = format!("deleted {}", at.join("a/stray-dir").display());
    assert!(err.lines().any(|l| l == line), "{line} in\n{err}");

    // What --exclude keeps out of the restore is left alone in the target, even where
    // the snapshot does not have it.
    fs::write(at.join("a/local.log"), "kept\n").unwrap();
    fs::write(at.join("a/stray"), "stray\n").unwrap();
    let (stats, _) = restore(
        &w,
        &target,
        &[
            "--delete",
            "--include",
            a.to_str().unwrap(),
            "--exclude",
            "*.log",
        ],
    );
    assert_eq!(stats["deleted"], 1, "{stats}");
    assert!(at.join("a/local.log").exists() && !at.join("a/stray").exists());
    fs::remove_file(at.join("a/local.log")).unwrap();

    // The whole snapshot: everything it does not have in what it backed up goes; the
    // directories above that list only the way down, and what is beside it stays.
    fs::write(at.join("top-stray"), "x").unwrap();
    fs::write(at.parent().unwrap().join("beside"), "x").unwrap();
    fs::write(target.join("beside"), "x").unwrap();
    let (stats, _) = restore(&w, &target, &["--delete"]);
    assert_eq!(stats["deleted"], 3, "{stats}");
    assert!(!at.join("top-stray").exists());
    assert!(at.parent().unwrap().join("beside").exists() && target.join("beside").exists());
    common::assert_same_tree(&src, &at);
}

/// Every path below `dir` with its type, content and mtime.
fn state(dir: &Path) -> Vec<(PathBuf, String, i64)> {
    let mut out = Vec::new();
    for e in fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        let m = fs::symlink_metadata(&p).unwrap();
        let body = if m.is_dir() {
            out.extend(state(&p));
            "dir".to_string()
        } else {
            fs::read_to_string(&p).unwrap_or_default()
        };
        out.push((p, body, m.mtime()));
    }
    out.sort();
    out
}

#[test]
fn dry_run_changes_nothing_and_says_what_would_be_done() {
    let a = altered();
    fs::write(a.at.join("stray"), "stray\n").unwrap();
    let before = state(&a.target);
    let args = ["--dry-run", "--delete", "--overwrite", "if-changed", "-v"];
    let (stats, err) = restore(&a.w, &a.target, &args);
    assert_eq!(state(&a.target), before);
    for line in [
        format!("would replace {}", a.at.join("changed").display()),
        format!("would replace {}", a.at.join("newer").display()),
        format!("would delete {}", a.at.join("stray").display()),
    ] {
        assert!(err.lines().any(|l| l == line), "{line} in\n{err}");
    }
    let same = format!("would replace {}", a.at.join("same").display());
    assert!(!err.lines().any(|l| l == same), "{err}");
    assert_eq!(
        (stats["replaced"].as_u64(), stats["deleted"].as_u64()),
        (Some(2), Some(1))
    );

    // The real run does what the dry run said.
    let (real, _) = restore(&a.w, &a.target, &args[1..]);
    for key in [
        "files",
        "replaced",
        "unchanged",
        "skipped",
        "deleted",
        "bytes",
    ] {
        assert_eq!(real[key], stats[key], "{key}");
    }
    assert!(!a.at.join("stray").exists());

    // Into a target that does not exist, nothing is created.
    let missing = a.w.path("missing");
    let (stats, _) = restore(&a.w, &missing, &["--dry-run"]);
    assert!(!missing.exists());
    assert_eq!(stats["files"], 3, "{stats}");
    drop(a.src);
}
