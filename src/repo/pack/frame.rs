//! Frames: runs of small blobs compressed together as one zstd frame (format 2).
//!
//! The writer gathers small blobs and seals them into a frame; the reader places each
//! member inside its frame from the header's order and keeps the last few inflated
//! frames, so reading a frame's members one after another inflates it once.

use std::sync::{Arc, Mutex, OnceLock};

use super::MAX_DATA_BLOB;
use super::{
    compress_data, decompress_into, BlobType, Compression, PackEntry, PackWriter, FRAME_BYTES,
};
use crate::ids::BlobId;

/// A frame member's place: `at` bytes into the frame's content, which is `total` long.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct FramePos {
    pub at: u32,
    pub total: u32,
}

/// Frames kept inflated per open pack (tune): enough for the threads of a restore
/// working on neighbouring blobs, 8 MiB at most.
const INFLATED_FRAMES: usize = 4;

/// A frame's content, inflated by the first thread that asks for it while the others
/// asking for the same frame wait: restore decodes a frame's members on all cores at
/// once, and each thread used to inflate the whole frame for its own member.
type Slot = Arc<OnceLock<Option<Arc<FrameBuf>>>>;

/// Buffers of frames no longer read, for the next frames inflated. A fresh buffer per
/// frame is mapped, faulted in page by page and unmapped again (large buffers go
/// straight to the system, see main.rs): that was half of a dump's restore time, in
/// the kernel.
static SPARE: Mutex<Vec<Vec<u8>>> = Mutex::new(Vec::new());

/// Spare buffers kept (tune): about what the threads of a restore have in flight.
const SPARE_BUFFERS: usize = 8;

/// An inflated frame's content; its buffer goes back to `SPARE` when the last holder
/// (the pack's cache, or a thread copying a member out) lets go.
pub(super) struct FrameBuf(Vec<u8>);

impl std::ops::Deref for FrameBuf {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        &self.0
    }
}

impl Drop for FrameBuf {
    fn drop(&mut self) {
        let buf = std::mem::take(&mut self.0);
        // A frame far above what writers make (an old or a forged one) is not kept.
        if buf.capacity() > 2 * FRAME_BYTES {
            return;
        }
        let mut spare = SPARE.lock().unwrap();
        if spare.len() < SPARE_BUFFERS {
            spare.push(buf);
        }
    }
}

/// The frames of one pack decompressed lately, by offset.
#[derive(Default)]
pub(super) struct Inflated(Mutex<Vec<(u64, Slot)>>);

impl Inflated {
    /// The content of the frame at `offset` whose stored bytes are `stored`.
    pub fn get(&self, offset: u64, stored: &[u8], total: u32) -> Option<Arc<FrameBuf>> {
        let slot = {
            let mut cache = self.0.lock().unwrap();
            match cache.iter().find(|(at, _)| *at == offset) {
                Some((_, slot)) => slot.clone(),
                None => {
                    if cache.len() >= INFLATED_FRAMES {
                        cache.remove(0);
                    }
                    let slot = Slot::default();
                    cache.push((offset, slot.clone()));
                    slot
                }
            }
        };
        // Inflated outside the cache's lock: other threads go on with other frames.
        slot.get_or_init(|| {
            let mut buf = SPARE.lock().unwrap().pop().unwrap_or_default();
            decompress_into(stored, total as usize, &mut buf).map(|()| Arc::new(FrameBuf(buf)))
        })
        .clone()
    }
}

impl PackWriter {
    /// Adds a small blob to the frame in the making; a full frame is compressed and
    /// written. Only format 2 repositories take frames (`Config::frames`).
    pub fn add_to_frame(&mut self, id: BlobId, kind: BlobType, raw: &[u8]) {
        self.frame.push((id, kind, raw.len() as u32));
        self.frame_raw.extend_from_slice(raw);
        if self.frame_raw.len() >= FRAME_BYTES {
            self.seal_frame();
        }
    }

    /// Writes the waiting small blobs as one zstd frame, or raw one by one if they do
    /// not shrink.
    pub(super) fn seal_frame(&mut self) {
        if self.frame.is_empty() {
            return;
        }
        let members = std::mem::take(&mut self.frame);
        match compress_data(&self.frame_raw, self.level) {
            Some(z) => {
                let offset = self.enc.written();
                self.enc.write(&z);
                for (id, kind, raw_length) in members {
                    self.entries.push(PackEntry {
                        id,
                        kind,
                        offset,
                        length: z.len() as u32,
                        raw_length,
                        compression: Compression::ZstdFrame,
                        base: None,
                    });
                }
            }
            None => {
                let raw = std::mem::take(&mut self.frame_raw);
                let mut at = 0;
                for (id, kind, len) in members {
                    let end = at + len as usize;
                    self.add_stored(id, kind, &raw[at..end], len as usize, Compression::None);
                    at = end;
                }
                self.frame_raw = raw;
            }
        }
        self.frame_raw.clear();
    }
}

/// Fills in each frame member's place (the entries are in header order); `None` if
/// the members of a frame do not follow each other or disagree on its stored length,
/// or its content would exceed a data blob's bound.
pub(super) fn place_members(entries: &mut [(PackEntry, FramePos)]) -> Option<()> {
    let mut seen = std::collections::HashSet::new();
    let mut i = 0;
    while i < entries.len() {
        let first = &entries[i].0;
        if first.compression != Compression::ZstdFrame {
            i += 1;
            continue;
        }
        let (offset, length) = (first.offset, first.length);
        if !seen.insert(offset) {
            return None;
        }
        let mut end = i;
        let mut total: u32 = 0;
        while end < entries.len()
            && entries[end].0.compression == Compression::ZstdFrame
            && entries[end].0.offset == offset
        {
            if entries[end].0.length != length {
                return None;
            }
            entries[end].1.at = total;
            total = total
                .checked_add(entries[end].0.raw_length)
                .filter(|&t| t <= MAX_DATA_BLOB)?;
            end += 1;
        }
        for (_, pos) in &mut entries[i..end] {
            pos.total = total;
        }
        i = end;
    }
    Some(())
}

#[cfg(test)]
mod tests {
    use super::super::*;

    const KEY: [u8; 32] = [7; 32];

    /// A plaintext with the blobs' stored bytes and a header of `(id, compression,
    /// offset, length, raw_length)` entries, in that order.
    fn plaintext(body: &[u8], entries: &[(BlobId, Compression, u64, u32, u32)]) -> Vec<u8> {
        let mut p = body.to_vec();
        for (id, c, offset, length, raw) in entries {
            p.extend_from_slice(&[0, c.code()]);
            p.extend_from_slice(&id.0);
            p.extend_from_slice(&offset.to_le_bytes());
            p.extend_from_slice(&length.to_le_bytes());
            p.extend_from_slice(&raw.to_le_bytes());
        }
        p.extend_from_slice(&(entries.len() as u32).to_le_bytes());
        p.extend_from_slice(MAGIC);
        p
    }

    /// Three rows' blobs, their ids and the frame compressing them together.
    fn members() -> (Vec<Vec<u8>>, Vec<BlobId>, Vec<u8>) {
        let blobs: Vec<Vec<u8>> = ["alpha row\n", "beta row\n", "gamma row\n"]
            .iter()
            .map(|r| r.repeat(50).into_bytes())
            .collect();
        let frame = compress(&blobs.concat(), 3).unwrap();
        let ids = blobs
            .iter()
            .map(|b| crate::chunker::blob_id(&KEY, b))
            .collect();
        (blobs, ids, frame)
    }

    #[test]
    fn frame_members_read_back_from_their_place() {
        let (blobs, ids, frame) = members();
        let len = frame.len() as u32;
        let entries: Vec<_> = (0..3)
            .map(|i| {
                (
                    ids[i],
                    Compression::ZstdFrame,
                    0,
                    len,
                    blobs[i].len() as u32,
                )
            })
            .collect();
        let pack = Pack::from_plaintext(PackId([0; 32]), plaintext(&frame, &entries)).unwrap();
        for (id, blob) in ids.iter().zip(&blobs) {
            let e = pack.entry(id).unwrap().clone();
            assert_eq!(&pack.blob(&e, &KEY).unwrap()[..], &blob[..]);
        }
        // An index entry must name the frame the header names.
        let mut wrong = pack.entry(&ids[1]).unwrap().clone();
        wrong.length -= 1;
        assert!(pack.blob(&wrong, &KEY).is_err());
        // A forged index entry longer than the member reads nothing past the frame.
        let mut longer = pack.entry(&ids[2]).unwrap().clone();
        longer.raw_length += 1000;
        assert!(pack.blob(&longer, &KEY).is_err());
    }

    #[test]
    fn frames_whose_members_do_not_follow_each_other_are_refused() {
        let (blobs, ids, frame) = members();
        let len = frame.len() as u32;
        let raw = |i: usize| blobs[i].len() as u32;
        let body = [&frame[..], b"plain"].concat();
        let split = [
            (ids[0], Compression::ZstdFrame, 0, len, raw(0)),
            (BlobId([1; 32]), Compression::None, u64::from(len), 5, 5),
            (ids[1], Compression::ZstdFrame, 0, len, raw(1)),
        ];
        assert!(Pack::from_plaintext(PackId([0; 32]), plaintext(&body, &split)).is_err());
        let lengths_differ = [
            (ids[0], Compression::ZstdFrame, 0, len, raw(0)),
            (ids[1], Compression::ZstdFrame, 0, len - 1, raw(1)),
        ];
        assert!(Pack::from_plaintext(PackId([0; 32]), plaintext(&body, &lengths_differ)).is_err());
        // Raw lengths that overstate the frame's content: the blob does not decompress.
        let overstated = [
            (ids[0], Compression::ZstdFrame, 0, len, raw(0)),
            (ids[1], Compression::ZstdFrame, 0, len, raw(1) + raw(2) + 1),
        ];
        let pack = Pack::from_plaintext(PackId([0; 32]), plaintext(&body, &overstated)).unwrap();
        let e = pack.entry(&ids[0]).unwrap().clone();
        assert!(pack.blob(&e, &KEY).is_err());
    }
}
