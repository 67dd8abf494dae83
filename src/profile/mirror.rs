//! A profile's `[mirror]` section: which database of the profile's snapshots goes into
//! which test database, through which scrub files and checks (docs/MIRROR.md).

use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::schedule::Every;
use crate::db::url::DbUrl;

/// The section as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct MirrorFile {
    database: String,
    target: String,
    #[serde(default)]
    scrub: Vec<PathBuf>,
    #[serde(default)]
    checks: Vec<String>,
    #[serde(default)]
    keep: u32,
    owner: Option<String>,
    #[serde(default = "yes")]
    privileges: bool,
    jobs: Option<u32>,
    option_file: Option<PathBuf>,
    every: Option<Every>,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mirror {
    /// The database as the snapshots' manifests name it.
    pub database: String,
    /// Server and test database, without a password.
    pub target: DbUrl,
    /// Absolute: relative names are taken from the profile's directory.
    pub scrub: Vec<PathBuf>,
    pub checks: Vec<String>,
    pub keep: u32,
    pub owner: Option<String>,
    pub privileges: bool,
    pub jobs: u32,
    /// MariaDB/MySQL: the target's option file (absolute, as `scrub`).
    pub option_file: Option<PathBuf>,
    /// `cairn run` mirrors after the backup when this much time has passed since the
    /// last mirror it did; unset, only `cairn mirror PROFILE` mirrors.
    pub every: Option<Every>,
}

impl MirrorFile {
    pub(super) fn resolve(self, base: &Path) -> Result<Mirror, String> {
        let target = DbUrl::parse(&self.target).map_err(|e| format!("mirror.target: {e}"))?;
        if target.database.is_none() {
            return Err(format!(
                "mirror.target {target}: name the test database, e.g. {}app_test",
                target
            ));
        }
        if self.database.is_empty() {
            return Err("mirror.database is empty".into());
        }
        if self.jobs == Some(0) {
            return Err("mirror.jobs must be 1 or more".into());
        }
        Ok(Mirror {
            database: self.database,
            target,
            scrub: self.scrub.iter().map(|f| base.join(f)).collect(),
            checks: self.checks,
            keep: self.keep,
            owner: self.owner,
            privileges: self.privileges,
            jobs: self.jobs.unwrap_or(1),
            option_file: self.option_file.map(|f| base.join(f)),
            every: self.every,
        })
    }
}

impl Mirror {
    /// What `cairn mirror PROFILE` and `cairn run` do with this section.
    pub fn plan(&self, dry_run: bool) -> (crate::mirror::Plan, crate::mirror::RestoreOptions) {
        let plan = crate::mirror::Plan {
            command: "mirror",
            database: self.database.clone(),
            target_db: self.target.database.clone().unwrap_or_default(),
            target_url: self.target.to_string(),
            scrub: self.scrub.clone(),
            checks: self.checks.clone(),
            keep: self.keep,
            replace: true,
            globals: false,
            dry_run,
        };
        let opts = crate::mirror::RestoreOptions {
            owner: self.owner.clone(),
            no_privileges: !self.privileges,
            jobs: self.jobs,
            option_file: self.option_file.clone(),
        };
        (plan, opts)
    }
}
