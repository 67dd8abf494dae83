//! `cairn prune`.

use anyhow::Result;

use super::{Ctx, Outcome};
use crate::retention::prune::{self, MaxUnused, PruneOptions, PruneReport};
use crate::ui;

/// How much to repack; shared with `forget --prune`.
#[derive(Debug, clap::Args)]
pub struct RepackFlags {
    /// Repack a partly used pack when more than this share of it is unused: a
    /// percentage, or `unlimited` to only delete packs nothing uses
    #[arg(long, value_name = "PCT", default_value = "10%")]
    pub max_unused: String,
    /// Repack at most this many stored bytes in one run (e.g. 500M, 2G)
    #[arg(long, value_name = "SIZE")]
    pub max_repack_size: Option<String>,
    /// Also count every blob in use from scratch (every index file read, every snapshot
    /// walked) and compare with the ledger kept in the cache; prune does this by itself
    /// every 30 runs
    #[arg(long)]
    pub recount: bool,
}

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub repack: RepackFlags,
    /// Show what would be deleted and repacked; change nothing
    #[arg(long, short = 'n')]
    pub dry_run: bool,
    /// If another process holds the repository, wait up to this long (e.g. 30s, 10m)
    #[arg(long, value_name = "DURATION")]
    pub wait_lock: Option<String>,
}

impl RepackFlags {
    pub fn options(&self, dry_run: bool, wait_lock: &Option<String>) -> Result<PruneOptions> {
        Ok(PruneOptions {
            max_unused: MaxUnused::parse(&self.max_unused).map_err(flag("max-unused"))?,
            max_repack_size: optional(&self.max_repack_size, "max-repack-size", prune::parse_size)?,
            dry_run,
            wait_lock: optional(wait_lock, "wait-lock", prune::parse_duration)?,
            recount: self.recount,
            ..PruneOptions::default()
        })
    }
}

/// Prefixes a parse error with the flag it belongs to.
fn flag(name: &'static str) -> impl Fn(String) -> anyhow::Error {
    move |e| super::usage(format!("--{name}: {e}"))
}

fn optional<T>(
    value: &Option<String>,
    name: &'static str,
    parse: fn(&str) -> std::result::Result<T, String>,
) -> Result<Option<T>> {
    value.as_deref().map(parse).transpose().map_err(flag(name))
}

pub fn run(ctx: &Ctx, args: Args) -> Result<Outcome> {
    let opts = args.repack.options(args.dry_run, &args.wait_lock)?;
    let repo = ctx.open()?;
    let r = prune::prune(&repo, &opts)?;
    if ctx.json {
        super::print_json(&r)?;
    } else {
        report(&r);
    }
    Ok(Outcome::Ok)
}

/// The plan and the one-line summary, on stderr like every progress message.
pub fn report(r: &PruneReport) {
    print_plan(r);
    ui::info(&summary(r));
}

fn print_plan(r: &PruneReport) {
    let verb = if r.dry_run { "would " } else { "" };
    ui::info(&format!(
        "{} use {}; {} ({} not in any index); {}",
        ui::count(r.snapshots as u64, "snapshot"),
        ui::count(r.blobs_used, "blob"),
        ui::count(r.packs as u64, "pack"),
        r.packs_unindexed,
        r.counting
    ));
    ui::info(&format!(
        "{verb}delete {} unused packs ({}), {verb}repack {} packs ({}, {} blobs kept), {verb}replace {} index files",
        r.packs_deleted,
        ui::bytes(r.bytes_deleted),
        r.packs_repacked,
        ui::bytes(r.bytes_repacked),
        r.blobs_repacked,
        r.index_files_replaced
    ));
}

fn summary(r: &PruneReport) -> String {
    if r.dry_run {
        return format!(
            "dry run: would free {} ({} packs deleted, {} repacked); nothing changed",
            ui::bytes(r.bytes_freed),
            r.packs_deleted,
            r.packs_repacked
        );
    }
    format!(
        "pruned: {} packs deleted, {} repacked into {}, {} index files replaced by {}, {} freed in {:.1}s",
        r.packs_deleted,
        r.packs_repacked,
        r.packs_written,
        r.index_files_replaced,
        r.index_files_written,
        ui::bytes(r.bytes_freed),
        r.duration_secs
    )
}
