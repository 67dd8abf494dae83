//! Bad input gets one clear line naming what and where, a non-zero exit, and loses
//! nothing.

mod common;

use std::fs;
use std::path::Path;
use std::process::Command;

use common::forge::{decrypted_config, gpg, gpg_with, stop_agent};
use common::{assert_same_tree, fixtures, World};

fn tree(w: &World) -> std::path::PathBuf {
    common::small_tree(w, 11)
}

/// The error output is exactly one line starting with `cairn <command>:`.
fn one_line(err: &str, command: &str) -> String {
    let lines: Vec<&str> = err
        .lines()
        .filter(|l| !l.starts_with("cairn: warning"))
        .collect();
    assert_eq!(lines.len(), 1, "expected one error line, got:\n{err}");
    assert!(lines[0].starts_with(&format!("cairn {command}: ")), "{err}");
    lines[0].to_string()
}

#[test]
fn repository_not_initialised_and_init_twice() {
    let w = World::bare();
    w.ok(&["key", "generate", "--out", w.key.to_str().unwrap()]);
    let err = one_line(&w.fails(&["snapshots"], 1), "snapshots");
    assert!(
        err.contains("not initialised") && err.contains(w.repo.to_str().unwrap()),
        "{err}"
    );
    w.ok(&["init"]);
    let config = fs::read(w.repo.join("config")).unwrap();
    let err = one_line(&w.fails(&["init"], 1), "init");
    assert!(err.contains("already initialised"), "{err}");
    assert_eq!(
        fs::read(w.repo.join("config")).unwrap(),
        config,
        "config was touched"
    );
    let err = one_line(
        &w.fails(&["-r", "ftp://host/x", "snapshots"], 1),
        "snapshots",
    );
    assert!(
        err.contains("unsupported repository URL scheme \"ftp\""),
        "{err}"
    );
    let err = one_line(
        &w.cmd()
            .env_remove("CAIRN_REPO")
            .arg("snapshots")
            .output()
            .map(|o| String::from_utf8_lossy(&o.stderr).into_owned())
            .unwrap(),
        "snapshots",
    );
    assert!(err.contains("no repository given"), "{err}");
}

#[test]
fn wrong_key_and_passphrase_problems() {
    let w = World::new();
    let src = tree(&w);
    w.backup(&[src.to_str().unwrap()]);
    // Another key entirely.
    let other = w.path("other.key");
    w.ok(&["key", "generate", "--out", other.to_str().unwrap()]);
    let err = one_line(
        &w.fails(&["-k", other.to_str().unwrap(), "snapshots"], 1),
        "snapshots",
    );
    assert!(err.contains("not encrypted to key"), "{err}");
    // A passphrase-protected key without its passphrase, and with a wrong one.
    let protected = fixtures().join("keys/gpg-rsa3072.sec.asc");
    let p = protected.to_str().unwrap();
    let err = one_line(&w.fails(&["-k", p, "snapshots"], 1), "snapshots");
    assert!(
        err.contains("passphrase-protected") && err.contains("CAIRN_PASSPHRASE_FILE"),
        "{err}"
    );
    let wrong = w.path("wrong.pass");
    fs::write(&wrong, "not the passphrase\n").unwrap();
    let out = w
        .cmd()
        .env("CAIRN_PASSPHRASE_FILE", &wrong)
        .args(["-k", p, "snapshots"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = one_line(&String::from_utf8_lossy(&out.stderr), "snapshots");
    assert!(
        err.contains("wrong passphrase") && err.contains("gpg-rsa3072.sec.asc"),
        "{err}"
    );
    assert!(!err.contains("not the passphrase"), "secret leaked: {err}");
    // A public key where a secret key is needed, and a file that is no key.
    let public = fixtures().join("keys/gpg-ed25519.pub.asc");
    let err = one_line(
        &w.fails(&["-k", public.to_str().unwrap(), "snapshots"], 1),
        "snapshots",
    );
    assert!(err.contains("only a public key"), "{err}");
    let junk = w.path("junk.key");
    fs::write(&junk, "hello").unwrap();
    let err = one_line(
        &w.fails(&["-k", junk.to_str().unwrap(), "snapshots"], 1),
        "snapshots",
    );
    assert!(err.contains("not an OpenPGP key"), "{err}");
    let missing = one_line(
        &w.fails(&["-k", "/nonexistent/key", "snapshots"], 1),
        "snapshots",
    );
    assert!(missing.contains("/nonexistent/key"), "{missing}");
    // Nothing was lost.
    w.ok(&["check", "--read-data"]);
}

fn flip_byte(p: &Path, at: usize) {
    let mut b = fs::read(p).unwrap();
    let i = at.min(b.len() - 1);
    b[i] ^= 0x40;
    fs::write(p, b).unwrap();
}

#[test]
fn corrupted_pack_is_named_by_check_and_restore() {
    let w = World::new();
    let src = tree(&w);
    let snap = w.backup(&[src.to_str().unwrap()]);
    let short = &snap["id"].as_str().unwrap()[..8];
    let pack = w.biggest_pack();
    let pack_id = pack.file_name().unwrap().to_str().unwrap().to_string();
    flip_byte(&pack, 5000);
    // The structure is intact; reading the data finds the damage.
    w.ok(&["check"]);
    let err = w.fails(&["check", "--read-data"], 1);
    assert!(err.contains(&pack_id) && err.contains("damaged"), "{err}");
    assert!(err.contains(&format!("affects snapshots {short}")), "{err}");
    // Restore recovers what does not need the pack (tests/repair.rs) and exits 3.
    let t = w.path("r");
    let err = w.fails(&["restore", "latest", "--target", t.to_str().unwrap()], 3);
    assert!(err.contains(&pack_id), "{err}");
}

#[test]
fn missing_pack_is_named_by_check() {
    let w = World::new();
    let src = tree(&w);
    let snap = w.backup(&[src.to_str().unwrap()]);
    let pack = w.biggest_pack();
    let pack_id = pack.file_name().unwrap().to_str().unwrap().to_string();
    fs::remove_file(&pack).unwrap();
    let err = w.fails(&["check"], 1);
    assert!(err.contains(&pack_id) && err.contains("missing"), "{err}");
    assert!(err.contains(&snap["id"].as_str().unwrap()[..8]), "{err}");
    let t = w.path("r");
    let err = w.fails(&["restore", "latest", "--target", t.to_str().unwrap()], 3);
    assert!(err.contains(&pack_id) && err.contains("not found"), "{err}");
}

#[test]
fn tampered_manifests_are_refused() {
    let w = World::new();
    let src = tree(&w);
    w.backup(&[src.to_str().unwrap()]);
    let fpr = w.fingerprint();
    let snap = w.objects("snapshots")[0].clone();
    let home = gpg_with(&w);
    let plain = gpg(home.path(), &["--decrypt"], &fs::read(&snap).unwrap());
    let edited = String::from_utf8(plain)
        .unwrap()
        .replace("\"host\"", "\"host\": \"evil\", \"x\"");

    // Re-encrypted to the repository key but not signed: what a storage provider can do.
    let forged = gpg(home.path(), &["--encrypt", "-r", &fpr], edited.as_bytes());
    let name = blake3::hash(&forged).to_hex().to_string();
    fs::write(w.repo.join("snapshots").join(&name), &forged).unwrap();
    let err = one_line(&w.fails(&["snapshots"], 1), "snapshots");
    assert!(
        err.contains(&format!("snapshots/{name}")) && err.contains("signature"),
        "{err}"
    );
    let err = w.fails(&["check"], 1);
    assert!(
        err.contains(&name[..8]) && err.contains("signature"),
        "{err}"
    );
    fs::remove_file(w.repo.join("snapshots").join(&name)).unwrap();

    // Signed by some other key.
    let other = fixtures().join("keys/gpg-ed25519-nopass.sec.asc");
    let st = Command::new("gpg")
        .arg("--homedir")
        .arg(home.path())
        .args(["--batch", "--import"])
        .arg(&other)
        .output()
        .unwrap();
    assert!(st.status.success());
    let forged = gpg(
        home.path(),
        &[
            "--sign",
            "--encrypt",
            "-r",
            &fpr,
            "-u",
            "3407DC353B334AEF4FC930D1E56A668BDAEF30BC",
        ],
        edited.as_bytes(),
    );
    let name = blake3::hash(&forged).to_hex().to_string();
    fs::write(w.repo.join("snapshots").join(&name), &forged).unwrap();
    let err = one_line(&w.fails(&["snapshots"], 1), "snapshots");
    assert!(
        err.contains("signature missing or not made by the repository key"),
        "{err}"
    );
    fs::remove_file(w.repo.join("snapshots").join(&name)).unwrap();

    // A flipped byte in place: caught before decryption by the id.
    flip_byte(&snap, 100);
    let err = one_line(&w.fails(&["snapshots"], 1), "snapshots");
    assert!(err.contains("corrupt or tampered"), "{err}");
    stop_agent(home.path());
}

#[test]
fn unknown_format_version_is_refused() {
    let w = World::new();
    let fpr = w.fingerprint();
    let home = gpg_with(&w);
    let config = decrypted_config(home.path(), &w.repo);
    let with_version = |v: u32| {
        let mut c = config.clone();
        c["version"] = v.into();
        let forged = gpg(
            home.path(),
            &["--sign", "--encrypt", "-r", &fpr, "-u", &fpr],
            &serde_json::to_vec(&c).unwrap(),
        );
        fs::write(w.repo.join("config"), forged).unwrap();
        one_line(&w.fails(&["snapshots"], 1), "snapshots")
    };
    let err = with_version(5);
    assert!(err.contains("format version 5 is not supported"), "{err}");
    // Version 4 is a config whose recipient list changed: it must say which generation.
    let err = with_version(4);
    assert!(
        err.contains("generation 0 does not go with format version 4"),
        "{err}"
    );
    stop_agent(home.path());
}

#[test]
fn unreadable_source_file_is_reported_and_the_rest_backed_up() {
    let w = World::new();
    let src = tree(&w);
    let secret = src.join("d/secret.txt");
    fs::write(&secret, b"no access").unwrap();
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(&secret, fs::Permissions::from_mode(0o000)).unwrap();
    let is_root = unsafe_free_is_root();
    // Root reads everything, so as root the backup runs as `nobody` with access to
    // all but that file.
    let mut cmd = if is_root {
        // The signer pin from `init` is the user's too.
        for p in [&w.repo, &w.cache, &w.path(".config")] {
            fs::create_dir_all(p).unwrap();
            Command::new("chown")
                .args(["-R", "nobody"])
                .arg(p)
                .status()
                .unwrap();
        }
        Command::new("chown")
            .arg("nobody")
            .arg(&w.key)
            .status()
            .unwrap();
        let mut c = Command::new("setpriv");
        c.args(["--reuid=nobody", "--regid=nogroup", "--clear-groups", "--"]);
        c.arg(common::bin());
        c
    } else {
        Command::new(common::bin())
    };
    cmd.env("CAIRN_REPO", &w.repo)
        .env("CAIRN_KEY", &w.key)
        .env("CAIRN_CACHE_DIR", &w.cache)
        .env("HOME", w.dir.path())
        .args(["--json", "backup", src.to_str().unwrap()]);
    let out = cmd.output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{err}");
    assert!(
        err.contains(secret.to_str().unwrap()) && err.contains("Permission denied"),
        "{err}"
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["stats"]["errors"], 1);
    // The rest is there, the unreadable file is not.
    let t = w.path("r");
    w.ok(&["restore", "latest", "--target", t.to_str().unwrap()]);
    let r = t.join(src.strip_prefix("/").unwrap());
    assert!(fs::read(r.join("b.bin")).unwrap() == fs::read(src.join("b.bin")).unwrap());
    assert_eq!(
        fs::read(r.join("d/a.txt")).unwrap(),
        fs::read(src.join("d/a.txt")).unwrap()
    );
    assert!(!r.join("d/secret.txt").exists());
}

fn unsafe_free_is_root() -> bool {
    use std::os::unix::fs::MetadataExt;
    fs::metadata("/proc/self").unwrap().uid() == 0
}

#[test]
fn missing_source_and_bad_arguments() {
    let w = World::new();
    let err = one_line(&w.fails(&["backup", "/nonexistent/path"], 1), "backup");
    assert!(err.contains("/nonexistent/path"), "{err}");
    let err = one_line(
        &w.fails(&["backup", "--time", "yesterday", "/tmp"], 2),
        "backup",
    );
    assert!(err.contains("--time"), "{err}");
    w.fails(&["backup"], 2);
    let err = w.fails(&["check", "--read-data-subset", "150%"], 2);
    assert!(err.contains("150%"), "{err}");
    assert!(w.snapshots().is_empty());
}

#[test]
fn restore_target_problems_are_named() {
    let w = World::new();
    let src = tree(&w);
    w.backup(&[src.to_str().unwrap()]);
    let file = w.path("a-file");
    fs::write(&file, b"x").unwrap();
    let err = one_line(
        &w.fails(
            &["restore", "latest", "--target", file.to_str().unwrap()],
            1,
        ),
        "restore",
    );
    assert!(err.contains(file.to_str().unwrap()), "{err}");
    let err = one_line(
        &w.fails(&["restore", "latest", "--target", "/proc/cairn-test"], 1),
        "restore",
    );
    assert!(err.contains("/proc/cairn-test"), "{err}");
}

#[test]
fn disk_full_while_writing_leaves_a_valid_repository() {
    assert!(
        unsafe_free_is_root(),
        "this test mounts a small tmpfs and must run as root (CI does)"
    );
    let w = World::new();
    let small = tree(&w);
    // Repository on a 4 MiB file system, with a first snapshot that fits.
    let mnt = w.path("mnt");
    fs::create_dir_all(&mnt).unwrap();
    let st = Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=4m", "tmpfs"])
        .arg(&mnt)
        .status()
        .unwrap();
    assert!(st.success(), "mount tmpfs failed");
    struct Unmount(std::path::PathBuf);
    impl Drop for Unmount {
        fn drop(&mut self) {
            let _ = Command::new("umount").arg(&self.0).status();
        }
    }
    let _guard = Unmount(mnt.clone());
    let repo = mnt.join("repo");
    let r = repo.to_str().unwrap();
    w.ok(&["-r", r, "init"]);
    fs::remove_file(small.join("b.bin")).unwrap();
    w.ok(&["-r", r, "backup", small.to_str().unwrap()]);
    // Then 10 MiB of noise that cannot fit.
    let big = w.path("big");
    fs::create_dir_all(&big).unwrap();
    fs::write(big.join("noise"), common::noise(10 << 20, 5)).unwrap();
    let err = one_line(
        &w.fails(&["-r", r, "backup", big.to_str().unwrap()], 1),
        "backup",
    );
    assert!(
        err.contains("No space left on device") && err.contains(r),
        "{err}"
    );
    // Still valid: one snapshot, check passes, it restores.
    let out = w.ok(&["-r", r, "--json", "snapshots"]);
    let snaps: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(snaps.as_array().unwrap().len(), 1);
    w.ok(&["-r", r, "check", "--read-data"]);
    let t = w.path("restored");
    w.ok(&[
        "-r",
        r,
        "restore",
        "latest",
        "--target",
        t.to_str().unwrap(),
    ]);
    assert_same_tree(&small, &t.join(small.strip_prefix("/").unwrap()));
}

#[test]
fn forged_config_id_is_not_used_as_a_path() {
    let w = World::new();
    let fpr = w.fingerprint();
    let home = gpg_with(&w);
    let mut v = decrypted_config(home.path(), &w.repo);
    let probe = w.path("traversal-probe");
    v["id"] = probe.to_str().unwrap().into();
    // Encrypted to the repository key, which anyone with the public key can do.
    let forged = gpg(
        home.path(),
        &["--encrypt", "-r", &fpr],
        &serde_json::to_vec(&v).unwrap(),
    );
    fs::write(w.repo.join("config"), forged).unwrap();
    // Unsigned, so refused before anything in it is used.
    let err = one_line(&w.fails(&["--no-cache", "snapshots"], 1), "snapshots");
    assert!(err.contains("not signed by"), "{err}");
    let err = one_line(&w.fails(&["snapshots"], 1), "snapshots");
    assert!(err.contains("not signed by"), "{err}");
    assert!(
        !probe.exists(),
        "a directory was created from the forged id"
    );
    stop_agent(home.path());
}

#[test]
fn one_forged_manifest_does_not_block_restore_or_backup() {
    let w = World::new();
    let src = tree(&w);
    w.backup(&[src.to_str().unwrap()]);
    let fpr = w.fingerprint();
    let home = gpg_with(&w);
    let forged = gpg(home.path(), &["--encrypt", "-r", &fpr], b"{}");
    let name = blake3::hash(&forged).to_hex().to_string();
    fs::write(w.repo.join("snapshots").join(&name), &forged).unwrap();
    let t = w.path("r");
    let out = w.run(&["restore", "latest", "--target", t.to_str().unwrap()]);
    assert!(out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(&name) && err.contains("skipped"), "{err}");
    assert_same_tree(&src, &t.join(src.strip_prefix("/").unwrap()));
    w.backup(&[src.to_str().unwrap()]);
    // `snapshots` lists the good ones, then fails naming the bad one.
    let out = w.run(&["snapshots"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("2 snapshots"));
    stop_agent(home.path());
}

#[test]
fn errors_name_the_cause_once() {
    let w = World::new();
    let src = tree(&w);
    w.backup(&[src.to_str().unwrap()]);
    fs::remove_file(w.biggest_pack()).unwrap();
    let t = w.path("r");
    // A partial restore (exit 3) names the missing pack once, each lost file once, and
    // ends with one line. Which files share the pack depends on which thread stored
    // them, so the lost files are counted, not named.
    let err = w.fails(&["restore", "latest", "--target", t.to_str().unwrap()], 3);
    assert_eq!(err.matches("not found").count(), 1, "{err}");
    let lost: Vec<&str> = err
        .lines()
        .filter(|l| l.starts_with("not restored (data lost"))
        .collect();
    let unique: std::collections::HashSet<&&str> = lost.iter().collect();
    assert!(!lost.is_empty() && unique.len() == lost.len(), "{err}");
    assert!(
        err.contains(&format!("{} path", lost.len())),
        "the summary counts the same files: {err}"
    );
    assert_eq!(
        err.lines()
            .filter(|l| l.starts_with("cairn restore: "))
            .count(),
        1,
        "{err}"
    );
}
