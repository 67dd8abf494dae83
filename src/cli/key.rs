//! `cairn key generate|export|import-paper|passwd|info|extend`.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use anyhow::{bail, Context, Result};

use super::{Ctx, Outcome};
use crate::crypto::{keys, KeyKind};
use crate::secret::Secret;
use crate::ui;

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
        /// When writing with the key stops: `never`, or a time from now (`2y`, `90d`,
        /// `5s`); reading never needs a live key
        #[arg(long, default_value = "never")]
        expires: Expires,
    },
    /// Print the key (-k) armored, as `gpg --import` reads it
    Export {
        /// Only the public certificate (give it to `init --recipient` elsewhere)
        #[arg(long, conflicts_with = "secret", required_unless_present = "secret")]
        public: bool,
        /// The secret key, as protected as the key file is
        #[arg(long)]
        secret: bool,
        /// A printable recovery sheet: the armored key, fingerprints, the repository
        /// (-r) with its signer pin, and the exact restore commands
        #[arg(long, requires = "secret")]
        paper: bool,
        /// Write to this file (0600) instead of standard output
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Turn a recovery sheet (typed or scanned back into text) into a key file (0600)
    ImportPaper {
        /// The sheet as text; only its key block is read
        page: PathBuf,
        /// Where to write the key; never over an existing file
        #[arg(long)]
        out: PathBuf,
    },
    /// Encrypt every object written from now on also to this public certificate
    /// (run with the repository's signing key); `key rewrap` does the stored ones
    AddRecipient {
        /// The certificate, armored or binary (`cairn key export --public`, `gpg --export`)
        cert: PathBuf,
    },
    /// Stop encrypting new objects to this key (run with the signing key); stored
    /// objects stay readable by it until `key rewrap`
    RemoveRecipient {
        /// The recipient's fingerprint (40 hex digits; spaces allowed)
        fingerprint: String,
    },
    /// Let a write-only backup host's key back up (run with the signing key): it reads
    /// the config and index, signs its own host's snapshots, and decrypts no data
    AddWriter {
        /// The host's certificate (`cairn key export --public -k host.key`)
        cert: PathBuf,
        /// The only host name its snapshots may carry (default: the host in the key's
        /// user id, as `cairn key generate` writes it)
        #[arg(long)]
        host: Option<String>,
    },
    /// Stop encrypting the config and index to a write-only host key; what it signed
    /// verifies until `key rewrap` signs it again
    RemoveWriter {
        /// The writer's fingerprint (40 hex digits; spaces allowed)
        fingerprint: String,
    },
    /// Re-encrypt stored snapshots, packs, index objects and verified records to the
    /// current recipients (run with the signing key); resumable and safe to interrupt
    Rewrap {
        /// Count what is not yet encrypted to the current list; change nothing
        #[arg(long)]
        dry_run: bool,
        /// Sign with this key while reading with -k: after `rotate-signer`, read with the
        /// old key and sign with the new one
        #[arg(long, value_name = "KEY_FILE")]
        sign_with: Option<PathBuf>,
    },
    /// Hand the repository's signing over to another key (run with the current signing
    /// key); readers pinned to the old key follow the signed hand-over
    RotateSigner {
        /// The new signing key (a secret key file; its passphrase from
        /// CAIRN_NEW_PASSPHRASE_FILE or the usual sources)
        #[arg(long = "new", value_name = "KEY_FILE")]
        new: PathBuf,
    },
    /// Change or remove the passphrase of the key file (-k); no repository is touched
    Passwd {
        /// Store the key unprotected (only its file permissions guard it)
        #[arg(long)]
        no_passphrase: bool,
    },
    /// Show the key's fingerprint, algorithms, expiry and protection
    Info,
    /// Set when the key (-k) expires, primary key and subkeys; rewrites the key file
    Extend {
        /// `never`, or a time from now (`2y`, `90d`, `12h`, `5s`)
        #[arg(long, default_value = "never")]
        expires: Expires,
    },
}

/// `--expires`: `never`, or a duration from now.
#[derive(Debug, Clone, Copy)]
pub struct Expires(Option<Duration>);

impl std::str::FromStr for Expires {
    type Err = String;
    fn from_str(s: &str) -> Result<Expires, String> {
        let s = s.trim();
        if s.eq_ignore_ascii_case("never") {
            return Ok(Expires(None));
        }
        let d = match s.strip_suffix('y').map(str::parse::<u64>) {
            Some(Ok(years)) => Duration::from_secs(years.saturating_mul(365 * 86400)),
            _ => crate::units::parse_duration(s)
                .map_err(|e| format!("{e}; or `never`, or years (2y)"))?,
        };
        if d.is_zero() {
            return Err(format!(
                "{s:?}: a key that expires at once is useless; use `never` or a duration"
            ));
        }
        Ok(Expires(Some(d)))
    }
}

impl Expires {
    fn at(self) -> Option<SystemTime> {
        self.0.map(|d| SystemTime::now() + d)
    }
}

fn new_passphrase() -> Result<Option<Secret>> {
    if std::env::var_os("CAIRN_PASSPHRASE_FILE").is_some()
        || std::env::var_os("CAIRN_PASSPHRASE").is_some()
    {
        return super::passphrase("");
    }
    if !(std::io::stdin().is_terminal() && std::io::stderr().is_terminal()) {
        crate::ui::warn(
            "no passphrase given (set CAIRN_PASSPHRASE_FILE, or run on a terminal); the key \
             file is protected only by its permissions",
        );
        return Ok(None);
    }
    let (a, b) = crate::interrupt::at_once(|| -> std::io::Result<_> {
        let a = rpassword::prompt_password("Passphrase for the new key (empty for none): ")?;
        Ok((a, rpassword::prompt_password("Repeat passphrase: ")?))
    })?;
    if a != b {
        bail!("passphrases do not match");
    }
    Ok((!a.is_empty()).then(|| Secret::new(a)))
}

pub fn run(ctx: &Ctx, cmd: KeyCommand) -> Result<Outcome> {
    match cmd {
        KeyCommand::Generate {
            out,
            rsa,
            user_id,
            expires,
        } => {
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
            let armored = keys::generate(&uid, kind, pass.as_ref(), expires.0)?;
            crate::fsutil::write_private_new(&out, &armored)
                .with_context(|| format!("{}", out.display()))?;
            let cert = keys::read_cert(&out)?;
            if ctx.json {
                super::print_json(&serde_json::json!({
                    "file": out.display().to_string(),
                    "fingerprint": cert.fingerprint().to_hex(),
                    "protected": pass.is_some(),
                    "expires": keys::expiry(&cert).map(|t| json_time(ctx, t)),
                }))?;
            } else {
                crate::ui::info(&format!(
                    "wrote {} (fingerprint {}); keep a copy offline: without it the backups cannot be read",
                    out.display(),
                    cert.fingerprint().to_hex()
                ));
            }
        }
        KeyCommand::Export {
            paper: true, out, ..
        } => {
            let page = super::key_file::paper_sheet(ctx)?;
            write_out(out.as_deref(), page.as_bytes())?;
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
            write_out(out.as_deref(), &armored)?;
        }
        KeyCommand::ImportPaper { page, out } => super::key_file::import_paper(ctx, &page, &out)?,
        KeyCommand::Passwd { no_passphrase } => {
            super::key_file::passwd(ctx, ctx.key_path()?, no_passphrase)?
        }
        KeyCommand::AddRecipient { cert } => super::key_repo::add(ctx, &cert)?,
        KeyCommand::RemoveRecipient { fingerprint } => super::key_repo::remove(ctx, &fingerprint)?,
        KeyCommand::AddWriter { cert, host } => {
            super::key_repo::add_writer(ctx, &cert, host.as_deref())?
        }
        KeyCommand::RemoveWriter { fingerprint } => {
            super::key_repo::remove_writer(ctx, &fingerprint)?
        }
        KeyCommand::RotateSigner { new } => super::key_repo::rotate_signer(ctx, &new)?,
        KeyCommand::Rewrap { dry_run, sign_with } => {
            super::key_repo::rewrap(ctx, dry_run, sign_with.as_deref())?
        }
        KeyCommand::Info => info(ctx, ctx.key_path()?)?,
        KeyCommand::Extend { expires } => extend(ctx, ctx.key_path()?, expires)?,
    }
    Ok(Outcome::Ok)
}

fn info(ctx: &Ctx, path: &Path) -> Result<()> {
    let cert = keys::read_cert(path)?;
    let summaries = keys::summarize(&cert);
    let uids: Vec<String> = cert
        .userids()
        .map(|u| String::from_utf8_lossy(u.userid().value()).into_owned())
        .collect();
    let protected = keys::needs_passphrase(&cert);
    let expires = keys::expiry(&cert);
    if ctx.json {
        let subkeys: Vec<_> = summaries
            .iter()
            .map(|k| {
                serde_json::json!({
                    "fingerprint": k.fingerprint,
                    "algorithm": k.algorithm,
                    "bits": k.bits,
                    "usage": k.usage.join(","),
                    "secret": k.secret,
                    "expires": k.expires.map(|t| json_time(ctx, t)),
                })
            })
            .collect();
        return super::print_json(&serde_json::json!({
            "fingerprint": cert.fingerprint().to_hex(),
            "user_ids": uids,
            "secret": cert.is_tsk(),
            "passphrase_protected": protected,
            "expires": expires.map(|t| json_time(ctx, t)),
            "signing_expires": keys::signing_expiry(&cert).map(|t| json_time(ctx, t)),
            "keys": subkeys,
        }));
    }
    let mut out = ui::out();
    writeln!(out, "fingerprint: {}", cert.fingerprint().to_hex())?;
    for u in &uids {
        writeln!(out, "user id:     {u}")?;
    }
    writeln!(
        out,
        "secret key:  {}{}",
        if cert.is_tsk() {
            "yes"
        } else {
            "no (public only)"
        },
        if protected {
            ", passphrase-protected"
        } else {
            ""
        }
    )?;
    writeln!(out, "expires:     {}", describe_expiry(ctx, expires))?;
    for k in &summaries {
        writeln!(
            out,
            "  {} {} {} bits [{}] {}",
            k.fingerprint,
            k.algorithm,
            k.bits.map_or_else(|| "?".to_string(), |b| b.to_string()),
            k.usage.join(","),
            match k.expires {
                Some(t) if t <= SystemTime::now() => describe_expiry(ctx, Some(t)),
                t => format!("expires {}", describe_expiry(ctx, t)),
            }
        )?;
    }
    Ok(())
}

pub(super) fn json_time(ctx: &Ctx, t: SystemTime) -> String {
    ui::time::rfc3339(ctx.zone, t.into())
}

/// `never`, the time, or `EXPIRED on` the time, shown like every other time.
fn describe_expiry(ctx: &Ctx, t: Option<SystemTime>) -> String {
    match t {
        None => "never".into(),
        Some(t) if t <= SystemTime::now() => {
            format!("EXPIRED on {}", ui::time::human(ctx.zone, t.into()))
        }
        Some(t) => ui::time::human(ctx.zone, t.into()),
    }
}

fn extend(ctx: &Ctx, path: &Path, expires: Expires) -> Result<()> {
    let cert = keys::read_cert(path)?;
    let pass = if keys::needs_passphrase(&cert) {
        super::passphrase(&format!("Passphrase for {}: ", path.display()))?
    } else {
        None
    };
    let origin = path.display().to_string();
    let cert = keys::extend(cert, pass.as_ref(), expires.at(), &origin)?;
    crate::fsutil::replace_private(path, &keys::export_secret(&cert)?)
        .with_context(|| format!("{}: rewriting the key", path.display()))?;
    let when = keys::expiry(&cert).map(|t| json_time(ctx, t));
    if ctx.json {
        super::print_json(&serde_json::json!({
            "file": origin,
            "fingerprint": cert.fingerprint().to_hex(),
            "expires": when,
        }))?;
    } else {
        crate::ui::info(&format!(
            "{origin}: key {} now expires {}; give the new public key (cairn key export --public) to anyone who encrypts to it",
            cert.fingerprint().to_hex(),
            when.unwrap_or_else(|| "never".into())
        ));
    }
    Ok(())
}

/// A new private file, or standard output.
fn write_out(out: Option<&Path>, data: &[u8]) -> Result<()> {
    match out {
        Some(o) => {
            crate::fsutil::write_private_new(o, data).with_context(|| format!("{}", o.display()))?
        }
        None => ui::out().write_all(data)?,
    }
    Ok(())
}
