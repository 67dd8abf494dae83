//! Restoring snapshots to a directory, or one file to a stream.

mod plan;
mod prefetch;

use std::collections::HashMap;
use std::fs;
use std::io::{self, Write};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{FileExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::ids::{BlobId, PackId};
use crate::repo::pack::{Pack, PackEntry};
use crate::repo::tree::{Node, NodeKind};
use crate::repo::{RepoError, Repository, Result};
use crate::ui::Progress;
pub use plan::{find_node as plan_find_node, Plan, Selector};

#[cfg(test)]
mod tests {
    #[test]
    fn windows_cover_every_placement_in_order() {
        use crate::ids::BlobId;
        use crate::repo::pack::{BlobType, Compression, PackEntry};
        let entry = |raw: u32| PackEntry {
            id: BlobId([0; 32]),
            kind: BlobType::Data,
            offset: 0,
            length: raw,
            raw_length: raw,
            compression: Compression::None,
        };
        let entries: Vec<PackEntry> = [5, 5, 5, 20, 1, 1].iter().map(|&r| entry(r)).collect();
        let places: Vec<super::Placement> = entries
            .iter()
            .enumerate()
            .map(|(i, e)| (0, i as u64, e))
            .collect();
        let w = super::windows_of(&places, 10);
        let lens: Vec<usize> = w.iter().map(|w| w.len()).collect();
        assert_eq!(lens, vec![2, 2, 2]);
        assert_eq!(w.concat(), places);
        assert!(super::windows_of(&[], 10).is_empty());
    }

    #[test]
    fn zero_blocks_become_holes() {
        let mut d = vec![0u8; 4096 * 4 + 10];
        d[5] = 1;
        d[4096 * 2 + 1] = 1;
        d[4096 * 4 + 9] = 1;
        assert_eq!(
            super::nonzero_runs(&d),
            vec![0..4096, 8192..12288, 16384..16394]
        );
        assert!(super::nonzero_runs(&[0u8; 100]).is_empty());
    }
}

#[derive(Debug, Default, serde::Serialize)]
pub struct RestoreStats {
    pub files: u64,
    pub dirs: u64,
    pub symlinks: u64,
    pub bytes: u64,
    pub skipped_special: u64,
}

fn io_err(path: &Path, e: io::Error) -> RepoError {
    RepoError::Invalid(format!("{}: {e}", path.display()))
}

/// Where each needed blob goes: (file index, offset) pairs.
type Targets = HashMap<BlobId, (PackEntry, Vec<(usize, u64)>)>;

pub fn restore(repo: &Repository, plan: &Plan, target: &Path) -> Result<RestoreStats> {
    let mut stats = RestoreStats::default();
    repo.forget_cached_packs();
    fs::create_dir_all(target).map_err(|e| io_err(target, e))?;
    // Probe writability now so the failure names the target, not some file inside it.
    let probe = target.join(format!(".cairn-probe-{}", std::process::id()));
    fs::write(&probe, b"").map_err(|e| io_err(target, e))?;
    let _ = fs::remove_file(&probe);

    for (rel, _) in &plan.dirs {
        let p = target.join(rel);
        match fs::symlink_metadata(&p) {
            Ok(m) if m.is_dir() => {}
            Ok(_) => {
                fs::remove_file(&p).map_err(|e| io_err(&p, e))?;
                fs::create_dir(&p).map_err(|e| io_err(&p, e))?;
            }
            Err(_) => fs::create_dir_all(&p).map_err(|e| io_err(&p, e))?,
        }
        stats.dirs += 1;
    }

    // Create every file at its final size first: blobs then land with positioned writes
    // in whatever order their packs arrive, and runs of zeros are left as holes.
    let mut by_pack: HashMap<PackId, Targets> = HashMap::new();
    for (i, (rel, node)) in plan.files.iter().enumerate() {
        let p = target.join(rel);
        remove_if_not_plain_file(&p)?;
        let f = fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .custom_flags(libc::O_NOFOLLOW)
            .mode(0o600)
            .open(&p)
            .map_err(|e| io_err(&p, e))?;
        f.set_len(node.size).map_err(|e| io_err(&p, e))?;
        let mut offset = 0u64;
        for id in &node.content {
            let (pack, entry) = repo.locate(id)?;
            let len = entry.raw_length as u64;
            by_pack
                .entry(pack)
                .or_default()
                .entry(*id)
                .or_insert_with(|| (entry, Vec::new()))
                .1
                .push((i, offset));
            offset += len;
        }
        if offset != node.size {
            return Err(RepoError::Invalid(format!(
                "{}: snapshot says {} bytes but its blobs hold {offset} (damaged tree)",
                rel.display(),
                node.size
            )));
        }
        stats.files += 1;
        stats.bytes += node.size;
    }

    let progress = Progress::new(Some(stats.bytes), "restore");
    let packs: Vec<(PackId, Targets)> = by_pack.into_iter().collect();
    let mut writer = Writer {
        target,
        plan,
        open: None,
        progress: &progress,
    };
    // Packs are written one at a time while the next ones download and decrypt: one
    // ahead from a directory, up to PREFETCH_MAX from an object store, whose round
    // trips would otherwise idle the restore. Memory stays at that many packs plus two
    // windows, whatever the snapshot's size.
    // One more than the downloads in flight: the pack being written counts too.
    let depth = repo
        .backend()
        .properties()
        .connections
        .clamp(1, PREFETCH_MAX)
        + 1;
    let mut targets = packs.iter().map(|(_, t)| t);
    prefetch::in_order(
        packs.iter().map(|(id, _)| *id).collect(),
        depth,
        |id| repo.read_pack(&id),
        |pack| {
            let t = targets.next().expect("one result per pack");
            restore_pack(repo, &pack?, t, &mut writer)
        },
    )?;
    progress.finish();

    let root = is_root();
    for (rel, node) in &plan.files {
        set_meta(&target.join(rel), node, root)?;
    }
    for (rel, node) in &plan.others {
        let p = target.join(rel);
        match node.kind {
            NodeKind::Symlink => {
                remove_if_not_plain_file(&p)?;
                let _ = fs::remove_file(&p);
                let t = node.target_raw().unwrap_or_default();
                std::os::unix::fs::symlink(std::ffi::OsStr::from_bytes(&t), &p)
                    .map_err(|e| io_err(&p, e))?;
                if root {
                    let _ = std::os::unix::fs::lchown(&p, Some(node.uid), Some(node.gid));
                }
                let mtime = mtime_of(node);
                let _ = filetime::set_symlink_file_times(&p, mtime, mtime);
                stats.symlinks += 1;
            }
            _ => {
                crate::ui::warn(&format!(
                    "{}: {:?} not restored (special files are recorded, not recreated)",
                    rel.display(),
                    node.kind
                ));
                stats.skipped_special += 1;
            }
        }
    }
    // Deepest first, so restoring a child does not bump its parent's mtime afterwards.
    let mut dirs: Vec<&(PathBuf, Node)> = plan.dirs.iter().collect();
    dirs.sort_by_key(|(p, _)| std::cmp::Reverse(p.components().count()));
    for (rel, node) in dirs {
        if rel.as_os_str().is_empty() {
            continue;
        }
        set_meta(&target.join(rel), node, root)?;
    }
    Ok(stats)
}

/// Writes restored blobs in (file, offset) order, keeping one file open at a time.
struct Writer<'a> {
    target: &'a Path,
    plan: &'a Plan,
    open: Option<(usize, fs::File)>,
    progress: &'a Progress,
}

impl Writer<'_> {
    fn write(&mut self, file: usize, offset: u64, data: &[u8]) -> Result<()> {
        let path = || self.target.join(&self.plan.files[file].0);
        if self.open.as_ref().map(|(f, _)| *f) != Some(file) {
            let p = path();
            let f = fs::OpenOptions::new()
                .write(true)
                .custom_flags(libc::O_NOFOLLOW)
                .open(&p)
                .map_err(|e| io_err(&p, e))?;
            self.open = Some((file, f));
        }
        let (_, f) = self.open.as_ref().expect("just opened");
        for r in nonzero_runs(data) {
            f.write_all_at(&data[r.clone()], offset + r.start as u64)
                .map_err(|e| io_err(&path(), e))?;
        }
        self.progress.add(data.len() as u64);
        Ok(())
    }
}

/// Writes the blobs one pack holds. In file order, in windows: the next window is
/// decompressed and verified on all cores while the previous one is written by one
/// thread (writers to one file contend for its inode lock, so one writer is faster).
fn restore_pack(
    repo: &Repository,
    pack: &Pack,
    targets: &Targets,
    writer: &mut Writer,
) -> Result<()> {
    let mut places: Vec<Placement> = targets
        .values()
        .flat_map(|(e, pl)| pl.iter().map(move |&(f, o)| (f, o, e)))
        .collect();
    places.sort_by_key(|&(f, o, _)| (f, o));
    type Decoded<'p> = Vec<std::borrow::Cow<'p, [u8]>>;
    let decode = |w: &[Placement]| -> Result<Decoded> {
        w.par_iter()
            .map(|(_, _, e)| Ok(pack.blob(e, repo.blob_key())?))
            .collect()
    };
    let write = |writer: &mut Writer, w: &[Placement], data: Decoded| -> Result<()> {
        w.iter()
            .zip(data)
            .try_for_each(|(&(f, o, _), d)| writer.write(f, o, &d))
    };
    let mut pending: Option<(&[Placement], Decoded)> = None;
    for w in windows_of(&places, RESTORE_WINDOW) {
        let (wrote, decoded) = rayon::join(
            || {
                pending
                    .take()
                    .map_or(Ok(()), |(pw, pd)| write(writer, pw, pd))
            },
            || decode(w),
        );
        wrote?;
        pending = Some((w, decoded?));
    }
    pending.map_or(Ok(()), |(pw, pd)| write(writer, pw, pd))
}

/// Packs fetched ahead of the writer from an object store (16 MiB each, decrypted).
const PREFETCH_MAX: usize = 4;

/// Raw bytes decompressed ahead of the writer during restore.
const RESTORE_WINDOW: u64 = 8 << 20;

/// Splits placements into consecutive windows of about `bytes` raw bytes each.
type Placement<'p> = (usize, u64, &'p PackEntry);

fn windows_of<'a, 'p>(places: &'a [Placement<'p>], bytes: u64) -> Vec<&'a [Placement<'p>]> {
    let mut out = Vec::new();
    let (mut start, mut size) = (0, 0u64);
    for (i, (_, _, e)) in places.iter().enumerate() {
        size += e.raw_length as u64;
        if size >= bytes {
            out.push(&places[start..=i]);
            start = i + 1;
            size = 0;
        }
    }
    if start < places.len() {
        out.push(&places[start..]);
    }
    out
}

/// Ranges of `data` that are not whole zero blocks: the rest is left as holes in the
/// file (which was created at full size, so holes read back as zeros).
fn nonzero_runs(data: &[u8]) -> Vec<std::ops::Range<usize>> {
    const BLOCK: usize = 4096;
    let mut runs: Vec<std::ops::Range<usize>> = Vec::new();
    for (i, block) in data.chunks(BLOCK).enumerate() {
        if block.iter().all(|&b| b == 0) {
            continue;
        }
        let (start, end) = (i * BLOCK, i * BLOCK + block.len());
        match runs.last_mut() {
            Some(last) if last.end == start => last.end = end,
            _ => runs.push(start..end),
        }
    }
    runs
}

fn remove_if_not_plain_file(p: &Path) -> Result<()> {
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

fn is_root() -> bool {
    use std::os::unix::fs::MetadataExt;
    fs::metadata("/proc/self")
        .map(|m| m.uid() == 0)
        .unwrap_or(false)
}

fn mtime_of(node: &Node) -> filetime::FileTime {
    filetime::FileTime::from_unix_time(
        node.mtime_ns.div_euclid(1_000_000_000),
        node.mtime_ns.rem_euclid(1_000_000_000) as u32,
    )
}

fn set_meta(p: &Path, node: &Node, root: bool) -> Result<()> {
    if root {
        std::os::unix::fs::lchown(p, Some(node.uid), Some(node.gid)).map_err(|e| io_err(p, e))?;
    }
    fs::set_permissions(p, fs::Permissions::from_mode(node.mode & 0o7777))
        .map_err(|e| io_err(p, e))?;
    let t = mtime_of(node);
    filetime::set_file_times(p, t, t).map_err(|e| io_err(p, e))
}

/// Writes one file's content to `out`, in order, verifying every blob.
pub fn dump(repo: &Repository, node: &Node, out: &mut dyn Write) -> Result<u64> {
    let mut written = 0u64;
    // Blobs of one file tend to sit in the same packs in order, so decrypt each pack
    // once while its blobs come by.
    let mut current: Option<crate::repo::pack::Pack> = None;
    for id in &node.content {
        let (pack_id, entry) = repo.locate(id)?;
        if current.as_ref().map(|p| p.id) != Some(pack_id) {
            current = Some(repo.read_pack(&pack_id)?);
        }
        let data = current
            .as_ref()
            .expect("just loaded")
            .blob(&entry, repo.blob_key())?;
        out.write_all(&data)
            .map_err(|e| RepoError::Invalid(format!("writing output: {e}")))?;
        written += data.len() as u64;
    }
    out.flush()
        .map_err(|e| RepoError::Invalid(format!("writing output: {e}")))?;
    Ok(written)
}
