//! `cairn restore`.

use std::path::PathBuf;

use anyhow::{anyhow, Result};

use super::{Ctx, Filter, Outcome};
use crate::restore::{self, Plan, Selector};
use crate::ui;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Snapshot id (prefix) or `latest`
    pub snapshot: String,
    /// Directory to restore into (created if missing)
    #[arg(long, short = 't')]
    pub target: PathBuf,
    /// Restore only this path or glob (repeatable), e.g. /etc/nginx
    #[arg(long = "include", short = 'i', value_name = "PATTERN")]
    pub includes: Vec<String>,
    /// Restore setuid/setgid bits when not running as root too (root always restores
    /// them; otherwise they are left off, as tar does)
    #[arg(long)]
    pub keep_setuid: bool,
    #[command(flatten)]
    pub filter: Filter,
}

pub fn run(ctx: &Ctx, args: Args) -> Result<Outcome> {
    // Said before anything is downloaded, in words that name what the path is.
    if let Ok(m) = std::fs::metadata(&args.target) {
        if !m.is_dir() {
            let what = if m.is_file() {
                "a file"
            } else {
                "not a directory"
            };
            return Err(anyhow!(
                "restore target {} is {what}; give a directory (created if missing)",
                args.target.display()
            ));
        }
    }
    let repo = ctx.open()?;
    let snap = super::find_snapshot(&repo, &args.snapshot, &args.filter)?;
    let sel = Selector::new(&args.includes).map_err(|e| anyhow!(e))?;
    let plan = Plan::build(&repo, &snap.snap.tree, &sel)?;
    if plan.files.is_empty() && plan.dirs.is_empty() && plan.others.is_empty() {
        return Err(anyhow!(
            "nothing in snapshot {} matches {:?}",
            snap.id.short(),
            args.includes
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
