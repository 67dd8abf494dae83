//! Backing up file trees: a parallel walk that turns each directory into a tree blob.
//!
//! Directories are processed with rayon's nested parallelism: the entries of every
//! directory are handled in parallel and subdirectories recurse, so small files across
//! the whole tree keep all cores busy. A file whose size, mtime, ctime and inode match
//! the files cache is not read again. Entries are opened relative to their directory's
//! descriptor (`source::dir`), so a path longer than PATH_MAX is backed up too.

use std::collections::BTreeMap;
use std::ffi::{OsStr, OsString};
use std::io::{self, Read};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use rayon::prelude::*;
use rustix::fs::FileType;

use super::dumpfile;
use crate::cache::{FileFacts, FileRow};
use crate::chunker::Chunker;
use crate::ids::BlobId;
use crate::repo::pack::BlobType;
use crate::repo::tree::{HardLink, Node, NodeKind, Tree};
use crate::repo::uploader::Uploader;
use crate::repo::{RepoError, Repository, Result};
use crate::source::dir::{Dir, Stat};
use crate::source::exclude::Excludes;
use crate::source::holes::Holes;
use crate::ui::Progress;

/// Files at least this big are chunked on a thread of their own while their chunks
/// are stored in parallel (two batches of `stream::store`).
const PIPELINED_FILE: u64 = 16 << 20;

/// How deep below `/` the walk descends: a directory this deep is stored without its
/// contents, with a warning. The walk recurses once per level (up to ~3 KiB of stack
/// per level in the debug build, on the command's thread or rayon's), and so do the
/// walks over stored trees (restore, ls, diff): all of them run on threads with
/// `THREAD_STACK`, which leaves this depth a margin of two at least.
pub const MAX_DEPTH: usize = 10_000;

/// The stack size of the thread running a command and of rayon's threads: address
/// space reserved, of which only the pages a deep tree touches become memory.
pub const THREAD_STACK: usize = 64 << 20;

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

fn node_from_stat(name: &[u8], st: &Stat) -> Node {
    let kind = match st.kind {
        FileType::Directory => NodeKind::Dir,
        FileType::Symlink => NodeKind::Symlink,
        FileType::Fifo => NodeKind::Fifo,
        FileType::Socket => NodeKind::Socket,
        FileType::CharacterDevice => NodeKind::CharDev,
        FileType::BlockDevice => NodeKind::BlockDev,
        _ => NodeKind::File,
    };
    let mut node = Node {
        name: String::new(),
        name_bytes: None,
        kind,
        mode: st.mode,
        uid: st.uid,
        gid: st.gid,
        mtime_ns: st.mtime_ns,
        size: if kind == NodeKind::File { st.size } else { 0 },
        content: Vec::new(),
        subtree: None,
        target: None,
        target_bytes: None,
        rdev: if matches!(kind, NodeKind::CharDev | NodeKind::BlockDev) {
            st.rdev
        } else {
            0
        },
        // Only files: a link group of directories cannot exist, and restoring links
        // between special files is not worth a second way of making them.
        hardlink: if kind == NodeKind::File {
            HardLink::of(st.dev, st.ino, st.nlink)
        } else {
            None
        },
    };
    node.set_name(name);
    node
}

fn facts(st: &Stat) -> FileFacts {
    FileFacts {
        size: st.size,
        mtime_ns: st.mtime_ns,
        ctime_ns: st.ctime_ns,
        inode: st.ino,
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
        let at = match Dir::open(dir) {
            Ok(d) => d,
            Err(e) => {
                self.warn(dir, e);
                return Ok(Vec::new());
            }
        };
        let nodes: Vec<Result<Option<Node>>> = layout
            .children
            .par_iter()
            .map(|(name, child)| {
                let path = dir.join(name);
                let st = match at.stat(name) {
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
                    let depth = path.components().count() - 1;
                    return self.save_entry((&at, name), &path, st, (st.dev, depth));
                }
                let mut node = node_from_stat(name.as_bytes(), &st);
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

    /// One directory entry, `name` in `dir` (whose path is `path`, `depth` names below
    /// `/`); `None` when it was skipped (excluded or unreadable).
    fn save_entry(
        &self,
        (dir, name): (&Dir, &OsStr),
        path: &Path,
        st: Stat,
        (dev, depth): (u64, usize),
    ) -> Result<Option<Node>> {
        // Unchanged files store nothing, so a walk over them would not notice otherwise.
        crate::interrupt::check()?;
        let mut node = node_from_stat(name.as_bytes(), &st);
        match node.kind {
            NodeKind::Dir => {
                if self.excludes.one_file_system && st.dev != dev {
                    return Ok(Some(node));
                }
                if depth >= MAX_DEPTH {
                    let deep = format!("directory nested {depth} levels deep, beyond {MAX_DEPTH}");
                    self.warn(path, format!("{deep}: its contents"));
                    return Ok(Some(node));
                }
                match self.save_dir(dir, name, path, (dev, depth))? {
                    Some(id) => node.subtree = Some(id),
                    None => return Ok(None),
                }
            }
            NodeKind::Symlink => match dir.read_link(name) {
                Ok(t) => node.set_target(&t),
                Err(e) => {
                    self.warn(path, e);
                    return Ok(None);
                }
            },
            NodeKind::File => match self.save_file((dir, name), path, &st)? {
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

    /// The tree of the directory `name` in `parent`; `None` when it is left out (a
    /// tagged cache) or cannot be read.
    fn save_dir(
        &self,
        parent: &Dir,
        name: &OsStr,
        path: &Path,
        (dev, depth): (u64, usize),
    ) -> Result<Option<BlobId>> {
        let dir = match parent.sub(name) {
            Ok(d) => d,
            Err(e) => {
                self.warn(path, e);
                return Ok(None);
            }
        };
        if self.excludes.is_tagged_cache(&dir) {
            return Ok(None);
        }
        let names = match dir.names() {
            Ok(n) => n,
            Err(e) => {
                self.warn(path, e);
                return Ok(None);
            }
        };
        let nodes: Vec<Result<Option<Node>>> = names
            .par_iter()
            .map(|name| {
                let path = path.join(name);
                if self.excludes.matches_entry(&path) {
                    return Ok(None);
                }
                let st = match dir.stat(name) {
                    Ok(m) => m,
                    Err(e) => {
                        self.warn(&path, e);
                        return Ok(None);
                    }
                };
                self.save_entry((&dir, name), &path, st, (dev, depth + 1))
            })
            .collect();
        self.store_tree(nodes).map(Some)
    }

    /// The file's blob ids and the number of bytes they hold; `None` if unreadable.
    fn save_file(
        &self,
        (dir, name): (&Dir, &OsStr),
        path: &Path,
        st: &Stat,
    ) -> Result<Option<(Vec<BlobId>, u64)>> {
        let key = path.as_os_str().as_bytes().to_vec();
        let now = facts(st);
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
        let mut file = match dir.open_file(name) {
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
        // A sparse file's holes are not read (`Holes`); others are read as they are.
        let body: Box<dyn Read + Send> = if st.blocks.saturating_mul(512) < st.size {
            Box::new(Holes::new(file, head.len() as u64))
        } else {
            Box::new(file)
        };
        let reader = head.as_slice().chain(body);
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
