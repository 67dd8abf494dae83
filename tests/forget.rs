//! `cairn forget` through the binary: retention windows over simulated nightly backups,
//! dry runs, safety refusals, groups, filters, removal by id, time zones.

mod common;

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Output;

use chrono::{DateTime, Datelike, NaiveDate};
use common::World;

/// A tiny source tree whose one file says which night it was backed up.
fn source(w: &World) -> PathBuf {
    let src = w.path("src");
    fs::create_dir_all(&src).unwrap();
    src
}

/// Backs up `src` as of 02:00 UTC on `night`; returns the snapshot id.
fn nightly(w: &World, src: &Path, night: NaiveDate, extra: &[&str]) -> String {
    fs::write(src.join("night.txt"), night.to_string()).unwrap();
    let time = format!("{night}T02:00:00Z");
    let mut args = vec![src.to_str().unwrap(), "--time", &time];
    args.extend_from_slice(extra);
    w.backup(&args)["id"].as_str().unwrap().to_string()
}

fn nights(first: &str, last: &str) -> Vec<NaiveDate> {
    let first: NaiveDate = first.parse().unwrap();
    let last: NaiveDate = last.parse().unwrap();
    first.iter_days().take_while(|d| *d <= last).collect()
}

/// A repository with one backup a night from `first` to `last`; returns the world, the
/// source directory and the snapshot ids, oldest first.
fn with_nights(first: &str, last: &str, extra: &[&str]) -> (World, PathBuf, Vec<String>) {
    let w = World::new();
    let src = source(&w);
    let ids = nights(first, last)
        .into_iter()
        .map(|n| nightly(&w, &src, n, extra))
        .collect();
    (w, src, ids)
}

/// Runs `cairn forget` in time zone `tz` (the TZ variable the local zone comes from).
fn forget_in(w: &World, tz: &str, args: &[&str]) -> Output {
    w.cmd()
        .env("TZ", tz)
        .arg("forget")
        .args(args)
        .output()
        .unwrap()
}

/// Runs `cairn forget` in UTC and requires success; returns stdout.
fn forget(w: &World, args: &[&str]) -> String {
    let out = forget_in(w, "UTC", args);
    common::assert_ok(&out, &format!("cairn forget {args:?}"));
    String::from_utf8(out.stdout).unwrap()
}

/// Runs `cairn --json forget` in time zone `tz`; returns the rows.
fn forget_json(w: &World, tz: &str, args: &[&str]) -> Vec<serde_json::Value> {
    let mut a = vec!["--json"];
    a.extend_from_slice(args);
    let out = forget_in(w, tz, &a);
    common::assert_ok(&out, &format!("cairn forget {args:?}"));
    serde_json::from_slice::<Vec<serde_json::Value>>(&out.stdout).unwrap()
}

/// Requires `forget` to fail with exit 1; returns stderr.
fn forget_fails(w: &World, args: &[&str]) -> String {
    forget_exits(w, args, 1)
}

/// A command line that makes no sense: exit code 2.
fn forget_usage(w: &World, args: &[&str]) -> String {
    forget_exits(w, args, 2)
}

fn forget_exits(w: &World, args: &[&str], code: i32) -> String {
    let out = forget_in(w, "UTC", args);
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(code), "forget {args:?}: {err}");
    err
}

fn date_of(time: &serde_json::Value) -> NaiveDate {
    DateTime::parse_from_rfc3339(time.as_str().unwrap())
        .unwrap()
        .date_naive()
}

/// Nights of the snapshots still in the repository, oldest first.
fn remaining(w: &World) -> Vec<NaiveDate> {
    let mut d: Vec<NaiveDate> = w.snapshots().iter().map(|s| date_of(&s["time"])).collect();
    d.sort();
    d
}

/// The newest night in each of the `n` most recent buckets of `bucket`: written out
/// here from the calendar, independently of cairn's own policy code.
fn newest_per<K: Ord>(
    nights: &[NaiveDate],
    n: usize,
    bucket: impl Fn(NaiveDate) -> K,
) -> Vec<NaiveDate> {
    let mut newest: BTreeMap<K, NaiveDate> = BTreeMap::new();
    for &d in nights {
        let e = newest.entry(bucket(d)).or_insert(d);
        *e = (*e).max(d);
    }
    newest.into_values().rev().take(n).collect()
}

#[test]
fn nightly_backups_keep_exactly_the_daily_weekly_and_monthly_windows() {
    let w = World::new();
    let src = source(&w);
    let all = nights("2025-12-20", "2026-02-14");
    let ids: Vec<String> = all.iter().map(|&n| nightly(&w, &src, n, &[])).collect();
    assert_eq!(w.snapshots().len(), all.len());

    let mut want: Vec<NaiveDate> = all.iter().rev().take(7).copied().collect();
    want.extend(newest_per(&all, 4, |d| {
        (d.iso_week().year(), d.iso_week().week())
    }));
    want.extend(newest_per(&all, 12, |d| (d.year(), d.month())));
    want.sort();
    want.dedup();
    // The same, read off a calendar: 2026-W04 ends Sunday 25 January, W05 Sunday
    // 1 February; the months end on 31 December and 31 January.
    let by_hand: Vec<NaiveDate> = [
        "2025-12-31",
        "2026-01-25",
        "2026-01-31",
        "2026-02-01",
        "2026-02-08",
        "2026-02-09",
        "2026-02-10",
        "2026-02-11",
        "2026-02-12",
        "2026-02-13",
        "2026-02-14",
    ]
    .iter()
    .map(|d| d.parse().unwrap())
    .collect();
    assert_eq!(want, by_hand, "the test's own calendar arithmetic");

    let policy = [
        "--keep-daily",
        "7",
        "--keep-weekly",
        "4",
        "--keep-monthly",
        "12",
    ];
    let objects = w.objects("snapshots");
    let mut dry = policy.to_vec();
    dry.push("--dry-run");
    let out = forget(&w, &dry);
    assert_eq!(
        w.objects("snapshots"),
        objects,
        "a dry run removed something"
    );
    let removed = all.len() - want.len();
    assert!(
        out.contains(&format!(
            "{} snapshots kept, {removed} would be removed",
            want.len()
        )),
        "{out}"
    );
    let line_of = |night: &str| {
        out.lines()
            .find(|l| l.contains(night))
            .unwrap_or_else(|| panic!("no line for {night}:\n{out}"))
            .to_string()
    };
    let feb1 = line_of("2026-02-01 02:00:00 +00:00");
    assert!(
        feb1.contains("keep") && feb1.contains("weekly 2026-W05"),
        "{feb1}"
    );
    let jan31 = line_of("2026-01-31 02:00:00 +00:00");
    assert!(jan31.contains("monthly 2026-01"), "{jan31}");
    assert!(line_of("2026-01-30 02:00:00 +00:00").contains("remove"));
    let newest = line_of("2026-02-14 02:00:00 +00:00");
    for r in ["daily 2026-02-14", "weekly 2026-W07", "monthly 2026-02"] {
        assert!(newest.contains(r), "{r} missing: {newest}");
    }

    let out = forget(&w, &policy);
    assert!(
        out.contains(&format!("{} snapshots kept, {removed} removed", want.len())),
        "{out}"
    );
    assert_eq!(remaining(&w), want);
    assert_eq!(w.objects("snapshots").len(), want.len());

    // What stays is whole: it restores, and the repository checks out.
    let feb1_id = &ids[all
        .iter()
        .position(|d| d.to_string() == "2026-02-01")
        .unwrap()];
    let target = w.path("restored");
    w.ok(&[
        "restore",
        &feb1_id[..8],
        "--target",
        target.to_str().unwrap(),
    ]);
    let file = target
        .join(src.strip_prefix("/").unwrap())
        .join("night.txt");
    assert_eq!(fs::read_to_string(file).unwrap(), "2026-02-01");
    w.ok(&["check", "--read-data"]);
    // Running the same policy again removes nothing more.
    forget(&w, &policy);
    assert_eq!(remaining(&w), want);
}

#[test]
fn json_rows_carry_every_field_and_the_reasons() {
    let (w, src, _) = with_nights(
        "2026-01-01",
        "2026-01-04",
        &["--tag", "nightly", "--profile", "app"],
    );
    let rows = forget_json(
        &w,
        "UTC",
        &["--keep-last", "1", "--keep-within", "2d", "--dry-run"],
    );
    assert_eq!(rows.len(), 4);
    let snaps = w.snapshots();
    for row in &rows {
        for field in [
            "id", "time", "host", "profile", "paths", "tags", "keep", "reasons",
        ] {
            assert!(row.get(field).is_some(), "{field} missing: {row}");
        }
        assert!(
            snaps.iter().any(|s| s["id"] == row["id"]),
            "unknown id {row}"
        );
        assert_eq!(row["profile"], "app");
        assert_eq!(row["tags"], serde_json::json!(["nightly"]));
        assert_eq!(row["paths"], serde_json::json!([src.to_str().unwrap()]));
    }
    let by_night: BTreeMap<String, &serde_json::Value> = rows
        .iter()
        .map(|r| (date_of(&r["time"]).to_string(), r))
        .collect();
    let reasons = |night: &str| by_night[night]["reasons"].clone();
    assert_eq!(
        reasons("2026-01-04"),
        serde_json::json!(["last", "within 2d"])
    );
    assert_eq!(reasons("2026-01-03"), serde_json::json!(["within 2d"]));
    // Exactly two days before the newest is outside the window.
    assert_eq!(reasons("2026-01-02"), serde_json::json!([]));
    assert_eq!(by_night["2026-01-02"]["keep"], false);
    assert_eq!(w.snapshots().len(), 4, "dry run removed something");
}

#[test]
fn empty_policy_is_refused_and_keep_none_removes_everything_selected() {
    let (w, _, _) = with_nights("2026-01-01", "2026-01-03", &[]);
    let err = forget_usage(&w, &[]);
    assert!(err.contains("cairn forget: no keep policy given"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    let err = forget_usage(&w, &["--keep-daily", "0"]);
    assert!(err.contains("no keep policy given"), "{err}");
    assert_eq!(w.snapshots().len(), 3);

    let out = forget(&w, &["--keep-none"]);
    assert!(out.contains("0 snapshots kept, 3 removed"), "{out}");
    assert!(w.snapshots().is_empty());
}

#[test]
fn a_policy_that_would_empty_a_group_is_refused() {
    let w = World::new();
    let src = source(&w);
    nightly(
        &w,
        &src,
        "2026-01-01".parse().unwrap(),
        &["--host", "a", "--tag", "release"],
    );
    nightly(&w, &src, "2026-01-02".parse().unwrap(), &["--host", "a"]);
    nightly(&w, &src, "2026-01-03".parse().unwrap(), &["--host", "b"]);
    let err = forget_fails(&w, &["--keep-tag", "release"]);
    assert!(
        err.contains("keeps none of the 1 snapshots of group host=b"),
        "{err}"
    );
    assert!(err.contains("--keep-none"), "{err}");
    assert_eq!(w.snapshots().len(), 3, "a refused forget removed something");

    forget(&w, &["--keep-tag", "release", "--keep-none"]);
    let left = w.snapshots();
    assert_eq!(left.len(), 1);
    assert_eq!(left[0]["host"], "a");
    assert_eq!(left[0]["tags"], serde_json::json!(["release"]));
}

#[test]
fn hosts_and_profiles_are_separate_groups_and_filters_select_what_is_considered() {
    let w = World::new();
    let src = source(&w);
    for n in nights("2026-01-01", "2026-01-04") {
        nightly(&w, &src, n, &["--host", "a"]);
        nightly(&w, &src, n, &["--host", "b"]);
    }
    let count = |host: &str| w.snapshots().iter().filter(|s| s["host"] == host).count();

    // Only host a is considered.
    let out = forget(&w, &["--keep-last", "2", "--host", "a"]);
    assert!(!out.contains("host=b"), "{out}");
    assert_eq!((count("a"), count("b")), (2, 4));
    // Both hosts, each keeping its own newest.
    let out = forget(&w, &["--keep-last", "1"]);
    assert!(out.contains("host=a profile=(none) paths="), "{out}");
    assert!(out.contains("host=b profile=(none) paths="), "{out}");
    assert_eq!((count("a"), count("b")), (1, 1));

    // Profiles split a host's snapshots of the same paths.
    for n in nights("2026-02-01", "2026-02-03") {
        nightly(&w, &src, n, &["--host", "c", "--profile", "app"]);
        nightly(
            &w,
            &src,
            n,
            &["--host", "c", "--profile", "db", "--tag", "db"],
        );
    }
    let table = w.ok(&["snapshots", "--host", "c"]);
    assert!(table.lines().next().unwrap().contains("profile"), "{table}");
    assert!(table.contains("app") && table.contains("db"), "{table}");
    // --tag selects only the db profile's snapshots.
    forget(&w, &["--keep-last", "1", "--tag", "db"]);
    let profiles: Vec<String> = w
        .snapshots()
        .iter()
        .filter(|s| s["host"] == "c")
        .map(|s| s["profile"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(profiles.iter().filter(|p| *p == "app").count(), 3);
    assert_eq!(profiles.iter().filter(|p| *p == "db").count(), 1);

    // One group for everything: only the newest snapshot of all survives.
    forget(&w, &["--keep-last", "1", "--group-by", ""]);
    let left = w.snapshots();
    assert_eq!(left.len(), 1);
    assert_eq!(date_of(&left[0]["time"]).to_string(), "2026-02-03");
}

#[test]
fn forgetting_by_id_removes_exactly_those_snapshots() {
    let (w, _, ids) = with_nights("2026-01-01", "2026-01-04", &[]);
    let err = forget_usage(&w, &[&ids[0][..8], "--keep-last", "1"]);
    assert!(err.contains("not both"), "{err}");

    let dry = forget(&w, &[&ids[1][..8], "--dry-run"]);
    assert!(
        dry.contains("0 snapshots kept, 1 would be removed"),
        "{dry}"
    );
    assert_eq!(w.snapshots().len(), 4);

    forget(&w, &[&ids[1][..8], &ids[2]]);
    let mut left: Vec<String> = w
        .snapshots()
        .iter()
        .map(|s| s["id"].as_str().unwrap().to_string())
        .collect();
    left.sort();
    let mut want = vec![ids[0].clone(), ids[3].clone()];
    want.sort();
    assert_eq!(left, want);
    let err = forget_fails(&w, &[&ids[1][..8]]);
    assert!(err.contains("no snapshot"), "{err}");
    w.ok(&["check"]);
}

#[test]
fn the_time_zone_decides_which_day_a_snapshot_belongs_to() {
    let w = World::new();
    let src = source(&w);
    // 22:00 and 23:30 UTC on 10 March are 07:00 and 08:30 on 11 March in Tokyo (+09:00).
    for t in [
        "2026-03-10T22:00:00Z",
        "2026-03-10T23:30:00Z",
        "2026-03-11T01:00:00Z",
    ] {
        fs::write(src.join("night.txt"), t).unwrap();
        w.backup(&[src.to_str().unwrap(), "--time", t]);
    }
    let kept = |tz_env: &str, extra: &[&str]| -> Vec<String> {
        let mut args = vec!["--keep-daily", "2", "--dry-run"];
        args.extend_from_slice(extra);
        forget_json(&w, tz_env, &args)
            .iter()
            .filter(|r| r["keep"] == true)
            .map(|r| r["reasons"][0].as_str().unwrap().to_string())
            .collect()
    };
    // The default is the local zone, taken from TZ.
    assert_eq!(kept("UTC", &[]), ["daily 2026-03-11", "daily 2026-03-10"]);
    assert_eq!(kept("Asia/Tokyo", &[]), ["daily 2026-03-11"]);
    assert_eq!(
        kept("Asia/Tokyo", &["--tz", "utc"]),
        ["daily 2026-03-11", "daily 2026-03-10"]
    );
    assert_eq!(kept("UTC", &["--tz", "+09:00"]), ["daily 2026-03-11"]);
    assert_eq!(kept("UTC", &["--tz", "-05:00"]), ["daily 2026-03-10"]);
    // Times are shown in the zone the days were taken in.
    let out = forget_in(&w, "Asia/Tokyo", &["--keep-daily", "2", "--dry-run"]);
    let out = String::from_utf8(out.stdout).unwrap();
    assert!(out.contains("2026-03-11 10:00:00 +09:00"), "{out}");

    let out = forget_in(&w, "UTC", &["--keep-daily", "2", "--tz", "Mars/Olympus"]);
    assert_eq!(out.status.code(), Some(2), "a bad --tz is a usage error");
    assert_eq!(w.snapshots().len(), 3);
}

#[test]
fn a_running_backup_blocks_forget_but_not_a_dry_run() {
    let (w, _, _) = with_nights("2026-01-01", "2026-01-03", &[]);
    // A backup reading a slow command holds its shared lock for the whole run.
    let mut backup = w
        .cmd()
        .args([
            "backup",
            "--stdin-name",
            "slow",
            "--stdin-from",
            "sleep 4; echo done",
        ])
        .spawn()
        .unwrap();
    let started = std::time::Instant::now();
    while w.objects("locks").is_empty() {
        assert!(
            started.elapsed().as_secs() < 30,
            "backup never took its lock"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let err = forget_fails(&w, &["--keep-last", "1"]);
    assert!(
        err.contains("is locked") && err.contains("cairn backup"),
        "{err}"
    );
    forget(&w, &["--keep-last", "1", "--dry-run"]);
    assert!(backup.wait().unwrap().success());
    assert_eq!(w.snapshots().len(), 4);
    // The stream is a group of its own (other paths): one snapshot stays in each.
    forget(&w, &["--keep-last", "1"]);
    assert_eq!(w.snapshots().len(), 2);
    assert!(w.objects("locks").is_empty(), "forget left its lock behind");
}

#[test]
fn the_local_zone_follows_daylight_saving_time() {
    let w = World::new();
    let src = source(&w);
    // Berlin leaves summer time at 01:00 UTC on 25 October 2026: 00:30 UTC is 02:30
    // CEST and 01:15 UTC is 02:15 CET, the same local hour lived twice.
    for t in ["2026-10-25T00:30:00Z", "2026-10-25T01:15:00Z"] {
        fs::write(src.join("night.txt"), t).unwrap();
        w.backup(&[src.to_str().unwrap(), "--time", t]);
    }
    let kept = |tz_env: &str| -> usize {
        forget_json(&w, tz_env, &["--keep-hourly", "5", "--dry-run"])
            .iter()
            .filter(|r| r["keep"] == true)
            .count()
    };
    assert_eq!(kept("UTC"), 2);
    assert_eq!(kept("Europe/Berlin"), 1);
    let out = forget_in(&w, "Europe/Berlin", &["--keep-hourly", "5", "--dry-run"]);
    let out = String::from_utf8(out.stdout).unwrap();
    assert!(
        out.contains("2026-10-25 02:15:00 +01:00  keep    hourly 2026-10-25T02"),
        "{out}"
    );
    assert!(out.contains("2026-10-25 02:30:00 +02:00  remove"), "{out}");
}
