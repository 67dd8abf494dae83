//! Builds a synthetic repository of many blobs (issue 17, docs/BENCHMARKS.md
//! "Repository scale"), for measuring what backup, prune and check need at that size.
//!
//! CAIRN_REPO=/path CAIRN_KEY=key.asc CAIRN_CACHE_DIR=cache \
//!   target/debug/deps/repo_scale-* BLOBS [BLOBS_PER_PACK]
//!
//! The repository must exist (`cairn init`); the key must have no passphrase or take it
//! from CAIRN_PASSPHRASE(_FILE) as the CLI does.

use std::path::PathBuf;
use std::time::Instant;

use cairn::repo::trust::TrustSettings;
use cairn::repo::Repository;
use cairn::synth::{build, Spec};

fn var(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| panic!("set {name}"))
}

fn main() {
    // `cargo test --all-targets` runs this in test mode, without `--bench` and without
    // a repository to fill: tests/repo_scale.rs covers the generator there.
    if !std::env::args().any(|a| a == "--bench") && std::env::var_os("CAIRN_REPO").is_none() {
        println!("repo_scale: nothing to do in test mode (set CAIRN_REPO and CAIRN_KEY)");
        return;
    }
    // `cargo bench` adds `--bench`; the numbers are the arguments.
    let args: Vec<u64> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .map(|a| a.parse().expect("BLOBS [BLOBS_PER_PACK] are numbers"))
        .collect();
    let mut spec = Spec::new(*args.first().unwrap_or(&100_000));
    if let Some(&bpp) = args.get(1) {
        spec.blobs_per_pack = bpp;
    }
    let backend =
        cairn::backend::open(&var("CAIRN_REPO"), &Default::default()).expect("repository");
    let identity = cairn::cli::load_identity(&PathBuf::from(var("CAIRN_KEY"))).expect("key");
    let cache = std::env::var_os("CAIRN_CACHE_DIR").map(PathBuf::from);
    let repo = Repository::open(
        backend,
        identity,
        cache.as_deref(),
        &TrustSettings::new(None),
    )
    .expect("open");
    let started = Instant::now();
    let built = build(&repo, &spec).expect("build");
    println!(
        "{} blobs in {} packs ({} used only by the old snapshot: {} packs unused, {} half used) in {:.1}s; snapshots old {} new {}",
        spec.blobs,
        spec.packs(),
        spec.dropped_count(),
        spec.packs_unused(),
        spec.packs_half_used(),
        started.elapsed().as_secs_f64(),
        built.old,
        built.new
    );
}
