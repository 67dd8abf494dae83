//! The command line: one file per command, each an argument struct and a handler that
//! resolves its arguments and calls into the library. No business logic here.

mod backup;
mod check;
mod completions;
mod copy;
mod diff;
mod dump;
mod forget;
mod init;
mod key;
mod key_file;
mod key_repo;
mod ls;
mod man;
mod mirror;
mod patterns;
mod profile;
mod prune;
mod repair;
mod restore;
mod restore_db;
mod run;
mod snapshots;
mod stats;
mod store;
mod unlock;

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Context, Result};
use clap::{Parser, Subcommand};

use crate::crypto::{keys, Identity};
use crate::repo::snapshot::StoredSnapshot;
use crate::repo::trust::TrustSettings;
use crate::repo::Repository;
use crate::retention::policy::Zone;
use crate::secret::Secret;

#[derive(Debug, Parser)]
#[command(
    name = "cairn",
    version,
    about = "Encrypted, deduplicating, incremental backups",
    after_help = "Exit codes: 0 success, 1 error, 2 usage error, 3 finished but some files were not handled (backup: unreadable source files; restore: files that depend on lost or damaged data), \
4 `cairn run`: the profile is already running, 129/130/143 stopped by SIGHUP/SIGINT/SIGTERM \
(cleanly: locks removed, `cairn run`'s after and on_failure hooks run; a second signal stops at once).\n\
Passphrases come from CAIRN_PASSPHRASE_FILE, CAIRN_PASSPHRASE, or a prompt on a terminal."
)]
pub struct Cli {
    /// Repository: a directory path, file:///path, swift://CONTAINER/PREFIX or s3://BUCKET/PREFIX
    #[arg(
        short = 'r',
        long,
        env = "CAIRN_REPO",
        global = true,
        help_heading = "Global options"
    )]
    pub repo: Option<String>,
    /// Secret key file (armored OpenPGP, e.g. from `cairn key generate` or `gpg --export-secret-keys --armor`)
    #[arg(
        short = 'k',
        long,
        env = "CAIRN_KEY",
        global = true,
        help_heading = "Global options"
    )]
    pub key: Option<PathBuf>,
    /// Fingerprint of the key that must have signed the repository, when reading with
    /// a key that is not that key (a recipient or recovery key); recorded on first use
    #[arg(
        long,
        env = "CAIRN_TRUST_SIGNER",
        global = true,
        help_heading = "Global options",
        value_name = "FINGERPRINT"
    )]
    pub trust_signer: Option<String>,
    /// Local cache directory [default: $XDG_CACHE_HOME/cairn or ~/.cache/cairn]
    #[arg(
        long,
        env = "CAIRN_CACHE_DIR",
        global = true,
        help_heading = "Global options"
    )]
    pub cache_dir: Option<PathBuf>,
    /// Keep no cache on disk (slower; for one-off restores on a bare machine)
    #[arg(long, global = true, help_heading = "Global options")]
    pub no_cache: bool,
    /// Print machine-readable JSON on stdout
    #[arg(long, global = true, help_heading = "Global options")]
    pub json: bool,
    /// Print only errors and warnings
    #[arg(short, long, global = true, help_heading = "Global options")]
    pub quiet: bool,
    /// Where the progress of long tasks goes, on stderr (docs/OUTPUT.md, "Progress")
    #[arg(
        long,
        env = "CAIRN_PROGRESS",
        global = true,
        help_heading = "Global options",
        value_name = "WHEN",
        default_value = "auto"
    )]
    pub progress: crate::ui::ProgressMode,
    /// Show times in UTC (same as --tz utc)
    #[arg(
        long,
        global = true,
        help_heading = "Global options",
        conflicts_with = "tz"
    )]
    pub utc: bool,
    /// Time zone of the times shown and of forget's days, weeks and months: local (TZ,
    /// else /etc/localtime), utc, an offset like +02:00, or a name like Europe/Berlin
    #[arg(
        long,
        global = true,
        help_heading = "Global options",
        value_name = "ZONE",
        allow_hyphen_values = true
    )]
    pub tz: Option<crate::ui::time::TzChoice>,
    /// Directory searched first for profiles, NAME.toml (`run`, `profile`) [then
    /// ~/.config/cairn/profiles, /etc/cairn/profiles]
    #[arg(
        long = "config",
        env = "CAIRN_CONFIG_DIR",
        value_name = "DIR",
        global = true,
        help_heading = "Global options"
    )]
    pub config_dir: Option<PathBuf>,
    /// Run at this nice value, from -20 (most CPU) to 19 (least); hooks, source commands
    /// and database dumps inherit it. Wins over a profile's `nice`
    #[arg(
        long,
        global = true,
        help_heading = "Global options",
        value_name = "N",
        allow_negative_numbers = true
    )]
    pub nice: Option<crate::priority::Nice>,
    /// I/O priority: idle, best-effort[:LEVEL] or realtime[:LEVEL], LEVEL from 0 (first
    /// served) to 7 (last), 4 when left out; inherited like --nice. Wins over a profile's
    /// `ionice`
    #[arg(
        long,
        global = true,
        help_heading = "Global options",
        value_name = "CLASS[:LEVEL]"
    )]
    pub ionice: Option<crate::priority::IoPriority>,
    #[command(flatten)]
    pub store: store::StoreArgs,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Generate, export or inspect keys
    #[command(subcommand)]
    Key(key::KeyCommand),
    /// Create a new repository
    Init(init::Args),
    /// Back up files, standard input or a command's output
    Backup(backup::Args),
    /// List snapshots
    Snapshots(snapshots::Args),
    /// List files in a snapshot
    Ls(ls::Args),
    /// Restore a snapshot into a directory
    Restore(restore::Args),
    /// Write one file of a snapshot to standard output
    Dump(dump::Args),
    /// Show what changed between two snapshots
    Diff(diff::Args),
    /// Verify the repository's structure and, optionally, its data
    Check(check::Args),
    /// Show repository statistics
    Stats(stats::Args),
    /// Remove snapshots by a keep policy (daily/weekly/monthly…) or by id
    Forget(forget::Args),
    /// Delete data no snapshot needs and repack mostly unused packs
    Prune(prune::Args),
    /// Rebuild the index from the packs and rewrite snapshots that lost data
    /// (`index`, then `snapshots`; both without a subcommand)
    Repair(repair::Args),
    /// Remove stale locks
    Unlock(unlock::Args),
    /// Copy snapshots into another repository (a second copy on other storage)
    Copy(copy::Args),
    /// Run profiles: hooks, backup, retention, check and notifications, as cron should
    Run(run::Args),
    /// Refresh a test database from a snapshot's dump: restore, scrub, check, swap
    Mirror(mirror::Args),
    /// Restore a database from a snapshot into a server (disaster recovery)
    RestoreDb(restore_db::Args),
    /// Check or list profiles
    #[command(subcommand)]
    Profile(profile::ProfileCommand),
    /// Print a completion script for bash, zsh or fish
    Completions(completions::Args),
    /// Write the manual pages (cairn.1 and one per command) into a directory
    Man(man::Args),
}

impl Cli {
    /// Parses the command line, exiting on a usage error as clap does. A value taken
    /// from the environment counts as given, so clap's usage line would show
    /// `--repo <REPO> --key <KEY>` whenever CAIRN_REPO and CAIRN_KEY are set, as if
    /// they were required; the error is shown as it reads without them.
    pub fn parse_args() -> Cli {
        use clap::{CommandFactory, FromArgMatches};
        let err = match Cli::command().try_get_matches() {
            Ok(m) => match Cli::from_arg_matches(&m) {
                Ok(cli) => return cli,
                Err(e) => e,
            },
            Err(e) => e,
        };
        let usage_error = !matches!(
            err.kind(),
            clap::error::ErrorKind::DisplayHelp
                | clap::error::ErrorKind::DisplayVersion
                | clap::error::ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
        );
        if usage_error {
            // The same mistake without the environment, unless the environment was the
            // mistake (a bad CAIRN_CONNECTIONS), which only the first parse shows.
            if let Err(bare) = without_env(Cli::command()).try_get_matches() {
                if bare.kind() == err.kind() {
                    bare.exit();
                }
            }
        }
        err.exit()
    }
}

fn without_env(cmd: clap::Command) -> clap::Command {
    cmd.mut_args(|a| a.env(clap::builder::Resettable::Reset))
        .mut_subcommands(without_env)
}

impl Command {
    pub fn name(&self) -> &'static str {
        match self {
            Command::Key(_) => "key",
            Command::Init(_) => "init",
            Command::Backup(_) => "backup",
            Command::Snapshots(_) => "snapshots",
            Command::Ls(_) => "ls",
            Command::Restore(_) => "restore",
            Command::Dump(_) => "dump",
            Command::Diff(_) => "diff",
            Command::Check(_) => "check",
            Command::Stats(_) => "stats",
            Command::Forget(_) => "forget",
            Command::Prune(_) => "prune",
            Command::Repair(_) => "repair",
            Command::Unlock(_) => "unlock",
            Command::Copy(_) => "copy",
            Command::Run(_) => "run",
            Command::Mirror(_) => "mirror",
            Command::RestoreDb(_) => "restore-db",
            Command::Profile(_) => "profile",
            Command::Completions(_) => "completions",
            Command::Man(_) => "man",
        }
    }
}

/// How a command that did not fail ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Ok,
    /// Finished, but some source files could not be read.
    Partial,
    /// Failed, and the failure was already reported (`cairn run` prints one line per
    /// profile), so nothing more is printed.
    Failed,
    /// `cairn run`: a profile was skipped because another run of it holds its lock.
    Busy,
    /// `cairn run`: a signal stopped a profile, which was reported like a failure.
    Interrupted,
}

/// A command line that parsed but does not make sense (flags that exclude each other, a
/// value of the wrong form): exit code 2, like clap's own errors.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

/// Turns a message about the command line into a [`UsageError`].
pub fn usage(msg: impl std::fmt::Display) -> anyhow::Error {
    UsageError(msg.to_string()).into()
}

/// Settings every command shares.
pub struct Ctx {
    pub repo: Option<String>,
    pub key: Option<PathBuf>,
    pub cache_dir: Option<PathBuf>,
    pub no_cache: bool,
    pub json: bool,
    pub store: crate::backend::Options,
    pub trust_signer: Option<String>,
    /// The zone every time is shown in (`--utc`, `--tz`).
    pub zone: Zone,
    /// Where `run` and `profile` look for profiles first.
    pub config_dir: Option<PathBuf>,
    /// `--nice` and `--ionice`, already applied; a profile's own apply where these are unset.
    pub priority: crate::priority::Priority,
}

impl Ctx {
    pub fn key_path(&self) -> Result<&Path> {
        self.key
            .as_deref()
            .ok_or_else(|| usage("no key given: use -k/--key FILE or set CAIRN_KEY"))
    }

    pub fn identity(&self) -> Result<Identity> {
        load_identity(self.key_path()?)
    }

    pub fn backend(&self) -> Result<Box<dyn crate::backend::Backend>> {
        let url = self
            .repo
            .as_deref()
            .ok_or_else(|| usage("no repository given: use -r/--repo URL or set CAIRN_REPO"))?;
        Ok(crate::backend::open(url, &self.store)?)
    }

    pub fn cache_dir(&self) -> Option<PathBuf> {
        if self.no_cache {
            return None;
        }
        self.cache_dir.clone().or_else(crate::cache::default_dir)
    }

    pub fn open(&self) -> Result<Repository> {
        let backend = self.backend()?;
        let identity = self.identity()?;
        Ok(Repository::open(
            backend,
            identity,
            self.cache_dir().as_deref(),
            &self.trust(),
        )?)
    }

    /// Another repository than `-r`'s (`copy --to`, `init --copy-params-from`), opened
    /// with `identity`, trusting its own key or the pin recorded for that location.
    pub fn open_other(&self, url: &str, identity: Identity) -> Result<Repository> {
        let backend = crate::backend::open(url, &self.store)?;
        Ok(Repository::open(
            backend,
            identity,
            self.cache_dir().as_deref(),
            &TrustSettings::new(None),
        )?)
    }

    pub fn trust(&self) -> TrustSettings {
        TrustSettings::new(self.trust_signer.clone())
    }
}

/// Reads a passphrase from `{var}_FILE` or `{var}`, when one is set.
fn passphrase_env(var: &str) -> Result<Option<Secret>> {
    let file_var = format!("{var}_FILE");
    if let Some(file) = std::env::var_os(&file_var).filter(|v| !v.is_empty()) {
        let file = PathBuf::from(file);
        return Ok(Some(
            read_passphrase_file(&file)
                .with_context(|| format!("{file_var} {}", file.display()))?,
        ));
    }
    Ok(std::env::var(var).ok().map(Secret::new))
}

/// Reads a passphrase from the environment or, on a terminal, a prompt.
pub fn passphrase(prompt: &str) -> Result<Option<Secret>> {
    if let Some(p) = passphrase_env("CAIRN_PASSPHRASE")? {
        return Ok(Some(p));
    }
    if std::io::stdin().is_terminal() && std::io::stderr().is_terminal() {
        let p = crate::interrupt::at_once(|| rpassword::prompt_password(prompt))
            .context("reading passphrase")?;
        return Ok(Some(Secret::new(p)));
    }
    Ok(None)
}

/// A passphrase file's content, without one trailing line ending.
pub fn read_passphrase_file(file: &Path) -> std::io::Result<Secret> {
    let raw = std::fs::read_to_string(file)?;
    let line = raw.strip_suffix('\n').unwrap_or(&raw);
    let line = line.strip_suffix('\r').unwrap_or(line);
    Ok(Secret::new(line))
}

pub fn load_identity(path: &Path) -> Result<Identity> {
    load_identity_with(path, None)
}

/// A second key of the command (`--to-key`, `--from-key`): its passphrase comes from
/// `{var}_FILE` or `{var}` when set, else as the first key's does.
pub fn load_identity_with(path: &Path, var: Option<&str>) -> Result<Identity> {
    let cert = keys::read_cert(path)?;
    let pass = if !keys::needs_passphrase(&cert) {
        None
    } else {
        match var.map(passphrase_env).transpose()?.flatten() {
            Some(p) => Some(p),
            None => passphrase(&format!("Passphrase for {}: ", path.display()))?,
        }
    };
    Ok(keys::unlock(
        cert,
        pass.as_ref(),
        &path.display().to_string(),
    )?)
}

/// Narrows snapshots by host, tag and path.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct Filter {
    /// Only snapshots of this host
    #[arg(long = "host", value_name = "HOST")]
    pub hosts: Vec<String>,
    /// Only snapshots with this tag
    #[arg(long = "tag", value_name = "TAG")]
    pub tags: Vec<String>,
    /// Only snapshots that include this path
    #[arg(long = "path", value_name = "PATH")]
    pub paths: Vec<String>,
}

impl Filter {
    pub fn matches(&self, s: &StoredSnapshot) -> bool {
        (self.hosts.is_empty() || self.hosts.contains(&s.snap.host))
            && self.tags.iter().all(|t| s.snap.tags.contains(t))
            && self.paths.iter().all(|p| s.snap.paths.contains(p))
    }

    pub fn is_empty(&self) -> bool {
        self.hosts.is_empty() && self.tags.is_empty() && self.paths.is_empty()
    }

    /// Why no snapshot of `all` matches, naming the option that matched nothing and the
    /// values the repository does hold, so that a typo (`--host web01` for `web1`) is
    /// seen as one rather than as an empty repository.
    pub fn why_nothing_matches(&self, all: &[StoredSnapshot]) -> String {
        // Hosts are alternatives.
        if !self.hosts.is_empty() && !all.iter().any(|s| self.hosts.contains(&s.snap.host)) {
            return format!(
                "no snapshot matches --host {} (hosts in the repository: {})",
                self.hosts.join(", "),
                listed(all.iter().map(|s| &s.snap.host))
            );
        }
        // Tags and paths must all be present: name the first one no snapshot has.
        let wanted: [(&str, &[String], Held); 2] = [
            ("tag", &self.tags, |s| &s.snap.tags),
            ("path", &self.paths, |s| &s.snap.paths),
        ];
        for (flag, values, held) in wanted {
            if let Some(v) = values
                .iter()
                .find(|v| !all.iter().any(|s| held(s).contains(v)))
            {
                return format!(
                    "no snapshot matches --{flag} {v} ({flag}s in the repository: {})",
                    listed(all.iter().flat_map(held))
                );
            }
        }
        "no snapshot matches all of the given --host, --tag and --path together".to_string()
    }
}

/// The values of one snapshot a filter option is compared with.
type Held = fn(&StoredSnapshot) -> &[String];

/// Distinct values, sorted, the first ten of them, as one line.
fn listed<'a>(values: impl Iterator<Item = &'a String>) -> String {
    let mut v: Vec<&str> = values.map(String::as_str).collect();
    v.sort_unstable();
    v.dedup();
    match v.len() {
        0 => "none".to_string(),
        n if n > 10 => format!("{}, …", v[..10].join(", ")),
        _ => v.join(", "),
    }
}

/// Resolves `latest` or an id prefix to one snapshot.
pub fn find_snapshot(repo: &Repository, spec: &str, filter: &Filter) -> Result<StoredSnapshot> {
    let all = repo.snapshots()?;
    let snaps: Vec<&StoredSnapshot> = all.iter().filter(|s| filter.matches(s)).collect();
    if snaps.is_empty() {
        if all.is_empty() {
            bail!("repository {} holds no snapshots", repo.location());
        }
        if !filter.is_empty() {
            bail!("{}", filter.why_nothing_matches(&all));
        }
    }
    if spec == "latest" {
        return snaps
            .last()
            .map(|s| (*s).clone())
            .ok_or_else(|| anyhow!("no snapshot matches (repository {})", repo.location()));
    }
    if spec.is_empty() || !spec.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(usage(format!("{spec:?} is not a snapshot id or `latest`")));
    }
    let spec = spec.to_ascii_lowercase();
    let found: Vec<&StoredSnapshot> = snaps
        .into_iter()
        .filter(|s| s.id.to_hex().starts_with(&spec))
        .collect();
    match found.as_slice() {
        [] => bail!("no snapshot {spec} in {}", repo.location()),
        [one] => Ok((*one).clone()),
        many => bail!(
            "snapshot id {spec} is ambiguous, give more digits: {}",
            candidates(many)
        ),
    }
}

/// A command's one result as one JSON document (docs/OUTPUT.md).
/// The snapshots an ambiguous prefix matched, newest first, as one line.
fn candidates(found: &[&StoredSnapshot]) -> String {
    const SHOWN: usize = 10;
    let mut lines: Vec<String> = found
        .iter()
        .rev()
        .take(SHOWN)
        .map(|s| {
            format!(
                "{} ({} UTC, {}, {})",
                s.id.short(),
                s.snap.time.format("%Y-%m-%d %H:%M:%S"),
                s.snap.host,
                s.snap.paths.join(" ")
            )
        })
        .collect();
    if found.len() > SHOWN {
        lines.push(format!("and {} more", found.len() - SHOWN));
    }
    lines.join("; ")
}

pub fn print_json<T: serde::Serialize>(v: &T) -> Result<()> {
    Ok(crate::ui::json::document(v)?)
}

pub fn run(cli: Cli) -> Result<Outcome> {
    crate::ui::set_quiet(cli.quiet);
    crate::ui::configure_progress(cli.progress, cli.json, cli.command.name());
    // Before anything starts a thread: a named zone is set in the environment.
    let zone = match cli.tz {
        _ if cli.utc => Zone::Utc,
        Some(tz) => tz.apply(),
        None => Zone::Local,
    };
    // Before the work starts any thread or child, so that all of them inherit it.
    let priority = crate::priority::Priority {
        nice: cli.nice,
        io: cli.ionice,
    };
    crate::priority::apply(priority)?;
    let ctx = Ctx {
        repo: cli.repo,
        key: cli.key,
        cache_dir: cli.cache_dir,
        no_cache: cli.no_cache,
        json: cli.json,
        store: cli.store.options(),
        trust_signer: cli.trust_signer,
        zone,
        config_dir: cli.config_dir,
        priority,
    };
    match cli.command {
        Command::Key(c) => key::run(&ctx, c),
        Command::Init(a) => init::run(&ctx, a),
        Command::Backup(a) => backup::run(&ctx, a),
        Command::Snapshots(a) => snapshots::run(&ctx, a),
        Command::Ls(a) => ls::run(&ctx, a),
        Command::Restore(a) => restore::run(&ctx, a),
        Command::Dump(a) => dump::run(&ctx, a),
        Command::Diff(a) => diff::run(&ctx, a),
        Command::Check(a) => check::run(&ctx, a),
        Command::Stats(a) => stats::run(&ctx, a),
        Command::Forget(a) => forget::run(&ctx, a),
        Command::Prune(a) => prune::run(&ctx, a),
        Command::Repair(a) => repair::run(&ctx, a),
        Command::Unlock(a) => unlock::run(&ctx, a),
        Command::Copy(a) => copy::run(&ctx, a),
        Command::Run(a) => run::run(&ctx, a),
        Command::Mirror(a) => mirror::run(&ctx, a),
        Command::RestoreDb(a) => restore_db::run(&ctx, a),
        Command::Profile(c) => profile::run(&ctx, c),
        Command::Completions(a) => completions::run(a),
        Command::Man(a) => man::run(a),
    }
}
