//! Write-only backup hosts (docs/FORMAT.md, "Write-only hosts").
//!
//! A host key named in the config's `writers` reads the config and the index (they are
//! encrypted to it too) and signs its own snapshots and index objects, which are
//! encrypted to the recipients only: the host deduplicates against every blob id yet
//! cannot decrypt a pack, a tree or a manifest, its own included. Its signature is
//! accepted for snapshots of the host name the owner bound it to, and for index
//! objects, whose packs then count as that host's: other keys do not deduplicate
//! against them (a host could otherwise make other backups skip data by indexing what
//! it never stored); restores, which check every blob's id, and prune, which checks the
//! surviving copies of what it deletes, use them.

use sequoia_openpgp::Cert;

use super::config::{Writer, GENERATIONS_VERSION};
use super::index::IndexFile;
use super::lock::LockKind;
use super::snapshot::Snapshot;
use super::trust::{Pins, TrustSettings};
use super::{RepoError, Repository, Result};
use crate::crypto::{self, keys, RecipientSet};

/// A host key's certificate and what the config says of it.
pub(super) struct HostKey {
    pub cert: Cert,
    pub writer: Writer,
    /// Still a writer; a former one's signatures verify, nothing is encrypted to it.
    pub current: bool,
}

impl Repository {
    /// Loads the certificates of the config's writers and finds what the key in hand
    /// is: a recipient, or a write-only host (then `host_key` says which host).
    pub(super) fn load_writers(&mut self) -> Result<()> {
        let mut hosts = Vec::new();
        let listed = (self.config.writers.iter().map(|w| (w, true)))
            .chain(self.config.former_writers.iter().map(|w| (w, false)));
        for (w, current) in listed {
            hosts.push(HostKey {
                cert: Self::public_cert(&*self.backend, &w.fingerprint)?,
                writer: w.clone(),
                current,
            });
        }
        self.hosts = hosts;
        self.shared = self.shared_set(&self.recipients)?;
        let me = self.identity.fingerprint();
        self.host_key = self
            .config
            .writers
            .iter()
            .find(|w| w.fingerprint.eq_ignore_ascii_case(&me))
            .map(|w| w.host.clone());
        Ok(())
    }

    /// `recipients` and the current writers: whom the config, index objects and locks
    /// are encrypted to.
    pub(super) fn shared_set(&self, recipients: &RecipientSet) -> Result<RecipientSet> {
        let writers: Vec<Cert> = self
            .hosts
            .iter()
            .filter(|h| h.current)
            .map(|h| h.cert.clone())
            .collect();
        Ok(recipients.with(&writers)?)
    }

    /// Whom locks are encrypted to: every key that may hold one.
    pub fn shared_recipients(&self) -> &RecipientSet {
        &self.shared
    }

    /// The host name the key in hand is bound to, when it is a write-only host key.
    pub fn host_key(&self) -> Option<&str> {
        self.host_key.as_deref()
    }

    /// Reading data (snapshots, trees, packs) needs a recipient key.
    pub fn require_reader(&self) -> Result<()> {
        match &self.host_key {
            None => Ok(()),
            Some(host) => Err(RepoError::Invalid(format!(
                "repository {}: key {} can write but not read: it is the write-only backup key of host {host}; restore, dump, mirror and listing snapshots need a recipient key",
                self.location(),
                self.identity.fingerprint()
            ))),
        }
    }

    /// A backup needs the repository's signing key or a write-only host key, which may
    /// only write snapshots of its own host.
    pub fn require_backup_key(&self, host: &str) -> Result<()> {
        let Some(bound) = &self.host_key else {
            return self.require_signer();
        };
        self.identity.signer()?;
        if bound != host {
            return Err(RepoError::Invalid(format!(
                "repository {}: key {} writes snapshots of host {bound} only, not {host} (--host)",
                self.location(),
                self.identity.fingerprint()
            )));
        }
        Ok(())
    }

    /// The writer whose key verifies `stored` (signed by none of the repository's
    /// signers), with the plaintext.
    pub(super) fn verify_by_writer(
        &self,
        stored: &[u8],
    ) -> std::result::Result<(Vec<u8>, &Writer), crypto::Error> {
        for h in &self.hosts {
            match crypto::decrypt_signed_by(
                &self.identity,
                stored,
                Some(std::slice::from_ref(&h.cert)),
            ) {
                Ok(plain) => return Ok((plain, &h.writer)),
                Err(crypto::Error::BadSignature) => continue,
                Err(e) => return Err(e),
            }
        }
        Err(crypto::Error::BadSignature)
    }

    /// A manifest a writer signed: accepted only for the host the owner bound it to.
    pub(super) fn writer_snapshot(name: &str, snap: &Snapshot, by: &Writer) -> Result<()> {
        if snap.host == by.host {
            return Ok(());
        }
        Err(RepoError::Invalid(format!(
            "{name}: signed by the write-only key {} of host {} but claims host {:?}: refusing it",
            by.fingerprint, by.host, snap.host
        )))
    }

    /// An index object a writer signed: its packs are that writer's, whatever it says.
    pub(super) fn writer_index(index: &mut IndexFile, by: &Writer) {
        for p in &mut index.packs {
            p.writer = Some(by.fingerprint.clone());
        }
    }

    /// What the index says of packs this process writes: whose they are, for a host key.
    pub fn pack_writer(&self) -> Option<String> {
        self.host_key.as_ref().map(|_| self.identity.fingerprint())
    }

    /// Adds a write-only host key, bound to `host`, as a new config generation.
    pub fn add_writer(&mut self, cert: Cert, host: &str, trust: &TrustSettings) -> Result<u64> {
        self.require_signer()?;
        let _lock = self.lock(LockKind::Exclusive, "key add-writer")?;
        let loc = self.location();
        let fpr = cert.fingerprint().to_hex();
        if !self.config.index_signed {
            return Err(RepoError::Invalid(format!(
                "repository {loc}: its index objects are not signed (made before cairn signed them), so a write-only host's could not be told apart; make a new repository for write-only hosts"
            )));
        }
        if self.config.recipients.contains(&fpr) {
            return Err(RepoError::Invalid(format!(
                "repository {loc}: {fpr} is a recipient (it reads everything); a write-only host needs a key of its own"
            )));
        }
        if self.config.writers.iter().any(|w| w.fingerprint == fpr) {
            return Err(RepoError::Invalid(format!(
                "repository {loc}: {fpr} is already a writer"
            )));
        }
        // Refused before anything is stored: config and index must be encrypted to it.
        keys::encryption_keys(&cert)?;
        self.backend
            .put(&format!("keys/{fpr}.asc"), &keys::armored_public(&cert)?)?;
        let writer = Writer {
            fingerprint: fpr.clone(),
            host: host.to_string(),
        };
        let mut config = self.config.clone();
        config.former_writers.retain(|w| w.fingerprint != fpr);
        config.writers.push(writer.clone());
        self.hosts.retain(|h| h.writer.fingerprint != fpr);
        self.hosts.push(HostKey {
            cert,
            writer,
            current: true,
        });
        self.next_generation(config, trust)
    }

    /// Stops encrypting to a writer; what it signed still verifies, for its host only.
    pub fn remove_writer(&mut self, fpr: &str, trust: &TrustSettings) -> Result<u64> {
        self.require_signer()?;
        let _lock = self.lock(LockKind::Exclusive, "key remove-writer")?;
        let fpr = keys::validate_fingerprint(fpr)?;
        let mut config = self.config.clone();
        let Some(at) = config.writers.iter().position(|w| w.fingerprint == fpr) else {
            return Err(RepoError::Invalid(format!(
                "repository {}: {fpr} is not a writer",
                self.location()
            )));
        };
        let gone = config.writers.remove(at);
        config.former_writers.push(gone);
        for h in &mut self.hosts {
            if h.writer.fingerprint == fpr {
                h.current = false;
            }
        }
        self.next_generation(config, trust)
    }

    fn next_generation(&mut self, mut config: super::Config, trust: &TrustSettings) -> Result<u64> {
        config.version = config.version.max(GENERATIONS_VERSION);
        config.generation += 1;
        let recipients = self.recipients.clone();
        self.store_config(&config, &recipients)?;
        Pins::new(trust, &self.location()).set(&config.signer, config.generation);
        self.shared = self.shared_set(&recipients)?;
        let generation = config.generation;
        self.config = config;
        Ok(generation)
    }
}
