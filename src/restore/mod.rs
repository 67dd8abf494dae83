//! Restoring snapshots to a directory, or one file to a stream.

mod beneath;
mod deltas;
mod files;
mod plan;
mod report;
mod survey;
pub mod tar;

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::ffi::OsStr;
use std::io::Write;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::ids::{BlobId, PackId};
use crate::repo::pack::{Compression, Pack, PackEntry};
use crate::repo::tree::{Node, NodeKind};
use crate::repo::{RepoError, Repository, Result};
use crate::ui::Progress;
use beneath::Target;
use files::{io_err, mtime_of, Files, Meta};
pub use plan::{find_node as plan_find_node, find_path, Plan, Selector};
pub use report::{Change, Counts, RestoreStats};
use rustix::fs::FileType;
pub use survey::Overwrite;
use survey::{Act, Survey};

#[cfg(test)]
mod tests {
    #[test]
    fn windows_cover_every_placement_in_order() {
        use crate::ids::BlobId;
        use crate::repo::pack::{BlobType, Compression, PackEntry};
        let places: Vec<super::Placement> = [5, 5, 5, 20, 1, 1]
            .iter()
            .enumerate()
            .map(|(i, &raw)| super::Placement {
                pack: 0,
                file: 0,
                offset: i as u64,
                entry: PackEntry {
                    id: BlobId([0; 32]),
                    kind: BlobType::Data,
                    offset: 0,
                    length: raw,
                    raw_length: raw,
                    compression: Compression::None,
                    base: None,
                },
            })
            .collect();
        let w = super::windows_of(&places, 10);
        let lens: Vec<usize> = w.iter().map(|w| w.len()).collect();
        assert_eq!(lens, vec![2, 2, 2]);
        let offsets: Vec<u64> = w.iter().flat_map(|w| w.iter().map(|p| p.offset)).collect();
        assert_eq!(offsets, vec![0, 1, 2, 3, 4, 5]);
        assert!(super::windows_of(&[], 10).is_empty());
    }
}

/// Choices the user makes about a restore.
#[derive(Debug, Default)]
pub struct Options {
    /// Restore setuid/setgid bits even when not running as root.
    pub keep_setid: bool,
    /// What to do with entries already in the target.
    pub overwrite: Overwrite,
    /// Remove what the target has and the restored part of the snapshot does not.
    pub delete: bool,
    /// The paths the snapshot backed up: the directories above them list only the
    /// way down to them, so `delete` leaves what else is in them alone.
    pub backed_up: Vec<PathBuf>,
    /// Decide and report, change nothing.
    pub dry_run: bool,
    /// Keep each replaced and deleted path for the report.
    pub list_changes: bool,
}

/// One blob's place in a restored file. Sorted by (pack, file, offset), the
/// placements of a pack are contiguous and in the order its files are written.
struct Placement {
    pack: u32,
    file: u32,
    offset: u64,
    entry: PackEntry,
}

/// A placement with its blob's content, decompressed and verified.
/// Raw blobs are borrowed from their pack (`'p`); deltas are rebuilt, so owned.
type Decoded<'a, 'p> = (&'a Placement, Cow<'p, [u8]>);

/// Restores the plan below `target`. Nothing below the target is reached through a
/// symbolic link, whoever planted it (see `beneath`). What is in the way is decided
/// first (`survey`); a dry run stops there.
pub fn restore(
    repo: &Repository,
    plan: &Plan,
    target: &Path,
    opts: &Options,
) -> Result<RestoreStats> {
    repo.forget_cached_packs();
    let path = target;
    let target = if opts.dry_run && !path.exists() {
        None
    } else {
        Some(Target::open(path).map_err(|e| io_err(path, e))?)
    };
    let meta = Meta::new(opts.keep_setid);
    let survey = Survey::of(repo, target.as_ref(), plan, opts, meta.root())?;
    let mut stats = RestoreStats::of(plan, &survey, path, meta.root(), opts.list_changes);
    stats.lost_dirs = plan
        .lost_dirs
        .iter()
        .map(|d| format!("{}/", d.display()))
        .collect();
    let Some(target) = target.filter(|_| !opts.dry_run) else {
        return Ok(stats);
    };
    let fail = |rel: &Path| {
        let at = target.show(rel);
        move |e: std::io::Error| io_err(&at, e)
    };
    for ((rel, _), act) in plan.dirs.iter().zip(&survey.dirs) {
        if act.writes() {
            target.make_dir(rel).map_err(fail(rel))?;
        }
    }
    // Directories where files go, before the writers (which never remove one) start.
    let doomed = |act: &Act| *act == Act::Replace { dir: true };
    for (i, f) in plan.files.iter().enumerate() {
        if doomed(&survey.files[i]) {
            let rel = plan.file_path(Path::new(""), f);
            target.remove(&rel).map_err(fail(&rel))?;
        }
    }
    for ((rel, _), act) in plan.others.iter().zip(&survey.others) {
        if doomed(act) {
            target.remove(rel).map_err(fail(rel))?;
        }
    }

    let Placed {
        packs,
        placements,
        bases,
        mut lost,
    } = place_blobs(repo, plan, &survey)?;
    repo.cache().release_pages();
    let progress = Progress::new(Some(stats.counts.bytes), "restore");
    let files = Files::new(&target, plan, &progress, &meta);
    // Files without blobs have no pack to bring them into being.
    plan.files
        .par_iter()
        .enumerate()
        .filter(|(i, node)| node.blobs() == 0 && survey.writes_file(*i))
        .try_for_each(|(i, _)| files.write(i, &[]))?;

    // Packs are written one at a time while the next ones download and decrypt. A pack
    // may hold only bases of deltas, and no placement. A pack that is lost or damaged
    // costs the files that need it (its own blobs, or a base of theirs), not the restore.
    let mut deltas = deltas::Deltas::new(&placements, bases);
    let mut rest = &placements[..];
    let mut index = 0u32;
    repo.read_packs_ahead(packs, |_, pack| {
        let n = rest.iter().take_while(|p| p.pack == index).count();
        let (places, later) = rest.split_at(n);
        rest = later;
        let at = index;
        index += 1;
        let restored = pack.and_then(|pack| {
            deltas.bases_of(repo, at, &pack, |done| write_decoded(&files, done))?;
            restore_pack(repo, &pack, places, &files, &mut deltas)
        });
        match restored {
            Err(e) if e.is_damage() => {
                let e = deltas.explain(at, &e);
                crate::ui::warn(&format!("{e}; the files that need it are not restored"));
                lost.extend(places.iter().map(|p| p.file));
                deltas.lost_pack(at);
                Ok(())
            }
            r => r,
        }
    })?;
    lost.extend(deltas.finished().map_err(RepoError::Invalid)?);
    progress.finish();

    // Every first name of a link group is complete by now (or lost, and so are its
    // other names).
    for &(f, first) in &survey.links {
        if lost.contains(&first) {
            lost.insert(f);
            continue;
        }
        let name = |i: u32| plan.file_path(Path::new(""), plan.files.get(i as usize));
        let rel = name(f);
        target.hard_link(&name(first), &rel).map_err(fail(&rel))?;
    }
    for ((rel, node), act) in plan.others.iter().zip(&survey.others) {
        if act.writes() {
            make_other(&target, &meta, rel, node).map_err(fail(rel))?;
        }
    }
    for rel in &survey.delete {
        target.remove(rel).map_err(fail(rel))?;
    }
    // Deepest first, so restoring a child does not bump its parent's mtime afterwards.
    let mut dirs: Vec<(&(PathBuf, Node), &Act)> = plan.dirs.iter().zip(&survey.dirs).collect();
    dirs.retain(|(_, act)| **act != Act::Keep);
    dirs.sort_by_key(|((p, _), _)| std::cmp::Reverse(p.components().count()));
    for ((rel, node), _) in dirs {
        target
            .open_dir(rel)
            .and_then(|d| meta.apply(&d, node.mode, (node.uid, node.gid), node.mtime_ns))
            .map_err(fail(rel))?;
    }
    stats.setid_stripped = meta.stripped();
    drop_lost(&target, plan, &files, &lost, &mut stats)?;
    Ok(stats)
}

/// Removes the files begun before their damage showed (no half-written file stays
/// under its real name) and takes the lost files out of the counts, into the list.
fn drop_lost(
    target: &Target,
    plan: &Plan,
    files: &Files,
    lost: &HashSet<u32>,
    stats: &mut RestoreStats,
) -> Result<()> {
    let mut lost: Vec<u32> = lost.iter().copied().collect();
    lost.sort_unstable();
    for i in lost {
        let node = plan.files.get(i as usize);
        let rel = plan.file_path(Path::new(""), node);
        if files.started(i as usize) {
            target
                .remove(&rel)
                .map_err(|e| io_err(&target.show(&rel), e))?;
        }
        stats.counts.files = stats.counts.files.saturating_sub(1);
        stats.counts.bytes = stats.counts.bytes.saturating_sub(node.size);
        stats
            .lost_files
            .push(Path::new("/").join(rel).display().to_string());
    }
    Ok(())
}

/// A symlink, FIFO or (as root) device node; sockets, and device nodes for others
/// than root, are left out (the report names them).
fn make_other(target: &Target, meta: &Meta, rel: &Path, node: &Node) -> std::io::Result<()> {
    let owner = meta.root().then_some((node.uid, node.gid));
    let mtime = mtime_of(node.mtime_ns);
    let kind = match node.kind {
        NodeKind::Symlink => {
            let link = node.target_raw().unwrap_or_default();
            return target.symlink(rel, OsStr::from_bytes(&link), owner, mtime);
        }
        NodeKind::Fifo => FileType::Fifo,
        NodeKind::CharDev if meta.root() => FileType::CharacterDevice,
        NodeKind::BlockDev if meta.root() => FileType::BlockDevice,
        _ => return Ok(()),
    };
    target.special(rel, (kind, node.rdev), meta.mode(node.mode), owner, mtime)
}

/// Where the blobs of a restore's files live.
struct Placed {
    /// The packs to read, in the order their placements are sorted in; packs holding
    /// deltas come before those holding their bases.
    packs: Vec<PackId>,
    placements: Vec<Placement>,
    /// The bases of delta blobs to take out of the packs, by pack index.
    bases: deltas::BaseEntries,
    /// Files that cannot be restored: a blob of theirs (or its delta base) is in no index.
    lost: HashSet<u32>,
}

/// Finds where every blob of every planned file lives.
fn place_blobs(repo: &Repository, plan: &Plan, survey: &Survey) -> Result<Placed> {
    let mut lost = HashSet::new();
    let mut packs: Vec<PackId> = Vec::new();
    let mut pack_index: HashMap<PackId, u32> = HashMap::new();
    let mut index_of = |pack: PackId, packs: &mut Vec<PackId>| {
        *pack_index.entry(pack).or_insert_with(|| {
            packs.push(pack);
            (packs.len() - 1) as u32
        })
    };
    // Delta pack -> base pack, as indices into `packs`.
    let mut edges = std::collections::HashSet::new();
    let mut bases: HashMap<crate::ids::BlobId, (u32, PackEntry)> = HashMap::new();
    // Sized up front: held for the whole restore, and doubling would leave up to
    // half of it as slack (~7 MB for a tree of 70k files).
    let mut placements = Vec::with_capacity(plan.files.blob_count());
    for (i, node) in plan.files.iter().enumerate() {
        if !survey.writes_file(i) {
            continue;
        }
        let mut offset = 0u64;
        let content = plan.files.content(node);
        let mut located = Vec::with_capacity(content.len());
        for id in content {
            let (pack, entry) = match repo.locate(id) {
                Ok(l) => l,
                Err(e) if e.is_damage() => break,
                Err(e) => return Err(e),
            };
            let base = match entry.compression {
                Compression::Delta => match repo.locate_base(pack, &entry) {
                    Ok(b) => Some(b),
                    Err(e) if e.is_damage() => break,
                    Err(e) => return Err(e),
                },
                _ => None,
            };
            located.push((pack, entry, base));
        }
        if located.len() < content.len() {
            lost.insert(i as u32);
            continue;
        }
        for (pack, entry, base) in located {
            let len = entry.raw_length as u64;
            let pack_i = index_of(pack, &mut packs);
            if let Some((base_pack, base_entry)) = base {
                let base_i = index_of(base_pack, &mut packs);
                edges.insert((pack_i, base_i));
                bases.entry(base_entry.id).or_insert((base_i, base_entry));
            }
            placements.push(Placement {
                pack: pack_i,
                file: i as u32,
                offset,
                entry,
            });
            offset += len;
        }
        if offset != node.size {
            return Err(RepoError::Invalid(format!(
                "{}: snapshot says {} bytes but its blobs hold {offset} (damaged tree)",
                plan.file_path(Path::new(""), node).display(),
                node.size
            )));
        }
    }
    let new_index = deltas::order_packs(&mut packs, &edges);
    for p in &mut placements {
        p.pack = new_index[p.pack as usize];
    }
    let mut base_entries = deltas::BaseEntries::new();
    for (_, (at, entry)) in bases {
        base_entries
            .entry(new_index[at as usize])
            .or_default()
            .push(entry);
    }
    placements.sort_unstable_by_key(|p| (p.pack, p.file, p.offset));
    Ok(Placed {
        packs,
        placements,
        bases: base_entries,
        lost,
    })
}

/// Writes decoded blobs, each file's run by one task.
fn write_decoded(files: &Files, mut blobs: Vec<Decoded>) -> Result<()> {
    blobs.sort_by_key(|(p, _)| (p.file, p.offset));
    blobs
        .par_chunk_by(|a, b| a.0.file == b.0.file)
        .try_for_each(|run| files.write(run[0].0.file as usize, run))
}

/// Writes the blobs one pack holds. In file order, in windows: the next window is
/// decompressed and verified on all cores while the previous one is written, each file
/// of it by one task (writers to one file contend for its inode lock; different files
/// are written in parallel, which is what a tree of small files needs). Deltas whose
/// base has not been read yet wait in `deltas`.
fn restore_pack<'a>(
    repo: &Repository,
    pack: &Pack,
    places: &'a [Placement],
    files: &Files,
    deltas: &mut deltas::Deltas<'a>,
) -> Result<()> {
    let mut pending: Option<Vec<Decoded>> = None;
    // Blobs of zeros met in this pack: one per sparse file's holes, placed thousands
    // of times, is decoded once and left a hole at each of its places.
    let mut zeros: HashSet<BlobId> = HashSet::new();
    for w in windows_of(places, RESTORE_WINDOW) {
        let (wrote, decoded) = rayon::join(
            || pending.take().map_or(Ok(()), |d| write_decoded(files, d)),
            || decode(repo, pack, w, &zeros),
        );
        wrote?;
        let mut decoded = decoded?;
        for (p, data) in &decoded {
            if !data.is_empty() && crate::chunker::all_zero(data) {
                zeros.insert(p.entry.id);
            }
        }
        let delta_places: Vec<&'a Placement> = w
            .iter()
            .filter(|p| p.entry.compression == Compression::Delta)
            .collect();
        if !delta_places.is_empty() {
            decoded.extend(deltas.decode(repo, pack, delta_places)?);
        }
        pending = Some(decoded);
    }
    pending.map_or(Ok(()), |d| write_decoded(files, d))
}

/// The window's blobs but its deltas, decompressed and verified on all cores; a blob
/// known to be all zeros comes as `HOLE` instead.
fn decode<'a, 'p>(
    repo: &Repository,
    pack: &'p Pack,
    w: &'a [Placement],
    zeros: &HashSet<BlobId>,
) -> Result<Vec<Decoded<'a, 'p>>> {
    w.par_iter()
        .filter(|p| p.entry.compression != Compression::Delta)
        .map(|p| match zeros.contains(&p.entry.id) {
            true => Ok((p, Cow::Borrowed(HOLE))),
            false => Ok((p, pack.blob(&p.entry, repo.blob_key())?)),
        })
        .collect()
}

/// The content of a decoded blob known to be all zeros (no blob is empty): written as
/// a hole, without being decompressed, verified or scanned again.
const HOLE: &[u8] = &[];

/// Raw bytes decompressed ahead of the writer during restore. Two windows are alive
/// at a time; 2 MiB restores as fast as 8 MiB did (tree and dump, measured in
/// docs/BENCHMARKS.md) and keeps ~12 MB less resident.
const RESTORE_WINDOW: u64 = 2 << 20;

/// Splits placements into consecutive windows of about `bytes` raw bytes each.
fn windows_of(places: &[Placement], bytes: u64) -> Vec<&[Placement]> {
    let mut out = Vec::new();
    let (mut start, mut size) = (0, 0u64);
    for (i, p) in places.iter().enumerate() {
        size += p.entry.raw_length as u64;
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

/// Writes one file's content to `out`, in order, verifying every blob.
pub fn dump(repo: &Repository, node: &Node, out: &mut dyn Write) -> Result<u64> {
    let mut written = 0u64;
    // Blobs of one file tend to sit in the same packs in order, so decrypt each pack
    // once while its blobs come by. Through the repository's cache of packs, which
    // also serves the bases of delta blobs (usually the pack of their neighbours).
    let mut current: Option<std::sync::Arc<Pack>> = None;
    for id in &node.content {
        let (pack_id, entry) = repo.locate(id)?;
        if current.as_ref().map(|p| p.id) != Some(pack_id) {
            current = Some(repo.cached_pack(&pack_id)?);
        }
        let data = repo.blob_in(current.as_ref().expect("just loaded"), &entry)?;
        out.write_all(&data)
            .map_err(|e| RepoError::Invalid(format!("writing output: {e}")))?;
        written += data.len() as u64;
    }
    out.flush()
        .map_err(|e| RepoError::Invalid(format!("writing output: {e}")))?;
    Ok(written)
}
