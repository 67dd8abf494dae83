//! Include and exclude patterns through the built binary: the table of
//! fixtures/patterns/cases.txt as backup excludes (what `ls` shows) and as restore
//! includes (what arrives), the "matched nothing" warnings, pattern files and profiles.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

use common::World;

#[path = "common/pattern_cases.rs"]
mod pattern_cases;
use pattern_cases::{cases, Case};

/// The table's patterns placed below `root`: an anchored one gets the root in front.
fn rooted(pattern: &str, root: &Path) -> String {
    let (bang, body) = match pattern.strip_prefix('!') {
        Some(b) => ("!", b),
        None => ("", pattern),
    };
    match body.starts_with('/') {
        true => format!("{bang}{}{body}", root.display()),
        false => pattern.to_string(),
    }
}

fn flags(flag: &str, ignore_case: bool, patterns: &[String], root: &Path) -> Vec<String> {
    let flag = if ignore_case {
        format!("--i{flag}")
    } else {
        format!("--{flag}")
    };
    patterns
        .iter()
        .flat_map(|p| [flag.clone(), rooted(p, root)])
        .collect()
}

/// Paths (absolute) that `ls --json` lists for a snapshot.
fn listed(w: &World, snap: &str) -> BTreeSet<String> {
    w.ok(&["--json", "ls", snap])
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            v["path"].as_str().unwrap().to_string()
        })
        .collect()
}

#[test]
fn the_documented_table_through_backup_and_restore() {
    let w = World::new();
    let root = w.path("t");
    let cases = cases();
    assert!(cases.len() > 40, "the table is read");
    for c in &cases {
        let file = root.join(c.path.trim_start_matches('/'));
        fs::create_dir_all(file.parent().unwrap()).unwrap();
        fs::write(&file, c.path.as_bytes())
            .unwrap_or_else(|e| panic!("cases.txt line {}: {}: {e}", c.line, c.path));
    }
    let r = root.to_str().unwrap();
    fs::create_dir_all(root.join("control")).unwrap();
    fs::write(root.join("control/keep"), b"no row matches this").unwrap();
    let control = format!("{r}/control/keep");
    let full = w.backup(&[r])["id"].as_str().unwrap().to_string();
    assert!(listed(&w, &full).contains(&control));

    let mut groups: BTreeMap<(bool, Vec<String>), Vec<&Case>> = BTreeMap::new();
    for c in &cases {
        groups
            .entry((c.ignore_case, c.patterns.clone()))
            .or_default()
            .push(c);
    }
    for (n, ((ignore_case, patterns), cases)) in groups.iter().enumerate() {
        let mut args = vec!["backup".to_string(), r.to_string()];
        args.extend(flags("exclude", *ignore_case, patterns, &root));
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let snap = w.json(&args)["id"].as_str().unwrap().to_string();
        let shown = listed(&w, &snap);

        let target = w.path(&format!("restored-{n}"));
        let mut args = vec![
            "restore".to_string(),
            full.clone(),
            "--target".into(),
            target.to_str().unwrap().into(),
        ];
        args.extend(flags("include", *ignore_case, patterns, &root));
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = w.run(&args);
        if !out.status.success() {
            let err = String::from_utf8_lossy(&out.stderr);
            assert!(err.contains("nothing in snapshot"), "{patterns:?}: {err}");
        }

        // A pattern matching the test's own root would say `yes` to every row for a
        // reason the table does not show; the control file gives that away.
        assert!(shown.contains(&control), "{patterns:?} left out {control}");
        assert!(
            !target.join(control.trim_start_matches('/')).exists(),
            "{patterns:?} restored {control}"
        );
        for c in cases {
            let stored = format!("{r}{}", c.path);
            assert_eq!(
                !shown.contains(&stored),
                c.matches,
                "cases.txt line {}: backup --exclude {:?}: {} {}",
                c.line,
                c.patterns,
                c.path,
                if c.matches { "kept" } else { "left out" }
            );
            let arrived = target.join(stored.trim_start_matches('/')).is_file();
            assert_eq!(
                arrived,
                c.matches,
                "cases.txt line {}: restore --include {:?}: {} {}",
                c.line,
                c.patterns,
                c.path,
                if c.matches { "missing" } else { "restored" }
            );
        }
    }
}

/// The two examples: `--exclude git/RelNotes` stored `…/git/RelNotes` anyway, and
/// `--include '*.txt'` restored nothing; neither said a word.
fn relnotes_tree(w: &World) -> PathBuf {
    let src = w.path("src");
    fs::create_dir_all(src.join("git/Documentation")).unwrap();
    fs::write(src.join("git/RelNotes"), b"notes").unwrap();
    fs::write(src.join("git/Documentation/a.txt"), b"doc").unwrap();
    fs::write(src.join("git/main.c"), b"int main;").unwrap();
    src
}

fn stderr_of(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn exclude_at_depth_and_include_glob_match_and_unused_patterns_warn() {
    let w = World::new();
    let src = relnotes_tree(&w);
    let s = src.to_str().unwrap();
    let out = w.run(&[
        "backup",
        s,
        "--exclude",
        "git/RelNotes",
        "--exclude",
        "git/RelNote",
        "--iexclude",
        "NOTHING*",
    ]);
    let err = stderr_of(&out);
    assert!(out.status.success(), "{err}");
    let warnings: Vec<&str> = err.lines().filter(|l| l.contains("warning")).collect();
    assert_eq!(
        warnings,
        [
            "cairn: warning: exclude pattern \"git/RelNote\" matched nothing",
            "cairn: warning: exclude pattern \"NOTHING*\" matched nothing",
        ]
    );
    let shown = listed(&w, "latest");
    assert!(!shown.contains(&format!("{s}/git/RelNotes")), "{shown:?}");
    assert!(shown.contains(&format!("{s}/git/main.c")), "{shown:?}");

    let target = w.path("out");
    let t = target.to_str().unwrap();
    let out = w.run(&[
        "restore",
        "latest",
        "--target",
        t,
        "--include",
        "*.txt",
        "--include",
        "*.md",
        "--exclude",
        "*.o",
    ]);
    let err = stderr_of(&out);
    assert!(out.status.success(), "{err}");
    let base = target.join(src.strip_prefix("/").unwrap());
    assert!(base.join("git/Documentation/a.txt").is_file());
    assert!(!base.join("git/main.c").exists());
    assert!(
        err.contains("cairn: warning: include pattern \"*.md\" matched nothing"),
        "{err}"
    );
    assert!(
        err.contains("cairn: warning: exclude pattern \"*.o\" matched nothing"),
        "{err}"
    );
    assert!(!err.contains("\"*.txt\""), "{err}");

    // A path named for backup is tested too, with the directories above it.
    let git = format!("{s}/git");
    let out = w.run(&["backup", &git, "--exclude", "git"]);
    assert!(out.status.success(), "{}", stderr_of(&out));
    assert!(!stderr_of(&out).contains("warning"), "{}", stderr_of(&out));
    let shown = listed(&w, "latest");
    assert!(!shown.iter().any(|p| p.starts_with(&git)), "{shown:?}");
}

#[test]
fn restore_exclude_wins_over_include_and_nested_includes_count() {
    let w = World::new();
    let src = relnotes_tree(&w);
    let s = src.to_str().unwrap();
    w.backup(&[s]);
    let target = w.path("out");
    let out = w.run(&[
        "restore",
        "latest",
        "--target",
        target.to_str().unwrap(),
        "--include",
        &format!("{s}/git"),
        "--include",
        "Documentation",
        "--iexclude",
        "MAIN.C",
    ]);
    let err = stderr_of(&out);
    assert!(out.status.success(), "{err}");
    assert!(
        !err.contains("warning"),
        "inside an included directory still counts: {err}"
    );
    let base = target.join(src.strip_prefix("/").unwrap());
    assert!(base.join("git/RelNotes").is_file());
    assert!(base.join("git/Documentation/a.txt").is_file());
    assert!(!base.join("git/main.c").exists());
}

#[test]
fn pattern_files_expand_variables_and_refuse_bad_lines() {
    let w = World::new();
    let src = relnotes_tree(&w);
    let s = src.to_str().unwrap();
    let ex = w.path("excludes.txt");
    fs::write(&ex, "# generated files\n\n  $SRC_ROOT/git/main.c  \n").unwrap();
    let iex = w.path("iexcludes.txt");
    fs::write(&iex, "RELNOTES\n").unwrap();
    let out = w
        .cmd()
        .env("SRC_ROOT", s)
        .args(["backup", s, "--exclude-file"])
        .arg(&ex)
        .arg("--iexclude-file")
        .arg(&iex)
        .output()
        .unwrap();
    let err = stderr_of(&out);
    assert!(out.status.success(), "{err}");
    assert!(!err.contains("warning"), "{err}");
    let shown = listed(&w, "latest");
    assert!(!shown.contains(&format!("{s}/git/main.c")), "{shown:?}");
    assert!(!shown.contains(&format!("{s}/git/RelNotes")), "{shown:?}");
    assert!(
        shown.contains(&format!("{s}/git/Documentation/a.txt")),
        "{shown:?}"
    );

    let snapshots = w.snapshots().len();
    fs::write(&ex, "ok\n$UNSET_IN_THIS_TEST/x\n").unwrap();
    let err = w.fails(&["backup", s, "--exclude-file", ex.to_str().unwrap()], 1);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("excludes.txt, line 2") && err.contains("UNSET_IN_THIS_TEST"),
        "{err}"
    );
    let err = w.fails(&["backup", s, "--exclude", "a[b"], 2);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("exclude pattern \"a[b\""), "{err}");
    let err = w.fails(&["restore", "latest", "--target", "x", "--include", ""], 2);
    assert!(err.contains("include pattern \"\" is empty"), "{err}");
    assert_eq!(
        w.snapshots().len(),
        snapshots,
        "nothing written on a bad pattern"
    );
}

#[test]
fn profile_excludes_follow_the_same_rules() {
    let w = World::new();
    let src = relnotes_tree(&w);
    let dir = common::profiles::profiles(&w);
    fs::write(dir.join("skip.txt"), "Documentation\n").unwrap();
    common::profiles::write_profile(
        &w,
        "app",
        &format!(
            "[source]\npaths = [\"{}\"]\niexclude = [\"git/relnotes\"]\n\
             exclude_file = [\"skip.txt\"]\nexclude = [\"nowhere\"]\n",
            src.display()
        ),
    );
    let out = w
        .cmd()
        .args(["run", "app", "--config"])
        .arg(&dir)
        .output()
        .unwrap();
    let err = stderr_of(&out);
    assert!(out.status.success(), "{err}");
    assert!(
        err.contains("cairn: warning: exclude pattern \"nowhere\" matched nothing"),
        "{err}"
    );
    let s = src.to_str().unwrap();
    let shown = listed(&w, "latest");
    assert!(!shown.contains(&format!("{s}/git/RelNotes")), "{shown:?}");
    assert!(
        !shown.contains(&format!("{s}/git/Documentation")),
        "{shown:?}"
    );
    assert!(shown.contains(&format!("{s}/git/main.c")), "{shown:?}");
}
