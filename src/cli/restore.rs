//! `cairn restore`.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{anyhow, Context, Result};

use super::{Ctx, Filter, Outcome};
use crate::pattern::{self, PatternSpec};
use crate::restore::{self, Plan, Selector};
use crate::ui;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Snapshot id (prefix) or `latest`
    pub snapshot: String,
    /// Directory to restore into (created if missing)
    #[arg(long, short = 't', required_unless_present = "to_tar")]
    pub target: Option<PathBuf>,
    /// Write what would be restored as a tar archive (POSIX pax) to FILE, or to
    /// standard output for `-`, instead of into a directory
    #[arg(
        long,
        value_name = "FILE",
        conflicts_with_all = ["target", "keep_setuid", "delete", "dry_run", "verbose", "overwrite"]
    )]
    pub to_tar: Option<PathBuf>,
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
    let target = match (&args.target, &args.to_tar) {
        (_, Some(file)) => return to_tar(ctx, &args, file),
        (Some(t), None) => t.clone(),
        (None, None) => return Err(super::usage("give --target DIR or --to-tar FILE")),
    };
    // Said before anything is downloaded, in words that name what the path is.
    if let Ok(m) = std::fs::metadata(&target) {
        if !m.is_dir() {
            let what = if m.is_file() {
                "a file"
            } else {
                "not a directory"
            };
            return Err(anyhow!(
                "restore target {} is {what}; give a directory (created if missing)",
                target.display()
            ));
        }
    }
    let (includes, excludes, sel) = selection(&args)?;
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
    let stats = restore::restore(&repo, &plan, &target, &opts)?;
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
            "target": target.display().to_string(),
            "dry_run": args.dry_run,
            "stats": stats,
            "duration_secs": secs,
        }))?;
    } else {
        ui::info(&summary(&snap.id.short(), &args, &target, &stats, secs));
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
fn summary(snap: &str, args: &Args, target: &Path, s: &restore::RestoreStats, secs: f64) -> String {
    let verb = if args.dry_run {
        "would restore"
    } else {
        "restored"
    };
    let mut line = format!(
        "{verb} snapshot {snap} to {}: {}",
        target.display(),
        s.counts.summary()
    );
    if !args.dry_run {
        line.push_str(&format!(
            " in {secs:.1}s ({}/s)",
            ui::bytes((s.counts.bytes as f64 / secs) as u64)
        ));
    }
    line.push_str(&format!(
        "; {} replaced, {} unchanged, {} skipped, {} deleted",
        s.replaced, s.unchanged, s.skipped, s.deleted
    ));
    line
}

/// The --include and --exclude patterns, checked before the repository is opened (and a
/// passphrase asked for).
fn selection(args: &Args) -> Result<(Vec<PatternSpec>, Vec<PatternSpec>, Selector)> {
    let includes = pattern::gather(
        &args.includes,
        &args.include_files,
        &args.iincludes,
        &args.iinclude_files,
    )
    .map_err(|e| anyhow!(e))?;
    let excludes = args.exclude.gather()?;
    let sel = Selector::new(&includes, &excludes).map_err(super::usage)?;
    Ok((includes, excludes, sel))
}

/// `--to-tar FILE|-`: what the restore would write, as a tar stream.
fn to_tar(ctx: &Ctx, args: &Args, file: &Path) -> Result<Outcome> {
    let stdout = file == Path::new("-");
    if stdout && ctx.json {
        return Err(super::usage(
            "--json prints on standard output, where --to-tar - writes the archive; give \
             --to-tar a file",
        ));
    }
    if stdout {
        super::dump::refuse_terminal("the archive")?;
    }
    let (_, _, sel) = selection(args)?;
    let repo = ctx.open()?;
    let snap = super::find_snapshot(&repo, &args.snapshot, &args.filter)?;
    let started = std::time::Instant::now();
    let part = restore::tar::Part::Selected(&sel);
    let written = if stdout {
        let out = std::io::stdout();
        let mut out = std::io::BufWriter::with_capacity(1 << 20, out.lock());
        restore::tar::write(&repo, &snap.snap.tree, part, &mut out)
            .context("the tar archive on standard output is incomplete")
    } else {
        let f = std::fs::File::create(file).with_context(|| file.display().to_string())?;
        let regular = f.metadata().is_ok_and(|m| m.is_file());
        let mut out = std::io::BufWriter::with_capacity(1 << 20, f);
        let written = restore::tar::write(&repo, &snap.snap.tree, part, &mut out)
            .map_err(anyhow::Error::from)
            .and_then(|s| {
                let f = out.into_inner().map_err(|e| e.into_error())?;
                f.sync_all()?;
                Ok(s)
            });
        // A short archive is not left behind to be taken for a whole one.
        match written {
            Err(e) if regular => {
                let what = match std::fs::remove_file(file) {
                    Ok(()) => "removed",
                    Err(_) => "could not be removed",
                };
                Err(e.context(format!(
                    "the tar archive {} is incomplete and {what}",
                    file.display()
                )))
            }
            other => {
                other.with_context(|| format!("the tar archive {} is incomplete", file.display()))
            }
        }
    }?;
    for w in sel.unmatched() {
        ui::warn(&w);
    }
    if written.sockets_left_out > 0 {
        ui::warn(&format!(
            "{} left out of the archive (tar cannot hold them)",
            ui::count(written.sockets_left_out, "socket")
        ));
    }
    let secs = started.elapsed().as_secs_f64().max(0.001);
    if ctx.json {
        super::print_json(&serde_json::json!({
            "snapshot": snap.id,
            "tar": file.display().to_string(),
            "stats": written,
            "duration_secs": secs,
        }))?;
    } else {
        let w = &written;
        ui::info(&format!(
            "wrote snapshot {} as tar to {}: {} in {secs:.1}s",
            snap.id.short(),
            if stdout {
                "standard output".to_string()
            } else {
                file.display().to_string()
            },
            w.counts.summary(),
        ));
    }
    std::io::stdout().flush()?;
    Ok(Outcome::Ok)
}
