//! Repository scale (issue 17) at a size CI runs: a synthetic repository of many tiny
//! blobs (`cairn::synth`, the generator behind `benches/repo-scale.sh`), then backup,
//! `forget --prune`, check and restore through the binary. Prune must remove exactly
//! the blobs no kept snapshot uses, and leave each kept blob indexed once.

mod common;

use std::collections::HashSet;
use std::fs;
use std::path::PathBuf;

use cairn::chunker::blob_id;
use cairn::ids::BlobId;
use cairn::repo::trust::TrustSettings;
use cairn::repo::Repository;
use cairn::synth::{self, Spec};
use common::*;

/// About 20 s for the whole test in the debug build on two cores (40 s beside other builds).
const BLOBS: u64 = 200_000;

fn open(w: &World) -> Repository {
    // No pins: the key can sign, so it is its own trust anchor.
    let trust = TrustSettings {
        signer: None,
        pin_dir: None,
    };
    Repository::open(
        cairn::backend::open(w.repo.to_str().unwrap(), &Default::default()).unwrap(),
        cairn::cli::load_identity(&w.key).unwrap(),
        Some(&w.cache),
        &trust,
    )
    .unwrap()
}

/// Every data blob every index object lists, with repetitions.
fn indexed_blobs(repo: &Repository) -> Vec<BlobId> {
    let mut all = Vec::new();
    for o in repo.backend().list("index/").unwrap() {
        for p in repo.read_index(&o.name).unwrap().packs {
            all.extend(p.blobs.iter().map(|b| b.id));
        }
    }
    all
}

#[test]
fn prune_at_scale_removes_exactly_the_unused_blobs() {
    let w = World::new();
    let spec = Spec::new(BLOBS);
    let (built, key) = {
        let repo = open(&w);
        (synth::build(&repo, &spec).unwrap(), *repo.blob_key())
    };
    let id = |i: u64| blob_id(&key, &synth::content(i));
    let kept: HashSet<BlobId> = (0..BLOBS).filter(|&i| !spec.dropped(i)).map(id).collect();
    let dropped: HashSet<BlobId> = (0..BLOBS).filter(|&i| spec.dropped(i)).map(id).collect();
    assert!(dropped.len() as u64 > BLOBS / 20 && kept.len() as u64 > BLOBS / 2);

    // A backup into the big repository: its own snapshot group, kept by forget.
    let src = small_tree(&w, 7);
    let small = w.backup(&[src.to_str().unwrap()])["id"]
        .as_str()
        .unwrap()
        .to_string();
    w.ok(&["check"]);
    let new = built.new.to_hex();
    let before = w.path("before");
    w.ok(&["restore", &new, "--target", before.to_str().unwrap()]);

    let out = w.json(&["forget", "--keep-last", "1", "--prune"]);
    let prune = &out["prune"];
    assert_eq!(prune["packs_deleted"], spec.packs_unused(), "{prune}");
    // The half-used data packs, and the tree packs the old snapshot's trees shared.
    assert!(
        prune["packs_repacked"].as_u64().unwrap() >= spec.packs_half_used(),
        "{prune}"
    );
    let snaps = w.snapshots();
    assert_eq!(snaps.len(), 2, "the new synthetic snapshot and the backup");
    assert!(snaps.iter().all(|s| s["id"] != built.old.to_hex()));

    // Exactly the used synthetic blobs remain, each in one place.
    let repo = open(&w);
    let listed = indexed_blobs(&repo);
    let synthetic: Vec<BlobId> = listed
        .iter()
        .filter(|b| kept.contains(b) || dropped.contains(b))
        .copied()
        .collect();
    let unique: HashSet<BlobId> = synthetic.iter().copied().collect();
    assert_eq!(synthetic.len(), unique.len(), "a blob indexed twice");
    assert!(
        unique.is_disjoint(&dropped),
        "an unused blob survived prune"
    );
    assert_eq!(unique, kept, "a used blob is gone from the index");
    drop(repo);

    w.ok(&["check", "--read-data"]);
    let after = w.path("after");
    w.ok(&["restore", &new, "--target", after.to_str().unwrap()]);
    assert_same_tree(&before, &after);
    // What the new snapshot holds, rebuilt from the generator's definition: every file
    // is its kept blobs in order.
    let file = |f: u64| -> Vec<u8> {
        (f * spec.blobs_per_file..((f + 1) * spec.blobs_per_file).min(BLOBS))
            .filter(|&i| !spec.dropped(i))
            .flat_map(synth::content)
            .collect()
    };
    for f in [1, 160, BLOBS / spec.blobs_per_file - 1] {
        let d = f / spec.files_per_dir;
        let path: PathBuf = after.join(format!("d{d:07}/f{f:09}"));
        assert_eq!(fs::read(&path).unwrap(), file(f), "{}", path.display());
    }
    let restored = w.path("small");
    w.ok(&["restore", &small, "--target", restored.to_str().unwrap()]);
    assert_same_tree(&src, &restored.join(src.strip_prefix("/").unwrap()));

    second_prune_leaves_full_index_files_alone(&w);
}

/// Index objects by name, with how many blobs each lists.
fn index_sizes(w: &World) -> Vec<(String, usize)> {
    let repo = open(w);
    let mut out = Vec::new();
    for o in repo.backend().list("index/").unwrap() {
        let blobs = repo
            .read_index(&o.name)
            .unwrap()
            .packs
            .iter()
            .map(|p| p.blobs.len())
            .sum();
        out.push((o.name, blobs));
    }
    out
}

/// After two small backups, one of them then forgotten, prune replaces only the small
/// index files (the ones naming the deleted pack and the other small one, merged) and
/// leaves the full ones alone; the cache it updated instead of rebuilding must not
/// vouch for the deleted blobs.
fn second_prune_leaves_full_index_files_alone(w: &World) {
    let full: Vec<String> = index_sizes(w)
        .into_iter()
        .filter(|(_, n)| *n >= 50_000)
        .map(|(name, _)| name)
        .collect();
    assert!(!full.is_empty(), "the first prune left no full index file");
    let dir = w.path("daily");
    fs::create_dir_all(&dir).unwrap();
    let gone = noise(3_000_000, 41);
    fs::write(dir.join("a.bin"), &gone).unwrap();
    let first = w.backup(&[dir.to_str().unwrap()])["id"]
        .as_str()
        .unwrap()
        .to_string();
    fs::write(dir.join("a.bin"), noise(2_000_000, 42)).unwrap();
    w.backup(&[dir.to_str().unwrap()]);
    w.ok(&["forget", &first]);
    let small_before = index_sizes(w).iter().filter(|(_, n)| *n < 50_000).count();
    assert!(small_before >= 2, "{small_before} small index files");

    let r = w.json(&["prune"]);
    assert!(r["packs_deleted"].as_u64().unwrap() >= 1, "{r}");
    assert_eq!(r["index_files_replaced"], small_before, "{r}");
    let after: Vec<String> = index_sizes(w).into_iter().map(|(name, _)| name).collect();
    for name in &full {
        assert!(after.contains(name), "{name} was rewritten: {after:?}");
    }
    // The cache prune updated in place says what one rebuilt from storage says.
    let fresh = w.path("fresh-cache");
    assert_eq!(
        w.json(&["stats"]),
        w.json(&["--cache-dir", fresh.to_str().unwrap(), "stats"]),
        "the cache prune updated differs from a rebuilt one"
    );

    fs::write(dir.join("a.bin"), &gone).unwrap();
    let again = w.backup(&[dir.to_str().unwrap()]);
    assert!(
        again["stats"]["bytes_added"].as_u64().unwrap() >= 3_000_000,
        "the cache still vouched for the deleted blobs: {again}"
    );
    w.ok(&["check", "--read-data"]);
}
