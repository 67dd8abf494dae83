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
pub mod postgres;
pub mod tool;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use serde::Serialize;

use crate::db::url::DbUrl;
use crate::db::{DumpRecord, Engine, TableRows};
use crate::repo::lock::LockKind;
use crate::repo::snapshot::StoredSnapshot;
use crate::repo::tree::Node;
use crate::repo::verified::Verified;
use crate::repo::Repository;
use check::Found;

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

/// Step 1: the newest snapshot accepted by `wanted` (or the one `spec` names) holding a
/// dump of `database` for `engine`, and that dump's record.
pub fn pick(
    snaps: &[StoredSnapshot],
    spec: Option<&StoredSnapshot>,
    database: &str,
    engine: Engine,
) -> std::result::Result<(StoredSnapshot, DumpRecord), String> {
    let holds = |s: &StoredSnapshot| -> std::result::Result<Option<DumpRecord>, String> {
        let found: Vec<&DumpRecord> = s
            .snap
            .databases
            .iter()
            .filter(|r| r.engine == engine && r.database.as_deref() == Some(database))
            .collect();
        match found.as_slice() {
            [] => Ok(None),
            [one] => Ok(Some((*one).clone())),
            many => Err(format!(
                "snapshot {} holds database {database:?} from {} servers ({}); mirror one \
                 server's snapshots (narrow with --host/--tag/--path)",
                s.id.short(),
                many.len(),
                many.iter()
                    .map(|r| r.server.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
        }
    };
    if let Some(s) = spec {
        return match holds(s)? {
            Some(r) => Ok((s.clone(), r)),
            None => Err(format!(
                "snapshot {} holds no {engine} database {database:?}{}",
                s.id.short(),
                held_list(std::slice::from_ref(s), engine)
            )),
        };
    }
    for s in snaps.iter().rev() {
        if let Some(r) = holds(s)? {
            return Ok((s.clone(), r));
        }
    }
    Err(format!(
        "no snapshot holds a {engine} database {database:?}{}",
        held_list(snaps, engine)
    ))
}

/// " (databases in the snapshots: a, b)", to show a typo as one.
fn held_list(snaps: &[StoredSnapshot], engine: Engine) -> String {
    let mut names: Vec<&str> = snaps
        .iter()
        .flat_map(|s| &s.snap.databases)
        .filter(|r| r.engine == engine)
        .filter_map(|r| r.database.as_deref())
        .collect();
    names.sort_unstable();
    names.dedup();
    if names.is_empty() {
        String::new()
    } else {
        format!(
            " ({engine} databases in the snapshots: {})",
            names.join(", ")
        )
    }
}

/// Runs steps 2–5 for the chosen snapshot (step 1 is [`pick`], which the caller does
/// with the snapshots it may choose from), then stores the verified record.
pub fn run(
    repo: &Repository,
    target: &dyn Target,
    plan: &Plan,
    snap: &StoredSnapshot,
    record: &DumpRecord,
) -> std::result::Result<Report, MirrorError> {
    let started = Instant::now();
    let names = Names::of(&plan.target_db, target.max_name_len()).map_err(at(0))?;
    let find = |path: &str| {
        crate::restore::plan_find_node(repo, &snap.snap.tree, path)
            .map_err(|e| at(0)(format!("{path}: {e}")))
    };
    let node = find(&record.path)?;
    let globals = match plan.globals {
        false => None,
        true => {
            let g = snap
                .snap
                .databases
                .iter()
                .find(|r| {
                    r.database.is_none() && r.engine == record.engine && r.server == record.server
                })
                .ok_or_else(|| {
                    at(0)(format!(
                        "snapshot {} holds no server-wide dump (globals) of {}",
                        snap.id.short(),
                        record.server
                    ))
                })?;
            Some((g.clone(), find(&g.path)?))
        }
    };
    let dump = Dump {
        record,
        node,
        globals,
    };
    let mut report = Report {
        dry_run: plan.dry_run,
        snapshot: snap.id.to_hex(),
        snapshot_time: snap.snap.time,
        database: plan.database.clone(),
        target: plan.target_url.clone(),
        dump_path: record.path.clone(),
        bytes: record.bytes,
        tables_checked: 0,
        tables_present: 0,
        scrub_files: plan.scrub.len(),
        checks: plan.checks.len(),
        actions: Vec::new(),
        record: None,
        duration_secs: 0.0,
    };
    step_info(
        0,
        &format!(
            "{} of {}, {} ({}, {} tables)",
            snap.id.short(),
            snap.snap.time.format("%Y-%m-%d %H:%M:%S UTC"),
            record.path,
            crate::ui::bytes(record.bytes),
            record.tables.len()
        ),
    );
    let exists = target.exists(&plan.target_db).map_err(|e| at(1)(e.0))?;
    if exists && !plan.replace {
        return Err(at(1)(format!(
            "database {:?} already exists on {}; give --replace to put the restored one in \
             its place",
            plan.target_db,
            target.describe()
        )));
    }
    if plan.dry_run {
        dry_run(target, plan, &names, exists, record, &mut report).map_err(|e| at(1)(e.0))?;
        report.duration_secs = started.elapsed().as_secs_f64();
        return Ok(report);
    }
    let _alone = target.exclusive(&plan.target_db).map_err(|e| at(1)(e.0))?;
    // Prune must not delete packs under a restore that is still reading them.
    let lock = repo
        .lock(LockKind::Shared, plan.command)
        .map_err(|e| at(1)(e.to_string()))?;
    if let Err(e) = build(repo, target, plan, &names, &dump, &mut report) {
        return Err(cleanup(target, &names.new, e));
    }
    if let Err(e) = target.swap(&names.new, &plan.target_db, &names.old) {
        return Err(cleanup(target, &names.new, at(4)(e.0)));
    }
    if exists {
        retire_old(target, plan, &names, &mut report);
    }
    step_info(4, &format!("{} is the restored database", plan.target_db));
    report.record = record_verified(repo, plan, snap, &report);
    drop(lock);
    report.duration_secs = started.elapsed().as_secs_f64();
    Ok(report)
}

/// Steps 2–4, into the temporary database.
/// What is read from the snapshot: the database's dump and, with `--globals`, the
/// server-wide one.
struct Dump<'a> {
    record: &'a DumpRecord,
    node: Node,
    globals: Option<(DumpRecord, Node)>,
}

fn build(
    repo: &Repository,
    target: &dyn Target,
    plan: &Plan,
    names: &Names,
    dump: &Dump,
    report: &mut Report,
) -> std::result::Result<(), MirrorError> {
    let (record, node) = (dump.record, &dump.node);
    let restore = at(1);
    if target.exists(&names.new).map_err(|e| restore(e.0))? {
        target.drop_database(&names.new).map_err(|e| restore(e.0))?;
        let msg = format!(
            "dropped {}, left behind by an earlier run that did not finish",
            names.new
        );
        crate::ui::warn(&msg);
        report.actions.push(msg);
    }
    // A `__cairn_old` is a replaced test database an interrupted run did not retire; it
    // would block the swap's rename. It goes where that run would have put it.
    if target.exists(&names.old).map_err(|e| restore(e.0))? {
        let msg = if plan.keep == 0 {
            target.drop_database(&names.old).map_err(|e| restore(e.0))?;
            format!("dropped {}, left behind by an earlier run", names.old)
        } else {
            let kept = kept_name(names);
            target.rename(&names.old, &kept).map_err(|e| restore(e.0))?;
            format!(
                "renamed {} to {kept}, left behind by an earlier run",
                names.old
            )
        };
        crate::ui::warn(&msg);
        report.actions.push(msg);
    }
    if let Some((g, g_node)) = &dump.globals {
        let mut feed = |w: &mut dyn Write| {
            crate::restore::dump(repo, g_node, w)
                .map_err(|e| format!("reading {} from the repository: {e}", g.path))
        };
        let skipped = target
            .restore_globals(g, &mut feed)
            .map_err(|e| restore(e.0))?;
        for e in &skipped {
            crate::ui::warn(&format!("{}: {e}", g.path));
        }
        let msg = format!(
            "restored {} ({} statements failed, e.g. roles that exist already)",
            g.path,
            skipped.len()
        );
        step_info(1, &msg);
        report.actions.push(msg);
    }
    target.create(&names.new).map_err(|e| restore(e.0))?;
    let mut feed = |w: &mut dyn Write| {
        crate::restore::dump(repo, node, w)
            .map_err(|e| format!("reading {} from the repository: {e}", record.path))
    };
    target
        .restore(&names.new, record, &mut feed)
        .map_err(|e| restore(e.0))?;
    let found = target
        .count_rows(&names.new, &record.tables)
        .map_err(|e| restore(e.0))?;
    step_info(
        1,
        &format!(
            "restored {} into {} on {}",
            record.path,
            names.new,
            target.describe()
        ),
    );

    if plan.scrub.is_empty() {
        step_info(2, "no scrub files");
    }
    for file in &plan.scrub {
        target
            .run_sql_file(&names.new, file)
            .map_err(|e| at(2)(e.0))?;
        step_info(2, &format!("ran {}", file.display()));
    }

    let counts = check::compare(&record.tables, &found).map_err(at(3))?;
    report.tables_checked = counts.exact;
    report.tables_present = counts.present;
    for q in &plan.checks {
        if !target.check_query(&names.new, q).map_err(|e| at(3)(e.0))? {
            return Err(at(3)(format!("check query did not return true: {q}")));
        }
    }
    step_info(
        3,
        &format!(
            "{} tables with the manifest's row counts, {} more present (estimated counts), \
             {} check queries true",
            counts.exact,
            counts.present,
            plan.checks.len()
        ),
    );
    Ok(())
}

/// After a failure before the swap: the temporary database goes, the target stays.
fn cleanup(target: &dyn Target, new: &str, e: MirrorError) -> MirrorError {
    // Also, and above all, when a signal stopped the step.
    let gone = crate::interrupt::cleanup(|| {
        target.exists(new).and_then(|there| match there {
            true => target.drop_database(new),
            false => Ok(()),
        })
    });
    match gone {
        Ok(()) => e,
        Err(d) => MirrorError {
            step: e.step,
            cause: format!(
                "{}; and the temporary database {new} could not be dropped: {d}",
                e.cause
            ),
        },
    }
}

/// The old database after a swap: dropped, or kept under a dated name with the
/// `keep - 1` kept before it. Failures here are warnings: the swap is done.
fn retire_old(target: &dyn Target, plan: &Plan, names: &Names, report: &mut Report) {
    fn warn(report: &mut Report, what: String, e: TargetError) {
        crate::ui::warn(&format!("{what}: {e}"));
        report.actions.push(format!("{what} failed: {e}"));
    }
    if plan.keep == 0 {
        match target.drop_database(&names.old) {
            Ok(()) => report.actions.push(format!("dropped {}", names.old)),
            Err(e) => warn(
                report,
                format!("dropping the old database {}", names.old),
                e,
            ),
        }
        return;
    }
    let kept = kept_name(names);
    if let Err(e) = target.rename(&names.old, &kept) {
        return warn(report, format!("renaming {} to {kept}", names.old), e);
    }
    report
        .actions
        .push(format!("kept the old database as {kept}"));
    let prefix = format!("{}_", names.old);
    let mut old: Vec<String> = match target.databases() {
        Ok(d) => d.into_iter().filter(|d| d.starts_with(&prefix)).collect(),
        Err(e) => return warn(report, "listing kept databases".into(), e),
    };
    // The time stamps sort as text; newest first.
    old.sort_unstable_by(|a, b| b.cmp(a));
    for d in old.into_iter().skip(plan.keep as usize) {
        match target.drop_database(&d) {
            Ok(()) => report
                .actions
                .push(format!("dropped {d} (keep = {})", plan.keep)),
            Err(e) => warn(report, format!("dropping {d}"), e),
        }
    }
}

/// `<target>__cairn_old_<UTC time>`: kept copies sort by age as text.
fn kept_name(names: &Names) -> String {
    format!(
        "{}_{}",
        names.old,
        chrono::Utc::now().format("%Y%m%dT%H%M%S")
    )
}

fn record_verified(
    repo: &Repository,
    plan: &Plan,
    snap: &StoredSnapshot,
    report: &Report,
) -> Option<String> {
    let v = Verified {
        version: 1,
        snapshot: snap.id,
        time: chrono::Utc::now(),
        command: plan.command.to_string(),
        database: plan.database.clone(),
        target: plan.target_url.clone(),
        tables_checked: report.tables_checked,
        host: crate::hostname(),
        tool: format!("cairn {}", env!("CARGO_PKG_VERSION")),
    };
    match repo.write_verified(&v) {
        Ok(name) => Some(name),
        Err(e) => {
            crate::ui::warn(&format!(
                "the restore worked, but recording it as verified in the repository failed: {e}"
            ));
            None
        }
    }
}

fn dry_run(
    target: &dyn Target,
    plan: &Plan,
    names: &Names,
    exists: bool,
    record: &DumpRecord,
    report: &mut Report,
) -> Result<()> {
    let mut lines = Vec::new();
    if target.exists(&names.new)? {
        lines.push((
            1,
            format!("would drop {}, left behind by an earlier run", names.new),
        ));
    }
    lines.push((
        1,
        format!(
            "would create {} on {} and restore {} into it",
            names.new,
            target.describe(),
            report.dump_path
        ),
    ));
    if plan.scrub.is_empty() {
        lines.push((2, "no scrub files".to_string()));
    }
    for f in &plan.scrub {
        lines.push((2, format!("would run {}", f.display())));
    }
    lines.push((
        3,
        format!(
            "would check {} tables against the manifest and {} check queries",
            record.tables.len(),
            plan.checks.len()
        ),
    ));
    let swap = match (exists, plan.keep) {
        (false, _) => format!("would rename {} to {}", names.new, plan.target_db),
        (true, 0) => format!(
            "would end sessions on {t}, rename it to {}, rename {} to {t}, drop {}",
            names.old,
            names.new,
            names.old,
            t = plan.target_db
        ),
        (true, k) => format!(
            "would end sessions on {t}, rename it to {}_<time>, rename {} to {t}, keep {k} old \
             copies",
            names.old,
            names.new,
            t = plan.target_db
        ),
    };
    lines.push((4, swap));
    for (step, l) in lines {
        step_info(step, &l);
        report.actions.push(l);
    }
    Ok(())
}

fn step_info(step: usize, msg: &str) {
    crate::ui::info(&format!(
        "step {}/{} {}: {msg}",
        step + 1,
        STEPS.len(),
        STEPS[step]
    ));
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
    use crate::chunker::ChunkSizes;
    use crate::ids::{BlobId, SnapshotId};
    use crate::repo::snapshot::{Snapshot, SnapshotStats, SourceKind};

    fn dump(server: &str, db: Option<&str>) -> DumpRecord {
        DumpRecord {
            engine: Engine::Postgresql,
            server: server.into(),
            database: db.map(str::to_string),
            path: format!("postgresql/{}.pgdump", db.unwrap_or("globals")),
            format: "custom".into(),
            server_version: "15".into(),
            client_version: "pg_dump 15".into(),
            bytes: 1,
            duration_secs: 0.1,
            tables: Vec::new(),
        }
    }

    fn snap(n: u8, dumps: Vec<DumpRecord>) -> StoredSnapshot {
        StoredSnapshot {
            id: SnapshotId([n; 32]),
            snap: Snapshot {
                version: 1,
                time: chrono::DateTime::from_timestamp(1_800_000_000 + n as i64, 0).unwrap(),
                host: "db1".into(),
                profile: None,
                source: SourceKind::Files,
                paths: Vec::new(),
                tags: Vec::new(),
                tree: BlobId([0; 32]),
                parent: None,
                chunk_sizes: ChunkSizes::FILES,
                stats: SnapshotStats::default(),
                tool: "test".into(),
                databases: dumps,
            },
        }
    }

    #[test]
    fn the_newest_snapshot_holding_the_database_is_picked() {
        let snaps = [
            snap(1, vec![dump("pg://a", Some("app"))]),
            snap(2, vec![dump("pg://a", Some("app")), dump("pg://a", None)]),
            snap(3, vec![dump("pg://a", Some("other"))]),
        ];
        let (s, r) = pick(&snaps, None, "app", Engine::Postgresql).unwrap();
        assert_eq!(
            (s.id, r.path.as_str()),
            (SnapshotId([2; 32]), "postgresql/app.pgdump")
        );
        let (s, _) = pick(&snaps, Some(&snaps[0]), "app", Engine::Postgresql).unwrap();
        assert_eq!(s.id, SnapshotId([1; 32]));
    }

    #[test]
    fn missing_and_ambiguous_databases_are_explained() {
        let snaps = [
            snap(
                1,
                vec![dump("pg://a", Some("app")), dump("pg://b", Some("app"))],
            ),
            snap(2, vec![dump("pg://a", Some("shop"))]),
        ];
        let e = pick(&snaps, None, "ap", Engine::Postgresql).unwrap_err();
        assert_eq!(
            e,
            "no snapshot holds a postgresql database \"ap\" (postgresql databases in the \
             snapshots: app, shop)"
        );
        let e = pick(&snaps, None, "app", Engine::Postgresql).unwrap_err();
        assert!(e.contains("from 2 servers (pg://a, pg://b)"), "{e}");
        let e = pick(&snaps, Some(&snaps[1]), "app", Engine::Postgresql).unwrap_err();
        assert!(
            e.starts_with("snapshot 02020202 holds no postgresql database \"app\""),
            "{e}"
        );
        assert!(pick(&snaps, None, "app", Engine::Mysql).is_err());
    }

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
