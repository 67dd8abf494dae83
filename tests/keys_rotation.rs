//! Keys over the years: a passphrase changed without touching the repository, a paper
//! sheet that restores on a bare machine, recipients added and removed.

mod common;

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;

use common::forge::gpg;
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

#[test]
fn a_paper_sheet_alone_restores_on_a_bare_machine() {
    let w = World::new();
    let src = small_tree(&w, 2);
    w.backup(&[src.to_str().unwrap()]);
    let sheet = w.ok(&["key", "export", "--secret", "--paper"]);
    let fpr = w.fingerprint();
    assert!(sheet.contains(&fpr), "{sheet}");
    assert!(sheet.contains(w.repo.to_str().unwrap()), "{sheet}");
    assert!(
        sheet.contains(&format!("signer pin:       {fpr}")),
        "{sheet}"
    );
    assert!(sheet.contains("-----BEGIN PGP PRIVATE KEY BLOCK-----"));
    let commands = sheet_commands(&sheet);
    assert_eq!(commands.len(), 3, "{sheet}");

    // A bare machine: empty HOME, no cache, no CAIRN_* variables, no gpg on PATH; only
    // the binary (in a directory of its own) and the sheet in the working directory.
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
        (Some(3), Some(1))
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
