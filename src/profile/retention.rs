//! Retention after a good backup: forget the profile's snapshots that its `[retention]`
//! policy no longer keeps, then prune when `[prune] every` says it is due.
//!
//! This is the single place `cairn run` reaches `crate::retention`. `forget` and
//! `prune` are being written alongside; until they are merged this step reports itself
//! as skipped (not as an error, so nightly runs stay green). To wire it, replace the
//! body of [`retention_step`]:
//!
//! 1. `crate::retention::policy`: build its policy from [`Retention`] (field names
//!    match `cairn forget --keep-*`; `keep_within` is a duration string already checked
//!    by `schedule::parse_duration`), select `repo.snapshots()?` whose `snap.profile ==
//!    Some(profile.name)` and `snap.host == host`, apply with `now = Utc::now()`, and
//!    delete the dropped manifests (under the repository lock `forget` takes).
//! 2. If `prune_due`: `crate::retention::prune` with `profile.prune.max_unused`, and
//!    return `pruned: true` so the run records the time for the next `every` decision.

use anyhow::Result;

use super::{Profile, Retention};
use crate::repo::Repository;

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
) -> Result<RetentionReport> {
    let _ = (policy_args(&profile.retention), repo, host, prune_due);
    Ok(RetentionReport {
        summary: "skipped: forget not yet available".into(),
        pruned: false,
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
