//! `cairn check`.

use anyhow::{bail, Result};

use super::{usage, Ctx, Outcome};
use crate::check::{self, ReadData};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Download and verify every pack
    #[arg(long, conflicts_with = "read_data_subset")]
    pub read_data: bool,
    /// Verify a subset of packs: N% (random, rounded up to at least one pack) or n/m (the
    /// n-th of m fixed buckets; 1/m … m/m in turn read everything)
    #[arg(long, value_name = "N%|n/m")]
    pub read_data_subset: Option<String>,
}

pub fn run(ctx: &Ctx, args: Args) -> Result<Outcome> {
    let read = match (&args.read_data_subset, args.read_data) {
        (Some(s), _) => ReadData::parse(s).map_err(usage)?,
        (None, true) => ReadData::All,
        (None, false) => ReadData::None,
    };
    let repo = ctx.open()?;
    let report = check::check(&repo, read)?;
    if ctx.json {
        super::print_json(&report)?;
    } else {
        for e in &report.errors {
            eprintln!("error: {e}");
        }
        for d in &report.damaged {
            print_damaged(d, ctx);
        }
        crate::ui::info(&format!(
            "checked {}, {}; {}: {}",
            crate::ui::count(report.snapshots as u64, "snapshot"),
            crate::ui::count(report.trees as u64, "tree"),
            packs_read(&report, read),
            if report.errors.is_empty() {
                "no errors".to_string()
            } else {
                crate::ui::count(report.errors.len() as u64, "error")
            }
        ));
    }
    if !report.errors.is_empty() {
        bail!(
            "repository {} has {} errors (first: {})",
            repo.location(),
            report.errors.len(),
            report.errors[0]
        );
    }
    Ok(Outcome::Ok)
}

/// How much data was verified, so that a subset that read little (or, for an empty
/// bucket, nothing) does not pass for a full check.
fn packs_read(report: &check::CheckReport, read: ReadData) -> String {
    let (n, total) = (report.packs_read, report.packs);
    match read {
        ReadData::None => "pack contents not read (use --read-data or --read-data-subset)".into(),
        ReadData::All => format!("read {n} of {total} packs"),
        ReadData::Percent(_) => {
            format!("read {n} of {total} packs ({read}, rounded up to whole packs)")
        }
        ReadData::Bucket(..) if n == 0 => {
            format!("read 0 of {total} packs (bucket {read} holds none)")
        }
        ReadData::Bucket(..) => format!("read {n} of {total} packs (bucket {read})"),
    }
}

/// A damaged snapshot and, one per line, each path it loses.
fn print_damaged(d: &check::DamagedSnapshot, ctx: &Ctx) {
    let head = format!(
        "snapshot {} ({}, {}, {})",
        d.id.short(),
        crate::ui::time::human(ctx.zone, d.time),
        d.host,
        d.paths.join(" ")
    );
    let lost = crate::ui::count((d.lost_files.len() + d.lost_dirs.len()) as u64, "path");
    match d.repaired_as {
        None => eprintln!("damaged: {head}: {lost} lost"),
        Some(r) => eprintln!(
            "note: {head}, repaired as {}: still {lost} lost (`cairn forget {}` once they are not expected back)",
            r.short(),
            d.id.short()
        ),
    }
    for f in &d.lost_files {
        eprintln!("  lost file: {f}");
    }
    for dir in &d.lost_dirs {
        eprintln!("  lost directory listing: {dir} (what was below it is unknown)");
    }
}
