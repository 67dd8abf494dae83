//! `cairn key passwd|import-paper` and `key export --paper`: what is done to a key file
//! and its paper copy, without touching a repository's objects.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use anyhow::{bail, Context, Result};

use super::Ctx;
use crate::crypto::{keys, paper};
use crate::secret::Secret;
use crate::ui;

/// The recovery sheet of the key, with what the repository (-r, opened and verified with
/// that key) says about itself when one is given.
pub(super) fn paper_sheet(ctx: &Ctx) -> Result<String> {
    let path = ctx.key_path()?;
    let cert = keys::read_cert(path)?;
    if !cert.is_tsk() {
        bail!("{}: holds no secret key to export", path.display());
    }
    let repo = match ctx.repo {
        Some(_) => {
            let repo = ctx.open()?;
            Some(paper::RepoFacts {
                location: repo.location(),
                signer: repo.config().signer.clone(),
                recipients: repo.config().recipients.clone(),
                generation: repo.config().generation,
            })
        }
        None => None,
    };
    let uids: Vec<String> = cert
        .userids()
        .map(|u| String::from_utf8_lossy(u.userid().value()).into_owned())
        .collect();
    let armored = String::from_utf8(keys::export_secret(&cert)?).expect("armor is ASCII");
    let sheet = paper::Sheet {
        fingerprint: &cert.fingerprint().to_hex(),
        user_ids: &uids,
        protected: keys::needs_passphrase(&cert),
        armored_secret: &armored,
        repo,
        printed: keys::date(SystemTime::now()),
    };
    Ok(sheet.render())
}

pub(super) fn import_paper(ctx: &Ctx, page: &Path, out: &Path) -> Result<()> {
    let text = std::fs::read(page).with_context(|| format!("{}", page.display()))?;
    let block = std::str::from_utf8(&text)
        .ok()
        .and_then(paper::armored_key)
        .ok_or_else(|| {
            anyhow::anyhow!(
                "{}: no secret key block (-----BEGIN PGP PRIVATE KEY BLOCK-----) on this page",
                page.display()
            )
        })?;
    let cert = keys::parse_secret(block.as_bytes(), &page.display().to_string())?;
    if out.exists() {
        bail!(
            "{}: already exists; refusing to overwrite a key",
            out.display()
        );
    }
    crate::fsutil::write_private_new(out, &keys::export_secret(&cert)?)
        .with_context(|| format!("{}", out.display()))?;
    if ctx.json {
        super::print_json(&serde_json::json!({
            "file": out.display().to_string(),
            "fingerprint": cert.fingerprint().to_hex(),
        }))?;
    } else {
        ui::info(&format!(
            "wrote {} (fingerprint {}): compare it with the sheet's",
            out.display(),
            cert.fingerprint().to_hex()
        ));
    }
    Ok(())
}

/// The new passphrase: `CAIRN_NEW_PASSPHRASE_FILE`, or asked twice on a terminal.
fn replacement_passphrase(path: &Path) -> Result<Secret> {
    if let Some(file) = std::env::var_os("CAIRN_NEW_PASSPHRASE_FILE").filter(|v| !v.is_empty()) {
        let file = PathBuf::from(file);
        let p = super::read_passphrase_file(&file)
            .with_context(|| format!("CAIRN_NEW_PASSPHRASE_FILE {}", file.display()))?;
        if p.expose().is_empty() {
            bail!(
                "CAIRN_NEW_PASSPHRASE_FILE {}: empty; to remove the passphrase use --no-passphrase",
                file.display()
            );
        }
        return Ok(p);
    }
    if !(std::io::stdin().is_terminal() && std::io::stderr().is_terminal()) {
        return Err(super::usage(
            "no new passphrase: set CAIRN_NEW_PASSPHRASE_FILE, run on a terminal, or use --no-passphrase",
        ));
    }
    let prompt = format!("New passphrase for {}: ", path.display());
    let (a, b) = crate::interrupt::at_once(|| -> std::io::Result<_> {
        let a = rpassword::prompt_password(&prompt)?;
        Ok((a, rpassword::prompt_password("Repeat new passphrase: ")?))
    })?;
    if a != b {
        bail!("passphrases do not match; the key file is unchanged");
    }
    if a.is_empty() {
        bail!("empty passphrase; to remove the passphrase use --no-passphrase");
    }
    Ok(Secret::new(a))
}

pub(super) fn passwd(ctx: &Ctx, path: &Path, remove: bool) -> Result<()> {
    let cert = keys::read_cert(path)?;
    let origin = path.display().to_string();
    let old = if keys::needs_passphrase(&cert) {
        super::passphrase(&format!("Current passphrase for {}: ", path.display()))?
    } else {
        None
    };
    let new = if remove {
        None
    } else {
        Some(replacement_passphrase(path)?)
    };
    let changed = keys::change_passphrase(cert, old.as_ref(), new.as_ref(), &origin)?;
    // Proof before the old file goes: the new one unlocks with what was just set.
    keys::unlock(changed.clone(), new.as_ref(), &origin)?;
    crate::fsutil::replace_private(path, &keys::export_secret(&changed)?)
        .with_context(|| format!("{}: rewriting the key", path.display()))?;
    if ctx.json {
        super::print_json(&serde_json::json!({
            "file": origin,
            "fingerprint": changed.fingerprint().to_hex(),
            "protected": new.is_some(),
        }))?;
    } else {
        ui::info(&format!(
            "{origin}: {}; copies of the key elsewhere (a recovery sheet) keep the old one",
            if new.is_some() {
                "passphrase changed"
            } else {
                "passphrase removed: the file's permissions are now all that guards the key"
            }
        ));
    }
    Ok(())
}
