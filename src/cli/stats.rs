//! `cairn stats`.

use std::collections::HashSet;

use std::io::Write;

use anyhow::Result;

use super::{Ctx, Outcome};
use crate::repo::pack::Compression;
use crate::ui;

#[derive(Debug, clap::Args)]
pub struct Args {}

pub fn run(ctx: &Ctx, _args: Args) -> Result<Outcome> {
    let repo = ctx.open()?;
    let snaps = repo.snapshots()?;
    let packs = repo.pack_ids()?;
    let stored: u64 = packs.iter().map(|(_, s)| s).sum();
    let (mut blobs, mut raw, mut packed) = (0u64, 0u64, 0u64);
    // Blobs stored as deltas against a base (format 3), and their stored bytes.
    let (mut deltas, mut delta_bytes) = (0u64, 0u64);
    let mut indexed_packs = HashSet::new();
    let mut last = None;
    // Members of one zstd frame share its stored bytes: the frame counts once.
    let mut frames = HashSet::new();
    repo.cache().for_each_blob(|pack, e| {
        // Count each blob once, however many packs hold a copy.
        if last.replace(e.id) == Some(e.id) {
            return;
        }
        blobs += 1;
        raw += e.raw_length as u64;
        if e.compression != Compression::ZstdFrame || frames.insert((pack, e.offset)) {
            packed += e.length as u64;
        }
        if e.compression == Compression::Delta {
            deltas += 1;
            delta_bytes += e.length as u64;
        }
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
        "delta_blobs": deltas,
        "delta_stored_bytes": delta_bytes,
        "snapshots_total_bytes": logical,
        "compression_ratio": if packed > 0 { raw as f64 / packed as f64 } else { 0.0 },
        "dedup_ratio": if raw > 0 { logical as f64 / raw as f64 } else { 0.0 },
    });
    if ctx.json {
        return super::print_json(&v).map(|()| Outcome::Ok);
    }
    let ratio = |k: &str| v[k].as_f64().unwrap_or(0.0);
    let mut out = ui::out();
    writeln!(out, "repository:     {}", repo.location())?;
    writeln!(out, "snapshots:      {}", snaps.len())?;
    writeln!(
        out,
        "all snapshots:  {} (the sizes of all snapshots added up)",
        ui::bytes(logical)
    )?;
    writeln!(
        out,
        "unique data:    {} in {} (file contents and directory trees) before compression, {} after",
        ui::bytes(raw),
        ui::count(blobs, "blob"),
        ui::bytes(packed)
    )?;
    writeln!(
        out,
        "stored:         {} in {} (with encryption and pack headers)",
        ui::bytes(stored),
        ui::count(packs.len() as u64, "pack")
    )?;
    writeln!(
        out,
        "deduplication:  {:.2}x ({} of snapshots hold {} of unique data)",
        ratio("dedup_ratio"),
        ui::bytes(logical),
        ui::bytes(raw)
    )?;
    writeln!(
        out,
        "compression:    {:.2}x ({} of unique data compress to {})",
        ratio("compression_ratio"),
        ui::bytes(raw),
        ui::bytes(packed)
    )?;
    if deltas > 0 {
        writeln!(
            out,
            "delta blobs:    {} stored as deltas against an earlier chunk, in {}",
            ui::count(deltas, "blob"),
            ui::bytes(delta_bytes)
        )?;
    }
    Ok(Outcome::Ok)
}
