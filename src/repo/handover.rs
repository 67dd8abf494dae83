//! Handing the repository's signing key over to a new one.
//!
//! `handovers/<OLD FPR>` is a signed, unencrypted message naming the old and the new
//! signer, signed by both: the old key says who comes next, the new one that it
//! accepts. A reader whose pin names the old key follows it (and any later ones, each
//! signed by the key trusted so far), verifies the config against the end of the chain,
//! and moves its pin there. Nothing in a hand-over is believed unless the key the reader
//! already trusts signed it. docs/FORMAT.md, "Signing-key hand-over".

use std::collections::HashSet;

use sequoia_openpgp::Cert;
use serde::{Deserialize, Serialize};

use super::config::GENERATIONS_VERSION;
use super::lock::LockKind;
use super::trust::{Pins, TrustSettings};
use super::{RepoError, Repository, Result};
use crate::backend::Backend;
use crate::crypto::{self, keys, Identity, RecipientSet};

pub const PREFIX: &str = "handovers/";

/// Chains longer than this are refused (a key rotated yearly for a century is 100).
const MAX_HOPS: usize = 100;

#[derive(Debug, Serialize, Deserialize)]
pub struct Handover {
    pub version: u32,
    /// The repository id it was made for.
    pub repository: String,
    pub from: String,
    pub to: String,
    /// The config generation that names `to` as signer.
    pub generation: u64,
    pub time: chrono::DateTime<chrono::Utc>,
}

fn name_of(fpr: &str) -> String {
    format!("{PREFIX}{fpr}")
}

/// Follows hand-overs from the trusted `from`; the certificate at the end of the chain,
/// or `None` when `from` never handed over. A hand-over that the key trusted at that
/// step did not sign, or that its successor did not sign, stops everything.
pub(super) fn follow(
    backend: &dyn Backend,
    identity: &Identity,
    from: &Cert,
) -> Result<Option<Cert>> {
    let mut current = from.clone();
    let mut seen = HashSet::new();
    loop {
        let fpr = current.fingerprint().to_hex();
        let name = name_of(&fpr);
        let msg = match backend.get(&name) {
            Ok(m) => m,
            Err(e) if e.is_not_found() => break,
            Err(e) => return Err(e.into()),
        };
        let refuse = |why: &str| {
            RepoError::Untrusted(format!(
                "{name}: {why}: refusing a hand-over the trusted key {fpr} did not make"
            ))
        };
        let plain = crypto::verify_signed_by_all(&msg, std::slice::from_ref(&current))
            .map_err(|_| refuse("not signed by the key it hands over from"))?;
        let h: Handover =
            serde_json::from_slice(&plain).map_err(|_| refuse("malformed hand-over"))?;
        if !h.from.eq_ignore_ascii_case(&fpr) {
            return Err(refuse(&format!("it names {} as the old key", h.from)));
        }
        let to = keys::validate_fingerprint(&h.to)?;
        let next = if identity.fingerprint() == to {
            identity.cert().clone()
        } else {
            Repository::public_cert(backend, &to)?
        };
        crypto::verify_signed_by_all(&msg, &[current.clone(), next.clone()])
            .map_err(|_| refuse(&format!("not signed by the new key {to}")))?;
        if !seen.insert(fpr.clone()) || seen.len() > MAX_HOPS {
            return Err(refuse("hand-overs go round in a circle"));
        }
        current = next;
    }
    Ok((!seen.is_empty()).then_some(current))
}

/// What a hand-over did.
pub struct Rotated {
    pub from: String,
    pub to: String,
    pub generation: u64,
}

impl Repository {
    /// Hands signing over from the key in hand (the signer) to `new`: stores the
    /// hand-over signed by both, then the config of the next generation naming `new`
    /// as signer (and recipient), the old key as a former signer, signed by `new`.
    pub fn rotate_signer(&mut self, new: &Identity, trust: &TrustSettings) -> Result<Rotated> {
        self.require_signer()?;
        new.signer()?;
        let loc = self.location();
        let from = self.config.signer.clone();
        let to = new.fingerprint();
        if to == from {
            return Err(RepoError::Invalid(format!(
                "repository {loc}: {to} already signs this repository"
            )));
        }
        let _lock = self.lock(LockKind::Exclusive, "key rotate-signer")?;
        let new_public = new.cert().clone().strip_secret_key_material();
        keys::encryption_keys(&new_public)?;
        self.backend.put(
            &format!("keys/{to}.asc"),
            &keys::armored_public(&new_public)?,
        )?;
        let mut config = self.config.clone();
        config.version = config.version.max(GENERATIONS_VERSION);
        config.generation += 1;
        config.signer = to.clone();
        if !config.recipients.contains(&to) {
            config.recipients.push(to.clone());
        }
        if !config.former_signers.contains(&from) {
            config.former_signers.push(from.clone());
        }
        let handover = Handover {
            version: 1,
            repository: config.id.clone(),
            from: from.clone(),
            to: to.clone(),
            generation: config.generation,
            time: chrono::Utc::now(),
        };
        let body = serde_json::to_vec_pretty(&handover).expect("hand-over serialises");
        // The hand-over first: a crash before the config leaves a hand-over to a key
        // that signs nothing yet, which readers following it refuse as before.
        let signed = crypto::sign(&[&self.identity, new], &body)?;
        self.backend.put(&name_of(&from), &signed)?;
        let mut certs = self.recipient_certs()?;
        if !certs.iter().any(|c| c.fingerprint().to_hex() == to) {
            certs.push(new_public);
        }
        let recipients = RecipientSet::new(&certs)?;
        self.store_config_signed(&config, &recipients, new)?;
        Pins::new(trust, &loc).set(&to, config.generation);
        let generation = config.generation;
        self.config = config;
        self.recipients = recipients;
        Ok(Rotated {
            from,
            to,
            generation,
        })
    }
}
