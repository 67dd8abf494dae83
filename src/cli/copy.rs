//! `cairn copy`: arguments and report; the copying itself is `crate::copy`. No business
//! logic here.

use std::path::PathBuf;

use anyhow::{bail, Context, Result};

use super::{find_snapshot, Ctx, Filter, Outcome};
use crate::copy::{self, Copied, Report};
use crate::repo::snapshot::StoredSnapshot;
use crate::repo::Repository;
use crate::ui;

#[derive(Debug, clap::Args)]
#[command(after_help = "\
-r/-k (and --trust-signer) name the source, --to/--to-key the destination. Each copied snapshot is a new \
manifest signed by the destination's key that names its source (`copied_from`); \
snapshots already copied are skipped, so an interrupted copy is resumed by running it \
again. Blobs the destination holds are not read when both repositories were made with \
the same chunk parameters (`cairn init --copy-params-from`); otherwise each blob is \
read once and re-hashed with the destination's key. See docs/OPERATIONS.md.")]
pub struct Args {
    /// Snapshots to copy: id prefixes or `latest` [default: every snapshot the filters
    /// select]
    #[arg(value_name = "SNAPSHOT")]
    pub ids: Vec<String>,
    /// Destination repository: a directory path, file:///path, swift://… or s3://…
    #[arg(long, value_name = "URL")]
    pub to: String,
    /// The destination's signing key [default: -k/--key]; its passphrase comes from
    /// CAIRN_TO_PASSPHRASE_FILE or CAIRN_TO_PASSPHRASE, else as -k's does
    #[arg(long, value_name = "FILE")]
    pub to_key: Option<PathBuf>,
    #[command(flatten)]
    pub filter: Filter,
    /// Show what would be copied (reads the source's trees), and store nothing
    #[arg(long, short = 'n')]
    pub dry_run: bool,
}

pub fn run(ctx: &Ctx, args: Args) -> Result<Outcome> {
    let src = ctx.open().context("source")?;
    let dest_key = match &args.to_key {
        Some(k) => {
            super::load_identity_with(k, Some("CAIRN_TO_PASSPHRASE")).context("destination key")?
        }
        None => ctx.identity()?,
    };
    let dest = ctx.open_other(&args.to, dest_key).context("destination")?;
    if src.config().id == dest.config().id {
        bail!(
            "{} and {} are the same repository (id {})",
            src.location(),
            dest.location(),
            src.config().id
        );
    }
    let selected = select(&src, &args)?;
    let report = copy::run(&src, &dest, selected, args.dry_run, |snap, c| {
        if !ctx.json {
            say(snap, c)
        }
    })?;
    if ctx.json {
        super::print_json(&json(&report, args.dry_run))?;
    } else {
        summary(&report, &dest, args.dry_run);
    }
    Ok(Outcome::Ok)
}

fn select(src: &Repository, args: &Args) -> Result<Vec<StoredSnapshot>> {
    if !args.ids.is_empty() {
        return args
            .ids
            .iter()
            .map(|id| find_snapshot(src, id, &args.filter))
            .collect();
    }
    let all = src.snapshots()?;
    let chosen: Vec<StoredSnapshot> = all
        .iter()
        .filter(|s| args.filter.matches(s))
        .cloned()
        .collect();
    if chosen.is_empty() && !all.is_empty() && !args.filter.is_empty() {
        bail!("{}", args.filter.why_nothing_matches(&all));
    }
    Ok(chosen)
}

fn say(snap: &StoredSnapshot, c: &Copied) {
    let what = format!(
        "snapshot {} ({} UTC, {}, {})",
        snap.id.short(),
        snap.snap.time.format("%Y-%m-%d %H:%M:%S"),
        snap.snap.host,
        snap.snap.paths.join(" ")
    );
    match c.id {
        Some(id) => ui::info(&format!(
            "{what} copied as {}: {} ({}) read, {} stored",
            id.short(),
            ui::count(c.blobs, "blob"),
            ui::bytes(c.bytes),
            ui::bytes(c.bytes_stored),
        )),
        None => ui::info(&format!(
            "would copy {what}: {} ({}) to read and add",
            ui::count(c.blobs, "blob"),
            ui::bytes(c.bytes)
        )),
    }
}

fn summary(report: &Report, dest: &Repository, dry_run: bool) {
    let verb = if dry_run { "would copy" } else { "copied" };
    ui::info(&format!(
        "{verb} {} to {}; {} already there",
        ui::count(report.copied.len() as u64, "snapshot"),
        dest.location(),
        report.skipped.len()
    ));
}

fn json(report: &Report, dry_run: bool) -> serde_json::Value {
    serde_json::json!({
        "dry_run": dry_run,
        "copied": report.copied,
        "skipped": report.skipped.iter().map(|(s, d)| serde_json::json!({
            "source": s, "id": d,
        })).collect::<Vec<_>>(),
    })
}
