//! Repository locks: backups hold a shared lock, prune an exclusive one.
//!
//! Protocol (docs/FORMAT.md, "Locks and the lock protocol"): write our lock object,
//! then list the others; on a conflict with a live lock, remove ours and fail. A lock is
//! live while its holder refreshes it (every `refresh()`); it is stale when not refreshed
//! for `stale()` by the reader's clock, or when it provably names a process that no
//! longer runs (same host, boot and pid namespace, and no process with that pid and
//! start time). Stale locks are ignored (with a warning naming them) and removed by
//! `unlock`.
//!
//! Because others may judge our lock stale, a holder only commits (index, snapshot) or
//! deletes while `LockGuard::ensure_held` proves that no one could have: every gap
//! between successful refreshes, measured on our own clocks, stayed below
//! `stale() - margin()`.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant, SystemTime};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{RepoError, Repository, Result};
use crate::crypto;
use crate::ids::LockId;

const REFRESH: Duration = Duration::from_secs(5 * 60);
const STALE: Duration = Duration::from_secs(30 * 60);
/// How often `lock_wait` tries again.
const LOCK_POLL: Duration = Duration::from_secs(2);

/// The lock timings, read once. `CAIRN_TEST_LOCK_STALE_SECS` and
/// `CAIRN_TEST_LOCK_REFRESH_SECS` exist for tests only (tests/lock_liveness.rs suspends
/// a backup past a stale limit of seconds, not half an hour); every process sharing a
/// repository must use the same values, so they are not a user setting.
fn timings() -> (Duration, Duration) {
    static T: OnceLock<(Duration, Duration)> = OnceLock::new();
    *T.get_or_init(|| {
        let secs = |var: &str, default: Duration| {
            std::env::var(var)
                .ok()
                .and_then(|v| v.parse::<f64>().ok())
                .filter(|s| s.is_finite() && *s > 0.0)
                .map_or(default, Duration::from_secs_f64)
        };
        (
            secs("CAIRN_TEST_LOCK_REFRESH_SECS", REFRESH),
            secs("CAIRN_TEST_LOCK_STALE_SECS", STALE),
        )
    })
}

/// How often a holder rewrites its lock.
pub fn refresh() -> Duration {
    timings().0
}

/// How long after its last refresh a lock is stale to others.
pub fn stale() -> Duration {
    timings().1
}

/// How soon a failed refresh is tried again: a tenth of the period, so a short outage
/// costs little of the time left before the lock would be lost.
fn retry() -> Duration {
    refresh() / 10
}

/// What `ensure_held` keeps in hand below `stale()`: one refresh period (5 of 30
/// minutes). It covers the clock difference between us and whoever judges our lock, and
/// the time between the check and the write it guards landing in storage.
pub fn margin() -> Duration {
    refresh().min(stale() / 2)
}

/// The longest a gap between successful refreshes may last with the lock still ours.
fn held_limit() -> Duration {
    stale() - margin()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LockKind {
    Shared,
    Exclusive,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LockInfo {
    pub host: String,
    pub pid: u32,
    pub kind: LockKind,
    pub command: String,
    pub created: DateTime<Utc>,
    pub refreshed: DateTime<Utc>,
    /// Where the process runs, beyond a hostname that containers and cloned machines
    /// share (see `Whereabouts`); absent in locks of older versions, which are then
    /// judged by age only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub boot_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pid_ns: Option<String>,
    /// The process's start time (field 22 of /proc/PID/stat), so a reused pid is told
    /// apart from the holder.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_time: Option<u64>,
}

/// The machine boot and pid namespace a process runs in.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Whereabouts {
    /// /proc/sys/kernel/random/boot_id: new at every boot, different on every machine.
    boot_id: Option<String>,
    /// The target of /proc/self/ns/pid, e.g. `pid:[4026531836]`.
    pid_ns: Option<String>,
}

impl Whereabouts {
    fn current() -> &'static Whereabouts {
        static HERE: OnceLock<Whereabouts> = OnceLock::new();
        HERE.get_or_init(|| Whereabouts {
            boot_id: std::fs::read_to_string("/proc/sys/kernel/random/boot_id")
                .ok()
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty()),
            pid_ns: std::fs::read_link("/proc/self/ns/pid")
                .ok()
                .map(|p| p.to_string_lossy().into_owned()),
        })
    }

    /// Whether a pid recorded there means the same process here: both sides must know
    /// their boot and namespace, and they must match.
    fn same_as(&self, other: &Whereabouts) -> bool {
        let known = |a: &Option<String>, b: &Option<String>| a.is_some() && a == b;
        known(&self.boot_id, &other.boot_id) && known(&self.pid_ns, &other.pid_ns)
    }
}

/// What /proc says about a pid: absent, or present with its start time if readable.
type Probe = Option<Option<u64>>;

fn probe(pid: u32) -> Probe {
    let stat = match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(s) => s,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return None,
        // Unreadable (hidepid, permissions): something is there.
        Err(_) => return Some(None),
    };
    Some(start_time_of(&stat))
}

/// Field 22 of a /proc/PID/stat line. The command name (field 2) may hold spaces and
/// parentheses, so fields are counted from its closing parenthesis (field 3 follows).
fn start_time_of(stat: &str) -> Option<u64> {
    let rest = &stat[stat.rfind(')')? + 1..];
    rest.split_whitespace().nth(22 - 3)?.parse().ok()
}

/// Why the process holding a lock provably no longer runs, or `None` when that cannot be
/// concluded. Only a lock from our host, our boot and our pid namespace names a pid we
/// can look up: a different boot id is either a reboot or another machine with the same
/// hostname (containers, clones), which cannot be told apart, so such a lock is judged
/// by its age alone.
fn process_gone(info: &LockInfo, host: &str, here: &Whereabouts, probe: Probe) -> Option<String> {
    let there = Whereabouts {
        boot_id: info.boot_id.clone(),
        pid_ns: info.pid_ns.clone(),
    };
    if info.host != host || !there.same_as(here) {
        return None;
    }
    match (probe, info.start_time) {
        (None, _) => Some(format!("process {} no longer runs", info.pid)),
        (Some(Some(now)), Some(then)) if now != then => Some(format!(
            "process {} no longer runs (its pid now belongs to another process)",
            info.pid
        )),
        _ => None,
    }
}

impl LockInfo {
    /// A description of this process holding a lock of `kind`.
    fn ours(kind: LockKind, command: &str, now: DateTime<Utc>) -> LockInfo {
        let pid = std::process::id();
        let here = Whereabouts::current();
        LockInfo {
            host: crate::hostname(),
            pid,
            kind,
            command: command.to_string(),
            created: now,
            refreshed: now,
            boot_id: here.boot_id.clone(),
            pid_ns: here.pid_ns.clone(),
            start_time: probe(pid).flatten(),
        }
    }

    pub fn is_stale(&self, now: DateTime<Utc>) -> bool {
        self.stale_reason(now).is_some()
    }

    /// Why the lock no longer counts, in words for a warning; `None` while it is live.
    pub fn stale_reason(&self, now: DateTime<Utc>) -> Option<String> {
        let age = now.signed_duration_since(self.refreshed);
        if age.to_std().map(|a| a > stale()).unwrap_or(false) {
            return Some(format!(
                "not refreshed since {}",
                self.refreshed.format("%Y-%m-%d %H:%M:%S UTC")
            ));
        }
        process_gone(
            self,
            &crate::hostname(),
            Whereabouts::current(),
            probe(self.pid),
        )
    }

    pub fn describe(&self) -> String {
        format!(
            "{} lock held by `cairn {}` (pid {} on {}) since {}",
            match self.kind {
                LockKind::Shared => "shared",
                LockKind::Exclusive => "exclusive",
            },
            self.command,
            self.pid,
            self.host,
            self.created.format("%Y-%m-%d %H:%M:%S UTC")
        )
    }
}

/// A moment on every clock that can tell how long we were away. Others judge our lock
/// by their wall clocks, so ours counts too: a VM paused by its host has its monotonic
/// clocks frozen, and its wall clock is set forward when it resumes. On Linux,
/// CLOCK_BOOTTIME also counts a system suspend (a closed laptop lid), which `Instant`
/// (CLOCK_MONOTONIC) does not, and unlike the wall clock it is never stepped back. The
/// elapsed time is the largest of them: a clock jumping forward makes us give up a lock
/// we held (safe), never keep one we lost.
#[derive(Clone, Copy)]
struct Stamp {
    mono: Instant,
    boot: Option<Duration>,
    wall: SystemTime,
}

impl Stamp {
    fn now() -> Stamp {
        Stamp {
            mono: Instant::now(),
            boot: boot_clock(),
            wall: SystemTime::now(),
        }
    }

    fn elapsed(&self) -> Duration {
        let now = Stamp::now();
        let boot = match (self.boot, now.boot) {
            (Some(then), Some(now)) => now.saturating_sub(then),
            _ => Duration::ZERO,
        };
        let wall = now.wall.duration_since(self.wall).unwrap_or_default();
        now.mono.duration_since(self.mono).max(boot).max(wall)
    }
}

#[cfg(target_os = "linux")]
#[allow(unsafe_code)]
fn boot_clock() -> Option<Duration> {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes only the timespec it is given, which lives on this
    // stack frame for the whole call.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_BOOTTIME, &mut ts) };
    (rc == 0).then(|| Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32))
}

#[cfg(not(target_os = "linux"))]
fn boot_clock() -> Option<Duration> {
    None
}

/// Whether our lock object has been fresh all along: when it last got a timestamp that
/// then landed in storage, and the longest any of its versions stood before the next
/// replaced it.
struct Held {
    last: Stamp,
    worst_gap: Duration,
}

impl Held {
    /// Records a refresh whose object (timestamped at `stamp`) has just been stored.
    fn refreshed(&mut self, stamp: Stamp) {
        self.worst_gap = self.worst_gap.max(self.last.elapsed());
        self.last = stamp;
    }

    /// The longest the lock went without a refresh, up to now.
    fn gap(&self) -> Duration {
        self.worst_gap.max(self.last.elapsed())
    }
}

fn minutes_or_seconds(d: Duration) -> String {
    match d.as_secs() {
        s if s >= 120 => format!("{}m", s / 60),
        s => format!("{s}s"),
    }
}

/// Held while a command works on the repository; dropping it removes the lock.
pub struct LockGuard {
    backend: Arc<dyn crate::backend::Backend>,
    name: String,
    kind: LockKind,
    command: String,
    held: Arc<Mutex<Held>>,
    stop: Arc<AtomicBool>,
    refresher: Option<std::thread::JoinHandle<()>>,
}

impl LockGuard {
    /// The lock object's name, e.g. `locks/<id>`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Fails unless the lock has been ours all along: no gap between its successful
    /// refreshes (the current one included) reached `stale() - margin()`. After a longer
    /// gap (the process was suspended, or storage unreachable) another cairn may have
    /// judged the lock stale: a prune may have deleted the packs a backup wrote, or a
    /// backup may use what a prune is about to delete. Called right before each commit
    /// or deletion; once it fails it keeps failing.
    pub fn ensure_held(&self) -> Result<()> {
        let gap = self.held.lock().unwrap().gap();
        if gap < held_limit() {
            return Ok(());
        }
        let consequence = match self.kind {
            LockKind::Shared => "a prune may have removed its data, so no snapshot is written",
            LockKind::Exclusive => {
                "another command may be using what it would delete, so nothing more is deleted"
            }
        };
        Err(RepoError::Invalid(format!(
            "lock {} went {} without a refresh (process suspended or storage unreachable); {consequence}; run the {} again",
            self.name,
            minutes_or_seconds(gap),
            self.command
        )))
    }
}

impl Drop for LockGuard {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.refresher.take() {
            t.thread().unpark();
            let _ = t.join();
        }
        // Also, and above all, when a signal stopped the command.
        let _ = crate::interrupt::cleanup(|| self.backend.delete(&self.name));
    }
}

impl Repository {
    fn encode_lock(&self, info: &LockInfo) -> Result<Vec<u8>> {
        let body = super::pad::json(serde_json::to_vec(info).expect("lock serialises"));
        Ok(crypto::encrypt(self.shared_recipients(), None, &body)?)
    }

    /// Every lock object with what it says; unreadable ones are returned as errors.
    pub fn locks(&self) -> Result<Vec<(String, std::result::Result<LockInfo, String>)>> {
        let mut out = Vec::new();
        for o in self.backend().list("locks/")? {
            let info = match self.backend().get(&o.name) {
                Ok(b) => crypto::decrypt(self.identity(), &b, None)
                    .map_err(|e| e.to_string())
                    .and_then(|p| serde_json::from_slice(&p).map_err(|e| e.to_string())),
                // Removed between list and get: its holder finished.
                Err(e) if e.is_not_found() => continue,
                Err(e) => return Err(e.into()),
            };
            out.push((o.name, info));
        }
        Ok(out)
    }

    pub fn lock(&self, kind: LockKind, command: &str) -> Result<LockGuard> {
        let lag = crate::backend::listing_lag(self.backend()).map_err(RepoError::Invalid)?;
        let stamp = Stamp::now();
        let info = LockInfo::ours(kind, command, stamp.wall.into());
        let name = format!("locks/{}", LockId(crate::ids::random_bytes()));
        self.backend().put(&name, &self.encode_lock(&info)?)?;
        let guard = LockGuard {
            backend: self.backend_handle(),
            name: name.clone(),
            kind,
            command: command.to_string(),
            held: Arc::new(Mutex::new(Held {
                last: stamp,
                worst_gap: Duration::ZERO,
            })),
            stop: Arc::new(AtomicBool::new(false)),
            refresher: None,
        };
        // Of two processes locking at about the same time, the later must see the
        // earlier's lock. On a store whose listings lag behind its writes that holds only
        // if each lists no sooner than the lag after its own write.
        // Dropping the guard on the way out removes our lock.
        if !lag.is_zero() {
            crate::interrupt::sleep(lag)?;
        }
        let mut ignored = Vec::new();
        for (other, held) in self.locks()? {
            if other == name {
                continue;
            }
            let Ok(held) = held else { continue };
            let conflict = kind == LockKind::Exclusive || held.kind == LockKind::Exclusive;
            match held.stale_reason(Utc::now()) {
                Some(why) => ignored.push(format!("{} ({why}; {other})", held.describe())),
                None if conflict => {
                    return Err(RepoError::Locked(format!(
                        "repository {} is locked: {}; if that process is gone, run `cairn unlock`",
                        self.location(),
                        held.describe()
                    )))
                }
                None => {}
            }
        }
        // Reported once the lock is ours (a conflict above says all that matters): a
        // stale lock means a command died and may have left unreferenced packs.
        for s in ignored {
            crate::ui::warn(&format!("ignoring stale {s}; `cairn unlock` removes it"));
        }
        let guard = self.start_refresher(guard, info);
        // The index may have changed (a prune) between opening the repository and taking
        // the lock; a backup deduplicating against the older view could name blobs whose
        // packs are gone.
        self.sync_index()?;
        Ok(guard)
    }

    /// Like `lock`, but while another process holds a conflicting lock, retries until
    /// `wait` has passed.
    pub fn lock_wait(&self, kind: LockKind, command: &str, wait: Duration) -> Result<LockGuard> {
        let deadline = std::time::Instant::now() + wait;
        let mut told = false;
        loop {
            match self.lock(kind, command) {
                Err(RepoError::Locked(msg)) => {
                    let now = std::time::Instant::now();
                    if now >= deadline {
                        return Err(RepoError::Locked(format!(
                            "{msg} (waited {}s)",
                            wait.as_secs()
                        )));
                    }
                    if !told {
                        crate::ui::info(&format!("{msg}; waiting up to {}s", wait.as_secs()));
                        told = true;
                    }
                    crate::interrupt::sleep(LOCK_POLL.min(deadline - now))?;
                }
                r => return r,
            }
        }
    }

    /// Live locks other than `own`, described; a command that must be alone checks this
    /// again right before it deletes anything.
    pub fn other_live_locks(&self, own: &LockGuard) -> Result<Vec<String>> {
        let now = Utc::now();
        Ok(self
            .locks()?
            .into_iter()
            .filter(|(name, _)| name != own.name())
            .filter_map(|(name, info)| match info {
                Ok(i) if !i.is_stale(now) => Some(format!("{name}: {}", i.describe())),
                _ => None,
            })
            .collect())
    }

    /// Rewrites the lock every `refresh()`, or `retry()` after a failure, and records
    /// each success for `ensure_held`. A failed write is only a warning here: whether the
    /// lock is still ours is decided where it matters, before a commit or a deletion.
    fn start_refresher(&self, mut guard: LockGuard, mut info: LockInfo) -> LockGuard {
        let stop = guard.stop.clone();
        let held = guard.held.clone();
        let backend = self.backend_handle();
        let name = guard.name.clone();
        let recipients = self.shared_recipients().clone();
        guard.refresher = Some(std::thread::spawn(move || {
            let mut wait = refresh();
            loop {
                std::thread::park_timeout(wait);
                // Once interrupted, the store refuses the write anyway, and the lock is
                // about to be deleted.
                if stop.load(Ordering::Relaxed) || crate::interrupt::requested() {
                    return;
                }
                let stamp = Stamp::now();
                info.refreshed = stamp.wall.into();
                let body = super::pad::json(serde_json::to_vec(&info).expect("lock serialises"));
                let written = crypto::encrypt(&recipients, None, &body)
                    .map_err(|e| e.to_string())
                    .and_then(|b| backend.put(&name, &b).map_err(|e| e.to_string()));
                match written {
                    Ok(()) => {
                        held.lock().unwrap().refreshed(stamp);
                        wait = refresh();
                    }
                    Err(e) => {
                        wait = retry();
                        crate::ui::warn(&format!(
                            "refreshing lock {name}: {e}; trying again in {}",
                            minutes_or_seconds(wait)
                        ));
                    }
                }
            }
        }));
        guard
    }

    /// Removes stale locks (all locks with `all`); returns what was removed.
    pub fn unlock(&self, all: bool) -> Result<Vec<String>> {
        let mut removed = Vec::new();
        let now = Utc::now();
        for (name, info) in self.locks()? {
            let remove = all || info.as_ref().map(|i| i.is_stale(now)).unwrap_or(false);
            if remove {
                self.backend().delete(&name)?;
                removed.push(match info {
                    Ok(i) => format!("{name}: {}", i.describe()),
                    Err(e) => format!("{name}: unreadable ({e})"),
                });
            }
        }
        Ok(removed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn here() -> Whereabouts {
        Whereabouts {
            boot_id: Some("boot-a".into()),
            pid_ns: Some("pid:[1]".into()),
        }
    }

    fn lock_from(host: &str, boot_id: Option<&str>, pid_ns: Option<&str>) -> LockInfo {
        let now = Utc::now();
        LockInfo {
            host: host.into(),
            pid: 4242,
            kind: LockKind::Shared,
            command: "backup".into(),
            created: now,
            refreshed: now,
            boot_id: boot_id.map(str::to_string),
            pid_ns: pid_ns.map(str::to_string),
            start_time: Some(100),
        }
    }

    const ABSENT: Probe = None;
    const SAME_START: Probe = Some(Some(100));
    const OTHER_START: Probe = Some(Some(7));
    const UNREADABLE: Probe = Some(None);

    #[test]
    fn gone_only_when_host_boot_and_namespace_all_match() {
        let h = here();
        let ours = lock_from("h", Some("boot-a"), Some("pid:[1]"));
        assert!(process_gone(&ours, "h", &h, ABSENT).is_some());
        let reused = process_gone(&ours, "h", &h, OTHER_START).unwrap();
        assert!(reused.contains("another process"), "{reused}");
        assert_eq!(process_gone(&ours, "h", &h, SAME_START), None);
        assert_eq!(process_gone(&ours, "h", &h, UNREADABLE), None);

        // Each mismatch or unknown leaves the lock to be judged by age.
        for other in [
            lock_from("other", Some("boot-a"), Some("pid:[1]")),
            // Rebooted, or another machine with our hostname: cannot be told apart.
            lock_from("h", Some("boot-b"), Some("pid:[1]")),
            // Another container on the same kernel.
            lock_from("h", Some("boot-a"), Some("pid:[2]")),
            // Written by an older cairn: hostname and pid alone prove nothing.
            lock_from("h", None, None),
            lock_from("h", Some("boot-a"), None),
        ] {
            assert_eq!(process_gone(&other, "h", &h, ABSENT), None, "{other:?}");
        }
        // Nor can we judge when we do not know where we run.
        assert_eq!(
            process_gone(&ours, "h", &Whereabouts::default(), ABSENT),
            None
        );
    }

    #[test]
    fn a_lock_without_start_time_counts_its_pid() {
        let mut info = lock_from("h", Some("boot-a"), Some("pid:[1]"));
        info.start_time = None;
        assert_eq!(process_gone(&info, "h", &here(), OTHER_START), None);
        assert!(process_gone(&info, "h", &here(), ABSENT).is_some());
    }

    #[test]
    fn old_locks_still_parse() {
        let old = r#"{"host":"h","pid":1,"kind":"exclusive","command":"prune",
            "created":"2026-01-01T00:00:00Z","refreshed":"2026-01-01T00:00:00Z"}"#;
        let info: LockInfo = serde_json::from_str(old).unwrap();
        assert_eq!(
            (info.boot_id, info.pid_ns, info.start_time),
            (None, None, None)
        );
    }

    #[test]
    fn start_time_is_field_22_even_with_parentheses_in_the_name() {
        let stat = "77 (a) b (c) S 1 77 77 0 -1 4194560 1 2 3 4 5 6 7 8 20 0 1 0 123456 9 10";
        assert_eq!(start_time_of(stat), Some(123456));
        let ours = std::fs::read_to_string("/proc/self/stat").unwrap();
        assert!(start_time_of(&ours).is_some());
    }

    #[test]
    fn our_own_process_is_alive() {
        let info = LockInfo::ours(LockKind::Shared, "backup", Utc::now());
        assert!(info.boot_id.is_some() && info.pid_ns.is_some() && info.start_time.is_some());
        assert_eq!(info.stale_reason(Utc::now()), None);
        let mut dead = info.clone();
        dead.start_time = dead.start_time.map(|t| t + 1);
        assert!(dead.stale_reason(Utc::now()).is_some());
    }

    #[test]
    fn one_long_gap_loses_the_lock_for_good() {
        let hour_ago = Stamp {
            wall: SystemTime::now() - Duration::from_secs(3600),
            ..Stamp::now()
        };
        let mut held = Held {
            last: Stamp::now(),
            worst_gap: Duration::ZERO,
        };
        assert!(held.gap() < held_limit());
        held.last = hour_ago;
        // The refresh that lands after the suspension cannot make up for it.
        held.refreshed(Stamp::now());
        assert!(held.worst_gap >= Duration::from_secs(3600));
        assert!(held.gap() >= held_limit());
    }

    #[test]
    fn a_suspension_counts_on_the_wall_clock_too() {
        let then = Stamp {
            mono: Instant::now(),
            boot: boot_clock(),
            wall: SystemTime::now() - Duration::from_secs(3600),
        };
        assert!(then.elapsed() >= Duration::from_secs(3600));
    }
}
