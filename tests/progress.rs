//! Progress through the binary: a bar on a terminal (a pseudo-terminal made by
//! util-linux `script`), nothing but the summary without one (cron), and with `--json`
//! progress events on stderr that add up to what the result on stdout reports.

mod common;

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use common::postgres::Postgres;
use common::{assert_ok, noise, World};
use serde_json::Value;

/// Events and redraws every millisecond, so that tasks of a fraction of a second show
/// several (docs/OUTPUT.md documents the variable as one for tests).
const FAST: (&str, &str) = ("CAIRN_PROGRESS_INTERVAL_MS", "1");

/// Twelve MiB of noise in six files: long enough to be seen in flight.
fn tree(w: &World) -> PathBuf {
    let src = w.path("src");
    fs::create_dir_all(&src).unwrap();
    for i in 0..6 {
        fs::write(src.join(format!("f{i}")), noise(2 << 20, i + 1)).unwrap();
    }
    src
}

const TREE_SHOWN: &str = "12.0 MiB";

/// A size as cairn's summaries write it, for sizes between 1 MiB and 1 GiB.
fn mib(n: u64) -> String {
    format!("{:.1} MiB", n as f64 / (1 << 20) as f64)
}

fn pack_bytes(w: &World) -> u64 {
    w.stored("data")
        .iter()
        .map(|p| fs::metadata(p).unwrap().len())
        .sum()
}

fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// Each data pack stored or read a tenth of a second late (src/backend/fault.rs): a
/// task then lasts long enough for its bar to be drawn between its first bytes and its
/// end, however fast the machine.
const SLOW_PACKS: (&str, &str) = (
    "CAIRN_TEST_FAULTS",
    "get@data/:*:delay=100,put@data/:*:delay=100",
);

/// `cairn ARGS` on a pseudo-terminal; returns what the terminal received.
fn on_terminal(w: &World, args: &[&str]) -> String {
    let cairn = w.cmd();
    let line: Vec<String> = std::iter::once(common::bin())
        .chain(args.iter().copied())
        .map(shell_quote)
        .collect();
    let mut c = Command::new("script");
    c.args(["-qec", &line.join(" "), "/dev/null"]);
    for (k, v) in cairn.get_envs() {
        match v {
            Some(v) => c.env(k, v),
            None => c.env_remove(k),
        };
    }
    let out = c
        .env(FAST.0, FAST.1)
        .env(SLOW_PACKS.0, SLOW_PACKS.1)
        .env("TERM", "xterm")
        .stdin(Stdio::null())
        .output()
        .expect("util-linux `script` runs");
    let shown = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "cairn {args:?} on a terminal:\n{shown}"
    );
    shown
}

/// The states a bar labelled `what` was drawn in, without escape codes and bar glyphs.
fn bar_states(shown: &str, what: &str) -> Vec<String> {
    shown
        .split(['\r', '\n'])
        .map(|l| l.replace("\x1b[2K", ""))
        .filter(|l| l.starts_with(&format!("{what} ")))
        .map(|l| {
            l.chars()
                .filter(|c| c.is_ascii())
                .collect::<String>()
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect()
}

/// A bar of `what` was drawn in flight: bytes done of `total`, a rate and an ETA.
fn assert_bar(shown: &str, what: &str, total: &str) {
    let states = bar_states(shown, what);
    let in_flight = states.iter().any(|s| {
        s.contains(&format!("/{total} "))
            && !s.starts_with(&format!("{what} 0 B/"))
            && s.contains("iB/s eta ")
    });
    assert!(
        in_flight,
        "no {what} bar with bytes of {total}, a rate and an eta in:\n{states:#?}"
    );
}

#[test]
fn a_terminal_shows_bars_with_bytes_rate_and_eta() {
    let w = World::new();
    let src = tree(&w);
    let shown = on_terminal(&w, &["backup", src.to_str().unwrap()]);
    assert_bar(&shown, "backup", TREE_SHOWN);
    assert!(shown.contains("\x1b["), "a terminal gets escape codes");
    assert!(shown.contains("snapshot "), "the summary follows: {shown}");

    let target = w.path("restored");
    let shown = on_terminal(
        &w,
        &["restore", "latest", "--target", target.to_str().unwrap()],
    );
    assert_bar(&shown, "restore", TREE_SHOWN);
    common::assert_same_content(&src, &target.join(src.strip_prefix("/").unwrap()));

    let shown = on_terminal(&w, &["check", "--read-data"]);
    assert_bar(&shown, "read data", &mib(pack_bytes(&w)));
    assert!(shown.contains("no errors"), "{shown}");

    // Prune's repack: half of the data is no longer used.
    let first = w.snapshots()[0]["id"].as_str().unwrap().to_string();
    remove_half(&src);
    w.backup(&[src.to_str().unwrap()]);
    w.ok(&["forget", &first]);
    let plan = w.json(&["prune", "--dry-run"]);
    let repacked = plan["bytes_repacked"].as_u64().unwrap();
    assert!(repacked > 0, "{plan}");
    let shown = on_terminal(&w, &["prune"]);
    assert_bar(&shown, "repack", &mib(repacked));
    assert!(shown.contains("pruned: "), "{shown}");
}

/// Every other file of [`tree`]: packs fill with the files of a directory in turn, so
/// each pack keeps some of its data and loses some.
fn remove_half(src: &Path) {
    for i in [1, 3, 5] {
        fs::remove_file(src.join(format!("f{i}"))).unwrap();
    }
}

/// stderr of `cairn ARGS` run as cron runs it: no terminal anywhere.
fn without_terminal(w: &World, args: &[&str]) -> String {
    let out = w
        .cmd()
        .env(FAST.0, FAST.1)
        .env(SLOW_PACKS.0, SLOW_PACKS.1)
        .args(args)
        .stdout(Stdio::null())
        .output()
        .unwrap();
    assert_ok(&out, &format!("cairn {args:?}"));
    String::from_utf8(out.stderr).unwrap()
}

#[test]
fn without_a_terminal_only_the_summary_is_printed() {
    let w = World::new();
    let src = tree(&w);
    let target = w.path("restored");
    for (args, summary) in [
        (vec!["backup", src.to_str().unwrap()], "snapshot "),
        (
            vec!["restore", "latest", "--target", target.to_str().unwrap()],
            "restored snapshot ",
        ),
        (vec!["check", "--read-data"], "checked "),
    ] {
        let err = without_terminal(&w, &args);
        let lines: Vec<&str> = err.lines().collect();
        assert!(
            lines.len() == 1 && lines[0].starts_with(summary),
            "{args:?}: one summary line expected:\n{err}"
        );
        assert!(
            !err.contains('\x1b') && !err.contains('\r'),
            "{args:?}: {err:?}"
        );
    }
}

/// The progress events of one run, by task, in the order they came.
type Tasks = BTreeMap<String, Vec<Value>>;

/// `cairn --json ARGS`: the result document on stdout and
/// the events on stderr. With `only_events`, every line of stderr must be one.
fn with_events(w: &World, args: &[&str], only_events: bool) -> (Value, Tasks) {
    let out = w
        .cmd()
        .env(FAST.0, FAST.1)
        .arg("--json")
        .args(args)
        .output()
        .unwrap();
    assert_ok(&out, &format!("cairn --json {args:?}"));
    let doc: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{args:?}: stdout is not one document: {e}"));
    (doc, events(&out, args, only_events))
}

fn events(out: &Output, args: &[&str], only_events: bool) -> Tasks {
    let err = String::from_utf8_lossy(&out.stderr);
    let mut tasks = Tasks::new();
    for line in err.lines() {
        if !only_events && !line.starts_with('{') {
            continue;
        }
        let e: Value = serde_json::from_str(line)
            .unwrap_or_else(|x| panic!("{args:?}: not an event ({x}): {line:?}"));
        assert_eq!(e["type"], "progress", "{line}");
        assert_eq!(e["command"], args[0], "{line}");
        let task = e["task"].as_str().expect("a task").to_string();
        tasks.entry(task).or_default().push(e);
    }
    for (task, events) in &tasks {
        assert_well_formed(task, events);
    }
    tasks
}

/// Counts never go back, only the last event is final, and it is there.
fn assert_well_formed(task: &str, events: &[Value]) {
    let unit = events[0]["unit"].as_str().unwrap().to_string();
    let done = |e: &Value| e[format!("{unit}_done")].as_u64().expect("a count done");
    for pair in events.windows(2) {
        assert!(
            done(&pair[0]) <= done(&pair[1]),
            "{task}: went back: {pair:?}"
        );
        assert!(
            pair[0]["elapsed_secs"].as_f64() <= pair[1]["elapsed_secs"].as_f64(),
            "{pair:?}"
        );
    }
    let (last, before) = events.split_last().unwrap();
    assert_eq!(last["final"], true, "{task}: no final event: {last}");
    assert!(
        before.iter().all(|e| e["final"] == false),
        "{task}: {events:?}"
    );
    assert!(last["rate"].is_u64() && last["eta_secs"] == 0, "{last}");
    if let Some(total) = last[format!("{unit}_total")].as_u64() {
        assert!(
            events.iter().all(|e| done(e) <= total),
            "{task}: {events:?}"
        );
    }
}

/// What the final event of `task` counted.
fn final_done(tasks: &Tasks, task: &str) -> u64 {
    let events = tasks
        .get(task)
        .unwrap_or_else(|| panic!("no events of {task}: {tasks:#?}"));
    let last = events.last().unwrap();
    let unit = last["unit"].as_str().unwrap();
    last[format!("{unit}_done")].as_u64().unwrap()
}

#[test]
fn json_events_count_up_to_what_the_summary_reports() {
    let w = World::new();
    let src = tree(&w);

    let (backup, tasks) = with_events(&w, &["backup", src.to_str().unwrap()], true);
    assert_eq!(final_done(&tasks, "backup"), backup["stats"]["total_bytes"]);
    assert_eq!(final_done(&tasks, "backup"), 12 << 20);
    // Periodic events, not only the final one (the run lasts many milliseconds).
    assert!(tasks["backup"].len() > 1, "{tasks:#?}");
    // Again: the files cache knows every file, which moves the count but not the rate.
    let (again, tasks) = with_events(&w, &["backup", src.to_str().unwrap()], true);
    assert_eq!(again["stats"]["files_unchanged"], 6, "{again}");
    assert_eq!(final_done(&tasks, "backup"), 12 << 20);
    assert!(tasks["backup"].iter().all(|e| e["rate"] == 0), "{tasks:#?}");

    let target = w.path("restored");
    let (restore, tasks) = with_events(
        &w,
        &["restore", "latest", "--target", target.to_str().unwrap()],
        true,
    );
    assert_eq!(final_done(&tasks, "restore"), restore["stats"]["bytes"]);

    let (check, tasks) = with_events(&w, &["check", "--read-data"], true);
    assert_eq!(final_done(&tasks, "read data"), check["bytes_read"]);
    assert_eq!(check["bytes_read"], pack_bytes(&w));
    assert_eq!(final_done(&tasks, "snapshots"), check["snapshots"]);
    assert_eq!(tasks["snapshots"][0]["unit"], "items");
    // Without --read-data nothing is read, and no task says otherwise.
    let (_, tasks) = with_events(&w, &["check"], true);
    assert!(!tasks.contains_key("read data"), "{tasks:#?}");
}

#[test]
fn prune_sends_events_for_the_packs_it_rewrites_and_deletes() {
    let w = World::new();
    let src = tree(&w);
    let first = w.backup(&[src.to_str().unwrap()]);
    // Half the data goes: its packs become partly used (repacked) or unused (deleted).
    remove_half(&src);
    w.backup(&[src.to_str().unwrap()]);
    w.ok(&["forget", first["id"].as_str().unwrap()]);

    let (prune, tasks) = with_events(&w, &["prune"], true);
    let (deleted, repacked) = (
        prune["bytes_deleted"].as_u64().unwrap(),
        prune["bytes_repacked"].as_u64().unwrap(),
    );
    assert!(deleted + repacked > 0, "nothing to prune: {prune}");
    match repacked {
        0 => assert!(!tasks.contains_key("repack"), "{tasks:#?}"),
        n => assert_eq!(final_done(&tasks, "repack"), n),
    }
    // Repacked packs are deleted too, once their blobs are in new ones.
    assert_eq!(final_done(&tasks, "delete"), deleted + repacked);

    // A prune with nothing to do has no task to report.
    let (_, tasks) = with_events(&w, &["prune"], true);
    assert!(tasks.is_empty(), "{tasks:#?}");
}

#[test]
fn events_follow_quiet_unless_asked_for() {
    let w = World::new();
    let src = tree(&w);
    let run = |args: &[&str]| {
        let out = w.cmd().env(FAST.0, FAST.1).args(args).output().unwrap();
        assert_ok(&out, &format!("{args:?}"));
        out
    };
    let src = src.to_str().unwrap();
    // --quiet wins over --json's events…
    let out = run(&["--json", "--quiet", "backup", src]);
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice::<Value>(&out.stdout).expect("the result is unchanged");
    // …unless they are asked for by name, with or without --json.
    let out = run(&["--quiet", "--progress", "json", "backup", src]);
    let tasks = events(&out, &["backup"], true);
    assert_eq!(final_done(&tasks, "backup"), 12 << 20);
    let out = w
        .cmd()
        .env("CAIRN_PROGRESS", "json")
        .args(["check", "--read-data"])
        .output()
        .unwrap();
    assert_ok(&out, "check with CAIRN_PROGRESS=json");
    let tasks = events(&out, &["check"], false);
    assert!(tasks.contains_key("read data"), "{tasks:#?}");
    // And none at all, even with --json.
    let out = run(&["--json", "--progress", "none", "backup", src]);
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn mirror_sends_events_for_the_dump_it_streams() {
    let w = World::new();
    let pg = Postgres::start(&w.path("pg"));
    let sql = |db: &str, script: &str| pg.script(db, script);
    sql("postgres", "CREATE DATABASE app");
    sql(
        "app",
        "CREATE TABLE t (id int PRIMARY KEY, v text); \
         INSERT INTO t SELECT g, md5(g::text) FROM generate_series(1, 50000) g;",
    );
    let port = &pg.env.iter().find(|(k, _)| k == "PGPORT").unwrap().1;
    let url = |db: &str| format!("postgresql://127.0.0.1:{port}/{db}");
    let cairn = |args: &[&str]| {
        let out = w
            .cmd()
            .envs(pg.env.iter().map(|(k, v)| (k, v)))
            .env(FAST.0, FAST.1)
            .args(args)
            .output()
            .unwrap();
        assert_ok(&out, &format!("cairn {args:?}"));
        out
    };
    cairn(&["backup", "--postgres", &url("app")]);

    let args = ["mirror", "--database", "app", "--target", &url("app_test")];
    let mut all = vec!["--json"];
    all.extend_from_slice(&args);
    let out = cairn(&all);
    let report: Value = serde_json::from_slice(&out.stdout).expect("one document");
    // The steps are reported in words on stderr too; the events are the JSON lines.
    let tasks = events(&out, &args, false);
    assert!(report["bytes"].as_u64().unwrap() > 0, "{report}");
    assert_eq!(final_done(&tasks, "restore"), report["bytes"]);
    assert_eq!(pg.sql("app_test", "SELECT count(*) FROM t"), "50000");
}
