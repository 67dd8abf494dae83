//! The repository config: written once at init, signed and encrypted.

use serde::{Deserialize, Serialize};

use crate::chunker::{ChunkSizes, Chunker, GearTable};

/// Version of new repositories. 2 adds frames of small blobs (`zstd-frame` in packs,
/// docs/FORMAT.md "Frames"), 3 delta blobs (`zstd-delta`, "Delta blobs"); older
/// repositories are read and written as before, without what their readers lack.
pub const FORMAT_VERSION: u32 = 3;
/// Oldest version this cairn reads and writes.
pub const OLDEST_VERSION: u32 = 1;
/// Version of a config rewritten since its recipient list changed (docs/FORMAT.md,
/// "Recipient changes"): cairn before it would read such a config and go on encrypting
/// to the list it names, which may still hold a removed key, so it must refuse instead.
/// Readers of it read frames and deltas too, so a rewritten repository writes them.
pub const GENERATIONS_VERSION: u32 = 4;
/// Newest version this cairn reads.
pub const NEWEST_VERSION: u32 = GENERATIONS_VERSION;
pub const DEFAULT_PACK_SIZE: u32 = 8 * 1024 * 1024;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Config {
    pub version: u32,
    /// Random; names the local cache directory.
    pub id: String,
    pub created: chrono::DateTime<chrono::Utc>,
    /// Secret key of the keyed BLAKE3 blob ids (hex).
    pub blob_id_key: String,
    /// How blobs are cut; configs made before `gear-prf-v1` have no such field.
    #[serde(default, skip_serializing_if = "ChunkerKind::is_xor_seed")]
    pub chunker: ChunkerKind,
    /// `gear-prf-v1`: 32 random bytes (hex) the gear table is derived from. Secret.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chunker_key: Option<String>,
    /// `gear-xor-seed`: secret seed XORed into the FastCDC gear table.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chunker_seed: Option<u64>,
    pub chunk_sizes_files: ChunkSizes,
    pub chunk_sizes_stream: ChunkSizes,
    /// Streams and dump files are cut at row ends where possible (`Chunker::with_rows`);
    /// absent (false) in repositories made before, which keep cutting as they did.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub stream_rows: bool,
    pub compression_level: i32,
    pub pack_size: u32,
    /// The key that signs config and snapshots.
    pub signer: String,
    /// Every certificate objects are encrypted to (the signer's included).
    pub recipients: Vec<String>,
    /// Index objects are signed by the signer and unsigned ones are refused. Absent
    /// (false) in repositories made before cairn signed them: those still accept
    /// unsigned index objects (docs/FORMAT.md, "Index objects").
    #[serde(default)]
    pub index_signed: bool,
    /// How many times the recipient list was changed: 0 for the config `init` wrote,
    /// one more for each rewrite. Readers pin the highest they saw (`trust`).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub generation: u64,
    /// Keys that signed before `signer` took over by a hand-over (`handovers/`): what
    /// they signed (snapshots, index objects, records) still verifies until `key rewrap`
    /// has signed it again and emptied this list.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub former_signers: Vec<String>,
    /// Write-only backup hosts (`key add-writer`): keys that sign their own host's
    /// snapshots and index objects and read the config and index, never data
    /// (docs/FORMAT.md, "Write-only hosts").
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub writers: Vec<Writer>,
    /// Writers removed (`key remove-writer`): what they signed still verifies, for their
    /// host only; nothing is encrypted to them any more.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub former_writers: Vec<Writer>,
}

/// A write-only host's key and the only host name its snapshots may carry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Writer {
    pub fingerprint: String,
    pub host: String,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// The chunker is fixed when a repository is made: a backup cut differently would not
/// deduplicate against the blobs already stored.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum ChunkerKind {
    /// fastcdc's public gear table XOR `chunker_seed` (repositories made before
    /// `gear-prf-v1`).
    #[default]
    #[serde(rename = "gear-xor-seed")]
    GearXorSeed,
    /// The whole gear table derived from `chunker_key` (docs/FORMAT.md, "Chunking").
    #[serde(rename = "gear-prf-v1")]
    GearPrfV1,
}

impl ChunkerKind {
    fn is_xor_seed(&self) -> bool {
        *self == ChunkerKind::GearXorSeed
    }
}

/// What decides blob ids and cut points: the blob-id key, the chunker and its key, the
/// chunk sizes. Two repositories that share them give the same data the same blob ids,
/// so `cairn copy` between them moves only blobs the destination lacks, without
/// re-hashing (`cairn init --copy-params-from`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChunkParams {
    pub blob_id_key: String,
    pub chunker: ChunkerKind,
    pub chunker_key: Option<String>,
    pub chunker_seed: Option<u64>,
    pub chunk_sizes_files: ChunkSizes,
    pub chunk_sizes_stream: ChunkSizes,
    pub stream_rows: bool,
}

impl ChunkParams {
    /// Fresh secrets with today's chunker and sizes, for a new repository.
    pub fn fresh() -> ChunkParams {
        ChunkParams {
            blob_id_key: hex::encode(crate::ids::random_bytes()),
            chunker: ChunkerKind::GearPrfV1,
            chunker_key: Some(hex::encode(crate::ids::random_bytes())),
            chunker_seed: None,
            chunk_sizes_files: ChunkSizes::FILES,
            chunk_sizes_stream: ChunkSizes::STREAM,
            stream_rows: true,
        }
    }
}

fn key32(hex_key: &str) -> Option<[u8; 32]> {
    let mut k = [0u8; 32];
    hex::decode_to_slice(hex_key, &mut k).ok().map(|()| k)
}

impl Config {
    pub fn chunk_params(&self) -> ChunkParams {
        ChunkParams {
            blob_id_key: self.blob_id_key.clone(),
            chunker: self.chunker,
            chunker_key: self.chunker_key.clone(),
            chunker_seed: self.chunker_seed,
            chunk_sizes_files: self.chunk_sizes_files,
            chunk_sizes_stream: self.chunk_sizes_stream,
            stream_rows: self.stream_rows,
        }
    }

    pub fn blob_key(&self) -> [u8; 32] {
        key32(&self.blob_id_key).expect("blob id key checked at load")
    }

    /// The repository's chunker for one of its two size sets.
    pub fn chunker(&self, sizes: ChunkSizes) -> Chunker {
        match self.chunker {
            ChunkerKind::GearXorSeed => Chunker::new(
                sizes,
                GearTable::XorSeed(self.chunker_seed.expect("chunker seed checked at load")),
            ),
            ChunkerKind::GearPrfV1 => {
                let key = self.chunker_key.as_deref().and_then(key32);
                Chunker::new(
                    sizes,
                    GearTable::Keyed(&key.expect("chunker key checked at load")),
                )
            }
        }
    }

    /// The chunker of streams and dump files.
    pub fn stream_chunker(&self) -> Chunker {
        self.chunker(self.chunk_sizes_stream)
            .with_rows(self.stream_rows)
    }

    /// Whether small data blobs are compressed in shared frames: only where every
    /// reader of the repository knows them, which its version promises.
    pub fn frames(&self) -> bool {
        self.version >= 2
    }

    /// Whether data blobs may be stored as deltas against other blobs: version 3 on.
    pub fn deltas(&self) -> bool {
        self.version >= 3
    }

    pub fn validate(&self) -> Result<(), String> {
        if !(OLDEST_VERSION..=NEWEST_VERSION).contains(&self.version) {
            return Err(format!(
                "repository format version {} is not supported by this cairn (reads versions {OLDEST_VERSION} to {NEWEST_VERSION})",
                self.version
            ));
        }
        // A rewritten config must keep out the readers that would not pin its generation.
        if (self.generation > 0) != (self.version >= GENERATIONS_VERSION) {
            return Err(format!(
                "config: generation {} does not go with format version {}",
                self.generation, self.version
            ));
        }
        if !self
            .recipients
            .iter()
            .any(|r| r.eq_ignore_ascii_case(&self.signer))
        {
            return Err("config: the signer is not among the recipients".into());
        }
        // The id names a local directory.
        if self.id.len() != 32 || !self.id.chars().all(|c| c.is_ascii_hexdigit()) {
            return Err("config holds a malformed repository id".into());
        }
        let writers = self.writers.iter().chain(&self.former_writers);
        for f in std::iter::once(&self.signer)
            .chain(&self.recipients)
            .chain(&self.former_signers)
            .chain(writers.clone().map(|w| &w.fingerprint))
        {
            crate::crypto::keys::validate_fingerprint(f).map_err(|e| format!("config: {e}"))?;
        }
        for w in writers {
            let f = &w.fingerprint;
            if self.recipients.iter().any(|r| r.eq_ignore_ascii_case(f)) {
                return Err(format!("config: writer {f} is also a recipient"));
            }
            if w.host.is_empty() || w.host.len() > 255 || w.host.chars().any(char::is_control) {
                return Err(format!("config: writer {f} has a malformed host name"));
            }
        }
        key32(&self.blob_id_key).ok_or("config holds a malformed blob id key")?;
        let chunker_ok = match self.chunker {
            ChunkerKind::GearXorSeed => self.chunker_seed.is_some(),
            ChunkerKind::GearPrfV1 => self.chunker_key.as_deref().and_then(key32).is_some(),
        };
        if !chunker_ok {
            return Err("config holds no or a malformed chunker key".into());
        }
        for s in [self.chunk_sizes_files, self.chunk_sizes_stream] {
            if !(s.min < s.avg && s.avg < s.max && s.min >= 64 && s.max <= 64 << 20) {
                return Err(format!("config holds invalid chunk sizes {s:?}"));
            }
        }
        if self.pack_size < 1 << 16 {
            return Err("config holds an invalid pack size".into());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A config as `init` wrote it before `gear-prf-v1`: no `chunker` field.
    const OLD: &str = r#"{"version": 1, "id": "dff025c095152adce54656967c6e06fe",
        "created": "2026-11-22T04:09:29Z", "blob_id_key": "f096b9f8914501e41016561dd49a0b56710fe537dfef54a556f4a84b7ef3d633",
        "chunker_seed": 816864301223830664,
        "chunk_sizes_files": {"min": 262144, "avg": 1048576, "max": 4194304},
        "chunk_sizes_stream": {"min": 4096, "avg": 16384, "max": 65536},
        "compression_level": 3, "pack_size": 8388608, "signer": "3407DC353B334AEF4FC930D1E56A668BDAEF30BC",
        "recipients": ["3407DC353B334AEF4FC930D1E56A668BDAEF30BC"]}"#;

    fn cuts(c: &Chunker) -> Vec<usize> {
        let data: Vec<u8> = (0u64..1_000_000)
            .map(|i| (i.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 29) as u8)
            .collect();
        let mut v = Vec::new();
        c.for_each_chunk(&data[..], |ch| {
            v.push(ch.len());
            Ok(())
        })
        .unwrap();
        v
    }

    #[test]
    fn old_config_keeps_its_seeded_chunker() {
        let c: Config = serde_json::from_str(OLD).unwrap();
        c.validate().unwrap();
        assert_eq!(c.chunker, ChunkerKind::GearXorSeed);
        let sizes = c.chunk_sizes_stream;
        let seeded = Chunker::new(sizes, GearTable::XorSeed(816_864_301_223_830_664));
        assert!(cuts(&seeded).len() > 10);
        assert_eq!(cuts(&c.chunker(sizes)), cuts(&seeded));
        // Written back unchanged: no `chunker` name appears in an old config.
        let again = serde_json::to_value(&c).unwrap();
        assert!(again.get("chunker").is_none() && again.get("chunker_key").is_none());
    }

    #[test]
    fn keyed_config_needs_its_key() {
        let key = "11".repeat(32);
        let text = OLD.replace(
            r#""chunker_seed": 816864301223830664"#,
            &format!(r#""chunker": "gear-prf-v1", "chunker_key": "{key}""#),
        );
        let c: Config = serde_json::from_str(&text).unwrap();
        c.validate().unwrap();
        let sizes = c.chunk_sizes_stream;
        let keyed = Chunker::new(sizes, GearTable::Keyed(&[0x11; 32]));
        assert_eq!(cuts(&c.chunker(sizes)), cuts(&keyed));
        let no_key = Config {
            chunker_key: Some("11".into()),
            ..c
        };
        assert!(no_key.validate().unwrap_err().contains("chunker key"));
        let unknown = text.replace("gear-prf-v1", "gear-prf-v9");
        assert!(serde_json::from_str::<Config>(&unknown).is_err());
    }
}
