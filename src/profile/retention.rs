//! Retention after a good backup: forget the profile's snapshots (of this host) that its
//! `[retention]` policy no longer keeps, then prune when `[prune] every` says it is due.
//! The single place `cairn run` reaches `crate::retention`; both steps run under one
//! exclusive lock, as `cairn forget --prune` does.

use std::str::FromStr;
use std::time::Duration;

use anyhow::{anyhow, Result};

use super::{Profile, Retention};
use crate::repo::lock::LockKind;
use crate::repo::Repository;
use crate::retention::forget::{self, GroupBy};
use crate::retention::policy::{PerPeriod, Policy, Span, Zone};
use crate::retention::prune::{self, MaxUnused, PruneOptions};

/// How long retention waits for other hosts' backups to release the repository: a
/// nightly window where several hosts share a repository should not fail the first
/// one to finish.
const LOCK_WAIT: Duration = Duration::from_secs(15 * 60);

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetentionReport {
    /// Short text for the run's summary line, e.g. "forgot 2, pruned".
    pub summary: String,
    /// Prune actually ran; the caller then records its time.
    pub pruned: bool,
}

pub fn retention_step(
    profile: &Profile,
    repo: &Repository,
    host: &str,
    prune_due: bool,
    zone: Zone,
) -> Result<RetentionReport> {
    let policy = policy_of(&profile.retention)?;
    // Parsed before anything is removed, so a typo cannot stop the run halfway.
    let max_unused = MaxUnused::parse(profile.prune.max_unused.as_deref().unwrap_or("10%"))
        .map_err(|e| anyhow!("[prune] max_unused: {e}"))?;
    if policy.is_empty() && !prune_due {
        return Ok(RetentionReport {
            summary: "retention off (every keep count is 0)".into(),
            pruned: false,
        });
    }
    repo.require_signer()?;
    let lock = repo.lock_wait(LockKind::Exclusive, "run", LOCK_WAIT)?;
    let mut summary = Vec::new();
    if !policy.is_empty() {
        let mine = repo
            .snapshots()?
            .into_iter()
            .filter(|s| s.snap.profile.as_deref() == Some(&profile.name) && s.snap.host == host)
            .collect();
        let groups = forget::plan(mine, GroupBy::default(), &policy, zone, false)?;
        summary.push(format!("forgot {}", forget::remove(repo, &lock, &groups)?));
    }
    if prune_due {
        let opts = PruneOptions {
            max_unused,
            ..PruneOptions::default()
        };
        let r = prune::prune_locked(repo, &opts, &lock)?;
        summary.push(format!("pruned {}", crate::ui::bytes(r.bytes_freed)));
    }
    Ok(RetentionReport {
        summary: summary.join(", "),
        pruned: prune_due,
    })
}

/// The profile's `[retention]` as a keep policy (0 turns a rule off).
pub fn policy_of(r: &Retention) -> Result<Policy> {
    let n = |v: Option<u32>| v.unwrap_or(0) as usize;
    let within = r
        .keep_within
        .as_deref()
        .map(Span::from_str)
        .transpose()
        .map_err(|e| anyhow!("[retention] keep_within: {e}"))?;
    Ok(Policy {
        last: n(r.keep_last),
        every: PerPeriod {
            hourly: n(r.keep_hourly),
            daily: r.keep_daily as usize,
            weekly: r.keep_weekly as usize,
            monthly: r.keep_monthly as usize,
            yearly: n(r.keep_yearly),
        },
        within,
        ..Policy::default()
    })
}

/// The policy as `cairn forget` flags, for messages and for the wiring above.
pub fn policy_args(r: &Retention) -> Vec<String> {
    let mut out = Vec::new();
    let mut push = |flag: &str, v: Option<u32>| {
        if let Some(v) = v.filter(|v| *v > 0) {
            out.push(format!("--{flag} {v}"));
        }
    };
    push("keep-last", r.keep_last);
    push("keep-hourly", r.keep_hourly);
    push("keep-daily", Some(r.keep_daily));
    push("keep-weekly", Some(r.keep_weekly));
    push("keep-monthly", Some(r.keep_monthly));
    push("keep-yearly", r.keep_yearly);
    if let Some(w) = &r.keep_within {
        out.push(format!("--keep-within {w}"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_policy_as_flags() {
        assert_eq!(
            policy_args(&Retention::default()).join(" "),
            "--keep-daily 7 --keep-weekly 4 --keep-monthly 12"
        );
    }
}
