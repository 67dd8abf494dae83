//! Locks on a store whose listings lag behind its writes (Swift under load): a backup
//! that starts while a prune holds the exclusive lock must see that lock although the
//! listing leaves out objects younger than the lag. The lag is simulated by the fault
//! wrapper's `lag` rule around the real store, judged by each object's stored time, so
//! it holds across the two processes.

mod common;

use std::process::{Child, Output, Stdio};
use std::time::{Duration, Instant};

use common::World;

/// The listing leaves out locks written less than this ago.
const LAG_MS: u64 = 2500;

/// A prune that takes the exclusive lock and then holds it for a few seconds (reading
/// the snapshot is slowed down), with the lagging listing.
fn slow_prune(w: &World, settle: Option<&str>) -> Child {
    let mut c = w.cmd();
    c.env(
        "CAIRN_TEST_FAULTS",
        format!("list@locks/:*:lag={LAG_MS},get@snapshots/:*:delay=5000"),
    );
    if let Some(s) = settle {
        c.env("CAIRN_LISTING_LAG", s);
    }
    c.args(["prune"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// Waits until the prune's lock object is stored, then backs up with the lagging
/// listing, and returns the backup's and the prune's results.
fn backup_during_prune(settle: Option<&str>) -> (Output, Output) {
    let w = World::new();
    let src = common::small_tree(&w, 1);
    w.backup(&[src.to_str().unwrap()]);
    let locks = w.path("repo/locks");
    let prune = slow_prune(&w, settle);
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::fs::read_dir(&locks).map_or(0, |d| d.count()) == 0 {
        assert!(Instant::now() < deadline, "prune took no lock in 30 s");
        std::thread::sleep(Duration::from_millis(10));
    }
    let mut backup = w.cmd();
    backup.env("CAIRN_TEST_FAULTS", format!("list@locks/:*:lag={LAG_MS}"));
    if let Some(s) = settle {
        backup.env("CAIRN_LISTING_LAG", s);
    }
    let backed_up = backup
        .args(["backup", src.to_str().unwrap()])
        .output()
        .unwrap();
    (backed_up, prune.wait_with_output().unwrap())
}

/// One of the two must give way, whichever lists the other's lock first (with these
/// timings the prune does, as it lists after the backup has written its lock); the
/// other runs, and never both.
#[test]
fn waiting_out_the_lag_before_listing_keeps_backup_and_prune_apart() {
    let (backup, prune) = backup_during_prune(Some("3"));
    let refused = |o: &Output, holder: &str| {
        let err = String::from_utf8_lossy(&o.stderr);
        !o.status.success()
            && err.contains(&format!("is locked: {holder}"))
            && err.trim().lines().count() == 1
    };
    let one_gave_way = (backup.status.success()
        && refused(&prune, "shared lock held by `cairn backup`"))
        || (prune.status.success() && refused(&backup, "exclusive lock held by `cairn prune`"));
    assert!(
        one_gave_way,
        "backup {:?}: {}\nprune {:?}: {}",
        backup.status,
        String::from_utf8_lossy(&backup.stderr),
        prune.status,
        String::from_utf8_lossy(&prune.stderr)
    );
}

/// Without the wait the same lagging listing hides the prune's lock from the backup,
/// which then runs beside it: what the wait above prevents, and proof that the lag
/// rule hides what it should.
#[test]
fn without_the_wait_a_lagging_listing_hides_the_exclusive_lock() {
    let (backup, prune) = backup_during_prune(None);
    common::assert_ok(&backup, "backup beside prune");
    common::assert_ok(&prune, "prune");
}

#[test]
fn a_bad_listing_lag_is_refused_in_one_line() {
    let w = World::new();
    let src = common::small_tree(&w, 2);
    let out = w
        .cmd()
        .env("CAIRN_LISTING_LAG", "soon")
        .args(["backup", src.to_str().unwrap()])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.code() == Some(1)
            && err.trim().lines().count() == 1
            && err.contains("CAIRN_LISTING_LAG: \"soon\" is not a number of seconds"),
        "{:?}: {err}",
        out.status
    );
}
