//! `cairn mirror PROFILE` and `cairn mirror --database DB --target URL`: refresh a test
//! database from a snapshot (docs/MIRROR.md). The steps live in `crate::mirror`.

use std::io::Write;
use std::path::PathBuf;

use anyhow::{Context, Result};

use super::profile::overrides;
use super::{usage, Ctx, Filter, Outcome};
use crate::db::url::DbUrl;
use crate::mirror::{self, MirrorError, Plan, RestoreOptions};
use crate::profile::mirror::Mirror;
use crate::profile::settings::Settings;
use crate::profile::{discover, Profile};
use crate::repo::Repository;

#[derive(Debug, clap::Args)]
#[command(
    after_help = "Steps: 1 snapshot, 2 restore (into <target>__cairn_new), 3 scrub, \
4 check (tables and row counts against the manifest, check queries), 5 swap (end sessions, \
rename the old database away, the new one into place). A failure in any step drops the \
temporary database and leaves the target as it was; the error names the step."
)]
pub struct Args {
    /// Profile whose [mirror] section says what goes where (flags below override it)
    #[arg(conflicts_with_all = ["database", "target"])]
    pub profile: Option<String>,
    /// Snapshot id (prefix) or `latest`: the newest snapshot holding the database
    #[arg(long, default_value = "latest")]
    pub snapshot: String,
    /// The database in the snapshot, as it was named on the source server
    #[arg(long, requires = "target")]
    pub database: Option<String>,
    /// The test database: postgresql://USER@HOST:PORT/DB (no password: .pgpass, PGPASSFILE
    /// or PGPASSWORD) or mysql://USER@HOST:PORT/DB (~/.my.cnf, --option-file, MYSQL_PWD)
    #[arg(long, requires = "database", value_name = "URL")]
    pub target: Option<String>,
    /// SQL file run in the restored database before it is checked and swapped in; repeat
    /// for several, run in order
    #[arg(long = "scrub", value_name = "FILE")]
    pub scrub: Vec<PathBuf>,
    /// A query that must return true in the restored database (after the scrub), e.g.
    /// "SELECT count(*) > 0 FROM users"; repeatable
    #[arg(long = "check", value_name = "SQL")]
    pub checks: Vec<String>,
    /// Keep this many replaced test databases (as <target>__cairn_old_<time>) [default: 0]
    #[arg(long)]
    pub keep: Option<u32>,
    #[command(flatten)]
    pub restore: RestoreArgs,
    /// Say what would happen, changing nothing (the target server is still asked what
    /// databases it has)
    #[arg(long)]
    pub dry_run: bool,
    #[command(flatten)]
    pub filter: Filter,
}

/// How the dump is restored; shared with `restore-db`.
#[derive(Debug, Clone, clap::Args)]
pub struct RestoreArgs {
    /// Role that owns the new database and every object restored into it (the connecting
    /// role must be a member); without it, the connecting role owns them
    #[arg(long, value_name = "ROLE")]
    pub owner: Option<String>,
    /// Leave out GRANT and REVOKE (when the source server's roles do not exist here)
    #[arg(long)]
    pub no_privileges: bool,
    /// Parallel restore jobs; more than 1 writes the dump to a temporary file first
    #[arg(short = 'j', long, value_parser = clap::value_parser!(u32).range(1..))]
    pub jobs: Option<u32>,
    /// MariaDB/MySQL: an option file ([client] password=…) for the target server, read
    /// as --defaults-extra-file
    #[arg(long, value_name = "FILE")]
    pub option_file: Option<PathBuf>,
}

impl RestoreArgs {
    pub(super) fn over(&self, mut o: RestoreOptions) -> RestoreOptions {
        if self.owner.is_some() {
            o.owner = self.owner.clone();
        }
        o.no_privileges |= self.no_privileges;
        if let Some(j) = self.jobs {
            o.jobs = j;
        }
        if self.option_file.is_some() {
            o.option_file = self.option_file.clone();
        }
        o
    }
}

pub fn run(ctx: &Ctx, args: Args) -> Result<Outcome> {
    let (repo, url, mut plan, opts, section) = match &args.profile {
        Some(name) => {
            let profile = Profile::load(&discover::find(name, ctx.config_dir.as_deref())?)?;
            let m = profile.mirror.clone().ok_or_else(|| {
                usage(format!(
                    "{}: no [mirror] section (give database and target there, or use \
                     --database and --target)",
                    profile.path.display()
                ))
            })?;
            // The profile's nice and ionice, as `cairn run` would take them.
            crate::priority::apply(ctx.priority.or(profile.priority))?;
            let (plan, opts) = m.plan(args.dry_run);
            let repo = Settings::resolve(&profile, &overrides(ctx))?.open()?;
            (repo, m.target.clone(), plan, opts, Some(m))
        }
        None => {
            let (Some(database), Some(target)) = (&args.database, &args.target) else {
                return Err(usage(
                    "give a PROFILE with a [mirror] section, or --database and --target",
                ));
            };
            let url = target_url(target)?;
            let plan = Plan {
                command: "mirror",
                database: database.clone(),
                target_db: url.database.clone().unwrap_or_default(),
                target_url: url.to_string(),
                scrub: Vec::new(),
                checks: Vec::new(),
                keep: 0,
                replace: true,
                globals: false,
                dry_run: args.dry_run,
            };
            (ctx.open()?, url, plan, RestoreOptions::default(), None)
        }
    };
    if !args.scrub.is_empty() {
        plan.scrub = args.scrub.clone();
    }
    if !args.checks.is_empty() {
        plan.checks = args.checks.clone();
    }
    if let Some(k) = args.keep {
        plan.keep = k;
    }
    for f in &plan.scrub {
        // Before anything is restored: a typo must not cost a restore.
        std::fs::metadata(f).with_context(|| format!("scrub file {}", f.display()))?;
    }
    let opts = args.restore.over(opts);
    execute(
        ctx,
        &repo,
        (&url, section.as_ref()),
        &plan,
        &opts,
        &args.snapshot,
        &args.filter,
    )
}

/// A target URL that names its database.
pub fn target_url(text: &str) -> Result<DbUrl> {
    let url = DbUrl::parse(text).map_err(usage)?;
    if url.database.is_none() {
        return Err(usage(format!(
            "{url}: name the database to restore into, e.g. {url}app_test"
        )));
    }
    Ok(url)
}

/// `to`: the target, and the profile's `[mirror]` section when it came from one (it
/// narrows the snapshots to choose from).
pub fn execute(
    ctx: &Ctx,
    repo: &Repository,
    to: (&DbUrl, Option<&Mirror>),

    plan: &Plan,
    opts: &RestoreOptions,
    snapshot: &str,
    filter: &Filter,
) -> Result<Outcome> {
    let (url, section) = to;
    let target = mirror::connect(url, opts)?;
    let chosen = match snapshot {
        "latest" => None,
        spec => Some(
            super::find_snapshot(repo, spec, filter).map_err(|e| MirrorError {
                step: 0,
                cause: format!("{e:#}"),
            })?,
        ),
    };
    let wanted = |s: &_| filter.matches(s);
    let report = match section {
        Some(m) => m.mirror(repo, &*target, plan, chosen.as_ref(), &wanted)?,
        None => mirror::mirror(repo, &*target, plan, chosen.as_ref(), &wanted)?,
    };
    if ctx.json {
        super::print_json(&report)?;
    } else {
        writeln!(crate::ui::out(), "{}", report.summary())?;
    }
    Ok(Outcome::Ok)
}
