//! `cairn backup`.

use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use chrono::{DateTime, Utc};

use super::{usage, Ctx, Outcome};
use crate::backend::url::Place;
use crate::backup::{self, BackupOptions, Source};
use crate::child::PassEnv;
use crate::db::plan::{self, DbSpec};
use crate::db::postgres;
use crate::db::url::DbUrl;
use crate::db::Engine;
use crate::repo::snapshot::SourceKind;
use crate::source::command::CommandReader;
use crate::source::exclude::Excludes;
use crate::source::readahead::{ReadAhead, READ_AHEAD_BYTES};
use crate::ui;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Files and directories to back up
    pub paths: Vec<PathBuf>,
    /// Back up the paths FILE lists too, one per line: blank lines and lines starting
    /// with '#' are skipped, relative paths are relative to the working directory, `-`
    /// reads standard input (repeatable)
    #[arg(
        long = "files-from",
        value_name = "FILE",
        conflicts_with = "stdin_name"
    )]
    pub files_from: Vec<PathBuf>,
    /// Like --files-from, the paths separated by NUL bytes (`find -print0`), none skipped
    #[arg(
        long = "files-from0",
        value_name = "FILE",
        conflicts_with = "stdin_name"
    )]
    pub files_from0: Vec<PathBuf>,
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
    /// Dump this PostgreSQL database into the snapshot (postgresql://[USER@][HOST][:PORT]/DB;
    /// with no database, every one on the server; repeatable). Passwords come from
    /// ~/.pgpass, PGPASSFILE or PGPASSWORD, never the URL
    #[arg(long = "postgres", value_name = "URL")]
    pub postgres: Vec<String>,
    /// Dump every database on the server the PG* variables (or libpq's defaults) name
    #[arg(long)]
    pub postgres_all: bool,
    /// What of the PostgreSQL servers' roles and tablespaces (pg_dumpall --globals-only)
    /// to dump: all; no-role-passwords (no superuser needed, as on managed services); none
    /// [default: all]
    #[arg(long, value_enum, value_name = "WHICH")]
    pub postgres_globals: Option<postgres::Globals>,
    /// Dump this MariaDB/MySQL database with mariadb-dump (mysql://[USER@][HOST][:PORT]/DB
    /// or mariadb://…; with no database, every one but the system schemas; repeatable).
    /// Passwords come from ~/.my.cnf, --mysql-option-file or MYSQL_PWD, never the URL
    #[arg(long = "mysql", value_name = "URL")]
    pub mysql: Vec<String>,
    /// An option file ([client] password=…) for every --mysql server, read by the tools
    /// as --defaults-extra-file
    #[arg(long, value_name = "FILE", requires = "mysql")]
    pub mysql_option_file: Option<PathBuf>,
    /// Dump this MongoDB database with mongodump --archive (mongodb://[USER@]HOST[:PORT]/DB;
    /// repeatable)
    #[arg(long = "mongodb", value_name = "URL")]
    pub mongodb: Vec<String>,
    /// A mongodump --config file (password: …) for every --mongodb server
    #[arg(long, value_name = "FILE", requires = "mongodb")]
    pub mongodb_config: Option<PathBuf>,
    /// Leave this database out of an all-databases dump (repeatable)
    #[arg(long = "exclude-database", value_name = "NAME")]
    pub exclude_database: Vec<String>,
    /// One snapshot per database (each with its server's globals) instead of one for
    /// everything; backed-up paths then get a snapshot of their own
    #[arg(long)]
    pub snapshot_per_database: bool,
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
    /// Store changed chunks of streams and dumps whole, not as deltas against the
    /// parent snapshot's (which reads the parent's packs back from the repository)
    #[arg(long)]
    pub no_delta: bool,
}

pub fn run(ctx: &Ctx, mut args: Args) -> Result<Outcome> {
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
    let specs = database_specs(&args)?;
    args.paths.extend(listed_paths(&args)?);
    let nothing = args.paths.is_empty() && specs.is_empty();
    let sources = match (&args.stdin_name, nothing) {
        (Some(_), false) => {
            return Err(usage(
                "give either paths and databases, or --stdin-name, not both",
            ))
        }
        (None, true) => {
            return Err(usage(
                "nothing to back up: give paths, --postgres/--mysql/--mongodb URL, or --stdin-name to read \
                 standard input",
            ))
        }
        (Some(name), true) => {
            if name.is_empty() || name.contains('/') || name == "." || name == ".." {
                return Err(usage(format!(
                    "--stdin-name {name:?} must be a plain file name"
                )));
            }
            vec![match &args.stdin_from {
                Some(cmd) => Source::Stream {
                    name: name.clone(),
                    reader: Box::new(CommandReader::spawn(cmd, &pass_env, None)?),
                    kind: SourceKind::Command,
                    allow_empty: args.allow_empty,
                },
                None => Source::Stream {
                    name: name.clone(),
                    reader: stdin_reader(),
                    kind: SourceKind::Stdin,
                    allow_empty: args.allow_empty,
                },
            }]
        }
        (None, false) => {
            let paths = backup::prepare_paths(&args.paths)?;
            backup::plan_parts(paths, &specs, args.snapshot_per_database)?
        }
    };
    let repo = ctx.open()?;
    let host = args.host.clone().unwrap_or_else(crate::hostname);
    let place = repo.place();
    let mut outcome = Outcome::Ok;
    let mut failed: Vec<anyhow::Error> = Vec::new();
    let count = sources.len();
    let mut summaries = Vec::new();
    for source in sources {
        let out = backup::run(
            &repo,
            BackupOptions {
                source,
                excludes: excludes.clone(),
                tags: args.tags.clone(),
                host: host.clone(),
                profile: args.profile.clone(),
                time,
                wait_lock: args.wait_lock,
                no_delta: args.no_delta,
                run_log: false,
            },
        );
        match out {
            Ok(out) => {
                if out.snapshot.stats.errors > 0 {
                    outcome = Outcome::Partial;
                }
                match ctx.json {
                    true => summaries.push(summary(ctx, &out, &place)),
                    false => report(&out, &place),
                }
            }
            // One database that fails to dump does not keep the others from their
            // snapshots; the run still fails.
            Err(e) if count > 1 => {
                ui::warn(&format!("no snapshot: {e}"));
                failed.push(e.into());
            }
            Err(e) => return Err(e.into()),
        }
    }
    if ctx.json && !(summaries.is_empty() && args.snapshot_per_database) {
        // One object as always; with --snapshot-per-database an array of them.
        match args.snapshot_per_database {
            true => super::print_json(&summaries)?,
            false => {
                if let Some(one) = summaries.pop() {
                    super::print_json(&one)?
                }
            }
        }
    }
    match failed.len() {
        0 => Ok(outcome),
        n => Err(anyhow::anyhow!(
            "{n} of {count} snapshots failed; the first: {:#}",
            failed.remove(0)
        )),
    }
}

/// The paths of the --files-from and --files-from0 lists, in order.
fn listed_paths(args: &Args) -> Result<Vec<PathBuf>> {
    use crate::source::list::{self, Separator};
    let lists = (args.files_from.iter().map(|f| (f, Separator::Line)))
        .chain(args.files_from0.iter().map(|f| (f, Separator::Nul)));
    let mut paths = Vec::new();
    let mut stdin_read = false;
    for (file, sep) in lists {
        if file.as_os_str() == "-" && std::mem::replace(&mut stdin_read, true) {
            return Err(usage("standard input (`-`) can be read as one list only"));
        }
        let flag = match sep {
            Separator::Line => "--files-from",
            Separator::Nul => "--files-from0",
        };
        let entries =
            list::read(file, sep).with_context(|| format!("{flag} {}", file.display()))?;
        if entries.is_empty() {
            bail!("{flag} {}: the list names no path", file.display());
        }
        paths.extend(entries.into_iter().map(|(_, p)| p));
    }
    Ok(paths)
}

/// Standard input, read ahead while the key is unlocked and the repository opened
/// unless it is a terminal (where the passphrase prompt may be reading). A command's
/// output is not read ahead: a backup that fails before reading must kill the command,
/// and a thread blocked reading from it could not let go of it.
fn stdin_reader() -> Box<dyn std::io::Read + Send> {
    let stdin = std::io::stdin();
    if std::io::IsTerminal::is_terminal(&stdin) {
        return Box::new(stdin);
    }
    Box::new(ReadAhead::new(stdin, READ_AHEAD_BYTES))
}

/// `--postgres`, `--postgres-all`, `--mysql` and `--mongodb` as database sources, checked.
fn database_specs(args: &Args) -> Result<Vec<DbSpec>> {
    let mut urls = Vec::new();
    for (flag, engine, given) in [
        ("--postgres", Engine::Postgresql, &args.postgres),
        ("--mysql", Engine::Mysql, &args.mysql),
        ("--mongodb", Engine::Mongodb, &args.mongodb),
    ] {
        for u in given {
            let url = DbUrl::parse(u).map_err(|e| usage(format!("{flag}: {e}")))?;
            if url.engine != engine {
                return Err(usage(format!(
                    "{flag} takes a {engine}:// URL, not {}://",
                    url.engine
                )));
            }
            // Named in full (PGHOST, MYSQL_HOST…), so that `--postgres-all` and a URL
            // of the same server make one source.
            urls.push(plan::resolve_url(&url));
        }
    }
    if args.postgres_all {
        urls.push(postgres::resolve(
            &DbUrl::parse("postgresql:///").expect("a valid URL"),
        ));
    }
    let mut specs = plan::specs_from_urls(&urls, &args.exclude_database);
    for spec in &mut specs {
        spec.option_file = match spec.url.engine {
            Engine::Postgresql => {
                spec.globals = args.postgres_globals.unwrap_or_default();
                None
            }
            Engine::Mysql => args.mysql_option_file.clone(),
            Engine::Mongodb => args.mongodb_config.clone(),
        };
    }
    if !args.exclude_database.is_empty() && specs.iter().all(|s| s.databases.is_some()) {
        return Err(usage(
            "--exclude-database goes with --postgres-all or a URL without a database",
        ));
    }
    if args.postgres_globals.is_some() && !specs.iter().any(|s| s.url.engine == Engine::Postgresql)
    {
        return Err(usage(
            "--postgres-globals goes with --postgres or --postgres-all",
        ));
    }
    if args.snapshot_per_database && specs.is_empty() {
        return Err(usage(
            "--snapshot-per-database needs --postgres, --postgres-all, --mysql or --mongodb",
        ));
    }
    Ok(specs)
}

fn dump_paths(out: &backup::BackupOutcome) -> Vec<&str> {
    out.snapshot
        .databases
        .iter()
        .map(|d| d.path.as_str())
        .collect()
}

fn summary(ctx: &Ctx, out: &backup::BackupOutcome, place: &Place) -> serde_json::Value {
    serde_json::json!({
        "id": out.id,
        "repository": place,
        "time": ui::time::rfc3339(ctx.zone, out.snapshot.time),
        "stats": &out.snapshot.stats,
        "databases": dump_paths(out),
    })
}

fn report(out: &backup::BackupOutcome, place: &Place) {
    let s = &out.snapshot.stats;
    let dumps = dump_paths(out);
    let elapsed = std::time::Duration::from_secs_f64(s.duration_secs.max(0.0));
    ui::info(&format!(
        "snapshot {} saved in {}: files {} new, {} changed, {} unchanged; {} read of {}, {} added ({} stored) in {:.1}s ({}){}{}",
        out.id.short(),
        place.url,
        s.files_new,
        s.files_changed,
        s.files_unchanged,
        ui::bytes(s.bytes_read),
        ui::bytes(s.total_bytes),
        ui::bytes(s.bytes_added),
        ui::bytes(s.bytes_stored),
        s.duration_secs,
        ui::progress_rate(s.bytes_read, elapsed),
        if dumps.is_empty() {
            String::new()
        } else {
            format!("; dumps: {}", dumps.join(", "))
        },
        if s.errors > 0 {
            format!("; {} unreadable (see warnings)", s.errors)
        } else {
            String::new()
        },
    ));
    if s.delta_candidates > 0 {
        ui::info(&format!(
            "delta blobs: {} of {} changed chunks stored as deltas ({}); {} read back from the repository for their bases",
            s.deltas_added,
            s.delta_candidates,
            ui::bytes(s.delta_bytes_stored),
            ui::bytes(s.bytes_read_back),
        ));
    }
}
