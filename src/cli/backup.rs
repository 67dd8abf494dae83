//! `cairn backup`.

use std::path::PathBuf;

use anyhow::Result;
use chrono::{DateTime, Utc};

use super::{usage, Ctx, Outcome};
use crate::backup::{self, BackupOptions, Source};
use crate::child::PassEnv;
use crate::repo::snapshot::SourceKind;
use crate::source::command::CommandReader;
use crate::source::exclude::Excludes;
use crate::ui;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Files and directories to back up
    pub paths: Vec<PathBuf>,
    /// Back up standard input (or --stdin-from's output) as a file of this name
    #[arg(long, value_name = "NAME")]
    pub stdin_name: Option<String>,
    /// Run this command (via sh -c) and back up its output; a non-zero exit fails the
    /// backup and no snapshot is written
    #[arg(long, value_name = "CMD", requires = "stdin_name")]
    pub stdin_from: Option<String>,
    /// Save the stream even when it is empty; without this a 0-byte input fails the
    /// backup (a dump that printed nothing is not a backup)
    #[arg(long, requires = "stdin_name")]
    pub allow_empty: bool,
    /// Give --stdin-from's command this variable, which commands do not get otherwise
    /// (CAIRN_PASSPHRASE, OS_PASSWORD, AWS_SECRET_ACCESS_KEY…; repeatable)
    #[arg(long = "pass-env", value_name = "VAR", requires = "stdin_from")]
    pub pass_env: Vec<String>,
    #[command(flatten)]
    pub exclude: super::patterns::ExcludeArgs,
    /// Skip directories holding a valid CACHEDIR.TAG
    #[arg(long)]
    pub exclude_caches: bool,
    /// Do not cross into other file systems
    #[arg(long, short = 'x')]
    pub one_file_system: bool,
    /// Tag the snapshot (repeatable)
    #[arg(long = "tag", value_name = "TAG")]
    pub tags: Vec<String>,
    /// Host name to record [default: this machine's]
    #[arg(long)]
    pub host: Option<String>,
    /// Profile name to record; `forget` keeps each profile's snapshots as their own group
    #[arg(long, value_name = "NAME")]
    pub profile: Option<String>,
    /// If a prune holds the repository, wait up to this long (e.g. 30m) instead of failing
    #[arg(long, value_name = "DURATION", value_parser = crate::retention::prune::parse_duration)]
    pub wait_lock: Option<std::time::Duration>,
    /// Snapshot time, RFC 3339 (e.g. 2026-01-31T02:00:00Z) [default: now]
    #[arg(long, value_name = "TIME")]
    pub time: Option<String>,
}

pub fn run(ctx: &Ctx, args: Args) -> Result<Outcome> {
    let time = args
        .time
        .as_deref()
        .map(|t| {
            DateTime::parse_from_rfc3339(t)
                .map(|d| d.with_timezone(&Utc))
                .map_err(|e| {
                    usage(format!(
                        "--time {t:?}: {e} (use RFC 3339, e.g. 2026-01-31T02:00:00Z)"
                    ))
                })
        })
        .transpose()?;
    if args.profile.as_deref() == Some("") {
        return Err(usage("--profile must not be empty"));
    }
    let patterns = args.exclude.gather()?;
    let excludes =
        Excludes::new(&patterns, args.exclude_caches, args.one_file_system).map_err(usage)?;
    let pass_env =
        PassEnv::new(args.pass_env.clone()).map_err(|e| usage(format!("--pass-env {e}")))?;
    let source = match (&args.stdin_name, args.paths.is_empty()) {
        (Some(_), false) => return Err(usage("give either paths or --stdin-name, not both")),
        (None, true) => {
            return Err(usage(
                "nothing to back up: give paths, or --stdin-name to read standard input",
            ))
        }
        (Some(name), true) => {
            if name.is_empty() || name.contains('/') || name == "." || name == ".." {
                return Err(usage(format!(
                    "--stdin-name {name:?} must be a plain file name"
                )));
            }
            match &args.stdin_from {
                Some(cmd) => Source::Stream {
                    name: name.clone(),
                    reader: Box::new(CommandReader::spawn(cmd, &pass_env)?),
                    kind: SourceKind::Command,
                    allow_empty: args.allow_empty,
                },
                None => Source::Stream {
                    name: name.clone(),
                    reader: Box::new(std::io::stdin()),
                    kind: SourceKind::Stdin,
                    allow_empty: args.allow_empty,
                },
            }
        }
        (None, false) => Source::Paths(backup::prepare_paths(&args.paths)?),
    };
    let repo = ctx.open()?;
    let host = args.host.clone().unwrap_or_else(crate::hostname);
    let out = backup::run(
        &repo,
        BackupOptions {
            source,
            excludes,
            tags: args.tags.clone(),
            host,
            profile: args.profile.clone(),
            time,
            wait_lock: args.wait_lock,
        },
    )?;
    let s = &out.snapshot.stats;
    if ctx.json {
        super::print_json(&serde_json::json!({
            "id": out.id,
            "time": ui::time::rfc3339(ctx.zone, out.snapshot.time),
            "stats": s,
        }))?;
    } else {
        let elapsed = std::time::Duration::from_secs_f64(s.duration_secs.max(0.0));
        ui::info(&format!(
            "snapshot {} saved: files {} new, {} changed, {} unchanged; {} read of {}, {} added ({} stored) in {:.1}s ({}){}",
            out.id.short(),
            s.files_new,
            s.files_changed,
            s.files_unchanged,
            ui::bytes(s.bytes_read),
            ui::bytes(s.total_bytes),
            ui::bytes(s.bytes_added),
            ui::bytes(s.bytes_stored),
            s.duration_secs,
            ui::progress_rate(s.bytes_read, elapsed),
            if s.errors > 0 {
                format!("; {} unreadable (see warnings)", s.errors)
            } else {
                String::new()
            }
        ));
    }
    Ok(if s.errors > 0 {
        Outcome::Partial
    } else {
        Outcome::Ok
    })
}
