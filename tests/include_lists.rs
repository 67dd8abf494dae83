//! Include lists: `cairn backup --files-from FILE` / `--files-from0 FILE`, and a
//! profile's `include_file` next to its `exclude_file`.

mod common;

use std::ffi::OsStr;
use std::fs;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use common::profiles::{cmd, write_profile};
use common::World;

/// What the latest snapshot holds, as `cairn ls` prints it.
fn listing(w: &World) -> Vec<String> {
    w.ok(&["ls", "latest"]).lines().map(String::from).collect()
}

/// Four directories, each with a file to keep and one an exclude pattern leaves out.
fn tree(w: &World) -> PathBuf {
    let src = w.path("data");
    for d in ["a", "b", "c", "odd"] {
        fs::create_dir_all(src.join(d)).unwrap();
        fs::write(src.join(d).join("keep.txt"), d).unwrap();
        fs::write(src.join(d).join("skip.tmp"), d).unwrap();
    }
    src
}

fn has(list: &[String], p: &Path) -> bool {
    list.iter().any(|l| l == &p.display().to_string())
}

/// The latest snapshot holds the directories `a` and `b` of `src` without their `.tmp`
/// files, and not `c`.
fn holds_a_and_b_less_tmp(w: &World, src: &Path) {
    let got = listing(w);
    for (path, held) in [
        ("a/keep.txt", true),
        ("b/keep.txt", true),
        ("c", false),
        ("a/skip.tmp", false),
        ("b/skip.tmp", false),
    ] {
        assert_eq!(has(&got, &src.join(path)), held, "{path} in {got:?}");
    }
}

#[test]
fn files_from_lists_paths_with_comments_relative_paths_and_nul_separation() {
    let w = World::new();
    let src = tree(&w);
    let list = w.path("list.txt");
    fs::write(
        &list,
        format!(
            "# what the VM script backed up\n{}\n\n   # indented comment\n./data/b\r\n",
            src.join("a").display()
        ),
    )
    .unwrap();
    // Relative lines are relative to the working directory, not to the list.
    let out = w
        .cmd()
        .current_dir(w.dir.path())
        .args(["backup", "--files-from"])
        .arg(&list)
        .args(["--exclude", "*.tmp"])
        .output()
        .unwrap();
    common::assert_ok(&out, "backup --files-from");
    holds_a_and_b_less_tmp(&w, &src);
    let snap = &w.snapshots()[0];
    let paths: Vec<&str> = snap["paths"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap())
        .collect();
    let want = [src.join("a"), src.join("b")];
    assert_eq!(
        paths,
        want.iter().map(|p| p.to_str().unwrap()).collect::<Vec<_>>()
    );

    // NUL-separated on standard input: a name with a newline in it, and one that is
    // not UTF-8, next to a path given as an argument.
    let newline = src.join("odd/two\nlines");
    fs::write(&newline, "x").unwrap();
    let latin1 = src.join(OsStr::from_bytes(b"odd/caf\xe9"));
    fs::write(&latin1, "y").unwrap();
    let mut input = Vec::new();
    for p in [&newline, &latin1] {
        input.extend_from_slice(p.as_os_str().as_bytes());
        input.push(0);
    }
    let c = src.join("c");
    w.ok_stdin(
        &["backup", "--files-from0", "-", c.to_str().unwrap()],
        &input,
    );
    let got = listing(&w);
    assert!(has(&got, &c.join("keep.txt")), "{got:?}");
    assert!(!has(&got, &src.join("odd/keep.txt")), "{got:?}");
    let restored = w.path("restored");
    w.ok(&["restore", "latest", "--target", restored.to_str().unwrap()]);
    let back = |p: &Path| fs::read(restored.join(p.strip_prefix("/").unwrap())).unwrap();
    assert_eq!(back(&newline), b"x");
    assert_eq!(back(&latin1), b"y");
}

#[test]
fn a_missing_listed_path_fails_like_a_missing_argument() {
    let w = World::new();
    let src = tree(&w);
    let gone = src.join("gone");
    let list = w.path("list.txt");
    fs::write(
        &list,
        format!("{}\n{}\n", src.join("a").display(), gone.display()),
    )
    .unwrap();
    let listed = w.fails(&["backup", "--files-from", list.to_str().unwrap()], 1);
    let given = w.fails(
        &[
            "backup",
            src.join("a").to_str().unwrap(),
            gone.to_str().unwrap(),
        ],
        1,
    );
    let last = |s: &str| s.lines().last().unwrap_or_default().to_string();
    assert_eq!(last(&listed), last(&given));
    assert!(
        last(&listed).contains(&format!("backup source {}", gone.display())),
        "{listed}"
    );
    assert!(w.snapshots().is_empty());

    // A list that names nothing is not an empty backup.
    fs::write(&list, "# nothing yet\n\n").unwrap();
    let err = w.fails(&["backup", "--files-from", list.to_str().unwrap()], 1);
    assert!(err.contains("the list names no path"), "{err}");
    let err = w.fails(&["backup", "--files-from", "no-such-list"], 1);
    assert!(err.contains("--files-from no-such-list"), "{err}");
}

#[test]
fn a_profile_backs_up_its_include_file_less_its_exclude_file() {
    let w = World::new();
    let src = tree(&w);
    let profiles = common::profiles::profiles(&w);
    fs::write(
        profiles.join("vm.list"),
        format!(
            "# rsync include list of the old script\n{}\n{}\n",
            src.join("a").display(),
            src.join("b").display()
        ),
    )
    .unwrap();
    fs::write(profiles.join("vm.exclude"), "# scratch\n*.tmp\n").unwrap();
    write_profile(
        &w,
        "vm",
        "[source]\ninclude_file = \"vm.list\"\nexclude_file = [\"vm.exclude\"]\n",
    );
    let out = cmd(&w, &["run", "vm"]).output().unwrap();
    common::assert_ok(&out, "cairn run vm");
    holds_a_and_b_less_tmp(&w, &src);

    // A relative line is refused with its file and line, by `profile check` too.
    fs::write(profiles.join("vm.list"), "/srv\ndata/c\n").unwrap();
    let out = cmd(&w, &["profile", "check", "vm"]).output().unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{text}");
    assert!(
        text.contains("vm.list, line 2: path data/c must be absolute"),
        "{text}"
    );
}
