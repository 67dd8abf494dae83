//! `cairn key rewrap`: re-encrypts what is stored to the current recipient list, so an
//! added key can read everything and a removed one nothing it has not already taken.
//!
//! Each kind of object is redone the way its writers already make it, so a crash at any
//! point leaves a readable repository and a second run picks up where the first
//! stopped (it only looks at objects not addressed to exactly the current keys):
//! - snapshots: the verified manifest re-encrypted and signed again under a new id,
//!   its verified records moved to that id, then the old manifest deleted; an
//!   interrupted run leaves a duplicate, which the next run recognises by content;
//! - packs and index objects: prune's protocol with the stale packs forced into its
//!   repack set (new packs, a merged index, then the old index and packs deleted),
//!   which also deletes data no snapshot uses.
//!
//! "Current" also means signed by the current signer: after a hand-over, what a former
//! signer signed is signed again, and once all of it is, a new config generation stops
//! accepting former signers at all.
//!
//! The config is already current: `add-recipient`/`remove-recipient` rewrite it.

use std::collections::{HashMap, HashSet};

use crate::ids::{PackId, SnapshotId};
use crate::repo::lock::{LockGuard, LockKind};
use crate::repo::trust::TrustSettings;
use crate::repo::verified::PREFIX as VERIFIED;
use crate::repo::{pack, RepoError, Repository};
use crate::retention::prune::{self, MaxUnused, PruneError, PruneOptions, PruneReport};

#[derive(Debug, thiserror::Error)]
pub enum RewrapError {
    #[error(transparent)]
    Repo(#[from] RepoError),
    #[error(transparent)]
    Prune(#[from] PruneError),
    #[error("refusing to rewrap, nothing changed: {0}; remove it with `cairn forget` first")]
    BadSnapshot(String),
}

pub type Result<T> = std::result::Result<T, RewrapError>;

/// What rewrap did (or, with `dry_run`, found to do).
#[derive(Debug, Default, serde::Serialize)]
pub struct RewrapReport {
    pub dry_run: bool,
    pub recipients: Vec<String>,
    pub snapshots: usize,
    pub snapshots_rewrapped: usize,
    /// Copies left by an interrupted run, deleted.
    pub snapshots_duplicate: usize,
    pub verified_rewrapped: usize,
    pub packs: usize,
    pub packs_rewrapped: usize,
    pub bytes_rewrapped: u64,
    pub index_files_rewrapped: usize,
    /// Keys whose signatures were accepted before this run (a hand-over); none after.
    pub former_signers: Vec<String>,
    /// The prune that re-encrypted packs and index.
    pub prune: Option<PruneReport>,
}

impl RewrapReport {
    pub fn nothing_to_do(&self) -> bool {
        self.snapshots_rewrapped
            + self.snapshots_duplicate
            + self.verified_rewrapped
            + self.packs_rewrapped
            + self.index_files_rewrapped
            == 0
    }
}

pub fn rewrap(repo: &mut Repository, dry_run: bool, trust: &TrustSettings) -> Result<RewrapReport> {
    let kind = if dry_run {
        LockKind::Shared
    } else {
        repo.require_signer()?;
        LockKind::Exclusive
    };
    let lock = repo.lock(kind, "key rewrap")?;
    let mut report = RewrapReport {
        dry_run,
        recipients: repo.config().recipients.clone(),
        ..Default::default()
    };
    snapshots(repo, dry_run, &mut report)?;
    verified(repo, dry_run, &mut report)?;
    packs_and_index(repo, dry_run, &lock, &mut report)?;
    report.former_signers = repo.config().former_signers.clone();
    if !dry_run {
        repo.forget_former_signers(trust)?;
    }
    Ok(report)
}

/// Not encrypted to exactly the current recipients (and, for index objects, the
/// write-only hosts), or (`signed`) not signed by the current signer.
fn stale(repo: &Repository, name: &str, signed: bool) -> std::result::Result<bool, RepoError> {
    let stored = repo.backend().get(name)?;
    let to = match name.starts_with("index/") {
        true => repo.shared_recipients(),
        false => repo.recipients(),
    };
    Ok(!to.addressed(&stored) || (signed && !repo.signed_by_current(&stored)))
}

/// Re-encrypts the manifests, oldest first; one that does not verify stops the run
/// before anything changes (it may be planted, and would be kept readable to all).
fn snapshots(repo: &Repository, dry_run: bool, report: &mut RewrapReport) -> Result<()> {
    let (snaps, bad) = repo.snapshots_checked()?;
    if let Some(first) = bad.first() {
        return Err(RewrapError::BadSnapshot(first.clone()));
    }
    report.snapshots = snaps.len();
    // Same manifest, several objects: an interrupted run wrote the new one and had not
    // yet deleted the old.
    let mut by_content: HashMap<String, Vec<(SnapshotId, bool)>> = HashMap::new();
    for s in &snaps {
        let body = serde_json::to_string(&s.snap).expect("snapshot serialises");
        let current = !stale(repo, &format!("snapshots/{}", s.id), true)?;
        by_content.entry(body).or_default().push((s.id, current));
    }
    let progress = crate::ui::Progress::items(Some(snaps.len() as u64), "snapshots");
    for s in &snaps {
        let Some(group) = by_content.remove(&serde_json::to_string(&s.snap).unwrap()) else {
            continue; // its group was handled with an earlier member
        };
        progress.add(group.len() as u64);
        let keeper = group
            .iter()
            .find(|(_, current)| *current)
            .map(|(id, _)| *id);
        let old: Vec<SnapshotId> = group
            .iter()
            .map(|(id, _)| *id)
            .filter(|id| Some(*id) != keeper)
            .collect();
        if old.is_empty() {
            continue;
        }
        match keeper {
            Some(_) => report.snapshots_duplicate += old.len(),
            None => {
                report.snapshots_rewrapped += 1;
                report.snapshots_duplicate += old.len() - 1;
            }
        }
        if dry_run {
            continue;
        }
        let keeper = match keeper {
            Some(k) => k,
            None => repo.write_snapshot(&s.snap)?,
        };
        for id in old {
            for name in repo.verified_names_of(&id)? {
                repo.rewrap_verified(&name, keeper)?;
                report.verified_rewrapped += 1;
            }
            repo.remove_snapshot(&id)?;
        }
    }
    Ok(())
}

/// Records of snapshots that were current already, but themselves are not.
fn verified(repo: &Repository, dry_run: bool, report: &mut RewrapReport) -> Result<()> {
    for o in repo.backend().list(VERIFIED).map_err(RepoError::from)? {
        let Some(snapshot) = crate::repo::verified::snapshot_of(&o.name) else {
            continue;
        };
        if !stale(repo, &o.name, true)? {
            continue;
        }
        report.verified_rewrapped += 1;
        if !dry_run {
            repo.rewrap_verified(&o.name, snapshot)?;
        }
    }
    Ok(())
}

fn packs_and_index(
    repo: &Repository,
    dry_run: bool,
    lock: &LockGuard,
    report: &mut RewrapReport,
) -> Result<()> {
    let packs = repo.pack_ids()?;
    report.packs = packs.len();
    let total: u64 = packs.iter().map(|(_, size)| size).sum();
    let progress = crate::ui::Progress::new(Some(total), "checking packs");
    let mut force: HashSet<PackId> = HashSet::new();
    for (id, size) in &packs {
        crate::interrupt::check().map_err(RepoError::from)?;
        match stale(repo, &pack::pack_name(id), false) {
            Ok(true) => {
                force.insert(*id);
                report.bytes_rewrapped += size;
            }
            Ok(false) => {}
            Err(RepoError::Backend(e)) if e.is_not_found() => {}
            Err(e) => return Err(e.into()),
        }
        progress.add(*size);
    }
    progress.finish();
    report.packs_rewrapped = force.len();
    for o in repo.backend().list("index/").map_err(RepoError::from)? {
        if stale(repo, &o.name, repo.config().index_signed)? {
            report.index_files_rewrapped += 1;
        }
    }
    if dry_run || (force.is_empty() && report.index_files_rewrapped == 0) {
        return Ok(());
    }
    let opts = PruneOptions {
        // Only what must be re-encrypted is repacked; data no snapshot uses goes anyway.
        max_unused: MaxUnused::Unlimited,
        force_repack: force,
        force_index: report.index_files_rewrapped > 0,
        ..PruneOptions::default()
    };
    report.prune = Some(prune::prune_locked(repo, &opts, lock)?);
    Ok(())
}
