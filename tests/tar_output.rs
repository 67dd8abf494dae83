//! `cairn dump SNAPSHOT DIR --archive tar` and `cairn restore SNAPSHOT --to-tar FILE|-`:
//! GNU tar reads the archive, and what it extracts is what `cairn restore` makes of the
//! same snapshot; a damaged pack stops the archive with an error, never a short one.

mod common;

use std::ffi::OsStr;
use std::fs;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{FileTypeExt, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use common::World;

/// A component of 150 bytes: a path holding it fits neither ustar field.
fn long_name() -> String {
    "n".repeat(150)
}

fn non_utf8() -> &'static OsStr {
    OsStr::from_bytes(b"caf\xe9.txt")
}

/// A tree with every kind of entry a tar archive holds, and one it does not (a socket).
fn tree(w: &World) -> PathBuf {
    let src = w.path("src");
    let deep = src.join("deep").join(long_name());
    fs::create_dir_all(&deep).unwrap();
    fs::write(deep.join("file.txt"), "far down\n").unwrap();
    fs::write(src.join("small.txt"), "hello\n").unwrap();
    fs::write(src.join("empty"), "").unwrap();
    fs::write(src.join("noise.bin"), common::noise(2_500_000, 7)).unwrap();
    fs::write(src.join(non_utf8()), "not utf-8\n").unwrap();
    fs::write(src.join("secret"), "mode 600\n").unwrap();
    fs::set_permissions(src.join("secret"), fs::Permissions::from_mode(0o600)).unwrap();
    fs::write(src.join("tool.sh"), "#!/bin/sh\n").unwrap();
    fs::set_permissions(src.join("tool.sh"), fs::Permissions::from_mode(0o755)).unwrap();
    fs::hard_link(src.join("small.txt"), src.join("deep/also-small.txt")).unwrap();
    std::os::unix::fs::symlink("small.txt", src.join("link")).unwrap();
    std::os::unix::fs::symlink(
        format!("deep/{}/file.txt", long_name()),
        src.join("far-link"),
    )
    .unwrap();
    std::os::unix::fs::symlink("/nowhere/at/all", src.join("dangling")).unwrap();
    fs::create_dir(src.join("empty-dir")).unwrap();
    fs::create_dir(src.join("private")).unwrap();
    fs::write(src.join("private/x"), "x\n").unwrap();
    let fifo = Command::new("mkfifo")
        .arg(src.join("fifo"))
        .status()
        .unwrap();
    assert!(fifo.success());
    let _socket = std::os::unix::net::UnixListener::bind(src.join("sock")).unwrap();
    if common::is_root() {
        fs::write(src.join("owned"), "someone else's\n").unwrap();
        std::os::unix::fs::chown(src.join("owned"), Some(1234), Some(5678)).unwrap();
    }
    // Times with nanoseconds, directories last (writing into one changes its mtime).
    let mut stamp = 1_600_000_000;
    let mut files: Vec<PathBuf> = Vec::new();
    let mut dirs: Vec<PathBuf> = vec![src.clone()];
    while let Some(d) = dirs.pop() {
        for e in fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            let m = fs::symlink_metadata(&p).unwrap();
            if m.is_dir() {
                dirs.push(p.clone());
            }
            if !m.file_type().is_symlink() && !m.file_type().is_socket() {
                files.push(p);
            }
        }
    }
    files.sort_by_key(|p| std::cmp::Reverse(p.components().count()));
    for p in files.iter().chain([&src]) {
        stamp += 1;
        let t = filetime::FileTime::from_unix_time(stamp, 123_456_789);
        filetime::set_symlink_file_times(p, t, t).unwrap();
    }
    fs::set_permissions(src.join("private"), fs::Permissions::from_mode(0o750)).unwrap();
    src
}

fn tar(args: &[&str], dir: &Path) -> std::process::Output {
    Command::new("tar")
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap()
}

/// Extracts `archive` into a new directory `into` with GNU tar, keeping modes.
fn extract(archive: &Path, into: &Path) {
    fs::create_dir_all(into).unwrap();
    let out = tar(&["-xpf", archive.to_str().unwrap()], into);
    common::assert_ok(&out, "tar -x");
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `cairn dump ... --archive tar` (or any command writing the archive to stdout) into
/// a file.
fn archive_to(w: &World, args: &[&str], file: &Path) -> std::process::Output {
    w.cmd()
        .args(args)
        .stdout(fs::File::create(file).unwrap())
        .stderr(Stdio::piped())
        .output()
        .unwrap()
}

fn rel(p: &Path) -> &Path {
    p.strip_prefix("/").unwrap()
}

#[test]
fn tar_extracts_to_the_tree_restore_makes() {
    let w = World::new();
    let src = tree(&w);
    let src_s = src.to_str().unwrap();
    w.backup(&[src_s]);

    let restored = w.path("restored");
    w.ok(&["restore", "latest", "--target", restored.to_str().unwrap()]);

    // The backed-up directory, with the directories above it.
    let dumped = w.path("dump.tar");
    let out = archive_to(&w, &["dump", "latest", src_s, "--archive", "tar"], &dumped);
    common::assert_ok(&out, "dump --archive tar");
    let from_dump = w.path("from-dump");
    extract(&dumped, &from_dump);
    common::assert_same_tree(&restored.join(rel(&src)), &from_dump.join(rel(&src)));

    // The whole snapshot, through a pipe.
    let piped = w.path("piped.tar");
    let out = archive_to(&w, &["restore", "latest", "--to-tar", "-"], &piped);
    common::assert_ok(&out, "restore --to-tar -");
    assert_eq!(
        fs::read(&piped).unwrap(),
        fs::read(&dumped).unwrap(),
        "the whole snapshot of one path and that path make the same archive"
    );
    // Into a file, with a summary that counts what went in.
    let file = w.path("file.tar");
    let out = w.run(&["restore", "latest", "--to-tar", file.to_str().unwrap()]);
    common::assert_ok(&out, "restore --to-tar FILE");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("1 hard link") && err.contains("1 special file"),
        "{err}"
    );
    assert!(err.contains("1 socket left out of the archive"), "{err}");
    let from_file = w.path("from-file");
    extract(&file, &from_file);
    common::assert_same_tree(&restored, &from_file);

    // What the tree-comparison does not see.
    let a = from_dump.join(rel(&src));
    assert_eq!(
        fs::metadata(a.join("small.txt")).unwrap().ino(),
        fs::metadata(a.join("deep/also-small.txt")).unwrap().ino(),
        "hard links stay links"
    );
    assert_eq!(fs::read(a.join(non_utf8())).unwrap(), b"not utf-8\n");
    assert_eq!(
        fs::read_to_string(a.join("far-link")).unwrap(),
        "far down\n",
        "a link target over 100 bytes"
    );
    assert!(fs::symlink_metadata(a.join("fifo"))
        .unwrap()
        .file_type()
        .is_fifo());
    assert!(!a.join("sock").exists());
    assert!(fs::read_dir(a.join("empty-dir")).unwrap().next().is_none());
    if common::is_root() {
        let m = fs::metadata(a.join("owned")).unwrap();
        assert_eq!((m.uid(), m.gid()), (1234, 5678));
    }

    // GNU tar lists the names as they were: the long path whole, the other name's bytes.
    let out = tar(
        &["--quoting-style=literal", "-tf", dumped.to_str().unwrap()],
        w.dir.path(),
    );
    common::assert_ok(&out, "tar -t");
    let list: Vec<&[u8]> = out.stdout.split(|&c| c == b'\n').collect();
    let long = format!("{}/deep/{}/file.txt", rel(&src).display(), long_name());
    assert!(long.len() > 155);
    assert!(
        list.contains(&long.as_bytes()),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let mut odd = rel(&src).as_os_str().as_bytes().to_vec();
    odd.extend_from_slice(b"/caf\xe9.txt");
    assert!(
        list.contains(&&odd[..]),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

#[test]
fn dump_of_a_directory_holds_it_and_the_directories_above_only() {
    let w = World::new();
    let src = tree(&w);
    w.backup(&[src.to_str().unwrap()]);
    let sub = src.join("private");
    let archive = w.path("private.tar");
    let out = archive_to(
        &w,
        &["dump", "latest", sub.to_str().unwrap(), "--archive", "tar"],
        &archive,
    );
    common::assert_ok(&out, "dump --archive tar");
    let listed = tar(&["-tf", archive.to_str().unwrap()], w.dir.path());
    common::assert_ok(&listed, "tar -t");
    let names: Vec<String> = String::from_utf8(listed.stdout)
        .unwrap()
        .lines()
        .map(String::from)
        .collect();
    let mut want: Vec<String> = Vec::new();
    let mut at = PathBuf::new();
    for c in rel(&sub).components() {
        at.push(c);
        want.push(format!("{}/", at.display()));
    }
    want.push(format!("{}/x", rel(&sub).display()));
    assert_eq!(names, want);

    // A directory without --archive says how to get one.
    let err = w.fails(&["dump", "latest", sub.to_str().unwrap()], 1);
    assert!(err.contains("--archive tar"), "{err}");
    // --json would share standard output with the archive.
    let err = w.fails(&["--json", "restore", "latest", "--to-tar", "-"], 2);
    assert!(err.contains("--to-tar"), "{err}");
    let err = w.fails(
        &["restore", "latest", "--to-tar", "x.tar", "--target", "d"],
        2,
    );
    assert!(err.contains("cannot be used with"), "{err}");
}

#[test]
fn a_damaged_pack_fails_the_archive_naming_the_pack_and_file() {
    let w = World::new();
    let src = tree(&w);
    w.backup(&[src.to_str().unwrap()]);
    w.damage_biggest_pack();
    let pack = w
        .biggest_pack()
        .file_name()
        .unwrap()
        .to_string_lossy()
        .into_owned();

    let archive = w.path("broken.tar");
    let out = archive_to(
        &w,
        &["dump", "latest", src.to_str().unwrap(), "--archive", "tar"],
        &archive,
    );
    let line = common::error_line(&out, "dump of a damaged snapshot");
    assert!(line.contains(&pack), "{line}");
    // The file whose data failed (the first written of those in the pack).
    assert!(line.contains(&format!("{}/", src.display())), "{line}");
    assert!(
        line.contains("tar archive on standard output is incomplete"),
        "{line}"
    );
    // What was written cannot pass for a whole archive.
    let listed = tar(&["-tf", archive.to_str().unwrap()], w.dir.path());
    assert!(!listed.status.success(), "tar -t accepted the cut archive");

    let file = w.path("broken2.tar");
    let out = w.run(&["restore", "latest", "--to-tar", file.to_str().unwrap()]);
    let line = common::error_line(&out, "restore --to-tar of a damaged snapshot");
    assert!(line.contains(&pack) && line.contains("removed"), "{line}");
    assert!(!file.exists(), "the incomplete archive was left behind");
}
