//! Padding of small metadata objects to size buckets before encryption, so their sizes
//! say less (how many paths and tags a manifest has, how many blobs an index lists, how
//! long a lock's host name is). docs/FORMAT.md ("What the storage provider learns from
//! sizes") says what is padded, what is not, and why.
//!
//! Padding must not break readers that know nothing of it: JSON gets trailing spaces,
//! which every JSON parser skips; a zstd stream gets a skippable frame, which `zstd -d`
//! and libzstd skip.

/// Plaintexts up to this size round up to a multiple of `STEP`; above it, to a Padmé
/// bucket, whose step is also 512 bytes at 8 KiB and grows to 1/16..1/32 of the length.
const SMALL: usize = 8192;
const STEP: usize = 512;

/// First magic of the skippable zstd frames (0x184D2A50..=0x184D2A5F, RFC 8878 3.1.2).
const ZSTD_SKIPPABLE_MAGIC: u32 = 0x184D_2A50;
const ZSTD_SKIPPABLE_HEADER: usize = 8;

/// The length `len` is padded to: 512-byte steps below 8 KiB, then Padmé (Nikitin et
/// al., "Reducing Metadata Leakage from Encrypted Files and Communication with PURBs",
/// 2019): at most 6.25% more, leaking O(log log len) bits of the length.
pub fn bucket(len: usize) -> usize {
    if len <= SMALL {
        return len.div_ceil(STEP).max(1) * STEP;
    }
    let e = len.ilog2();
    let s = e.ilog2() + 1;
    let mask = (1usize << (e - s)) - 1;
    (len + mask) & !mask
}

/// JSON followed by spaces up to its bucket.
pub fn json(mut body: Vec<u8>) -> Vec<u8> {
    body.resize(bucket(body.len()), b' ');
    body
}

/// A zstd stream followed by one skippable frame of zeros up to its bucket (or the
/// next one, when the gap is smaller than the frame's 8-byte header).
pub fn zstd(mut stream: Vec<u8>) -> Vec<u8> {
    let mut target = bucket(stream.len());
    if target - stream.len() < ZSTD_SKIPPABLE_HEADER {
        target = bucket(stream.len() + ZSTD_SKIPPABLE_HEADER);
    }
    let payload = target - stream.len() - ZSTD_SKIPPABLE_HEADER;
    stream.extend_from_slice(&ZSTD_SKIPPABLE_MAGIC.to_le_bytes());
    stream.extend_from_slice(&(payload as u32).to_le_bytes());
    stream.resize(target, 0);
    stream
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_steps_then_padme() {
        assert_eq!(bucket(0), 512);
        assert_eq!(bucket(1), 512);
        assert_eq!(bucket(512), 512);
        assert_eq!(bucket(513), 1024);
        assert_eq!(bucket(8192), 8192);
        assert_eq!(bucket(8193), 8192 + 512);
        // 2^20 + 1: exponent 20, 5 bits kept, so 32 KiB steps.
        assert_eq!(bucket((1 << 20) + 1), (1 << 20) + (1 << 15));
        for len in (1..3_000_000).step_by(997) {
            let b = bucket(len);
            assert!(b >= len && b - len <= len / 16 + STEP, "{len} -> {b}");
            assert_eq!(bucket(b), b, "a bucket is its own bucket");
        }
    }

    #[test]
    fn padded_json_parses() {
        let v = serde_json::json!({"host": "db1", "paths": ["/srv"]});
        let padded = json(serde_json::to_vec_pretty(&v).unwrap());
        assert_eq!(padded.len(), 512);
        let back: serde_json::Value = serde_json::from_slice(&padded).unwrap();
        assert_eq!(back, v);
    }

    #[test]
    fn padded_zstd_decodes() {
        for n in [0usize, 10, 495, 500, 504, 20_000, 300_000] {
            let plain: Vec<u8> = (0..n).map(|i| (i * 7 % 251) as u8).collect();
            let z = zstd::encode_all(&plain[..], 3).unwrap();
            let padded = zstd(z.clone());
            assert_eq!(padded.len(), bucket(padded.len()), "{n}");
            assert!(padded.len() >= z.len() + ZSTD_SKIPPABLE_HEADER);
            assert_eq!(zstd::decode_all(&padded[..]).unwrap(), plain, "{n}");
        }
    }
}
