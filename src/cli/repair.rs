//! `cairn repair [index|snapshots]`. The work is in `crate::repair`.

use anyhow::Result;

use super::{Ctx, Outcome};
use crate::repair::{self, IndexReport, SnapshotsReport};
use crate::ui;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    pub what: Option<What>,
    /// Say what would be done; change nothing (packs are still read)
    #[arg(long, short = 'n', global = true)]
    pub dry_run: bool,
}

#[derive(Debug, clap::Subcommand)]
pub enum What {
    /// Rebuild the index from the headers of the packs in storage (unreadable packs are
    /// reported and left alone)
    Index,
    /// Write, for each snapshot that depends on lost data, a repaired snapshot without
    /// the lost files (the original stays until `forget`)
    Snapshots,
}

pub fn run(ctx: &Ctx, args: Args) -> Result<Outcome> {
    let repo = ctx.open()?;
    let dry = args.dry_run;
    let (index, snapshots) = match args.what {
        Some(What::Index) => (Some(repair::repair_index(&repo, dry)?), None),
        Some(What::Snapshots) => (None, Some(repair::repair_snapshots(&repo, dry)?)),
        None => {
            let index = repair::repair_index(&repo, dry)?;
            if !ctx.json {
                report_index(&index);
            }
            let snaps = repair::repair_snapshots(&repo, dry)?;
            if ctx.json {
                super::print_json(&serde_json::json!({ "index": index, "snapshots": snaps }))?;
            } else {
                report_snapshots(&snaps, ctx);
            }
            return Ok(Outcome::Ok);
        }
    };
    match (index, snapshots, ctx.json) {
        (Some(i), _, true) => super::print_json(&i)?,
        (_, Some(s), true) => super::print_json(&s)?,
        (Some(i), _, false) => report_index(&i),
        (_, Some(s), false) => report_snapshots(&s, ctx),
        (None, None, _) => unreachable!("one of them ran"),
    }
    Ok(Outcome::Ok)
}

fn report_index(r: &IndexReport) {
    for u in &r.unreadable {
        ui::warn(&format!(
            "{}; left in storage and out of the index",
            u.error
        ));
    }
    let (verb, wrote) = if r.dry_run {
        ("would replace", "would write")
    } else {
        ("replaced", "wrote")
    };
    ui::info(&format!(
        "repair index: read {} of {} packs ({} unreadable, {} dropped from the index, {} added); {verb} {} index objects, {wrote} {} naming {}",
        r.packs_indexed,
        r.packs,
        r.unreadable.len(),
        r.packs_dropped,
        r.packs_added,
        r.index_files_replaced,
        r.index_files_written,
        ui::count(r.blobs, "blob")
    ));
}

fn report_snapshots(r: &SnapshotsReport, ctx: &Ctx) {
    for u in &r.unreadable {
        ui::warn(&format!(
            "{u}: cannot be repaired; `cairn forget` removes it"
        ));
    }
    for s in &r.repaired {
        let into = match (&s.id, r.dry_run) {
            (Some(id), _) => format!("repaired as {}", id.short()),
            (None, true) => "would be repaired".to_string(),
            (None, false) => "not repaired".to_string(),
        };
        ui::info(&format!(
            "snapshot {} ({}, {}): {} lost, {into}",
            s.original.short(),
            ui::time::human(ctx.zone, s.time),
            s.host,
            ui::count(s.lost.len() as u64, "path")
        ));
        for p in &s.lost {
            ui::info(&format!("  lost: {p}"));
        }
    }
    let verb = if r.dry_run { "would write" } else { "wrote" };
    ui::info(&format!(
        "repair snapshots: {} checked, {verb} {} repaired ({} already repaired earlier); originals kept until `cairn forget`",
        ui::count(r.snapshots as u64, "snapshot"),
        r.repaired.len(),
        r.already_repaired
    ));
}
