//! `cairn key generate|export|info`.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use anyhow::{bail, Context, Result};

use super::{Ctx, Outcome};
use crate::crypto::{keys, KeyKind};
use crate::secret::Secret;

#[derive(Debug, clap::Subcommand)]
pub enum KeyCommand {
    /// Generate a new key (Cv25519 unless --rsa); written 0600, never over an existing file
    Generate {
        /// Where to write the armored secret key
        #[arg(long)]
        out: PathBuf,
        /// RSA-4096 instead of Cv25519 (for very old OpenPGP tools)
        #[arg(long)]
        rsa: bool,
        /// User id to put in the key
        #[arg(long)]
        user_id: Option<String>,
    },
    /// Print the key (-k) armored, as `gpg --import` reads it
    Export {
        /// Only the public certificate (give it to `init --recipient` elsewhere)
        #[arg(long, conflicts_with = "secret", required_unless_present = "secret")]
        public: bool,
        /// The secret key, as protected as the key file is
        #[arg(long)]
        secret: bool,
        /// Write to this file (0600) instead of standard output
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Show the key's fingerprint, algorithms and protection
    Info,
}

fn new_passphrase() -> Result<Option<Secret>> {
    if std::env::var_os("CAIRN_PASSPHRASE_FILE").is_some()
        || std::env::var_os("CAIRN_PASSPHRASE").is_some()
    {
        return super::passphrase("");
    }
    if !(std::io::stdin().is_terminal() && std::io::stderr().is_terminal()) {
        crate::ui::info("no passphrase given (CAIRN_PASSPHRASE_FILE); the key file is protected only by its permissions");
        return Ok(None);
    }
    let a = rpassword::prompt_password("Passphrase for the new key (empty for none): ")?;
    let b = rpassword::prompt_password("Repeat passphrase: ")?;
    if a != b {
        bail!("passphrases do not match");
    }
    Ok((!a.is_empty()).then(|| Secret::new(a)))
}

pub fn run(ctx: &Ctx, cmd: KeyCommand) -> Result<Outcome> {
    match cmd {
        KeyCommand::Generate { out, rsa, user_id } => {
            if out.exists() {
                bail!(
                    "{}: already exists; refusing to overwrite a key",
                    out.display()
                );
            }
            let pass = new_passphrase()?;
            let uid =
                user_id.unwrap_or_else(|| format!("cairn backup key ({})", crate::hostname()));
            let kind = if rsa {
                KeyKind::Rsa4096
            } else {
                KeyKind::Cv25519
            };
            let armored = keys::generate(&uid, kind, pass.as_ref())?;
            crate::fsutil::write_private_new(&out, &armored)
                .with_context(|| format!("{}", out.display()))?;
            let cert = keys::read_cert(&out)?;
            if ctx.json {
                super::print_json(&serde_json::json!({
                    "file": out.display().to_string(),
                    "fingerprint": cert.fingerprint().to_hex(),
                    "protected": pass.is_some(),
                }))?;
            } else {
                crate::ui::info(&format!(
                    "wrote {} (fingerprint {}); keep a copy offline: without it the backups cannot be read",
                    out.display(),
                    cert.fingerprint().to_hex()
                ));
            }
        }
        KeyCommand::Export { public, out, .. } => {
            let path = ctx.key_path()?;
            let cert = keys::read_cert(path)?;
            let armored = if public {
                keys::armored_public(&cert)?
            } else {
                if !cert.is_tsk() {
                    bail!("{}: holds no secret key to export", path.display());
                }
                keys::export_secret(&cert)?
            };
            match out {
                Some(o) => crate::fsutil::write_private_new(&o, &armored)
                    .with_context(|| format!("{}", o.display()))?,
                None => std::io::stdout().write_all(&armored)?,
            }
        }
        KeyCommand::Info => {
            let path = ctx.key_path()?;
            let cert = keys::read_cert(path)?;
            let p = keys::policy();
            let mut subkeys = Vec::new();
            let valid = cert.with_policy(p, None).ok();
            for ka in cert.keys() {
                let flags = valid
                    .as_ref()
                    .and_then(|v| v.keys().key_handle(ka.key().fingerprint()).next())
                    .and_then(|v| v.key_flags())
                    .map(|f| {
                        let mut v = Vec::new();
                        if f.for_certification() {
                            v.push("certify")
                        }
                        if f.for_signing() {
                            v.push("sign")
                        }
                        if f.for_storage_encryption() || f.for_transport_encryption() {
                            v.push("encrypt")
                        }
                        v.join(",")
                    })
                    .unwrap_or_default();
                let key = ka.key();
                subkeys.push(serde_json::json!({
                    "fingerprint": key.fingerprint().to_hex(),
                    "algorithm": format!("{}", key.pk_algo()),
                    "bits": key.mpis().bits(),
                    "usage": flags,
                    "secret": key.has_secret(),
                }));
            }
            let uids: Vec<String> = cert
                .userids()
                .map(|u| String::from_utf8_lossy(u.userid().value()).into_owned())
                .collect();
            let info = serde_json::json!({
                "fingerprint": cert.fingerprint().to_hex(),
                "user_ids": uids,
                "secret": cert.is_tsk(),
                "passphrase_protected": keys::needs_passphrase(&cert),
                "keys": subkeys,
            });
            if ctx.json {
                super::print_json(&info)?;
            } else {
                println!("fingerprint: {}", cert.fingerprint().to_hex());
                for u in &uids {
                    println!("user id:     {u}");
                }
                println!(
                    "secret key:  {}{}",
                    if cert.is_tsk() {
                        "yes"
                    } else {
                        "no (public only)"
                    },
                    if keys::needs_passphrase(&cert) {
                        ", passphrase-protected"
                    } else {
                        ""
                    }
                );
                for k in info["keys"].as_array().into_iter().flatten() {
                    println!(
                        "  {} {} {} bits [{}]",
                        k["fingerprint"].as_str().unwrap_or(""),
                        k["algorithm"].as_str().unwrap_or(""),
                        k["bits"],
                        k["usage"].as_str().unwrap_or("")
                    );
                }
            }
        }
    }
    Ok(Outcome::Ok)
}
