//! Moving the used blobs of mostly empty packs into new packs, and writing the merged
//! index. Blobs (delta blobs too) are copied as stored (no second compression), but only after their
//! content has been checked against the id, so a damaged blob is never carried over
//! under a valid name. Members of a shared zstd frame are the exception: their
//! frame-mates may be unused, so they are compressed again into a new frame.

use super::scratch::Scratch;
use super::PruneError;
use crate::ids::{IndexId, PackId};
use crate::repo::index::{IndexFile, IndexPack};
use crate::repo::pack::{self, BlobType, Compression, PackEntry, PackWriter};
use crate::repo::{RepoError, Repository};

/// Writes new packs one at a time: prune is bound by downloading and decrypting the old
/// packs, and one pack in memory per blob type keeps its footprint small.
pub struct Repacker<'r> {
    repo: &'r Repository,
    data: Option<PackWriter>,
    tree: Option<PackWriter>,
    written: Vec<IndexPack>,
    bytes_written: u64,
    blobs_copied: u64,
}

impl<'r> Repacker<'r> {
    pub fn new(repo: &'r Repository) -> Repacker<'r> {
        Repacker {
            repo,
            data: None,
            tree: None,
            written: Vec::new(),
            bytes_written: 0,
            blobs_copied: 0,
        }
    }

    /// Copies `kept` (entries as the index lists them) out of pack `id`.
    pub fn copy(&mut self, id: &PackId, kept: &[PackEntry]) -> Result<(), PruneError> {
        let old = self.repo.read_pack(id)?;
        for entry in kept {
            if old.entry(&entry.id) != Some(entry) {
                return Err(RepoError::Invalid(format!(
                    "pack {id}: blob {} is indexed but the pack holds it differently or not at all; run `cairn check --read-data`",
                    entry.id
                ))
                .into());
            }
            // A delta is checked against its base and copied as stored: prune keeps
            // the base of every kept delta (`Scratch::mark_bases`).
            let raw = self.repo.blob_in(&old, entry)?;
            let slot = match entry.kind {
                BlobType::Data => &mut self.data,
                BlobType::Tree => &mut self.tree,
            };
            if slot.is_none() {
                *slot = Some(
                    PackWriter::new(self.repo.recipients(), Vec::new())
                        .map_err(RepoError::from)?
                        .with_level(self.repo.config().compression_level),
                );
            }
            let w = slot.as_mut().expect("just set");
            if entry.compression == Compression::ZstdFrame {
                // Its frame-mates may be gone: it joins a new frame instead.
                w.add_to_frame(entry.id, entry.kind, &raw);
            } else {
                let stored = old.stored(entry).expect("checked by blob()");
                w.add(
                    entry.id,
                    entry.kind,
                    stored,
                    entry.raw_length as usize,
                    entry.compression,
                )
                .map_err(RepoError::from)?;
            }
            self.blobs_copied += 1;
            if w.size() >= u64::from(self.repo.config().pack_size) {
                let full = slot.take().expect("open writer");
                self.store(full)?;
            }
        }
        Ok(())
    }

    fn store(&mut self, writer: PackWriter) -> Result<(), PruneError> {
        let (id, bytes, blobs) = writer.finish().map_err(RepoError::from)?;
        self.repo
            .backend()
            .put(&pack::pack_name(&id), &bytes)
            .map_err(RepoError::from)?;
        self.bytes_written += bytes.len() as u64;
        self.written.push(IndexPack {
            id,
            size: bytes.len() as u64,
            blobs,
            // Copied blob by blob, each checked against its id: the signer's now.
            writer: None,
        });
        Ok(())
    }

    /// Stores the packs still open; returns the index entries of every new pack, the
    /// bytes stored and the blobs copied.
    pub fn finish(mut self) -> Result<(Vec<IndexPack>, u64, u64), PruneError> {
        for w in [self.data.take(), self.tree.take()].into_iter().flatten() {
            if !w.is_empty() {
                self.store(w)?;
            }
        }
        Ok((self.written, self.bytes_written, self.blobs_copied))
    }
}

/// Writes index files listing every blob of `kept` packs plus the `new` packs; only one
/// index file's worth of entries is in memory at a time. `stored` hears of each file
/// once it is stored.
pub fn write_merged_index(
    repo: &Repository,
    scratch: &Scratch,
    kept: &[(PackId, u64)],
    new: Vec<IndexPack>,
    mut stored: impl FnMut(&str, &IndexFile) -> Result<(), PruneError>,
) -> Result<Vec<IndexId>, PruneError> {
    let writers = repo.cache().pack_writers().map_err(RepoError::from)?;
    let old = kept.iter().map(|(id, size)| {
        Ok::<_, PruneError>(IndexPack {
            id: *id,
            size: *size,
            blobs: scratch.all_in(id)?,
            writer: writers.get(id).cloned(),
        })
    });
    let mut written = Vec::new();
    IndexFile::split_with::<PruneError>(old.chain(new.into_iter().map(Ok)), |file| {
        let id = repo.write_index(&file)?;
        stored(&format!("index/{id}"), &file)?;
        written.push(id);
        Ok(())
    })?;
    Ok(written)
}
