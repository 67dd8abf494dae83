//! The last-resort recovery path of docs/RECOVERY.md: a repository written by cairn is
//! read back with nothing but the stock `gpg` and `zstd` binaries and
//! `contrib/recover.py`, from the secret key that `cairn key export --secret` prints.
//!
//! gpg, zstd and python3 are required: a missing tool fails the test instead of
//! skipping it, because an untested recovery path is the one that fails on the day.

mod common;

use std::ffi::OsStr;
use std::fs;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{symlink, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use common::{assert_same_tree, fixtures, noise, World};

fn require_tool(name: &str) {
    let out = Command::new(name)
        .arg("--version")
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("`{name}` is required by this test and did not run: {e}"));
    assert!(out.status.success(), "`{name} --version` failed");
}

fn recover_script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("contrib/recover.py")
}

/// A throwaway GnuPG home; the agent gpg starts for it is stopped on drop, even when
/// the test panics.
struct GnupgHome {
    dir: PathBuf,
}

impl GnupgHome {
    fn new(w: &World) -> GnupgHome {
        let dir = w.path("gnupg");
        fs::create_dir(&dir).unwrap();
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o700)).unwrap();
        GnupgHome { dir }
    }

    /// `gpg --batch --import` of an armored secret key, as the runbook says.
    fn import(&self, key: &Path) {
        let out = Command::new("gpg")
            .arg("--homedir")
            .arg(&self.dir)
            .args(["--batch", "--no-tty", "--import"])
            .arg(key)
            .stdin(Stdio::null())
            .output()
            .expect("gpg runs");
        assert!(
            out.status.success(),
            "gpg --import failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// Stops the agent, which also forgets any passphrase it cached.
    fn kill_agent(&self) {
        let _ = Command::new("gpgconf")
            .arg("--homedir")
            .arg(&self.dir)
            .args(["--kill", "gpg-agent"])
            .status();
    }

    /// Runs contrib/recover.py against this home with `args`.
    fn recover(&self, w: &World, args: &[&OsStr]) -> Output {
        Command::new("python3")
            .arg(recover_script())
            .arg("--repo")
            .arg(&w.repo)
            .arg("--gnupghome")
            .arg(&self.dir)
            .arg("--signer")
            .arg(w.fingerprint())
            .args(args)
            .env_remove("GNUPGHOME")
            .stdin(Stdio::null())
            .output()
            .expect("python3 runs")
    }

    fn recover_ok(&self, w: &World, args: &[&OsStr]) -> String {
        let out = self.recover(w, args);
        let err = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(out.status.success(), "recover.py {args:?} failed:\n{err}");
        String::from_utf8(out.stdout).unwrap() + &err
    }
}

impl Drop for GnupgHome {
    fn drop(&mut self) {
        self.kill_agent();
    }
}

/// A small tree with the cases a restore gets wrong: nesting, an empty file, relative
/// and dangling symlinks, files of several MiB (incompressible and compressible parts,
/// so both raw and zstd blobs), a run of zeros, unicode and non-UTF-8 names, unusual
/// modes, and mtimes with nanoseconds.
fn awkward_tree(w: &World) -> PathBuf {
    let src = w.path("src");
    let deep = src.join("a/b/c");
    fs::create_dir_all(&deep).unwrap();
    fs::write(deep.join("deep.txt"), b"three levels down\n").unwrap();
    fs::write(src.join("empty"), b"").unwrap();
    symlink("a/b/c/deep.txt", src.join("link")).unwrap();
    symlink("../nowhere", src.join("a/dangling")).unwrap();

    let mut big = noise(3 << 20, 11);
    big.extend(
        "a line of text that compresses well\n"
            .repeat(60_000)
            .as_bytes(),
    );
    fs::write(src.join("big.bin"), &big).unwrap();
    let mut sparse = vec![0u8; 5 << 20];
    sparse.extend_from_slice(b"the end");
    fs::write(src.join("zeros.bin"), &sparse).unwrap();

    fs::write(src.join("été 😀.txt"), "ünïcödé content\n").unwrap();
    let latin1 = src.join(OsStr::from_bytes(b"caf\xe9.bin"));
    fs::write(&latin1, b"a name that is not UTF-8").unwrap();

    let script = src.join("run.sh");
    fs::write(&script, b"#!/bin/sh\necho hi\n").unwrap();
    fs::set_permissions(&script, fs::Permissions::from_mode(0o750)).unwrap();
    let private = src.join("a/private");
    fs::create_dir(&private).unwrap();
    fs::write(private.join("secret"), b"s3cr3t").unwrap();
    fs::set_permissions(private.join("secret"), fs::Permissions::from_mode(0o600)).unwrap();
    fs::set_permissions(&private, fs::Permissions::from_mode(0o700)).unwrap();

    let stamp = filetime::FileTime::from_unix_time(1_600_000_000, 123_456_789);
    filetime::set_file_mtime(src.join("empty"), stamp).unwrap();
    filetime::set_file_mtime(deep.join("deep.txt"), stamp).unwrap();
    // A read-only directory last: its contents are in place, and restore must set its
    // mode only after filling it.
    fs::set_permissions(&deep, fs::Permissions::from_mode(0o555)).unwrap();
    src
}

/// Where a backed-up absolute path lands below a restore target.
fn restored(target: &Path, src: &Path) -> PathBuf {
    target.join(src.strip_prefix("/").unwrap())
}

fn export_secret_key(w: &World) -> PathBuf {
    let exported = w.ok(&["key", "export", "--secret"]);
    assert!(exported.contains("BEGIN PGP PRIVATE KEY BLOCK"));
    let path = w.path("exported.sec.asc");
    fs::write(&path, exported).unwrap();
    fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).unwrap();
    path
}

fn require_tools() {
    for tool in ["gpg", "gpgconf", "zstd", "python3"] {
        require_tool(tool);
    }
}

#[test]
fn recover_py_restores_files_and_stream_snapshots_with_stock_gpg() {
    require_tools();
    let w = World::new();
    let src = awkward_tree(&w);
    let files_snap = w.backup(&[src.to_str().unwrap()]);
    let files_id = files_snap["id"].as_str().unwrap().to_string();
    let day1 = common::dump_rows(20_000, |_| false);
    w.ok_stdin(&["backup", "--stdin-name", "app.dump"], &day1);
    // Day 2 stores its changed chunks as deltas against day 1's (format 3).
    let dump = common::dump_rows(20_000, |i| i % 300 == 5);
    let day2: serde_json::Value =
        serde_json::from_str(&w.ok_stdin(&["--json", "backup", "--stdin-name", "app.dump"], &dump))
            .unwrap();
    assert!(
        day2["stats"]["deltas_added"].as_u64().unwrap() > 5,
        "{day2}"
    );
    let snaps = w.snapshots();
    assert_eq!(snaps.len(), 3);
    let stream_id = snaps[2]["id"].as_str().unwrap().to_string();

    let key = export_secret_key(&w);
    let gpg = GnupgHome::new(&w);
    gpg.import(&key);

    let listed = gpg.recover_ok(&w, &["--list".as_ref()]);
    assert!(
        listed.contains(&files_id[..8]) && listed.contains(&stream_id[..8]),
        "{listed}"
    );

    // An id prefix chooses the older, files snapshot.
    let target = w.path("recovered-files");
    gpg.recover_ok(
        &w,
        &[
            "--snapshot".as_ref(),
            files_id[..10].to_uppercase().as_ref(),
            "--target".as_ref(),
            target.as_os_str(),
        ],
    );
    // Same names, types, contents, symlink targets, modes and exact mtimes.
    assert_same_tree(&src, &restored(&target, &src));

    // Without --snapshot, the newest: the stream, restored as one file (its deltas
    // with `zstd -d -D base`).
    let target = w.path("recovered-latest");
    let log = gpg.recover_ok(&w, &["--target".as_ref(), target.as_os_str()]);
    assert!(log.contains(&stream_id[..8]), "{log}");
    let got = target.join("app.dump");
    assert!(fs::read(&got).unwrap() == dump, "app.dump differs");
    assert_eq!(
        fs::metadata(&got).unwrap().permissions().mode() & 0o7777,
        0o600
    );

    // Without index objects the pack headers are enough, with --scan-packs.
    for index in w.objects("index") {
        fs::remove_file(index).unwrap();
    }
    let target = w.path("recovered-without-index");
    let args: [&OsStr; 4] = [
        "--snapshot".as_ref(),
        files_id[..8].as_ref(),
        "--target".as_ref(),
        target.as_os_str(),
    ];
    let out = gpg.recover(&w, &args);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && err.contains("--scan-packs"),
        "{err}"
    );
    fs::remove_dir_all(&target).unwrap();
    gpg.recover_ok(&w, &[&args[..], &["--scan-packs".as_ref()]].concat());
    assert_same_tree(&src, &restored(&target, &src));

    // Damaged packs are refused, not restored quietly.
    for pack in w.objects("data") {
        let mut bytes = fs::read(&pack).unwrap();
        let mid = bytes.len() / 2;
        bytes[mid] ^= 0x40;
        fs::write(&pack, bytes).unwrap();
    }
    let out = gpg.recover(
        &w,
        &[
            "--scan-packs".as_ref(),
            "--target".as_ref(),
            w.path("from-damaged").as_os_str(),
        ],
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success(),
        "a damaged pack must fail the recovery:\n{err}"
    );
    assert!(err.contains("recover.py: error:"), "{err}");
}

#[test]
fn recover_py_with_a_passphrase_protected_gpg_key() {
    require_tools();
    let mut w = World::bare();
    fs::copy(fixtures().join("keys/gpg-ed25519.sec.asc"), &w.key).unwrap();
    let pass = w.path("key.pass");
    fs::copy(fixtures().join("keys/gpg-ed25519.pass"), &pass).unwrap();
    fs::set_permissions(&pass, fs::Permissions::from_mode(0o600)).unwrap();
    w.passphrase_file = Some(pass.clone());
    w.ok(&["init"]);
    let src = awkward_tree(&w);
    w.backup(&[src.to_str().unwrap()]);

    // The export is as protected as the key file; gpg imports it without the passphrase.
    let key = export_secret_key(&w);
    let info = w.ok(&["-k", key.to_str().unwrap(), "key", "info"]);
    assert!(info.contains("passphrase-protected"), "{info}");
    let gpg = GnupgHome::new(&w);
    gpg.import(&key);
    gpg.kill_agent();

    let target = w.path("recovered");
    let out = gpg.recover(&w, &["--target".as_ref(), target.as_os_str()]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success(),
        "must not decrypt without the passphrase:\n{err}"
    );
    assert!(
        err.contains("passphrase"),
        "the error should name the passphrase:\n{err}"
    );

    let wrong = w.path("wrong.pass");
    fs::write(&wrong, "not the passphrase").unwrap();
    let out = gpg.recover(
        &w,
        &[
            "--passphrase-file".as_ref(),
            wrong.as_os_str(),
            "--target".as_ref(),
            target.as_os_str(),
        ],
    );
    assert!(!out.status.success(), "a wrong passphrase must fail");
    gpg.kill_agent();

    fs::remove_dir_all(&target).ok();
    gpg.recover_ok(
        &w,
        &[
            "--passphrase-file".as_ref(),
            pass.as_os_str(),
            "--target".as_ref(),
            target.as_os_str(),
        ],
    );
    assert_same_tree(&src, &restored(&target, &src));
}

#[test]
fn recover_py_trusts_only_the_signer_it_is_given() {
    require_tools();
    let w = World::new();
    let src = awkward_tree(&w);
    w.backup(&[src.to_str().unwrap()]);
    let key = export_secret_key(&w);
    let gpg = GnupgHome::new(&w);
    gpg.import(&key);

    // No signer named: refused before anything is read.
    let out = Command::new("python3")
        .arg(recover_script())
        .arg("--repo")
        .arg(&w.repo)
        .arg("--gnupghome")
        .arg(&gpg.dir)
        .arg("--list")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && err.contains("--signer"), "{err}");

    // A repository made by someone else with the victim's public key, put in place of
    // the victim's: its config names the attacker's key, which gpg can even verify.
    let public = w.path("victim.pub");
    w.ok(&[
        "key",
        "export",
        "--public",
        "--out",
        public.to_str().unwrap(),
    ]);
    let attacker = World::bare();
    attacker.ok(&["key", "generate", "--out", attacker.key.to_str().unwrap()]);
    attacker.ok(&["init", "--recipient", public.to_str().unwrap()]);
    attacker.backup(&[awkward_tree(&attacker).to_str().unwrap()]);
    let attacker_pub = attacker.path("attacker.pub");
    attacker.ok(&[
        "key",
        "export",
        "--public",
        "--out",
        attacker_pub.to_str().unwrap(),
    ]);
    gpg.import(&attacker_pub);
    fs::remove_dir_all(&w.repo).unwrap();
    fs::rename(&attacker.repo, &w.repo).unwrap();
    let out = gpg.recover(&w, &["--list".as_ref()]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success()
            && err.contains("no valid signature by")
            && err.contains(&w.fingerprint()),
        "{err}"
    );
}

#[test]
fn recover_py_reads_a_repository_whose_recipient_list_changed_after_rewrap() {
    require_tools();
    let w = World::new();
    let src = awkward_tree(&w);
    w.backup(&[src.to_str().unwrap()]);
    // A key added after the backup reads it once rewrap has re-encrypted everything.
    let other = World::bare();
    other.ok(&["key", "generate", "--out", other.key.to_str().unwrap()]);
    let other_pub = w.path("other.pub");
    fs::write(&other_pub, other.ok(&["key", "export", "--public"])).unwrap();
    w.ok(&["key", "add-recipient", other_pub.to_str().unwrap()]);
    w.ok(&["key", "rewrap"]);

    let other_sec = w.path("other.sec.asc");
    other.ok(&[
        "key",
        "export",
        "--secret",
        "--out",
        other_sec.to_str().unwrap(),
    ]);
    let signer_pub = w.path("signer.pub");
    w.ok(&[
        "key",
        "export",
        "--public",
        "--out",
        signer_pub.to_str().unwrap(),
    ]);
    let gpg = GnupgHome::new(&w);
    gpg.import(&other_sec);
    gpg.import(&signer_pub);
    let target = w.path("recovered");
    gpg.recover_ok(&w, &["--target".as_ref(), target.as_os_str()]);
    assert_same_tree(&src, &restored(&target, &src));
}

#[test]
fn recover_py_follows_a_signing_key_hand_over() {
    require_tools();
    let w = World::new();
    let src = awkward_tree(&w);
    w.backup(&[src.to_str().unwrap()]);
    let new = w.path("new.key");
    w.ok(&["key", "generate", "--out", new.to_str().unwrap()]);
    w.ok(&["key", "rotate-signer", "--new", new.to_str().unwrap()]);

    // The old key reads everything and is the signer the sheet names (--signer).
    let key = export_secret_key(&w);
    let gpg = GnupgHome::new(&w);
    gpg.import(&key);
    let target = w.path("recovered");
    let log = gpg.recover_ok(&w, &["--target".as_ref(), target.as_os_str()]);
    assert!(log.contains("signing handed over"), "{log}");
    assert_same_tree(&src, &restored(&target, &src));
}

/// A write-only host's snapshot (signed by the host key, which the config names) is
/// recovered with the owner's key alone: the host's certificate comes from the
/// repository, checked by the fingerprint the verified config gives.
#[test]
fn recover_py_restores_a_snapshot_a_write_only_host_made() {
    require_tools();
    let w = World::new();
    let mut host = World::bare();
    host.repo = w.repo.clone();
    host.ok(&[
        "key",
        "generate",
        "--out",
        host.key.to_str().unwrap(),
        "--user-id",
        "cairn backup key (db9)",
    ]);
    let host_pub = w.path("host.pub");
    fs::write(&host_pub, host.ok(&["key", "export", "--public"])).unwrap();
    w.ok(&["key", "add-writer", host_pub.to_str().unwrap()]);
    let src = awkward_tree(&host);
    host.ok(&[
        "--trust-signer",
        &w.fingerprint(),
        "backup",
        "--host",
        "db9",
        src.to_str().unwrap(),
    ]);

    let sec = w.path("owner.sec.asc");
    w.ok(&["key", "export", "--secret", "--out", sec.to_str().unwrap()]);
    let gpg = GnupgHome::new(&w);
    gpg.import(&sec);
    let listed = gpg.recover_ok(&w, &["--list".as_ref()]);
    assert!(listed.contains("db9"), "{listed}");
    let target = w.path("recovered");
    gpg.recover_ok(&w, &["--target".as_ref(), target.as_os_str()]);
    assert_same_tree(&src, &restored(&target, &src));
}
