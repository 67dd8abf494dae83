//! A profile's `[mirror]` section: which database of the profile's snapshots goes into
//! which test database, through which scrub files and checks (docs/MIRROR.md).

use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::schedule::Every;
use crate::db::url::DbUrl;
use crate::repo::snapshot::StoredSnapshot;

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
    host: Option<String>,
    #[serde(default)]
    tags: Vec<String>,
    profile: Option<String>,
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
    /// last mirror it did; unset, only `cairn mirror PROFILE` mirrors (a profile that
    /// only mirrors: every run).
    pub every: Option<Every>,
    /// The snapshots the mirror may take.
    pub from: TakeFrom,
}

/// Which snapshots a profile's mirror chooses from: those of this host, with all these
/// tags, made by this profile (each `None` or empty: any).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TakeFrom {
    pub host: Option<String>,
    pub tags: Vec<String>,
    pub profile: Option<String>,
}

/// `profile = "*"`: snapshots of any profile (no profile name holds a `*`).
const ANY_PROFILE: &str = "*";

impl TakeFrom {
    pub fn matches(&self, s: &StoredSnapshot) -> bool {
        self.host.as_ref().is_none_or(|h| *h == s.snap.host)
            && self.tags.iter().all(|t| s.snap.tags.contains(t))
            && self
                .profile
                .as_ref()
                .is_none_or(|p| s.snap.profile.as_ref() == Some(p))
    }

    /// " of host db1, tagged nightly, of profile app-prod", for messages.
    pub fn describe(&self) -> String {
        let mut s = String::new();
        if let Some(h) = &self.host {
            s.push_str(&format!(" of host {h}"));
        }
        if !self.tags.is_empty() {
            s.push_str(&format!(" tagged {}", self.tags.join(", ")));
        }
        if let Some(p) = &self.profile {
            s.push_str(&format!(" of profile {p}"));
        }
        s
    }
}

impl MirrorFile {
    /// `name` is the profile's; `backs_up` whether it makes snapshots itself, in which
    /// case its mirror takes only its own unless `profile` says otherwise.
    pub(super) fn resolve(self, base: &Path, name: &str, backs_up: bool) -> Result<Mirror, String> {
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
        let profile = match self.profile.as_deref() {
            Some(ANY_PROFILE) => None,
            Some(p) if !super::valid_name(p) => {
                return Err(format!(
                    "mirror.profile {p:?} is no profile name (give one, or \"*\" for any)"
                ))
            }
            Some(p) => Some(p.to_string()),
            // The database of the same name that another profile dumps (another
            // server, another customer) must not end up in this profile's test database.
            None if backs_up => Some(name.to_string()),
            None => None,
        };
        if self.host.as_deref() == Some("") {
            return Err("mirror.host is empty".into());
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
            from: TakeFrom {
                host: self.host,
                tags: self.tags,
                profile,
            },
        })
    }
}

impl Mirror {
    /// Steps 1–5 from the snapshots the section lets it take and `wanted` accepts (the
    /// command line's `--host/--tag/--path`, which narrow further); a failure to find
    /// one says how the section narrowed the choice.
    pub fn mirror(
        &self,
        repo: &crate::repo::Repository,
        target: &dyn crate::mirror::Target,
        plan: &crate::mirror::Plan,
        chosen: Option<&StoredSnapshot>,
        wanted: &dyn Fn(&StoredSnapshot) -> bool,
    ) -> Result<crate::mirror::Report, crate::mirror::MirrorError> {
        if let Some(s) = chosen.filter(|s| !self.from.matches(s)) {
            return Err(crate::mirror::MirrorError {
                step: 0,
                cause: format!(
                    "snapshot {} is not one the [mirror] section takes (it takes snapshots{})",
                    s.id.short(),
                    self.from.describe()
                ),
            });
        }
        crate::mirror::mirror(repo, target, plan, chosen, &|s| {
            self.from.matches(s) && wanted(s)
        })
        .map_err(|mut e| {
            let narrowed = self.from.describe();
            if e.step == 0 && chosen.is_none() && !narrowed.is_empty() {
                e.cause = format!("{} (among the snapshots{narrowed})", e.cause);
            }
            e
        })
    }

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
