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

use crate::damage::{Lost, Walker};
use crate::ids::{BlobId, PackId, SnapshotId};
use crate::repo::pack::{Compression, Pack, PackEntry};
use crate::repo::snapshot::Snapshot;
use crate::repo::tree::NodeKind;
use crate::repo::{Repository, Result};
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

    // Each entry once, in its pack's list; the chosen copy of a blob is a place in
    // those lists (8 bytes, not a second copy of the entry: ~170 bytes a blob less).
    let mut indexed_packs: HashMap<PackId, Vec<PackEntry>> = HashMap::new();
    let mut pack_ids: Vec<PackId> = Vec::new();
    let mut pack_no: HashMap<PackId, u32> = HashMap::new();
    let mut index: HashMap<BlobId, (u32, u32)> = HashMap::new();
    repo.cache().for_each_blob(|pack, entry| {
        let n = *pack_no.entry(pack).or_insert_with(|| {
            pack_ids.push(pack);
            pack_ids.len() as u32 - 1
        });
        let entries = indexed_packs.entry(pack).or_default();
        let place = (n, entries.len() as u32);
        // A copy in a stored pack is the one that counts, a full one before a delta
        // (as readers choose).
        let better = match index.get(&entry.id) {
            None => true,
            Some(&(p, i)) => {
                let p = pack_ids[p as usize];
                let old = &indexed_packs[&p][i as usize];
                !listed.contains_key(&p)
                    || (listed.contains_key(&pack)
                        && old.compression == Compression::Delta
                        && entry.compression != Compression::Delta)
            }
        };
        if better {
            index.insert(entry.id, place);
        }
        indexed_packs
            .get_mut(&pack)
            .expect("added above")
            .push(entry);
    })?;
    drop(pack_no);
    let chosen = |b: &BlobId| -> Option<(PackId, &PackEntry)> {
        let &(p, i) = index.get(b)?;
        let p = pack_ids[p as usize];
        Some((p, &indexed_packs[&p][i as usize]))
    };
    for pack in indexed_packs.keys() {
        if !listed.contains_key(pack) {
            report.errors.push(format!(
                "pack {pack}: in the index but missing from storage"
            ));
        }
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

    // Every tree once, however many snapshots share it: the blobs they reach go into
    // one set. Walking each snapshot whole kept a list of snapshots per blob and read
    // shared trees again for every snapshot: gigabytes and hours at ten million blobs
    // and a month of snapshots. Which snapshots a blob matters to is worked out again
    // (`Users`) only when something is wrong.
    let mut used: HashSet<BlobId> = HashSet::new();
    let mut bad_trees = false;
    let walked = Progress::items(Some(snaps.len() as u64), "snapshots");
    for (_, snap) in &snaps {
        walked.add(1);
        let mut stack = vec![snap.tree];
        while let Some(tree_id) = stack.pop() {
            if !used.insert(tree_id) {
                continue;
            }
            report.trees += 1;
            let Ok(tree) = repo.read_tree(&tree_id) else {
                bad_trees = true;
                continue;
            };
            for node in tree.nodes {
                if node.kind == NodeKind::Dir {
                    stack.extend(node.subtree);
                }
                used.extend(node.content);
            }
        }
    }
    walked.finish();
    let users = Users {
        repo,
        snaps: &snaps,
    };
    let mut unreadable: HashSet<SnapshotId> = HashSet::new();
    if bad_trees {
        for (id, tree_id, e) in users.of(&HashSet::new()).1 {
            unreadable.insert(id);
            if !replaced.contains_key(&id) || !e.is_damage() {
                report.errors.push(format!(
                    "snapshot {}: tree {}: {e}",
                    id.short(),
                    tree_id.short()
                ));
            }
        }
    }
    // A delta is only as good as its base: indexed, and a full blob.
    for b in &used {
        let Some((pack, e)) = chosen(b).filter(|(_, e)| e.compression == Compression::Delta) else {
            continue;
        };
        let base = e.base.unwrap_or(*b);
        match chosen(&base) {
            None => report.errors.push(format!(
                "pack {pack}: blob {b}: its delta base {base} is not in any index"
            )),
            Some((_, be)) if be.compression == Compression::Delta => report.errors.push(format!(
                "pack {pack}: blob {b}: its delta base {base} is itself a delta"
            )),
            Some(_) => {}
        }
    }
    let unindexed: HashSet<BlobId> = used
        .iter()
        .filter(|b| !index.contains_key(*b))
        .copied()
        .collect();
    let uses = if unindexed.is_empty() {
        HashMap::new()
    } else {
        users.of(&unindexed).0
    };
    let mut missing_blobs = 0usize;
    let mut unindexed: Vec<(&BlobId, &Vec<SnapshotId>)> = uses.iter().collect();
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

    let mut readable: Vec<PackId> = indexed_packs
        .keys()
        .filter(|p| listed.contains_key(*p))
        .copied()
        .collect();
    // Sorted so that a bucket's packs are read in the same order every time.
    readable.sort();
    let to_read = read.choose(readable);
    report.packs_read = to_read.len();
    // Downloads and decryption run ahead (as many as the store takes at once); the
    // blobs of each pack are verified on all cores.
    let mut damaged: Vec<(PackId, String)> = Vec::new();
    let reading = (!to_read.is_empty())
        .then(|| Progress::new(Some(to_read.iter().map(|p| listed[p]).sum()), "read data"));
    let Ok(()) = repo.read_packs_ahead(to_read, |id, pack| {
        let verdict = pack
            .map_err(|e| e.to_string())
            .and_then(|pack| check_pack(repo, &pack, &indexed_packs[&id]));
        report.bytes_read += listed[&id];
        if let Some(p) = &reading {
            p.add(listed[&id]);
        }
        if let Err(e) = verdict {
            damaged.push((id, e));
        }
        Ok::<(), std::convert::Infallible>(())
    });
    drop(reading);
    // Once interrupted, every read failed and would be listed as damage that is not there.
    crate::interrupt::check()?;
    let mut broken: HashSet<PackId> = damaged.iter().map(|(p, _)| *p).collect();
    broken.extend(indexed_packs.keys().filter(|p| !listed.contains_key(*p)));
    let stored = || {
        indexed_packs
            .iter()
            .filter(|(p, _)| listed.contains_key(*p) && !broken.contains(*p))
            .flat_map(|(_, entries)| entries.iter())
    };
    // A delta is usable only with its base, which is always a full blob. With no pack
    // broken or missing, a blob's chosen copy says it (the chosen copy is a full one
    // whenever there is one, as readers choose), so the two sets over every stored blob
    // (~100 bytes a blob) are built only when some pack failed.
    let usable: Option<HashSet<BlobId>> = (!broken.is_empty()).then(|| {
        let full: HashSet<BlobId> = stored()
            .filter(|e| e.compression != Compression::Delta)
            .map(|e| e.id)
            .collect();
        stored()
            .filter(|e| {
                e.compression != Compression::Delta || e.base.is_some_and(|b| full.contains(&b))
            })
            .map(|e| e.id)
            .collect()
    });
    let is_usable = |b: &BlobId| match &usable {
        Some(set) => set.contains(b),
        None => chosen(b).is_some_and(|(_, e)| {
            e.compression != Compression::Delta
                || e.base
                    .and_then(|base| chosen(&base))
                    .is_some_and(|(_, base)| base.compression != Compression::Delta)
        }),
    };
    // The used blobs of broken packs, and those with no usable copy: who uses them?
    let suspects: HashSet<BlobId> = broken
        .iter()
        .flat_map(|p| indexed_packs[p].iter().map(|e| e.id))
        .chain(used.iter().filter(|b| !is_usable(b)).copied())
        .filter(|b| used.contains(b))
        .collect();
    let uses = if suspects.is_empty() {
        uses
    } else {
        users.of(&suspects).0
    };
    for (pack, err) in damaged {
        let mut affected: Vec<String> = indexed_packs[&pack]
            .iter()
            .filter_map(|e| uses.get(&e.id))
            .flatten()
            .map(|s| s.short())
            .collect();
        affected.sort();
        affected.dedup();
        let affected = if affected.is_empty() {
            "no snapshot uses it".to_string()
        } else {
            format!("affects snapshots {}", affected.join(", "))
        };
        report.errors.push(format!("{err}; {affected}"));
    }
    // Missing packs affect snapshots too: say which.
    for (pack, entries) in &indexed_packs {
        if listed.contains_key(pack) {
            continue;
        }
        let mut affected: Vec<String> = entries
            .iter()
            .filter_map(|e| uses.get(&e.id))
            .flatten()
            .map(|s| s.short())
            .collect();
        affected.sort();
        affected.dedup();
        if !affected.is_empty() {
            report.errors.push(format!(
                "pack {pack} is missing; affects snapshots {}",
                affected.join(", ")
            ));
        }
    }
    let mut hit: HashSet<SnapshotId> = unreadable;
    for (b, users) in &uses {
        if !is_usable(b) {
            hit.extend(users);
        }
    }
    let lost_blob = |b: &BlobId| Ok(!is_usable(b));
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

fn check_pack(
    repo: &Repository,
    pack: &Pack,
    indexed: &[PackEntry],
) -> std::result::Result<(), String> {
    let id = pack.id;
    for entry in indexed {
        let Some(stored) = pack.entry(&entry.id) else {
            return Err(format!(
                "pack {id}: blob {} is indexed but not in the pack",
                entry.id
            ));
        };
        if stored != entry {
            return Err(format!(
                "pack {id}: blob {} differs from the index",
                entry.id
            ));
        }
    }
    pack.entries.par_iter().try_for_each(|entry| {
        repo.blob_in(pack, entry)
            .map(drop)
            .map_err(|e| e.to_string())
    })
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
