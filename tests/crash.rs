//! Crash consistency: kill -9 in the middle of a backup leaves a repository that checks
//! clean, and the next backup completes; the dead process's lock is found stale.

mod common;

use std::process::Stdio;
use std::time::{Duration, Instant};

use common::World;

#[test]
fn kill_9_mid_backup_leaves_a_valid_repository() {
    let w = World::new();
    let src = w.path("src");
    std::fs::create_dir_all(&src).unwrap();
    std::fs::write(src.join("f"), common::noise(2_000_000, 3)).unwrap();
    w.backup(&[src.to_str().unwrap()]);
    let packs_before = w.objects("data").len();

    // A slow stream, so the kill lands while packs are being written.
    let mut child = w
        .stream_backup(
            "i=0; while [ $i -lt 400 ]; do head -c 1048576 /dev/urandom; sleep 0.02; i=$((i+1)); done\n",
        )
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while w.objects("data").len() < packs_before + 2 {
        assert!(
            Instant::now() < deadline,
            "no packs written within a minute"
        );
        assert!(
            child.try_wait().unwrap().is_none(),
            "backup ended before the kill"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();

    // Packs were stored, no snapshot refers to them, and the repository is valid.
    assert!(w.objects("data").len() >= packs_before + 2);
    assert_eq!(w.snapshots().len(), 1);
    w.ok(&["check", "--read-data"]);
    // The killed process's lock is still there, and recognised as stale.
    assert_eq!(w.objects("locks").len(), 1);
    let snap = w.backup(&[src.to_str().unwrap()]);
    assert!(snap["id"].is_string());
    assert_eq!(w.snapshots().len(), 2);
    let out = w.ok(&["unlock"]);
    assert!(
        out.contains("removed locks/") && out.contains("pid"),
        "{out}"
    );
    assert!(w.objects("locks").is_empty());
    w.ok(&["check"]);
}

#[test]
fn live_exclusive_lock_of_another_host_blocks_backup_until_removed() {
    use common::forge::{gpg, gpg_with, stop_agent};
    let w = World::new();
    let src = w.path("src");
    std::fs::create_dir_all(&src).unwrap();
    std::fs::write(src.join("f"), b"x").unwrap();
    // What a running prune on another host leaves: a fresh exclusive lock.
    let home = gpg_with(&w);
    let now = chrono::Utc::now().to_rfc3339();
    let lock = serde_json::json!({
        "host": "other-host", "pid": 4242, "kind": "exclusive", "command": "prune",
        "created": now, "refreshed": now,
    });
    let sealed = gpg(
        home.path(),
        &["--encrypt", "-r", &w.fingerprint()],
        &serde_json::to_vec(&lock).unwrap(),
    );
    std::fs::create_dir_all(w.repo.join("locks")).unwrap();
    std::fs::write(w.repo.join("locks").join("a".repeat(64)), sealed).unwrap();
    stop_agent(home.path());

    let err = w.fails(&["backup", src.to_str().unwrap()], 1);
    assert!(
        err.contains("is locked: exclusive lock held by `cairn prune` (pid 4242 on other-host)")
            && err.contains("cairn unlock"),
        "{err}"
    );
    // Our own lock was withdrawn: only the foreign one is left, and no snapshot.
    assert_eq!(w.objects("locks").len(), 1);
    assert!(w.snapshots().is_empty());
    // Not stale (refreshed just now, other host): plain unlock keeps it.
    let out = w.ok(&["unlock"]);
    assert!(
        out.contains("0 locks removed") || !out.contains("removed locks/"),
        "{out}"
    );
    assert_eq!(w.objects("locks").len(), 1);
    w.ok(&["unlock", "--remove-all"]);
    w.backup(&[src.to_str().unwrap()]);
}
