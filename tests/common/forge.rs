//! Forging repository objects with the real gpg, as an attacker with write access to
//! the storage could (anyone can encrypt to the public keys), or as a test that needs an
//! object cairn would never write.

use std::fs;
use std::path::Path;
use std::process::Command;

use super::{assert_ok, run_with_input, World};

/// GnuPG with the repository key imported, to forge objects the way an attacker with
/// write access to the storage (but without the key) could not.
pub fn gpg_with(w: &World) -> tempfile::TempDir {
    let home = tempfile::tempdir().unwrap();
    let sec = w.path("sec.asc");
    w.ok(&["key", "export", "--secret", "--out", sec.to_str().unwrap()]);
    let st = Command::new("gpg")
        .arg("--homedir")
        .arg(home.path())
        .args(["--batch", "--import"])
        .arg(&sec)
        .output()
        .unwrap();
    assert!(st.status.success());
    home
}

pub fn gpg(home: &Path, args: &[&str], input: &[u8]) -> Vec<u8> {
    let out = run_with_input(
        Command::new("gpg")
            .arg("--homedir")
            .arg(home)
            .args(["--batch", "--yes", "--trust-model", "always"])
            // cairn refuses compressed objects; a test that wants one asks for it.
            .args(["--compress-algo", "none"])
            .args(args),
        input,
    );
    assert_ok(&out, &format!("gpg {args:?}"));
    out.stdout
}

/// The repository's config, decrypted with gpg.
pub fn decrypted_config(home: &Path, repo: &Path) -> serde_json::Value {
    let plain = gpg(
        home,
        &["--decrypt"],
        &fs::read(repo.join("config")).unwrap(),
    );
    serde_json::from_slice(&plain).unwrap()
}

pub fn stop_agent(home: &Path) {
    let _ = Command::new("gpgconf")
        .arg("--homedir")
        .arg(home)
        .args(["--kill", "gpg-agent"])
        .status();
}
