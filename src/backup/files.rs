//! Backing up file trees: a parallel walk that turns each directory into a tree blob.
//!
//! Directories are processed with rayon's nested parallelism: the entries of every
//! directory are handled in parallel and subdirectories recurse, so small files across
//! the whole tree keep all cores busy. A directory's metadata and small files are read
//! ahead by a pool of reading threads (`super::ahead`). A file whose size, mtime, ctime
//! and inode match the files cache is not read again. Entries are opened relative to
//! their directory's descriptor (`source::dir`), so a path longer than PATH_MAX is
//! backed up too.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::io::{self, Read};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use rayon::prelude::*;
use rustix::fs::FileType;

use super::ahead::{self, Ahead, Item};
use super::dumpfile;
use crate::cache::{prefix, DirFile, DirFiles, FileFacts};
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
/// contents, with a warning. The walk recurses once per level (about 5 KiB of stack
/// per level in the debug build, on the command's thread or rayon's: a window of
/// entries read ahead, then rayon's collect over it), and so do the walks over stored
/// trees (restore, ls, diff): all of them run on threads with `THREAD_STACK`, which
/// leaves this depth a margin of two at least.
pub const MAX_DEPTH: usize = 10_000;

/// The stack size of the thread running a command and of rayon's threads: address
/// space reserved, of which only the pages a deep tree touches become memory.
pub const THREAD_STACK: usize = 128 << 20;

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
    /// Files-cache rows of the directories whose files changed, written in batches.
    pub seen: Mutex<SeenDirs>,
    /// The parent snapshot, whose version of a dump file gives delta bases.
    pub parent: &'a super::delta::ParentTree,
}

/// A saved directory entry, and its files-cache row if it is a file that may vouch
/// for itself next time.
type Saved = (Node, Option<DirFile>);

/// Directory rows of the files cache waiting to be written: (path, encoded row).
#[derive(Default)]
pub struct SeenDirs {
    rows: Vec<(Vec<u8>, Vec<u8>)>,
    bytes: usize,
    /// A write failed: warned once, not tried again.
    failed: bool,
}

/// Rows held before they are written in one transaction (tune): what the initial
/// backup of 100 000 small files makes.
const SEEN_BATCH: usize = 4 << 20;

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
    #[cold]
    #[inline(never)]
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
            Ok(d) => Arc::new(d),
            Err(e) => {
                self.warn(dir, e);
                return Ok(Vec::new());
            }
        };
        // Paths named for backup, each on its own device for --one-file-system.
        // Walked entries are tested against the excludes as they are met (`save_dir`);
        // a path named for backup is tested here, with every directory above it.
        let named: Vec<Item> = layout
            .children
            .iter()
            .filter(|(_, child)| child.whole)
            .map(|(name, _)| item(&at, dir, name.clone(), 0))
            .filter(|i| !self.excludes.matches(&i.path))
            .collect();
        // How many names below `/` the named paths are.
        let depth = dir.components().count();
        // The directories between the root and the named paths.
        let between = || -> Vec<Result<Option<Node>>> {
            layout
                .children
                .par_iter()
                .filter(|(_, child)| !child.whole)
                .map(|(name, child)| {
                    let path = dir.join(name);
                    let st = match at.stat(name) {
                        Ok(m) => m,
                        Err(e) => {
                            self.warn(&path, e);
                            return Ok(None);
                        }
                    };
                    let mut node = node_from_stat(name.as_bytes(), &st);
                    node.kind = NodeKind::Dir;
                    node.subtree = Some(self.save_layout(&path, child)?);
                    Ok(Some(node))
                })
                .collect()
        };
        let (nodes, between) = rayon::join(|| self.save_entries(dir, named, None, depth), between);
        let mut nodes = nodes?;
        for n in between {
            nodes.extend(n?);
        }
        Ok(nodes)
    }

    /// Stores a directory's entries, in any order, as its tree blob.
    pub fn store_nodes(&self, mut nodes: Vec<Node>) -> Result<BlobId> {
        nodes.sort_by_key(|n| n.name_raw());
        self.counters.dirs.fetch_add(1, Ordering::Relaxed);
        self.up.add(BlobType::Tree, &Tree { nodes }.to_bytes())
    }

    /// The entries `items` of directory `dir`, read ahead a window at a time; writes
    /// the directory's files-cache row if its files changed. `dev` is the device of
    /// the walk (`None`: each item starts its own, as a path named for backup does);
    /// the items are `depth` names below `/`.
    fn save_entries(
        &self,
        dir: &Path,
        mut items: Vec<Item>,
        dev: Option<u64>,
        depth: usize,
    ) -> Result<Vec<Node>> {
        if items.is_empty() {
            return Ok(Vec::new());
        }
        let cached = self.cached_dir(dir)?;
        let small = u64::from(self.chunker.sizes().min);
        ahead::order(&mut items);
        let mut nodes = Vec::with_capacity(items.len());
        let mut rows: Vec<DirFile> = Vec::new();
        let mut items = items.into_iter();
        loop {
            let window: Vec<Item> = items.by_ref().take(ahead::WINDOW).collect();
            if window.is_empty() {
                break;
            }
            let read = self.read_ahead(window, &cached, small)?;
            let done: Vec<Result<Option<Saved>>> = read
                .into_par_iter()
                .map(|(a, known)| {
                    let was_cached = cached.get(a.item.name.as_bytes()).is_some();
                    self.save_entry(a, known, was_cached, (dev, depth))
                })
                .collect();
            for d in done {
                if let Some((node, row)) = d? {
                    nodes.push(node);
                    rows.extend(row);
                }
            }
        }
        self.remember(dir, DirFiles::new(rows), &cached);
        Ok(nodes)
    }

    /// What the files cache holds for `dir`'s files (out of `save_entries`'s frame).
    #[inline(never)]
    fn cached_dir(&self, dir: &Path) -> Result<DirFiles> {
        Ok(self.repo.cache().dir_files(dir.as_os_str().as_bytes())?)
    }

    /// A window of items with what was read ahead of each (small files that the files
    /// cache does not vouch for) and their blobs if it does. Kept out of the frame of
    /// `save_entries`, which the walk stacks once per level.
    #[inline(never)]
    fn read_ahead(
        &self,
        window: Vec<Item>,
        cached: &DirFiles,
        small: u64,
    ) -> Result<Vec<(Ahead, Option<Vec<BlobId>>)>> {
        let read = ahead::read(window, |item, meta| {
            meta.size < small
                && cached
                    .get(item.name.as_bytes())
                    .is_none_or(|(f, _)| *f != facts(meta))
        });
        let known = self.unchanged(&read, cached)?;
        Ok(read.into_iter().zip(known).collect())
    }

    /// For each item: its blobs if the files cache vouches for it (same size, times
    /// and inode as when it was last read) and the index still has every one of them.
    fn unchanged(&self, read: &[Ahead], cached: &DirFiles) -> Result<Vec<Option<Vec<BlobId>>>> {
        let mut wanted = Vec::new();
        let vouched: Vec<Option<(usize, usize)>> = read
            .iter()
            .map(|a| {
                let meta = a.meta.as_ref().ok();
                let meta = meta.filter(|m| m.kind == FileType::RegularFile)?;
                let (old, prefixes) = cached.get(a.item.name.as_bytes())?;
                (*old == facts(meta)).then(|| {
                    wanted.extend_from_slice(prefixes);
                    (wanted.len() - prefixes.len(), wanted.len())
                })
            })
            .collect();
        if wanted.is_empty() {
            return Ok(vec![None; read.len()]);
        }
        let ids = self.repo.cache().resolve_all(&wanted)?;
        Ok(vouched
            .into_iter()
            .map(|v| v.and_then(|(from, to)| ids[from..to].iter().copied().collect()))
            .collect())
    }

    /// Queues a directory's files-cache row if it changed, writing the queue once it
    /// is big enough.
    #[inline(never)]
    fn remember(&self, dir: &Path, rows: DirFiles, cached: &DirFiles) {
        if rows == *cached {
            return;
        }
        let row = rows.encode();
        let batch = {
            let mut seen = self.seen.lock().unwrap();
            seen.bytes += row.len() + dir.as_os_str().len();
            seen.rows.push((dir.as_os_str().as_bytes().to_vec(), row));
            if seen.bytes < SEEN_BATCH {
                return;
            }
            seen.bytes = 0;
            std::mem::take(&mut seen.rows)
        };
        self.write_seen(batch);
    }

    /// Writes what `remember` still holds.
    pub fn flush_seen(&self) {
        let batch = std::mem::take(&mut self.seen.lock().unwrap().rows);
        self.write_seen(batch);
    }

    /// A row may go in before the snapshot is stored: it only tells where to look in
    /// the blob index, which learns of this run's blobs once they are stored.
    fn write_seen(&self, batch: Vec<(Vec<u8>, Vec<u8>)>) {
        if batch.is_empty() || self.seen.lock().unwrap().failed {
            return;
        }
        if let Err(e) = self.repo.cache().put_dirs(&batch) {
            self.seen.lock().unwrap().failed = true;
            crate::ui::warn(&format!("files cache not updated: {e}"));
        }
    }

    /// One directory entry with what was read ahead of it, and the files-cache row of
    /// a file read whole; `None` when it was skipped (excluded or unreadable). `depth`:
    /// how many names below `/` it is. The walk stacks this once per level: what only
    /// other entries need is kept out of its frame (`save_leaf`).
    fn save_entry(
        &self,
        a: Ahead,
        known: Option<Vec<BlobId>>,
        was_cached: bool,
        (dev, depth): (Option<u64>, usize),
    ) -> Result<Option<Saved>> {
        // Unchanged files store nothing, so a walk over them would not notice otherwise.
        crate::interrupt::check()?;
        let Ahead {
            item,
            meta,
            content,
        } = a;
        let st = match meta {
            Ok(m) => m,
            Err(e) => {
                self.warn(&item.path, e);
                return Ok(None);
            }
        };
        if st.kind != FileType::Directory {
            return self.save_leaf(&item, &st, content, known, was_cached);
        }
        let dev = dev.unwrap_or(st.dev);
        let subtree = if self.excludes.one_file_system && st.dev != dev {
            None
        } else if depth >= MAX_DEPTH {
            let deep = format!("directory nested {depth} levels deep, beyond {MAX_DEPTH}");
            self.warn(&item.path, format!("{deep}: its contents"));
            None
        } else {
            match self.save_dir(&item, (dev, depth))? {
                Some(id) => Some(id),
                None => return Ok(None),
            }
        };
        let mut node = node_from_stat(item.name.as_bytes(), &st);
        node.subtree = subtree;
        Ok(Some((node, None)))
    }

    /// An entry that is not a directory, as `save_entry`.
    #[inline(never)]
    fn save_leaf(
        &self,
        item: &Item,
        st: &Stat,
        content: Option<io::Result<Vec<u8>>>,
        known: Option<Vec<BlobId>>,
        was_cached: bool,
    ) -> Result<Option<Saved>> {
        let path = item.path.as_path();
        let mut node = node_from_stat(item.name.as_bytes(), st);
        let mut row = None;
        match node.kind {
            NodeKind::Symlink => match item.dir.read_link(&item.name) {
                Ok(t) => node.set_target(&t),
                Err(e) => {
                    self.warn(path, e);
                    return Ok(None);
                }
            },
            NodeKind::File => match self.save_file(item, st, content, known, was_cached)? {
                Some((ids, size, vouch)) => {
                    if vouch {
                        let prefixes = ids.iter().map(prefix).collect();
                        row = Some((item.name.as_bytes().to_vec(), facts(st), prefixes));
                    }
                    node.content = ids;
                    node.size = size;
                }
                None => return Ok(None),
            },
            _ => {}
        }
        Ok(Some((node, row)))
    }

    /// The tree of the directory `of` (`depth` names below `/`); `None` when it is left
    /// out (a tagged cache) or cannot be read.
    fn save_dir(&self, of: &Item, (dev, depth): (u64, usize)) -> Result<Option<BlobId>> {
        let dir = match of.dir.sub(&of.name) {
            Ok(d) => Arc::new(d),
            Err(e) => {
                self.warn(&of.path, e);
                return Ok(None);
            }
        };
        if self.excludes.is_tagged_cache(&dir) {
            return Ok(None);
        }
        let names = match dir.names() {
            Ok(n) => n,
            Err(e) => {
                self.warn(&of.path, e);
                return Ok(None);
            }
        };
        let items: Vec<Item> = names
            .into_iter()
            .map(|(name, ino)| item(&dir, &of.path, name, ino))
            .filter(|i| !self.excludes.matches_entry(&i.path))
            .collect();
        let nodes = self.save_entries(&of.path, items, Some(dev), depth + 1)?;
        self.store_nodes(nodes).map(Some)
    }

    /// The file's blob ids, the number of bytes they hold and whether the files cache
    /// may vouch for them next time; `None` if unreadable. `content` is the file as
    /// read ahead, `known` its blobs if the files cache vouched for them. Kept out of
    /// the frame of `save_entry`, which the walk stacks once per level.
    #[inline(never)]
    fn save_file(
        &self,
        item: &Item,
        st: &Stat,
        content: Option<io::Result<Vec<u8>>>,
        known: Option<Vec<BlobId>>,
        was_cached: bool,
    ) -> Result<Option<(Vec<BlobId>, u64, bool)>> {
        let path = item.path.as_path();
        let now = facts(st);
        if let Some(ids) = known {
            self.counters
                .files_unchanged
                .fetch_add(1, Ordering::Relaxed);
            self.counters
                .total_bytes
                .fetch_add(now.size, Ordering::Relaxed);
            self.progress.skip(now.size);
            return Ok(Some((ids, now.size, true)));
        }
        let (ids, read) = match content {
            Some(Ok(bytes)) => self.store_small(&bytes)?,
            Some(Err(e)) => {
                self.warn(path, e);
                return Ok(None);
            }
            None => match self.store_file(item, st)? {
                Some(done) => done,
                None => return Ok(None),
            },
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
        Ok(Some((ids, size, size == now.size)))
    }

    /// A file read whole ahead: below the chunker's minimum, so one chunk.
    fn store_small(&self, bytes: &[u8]) -> Result<(Vec<BlobId>, io::Result<u64>)> {
        let mut ids = Vec::new();
        if !bytes.is_empty() {
            let id = crate::chunker::blob_id(self.up.blob_key(), bytes);
            ids.push(self.up.add_with_base(BlobType::Data, bytes, id, None)?);
            self.progress.add(bytes.len() as u64);
        }
        Ok((ids, Ok(bytes.len() as u64)))
    }

    /// Reads and stores a file the walk opens itself; `None` if it cannot be opened.
    fn store_file(&self, item: &Item, st: &Stat) -> Result<Option<(Vec<BlobId>, io::Result<u64>)>> {
        let (path, size) = (item.path.as_path(), st.size);
        let mut file = match item.dir.open_file(&item.name) {
            Ok(f) => f,
            Err(e) => {
                self.warn(path, e);
                return Ok(None);
            }
        };
        // Below the files chunker's minimum a file is one chunk whatever it holds, and
        // small enough that a changed dump costs little: not worth a read.
        let mut head = Vec::new();
        if size >= u64::from(self.chunker.sizes().min) {
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
        let (ids, read) = if size >= PIPELINED_FILE {
            // One big file (a dump, an image) would keep one core busy while the
            // other waits: it is chunked ahead on a thread of its own instead.
            super::stream::store(self.up, chunker, reader, self.progress, parent.as_ref())?
        } else {
            let mut ids = Vec::new();
            let mut repo_err: Option<RepoError> = None;
            let mut bases = super::delta::StreamBases::new(parent.as_ref());
            let key = *self.up.blob_key();
            let read = chunker.for_each_chunk_sized(reader, Some(size), |chunk| {
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
        Ok(Some((ids, read)))
    }
}

/// The entry `name` of `dir`, whose path is `path`.
fn item(dir: &Arc<Dir>, path: &Path, name: OsString, ino: u64) -> Item {
    Item {
        dir: Arc::clone(dir),
        path: path.join(&name),
        name,
        ino,
    }
}
