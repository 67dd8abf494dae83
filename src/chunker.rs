//! Content-defined chunking (FastCDC 2020) with a secret per-repository gear seed, and
//! keyed BLAKE3 blob ids.
//!
//! The seed matters: with the public gear table, chunk boundaries (and so the sizes of
//! stored blobs) depend only on content, which lets whoever holds the storage test
//! whether a known file was backed up. Seeding does not make that impossible against a
//! determined attacker (the seed is XORed into the table), but it removes the cheap
//! offline version of the attack; docs/FORMAT.md states the limit.

use std::io::{self, Read};

use fastcdc::v2020::{cut_gear, get_gear_with_seed, select_masks, Normalization};
use serde::{Deserialize, Serialize};

use crate::ids::BlobId;

/// Chunk size bounds in bytes; recorded in the config and in every snapshot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChunkSizes {
    pub min: u32,
    pub avg: u32,
    pub max: u32,
}

impl ChunkSizes {
    /// For file trees: large chunks keep the index small and compression effective.
    pub const FILES: ChunkSizes = ChunkSizes {
        min: 256 * 1024,
        avg: 1024 * 1024,
        max: 4 * 1024 * 1024,
    };
    /// For database dumps read from a stream: a 1% change in rows must not re-store
    /// most of the dump, so chunks are much smaller (measured in docs/BENCHMARKS.md).
    pub const STREAM: ChunkSizes = ChunkSizes {
        min: 4 * 1024,
        avg: 16 * 1024,
        max: 64 * 1024,
    };
}

/// A configured chunker; cheap to share between threads.
#[derive(Clone)]
pub struct Chunker {
    sizes: ChunkSizes,
    masks: (u64, u64),
    gear: std::borrow::Cow<'static, [u64]>,
    gear_ls: std::borrow::Cow<'static, [u64]>,
}

impl Chunker {
    pub fn new(sizes: ChunkSizes, seed: u64) -> Chunker {
        let masks = select_masks(sizes.avg as usize, Normalization::Level1);
        let (gear, gear_ls) = get_gear_with_seed(seed);
        Chunker {
            sizes,
            masks,
            gear,
            gear_ls,
        }
    }

    pub fn sizes(&self) -> ChunkSizes {
        self.sizes
    }

    /// Length of the first chunk of `data`, which must hold at least `max` bytes unless
    /// it is the end of the input.
    fn cut(&self, data: &[u8]) -> usize {
        let (mask_s, mask_l) = self.masks;
        let (_, len) = cut_gear(
            data,
            self.sizes.min as usize,
            self.sizes.avg as usize,
            self.sizes.max as usize,
            mask_s,
            mask_l,
            mask_s << 1,
            mask_l << 1,
            &self.gear,
            &self.gear_ls,
        );
        len
    }

    /// Reads `reader` to the end and calls `each` with every chunk in order. Memory use
    /// is a few times the maximum chunk size, whatever the input size.
    pub fn for_each_chunk<R: Read>(
        &self,
        reader: R,
        each: impl FnMut(&[u8]) -> io::Result<()>,
    ) -> io::Result<u64> {
        self.for_each_chunk_sized(reader, None, each)
    }

    /// As `for_each_chunk`, with the input's expected size (a file's length), so a small
    /// file costs a buffer of its own size rather than one for a stream.
    pub fn for_each_chunk_sized<R: Read>(
        &self,
        mut reader: R,
        size_hint: Option<u64>,
        mut each: impl FnMut(&[u8]) -> io::Result<()>,
    ) -> io::Result<u64> {
        let max = self.sizes.max as usize;
        // Twice the largest chunk: a refill always leaves a whole chunk to cut.
        let stream_buf = (2 * max).max(1 << 20);
        // One byte more than the hint, so reaching the end needs no second read. A file
        // that grew past its hint is still read whole; only its cut points are forced.
        let len = size_hint.map_or(stream_buf, |h| {
            (h as usize).saturating_add(1).clamp(8192, stream_buf)
        });
        // Small inputs (most files of a tree) reuse this thread's buffer: allocating and
        // zeroing a fresh one per file showed up as page clearing in profiles.
        if len <= REUSED_BUFFER {
            return SMALL_BUF.with(|cell| {
                let mut buf = cell.take();
                if buf.len() < len {
                    buf.resize(len, 0);
                }
                let r = self.run(&mut reader, &mut buf[..len], &mut each);
                cell.replace(buf);
                r
            });
        }
        self.run(&mut reader, &mut vec![0u8; len], &mut each)
    }

    fn run<R: Read>(
        &self,
        reader: &mut R,
        buf: &mut [u8],
        each: &mut impl FnMut(&[u8]) -> io::Result<()>,
    ) -> io::Result<u64> {
        let max = self.sizes.max as usize;
        let (mut start, mut end, mut eof, mut total) = (0usize, 0usize, false, 0u64);
        loop {
            if !eof && end - start < max {
                buf.copy_within(start..end, 0);
                end -= start;
                start = 0;
                while !eof && end < buf.len() {
                    match reader.read(&mut buf[end..]) {
                        Ok(0) => eof = true,
                        Ok(n) => end += n,
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                        Err(e) => return Err(e),
                    }
                }
            }
            if start == end {
                return Ok(total);
            }
            let len = self.cut(&buf[start..end]);
            each(&buf[start..start + len])?;
            total += len as u64;
            start += len;
        }
    }
}

/// Largest buffer kept per thread between inputs.
const REUSED_BUFFER: usize = (1 << 20) + 1;

thread_local! {
    static SMALL_BUF: std::cell::Cell<Vec<u8>> = const { std::cell::Cell::new(Vec::new()) };
}

/// The blob id: BLAKE3 keyed with the repository's secret, so that the storage provider
/// cannot confirm a guess about the content.
pub fn blob_id(key: &[u8; 32], data: &[u8]) -> BlobId {
    BlobId(*blake3::keyed_hash(key, data).as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pseudo_random(n: usize, seed: u64) -> Vec<u8> {
        let mut x = seed | 1;
        (0..n)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x as u8
            })
            .collect()
    }

    fn lengths(c: &Chunker, data: &[u8]) -> Vec<usize> {
        let mut v = Vec::new();
        c.for_each_chunk(data, |ch| {
            v.push(ch.len());
            Ok(())
        })
        .unwrap();
        v
    }

    #[test]
    fn chunks_cover_input_within_bounds() {
        let data = pseudo_random(3_000_000, 7);
        let c = Chunker::new(ChunkSizes::STREAM, 42);
        let lens = lengths(&c, &data);
        assert_eq!(lens.iter().sum::<usize>(), data.len());
        let (min, max) = (
            ChunkSizes::STREAM.min as usize,
            ChunkSizes::STREAM.max as usize,
        );
        assert!(lens[..lens.len() - 1].iter().all(|&l| l >= min && l <= max));
        assert!(lens.len() > 10);
    }

    #[test]
    fn boundaries_resynchronise_after_an_insert() {
        let data = pseudo_random(2_000_000, 3);
        let mut edited = data.clone();
        edited.splice(500_000..500_000, b"inserted bytes".iter().copied());
        let c = Chunker::new(ChunkSizes::STREAM, 9);
        let ids = |d: &[u8]| {
            let mut v = Vec::new();
            c.for_each_chunk(d, |ch| {
                v.push(blob_id(&[1; 32], ch));
                Ok(())
            })
            .unwrap();
            v
        };
        let (a, b) = (ids(&data), ids(&edited));
        let shared = b.iter().filter(|id| a.contains(id)).count();
        assert!(shared + 3 >= a.len(), "{shared} of {} shared", a.len());
    }

    #[test]
    fn seed_changes_boundaries() {
        let data = pseudo_random(2_000_000, 5);
        let a = lengths(&Chunker::new(ChunkSizes::STREAM, 1), &data);
        let b = lengths(&Chunker::new(ChunkSizes::STREAM, 2), &data);
        assert_ne!(a, b);
    }

    #[test]
    fn blob_ids_are_keyed() {
        assert_ne!(blob_id(&[1; 32], b"x"), blob_id(&[2; 32], b"x"));
        assert_eq!(blob_id(&[1; 32], b"x"), blob_id(&[1; 32], b"x"));
    }

    #[test]
    fn wrong_size_hints_lose_nothing() {
        let data = pseudo_random(5_000_000, 8);
        let c = Chunker::new(ChunkSizes::FILES, 1);
        for hint in [0u64, 100, 4_999_999, 5_000_000, 50_000_000] {
            let mut got = Vec::new();
            c.for_each_chunk_sized(&data[..], Some(hint), |ch| {
                got.extend_from_slice(ch);
                Ok(())
            })
            .unwrap();
            assert!(got == data, "hint {hint}");
        }
        // A correct hint gives the same chunks as no hint.
        let mut a = Vec::new();
        c.for_each_chunk_sized(&data[..], Some(data.len() as u64), |ch| {
            a.push(ch.len());
            Ok(())
        })
        .unwrap();
        assert_eq!(a, lengths(&c, &data));
    }

    #[test]
    fn empty_and_tiny_inputs() {
        let c = Chunker::new(ChunkSizes::FILES, 0);
        assert!(lengths(&c, b"").is_empty());
        assert_eq!(lengths(&c, b"abc"), vec![3]);
    }
}
