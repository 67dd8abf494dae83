//! The `cairn key` subcommands that change a repository (`add-recipient`,
//! `remove-recipient`, `rewrap`, `rotate-signer`): arguments and reports only; the work
//! is in `repo::recipients`, `repo::handover` and `rewrap`.

use std::path::Path;

use anyhow::{Context, Result};

use super::Ctx;
use crate::crypto::keys;
use crate::repo::recipients::{Change, Changed};
use crate::ui;

pub fn add(ctx: &Ctx, cert_file: &Path) -> Result<()> {
    let bytes = std::fs::read(cert_file).with_context(|| format!("{}", cert_file.display()))?;
    let cert = keys::parse_public(&bytes, &cert_file.display().to_string())?;
    apply(ctx, Change::Add(Box::new(cert)), "added")
}

pub fn remove(ctx: &Ctx, fingerprint: &str) -> Result<()> {
    apply(ctx, Change::Remove(fingerprint.to_string()), "removed")
}

fn apply(ctx: &Ctx, change: Change, verb: &str) -> Result<()> {
    let who = match &change {
        Change::Add(c) => c.fingerprint().to_hex(),
        Change::Remove(f) => keys::validate_fingerprint(f)?,
    };
    let mut repo = ctx.open()?;
    let Changed {
        generation,
        recipients,
    } = repo.change_recipients(change, &ctx.trust())?;
    if ctx.json {
        return super::print_json(&serde_json::json!({
            "repository": repo.location(),
            "generation": generation,
            "recipients": recipients,
            verb: who,
        }));
    }
    ui::info(&format!(
        "{verb} {who}: objects written from now on are encrypted to {} (config generation {generation}); \
         objects already stored are not: run `cairn key rewrap` to re-encrypt them",
        recipients.join(", ")
    ));
    Ok(())
}

pub fn add_writer(ctx: &Ctx, cert_file: &Path, host: Option<&str>) -> Result<()> {
    let bytes = std::fs::read(cert_file).with_context(|| format!("{}", cert_file.display()))?;
    let cert = keys::parse_public(&bytes, &cert_file.display().to_string())?;
    let fpr = cert.fingerprint().to_hex();
    let host = match host {
        Some(h) => h.to_string(),
        None => host_of(&cert).with_context(|| {
            format!(
                "{}: no host name in the key's user id; name it with --host",
                cert_file.display()
            )
        })?,
    };
    let mut repo = ctx.open()?;
    let generation = repo.add_writer(cert, &host, &ctx.trust())?;
    if ctx.json {
        return super::print_json(&serde_json::json!({
            "repository": repo.location(),
            "generation": generation,
            "writer": fpr,
            "host": host,
        }));
    }
    ui::info(&format!(
        "{fpr} may now back up host {host} into {} (config generation {generation}); it reads the config and index objects written from now on (`cairn key rewrap` re-encrypts the older ones to it) and no data. On the host, once: cairn -r {} -k HOST_KEY --trust-signer {} backup …",
        repo.location(),
        repo.location(),
        repo.config().signer
    ));
    Ok(())
}

/// The host of a user id as `cairn key generate` writes it: `cairn backup key (HOST)`.
fn host_of(cert: &sequoia_openpgp::Cert) -> Option<String> {
    cert.userids().find_map(|u| {
        let uid = String::from_utf8_lossy(u.userid().value()).into_owned();
        let host = uid.strip_prefix("cairn backup key (")?.strip_suffix(')')?;
        (!host.is_empty()).then(|| host.to_string())
    })
}

pub fn remove_writer(ctx: &Ctx, fingerprint: &str) -> Result<()> {
    let fpr = keys::validate_fingerprint(fingerprint)?;
    let mut repo = ctx.open()?;
    let generation = repo.remove_writer(&fpr, &ctx.trust())?;
    if ctx.json {
        return super::print_json(&serde_json::json!({
            "repository": repo.location(),
            "generation": generation,
            "removed_writer": fpr,
        }));
    }
    ui::info(&format!(
        "{fpr} is no longer a writer (config generation {generation}): nothing new is encrypted to it; what it signed still verifies, for its host only, until `cairn key rewrap` signs it again, after which the key is refused"
    ));
    Ok(())
}

pub fn rewrap(ctx: &Ctx, dry_run: bool, sign_with: Option<&Path>) -> Result<()> {
    let mut repo = ctx.open()?;
    if let Some(k) = sign_with {
        repo.sign_with(second_identity(k)?);
    }
    let r = crate::rewrap::rewrap(&mut repo, dry_run, &ctx.trust())?;
    if ctx.json {
        return super::print_json(&r);
    }
    let to = r.recipients.join(", ");
    if r.nothing_to_do() {
        ui::info(&format!(
            "everything stored is encrypted to {to} already; nothing to do"
        ));
        return Ok(());
    }
    let verb = if r.dry_run {
        "would re-encrypt"
    } else {
        "re-encrypted"
    };
    ui::info(&format!(
        "{verb} to {to}: {} of {} snapshots ({} interrupted copies removed), {} verified records, {} of {} packs ({}), {} index objects{}",
        r.snapshots_rewrapped,
        r.snapshots,
        r.snapshots_duplicate,
        r.verified_rewrapped,
        r.packs_rewrapped,
        r.packs,
        ui::bytes(r.bytes_rewrapped),
        r.index_files_rewrapped,
        if r.dry_run { "; nothing changed" } else { "" }
    ));
    if let Some(p) = &r.prune {
        super::prune::report(p);
    }
    Ok(())
}

/// A key used next to -k (`rotate-signer --new`, `rewrap --sign-with`): its passphrase
/// from `CAIRN_NEW_PASSPHRASE_FILE` when set (the two keys may have different ones),
/// else the usual sources.
fn second_identity(path: &Path) -> Result<crate::crypto::Identity> {
    match std::env::var_os("CAIRN_NEW_PASSPHRASE_FILE").filter(|v| !v.is_empty()) {
        Some(file) => {
            let file = Path::new(&file);
            let cert = keys::read_cert(path)?;
            let pass = super::read_passphrase_file(file)
                .with_context(|| format!("CAIRN_NEW_PASSPHRASE_FILE {}", file.display()))?;
            Ok(keys::unlock(
                cert,
                Some(&pass),
                &path.display().to_string(),
            )?)
        }
        None => super::load_identity(path),
    }
}

/// `key rotate-signer --new KEY`.
pub fn rotate_signer(ctx: &Ctx, new_key: &Path) -> Result<()> {
    let mut repo = ctx.open()?;
    let new = second_identity(new_key)?;
    let r = repo.rotate_signer(&new, &ctx.trust())?;
    if ctx.json {
        return super::print_json(&serde_json::json!({
            "repository": repo.location(),
            "from": r.from,
            "to": r.to,
            "generation": r.generation,
        }));
    }
    ui::info(&format!(
        "signing handed over from {} to {} (config generation {}): back up with {} from now on; readers pinned to the old key follow the hand-over; run `cairn key rewrap -k {} --sign-with {}` to sign the old snapshots again",
        r.from,
        r.to,
        r.generation,
        new_key.display(),
        ctx.key_path()?.display(),
        new_key.display()
    ));
    Ok(())
}
