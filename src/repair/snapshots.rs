//! Rewriting snapshots that depend on lost data.
//!
//! A blob is lost when no pack that storage lists holds a copy the index knows of
//! (run `repair index` first, so that unreadable packs are out of the index). Each
//! snapshot that reaches a lost blob, or a directory listing that cannot be read, gets
//! a new manifest: the same time, host, paths and tags, its trees rebuilt without the
//! lost files and directories (dropped, not truncated: a file with a hole where data
//! was is worse than no file), and a `repaired` record naming the original and what
//! was left out. A snapshot whose root listing is lost gets an empty root.
//!
//! Nothing is deleted. Each new snapshot is written by its own upload session (trees,
//! index, then manifest), so an interruption leaves some snapshots repaired and the
//! rest as they were; a snapshot that already has a repaired successor is skipped.

use chrono::Utc;

use crate::damage::{Lost, Walker};
use crate::ids::{BlobId, SnapshotId};
use crate::repo::lock::LockKind;
use crate::repo::pack::{BlobType, Compression};
use crate::repo::snapshot::{Repaired, Snapshot};
use crate::repo::tree::Tree;
use crate::repo::uploader::Uploader;
use crate::repo::{Repository, Result};

/// What `repair snapshots` did (or, in a dry run, would do).
#[derive(Debug, Default, serde::Serialize)]
pub struct SnapshotsReport {
    pub dry_run: bool,
    pub snapshots: usize,
    /// Snapshots that depend on lost data and were (or would be) rewritten.
    pub repaired: Vec<RepairedSnapshot>,
    /// Damaged snapshots a repaired one already replaces (an earlier run).
    pub already_repaired: usize,
    /// Manifests that cannot be read: not repairable, `forget` removes them.
    pub unreadable: Vec<String>,
}

#[derive(Debug, serde::Serialize)]
pub struct RepairedSnapshot {
    pub original: SnapshotId,
    /// The new snapshot; `None` in a dry run.
    pub id: Option<SnapshotId>,
    pub time: chrono::DateTime<Utc>,
    pub host: String,
    pub lost: Vec<String>,
}

pub fn repair_snapshots(repo: &Repository, dry_run: bool) -> Result<SnapshotsReport> {
    if !dry_run {
        repo.require_signer()?;
    }
    // Shared, like a backup: new manifests, no deletions.
    let lock = repo.lock(LockKind::Shared, "repair")?;
    repo.sync_packs()?;
    let (snaps, bad) = repo.snapshots_checked()?;
    let mut report = SnapshotsReport {
        dry_run,
        snapshots: snaps.len(),
        unreadable: bad,
        ..Default::default()
    };
    let replaced: std::collections::HashSet<SnapshotId> = snaps
        .iter()
        .filter_map(|s| s.snap.repaired.as_ref().map(|r| r.original))
        .collect();
    // Usable: in a pack storage listed, and when only deltas are, their base too.
    let lost_blob = |b: &BlobId| {
        if !repo.cache().contains(b)? {
            return Ok(true);
        }
        Ok(match repo.cache().lookup(b)? {
            Some((_, e)) if e.compression == Compression::Delta => match e.base {
                Some(base) => !repo.cache().contains(&base)?,
                None => true,
            },
            _ => false,
        })
    };
    let mut walker = Walker::new(repo, &lost_blob);
    for s in &snaps {
        crate::interrupt::check()?;
        if replaced.contains(&s.id) {
            if !walker.lost(&s.snap.tree)?.is_empty() {
                report.already_repaired += 1;
            }
            continue;
        }
        // An upload session only for a snapshot that has trees to rewrite.
        let mut up: Option<Uploader> = None;
        let mut store = |t: Tree| {
            if dry_run {
                return Ok(BlobId([0; 32]));
            }
            up.get_or_insert_with(|| Uploader::new(repo, &lock))
                .add(BlobType::Tree, &t.to_bytes())
        };
        let (root, lost) = walker.walk(&s.snap.tree, &mut store)?;
        if lost.is_empty() {
            continue;
        }
        let root = match root {
            Some(r) => r,
            None => store(Tree::default())?,
        };
        let new = repaired(&s.snap, s.id, root, &lost);
        let id = match up.take() {
            Some(up) => up.finish(Some(&new))?,
            None => None,
        };
        report.repaired.push(RepairedSnapshot {
            original: s.id,
            id,
            time: s.snap.time,
            host: s.snap.host.clone(),
            lost: lost.iter().map(|l| l.path().to_string()).collect(),
        });
    }
    repo.forget_cached_packs();
    Ok(report)
}

/// The manifest of `snap` with the rebuilt tree `root`. A snapshot repaired before
/// keeps the record of what it lost then.
fn repaired(snap: &Snapshot, id: SnapshotId, root: BlobId, lost: &[Lost]) -> Snapshot {
    let mut all: Vec<String> = snap
        .repaired
        .as_ref()
        .map(|r| r.lost.clone())
        .unwrap_or_default();
    all.extend(lost.iter().map(|l| l.path().to_string()));
    Snapshot {
        tree: root,
        repaired: Some(Repaired {
            original: id,
            time: Utc::now(),
            lost: all,
        }),
        ..snap.clone()
    }
}
