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
    // An --exclude wins over an --include (docs/PATTERNS.md).
    #[command(flatten)]
    pub exclude: super::patterns::ExcludeArgs,
    /// Restore setuid/setgid bits when not running as root too (root always restores
    /// them; otherwise they are left off, as tar does)
    #[arg(long)]
    pub keep_setuid: bool,
    /// What to do with an entry already in the target where the snapshot has one
    #[arg(long, value_enum, default_value_t, value_name = "WHEN")]
    pub overwrite: restore::Overwrite,
    /// Remove entries of the target that the restored part of the snapshot does not
    /// have (what the snapshot has but the restore leaves out stays)
    #[arg(long)]
    pub delete: bool,
    /// Change nothing; report what would be restored, replaced and deleted
    #[arg(long, short = 'n')]
    pub dry_run: bool,
    /// Name each replaced and deleted path
    #[arg(long, short = 'v')]
    pub verbose: bool,
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
    // Patterns are checked before the repository is opened (and a passphrase asked for).
    let includes = pattern::gather(
        &args.includes,
        &args.include_files,
        &args.iincludes,
        &args.iinclude_files,
    )
    .map_err(|e| anyhow!(e))?;
    let excludes = args.exclude.gather()?;
    let sel = Selector::new(&includes, &excludes).map_err(super::usage)?;
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
        overwrite: args.overwrite,
        delete: args.delete,
        backed_up: snap.snap.paths.iter().map(PathBuf::from).collect(),
        dry_run: args.dry_run,
        list_changes: args.verbose,
    };
    let stats = restore::restore(&repo, &plan, &args.target, &opts)?;
    let would = if args.dry_run { "would be " } else { "" };
    if stats.skipped_devices > 0 {
        ui::warn(&format!(
            "{} device nodes {would}not restored (only root can create them)",
            stats.skipped_devices
        ));
    }
    if stats.setid_stripped > 0 {
        ui::warn(&format!(
            "{} files or directories restored without their setuid/setgid bits (not running as root; --keep-setuid restores them)",
            stats.setid_stripped
        ));
    }
    let secs = started.elapsed().as_secs_f64().max(0.001);
    for (change, path) in &stats.changes {
        let what = match (change, args.dry_run) {
            (restore::Change::Replaced, false) => "replaced",
            (restore::Change::Deleted, false) => "deleted",
            (restore::Change::Replaced, true) => "would replace",
            (restore::Change::Deleted, true) => "would delete",
        };
        ui::info(&format!("{what} {}", path.display()));
    }
    for f in &stats.lost_files {
        eprintln!("not restored (data lost or damaged): {f}");
    }
    for d in &stats.lost_dirs {
        eprintln!("not restored (directory listing lost, restored empty): {d}");
    }
    if ctx.json {
        super::print_json(&serde_json::json!({
            "snapshot": snap.id,
            "target": args.target.display().to_string(),
            "dry_run": args.dry_run,
            "stats": stats,
            "duration_secs": secs,
        }))?;
    } else {
        ui::info(&summary(&snap.id.short(), &args, &stats, secs));
    }
    let lost = stats.lost_files.len() + stats.lost_dirs.len();
    if lost == 0 {
        return Ok(Outcome::Ok);
    }
    // Exit 3, like a backup that could not read some files: the rest is there.
    eprintln!(
        "cairn restore: {} of snapshot {} not restored: {} lost or damaged data (listed above; `cairn check` says more); everything else was restored",
        ui::count(lost as u64, "path"),
        snap.id.short(),
        if lost == 1 { "it depends on" } else { "they depend on" }
    );
    Ok(Outcome::Partial)
}

/// The one line a restore ends with: what came back, then what was in the target.
fn summary(snap: &str, args: &Args, s: &restore::RestoreStats, secs: f64) -> String {
    let verb = if args.dry_run {
        "would restore"
    } else {
        "restored"
    };
    let mut line = format!(
        "{verb} snapshot {snap} to {}: {}, {}, {}",
        args.target.display(),
        ui::count(s.files, "file"),
        ui::count(s.dirs, "dir"),
        ui::count(s.symlinks, "symlink")
    );
    for (n, what) in [(s.hardlinks, "hard link"), (s.specials, "special file")] {
        if n > 0 {
            line.push_str(&format!(", {}", ui::count(n, what)));
        }
    }
    line.push_str(&format!(", {}", ui::bytes(s.bytes)));
    if !args.dry_run {
        line.push_str(&format!(
            " in {secs:.1}s ({}/s)",
            ui::bytes((s.bytes as f64 / secs) as u64)
        ));
    }
    line.push_str(&format!(
        "; {} replaced, {} unchanged, {} skipped, {} deleted",
        s.replaced, s.unchanged, s.skipped, s.deleted
    ));
    line
}
