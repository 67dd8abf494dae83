//! Profiles in a temporary config directory, and `cairn` commands that take repository
//! and key from them only.

use std::fs;
use std::path::PathBuf;
use std::process::Command;

use super::World;

/// The world's profile directory (`--config`), created on first use.
pub fn profiles(w: &World) -> PathBuf {
    let d = w.path("profiles");
    fs::create_dir_all(&d).unwrap();
    d
}

/// Writes profiles/NAME.toml pointing at the world's repository and key.
pub fn write_profile(w: &World, name: &str, body: &str) -> PathBuf {
    let p = profiles(w).join(format!("{name}.toml"));
    let text = format!(
        "repository = \"{}\"\nkey = \"{}\"\n{body}",
        w.repo.display(),
        w.key.display()
    );
    fs::write(&p, text).unwrap();
    p
}

/// A cairn command that takes repository, key and passphrase from the profile only.
pub fn cmd(w: &World, args: &[&str]) -> Command {
    let mut c = w.cmd();
    c.env_remove("CAIRN_REPO")
        .env_remove("CAIRN_KEY")
        .env_remove("CAIRN_PASSPHRASE_FILE")
        .args(args)
        .arg("--config")
        .arg(profiles(w));
    c
}
