//! The repository config: written once at init, signed and encrypted.

use serde::{Deserialize, Serialize};

use crate::chunker::ChunkSizes;

pub const FORMAT_VERSION: u32 = 1;
pub const DEFAULT_PACK_SIZE: u32 = 8 * 1024 * 1024;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Config {
    pub version: u32,
    /// Random; names the local cache directory.
    pub id: String,
    pub created: chrono::DateTime<chrono::Utc>,
    /// Secret key of the keyed BLAKE3 blob ids (hex).
    pub blob_id_key: String,
    /// Secret seed XORed into the FastCDC gear table.
    pub chunker_seed: u64,
    pub chunk_sizes_files: ChunkSizes,
    pub chunk_sizes_stream: ChunkSizes,
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
}

impl Config {
    pub fn blob_key(&self) -> [u8; 32] {
        let mut k = [0u8; 32];
        // Validated when the config is loaded.
        hex::decode_to_slice(&self.blob_id_key, &mut k).expect("blob id key checked at load");
        k
    }

    pub fn validate(&self) -> Result<(), String> {
        if self.version != FORMAT_VERSION {
            return Err(format!(
                "repository format version {} is not supported by this cairn (reads version {FORMAT_VERSION})",
                self.version
            ));
        }
        // The id names a local directory.
        if self.id.len() != 32 || !self.id.chars().all(|c| c.is_ascii_hexdigit()) {
            return Err("config holds a malformed repository id".into());
        }
        for f in std::iter::once(&self.signer).chain(&self.recipients) {
            super::trust::normalise_fingerprint(f).map_err(|e| format!("config: {e}"))?;
        }
        let mut k = [0u8; 32];
        hex::decode_to_slice(&self.blob_id_key, &mut k)
            .map_err(|_| "config holds a malformed blob id key".to_string())?;
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
