//! Correctness at scale, at sizes that fit CI: a tree of 50k files, a backup of more
//! blobs than one index file holds, a directory of 200k entries, a 50 GB sparse file, a path longer than PATH_MAX, names that are not
//! UTF-8 and a tree 1000 levels deep each back up and restore identically.
//!
//! Trees that no path can reach (beyond PATH_MAX) are made and compared relative to
//! directory descriptors (`at` below). Each test prints how long its steps took.

mod common;

use std::ffi::{OsStr, OsString};
use std::fs::{self, File};
use std::io::Read;
use std::os::fd::OwnedFd;
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::os::unix::fs::{FileExt, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::Instant;

use common::World;

/// Where `src` lands below `target`.
fn landed(target: &Path, src: &Path) -> PathBuf {
    target.join(src.strip_prefix("/").unwrap())
}

/// Removes the world with `rm -rf`, which walks any depth (the temporary directory's
/// own removal recurses per level on the test thread's small stack).
fn remove(w: World) {
    let st = std::process::Command::new("rm")
        .arg("-rf")
        .arg(w.dir.path())
        .status()
        .unwrap();
    assert!(st.success());
}

/// Runs `f`, printing how long it took.
fn timed<T>(what: &str, f: impl FnOnce() -> T) -> T {
    let t = Instant::now();
    let r = f();
    eprintln!("{what}: {:.1}s", t.elapsed().as_secs_f64());
    r
}

/// `cairn --json restore latest --target T`'s stats.
fn restore(w: &World, target: &Path) -> serde_json::Value {
    w.json(&["restore", "latest", "--target", target.to_str().unwrap()])["stats"].clone()
}

/// Runs cairn under `/usr/bin/time`: its stdout and its peak resident set in bytes.
fn with_peak_rss(w: &World, args: &[&str]) -> (String, u64) {
    let report = w.path("time.out");
    let plain = w.cmd();
    let mut timed = std::process::Command::new("/usr/bin/time");
    timed
        .args(["-f", "%M", "-o", report.to_str().unwrap()])
        .arg(plain.get_program())
        .args(args);
    for (k, v) in plain.get_envs() {
        match v {
            Some(v) => timed.env(k, v),
            None => timed.env_remove(k),
        };
    }
    let out = timed
        .output()
        .expect("/usr/bin/time (Debian package `time`)");
    common::assert_ok(&out, &format!("cairn {args:?}"));
    let kib: u64 = fs::read_to_string(&report).unwrap().trim().parse().unwrap();
    (String::from_utf8(out.stdout).unwrap(), kib * 1024)
}

/// Making and comparing trees through directory descriptors, by name, so that depth
/// and path length do not matter.
mod at {
    use super::*;
    use rustix::fs::{self as rfs, AtFlags, FileType, Mode, OFlags};

    pub fn open(path: &Path) -> OwnedFd {
        let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC;
        rfs::open(path, flags, Mode::empty()).unwrap()
    }

    /// Creates the directory `name` in `dir` and opens it.
    pub fn mkdir(dir: &OwnedFd, name: &[u8]) -> OwnedFd {
        let name = OsStr::from_bytes(name);
        rfs::mkdirat(dir, name, Mode::from_raw_mode(0o755)).unwrap();
        sub(dir, name)
    }

    fn sub(dir: &OwnedFd, name: &OsStr) -> OwnedFd {
        let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
        rfs::openat(dir, name, flags, Mode::empty()).unwrap()
    }

    pub fn write(dir: &OwnedFd, name: &[u8], data: &[u8], mode: u32) {
        let flags = OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::CLOEXEC;
        let fd = rfs::openat(
            dir,
            OsStr::from_bytes(name),
            flags,
            Mode::from_raw_mode(mode),
        );
        let f = File::from(fd.unwrap());
        f.write_all_at(data, 0).unwrap();
        f.set_permissions(fs::Permissions::from_mode(mode)).unwrap();
    }

    pub fn symlink(dir: &OwnedFd, name: &[u8], target: &[u8]) {
        let (name, target) = (OsStr::from_bytes(name), OsStr::from_bytes(target));
        rfs::symlinkat(target, dir, name).unwrap();
    }

    fn names(dir: &OwnedFd) -> Vec<OsString> {
        let mut out: Vec<OsString> = rfs::Dir::read_from(dir)
            .unwrap()
            .map(|e| OsString::from_vec(e.unwrap().file_name().to_bytes().to_vec()))
            .filter(|n| n != "." && n != "..")
            .collect();
        out.sort();
        out
    }

    fn read(dir: &OwnedFd, name: &OsStr) -> Vec<u8> {
        let flags = OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
        let mut out = Vec::new();
        File::from(rfs::openat(dir, name, flags, Mode::empty()).unwrap())
            .read_to_end(&mut out)
            .unwrap();
        out
    }

    /// Same names, types, contents, link targets, modes and mtimes below `a` and
    /// `b`; `shown` names where for a failure. Returns the number of entries.
    pub fn assert_same(a: &OwnedFd, b: &OwnedFd, shown: &str) -> usize {
        let names = names(a);
        assert_eq!(names, self::names(b), "entries of {shown}");
        let mut count = names.len();
        for n in &names {
            let here = format!("{shown}/{}", String::from_utf8_lossy(n.as_bytes()));
            let stat = |d| rfs::statat(d, n, AtFlags::SYMLINK_NOFOLLOW).unwrap();
            let (sa, sb) = (stat(a), stat(b));
            let kind = FileType::from_raw_mode(sa.st_mode);
            assert_eq!(kind, FileType::from_raw_mode(sb.st_mode), "type of {here}");
            if kind == FileType::Symlink {
                let link = |d| rfs::readlinkat(d, n, Vec::new()).unwrap();
                assert_eq!(link(a), link(b), "target of {here}");
                continue;
            }
            assert_eq!(sa.st_mode, sb.st_mode, "mode of {here}");
            let mtime = |s: &rfs::Stat| (s.st_mtime, s.st_mtime_nsec);
            assert_eq!(mtime(&sa), mtime(&sb), "mtime of {here}");
            if kind == FileType::Directory {
                count += assert_same(&sub(a, n), &sub(b, n), &here);
            } else {
                assert!(read(a, n) == read(b, n), "content of {here}");
            }
        }
        count
    }
}

/// Compares with `at::assert_same` on a thread with room for deep recursion (a test
/// thread has 2 MiB).
fn assert_same_at(a: &Path, b: &Path) -> usize {
    let (a, b) = (at::open(a), at::open(b));
    std::thread::Builder::new()
        .stack_size(256 << 20)
        .spawn(move || at::assert_same(&a, &b, "."))
        .unwrap()
        .join()
        .unwrap()
}

/// 50 top directories of 10 subdirectories of 100 files: sizes from empty to ~4 KiB,
/// modes 0600/0644/0755, a symlink per subdirectory and hard links across them.
fn fifty_thousand(root: &Path) -> usize {
    let mut files = 0;
    for top in 0..50 {
        for sub in 0..10 {
            let d = root.join(format!("t{top:02}/s{sub}"));
            fs::create_dir_all(&d).unwrap();
            for f in 0..100 {
                let i = (top * 10 + sub) * 100 + f;
                let mut body = format!("file {i}\n").into_bytes();
                let size = body.len().max((i * 7919) % 4000);
                body.resize(size, b'a' + (i % 26) as u8);
                if i % 9 == 0 {
                    body.clear();
                }
                let p = d.join(format!("f{f:03}.dat"));
                fs::write(&p, &body).unwrap();
                let mode = [0o600, 0o644, 0o755][i % 3];
                fs::set_permissions(&p, fs::Permissions::from_mode(mode)).unwrap();
                files += 1;
            }
            std::os::unix::fs::symlink("f000.dat", d.join("link")).unwrap();
        }
        fs::hard_link(
            root.join(format!("t{top:02}/s0/f001.dat")),
            root.join(format!("t{top:02}/s9/hard.dat")),
        )
        .unwrap();
        files += 1;
    }
    files
}

#[test]
fn fifty_thousand_files_back_up_once_then_from_the_files_cache_and_restore_identically() {
    let w = World::new();
    let src = w.path("src");
    let files = timed("50k: make tree", || fifty_thousand(&src)) as u64;
    let arg = src.to_str().unwrap();
    let first = timed("50k: first backup", || w.backup(&[arg]))["stats"].clone();
    assert_eq!(first["files_new"], files, "{first}");
    assert_eq!(first["errors"], 0);

    let again = timed("50k: unchanged re-run", || w.backup(&[arg]))["stats"].clone();
    assert_eq!(again["files_unchanged"], files, "{again}");
    assert_eq!(again["files_new"], 0);
    assert_eq!(again["files_changed"], 0);
    assert_eq!(again["bytes_read"], 0, "the files cache spared every read");
    // Nothing below the source is new; the directories above it (the system's temp
    // directory among them) may have changed mtimes, and each costs a tree.
    let above = src.components().count() as u64;
    assert!(again["blobs_added"].as_u64().unwrap() <= above, "{again}");

    let changed = src.join("t17/s3/f042.dat");
    fs::write(&changed, "a new version\n").unwrap();
    let third = timed("50k: one file changed", || w.backup(&[arg]))["stats"].clone();
    assert_eq!(third["files_changed"], 1, "{third}");
    assert_eq!(third["files_unchanged"], files - 1);
    assert_eq!(third["bytes_read"], 14);

    let target = w.path("target");
    let stats = timed("50k: restore", || restore(&w, &target));
    // Every further name of a hard link group is counted as a link.
    assert_eq!(stats["files"], files - 50, "{stats}");
    assert_eq!(stats["hardlinks"], 50);
    let back = landed(&target, &src);
    timed("50k: compare", || common::assert_same_tree(&src, &back));
    for top in [0, 49] {
        let ino = |p: PathBuf| fs::metadata(p).unwrap().ino();
        let first = back.join(format!("t{top:02}/s0/f001.dat"));
        assert_eq!(ino(first), ino(back.join(format!("t{top:02}/s9/hard.dat"))));
    }
}

/// More blobs than one index file holds (100,000): the backup writes two index files and
/// the cache learns the blobs of both (in one pass), so the same files under another
/// name are read again but none is stored again: only the trees above them are new.
#[test]
fn a_backup_of_more_blobs_than_an_index_file_holds_indexes_every_one() {
    let w = World::new();
    let src = w.path("many");
    timed("110k: make tree", || {
        for d in 0..2 {
            let dir = src.join(format!("d{d}"));
            fs::create_dir_all(&dir).unwrap();
            for i in 0..55_000 {
                fs::write(dir.join(format!("{i}")), format!("file {i} of {d}\n")).unwrap();
            }
        }
    });
    let first = timed("110k: backup", || w.backup(&[src.to_str().unwrap()]));
    assert_eq!(first["stats"]["files_new"], 110_000, "{first}");
    assert_eq!(w.objects("index").len(), 2, "one backup, two index files");

    let moved = w.path("moved");
    fs::rename(&src, &moved).unwrap();
    let again = timed("110k: moved", || w.backup(&[moved.to_str().unwrap()]))["stats"].clone();
    assert_eq!(again["files_new"], 110_000, "another path: {again}");
    assert!(again["bytes_read"].as_u64().unwrap() > 1_000_000, "{again}");
    let above = moved.components().count() as u64;
    assert!(again["blobs_added"].as_u64().unwrap() <= above, "{again}");
    w.ok(&["check", "--read-data"]);

    // The second index object fails to store: no snapshot, and the cache learns
    // nothing of that run at once. The next backup finds the first index object in
    // storage and deduplicates against it: only the blobs of the second (and trees)
    // are stored again.
    let other = World::new();
    let path = moved.to_str().unwrap();
    let faults = "put@index/:2:permanent";
    let out = other.with_faults(faults, &["backup", path]);
    let last = common::error_line(&out, faults);
    assert!(
        last.contains("index/") && last.contains("injected"),
        "{last}"
    );
    assert!(other.snapshots().is_empty());
    assert_eq!(other.objects("index").len(), 1);
    let next = timed("110k: after a failed index", || other.backup(&[path]))["stats"].clone();
    // The files cache of the failed run names both halves; those whose blobs the
    // first index names are unchanged, the others read and stored again.
    let added = next["blobs_added"].as_u64().unwrap();
    let unchanged = next["files_unchanged"].as_u64().unwrap();
    assert!(unchanged >= 1_000 && added >= 1_000, "{next}");
    assert!(added <= 110_000 - unchanged + above, "{next}");
    other.ok(&["check", "--read-data"]);
}

#[test]
fn a_directory_of_200k_entries_round_trips_in_bounded_memory() {
    let w = World::new();
    let src = w.path("wide");
    fs::create_dir(&src).unwrap();
    let entries = 200_000;
    timed("200k: make directory", || {
        for i in 0..entries {
            let name = src.join(format!("entry-{i:06}-of-a-rather-wide-directory"));
            match i % 50 {
                0 => fs::create_dir(&name).unwrap(),
                1 => std::os::unix::fs::symlink("entry-000000", &name).unwrap(),
                2 => fs::write(&name, format!("{i}")).unwrap(),
                _ => drop(File::create(&name).unwrap()),
            }
        }
    });
    let arg = src.to_str().unwrap();
    let (out, backup_rss) = timed("200k: backup", || {
        with_peak_rss(&w, &["--json", "backup", arg])
    });
    let stats: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(stats["stats"]["errors"], 0, "{stats}");
    let target = w.path("target");
    let targ = target.to_str().unwrap();
    let (_, restore_rss) = timed("200k: restore", || {
        with_peak_rss(&w, &["restore", "latest", "--target", targ])
    });
    eprintln!(
        "200k: peak RSS backup {} MB, restore {} MB",
        backup_rss >> 20,
        restore_rss >> 20
    );
    // The directory is one tree of 200k nodes: 26 MB of JSON, about twice that as
    // nodes in memory, beside the listing's names and a files-cache row per entry.
    // Measured (debug build, 2026-12-04): backup 149 MB, restore 102 MB at peak.
    // 300 MB leaves room for allocators and builds to differ; a walk or a restore
    // that kept the directory a few more times over (a copy per stage, per thread)
    // would not fit.
    for (what, rss) in [("backup", backup_rss), ("restore", restore_rss)] {
        assert!(rss < 300 << 20, "{what} peaked at {} MB", rss >> 20);
    }
    let n = timed("200k: compare", || {
        assert_same_at(&src, &landed(&target, &src))
    });
    assert_eq!(n, entries);
}

/// The data segments of `f` (what `SEEK_DATA`/`SEEK_HOLE` report): all else reads as
/// zeros.
fn data_segments(f: &File) -> Vec<(u64, u64)> {
    use rustix::fs::{seek, SeekFrom};
    let (mut out, mut pos) = (Vec::new(), 0);
    while let Ok(start) = seek(f, SeekFrom::Data(pos)) {
        let end = seek(f, SeekFrom::Hole(start)).unwrap();
        out.push((start, end));
        pos = end;
    }
    out
}

/// Whether two files read the same, without reading their holes: the same size, and
/// the same bytes wherever either has data (elsewhere both read as zeros).
fn assert_same_sparse(a: &Path, b: &Path) {
    let (fa, fb) = (File::open(a).unwrap(), File::open(b).unwrap());
    assert_eq!(fa.metadata().unwrap().len(), fb.metadata().unwrap().len());
    let segments = [data_segments(&fa), data_segments(&fb)].concat();
    assert!(!segments.is_empty());
    for (start, end) in segments {
        let mut buf = [0u8; 1 << 16];
        let mut at = start;
        while at < end {
            let n = buf.len().min((end - at) as usize);
            let mut other = vec![0u8; n];
            fa.read_exact_at(&mut buf[..n], at).unwrap();
            fb.read_exact_at(&mut other, at).unwrap();
            assert!(buf[..n] == other[..], "bytes at {at} of {}", b.display());
            at += n as u64;
        }
    }
}

#[test]
fn a_50_gb_sparse_file_backs_up_to_a_few_chunks_and_restores_sparse() {
    let w = World::new();
    let src = w.path("sparse");
    fs::create_dir(&src).unwrap();
    let big = src.join("disk.img");
    let size: u64 = 50 << 30;
    let f = File::create(&big).unwrap();
    f.set_len(size).unwrap();
    let marks = [0, (1 << 30) + 123, 25 << 30, size - 5];
    for (i, at) in marks.iter().enumerate() {
        f.write_all_at(format!("mark{i}").as_bytes(), *at).unwrap();
    }
    // A small one, dumped as a stream below: there the holes must come out as zeros.
    let small = src.join("small.img");
    let s = File::create(&small).unwrap();
    s.set_len(40 << 20).unwrap();
    s.write_all_at(b"in the middle", 17 << 20).unwrap();
    drop((f, s));

    let arg = src.to_str().unwrap();
    let stats = timed("sparse: backup", || w.backup(&[arg]))["stats"].clone();
    assert_eq!(stats["total_bytes"], size + (40 << 20), "{stats}");
    // The zeros are one chunk repeated; the marks add a few more.
    assert!(stats["blobs_added"].as_u64().unwrap() < 20, "{stats}");
    assert!(stats["bytes_stored"].as_u64().unwrap() < 1 << 20, "{stats}");

    // Restored over a file that is there already, dense and of another size.
    let target = w.path("target");
    let back = landed(&target, &src);
    fs::create_dir_all(&back).unwrap();
    fs::write(back.join("disk.img"), vec![0xffu8; 3 << 20]).unwrap();
    timed("sparse: restore", || restore(&w, &target));
    for name in ["disk.img", "small.img"] {
        let restored = back.join(name);
        let blocks = fs::metadata(&restored).unwrap().blocks();
        assert!(blocks * 512 < 1 << 20, "{name}: {blocks} blocks allocated");
        timed("sparse: compare", || {
            assert_same_sparse(&src.join(name), &restored)
        });
    }

    let dumped = timed("sparse: dump 40 MiB", || {
        w.cmd()
            .args(["dump", "latest", small.to_str().unwrap()])
            .output()
            .unwrap()
    });
    common::assert_ok(&dumped, "dump");
    assert!(dumped.stdout == fs::read(&small).unwrap());
}

/// A chain of directories named `names`, from `root`, with `leaf` in the last one.
fn chain(root: &Path, names: impl Iterator<Item = Vec<u8>>, each: impl Fn(&OwnedFd, usize)) {
    fs::create_dir_all(root).unwrap();
    let mut dir = at::open(root);
    for (i, name) in names.enumerate() {
        each(&dir, i);
        dir = at::mkdir(&dir, &name);
    }
    at::write(&dir, b"leaf", b"at the bottom", 0o640);
}

#[test]
fn a_path_of_more_than_4096_bytes_backs_up_and_restores() {
    let w = World::new();
    let src = w.path("long");
    // 17 names of 255 bytes: 4352 bytes below the source, more with the source's.
    let names = (0..17u8).map(|i| {
        let mut n = vec![b'a' + i; 255];
        n[0] = b'0' + i % 10;
        n
    });
    chain(&src, names, |dir, i| {
        if i % 8 == 0 {
            at::write(dir, &[b'f'; 255], format!("level {i}").as_bytes(), 0o600);
            at::symlink(dir, b"up", b"..");
        }
    });
    let arg = src.to_str().unwrap();
    let stats = timed("long path: backup", || w.backup(&[arg]))["stats"].clone();
    assert_eq!(
        (stats["errors"].clone(), stats["files_new"].clone()),
        (0.into(), 4.into())
    );
    let target = w.path("target");
    let restored = timed("long path: restore", || restore(&w, &target));
    assert_eq!(restored["files"], 4, "{restored}");
    let n = assert_same_at(&src, &landed(&target, &src));
    assert_eq!(n, 17 + 3 * 2 + 1);
    // And the listing reaches the bottom.
    let listing = w.ok(&["ls", "latest"]);
    assert!(listing
        .lines()
        .any(|l| l.ends_with("/leaf") && l.len() > 4096));
}

#[test]
fn names_that_are_not_utf8_round_trip_and_are_listed_escaped() {
    let w = World::new();
    let src = w.path("names");
    fs::create_dir(&src).unwrap();
    let names: [&[u8]; 7] = [
        b"caf\xe9",
        b"line\nbreak",
        b"back\\slash",
        b"tab\there",
        "ünïcödé".as_bytes(),
        b"\xff\xfe",
        b"\x1b[31mred",
    ];
    let root = at::open(&src);
    for n in names {
        at::write(&root, n, n, 0o644);
    }
    let dir = at::mkdir(&root, b"dir\xe9\n");
    at::write(&dir, b"inner", b"x", 0o600);
    at::symlink(&root, b"link", b"caf\xe9");
    drop((dir, root));

    let arg = src.to_str().unwrap();
    let first = w.backup(&[arg]);
    let target = w.path("target");
    restore(&w, &target);
    assert_eq!(
        assert_same_at(&src, &landed(&target, &src)),
        names.len() + 3
    );

    // One line per entry, each name in one form that says which bytes it has.
    let listing = w.ok(&["ls", "latest", arg]);
    let lines: Vec<&str> = listing.lines().collect();
    assert_eq!(lines.len(), 1 + names.len() + 3, "{listing}");
    for shown in [
        "/caf\\xe9",
        "/line\\nbreak",
        "/back\\\\slash",
        "/tab\\there",
        "/ünïcödé",
        "/\\xff\\xfe",
        "/\\x1b[31mred",
        "/dir\\xe9\\n/inner",
    ] {
        assert!(
            lines.iter().any(|l| l.ends_with(shown)),
            "{shown} in\n{listing}"
        );
    }
    let long = w.ok(&["ls", "-l", "latest", arg]);
    assert!(long.contains("/link -> caf\\xe9"), "{long}");

    // `diff` names a new entry the same way.
    at::write(&at::open(&src), b"new\xe9\n", b"", 0o644);
    let second = w.backup(&[arg]);
    let id = |j: &serde_json::Value| j["id"].as_str().unwrap()[..8].to_string();
    let diff = w.ok(&["diff", &id(&first), &id(&second)]);
    assert!(diff.contains(&format!("+ {arg}/new\\xe9\\n\n")), "{diff}");
}

#[test]
fn a_tree_1000_levels_deep_backs_up_and_restores() {
    let w = World::new();
    let src = w.path("deep");
    // A file beside every directory: the walk then splits each level in two, as a
    // real tree does, and recurses on rayon's threads as well as the command's.
    chain(&src, (0..1000).map(|_| b"d".to_vec()), |dir, i| {
        at::write(dir, b"f", format!("{i}").as_bytes(), 0o644);
    });
    let arg = src.to_str().unwrap();
    let stats = timed("deep: backup", || w.backup(&[arg]))["stats"].clone();
    assert_eq!(stats["files_new"], 1001, "{stats}");
    assert_eq!(stats["errors"], 0);
    let target = w.path("target");
    let restored = timed("deep: restore", || restore(&w, &target));
    assert_eq!(restored["files"], 1001, "{restored}");
    let n = timed("deep: compare", || {
        assert_same_at(&src, &landed(&target, &src))
    });
    assert_eq!(n, 2001);
    remove(w);
}

#[test]
fn a_tree_deeper_than_the_limit_is_cut_there_with_one_warning() {
    let w = World::new();
    let src = w.path("deeper");
    chain(&src, (0..10_050).map(|_| b"d".to_vec()), |_, _| {});
    let arg = src.to_str().unwrap();
    let out = timed("too deep: backup", || w.run(&["backup", arg]));
    // The path in the warning is 20 kB long: messages show its ends.
    let err: Vec<String> = String::from_utf8_lossy(&out.stderr)
        .lines()
        .map(|l| match l.len() > 200 {
            true => format!("{} … {}", &l[..80], &l[l.len() - 100..]),
            false => l.to_string(),
        })
        .collect();
    assert_eq!(out.status.code(), Some(3), "{err:#?}");
    let warnings: Vec<&String> = err
        .iter()
        .filter(|l| l.starts_with("cairn: warning"))
        .collect();
    assert_eq!(warnings.len(), 1, "{err:#?}");
    let deep = "/d: directory nested 10000 levels deep, beyond 10000: its contents (not backed up)";
    assert!(warnings[0].ends_with(deep), "{err:#?}");
    remove(w);
}
