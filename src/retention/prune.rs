//! Garbage collection: delete the packs no snapshot needs, rewrite the mostly empty
//! ones, and replace the many small index files by a merged set.
//!
//! Order of effects (docs/FORMAT.md, "Prune protocol and invariants"), each step
//! complete before the next starts, so a crash anywhere leaves a valid repository:
//! 1. new packs holding the used blobs of the packs being repacked;
//! 2. new index files covering every kept and new pack;
//! 3. deletion of the old index files (exactly those read in the beginning);
//! 4. deletion of the unused and repacked packs (exactly those listed in the beginning).
//!
//! Nothing is deleted when a snapshot cannot be read or a referenced blob has no stored
//! copy: a prune working from an incomplete picture would destroy data.

mod ledger;
mod plan;
mod reindex;
mod repack;
mod scratch;

use std::collections::HashSet;
use std::time::{Duration, Instant};

pub use crate::units::{parse_duration, parse_size};
pub use plan::{MaxUnused, PackUsage, Plan};

use crate::ids::{BlobId, PackId};
use crate::repo::lock::{LockGuard, LockKind};
use crate::repo::snapshot::StoredSnapshot;
use crate::repo::tree::NodeKind;
use crate::repo::{pack, RepoError, Repository};
use crate::ui::Progress;
use ledger::Ledger;
use reindex::{IndexFileInfo, Reindex};
use repack::Repacker;
use scratch::Scratch;

#[derive(Debug, thiserror::Error)]
pub enum PruneError {
    #[error(transparent)]
    Repo(#[from] RepoError),
    #[error("prune's scratch database ({path}): {cause}")]
    Scratch { path: String, cause: String },
    #[error("prune's ledger {path}: {cause}; deleting the file makes the next prune count everything again")]
    Ledger { path: String, cause: String },
    /// A tree the ledger must read to count a snapshot in or out cannot be read.
    #[error("{0}")]
    LedgerBehind(String),
    #[error("refusing to prune, nothing deleted: {0}; remove a damaged snapshot with `cairn forget` first")]
    BadSnapshot(String),
    #[error("refusing to prune, nothing deleted: {count} blobs used by snapshots have no stored copy in any index (first: {first}); run `cairn check` to see the affected snapshots")]
    Missing { count: u64, first: String },
    #[error("stopped before deleting anything: {0} appeared while prune held the exclusive lock")]
    NotAlone(String),
    #[error("internal check failed, nothing deleted: {0}")]
    Inconsistent(String),
}

pub type Result<T> = std::result::Result<T, PruneError>;

#[derive(Debug, Clone, Default)]
pub struct PruneOptions {
    pub max_unused: MaxUnused,
    /// Upper bound on the stored bytes of the packs repacked in one run.
    pub max_repack_size: Option<u64>,
    /// Compute and report the plan; change nothing.
    pub dry_run: bool,
    /// Wait this long for a conflicting lock to go away instead of failing at once.
    pub wait_lock: Option<Duration>,
    /// Packs to repack even when fully used (`key rewrap`: not encrypted to the current
    /// recipients).
    pub force_repack: std::collections::HashSet<crate::ids::PackId>,
    /// Write a new index even if nothing else asks for one (`key rewrap`).
    pub force_index: bool,
    /// Count from scratch as well and compare with the ledger.
    pub recount: bool,
}

/// What prune did (or, with `dry_run`, would do). Byte counts are stored bytes.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct PruneReport {
    pub dry_run: bool,
    pub snapshots: usize,
    pub blobs_used: u64,
    pub packs: usize,
    /// Packs no index lists: leftovers of interrupted backups (deleted with the rest).
    pub packs_unindexed: usize,
    pub packs_deleted: usize,
    pub bytes_deleted: u64,
    pub packs_repacked: usize,
    pub bytes_repacked: u64,
    pub blobs_repacked: u64,
    pub packs_written: usize,
    /// With `dry_run`, an estimate: the stored lengths of the blobs to copy.
    pub bytes_written: u64,
    pub index_files_replaced: usize,
    pub index_files_written: usize,
    /// Index objects that did not verify (planted or damaged): ignored, then deleted.
    pub index_files_rejected: usize,
    /// Packs some index names that storage does not hold; dropped from the new index.
    pub packs_missing_from_storage: u64,
    pub bytes_freed: u64,
    pub duration_secs: f64,
    /// How the blobs in use were counted: by the ledger (built, or updated from what
    /// changed) or from scratch.
    pub counting: String,
}

/// Takes the exclusive lock (a shared one for a dry run, which deletes nothing and so
/// need not stop backups) and prunes.
pub fn prune(repo: &Repository, opts: &PruneOptions) -> Result<PruneReport> {
    let kind = if opts.dry_run {
        LockKind::Shared
    } else {
        repo.require_signer()?;
        LockKind::Exclusive
    };
    let lock = match opts.wait_lock {
        Some(wait) => repo.lock_wait(kind, "prune", wait)?,
        None => repo.lock(kind, "prune")?,
    };
    prune_locked(repo, opts, &lock)
}

/// Prunes under a lock the caller already holds (exclusive unless `dry_run`), e.g.
/// `forget --prune` after removing manifests.
pub fn prune_locked(
    repo: &Repository,
    opts: &PruneOptions,
    lock: &LockGuard,
) -> Result<PruneReport> {
    let started = Instant::now();
    let mut report = PruneReport {
        dry_run: opts.dry_run,
        ..Default::default()
    };

    // Storage is listed first: a pack that appears later is never considered.
    let stored = repo.pack_ids()?;
    report.packs = stored.len();
    let names: Vec<String> = repo
        .backend()
        .list("index/")
        .map_err(RepoError::from)?
        .into_iter()
        .map(|o| o.name)
        .collect();
    let (snaps, bad) = repo.snapshots_checked()?;
    if let Some(first) = bad.first() {
        return Err(PruneError::BadSnapshot(first.clone()));
    }
    report.snapshots = snaps.len();
    let counted = count(repo, opts, &stored, &names, &snaps)?;
    drop(stored);
    repo.forget_cached_packs();
    report.counting = counted.how.clone();
    report.index_files_rejected = counted.rejected.len();
    report.packs_missing_from_storage = counted.packs_missing_from_storage;
    report.blobs_used = counted.used;
    if counted.missing > 0 {
        let first: Vec<String> = counted.first_missing.iter().map(|b| b.to_hex()).collect();
        return Err(PruneError::Missing {
            count: counted.missing,
            first: first.join(", "),
        });
    }

    let usage = counted.usage;
    report.packs_unindexed = usage.iter().filter(|p| !p.indexed).count();
    let mut plan = plan::plan(usage, opts.max_unused, opts.max_repack_size);
    plan.force_repack(&opts.force_repack);
    report.packs_deleted = plan.delete.len();
    report.bytes_deleted = plan.delete.iter().map(|p| p.size).sum();
    report.packs_repacked = plan.repack.len();
    report.bytes_repacked = plan.repack.iter().map(|p| p.size).sum();
    report.blobs_repacked = plan.repack.iter().map(|p| p.used_blobs).sum();
    report.bytes_written = plan.repack.iter().map(|p| p.used_bytes).sum();
    let reindex = reindex::reindex(
        &counted.files,
        &counted.rejected,
        &plan.keep,
        opts.force_index,
    );
    report.index_files_replaced = reindex.replace.len();

    if !opts.dry_run {
        // Records of snapshots a forget removed without removing them (an older cairn,
        // or one interrupted in between) prove nothing any more.
        let live: std::collections::HashSet<_> = snaps.iter().map(|s| s.id).collect();
        repo.remove_verified_except(&live)?;
        execute(repo, &counted.db, &plan, &reindex, lock, &mut report)?;
    }
    report.bytes_freed =
        (report.bytes_deleted + report.bytes_repacked).saturating_sub(report.bytes_written);
    report.duration_secs = started.elapsed().as_secs_f64();
    Ok(report)
}

/// Where the counts live: the ledger, or a scratch database for this run alone.
enum Db {
    Ledger(Ledger),
    Scratch(Scratch),
}

impl Db {
    fn scratch(&self) -> &Scratch {
        match self {
            Db::Ledger(l) => &l.scratch,
            Db::Scratch(s) => s,
        }
    }
}

/// What prune knows once it has counted: which copy of each used blob it keeps, and
/// how much of each stored pack those copies use.
struct Counted {
    db: Db,
    files: Vec<IndexFileInfo>,
    rejected: Vec<String>,
    usage: Vec<PackUsage>,
    used: u64,
    missing: u64,
    first_missing: Vec<BlobId>,
    packs_missing_from_storage: u64,
    how: String,
}

/// Counts with the ledger where there is one to keep, from scratch otherwise, and from
/// scratch as well when the ledger is due for a comparison.
fn count(
    repo: &Repository,
    opts: &PruneOptions,
    stored: &[(PackId, u64)],
    names: &[String],
    snaps: &[StoredSnapshot],
) -> Result<Counted> {
    let Some(path) = Ledger::path(repo) else {
        return count_from_scratch(repo, stored, names, snaps);
    };
    // A damaged snapshot that a repaired one replaces counts only what still has a
    // stored copy (`mark_used`): not a reference count the ledger can keep.
    if snaps.iter().any(|s| s.snap.repaired.is_some()) {
        ledger::discard(&path);
        return count_from_scratch(repo, stored, names, snaps);
    }
    let updated = Ledger::open(&path, &repo.index_trust())
        .and_then(|l| l.update(repo, stored, names, snaps).map(|u| (l, u)));
    let (ledger, u) = match updated {
        Ok(lu) => lu,
        Err(
            e @ (PruneError::LedgerBehind(_)
            | PruneError::Inconsistent(_)
            | PruneError::Ledger { .. }),
        ) =>
        // The count from scratch says what is wrong when the repository is (a tree in
        // use without a stored copy); when it is not, the ledger could not follow, most
        // often because another machine's prune deleted trees of the snapshots it
        // forgot, which the ledger must read to count their children out.
        {
            let full = count_from_scratch(repo, stored, names, snaps)?;
            if full.missing > 0 {
                return Ok(full);
            }
            ledger::discard(&path);
            // The ledger's own errors name the file and say what deleting it does:
            // this line says both already.
            let why = match &e {
                PruneError::Ledger { cause, .. } => cause.clone(),
                e => e.to_string(),
            };
            let line = format!(
                "prune's ledger {} could not be brought up to date ({why}); counted from scratch, and the next prune builds it again",
                path.display()
            );
            match e {
                PruneError::LedgerBehind(_) => crate::ui::info(&line),
                _ => crate::ui::warn(&line),
            }
            return Ok(Counted {
                how: "counted from scratch, ledger discarded".into(),
                ..full
            });
        }
        Err(e) => return Err(e),
    };
    let mut how = if u.built {
        "ledger built".to_string()
    } else {
        format!(
            "ledger updated, {} read",
            crate::ui::count(u.trees_read, "tree")
        )
    };
    if opts.recount || (!u.built && u.runs > ledger::RECOUNT_EVERY) {
        let full = count_from_scratch(repo, stored, names, snaps)?;
        // Blobs without a copy stop the prune whatever the ledger says, and the count
        // from scratch sums no usage then: nothing to compare.
        if full.missing > 0 {
            return Ok(full);
        }
        let (blobs, packs) = ledger.differences(full.db.scratch(), &full.usage)?;
        if blobs > 0 || packs > 0 {
            crate::ui::warn(&format!(
                "prune's ledger {} disagreed with a count from scratch ({} and {} differ); going by the count from scratch and building the ledger again next time",
                ledger.file().display(),
                crate::ui::count(blobs, "blob"),
                crate::ui::count(packs, "pack")
            ));
            drop(ledger);
            ledger::discard(&path);
            return Ok(Counted {
                how: "counted from scratch, ledger discarded".into(),
                ..full
            });
        }
        ledger.recounted()?;
        how.push_str(", checked against a count from scratch");
    }
    let (used, missing, first_missing) = ledger.used(3)?;
    Ok(Counted {
        usage: ledger.usage()?,
        packs_missing_from_storage: ledger.packs_missing_from_storage()?,
        files: u.files,
        rejected: u.rejected,
        used,
        missing,
        first_missing,
        how,
        db: Db::Ledger(ledger),
    })
}

/// Counts everything again in a database of this run's own: every index file read,
/// every snapshot walked.
fn count_from_scratch(
    repo: &Repository,
    stored: &[(PackId, u64)],
    names: &[String],
    snaps: &[StoredSnapshot],
) -> Result<Counted> {
    let scratch = Scratch::create()?;
    scratch.batch(|s| {
        stored
            .iter()
            .try_for_each(|(id, size)| s.add_stored(id, *size))
    })?;
    let (files, rejected) = load_index(repo, &scratch, names)?;
    scratch.loaded()?;
    let packs_missing_from_storage = scratch.packs_missing_from_storage()?;
    scratch.batch(|s| mark_used(repo, s, snaps))?;
    scratch.mark_bases()?;
    let used = scratch.used_count()?;
    let (missing, first_missing) = scratch.choose_copies(3)?;
    Ok(Counted {
        usage: if missing > 0 {
            Vec::new()
        } else {
            scratch.usage()?
        },
        db: Db::Scratch(scratch),
        files,
        rejected,
        used,
        missing,
        first_missing,
        packs_missing_from_storage,
        how: "counted from scratch".into(),
    })
}

/// Reads every index file into the scratch database; returns what each verified one
/// names and the names of those that do not verify (`read_verified`).
fn load_index(
    repo: &Repository,
    scratch: &Scratch,
    names: &[String],
) -> Result<(Vec<IndexFileInfo>, Vec<String>)> {
    let mut infos = Vec::new();
    let rejected = read_verified(repo, names, |name, f| {
        infos.push(IndexFileInfo {
            name,
            packs: f.packs.iter().map(|p| p.id).collect(),
            blobs: f.packs.iter().map(|p| p.blobs.len()).sum(),
        });
        scratch.batch(|s| s.add_index(&f))
    })?;
    Ok((infos, rejected))
}

/// Reads index files a few at a time in parallel (each is a separate download), hands
/// each verified one to `each`, and returns the names of those that do not verify.
/// Those are left out: they may be planted (anyone can encrypt to the repository), and
/// what they claim must not steer what is kept. If they held the only record of a
/// needed blob, that blob is found missing and nothing is deleted. The next files are
/// read while `each` takes the last (`read_indexes_ahead`).
fn read_verified(
    repo: &Repository,
    names: &[String],
    mut each: impl FnMut(String, crate::repo::index::IndexFile) -> Result<()>,
) -> Result<Vec<String>> {
    // One file read while one is written on a local disk; as many downloads as
    // connections on a store.
    let in_memory = repo.backend().properties().connections.max(2);
    let mut rejected = Vec::new();
    repo.read_indexes_ahead(names, in_memory, |name, file| {
        match file {
            Ok(f) => each(name, f)?,
            Err(e @ (RepoError::Object { .. } | RepoError::Invalid(_))) => {
                crate::ui::warn(&format!("{e}; leaving it out (and removing it)"));
                rejected.push(name);
            }
            Err(e) => return Err(e.into()),
        }
        Ok::<_, PruneError>(())
    })?;
    Ok(rejected)
}

/// Records every blob the snapshots reach. A tree already recorded was walked already
/// (or is on the stack), so shared subtrees are read once; a tree without a stored copy
/// is recorded but not read, and `choose_copies` then reports it missing.
///
/// A damaged snapshot that a repaired one replaces (`cairn repair snapshots`) is known
/// to miss what it misses: only its blobs with a stored copy are recorded, so prune
/// keeps what may still heal it without refusing over what is gone.
fn mark_used(repo: &Repository, scratch: &Scratch, snaps: &[StoredSnapshot]) -> Result<()> {
    let replaced: HashSet<_> = snaps
        .iter()
        .filter_map(|s| s.snap.repaired.as_ref().map(|r| r.original))
        .collect();
    let (originals, others): (Vec<&StoredSnapshot>, Vec<&StoredSnapshot>) =
        snaps.iter().partition(|s| replaced.contains(&s.id));
    for s in others {
        let mut stack = vec![s.snap.tree];
        while let Some(id) = stack.pop() {
            if !scratch.mark_used(&id)? || !scratch.is_located(&id)? {
                continue;
            }
            for node in repo.read_tree(&id)?.nodes {
                if node.kind == NodeKind::Dir {
                    stack.extend(node.subtree);
                }
                for b in &node.content {
                    scratch.mark_used_later(b)?;
                }
            }
        }
    }
    scratch.flush_used()?;
    for s in originals {
        let mut stack = vec![s.snap.tree];
        while let Some(id) = stack.pop() {
            if !scratch.is_located(&id)? || !scratch.mark_used(&id)? {
                continue;
            }
            for node in repo.read_tree(&id)?.nodes {
                if node.kind == NodeKind::Dir {
                    stack.extend(node.subtree);
                }
                for b in &node.content {
                    if scratch.is_located(b)? {
                        scratch.mark_used(b)?;
                    }
                }
            }
        }
    }
    Ok(())
}

/// Reads the packs that keep the only remaining copy of a blob whose other copies go
/// with this prune, and checks that each really holds it. The index saying so is not
/// enough: in a repository whose index objects are unsigned anyone who can encrypt to
/// it can plant one, and a wrong location here would turn a deletion into data loss.
fn verify_survivors(repo: &Repository, scratch: &Scratch, plan: &Plan) -> Result<()> {
    let doomed: Vec<_> = plan
        .delete
        .iter()
        .chain(&plan.repack)
        .map(|p| p.id)
        .collect();
    let survivors = scratch.survivors(&doomed)?;
    let mut wanted: std::collections::HashMap<_, _> = survivors.into_iter().collect();
    let ids: Vec<_> = wanted.keys().copied().collect();
    let mut failure = None;
    repo.read_packs_ahead(ids, |id, pack| {
        let entries = wanted.remove(&id).unwrap_or_default();
        let verdict = pack.map_err(|e| e.to_string()).and_then(|pack| {
            entries.iter().try_for_each(|e| match pack.entry(&e.id) {
                Some(found) if found == e => repo
                    .blob_in(&pack, e)
                    .map(|_| ())
                    .map_err(|err| err.to_string()),
                _ => Err(format!(
                    "pack {id} does not hold blob {} where the index places it",
                    e.id
                )),
            })
        });
        match verdict {
            Ok(()) => Ok(()),
            Err(e) => {
                failure = Some(e);
                Err(())
            }
        }
    })
    .map_err(|()| {
        PruneError::Inconsistent(format!(
            "{} (a planted or damaged index?); the other copies stay",
            failure.unwrap_or_default()
        ))
    })
}

/// Progress over the stored bytes of some packs; none at all when there are none, so a
/// prune with nothing to do shows and sends nothing.
fn progress<'a>(packs: impl IntoIterator<Item = &'a PackUsage>, what: &str) -> Progress {
    let (count, total) = packs
        .into_iter()
        .fold((0usize, 0u64), |(n, t), p| (n + 1, t + p.size));
    match count {
        0 => Progress::disabled(),
        _ => Progress::new(Some(total), what),
    }
}

fn execute(
    repo: &Repository,
    db: &Db,
    plan: &Plan,
    reindex: &Reindex,
    lock: &LockGuard,
    report: &mut PruneReport,
) -> Result<()> {
    let scratch = db.scratch();
    verify_survivors(repo, scratch, plan)?;
    // 1. New packs. A crash leaves them unindexed: leftovers for the next prune.
    let repacking = progress(&plan.repack, "repack");
    let mut repacker = Repacker::new(repo);
    for p in &plan.repack {
        repacker.copy(&p.id, &scratch.kept_in(&p.id)?)?;
        repacking.add(p.size);
    }
    let (new_packs, bytes_written, copied) = repacker.finish()?;
    repacking.finish();
    report.packs_written = new_packs.len();
    report.bytes_written = bytes_written;
    if copied != report.blobs_repacked {
        return Err(PruneError::Inconsistent(format!(
            "copied {copied} blobs out of the repacked packs, expected {}",
            report.blobs_repacked
        )));
    }

    // 2. The new index files: the kept packs of the files replaced, and the new packs.
    // A crash leaves old and new index side by side: blobs listed twice, every pack
    // either names still stored.
    let mut new_names = HashSet::new();
    if !reindex.relist.is_empty() || !new_packs.is_empty() {
        // The ledger counts each new file in as soon as it is stored: this process
        // wrote it, and downloading it at the next prune would cost as much again. If
        // that fails (a full disk), the next prune reads the file like any other new
        // one: no reason to stop this one.
        let counted = |name: &str, file: &crate::repo::index::IndexFile| {
            if let Db::Ledger(l) = db {
                if let Err(e) = l.record_written(name, file) {
                    crate::ui::warn(&format!("{e}; the next prune reads {name} again"));
                }
            }
            Ok(())
        };
        for id in repack::write_merged_index(repo, scratch, &reindex.relist, new_packs, counted)? {
            new_names.insert(format!("index/{id}"));
        }
        report.index_files_written = new_names.len();
    }

    // The exclusive lock should make this impossible; if another process started anyway
    // (a clock-skewed or protocol-breaking client), it may be using what we would delete.
    let others = repo.other_live_locks(lock)?;
    if !others.is_empty() {
        return Err(PruneError::NotAlone(others.join("; ")));
    }
    // Had our own lock gone stale (we were suspended), a backup could have started,
    // used blobs we are about to delete and finished, unseen by the check above.
    lock.ensure_held()?;

    // 3. Old index files. A crash leaves some of them: they name packs not yet deleted.
    // Deleted in bulk where the store can (Swift's bulk middleware, S3 DeleteObjects).
    let old: Vec<String> = reindex
        .replace
        .iter()
        .filter(|n| !new_names.contains(*n))
        .cloned()
        .collect();
    repo.backend().delete_many(&old).map_err(RepoError::from)?;
    // 4. Old packs. No index names them any more; a crash leaves unindexed leftovers.
    lock.ensure_held()?;
    let doomed: Vec<&PackUsage> = plan.delete.iter().chain(&plan.repack).collect();
    let deleting = progress(doomed.iter().copied(), "delete");
    // In batches of what one bulk request deletes (S3's and Swift's usual limit), so
    // the progress moves without costing requests.
    for batch in doomed.chunks(1000) {
        let names: Vec<String> = batch.iter().map(|p| pack::pack_name(&p.id)).collect();
        repo.backend()
            .delete_many(&names)
            .map_err(RepoError::from)?;
        deleting.add(batch.iter().map(|p| p.size).sum());
    }
    deleting.finish();
    // This machine's cache drops what went and reads only the new files; other
    // machines' caches notice the vanished files and rebuild from the index. Index
    // objects that did not verify may have reached this cache under another trust
    // setting: then it rebuilds too.
    if report.index_files_rejected > 0 {
        repo.cache().reset_index().map_err(RepoError::from)?;
    } else {
        let mut gone: Vec<_> = doomed.iter().map(|p| p.id).collect();
        gone.extend(&reindex.dropped);
        repo.cache()
            .forget_pruned(&old, &gone)
            .map_err(RepoError::from)?;
    }
    repo.sync_index()?;
    Ok(())
}
