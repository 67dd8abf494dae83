//! Index files: which blobs live in which packs. Each backup session writes its own;
//! prune merges them.

use serde::{Deserialize, Serialize};

use super::pack::PackEntry;
use crate::ids::PackId;

/// Blobs per index file; keeps each object small enough to fetch and decrypt quickly.
pub const MAX_BLOBS_PER_INDEX: usize = 100_000;

/// Largest decompressed index object a reader accepts. A blob's entry is at most ~190
/// bytes of JSON, so this holds over a million entries: ten times what a writer puts
/// in one file, with room for a single pack of tiny blobs that exceeds the split size.
/// Anything larger is a zstd bomb, not an index.
pub const MAX_INDEX_JSON: usize = 256 << 20;

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
        let all = packs.into_iter().map(Ok::<_, std::convert::Infallible>);
        let Ok(()) = Self::split_with(all, |f| {
            out.push(f);
            Ok(())
        });
        out
    }

    /// Groups packs into index files of bounded size as they arrive and hands each file
    /// to `emit`, so a caller streaming many packs (prune) holds one file at a time.
    pub fn split_with<E>(
        packs: impl IntoIterator<Item = Result<IndexPack, E>>,
        mut emit: impl FnMut(IndexFile) -> Result<(), E>,
    ) -> Result<(), E> {
        let mut cur = IndexFile::default();
        let mut blobs = 0;
        for p in packs {
            let p = p?;
            if blobs + p.blobs.len() > MAX_BLOBS_PER_INDEX && !cur.packs.is_empty() {
                emit(std::mem::take(&mut cur))?;
                blobs = 0;
            }
            blobs += p.blobs.len();
            cur.packs.push(p);
        }
        if !cur.packs.is_empty() {
            emit(cur)?;
        }
        Ok(())
    }
}
