//! `forget`: sort snapshots into groups, apply the keep policy to each group on its
//! own, and remove the manifests it drops. Data stays until `prune` collects it.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use crate::ids::SnapshotId;
use crate::repo::lock::LockGuard;
use crate::repo::snapshot::{Snapshot, StoredSnapshot};
use crate::repo::{RepoError, Repository};

use super::policy::{decide, Decision, Policy, SnapInfo, Zone};

#[derive(Debug, thiserror::Error)]
pub enum ForgetError {
    #[error("no keep policy given: use --keep-last, --keep-daily, --keep-within, --keep-tag … (see --help), or --keep-none to remove every selected snapshot")]
    EmptyPolicy,
    #[error("the policy keeps none of the {count} snapshots of group {group}; refusing (add --keep-none to allow it)")]
    WouldEmptyGroup { group: String, count: usize },
    #[error(
        "{0:?} is not a grouping field (use host, profile, paths, tags, or \"\" for one group)"
    )]
    BadGroupBy(String),
    #[error("removed {done} of {total} snapshots, then: {cause}")]
    Removing {
        done: usize,
        total: usize,
        cause: RepoError,
    },
}

/// The fields whose values must be equal for two snapshots to share a group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GroupBy {
    pub host: bool,
    pub profile: bool,
    pub paths: bool,
    pub tags: bool,
}

impl Default for GroupBy {
    /// The same thing backed up again and again: one host, profile and set of paths.
    fn default() -> GroupBy {
        GroupBy {
            host: true,
            profile: true,
            paths: true,
            tags: false,
        }
    }
}

impl FromStr for GroupBy {
    type Err = ForgetError;

    fn from_str(s: &str) -> Result<GroupBy, ForgetError> {
        let mut by = GroupBy {
            host: false,
            profile: false,
            paths: false,
            tags: false,
        };
        for field in s.split(',').map(str::trim).filter(|f| !f.is_empty()) {
            match field {
                "host" => by.host = true,
                "profile" => by.profile = true,
                "paths" | "path" => by.paths = true,
                "tags" | "tag" => by.tags = true,
                _ => return Err(ForgetError::BadGroupBy(field.to_string())),
            }
        }
        Ok(by)
    }
}

/// The values of the grouping fields; `None` for a field not grouped by.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct GroupKey {
    pub host: Option<String>,
    pub profile: Option<Option<String>>,
    pub paths: Option<Vec<String>>,
    pub tags: Option<Vec<String>>,
}

impl GroupBy {
    pub fn key(&self, s: &Snapshot) -> GroupKey {
        let sorted = |v: &[String]| {
            let mut v = v.to_vec();
            v.sort();
            v
        };
        GroupKey {
            host: self.host.then(|| s.host.clone()),
            profile: self.profile.then(|| s.profile.clone()),
            paths: self.paths.then(|| sorted(&s.paths)),
            tags: self.tags.then(|| sorted(&s.tags)),
        }
    }
}

impl fmt::Display for GroupKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let list = |v: &[String]| {
            if v.is_empty() {
                "(none)".to_string()
            } else {
                v.join(",")
            }
        };
        let mut parts = Vec::new();
        if let Some(h) = &self.host {
            parts.push(format!("host={h}"));
        }
        if let Some(p) = &self.profile {
            parts.push(format!("profile={}", p.as_deref().unwrap_or("(none)")));
        }
        if let Some(p) = &self.paths {
            parts.push(format!("paths={}", list(p)));
        }
        if let Some(t) = &self.tags {
            parts.push(format!("tags={}", list(t)));
        }
        if parts.is_empty() {
            return f.write_str("(all snapshots)");
        }
        f.write_str(&parts.join(" "))
    }
}

#[derive(Debug, Clone)]
pub struct Entry {
    pub snap: StoredSnapshot,
    pub decision: Decision,
}

/// One group's snapshots, newest first, each with its decision.
#[derive(Debug, Clone)]
pub struct Group {
    pub key: GroupKey,
    pub entries: Vec<Entry>,
}

impl Group {
    pub fn removed(&self) -> impl Iterator<Item = &SnapshotId> {
        self.entries
            .iter()
            .filter(|e| !e.decision.keep)
            .map(|e| &e.snap.id)
    }
}

/// Applies `policy` to each group of `snaps`. Refuses an empty policy, and a policy
/// that would leave a group with no snapshot at all, unless `keep_none`: both are far
/// more often a typo in a cron line than an intent.
pub fn plan(
    snaps: Vec<StoredSnapshot>,
    group_by: GroupBy,
    policy: &Policy,
    zone: Zone,
    keep_none: bool,
) -> Result<Vec<Group>, ForgetError> {
    if policy.is_empty() && !keep_none {
        return Err(ForgetError::EmptyPolicy);
    }
    let mut groups = Vec::new();
    for (key, members) in grouped(snaps, group_by) {
        let infos: Vec<SnapInfo> = members
            .iter()
            .map(|s| SnapInfo {
                time: s.snap.time,
                tags: s.snap.tags.clone(),
            })
            .collect();
        let decisions = decide(&infos, policy, zone);
        if !keep_none && !decisions.iter().any(|d| d.keep) {
            return Err(ForgetError::WouldEmptyGroup {
                group: key.to_string(),
                count: members.len(),
            });
        }
        groups.push(group(key, members, decisions));
    }
    Ok(groups)
}

/// Groups exactly the snapshots named on the command line, every one of them removed.
pub fn named(snaps: Vec<StoredSnapshot>, group_by: GroupBy) -> Vec<Group> {
    grouped(snaps, group_by)
        .into_iter()
        .map(|(key, members)| {
            let drop = vec![Decision::default(); members.len()];
            group(key, members, drop)
        })
        .collect()
}

fn grouped(
    snaps: Vec<StoredSnapshot>,
    group_by: GroupBy,
) -> BTreeMap<GroupKey, Vec<StoredSnapshot>> {
    let mut groups: BTreeMap<GroupKey, Vec<StoredSnapshot>> = BTreeMap::new();
    for s in snaps {
        groups.entry(group_by.key(&s.snap)).or_default().push(s);
    }
    groups
}

fn group(key: GroupKey, members: Vec<StoredSnapshot>, decisions: Vec<Decision>) -> Group {
    let mut entries: Vec<Entry> = members
        .into_iter()
        .zip(decisions)
        .map(|(snap, decision)| Entry { snap, decision })
        .collect();
    entries.sort_by_key(|e| std::cmp::Reverse((e.snap.snap.time, e.snap.id)));
    Group { key, entries }
}

/// Deletes the manifests of every removed snapshot; returns how many. The caller holds
/// the exclusive `lock` the plan was made under, and each deletion first checks it was
/// held all along: the plan's "never empty a group" holds only if no other forget ran.
pub fn remove(repo: &Repository, lock: &LockGuard, groups: &[Group]) -> Result<usize, ForgetError> {
    let ids: Vec<&SnapshotId> = groups.iter().flat_map(Group::removed).collect();
    for (done, id) in ids.iter().enumerate() {
        lock.ensure_held()
            .and_then(|()| repo.remove_snapshot(id))
            // Its "verified restorable" records go with it; prune sweeps any left over.
            .and_then(|()| repo.remove_verified_of(id))
            .map_err(|cause| ForgetError::Removing {
                done,
                total: ids.len(),
                cause,
            })?;
    }
    Ok(ids.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chunker::ChunkSizes;
    use crate::ids::BlobId;
    use crate::repo::snapshot::{SnapshotStats, SourceKind};
    use crate::retention::policy::PerPeriod;

    fn snap(n: u8, host: &str, day: u32, tags: &[&str]) -> StoredSnapshot {
        let time = chrono::NaiveDate::from_ymd_opt(2026, 1, day)
            .unwrap()
            .and_hms_opt(2, 0, 0)
            .unwrap()
            .and_utc();
        StoredSnapshot {
            id: SnapshotId([n; 32]),
            snap: Snapshot {
                version: 1,
                time,
                host: host.to_string(),
                profile: None,
                source: SourceKind::Files,
                paths: vec!["/srv".to_string()],
                tags: tags.iter().map(|t| t.to_string()).collect(),
                tree: BlobId([0; 32]),
                parent: None,
                chunk_sizes: ChunkSizes::FILES,
                stats: SnapshotStats::default(),
                tool: "test".to_string(),
                databases: Vec::new(),
                repaired: None,
                copied_from: None,
            },
        }
    }

    fn daily(n: usize) -> Policy {
        Policy {
            every: PerPeriod {
                daily: n,
                ..PerPeriod::default()
            },
            ..Policy::default()
        }
    }

    fn kept_ids(groups: &[Group]) -> Vec<u8> {
        let mut ids: Vec<u8> = groups
            .iter()
            .flat_map(|g| &g.entries)
            .filter(|e| e.decision.keep)
            .map(|e| e.snap.id.0[0])
            .collect();
        ids.sort();
        ids
    }

    #[test]
    fn group_by_parses_fields_and_empty_means_one_group() {
        assert_eq!(
            "host,profile,paths".parse::<GroupBy>().unwrap(),
            GroupBy::default()
        );
        let one: GroupBy = "".parse().unwrap();
        assert_eq!(one.key(&snap(1, "a", 1, &[]).snap), GroupKey::default());
        assert_eq!(GroupKey::default().to_string(), "(all snapshots)");
        assert!("host,color".parse::<GroupBy>().is_err());
    }

    #[test]
    fn groups_are_decided_independently() {
        let snaps = vec![
            snap(1, "a", 1, &[]),
            snap(2, "a", 2, &[]),
            snap(3, "b", 1, &[]),
            snap(4, "b", 3, &[]),
        ];
        let groups = plan(
            snaps.clone(),
            GroupBy::default(),
            &daily(1),
            Zone::Utc,
            false,
        );
        let groups = groups.unwrap();
        assert_eq!(groups.len(), 2);
        assert_eq!(
            groups[0].key.to_string(),
            "host=a profile=(none) paths=/srv"
        );
        assert_eq!(kept_ids(&groups), [2, 4]);
        let one = plan(snaps, "".parse().unwrap(), &daily(1), Zone::Utc, false).unwrap();
        assert_eq!(kept_ids(&one), [4]);
        // Newest first within a group.
        assert_eq!(one[0].entries[0].snap.id.0[0], 4);
    }

    #[test]
    fn refuses_empty_policy_and_emptied_groups_unless_keep_none() {
        let snaps = vec![snap(1, "a", 1, &["keep"]), snap(2, "b", 2, &[])];
        let err = plan(
            snaps.clone(),
            GroupBy::default(),
            &Policy::default(),
            Zone::Utc,
            false,
        );
        assert!(matches!(err, Err(ForgetError::EmptyPolicy)));
        let tag = Policy {
            tags: vec![vec!["keep".to_string()]],
            ..Policy::default()
        };
        let err = plan(snaps.clone(), GroupBy::default(), &tag, Zone::Utc, false).unwrap_err();
        assert!(err.to_string().contains("group host=b"), "{err}");
        let groups = plan(snaps.clone(), GroupBy::default(), &tag, Zone::Utc, true).unwrap();
        assert_eq!(kept_ids(&groups), [1]);
        let all = plan(
            snaps,
            GroupBy::default(),
            &Policy::default(),
            Zone::Utc,
            true,
        )
        .unwrap();
        assert_eq!(kept_ids(&all), Vec::<u8>::new());
    }

    #[test]
    fn grouping_by_tags_ignores_their_order() {
        let snaps = vec![snap(1, "a", 1, &["x", "y"]), snap(2, "a", 2, &["y", "x"])];
        let groups = plan(snaps, "tags".parse().unwrap(), &daily(1), Zone::Utc, false).unwrap();
        assert_eq!(groups.len(), 1);
        assert_eq!(groups[0].key.to_string(), "tags=x,y");
    }
}
