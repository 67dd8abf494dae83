//! A backup that may have lost its lock does not commit: suspended past the stale limit,
//! its lock is judged stale, a prune deletes its packs, and once resumed it fails
//! instead of writing an index and a snapshot that name deleted data.

mod common;

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::World;

/// Test-only lock timings (src/repo/lock.rs): refreshed every second, stale after six,
/// so a holder may go five seconds (six minus a one-second margin) without a refresh.
const STALE_SECS: u64 = 6;

fn short_locks(w: &mut World) {
    w.env.extend([
        ("CAIRN_TEST_LOCK_STALE_SECS".into(), STALE_SECS.to_string()),
        ("CAIRN_TEST_LOCK_REFRESH_SECS".into(), "1".into()),
    ]);
}

fn signal(child: &Child, sig: &str) {
    let ok = Command::new("kill")
        .args([sig, &child.id().to_string()])
        .status()
        .unwrap()
        .success();
    assert!(ok, "kill {sig} {}", child.id());
}

fn packs(w: &World) -> usize {
    w.stored("data").len()
}

/// Waits until the running `child` has stored `n` more packs than `before`.
fn wait_for_packs(w: &World, child: &mut Child, before: usize, n: usize) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while packs(w) < before + n {
        assert!(
            Instant::now() < deadline,
            "no packs written within a minute"
        );
        assert!(
            child.try_wait().unwrap().is_none(),
            "backup ended before it was suspended"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn suspended_backup_judged_stale_fails_instead_of_committing_pruned_data() {
    let mut w = World::new();
    short_locks(&mut w);
    let src = w.path("src");
    std::fs::create_dir_all(&src).unwrap();
    std::fs::write(src.join("f"), common::noise(500_000, 1)).unwrap();
    w.backup(&[src.to_str().unwrap()]);
    let packs_before = packs(&w);

    // 48 MiB fed a MiB at a time, slowly enough that the backup is mid-flight when
    // suspended; the same bytes are backed up again at the end.
    let big = w.path("big");
    let data = common::noise(48 << 20, 7);
    std::fs::write(&big, &data).unwrap();
    let mut backup = w
        .stream_backup(&format!(
            "i=0; while [ $i -lt 48 ]; do dd if={} bs=1048576 skip=$i count=1 2>/dev/null; sleep 0.1; i=$((i+1)); done\n",
            big.display()
        ))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_for_packs(&w, &mut backup, packs_before, 2);
    signal(&backup, "-STOP");
    std::thread::sleep(Duration::from_secs(STALE_SECS + 2));

    // The suspended backup's lock is stale by age: prune takes the repository and
    // deletes the packs no index lists, which are the backup's.
    let out = w
        .cmd()
        .args(["--json", "prune"])
        .output()
        .expect("prune runs");
    common::assert_ok(&out, "prune");
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("ignoring stale shared lock held by `cairn backup`"),
        "{stderr}"
    );
    assert!(report["packs_unindexed"].as_u64().unwrap() >= 2, "{report}");
    assert!(
        report["packs_deleted"].as_u64() >= report["packs_unindexed"].as_u64(),
        "{report}"
    );
    assert_eq!(packs(&w), packs_before, "{report}");

    signal(&backup, "-CONT");
    let out = backup.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("cairn backup: lock locks/")
            && err.contains("without a refresh (process suspended or storage unreachable)")
            && err.contains("no snapshot is written; run the backup again"),
        "{err}"
    );
    assert!(w.objects("index").len() <= 1, "no index of the failed run");
    assert_eq!(w.snapshots().len(), 1, "no snapshot of the failed run");
    w.ok(&["check", "--read-data"]);

    // The next run stores everything again: none of the lost packs' blobs is taken as
    // already stored.
    w.ok(&[
        "backup",
        "--stdin-name",
        "big.dump",
        "--stdin-from",
        &format!("cat {}", big.display()),
    ]);
    w.ok(&["check", "--read-data"]);
    let out = w
        .cmd()
        .args(["dump", "latest", "big.dump"])
        .output()
        .unwrap();
    common::assert_ok(&out, "dump");
    assert!(out.stdout == data, "restored stream differs");
}

#[test]
fn backup_whose_refreshes_keep_failing_fails_instead_of_committing() {
    let mut w = World::new();
    short_locks(&mut w);
    let src = w.path("src");
    std::fs::create_dir_all(&src).unwrap();
    std::fs::write(src.join("f"), common::noise(200_000, 2)).unwrap();
    // Every lock write after the first (the lock itself) fails for good; the slow
    // source keeps the backup running past the limit.
    w.env.push((
        "CAIRN_TEST_FAULTS".into(),
        "put@locks/:1:delay=0,put@locks/:*:permanent".into(),
    ));
    let err = w.fails(
        &[
            "backup",
            "--stdin-name",
            "slow.dump",
            "--stdin-from",
            "for i in 1 2 3 4 5 6 7 8; do echo $i; sleep 1; done",
        ],
        1,
    );
    assert!(
        err.contains("refreshing lock locks/") && err.contains("no snapshot is written"),
        "{err}"
    );
    assert!(w.snapshots().is_empty());
}

#[test]
fn prune_that_lost_its_lock_deletes_nothing() {
    let mut w = World::new();
    short_locks(&mut w);
    let src = common::small_tree(&w, 3);
    w.backup(&[src.to_str().unwrap()]);
    std::fs::write(src.join("b.bin"), common::noise(3_000_000, 4)).unwrap();
    w.backup(&[src.to_str().unwrap()]);
    w.ok(&["forget", "--keep-last", "1"]);
    let packs_before = w.stored("data");
    let index_before = w.stored("index");

    // The lock's refreshes fail for good, and prune's last look at the locks before it
    // deletes takes longer than the lock may go unrefreshed.
    let mut faulty = w.env.clone();
    faulty.push((
        "CAIRN_TEST_FAULTS".into(),
        "put@locks/:1:delay=0,put@locks/:*:permanent,list@locks/:2:delay=6000".into(),
    ));
    let ok_env = std::mem::replace(&mut w.env, faulty);
    let err = w.fails(&["prune"], 1);
    w.env = ok_env;
    assert!(
        err.contains("without a refresh")
            && err.contains("nothing more is deleted; run the prune again"),
        "{err}"
    );
    // Repacking may have added packs and an index; nothing was deleted.
    let packs_after = w.stored("data");
    assert!(packs_before.iter().all(|p| packs_after.contains(p)));
    let index_after = w.stored("index");
    assert!(index_before.iter().all(|p| index_after.contains(p)));
    w.ok(&["check", "--read-data"]);
    // A prune that holds its lock throughout finishes the job: packs it deletes or
    // repacks (how many depends on how the walk filled them) are gone afterwards.
    w.ok(&["prune"]);
    let packs_final = w.stored("data");
    assert!(
        packs_before.iter().any(|p| !packs_final.contains(p)),
        "the second prune removed none of the packs the first one left"
    );
    w.ok(&["check", "--read-data"]);
}
