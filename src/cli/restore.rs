//! `cairn restore`.

use std::path::PathBuf;

use anyhow::{anyhow, Result};

use super::{Ctx, Filter, Outcome};
use crate::pattern;
use crate::restore::{self, Plan, Selector};
use crate::ui;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Snapshot id (prefix) or `latest`
    pub snapshot: String,
    /// Directory to restore into (created if missing)
    #[arg(long, short = 't')]
    pub target: PathBuf,
    /// Restore only what matches this pattern (repeatable), e.g. /etc/nginx or '*.conf';
    /// a directory comes with everything below it (rules: docs/PATTERNS.md)
    #[arg(long = "include", short = 'i', value_name = "PATTERN")]
    pub includes: Vec<String>,
    /// Like --include, ignoring case
    #[arg(long = "iinclude", value_name = "PATTERN")]
    pub iincludes: Vec<String>,
    /// Read --include patterns from a file, one per line
    #[arg(long = "include-file", value_name = "FILE")]
    pub include_files: Vec<PathBuf>,
    /// Read --iinclude patterns from a file, one per line
    #[arg(long = "iinclude-file", value_name = "FILE")]
    pub iinclude_files: Vec<PathBuf>,
    /// Do not restore what matches this pattern (repeatable); wins over --include
    #[arg(long = "exclude", short = 'e', value_name = "PATTERN")]
    pub excludes: Vec<String>,
    /// Like --exclude, ignoring case
    #[arg(long = "iexclude", value_name = "PATTERN")]
    pub iexcludes: Vec<String>,
    /// Read --exclude patterns from a file, one per line
    #[arg(long = "exclude-file", value_name = "FILE")]
    pub exclude_files: Vec<PathBuf>,
    /// Read --iexclude patterns from a file, one per line
    #[arg(long = "iexclude-file", value_name = "FILE")]
    pub iexclude_files: Vec<PathBuf>,
    /// Restore setuid/setgid bits when not running as root too (root always restores
    /// them; otherwise they are left off, as tar does)
    #[arg(long)]
    pub keep_setuid: bool,
    #[command(flatten)]
    pub filter: Filter,
}

pub fn run(ctx: &Ctx, args: Args) -> Result<Outcome> {
    // Patterns are checked before the repository is opened (and a passphrase asked for).
    let includes = pattern::gather(
        &args.includes,
        &args.include_files,
        &args.iincludes,
        &args.iinclude_files,
    )
    .map_err(|e| anyhow!(e))?;
    let excludes = pattern::gather(
        &args.excludes,
        &args.exclude_files,
        &args.iexcludes,
        &args.iexclude_files,
    )
    .map_err(|e| anyhow!(e))?;
    let sel = Selector::new(&includes, &excludes).map_err(|e| anyhow!(e))?;
    let repo = ctx.open()?;
    let snap = super::find_snapshot(&repo, &args.snapshot, &args.filter)?;
    let plan = Plan::build(&repo, &snap.snap.tree, &sel)?;
    for w in sel.unmatched() {
        ui::warn(&w);
    }
    if plan.files.is_empty() && plan.dirs.is_empty() && plan.others.is_empty() {
        let texts = |specs: &[pattern::PatternSpec]| {
            specs.iter().map(|s| s.text.clone()).collect::<Vec<_>>()
        };
        let less = match excludes.is_empty() {
            true => String::new(),
            false => format!(" once {:?} are left out", texts(&excludes)),
        };
        return Err(anyhow!(
            "nothing in snapshot {} matches {:?}{less}",
            snap.id.short(),
            texts(&includes)
        ));
    }
    let started = std::time::Instant::now();
    let opts = restore::Options {
        keep_setid: args.keep_setuid,
    };
    let stats = restore::restore(&repo, &plan, &args.target, &opts)?;
    if stats.setid_stripped > 0 {
        ui::warn(&format!(
            "{} files or directories restored without their setuid/setgid bits (not running as root; --keep-setuid restores them)",
            stats.setid_stripped
        ));
    }
    let secs = started.elapsed().as_secs_f64().max(0.001);
    if ctx.json {
        super::print_json(&serde_json::json!({
            "snapshot": snap.id,
            "target": args.target.display().to_string(),
            "stats": stats,
            "duration_secs": secs,
        }))?;
    } else {
        ui::info(&format!(
            "restored snapshot {} to {}: {} files, {} dirs, {} symlinks, {} in {:.1}s ({}/s)",
            snap.id.short(),
            args.target.display(),
            stats.files,
            stats.dirs,
            stats.symlinks,
            ui::bytes(stats.bytes),
            secs,
            ui::bytes((stats.bytes as f64 / secs) as u64)
        ));
    }
    Ok(Outcome::Ok)
}
