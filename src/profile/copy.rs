//! A profile's `[copy]` section: a second repository that `cairn run` copies the
//! profile's snapshots into after each backup (docs/OPERATIONS.md, "A second copy").

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde::Deserialize;

use super::settings::{read_passphrase_file, Settings};
use crate::crypto::{keys, Identity};
use crate::repo::trust::TrustSettings;
use crate::repo::Repository;

/// The section as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct CopyFile {
    to: String,
    key: Option<PathBuf>,
    passphrase_file: Option<PathBuf>,
    #[serde(default = "yes")]
    retention: bool,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CopyTarget {
    /// The destination repository's URL.
    pub to: String,
    /// The destination's signing key (absolute); unset: the profile's key.
    pub key: Option<PathBuf>,
    /// Its passphrase (absolute); unset: CAIRN_TO_PASSPHRASE_FILE, CAIRN_TO_PASSPHRASE,
    /// else as the profile's key.
    pub passphrase_file: Option<PathBuf>,
    /// The profile's `[retention]` (and `[prune]` when due) applies to the destination
    /// too, so both keep the same snapshots.
    pub retention: bool,
}

impl CopyFile {
    pub(super) fn resolve(self, base: &Path) -> std::result::Result<CopyTarget, String> {
        if self.to.trim().is_empty() {
            return Err("copy.to must name the destination repository".into());
        }
        if self.passphrase_file.is_some() && self.key.is_none() {
            return Err(
                "copy.passphrase_file goes with copy.key (without it the profile's key is used)"
                    .into(),
            );
        }
        Ok(CopyTarget {
            to: self.to,
            key: self.key.map(|k| base.join(k)),
            passphrase_file: self.passphrase_file.map(|f| base.join(f)),
            retention: self.retention,
        })
    }
}

impl CopyTarget {
    fn identity(&self, settings: &Settings) -> Result<Identity> {
        let Some(key) = &self.key else {
            return settings.identity();
        };
        let Some(file) = &self.passphrase_file else {
            return crate::cli::load_identity_with(key, Some("CAIRN_TO_PASSPHRASE"));
        };
        let cert = keys::read_cert(key)?;
        let pass = match keys::needs_passphrase(&cert) {
            true => Some(read_passphrase_file(file)?),
            false => None,
        };
        Ok(keys::unlock(
            cert,
            pass.as_ref(),
            &key.display().to_string(),
        )?)
    }

    /// Opens the destination with its key, trusting that key (or the pin of its
    /// location) as every other repository is trusted; `cache_dir` `None` writes no
    /// cache (`cairn profile check`).
    pub fn open(&self, settings: &Settings, cache_dir: Option<&Path>) -> Result<Repository> {
        let identity = self.identity(settings).context("copy key")?;
        let backend = crate::backend::open(&self.to, &settings.store)?;
        Ok(Repository::open(
            backend,
            identity,
            cache_dir,
            &TrustSettings::new(None),
        )?)
    }
}
