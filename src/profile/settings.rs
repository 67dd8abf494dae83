//! A profile's repository, key, passphrase and cache, with the command line and the
//! environment (`CAIRN_REPO`, `CAIRN_KEY`, `CAIRN_CACHE_DIR`, `CAIRN_PASSPHRASE_FILE`,
//! `CAIRN_PASSPHRASE`, `CAIRN_TRUST_SIGNER`) taking precedence over the file, as for every
//! other command.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Context, Result};

use super::Profile;
use crate::crypto::{keys, Identity};
use crate::repo::trust::TrustSettings;
use crate::repo::Repository;
use crate::secret::Secret;

/// What the command line and environment said, before the profile is consulted.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    pub repo: Option<String>,
    pub key: Option<PathBuf>,
    pub cache_dir: Option<PathBuf>,
    pub no_cache: bool,
    /// Connections and S3 settings from flags and `CAIRN_*` variables.
    pub store: crate::backend::Options,
    pub trust_signer: Option<String>,
    /// The zone retention's days, weeks and months are counted in (`--utc`, `--tz`).
    pub zone: crate::retention::policy::Zone,
    /// `--nice` and `--ionice`, which win over the profile's `nice` and `ionice`.
    pub priority: crate::priority::Priority,
}

#[derive(Debug, Clone)]
pub struct Settings {
    pub repo: String,
    pub key: PathBuf,
    pub passphrase_file: Option<PathBuf>,
    pub cache_dir: Option<PathBuf>,
    /// Locks and small state files (last prune, last check) of `cairn run`.
    pub run_dir: PathBuf,
    pub store: crate::backend::Options,
    pub trust: TrustSettings,
    pub zone: crate::retention::policy::Zone,
}

impl Settings {
    pub fn resolve(p: &Profile, o: &Overrides) -> Result<Settings> {
        let file = p.path.display();
        let repo = o
            .repo
            .clone()
            .or_else(|| p.repository.clone())
            .ok_or_else(|| anyhow!("{file}: no `repository` (and CAIRN_REPO is not set)"))?;
        let key = o
            .key
            .clone()
            .or_else(|| p.key.clone())
            .ok_or_else(|| anyhow!("{file}: no `key` (and CAIRN_KEY is not set)"))?;
        let env_pass = std::env::var_os("CAIRN_PASSPHRASE_FILE")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from);
        let passphrase_file = match env_pass {
            Some(f) => Some(f),
            // CAIRN_PASSPHRASE in the environment beats the profile's file.
            None if std::env::var_os("CAIRN_PASSPHRASE").is_some() => None,
            None => p.passphrase_file.clone(),
        };
        let cache_base = o
            .cache_dir
            .clone()
            .or_else(|| p.cache_dir.clone())
            .or_else(crate::cache::default_dir);
        let run_dir = match &cache_base {
            Some(c) => c.join("run"),
            None => std::env::var_os("XDG_RUNTIME_DIR")
                .filter(|v| !v.is_empty())
                .map(|d| PathBuf::from(d).join("cairn"))
                .unwrap_or_else(|| std::env::temp_dir().join(format!("cairn-{}", current_uid()))),
        };
        Ok(Settings {
            repo,
            key,
            passphrase_file,
            cache_dir: if o.no_cache { None } else { cache_base },
            run_dir,
            store: o.store.clone(),
            trust: TrustSettings::new(o.trust_signer.clone().or_else(|| p.trust_signer.clone())),
            zone: o.zone,
        })
    }

    pub fn passphrase(&self) -> Result<Option<Secret>> {
        if let Some(f) = &self.passphrase_file {
            return read_passphrase_file(f).map(Some);
        }
        crate::cli::passphrase(&format!("Passphrase for {}: ", self.key.display()))
    }

    pub fn identity(&self) -> Result<Identity> {
        let cert = keys::read_cert(&self.key)?;
        let pass = if keys::needs_passphrase(&cert) {
            self.passphrase()?
        } else {
            None
        };
        Ok(keys::unlock(
            cert,
            pass.as_ref(),
            &self.key.display().to_string(),
        )?)
    }

    pub fn open(&self) -> Result<Repository> {
        let backend = crate::backend::open(&self.repo, &self.store)?;
        let identity = self.identity()?;
        Ok(Repository::open(
            backend,
            identity,
            self.cache_dir.as_deref(),
            &self.trust,
        )?)
    }
}

/// Reads a passphrase file, refusing one that every local user can read: the
/// passphrase is all that stands between a copied key file and the backups.
pub fn read_passphrase_file(path: &Path) -> Result<Secret> {
    let meta =
        std::fs::metadata(path).with_context(|| format!("passphrase file {}", path.display()))?;
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o004 != 0 {
        bail!(
            "passphrase file {} is readable by every user (mode {mode:04o}); run `chmod 600 {}`",
            path.display(),
            path.display()
        );
    }
    let raw = std::fs::read_to_string(path)
        .with_context(|| format!("passphrase file {}", path.display()))?;
    let line = raw.strip_suffix('\n').unwrap_or(&raw);
    let line = line.strip_suffix('\r').unwrap_or(line);
    Ok(Secret::new(line))
}

fn current_uid() -> u32 {
    use std::os::unix::fs::MetadataExt;
    // The owner of /proc/self is this process's uid; it avoids an unsafe getuid().
    std::fs::metadata("/proc/self")
        .map(|m| m.uid())
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn world_readable_passphrase_file_is_refused() {
        let d = tempfile::tempdir().unwrap();
        let f = d.path().join("pass");
        std::fs::write(&f, "secret\n").unwrap();
        std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o644)).unwrap();
        let e = read_passphrase_file(&f).unwrap_err().to_string();
        assert!(
            e.contains("readable by every user") && e.contains("chmod 600"),
            "{e}"
        );
        assert!(!e.contains("secret\n"));
        std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o600)).unwrap();
        assert_eq!(read_passphrase_file(&f).unwrap().expose(), "secret");
    }
}
