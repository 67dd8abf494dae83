//! Choosing the base of a delta blob (format 3): the chunk of the parent snapshot's
//! version of the same file (same stream name, same dump, same path) that sits where
//! the new chunk sits.
//!
//! The new chunks are walked alongside the parent's content list by stream offset. The
//! offset mapping is corrected at every chunk the parent also had: a chunk found at
//! position `p` of the parent list puts the parent cursor right after it, so rows
//! inserted or deleted earlier in the stream do not shift every later base. A new chunk
//! then takes as base the parent chunk under its middle byte; if that chunk is itself a
//! delta, its base (bases are full blobs, so reading a delta takes one other blob).

use std::collections::HashMap;

use rayon::prelude::*;

use crate::ids::BlobId;
use crate::repo::pack::{delta::DELTA_MAX, Compression};
use crate::repo::tree::NodeKind;
use crate::repo::Repository;

/// The parent snapshot's root tree, where earlier versions of files are looked up.
/// Empty when there is no parent, or deltas are off.
#[derive(Default)]
pub struct ParentTree {
    root: Option<BlobId>,
}

impl ParentTree {
    pub fn new(root: Option<BlobId>) -> ParentTree {
        ParentTree { root }
    }

    /// The parent's content list of the file at `path` (names from the root), or
    /// `None` if it had none there. A parent that cannot be read only costs deltas.
    pub fn content(&self, repo: &Repository, path: &[&[u8]]) -> Option<ParentList> {
        let mut tree = self.root?;
        for (i, name) in path.iter().enumerate() {
            let t = repo.read_tree(&tree).ok()?;
            let node = t.nodes.into_iter().find(|n| n.name_raw() == *name)?;
            if i + 1 == path.len() {
                return (node.kind == NodeKind::File && !node.content.is_empty())
                    .then(|| ParentList::new(repo, node.content));
            }
            tree = node.subtree?;
        }
        None
    }
}

/// A parent version of a file: where each of its blobs starts, and the base a new
/// chunk at that place would take.
pub struct ParentList {
    /// Start offset of each blob, and the total length last.
    starts: Vec<u64>,
    /// The full blob to delta against for each position: the blob itself, or its base
    /// when it is a delta; `None` when it is too big or unknown to the index.
    bases: Vec<Option<BlobId>>,
    /// First position of each blob id.
    pos: HashMap<BlobId, u32>,
}

impl ParentList {
    fn new(repo: &Repository, ids: Vec<BlobId>) -> ParentList {
        let found: Vec<(u64, Option<BlobId>)> = ids
            .par_iter()
            .map(|id| match repo.cache().lookup(id) {
                Ok(Some((_, e))) => {
                    let base = match e.compression {
                        Compression::Delta => e.base,
                        _ => Some(e.id),
                    };
                    (
                        u64::from(e.raw_length),
                        base.filter(|_| e.raw_length as usize <= DELTA_MAX),
                    )
                }
                _ => (0, None),
            })
            .collect();
        let mut starts = Vec::with_capacity(ids.len() + 1);
        let mut at = 0u64;
        for (len, _) in &found {
            starts.push(at);
            at += len;
        }
        starts.push(at);
        let mut pos = HashMap::with_capacity(ids.len());
        for (i, id) in ids.iter().enumerate() {
            pos.entry(*id).or_insert(i as u32);
        }
        ParentList {
            starts,
            bases: found.into_iter().map(|(_, b)| b).collect(),
            pos,
        }
    }

    /// A list made of blobs of the given lengths, each its own base (tests).
    #[cfg(test)]
    fn of(blobs: &[(BlobId, u64)]) -> ParentList {
        let mut starts = vec![0];
        for (_, len) in blobs {
            starts.push(starts.last().unwrap() + len);
        }
        let ids: Vec<BlobId> = blobs.iter().map(|(id, _)| *id).collect();
        let mut pos = HashMap::new();
        for (i, id) in ids.iter().enumerate() {
            pos.entry(*id).or_insert(i as u32);
        }
        ParentList {
            bases: ids.iter().map(|id| Some(*id)).collect(),
            starts,
            pos,
        }
    }
}

/// Walks new chunks alongside a parent list (see the module doc).
pub struct Aligner<'a> {
    list: &'a ParentList,
    /// Parent offset minus new offset, as last anchored.
    shift: i64,
    /// Offset of the next new chunk.
    offset: u64,
}

impl<'a> Aligner<'a> {
    pub fn new(list: &'a ParentList) -> Aligner<'a> {
        Aligner {
            list,
            shift: 0,
            offset: 0,
        }
    }

    /// The base for the next chunk (`id`, `len` bytes): `None` when the parent had this
    /// very chunk (it is deduplicated, and re-anchors the walk) or nothing at its place.
    pub fn next(&mut self, id: &BlobId, len: usize) -> Option<BlobId> {
        let at = self.offset;
        self.offset += len as u64;
        let list = self.list;
        if let Some(&p) = list.pos.get(id) {
            self.shift = list.starts[p as usize] as i64 - at as i64;
            return None;
        }
        let middle = at as i64 + self.shift + (len / 2) as i64;
        let total = *list.starts.last().expect("starts has the total") as i64;
        if middle < 0 || middle >= total {
            return None;
        }
        let middle = middle as u64;
        let p = list.starts.partition_point(|&s| s <= middle) - 1;
        list.bases[p].filter(|b| b != id)
    }
}

/// The aligner over several batches of one stream.
pub struct StreamBases<'a> {
    aligner: Option<Aligner<'a>>,
}

impl<'a> StreamBases<'a> {
    pub fn new(list: Option<&'a ParentList>) -> StreamBases<'a> {
        StreamBases {
            aligner: list.map(Aligner::new),
        }
    }

    /// Bases for the next chunks of the stream.
    pub fn next(&mut self, chunks: &[(BlobId, usize)]) -> Vec<Option<BlobId>> {
        match &mut self.aligner {
            None => vec![None; chunks.len()],
            Some(a) => chunks.iter().map(|(id, len)| a.next(id, *len)).collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(n: u8) -> BlobId {
        BlobId([n; 32])
    }

    fn bases_for(list: Option<&ParentList>, chunks: &[(BlobId, usize)]) -> Vec<Option<BlobId>> {
        StreamBases::new(list).next(chunks)
    }

    #[test]
    fn an_edited_chunk_takes_the_parent_chunk_at_its_place() {
        let parent = ParentList::of(&[(id(1), 100), (id(2), 100), (id(3), 100), (id(4), 100)]);
        // Chunk 2 changed (same length), 3 and 4 kept.
        let new = [(id(1), 100), (id(22), 100), (id(3), 100), (id(4), 100)];
        assert_eq!(
            bases_for(Some(&parent), &new),
            vec![None, Some(id(2)), None, None]
        );
    }

    #[test]
    fn deduplicated_chunks_re_anchor_the_walk() {
        let parent = ParentList::of(&[
            (id(1), 100),
            (id(2), 100),
            (id(3), 100),
            (id(4), 100),
            (id(5), 100),
        ]);
        // Chunk 2 was replaced by 250 new bytes (two chunks), and chunk 4 changed and
        // shrank: by offset alone the changed chunk would sit on chunk 5; chunk 3,
        // found in the parent, puts it back on 4.
        let new = [
            (id(1), 100),
            (id(10), 125),
            (id(11), 125),
            (id(3), 100),
            (id(44), 60),
            (id(5), 100),
        ];
        let bases = bases_for(Some(&parent), &new);
        // The new chunks fall on 2 and 3 by offset (the best there is).
        assert_eq!(bases[1], Some(id(2)));
        // After 3 re-anchors, the changed chunk sits on 4.
        assert_eq!(bases[4], Some(id(4)));
        assert_eq!(bases[3], None);
        assert_eq!(bases[5], None);
        // A stream longer than its parent has no base past the end.
        let longer = [(id(9), 500), (id(8), 100)];
        assert_eq!(bases_for(Some(&parent), &longer)[1], None);
        assert_eq!(bases_for(None, &new), vec![None; 6]);
    }
}
