//! Keys over the years: a passphrase changed without touching the repository, a paper
//! sheet that restores on a bare machine, recipients added and removed.

mod common;

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;

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
