//! Restoring into a target someone else could have prepared: links planted there are
//! replaced, never followed or written through, and set-id bits come back only for root
//! or when asked for.

mod common;

use std::fs;
use std::os::unix::fs::{symlink, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use common::{assert_same_tree, World};

/// src/{a/one.txt, b/two.txt, top.txt}, with a directory mode and mtime to restore.
fn source(w: &World) -> PathBuf {
    let src = w.path("src");
    fs::create_dir_all(src.join("a")).unwrap();
    fs::create_dir_all(src.join("b")).unwrap();
    fs::write(src.join("a/one.txt"), "one\n").unwrap();
    fs::write(src.join("b/two.txt"), "two\n").unwrap();
    fs::write(src.join("top.txt"), "top\n").unwrap();
    fs::set_permissions(src.join("b"), fs::Permissions::from_mode(0o750)).unwrap();
    let old = filetime::FileTime::from_unix_time(1_500_000_000, 123_456_789);
    filetime::set_file_mtime(src.join("b"), old).unwrap();
    filetime::set_file_mtime(src.join("a"), old).unwrap();
    src
}

/// Where `src` lands below `target`.
fn landed(target: &Path, src: &Path) -> PathBuf {
    target.join(src.strip_prefix("/").unwrap())
}

/// A directory outside the target with one file in it, to show nothing reached it.
fn outside(w: &World) -> PathBuf {
    let out = w.path("outside");
    fs::create_dir_all(&out).unwrap();
    fs::write(out.join("victim.txt"), "outside\n").unwrap();
    out
}

fn assert_untouched(out: &Path) {
    let names: Vec<_> = fs::read_dir(out)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, ["victim.txt"], "something was written outside");
    assert_eq!(fs::read(out.join("victim.txt")).unwrap(), b"outside\n");
}

/// A backed-up source, a directory outside the target that must stay untouched, the
/// target, and where the source lands in it.
struct Planted {
    w: World,
    src: PathBuf,
    out: PathBuf,
    target: PathBuf,
    at: PathBuf,
}

fn planted() -> Planted {
    let w = World::new();
    let src = source(&w);
    w.backup(&[src.to_str().unwrap()]);
    let out = outside(&w);
    let target = w.path("t");
    let at = landed(&target, &src);
    Planted {
        w,
        src,
        out,
        target,
        at,
    }
}

fn restore(w: &World, target: &Path) {
    w.ok(&["restore", "latest", "--target", target.to_str().unwrap()]);
}

#[test]
fn planted_symlinks_are_replaced_not_followed() {
    let Planted {
        w,
        src,
        out,
        target,
        at,
    } = planted();
    fs::create_dir_all(&at).unwrap();
    // A directory of the snapshot, a file of it, and a file in a directory above it.
    symlink(&out, at.join("a")).unwrap();
    fs::create_dir_all(at.join("b")).unwrap();
    symlink(out.join("victim.txt"), at.join("b/two.txt")).unwrap();
    symlink(out.join("victim.txt"), at.join("top.txt")).unwrap();
    restore(&w, &target);
    assert_untouched(&out);
    assert_same_tree(&src, &at);

    // A link planted in place of the first directory below the target.
    let target = w.path("t2");
    fs::create_dir_all(&target).unwrap();
    let first = src.components().nth(1).unwrap();
    symlink(&out, target.join(first)).unwrap();
    restore(&w, &target);
    assert_untouched(&out);
    assert!(!fs::symlink_metadata(target.join(first))
        .unwrap()
        .is_symlink());
    assert_same_tree(&src, &landed(&target, &src));
}

#[test]
fn a_hard_link_in_the_target_is_replaced_not_written_into() {
    let Planted {
        w,
        src,
        out,
        target,
        at,
    } = planted();
    fs::create_dir_all(at.join("b")).unwrap();
    fs::hard_link(out.join("victim.txt"), at.join("b/two.txt")).unwrap();
    fs::hard_link(out.join("victim.txt"), at.join("top.txt")).unwrap();
    restore(&w, &target);
    assert_untouched(&out);
    assert_eq!(fs::metadata(out.join("victim.txt")).unwrap().nlink(), 1);
    assert_eq!(fs::metadata(at.join("b/two.txt")).unwrap().nlink(), 1);
    assert_same_tree(&src, &at);
}

#[test]
fn a_file_in_the_way_of_a_directory_is_replaced_and_directory_metadata_restored() {
    let w = World::new();
    let src = source(&w);
    // A read-only directory: its contents are written first, its mode set last.
    fs::create_dir(src.join("ro")).unwrap();
    fs::write(src.join("ro/inside.txt"), "inside\n").unwrap();
    fs::set_permissions(src.join("ro"), fs::Permissions::from_mode(0o555)).unwrap();
    w.backup(&[src.to_str().unwrap()]);
    let target = w.path("t");
    let at = landed(&target, &src);
    fs::create_dir_all(&at).unwrap();
    fs::write(at.join("a"), "a file where a directory goes").unwrap();
    restore(&w, &target);
    assert_same_tree(&src, &at);
    let b = fs::metadata(at.join("b")).unwrap();
    assert_eq!(b.mode() & 0o7777, 0o750);
    assert_eq!((b.mtime(), b.mtime_nsec()), (1_500_000_000, 123_456_789));
    // Over an earlier restore, read-only directory and all.
    restore(&w, &target);
    assert_same_tree(&src, &at);
}

#[test]
fn setid_bits_come_back_for_root_or_when_asked() {
    let w = World::new();
    let src = source(&w);
    fs::write(src.join("tool"), "#!/bin/sh\n").unwrap();
    fs::set_permissions(src.join("tool"), fs::Permissions::from_mode(0o4755)).unwrap();
    fs::set_permissions(src.join("a"), fs::Permissions::from_mode(0o2775)).unwrap();
    w.backup(&[src.to_str().unwrap()]);
    let mode = |p: PathBuf| fs::symlink_metadata(p).unwrap().mode() & 0o7777;
    let restore_as_user = |target: &Path, extra: &[&str]| {
        let mut args = vec!["restore", "latest", "--target", target.to_str().unwrap()];
        args.extend_from_slice(extra);
        let out = if common::is_root() {
            common::run_as_nobody(&w, &args)
        } else {
            w.run(&args)
        };
        common::assert_ok(&out, "restore as a user");
        String::from_utf8_lossy(&out.stderr).into_owned()
    };

    if common::is_root() {
        let target = w.path("as-root");
        restore(&w, &target);
        let at = landed(&target, &src);
        assert_eq!(mode(at.join("tool")), 0o4755);
        assert_eq!(mode(at.join("a")), 0o2775);
    }

    let target = w.path("as-user");
    let err = restore_as_user(&target, &[]);
    let at = landed(&target, &src);
    assert_eq!(mode(at.join("tool")), 0o755);
    assert_eq!(mode(at.join("a")), 0o775);
    assert_eq!(mode(at.join("b")), 0o750);
    assert!(
        err.contains("2 files or directories restored without their setuid/setgid bits"),
        "{err}"
    );

    let target = w.path("as-user-kept");
    let err = restore_as_user(&target, &["--keep-setuid"]);
    let at = landed(&target, &src);
    assert_eq!(mode(at.join("tool")), 0o4755);
    assert_eq!(mode(at.join("a")), 0o2775);
    assert!(!err.contains("setuid"), "{err}");
}
