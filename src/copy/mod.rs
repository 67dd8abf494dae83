//! `cairn copy`: snapshots of one repository stored again in another, for a second copy
//! of the backups on other storage (the 3-2-1 rule).
//!
//! Each copied snapshot is a new manifest signed by the destination's key, naming the
//! source repository and manifest in `copied_from`; a later copy skips what the
//! destination already names, so an interrupted copy resumes where it stopped, and a
//! copy run twice stores nothing the second time.
//!
//! The destination deduplicates as a backup would. Two repositories made with the same
//! chunk parameters (`cairn init --copy-params-from`) give the same data the same blob
//! ids: a blob the destination holds is then recognised by its id alone and never read.
//! A destination with keys of its own gives blobs other ids: each blob is decrypted, its
//! id computed with the destination's key (the cuts stay as the source made them), and
//! the trees are rewritten with the new ids. The local cache remembers which source id
//! became which destination id, so a later copy reads only blobs it has not moved before.

mod transfer;

use std::collections::HashMap;

use crate::ids::SnapshotId;
use crate::repo::lock::LockGuard;
use crate::repo::snapshot::{CopiedFrom, StoredSnapshot};
use crate::repo::{RepoError, Repository};
use transfer::Transfer;

/// A copy error: which repository failed, and how.
#[derive(Debug, thiserror::Error)]
pub enum CopyError {
    #[error("source {location}: {cause}")]
    Source { location: String, cause: RepoError },
    #[error("destination {location}: {cause}")]
    Destination { location: String, cause: RepoError },
}

impl CopyError {
    pub(crate) fn source(repo: &Repository) -> impl Fn(RepoError) -> CopyError + '_ {
        move |cause| CopyError::Source {
            location: repo.location(),
            cause,
        }
    }

    pub(crate) fn destination(repo: &Repository) -> impl Fn(RepoError) -> CopyError + '_ {
        move |cause| CopyError::Destination {
            location: repo.location(),
            cause,
        }
    }
}

pub type Result<T> = std::result::Result<T, CopyError>;

/// The selected snapshots, split into those to copy and those the destination holds.
pub struct Plan {
    /// Oldest first, so that each one's parent is copied before it.
    pub todo: Vec<StoredSnapshot>,
    /// Source snapshots already copied, with the destination's snapshot.
    pub done: Vec<(StoredSnapshot, SnapshotId)>,
    /// Every source snapshot the destination holds a copy of: the parents of copies.
    copies: HashMap<SnapshotId, SnapshotId>,
}

/// Which of `selected` the destination already holds: a copy naming it in `copied_from`,
/// or (copying back) the very snapshot a source snapshot was copied from.
pub fn plan(
    src: &Repository,
    dest: &Repository,
    mut selected: Vec<StoredSnapshot>,
) -> Result<Plan> {
    let held = dest.snapshots().map_err(CopyError::destination(dest))?;
    let src_id = &src.config().id;
    let mut copies = HashMap::new();
    for s in &held {
        match &s.snap.copied_from {
            Some(c) if &c.repository == src_id => {
                copies.insert(c.snapshot, s.id);
            }
            _ => {}
        }
    }
    for s in src.snapshots().map_err(CopyError::source(src))? {
        if let Some(c) = s.snap.copied_from.as_ref() {
            if c.repository == dest.config().id && held.iter().any(|h| h.id == c.snapshot) {
                copies.insert(s.id, c.snapshot);
            }
        }
    }
    selected.sort_by(|a, b| a.snap.time.cmp(&b.snap.time).then(a.id.cmp(&b.id)));
    selected.dedup_by_key(|s| s.id);
    let (done, todo): (Vec<_>, Vec<_>) = selected
        .into_iter()
        .partition(|s| copies.contains_key(&s.id));
    let done = done
        .into_iter()
        .map(|s| {
            let d = copies[&s.id];
            (s, d)
        })
        .collect();
    Ok(Plan { todo, done, copies })
}

/// What copying one snapshot did (or, on a dry run, would do).
#[derive(Debug, Clone, serde::Serialize)]
pub struct Copied {
    pub source: SnapshotId,
    /// The new snapshot; `None` on a dry run.
    pub id: Option<SnapshotId>,
    /// Data blobs the destination lacked, read from the source and stored.
    pub blobs: u64,
    /// Their plaintext bytes.
    pub bytes: u64,
    /// Bytes added to the destination's storage (0 on a dry run).
    pub bytes_stored: u64,
}

/// Copies one snapshot; `lock` is a shared lock on the destination, `None` for a dry run
/// (which reads the source's trees and writes nothing).
pub fn copy_one(
    src: &Repository,
    dest: &Repository,
    lock: Option<&LockGuard>,
    plan: &mut Plan,
    snap: &StoredSnapshot,
) -> Result<Copied> {
    let t = Transfer::new(src, dest);
    let walked = t.walk(&snap.snap.tree)?;
    let (known, missing) = t.needed(&walked)?;
    let blobs = missing.len() as u64;
    let bytes = missing.iter().map(|(_, e)| e.raw_length as u64).sum();
    let Some(lock) = lock else {
        return Ok(Copied {
            source: snap.id,
            id: None,
            blobs,
            bytes,
            bytes_stored: 0,
        });
    };
    let (root, bytes_stored, finish) = t.store(lock, &walked, known, missing, bytes)?;
    let mut copy = snap.snap.clone();
    copy.tree = root;
    copy.parent = snap.snap.parent.and_then(|p| plan.copies.get(&p).copied());
    copy.copied_from = Some(CopiedFrom {
        repository: src.config().id.clone(),
        snapshot: snap.id,
    });
    let id = finish
        .finish(Some(&copy))
        .map_err(CopyError::destination(dest))?
        .expect("a snapshot was given");
    plan.copies.insert(snap.id, id);
    Ok(Copied {
        source: snap.id,
        id: Some(id),
        blobs,
        bytes,
        bytes_stored,
    })
}

/// What a copy did: the snapshots copied (or, on a dry run, to copy) and those the
/// destination already held.
#[derive(Debug, Default)]
pub struct Report {
    pub copied: Vec<Copied>,
    /// Source snapshot and the destination's copy of it.
    pub skipped: Vec<(SnapshotId, SnapshotId)>,
}

/// Copies `selected` (snapshots of `src`) that `dest` does not hold yet, oldest first,
/// calling `each` after each one. Each snapshot is finished (packs, index, manifest)
/// before the next starts, so an interruption loses at most the one under way, and its
/// stored packs are indexed on the way out, which the next run builds on.
pub fn run(
    src: &Repository,
    dest: &Repository,
    selected: Vec<StoredSnapshot>,
    dry_run: bool,
    mut each: impl FnMut(&StoredSnapshot, &Copied),
) -> Result<Report> {
    let locks = if dry_run {
        None
    } else {
        let dest_err = CopyError::destination(dest);
        dest.require_signer().map_err(&dest_err)?;
        // The source's shared lock keeps a prune there from deleting packs being read.
        let src_lock = src
            .lock(crate::repo::lock::LockKind::Shared, "copy")
            .map_err(CopyError::source(src))?;
        let dest_lock = dest
            .lock(crate::repo::lock::LockKind::Shared, "copy")
            .map_err(&dest_err)?;
        dest.sync_packs().map_err(&dest_err)?;
        Some((src_lock, dest_lock))
    };
    let mut plan = plan(src, dest, selected)?;
    let mut report = Report {
        skipped: plan.done.iter().map(|(s, d)| (s.id, *d)).collect(),
        ..Report::default()
    };
    for snap in std::mem::take(&mut plan.todo) {
        let lock = locks.as_ref().map(|(_, d)| d);
        let copied = copy_one(src, dest, lock, &mut plan, &snap)?;
        each(&snap, &copied);
        report.copied.push(copied);
    }
    Ok(report)
}
