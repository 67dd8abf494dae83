//! Bringing restored files into being: created on their first blob, written with
//! positioned writes, and given their metadata through the open descriptor when their
//! last blob lands. Paths are resolved below the target without following links
//! (`beneath`).
//!
//! One open per file and no second pass over the paths: on a tree of many small files
//! the kernel's path walks and inode work, not decoding, are what a restore waits for.

use std::fs;
use std::io;
use std::os::unix::fs::{FileExt, PermissionsExt};
use std::path::Path;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};

use crate::repo::{RepoError, Result};
use crate::ui::Progress;

use super::beneath::Target;
use super::{Decoded, Plan};

pub(super) fn io_err(path: &Path, e: io::Error) -> RepoError {
    RepoError::Invalid(format!("{}: {e}", path.display()))
}

/// The restore's view of the plan's files. Calls for one file never overlap (a window
/// hands each file to one task, and windows are written one after another), so plain
/// atomics are enough to carry the per-file state between them.
pub(super) struct Files<'a> {
    target: &'a Target,
    plan: &'a Plan,
    progress: &'a Progress,
    /// Blob placements not yet written, per file: all of them until the file exists.
    remaining: Vec<AtomicU32>,
    meta: &'a Meta,
}

impl<'a> Files<'a> {
    pub fn new(
        target: &'a Target,
        plan: &'a Plan,
        progress: &'a Progress,
        meta: &'a Meta,
    ) -> Files<'a> {
        Files {
            target,
            plan,
            progress,
            remaining: plan
                .files
                .iter()
                .map(|n| AtomicU32::new(n.blobs()))
                .collect(),
            meta,
        }
    }

    /// Whether the file was created (its first blob written).
    pub fn started(&self, file: usize) -> bool {
        let node = self.plan.files.get(file);
        self.remaining[file].load(Ordering::Relaxed) < node.blobs()
    }

    /// Writes the blobs at their offsets into file `file`, creating it on the first call
    /// and finishing it (mode, owner, mtime) on the call that writes its last blob.
    /// A file without blobs is created and finished by one call with nothing to write.
    pub fn write(&self, file: usize, blobs: &[Decoded]) -> Result<()> {
        let node = self.plan.files.get(file);
        let rel = self.plan.file_path(Path::new(""), node);
        let fail = |e| io_err(&self.target.show(&rel), e);
        let n = blobs.len() as u32;
        let before = self.remaining[file].fetch_sub(n, Ordering::Relaxed);
        let (first, left) = (before == node.blobs(), before - n);
        let f = if first {
            self.target.create_file(&rel)
        } else {
            self.target.reopen_file(&rel)
        }
        .map_err(fail)?;
        let mut end = 0u64;
        for (place, d) in blobs {
            // A hole (`super::HOLE`) is the blob's length of zeros: nothing to write.
            for r in nonzero_runs(d) {
                f.write_all_at(&d[r.clone()], place.offset + r.start as u64)
                    .map_err(fail)?;
                end = end.max(place.offset + r.end as u64);
            }
            let len = if d.is_empty() {
                u64::from(place.entry.raw_length)
            } else {
                d.len() as u64
            };
            self.progress.add(len);
        }
        // Full size from the start unless this call writes it to the end: blobs of later
        // packs land with positioned writes, and trailing zeros stay a hole.
        if first && (left > 0 || end < node.size) {
            f.set_len(node.size).map_err(fail)?;
        }
        if left == 0 {
            self.meta
                .apply(&f, node.mode, (node.uid, node.gid), node.mtime_ns)
                .map_err(fail)?;
        }
        Ok(())
    }
}

/// How restored metadata is applied: owners only by root, and setuid/setgid bits only
/// by root or when asked for (as GNU tar and bsdtar do): a user restoring someone
/// else's backup must not end up with set-id programs owned by themselves.
pub(super) struct Meta {
    root: bool,
    keep_setid: bool,
    /// Files and directories whose set-id bits were left off.
    stripped: AtomicU64,
}

/// The setuid and setgid bits. Sticky is kept: it only narrows who may delete.
const SETID: u32 = 0o6000;

impl Meta {
    pub fn new(keep_setid: bool) -> Meta {
        let root = rustix::process::geteuid().is_root();
        Meta {
            root,
            keep_setid: keep_setid || root,
            stripped: AtomicU64::new(0),
        }
    }

    pub fn root(&self) -> bool {
        self.root
    }

    pub fn stripped(&self) -> u64 {
        self.stripped.load(Ordering::Relaxed)
    }

    /// Owner, mode and times of a file or directory, through its descriptor.
    pub fn apply(
        &self,
        f: &fs::File,
        mode: u32,
        (uid, gid): (u32, u32),
        mtime_ns: i64,
    ) -> io::Result<()> {
        // Owner before mode: chown clears setuid/setgid bits.
        if self.root {
            std::os::unix::fs::fchown(f, Some(uid), Some(gid))?;
        }
        f.set_permissions(fs::Permissions::from_mode(self.mode(mode)))?;
        let t = mtime_of(mtime_ns);
        filetime::set_file_handle_times(f, Some(t), Some(t))
    }

    pub fn mode(&self, mode: u32) -> u32 {
        let mode = mode & 0o7777;
        if self.keep_setid || mode & SETID == 0 {
            return mode;
        }
        self.stripped.fetch_add(1, Ordering::Relaxed);
        mode & !SETID
    }
}

/// Ranges of `data` that are not whole zero blocks: the rest is left as holes in the
/// file (which has its full size, so holes read back as zeros).
pub(super) fn nonzero_runs(data: &[u8]) -> impl Iterator<Item = std::ops::Range<usize>> + '_ {
    const BLOCK: usize = 4096;
    let data_block = |(_, b): &(usize, &[u8])| b.iter().any(|&x| x != 0);
    let mut blocks = data.chunks(BLOCK).enumerate().peekable();
    std::iter::from_fn(move || {
        let (first, block) = blocks.find(data_block)?;
        let mut end = first * BLOCK + block.len();
        while let Some((_, b)) = blocks.next_if(data_block) {
            end += b.len();
        }
        Some(first * BLOCK..end)
    })
}

pub(super) fn mtime_of(mtime_ns: i64) -> filetime::FileTime {
    filetime::FileTime::from_unix_time(
        mtime_ns.div_euclid(1_000_000_000),
        mtime_ns.rem_euclid(1_000_000_000) as u32,
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn zero_blocks_become_holes() {
        let mut d = vec![0u8; 4096 * 4 + 10];
        d[5] = 1;
        d[4096 * 2 + 1] = 1;
        d[4096 * 4 + 9] = 1;
        let runs = |d: &[u8]| super::nonzero_runs(d).collect::<Vec<_>>();
        assert_eq!(runs(&d), vec![0..4096, 8192..12288, 16384..16394]);
        d[4096 + 7] = 1;
        assert_eq!(runs(&d), vec![0..12288, 16384..16394]);
        assert!(runs(&[0u8; 100]).is_empty());
        assert_eq!(runs(&[]), Vec::<std::ops::Range<usize>>::new());
    }
}
