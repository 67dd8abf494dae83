//! Fault injection around the real file backend (`CAIRN_TEST_FAULTS`): transient
//! failures are retried and reported; permanent ones fail fast with one line and leave
//! a valid repository; damaged transfers are caught.

mod common;

use std::fs;

use common::{assert_same_tree, World};

fn tree(w: &World) -> std::path::PathBuf {
    common::small_tree(w, 21)
}

/// The tree, backed up once.
fn backed_up_tree(w: &World) -> std::path::PathBuf {
    let src = tree(w);
    w.backup(&[src.to_str().unwrap()]);
    src
}

/// Runs cairn with its cache in `cache` (a cache rebuilt from storage when new) and,
/// given, injected `faults`.
fn with_cache(
    w: &World,
    cache: &std::path::Path,
    faults: Option<&str>,
    args: &[&str],
) -> std::process::Output {
    let mut cmd = w.cmd();
    cmd.env("CAIRN_CACHE_DIR", cache);
    if let Some(f) = faults {
        cmd.env("CAIRN_TEST_FAULTS", f).env("CAIRN_RETRY_FAST", "1");
    }
    cmd.args(args).output().unwrap()
}

#[test]
fn transient_failures_are_retried_and_reported() {
    let w = World::new();
    let src = tree(&w);
    let s = src.to_str().unwrap();
    let out = w.with_faults("put@data/:1:transient,put@data/:2:transient,put@index/:1:transient,list@snapshots/:1:transient",
        &["backup", s],
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(
        err.contains("injected transient fault; retrying in"),
        "{err}"
    );
    assert!(err.matches("retrying").count() >= 3, "{err}");
    let t = w.path("r");
    let out = w.with_faults(
        "get@data/:1:transient",
        &["restore", "latest", "--target", t.to_str().unwrap()],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_same_tree(&src, &t.join(src.strip_prefix("/").unwrap()));
    w.ok(&["check", "--read-data"]);
}

#[test]
fn persistent_or_permanent_failures_fail_fast_and_lose_nothing() {
    let w = World::new();
    let src = backed_up_tree(&w);
    let s = src.to_str().unwrap();
    fs::write(src.join("new.bin"), common::noise(2_000_000, 22)).unwrap();
    for faults in [
        "put@data/:1:permanent",
        "put@data/:*:transient",
        "put@snapshots/:1:permanent",
    ] {
        let out = w.with_faults(faults, &["backup", s]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{faults}: {err}");
        let last = err.lines().last().unwrap_or("");
        assert!(
            last.starts_with("cairn backup: ") && last.contains("injected"),
            "{faults}: {err}"
        );
        assert!(
            last.contains("data/") || last.contains("snapshots/"),
            "the failing object is named: {err}"
        );
        if faults.contains("*:transient") {
            assert!(last.contains("gave up after 10 attempts"), "{err}");
        }
        // Still one snapshot, and everything checks.
        assert_eq!(w.snapshots().len(), 1, "{faults}");
        w.ok(&["check", "--read-data"]);
    }
    // Without faults the next backup goes through.
    w.backup(&[s]);
    assert_eq!(w.snapshots().len(), 2);
}

#[test]
fn damaged_transfers_are_caught() {
    let w = World::new();
    let src = tree(&w);
    let s = src.to_str().unwrap();
    // A store that keeps half of an object and says it kept all of it: check finds it.
    let out = w.with_faults("put@data/:1:truncate", &["backup", s]);
    assert!(out.status.success());
    let err = w.fails(&["check", "--read-data"], 1);
    assert!(err.contains("do not match the pack id"), "{err}");
    // A download cut short is fetched again, and the restore succeeds.
    let w = World::new();
    let src = tree(&w);
    w.backup(&[src.to_str().unwrap()]);
    let t = w.path("r");
    let out = w.with_faults(
        "get@data/:1:truncate",
        &["restore", "latest", "--target", t.to_str().unwrap()],
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(err.contains("fetching it again"), "{err}");
    assert_same_tree(&src, &t.join(src.strip_prefix("/").unwrap()));
}

#[test]
fn bad_fault_spec_is_a_clear_error() {
    let w = World::new();
    let out = w.with_faults("put:x:melt", &["snapshots"]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("CAIRN_TEST_FAULTS") && err.contains("put:x:melt"),
        "{err}"
    );
}

/// The end of a stream's backup (the last packs sealed side by side, the index made
/// while packs were stored, its cache rows inserted while it is written): a failing
/// upload there leaves no snapshot, and the cache has not learnt of blobs that no
/// stored index names, so the next backup stores them again.
#[test]
fn failures_at_the_end_of_a_stream_leave_no_snapshot_and_no_false_cache() {
    let w = World::new();
    let data = common::noise(20_000_000, 23);
    for faults in ["put@index/:1:permanent", "put@data/:3:permanent"] {
        let out = common::run_with_input(
            w.cmd()
                .env("CAIRN_TEST_FAULTS", faults)
                .env("CAIRN_RETRY_FAST", "1")
                .args(["backup", "--stdin-name", "big.bin"]),
            &data,
        );
        let last = common::error_line(&out, faults);
        assert!(
            last.starts_with("cairn backup: ") && last.contains("injected"),
            "{faults}: {last}"
        );
        let object = faults.split(['@', ':']).nth(1).unwrap();
        assert!(last.contains(object), "{faults}: {last}");
        assert!(w.snapshots().is_empty(), "{faults}");
        w.ok(&["check", "--read-data"]);
    }
    // With the same cache, the next backup is complete: an index on storage names
    // every blob its snapshot needs, which a cache that had kept the failed index's
    // rows would have left out.
    w.ok_stdin(&["backup", "--stdin-name", "big.bin"], &data);
    let fresh = w.path("fresh-cache");
    let out = with_cache(&w, &fresh, None, &["check", "--read-data"]);
    common::assert_ok(&out, "check with a cache rebuilt from storage");
    let dumped = with_cache(&w, &fresh, None, &["dump", "latest", "big.bin"]);
    common::assert_ok(&dumped, "dump");
    assert!(dumped.stdout == data, "the stream comes back whole");
}

/// Index objects are read ahead of the thread that stores them (prune's scratch
/// database, a cache rebuilt from storage). An object that cannot be read stops either
/// with one line naming it, prune deleting nothing, and the run without the fault then
/// succeeds.
#[test]
fn an_unreadable_index_object_stops_prune_and_a_cache_rebuild_deleting_nothing() {
    let w = World::new();
    let src = backed_up_tree(&w);
    let s = src.to_str().unwrap();
    fs::write(src.join("new.bin"), common::noise(2_000_000, 24)).unwrap();
    w.backup(&[s]);
    fs::remove_file(src.join("new.bin")).unwrap();
    w.backup(&[s]);
    // The second snapshot goes: its new.bin is what a prune would delete.
    let second = w.snapshots()[1]["id"].as_str().unwrap().to_string();
    w.ok(&["forget", &second]);
    let before = w.objects("data");
    for (faults, args) in [
        ("get@index/:2:permanent", vec!["prune"]),
        ("get@index/:1:permanent", vec!["prune", "--dry-run"]),
    ] {
        let out = w.with_faults(faults, &args);
        let last = common::error_line(&out, faults);
        assert!(
            last.starts_with("cairn prune: ")
                && last.contains("index/")
                && last.contains("injected"),
            "{faults}: {last}"
        );
        assert_eq!(w.objects("data"), before, "{faults}: nothing deleted");
    }
    let fresh = w.path("fresh-cache");
    let out = with_cache(&w, &fresh, Some("get@index/:2:permanent"), &["check"]);
    let last = common::error_line(&out, "check on a cold cache");
    assert!(
        last.starts_with("cairn check: ") && last.contains("index/") && last.contains("injected"),
        "{last}"
    );
    w.ok(&["prune"]);
    assert!(
        w.objects("data").len() < before.len(),
        "the prune without faults deletes"
    );
    let out = with_cache(&w, &fresh, None, &["check", "--read-data"]);
    common::assert_ok(&out, "check with a cache rebuilt from storage");
}
