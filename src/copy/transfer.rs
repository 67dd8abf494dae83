//! The blobs of one snapshot moved from the source into a destination upload session:
//! walk the source's trees, find the data blobs the destination lacks, read them pack by
//! pack (each needed pack downloaded once), then store the trees, rewritten with the
//! destination's ids when the two repositories' ids differ.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::atomic::Ordering;

use rayon::prelude::*;

use super::{CopyError, Result};
use crate::ids::{BlobId, PackId};
use crate::repo::lock::LockGuard;
use crate::repo::pack::{BlobType, PackEntry};
use crate::repo::tree::Tree;
use crate::repo::uploader::Uploader;
use crate::repo::Repository;
use crate::ui::Progress;

/// The trees of a snapshot as stored in the source, and its data blobs.
pub(super) struct Walked {
    root: BlobId,
    trees: HashMap<BlobId, (Vec<u8>, Tree)>,
    /// Distinct, in the order the walk met them.
    data: Vec<BlobId>,
}

/// Source data blob id → destination id, for blobs the destination holds.
type IdMap = HashMap<BlobId, BlobId>;

pub(super) struct Transfer<'a> {
    src: &'a Repository,
    dest: &'a Repository,
    /// Both give a blob the same id (`init --copy-params-from`): nothing to re-hash.
    shared: bool,
}

impl<'a> Transfer<'a> {
    pub fn new(src: &'a Repository, dest: &'a Repository) -> Transfer<'a> {
        Transfer {
            src,
            dest,
            shared: src.blob_key() == dest.blob_key(),
        }
    }

    fn src_err(&self) -> impl Fn(crate::repo::RepoError) -> CopyError + 'a {
        CopyError::source(self.src)
    }

    fn dest_err(&self) -> impl Fn(crate::repo::RepoError) -> CopyError + 'a {
        CopyError::destination(self.dest)
    }

    /// Reads every tree below `root` (each distinct tree once).
    pub fn walk(&self, root: &BlobId) -> Result<Walked> {
        let mut trees = HashMap::new();
        let mut data = Vec::new();
        let mut seen_data = HashSet::new();
        let mut stack = vec![*root];
        while let Some(id) = stack.pop() {
            if trees.contains_key(&id) {
                continue;
            }
            crate::interrupt::check().map_err(|e| self.src_err()(e.into()))?;
            let raw = self.src.read_blob(&id).map_err(self.src_err())?;
            let tree: Tree = serde_json::from_slice(&raw).map_err(|e| {
                self.src_err()(crate::repo::RepoError::Invalid(format!(
                    "tree {id}: malformed: {e}"
                )))
            })?;
            for node in &tree.nodes {
                stack.extend(node.subtree);
                for c in &node.content {
                    if seen_data.insert(*c) {
                        data.push(*c);
                    }
                }
            }
            trees.insert(id, (raw, tree));
        }
        self.src.forget_cached_packs();
        Ok(Walked {
            root: *root,
            trees,
            data,
        })
    }

    /// The destination's id of a source data blob, when the destination holds it.
    fn held(&self, id: &BlobId) -> Result<Option<BlobId>> {
        let cache = self.dest.cache();
        let dest_id = match self.shared {
            true => *id,
            false => match cache
                .copied_id(&self.src.config().id, id)
                .map_err(|e| self.dest_err()(e.into()))?
            {
                Some(d) => d,
                None => return Ok(None),
            },
        };
        let present = cache
            .contains(&dest_id)
            .map_err(|e| self.dest_err()(e.into()))?;
        Ok(present.then_some(dest_id))
    }

    /// The data blobs the destination holds (with their ids there) and, for the others,
    /// where the source keeps them.
    pub fn needed(&self, walked: &Walked) -> Result<(IdMap, Vec<(PackId, PackEntry)>)> {
        let mut known = IdMap::new();
        let mut missing = Vec::new();
        for id in &walked.data {
            match self.held(id)? {
                Some(d) => {
                    known.insert(*id, d);
                }
                None => missing.push(self.src.locate(id).map_err(self.src_err())?),
            }
        }
        Ok((known, missing))
    }

    /// Stores the missing data blobs and the trees in a new upload session; returns the
    /// root tree's id in the destination, the bytes stored, and the session, for the
    /// caller to finish with the snapshot.
    pub fn store(
        &self,
        lock: &'a LockGuard,
        walked: &Walked,
        mut known: IdMap,
        missing: Vec<(PackId, PackEntry)>,
        bytes: u64,
    ) -> Result<(BlobId, u64, Uploader<'a>)> {
        let mut up = Uploader::new(self.dest, lock);
        let progress = Progress::new(Some(bytes), "copy");
        self.copy_data(&up, missing, &mut known, &progress)?;
        progress.finish();
        let mut trees = IdMap::new();
        let root = self.copy_tree(&up, &walked.root, walked, &known, &mut trees)?;
        crate::interrupt::check().map_err(|e| self.dest_err()(e.into()))?;
        up.flush().map_err(self.dest_err())?;
        let stored = up.stats.bytes_stored.load(Ordering::Relaxed);
        Ok((root, stored, up))
    }

    /// Reads the missing blobs, one source pack at a time, and adds them to `up`.
    fn copy_data(
        &self,
        up: &Uploader,
        missing: Vec<(PackId, PackEntry)>,
        known: &mut IdMap,
        progress: &Progress,
    ) -> Result<()> {
        let mut by_pack: BTreeMap<PackId, Vec<PackEntry>> = BTreeMap::new();
        for (pack, entry) in missing {
            by_pack.entry(pack).or_default().push(entry);
        }
        let packs: Vec<PackId> = by_pack.keys().copied().collect();
        let source = self.src.config().id.clone();
        self.src.read_packs_ahead(packs, |pack_id, pack| {
            let pack = pack.map_err(self.src_err())?;
            let moved: Vec<(BlobId, BlobId)> = by_pack[&pack_id]
                .par_iter()
                .map(|entry| {
                    // A delta is rebuilt from its base and stored whole: the
                    // destination need not hold the base.
                    let raw = self.src.blob_in(&pack, entry).map_err(self.src_err())?;
                    let id = up.add(BlobType::Data, &raw).map_err(self.dest_err())?;
                    progress.add(raw.len() as u64);
                    Ok((entry.id, id))
                })
                .collect::<Result<_>>()?;
            if !self.shared {
                // Remembered at once: an interrupted copy knows on its next run which
                // ids the blobs it stored (and indexed on the way out) have.
                self.dest
                    .cache()
                    .put_copied_ids(&source, &moved)
                    .map_err(|e| self.dest_err()(e.into()))?;
            }
            known.extend(moved);
            Ok(())
        })
    }

    /// Stores the tree `id` and those below it; returns its id in the destination.
    fn copy_tree(
        &self,
        up: &Uploader,
        id: &BlobId,
        walked: &Walked,
        data: &IdMap,
        trees: &mut IdMap,
    ) -> Result<BlobId> {
        if let Some(d) = trees.get(id) {
            return Ok(*d);
        }
        let (raw, tree) = &walked.trees[id];
        let mut tree = tree.clone();
        for node in &mut tree.nodes {
            if let Some(sub) = &node.subtree {
                node.subtree = Some(self.copy_tree(up, sub, walked, data, trees)?);
            }
            for c in &mut node.content {
                *c = *data.get(c).ok_or_else(|| {
                    self.src_err()(crate::repo::RepoError::Invalid(format!(
                        "blob {c} was not copied"
                    )))
                })?;
            }
        }
        // With shared ids the stored bytes are kept as they are, so the tree keeps its
        // id (and whatever fields a newer cairn wrote into it).
        let bytes = match self.shared {
            true => raw.clone(),
            false => tree.to_bytes(),
        };
        let new = up.add(BlobType::Tree, &bytes).map_err(self.dest_err())?;
        trees.insert(*id, new);
        Ok(new)
    }
}
