//! Backing up one byte stream (stdin or a command's output) as a single file.
//!
//! A reader thread chunks the stream and hands batches through a bounded queue; the
//! batches are hashed, compressed and encrypted in parallel. Memory stays at a few
//! batches, whatever the stream's length.

use std::io::Read;

use chrono::{DateTime, Utc};
use crossbeam_channel::bounded;
use rayon::prelude::*;

use super::delta::{ParentList, StreamBases};
use crate::chunker::Chunker;
use crate::ids::BlobId;
use crate::repo::pack::BlobType;
use crate::repo::tree::{Node, NodeKind, Tree};
use crate::repo::uploader::Uploader;
use crate::repo::{RepoError, Result};
use crate::ui::Progress;

/// Bytes of stream in one batch (tune; see `in_flight`).
const BATCH_BYTES: usize = 2 << 20;

/// The first batch's size; each next one doubles up to `BATCH_BYTES`. The cores wait for
/// the first batch to be chunked, on one thread: 8 MiB of it (what read-ahead holds
/// when the repository opens) left them idle for ~10 ms.
const FIRST_BATCH_BYTES: usize = 1 << 20;

/// Empty input fails unless `allow_empty`: a dump command that exits 0 without printing
/// anything is the classic silent failure, and its 0-byte snapshot would look like a
/// good backup until the day it is restored. `parent` is the stream's content in the
/// parent snapshot, whose chunks serve as delta bases. `more` is a node to store next
/// to the stream's, made once the stream is read (the run's log).
#[allow(clippy::too_many_arguments)]
pub fn save(
    up: &Uploader,
    chunker: &Chunker,
    reader: Box<dyn Read + Send>,
    (name, parent): (&str, Option<&ParentList>),
    allow_empty: bool,
    time: DateTime<Utc>,
    progress: &Progress,
    more: &dyn Fn() -> Result<Option<Node>>,
) -> Result<(BlobId, u64)> {
    let node = save_node(
        up,
        chunker,
        reader,
        (name, parent),
        &format!("reading {name}: "),
        allow_empty,
        time,
        progress,
    )?;
    let size = node.size;
    let mut nodes = vec![node];
    nodes.extend(more()?);
    nodes.sort_by_key(|n| n.name_raw());
    let tree = Tree { nodes };
    // The last data packs are sealed while the tree (a big stream's many ids) is made.
    let (sealed, tree) = rayon::join(
        || up.seal_data(),
        || up.add(BlobType::Tree, &tree.to_bytes()),
    );
    sealed?;
    Ok((tree?, size))
}

/// The stream as a file node named `name`; a read error becomes `RepoError::Invalid`
/// with `context` before it.
#[allow(clippy::too_many_arguments)]
pub fn save_node(
    up: &Uploader,
    chunker: &Chunker,
    reader: Box<dyn Read + Send>,
    (name, parent): (&str, Option<&ParentList>),
    context: &str,
    allow_empty: bool,
    time: DateTime<Utc>,
    progress: &Progress,
) -> Result<Node> {
    let (ids, read) = store(up, chunker, reader, progress, parent)?;
    let size = read.map_err(|e| RepoError::Invalid(format!("{context}{e}")))?;
    if size == 0 && !allow_empty {
        return Err(RepoError::Invalid(format!(
            "{name}: the input is empty (0 bytes), so no snapshot was saved; if that is \
             expected, pass --allow-empty (in a profile: allow_empty = true)"
        )));
    }
    let mut node = owned_node(name, NodeKind::File, 0o600, time);
    node.size = size;
    node.content = ids;
    Ok(node)
}

/// An empty node owned by this process, which is what a stream and the directories of
/// database sources belong to.
pub fn owned_node(name: &str, kind: NodeKind, mode: u32, time: DateTime<Utc>) -> Node {
    let mut node = Node::empty(name.as_bytes(), kind, mode);
    (node.uid, node.gid) = process_owner();
    node.mtime_ns = time.timestamp_nanos_opt().unwrap_or(0);
    node
}

/// Owner and group of the process.
fn process_owner() -> (u32, u32) {
    std::fs::metadata("/proc/self")
        .map(|m| {
            use std::os::unix::fs::MetadataExt;
            (m.uid(), m.gid())
        })
        .unwrap_or((0, 0))
}

/// Chunks of the stream in one buffer: allocating and copying into a vector per
/// chunk was a good part of the reader thread's time, and that thread is the serial
/// part of a stream's backup.
#[derive(Default)]
struct Batch {
    data: Vec<u8>,
    /// Where each chunk ends in `data`.
    ends: Vec<usize>,
}

impl Batch {
    fn push(&mut self, chunk: &[u8]) {
        self.data.extend_from_slice(chunk);
        self.ends.push(self.data.len());
    }

    fn chunks(&self) -> impl IndexedParallelIterator<Item = &[u8]> {
        (0..self.ends.len()).into_par_iter().map(|i| {
            let start = if i == 0 { 0 } else { self.ends[i - 1] };
            &self.data[start..self.ends[i]]
        })
    }

    fn clear(&mut self) {
        self.data.clear();
        self.ends.clear();
    }
}

/// Batches stored at once (tune). A batch is done only when its every chunk is, and a
/// chunk that fills a frame or a pack compresses 2 MiB or encrypts 8 MiB before it
/// returns. Worse, rayon nests: a worker waiting inside one batch runs a chunk of
/// another, so one long chunk can hold up two or three batches. With one 8 MiB batch
/// at a time a 200 MB dump kept 1.6 cores busy; with two, 1.75 (a timeline showed the
/// other core idle while one worker sealed a pack). Three per worker of 2 MiB each keep
/// both cores busy (1.86), in less memory than two of 8 MiB (docs/BENCHMARKS.md,
/// "A single large stream: smaller batches, more in flight").
fn in_flight() -> usize {
    (3 * rayon::current_num_threads()).clamp(4, 48)
}

/// A stored batch: its place in the stream, the blob ids in order (or the repository
/// error), and the batch to hand back to the reader.
type Stored = (usize, Result<Vec<BlobId>>, Batch);

/// Chunks `reader` on a thread of its own and stores the chunks in parallel, batch by
/// batch, up to `in_flight()` batches at once: the blob ids in order, and the bytes read
/// or the error that ended reading. A repository error is the outer one; a read error
/// is left to the caller, for whom it may be a warning (an unreadable file) rather than
/// the end of the backup. With a `parent` list, new chunks are offered the parent's
/// chunk at their place as a delta base (hashed first, so the walk along the parent sees
/// every id in order).
pub fn store<R: Read + Send>(
    up: &Uploader,
    chunker: &Chunker,
    reader: R,
    progress: &Progress,
    parent: Option<&ParentList>,
) -> Result<(Vec<BlobId>, std::io::Result<u64>)> {
    let mut bases = StreamBases::new(parent);
    let in_flight = in_flight();
    let (tx, rx) = bounded::<Batch>(2);
    // Batches go back to the reader once stored, so the same few buffers carry the
    // whole stream instead of a fresh (mapped, zeroed, unmapped) one every batch.
    let (back_tx, back_rx) = bounded::<Batch>(in_flight + 2);
    let mut ids: Vec<BlobId> = Vec::new();
    std::thread::scope(|s| {
        let reader_thread = s.spawn(move || {
            let fresh = || {
                let mut b = back_rx.try_recv().unwrap_or_default();
                b.clear();
                b.data.reserve(BATCH_BYTES + chunker.sizes().max as usize);
                b
            };
            let mut batch = fresh();
            let mut full_at = FIRST_BATCH_BYTES;
            let total = chunker.for_each_chunk(reader, |chunk| {
                crate::interrupt::check().map_err(std::io::Error::other)?;
                batch.push(chunk);
                if batch.data.len() >= full_at {
                    tx.send(std::mem::take(&mut batch))
                        .map_err(|_| std::io::Error::other("backup stopped"))?;
                    batch = fresh();
                    full_at = (full_at * 2).min(BATCH_BYTES);
                }
                Ok(())
            });
            if !batch.ends.is_empty() && total.is_ok() {
                let _ = tx.send(batch);
            }
            total
        });
        let (done_tx, done_rx) = crossbeam_channel::unbounded::<Stored>();
        let mut failure = None;
        let (mut sent, mut finished) = (0usize, 0usize);
        let mut ready: std::collections::BTreeMap<usize, Vec<BlobId>> = Default::default();
        let mut next_out = 0;
        // Takes one finished batch: its ids join the list once those before it have.
        let mut take = |failure: &mut Option<RepoError>| {
            let (i, added, batch) = wait_for(&done_rx);
            match added {
                Ok(v) => {
                    progress.add(batch.data.len() as u64);
                    ready.insert(i, v);
                    while let Some(v) = ready.remove(&next_out) {
                        ids.extend(v);
                        next_out += 1;
                    }
                }
                Err(e) => {
                    failure.get_or_insert(e);
                }
            }
            let _ = back_tx.try_send(batch);
        };
        rayon::in_place_scope(|scope| {
            // Leaving the loop drops the receiver, so the reader's next send fails and
            // it stops reading the source.
            for batch in rx {
                while sent - finished >= in_flight {
                    take(&mut failure);
                    finished += 1;
                }
                if failure.is_some() {
                    break;
                }
                // Delta bases are found in stream order, so ids are hashed here first.
                let hints = parent.map(|_| {
                    let key = up.blob_key();
                    let ids: Vec<(BlobId, usize)> = batch
                        .chunks()
                        .map(|c| (crate::chunker::blob_id(key, c), c.len()))
                        .collect();
                    let hints = bases.next(&ids);
                    (ids, hints)
                });
                let done_tx = done_tx.clone();
                let i = sent;
                scope.spawn(move |_| {
                    // A panic would leave the loop waiting for this batch for ever: it
                    // becomes this batch's error instead.
                    let added =
                        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| match &hints {
                            None => batch.chunks().map(|c| up.add(BlobType::Data, c)).collect(),
                            Some((ids, hints)) => batch
                                .chunks()
                                .zip(ids.par_iter().zip(hints.par_iter()))
                                .map(|(c, ((id, _), base))| {
                                    up.add_with_base(BlobType::Data, c, *id, *base)
                                })
                                .collect(),
                        }))
                        .unwrap_or_else(|_| {
                            Err(RepoError::Invalid(
                                "storing a stream's chunks panicked".into(),
                            ))
                        });
                    let _ = done_tx.send((i, added, batch));
                });
                sent += 1;
            }
            while finished < sent {
                take(&mut failure);
                finished += 1;
            }
        });
        let read = reader_thread.join().expect("reader thread does not panic");
        match failure {
            Some(e) => Err(e),
            None => Ok(read),
        }
    })
    .map(|read| (ids, read))
}

/// The next stored batch. On a thread of rayon's pool (a big file met by a tree walk)
/// blocking would keep this thread from the very tasks it waits for, so it runs pool
/// work meanwhile; elsewhere (stdin, a command's output) it blocks.
fn wait_for(done: &crossbeam_channel::Receiver<Stored>) -> Stored {
    loop {
        if let Ok(stored) = done.try_recv() {
            return stored;
        }
        match rayon::yield_now() {
            Some(rayon::Yield::Executed) => {}
            Some(rayon::Yield::Idle) => {
                if let Ok(stored) = done.recv_timeout(std::time::Duration::from_micros(100)) {
                    return stored;
                }
            }
            None => return done.recv().expect("the sender outlives the wait"),
        }
    }
}
