//! `cairn run PROFILE... | --all`.

use anyhow::{bail, Result};

use super::profile::overrides;
use super::{Ctx, Outcome};
use crate::profile::run::{self, RunReport, RunResult};
use crate::profile::{discover, Profile};

#[derive(Debug, clap::Args)]
#[command(after_help = "Exit codes: 0 all succeeded, 1 a profile failed, \
3 a snapshot was saved but some source files were unreadable, \
4 a profile was already running (its lock is held) and was skipped, \
129/130/143 stopped by SIGHUP/SIGINT/SIGTERM (after running the after and on_failure hooks).")]
pub struct Args {
    /// Profile names (looked up as NAME.toml) or paths to profile files
    #[arg(required_unless_present = "all", conflicts_with = "all")]
    pub profiles: Vec<String>,
    /// Run every profile `cairn profile list` shows, one after another
    #[arg(long)]
    pub all: bool,
}

pub fn run(ctx: &Ctx, args: Args) -> Result<Outcome> {
    let dir = ctx.config_dir.as_deref();
    let specs: Vec<String> = if args.all {
        let found = discover::list(dir);
        if found.is_empty() {
            let dirs: Vec<String> = discover::search_dirs(dir)
                .iter()
                .map(|d| d.display().to_string())
                .collect();
            bail!("--all: no profiles in {}", dirs.join(", "));
        }
        found
            .into_iter()
            .map(|(_, p)| p.display().to_string())
            .collect()
    } else {
        args.profiles
    };
    let o = overrides(ctx);
    let mut reports = Vec::new();
    for spec in &specs {
        // The profiles not started yet are simply not run.
        if crate::interrupt::requested() {
            break;
        }
        let report = match discover::find(spec, dir).and_then(|p| Profile::load(&p)) {
            Ok(profile) => run::run(&profile, &o),
            // Without a parsed profile there are no hooks or notifications to run.
            Err(e) => RunReport {
                profile: spec.clone(),
                result: RunResult::Failure,
                snapshot: None,
                repository: None,
                bytes_added: None,
                duration_secs: 0.0,
                retention: None,
                error: Some(e.to_string()),
                key_expires: None,
                checked_packs: None,
                mirrored: None,
                copied: None,
            },
        };
        // The summary is the log's record of the run, so --quiet does not hide it.
        eprintln!("cairn run: {}", report.summary_line());
        if ctx.json {
            // One record per profile as each finishes (NDJSON, docs/OUTPUT.md).
            crate::ui::json::Lines::new().record(&report)?;
        }
        reports.push(report.result);
    }
    let any = |r: RunResult| reports.contains(&r);
    Ok(if any(RunResult::Interrupted) {
        Outcome::Interrupted
    } else if any(RunResult::Failure) {
        Outcome::Failed
    } else if any(RunResult::Busy) {
        Outcome::Busy
    } else if any(RunResult::Partial) {
        Outcome::Partial
    } else {
        Outcome::Ok
    })
}
