//! The same end-to-end scenarios through the binary against every store: a local
//! directory, Swift with TempAuth, with a Keystone password and with a Keystone
//! application credential, and S3. Each scenario is written once and instantiated per
//! store by `per_store!`.

#[macro_use]
mod common;

use std::fs;

use common::stores::Store;
use common::{assert_same_tree, small_tree, World};

per_store!(round_trip: File, SwiftTempAuth, SwiftKeystone, SwiftAppCred, S3);
per_store!(wrong_credentials: SwiftTempAuth, SwiftKeystone, SwiftAppCred, S3);
per_store!(not_initialised: File, SwiftTempAuth, SwiftKeystone, S3);

/// init, two backups (the second mostly deduplicated), restore bit for bit, a check
/// that downloads and verifies every pack; then forget --prune frees the data of the
/// snapshots it removes and what is left still checks and restores.
fn round_trip(store: Store) {
    let w = World::on(store);
    let src = small_tree(&w, 7);
    let first = w.backup(&[src.to_str().unwrap()]);
    fs::write(src.join("d/new.txt"), "added on the second night\n").unwrap();
    let second = w.backup(&[src.to_str().unwrap()]);
    let stored = |s: &serde_json::Value| s["stats"]["bytes_stored"].as_u64().unwrap();
    assert!(
        stored(&second) * 20 < stored(&first),
        "{store:?}: second backup stored {} of the first's {}",
        stored(&second),
        stored(&first)
    );
    assert_eq!(w.snapshots().len(), 2, "{store:?}");
    if store != Store::File {
        assert!(!w.repo.exists(), "{store:?} wrote to the local directory");
    }

    let target = w.path("restored");
    w.ok(&["restore", "latest", "--target", target.to_str().unwrap()]);
    let inner = target.join(src.strip_prefix("/").unwrap());
    assert_same_tree(&src, &inner);

    check_all(&w);

    // A third night replaces the 3 MB file; keeping only that night frees the old one.
    fs::write(src.join("b.bin"), common::noise(3_000_000, 8)).unwrap();
    w.backup(&[src.to_str().unwrap()]);
    let out = w.json(&["forget", "--keep-last", "1", "--prune"]);
    assert_eq!(out["snapshots"].as_array().unwrap().len(), 3, "{out}");
    let freed = out["prune"]["bytes_freed"].as_u64().unwrap();
    assert!(freed > 2_500_000, "{store:?}: prune freed {freed}");
    assert_eq!(w.snapshots().len(), 1, "{store:?}");
    check_all(&w);
    let again = w.path("restored-after-prune");
    w.ok(&["restore", "latest", "--target", again.to_str().unwrap()]);
    assert_same_tree(&src, &again.join(src.strip_prefix("/").unwrap()));
}

/// `check --read-data`: every pack downloaded, decrypted and verified, no errors.
fn check_all(w: &World) {
    let check = w.json(&["check", "--read-data"]);
    assert_eq!(check["errors"].as_array().map(Vec::len), Some(0), "{check}");
    assert!(check["packs_read"].as_u64().unwrap() > 0, "{check}");
}

/// A wrong secret fails fast with one line that names the store and not the secret.
fn wrong_credentials(store: Store) {
    let mut w = World::on(store);
    w.env = store.wrong_env();
    let started = std::time::Instant::now();
    let err = w.fails(&["snapshots"], 1);
    let url = w.url.clone().unwrap();
    let container = url.split('/').nth(2).unwrap();
    assert_eq!(err.lines().count(), 1, "{store:?}: {err}");
    assert!(err.contains(container), "{store:?} names the store: {err}");
    let secret = store.secret().unwrap();
    assert!(!err.contains(&secret), "{store:?} leaks the secret: {err}");
    // Authentication failures are permanent: no retries with backoff.
    assert!(
        started.elapsed() < std::time::Duration::from_secs(10),
        "{store:?} retried a permanent error ({:?})",
        started.elapsed()
    );
    assert!(
        !err.contains("retrying"),
        "{store:?} retried a permanent error: {err}"
    );
}

/// Pointing at a location without a repository names it and says to run `cairn init`
/// (Swift and the directory: "not initialised"; S3: the bucket does not exist), and
/// reading creates nothing.
fn not_initialised(store: Store) {
    let mut w = World::bare();
    if store != Store::File {
        w.url = Some(store.url(w.dir.path()));
        w.env = store.env();
    }
    w.ok(&["key", "generate", "--out", w.key.to_str().unwrap()]);
    let err = w.fails(&["snapshots"], 1);
    assert!(err.contains("cairn init"), "{store:?}: {err}");
    assert_eq!(err.lines().count(), 1, "{store:?}: {err}");
    // A second look still says the same: nothing was created by the first.
    assert_eq!(w.fails(&["snapshots"], 1), err, "{store:?}");
    w.ok(&["init"]);
    assert!(w.snapshots().is_empty());
}
