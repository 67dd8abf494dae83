use super::*;
use std::path::PathBuf;

// The table is shared with the CLI tests; its reader lives with them.
#[path = "../../tests/common/pattern_cases.rs"]
mod pattern_cases;
use pattern_cases::cases;

fn set(patterns: &[&str]) -> PatternSet {
    PatternSet::new(&PatternSpec::all(patterns, false), "exclude pattern").unwrap()
}

#[test]
fn the_documented_table() {
    let cases = cases();
    assert!(cases.len() > 40, "the table is read");
    for c in cases {
        let s = PatternSet::new(&PatternSpec::all(&c.patterns, c.ignore_case), "pattern").unwrap();
        assert_eq!(
            s.matches(Path::new(&c.path)),
            c.matches,
            "cases.txt line {}: {:?} on {}",
            c.line,
            c.patterns,
            c.path
        );
    }
}

/// What a backup's walk decides for `path`: each directory from the top is tested with
/// `matches_entry` and, once one matches, nothing below it is looked at.
fn walk_decides(s: &PatternSet, path: &str) -> bool {
    let mut at = PathBuf::from("/");
    Path::new(path).components().skip(1).any(|c| {
        at.push(c);
        s.matches_entry(&at)
    })
}

#[test]
fn a_walk_decides_as_the_whole_path_does() {
    let mut sets: Vec<(PatternSet, &str)> = Vec::new();
    for c in cases() {
        let specs = PatternSpec::all(&c.patterns, c.ignore_case);
        sets.push((PatternSet::new(&specs, "pattern").unwrap(), "table"));
    }
    sets.push((set(&["/"]), "root"));
    sets.push((set(&["dir/*", "!dir/keep"]), "negation"));
    sets.push((set(&["a/**/b/c", "x/*/y"]), "depths"));
    let paths = cases().into_iter().map(|c| c.path).chain(
        [
            "/a/b/c",
            "/q/a/z/b/c/d",
            "/x/1/y/2",
            "/dir/keep",
            "/n/dir/x",
            "/x/y",
        ]
        .map(String::from),
    );
    let paths: Vec<String> = paths.collect();
    for (s, what) in &sets {
        for p in &paths {
            assert_eq!(walk_decides(s, p), s.matches(Path::new(p)), "{what}: {p}");
        }
    }
    // restic's limit, documented: what is below an excluded directory is never seen, so
    // a `!` pattern cannot take it back.
    let s = set(&["dir", "!dir/keep"]);
    assert!(!s.matches(Path::new("/dir/keep")));
    assert!(walk_decides(&s, "/dir/keep"));
}

#[test]
fn patterns_that_matched_nothing_are_named() {
    let s = set(&["*.tmp", "git/RelNotes", "/nowhere"]);
    let clone = s.clone();
    assert!(clone.matches(Path::new("/a/x.tmp")));
    assert!(!clone.matches(Path::new("/a/y")));
    assert_eq!(
        s.unmatched(),
        ["git/RelNotes", "/nowhere"],
        "clones share hits"
    );
    s.note(Path::new("/src/git/RelNotes/x"));
    assert_eq!(s.unmatched(), ["/nowhere"]);
}

#[test]
fn every_pattern_counts_even_after_the_path_is_settled() {
    let s = set(&["a", "b"]);
    assert!(s.matches(Path::new("/a/b")));
    assert!(s.unmatched().is_empty());
}

#[test]
fn a_negation_counts_only_where_it_cancels() {
    let s = set(&["*.conf", "!a.conf", "!zzz"]);
    assert!(!s.matches(Path::new("/etc/a.conf")));
    assert!(!s.matches(Path::new("/etc/zzz")), "nothing to cancel");
    assert_eq!(s.unmatched(), ["!zzz"]);
}

#[test]
fn walking_into_a_directory() {
    let s = set(&["/etc/nginx/**/*.conf", "/var/lib"]);
    assert!(s.may_match_below(Path::new("/etc")));
    assert!(s.may_match_below(Path::new("/etc/nginx/sites")));
    assert!(!s.may_match_below(Path::new("/usr")));
    assert!(s.may_match_below(Path::new("/var")));
    assert!(!s.may_match_below(Path::new("/var/log")));
    assert!(set(&["*.txt"]).may_match_below(Path::new("/anything")));
    assert!(!set(&["!/etc"]).may_match_below(Path::new("/etc")));
}

#[test]
fn root_and_deep_paths() {
    assert!(set(&["/"]).matches(Path::new("/any/thing")));
    let deep: String = (0..STACK_DEPTH * 2).map(|i| format!("/d{i}")).collect();
    assert!(set(&["d90"]).matches(Path::new(&deep)));
    assert!(!set(&["d999"]).matches(Path::new(&deep)));
}

#[test]
fn bad_patterns_are_refused_with_their_text() {
    for (p, why) in [
        ("a[", "`[`"),
        ("", "empty"),
        ("!", "empty"),
        (".", "names no path"),
        ("a/../b", "`..`"),
        ("x\\", "`\\`"),
    ] {
        let err = PatternSet::new(&[PatternSpec::new(p, false)], "exclude pattern").unwrap_err();
        assert!(err.starts_with(&format!("exclude pattern {p:?}")), "{err}");
        assert!(err.contains(why), "{err}");
    }
}

#[test]
fn pattern_files_trim_skip_and_expand() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("ex");
    std::env::set_var("CAIRN_TEST_PATTERN_DIR", "/srv/data");
    std::fs::write(
        &f,
        "# comment\n\n  *.tmp  \n$CAIRN_TEST_PATTERN_DIR/cache\n${CAIRN_TEST_PATTERN_DIR}x/y\n\\$HOME\ncost$\n",
    )
    .unwrap();
    let specs = read_file(&f, true).unwrap();
    let texts: Vec<&str> = specs.iter().map(|s| s.text.as_str()).collect();
    assert_eq!(
        texts,
        [
            "*.tmp",
            "/srv/data/cache",
            "/srv/datax/y",
            "\\$HOME",
            "cost$"
        ]
    );
    assert!(specs.iter().all(|s| s.ignore_case));

    std::fs::write(&f, "ok\n$CAIRN_TEST_PATTERN_UNSET/x\n").unwrap();
    let err = read_file(&f, false).unwrap_err();
    assert!(
        err.contains("line 2") && err.contains("CAIRN_TEST_PATTERN_UNSET"),
        "{err}"
    );
    std::fs::write(&f, "ok\n\nbad[\n").unwrap();
    let err = read_file(&f, false).unwrap_err();
    assert!(err.contains("line 3") && err.contains("bad["), "{err}");
    let err = read_file(&dir.path().join("missing"), false).unwrap_err();
    assert!(err.contains("missing"), "{err}");
}
