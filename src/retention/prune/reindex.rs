//! Which index files a prune replaces: only those that name a pack that goes (deleted,
//! repacked, or gone from storage), plus the small ones when there are several to merge.
//!
//! Rewriting the whole index on every prune made its time grow with the blobs it keeps
//! (every kept entry written again, and every cache rebuilt from the new files: ~35–50
//! µs a kept blob, docs/BENCHMARKS.md "Repository scale"). An index file whose packs all
//! stay says exactly what a rewritten one would say about them, so it stays.

use std::collections::{HashMap, HashSet};

use super::plan::PackUsage;
use crate::ids::PackId;
use crate::repo::index::MAX_BLOBS_PER_INDEX;

/// Index files below this many blobs are merged when there are at least two of them:
/// backups write one small file each, and a repository of thousands of them reads
/// slowly into a cold cache. Merged files come out full, so what is merged again later
/// is bounded by what backups added since.
pub const SMALL_INDEX: usize = MAX_BLOBS_PER_INDEX / 2;

/// An index file prune read and verified at the start.
#[derive(Debug, Clone)]
pub struct IndexFileInfo {
    pub name: String,
    pub packs: Vec<PackId>,
    pub blobs: usize,
}

/// The index files to replace and the kept packs the new files must list.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Reindex {
    /// Names of the files to delete once the new ones are stored: the replaced files
    /// and those that did not verify.
    pub replace: Vec<String>,
    /// Kept packs no remaining file names, in the order of `keep`.
    pub relist: Vec<(PackId, u64)>,
    /// Packs the replaced files name that are not kept (deleted, repacked, or missing
    /// from storage): no index names them once the replaced files are gone.
    pub dropped: Vec<PackId>,
}

/// `force` replaces every file (`key rewrap`: the index must be encrypted anew).
pub fn reindex(
    files: &[IndexFileInfo],
    rejected: &[String],
    keep: &[PackUsage],
    force: bool,
) -> Reindex {
    let kept: HashMap<PackId, u64> = keep.iter().map(|p| (p.id, p.size)).collect();
    let small = files.iter().filter(|f| f.blobs < SMALL_INDEX).count();
    let (dirty, clean): (Vec<&IndexFileInfo>, Vec<&IndexFileInfo>) = files.iter().partition(|f| {
        force
            || (small >= 2 && f.blobs < SMALL_INDEX)
            || f.packs.iter().any(|p| !kept.contains_key(p))
    });
    let covered: HashSet<PackId> = clean.iter().flat_map(|f| f.packs.iter().copied()).collect();
    let mut dropped: Vec<PackId> = dirty
        .iter()
        .flat_map(|f| f.packs.iter().copied())
        .filter(|p| !kept.contains_key(p) && !covered.contains(p))
        .collect();
    dropped.sort();
    dropped.dedup();
    Reindex {
        replace: dirty
            .iter()
            .map(|f| f.name.clone())
            .chain(rejected.iter().cloned())
            .collect(),
        relist: keep
            .iter()
            .filter(|p| !covered.contains(&p.id))
            .map(|p| (p.id, p.size))
            .collect(),
        dropped,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pack(n: u8) -> PackId {
        PackId([n; 32])
    }

    fn usage(n: u8) -> PackUsage {
        PackUsage {
            id: pack(n),
            size: 1000 + u64::from(n),
            indexed: true,
            blobs: 1,
            used_blobs: 1,
            used_bytes: 1,
            unused_bytes: 0,
        }
    }

    fn file(name: &str, packs: &[u8], blobs: usize) -> IndexFileInfo {
        IndexFileInfo {
            name: name.into(),
            packs: packs.iter().map(|&n| pack(n)).collect(),
            blobs,
        }
    }

    const FULL: usize = MAX_BLOBS_PER_INDEX;

    #[test]
    fn files_whose_packs_all_stay_stay() {
        let files = [file("a", &[1, 2], FULL), file("b", &[3, 4], FULL)];
        let keep = [usage(1), usage(2), usage(3), usage(4)];
        assert_eq!(reindex(&files, &[], &keep, false), Reindex::default());
        // One pack of b goes: b is replaced, and its other pack listed anew.
        let keep = [usage(1), usage(2), usage(3)];
        let r = reindex(&files, &[], &keep, false);
        assert_eq!(r.replace, ["b"]);
        assert_eq!(r.relist, [(pack(3), 1003)]);
        assert_eq!(r.dropped, [pack(4)]);
    }

    /// A pack missing from storage is in no plan (the plan covers stored packs), yet
    /// the file naming it goes, and the pack with it.
    #[test]
    fn a_file_naming_a_pack_missing_from_storage_goes_and_drops_it() {
        let files = [file("a", &[1, 9], FULL), file("b", &[2], FULL)];
        let r = reindex(&files, &[], &[usage(1), usage(2)], false);
        assert_eq!(r.replace, ["a"]);
        assert_eq!(r.relist, [(pack(1), 1001)]);
        assert_eq!(r.dropped, [pack(9)]);
    }

    #[test]
    fn a_pack_also_named_by_a_file_that_stays_is_not_listed_again() {
        let files = [file("a", &[1, 2], FULL), file("b", &[2, 3], FULL)];
        let r = reindex(&files, &[], &[usage(1), usage(2)], false);
        assert_eq!(r.replace, ["b"]);
        assert!(r.relist.is_empty(), "{r:?}");
    }

    #[test]
    fn small_files_merge_when_there_are_two_or_more() {
        let keep = [usage(1), usage(2), usage(3)];
        let one_small = [file("a", &[1, 2], FULL), file("b", &[3], 10)];
        assert_eq!(reindex(&one_small, &[], &keep, false), Reindex::default());
        let two_small = [
            file("a", &[1], FULL),
            file("b", &[2], 10),
            file("c", &[3], 20),
        ];
        let r = reindex(&two_small, &[], &keep, false);
        assert_eq!(r.replace, ["b", "c"]);
        assert_eq!(r.relist, [(pack(2), 1002), (pack(3), 1003)]);
    }

    #[test]
    fn rejected_files_go_and_force_replaces_everything() {
        let files = [file("a", &[1], FULL), file("b", &[2], FULL)];
        let keep = [usage(1), usage(2)];
        let r = reindex(&files, &["planted".into()], &keep, false);
        assert_eq!(r.replace, ["planted"]);
        assert!(r.relist.is_empty());
        let r = reindex(&files, &[], &keep, true);
        assert_eq!(r.replace, ["a", "b"]);
        assert_eq!(r.relist, [(pack(1), 1001), (pack(2), 1002)]);
    }

    /// A kept pack no file names (its only file did not verify) is listed anew.
    #[test]
    fn a_kept_pack_no_file_names_is_listed() {
        let files = [file("a", &[1], FULL)];
        let r = reindex(&files, &["bad".into()], &[usage(1), usage(2)], false);
        assert_eq!(r.replace, ["bad"]);
        assert_eq!(r.relist, [(pack(2), 1002)]);
    }
}
