//! Profiles: one TOML file per application saying what to back up, where, how long to
//! keep it and whom to tell, so that cron needs one line (`cairn run app`) instead of a
//! wrapper script per application. `cairn run` drives the sequence in [`run`].
//!
//! The file is checked strictly (unknown keys are errors, with file and line) because a
//! misspelt `keep_daly` silently ignored would mean deleting snapshots someone meant to keep.

pub mod check;
pub mod copy;
pub mod discover;
pub mod hooks;
pub mod lock;
pub mod mirror;
pub mod retention;
pub mod run;
pub mod schedule;
pub mod settings;

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::child::redact::Scrubber;
use crate::child::{PassEnv, Timeout};
use crate::db::plan::DbSpec;
use crate::db::url::DbUrl;
use crate::notify::NotifyConfig;
use crate::pattern::PatternSpec;
use crate::priority::Priority;
use schedule::Every;

#[derive(Debug, thiserror::Error)]
pub enum ProfileError {
    #[error("{path}: {cause}")]
    Read { path: String, cause: std::io::Error },
    #[error("{path}, line {line}: {msg}")]
    Parse {
        path: String,
        line: usize,
        msg: String,
    },
    #[error("{path}: {msg}")]
    Invalid { path: String, msg: String },
    #[error("no profile {name:?} (looked in {searched})")]
    NotFound { name: String, searched: String },
}

pub type Result<T> = std::result::Result<T, ProfileError>;

/// The file as written. Paths are resolved and the source is checked in [`Profile::load`].
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    repository: Option<String>,
    key: Option<PathBuf>,
    passphrase_file: Option<PathBuf>,
    /// Present only to refuse it with a reason rather than "unknown field".
    passphrase: Option<toml::Spanned<toml::Value>>,
    cache_dir: Option<PathBuf>,
    trust_signer: Option<String>,
    source: Option<toml::Spanned<SourceFile>>,
    #[serde(default)]
    tags: Vec<String>,
    host: Option<String>,
    retention: Option<toml::Spanned<Retention>>,
    prune: Option<toml::Spanned<Prune>>,
    check: Option<Check>,
    #[serde(default)]
    hooks: Hooks,
    #[serde(default)]
    notify: NotifyConfig,
    /// Withheld variables the source command and hooks get all the same.
    #[serde(default)]
    pass_env: Vec<String>,
    /// One snapshot per database instead of one for the paths and every database.
    #[serde(default)]
    snapshot_per_database: bool,
    /// Store changed chunks whole instead of as deltas (`cairn backup --no-delta`).
    #[serde(default)]
    no_delta: bool,
    /// The run's CPU and I/O priority, which its hooks and commands inherit.
    nice: Option<crate::priority::Nice>,
    ionice: Option<crate::priority::IoPriority>,
    /// Store the run's log in the snapshot, as `/.cairn/run.log`.
    #[serde(default)]
    store_log: bool,
    #[serde(default)]
    database: Vec<toml::Spanned<DatabaseFile>>,
    mirror: Option<mirror::MirrorFile>,
    copy: Option<toml::Spanned<copy::CopyFile>>,
}

/// A `[[database]]` section.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DatabaseFile {
    url: String,
    /// Unset: every database on the server (those in `url` or here are the exception).
    databases: Option<Vec<String>>,
    #[serde(default)]
    exclude_databases: Vec<String>,
    /// The directory in the snapshot; the engine's name by default.
    name: Option<String>,
    /// MySQL/MariaDB option file (`--defaults-extra-file`) or mongodump `--config` file,
    /// relative to the profile.
    option_file: Option<PathBuf>,
    /// PostgreSQL: "all", "no-role-passwords" or "none" of `pg_dumpall --globals-only`.
    globals: Option<crate::db::postgres::Globals>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SourceFile {
    paths: Option<Vec<PathBuf>>,
    /// Files listing more paths, one per line (`cairn backup --files-from`), relative
    /// to the profile's directory.
    #[serde(default, deserialize_with = "one_or_many")]
    include_file: Vec<PathBuf>,
    #[serde(default)]
    exclude: Vec<String>,
    #[serde(default)]
    iexclude: Vec<String>,
    /// Files of patterns, relative to the profile's directory.
    #[serde(default, deserialize_with = "one_or_many")]
    exclude_file: Vec<PathBuf>,
    #[serde(default, deserialize_with = "one_or_many")]
    iexclude_file: Vec<PathBuf>,
    #[serde(default)]
    exclude_caches: bool,
    #[serde(default)]
    one_file_system: bool,
    command: Option<String>,
    stdin_name: Option<String>,
    allow_empty: Option<bool>,
    timeout: Option<Timeout>,
}

/// A file setting given as one file or a list of them.
fn one_or_many<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> std::result::Result<Vec<PathBuf>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        One(PathBuf),
        Many(Vec<PathBuf>),
    }
    Ok(match OneOrMany::deserialize(d)? {
        OneOrMany::One(p) => vec![p],
        OneOrMany::Many(v) => v,
    })
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    Paths {
        paths: Vec<PathBuf>,
        /// `exclude`, the lines of `exclude_file`, `iexclude`, those of `iexclude_file`.
        exclude: Vec<PatternSpec>,
        exclude_caches: bool,
        one_file_system: bool,
    },
    Command {
        command: String,
        stdin_name: String,
        /// Save an empty output rather than fail the run.
        allow_empty: bool,
        /// Stop the command and fail the run when it takes longer.
        timeout: Option<Timeout>,
    },
}

/// What `forget` keeps. Unset counts are off, except the daily/weekly/monthly window,
/// which defaults to a month of dailies, four weeklies and a year of monthlies.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Retention {
    pub keep_last: Option<u32>,
    pub keep_hourly: Option<u32>,
    #[serde(default = "default_daily")]
    pub keep_daily: u32,
    #[serde(default = "default_weekly")]
    pub keep_weekly: u32,
    #[serde(default = "default_monthly")]
    pub keep_monthly: u32,
    pub keep_yearly: Option<u32>,
    /// A duration such as "14d" or "2w".
    pub keep_within: Option<String>,
}

fn default_daily() -> u32 {
    7
}
fn default_weekly() -> u32 {
    4
}
fn default_monthly() -> u32 {
    12
}

impl Default for Retention {
    fn default() -> Self {
        Retention {
            keep_last: None,
            keep_hourly: None,
            keep_daily: default_daily(),
            keep_weekly: default_weekly(),
            keep_monthly: default_monthly(),
            keep_yearly: None,
            keep_within: None,
        }
    }
}

#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Prune {
    /// "7d", "12h" or a weekday ("sunday"); prune runs when this much time has passed
    /// since the last prune, or on the first run of that weekday.
    #[serde(default = "default_prune_every")]
    pub every: Every,
    /// Repack packs with more than this share unused, e.g. "10%".
    pub max_unused: Option<String>,
}

fn default_prune_every() -> Every {
    Every::Interval(7 * 86_400)
}

impl Default for Prune {
    fn default() -> Self {
        Prune {
            every: default_prune_every(),
            max_unused: None,
        }
    }
}

#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Check {
    /// "5%" or "n/m", as `cairn check --read-data-subset` takes it.
    pub read_data_subset: String,
    /// How often; every run when unset.
    pub every: Option<Every>,
}

#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Hooks {
    pub before: Option<String>,
    pub after: Option<String>,
    pub on_failure: Option<String>,
    /// How long each hook may run before it is stopped (and fails).
    pub timeout: Option<Timeout>,
}

/// A loaded, checked profile.
#[derive(Debug, Clone)]
pub struct Profile {
    pub name: String,
    pub path: PathBuf,
    pub repository: Option<String>,
    pub key: Option<PathBuf>,
    pub passphrase_file: Option<PathBuf>,
    pub cache_dir: Option<PathBuf>,
    /// The repository's signing key, for a profile that reads with another key.
    pub trust_signer: Option<String>,
    /// `None` for a mirror-only profile (a `[mirror]` and nothing to back up), which
    /// `cairn run` only mirrors.
    pub source: Option<Source>,
    pub tags: Vec<String>,
    pub host: Option<String>,
    pub retention: Retention,
    pub prune: Prune,
    pub check: Option<Check>,
    pub hooks: Hooks,
    pub notify: NotifyConfig,
    pub pass_env: PassEnv,
    /// `[[database]]` sections, dumped next to `source`'s paths.
    pub databases: Vec<DbSpec>,
    pub snapshot_per_database: bool,
    /// Back up without delta blobs (`cairn backup --no-delta`).
    pub no_delta: bool,
    /// `nice` and `ionice`; `--nice` and `--ionice` win.
    pub priority: Priority,
    /// Store the run's log in its snapshot (`crate::backup::runlog`).
    pub store_log: bool,
    pub mirror: Option<mirror::Mirror>,
    /// A second repository the profile's snapshots are copied into after each backup.
    pub copy: Option<copy::CopyTarget>,
}

/// Profile names become file names, lock names and Prometheus label values, so they are
/// kept to characters that need no quoting anywhere.
pub fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with('.')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

impl Profile {
    pub fn load(path: &Path) -> Result<Profile> {
        let text = std::fs::read_to_string(path).map_err(|cause| ProfileError::Read {
            path: path.display().to_string(),
            cause,
        })?;
        let name = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        Profile::parse(&name, path, &text)
    }

    pub fn parse(name: &str, path: &Path, text: &str) -> Result<Profile> {
        let shown = path.display().to_string();
        let invalid = |msg: String| ProfileError::Invalid {
            path: shown.clone(),
            msg,
        };
        if !valid_name(name) {
            return Err(invalid(format!(
                "profile name {name:?} may hold only letters, digits, '-', '_' and '.'"
            )));
        }
        let file: File = toml::from_str(text).map_err(|e| ProfileError::Parse {
            path: shown.clone(),
            line: e.span().map(|s| line_of(text, s.start)).unwrap_or(1),
            msg: e.message().trim().to_string(),
        })?;
        if let Some(p) = &file.passphrase {
            return Err(ProfileError::Parse {
                path: shown,
                line: line_of(text, p.span().start),
                msg: "`passphrase` is not allowed in a profile; put it in a file only the \
                      backup user can read and set `passphrase_file`"
                    .into(),
            });
        }
        let base = path.parent().unwrap_or(Path::new("."));
        let mut databases = Vec::new();
        for d in file.database {
            let line = line_of(text, d.span().start);
            let spec = database(d.into_inner(), base).map_err(|msg| ProfileError::Parse {
                path: shown.clone(),
                line,
                msg,
            })?;
            if let Some(other) = databases.iter().find(|o: &&DbSpec| o.dir() == spec.dir()) {
                return Err(ProfileError::Parse {
                    path: shown.clone(),
                    line,
                    msg: format!(
                        "[[database]] {} would be stored in {:?} like {}; give one a `name`",
                        spec.url,
                        spec.dir(),
                        other.url
                    ),
                });
            }
            databases.push(spec);
        }
        let source = match file.source {
            None if !databases.is_empty() => Some(Source::Paths {
                paths: Vec::new(),
                exclude: Vec::new(),
                exclude_caches: false,
                one_file_system: false,
            }),
            None if file.mirror.is_some() => {
                // Nothing is backed up, so nothing would be forgotten or pruned.
                let pointless = [
                    ("retention", file.retention.as_ref().map(|r| r.span())),
                    ("prune", file.prune.as_ref().map(|p| p.span())),
                ];
                if let Some((section, span)) = pointless
                    .into_iter()
                    .find_map(|(section, span)| span.map(|s| (section, s)))
                {
                    return Err(ProfileError::Parse {
                        path: shown.clone(),
                        line: line_of(text, span.start),
                        msg: format!(
                            "[{section}] in a profile that only mirrors (no [source], no \
                             [[database]]) would do nothing: `forget` and `prune` belong to \
                             the profile that makes the snapshots"
                        ),
                    });
                }
                if file.host.is_some() || !file.tags.is_empty() {
                    return Err(invalid(
                        "`host` and `tags` say what a backup records, and a profile that only \
                         mirrors makes no snapshot; to choose the snapshots it takes, put \
                         `host` or `tags` in [mirror]"
                            .into(),
                    ));
                }
                None
            }
            None => {
                return Err(invalid(
                    "no [source], no [[database]] and no [mirror]: give `paths = [...]`, \
                     `command` + `stdin_name`, a [[database]] section, or a [mirror] \
                     section for a profile that only mirrors"
                        .into(),
                ))
            }
            Some(src) => {
                let src_line = line_of(text, src.span().start);
                let at = |msg| ProfileError::Parse {
                    path: shown.clone(),
                    line: src_line,
                    msg,
                };
                let source = source(src.into_inner(), base).map_err(at)?;
                check_with_databases(&source, &databases).map_err(at)?;
                Some(source)
            }
        };
        if file.store_log && source.is_none() {
            return Err(invalid(
                "store_log in a profile that only mirrors would store nothing: it makes no \
                 snapshot"
                    .into(),
            ));
        }
        if file.snapshot_per_database && databases.is_empty() {
            return Err(invalid(
                "snapshot_per_database needs at least one [[database]]".into(),
            ));
        }
        if let Some(c) = &file.check {
            crate::check::ReadData::parse(&c.read_data_subset)
                .map_err(|e| invalid(format!("check.read_data_subset: {e}")))?;
        }
        // Parsed as `cairn forget --keep-within` does (calendar units: 6m is six months).
        let retention = file.retention.map(|r| r.into_inner()).unwrap_or_default();
        let prune = file.prune.map(|p| p.into_inner()).unwrap_or_default();
        if let Some(w) = &retention.keep_within {
            w.parse::<crate::retention::policy::Span>()
                .map_err(|e| invalid(format!("retention.keep_within: {e}")))?;
        }
        file.notify
            .validate()
            .map_err(|e| invalid(format!("notify.{e}")))?;
        let pass_env =
            PassEnv::new(file.pass_env).map_err(|e| invalid(format!("pass_env: {e}")))?;
        if let Some(f) = &file.trust_signer {
            crate::crypto::keys::validate_fingerprint(f)
                .map_err(|e| invalid(format!("trust_signer: {e}")))?;
        }
        let copy = match file.copy {
            None => None,
            Some(_) if source.is_none() => {
                return Err(invalid(
                    "[copy] in a profile that only mirrors would copy nothing: it belongs to \
                     the profile that makes the snapshots"
                        .into(),
                ))
            }
            Some(c) => {
                let line = line_of(text, c.span().start);
                Some(
                    c.into_inner()
                        .resolve(base)
                        .map_err(|msg| ProfileError::Parse {
                            path: shown.clone(),
                            line,
                            msg,
                        })?,
                )
            }
        };
        let mirror = file
            .mirror
            .map(|m| m.resolve(base, name, source.is_some()))
            .transpose()
            .map_err(invalid)?;
        Ok(Profile {
            name: name.to_string(),
            path: path.to_path_buf(),
            repository: file.repository,
            key: file.key.map(|k| base.join(k)),
            passphrase_file: file.passphrase_file.map(|k| base.join(k)),
            cache_dir: file.cache_dir.map(|k| base.join(k)),
            trust_signer: file.trust_signer,
            source,
            tags: file.tags,
            host: file.host,
            retention,
            prune,
            check: file.check,
            hooks: file.hooks,
            notify: file.notify,
            pass_env,
            databases,
            snapshot_per_database: file.snapshot_per_database,
            no_delta: file.no_delta,
            priority: Priority {
                nice: file.nice,
                io: file.ionice,
            },
            store_log: file.store_log,
            mirror,
            copy,
        })
    }

    /// Blanks the values the profile's command lines assign, in messages about the run
    /// (an error may quote what a command printed about its own arguments).
    pub fn scrubber(&self) -> Scrubber {
        let source = match &self.source {
            Some(Source::Command { command, .. }) => Some(command),
            _ => None,
        };
        let h = &self.hooks;
        Scrubber::of(
            [
                source,
                h.before.as_ref(),
                h.after.as_ref(),
                h.on_failure.as_ref(),
            ]
            .into_iter()
            .flatten()
            .map(String::as_str),
        )
    }
}

fn source(s: SourceFile, base: &Path) -> std::result::Result<Source, String> {
    let paths = match (s.paths, s.include_file.is_empty()) {
        (None, true) => None,
        (paths, _) => Some(paths.unwrap_or_default()),
    };
    match (paths, s.command) {
        (Some(_), Some(_)) => Err("[source]: give either `paths` (or `include_file`) or \
             `command`, not both: a command's snapshot is its one stream (for a database next \
             to paths, use [[database]])"
            .into()),
        (None, None) => Err("[source]: give `paths = [...]`, `include_file` or `command`".into()),
        (Some(mut paths), None) => {
            if s.stdin_name.is_some() {
                return Err("[source]: `stdin_name` goes with `command`, not `paths`".into());
            }
            if s.allow_empty.is_some() {
                return Err("[source]: `allow_empty` goes with `command`, not `paths`".into());
            }
            if s.timeout.is_some() {
                return Err("[source]: `timeout` goes with `command`, not `paths`".into());
            }
            for f in &s.include_file {
                paths.extend(include_list(&base.join(f))?);
            }
            if paths.is_empty() {
                return Err("[source]: `paths` is empty".into());
            }
            // Relative paths would depend on cron's working directory.
            if let Some(p) = paths.iter().find(|p| !p.is_absolute()) {
                return Err(format!("[source]: path {} must be absolute", p.display()));
            }
            let files = |f: &[PathBuf]| f.iter().map(|f| base.join(f)).collect::<Vec<_>>();
            let exclude = crate::pattern::gather(
                &s.exclude,
                &files(&s.exclude_file),
                &s.iexclude,
                &files(&s.iexclude_file),
            )
            .map_err(|e| format!("[source]: {e}"))?;
            // Checked now, so that `cairn profile check` finds a broken pattern.
            crate::pattern::PatternSet::new(&exclude, "exclude pattern")
                .map_err(|e| format!("[source]: {e}"))?;
            Ok(Source::Paths {
                paths,
                exclude,
                exclude_caches: s.exclude_caches,
                one_file_system: s.one_file_system,
            })
        }
        (None, Some(command)) => {
            let patterns =
                s.exclude.len() + s.iexclude.len() + s.exclude_file.len() + s.iexclude_file.len();
            if patterns > 0 || s.exclude_caches || s.one_file_system {
                return Err("[source]: excludes apply to `paths`, not `command`".into());
            }
            if command.trim().is_empty() {
                return Err("[source]: `command` is empty".into());
            }
            let Some(stdin_name) = s.stdin_name else {
                return Err(
                    "[source]: `command` needs `stdin_name`, the file name it is stored as".into(),
                );
            };
            if stdin_name.is_empty() || stdin_name.contains('/') || stdin_name.starts_with('.') {
                return Err(format!(
                    "[source]: stdin_name {stdin_name:?} must be a plain file name"
                ));
            }
            Ok(Source::Command {
                command,
                stdin_name,
                allow_empty: s.allow_empty.unwrap_or(false),
                timeout: s.timeout,
            })
        }
    }
}

/// The paths an `include_file` lists, which must be absolute.
fn include_list(file: &Path) -> std::result::Result<Vec<PathBuf>, String> {
    use crate::source::list::{self, Separator};
    let shown = file.display();
    let entries = list::read(file, Separator::Line)
        .map_err(|e| format!("[source]: include_file {shown}: {e}"))?;
    if entries.is_empty() {
        return Err(format!("[source]: include_file {shown} lists no path"));
    }
    entries
        .into_iter()
        .map(|(line, p)| match p.is_absolute() {
            true => Ok(p),
            false => Err(format!(
                "[source]: include_file {shown}, line {line}: path {} must be absolute",
                p.display()
            )),
        })
        .collect()
}

fn database(d: DatabaseFile, base: &Path) -> std::result::Result<DbSpec, String> {
    let url = DbUrl::parse(&d.url).map_err(|e| format!("[[database]]: {e}"))?;
    let at = |msg: &str| format!("[[database]] {url}: {msg}");
    let databases = match (&url.database, d.databases) {
        (Some(_), Some(_)) => {
            return Err(at(
                "name the database in `url` or list them in `databases`, not both",
            ))
        }
        (Some(db), None) => Some(vec![db.clone()]),
        (None, Some(list)) if list.is_empty() => {
            return Err(at(
                "`databases` is empty; leave it out to dump every database",
            ))
        }
        (None, list) => list,
    };
    if databases.is_some() && !d.exclude_databases.is_empty() {
        return Err(at(
            "`exclude_databases` goes with every database (no database in `url`, no \
             `databases`)",
        ));
    }
    if let Some(n) = &d.name {
        if n.is_empty() || n.contains('/') || n.starts_with('.') {
            return Err(at(&format!("name {n:?} must be a plain directory name")));
        }
    }
    if d.option_file.is_some() && url.engine == crate::db::Engine::Postgresql {
        return Err(at(
            "`option_file` is for MySQL/MariaDB (an option file) and MongoDB (a mongodump \
             --config file); PostgreSQL reads ~/.pgpass or PGPASSFILE",
        ));
    }
    if d.globals.is_some() && url.engine != crate::db::Engine::Postgresql {
        return Err(at(
            "`globals` is for PostgreSQL (pg_dumpall --globals-only); other engines keep no \
             server-wide dump",
        ));
    }
    Ok(DbSpec {
        url: url.with_database(None),
        databases,
        exclude: d.exclude_databases,
        name: d.name,
        option_file: d.option_file.map(|f| base.join(f)),
        globals: d.globals.unwrap_or_default(),
    })
}

/// A command's snapshot is its one stream; dumps go next to paths, not to it.
fn check_with_databases(source: &Source, dbs: &[DbSpec]) -> std::result::Result<(), String> {
    match source {
        Source::Command { .. } if !dbs.is_empty() => Err(
            "[source] `command` makes a snapshot of its one stream, so it does not combine \
             with [[database]]; use `paths` (or no [source]) next to [[database]], or a \
             profile of its own for the command"
                .into(),
        ),
        Source::Paths { paths, .. } => {
            for p in paths {
                let first = p.components().nth(1);
                if let Some(d) = dbs.iter().find(|d| {
                    first.is_some_and(|c| c.as_os_str() == std::ffi::OsStr::new(&d.dir()))
                }) {
                    return Err(format!(
                        "[source] path {} would be stored where [[database]] {} goes \
                         (/{}); give the database a `name`",
                        p.display(),
                        d.url,
                        d.dir()
                    ));
                }
            }
            Ok(())
        }
        Source::Command { .. } => Ok(()),
    }
}

fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Profile> {
        Profile::parse("app", Path::new("/etc/cairn/profiles/app.toml"), text)
    }

    const DIRS: &str = "repository = \"/srv/repo\"\nkey = \"k.asc\"\n[source]\npaths = [\"/srv/app\"]\nexclude = [\"*.tmp\"]\n";

    #[test]
    fn directory_profile_with_defaults() {
        let p = parse(DIRS).unwrap();
        assert_eq!(
            p.key.as_deref(),
            Some(Path::new("/etc/cairn/profiles/k.asc"))
        );
        assert_eq!(p.retention.keep_daily, 7);
        assert_eq!(p.retention.keep_weekly, 4);
        assert_eq!(p.retention.keep_monthly, 12);
        assert_eq!(p.retention.keep_last, None);
        assert_eq!(p.prune.every, Every::Interval(7 * 86_400));
        assert!(
            matches!(p.source, Some(Source::Paths { ref exclude, .. }) if exclude == &[PatternSpec::new("*.tmp", false)])
        );
    }

    #[test]
    fn command_profile() {
        let p = parse(
            "[source]\ncommand = \"pg_dump -Fc -Z0 app\"\nstdin_name = \"app.dump\"\n[retention]\nkeep_daily = 3\n[prune]\nevery = \"sunday\"\n",
        )
        .unwrap();
        assert_eq!(
            p.source,
            Some(Source::Command {
                command: "pg_dump -Fc -Z0 app".into(),
                stdin_name: "app.dump".into(),
                allow_empty: false,
                timeout: None,
            })
        );
        assert_eq!(p.retention.keep_daily, 3);
        assert_eq!(p.retention.keep_monthly, 12);
        assert_eq!(p.prune.every, Every::Weekday(chrono::Weekday::Sun));
    }

    #[test]
    fn unknown_key_names_file_and_line() {
        let e = parse(&format!("{DIRS}[retention]\nkeep_daly = 3\n"))
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("/etc/cairn/profiles/app.toml, line 7:"),
            "{e}"
        );
        assert!(e.contains("keep_daly"), "{e}");
    }

    #[test]
    fn inline_passphrase_is_refused_with_its_line() {
        let e = parse(&format!("passphrase = \"hunter2\"\n{DIRS}"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("line 1") && e.contains("passphrase_file"), "{e}");
        assert!(!e.contains("hunter2"), "{e}");
    }

    #[test]
    fn bad_sources_are_explained() {
        for (text, want) in [
            (
                "repository = \"x\"\n",
                "no [source], no [[database]] and no [mirror]",
            ),
            ("[source]\npaths = [\"rel\"]\n", "must be absolute"),
            ("[source]\ncommand = \"pg_dump\"\n", "needs `stdin_name`"),
            (
                "[source]\npaths = [\"/a\"]\ncommand = \"x\"\nstdin_name = \"a\"\n",
                "not both",
            ),
            (
                "[source]\ncommand = \"x\"\nstdin_name = \"a/b\"\n",
                "plain file name",
            ),
            (
                "[source]\npaths = [\"/a\"]\nallow_empty = true\n",
                "`allow_empty` goes with `command`",
            ),
        ] {
            let e = parse(text).unwrap_err().to_string();
            assert!(e.contains(want), "{text:?}: {e}");
        }
    }

    #[test]
    fn exclude_settings_in_their_order() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("ex.txt"), "# skip\n*.log\n").unwrap();
        std::fs::write(dir.path().join("iex.txt"), "Thumbs.db\n").unwrap();
        let text = "[source]\npaths = [\"/srv\"]\nexclude = [\"*.tmp\"]\niexclude = [\"*.JPG\"]\n\
                    exclude_file = [\"ex.txt\"]\niexclude_file = [\"iex.txt\"]\n";
        let p = Profile::parse("app", &dir.path().join("app.toml"), text).unwrap();
        let Some(Source::Paths { exclude, .. }) = p.source else {
            panic!("a paths source")
        };
        let want = [
            PatternSpec::new("*.tmp", false),
            PatternSpec::new("*.log", false),
            PatternSpec::new("*.JPG", true),
            PatternSpec::new("Thumbs.db", true),
        ];
        assert_eq!(exclude, want);

        let e = parse("[source]\npaths = [\"/a\"]\nexclude = [\"a[\"]\n")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("line 1") && e.contains("exclude pattern \"a[\""),
            "{e}"
        );
        let e = parse("[source]\npaths = [\"/a\"]\nexclude_file = [\"none.txt\"]\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("/etc/cairn/profiles/none.txt"), "{e}");
        let e = parse("[source]\ncommand = \"x\"\nstdin_name = \"a\"\niexclude = [\"b\"]\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("not `command`"), "{e}");
    }

    #[test]
    fn include_files_add_paths() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("vm.list"),
            "# the VM's data\n/srv/a\n\n/srv/b\n",
        )
        .unwrap();
        std::fs::write(dir.path().join("more.list"), "/etc/app\n").unwrap();
        std::fs::write(dir.path().join("bad.list"), "/ok\nrel/path\n").unwrap();
        std::fs::write(dir.path().join("ex.txt"), "*.tmp\n").unwrap();
        let at = dir.path().join("app.toml");
        let paths = |text: &str| match Profile::parse("app", &at, text).map(|p| p.source) {
            Ok(Some(Source::Paths { paths, exclude, .. })) => Ok((paths, exclude)),
            Ok(other) => panic!("{other:?}"),
            Err(e) => Err(e.to_string()),
        };
        let (got, exclude) = paths(
            "[source]\npaths = [\"/home\"]\ninclude_file = [\"vm.list\", \"more.list\"]\n\
             exclude_file = \"ex.txt\"\n",
        )
        .unwrap();
        let want: Vec<PathBuf> = ["/home", "/srv/a", "/srv/b", "/etc/app"]
            .iter()
            .map(PathBuf::from)
            .collect();
        assert_eq!(got, want);
        assert_eq!(exclude, [PatternSpec::new("*.tmp", false)]);
        // Without `paths`, and as one file rather than a list.
        let (got, _) = paths("[source]\ninclude_file = \"more.list\"\n").unwrap();
        assert_eq!(got, [PathBuf::from("/etc/app")]);
        let e = paths("[source]\ninclude_file = \"bad.list\"\n").unwrap_err();
        assert!(
            e.contains("bad.list, line 2: path rel/path must be absolute"),
            "{e}"
        );
        let e = paths("[source]\ninclude_file = \"none.list\"\n").unwrap_err();
        assert!(e.contains("include_file") && e.contains("none.list"), "{e}");
        let e =
            paths("[source]\ninclude_file = \"more.list\"\ncommand = \"x\"\nstdin_name = \"a\"\n")
                .unwrap_err();
        assert!(e.contains("not both"), "{e}");
    }

    #[test]
    fn bad_values_name_the_field() {
        let e = parse(&format!("{DIRS}[check]\nread_data_subset = \"500%\"\n"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("check.read_data_subset"), "{e}");
        let e = parse(&format!("{DIRS}[notify]\nping_start = \"not a url\"\n"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("notify.ping_start"), "{e}");
        let e = parse(&format!("{DIRS}[prune]\nevery = \"fortnightly\"\n"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("fortnightly"), "{e}");
    }

    #[test]
    fn priority_and_timeouts() {
        let p = parse(&format!(
            "nice = 10\nionice = \"best-effort:7\"\n{DIRS}[hooks]\nbefore = \"true\"\ntimeout = \"90s\"\n"
        ))
        .unwrap();
        assert_eq!(p.priority.nice.map(|n| n.get()), Some(10));
        assert_eq!(
            p.priority.io,
            Some(crate::priority::IoPriority::BestEffort(7))
        );
        assert_eq!(
            p.hooks.timeout.map(|t| t.to_string()).as_deref(),
            Some("90s")
        );
        let p = parse("[source]\ncommand = \"x\"\nstdin_name = \"a\"\ntimeout = \"2h\"\n").unwrap();
        assert!(
            matches!(p.source, Some(Source::Command { timeout: Some(t), .. }) if t.to_string() == "2h")
        );
        for (text, want) in [
            (
                format!("nice = 25\n{DIRS}"),
                "line 1: nice: 25 is out of range",
            ),
            (
                format!("nice = \"low\"\n{DIRS}"),
                "line 1: nice: \"low\" is not a whole number",
            ),
            (
                format!("ionice = \"fast\"\n{DIRS}"),
                "line 1: ionice: \"fast\" is not an I/O priority",
            ),
            (
                format!("ionice = 3\n{DIRS}"),
                "line 1: ionice: 3 is not an I/O priority",
            ),
            (
                format!("{DIRS}[hooks]\ntimeout = \"5x\"\n"),
                "line 7: timeout: \"5x\"",
            ),
            (
                format!("{DIRS}[hooks]\ntimeout = \"0s\"\n"),
                "longer than zero",
            ),
            (
                format!("{DIRS}timeout = \"1h\"\n"),
                "`timeout` goes with `command`",
            ),
        ] {
            let e = parse(&text).unwrap_err().to_string();
            assert!(e.contains(want), "{text:?}: {e}");
        }
    }

    #[test]
    fn contrib_examples_parse() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("contrib/profiles");
        for f in [
            "files.toml",
            "app-db.toml",
            "app-pg.toml",
            "test-mirror.toml",
        ] {
            Profile::load(&dir.join(f)).unwrap_or_else(|e| panic!("{e}"));
        }
    }

    #[test]
    fn pass_env_takes_only_withheld_names() {
        let p = parse(&format!("pass_env = [\"OS_PASSWORD\"]\n{DIRS}")).unwrap();
        assert_eq!(
            p.pass_env,
            PassEnv::new(vec!["OS_PASSWORD".into()]).unwrap()
        );
        let e = parse(&format!("pass_env = [\"HOME\"]\n{DIRS}"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("pass_env: \"HOME\" is not withheld"), "{e}");
    }

    #[test]
    fn database_sections_with_or_without_paths() {
        let p = parse("snapshot_per_database = true\n[[database]]\nurl = \"postgresql://b@db1/\"\nexclude_databases = [\"tmp\"]\n").unwrap();
        assert!(matches!(p.source, Some(Source::Paths { ref paths, .. }) if paths.is_empty()));
        assert!(p.snapshot_per_database);
        assert!(!p.no_delta);
        assert!(
            parse("no_delta = true\n[source]\npaths = [\"/a\"]\n")
                .unwrap()
                .no_delta
        );
        assert_eq!(p.databases[0].databases, None);
        assert_eq!(p.databases[0].exclude, vec!["tmp".to_string()]);
        let p = parse(&format!(
            "{DIRS}[[database]]\nurl = \"postgresql://db1/app\"\n"
        ))
        .unwrap();
        assert_eq!(p.databases[0].databases, Some(vec!["app".to_string()]));
        assert_eq!(p.databases[0].dir(), "postgresql");
    }

    #[test]
    fn bad_database_sections_are_explained() {
        let db = "[[database]]\nurl = \"postgresql://db1/app\"\n";
        for (text, want) in [
            (
                "[[database]]\nurl = \"postgresql://u:pw@db1/app\"\n",
                "password",
            ),
            (
                "[[database]]\nurl = \"postgresql://db1/app\"\ndatabases = [\"b\"]\n",
                "not both",
            ),
            (
                "[[database]]\nurl = \"postgresql://db1/app\"\nexclude_databases = [\"b\"]\n",
                "`exclude_databases` goes with every database",
            ),
            (
                "[[database]]\nurl = \"postgresql://db1/app\"\noption_file = \"my.cnf\"\n",
                "`option_file` is for MySQL",
            ),
            (&format!("{db}{db}"), "give one a `name`"),
            (
                &format!("{db}[source]\ncommand = \"x\"\nstdin_name = \"a\"\n"),
                "does not combine with [[database]]",
            ),
            (
                &format!("{db}[source]\npaths = [\"/postgresql/x\"]\n"),
                "would be stored where [[database]]",
            ),
            (
                "snapshot_per_database = true\n[source]\npaths = [\"/a\"]\n",
                "needs at least one",
            ),
        ] {
            let e = parse(text).unwrap_err().to_string();
            assert!(e.contains(want), "{text:?}: {e}");
            assert!(!e.contains("pw@"), "{e}");
        }
    }

    #[test]
    fn a_profile_may_only_mirror_and_takes_any_profile_unless_told() {
        let m = "[mirror]\ndatabase = \"app\"\ntarget = \"postgresql://t/app_test\"\n";
        let p = parse(m).unwrap();
        assert_eq!(p.source, None);
        assert_eq!(p.mirror.unwrap().from, mirror::TakeFrom::default());
        let p = parse(&format!(
            "{m}host = \"db1\"\ntags = [\"nightly\"]\nprofile = \"prod\"\n"
        ))
        .unwrap();
        let from = p.mirror.unwrap().from;
        assert_eq!(
            (from.host.as_deref(), from.tags, from.profile.as_deref()),
            (Some("db1"), vec!["nightly".to_string()], Some("prod"))
        );
        // A profile that backs up mirrors its own snapshots, unless it says otherwise.
        let p = parse(&format!("{DIRS}{m}")).unwrap();
        assert_eq!(p.mirror.unwrap().from.profile.as_deref(), Some("app"));
        let p = parse(&format!("{DIRS}{m}profile = \"*\"\n")).unwrap();
        assert_eq!(p.mirror.unwrap().from.profile, None);
        for (text, want) in [
            (format!("{m}profile = \"a b\"\n"), "is no profile name"),
            (
                format!("[retention]\nkeep_last = 3\n{m}"),
                "line 1: [retention] in a profile that only mirrors",
            ),
            (
                format!("{m}[prune]\nevery = \"7d\"\n"),
                "[prune] in a profile that only mirrors",
            ),
            (
                format!("tags = [\"nightly\"]\n{m}"),
                "put `host` or `tags` in [mirror]",
            ),
            (
                format!("host = \"db1\"\n{m}"),
                "put `host` or `tags` in [mirror]",
            ),
        ] {
            let e = parse(&text).unwrap_err().to_string();
            assert!(e.contains(want), "{text:?}: {e}");
        }
    }

    #[test]
    fn globals_are_a_postgresql_choice() {
        let p = parse(
            "[[database]]\nurl = \"postgresql://db1/app\"\nglobals = \"no-role-passwords\"\n",
        )
        .unwrap();
        assert_eq!(
            p.databases[0].globals,
            crate::db::postgres::Globals::NoRolePasswords
        );
        let p = parse("[[database]]\nurl = \"postgresql://db1/app\"\n").unwrap();
        assert_eq!(p.databases[0].globals, crate::db::postgres::Globals::All);
        let e = parse("[[database]]\nurl = \"mysql://db1/app\"\nglobals = \"none\"\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("`globals` is for PostgreSQL"), "{e}");
        let e = parse("[[database]]\nurl = \"postgresql://db1/app\"\nglobals = \"some\"\n")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("line 3") && e.contains("no-role-passwords"),
            "{e}"
        );
    }

    #[test]
    fn copy_section() {
        let p = parse(&format!(
            "{DIRS}[copy]\nto = \"swift://offsite/app\"\nkey = \"offsite.key\"\n"
        ))
        .unwrap();
        let c = p.copy.unwrap();
        assert_eq!(c.to, "swift://offsite/app");
        assert_eq!(
            c.key,
            Some(PathBuf::from("/etc/cairn/profiles/offsite.key"))
        );
        assert!(c.retention);
        let e = parse(&format!(
            "{DIRS}[copy]\nto = \"/b\"\npassphrase_file = \"p\"\n"
        ))
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("line 6") && e.contains("goes with copy.key"),
            "{e}"
        );
        let e = parse("[mirror]\ndatabase = \"app\"\ntarget = \"postgresql:///app_test\"\n[copy]\nto = \"/b\"\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("only mirrors would copy nothing"), "{e}");
    }

    #[test]
    fn names_are_restricted() {
        assert!(valid_name("app-db_1.prod"));
        assert!(!valid_name(".hidden"));
        assert!(!valid_name("a b"));
        assert!(!valid_name("a\"b"));
    }
}
