//! Bringing restored files into being: created on their first blob, written with
//! positioned writes, and given their metadata through the open descriptor when their
//! last blob lands.
//!
//! One open per file and no second pass over the paths: on a tree of many small files
//! the kernel's path walks and inode work, not decoding, are what a restore waits for.

use std::fs;
use std::io;
use std::os::unix::fs::{FileExt, OpenOptionsExt, PermissionsExt};
use std::path::Path;
use std::sync::atomic::{AtomicU32, Ordering};

use crate::repo::tree::Node;
use crate::repo::{RepoError, Result};
use crate::ui::Progress;

use super::plan::FileNode;
use super::{Decoded, Plan};

pub(super) fn io_err(path: &Path, e: io::Error) -> RepoError {
    RepoError::Invalid(format!("{}: {e}", path.display()))
}

/// The restore's view of the plan's files. Calls for one file never overlap (a window
/// hands each file to one task, and windows are written one after another), so plain
/// atomics are enough to carry the per-file state between them.
pub(super) struct Files<'a> {
    target: &'a Path,
    plan: &'a Plan,
    progress: &'a Progress,
    /// Blob placements not yet written, per file: all of them until the file exists.
    remaining: Vec<AtomicU32>,
    root: bool,
}

impl<'a> Files<'a> {
    pub fn new(target: &'a Path, plan: &'a Plan, progress: &'a Progress, root: bool) -> Files<'a> {
        Files {
            target,
            plan,
            progress,
            remaining: plan
                .files
                .iter()
                .map(|n| AtomicU32::new(n.blobs()))
                .collect(),
            root,
        }
    }

    /// Writes the blobs at their offsets into file `file`, creating it on the first call
    /// and finishing it (mode, owner, mtime) on the call that writes its last blob.
    /// A file without blobs is created and finished by one call with nothing to write.
    pub fn write(&self, file: usize, blobs: &[Decoded]) -> Result<()> {
        let node = self.plan.files.get(file);
        let path = self.plan.file_path(self.target, node);
        let n = blobs.len() as u32;
        let before = self.remaining[file].fetch_sub(n, Ordering::Relaxed);
        let (first, left) = (before == node.blobs(), before - n);
        let f = if first {
            create(&path)?
        } else {
            fs::OpenOptions::new()
                .write(true)
                .custom_flags(libc::O_NOFOLLOW)
                .open(&path)
                .map_err(|e| io_err(&path, e))?
        };
        let mut end = 0u64;
        for (place, d) in blobs {
            for r in nonzero_runs(d) {
                f.write_all_at(&d[r.clone()], place.offset + r.start as u64)
                    .map_err(|e| io_err(&path, e))?;
                end = end.max(place.offset + r.end as u64);
            }
            self.progress.add(d.len() as u64);
        }
        // Full size from the start unless this call writes it to the end: blobs of later
        // packs land with positioned writes, and trailing zeros stay a hole.
        if first && (left > 0 || end < node.size) {
            f.set_len(node.size).map_err(|e| io_err(&path, e))?;
        }
        if left == 0 {
            self.finish(&f, &path, node)?;
        }
        Ok(())
    }

    fn finish(&self, f: &fs::File, path: &Path, node: &FileNode) -> Result<()> {
        // Owner before mode: chown clears setuid/setgid bits.
        if self.root {
            std::os::unix::fs::fchown(f, Some(node.uid), Some(node.gid))
                .map_err(|e| io_err(path, e))?;
        }
        f.set_permissions(fs::Permissions::from_mode(node.mode & 0o7777))
            .map_err(|e| io_err(path, e))?;
        let t = mtime_of(node.mtime_ns);
        filetime::set_file_handle_times(f, Some(t), Some(t)).map_err(|e| io_err(path, e))
    }
}

/// Creates a file for writing, replacing whatever non-directory is in the way (a
/// symlink is replaced, never followed).
fn create(path: &Path) -> Result<fs::File> {
    let open = |fresh: bool| {
        fs::OpenOptions::new()
            .write(true)
            .create_new(fresh)
            .create(!fresh)
            .truncate(!fresh)
            .custom_flags(libc::O_NOFOLLOW)
            .mode(0o600)
            .open(path)
    };
    match open(true) {
        Ok(f) => return Ok(f),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
        Err(e) => return Err(io_err(path, e)),
    }
    remove_if_not_plain_file(path)?;
    open(false).map_err(|e| io_err(path, e))
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

pub(super) fn remove_if_not_plain_file(p: &Path) -> Result<()> {
    if let Ok(m) = fs::symlink_metadata(p) {
        if m.is_dir() {
            return Err(RepoError::Invalid(format!(
                "{}: a directory is in the way of a file",
                p.display()
            )));
        }
        if !m.is_file() {
            fs::remove_file(p).map_err(|e| io_err(p, e))?;
        }
    }
    Ok(())
}

pub(super) fn is_root() -> bool {
    use std::os::unix::fs::MetadataExt;
    fs::metadata("/proc/self")
        .map(|m| m.uid() == 0)
        .unwrap_or(false)
}

pub(super) fn mtime_of(mtime_ns: i64) -> filetime::FileTime {
    filetime::FileTime::from_unix_time(
        mtime_ns.div_euclid(1_000_000_000),
        mtime_ns.rem_euclid(1_000_000_000) as u32,
    )
}

/// Metadata of a directory, by path (directories are finished after everything in them).
pub(super) fn set_meta(p: &Path, node: &Node, root: bool) -> Result<()> {
    if root {
        std::os::unix::fs::lchown(p, Some(node.uid), Some(node.gid)).map_err(|e| io_err(p, e))?;
    }
    fs::set_permissions(p, fs::Permissions::from_mode(node.mode & 0o7777))
        .map_err(|e| io_err(p, e))?;
    let t = mtime_of(node.mtime_ns);
    filetime::set_file_times(p, t, t).map_err(|e| io_err(p, e))
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
