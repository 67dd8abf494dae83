//! `cairn stats`.

use std::collections::HashSet;

use anyhow::Result;

use super::{Ctx, Outcome};
use crate::ui;

#[derive(Debug, clap::Args)]
pub struct Args {}

pub fn run(ctx: &Ctx, _args: Args) -> Result<Outcome> {
    let repo = ctx.open()?;
    let snaps = repo.snapshots()?;
    let packs = repo.pack_ids()?;
    let stored: u64 = packs.iter().map(|(_, s)| s).sum();
    let (mut blobs, mut raw, mut packed) = (0u64, 0u64, 0u64);
    let mut indexed_packs = HashSet::new();
    let mut last = None;
    repo.cache().for_each_blob(|pack, e| {
        // Count each blob once, however many packs hold a copy.
        if last.replace(e.id) == Some(e.id) {
            return;
        }
        blobs += 1;
        raw += e.raw_length as u64;
        packed += e.length as u64;
        indexed_packs.insert(pack);
    })?;
    let logical: u64 = snaps.iter().map(|s| s.snap.stats.total_bytes).sum();
    let v = serde_json::json!({
        "repository": repo.location(),
        "snapshots": snaps.len(),
        "packs": packs.len(),
        "blobs": blobs,
        "stored_bytes": stored,
        "unique_raw_bytes": raw,
        "compressed_bytes": packed,
        "snapshots_total_bytes": logical,
        "compression_ratio": if packed > 0 { raw as f64 / packed as f64 } else { 0.0 },
        "dedup_ratio": if raw > 0 { logical as f64 / raw as f64 } else { 0.0 },
    });
    if ctx.json {
        super::print_json(&v)?;
    } else {
        println!("repository:        {}", repo.location());
        println!("snapshots:         {}", snaps.len());
        println!(
            "packs:             {} ({} stored)",
            packs.len(),
            ui::bytes(stored)
        );
        println!("blobs:             {blobs}");
        println!(
            "unique data:       {} raw, {} compressed",
            ui::bytes(raw),
            ui::bytes(packed)
        );
        println!("all snapshots:     {}", ui::bytes(logical));
        println!(
            "ratios:            dedup {:.2}x, compression {:.2}x",
            v["dedup_ratio"].as_f64().unwrap_or(0.0),
            v["compression_ratio"].as_f64().unwrap_or(0.0)
        );
    }
    Ok(Outcome::Ok)
}
