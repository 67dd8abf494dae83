//! The storage is untrusted: a forged repository is refused, whom to trust comes from
//! the user (own key, pin, --trust-signer), and index objects planted, replayed or
//! pointing at deleted packs cannot make backup or prune lose data.

#[macro_use]
mod common;

use std::fs;
use std::path::{Path, PathBuf};

use common::forge::{gpg, gpg_with, stop_agent};
use common::stores::Store;
use common::{assert_same_tree, fixtures, World};

fn one_line(stderr: &str) -> String {
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.is_empty()).collect();
    assert_eq!(lines.len(), 1, "expected one line:\n{stderr}");
    lines[0].to_string()
}

fn tree_with(w: &World, name: &str, content: &str) -> PathBuf {
    let src = w.path(name);
    fs::create_dir_all(&src).unwrap();
    fs::write(src.join("payroll.txt"), content).unwrap();
    src
}

/// A second world in the same store: its own key, a repository of its own.
fn world_in(store: Store) -> World {
    let mut w = World::bare();
    if store != Store::File {
        w.url = Some(store.url(w.dir.path()));
        w.env = store.env();
    }
    w.ok(&["key", "generate", "--out", w.key.to_str().unwrap()]);
    w
}

fn forged_repository_is_refused(store: Store) {
    let victim = world_in(store);
    victim.ok(&["init"]);
    let src = tree_with(&victim, "src", "the real numbers\n");
    victim.backup(&[src.to_str().unwrap()]);
    let victim_fpr = victim.fingerprint();
    let victim_pub = victim.path("victim.pub");
    victim.ok(&[
        "key",
        "export",
        "--public",
        "--out",
        victim_pub.to_str().unwrap(),
    ]);

    // The attacker holds the storage and the victim's public key, nothing else.
    let attacker = world_in(store);
    attacker.ok(&["init", "--recipient", victim_pub.to_str().unwrap()]);
    let forged_src = tree_with(&attacker, "src", "the attacker's numbers\n");
    attacker.backup(&[forged_src.to_str().unwrap()]);
    let attacker_fpr = attacker.fingerprint();

    // In place of the victim's repository: the very directory, where this machine
    // pinned the victim's key at init; an object store's other location, read as a
    // machine without pins would (only the key given decides there).
    let run = |extra: &[(&str, &str)], args: &[&str]| {
        let mut c = victim.cmd();
        if let Some(url) = &attacker.url {
            c.env("CAIRN_REPO", url);
        }
        c.envs(extra.iter().copied()).args(args).output().unwrap()
    };
    if store == Store::File {
        fs::remove_dir_all(&victim.repo).unwrap();
        common::copy_dir(&attacker.repo, &victim.repo);
    }

    let target = victim.path("restored");
    let t = target.to_str().unwrap();
    let fpr_flag = ["--trust-signer", victim_fpr.as_str()];
    for (extra, flags) in [
        (vec![], vec![]),
        (vec![("CAIRN_TRUST_SIGNER", victim_fpr.as_str())], vec![]),
        (vec![], fpr_flag.to_vec()),
    ] {
        for args in [
            vec!["restore", "latest", "--target", t],
            vec!["snapshots"],
            vec!["ls", "latest"],
            vec!["dump", "latest", "payroll.txt"],
            vec!["check"],
        ] {
            let out = run(&extra, &[flags.clone(), args.clone()].concat());
            let err = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(1), "{args:?} {extra:?}: {err}");
            let line = one_line(&err);
            assert!(
                line.contains(&victim_fpr) && line.contains(&attacker_fpr),
                "{args:?}: the error names both keys: {line}"
            );
            assert!(out.stdout.is_empty(), "{args:?} printed {:?}", out.stdout);
        }
    }
    assert!(
        !target.exists() || fs::read_dir(&target).unwrap().next().is_none(),
        "nothing may be written to the target"
    );
}

per_store!(forged_repository_is_refused: File, S3);

#[test]
fn a_recipient_key_reads_only_with_a_signer_the_user_named() {
    let w = World::new();
    let recovery_pub = fixtures().join("keys/gpg-ed25519-nopass.pub.asc");
    let recovery_sec = fixtures().join("keys/gpg-ed25519-nopass.sec.asc");
    let repo = w.path("repo-r");
    let r = repo.to_str().unwrap();
    w.ok(&[
        "-r",
        r,
        "init",
        "--recipient",
        recovery_pub.to_str().unwrap(),
    ]);
    let src = tree_with(&w, "src", "payroll\n");
    w.ok(&["-r", r, "backup", src.to_str().unwrap()]);
    let repo_fpr = w.fingerprint();

    // The recovery key on a new machine: its own pins, its own cache.
    let pins = w.path("new-machine-pins");
    let reader = |extra: &[(&str, &str)], args: &[&str]| {
        let mut c = w.cmd();
        c.env("CAIRN_REPO", &repo)
            .env("CAIRN_KEY", &recovery_sec)
            .env("CAIRN_PIN_DIR", &pins)
            .env("CAIRN_CACHE_DIR", w.path("recovery-cache"));
        c.envs(extra.iter().copied()).args(args).output().unwrap()
    };
    let out = reader(&[], &["snapshots"]);
    assert_eq!(out.status.code(), Some(1));
    let err = one_line(&String::from_utf8_lossy(&out.stderr));
    assert!(
        err.contains(&repo_fpr) && err.contains("--trust-signer"),
        "{err}"
    );

    // Named once (spaces and lower case as people copy it), then pinned.
    let typed = repo_fpr
        .to_lowercase()
        .as_bytes()
        .chunks(4)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect::<Vec<_>>()
        .join(" ");
    let out = reader(&[], &["--trust-signer", &typed, "snapshots"]);
    assert!(out.status.success(), "{out:?}");
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = reader(&[], &["snapshots"]);
    assert!(out.status.success(), "the pin is remembered: {out:?}");
    let t = w.path("restored");
    let out = reader(&[], &["restore", "latest", "--target", t.to_str().unwrap()]);
    assert!(out.status.success(), "{out:?}");
    assert_same_tree(&src, &t.join(src.strip_prefix("/").unwrap()));

    // It never writes: its signature would not verify for anyone.
    let out = reader(&[], &["backup", src.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let err = one_line(&String::from_utf8_lossy(&out.stderr));
    assert!(
        err.contains("can read this repository but not write"),
        "{err}"
    );

    // Naming another signer than the pin is refused, naming both.
    let other = "8A36B5C79514F60D20845D7BFDAB61B0BF2098DE";
    let out = reader(&[("CAIRN_TRUST_SIGNER", other)], &["snapshots"]);
    assert_eq!(out.status.code(), Some(1));
    let err = one_line(&String::from_utf8_lossy(&out.stderr));
    assert!(err.contains(other) && err.contains(&repo_fpr), "{err}");

    // A config re-signed by another key (here the attacker even had the recovery key's
    // public part, as everyone does) is refused against the pin.
    let home = gpg_with(&w);
    let attacker = fixtures().join("keys/gpg-rsa3072.sec.asc");
    let pass = fixtures().join("keys/gpg-rsa3072.pass");
    let pass = pass.to_str().unwrap();
    let loopback = ["--pinentry-mode", "loopback", "--passphrase-file", pass];
    gpg(
        home.path(),
        &[&loopback[..], &["--import", attacker.to_str().unwrap()]].concat(),
        b"",
    );
    gpg(
        home.path(),
        &["--import", recovery_pub.to_str().unwrap()],
        b"",
    );
    let mut v = common::forge::decrypted_config(home.path(), &repo);
    v["signer"] = other.into();
    let recovery_fpr = "3407DC353B334AEF4FC930D1E56A668BDAEF30BC";
    let forged = gpg(
        home.path(),
        &[
            &loopback[..],
            &["--sign", "--encrypt", "-r", recovery_fpr, "-u", other],
        ]
        .concat(),
        &serde_json::to_vec(&v).unwrap(),
    );
    fs::write(repo.join("config"), forged).unwrap();
    fs::copy(
        fixtures().join("keys/gpg-rsa3072.pub.asc"),
        repo.join(format!("keys/{other}.asc")),
    )
    .unwrap();
    let out = reader(&[], &["snapshots"]);
    assert_eq!(out.status.code(), Some(1));
    let err = one_line(&String::from_utf8_lossy(&out.stderr));
    assert!(
        err.contains("pinned") && err.contains(other) && err.contains(&repo_fpr),
        "{err}"
    );
    stop_agent(home.path());
}

/// The index objects of the world's repository, decrypted: (name, JSON).
fn indexes(w: &World, home: &Path) -> Vec<(PathBuf, serde_json::Value)> {
    w.objects("index")
        .into_iter()
        .map(|p| {
            let plain = gpg(home, &["--decrypt"], &fs::read(&p).unwrap());
            let json = zstd::decode_all(&plain[..]).unwrap();
            (p, serde_json::from_slice(&json).unwrap())
        })
        .collect()
}

/// An unsigned index object, as anyone with the public key can make, stored under its id.
fn plant_index(w: &World, home: &Path, fpr: &str, index: &serde_json::Value) -> PathBuf {
    let packed = zstd::encode_all(&serde_json::to_vec(index).unwrap()[..], 3).unwrap();
    let stored = gpg(home, &["--encrypt", "-r", fpr], &packed);
    let name = w
        .repo
        .join("index")
        .join(blake3::hash(&stored).to_hex().as_str());
    fs::write(&name, stored).unwrap();
    name
}

/// A source directory holding `a.bin` of `size` noise bytes.
fn noise_tree(w: &World, size: usize, seed: u64) -> PathBuf {
    let src = w.path("src");
    fs::create_dir_all(&src).unwrap();
    fs::write(src.join("a.bin"), common::noise(size, seed)).unwrap();
    src
}

fn restores_identically(w: &World, src: &Path, name: &str) {
    let t = w.path(name);
    w.ok(&["restore", "latest", "--target", t.to_str().unwrap()]);
    assert_same_tree(src, &t.join(src.strip_prefix("/").unwrap()));
}

#[test]
fn a_planted_index_is_ignored_and_removed_by_prune() {
    let w = World::new();
    let src = noise_tree(&w, 3 << 20, 1);
    w.backup(&[src.to_str().unwrap()]);
    let fpr = w.fingerprint();
    let home = gpg_with(&w);

    // The planted index moves every blob into a pack that does not hold it.
    let (_, mut index) = indexes(&w, home.path()).remove(0);
    let packs = w.objects("data");
    let elsewhere = packs
        .iter()
        .map(|p| p.file_name().unwrap().to_str().unwrap().to_string())
        .find(|p| index["packs"][0]["id"] != *p)
        .unwrap_or_else(|| "00".repeat(32));
    for p in index["packs"].as_array_mut().unwrap() {
        p["id"] = elsewhere.clone().into();
    }
    let planted = plant_index(&w, home.path(), &fpr, &index);
    let planted_name = planted.file_name().unwrap().to_str().unwrap().to_string();

    let out = w.run(&["snapshots"]);
    assert!(out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&planted_name) && err.contains("signature"),
        "{err}"
    );
    restores_identically(&w, &src, "r1");
    fs::write(src.join("b.bin"), common::noise(1 << 20, 2)).unwrap();
    w.backup(&[src.to_str().unwrap()]);
    let err = w.fails(&["check"], 1);
    assert!(err.contains(&planted_name), "{err}");

    w.ok(&["prune"]);
    assert!(!planted.exists(), "prune removes the planted index");
    w.ok(&["check", "--read-data"]);
    restores_identically(&w, &src, "r2");
    stop_agent(home.path());
}

#[test]
fn a_replayed_old_index_does_not_make_backup_skip_data() {
    let w = World::new();
    let src = noise_tree(&w, 2 << 20, 3);
    let first = w.backup(&[src.to_str().unwrap()]);
    let old_index: Vec<(PathBuf, Vec<u8>)> = w
        .objects("index")
        .into_iter()
        .map(|p| {
            let b = fs::read(&p).unwrap();
            (p, b)
        })
        .collect();

    // a.bin goes, and with its snapshot, its pack.
    fs::remove_file(src.join("a.bin")).unwrap();
    fs::write(src.join("b.bin"), common::noise(1 << 20, 4)).unwrap();
    w.backup(&[src.to_str().unwrap()]);
    w.ok(&["forget", first["id"].as_str().unwrap(), "--prune"]);

    // The storage provider puts the old (validly signed) index back.
    for (p, b) in &old_index {
        fs::write(p, b).unwrap();
    }
    // a.bin comes back: its blobs are in the replayed index, in a pack that is gone.
    fs::write(src.join("a.bin"), common::noise(2 << 20, 3)).unwrap();
    let s = w.backup(&[src.to_str().unwrap()]);
    assert!(
        s["stats"]["blobs_added"].as_u64().unwrap() > 0,
        "a.bin must be stored again: {s}"
    );
    restores_identically(&w, &src, "r1");
    w.ok(&["prune"]);
    w.ok(&["check", "--read-data"]);
    restores_identically(&w, &src, "r2");
}

#[test]
fn a_pack_deleted_behind_our_back_is_stored_again() {
    let w = World::new();
    let src = noise_tree(&w, 2 << 20, 5);
    let first = w.backup(&[src.to_str().unwrap()]);
    fs::remove_file(w.biggest_pack()).unwrap();

    let s = w.backup(&[src.to_str().unwrap()]);
    assert!(
        s["stats"]["blobs_added"].as_u64().unwrap() > 0,
        "the lost data must be stored again: {s}"
    );
    restores_identically(&w, &src, "r1");
    // The first snapshot is damaged, and check says so; once it is forgotten and
    // pruned, the repository is whole.
    let err = w.fails(&["check"], 1);
    assert!(err.contains("missing from storage"), "{err}");
    w.ok(&["forget", first["id"].as_str().unwrap(), "--prune"]);
    w.ok(&["check", "--read-data"]);
    // Prune updated its cache in place: it must forget the lost pack as a rebuild would.
    let fresh = w.path("fresh-cache");
    assert_eq!(
        w.json(&["stats"]),
        w.json(&["--cache-dir", fresh.to_str().unwrap(), "stats"])
    );
    restores_identically(&w, &src, "r2");
}

#[test]
fn prune_of_an_old_repository_checks_the_copy_it_keeps() {
    // Format v1 repositories accept unsigned index objects, so a lie can be planted
    // there: every blob of the newest pack is said to sit in the oldest one too.
    let w = World::format_v1();
    let fpr = w.fingerprint();
    let home = gpg_with(&w);
    let mut packs: Vec<String> = w
        .objects("data")
        .iter()
        .map(|p| p.file_name().unwrap().to_str().unwrap().to_string())
        .collect();
    packs.sort();
    let (low, high) = (packs[0].clone(), packs.last().unwrap().clone());
    let mut lie = serde_json::json!({ "packs": [] });
    for (_, idx) in indexes(&w, home.path()) {
        for p in idx["packs"].as_array().unwrap() {
            if p["id"] == *high.as_str() {
                let mut moved = p.clone();
                moved["id"] = low.clone().into();
                lie["packs"].as_array_mut().unwrap().push(moved);
            }
        }
    }
    assert!(!lie["packs"].as_array().unwrap().is_empty());
    let planted = plant_index(&w, home.path(), &fpr, &lie);

    let before = w.objects("data").len();
    // Nothing repacked: the newest pack goes, and the copy said to survive in the
    // oldest is read before anything is deleted.
    let err = w.fails(&["prune", "--max-unused", "unlimited"], 1);
    assert!(
        err.contains(&low) && err.contains("does not hold blob"),
        "{err}"
    );
    assert_eq!(w.objects("data").len(), before, "nothing deleted");
    // Even when every pack with unused bytes is repacked: the oldest pack is all used.
    let err = w.fails(&["prune", "--max-unused", "0%"], 1);
    assert!(
        err.contains(&low) && err.contains("does not hold blob"),
        "{err}"
    );
    assert_eq!(w.objects("data").len(), before, "nothing deleted");
    // check reads the oldest pack and finds the blobs the lie places there missing
    // (the index's entries for a pack are counted, not held: a count short is named).
    let err = w.fails(&["check", "--read-data"], 1);
    let line = err
        .lines()
        .find(|l| l.contains(&format!("pack {low}: ")) && l.contains(" of the "))
        .unwrap_or_else(|| panic!("{err}"));
    let absent: u64 = line
        .split(&format!("pack {low}: "))
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{line}"));
    assert!(
        absent > 0 && line.contains("blobs the index places in it are not in the pack"),
        "{line}"
    );
    fs::remove_file(planted).unwrap();
    w.ok(&["check", "--read-data"]);
    let t = w.path("restored");
    w.ok(&["restore", "latest", "--target", t.to_str().unwrap()]);
    stop_agent(home.path());
}
