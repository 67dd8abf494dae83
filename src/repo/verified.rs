//! "Verified restorable" records: proof that a snapshot's database dump was restored into
//! a real server and passed its checks (`cairn mirror`, `cairn restore-db`).
//!
//! One object per successful restore, `verified/<snapshot id>/<record id>`, signed and
//! encrypted like a manifest, with the record id the BLAKE3 of the stored bytes. The
//! snapshot id in the name lets `forget` delete a snapshot's records without reading
//! them; what a record says is only believed once its signature verifies and its body
//! names the same snapshot as its object name (a record cannot be moved to another
//! snapshot by renaming it).

use std::collections::HashSet;

use serde::{Deserialize, Serialize};

use super::{pad, RepoError, Repository, Result};
use crate::crypto;
use crate::ids::SnapshotId;

pub const PREFIX: &str = "verified/";

/// What was restored where, and when; docs/FORMAT.md shows one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Verified {
    pub version: u32,
    pub snapshot: SnapshotId,
    /// When the restored copy passed its checks.
    pub time: chrono::DateTime<chrono::Utc>,
    /// `mirror` or `restore-db`.
    pub command: String,
    /// The database in the snapshot (`DumpRecord.database`).
    pub database: String,
    /// Where it was restored, as a URL without a password.
    pub target: String,
    /// Tables whose row counts matched the manifest exactly.
    pub tables_checked: u64,
    pub host: String,
    pub tool: String,
}

fn object_name(snapshot: &SnapshotId, record: &[u8; 32]) -> String {
    format!("{PREFIX}{snapshot}/{}", hex::encode(record))
}

impl Repository {
    /// Stores a record, signed by the repository key.
    pub fn write_verified(&self, v: &Verified) -> Result<String> {
        self.require_signer()?;
        let body = pad::json(serde_json::to_vec_pretty(v).expect("record serialises"));
        let stored = crypto::encrypt(self.recipients(), Some(self.writer()), &body)?;
        let name = object_name(&v.snapshot, blake3::hash(&stored).as_bytes());
        self.backend().put(&name, &stored)?;
        Ok(name)
    }

    /// Every record that verifies, oldest first. One that does not (damaged, planted by
    /// a key that can only encrypt, or moved) is skipped with a warning: it can only
    /// hide a proof, never make one up.
    pub fn verified_records(&self) -> Result<Vec<Verified>> {
        let mut out = Vec::new();
        for o in self.backend().list(PREFIX)? {
            match self.read_verified(&o.name) {
                Ok(v) => out.push(v),
                Err(RepoError::Backend(e)) if e.is_not_found() => {} // forgotten meanwhile
                Err(e) => crate::ui::warn(&format!("{e}; ignoring it")),
            }
        }
        out.sort_by_key(|v| v.time);
        Ok(out)
    }

    fn read_verified(&self, name: &str) -> Result<Verified> {
        let (snap, record) = parse_name(name)
            .ok_or_else(|| RepoError::Invalid(format!("{name}: unexpected object name")))?;
        let stored = self.backend().get(name)?;
        if blake3::hash(&stored).as_bytes() != &record {
            return Err(RepoError::object(name, crypto::Error::Corrupt));
        }
        let plain = crypto::decrypt_signed_by(self.identity(), &stored, Some(&self.signers))
            .map_err(|e| RepoError::object(name, e))?;
        let v: Verified = serde_json::from_slice(&plain)
            .map_err(|e| RepoError::Invalid(format!("{name}: malformed record: {e}")))?;
        if v.snapshot != snap {
            return Err(RepoError::Invalid(format!(
                "{name}: record names snapshot {} (moved?)",
                v.snapshot.short()
            )));
        }
        Ok(v)
    }

    /// The object names of one snapshot's records.
    pub fn verified_names_of(&self, snapshot: &SnapshotId) -> Result<Vec<String>> {
        Ok(self
            .backend()
            .list(&format!("{PREFIX}{snapshot}/"))?
            .into_iter()
            .map(|o| o.name)
            .collect())
    }

    /// Writes a record again, encrypted to the current recipients and about `snapshot`
    /// (the id its manifest has after `key rewrap`), then deletes the old object. It is
    /// believed only if it verifies, as when it is read.
    pub fn rewrap_verified(&self, name: &str, snapshot: SnapshotId) -> Result<()> {
        let mut v = self.read_verified(name)?;
        v.snapshot = snapshot;
        if self.write_verified(&v)? != name {
            self.backend().delete(name)?;
        }
        Ok(())
    }

    /// Deletes the records of one snapshot (forget calls this for each one it removes).
    pub fn remove_verified_of(&self, snapshot: &SnapshotId) -> Result<()> {
        let names = self.verified_names_of(snapshot)?;
        if !names.is_empty() {
            self.backend().delete_many(&names)?;
        }
        Ok(())
    }

    /// Deletes the records of snapshots not in `live` (forgotten ones); returns how many.
    /// Only names are read: a record of a snapshot that no longer exists proves nothing.
    pub fn remove_verified_except(&self, live: &HashSet<SnapshotId>) -> Result<usize> {
        let gone: Vec<String> = self
            .backend()
            .list(PREFIX)?
            .into_iter()
            .filter(|o| parse_name(&o.name).is_some_and(|(s, _)| !live.contains(&s)))
            .map(|o| o.name)
            .collect();
        if !gone.is_empty() {
            self.backend().delete_many(&gone)?;
        }
        Ok(gone.len())
    }
}

/// The snapshot a record's object name is about, if it is a record's name.
pub fn snapshot_of(name: &str) -> Option<SnapshotId> {
    parse_name(name).map(|(s, _)| s)
}

fn parse_name(name: &str) -> Option<(SnapshotId, [u8; 32])> {
    let (snap, record) = name.strip_prefix(PREFIX)?.split_once('/')?;
    let snap = snap.parse().ok()?;
    let mut id = [0u8; 32];
    hex::decode_to_slice(record, &mut id).ok()?;
    Some((snap, id))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_strangers_are_refused() {
        let s = SnapshotId([7; 32]);
        let name = object_name(&s, &[9; 32]);
        assert_eq!(parse_name(&name), Some((s, [9; 32])));
        assert_eq!(parse_name("verified/xyz/00"), None);
        assert_eq!(parse_name(&format!("snapshots/{s}")), None);
        assert_eq!(parse_name(&format!("verified/{s}")), None);
    }
}
