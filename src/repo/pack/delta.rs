//! Delta blobs (format 3): a data blob stored as one zstd frame compressed with the raw
//! bytes of another blob, its base, as zstd's raw-content prefix.
//!
//! Stored form: the 32-byte base blob id, then the frame. The base is zstd's
//! raw-content dictionary (what `ZSTD_CCtx_refPrefix` also gives), so the command-line
//! tool reads the frame with `zstd -d -D base.raw`. A dictionary that starts with
//! zstd's dictionary magic is parsed as a trained dictionary, by the tool and by the
//! library alike: a base that starts so is never used.
//!
//! A base is always a full blob (depth 1), so a reader needs at most one other blob to
//! rebuild a delta, and restores stay one pass over the packs.

use crate::ids::BlobId;
use zstd::zstd_safe::{CCtx, DCtx};

/// Bytes before the frame: the base blob id.
pub const BASE_LEN: usize = 32;

/// Largest blob stored as a delta, and largest base: the chunks of streams and dumps.
/// Bigger blobs are file chunks, whose changes deltas were not measured on. A writer's
/// choice: readers take a delta or a base of any size a blob may have.
pub const DELTA_MAX: usize = super::FRAME_MEMBER_MAX;

/// zstd's magic at the start of a trained dictionary (little-endian 0xEC30A437).
const DICT_MAGIC: [u8; 4] = [0x37, 0xA4, 0x30, 0xEC];

/// Whether `base` may serve as the prefix of a delta: not too long, and not something
/// `zstd -D` would read as a trained dictionary.
pub fn usable_base(base: &[u8]) -> bool {
    !base.is_empty() && base.len() <= DELTA_MAX && !base.starts_with(&DICT_MAGIC)
}

/// The stored form of `raw` as a delta against `base` (whose id is `base_id`), or
/// `None` if zstd fails or the base is unusable. Whether it is worth storing is the
/// caller's choice.
pub fn encode(base_id: &BlobId, base: &[u8], raw: &[u8], level: i32) -> Option<Vec<u8>> {
    if !usable_base(base) || raw.len() > DELTA_MAX {
        return None;
    }
    // One context per thread: a fresh one per delta allocated and cleared its whole
    // workspace each time, and so did loading the base as a dictionary object (a new
    // one per delta). `compress_using_dict` reads the base into the context's own
    // tables, sized for this chunk and base, and yields the same frame a prefix does.
    thread_local! {
        static CCTX: std::cell::RefCell<Option<CCtx<'static>>> = const { std::cell::RefCell::new(None) };
    }
    CCTX.with(|c| {
        let mut c = c.borrow_mut();
        if c.is_none() {
            *c = CCtx::try_create();
        }
        let cctx = c.as_mut()?;
        let mut out = Vec::with_capacity(BASE_LEN + zstd::zstd_safe::compress_bound(raw.len()));
        out.extend_from_slice(&base_id.0);
        let mut frame = Vec::with_capacity(zstd::zstd_safe::compress_bound(raw.len()));
        cctx.compress_using_dict(&mut frame, raw, base, level)
            .ok()?;
        out.extend_from_slice(&frame);
        Some(out)
    })
}

/// The base id a stored delta names.
pub fn base_of(stored: &[u8]) -> Option<BlobId> {
    Some(BlobId(stored.get(..BASE_LEN)?.try_into().ok()?))
}

/// The raw bytes of a stored delta, given its base's raw bytes; at most `raw_length`
/// bytes are written, whatever the frame claims.
pub fn decode(stored: &[u8], base: &[u8], raw_length: usize) -> Option<Vec<u8>> {
    let frame = stored.get(BASE_LEN..)?;
    thread_local! {
        static DCTX: std::cell::RefCell<Option<DCtx<'static>>> = const { std::cell::RefCell::new(None) };
    }
    DCTX.with(|c| {
        let mut c = c.borrow_mut();
        if c.is_none() {
            *c = DCtx::try_create();
        }
        let dctx = c.as_mut()?;
        let mut out = Vec::with_capacity(raw_length);
        dctx.decompress_using_dict(&mut out, frame, base).ok()?;
        Some(out)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(changed: usize) -> Vec<u8> {
        let mut out = Vec::new();
        for i in 0..200 {
            let v = if i == changed { 999_999 } else { i * 37 };
            out.extend_from_slice(format!("{i}\t{v}\tsome filler of a row\n").as_bytes());
        }
        out
    }

    #[test]
    fn a_small_edit_is_a_small_delta_that_decodes() {
        let (base, new) = (rows(1000), rows(120));
        let id = BlobId([5; 32]);
        let stored = encode(&id, &base, &new, 3).unwrap();
        assert_eq!(base_of(&stored), Some(id));
        let alone = zstd::bulk::compress(&new, 3).unwrap();
        assert!(
            stored.len() - BASE_LEN < alone.len() / 4,
            "delta {} against {} alone",
            stored.len(),
            alone.len()
        );
        assert_eq!(decode(&stored, &base, new.len()).unwrap(), new);
        // Another base gives other bytes (or nothing), never the blob.
        assert_ne!(decode(&stored, &rows(5), new.len()), Some(new.clone()));
        // The output is bounded by the raw length it is told.
        assert!(decode(&stored, &base, new.len() - 1).is_none());
    }

    #[test]
    fn bases_zstd_would_read_as_a_dictionary_are_not_used() {
        let mut base = DICT_MAGIC.to_vec();
        base.extend_from_slice(&rows(3));
        assert!(!usable_base(&base));
        assert!(encode(&BlobId([1; 32]), &base, &rows(4), 3).is_none());
        assert!(!usable_base(&[]));
        assert!(!usable_base(&vec![b'x'; DELTA_MAX + 1]));
    }
}
