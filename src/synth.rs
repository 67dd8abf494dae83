//! Synthetic repositories for scale tests and benchmarks (issue 17): millions of blobs
//! without their data. Not for users; `benches/repo_scale.rs` and `tests/repo_scale.rs`
//! call it.
//!
//! Everything goes through the repository's own writers, so cairn opens the result
//! like any other: packs made by `PackWriter` (encrypted), index objects by
//! `write_index` (signed), trees by an upload session and two signed manifests. Only
//! the blobs are small: blob `i` is a line naming `i` (about 30 bytes), stored
//! uncompressed, so a million blobs take a few hundred MB of packs instead of a TB.
//! Their count, their packs and the trees that list them are what a real repository
//! of that many blobs has; `blobs_per_pack` = 16 matches 1 MiB chunks in 16 MiB packs.
//!
//! Two snapshots of the same host and path: an older one that uses every blob, and a
//! newer one that leaves out the blobs `Spec::dropped` names. So `forget --keep-last 1
//! --prune` has something to keep (most packs), something to delete (whole packs) and
//! something to repack (half-used packs).

use chrono::{Duration, Utc};
use rayon::prelude::*;

use crate::chunker::blob_id;
use crate::ids::{BlobId, SnapshotId};
use crate::repo::index::{IndexFile, IndexPack, MAX_BLOBS_PER_INDEX};
use crate::repo::lock::LockKind;
use crate::repo::pack::{self, BlobType, Compression, PackWriter};
use crate::repo::snapshot::{Snapshot, SnapshotStats, SourceKind};
use crate::repo::tree::{Node, NodeKind, Tree};
use crate::repo::uploader::Uploader;
use crate::repo::{Repository, Result};

/// The shape of a synthetic repository.
#[derive(Debug, Clone)]
pub struct Spec {
    pub blobs: u64,
    pub blobs_per_pack: u64,
    pub blobs_per_file: u64,
    pub files_per_dir: u64,
    /// Every pack whose number is a multiple of this is used by the old snapshot only:
    /// prune deletes it whole.
    pub drop_pack_every: u64,
    /// Every pack whose number is this much past such a multiple loses its second half
    /// to the old snapshot only: prune repacks it.
    pub thin_pack_offset: u64,
}

impl Spec {
    /// `blobs` blobs in 16-blob packs, 10% of the packs used only by the old snapshot
    /// and 1% half used by the new one.
    pub fn new(blobs: u64) -> Spec {
        Spec {
            blobs,
            blobs_per_pack: 16,
            blobs_per_file: 64,
            files_per_dir: 256,
            drop_pack_every: 10,
            thin_pack_offset: 5,
        }
    }

    fn pack_of(&self, i: u64) -> u64 {
        i / self.blobs_per_pack
    }

    /// Whether the newer snapshot leaves blob `i` out.
    pub fn dropped(&self, i: u64) -> bool {
        let p = self.pack_of(i);
        p.is_multiple_of(self.drop_pack_every)
            || (p % (self.drop_pack_every * 10) == self.thin_pack_offset
                && i % self.blobs_per_pack >= self.blobs_per_pack / 2)
    }

    pub fn packs(&self) -> u64 {
        self.blobs.div_ceil(self.blobs_per_pack)
    }

    /// Blobs only the old snapshot uses.
    pub fn dropped_count(&self) -> u64 {
        (0..self.blobs).filter(|&i| self.dropped(i)).count() as u64
    }

    /// Packs no blob of the new snapshot lives in.
    pub fn packs_unused(&self) -> u64 {
        (0..self.packs())
            .filter(|&p| {
                let end = ((p + 1) * self.blobs_per_pack).min(self.blobs);
                (p * self.blobs_per_pack..end).all(|i| self.dropped(i))
            })
            .count() as u64
    }

    /// Packs the new snapshot uses only partly.
    pub fn packs_half_used(&self) -> u64 {
        (0..self.packs())
            .filter(|&p| {
                let end = ((p + 1) * self.blobs_per_pack).min(self.blobs);
                let dropped = (p * self.blobs_per_pack..end)
                    .filter(|&i| self.dropped(i))
                    .count() as u64;
                dropped > 0 && dropped < end - p * self.blobs_per_pack
            })
            .count() as u64
    }
}

/// The content of blob `i`: unique, so every blob is stored once.
pub fn content(i: u64) -> Vec<u8> {
    format!("synthetic blob {i:016}\n").into_bytes()
}

/// The two manifests written.
#[derive(Debug)]
pub struct Built {
    pub old: SnapshotId,
    pub new: SnapshotId,
}

/// Writes the packs, index, trees and snapshots of `spec` into `repo`.
pub fn build(repo: &Repository, spec: &Spec) -> Result<Built> {
    repo.require_signer()?;
    let lock = repo.lock(LockKind::Shared, "synth")?;
    write_data(repo, spec)?;
    let up = Uploader::new(repo, &lock);
    let old_root = write_trees(repo, &up, spec, |_| true)?;
    let new_root = write_trees(repo, &up, spec, |i| !spec.dropped(i))?;
    let old = manifest(repo, old_root, spec, 1);
    let new = manifest(repo, new_root, spec, 0);
    // One session: trees, their index and the first manifest, then the second.
    let old = up.finish(Some(&old))?.expect("a manifest was given");
    let new = repo.write_snapshot(&new)?;
    Ok(Built { old, new })
}

/// Data packs, a batch of index objects' worth at a time (bounded memory), stored in
/// parallel since every put is synced.
fn write_data(repo: &Repository, spec: &Spec) -> Result<()> {
    let key = *repo.blob_key();
    let packs_per_index = (MAX_BLOBS_PER_INDEX as u64 / spec.blobs_per_pack).max(1);
    let mut first = 0;
    while first < spec.packs() {
        let last = (first + packs_per_index).min(spec.packs());
        let packs: Vec<IndexPack> = (first..last)
            .into_par_iter()
            .map(|p| {
                let mut w = PackWriter::new(repo.recipients(), Vec::new())?;
                let end = ((p + 1) * spec.blobs_per_pack).min(spec.blobs);
                for i in p * spec.blobs_per_pack..end {
                    let raw = content(i);
                    w.add(
                        blob_id(&key, &raw),
                        BlobType::Data,
                        &raw,
                        raw.len(),
                        Compression::None,
                    )?;
                }
                let (id, bytes, blobs) = w.finish()?;
                repo.backend().put(&pack::pack_name(&id), &bytes)?;
                Ok(IndexPack {
                    id,
                    size: bytes.len() as u64,
                    blobs,
                    writer: None,
                })
            })
            .collect::<Result<_>>()?;
        for file in IndexFile::split(packs) {
            repo.write_index(&file)?;
        }
        first = last;
    }
    Ok(())
}

fn node(name: String, kind: NodeKind) -> Node {
    let mode = if kind == NodeKind::Dir { 0o755 } else { 0o644 };
    let mut n = Node::empty(name.as_bytes(), kind, mode);
    n.mtime_ns = 1_700_000_000_000_000_000;
    n
}

/// One directory per `files_per_dir` files, one file per `blobs_per_file` blobs, each
/// file holding the blobs `keep` lets through (a file left with none is left out).
fn write_trees(
    repo: &Repository,
    up: &Uploader,
    spec: &Spec,
    keep: impl Fn(u64) -> bool + Sync,
) -> Result<BlobId> {
    let key = *repo.blob_key();
    let files = spec.blobs.div_ceil(spec.blobs_per_file);
    let dirs = files.div_ceil(spec.files_per_dir);
    let dir_nodes: Vec<Node> = (0..dirs)
        .into_par_iter()
        .map(|d| {
            let mut nodes = Vec::new();
            let last_file = ((d + 1) * spec.files_per_dir).min(files);
            for f in d * spec.files_per_dir..last_file {
                let mut n = node(format!("f{f:09}"), NodeKind::File);
                let end = ((f + 1) * spec.blobs_per_file).min(spec.blobs);
                for i in (f * spec.blobs_per_file..end).filter(|&i| keep(i)) {
                    let raw = content(i);
                    n.size += raw.len() as u64;
                    n.content.push(blob_id(&key, &raw));
                }
                if !n.content.is_empty() {
                    nodes.push(n);
                }
            }
            let mut dir = node(format!("d{d:07}"), NodeKind::Dir);
            dir.subtree = Some(up.add(BlobType::Tree, &Tree { nodes }.to_bytes())?);
            Ok(dir)
        })
        .collect::<Result<_>>()?;
    up.add(BlobType::Tree, &Tree { nodes: dir_nodes }.to_bytes())
}

fn manifest(repo: &Repository, tree: BlobId, spec: &Spec, days_ago: i64) -> Snapshot {
    Snapshot {
        version: 1,
        time: Utc::now() - Duration::days(days_ago),
        host: "synthetic".to_string(),
        profile: None,
        source: SourceKind::Files,
        paths: vec!["/synthetic".to_string()],
        tags: Vec::new(),
        tree,
        parent: None,
        chunk_sizes: repo.chunk_sizes(false),
        stats: SnapshotStats {
            total_bytes: (0..spec.blobs).map(|i| content(i).len() as u64).sum(),
            ..SnapshotStats::default()
        },
        tool: format!("cairn {}", env!("CARGO_PKG_VERSION")),
        databases: Vec::new(),
        repaired: None,
        copied_from: None,
    }
}
