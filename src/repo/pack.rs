//! Packs: many compressed blobs in one encrypted object.
//!
//! Plaintext layout (all integers little-endian):
//! ```text
//! blob 0 | blob 1 | ... | entry 0 | entry 1 | ... | u32 entry count | "CAIRNPK1"
//! entry = u8 type | u8 compression | 32-byte blob id | u64 offset | u32 stored length | u32 raw length
//! ```
//! The header sits at the end so blobs can be written as they arrive; its fixed-size
//! entries make it readable with a few lines of any scripting language.
//!
//! Small blobs (the 4–64 KiB chunks of dumps) compress badly one by one: zstd has too
//! little context, and 16 KiB dump chunks stored ~27% more than the same bytes
//! compressed whole (docs/BENCHMARKS.md). So format 2 writes runs of small blobs as one
//! zstd frame: compression 2 (`zstd-frame`). Every member's entry gives the frame's
//! offset and stored length; the members follow each other in the header in the order
//! of their contents in the frame, so a member starts where the raw lengths of the
//! members before it in the same frame end. Deduplication stays per blob; only the
//! compression is shared.

pub mod delta;
mod frame;
mod level;

pub use level::compress_data;

use frame::{FramePos, Inflated};

use crate::crypto::{self, Identity, RecipientSet, SealedWriter};
use crate::ids::{BlobId, PackId};

pub const MAGIC: &[u8; 8] = b"CAIRNPK1";
pub const ENTRY_LEN: usize = 50;
/// Largest data blob a reader accepts: the chunker's largest maximum (config
/// validation refuses chunk sizes above it), so a forged header cannot make a reader
/// allocate more than one chunk can hold.
pub const MAX_DATA_BLOB: u32 = 64 << 20;
/// Largest tree blob a reader accepts: a directory of some millions of entries.
pub const MAX_TREE_BLOB: u32 = 1 << 30;
/// Raw bytes gathered before a frame of small blobs is compressed (tune). On the pgbench
/// dump series (docs/BENCHMARKS.md, "Bigger stream chunks, bigger frames") 2 MiB frames
/// stored 1 MB less of day 1 than 1 MiB and 2.1 MB less than 256 KiB, for the same CPU;
/// 4 MiB saved 0.2 MB more for 50 MiB more peak memory. It bounds the work of reading
/// one blob: inflating 2 MiB takes about a millisecond.
pub const FRAME_BYTES: usize = 2 << 20;
/// Data blobs up to this size go into frames and may be deltas: the chunks of streams and
/// dumps (up to 256 KiB) and small files. Larger blobs are file chunks, which compress
/// well alone.
pub const FRAME_MEMBER_MAX: usize = 256 << 10;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BlobType {
    Data,
    Tree,
}

impl BlobType {
    /// The largest raw length a blob of this type can have.
    pub fn max_raw(self) -> u32 {
        match self {
            BlobType::Data => MAX_DATA_BLOB,
            BlobType::Tree => MAX_TREE_BLOB,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Compression {
    None,
    Zstd,
    /// A member of a zstd frame shared with the blobs next to it (see the module doc).
    #[serde(rename = "zstd-frame")]
    ZstdFrame,
    /// A delta against another blob, its base (format 3, see `delta`).
    #[serde(rename = "zstd-delta")]
    Delta,
}

impl Compression {
    /// The byte of the pack header and of the cache.
    pub fn code(self) -> u8 {
        match self {
            Compression::None => 0,
            Compression::Zstd => 1,
            Compression::ZstdFrame => 2,
            Compression::Delta => 3,
        }
    }

    pub fn from_code(code: u8) -> Option<Compression> {
        match code {
            0 => Some(Compression::None),
            1 => Some(Compression::Zstd),
            2 => Some(Compression::ZstdFrame),
            3 => Some(Compression::Delta),
            _ => None,
        }
    }
}

/// Where one blob sits inside a pack's plaintext.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PackEntry {
    pub id: BlobId,
    #[serde(rename = "type")]
    pub kind: BlobType,
    pub offset: u64,
    pub length: u32,
    pub raw_length: u32,
    pub compression: Compression,
    /// The base of a delta blob (the first bytes of its stored form, repeated here so
    /// that prune and check know it from the index alone).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base: Option<BlobId>,
}

#[derive(Debug, thiserror::Error)]
pub enum PackError {
    #[error("pack {0}: stored bytes do not match the pack id (damaged in storage)")]
    HashMismatch(PackId),
    #[error("pack {0}: {1}")]
    Crypto(PackId, crypto::Error),
    #[error("pack {0}: malformed header")]
    Header(PackId),
    #[error("pack {pack}: blob {blob}: {what}")]
    Blob {
        pack: PackId,
        blob: BlobId,
        what: String,
    },
}

/// The blob compressed with zstd, or `None` when that does not shrink it (the caller then
/// stores the raw bytes it already holds, with no copy).
pub fn compress(raw: &[u8], level: i32) -> Option<Vec<u8>> {
    // One context per level per thread: a thread alternates between levels (the
    // samples of `compress_data`, delta and tree blobs), and making a context costs
    // more than compressing a small blob.
    const KEPT: usize = 4;
    thread_local! {
        static CTX: std::cell::RefCell<Vec<(i32, zstd::bulk::Compressor<'static>)>> =
            const { std::cell::RefCell::new(Vec::new()) };
    }
    CTX.with(|c| {
        let mut c = c.borrow_mut();
        let i = match c.iter().position(|(l, _)| *l == level) {
            Some(i) => i,
            None => {
                if c.len() >= KEPT {
                    c.remove(0);
                }
                c.push((level, zstd::bulk::Compressor::new(level).ok()?));
                c.len() - 1
            }
        };
        c[i].1.compress(raw).ok().filter(|v| v.len() < raw.len())
    })
}

/// Decompresses a zstd stream whose output may not exceed `max` bytes: a longer one
/// (a zstd bomb, or a damaged stream) is refused after reading at most `max + 1` bytes.
pub fn decompress_bounded(stored: &[u8], max: usize) -> Option<Vec<u8>> {
    use std::io::Read;
    let mut out = Vec::new();
    zstd::stream::read::Decoder::with_buffer(stored)
        .ok()?
        .take(max as u64 + 1)
        .read_to_end(&mut out)
        .ok()?;
    (out.len() <= max).then_some(out)
}

/// Decompresses with a per-thread context: creating one per blob showed in profiles.
/// The output is bounded by `raw_length` (zstd's one-shot decompression refuses to
/// write past the capacity it is given), which the header parser bounded in turn.
fn decompress(stored: &[u8], raw_length: usize) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    decompress_into(stored, raw_length, &mut out)?;
    Some(out)
}

/// `decompress` into `out`, whose allocation is reused; `None` if the stream is damaged
/// or does not give exactly `raw_length` bytes.
fn decompress_into(stored: &[u8], raw_length: usize, out: &mut Vec<u8>) -> Option<()> {
    thread_local! {
        static CTX: std::cell::RefCell<Option<zstd::bulk::Decompressor<'static>>> =
            const { std::cell::RefCell::new(None) };
    }
    out.clear();
    out.reserve_exact(raw_length);
    CTX.with(|c| {
        let mut c = c.borrow_mut();
        if c.is_none() {
            *c = zstd::bulk::Decompressor::new().ok();
        }
        let n = c.as_mut()?.decompress_to_buffer(stored, out).ok()?;
        (n == raw_length).then_some(())
    })
}

/// Writes blobs into one pack. The plaintext is built in the buffer the message will
/// occupy and encrypted there in place when the pack is finished, so a pack in the
/// making costs one buffer.
pub struct PackWriter {
    enc: SealedWriter,
    entries: Vec<PackEntry>,
    /// Small blobs waiting to be compressed as one frame, and their bytes in order.
    frame: Vec<(BlobId, BlobType, u32)>,
    frame_raw: Vec<u8>,
    level: i32,
}

impl PackWriter {
    /// A writer whose message is built in `buffer` (reused between packs).
    pub fn new(recipients: &RecipientSet, buffer: Vec<u8>) -> Result<PackWriter, crypto::Error> {
        Ok(PackWriter {
            enc: SealedWriter::new(recipients, buffer)?,
            entries: Vec::new(),
            frame: Vec::new(),
            frame_raw: Vec::new(),
            level: 3,
        })
    }

    /// The zstd level of the frames this writer compresses.
    pub fn with_level(mut self, level: i32) -> PackWriter {
        self.level = level;
        self
    }

    pub fn add(
        &mut self,
        id: BlobId,
        kind: BlobType,
        stored: &[u8],
        raw_length: usize,
        compression: Compression,
    ) -> Result<(), crypto::Error> {
        debug_assert!(
            compression != Compression::ZstdFrame,
            "frames are sealed here"
        );
        self.add_stored(id, kind, stored, raw_length, compression);
        Ok(())
    }

    fn add_stored(
        &mut self,
        id: BlobId,
        kind: BlobType,
        stored: &[u8],
        raw_length: usize,
        compression: Compression,
    ) {
        let offset = self.enc.written();
        self.enc.write(stored);
        self.entries.push(PackEntry {
            id,
            kind,
            offset,
            length: stored.len() as u32,
            raw_length: raw_length as u32,
            compression,
            base: (compression == Compression::Delta)
                .then(|| delta::base_of(stored))
                .flatten(),
        });
    }

    /// Bytes written so far; a frame in the making adds at most one frame to it.
    pub fn size(&self) -> u64 {
        self.enc.written()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty() && self.frame.is_empty()
    }

    /// Appends the header and ends the message.
    pub fn finish(mut self) -> Result<(PackId, Vec<u8>, Vec<PackEntry>), crypto::Error> {
        self.seal_frame();
        let mut header = Vec::with_capacity(self.entries.len() * ENTRY_LEN + 12);
        for e in &self.entries {
            header.push(match e.kind {
                BlobType::Data => 0,
                BlobType::Tree => 1,
            });
            header.push(e.compression.code());
            header.extend_from_slice(&e.id.0);
            header.extend_from_slice(&e.offset.to_le_bytes());
            header.extend_from_slice(&e.length.to_le_bytes());
            header.extend_from_slice(&e.raw_length.to_le_bytes());
        }
        header.extend_from_slice(&(self.entries.len() as u32).to_le_bytes());
        header.extend_from_slice(MAGIC);
        self.enc.write(&header);
        let (bytes, hash) = self.enc.finish()?;
        Ok((PackId(hash), bytes, self.entries))
    }
}

/// A downloaded pack, checked against its id and decrypted.
pub struct Pack {
    pub id: PackId,
    plain: Vec<u8>,
    /// Sorted by blob id.
    pub entries: Vec<PackEntry>,
    /// Where each entry of `entries` sits inside its frame (zero for other entries).
    frames: Vec<FramePos>,
    /// Frames decompressed lately, by offset: a restore reads a frame's members one
    /// after another, often from several threads, and must not inflate it for each.
    inflated: Inflated,
}

impl Pack {
    /// Opens the pack in the buffer it was downloaded into.
    pub fn open(id: PackId, stored: Vec<u8>, identity: &Identity) -> Result<Pack, PackError> {
        if blake3::hash(&stored).as_bytes() != &id.0 {
            return Err(PackError::HashMismatch(id));
        }
        let plain = crypto::open_sealed(identity, stored).map_err(|e| PackError::Crypto(id, e))?;
        Pack::from_plaintext(id, plain)
    }

    /// The pack whose decrypted plaintext is `plain`, its header parsed and checked.
    pub fn from_plaintext(id: PackId, plain: Vec<u8>) -> Result<Pack, PackError> {
        let mut parsed = parse_header(&plain).ok_or(PackError::Header(id))?;
        // Check and prune look up every indexed blob of a pack: by id, not by a scan.
        parsed.sort_unstable_by_key(|(e, _)| e.id);
        let (entries, frames) = parsed.into_iter().unzip();
        Ok(Pack {
            id,
            plain,
            entries,
            frames,
            inflated: Default::default(),
        })
    }

    /// The blob's plaintext, decompressed and checked against its keyed id.
    /// Raw blobs are borrowed from the pack, not copied.
    pub fn blob(
        &self,
        entry: &PackEntry,
        blob_key: &[u8; 32],
    ) -> Result<std::borrow::Cow<'_, [u8]>, PackError> {
        let bad = |what: &str| PackError::Blob {
            pack: self.id,
            blob: entry.id,
            what: what.to_string(),
        };
        // Entries come from index objects too, not only from this pack's header.
        if entry.raw_length > entry.kind.max_raw() {
            return Err(bad("longer than a blob can be"));
        }
        let stored = self.stored(entry).ok_or_else(|| bad("outside the pack"))?;
        let raw = match entry.compression {
            Compression::None => std::borrow::Cow::Borrowed(stored),
            Compression::Zstd => std::borrow::Cow::Owned(
                decompress(stored, entry.raw_length as usize)
                    .ok_or_else(|| bad("does not decompress"))?,
            ),
            // Needs another blob: `Repository::blob_in` reads the base and calls
            // `delta_blob`.
            Compression::Delta => return Err(bad("is a delta, whose base was not given")),
            Compression::ZstdFrame => {
                // The member's place in the frame comes from this pack's own header;
                // an index entry must name the same frame.
                let i = self
                    .entries
                    .binary_search_by_key(&entry.id, |e| e.id)
                    .map_err(|_| bad("not in the pack's header"))?;
                let own = &self.entries[i];
                if own.offset != entry.offset
                    || own.length != entry.length
                    || own.raw_length != entry.raw_length
                    || own.compression != entry.compression
                {
                    return Err(bad("indexed in another place than the pack header says"));
                }
                let pos = self.frames[i];
                let stored = self.stored(own).ok_or_else(|| bad("outside the pack"))?;
                let frame = self
                    .inflated
                    .get(own.offset, stored, pos.total)
                    .ok_or_else(|| bad("its frame does not decompress"))?;
                let at = pos.at as usize;
                let member = frame.get(at..at + entry.raw_length as usize);
                std::borrow::Cow::Owned(member.ok_or_else(|| bad("outside its frame"))?.to_vec())
            }
        };
        if raw.len() != entry.raw_length as usize
            || crate::chunker::blob_id(blob_key, &raw) != entry.id
        {
            return Err(bad("content does not match its id"));
        }
        Ok(raw)
    }

    /// A delta blob's plaintext rebuilt from its base's raw bytes, checked against its
    /// keyed id. The entry must match this pack's header (base included).
    pub fn delta_blob(
        &self,
        entry: &PackEntry,
        base: &[u8],
        blob_key: &[u8; 32],
    ) -> Result<Vec<u8>, PackError> {
        if self.entry(&entry.id) != Some(entry) {
            return Err(PackError::Blob {
                pack: self.id,
                blob: entry.id,
                what: "indexed in another place than the pack header says".into(),
            });
        }
        let stored = self.stored(entry).unwrap_or_default();
        delta_from_stored(self.id, entry, stored, base, blob_key)
    }

    /// The blob's bytes as stored (compressed or raw), unverified: prune copies them into
    /// a new pack after `blob` has checked them, without compressing again.
    pub fn stored(&self, entry: &PackEntry) -> Option<&[u8]> {
        let start = usize::try_from(entry.offset).ok()?;
        self.plain
            .get(start..start.checked_add(entry.length as usize)?)
    }

    pub fn plain_len(&self) -> usize {
        self.plain.len()
    }

    pub fn entry(&self, id: &BlobId) -> Option<&PackEntry> {
        let i = self.entries.binary_search_by_key(id, |e| e.id).ok()?;
        Some(&self.entries[i])
    }
}

/// A delta blob's plaintext from its stored bytes (taken out of pack `pack`, whose
/// header lists `entry`) and its base's raw bytes, checked against its keyed id.
pub fn delta_from_stored(
    pack: PackId,
    entry: &PackEntry,
    stored: &[u8],
    base: &[u8],
    blob_key: &[u8; 32],
) -> Result<Vec<u8>, PackError> {
    let bad = |what: &str| PackError::Blob {
        pack,
        blob: entry.id,
        what: what.to_string(),
    };
    if entry.compression != Compression::Delta
        || entry.raw_length > entry.kind.max_raw()
        || stored.len() != entry.length as usize
        || delta::base_of(stored) != entry.base
    {
        return Err(bad("is not the delta blob the index names"));
    }
    let raw = delta::decode(stored, base, entry.raw_length as usize)
        .ok_or_else(|| bad("delta does not decompress against its base"))?;
    if raw.len() != entry.raw_length as usize || crate::chunker::blob_id(blob_key, &raw) != entry.id
    {
        return Err(bad("content does not match its id"));
    }
    Ok(raw)
}

/// The entries in header order, each with its place in its frame (members of one
/// frame must follow each other, and their contents fit a data blob's bound).
fn parse_header(plain: &[u8]) -> Option<Vec<(PackEntry, FramePos)>> {
    let n = plain.len();
    if n < 12 || &plain[n - 8..] != MAGIC {
        return None;
    }
    let count = u32::from_le_bytes(plain[n - 12..n - 8].try_into().ok()?) as usize;
    let header_len = count.checked_mul(ENTRY_LEN)?;
    let start = (n - 12).checked_sub(header_len)?;
    let mut entries = Vec::with_capacity(count);
    for raw in plain[start..n - 12].chunks_exact(ENTRY_LEN) {
        let kind = match raw[0] {
            0 => BlobType::Data,
            1 => BlobType::Tree,
            _ => return None,
        };
        let compression = Compression::from_code(raw[1])?;
        let mut e = PackEntry {
            id: BlobId(raw[2..34].try_into().ok()?),
            kind,
            compression,
            offset: u64::from_le_bytes(raw[34..42].try_into().ok()?),
            length: u32::from_le_bytes(raw[42..46].try_into().ok()?),
            raw_length: u32::from_le_bytes(raw[46..50].try_into().ok()?),
            base: None,
        };
        if e.offset.checked_add(e.length as u64)? > start as u64 || e.raw_length > e.kind.max_raw()
        {
            return None;
        }
        if compression == Compression::Delta {
            // A delta names its base in its first bytes, and only data blobs are deltas.
            if kind != BlobType::Data || (e.length as usize) <= delta::BASE_LEN {
                return None;
            }
            let at = e.offset as usize;
            e.base = delta::base_of(&plain[at..at + e.length as usize]);
        }
        entries.push((e, FramePos::default()));
    }
    frame::place_members(&mut entries)?;
    Some(entries)
}

/// Object name of a pack.
pub fn pack_name(id: &PackId) -> String {
    let hex = id.to_hex();
    format!("data/{}/{}", &hex[..2], hex)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Text that zstd's levels compress to different sizes.
    fn sample() -> Vec<u8> {
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut out = Vec::new();
        for i in 0..4000u32 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            out.extend_from_slice(format!("{i}\t{}\tpending\t{}\n", x % 100_000, x % 7).as_bytes());
        }
        out
    }

    #[test]
    fn compress_uses_the_level_of_each_call() {
        let raw = sample();
        let fresh = |level| zstd::bulk::compress(&raw, level).unwrap();
        assert_ne!(fresh(1), fresh(19), "the sample must tell the levels apart");
        // Same thread, levels changing from call to call.
        for level in [1, 19, 1, 3] {
            assert_eq!(
                compress(&raw, level).unwrap(),
                fresh(level),
                "level {level}"
            );
        }
    }

    /// The stored form of a delta in a pack: compression 3, the base id first; the
    /// header's parser takes the base from there, and a reader needs the base's bytes.
    #[test]
    fn delta_blobs_name_their_base_and_need_it() {
        const KEY: [u8; 32] = [9; 32];
        let base = sample();
        let mut new = base.clone();
        new[1000..1010].copy_from_slice(b"0123456789");
        new.truncate(20_000);
        let base = &base[..20_000];
        let (base_id, id) = (
            crate::chunker::blob_id(&KEY, base),
            crate::chunker::blob_id(&KEY, &new),
        );
        let stored = delta::encode(&base_id, base, &new, 3).unwrap();
        let mut plain = stored.clone();
        plain.extend_from_slice(&[0, 3]);
        plain.extend_from_slice(&id.0);
        plain.extend_from_slice(&0u64.to_le_bytes());
        plain.extend_from_slice(&(stored.len() as u32).to_le_bytes());
        plain.extend_from_slice(&(new.len() as u32).to_le_bytes());
        plain.extend_from_slice(&1u32.to_le_bytes());
        plain.extend_from_slice(MAGIC);
        let pack = Pack::from_plaintext(PackId([0; 32]), plain.clone()).unwrap();
        let e = pack.entry(&id).unwrap().clone();
        assert_eq!(e.compression, Compression::Delta);
        assert_eq!(e.base, Some(base_id));
        assert!(pack.blob(&e, &KEY).is_err(), "a delta needs its base");
        assert_eq!(pack.delta_blob(&e, base, &KEY).unwrap(), new);
        let wrong: Vec<u8> = base.iter().rev().copied().collect();
        assert!(pack.delta_blob(&e, &wrong, &KEY).is_err(), "wrong base");
        let mut other_base = e.clone();
        other_base.base = Some(id);
        assert!(pack.delta_blob(&other_base, base, &KEY).is_err());
        // The JSON of the index names it the same way.
        let json = serde_json::to_value(&e).unwrap();
        assert_eq!(json["compression"], "zstd-delta");
        assert_eq!(json["base"], serde_json::json!(base_id));
        // A tree blob cannot be a delta.
        let at = stored.len();
        plain[at] = 1;
        assert!(Pack::from_plaintext(PackId([0; 32]), plain).is_err());
    }
}
