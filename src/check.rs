//! Verifying a repository: structure always, data on request.
//!
//! The structural check reads every snapshot (verifying its signature), every tree they
//! reach, and makes sure each referenced blob is indexed in a pack that exists. Reading
//! data downloads packs, checks them against their ids, decrypts them and verifies every
//! blob against its keyed id. Problems are collected, not fatal, so one run names them
//! all, the snapshots they affect and, in each, the paths that depend on lost data.

use std::collections::{HashMap, HashSet};

use rand::seq::SliceRandom;
use rayon::prelude::*;

use crate::cache::Reading;
use crate::damage::{Lost, Walker};
use crate::ids::{BlobId, PackId, SnapshotId};
use crate::repo::pack::{Compression, Pack, PackEntry};
use crate::repo::snapshot::Snapshot;
use crate::repo::tree::NodeKind;
use crate::repo::{RepoError, Repository, Result};
use crate::ui::Progress;

#[derive(Debug, Clone, Copy)]
pub enum ReadData {
    None,
    All,
    /// Packs whose id falls in bucket `n` of `m` (1-based).
    Bucket(u32, u32),
    Percent(f64),
}

impl ReadData {
    pub fn parse(spec: &str) -> std::result::Result<ReadData, String> {
        if let Some(p) = spec.strip_suffix('%') {
            let v: f64 = p
                .trim()
                .parse()
                .map_err(|_| format!("bad percentage {spec:?}"))?;
            if !(0.0..=100.0).contains(&v) || v == 0.0 {
                return Err(format!("percentage {spec:?} must be in (0, 100]"));
            }
            return Ok(ReadData::Percent(v));
        }
        if let Some((n, m)) = spec.split_once('/') {
            let n: u32 = n
                .trim()
                .parse()
                .map_err(|_| format!("bad subset {spec:?}"))?;
            let m: u32 = m
                .trim()
                .parse()
                .map_err(|_| format!("bad subset {spec:?}"))?;
            if m == 0 || n == 0 || n > m {
                return Err(format!("subset {spec:?} must be n/m with 1 <= n <= m"));
            }
            return Ok(ReadData::Bucket(n, m));
        }
        Err(format!("subset {spec:?}: use N% or n/m"))
    }

    /// Which of `packs` to download. A percentage rounds up to whole packs, so a small
    /// repository still has a pack read rather than none; buckets are fixed by pack id
    /// so that running 1/m … m/m in turn reads everything once.
    fn choose(&self, mut packs: Vec<PackId>) -> Vec<PackId> {
        match *self {
            ReadData::None => Vec::new(),
            ReadData::All => packs,
            ReadData::Bucket(n, m) => {
                packs.retain(|id| u32::from_be_bytes(id.0[..4].try_into().unwrap()) % m == n - 1);
                packs
            }
            ReadData::Percent(p) => {
                let want = packs_for_percent(p, packs.len());
                packs.shuffle(&mut rand::thread_rng());
                packs.truncate(want);
                packs
            }
        }
    }
}

impl std::fmt::Display for ReadData {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReadData::None => f.write_str("none"),
            ReadData::All => f.write_str("all"),
            ReadData::Bucket(n, m) => write!(f, "{n}/{m}"),
            ReadData::Percent(p) => write!(f, "{p}%"),
        }
    }
}

/// `p` percent of `total` packs, rounded up, and at least one when there is any.
pub fn packs_for_percent(p: f64, total: usize) -> usize {
    if total == 0 {
        return 0;
    }
    // The small slack keeps 10% of 30 at 3 despite 30.0 * 10.0 / 100.0 > 3.0 in floats.
    let exact = total as f64 * p / 100.0 - 1e-9;
    (exact.ceil().max(1.0) as usize).min(total)
}

#[derive(Debug, Default, serde::Serialize)]
pub struct CheckReport {
    pub snapshots: usize,
    pub trees: usize,
    pub packs: usize,
    /// What was asked for: `none`, `all`, `N%` or `n/m`.
    pub read_data: String,
    /// Packs downloaded and verified (a percentage rounds up to at least one).
    pub packs_read: usize,
    /// Stored bytes of the packs read.
    pub bytes_read: u64,
    pub errors: Vec<String>,
    /// Snapshots that depend on lost data (missing or damaged packs, blobs in no index).
    pub damaged: Vec<DamagedSnapshot>,
}

pub fn check(repo: &Repository, read: ReadData) -> Result<CheckReport> {
    repo.require_reader()?;
    let mut report = CheckReport {
        read_data: read.to_string(),
        ..CheckReport::default()
    };
    let listed: HashMap<PackId, u64> = repo.pack_ids()?.into_iter().collect();
    report.packs = listed.len();
    let mut packs = Packs::load(repo, &listed)?;
    let mut missing: Vec<(u32, PackId)> = packs
        .by_no
        .iter()
        .filter(|(_, p)| !p.stored)
        .map(|(n, p)| (*n, p.id))
        .collect();
    missing.sort_by_key(|(_, id)| *id);
    for (_, id) in &missing {
        report
            .errors
            .push(format!("pack {id}: in the index but missing from storage"));
    }

    // Index objects the cache left out did not verify when it was synced; say why.
    let cached: HashSet<String> = repo.cache().index_files()?.into_iter().collect();
    for o in repo.backend().list("index/")? {
        if cached.contains(&o.name) {
            continue;
        }
        if let Err(e) = repo.read_index(&o.name) {
            report
                .errors
                .push(format!("{e}; ignored (`cairn prune` removes it)"));
        }
    }

    // Manifests first: a snapshot that a repaired one replaces keeps its damage as a
    // note, not an error, until `forget` removes it or the lost data comes back.
    let mut snaps: Vec<(SnapshotId, Snapshot)> = Vec::new();
    for id in repo.snapshot_ids()? {
        report.snapshots += 1;
        match repo.read_snapshot(&id) {
            Ok(s) => snaps.push((id, s)),
            Err(e) => report.errors.push(format!("snapshot {}: {e}", id.short())),
        }
    }
    let replaced: HashMap<SnapshotId, SnapshotId> = snaps
        .iter()
        .filter_map(|(id, s)| s.repaired.as_ref().map(|r| (r.original, *id)))
        .collect();

    // The data first, so that the walk below knows which packs failed and judges every
    // blob it meets once, against the packs as they are.
    let mut readable: Vec<PackId> = packs
        .by_no
        .values()
        .filter(|p| p.stored)
        .map(|p| p.id)
        .collect();
    // Sorted so that a bucket's packs are read in the same order every time.
    readable.sort();
    let to_read = read.choose(readable);
    report.packs_read = to_read.len();
    // Downloads and decryption run ahead (as many as the store takes at once); the
    // blobs of each pack are verified on all cores.
    let mut damaged: Vec<(u32, String)> = Vec::new();
    let reading = (!to_read.is_empty())
        .then(|| Progress::new(Some(to_read.iter().map(|p| listed[p]).sum()), "read data"));
    repo.read_packs_ahead(to_read, |id, pack| {
        let n = packs.no[&id];
        let verdict = match pack {
            Err(e) => Err(e.to_string()),
            Ok(pack) => check_pack(repo, &pack, n, packs.by_no[&n].blobs)?,
        };
        report.bytes_read += listed[&id];
        if let Some(p) = &reading {
            p.add(listed[&id]);
        }
        if let Err(e) = verdict {
            damaged.push((n, e));
        }
        Ok::<(), RepoError>(())
    })?;
    drop(reading);
    // Once interrupted, every read failed and would be listed as damage that is not there.
    crate::interrupt::check()?;
    for (n, _) in &damaged {
        packs
            .by_no
            .get_mut(n)
            .expect("read packs are indexed")
            .sound = false;
    }

    // Every tree once, however many snapshots share it, and each blob it names judged
    // as it is met. Nothing is kept per blob (a set of used blobs was ~40% of check's
    // memory at a million blobs); which snapshots a blob matters to is worked out
    // again (`Users`) only when something is wrong.
    let mut trees: HashSet<BlobId> = HashSet::new();
    let mut verdicts = Verdicts::default();
    let mut bad_trees = false;
    let walked = Progress::items(Some(snaps.len() as u64), "snapshots");
    for (_, snap) in &snaps {
        walked.add(1);
        let mut stack = vec![snap.tree];
        while let Some(tree_id) = stack.pop() {
            if !trees.insert(tree_id) {
                continue;
            }
            report.trees += 1;
            let tree = repo.read_tree(&tree_id);
            // One read transaction a tree: the tree and the blobs it names.
            let reading = repo.cache().reading()?;
            verdicts.judge(&reading, &packs, &tree_id)?;
            let Ok(tree) = tree else {
                bad_trees = true;
                continue;
            };
            for node in tree.nodes {
                if node.kind == NodeKind::Dir {
                    stack.extend(node.subtree);
                }
                for b in &node.content {
                    verdicts.judge(&reading, &packs, b)?;
                }
            }
        }
    }
    walked.finish();
    drop(trees);

    // What went wrong and whom it affects: the blobs of failed and missing packs, and
    // the used blobs with no usable copy.
    let broken: HashSet<u32> = packs
        .by_no
        .iter()
        .filter(|(_, p)| !p.sound)
        .map(|(n, _)| *n)
        .collect();
    let mut broken_blobs: HashMap<u32, Vec<BlobId>> = HashMap::new();
    if !broken.is_empty() {
        repo.cache().for_each_blob_in(&broken, |n, e| {
            broken_blobs.entry(n).or_default().push(e.id)
        })?;
    }
    let lost: HashSet<BlobId> = verdicts
        .unindexed
        .iter()
        .chain(&verdicts.unusable)
        .copied()
        .collect();
    let wanted: HashSet<BlobId> = lost
        .iter()
        .chain(broken_blobs.values().flatten())
        .copied()
        .collect();
    let users = Users {
        repo,
        snaps: &snaps,
    };
    let (uses, tree_errors) = if wanted.is_empty() && !bad_trees {
        (HashMap::new(), Vec::new())
    } else {
        users.of(&wanted)
    };
    let mut unreadable: HashSet<SnapshotId> = HashSet::new();
    for (id, tree_id, e) in tree_errors {
        unreadable.insert(id);
        if !replaced.contains_key(&id) || !e.is_damage() {
            report.errors.push(format!(
                "snapshot {}: tree {}: {e}",
                id.short(),
                tree_id.short()
            ));
        }
    }
    report.errors.append(&mut verdicts.errors);
    let mut missing_blobs = 0usize;
    let mut unindexed: Vec<(&BlobId, &Vec<SnapshotId>)> = uses
        .iter()
        .filter(|(b, _)| verdicts.unindexed.contains(*b))
        .collect();
    // The same first 20 on every run.
    unindexed.sort();
    for (b, users) in unindexed {
        if users.iter().any(|s| !replaced.contains_key(s)) {
            missing_blobs += 1;
            if missing_blobs <= 20 {
                report
                    .errors
                    .push(format!("blob {b}: referenced but not in any index"));
            }
        }
    }
    if missing_blobs > 20 {
        report.errors.push(format!(
            "... {} more blobs missing from the index",
            missing_blobs - 20
        ));
    }
    let affected = |n: u32| -> Vec<String> {
        let mut affected: Vec<String> = broken_blobs
            .get(&n)
            .into_iter()
            .flatten()
            .filter_map(|b| uses.get(b))
            .flatten()
            .map(|s| s.short())
            .collect();
        affected.sort();
        affected.dedup();
        affected
    };
    for (n, err) in damaged {
        let affected = affected(n);
        let affected = if affected.is_empty() {
            "no snapshot uses it".to_string()
        } else {
            format!("affects snapshots {}", affected.join(", "))
        };
        report.errors.push(format!("{err}; {affected}"));
    }
    // Missing packs affect snapshots too: say which.
    for (n, id) in missing {
        let affected = affected(n);
        if !affected.is_empty() {
            report.errors.push(format!(
                "pack {id} is missing; affects snapshots {}",
                affected.join(", ")
            ));
        }
    }
    let mut hit: HashSet<SnapshotId> = unreadable;
    for (b, users) in &uses {
        if lost.contains(b) {
            hit.extend(users);
        }
    }
    // Every blob the damaged snapshots reach was judged by the walk above.
    let lost_blob = |b: &BlobId| Ok(lost.contains(b));
    let mut walker = Walker::new(repo, &lost_blob);
    for (id, snap) in snaps.iter().filter(|(id, _)| hit.contains(id)) {
        let lost = walker.lost(&snap.tree)?;
        let repaired_as = replaced.get(id).copied();
        if repaired_as.is_none() {
            report.errors.push(format!(
                "snapshot {}: {} lost (`cairn repair` writes a snapshot without them)",
                id.short(),
                crate::ui::count(lost.len() as u64, "path")
            ));
        }
        report
            .damaged
            .push(DamagedSnapshot::of(*id, snap, repaired_as, lost));
    }
    report.damaged.sort_by_key(|d| (d.time, d.id));
    repo.forget_cached_packs();
    Ok(report)
}

/// The packs the index names, by their number in the cache: what check keeps per
/// pack. Nothing is kept per blob: the cache answers for each blob as the walk meets
/// it, so check's memory grows with packs and trees, not with the blobs they hold.
struct Packs {
    by_no: HashMap<u32, IndexedPack>,
    no: HashMap<PackId, u32>,
}

struct IndexedPack {
    id: PackId,
    /// How many blobs the index places in it.
    blobs: u64,
    /// Storage lists it.
    stored: bool,
    /// Stored, and not found damaged when read.
    sound: bool,
}

impl Packs {
    fn load(repo: &Repository, listed: &HashMap<PackId, u64>) -> Result<Packs> {
        let mut packs = Packs {
            by_no: HashMap::new(),
            no: HashMap::new(),
        };
        for (n, id, blobs) in repo.cache().indexed_packs()? {
            let stored = listed.contains_key(&id);
            packs.no.insert(id, n);
            packs.by_no.insert(
                n,
                IndexedPack {
                    id,
                    blobs,
                    stored,
                    sound: stored,
                },
            );
        }
        Ok(packs)
    }

    /// Every copy of a blob the index names, with its pack (a copy a backup indexed
    /// while check ran, in a pack check did not see, is left out).
    fn copies(&self, cache: &Reading, b: &BlobId) -> Result<Vec<(&IndexedPack, PackEntry)>> {
        Ok(cache
            .copies(b)?
            .into_iter()
            .filter_map(|(n, e)| Some((self.by_no.get(&n)?, e)))
            .collect())
    }

    /// The copy readers choose: one in a stored pack, a full one before a delta.
    fn chosen<'c>(
        copies: &'c [(&IndexedPack, PackEntry)],
    ) -> Option<&'c (&'c IndexedPack, PackEntry)> {
        copies
            .iter()
            .min_by_key(|(p, e)| (!p.stored, e.compression == Compression::Delta))
    }

    /// Whether a blob can be read: a full copy in a sound pack, or a delta in one whose
    /// base has a full copy in a sound pack.
    fn usable(&self, cache: &Reading, copies: &[(&IndexedPack, PackEntry)]) -> Result<bool> {
        let full =
            |(p, e): &&(&IndexedPack, PackEntry)| p.sound && e.compression != Compression::Delta;
        if copies.iter().any(|c| full(&c)) {
            return Ok(true);
        }
        for (p, e) in copies {
            if let Some(base) = e.base.filter(|_| p.sound) {
                if self.copies(cache, &base)?.iter().any(|c| full(&c)) {
                    return Ok(true);
                }
            }
        }
        Ok(false)
    }
}

/// What the walk found wrong with the blobs it met: bounded by the damage, not by the
/// repository.
#[derive(Default)]
struct Verdicts {
    /// Used and in no index.
    unindexed: HashSet<BlobId>,
    /// Used and indexed, with no copy that can be read.
    unusable: HashSet<BlobId>,
    /// Deltas already reported for their base.
    bad_bases: HashSet<BlobId>,
    errors: Vec<String>,
}

impl Verdicts {
    fn judge(&mut self, cache: &Reading, packs: &Packs, b: &BlobId) -> Result<()> {
        let copies = packs.copies(cache, b)?;
        let Some((pack, e)) = Packs::chosen(&copies) else {
            self.unindexed.insert(*b);
            return Ok(());
        };
        // A delta is only as good as its base: indexed, and a full blob.
        if e.compression == Compression::Delta {
            let base = e.base.unwrap_or(*b);
            let base_copies = packs.copies(cache, &base)?;
            let problem = match Packs::chosen(&base_copies) {
                None => Some("is not in any index"),
                Some((_, be)) if be.compression == Compression::Delta => Some("is itself a delta"),
                Some(_) => None,
            };
            if let Some(problem) = problem.filter(|_| self.bad_bases.insert(*b)) {
                self.errors.push(format!(
                    "pack {}: blob {b}: its delta base {base} {problem}",
                    pack.id
                ));
            }
        }
        if !packs.usable(cache, &copies)? {
            self.unusable.insert(*b);
        }
        Ok(())
    }
}

/// A snapshot that depends on lost data, and the paths it loses.
#[derive(Debug, serde::Serialize)]
pub struct DamagedSnapshot {
    pub id: SnapshotId,
    pub time: chrono::DateTime<chrono::Utc>,
    pub host: String,
    pub paths: Vec<String>,
    /// The repaired snapshot that replaces this one, if `cairn repair` wrote one: the
    /// damage is then a note, not an error.
    pub repaired_as: Option<SnapshotId>,
    /// Files whose content depends on lost blobs.
    pub lost_files: Vec<String>,
    /// Directories whose listing is lost (ending in `/`): what was below is unknown.
    pub lost_dirs: Vec<String>,
}

impl DamagedSnapshot {
    fn of(
        id: SnapshotId,
        snap: &Snapshot,
        repaired_as: Option<SnapshotId>,
        lost: Vec<Lost>,
    ) -> Self {
        let mut d = DamagedSnapshot {
            id,
            time: snap.time,
            host: snap.host.clone(),
            paths: snap.paths.clone(),
            repaired_as,
            lost_files: Vec::new(),
            lost_dirs: Vec::new(),
        };
        for l in lost {
            match l {
                Lost::File(p) => d.lost_files.push(p),
                Lost::Dir(p) => d.lost_dirs.push(p),
            }
        }
        d
    }
}

/// A pack's verdict (`Err` names what is wrong with it) against the index's `blobs`
/// entries for it (pack number `n` in the cache). Each entry the pack's own header
/// lists is compared with the index's; index entries the pack lacks show as a count
/// short.
fn check_pack(
    repo: &Repository,
    pack: &Pack,
    n: u32,
    blobs: u64,
) -> Result<std::result::Result<(), String>> {
    let id = pack.id;
    let mut indexed: HashSet<BlobId> = HashSet::new();
    let reading = repo.cache().reading()?;
    for entry in &pack.entries {
        let Some(in_index) = reading.copy_in(&entry.id, n)? else {
            continue;
        };
        if in_index != *entry {
            return Ok(Err(format!(
                "pack {id}: blob {} differs from the index",
                entry.id
            )));
        }
        indexed.insert(entry.id);
    }
    drop(reading);
    // Named by count: the index's rows are not ordered by pack, so naming the blobs
    // would read the whole index once per such pack (a planted or stale index can make
    // that every pack).
    let absent = blobs.saturating_sub(indexed.len() as u64);
    if absent > 0 {
        return Ok(Err(format!(
            "pack {id}: {absent} of the {blobs} blobs the index places in it are not in the pack"
        )));
    }
    Ok(pack.entries.par_iter().try_for_each(|entry| {
        repo.blob_in(pack, entry)
            .map(drop)
            .map_err(|e| e.to_string())
    }))
}

/// Which snapshots use some blobs, by walking each snapshot's trees (shared ones again
/// for each): only for the few blobs something is wrong with, so it is rarely needed.
struct Users<'a> {
    repo: &'a Repository,
    snaps: &'a [(SnapshotId, Snapshot)],
}

type TreeError = (SnapshotId, BlobId, crate::repo::RepoError);

impl Users<'_> {
    /// The snapshots using each of `wanted` (trees count as used), and every tree a
    /// snapshot reaches that cannot be read.
    fn of(&self, wanted: &HashSet<BlobId>) -> (HashMap<BlobId, Vec<SnapshotId>>, Vec<TreeError>) {
        let mut uses: HashMap<BlobId, Vec<SnapshotId>> = HashMap::new();
        let mut errors = Vec::new();
        for (id, snap) in self.snaps {
            let mut stack = vec![snap.tree];
            let mut trees: HashSet<BlobId> = HashSet::new();
            let mut this_snap: HashSet<BlobId> = HashSet::new();
            while let Some(tree_id) = stack.pop() {
                if !trees.insert(tree_id) {
                    continue;
                }
                if wanted.contains(&tree_id) {
                    this_snap.insert(tree_id);
                }
                let tree = match self.repo.read_tree(&tree_id) {
                    Ok(t) => t,
                    Err(e) => {
                        errors.push((*id, tree_id, e));
                        continue;
                    }
                };
                for node in tree.nodes {
                    if node.kind == NodeKind::Dir {
                        stack.extend(node.subtree);
                    }
                    this_snap.extend(node.content.into_iter().filter(|b| wanted.contains(b)));
                }
            }
            for b in this_snap {
                uses.entry(b).or_default().push(*id);
            }
        }
        (uses, errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_percentage_rounds_up_to_whole_packs() {
        for (p, total, want) in [
            (10.0, 5, 1),
            (5.0, 1, 1),
            (0.01, 3, 1),
            (10.0, 30, 3),
            (10.0, 31, 4),
            (5.0, 1000, 50),
            (50.0, 3, 2),
            (100.0, 7, 7),
            (10.0, 0, 0),
        ] {
            assert_eq!(packs_for_percent(p, total), want, "{p}% of {total}");
        }
    }

    #[test]
    fn buckets_split_the_packs_without_overlap() {
        let packs: Vec<PackId> = (0u8..40)
            .map(|i| PackId([i.wrapping_mul(37); 32]))
            .collect();
        let mut seen = Vec::new();
        for n in 1..=4 {
            seen.extend(ReadData::Bucket(n, 4).choose(packs.clone()));
        }
        seen.sort();
        let mut all = packs.clone();
        all.sort();
        assert_eq!(seen, all);
        assert_eq!(ReadData::Percent(10.0).choose(packs.clone()).len(), 4);
        assert!(ReadData::None.choose(packs).is_empty());
    }

    #[test]
    fn parses_both_subset_forms() {
        assert!(matches!(ReadData::parse("5%"), Ok(ReadData::Percent(p)) if p == 5.0));
        assert!(matches!(ReadData::parse("2/7"), Ok(ReadData::Bucket(2, 7))));
        for bad in ["0%", "101%", "0/3", "4/3", "x", "3/0"] {
            assert!(ReadData::parse(bad).is_err(), "{bad}");
        }
    }
}
