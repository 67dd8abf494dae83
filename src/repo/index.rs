//! Index files: which blobs live in which packs. Each backup session writes its own;
//! prune merges them.

use std::io::Write;

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
    /// The write-only host key (fingerprint) that stored the pack; readers set it from
    /// the signature of a host's index object, whatever the object says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub writer: Option<String>,
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

/// An index file compressed as its packs are stored, so that a backup's end only
/// encrypts and writes it: serialising and compressing 65k entries after the last
/// upload was most of the serial tail of a big stream's backup (docs/BENCHMARKS.md).
/// The JSON is the same as `IndexFile`'s.
pub struct IndexDraft {
    file: IndexFile,
    blobs: usize,
    z: zstd::Encoder<'static, Vec<u8>>,
}

impl IndexDraft {
    pub fn new() -> IndexDraft {
        let mut z = zstd::Encoder::new(Vec::new(), INDEX_LEVEL).expect("zstd level 3 is valid");
        z.write_all(b"{\"packs\":[").expect("writing to memory");
        IndexDraft {
            file: IndexFile::default(),
            blobs: 0,
            z,
        }
    }

    /// Whether `pack` belongs in a file of its own (`split_with`'s rule).
    pub fn is_full_for(&self, pack: &IndexPack) -> bool {
        self.blobs + pack.blobs.len() > MAX_BLOBS_PER_INDEX && !self.file.packs.is_empty()
    }

    pub fn push(&mut self, pack: IndexPack) {
        if !self.file.packs.is_empty() {
            self.z.write_all(b",").expect("writing to memory");
        }
        serde_json::to_writer(&mut self.z, &pack).expect("index serialises");
        self.blobs += pack.blobs.len();
        self.file.packs.push(pack);
    }

    pub fn is_empty(&self) -> bool {
        self.file.packs.is_empty()
    }

    /// The index and its compressed JSON.
    pub fn finish(mut self) -> (IndexFile, Vec<u8>) {
        self.z.write_all(b"]}").expect("writing to memory");
        (self.file, self.z.finish().expect("writing to memory"))
    }
}

impl Default for IndexDraft {
    fn default() -> IndexDraft {
        IndexDraft::new()
    }
}

/// The zstd level of index objects.
pub const INDEX_LEVEL: i32 = 3;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::BlobId;
    use crate::repo::pack::{BlobType, Compression};

    fn pack(n: u8, blobs: usize) -> IndexPack {
        IndexPack {
            id: PackId([n; 32]),
            size: 1000 + u64::from(n),
            blobs: (0..blobs)
                .map(|i| PackEntry {
                    id: BlobId(*blake3::hash(&[n, i as u8, (i >> 8) as u8]).as_bytes()),
                    kind: BlobType::Data,
                    offset: i as u64 * 10,
                    length: 10,
                    raw_length: 20,
                    // Deltas carry their base in the JSON too.
                    compression: if i == 1 {
                        Compression::Delta
                    } else {
                        Compression::Zstd
                    },
                    base: (i == 1).then_some(BlobId([n; 32])),
                })
                .collect(),
            writer: None,
        }
    }

    #[test]
    fn a_draft_holds_the_json_of_its_index_file() {
        for packs in [
            vec![],
            vec![pack(1, 3)],
            vec![pack(1, 3), pack(2, 0), pack(3, 300)],
        ] {
            let mut draft = IndexDraft::new();
            for p in packs.clone() {
                draft.push(p);
            }
            let (file, z) = draft.finish();
            let json = zstd::decode_all(&z[..]).unwrap();
            let whole = IndexFile { packs };
            assert_eq!(json, serde_json::to_vec(&whole).unwrap());
            assert_eq!(serde_json::to_vec(&file).unwrap(), json);
        }
    }

    #[test]
    fn a_draft_is_full_where_split_would_cut() {
        let packs = [pack(1, 200), pack(2, 200)];
        let big = MAX_BLOBS_PER_INDEX - 300;
        let mut draft = IndexDraft::new();
        draft.push(IndexPack {
            blobs: vec![pack(9, 1).blobs[0].clone(); big],
            ..pack(9, 0)
        });
        assert!(!draft.is_full_for(&packs[0]));
        draft.push(packs[0].clone());
        assert!(draft.is_full_for(&packs[1]));
        // An empty draft takes any pack, however large.
        assert!(!IndexDraft::new().is_full_for(&IndexPack {
            blobs: vec![pack(9, 1).blobs[0].clone(); MAX_BLOBS_PER_INDEX + 1],
            ..pack(9, 0)
        }));
    }
}
