//! One `cairn run` of one profile:
//!
//! lock → nice/ionice → ping start → `before` hook → back up → `after` hook → retention →
//! check → notify, and on any failure the `on_failure` hook, the fail ping and the webhook.
//!
//! A profile that only mirrors (no source) mirrors in place of the backup and has no
//! retention: there is nothing of its own to forget.
//!
//! The `after` hook runs whenever `before` succeeded, whatever the backup did, with the
//! result in `CAIRN_RESULT`: it is where a service stopped by `before` is restarted, and
//! a failed backup must not leave it stopped.
//!
//! A signal (`crate::interrupt`) stops the step under way and ends the run like a
//! failure, with the result `interrupted`: `after` (also when the signal stopped `before`
//! part way), `on_failure`, the fail ping and the textfile all still happen.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{anyhow, Context, Result};
use chrono::{DateTime, Local, Utc};
use serde::{Deserialize, Serialize};

use super::hooks::{self, HookError, OnSignal};
use super::lock::{self, Acquire};
use super::retention::retention_step;
use super::settings::{Overrides, Settings};
use super::{Profile, Source};
use crate::backend::url::Place;
use crate::backup::{self, BackupOptions};
use crate::check::{self, ReadData};
use crate::ids::SnapshotId;
use crate::notify::{textfile, Notifier};
use crate::repo::snapshot::SourceKind;
use crate::repo::Repository;
use crate::source::command::CommandReader;
use crate::source::exclude::Excludes;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RunResult {
    Success,
    /// A snapshot was written but some source files could not be read.
    Partial,
    Failure,
    /// Another run of the profile holds its lock; nothing was done.
    Busy,
    /// A signal stopped the run.
    Interrupted,
}

impl RunResult {
    pub fn as_str(self) -> &'static str {
        match self {
            RunResult::Success => "success",
            RunResult::Partial => "partial",
            RunResult::Failure => "failure",
            RunResult::Busy => "busy",
            RunResult::Interrupted => "interrupted",
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct RunReport {
    pub profile: String,
    pub result: RunResult,
    pub snapshot: Option<String>,
    /// Where the repository lives (for alerts to link to), when the profile names one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub repository: Option<Place>,
    pub bytes_added: Option<u64>,
    pub duration_secs: f64,
    pub retention: Option<String>,
    pub error: Option<String>,
    /// When the key stops signing, if that is soon (see `keys::EXPIRY_WARNING`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_expires: Option<String>,
    /// Packs whose data the check step downloaded and verified, when it ran.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub checked_packs: Option<usize>,
    /// The snapshot the mirror step restored into the test database, when it ran.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mirrored: Option<String>,
    /// Snapshots the copy step stored in the `[copy]` repository, when it ran.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub copied: Option<usize>,
}

impl RunReport {
    /// The one line a cron log keeps per run.
    pub fn summary_line(&self) -> String {
        let mut s = format!("profile={} result={}", self.profile, self.result.as_str());
        if let Some(id) = &self.snapshot {
            s.push_str(&format!(" snapshot={}", &id[..id.len().min(8)]));
        }
        if let Some(r) = &self.repository {
            match r.url.contains(|c: char| c.is_whitespace() || c == '"') {
                true => s.push_str(&format!(" repository={:?}", r.url)),
                false => s.push_str(&format!(" repository={}", r.url)),
            }
        }
        if let Some(b) = self.bytes_added {
            s.push_str(&format!(" added={b}"));
        }
        s.push_str(&format!(" duration={:.1}s", self.duration_secs));
        if let Some(r) = &self.retention {
            s.push_str(&format!(" retention={r:?}"));
        }
        if let Some(e) = &self.error {
            s.push_str(&format!(" error={e:?}"));
        }
        if let Some(t) = &self.key_expires {
            s.push_str(&format!(" key_expires={t}"));
        }
        if let Some(n) = self.checked_packs {
            s.push_str(&format!(" checked_packs={n}"));
        }
        if let Some(id) = &self.mirrored {
            s.push_str(&format!(" mirrored={}", &id[..id.len().min(8)]));
        }
        if let Some(n) = self.copied {
            s.push_str(&format!(" copied={n}"));
        }
        s
    }
}

/// When prune and check last ran, to honour their `every`.
#[derive(Debug, Default, Serialize, Deserialize)]
struct State {
    last_prune: Option<DateTime<Utc>>,
    last_check: Option<DateTime<Utc>>,
    #[serde(default)]
    last_mirror: Option<DateTime<Utc>>,
}

impl State {
    fn path(s: &Settings, name: &str) -> PathBuf {
        s.run_dir.join(format!("{name}.state.json"))
    }
    fn load(s: &Settings, name: &str) -> State {
        std::fs::read(State::path(s, name))
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .unwrap_or_default()
    }
    fn save(&self, s: &Settings, name: &str) {
        let path = State::path(s, name);
        let tmp = path.with_extension("json.tmp");
        let saved = std::fs::write(&tmp, serde_json::to_vec(self).expect("state serialises"))
            .and_then(|_| std::fs::rename(&tmp, &path));
        if let Err(e) = saved {
            crate::ui::warn(&format!("{}: {e}", path.display()));
        }
    }
}

/// What the steps after the backup need to know about it.
#[derive(Default)]
struct Progress {
    snapshot: Option<SnapshotId>,
    /// Where the repository lives, as the opened store says.
    place: Option<Place>,
    bytes_added: Option<u64>,
    unreadable: u64,
    retention: Option<String>,
    snapshots_total: Option<u64>,
    key_expiry: textfile::KeyExpiry,
    /// Set when the key stops signing soon.
    key_expires_soon: Option<String>,
    checked_packs: Option<usize>,
    mirrored: Option<String>,
    copied: Option<usize>,
}

pub fn run(profile: &Profile, overrides: &Overrides) -> RunReport {
    let started = Instant::now();
    let notifier = Notifier {
        cfg: &profile.notify,
        profile: &profile.name,
    };
    let mut p = Progress::default();
    let settings = match Settings::resolve(profile, overrides) {
        Ok(s) => s,
        Err(e) => return finish(profile, &notifier, None, p, Err(e), started),
    };
    let lock_path = settings.run_dir.join(format!("{}.lock", profile.name));
    let _lock = match lock::try_lock(&lock_path) {
        Ok(Acquire::Held(l)) => l,
        Ok(Acquire::Busy) => {
            // Not a failure of the profile: the run holding the lock reports for both.
            return RunReport {
                profile: profile.name.clone(),
                result: RunResult::Busy,
                snapshot: None,
                repository: Place::of_url(&settings.repo),
                bytes_added: None,
                duration_secs: started.elapsed().as_secs_f64(),
                retention: None,
                key_expires: None,
                checked_packs: None,
                mirrored: None,
                copied: None,
                error: Some(format!(
                    "already running (lock {} is held); not starting a second run",
                    lock_path.display()
                )),
            };
        }
        Err(e) => {
            let e = anyhow!(e).context(format!("local lock {}", lock_path.display()));
            return finish(profile, &notifier, Some(&settings), p, Err(e), started);
        }
    };
    // Set before anything is started, so that hooks and commands inherit it; the
    // command line's --nice and --ionice (applied already) win.
    if let Err(e) = crate::priority::apply(overrides.priority.or(profile.priority)) {
        return finish(
            profile,
            &notifier,
            Some(&settings),
            p,
            Err(e.into()),
            started,
        );
    }
    // Kept from here for `store_log`: the backup stores what was printed until then.
    let _log = profile.store_log.then(|| {
        crate::ui::log::capture(&format!(
            "cairn {}: run of profile {} on {}, started {}",
            env!("CARGO_PKG_VERSION"),
            profile.name,
            profile.host.clone().unwrap_or_else(crate::hostname),
            crate::ui::time::rfc3339(settings.zone, Utc::now())
        ))
    });
    notifier.start();
    let outcome = steps(profile, &settings, &mut p);
    finish(profile, &notifier, Some(&settings), p, outcome, started)
}

fn hook_env(
    profile: &Profile,
    result: Option<&str>,
    snap: Option<&SnapshotId>,
) -> Vec<(&'static str, String)> {
    let mut env = vec![("CAIRN_PROFILE", profile.name.clone())];
    if let Some(r) = result {
        env.push(("CAIRN_RESULT", r.to_string()));
    }
    if let Some(id) = snap {
        env.push(("CAIRN_SNAPSHOT", id.to_hex()));
    }
    env
}

fn steps(profile: &Profile, settings: &Settings, p: &mut Progress) -> Result<()> {
    // A passphrase prompt between `before` and `after` must not end cairn on one Ctrl-C.
    let owed = crate::interrupt::owe();
    let before = match &profile.hooks.before {
        Some(cmd) => hooks::run(
            "before",
            cmd,
            &hook_env(profile, None, None),
            &profile.pass_env,
            OnSignal::Stop,
            profile.hooks.timeout,
        ),
        None => Ok(()),
    };
    let host = profile.host.clone().unwrap_or_else(crate::hostname);
    // A profile that only mirrors does its mirror where the backup would be, between
    // the hooks.
    let backed_up = match before {
        // Stopped part way, `before` may already have stopped the service: `after`
        // runs to start it again.
        Err(e @ HookError::Interrupted { .. }) => Err(e.into()),
        Err(e) => return Err(e.into()),
        Ok(()) => settings.open().and_then(|repo| {
            p.place = Some(repo.place());
            key_expiry(profile, &repo, p);
            match (&profile.source, &profile.mirror) {
                (None, Some(m)) => mirror_if_due(m, &repo, settings, &profile.name, p),
                _ => backup_step(profile, &repo, &host, p),
            }
            .map(|()| repo)
        }),
    };
    if let Some(cmd) = &profile.hooks.after {
        let result = match (&backed_up, p.unreadable) {
            (Err(_), _) if crate::interrupt::requested() => RunResult::Interrupted,
            (Err(_), _) => RunResult::Failure,
            (Ok(_), 0) => RunResult::Success,
            (Ok(_), _) => RunResult::Partial,
        };
        let env = hook_env(profile, Some(result.as_str()), p.snapshot.as_ref());
        let hooked = hooks::run(
            "after",
            cmd,
            &env,
            &profile.pass_env,
            OnSignal::Finish,
            profile.hooks.timeout,
        );
        drop(owed);
        if let (Ok(_), Err(e)) = (&backed_up, hooked) {
            return Err(e.into());
        }
    }
    let repo = backed_up?;
    let mut state = State::load(settings, &profile.name);
    let now = Local::now();
    let last_prune = state.last_prune.map(|t| t.with_timezone(&Local));
    let prune_due = profile.prune.every.is_due(last_prune.as_ref(), &now);
    if profile.source.is_some() {
        let report =
            retention_step(profile, &repo, &host, prune_due, settings.zone).context("retention")?;
        p.retention = Some(report.summary);
        if report.pruned {
            state.last_prune = Some(Utc::now());
        }
    }
    if let Some(c) = &profile.check {
        let last = state.last_check.map(|t| t.with_timezone(&Local));
        if c.every.is_none_or(|e| e.is_due(last.as_ref(), &now)) {
            p.checked_packs = Some(check_step(&repo, &c.read_data_subset)?);
            state.last_check = Some(Utc::now());
        }
    }
    state.save(settings, &profile.name);
    if profile.source.is_none() {
        return Ok(());
    }
    if let Some(c) = &profile.copy {
        copy_step(profile, c, settings, &repo, &host, prune_due, p)?;
    }
    if let Some(m) = profile.mirror.as_ref().filter(|m| m.every.is_some()) {
        mirror_if_due(m, &repo, settings, &profile.name, p)?;
    }
    let snaps = repo.snapshots().context("listing snapshots")?;
    p.snapshots_total = Some(
        snaps
            .iter()
            .filter(|s| s.snap.profile.as_deref() == Some(&profile.name))
            .count() as u64,
    );
    Ok(())
}

/// The mirror step when its `every` says it is due (unset: every time, which only a
/// profile that only mirrors gets here with).
fn mirror_if_due(
    m: &super::mirror::Mirror,
    repo: &Repository,
    settings: &Settings,
    name: &str,
    p: &mut Progress,
) -> Result<()> {
    let mut state = State::load(settings, name);
    let last = state.last_mirror.map(|t| t.with_timezone(&Local));
    if m.every
        .is_none_or(|e| e.is_due(last.as_ref(), &Local::now()))
    {
        p.mirrored = Some(mirror_step(m, repo)?);
        state.last_mirror = Some(Utc::now());
        state.save(settings, name);
    }
    Ok(())
}

/// Notes when the key stops signing, warning (one line) when that is soon.
fn key_expiry(profile: &Profile, repo: &Repository, p: &mut Progress) {
    let id = repo.identity();
    let at = id.signing_expiry();
    p.key_expiry = match at {
        Some(t) => textfile::KeyExpiry::At(
            t.duration_since(std::time::UNIX_EPOCH)
                .map_or(0.0, |d| d.as_secs_f64()),
        ),
        None => textfile::KeyExpiry::Never,
    };
    if let Some(w) = id.expiry_warning() {
        crate::ui::warn(&format!("{}: {w}", profile.name));
        p.key_expires_soon = at.map(crate::crypto::keys::date);
    }
}

fn backup_step(profile: &Profile, repo: &Repository, host: &str, p: &mut Progress) -> Result<()> {
    let Some(source) = &profile.source else {
        return Ok(());
    };
    let (sources, excludes) = match source {
        Source::Paths {
            paths,
            exclude,
            exclude_caches,
            one_file_system,
        } => {
            let paths = backup::prepare_paths(paths)?;
            let sources = if profile.databases.is_empty() {
                vec![backup::Source::Paths(paths)]
            } else {
                backup::plan_parts(paths, &profile.databases, profile.snapshot_per_database)
                    .context("backup")?
            };
            (
                sources,
                Excludes::new(exclude, *exclude_caches, *one_file_system)
                    .map_err(|e| anyhow!(e))?,
            )
        }
        Source::Command {
            command,
            stdin_name,
            allow_empty,
            timeout,
        } => (
            vec![backup::Source::Stream {
                name: stdin_name.clone(),
                reader: Box::new(CommandReader::spawn(command, &profile.pass_env, *timeout)?),
                kind: SourceKind::Command,
                allow_empty: *allow_empty,
            }],
            Excludes::new(&[], false, false).map_err(|e| anyhow!(e))?,
        ),
    };
    let count = sources.len();
    let mut first_failure = None;
    let mut failures = 0;
    for source in sources {
        let out = backup::run(
            repo,
            BackupOptions {
                source,
                excludes: excludes.clone(),
                tags: profile.tags.clone(),
                host: host.to_string(),
                profile: Some(profile.name.clone()),
                time: None,
                // A weekly prune of the shared repository (from this or another host) may
                // still run when the nightly backup starts: wait rather than fail the night.
                wait_lock: Some(BACKUP_LOCK_WAIT),
                no_delta: profile.no_delta,
                run_log: profile.store_log,
            },
        );
        match out {
            Ok(out) => {
                p.snapshot = Some(out.id);
                *p.bytes_added.get_or_insert(0) += out.snapshot.stats.bytes_added;
                p.unreadable += out.snapshot.stats.errors;
            }
            // One database failing to dump does not keep the others from their
            // snapshots (one per database); the run fails all the same.
            Err(e) => {
                if count > 1 {
                    crate::ui::warn(&format!("{}: no snapshot: {e}", profile.name));
                }
                failures += 1;
                first_failure.get_or_insert(e);
            }
        }
    }
    match first_failure {
        None => Ok(()),
        Some(e) if count == 1 => Err(anyhow::Error::new(e).context("backup")),
        Some(e) => Err(anyhow::Error::new(e).context(format!(
            "backup: {failures} of {count} snapshots failed; the first"
        ))),
    }
}

/// Refreshes the profile's test database from the newest snapshot it may take holding its
/// database (the one just made, as a rule); returns that snapshot's id.
fn mirror_step(m: &super::mirror::Mirror, repo: &Repository) -> Result<String> {
    let (plan, opts) = m.plan(false);
    let target = crate::mirror::connect(&m.target, &opts).context("mirror")?;
    let report = m
        .mirror(repo, &*target, &plan, None, &|_| true)
        .context("mirror")?;
    crate::ui::info(&format!("mirror: {}", report.summary()));
    Ok(report.snapshot)
}

/// Copies the profile's snapshots of this host that the source still holds (retention
/// ran first, so nothing it just forgot travels) into the `[copy]` repository, then
/// applies the same retention there, so both keep the same snapshots.
fn copy_step(
    profile: &Profile,
    c: &super::copy::CopyTarget,
    settings: &Settings,
    repo: &Repository,
    host: &str,
    prune_due: bool,
    p: &mut Progress,
) -> Result<()> {
    let dest = c
        .open(settings, settings.cache_dir.as_deref())
        .context("copy: destination")?;
    let mine: Vec<_> = repo
        .snapshots()
        .context("copy: source")?
        .into_iter()
        .filter(|s| s.snap.profile.as_deref() == Some(&profile.name) && s.snap.host == host)
        .collect();
    let report = crate::copy::run(repo, &dest, mine, false, |_, _| {}).context("copy")?;
    p.copied = Some(report.copied.len());
    crate::ui::info(&format!(
        "copy: {} copied to {}, {} already there",
        crate::ui::count(report.copied.len() as u64, "snapshot"),
        dest.location(),
        report.skipped.len()
    ));
    if c.retention {
        let r = retention_step(profile, &dest, host, prune_due, settings.zone)
            .context("copy: retention")?;
        let summary = format!("copy: {}", r.summary);
        p.retention = Some(match p.retention.take() {
            Some(s) => format!("{s}; {summary}"),
            None => summary,
        });
    }
    Ok(())
}

/// How long a run's backup waits for another process's exclusive lock.
const BACKUP_LOCK_WAIT: std::time::Duration = std::time::Duration::from_secs(60 * 60);

/// Returns how many packs were read, for the run's summary line.
fn check_step(repo: &Repository, subset: &str) -> Result<usize> {
    let read = ReadData::parse(subset).map_err(|e| anyhow!(e))?;
    let report = check::check(repo, read).context("check")?;
    if let Some(first) = report.errors.first() {
        anyhow::bail!(
            "check: {} errors in the repository (first: {first})",
            report.errors.len()
        );
    }
    Ok(report.packs_read)
}

/// Turns the outcome into a report, running the failure hook and every notification.
fn finish(
    profile: &Profile,
    notifier: &Notifier,
    settings: Option<&Settings>,
    p: Progress,
    outcome: Result<()>,
    started: Instant,
) -> RunReport {
    let result = match (&outcome, p.unreadable) {
        (Err(_), _) if crate::interrupt::requested() => RunResult::Interrupted,
        (Err(_), _) => RunResult::Failure,
        (Ok(()), 0) => RunResult::Success,
        (Ok(()), _) => RunResult::Partial,
    };
    let error = match (&outcome, result) {
        // Whatever the step under way made of the signal (a killed command, a refused
        // upload), the signal is what happened.
        (Err(_), RunResult::Interrupted) => Some(crate::interrupt::Interrupted.to_string()),
        // Everything shown of the error (summary, --json, CAIRN_ERROR, pings) comes from
        // this one string.
        (Err(e), _) => Some(
            profile.scrubber().scrub(
                &e.chain()
                    .map(|c| c.to_string())
                    .collect::<Vec<_>>()
                    .join(": "),
            ),
        ),
        (Ok(()), RunResult::Partial) => Some(format!(
            "{} source files could not be read (see warnings above)",
            p.unreadable
        )),
        _ => None,
    };
    let repository = p
        .place
        .or_else(|| settings.and_then(|s| Place::of_url(&s.repo)));
    let mut report = RunReport {
        profile: profile.name.clone(),
        result,
        snapshot: p.snapshot.map(|id| id.to_hex()),
        repository,
        bytes_added: p.bytes_added,
        duration_secs: 0.0,
        retention: p.retention,
        error,
        key_expires: p.key_expires_soon,
        checked_packs: p.checked_packs,
        mirrored: p.mirrored,
        copied: p.copied,
    };
    if let Some(e) = &report.error {
        if let Some(cmd) = &profile.hooks.on_failure {
            let mut env = hook_env(profile, Some(result.as_str()), p.snapshot.as_ref());
            env.push(("CAIRN_ERROR", e.clone()));
            if let Err(h) = hooks::run(
                "on_failure",
                cmd,
                &env,
                &profile.pass_env,
                OnSignal::Finish,
                profile.hooks.timeout,
            ) {
                crate::ui::warn(&format!("{}: {h}", profile.name));
            }
        }
        notifier.failure(&format!("{}: {e}", profile.name));
    }
    report.duration_secs = started.elapsed().as_secs_f64();
    if result == RunResult::Success {
        notifier.success(&report.summary_line());
    }
    if let Some(path) = &profile.notify.textfile {
        let metrics = textfile::RunMetrics {
            end_time: Utc::now().timestamp_millis() as f64 / 1000.0,
            success: result == RunResult::Success,
            duration_secs: report.duration_secs,
            bytes_added: report.bytes_added,
            snapshots: p.snapshots_total,
            key_expiry: p.key_expiry,
        };
        if let Err(e) = write_textfile(path, settings, &profile.name, &metrics) {
            crate::ui::warn(&format!(
                "{}: notify.textfile {}: {e}",
                profile.name,
                path.display()
            ));
        }
    }
    report
}

/// Profiles finishing at the same moment would each merge into the same file; a local
/// lock beside the run state makes the read-merge-rename sequences take turns.
fn write_textfile(
    path: &std::path::Path,
    settings: Option<&Settings>,
    profile: &str,
    m: &textfile::RunMetrics,
) -> std::io::Result<()> {
    let _guard = match settings {
        Some(s) => Some(lock::lock_wait(&s.run_dir.join("textfile.lock"))?),
        None => None,
    };
    textfile::update(path, profile, m)
}
