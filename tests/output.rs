//! What listing commands print, through the binary: a closed pipe ends them quietly,
//! times follow one zone rule, counts agree with their nouns, `ls -l` reads like `ls`,
//! tables stay aligned, and each `--json` has the framing docs/OUTPUT.md promises.

mod common;

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use chrono::DateTime;
use common::World;

const NIGHT: &str = "2026-01-31T02:00:00Z";

/// A world with two snapshots of a small tree (the second with one file changed), both
/// taken "at" fixed times so that time zones have something definite to show.
fn two_snapshots() -> (World, String, String) {
    let w = World::new();
    let src = w.path("src");
    fs::create_dir_all(src.join("d")).unwrap();
    for i in 0..20 {
        fs::write(src.join(format!("d/f{i:02}.txt")), format!("file {i}\n")).unwrap();
    }
    let a = w.backup(&[src.to_str().unwrap(), "--time", NIGHT]);
    fs::write(src.join("d/f00.txt"), "changed\n").unwrap();
    fs::write(src.join("new.txt"), "new\n").unwrap();
    let b = w.backup(&[src.to_str().unwrap(), "--time", "2026-02-01T02:00:00Z"]);
    let id = |v: &serde_json::Value| v["id"].as_str().unwrap()[..8].to_string();
    (w, id(&a), id(&b))
}

/// Runs `cairn ARGS` with stdout a pipe whose reading end is already closed, so the
/// first line written meets a broken pipe, as `cairn … | head -0` would.
fn into_closed_pipe(w: &World, args: &[&str]) -> Output {
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    w.cmd()
        .args(args)
        .stdout(writer)
        .stderr(Stdio::piped())
        .output()
        .unwrap()
}

#[test]
fn a_closed_pipe_ends_every_listing_quietly() {
    let (w, a, b) = two_snapshots();
    let commands: &[&[&str]] = &[
        &["snapshots"],
        &["ls", "latest"],
        &["ls", "-l", "latest"],
        &["diff", &a, &b],
        &["forget", "--keep-last", "1", "--dry-run"],
        &["stats"],
        &["key", "info"],
        &["key", "export", "--public"],
        &["--json", "snapshots"],
        &["--json", "ls", "latest"],
        &["--json", "diff", &a, &b],
        &["--json", "forget", "--keep-last", "1", "--dry-run"],
        &["--json", "stats"],
        &["--json", "key", "info"],
    ];
    for args in commands {
        let out = into_closed_pipe(&w, args);
        assert_eq!(
            (
                out.status.code(),
                String::from_utf8_lossy(&out.stderr).as_ref()
            ),
            (Some(0), ""),
            "cairn {args:?} into a closed pipe"
        );
    }
    // The dry run above changed nothing.
    assert_eq!(w.snapshots().len(), 2);
}

#[test]
fn a_reader_that_stops_after_one_line_ends_ls_quietly() {
    // Enough entries that `ls` is still writing when the reader goes away.
    let w = World::new();
    let src = w.path("many");
    fs::create_dir_all(&src).unwrap();
    for i in 0..3000 {
        fs::write(src.join(format!("a-rather-long-file-name-{i:05}.txt")), "x").unwrap();
    }
    w.backup(&[src.to_str().unwrap()]);
    for long in [false, true] {
        let mut cmd = w.cmd();
        cmd.arg("ls").args(long.then_some("-l")).arg("latest");
        let mut child = cmd
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
        let mut first = String::new();
        std::io::BufRead::read_line(&mut stdout, &mut first).unwrap();
        assert!(first.contains('/'), "not a listing line: {first}");
        drop(stdout);
        let out = child.wait_with_output().unwrap();
        assert_eq!(
            (
                out.status.code(),
                String::from_utf8_lossy(&out.stderr).as_ref()
            ),
            (Some(0), ""),
            "ls (long: {long}) after the reader left"
        );
    }
}

fn run_in(w: &World, tz: &str, args: &[&str]) -> String {
    let out = w.cmd().env("TZ", tz).args(args).output().unwrap();
    common::assert_ok(&out, &format!("TZ={tz} cairn {args:?}"));
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn times_show_their_offset_and_the_same_instant_in_every_zone() {
    let (w, first, second) = two_snapshots();
    let file = w.path("src/d/f05.txt");
    let stamp = filetime::FileTime::from_unix_time(
        DateTime::parse_from_rfc3339("2026-07-01T10:00:00Z")
            .unwrap()
            .timestamp(),
        0,
    );
    filetime::set_file_mtime(&file, stamp).unwrap();
    w.backup(&[
        w.path("src").to_str().unwrap(),
        "--time",
        "2026-02-02T02:00:00Z",
    ]);

    // The local zone comes from TZ; --tz and --utc override it.
    let utc = run_in(&w, "UTC", &["snapshots"]);
    assert!(utc.contains("2026-01-31 02:00:00 +00:00"), "{utc}");
    let berlin = run_in(&w, "UTC", &["snapshots", "--tz", "Europe/Berlin"]);
    assert!(berlin.contains("2026-01-31 03:00:00 +01:00"), "{berlin}");
    assert_eq!(run_in(&w, "Europe/Berlin", &["snapshots"]), berlin);
    assert_eq!(run_in(&w, "Asia/Tokyo", &["--utc", "snapshots"]), utc);

    // ls -l: summer time in Berlin.
    let line = |out: &str| {
        out.lines()
            .find(|l| l.ends_with("/d/f05.txt"))
            .unwrap_or_else(|| panic!("{out}"))
            .to_string()
    };
    let ls = |tz: &str, extra: &[&str]| {
        let mut args = vec!["ls", "-l", "latest"];
        args.extend_from_slice(extra);
        line(&run_in(&w, tz, &args))
    };
    assert!(ls("UTC", &[]).contains("2026-07-01 10:00:00 +00:00"));
    assert!(ls("UTC", &["--tz", "Europe/Berlin"]).contains("2026-07-01 12:00:00 +02:00"));

    // JSON: RFC 3339 with the zone's offset, the same instant either way.
    let times = |tz: &str, extra: &[&str]| -> Vec<String> {
        let mut args = vec!["--json", "snapshots"];
        args.extend_from_slice(extra);
        let v: serde_json::Value = serde_json::from_str(&run_in(&w, tz, &args)).unwrap();
        v.as_array()
            .unwrap()
            .iter()
            .map(|s| s["time"].as_str().unwrap().to_string())
            .collect()
    };
    let (u, b) = (times("UTC", &[]), times("UTC", &["--tz", "Europe/Berlin"]));
    assert_eq!(u[0], NIGHT);
    assert_eq!(b[0], "2026-01-31T03:00:00+01:00");
    for (u, b) in u.iter().zip(&b) {
        assert_eq!(
            DateTime::parse_from_rfc3339(u).unwrap(),
            DateTime::parse_from_rfc3339(b).unwrap()
        );
    }
    let lines = run_in(&w, "UTC", &["--json", "--tz", "+05:30", "ls", "latest"]);
    let f05: serde_json::Value = lines
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .find(|v| v["path"].as_str().unwrap().ends_with("/d/f05.txt"))
        .unwrap();
    assert_eq!(f05["mtime"], "2026-07-01T15:30:00+05:30");

    // diff names its two snapshots with their times (on stderr, under the changes).
    let out = w
        .cmd()
        .env("TZ", "UTC")
        .args(["diff", &first, &second, "--tz", "Europe/Berlin"])
        .output()
        .unwrap();
    let summary = String::from_utf8(out.stderr).unwrap();
    assert!(
        summary.contains(&format!(
            "from {first} (2026-01-31 03:00:00 +01:00) to {second} (2026-02-01 03:00:00 +01:00)"
        )),
        "{summary}"
    );

    // A zone nobody knows is a usage error that names it.
    let err = w.fails(&["snapshots", "--tz", "Mars/Olympus"], 2);
    assert!(err.contains("Mars/Olympus"), "{err}");
    let err = w.fails(&["snapshots", "--tz", "../../etc/passwd"], 2);
    assert!(err.contains("unknown time zone"), "{err}");
}

#[test]
fn counts_agree_with_their_nouns() {
    let w = World::new();
    let src = common::small_tree(&w, 1);
    w.backup(&[src.to_str().unwrap()]);
    let out = w.ok(&["snapshots"]);
    assert_eq!(out.lines().last(), Some("1 snapshot"), "{out}");
    let out = w.ok(&["forget", "--keep-last", "1", "--dry-run"]);
    assert!(out.contains("(1 snapshot: 1 keep, 0 remove)"), "{out}");
    assert!(out.contains("1 snapshot kept, 0 would be removed"), "{out}");
    w.backup(&[src.to_str().unwrap()]);
    let out = w.ok(&["snapshots"]);
    assert_eq!(out.lines().last(), Some("2 snapshots"), "{out}");
    let out = w.ok(&["forget", "--keep-last", "1", "--dry-run"]);
    assert!(out.contains("1 snapshot kept, 1 would be removed"), "{out}");
    let out = w.ok(&["snapshots", "--host", "nobody"]);
    assert_eq!(out.lines().last(), Some("0 snapshots"), "{out}");
}

/// The name /etc/passwd or /etc/group gives an id, as the test reads it.
fn name_in(db: &str, id: u32) -> Option<String> {
    fs::read_to_string(db).unwrap().lines().find_map(|l| {
        let f: Vec<&str> = l.split(':').collect();
        (f.len() > 2 && f[2] == id.to_string()).then(|| f[0].to_string())
    })
}

#[test]
fn ls_long_shows_modes_and_names_like_ls() {
    use std::os::unix::fs::MetadataExt;
    let w = World::new();
    let src = w.path("src");
    fs::create_dir_all(src.join("shared")).unwrap();
    let mode = |p: &Path, m: u32| fs::set_permissions(p, fs::Permissions::from_mode(m)).unwrap();
    mode(&src.join("shared"), 0o1777);
    fs::write(src.join("tool"), "#!/bin/sh\n").unwrap();
    mode(&src.join("tool"), 0o4750);
    fs::write(src.join("plain"), "text").unwrap();
    mode(&src.join("plain"), 0o644);
    fs::write(src.join("locked"), "x").unwrap();
    mode(&src.join("locked"), 0o2640);
    std::os::unix::fs::symlink("plain", src.join("link")).unwrap();
    assert!(Command::new("mkfifo")
        .arg(src.join("pipe"))
        .status()
        .unwrap()
        .success());
    mode(&src.join("pipe"), 0o644);
    // An owner this machine has no name for is shown as its number.
    let nameless = (60000..65000)
        .find(|id| name_in("/etc/passwd", *id).is_none() && name_in("/etc/group", *id).is_none())
        .unwrap();
    std::os::unix::fs::chown(src.join("plain"), Some(nameless), Some(nameless))
        .expect("chown needs root (the tests run as root)");
    w.backup(&[src.to_str().unwrap()]);

    let out = w.ok(&["ls", "-l", "latest"]);
    let line = |name: &str| -> Vec<String> {
        let l = out
            .lines()
            .find(|l| l.contains(&format!("/src/{name}")))
            .unwrap_or_else(|| panic!("no {name}:\n{out}"));
        l.split_whitespace().map(str::to_string).collect()
    };
    assert_eq!(line("shared")[0], "drwxrwxrwt");
    assert_eq!(line("tool")[0], "-rwsr-x---");
    assert_eq!(line("locked")[0], "-rw-r-S---");
    assert_eq!(line("pipe")[0], "prw-r--r--");
    let link = line("link");
    assert!(link[0].starts_with('l'), "{link:?}");
    assert_eq!(
        link[link.len() - 2..],
        ["->".to_string(), "plain".to_string()]
    );
    let meta = fs::metadata(src.join("tool")).unwrap();
    let owner = |db: &str, id: u32| name_in(db, id).unwrap_or_else(|| id.to_string());
    assert_eq!(
        line("tool")[1..3],
        [
            owner("/etc/passwd", meta.uid()),
            owner("/etc/group", meta.gid())
        ]
    );
    assert_eq!(
        line("plain")[1..4],
        [nameless.to_string(), nameless.to_string(), "4".into()]
    );
}

#[test]
fn the_snapshot_table_stays_aligned_with_long_hosts_and_tags() {
    let w = World::new();
    let src = common::small_tree(&w, 2);
    let long_host = "build-server-0042.eu-central.example.org";
    assert_eq!(long_host.len(), 40);
    let s = src.to_str().unwrap();
    w.backup(&[s, "--host", "db1"]);
    w.backup(&[
        s,
        "--host",
        long_host,
        "--tag",
        "nightly,postgres-main,keep-forever",
    ]);
    w.backup(&[s, "--host", "db2", "--tag", "t"]);
    let out = w.ok(&["snapshots"]);
    let lines: Vec<&str> = out.lines().collect();
    let (header, rows) = (lines[0], &lines[1..4]);
    let col = |name: &str| header.find(name).unwrap();
    let hosts = ["db1", long_host, "db2"];
    let tags = ["", "nightly,postgres-main,keep-forever", "t"];
    for (i, row) in rows.iter().enumerate() {
        // Left-aligned columns start where their header starts…
        assert!(
            row[col("host")..].starts_with(&format!("{}  ", hosts[i])),
            "host column moved:\n{out}"
        );
        assert!(
            row[col("tags")..].starts_with(&format!("{}  ", tags[i])),
            "tags column moved:\n{out}"
        );
        assert!(
            row[col("paths")..].starts_with(s),
            "paths column moved:\n{out}"
        );
        // …and the right-aligned size ends where its header ends.
        let end = col("size") + "size".len();
        assert!(row[..end].ends_with("iB"), "size column moved:\n{out}");
        assert_eq!(row.as_bytes()[end], b' ', "{out}");
    }
    assert!(rows[1].contains(long_host) && rows[1].contains("nightly,postgres-main,keep-forever"));
}

/// Every line of `text` is one JSON object: NDJSON.
fn ndjson(text: &str) -> Vec<serde_json::Value> {
    assert!(!text.is_empty());
    text.lines()
        .map(|l| {
            let v: serde_json::Value =
                serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l:?}"));
            assert!(v.is_object(), "{l}");
            v
        })
        .collect()
}

/// `text` is one JSON document (and, being pretty-printed, not a line per record).
fn document(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("{e}: {text}"))
}

#[test]
fn each_json_output_has_its_documented_framing() {
    let (w, a, b) = two_snapshots();
    let json = |args: &[&str]| {
        let mut all = vec!["--json"];
        all.extend_from_slice(args);
        w.ok(&all)
    };
    // Streams: NDJSON, a record per line.
    let ls = ndjson(&json(&["ls", "latest"]));
    assert_eq!(ls.len(), w.ok(&["ls", "latest"]).lines().count());
    assert!(ls
        .iter()
        .all(|r| r["path"].is_string() && r.get("content").is_none()));
    let diff = ndjson(&json(&["diff", &a, &b]));
    let changes: Vec<(&str, &str)> = diff
        .iter()
        .map(|c| (c["change"].as_str().unwrap(), c["path"].as_str().unwrap()))
        .collect();
    assert!(
        changes
            .iter()
            .any(|(c, p)| *c == "+" && p.ends_with("/new.txt")),
        "{changes:?}"
    );
    assert!(
        changes
            .iter()
            .any(|(c, p)| *c == "M" && p.ends_with("/d/f00.txt")),
        "{changes:?}"
    );

    // Single results: one document.
    let snaps = document(&json(&["snapshots"]));
    assert_eq!(snaps.as_array().unwrap().len(), 2);
    let stats = document(&json(&["stats"]));
    assert_eq!(stats["snapshots"], 2);
    let forget = document(&json(&["forget", "--keep-last", "1", "--dry-run"]));
    assert_eq!(forget.as_array().unwrap().len(), 2);
    let info = document(&json(&["key", "info"]));
    assert!(info["fingerprint"].is_string());
    let check = document(&json(&["check"]));
    assert!(check.is_object(), "{check}");
    let prune = document(&json(&["prune", "--dry-run"]));
    assert!(prune.is_object(), "{prune}");
    let backup = document(&json(&["backup", w.path("src").to_str().unwrap()]));
    assert!(DateTime::parse_from_rfc3339(backup["time"].as_str().unwrap()).is_ok());

    // `run`: a record per profile, as each finishes.
    let config = w.path("profiles");
    fs::create_dir_all(&config).unwrap();
    for (name, source) in [
        (
            "files",
            format!("paths = [\"{}\"]", w.path("src").display()),
        ),
        (
            "db",
            "command = \"printf dump\"\nstdin_name = \"db.dump\"".to_string(),
        ),
    ] {
        let profile = format!(
            "repository = \"{}\"\nkey = \"{}\"\n[source]\n{source}\n",
            w.repo.display(),
            w.key.display()
        );
        fs::write(config.join(format!("{name}.toml")), profile).unwrap();
    }
    let runs = ndjson(&json(&[
        "run",
        "--all",
        "--config",
        config.to_str().unwrap(),
    ]));
    let mut names: Vec<&str> = runs
        .iter()
        .map(|r| r["profile"].as_str().unwrap())
        .collect();
    names.sort();
    assert_eq!(names, ["db", "files"]);
}

#[test]
fn stats_say_what_their_ratios_compare() {
    let (w, _, _) = two_snapshots();
    let out = w.ok(&["stats"]);
    let line = |key: &str| {
        out.lines()
            .find(|l| l.starts_with(key))
            .unwrap_or_else(|| panic!("no {key}:\n{out}"))
    };
    assert!(
        line("deduplication:").contains("of snapshots hold"),
        "{out}"
    );
    assert!(
        line("compression:").contains("of unique data compress to"),
        "{out}"
    );
    // One unit style: no raw byte counts in the summary.
    for l in out.lines().filter(|l| !l.starts_with("repository:")) {
        for word in l.split_whitespace() {
            assert!(
                !(word.len() > 4 && word.chars().all(|c| c.is_ascii_digit())),
                "raw count {word} in {l:?}"
            );
        }
    }
}

#[test]
fn a_cached_backup_says_unchanged_instead_of_a_rate() {
    let w = World::new();
    let src = common::small_tree(&w, 3);
    let summary = |out: Output| {
        common::assert_ok(&out, "backup");
        String::from_utf8(out.stderr).unwrap()
    };
    let first = summary(w.run(&["backup", src.to_str().unwrap()]));
    assert!(
        first.contains("iB/s)") || first.contains(" B/s)"),
        "{first}"
    );
    // Nothing is read the second time: the files cache knows every file.
    let second = summary(w.run(&["backup", src.to_str().unwrap()]));
    assert!(second.contains("0 B read of 2.9 MiB"), "{second}");
    assert!(
        second.contains("(unchanged)") && !second.contains("/s)"),
        "{second}"
    );
}
