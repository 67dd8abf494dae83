//! One upload session: blobs in, then packs, index and snapshot out, in that order.
//!
//! Worker threads compress and encrypt into a pack writer of their own (no lock on the
//! hot path); full packs go through a bounded queue to uploader threads, so a slow store
//! stalls the workers instead of filling memory. `finish` is the one place that writes
//! packs → index → snapshot, which is what keeps every snapshot complete after a crash.
//!
//! The session's blobs are known only to it (`pending`) until their index is written:
//! the cache learns of them from that index. A run that stops before (a crash, a lost
//! lock) leaves nothing the next run would deduplicate against, so the next run uploads
//! again whatever a prune may have removed. A run stopped by a signal still holds its
//! lock, so it indexes the packs it stored: a nightly backup that `timeout` cuts short
//! every night still gets further each night.

use std::collections::HashSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use crossbeam_channel::{bounded, Sender};

use rayon::prelude::*;

use super::index::{IndexDraft, IndexPack};
use super::lock::LockGuard;
use super::pack::{self, BlobType, Compression, PackWriter, FRAME_MEMBER_MAX};
use super::snapshot::Snapshot;
use super::{RepoError, Repository, Result};
use crate::ids::{BlobId, SnapshotId};

struct Finished {
    id: crate::ids::PackId,
    bytes: Vec<u8>,
    index: IndexPack,
}

#[derive(Debug, Default)]
pub struct UploadStats {
    pub blobs_added: AtomicU64,
    pub bytes_added: AtomicU64,
    pub bytes_stored: AtomicU64,
    /// New data blobs that were offered a delta base (the parent's chunk at their place).
    pub delta_candidates: AtomicU64,
    /// Of those, the ones stored as deltas, their raw bytes and their stored bytes.
    pub deltas_added: AtomicU64,
    pub delta_raw_bytes: AtomicU64,
    pub delta_stored_bytes: AtomicU64,
}

pub struct Uploader<'r> {
    repo: &'r Repository,
    /// The shared lock that keeps a prune from deleting our packs before they are indexed.
    lock: &'r LockGuard,
    /// Data pack writers, one per worker thread (plus one for threads outside the pool).
    data: Vec<Mutex<Option<PackWriter>>>,
    tree: Mutex<Option<PackWriter>>,
    pending: Mutex<HashSet<BlobId>>,
    /// Pack buffers handed back by the uploaders.
    spare: Arc<Mutex<Vec<Vec<u8>>>>,
    tx: Option<Sender<Finished>>,
    threads: Vec<JoinHandle<()>>,
    /// The index of the packs stored and not yet indexed, made as they are stored.
    done: Arc<Mutex<Vec<IndexDraft>>>,
    failed: Arc<Mutex<Option<RepoError>>>,
    pub stats: Arc<UploadStats>,
}

impl<'r> Uploader<'r> {
    pub fn new(repo: &'r Repository, lock: &'r LockGuard) -> Uploader<'r> {
        let connections = repo.backend().properties().connections.max(1);
        // Rendezvous: a finished pack waits for a free uploader instead of queueing, so at
        // most `connections` packs are in flight besides the open writers.
        let (tx, rx) = bounded::<Finished>(0);
        let done = Arc::new(Mutex::new(Vec::new()));
        let failed = Arc::new(Mutex::new(None));
        let stats = Arc::new(UploadStats::default());
        let spare: Arc<Mutex<Vec<Vec<u8>>>> = Arc::new(Mutex::new(Vec::new()));
        let threads = (0..connections)
            .map(|_| {
                let rx = rx.clone();
                let done = done.clone();
                let failed = failed.clone();
                let stats = stats.clone();
                let spare = spare.clone();
                let store = repo.backend_handle();
                std::thread::spawn(move || {
                    for f in rx {
                        if failed.lock().unwrap().is_some() {
                            continue;
                        }
                        match store.put(&pack::pack_name(&f.id), &f.bytes) {
                            Ok(()) => {
                                stats
                                    .bytes_stored
                                    .fetch_add(f.bytes.len() as u64, Ordering::Relaxed);
                                draft(&mut done.lock().unwrap(), f.index);
                                spare.lock().unwrap().push(f.bytes);
                            }
                            Err(e) => {
                                failed.lock().unwrap().get_or_insert(e.into());
                            }
                        }
                    }
                })
            })
            .collect();
        let slots = rayon::current_num_threads() + 1;
        Uploader {
            repo,
            lock,
            data: (0..slots).map(|_| Mutex::new(None)).collect(),
            tree: Mutex::new(None),
            pending: Mutex::new(HashSet::new()),
            spare,
            tx: Some(tx),
            threads,
            done,
            failed,
            stats,
        }
    }

    /// A pack buffer from the pool, or a new one reserved whole so it never moves.
    /// Reusing buffers keeps the allocator from churning through many large blocks,
    /// which glibc then keeps resident (measured in docs/BENCHMARKS.md).
    fn buffer(&self) -> Vec<u8> {
        self.spare.lock().unwrap().pop().unwrap_or_else(|| {
            let pack_size = self.repo.config().pack_size as usize;
            Vec::with_capacity(
                pack_size + crate::chunker::ChunkSizes::FILES.max as usize + (1 << 16),
            )
        })
    }

    fn check_failed(&self) -> Result<()> {
        if let Some(e) = self.failed.lock().unwrap().as_ref() {
            return Err(RepoError::Invalid(format!("upload failed: {e}")));
        }
        Ok(())
    }

    /// The key of blob ids, for callers that hash chunks before adding them.
    pub fn blob_key(&self) -> &[u8; 32] {
        self.repo.blob_key()
    }

    /// Whether the repository (or this session) already has the blob.
    pub fn has(&self, id: &BlobId) -> Result<bool> {
        Ok(self.pending.lock().unwrap().contains(id) || self.repo.cache().contains(id)?)
    }

    /// Stores a blob unless it is already there; returns its id either way.
    pub fn add(&self, kind: BlobType, raw: &[u8]) -> Result<BlobId> {
        let id = crate::chunker::blob_id(self.repo.blob_key(), raw);
        self.add_with_base(kind, raw, id, None)
    }

    /// Stores a blob whose id the caller computed, unless it is already there; a new
    /// data blob is stored as a delta against `base` when that pays (format 3).
    pub fn add_with_base(
        &self,
        kind: BlobType,
        raw: &[u8],
        id: BlobId,
        base: Option<BlobId>,
    ) -> Result<BlobId> {
        // Every source passes here, blob by blob, even when nothing new is stored.
        crate::interrupt::check()?;
        if self.repo.cache().contains(&id)? || !self.pending.lock().unwrap().insert(id) {
            return Ok(id);
        }
        self.check_failed()?;
        let config = self.repo.config();
        let delta = match base {
            Some(base) if config.deltas() && kind == BlobType::Data => self.delta(raw, base),
            _ => None,
        };
        // Small data blobs share a zstd frame with their neighbours (format 2).
        let framed = delta.is_none()
            && config.frames()
            && kind == BlobType::Data
            && raw.len() <= FRAME_MEMBER_MAX;
        let packed = if framed || delta.is_some() {
            None
        } else if kind == BlobType::Data {
            pack::compress_data(raw, config.compression_level)
        } else {
            pack::compress(raw, config.compression_level)
        };
        let (stored, compression) = match (&delta, &packed) {
            (Some(d), _) => (&d[..], Compression::Delta),
            (None, Some(z)) => (&z[..], Compression::Zstd),
            (None, None) => (raw, Compression::None),
        };
        let slot = match kind {
            BlobType::Tree => &self.tree,
            BlobType::Data => {
                let i = rayon::current_thread_index().unwrap_or(self.data.len() - 1);
                &self.data[i.min(self.data.len() - 1)]
            }
        };
        let pack_size = config.pack_size as usize;
        let full = {
            let mut w = slot.lock().unwrap();
            if w.is_none() {
                *w = Some(
                    PackWriter::new(self.repo.recipients(), self.buffer())?
                        .with_level(config.compression_level),
                );
            }
            let writer = w.as_mut().unwrap();
            if framed {
                writer.add_to_frame(id, kind, raw);
            } else {
                writer.add(id, kind, stored, raw.len(), compression)?;
            }
            if writer.size() >= pack_size as u64 {
                w.take()
            } else {
                None
            }
        };
        self.stats.blobs_added.fetch_add(1, Ordering::Relaxed);
        self.stats
            .bytes_added
            .fetch_add(raw.len() as u64, Ordering::Relaxed);
        if let Some(writer) = full {
            self.send(writer)?;
        }
        Ok(id)
    }

    /// `raw` as a delta against `base`, if that comes out under half of what the blob
    /// costs compressed alone (a frame member costs about that much too, measured in
    /// docs/BENCHMARKS.md); otherwise it is stored as usual. A base that cannot be
    /// read only costs the delta.
    fn delta(&self, raw: &[u8], base: BlobId) -> Option<Vec<u8>> {
        use pack::delta;
        if raw.len() > delta::DELTA_MAX {
            return None;
        }
        self.stats.delta_candidates.fetch_add(1, Ordering::Relaxed);
        let (pack_id, entry) = self.repo.cache().lookup(&base).ok()??;
        if entry.compression == Compression::Delta || entry.raw_length as usize > delta::DELTA_MAX {
            return None;
        }
        let pack = self.repo.cached_pack(&pack_id).ok()?;
        let base_raw = pack.blob(&entry, self.repo.blob_key()).ok()?;
        let level = self.repo.config().compression_level;
        let d = delta::encode(&base, &base_raw, raw, level)?;
        // Cheap bounds first, so that most chunks are not compressed a second time: a
        // delta over half the raw size never beats half of the blob compressed alone,
        // and one under 1/32 of it does unless the chunk alone compresses over 16x
        // (then both are a few hundred bytes).
        if d.len() * 2 >= raw.len() {
            return None;
        }
        if d.len() * 32 >= raw.len() {
            let alone = pack::compress(raw, level).map_or(raw.len(), |z| z.len());
            if d.len() * 2 >= alone {
                return None;
            }
        }
        self.stats.deltas_added.fetch_add(1, Ordering::Relaxed);
        self.stats
            .delta_raw_bytes
            .fetch_add(raw.len() as u64, Ordering::Relaxed);
        self.stats
            .delta_stored_bytes
            .fetch_add(d.len() as u64, Ordering::Relaxed);
        Some(d)
    }

    fn send(&self, writer: PackWriter) -> Result<()> {
        let (id, bytes, blobs) = writer.finish()?;
        let size = bytes.len() as u64;
        let finished = Finished {
            id,
            bytes,
            index: IndexPack {
                id,
                size,
                blobs,
                writer: self.repo.pack_writer(),
            },
        };
        let Some(tx) = &self.tx else {
            return Err(RepoError::Invalid("upload session already flushed".into()));
        };
        // A closed channel means the uploaders died; the error is in `failed`.
        let _ = tx.send(finished);
        self.check_failed()?;
        // Not needed for safety (`finish` checks), but a run whose lock is lost stops
        // here instead of uploading the rest for nothing.
        self.lock.ensure_held()
    }

    /// Seals and sends the open data packs, side by side: one after another, they were
    /// a serial tail of every backup. A caller may make its last tree meanwhile.
    pub fn seal_data(&self) -> Result<()> {
        let writers: Vec<PackWriter> = self
            .data
            .iter()
            .filter_map(|m| m.lock().unwrap().take())
            .collect();
        writers
            .into_par_iter()
            .filter(|w| !w.is_empty())
            .try_for_each(|w| self.send(w))
    }

    /// Stores every pack still open and waits for all uploads; after this the session
    /// takes no more blobs.
    pub fn flush(&mut self) -> Result<()> {
        let tree = self.tree.lock().unwrap().take().filter(|w| !w.is_empty());
        let this = &*self;
        let (data, tree) = rayon::join(
            || this.seal_data(),
            || tree.map_or(Ok(()), |w| this.send(w)),
        );
        data.and(tree)?;
        self.tx = None;
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
        self.check_failed()
    }

    /// Flushes, writes the index, then the snapshot if one is given: nothing refers to a
    /// pack before it is stored, and no snapshot to a blob before it is indexed. Each
    /// write first checks that the lock was held all along: had a prune judged it stale,
    /// it may have deleted packs of this session, which the index or snapshot would name.
    pub fn finish(mut self, snapshot: Option<&Snapshot>) -> Result<Option<SnapshotId>> {
        self.flush()?;
        self.index_stored()?;
        match snapshot {
            Some(s) => {
                self.lock.ensure_held()?;
                Ok(Some(self.repo.write_snapshot(s)?))
            }
            None => Ok(None),
        }
    }

    /// Writes the index of the packs stored so far (and not yet indexed).
    fn index_stored(&self) -> Result<()> {
        let drafts = std::mem::take(&mut *self.done.lock().unwrap());
        if drafts.is_empty() {
            return Ok(());
        }
        let (indexes, packed): (Vec<_>, Vec<_>) =
            drafts.into_iter().map(IndexDraft::finish).unzip();
        let indexes: Vec<_> = indexes.iter().collect();
        self.repo
            .store_indexes(&indexes, packed, &|| self.lock.ensure_held())?;
        Ok(())
    }
}

/// Adds a stored pack to the last index in the making, or to a new one where
/// `IndexFile::split` would start one.
fn draft(drafts: &mut Vec<IndexDraft>, pack: IndexPack) {
    match drafts.last_mut() {
        Some(d) if !d.is_full_for(&pack) => d.push(pack),
        _ => {
            let mut d = IndexDraft::new();
            d.push(pack);
            drafts.push(d);
        }
    }
}

impl Drop for Uploader<'_> {
    fn drop(&mut self) {
        self.tx = None;
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
        // Empty after `finish`; after a signal, the packs it left unindexed.
        if crate::interrupt::requested() && !self.done.lock().unwrap().is_empty() {
            if let Err(e) = crate::interrupt::cleanup(|| self.index_stored()) {
                crate::ui::warn(&format!(
                    "packs stored before the interruption are not indexed ({e}); the next backup uploads them again"
                ));
            }
        }
    }
}
