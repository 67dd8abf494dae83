//! Write-only backup hosts (`cairn key add-writer`), through the CLI: a host key backs
//! up its own host, deduplicates against the repository, and can decrypt nothing but
//! the config and the index (checked with stock gpg); the owner's key restores what it
//! wrote; a host's word counts for its own host and its own deduplication only.

#[macro_use]
mod common;

use std::fs;
use std::path::{Path, PathBuf};

use common::forge::{gpg, stop_agent};
use common::stores::Store;
use common::{assert_same_tree, World};

per_store!(a_host_backs_up_cannot_read_and_the_owner_restores: File, S3);

/// A world for the host: its own key, cache and HOME (so its own trust pins), on the
/// owner's repository.
fn host_of(owner: &World, name: &str) -> (World, String) {
    let mut host = World::bare();
    host.repo = owner.repo.clone();
    host.url = owner.url.clone();
    host.env = owner.env.clone();
    let uid = format!("cairn backup key ({name})");
    host.ok(&[
        "key",
        "generate",
        "--out",
        host.key.to_str().unwrap(),
        "--user-id",
        &uid,
    ]);
    let public = host.path("host.pub");
    let out = host.ok(&["key", "export", "--public"]);
    fs::write(&public, out).unwrap();
    owner.ok(&["key", "add-writer", public.to_str().unwrap()]);
    let fpr = host.fingerprint();
    (host, fpr)
}

fn tree(w: &World, name: &str, seed: u64) -> PathBuf {
    let src = w.path(name);
    fs::create_dir_all(src.join("d")).unwrap();
    let mut x = seed.wrapping_mul(6364136223846793005).wrapping_add(1);
    let noise: Vec<u8> = (0..600_000)
        .map(|_| {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (x >> 33) as u8
        })
        .collect();
    fs::write(src.join("d/noise.bin"), noise).unwrap();
    fs::write(src.join("notes.txt"), format!("host {seed}\n").repeat(500)).unwrap();
    src
}

fn added(summary: &serde_json::Value) -> u64 {
    summary["stats"]["bytes_added"].as_u64().unwrap()
}

fn a_host_backs_up_cannot_read_and_the_owner_restores(store: Store) {
    let owner = World::on(store);
    let own_src = tree(&owner, "owner-src", 1);
    owner.backup(&[own_src.to_str().unwrap()]);
    let (host, host_fpr) = host_of(&owner, "db1");
    let signer = owner.fingerprint();

    // The first run names the owner's signing key; it is pinned from then on.
    let src = tree(&host, "src", 2);
    let s = src.to_str().unwrap();
    host.ok(&["--trust-signer", &signer, "backup", "--host", "db1", s]);
    // An unchanged re-run reads nothing (its files cache is its own) and stores at
    // most a directory listing whose parent's times changed.
    let again = host.backup(&["--host", "db1", s]);
    assert_eq!(again["stats"]["bytes_read"], 0, "{again}");
    assert!(added(&again) < 4096, "{again}");

    // Reading is refused, with one line naming the key and what it is.
    for args in [
        vec!["snapshots"],
        vec!["restore", "latest", "--target", "/nonexistent"],
        vec!["dump", "latest", "notes.txt"],
        vec!["check"],
    ] {
        let out = host.run(&args);
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        let line = common::error_line(&out, "host reads");
        assert!(
            line.contains("can write but not read") && line.contains(&host_fpr),
            "{args:?}: {line}"
        );
    }
    // Its snapshots carry its own host name only.
    let err = host.fails(&["backup", "--host", "web1", s], 1);
    assert!(err.contains("of host db1 only, not web1"), "{err}");

    // The owner sees and restores what the host wrote.
    let snaps = owner.snapshots();
    let hosted: Vec<_> = snaps.iter().filter(|s| s["host"] == "db1").collect();
    assert_eq!(hosted.len(), 2, "{snaps:?}");
    let target = owner.path("restored");
    owner.ok(&[
        "restore",
        "latest",
        "--host",
        "db1",
        "--target",
        target.to_str().unwrap(),
    ]);
    assert_same_tree(&src, &target.join(src.strip_prefix("/").unwrap()));
    owner.ok(&["check", "--read-data"]);

    // A lost cache costs reading, not storing: the host's own index is readable to it.
    fs::remove_dir_all(&host.cache).unwrap();
    let rerun = host.backup(&["--host", "db1", s]);
    assert!(added(&rerun) < 4096, "{rerun}");

    // Index objects written before the host was added are not encrypted to it; once
    // the owner re-encrypts them, the host deduplicates against the owner's data.
    owner.ok(&["key", "rewrap"]);
    let copy = host.path("copy-of-owner");
    fs::create_dir_all(&copy).unwrap();
    fs::copy(own_src.join("d/noise.bin"), copy.join("noise.bin")).unwrap();
    let dedup = host.backup(&["--host", "db1", copy.to_str().unwrap()]);
    assert!(
        added(&dedup) < 60_000,
        "deduplicated against the owner: {dedup}"
    );

    // The owner does not take the host's word for what it stored: a host could index
    // data it never stored and make other backups skip it.
    fs::copy(src.join("d/noise.bin"), own_src.join("from-host.bin")).unwrap();
    let owner_run = owner.backup(&[own_src.to_str().unwrap()]);
    assert!(added(&owner_run) >= 600_000, "{owner_run}");

    // Retention by the owner keeps the host's last snapshot restorable.
    owner.ok(&[
        "forget",
        "--host",
        "db1",
        "--keep-last",
        "1",
        "--prune",
        "--max-unused",
        "0",
    ]);
    owner.ok(&["check", "--read-data"]);
    let target = owner.path("restored-after-prune");
    owner.ok(&[
        "restore",
        "latest",
        "--host",
        "db1",
        "--target",
        target.to_str().unwrap(),
    ]);
    assert_same_tree(&copy, &target.join(copy.strip_prefix("/").unwrap()));
}

/// GnuPG holding the host's secret key (and the owner's certificate, to forge with).
fn host_gpg(host: &World, owner: &World) -> tempfile::TempDir {
    let home = tempfile::tempdir().unwrap();
    let sec = host.path("host-sec.asc");
    host.ok(&["key", "export", "--secret", "--out", sec.to_str().unwrap()]);
    gpg(home.path(), &["--import", sec.to_str().unwrap()], b"");
    let owner_pub = owner.ok(&["key", "export", "--public"]);
    gpg(home.path(), &["--import"], owner_pub.as_bytes());
    home
}

fn decrypts(home: &Path, object: &Path) -> bool {
    let out = std::process::Command::new("gpg")
        .arg("--homedir")
        .arg(home)
        .args(["--batch", "--decrypt"])
        .arg(object)
        .output()
        .unwrap();
    out.status.success()
}

#[test]
fn stock_gpg_with_the_host_key_decrypts_no_data_and_a_forged_host_name_is_refused() {
    let owner = World::new();
    let own_src = tree(&owner, "owner-src", 3);
    owner.backup(&[own_src.to_str().unwrap()]);
    let (host, host_fpr) = host_of(&owner, "db2");
    owner.ok(&["key", "rewrap"]);
    let src = tree(&host, "src", 4);
    host.ok(&[
        "--trust-signer",
        &owner.fingerprint(),
        "backup",
        "--host",
        "db2",
        src.to_str().unwrap(),
    ]);

    let home = host_gpg(&host, &owner);
    assert!(decrypts(home.path(), &owner.repo.join("config")));
    for index in owner.stored("index") {
        assert!(decrypts(home.path(), &index), "{}", index.display());
    }
    let data = owner.stored("data");
    let snaps = owner.stored("snapshots");
    assert!(data.len() >= 2 && snaps.len() == 2);
    for object in data.iter().chain(&snaps) {
        assert!(
            !decrypts(home.path(), object),
            "the host key decrypts {}",
            object.display()
        );
    }

    // The host signs a manifest claiming another host: the owner refuses it.
    let owner_home = common::forge::gpg_with(&owner);
    let host_pub = host.ok(&["key", "export", "--public"]);
    gpg(owner_home.path(), &["--import"], host_pub.as_bytes());
    let theirs = snaps
        .iter()
        .map(|p| gpg(owner_home.path(), &["--decrypt"], &fs::read(p).unwrap()))
        .map(|plain| serde_json::from_slice::<serde_json::Value>(&plain).unwrap())
        .find(|s| s["host"] == "db2")
        .unwrap();
    let mut forged = theirs.clone();
    forged["host"] = "owner-host".into();
    forged["time"] = "2030-01-01T00:00:00Z".into();
    let stored = gpg(
        home.path(),
        &[
            "--trust-model",
            "always",
            "-u",
            &host_fpr,
            "-r",
            &owner.fingerprint(),
            "--sign",
            "--encrypt",
        ],
        &serde_json::to_vec(&forged).unwrap(),
    );
    let name = blake3::hash(&stored).to_hex().to_string();
    fs::write(snaps[0].parent().unwrap().join(&name), &stored).unwrap();
    let out = owner.run(&["snapshots"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&name) && err.contains("claims host \"owner-host\""),
        "{err}"
    );
    assert!(!String::from_utf8_lossy(&out.stdout).contains("owner-host"));
    stop_agent(home.path());
    stop_agent(owner_home.path());
}

#[test]
fn a_removed_writer_can_no_longer_back_up_and_its_snapshots_stay_readable() {
    let owner = World::new();
    let (host, host_fpr) = host_of(&owner, "db3");
    let src = tree(&host, "src", 5);
    let s = src.to_str().unwrap();
    host.ok(&[
        "--trust-signer",
        &owner.fingerprint(),
        "backup",
        "--host",
        "db3",
        s,
    ]);
    let removed = owner.json(&["key", "remove-writer", &host_fpr]);
    assert_eq!(removed["removed_writer"], host_fpr.as_str());
    let out = host.run(&["backup", "--host", "db3", s]);
    assert_eq!(out.status.code(), Some(1));
    let line = common::error_line(&out, "removed writer");
    assert!(
        line.contains("config") && line.contains("not encrypted"),
        "{line}"
    );
    // Still verifiable after removal, and signed by the owner after rewrap.
    assert_eq!(owner.snapshots().len(), 1);
    owner.ok(&["key", "rewrap"]);
    assert_eq!(owner.snapshots()[0]["host"], "db3");
    let target = owner.path("restored");
    owner.ok(&["restore", "latest", "--target", target.to_str().unwrap()]);
    assert_same_tree(&src, &target.join(src.strip_prefix("/").unwrap()));
    // A host key cannot be added as a writer twice, nor a recipient as a writer.
    let own_pub = owner.path("owner.pub");
    fs::write(&own_pub, owner.ok(&["key", "export", "--public"])).unwrap();
    let err = owner.fails(
        &[
            "key",
            "add-writer",
            own_pub.to_str().unwrap(),
            "--host",
            "x",
        ],
        1,
    );
    assert!(err.contains("is a recipient"), "{err}");
}
