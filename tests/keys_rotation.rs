//! Keys over the years: a passphrase changed without touching the repository, a paper
//! sheet that restores on a bare machine, recipients added and removed.

#[macro_use]
mod common;

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;

use common::forge::gpg;
use common::stores::Store;
use common::{assert_same_tree, small_tree, World};

/// Where a restore into `target` puts the backed-up directory `src`.
fn restored(target: &Path, src: &Path) -> std::path::PathBuf {
    target.join(src.strip_prefix("/").unwrap())
}

fn passphrase_file(w: &World, name: &str, text: &str) -> std::path::PathBuf {
    let p = w.path(name);
    fs::write(&p, text).unwrap();
    p
}

#[test]
fn passwd_changes_then_removes_the_passphrase_and_the_repository_follows() {
    let mut w = World::bare();
    let old = passphrase_file(&w, "old.pass", "correct horse\n");
    let new = passphrase_file(&w, "new.pass", "battery staple\n");
    w.passphrase_file = Some(old.clone());
    w.ok(&["key", "generate", "--out", w.key.to_str().unwrap()]);
    w.ok(&["init"]);
    let src = small_tree(&w, 1);
    w.backup(&[src.to_str().unwrap()]);
    let repo_before = w.objects("");

    // No new passphrase and no terminal: refused, key untouched.
    let before = fs::read(&w.key).unwrap();
    let err = w.fails(&["key", "passwd"], 2);
    assert!(err.contains("CAIRN_NEW_PASSPHRASE_FILE"), "{err}");
    assert_eq!(fs::read(&w.key).unwrap(), before);

    // A wrong current passphrase: refused, key untouched.
    let out = w
        .cmd()
        .env("CAIRN_PASSPHRASE_FILE", &new)
        .env("CAIRN_NEW_PASSPHRASE_FILE", &new)
        .args(["key", "passwd"])
        .output()
        .unwrap();
    let line = common::error_line(&out, "passwd with a wrong passphrase");
    assert!(line.contains("wrong passphrase"), "{line}");
    assert_eq!(fs::read(&w.key).unwrap(), before);

    let out = w
        .cmd()
        .env("CAIRN_NEW_PASSPHRASE_FILE", &new)
        .args(["key", "passwd"])
        .output()
        .unwrap();
    common::assert_ok(&out, "key passwd");
    assert_eq!(
        fs::metadata(&w.key).unwrap().permissions().mode() & 0o777,
        0o600
    );
    assert_ne!(fs::read(&w.key).unwrap(), before);
    // The repository was not touched.
    assert_eq!(w.objects(""), repo_before);

    // The old passphrase no longer opens it; the new one does.
    let line = common::error_line(&w.run(&["snapshots"]), "snapshots, old passphrase");
    assert!(line.contains("wrong passphrase"), "{line}");
    w.passphrase_file = Some(new.clone());
    assert_eq!(w.snapshots().len(), 1);
    let target = w.path("restored");
    w.ok(&["restore", "latest", "--target", target.to_str().unwrap()]);
    assert_same_tree(&src, &restored(&target, &src));

    // Removed: no passphrase needed at all, and the key still writes.
    w.ok(&["key", "passwd", "--no-passphrase"]);
    w.passphrase_file = None;
    assert_eq!(w.json(&["key", "info"])["passphrase_protected"], false);
    w.backup(&[src.to_str().unwrap()]);
    assert_eq!(w.snapshots().len(), 2);

    // And protected again from an unprotected key.
    let out = w
        .cmd()
        .env("CAIRN_NEW_PASSPHRASE_FILE", &old)
        .args(["key", "passwd"])
        .output()
        .unwrap();
    common::assert_ok(&out, "key passwd, protecting again");
    assert_eq!(w.json(&["key", "info"])["passphrase_protected"], true);
    let err = w.fails(&["snapshots"], 1);
    assert!(err.contains("passphrase-protected"), "{err}");
}

/// The restore commands a sheet prints, as a shell would run them.
fn sheet_commands(sheet: &str) -> Vec<String> {
    sheet
        .lines()
        .map(str::trim)
        .filter(|l| l.starts_with("cairn "))
        .map(str::to_string)
        .collect()
}

per_store!(a_paper_sheet_alone_restores_on_a_bare_machine: File, S3);

fn a_paper_sheet_alone_restores_on_a_bare_machine(store: Store) {
    let w = World::on(store);
    let src = small_tree(&w, 2);
    w.backup(&[src.to_str().unwrap()]);
    let sheet = w.ok(&["key", "export", "--secret", "--paper"]);
    let fpr = w.fingerprint();
    assert!(sheet.contains(&fpr), "{sheet}");
    let location = w.url.clone().unwrap_or(w.repo.display().to_string());
    assert!(sheet.contains(&location), "{sheet}");
    assert!(
        sheet.contains(&format!("signer pin:       {fpr}")),
        "{sheet}"
    );
    assert!(sheet.contains("-----BEGIN PGP PRIVATE KEY BLOCK-----"));
    let commands = sheet_commands(&sheet);
    assert_eq!(commands.len(), 3, "{sheet}");

    // A bare machine: empty HOME, no cache, no CAIRN_* variables, no gpg on PATH; only
    // the binary (in a directory of its own), the sheet in the working directory and,
    // for an object store, its credentials.
    let bare = tempfile::tempdir().unwrap();
    let bin_dir = bare.path().join("bin");
    fs::create_dir(&bin_dir).unwrap();
    std::os::unix::fs::symlink(common::bin(), bin_dir.join("cairn")).unwrap();
    let home = bare.path().join("home");
    fs::create_dir(&home).unwrap();
    fs::write(home.join("sheet.txt"), &sheet).unwrap();
    for c in &commands {
        let out = Command::new("/bin/sh")
            .arg("-c")
            .arg(c)
            .env_clear()
            .envs(w.env.iter().map(|(k, v)| (k, v)))
            .env("PATH", &bin_dir)
            .env("HOME", &home)
            .current_dir(&home)
            .output()
            .unwrap();
        common::assert_ok(&out, c);
    }
    assert_same_tree(&src, &restored(&home.join("restored"), &src));

    // The page itself works as -k, and a page with a typing error is refused.
    let target = w.path("via-page");
    let page = w.path("page.txt");
    fs::write(&page, &sheet).unwrap();
    let out = w
        .cmd()
        .env("CAIRN_KEY", &page)
        .args(["restore", "latest", "--target", target.to_str().unwrap()])
        .output()
        .unwrap();
    common::assert_ok(&out, "restore with -k PAGE");
    assert_same_tree(&src, &restored(&target, &src));
    let typo = flip_in_key_block(&sheet);
    fs::write(&page, typo).unwrap();
    let err = w.fails(
        &[
            "key",
            "import-paper",
            page.to_str().unwrap(),
            "--out",
            w.path("typo.key").to_str().unwrap(),
        ],
        1,
    );
    assert!(err.contains("does not parse"), "{err}");
    assert!(!w.path("typo.key").exists());
}

/// The sheet with one character of the key block's body changed.
fn flip_in_key_block(sheet: &str) -> String {
    let start = sheet.find("-----BEGIN PGP PRIVATE KEY BLOCK-----").unwrap();
    let at = start + sheet[start..].find("\n\n").unwrap() + 12;
    let mut bytes = sheet.as_bytes().to_vec();
    bytes[at] = if bytes[at] == b'A' { b'B' } else { b'A' };
    String::from_utf8(bytes).unwrap()
}

#[test]
fn a_sheet_without_a_repository_leaves_blanks_and_names_no_location() {
    let w = World::bare();
    w.ok(&["key", "generate", "--out", w.key.to_str().unwrap()]);
    let out = w
        .cmd()
        .env_remove("CAIRN_REPO")
        .args(["key", "export", "--secret", "--paper"])
        .output()
        .unwrap();
    common::assert_ok(&out, "paper without a repository");
    let sheet = String::from_utf8(out.stdout).unwrap();
    assert!(sheet.contains("(not given; write it here)"), "{sheet}");
    let back = w.path("back.key");
    let page = w.path("page.txt");
    fs::write(&page, &sheet).unwrap();
    w.ok(&[
        "key",
        "import-paper",
        page.to_str().unwrap(),
        "--out",
        back.to_str().unwrap(),
    ]);
    assert_eq!(
        fs::metadata(&back).unwrap().permissions().mode() & 0o777,
        0o600
    );
    let info = |k: &Path| {
        let o = w
            .cmd()
            .env("CAIRN_KEY", k)
            .args(["--json", "key", "info"])
            .output()
            .unwrap();
        serde_json::from_slice::<serde_json::Value>(&o.stdout).unwrap()["fingerprint"].clone()
    };
    assert_eq!(info(&back), info(&w.key));
}

/// A key made by stock gpg in its own home, as an offline disaster-recovery key would
/// be; returns the home, its fingerprint and its exported public certificate.
fn gpg_key(w: &World, name: &str) -> (tempfile::TempDir, String, std::path::PathBuf) {
    let home = tempfile::tempdir().unwrap();
    let uid = format!("{name} <{name}@example.org>");
    gpg(
        home.path(),
        &[
            "--pinentry-mode",
            "loopback",
            "--passphrase",
            "",
            "--quick-generate-key",
            &uid,
            "default",
            "default",
            "never",
        ],
        b"",
    );
    let colons = String::from_utf8(gpg(
        home.path(),
        &["--with-colons", "--list-keys", &uid],
        b"",
    ))
    .unwrap();
    let fpr = colons
        .lines()
        .find(|l| l.starts_with("fpr:"))
        .unwrap()
        .split(':')
        .nth(9)
        .unwrap()
        .to_string();
    let public = w.path(&format!("{name}.pub"));
    fs::write(
        &public,
        gpg(home.path(), &["--armor", "--export", &fpr], b""),
    )
    .unwrap();
    (home, fpr, public)
}

/// Whether stock gpg in `home` decrypts the stored object `path` (the signature is not
/// asked about: that home does not hold the signer's certificate).
fn gpg_reads(home: &Path, path: &Path) -> bool {
    let out = common::run_with_input(
        Command::new("gpg").arg("--homedir").arg(home).args([
            "--batch",
            "--yes",
            "--status-fd",
            "1",
            "--decrypt",
            "-o",
            "/dev/null",
        ]),
        &fs::read(path).unwrap(),
    );
    let status = String::from_utf8_lossy(&out.stdout);
    status.contains("[GNUPG:] DECRYPTION_OKAY") && status.contains("[GNUPG:] GOODMDC")
}

fn newest_snapshot(w: &World) -> std::path::PathBuf {
    let id = w.snapshots().last().unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    w.repo.join("snapshots").join(id)
}

#[test]
fn an_added_recipient_reads_what_is_written_afterwards_and_a_removed_one_stops() {
    let w = World::new();
    let src = small_tree(&w, 3);
    w.backup(&[src.to_str().unwrap()]);
    let before = newest_snapshot(&w);
    let (dr, dr_fpr, dr_pub) = gpg_key(&w, "dr");
    let signer_pub = w.ok(&["key", "export", "--public"]);
    gpg(dr.path(), &["--import"], signer_pub.as_bytes());
    let replayable = fs::read(w.repo.join("config")).unwrap();

    let added = w.json(&["key", "add-recipient", dr_pub.to_str().unwrap()]);
    assert_eq!(added["generation"], 1);
    assert!(added["recipients"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f == &dr_fpr[..]));
    let err = w.fails(&["key", "add-recipient", dr_pub.to_str().unwrap()], 1);
    assert!(err.contains("already a recipient"), "{err}");

    fs::write(src.join("new.txt"), "written after the change\n").unwrap();
    w.backup(&[src.to_str().unwrap()]);
    let after = newest_snapshot(&w);
    assert!(
        gpg_reads(dr.path(), &after),
        "the added key reads a new snapshot"
    );
    assert!(gpg_reads(dr.path(), &w.repo.join("config")));
    assert!(
        !gpg_reads(dr.path(), &before),
        "not one written before (until rewrap)"
    );
    let config = common::forge::decrypted_config(dr.path(), &w.repo);
    assert_eq!(
        (config["version"].as_u64(), config["generation"].as_u64()),
        (Some(4), Some(1))
    );

    // Storage serving the old config (which never named the new key) is refused here.
    let current = fs::read(w.repo.join("config")).unwrap();
    fs::write(w.repo.join("config"), &replayable).unwrap();
    let line = common::error_line(&w.run(&["snapshots"]), "snapshots, replayed config");
    assert!(
        line.contains("generation 0 is older than generation 1"),
        "{line}"
    );
    fs::write(w.repo.join("config"), &current).unwrap();

    let err = w.fails(&["key", "remove-recipient", &w.fingerprint()], 1);
    assert!(err.contains("must stay a recipient"), "{err}");
    let err = w.fails(&["key", "remove-recipient", &"AB".repeat(20)], 1);
    assert!(err.contains("is not a recipient"), "{err}");
    let removed = w.json(&["key", "remove-recipient", &dr_fpr]);
    assert_eq!(removed["generation"], 2);
    fs::write(src.join("newer.txt"), "written after the removal\n").unwrap();
    w.backup(&[src.to_str().unwrap()]);
    assert!(!gpg_reads(dr.path(), &newest_snapshot(&w)));
    assert!(!gpg_reads(dr.path(), &w.repo.join("config")));
    // Not yet rewrapped: what it could read before, it still can.
    assert!(gpg_reads(dr.path(), &after));
    common::forge::stop_agent(dr.path());

    // Replaying generation 1, which still names the removed key, is refused too.
    fs::write(w.repo.join("config"), &current).unwrap();
    let line = common::error_line(
        &w.run(&["backup", src.to_str().unwrap()]),
        "backup, replayed list",
    );
    assert!(
        line.contains("generation 1 is older than generation 2"),
        "{line}"
    );
}

#[test]
fn a_recipient_key_reads_with_the_signer_pin_but_cannot_change_the_list() {
    let w = World::new();
    let src = small_tree(&w, 4);
    let reader = World::bare();
    reader.ok(&["key", "generate", "--out", reader.key.to_str().unwrap()]);
    let reader_pub = w.path("reader.pub");
    let out = reader.ok(&["key", "export", "--public"]);
    fs::write(&reader_pub, out).unwrap();
    w.ok(&["key", "add-recipient", reader_pub.to_str().unwrap()]);
    w.backup(&[src.to_str().unwrap()]);

    let as_reader = |args: &[&str]| {
        w.cmd()
            .env("CAIRN_KEY", &reader.key)
            .env("CAIRN_TRUST_SIGNER", w.fingerprint())
            .args(args)
            .output()
            .unwrap()
    };
    let target = w.path("by-reader");
    common::assert_ok(
        &as_reader(&["restore", "latest", "--target", target.to_str().unwrap()]),
        "restore by the added recipient",
    );
    assert_same_tree(&src, &restored(&target, &src));
    let line = common::error_line(
        &as_reader(&["key", "add-recipient", reader_pub.to_str().unwrap()]),
        "add-recipient by a reader",
    );
    assert!(
        line.contains("can read this repository but not write"),
        "{line}"
    );
}

/// Every stored object that is an OpenPGP message (not `keys/`, not locks in flight).
fn messages(w: &World) -> Vec<std::path::PathBuf> {
    let mut all = vec![w.repo.join("config")];
    for kind in ["snapshots", "data", "index", "verified"] {
        all.extend(w.stored(kind));
    }
    all
}

/// A repository with two snapshots, then a gpg recipient added after them.
fn with_added_recipient() -> (World, std::path::PathBuf, tempfile::TempDir, String) {
    let w = World::new();
    let src = small_tree(&w, 5);
    w.backup(&[src.to_str().unwrap()]);
    fs::write(src.join("second.txt"), "second\n".repeat(1000)).unwrap();
    w.backup(&[src.to_str().unwrap()]);
    let (dr, dr_fpr, dr_pub) = gpg_key(&w, "dr");
    w.ok(&["key", "add-recipient", dr_pub.to_str().unwrap()]);
    (w, src, dr, dr_fpr)
}

#[test]
fn rewrap_lets_an_added_key_read_everything_and_a_removed_one_nothing() {
    let (w, src, dr, dr_fpr) = with_added_recipient();
    let unread: Vec<_> = messages(&w)
        .into_iter()
        .filter(|p| !gpg_reads(dr.path(), p))
        .collect();
    assert!(unread.len() > 3, "before rewrap: {unread:?}");

    let before = messages(&w);
    let dry = w.json(&["key", "rewrap", "--dry-run"]);
    assert_eq!(dry["snapshots_rewrapped"], 2, "{dry}");
    assert!(dry["packs_rewrapped"].as_u64().unwrap() >= 2, "{dry}");
    assert_eq!(messages(&w), before, "a dry run changes nothing");

    let done = w.json(&["key", "rewrap"]);
    assert_eq!(done["snapshots_rewrapped"], 2, "{done}");
    for p in messages(&w) {
        assert!(gpg_reads(dr.path(), &p), "after rewrap: {}", p.display());
    }
    assert_eq!(w.snapshots().len(), 2);
    w.ok(&["check", "--read-data"]);
    let target = w.path("after-rewrap");
    w.ok(&["restore", "latest", "--target", target.to_str().unwrap()]);
    assert_same_tree(&src, &restored(&target, &src));
    let again = w.json(&["key", "rewrap"]);
    assert_eq!(
        (
            again["snapshots_rewrapped"].as_u64(),
            again["packs_rewrapped"].as_u64()
        ),
        (Some(0), Some(0)),
        "{again}"
    );

    w.ok(&["key", "remove-recipient", &dr_fpr]);
    w.ok(&["key", "rewrap"]);
    for p in messages(&w) {
        assert!(
            !gpg_reads(dr.path(), &p),
            "removed key reads {}",
            p.display()
        );
    }
    common::forge::stop_agent(dr.path());
    w.ok(&["check", "--read-data"]);
    assert_eq!(w.snapshots().len(), 2);
}

/// An interrupted rewrap (a storage failure at one of its steps, as a crash there would
/// leave it) leaves a repository that checks clean, and the next run finishes the job.
#[test]
fn rewrap_interrupted_at_any_step_leaves_a_readable_repository_and_resumes() {
    for fault in [
        "put@snapshots/:2:permanent",
        "delete@snapshots/:1:permanent",
        "put@data/:1:permanent",
        "put@index/:1:permanent",
        "delete@index/:1:permanent",
        "delete@data/:1:permanent",
    ] {
        let (w, src, dr, _) = with_added_recipient();
        let out = w
            .cmd()
            .env("CAIRN_TEST_FAULTS", fault)
            .args(["key", "rewrap"])
            .output()
            .unwrap();
        assert!(
            !out.status.success(),
            "{fault}: the fault should stop rewrap"
        );
        w.ok(&["unlock"]);
        w.ok(&["check", "--read-data"]);
        let snaps = w.snapshots();
        assert!(
            (2..=3).contains(&snaps.len()),
            "{fault}: {} snapshots",
            snaps.len()
        );
        w.ok(&["key", "rewrap"]);
        assert_eq!(w.snapshots().len(), 2, "{fault}: duplicates removed");
        for p in messages(&w) {
            assert!(gpg_reads(dr.path(), &p), "{fault}: {}", p.display());
        }
        common::forge::stop_agent(dr.path());
        w.ok(&["check", "--read-data"]);
        let target = w.path("restored");
        w.ok(&["restore", "latest", "--target", target.to_str().unwrap()]);
        assert_same_tree(&src, &restored(&target, &src));
    }
}

/// A second key file in `w`'s directory.
fn new_key(w: &World, name: &str) -> std::path::PathBuf {
    let k = w.path(name);
    w.ok(&["key", "generate", "--out", k.to_str().unwrap()]);
    k
}

fn with_key(w: &World, key: &Path) -> Command {
    let mut c = w.cmd();
    c.env("CAIRN_KEY", key);
    c
}

fn pin_signer(pin_dir: &Path) -> String {
    let pins: Vec<_> = fs::read_dir(pin_dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(pins.len(), 1, "{pins:?}");
    let pin: serde_json::Value = serde_json::from_slice(&fs::read(&pins[0]).unwrap()).unwrap();
    pin["signer"].as_str().unwrap().to_string()
}

#[test]
fn rotate_signer_hands_over_and_pinned_readers_follow_it() {
    let w = World::new();
    let old_fpr = w.fingerprint();
    let src = small_tree(&w, 6);
    w.backup(&[src.to_str().unwrap()]);
    // Another machine that knows the repository by its old signer (its own pin dir).
    let elsewhere = w.path("elsewhere-pins");
    let reader = |key: &Path, args: &[&str]| {
        let mut c = with_key(&w, key);
        c.env("CAIRN_PIN_DIR", &elsewhere).args(args);
        c.output().unwrap()
    };
    common::assert_ok(&reader(&w.key, &["snapshots"]), "reader before");
    assert_eq!(pin_signer(&elsewhere), old_fpr);
    let old_snapshot_path = newest_snapshot(&w);
    let old_snapshot = fs::read(&old_snapshot_path).unwrap();
    let old_config = fs::read(w.repo.join("config")).unwrap();

    let new = new_key(&w, "new.key");
    let rotated = w.json(&["key", "rotate-signer", "--new", new.to_str().unwrap()]);
    let new_fpr = rotated["to"].as_str().unwrap().to_string();
    assert_eq!(rotated["from"], old_fpr.as_str());

    // The old key can no longer write; the new one writes; both read everything.
    let line = common::error_line(
        &w.run(&["backup", src.to_str().unwrap()]),
        "backup with the old key",
    );
    assert!(
        line.contains("not write") && line.contains(&new_fpr),
        "{line}"
    );
    fs::write(src.join("after.txt"), "signed by the new key\n").unwrap();
    common::assert_ok(
        &with_key(&w, &new)
            .args(["backup", src.to_str().unwrap()])
            .output()
            .unwrap(),
        "backup with the new key",
    );
    assert_eq!(w.snapshots().len(), 2);

    // The machine pinned to the old key follows the hand-over and moves its pin.
    let out = reader(&w.key, &["--json", "snapshots"]);
    common::assert_ok(&out, "reader after the hand-over");
    let listed: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        listed.as_array().unwrap().len(),
        2,
        "old snapshots still verify"
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("handed over"));
    assert_eq!(pin_signer(&elsewhere), new_fpr);

    // Replay: the config from before the hand-over, signed by the old key, is refused
    // by a machine that followed it.
    let current = fs::read(w.repo.join("config")).unwrap();
    fs::write(w.repo.join("config"), &old_config).unwrap();
    let line = common::error_line(&reader(&w.key, &["snapshots"]), "replayed old config");
    assert!(line.contains(&format!("not signed by {new_fpr}")), "{line}");
    fs::write(w.repo.join("config"), &current).unwrap();

    // rewrap signs the old snapshots again; the old key's signatures stop counting.
    let line = common::error_line(
        &with_key(&w, &new).args(["key", "rewrap"]).output().unwrap(),
        "rewrap with the new key alone",
    );
    assert!(line.contains("not encrypted to this key"), "{line}");
    w.ok(&["key", "rewrap", "--sign-with", new.to_str().unwrap()]);
    // Now the new key alone reads everything.
    let target = w.path("by-new-key");
    common::assert_ok(
        &with_key(&w, &new)
            .args(["restore", "latest", "--target", target.to_str().unwrap()])
            .output()
            .unwrap(),
        "restore with the new key",
    );
    assert!(!old_snapshot_path.exists(), "rewrap gave it a new id");
    let replayed = old_snapshot_path;
    fs::write(&replayed, &old_snapshot).unwrap();
    let out = reader(&w.key, &["snapshots"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("signature missing or not made by the repository key"),
        "{err}"
    );
    fs::remove_file(&replayed).unwrap();
    let target = w.path("restored");
    common::assert_ok(
        &reader(
            &w.key,
            &["restore", "latest", "--target", target.to_str().unwrap()],
        ),
        "restore after rewrap",
    );
    assert_same_tree(&src, &restored(&target, &src));
}

#[test]
fn a_hand_over_not_signed_by_the_pinned_key_is_refused() {
    let w = World::new();
    let src = small_tree(&w, 7);
    w.backup(&[src.to_str().unwrap()]);
    let victim_fpr = w.fingerprint();

    // The attacker holds the storage and makes a real hand-over between two keys of its
    // own, in a repository of its own (signed by both, but not by the victim's key).
    let attacker = World::new();
    let x_fpr = attacker.fingerprint();
    let y = new_key(&attacker, "y.key");
    let y_fpr = attacker.json(&["key", "rotate-signer", "--new", y.to_str().unwrap()])["to"]
        .as_str()
        .unwrap()
        .to_string();
    let forged = fs::read(attacker.repo.join("handovers").join(&x_fpr)).unwrap();
    fs::create_dir_all(w.repo.join("handovers")).unwrap();
    fs::write(w.repo.join("handovers").join(&victim_fpr), &forged).unwrap();
    fs::copy(
        attacker.repo.join("keys").join(format!("{y_fpr}.asc")),
        w.repo.join("keys").join(format!("{y_fpr}.asc")),
    )
    .unwrap();
    // And a config the attacker's new key signed, encrypted to the victim too.
    let victim_pub = w.path("victim.pub");
    fs::write(&victim_pub, w.ok(&["key", "export", "--public"])).unwrap();
    common::assert_ok(
        &with_key(&attacker, &y)
            .args(["key", "add-recipient", victim_pub.to_str().unwrap()])
            .output()
            .unwrap(),
        "attacker adds the victim as a recipient",
    );
    fs::copy(attacker.repo.join("config"), w.repo.join("config")).unwrap();

    let line = common::error_line(&w.run(&["snapshots"]), "forged hand-over");
    assert!(
        line.contains(&format!("handovers/{victim_fpr}"))
            && line.contains("not signed by the key it hands over from"),
        "{line}"
    );
}

/// On each store: a key added after a backup reads it once rewrapped; removed and
/// rewrapped again, it cannot open the repository at all.
fn rewrap_on(store: Store) {
    let w = World::on(store);
    let src = small_tree(&w, 8);
    w.backup(&[src.to_str().unwrap()]);
    let other = new_key(&w, "other.key");
    let other_pub = w.path("other.pub");
    let out = with_key(&w, &other)
        .args(["key", "export", "--public"])
        .output()
        .unwrap();
    fs::write(&other_pub, &out.stdout).unwrap();
    w.ok(&["key", "add-recipient", other_pub.to_str().unwrap()]);
    w.ok(&["key", "rewrap"]);
    let as_other = |args: &[&str]| {
        with_key(&w, &other)
            .env("CAIRN_PIN_DIR", w.path("other-pins"))
            .env("CAIRN_TRUST_SIGNER", w.fingerprint())
            .args(args)
            .output()
            .unwrap()
    };
    let target = w.path("by-other");
    common::assert_ok(
        &as_other(&["restore", "latest", "--target", target.to_str().unwrap()]),
        "restore by the added key after rewrap",
    );
    assert_same_tree(&src, &restored(&target, &src));

    let other_fpr = {
        let o = with_key(&w, &other)
            .args(["--json", "key", "info"])
            .output()
            .unwrap();
        serde_json::from_slice::<serde_json::Value>(&o.stdout).unwrap()["fingerprint"]
            .as_str()
            .unwrap()
            .to_string()
    };
    w.ok(&["key", "remove-recipient", &other_fpr]);
    w.ok(&["key", "rewrap"]);
    let line = common::error_line(&as_other(&["snapshots"]), "snapshots by the removed key");
    assert!(line.contains("not encrypted to key"), "{line}");
    w.ok(&["check", "--read-data"]);
}

per_store!(rewrap_on: File, SwiftTempAuth, S3);

/// kill -9 while rewrap writes new packs (slowed down by the fault wrapper's delay, so
/// the kill lands mid-run): the repository checks clean and the next run finishes.
#[test]
fn rewrap_killed_mid_run_leaves_a_readable_repository_and_resumes() {
    let (w, src, dr, _) = with_added_recipient();
    let packs_before = w.stored("data").len();
    let mut child = w
        .cmd()
        .env("CAIRN_TEST_FAULTS", "put@data/:*:delay=400")
        .args(["key", "rewrap"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while w.objects("data").len() <= packs_before {
        assert!(
            std::time::Instant::now() < deadline,
            "no pack written within a minute"
        );
        assert!(
            child.try_wait().unwrap().is_none(),
            "rewrap ended before the kill"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();

    w.ok(&["unlock"]);
    w.ok(&["check", "--read-data"]);
    assert_eq!(w.snapshots().len(), 2);
    w.ok(&["key", "rewrap"]);
    for p in messages(&w) {
        assert!(gpg_reads(dr.path(), &p), "{}", p.display());
    }
    common::forge::stop_agent(dr.path());
    w.ok(&["check", "--read-data"]);
    let target = w.path("restored");
    w.ok(&["restore", "latest", "--target", target.to_str().unwrap()]);
    assert_same_tree(&src, &restored(&target, &src));
}

/// Rewrap repacks every pack: delta blobs and their bases come through it as deltas
/// and bases, and the stream still restores byte for byte, also for the added key.
#[test]
fn rewrap_keeps_delta_blobs_and_their_bases() {
    let w = World::new();
    let day1 = common::dump_rows(40_000, |_| false);
    let day2 = common::dump_rows(40_000, |i| i % 400 == 7);
    for day in [&day1, &day2] {
        w.ok_stdin(&["backup", "--stdin-name", "app.sql"], day);
    }
    let deltas = || w.json(&["stats"])["delta_blobs"].as_u64().unwrap();
    let before = deltas();
    assert!(before > 10, "{before}");
    let (dr, _, dr_pub) = gpg_key(&w, "dr");
    w.ok(&["key", "add-recipient", dr_pub.to_str().unwrap()]);
    w.ok(&["key", "rewrap"]);
    for p in messages(&w) {
        assert!(gpg_reads(dr.path(), &p), "after rewrap: {}", p.display());
    }
    common::forge::stop_agent(dr.path());
    assert_eq!(deltas(), before);
    w.ok(&["check", "--read-data"]);
    for (snap, want) in [(0, &day1), (1, &day2)] {
        let id = w.snapshots()[snap]["id"].as_str().unwrap().to_string();
        let out = w.run(&["dump", &id, "app.sql"]);
        assert!(
            out.status.success() && out.stdout == *want,
            "snapshot {snap}"
        );
    }
}
