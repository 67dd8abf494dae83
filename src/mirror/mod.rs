//! `cairn mirror` and `cairn restore-db`: a database dump from a snapshot restored into a
//! live server, checked, and only then put in place of the database it replaces.
//!
//! The sequence is the same for every engine; what differs is behind [`Target`]:
//!
//! 1. snapshot: the latest (or named) snapshot holding the database; its manifest is
//!    verified against the trusted signer, as every snapshot read is.
//! 2. restore: a leftover `<target>__cairn_new` of a crashed run is dropped (and said so),
//!    the temporary database is created and the dump streamed into it from the
//!    repository; then its tables are counted.
//! 3. scrub: the scrub SQL files, in order, stopping at the first error.
//! 4. check: every table of the manifest exists, with the row count the manifest recorded
//!    where that count was exact (counted in step 2, before the scrub could cut tables);
//!    then the check queries, each of which must return true.
//! 5. swap: sessions on the old database are ended, it becomes `<target>__cairn_old`, the
//!    new one takes its name; the old one is dropped or kept (`keep`).
//!
//! A failure in steps 1–5 drops the temporary database and leaves the target as it was;
//! the error names the step. After a swap, a "verified restorable" record is stored in
//! the repository (`repo::verified`).

pub mod check;
pub mod mysql;
mod pick;
pub mod postgres;
mod steps;
pub mod tool;

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::db::url::DbUrl;
use crate::db::{DumpRecord, Engine, TableRows};
use crate::repo::snapshot::StoredSnapshot;
use crate::repo::Repository;
use check::Found;
pub use pick::pick;
pub use steps::run;

/// An error of a target server or its client tools, one line, naming the server or file.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct TargetError(pub String);

pub type Result<T> = std::result::Result<T, TargetError>;

/// Writes the dump into what the target reads it from; returns the bytes written.
pub type Feed<'a> = dyn FnMut(&mut dyn Write) -> std::result::Result<u64, String> + 'a;

/// A database server that can receive a restore. Every method names its database
/// explicitly: the same server holds the target, the temporary and the old database.
pub trait Target {
    /// The server, as a URL without a password.
    fn describe(&self) -> String;
    fn engine(&self) -> Engine;
    /// The longest database name the server accepts, in bytes.
    fn max_name_len(&self) -> usize;
    /// Every database on the server.
    fn databases(&self) -> Result<Vec<String>>;
    fn exists(&self, db: &str) -> Result<bool> {
        Ok(self.databases()?.iter().any(|d| d == db))
    }
    /// Creates an empty database (fails if it exists).
    fn create(&self, db: &str) -> Result<()>;
    /// Drops a database, ending any session on it.
    fn drop_database(&self, db: &str) -> Result<()>;
    fn rename(&self, from: &str, to: &str) -> Result<()>;
    /// Restores the dump `record` describes into the empty database `db`; `feed` writes
    /// the dump's bytes as they come from the repository.
    fn restore(&self, db: &str, record: &DumpRecord, feed: &mut Feed) -> Result<()>;
    /// Restores a server-wide dump (`pg_dumpall --globals-only`: roles, tablespaces)
    /// into the server, going past errors (a role that exists already); returns the
    /// errors it went past, one per line.
    fn restore_globals(&self, record: &DumpRecord, feed: &mut Feed) -> Result<Vec<String>> {
        let _ = (record, feed);
        Err(TargetError(format!(
            "{} keeps no server-wide dump to restore",
            self.engine()
        )))
    }
    /// Runs a file of SQL statements, stopping at the first error, which the error
    /// names by file and line.
    fn run_sql_file(&self, db: &str, file: &Path) -> Result<()>;
    /// What is in `db` of each of `tables`: missing, present, or (for the tables whose
    /// manifest count is exact) its exact row count. For engines without schemas the
    /// manifest's `schema` is the source database's name, which `db` replaces.
    fn count_rows(&self, db: &str, tables: &[TableRows]) -> Result<Vec<Found>>;
    /// Runs a query that returns one boolean; `Ok(false)` when it returned anything else.
    fn check_query(&self, db: &str, sql: &str) -> Result<bool>;
    /// Keeps other mirrors (from this host or another) away from `db` on this server
    /// until the returned guard is dropped; fails at once when one is running, rather
    /// than let two runs drop each other's temporary database.
    fn exclusive(&self, db: &str) -> Result<Box<dyn std::any::Any>>;
    /// Puts `new` in place of `target`: ends the other sessions on `target`, renames it
    /// to `old` and `new` to `target`, all or nothing. `target` may not exist yet.
    fn swap(&self, new: &str, target: &str, old: &str) -> Result<()>;
}

/// The target for a URL's engine (nothing is connected or checked yet). Each engine's
/// target lives in a file of its own beside this one.
pub fn connect(url: &DbUrl, opts: &RestoreOptions) -> Result<Box<dyn Target>> {
    match url.engine {
        Engine::Postgresql => Ok(Box::new(postgres::PgTarget::new(url, opts))),
        Engine::Mysql => Ok(Box::new(mysql::MysqlTarget::new(url, opts)?)),
        Engine::Mongodb => Err(TargetError(
            "MongoDB is not a mirror target (PostgreSQL and MariaDB/MySQL are)".into(),
        )),
    }
}

/// How a dump is restored, whatever the engine makes of each setting.
#[derive(Debug, Clone, Default)]
pub struct RestoreOptions {
    /// The role that owns the new database and everything restored into it.
    pub owner: Option<String>,
    /// Restore GRANTs and REVOKEs (roles of the source server may not exist here).
    pub no_privileges: bool,
    /// Parallel restore jobs; above 1 the dump goes through a temporary file first.
    pub jobs: u32,
    /// MariaDB/MySQL: an option file with the target's credentials
    /// (`--defaults-extra-file`).
    pub option_file: Option<PathBuf>,
}

/// One mirror or restore-db run, resolved from the command line or a profile.
#[derive(Debug, Clone)]
pub struct Plan {
    /// `mirror` or `restore-db`, for messages and the verified record.
    pub command: &'static str,
    /// The database as the manifest names it.
    pub database: String,
    /// The database the restore ends up as.
    pub target_db: String,
    /// Where it is, for messages and the record (no password).
    pub target_url: String,
    pub scrub: Vec<PathBuf>,
    pub checks: Vec<String>,
    /// Old databases kept after a swap (`<target>__cairn_old_<time>`); 0 drops it.
    pub keep: u32,
    /// Whether an existing target may be replaced (always for mirror).
    pub replace: bool,
    /// Restore the snapshot's server-wide dump (roles) first (`restore-db --globals`).
    pub globals: bool,
    pub dry_run: bool,
}

pub const STEPS: [&str; 5] = ["snapshot", "restore", "scrub", "check", "swap"];

/// A failure, with the step it happened in.
#[derive(Debug, thiserror::Error)]
#[error("step {}/{} {}: {cause}", .step + 1, STEPS.len(), STEPS[*.step])]
pub struct MirrorError {
    pub step: usize,
    pub cause: String,
}

fn at(step: usize) -> impl Fn(String) -> MirrorError {
    move |cause| MirrorError { step, cause }
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub dry_run: bool,
    pub snapshot: String,
    pub snapshot_time: chrono::DateTime<chrono::Utc>,
    pub database: String,
    pub target: String,
    pub dump_path: String,
    pub bytes: u64,
    /// Tables whose row count matched the manifest exactly.
    pub tables_checked: u64,
    /// Tables with an estimated count in the manifest, checked for presence only.
    pub tables_present: u64,
    pub scrub_files: usize,
    pub checks: usize,
    /// Databases dropped or renamed along the way (leftovers, the old target).
    pub actions: Vec<String>,
    /// The object of the verified record, when one was stored.
    pub record: Option<String>,
    pub duration_secs: f64,
}

/// Names of the temporary and the old database, checked against the server's limit.
pub struct Names {
    pub new: String,
    pub old: String,
}

impl Names {
    fn of(target: &str, max: usize) -> std::result::Result<Names, String> {
        // The longest name made: the old database kept with its time stamp.
        let longest = format!("{target}__cairn_old_20260101T000000");
        if longest.len() > max {
            return Err(format!(
                "database name {target:?} is too long for a mirror target: its kept copies \
                 ({longest:?}) would pass the server's limit of {max} bytes"
            ));
        }
        Ok(Names {
            new: format!("{target}__cairn_new"),
            old: format!("{target}__cairn_old"),
        })
    }
}

/// Steps 1–5 against the snapshots `wanted` accepts: the newest holding the database, or
/// the one `chosen` names.
pub fn mirror(
    repo: &Repository,
    target: &dyn Target,
    plan: &Plan,
    chosen: Option<&StoredSnapshot>,
    wanted: &dyn Fn(&StoredSnapshot) -> bool,
) -> std::result::Result<Report, MirrorError> {
    let snaps: Vec<StoredSnapshot> = repo
        .snapshots()
        .map_err(|e| at(0)(e.to_string()))?
        .into_iter()
        .filter(|s| wanted(s))
        .collect();
    let (snap, record) = pick(&snaps, chosen, &plan.database, target.engine()).map_err(at(0))?;
    run(repo, target, plan, &snap, &record)
}

impl Report {
    /// The one line a person or a cron log reads.
    pub fn summary(&self) -> String {
        let snap = &self.snapshot[..8.min(self.snapshot.len())];
        if self.dry_run {
            return format!(
                "dry run: would restore database {} of snapshot {snap} into {} (nothing changed)",
                self.database, self.target
            );
        }
        let recorded = match &self.record {
            Some(_) => "; recorded as verified",
            None => "",
        };
        format!(
            "restored database {} of snapshot {snap} into {}: {} tables checked, {} in {:.1}s{recorded}",
            self.database,
            self.target,
            self.tables_checked + self.tables_present,
            crate::ui::bytes(self.bytes),
            self.duration_secs
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_fit_the_server_limit() {
        let n = Names::of("app_test", 63).unwrap();
        assert_eq!(
            (n.new.as_str(), n.old.as_str()),
            ("app_test__cairn_new", "app_test__cairn_old")
        );
        let e = Names::of(&"x".repeat(40), 63).err().unwrap();
        assert!(e.contains("too long") && e.contains("63 bytes"), "{e}");
    }

    #[test]
    fn failures_name_their_step() {
        let e = MirrorError {
            step: 2,
            cause: "scrub.sql line 4: ERROR: boom".into(),
        };
        assert_eq!(
            e.to_string(),
            "step 3/5 scrub: scrub.sql line 4: ERROR: boom"
        );
    }
}
