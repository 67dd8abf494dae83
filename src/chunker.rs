//! Content-defined chunking (FastCDC 2020) with a secret per-repository gear table, and
//! keyed BLAKE3 blob ids.
//!
//! The table matters: with the public gear table, chunk boundaries (and so the sizes of
//! stored blobs) depend only on content, which lets whoever holds the storage test
//! whether a known file was backed up. New repositories derive all 256 entries from a
//! 256-bit key with BLAKE3 (`GearTable::Keyed`); repositories made before that XOR a
//! 64-bit seed into the public table (`GearTable::XorSeed`), whose few effective bits
//! the 2025 chunking-attack papers recover from a handful of observed boundaries.
//! Those keep their chunker so that new backups still deduplicate against old blobs.
//! docs/FORMAT.md ("Chunking", threat model) states what either leaves exposed.
//!
//! Dumps are cut at row ends (`Chunker::with_rows`): a byte-wise rolling hash finds few
//! cut points in rows that are mostly the same bytes (pgbench's accounts rows are 84
//! blanks and a few digits: 16 KiB chunks came out at 31 KiB on average, many at the
//! 64 KiB maximum), and a cut inside a row ties two rows' fates together. Instead every
//! line is hashed whole, with the same secret table, and a chunk may end after a line
//! with a probability proportional to the line's length, so chunks keep their average
//! size whatever the rows look like. Where no row qualifies before the maximum (binary
//! data, very long lines) the usual FastCDC cut applies.

use std::borrow::Cow;
use std::io::{self, Read};

use fastcdc::v2020::{cut_gear, get_gear_with_seed, select_masks, Normalization};
use serde::{Deserialize, Serialize};

use crate::ids::BlobId;

mod rows;

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
    /// For database dumps (streams and dump files): a 1% change in rows must not
    /// re-store most of the dump, so chunks are smaller than files'. Measured on a 4-day
    /// pgbench series (docs/BENCHMARKS.md, "Bigger stream chunks, bigger frames"): with
    /// delta blobs a changed chunk costs its delta whatever its size, so 64 KiB chunks
    /// store less than 16 KiB ones both on the first day (49.5 MB against 54.6: a
    /// quarter of the blob ids in pack headers, index and tree) and on later days
    /// (+3.5 to +4.5 MB against +4.4 to +5.8). 128 KiB chunks with a 512 KiB maximum
    /// lost the deltas of their largest chunks (+17 to +20 MB a day). The maximum is
    /// what frames and deltas take (`FRAME_MEMBER_MAX`). Older repositories keep the
    /// sizes their config records (4/16/64 or 2/8/32 KiB).
    pub const STREAM: ChunkSizes = ChunkSizes {
        min: 16 * 1024,
        avg: 64 * 1024,
        max: 256 * 1024,
    };
}

/// Context string of the BLAKE3 key derivation that makes a keyed gear table. Fixed
/// forever: changing it changes every cut point of every repository that uses it.
pub const GEAR_PRF_V1_CONTEXT: &str = "cairn 2026-12-03 gear-prf-v1 FastCDC gear table";

/// Where the 256 gear values come from.
#[derive(Clone, Copy)]
pub enum GearTable<'a> {
    /// Format of repositories made before `gear-prf-v1`: fastcdc's public table with a
    /// 64-bit seed XORed into every entry.
    XorSeed(u64),
    /// Every entry a 64-bit output of BLAKE3 derive_key(`GEAR_PRF_V1_CONTEXT`, key).
    Keyed(&'a [u8; 32]),
}

/// The gear table and its one-bit left shift, which `cut_gear` takes for the first
/// byte of each pair it scans (fastcdc's own `GEAR_LS` is `GEAR << 1`, and its seeded
/// variant XORs `seed << 1` into it, which is the same thing).
fn gear_tables(table: GearTable) -> (Cow<'static, [u64]>, Cow<'static, [u64]>) {
    match table {
        GearTable::XorSeed(seed) => get_gear_with_seed(seed),
        GearTable::Keyed(key) => {
            let mut bytes = [0u8; 256 * 8];
            blake3::Hasher::new_derive_key(GEAR_PRF_V1_CONTEXT)
                .update(key)
                .finalize_xof()
                .fill(&mut bytes);
            let gear: Vec<u64> = bytes
                .chunks_exact(8)
                .map(|b| u64::from_le_bytes(b.try_into().expect("8-byte chunk")))
                .collect();
            let gear_ls = gear.iter().map(|g| g << 1).collect();
            (Cow::Owned(gear), Cow::Owned(gear_ls))
        }
    }
}

/// A configured chunker; cheap to share between threads.
#[derive(Clone)]
pub struct Chunker {
    sizes: ChunkSizes,
    /// Cut at row (line) ends where possible; see the module doc.
    rows: bool,
    masks: (u64, u64),
    gear: Cow<'static, [u64]>,
    gear_ls: Cow<'static, [u64]>,
    /// Where a run of at least `max` zeros is cut (see `run`), found on first need.
    zero_cut: std::sync::OnceLock<usize>,
}

impl Chunker {
    /// Derives the tables once; the per-byte loop only looks them up.
    pub fn new(sizes: ChunkSizes, table: GearTable) -> Chunker {
        let masks = select_masks(sizes.avg as usize, Normalization::Level1);
        let (gear, gear_ls) = gear_tables(table);
        Chunker {
            sizes,
            rows: false,
            masks,
            gear,
            gear_ls,
            zero_cut: std::sync::OnceLock::new(),
        }
    }

    /// The same chunker cutting at row ends where it can (for dumps).
    pub fn with_rows(mut self, rows: bool) -> Chunker {
        self.rows = rows;
        self
    }

    pub fn sizes(&self) -> ChunkSizes {
        self.sizes
    }

    /// Length of the first chunk of `data`, which must hold at least `max` bytes unless
    /// it is the end of the input.
    fn cut(&self, data: &[u8]) -> usize {
        if self.rows {
            if let Some(len) = self.cut_at_row(data) {
                return len;
            }
        }
        self.cut_bytes(data)
    }

    fn cut_bytes(&self, data: &[u8]) -> usize {
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
            let max_end = start + max;
            // A cut depends on the first `max` bytes alone: where they are all zero
            // (the holes of a sparse file, a zeroed disk image) it is always the same,
            // found here without the per-byte scan.
            let len = if max_end <= end && all_zero(&buf[start..max_end]) {
                *self.zero_cut.get_or_init(|| self.cut(&buf[start..max_end]))
            } else {
                self.cut(&buf[start..end])
            };
            each(&buf[start..start + len])?;
            total += len as u64;
            start += len;
        }
    }
}

/// Whether `data` holds only zeros (compared a block at a time: `memcmp` is far faster
/// than a byte loop).
pub fn all_zero(data: &[u8]) -> bool {
    const BLOCK: usize = 4096;
    static ZEROS: [u8; BLOCK] = [0; BLOCK];
    data.chunks(BLOCK).all(|c| c == &ZEROS[..c.len()])
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

    pub(super) fn pseudo_random(n: usize, seed: u64) -> Vec<u8> {
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

    pub(super) fn keyed(sizes: ChunkSizes, key: u8) -> Chunker {
        Chunker::new(sizes, GearTable::Keyed(&[key; 32]))
    }

    pub(super) fn lengths(c: &Chunker, data: &[u8]) -> Vec<usize> {
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
        let c = keyed(ChunkSizes::STREAM, 42);
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
        let c = keyed(ChunkSizes::STREAM, 9);
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
        let a = lengths(
            &Chunker::new(ChunkSizes::STREAM, GearTable::XorSeed(1)),
            &data,
        );
        let b = lengths(
            &Chunker::new(ChunkSizes::STREAM, GearTable::XorSeed(2)),
            &data,
        );
        assert_ne!(a, b);
    }

    #[test]
    fn keyed_table_is_deterministic_and_differs_per_key() {
        let (a, a_ls) = gear_tables(GearTable::Keyed(&[1; 32]));
        let (again, _) = gear_tables(GearTable::Keyed(&[1; 32]));
        let (b, _) = gear_tables(GearTable::Keyed(&[2; 32]));
        assert_eq!(a, again);
        assert_eq!(a.len(), 256);
        assert!(a.iter().zip(b.iter()).all(|(x, y)| x != y));
        assert!(a.iter().zip(a_ls.iter()).all(|(g, ls)| *ls == g << 1));
        // Pinned: the derivation is part of the format (docs/FORMAT.md gives the same
        // value), so a change here would silently stop deduplication.
        let (zero, _) = gear_tables(GearTable::Keyed(&[0; 32]));
        assert_eq!(format!("{:016x}", zero[0]), PINNED_GEAR0_FOR_ZERO_KEY);
    }

    const PINNED_GEAR0_FOR_ZERO_KEY: &str = "036f14b4f1145378";

    /// Repositories made before `gear-prf-v1` must keep cutting exactly where they did:
    /// where fastcdc's own seeded chunker cuts, which is what they were made with.
    #[test]
    fn xor_seed_cuts_like_fastcdc_with_seed() {
        let data = pseudo_random(1_500_000, 11);
        let seed = 816_864_301_223_830_664; // fixtures/repo-v1's
        let s = ChunkSizes::STREAM;
        let expected: Vec<usize> = fastcdc::v2020::FastCDC::with_level_and_seed(
            &data,
            s.min as usize,
            s.avg as usize,
            s.max as usize,
            Normalization::Level1,
            seed,
        )
        .map(|c| c.length)
        .collect();
        assert!(expected.len() > 20);
        let ours = lengths(&Chunker::new(s, GearTable::XorSeed(seed)), &data);
        assert_eq!(ours, expected);
    }

    /// Our keyed `gear_ls` follows the rule of fastcdc's own tables.
    #[test]
    fn fastcdc_gear_ls_is_gear_shifted_left() {
        for seed in [0, 0xdead_beef_0123_4567] {
            let (g, ls) = get_gear_with_seed(seed);
            assert!(g.iter().zip(ls.iter()).all(|(g, ls)| *ls == g << 1));
        }
    }

    #[test]
    fn key_changes_boundaries() {
        let data = pseudo_random(2_000_000, 5);
        let a = lengths(&keyed(ChunkSizes::STREAM, 1), &data);
        let b = lengths(&keyed(ChunkSizes::STREAM, 2), &data);
        assert_eq!(a, lengths(&keyed(ChunkSizes::STREAM, 1), &data));
        assert_ne!(a, b);
        // Not just shifted: most cut points differ.
        let cuts = |l: &[usize]| {
            l.iter()
                .scan(0, |at, n| {
                    *at += n;
                    Some(*at)
                })
                .collect::<std::collections::HashSet<_>>()
        };
        let shared = cuts(&a).intersection(&cuts(&b)).count();
        assert!(shared * 10 < a.len(), "{shared} of {} cuts shared", a.len());
    }

    #[test]
    fn blob_ids_are_keyed() {
        assert_ne!(blob_id(&[1; 32], b"x"), blob_id(&[2; 32], b"x"));
        assert_eq!(blob_id(&[1; 32], b"x"), blob_id(&[1; 32], b"x"));
    }

    #[test]
    fn wrong_size_hints_lose_nothing() {
        let data = pseudo_random(5_000_000, 8);
        let c = keyed(ChunkSizes::FILES, 1);
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

    /// Runs of zeros are cut without a scan (`zero_cut`): the same cuts as scanned.
    #[test]
    fn zero_runs_are_cut_where_a_scan_cuts_them() {
        let sizes = ChunkSizes {
            min: 4 << 10,
            avg: 16 << 10,
            max: 64 << 10,
        };
        for rows in [false, true] {
            let c = keyed(sizes, 7).with_rows(rows);
            let mut data = pseudo_random(100_000, 3);
            data.resize(1_000_000, 0);
            data.extend(pseudo_random(50_000, 4));
            data.resize(1_400_000, 0);
            let mut scanned = Vec::new();
            let mut start = 0;
            while start < data.len() {
                let len = c.cut(&data[start..]);
                scanned.push(len);
                start += len;
            }
            assert_eq!(lengths(&c, &data), scanned);
        }
        assert!(super::all_zero(&[0; 10_000]) && !super::all_zero(&[0, 0, 1]));
    }

    #[test]
    fn empty_and_tiny_inputs() {
        for c in [
            keyed(ChunkSizes::FILES, 0),
            keyed(ChunkSizes::STREAM, 0).with_rows(true),
        ] {
            assert!(lengths(&c, b"").is_empty());
            assert_eq!(lengths(&c, b"abc"), vec![3]);
        }
    }
}
