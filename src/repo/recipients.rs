//! Changing whom new objects are encrypted to, without trusting storage.
//!
//! The recipient list lives in the signed config. A change rewrites the config as a
//! new *generation* (one more than the last), signed by the repository's signer and
//! encrypted to the new list, so an added key can read the config's secrets and a
//! removed one cannot read the new config. Readers pin the highest generation they have
//! seen for a location (`trust`), so storage cannot hand them back an older, validly
//! signed list that still names a removed key. The rewritten config has format version
//! 4, which older cairn refuses: it would not pin generations and would go on
//! encrypting to whatever list it was served. docs/FORMAT.md, "Recipient changes".

use sequoia_openpgp::Cert;

use super::config::GENERATIONS_VERSION;
use super::lock::LockKind;
use super::trust::{Pins, TrustSettings};
use super::{pad, RepoError, Repository, Result};
use crate::crypto::{self, keys, RecipientSet};

/// One change to the list.
pub enum Change {
    Add(Box<Cert>),
    Remove(String),
}

/// What a change did.
pub struct Changed {
    pub generation: u64,
    pub recipients: Vec<String>,
}

impl Repository {
    /// Applies `change` as a new config generation. Takes the exclusive lock, so no
    /// backup is writing to the old list meanwhile.
    pub fn change_recipients(&mut self, change: Change, trust: &TrustSettings) -> Result<Changed> {
        self.require_signer()?;
        let _lock = self.lock(LockKind::Exclusive, "key recipients")?;
        let loc = self.location();
        let mut certs = self.recipient_certs()?;
        match change {
            Change::Add(cert) => {
                let fpr = cert.fingerprint().to_hex();
                if certs.iter().any(|c| c.fingerprint() == cert.fingerprint()) {
                    return Err(RepoError::Invalid(format!(
                        "repository {loc}: {fpr} is already a recipient"
                    )));
                }
                // Refused before anything is stored: an expired or revoked certificate
                // would stop every later backup.
                keys::encryption_keys(&cert)?;
                self.backend
                    .put(&format!("keys/{fpr}.asc"), &keys::armored_public(&cert)?)?;
                certs.push(*cert);
            }
            Change::Remove(fpr) => {
                let fpr = keys::validate_fingerprint(&fpr)?;
                if fpr == self.config.signer {
                    return Err(RepoError::Invalid(format!(
                        "repository {loc}: {fpr} signs this repository and must stay a recipient (hand signing over first: cairn key rotate-signer)"
                    )));
                }
                let before = certs.len();
                certs.retain(|c| c.fingerprint().to_hex() != fpr);
                if certs.len() == before {
                    return Err(RepoError::Invalid(format!(
                        "repository {loc}: {fpr} is not a recipient (recipients: {})",
                        self.config.recipients.join(", ")
                    )));
                }
            }
        }
        let recipients = RecipientSet::new(&certs)?;
        let mut config = self.config.clone();
        config.version = config.version.max(GENERATIONS_VERSION);
        config.generation += 1;
        config.recipients = recipients.fingerprints().to_vec();
        self.store_config(&config, &recipients)?;
        // The pin moves first thing: from now on this machine refuses the old list.
        Pins::new(trust, &loc).set(&config.signer, config.generation);
        let changed = Changed {
            generation: config.generation,
            recipients: config.recipients.clone(),
        };
        self.config = config;
        self.shared = self.shared_set(&recipients)?;
        self.recipients = recipients;
        Ok(changed)
    }

    /// The certificates of the current recipients, ours from the key in hand.
    pub(super) fn recipient_certs(&self) -> Result<Vec<Cert>> {
        self.config
            .recipients
            .iter()
            .map(|fpr| {
                if *fpr == self.identity.fingerprint() {
                    Ok(self.identity.cert().clone().strip_secret_key_material())
                } else {
                    Self::public_cert(&*self.backend, fpr)
                }
            })
            .collect()
    }

    /// Replaces the config (an atomic put: readers see the old one or the new one).
    pub(super) fn store_config(&self, config: &super::Config, to: &RecipientSet) -> Result<()> {
        self.store_config_signed(config, to, self.writer())
    }

    /// Replaces the config, signed by `by` (the new signer, at a hand-over).
    pub(super) fn store_config_signed(
        &self,
        config: &super::Config,
        to: &RecipientSet,
        by: &crate::crypto::Identity,
    ) -> Result<()> {
        config
            .validate()
            .map_err(|e| RepoError::Invalid(format!("new config: {e}")))?;
        let body = pad::json(serde_json::to_vec_pretty(config).expect("config serialises"));
        // Write-only hosts read the config too (its chunk parameters and blob-id key).
        let to = self.shared_set(to)?;
        let stored = crypto::encrypt(&to, Some(by), &body)?;
        Ok(self.backend.put("config", &stored)?)
    }

    /// Writes the next generation of the config without former signers, once `key
    /// rewrap` has signed everything again with the current one: from then on what a
    /// former signer signs (a stolen retired key) is refused.
    /// Removed writers go the same way: what they signed is signed by the signer now.
    pub fn forget_former_signers(&mut self, trust: &TrustSettings) -> Result<()> {
        if self.config.former_signers.is_empty() && self.config.former_writers.is_empty() {
            return Ok(());
        }
        let mut config = self.config.clone();
        config.generation += 1;
        config.former_signers.clear();
        config.former_writers.clear();
        self.hosts.retain(|h| h.current);
        self.store_config(&config, &self.recipients)?;
        Pins::new(trust, &self.location()).set(&config.signer, config.generation);
        self.signers.truncate(1);
        self.config = config;
        Ok(())
    }
}
