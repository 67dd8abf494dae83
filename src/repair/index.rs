//! Rebuilding the index from the pack headers.
//!
//! Every listed pack is downloaded, checked against its id, decrypted and its header
//! read; the new index names exactly the packs that passed. Order of effects, as in
//! prune (docs/FORMAT.md, "Prune protocol and invariants"): the new index objects are
//! all written before any old one is deleted, and only the old ones listed at the
//! start are deleted. An interruption before the deletions leaves old and new index
//! side by side (blobs listed twice, which readers accept); during them, some old ones.

use std::collections::{HashMap, HashSet};

use crate::ids::PackId;
use crate::repo::index::{IndexFile, IndexPack};
use crate::repo::lock::LockKind;
use crate::repo::{Repository, Result};

/// What `repair index` did (or, in a dry run, would do).
#[derive(Debug, Default, serde::Serialize)]
pub struct IndexReport {
    pub dry_run: bool,
    /// Packs storage holds.
    pub packs: usize,
    /// Packs read and named by the new index.
    pub packs_indexed: usize,
    pub blobs: u64,
    /// Packs the old index named and the new one does not (not readable, or gone).
    pub packs_dropped: usize,
    /// Packs no old index named and the new one does (e.g. of an interrupted backup).
    pub packs_added: usize,
    /// Packs that could not be read: left in storage, left out of the index.
    pub unreadable: Vec<Unreadable>,
    pub index_files_replaced: usize,
    pub index_files_written: usize,
}

#[derive(Debug, serde::Serialize)]
pub struct Unreadable {
    pub pack: PackId,
    pub error: String,
}

pub fn repair_index(repo: &Repository, dry_run: bool) -> Result<IndexReport> {
    let kind = if dry_run {
        LockKind::Shared
    } else {
        repo.require_signer()?;
        // No backup may index packs while the index objects are being replaced.
        LockKind::Exclusive
    };
    let lock = repo.lock(kind, "repair")?;
    let mut report = IndexReport {
        dry_run,
        ..Default::default()
    };
    let old: Vec<String> = repo
        .backend()
        .list("index/")?
        .into_iter()
        .map(|o| o.name)
        .collect();
    let listed = repo.pack_ids()?;
    report.packs = listed.len();
    let sizes: HashMap<PackId, u64> = listed.iter().copied().collect();
    let mut ids: Vec<PackId> = listed.into_iter().map(|(id, _)| id).collect();
    ids.sort();

    let mut packs: Vec<IndexPack> = Vec::new();
    let writers = repo.cache().pack_writers()?;
    let progress = crate::ui::Progress::new(Some(sizes.values().sum()), "repair index");
    repo.read_packs_ahead(ids, |id, pack| {
        progress.add(sizes[&id]);
        match pack {
            Ok(p) => packs.push(IndexPack {
                id,
                size: sizes[&id],
                blobs: p.entries.clone(),
                writer: writers.get(&id).cloned(),
            }),
            Err(e) if e.is_damage() => report.unreadable.push(Unreadable {
                pack: id,
                error: e.to_string(),
            }),
            Err(e) => return Err(e),
        }
        Ok(())
    })?;
    progress.finish();
    crate::interrupt::check()?;
    report.packs_indexed = packs.len();
    report.blobs = packs.iter().map(|p| p.blobs.len() as u64).sum();

    let mut before: HashSet<PackId> = HashSet::new();
    repo.cache().for_each_blob(|pack, _| {
        before.insert(pack);
    })?;
    let after: HashSet<PackId> = packs.iter().map(|p| p.id).collect();
    report.packs_dropped = before.difference(&after).count();
    report.packs_added = after.difference(&before).count();
    report.index_files_replaced = old.len();
    let files = IndexFile::split(packs);
    report.index_files_written = files.len();
    if dry_run {
        return Ok(report);
    }

    let mut written = HashSet::new();
    for f in &files {
        lock.ensure_held()?;
        written.insert(format!("index/{}", repo.write_index(f)?));
    }
    lock.ensure_held()?;
    let gone: Vec<String> = old.into_iter().filter(|n| !written.contains(n)).collect();
    repo.backend().delete_many(&gone)?;
    // The cached index still names the dropped packs; it notices the deleted objects
    // and rebuilds itself from the new ones.
    repo.sync_index()?;
    Ok(report)
}
