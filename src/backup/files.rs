//! Backing up file trees: a parallel walk that turns each directory into a tree blob.
//!
//! Directories are processed with rayon's nested parallelism: the entries of every
//! directory are handled in parallel and subdirectories recurse, so small files across
//! the whole tree keep all cores busy. A file whose size, mtime, ctime and inode match
//! the files cache is not read again.

use std::collections::BTreeMap;
use std::ffi::{OsStr, OsString};
use std::fs::{self, Metadata};
use std::io::{self, Read};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use rayon::prelude::*;

use super::dumpfile;
use crate::cache::{FileFacts, FileRow};
use crate::chunker::Chunker;
use crate::ids::BlobId;
use crate::repo::pack::BlobType;
use crate::repo::tree::{HardLink, Node, NodeKind, Tree};
use crate::repo::uploader::Uploader;
use crate::repo::{RepoError, Repository, Result};
use crate::source::exclude::Excludes;
use crate::ui::Progress;

/// Files at least this big are chunked on a thread of their own while their chunks
/// are stored in parallel (two batches of `stream::store`).
const PIPELINED_FILE: u64 = 16 << 20;

#[derive(Default)]
pub struct FileCounters {
    pub files_new: AtomicU64,
    pub files_changed: AtomicU64,
    pub files_unchanged: AtomicU64,
    pub dirs: AtomicU64,
    pub total_bytes: AtomicU64,
    pub bytes_read: AtomicU64,
    pub errors: AtomicU64,
}

pub struct Archiver<'a, 'r> {
    pub repo: &'r Repository,
    pub up: &'a Uploader<'r>,
    pub chunker: Chunker,
    /// For files that start like a database dump (see `dumpfile`).
    pub dump_chunker: Chunker,
    pub excludes: &'a Excludes,
    pub counters: FileCounters,
    pub progress: &'a Progress,
    /// Files cache rows to write once the snapshot is stored.
    pub seen: Mutex<Vec<FileRow>>,
    /// The parent snapshot, whose version of a dump file gives delta bases.
    pub parent: &'a super::delta::ParentTree,
}

/// Paths as a tree of names, so `/etc` and `/var/lib/app` share one root.
#[derive(Default)]
struct Layout {
    children: BTreeMap<OsString, Layout>,
    /// Backed up whole (everything below it).
    whole: bool,
}

pub fn node_from_meta(name: &[u8], meta: &Metadata) -> Node {
    let ft = meta.file_type();
    let kind = if ft.is_dir() {
        NodeKind::Dir
    } else if ft.is_symlink() {
        NodeKind::Symlink
    } else if ft.is_fifo() {
        NodeKind::Fifo
    } else if ft.is_socket() {
        NodeKind::Socket
    } else if ft.is_char_device() {
        NodeKind::CharDev
    } else if ft.is_block_device() {
        NodeKind::BlockDev
    } else {
        NodeKind::File
    };
    let mut node = Node {
        name: String::new(),
        name_bytes: None,
        kind,
        mode: meta.mode() & 0o7777,
        uid: meta.uid(),
        gid: meta.gid(),
        mtime_ns: meta.mtime() * 1_000_000_000 + meta.mtime_nsec(),
        size: if kind == NodeKind::File {
            meta.len()
        } else {
            0
        },
        content: Vec::new(),
        subtree: None,
        target: None,
        target_bytes: None,
        rdev: if matches!(kind, NodeKind::CharDev | NodeKind::BlockDev) {
            meta.rdev()
        } else {
            0
        },
        // Only files: a link group of directories cannot exist, and restoring links
        // between special files is not worth a second way of making them.
        hardlink: if kind == NodeKind::File {
            HardLink::of(meta.dev(), meta.ino(), meta.nlink())
        } else {
            None
        },
    };
    node.set_name(name);
    node
}

fn facts(meta: &Metadata) -> FileFacts {
    FileFacts {
        size: meta.len(),
        mtime_ns: meta.mtime() * 1_000_000_000 + meta.mtime_nsec(),
        ctime_ns: meta.ctime() * 1_000_000_000 + meta.ctime_nsec(),
        inode: meta.ino(),
    }
}

impl Archiver<'_, '_> {
    fn warn(&self, path: &Path, e: impl std::fmt::Display) {
        self.counters.errors.fetch_add(1, Ordering::Relaxed);
        crate::ui::warn(&format!("{}: {e} (not backed up)", path.display()));
    }

    /// Backs up `paths` (absolute) and returns the root tree.
    pub fn save_paths(&self, paths: &[PathBuf]) -> Result<BlobId> {
        let nodes = self.root_nodes(paths)?;
        self.store_nodes(nodes)
    }

    /// Backs up `paths` (absolute) and returns the entries of the root directory, for a
    /// root that holds more than files (database dumps, `super::parts`).
    pub fn root_nodes(&self, paths: &[PathBuf]) -> Result<Vec<Node>> {
        let mut layout = Layout::default();
        for p in paths {
            let mut cur = &mut layout;
            for comp in p.components().skip(1) {
                cur = cur.children.entry(comp.as_os_str().to_owned()).or_default();
            }
            cur.whole = true;
        }
        self.layout_nodes(Path::new("/"), &layout)
    }

    fn save_layout(&self, dir: &Path, layout: &Layout) -> Result<BlobId> {
        let nodes = self.layout_nodes(dir, layout)?;
        self.store_nodes(nodes)
    }

    fn layout_nodes(&self, dir: &Path, layout: &Layout) -> Result<Vec<Node>> {
        let nodes: Vec<Result<Option<Node>>> = layout
            .children
            .par_iter()
            .map(|(name, child)| {
                let path = dir.join(name);
                let meta = match fs::symlink_metadata(&path) {
                    Ok(m) => m,
                    Err(e) => {
                        self.warn(&path, e);
                        return Ok(None);
                    }
                };
                if child.whole {
                    // Walked entries are tested as they are met (`save_dir`); a path
                    // named for backup is tested here, with every directory above it.
                    if self.excludes.matches(&path) {
                        return Ok(None);
                    }
                    let dev = meta.dev();
                    return self.save_entry(&path, name, meta, dev);
                }
                let mut node = node_from_meta(name.as_bytes(), &meta);
                node.kind = NodeKind::Dir;
                node.subtree = Some(self.save_layout(&path, child)?);
                Ok(Some(node))
            })
            .collect();
        nodes.into_iter().filter_map(Result::transpose).collect()
    }

    fn store_tree(&self, nodes: Vec<Result<Option<Node>>>) -> Result<BlobId> {
        let nodes = nodes
            .into_iter()
            .filter_map(Result::transpose)
            .collect::<Result<Vec<_>>>()?;
        self.store_nodes(nodes)
    }

    /// Stores a directory's entries, in any order, as its tree blob.
    pub fn store_nodes(&self, mut nodes: Vec<Node>) -> Result<BlobId> {
        nodes.sort_by_key(|n| n.name_raw());
        self.counters.dirs.fetch_add(1, Ordering::Relaxed);
        self.up.add(BlobType::Tree, &Tree { nodes }.to_bytes())
    }

    /// One directory entry; `None` when it was skipped (excluded or unreadable).
    fn save_entry(
        &self,
        path: &Path,
        name: &OsStr,
        meta: Metadata,
        dev: u64,
    ) -> Result<Option<Node>> {
        // Unchanged files store nothing, so a walk over them would not notice otherwise.
        crate::interrupt::check()?;
        let mut node = node_from_meta(name.as_bytes(), &meta);
        match node.kind {
            NodeKind::Dir => {
                if self.excludes.one_file_system && meta.dev() != dev {
                    return Ok(Some(node));
                }
                if self.excludes.is_tagged_cache(path) {
                    return Ok(None);
                }
                match self.save_dir(path, dev)? {
                    Some(id) => node.subtree = Some(id),
                    None => return Ok(None),
                }
            }
            NodeKind::Symlink => match fs::read_link(path) {
                Ok(t) => node.set_target(t.as_os_str().as_bytes()),
                Err(e) => {
                    self.warn(path, e);
                    return Ok(None);
                }
            },
            NodeKind::File => match self.save_file(path, &meta)? {
                Some((ids, size)) => {
                    node.content = ids;
                    node.size = size;
                }
                None => return Ok(None),
            },
            _ => {}
        }
        Ok(Some(node))
    }

    fn save_dir(&self, dir: &Path, dev: u64) -> Result<Option<BlobId>> {
        let entries = match fs::read_dir(dir) {
            Ok(rd) => rd.collect::<io::Result<Vec<_>>>(),
            Err(e) => Err(e),
        };
        let entries = match entries {
            Ok(e) => e,
            Err(e) => {
                self.warn(dir, e);
                return Ok(None);
            }
        };
        let nodes: Vec<Result<Option<Node>>> = entries
            .par_iter()
            .map(|entry| {
                let path = entry.path();
                if self.excludes.matches_entry(&path) {
                    return Ok(None);
                }
                let meta = match entry.metadata() {
                    Ok(m) => m,
                    Err(e) => {
                        self.warn(&path, e);
                        return Ok(None);
                    }
                };
                self.save_entry(&path, &entry.file_name(), meta, dev)
            })
            .collect();
        self.store_tree(nodes).map(Some)
    }

    /// The file's blob ids and the number of bytes they hold; `None` if unreadable.
    fn save_file(&self, path: &Path, meta: &Metadata) -> Result<Option<(Vec<BlobId>, u64)>> {
        let key = path.as_os_str().as_bytes().to_vec();
        let now = facts(meta);
        let cached = self.repo.cache().file(&key)?;
        let was_cached = cached.is_some();
        if let Some((old, ids)) = cached {
            if old == now && self.all_known(&ids)? {
                self.counters
                    .files_unchanged
                    .fetch_add(1, Ordering::Relaxed);
                self.counters
                    .total_bytes
                    .fetch_add(now.size, Ordering::Relaxed);
                self.progress.skip(now.size);
                // The cache already holds exactly this row: nothing to write back.
                return Ok(Some((ids, now.size)));
            }
        }
        let mut file = match fs::File::open(path) {
            Ok(f) => f,
            Err(e) => {
                self.warn(path, e);
                return Ok(None);
            }
        };
        // Below the files chunker's minimum a file is one chunk whatever it holds, and
        // small enough that a changed dump costs little: not worth a read.
        let mut head = Vec::new();
        if now.size >= u64::from(self.chunker.sizes().min) {
            if let Err(e) = (&mut file)
                .take(dumpfile::HEADER_LEN as u64)
                .read_to_end(&mut head)
            {
                self.warn(path, e);
                return Ok(None);
            }
        }
        let is_dump = dumpfile::is_dump(&head);
        let chunker = if is_dump {
            &self.dump_chunker
        } else {
            &self.chunker
        };
        let reader = head.as_slice().chain(file);
        // A dump's earlier version gives delta bases for its changed chunks.
        let parent = is_dump
            .then(|| {
                let names: Vec<&[u8]> = path
                    .iter()
                    .filter(|c| *c != "/")
                    .map(|c| c.as_bytes())
                    .collect();
                self.parent.content(self.repo, &names)
            })
            .flatten();
        let (ids, read) = if now.size >= PIPELINED_FILE {
            // One big file (a dump, an image) would keep one core busy while the
            // other waits: it is chunked ahead on a thread of its own instead.
            super::stream::store(self.up, chunker, reader, self.progress, parent.as_ref())?
        } else {
            let mut ids = Vec::new();
            let mut repo_err: Option<RepoError> = None;
            let mut bases = super::delta::StreamBases::new(parent.as_ref());
            let key = *self.up.blob_key();
            let read = chunker.for_each_chunk_sized(reader, Some(now.size), |chunk| {
                let id = crate::chunker::blob_id(&key, chunk);
                let base = bases.next(&[(id, chunk.len())])[0];
                match self.up.add_with_base(BlobType::Data, chunk, id, base) {
                    Ok(id) => ids.push(id),
                    Err(e) => {
                        repo_err = Some(e);
                        return Err(io::Error::other("repository write failed"));
                    }
                }
                self.progress.add(chunk.len() as u64);
                Ok(())
            });
            if let Some(e) = repo_err {
                return Err(e);
            }
            (ids, read)
        };
        let size = match read {
            Ok(n) => n,
            Err(e) => {
                self.warn(path, e);
                return Ok(None);
            }
        };
        let counter = if was_cached {
            &self.counters.files_changed
        } else {
            &self.counters.files_new
        };
        counter.fetch_add(1, Ordering::Relaxed);
        self.counters.total_bytes.fetch_add(size, Ordering::Relaxed);
        self.counters.bytes_read.fetch_add(size, Ordering::Relaxed);
        // Only a file that did not change while being read may vouch for itself later.
        if size == now.size {
            self.seen.lock().unwrap().push((key, now, ids.clone()));
        }
        Ok(Some((ids, size)))
    }

    fn all_known(&self, ids: &[BlobId]) -> Result<bool> {
        for id in ids {
            if !self.up.has(id)? {
                return Ok(false);
            }
        }
        Ok(true)
    }
}
