//! Repository locks: backups hold a shared lock, prune an exclusive one.
//!
//! Protocol: write our lock object, then list the others; on a conflict with a live
//! lock, remove ours and fail. A lock is live while its holder refreshes it (every
//! `REFRESH`); it is stale when not refreshed for `STALE`, or when it names a process
//! on this host that no longer runs. Stale locks are ignored (with a warning naming
//! them) and removed by `unlock`.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{RepoError, Repository, Result};
use crate::crypto;
use crate::ids::LockId;

pub const REFRESH: Duration = Duration::from_secs(5 * 60);
pub const STALE: Duration = Duration::from_secs(30 * 60);
/// How often `lock_wait` tries again.
const LOCK_POLL: Duration = Duration::from_secs(2);

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
}

impl LockInfo {
    pub fn is_stale(&self, now: DateTime<Utc>) -> bool {
        self.stale_reason(now).is_some()
    }

    /// Why the lock no longer counts, in words for a warning; `None` while it is live.
    pub fn stale_reason(&self, now: DateTime<Utc>) -> Option<String> {
        let age = now.signed_duration_since(self.refreshed);
        if age.to_std().map(|a| a > STALE).unwrap_or(false) {
            return Some(format!(
                "not refreshed since {}",
                self.refreshed.format("%Y-%m-%d %H:%M:%S UTC")
            ));
        }
        if self.host == crate::hostname() && !process_alive(self.pid) {
            return Some(format!("process {} no longer runs", self.pid));
        }
        None
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

fn process_alive(pid: u32) -> bool {
    std::path::Path::new(&format!("/proc/{pid}")).exists()
}

/// Held while a command works on the repository; dropping it removes the lock.
pub struct LockGuard {
    backend: Arc<dyn crate::backend::Backend>,
    name: String,
    stop: Arc<AtomicBool>,
    refresher: Option<std::thread::JoinHandle<()>>,
}

impl LockGuard {
    /// The lock object's name, e.g. `locks/<id>`.
    pub fn name(&self) -> &str {
        &self.name
    }
}

impl Drop for LockGuard {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.refresher.take() {
            t.thread().unpark();
            let _ = t.join();
        }
        let _ = self.backend.delete(&self.name);
    }
}

impl Repository {
    fn encode_lock(&self, info: &LockInfo) -> Result<Vec<u8>> {
        let body = super::pad::json(serde_json::to_vec(info).expect("lock serialises"));
        Ok(crypto::encrypt(self.recipients(), None, &body)?)
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
        let now = Utc::now();
        let info = LockInfo {
            host: crate::hostname(),
            pid: std::process::id(),
            kind,
            command: command.to_string(),
            created: now,
            refreshed: now,
        };
        let name = format!("locks/{}", LockId(crate::ids::random_bytes()));
        self.backend().put(&name, &self.encode_lock(&info)?)?;
        let guard = LockGuard {
            backend: self.backend_handle(),
            name: name.clone(),
            stop: Arc::new(AtomicBool::new(false)),
            refresher: None,
        };
        let mut stale = Vec::new();
        for (other, held) in self.locks()? {
            if other == name {
                continue;
            }
            let Ok(held) = held else { continue };
            let conflict = kind == LockKind::Exclusive || held.kind == LockKind::Exclusive;
            match held.stale_reason(Utc::now()) {
                Some(why) => stale.push(format!("{} ({why}; {other})", held.describe())),
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
        for s in stale {
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
                    std::thread::sleep(LOCK_POLL.min(deadline - now));
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

    fn start_refresher(&self, mut guard: LockGuard, mut info: LockInfo) -> LockGuard {
        let stop = guard.stop.clone();
        let backend = self.backend_handle();
        let name = guard.name.clone();
        let recipients = self.recipients().clone();
        guard.refresher = Some(std::thread::spawn(move || loop {
            std::thread::park_timeout(REFRESH);
            if stop.load(Ordering::Relaxed) {
                return;
            }
            info.refreshed = Utc::now();
            let body = super::pad::json(serde_json::to_vec(&info).expect("lock serialises"));
            match crypto::encrypt(&recipients, None, &body) {
                Ok(b) => {
                    if let Err(e) = backend.put(&name, &b) {
                        crate::ui::warn(&format!("refreshing lock: {e}"));
                    }
                }
                Err(e) => crate::ui::warn(&format!("refreshing lock: {e}")),
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
