//! Snapshot manifests: what one backup run stored. Signed and encrypted.

use serde::{Deserialize, Serialize};

use crate::chunker::ChunkSizes;
use crate::ids::{BlobId, SnapshotId};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SnapshotStats {
    pub files_new: u64,
    pub files_changed: u64,
    pub files_unchanged: u64,
    pub dirs: u64,
    /// Bytes of file content in the snapshot.
    pub total_bytes: u64,
    /// Bytes actually read from the sources (unchanged files are not read).
    pub bytes_read: u64,
    pub blobs_added: u64,
    /// Plaintext bytes of the blobs this run added.
    pub bytes_added: u64,
    /// Bytes this run added to the storage after compression and encryption.
    pub bytes_stored: u64,
    pub errors: u64,
    pub duration_secs: f64,
    /// New data blobs that had a delta base in the parent snapshot (format 3).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub delta_candidates: u64,
    /// Blobs of this run stored as deltas, and their stored bytes.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub deltas_added: u64,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub delta_bytes_stored: u64,
    /// Bytes of packs read back from the repository to get delta bases.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub bytes_read_back: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SourceKind {
    Files,
    Stdin,
    Command,
    /// Database dumps only (`crate::db`); a snapshot of files and dumps is `Files`.
    Database,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Snapshot {
    pub version: u32,
    pub time: chrono::DateTime<chrono::Utc>,
    pub host: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<String>,
    pub source: SourceKind,
    pub paths: Vec<String>,
    #[serde(default)]
    pub tags: Vec<String>,
    pub tree: BlobId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<SnapshotId>,
    pub chunk_sizes: ChunkSizes,
    pub stats: SnapshotStats,
    pub tool: String,
    /// The database dumps in the tree, with what a mirror checks a restore against.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub databases: Vec<crate::db::DumpRecord>,
    /// Set on a manifest `cairn repair snapshots` wrote in place of a damaged one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repaired: Option<Repaired>,
    /// Set by `cairn copy`: the snapshot this one is a copy of. A later copy from the
    /// same repository skips what it names, so copying again is resumable.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub copied_from: Option<CopiedFrom>,
}

/// What a repair left out of a snapshot, and which snapshot it was made from. The
/// original stays until `forget` removes it: data that comes back makes it whole again.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Repaired {
    /// The damaged snapshot this one replaces.
    pub original: SnapshotId,
    /// When the repair ran.
    pub time: chrono::DateTime<chrono::Utc>,
    /// Paths left out: files whose data was lost, and directories (ending in `/`)
    /// whose listing was lost, with everything below them.
    pub lost: Vec<String>,
}

/// Where a copied snapshot came from: the source repository's id (its config's `id`)
/// and the source manifest's id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CopiedFrom {
    pub repository: String,
    pub snapshot: SnapshotId,
}

impl Snapshot {
    /// Snapshots of the same thing: same host, profile and paths.
    pub fn same_group(&self, other: &Snapshot) -> bool {
        self.host == other.host && self.profile == other.profile && self.paths == other.paths
    }
}

/// A snapshot with the id it is stored under.
#[derive(Debug, Clone)]
pub struct StoredSnapshot {
    pub id: SnapshotId,
    pub snap: Snapshot,
}
