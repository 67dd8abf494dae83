//! Interoperability with the real GnuPG: what cairn stores, gpg opens; what gpg makes,
//! cairn uses.

mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use common::{assert_ok, assert_same_tree, fixtures, run_with_input, World};

/// A throwaway GnuPG home whose agent is stopped when dropped.
struct GpgHome(tempfile::TempDir);

impl GpgHome {
    fn new() -> GpgHome {
        let d = tempfile::tempdir().unwrap();
        GpgHome(d)
    }
    fn gpg(&self) -> Command {
        let mut c = Command::new("gpg");
        c.arg("--homedir")
            .arg(self.0.path())
            .args(["--batch", "--no-tty"]);
        c
    }
    fn import(&self, key: &Path) {
        let out = self
            .gpg()
            .arg("--import")
            .arg(key)
            .output()
            .expect("gpg is installed");
        assert!(
            out.status.success(),
            "gpg --import: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    /// Decrypts a stored object; returns (plaintext, status lines).
    fn decrypt(&self, object: &Path) -> (Vec<u8>, String) {
        let out = self
            .gpg()
            .args(["--status-fd", "2", "--decrypt"])
            .arg(object)
            .stdin(Stdio::null())
            .output()
            .unwrap();
        let status = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(
            out.status.success(),
            "gpg --decrypt {}: {status}",
            object.display()
        );
        (out.stdout, status)
    }
}

impl Drop for GpgHome {
    fn drop(&mut self) {
        let _ = Command::new("gpgconf")
            .arg("--homedir")
            .arg(self.0.path())
            .args(["--kill", "gpg-agent"])
            .status();
    }
}

fn small_tree(w: &World) -> PathBuf {
    let src = w.path("src");
    fs::create_dir_all(src.join("etc/nginx")).unwrap();
    fs::write(
        src.join("etc/nginx/nginx.conf"),
        "worker_processes 4;\n".repeat(1000),
    )
    .unwrap();
    fs::write(src.join("notes.txt"), b"backed up with cairn").unwrap();
    src
}

#[test]
fn gpg_decrypts_packs_index_and_verifies_signed_manifests() {
    let w = World::new();
    let src = small_tree(&w);
    w.backup(&[src.to_str().unwrap()]);
    let secret = w.path("exported.asc");
    w.ok(&[
        "key",
        "export",
        "--secret",
        "--out",
        secret.to_str().unwrap(),
    ]);
    let fpr = w.json(&["key", "info"])["fingerprint"]
        .as_str()
        .unwrap()
        .to_string();

    let home = GpgHome::new();
    home.import(&secret);

    // A pack is a plain OpenPGP message whose plaintext ends with the pack magic.
    let pack = &w.objects("data")[0];
    let (plain, status) = home.decrypt(pack);
    assert!(
        plain.ends_with(b"CAIRNPK1"),
        "pack plaintext does not end with the magic"
    );
    assert!(status.contains("DECRYPTION_OKAY"), "{status}");
    // Pack ids are BLAKE3 of the stored bytes; the name proves integrity without a key.
    let stored = fs::read(pack).unwrap();
    assert_eq!(
        blake3::hash(&stored).to_hex().as_str(),
        pack.file_name().unwrap().to_str().unwrap()
    );

    // The manifest is signed by the repository key, and gpg says so.
    let snap = &w.objects("snapshots")[0];
    let (plain, status) = home.decrypt(snap);
    let manifest: serde_json::Value = serde_json::from_slice(&plain).unwrap();
    assert!(manifest["tree"].is_string());
    assert!(status.contains("GOODSIG"), "{status}");
    assert!(
        status.contains("VALIDSIG") && status.contains(&fpr[..]),
        "{status}"
    );

    // Peeling off only the encryption leaves a signed message `gpg --verify` accepts.
    let unwrapped = home
        .gpg()
        .args(["--decrypt", "--unwrap"])
        .arg(snap)
        .output()
        .unwrap();
    assert!(unwrapped.status.success());
    let out = run_with_input(
        home.gpg().args(["--status-fd", "2", "--verify"]),
        &unwrapped.stdout,
    );
    let status = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && status.contains("VALIDSIG"),
        "{status}"
    );

    // Index files are zstd inside OpenPGP: the stock zstd tool opens them.
    let index = &w.objects("index")[0];
    let (packed, _) = home.decrypt(index);
    let out = run_with_input(Command::new("zstd").args(["-d", "-c"]), &packed);
    assert_ok(&out, "zstd -d");
    let idx: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(!idx["packs"].as_array().unwrap().is_empty());

    // gpg encrypts with SEIPD v1 here: the packet dump shows no AEAD/v2 packets.
    let out = home
        .gpg()
        .args(["--list-packets"])
        .arg(snap)
        .output()
        .unwrap();
    let packets = String::from_utf8_lossy(&out.stdout);
    assert!(
        packets.contains("encrypted data packet") || packets.contains(":encrypted data packet:"),
        "{packets}"
    );
    assert!(!packets.contains("aead encrypted"), "{packets}");
}

/// Each gpg-made fixture key works as `-k` directly, passphrase or not.
fn round_trip_with_fixture(key: &str, pass: Option<&str>) {
    let mut w = World::bare();
    fs::copy(fixtures().join("keys").join(key), &w.key).unwrap();
    if let Some(p) = pass {
        let dst = w.path("pass");
        fs::copy(fixtures().join("keys").join(p), &dst).unwrap();
        w.passphrase_file = Some(dst);
    }
    w.ok(&["init"]);
    let src = small_tree(&w);
    w.backup(&[src.to_str().unwrap()]);
    let t = w.path("restored");
    w.ok(&["restore", "latest", "--target", t.to_str().unwrap()]);
    assert_same_tree(&src, &t.join(src.strip_prefix("/").unwrap()));
    w.ok(&["check", "--read-data"]);
}

#[test]
fn gpg_rsa3072_key_with_passphrase_backs_up_and_restores() {
    round_trip_with_fixture("gpg-rsa3072.sec.asc", Some("gpg-rsa3072.pass"));
}

#[test]
fn gpg_ed25519_key_with_passphrase_backs_up_and_restores() {
    round_trip_with_fixture("gpg-ed25519.sec.asc", Some("gpg-ed25519.pass"));
}

#[test]
fn gpg_ed25519_key_without_passphrase_backs_up_and_restores() {
    round_trip_with_fixture("gpg-ed25519-nopass.sec.asc", None);
}

#[test]
fn extra_recipient_alone_restores_everything() {
    // The repository key plus an offline recovery key (a gpg-made public cert).
    let w = World::new();
    let recovery_pub = fixtures().join("keys/gpg-ed25519-nopass.pub.asc");
    let repo2 = w.path("repo2");
    let r2 = repo2.to_str().unwrap();
    w.ok(&[
        "-r",
        r2,
        "init",
        "--recipient",
        recovery_pub.to_str().unwrap(),
    ]);
    let src = small_tree(&w);
    w.ok(&["-r", r2, "backup", src.to_str().unwrap()]);
    // Restore with only the recovery key, on a "new machine" (empty cache).
    let t = w.path("recovered");
    let recovery_sec = fixtures().join("keys/gpg-ed25519-nopass.sec.asc");
    let other_cache = w.path("other-cache");
    w.ok(&[
        "-r",
        r2,
        "-k",
        recovery_sec.to_str().unwrap(),
        "--cache-dir",
        other_cache.to_str().unwrap(),
        "restore",
        "latest",
        "--target",
        t.to_str().unwrap(),
    ]);
    assert_same_tree(&src, &t.join(src.strip_prefix("/").unwrap()));
    // gpg alone, with the recovery key, opens the packs too.
    let home = GpgHome::new();
    home.import(&fixtures().join("keys/gpg-ed25519-nopass.sec.asc"));
    let pack = fs::read_dir(repo2.join("data"))
        .unwrap()
        .flat_map(|d| fs::read_dir(d.unwrap().path()).unwrap())
        .next()
        .unwrap()
        .unwrap()
        .path();
    let (plain, _) = home.decrypt(&pack);
    assert!(plain.ends_with(b"CAIRNPK1"));
}

#[test]
fn generated_keys_export_to_gpg_cv25519_and_rsa() {
    for rsa in [false, true] {
        let w = World::bare();
        let mut args = vec!["key", "generate", "--out", w.key.to_str().unwrap()];
        if rsa {
            args.push("--rsa");
        }
        w.ok(&args);
        let info = w.json(&["key", "info"]);
        let algos = info["keys"].to_string();
        if rsa {
            assert!(algos.contains("RSA") && algos.contains("4096"), "{algos}");
        } else {
            assert!(
                algos.contains("EdDSA") || algos.contains("Ed25519"),
                "{algos}"
            );
        }
        // Key files are private.
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            fs::metadata(&w.key).unwrap().permissions().mode() & 0o777,
            0o600
        );
        let public = w.ok(&["key", "export", "--public"]);
        assert!(public.starts_with("-----BEGIN PGP PUBLIC KEY BLOCK-----"));
        let secret = w.ok(&["key", "export", "--secret"]);
        assert!(secret.starts_with("-----BEGIN PGP PRIVATE KEY BLOCK-----"));
        let f = w.path("sec.asc");
        fs::write(&f, secret).unwrap();
        let home = GpgHome::new();
        home.import(&f);
        let out = home
            .gpg()
            .args(["--list-secret-keys", "--with-colons"])
            .output()
            .unwrap();
        let listing = String::from_utf8_lossy(&out.stdout);
        assert!(
            listing.contains(info["fingerprint"].as_str().unwrap()),
            "{listing}"
        );
        // Refuses to overwrite an existing key file.
        let err = w.fails(&["key", "generate", "--out", w.key.to_str().unwrap()], 1);
        assert!(err.contains("already exists"), "{err}");
    }
}
