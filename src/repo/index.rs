//! Index files: which blobs live in which packs. Each backup session writes its own;
//! prune merges them.

use serde::{Deserialize, Serialize};

use super::pack::PackEntry;
use crate::ids::PackId;

/// Blobs per index file; keeps each object small enough to fetch and decrypt quickly.
pub const MAX_BLOBS_PER_INDEX: usize = 100_000;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct IndexPack {
    pub id: PackId,
    pub size: u64,
    pub blobs: Vec<PackEntry>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct IndexFile {
    pub packs: Vec<IndexPack>,
}

impl IndexFile {
    /// Splits packs into index files of bounded size.
    pub fn split(packs: Vec<IndexPack>) -> Vec<IndexFile> {
        let mut out = Vec::new();
        let mut cur = IndexFile::default();
        let mut blobs = 0;
        for p in packs {
            if blobs + p.blobs.len() > MAX_BLOBS_PER_INDEX && !cur.packs.is_empty() {
                out.push(std::mem::take(&mut cur));
                blobs = 0;
            }
            blobs += p.blobs.len();
            cur.packs.push(p);
        }
        if !cur.packs.is_empty() {
            out.push(cur);
        }
        out
    }
}
