//! A fuzzer on the stable toolchain for the parsers that read what storage hands back:
//! a pack's plaintext (header, blob bounds, decompression), the packet-level pack
//! decryptor, sequoia's decryption of signed messages, index, tree, snapshot and config
//! JSON. Storage is untrusted, so none of
//! them may panic, whatever the bytes.
//!
//! Each target starts from its corpus in fixtures/fuzz/<target>/ and mutates it with a
//! seeded RNG (bit flips, interesting integers, cuts, splices, JSON tokens); inputs a
//! parser accepts join the pool, so mutations reach past the first check. It runs for
//! `CAIRN_FUZZ_SECS` seconds per target (2 by default, the test suite's short run);
//! docs/FUZZING.md has the long runs. A panic fails the test and saves the input next to
//! the build, to be added to the corpus once fixed. `CAIRN_FUZZ_SEED` repeats a run.
//! `CAIRN_FUZZ_SAVE_SEEDS=1` rewrites the seed files from the current format.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use cairn::crypto::{self, keys, Identity, RecipientSet};
use cairn::ids::{BlobId, PackId};
use cairn::repo::config::Config;
use cairn::repo::index::{IndexFile, IndexPack, MAX_INDEX_JSON};
use cairn::repo::pack::{self, BlobType, Compression, Pack, PackWriter};
use cairn::repo::snapshot::Snapshot;
use cairn::repo::tree::{Node, NodeKind, Tree};
use rand::{rngs::StdRng, Rng, SeedableRng};

const BLOB_KEY: [u8; 32] = [7; 32];

fn corpus_dir(target: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/fuzz")
        .join(target)
}

/// The fixture key the sealed-pack seeds are encrypted to.
fn identity() -> Identity {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/keys/gpg-ed25519-nopass.sec.asc");
    keys::unlock(keys::read_cert(&path).unwrap(), None, "fixture").unwrap()
}

fn load_corpus(target: &str) -> Vec<Vec<u8>> {
    let dir = corpus_dir(target);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    let corpus: Vec<Vec<u8>> = files.iter().map(|f| std::fs::read(f).unwrap()).collect();
    assert!(!corpus.is_empty(), "{}: empty corpus", dir.display());
    corpus
}

/// Runs `parse` on mutants of the corpus for the configured time. `parse` says whether
/// it accepted the input; accepted mutants are mutated further.
fn fuzz(target: &str, mut parse: impl FnMut(&[u8]) -> bool) {
    if std::env::var_os("CAIRN_FUZZ_SAVE_SEEDS").is_some() {
        save_seeds(target);
    }
    let secs: f64 = std::env::var("CAIRN_FUZZ_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(2.0);
    let seed: u64 = std::env::var("CAIRN_FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(rand::random);
    let corpus = load_corpus(target);
    let mut m = Mutator {
        rng: StdRng::seed_from_u64(seed),
        pool: corpus.clone(),
        seeds: corpus.len(),
    };
    let end = Instant::now() + Duration::from_secs_f64(secs);
    let (mut runs, mut accepted) = (0u64, 0u64);
    // A corpus the parser refuses entirely (a format change) would fuzz nothing deep.
    let good = corpus
        .iter()
        .filter(|input| run_one(target, seed, input, &mut parse))
        .count();
    assert!(
        good > 0,
        "fuzz {target}: no seed parses; rewrite them with CAIRN_FUZZ_SAVE_SEEDS=1"
    );
    while Instant::now() < end {
        for _ in 0..64 {
            let input = m.mutant();
            runs += 1;
            if run_one(target, seed, &input, &mut parse) {
                accepted += 1;
                m.keep(input);
            }
        }
    }
    eprintln!("fuzz {target}: {runs} runs, {accepted} accepted, seed {seed}, {secs} s, no panic");
}

fn run_one(target: &str, seed: u64, input: &[u8], parse: &mut impl FnMut(&[u8]) -> bool) -> bool {
    match catch_unwind(AssertUnwindSafe(|| parse(input))) {
        Ok(ok) => ok,
        Err(_) => {
            let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!(
                "fuzz-{target}-crash-{}.bin",
                blake3::hash(input).to_hex()
            ));
            std::fs::write(&out, input).unwrap();
            panic!(
                "fuzz {target} (seed {seed}): panic on the input saved as {}",
                out.display()
            );
        }
    }
}

struct Mutator {
    rng: StdRng,
    pool: Vec<Vec<u8>>,
    /// The first `seeds` entries of the pool are the corpus and stay.
    seeds: usize,
}

/// Values at the edges of what fields hold: lengths, counts, offsets.
const INTERESTING: [u64; 10] = [
    0,
    1,
    0x7f,
    0xff,
    0xffff,
    0x7fff_ffff,
    0xffff_ffff,
    1 << 32,
    i64::MAX as u64,
    u64::MAX,
];

/// JSON fragments that stress a deserializer: huge and odd numbers, deep nesting,
/// escapes, fields with hex payloads.
const TOKENS: [&str; 14] = [
    "1e999",
    "-1",
    "18446744073709551616",
    "null",
    "\"\\u0000\"",
    "\"\\ud800\"",
    "[[[[[[[[[[[[[[[[",
    "{\"a\":",
    "\"name_bytes\":\"zz\",",
    "\"target_bytes\":\"ff\",",
    "\"type\":\"dir\",",
    "\"content\":[],",
    "\"subtree\":\"00\",",
    "\"ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff\"",
];

impl Mutator {
    fn mutant(&mut self) -> Vec<u8> {
        let mut d = self.pool[self.rng.gen_range(0..self.pool.len())].clone();
        for _ in 0..self.rng.gen_range(1..=4) {
            self.mutate(&mut d);
        }
        d
    }

    /// Keeps an accepted mutant, replacing an older one once the pool is full.
    fn keep(&mut self, input: Vec<u8>) {
        const POOL: usize = 256;
        if self.pool.len() < self.seeds + POOL {
            self.pool.push(input);
        } else {
            let i = self.rng.gen_range(self.seeds..self.pool.len());
            self.pool[i] = input;
        }
    }

    fn pos(&mut self, d: &[u8]) -> usize {
        self.rng.gen_range(0..=d.len())
    }

    fn mutate(&mut self, d: &mut Vec<u8>) {
        match self.rng.gen_range(0..8) {
            0 if !d.is_empty() => {
                let i = self.rng.gen_range(0..d.len());
                d[i] ^= 1 << self.rng.gen_range(0..8);
            }
            1 => {
                let v = INTERESTING[self.rng.gen_range(0..INTERESTING.len())];
                let width = [1, 2, 4, 8][self.rng.gen_range(0..4)];
                let at = self.pos(d).min(d.len().saturating_sub(width));
                let bytes = v.to_le_bytes();
                let n = width.min(d.len() - at);
                d[at..at + n].copy_from_slice(&bytes[..n]);
            }
            2 => {
                let at = self.pos(d);
                d.truncate(at);
            }
            3 => {
                let a = self.pos(d);
                let b = self.rng.gen_range(a..=d.len().min(a + 64));
                d.drain(a..b);
            }
            4 => {
                let at = self.pos(d);
                let n = self.rng.gen_range(1..16);
                let bytes: Vec<u8> = (0..n).map(|_| self.rng.gen()).collect();
                d.splice(at..at, bytes);
            }
            5 => {
                let other = self.pool[self.rng.gen_range(0..self.pool.len())].clone();
                let a = self.rng.gen_range(0..=other.len());
                let b = self.rng.gen_range(a..=other.len().min(a + 256));
                let at = self.pos(d);
                d.splice(at..at, other[a..b].iter().copied());
            }
            6 => {
                let t = TOKENS[self.rng.gen_range(0..TOKENS.len())];
                let at = self.pos(d);
                d.splice(at..at, t.bytes());
            }
            _ => {
                let a = self.pos(d);
                let b = self.rng.gen_range(a..=d.len().min(a + 32));
                let copy = d[a..b].to_vec();
                let at = self.pos(d);
                d.splice(at..at, copy);
            }
        }
    }
}

#[test]
fn fuzz_pack_plaintext() {
    fuzz("pack", |plain| {
        let Ok(pack) = Pack::from_plaintext(PackId([0; 32]), plain.to_vec()) else {
            return false;
        };
        for e in &pack.entries {
            let _ = pack.stored(e);
            let _ = pack.blob(e, &BLOB_KEY);
        }
        true
    });
}

#[test]
fn fuzz_sealed_pack() {
    let me = identity();
    fuzz("sealed", |msg| {
        let opened = crypto::open_sealed(&me, msg.to_vec());
        if let Ok(plain) = &opened {
            let _ = Pack::from_plaintext(PackId([0; 32]), plain.clone());
        }
        opened.is_ok()
    });
}

#[test]
fn fuzz_signed_message() {
    let me = identity();
    fuzz("message", |msg| {
        crypto::decrypt(&me, msg, Some(me.cert())).is_ok()
    });
}

/// What `read_index` does with a decrypted index object; a plain JSON input skips the
/// decompression, so mutations reach the JSON parser too.
fn parse_index(bytes: &[u8]) -> bool {
    let json = if bytes.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        match pack::decompress_bounded(bytes, MAX_INDEX_JSON) {
            Some(j) => j,
            None => return false,
        }
    } else {
        bytes.to_vec()
    };
    serde_json::from_slice::<IndexFile>(&json).is_ok()
}

#[test]
fn fuzz_index() {
    fuzz("index", parse_index);
}

#[test]
fn fuzz_tree() {
    fuzz("tree", |json| {
        let Ok(tree) = serde_json::from_slice::<Tree>(json) else {
            return false;
        };
        for n in &tree.nodes {
            let _ = (n.name_is_safe(), n.name_raw(), n.target_raw());
            let _ = tree.find(&n.name_raw());
        }
        true
    });
}

#[test]
fn fuzz_snapshot() {
    fuzz("snapshot", |json| {
        let Ok(s) = serde_json::from_slice::<Snapshot>(json) else {
            return false;
        };
        s.same_group(&s)
    });
}

#[test]
fn fuzz_config() {
    fuzz("config", |json| {
        serde_json::from_slice::<Config>(json).is_ok_and(|c| {
            c.validate().is_ok_and(|_| {
                let _ = c.blob_key();
                true
            })
        })
    });
}

#[test]
fn bounded_index_decompression_refuses_a_bomb() {
    // 300 MiB of zeros compress to a few KiB; the reader stops at its bound.
    let mut z = zstd::Encoder::new(Vec::new(), 3).unwrap();
    let zeros = vec![b' '; 1 << 20];
    for _ in 0..300 {
        std::io::Write::write_all(&mut z, &zeros).unwrap();
    }
    let bomb = z.finish().unwrap();
    assert!(bomb.len() < 64 << 10);
    assert!(pack::decompress_bounded(&bomb, MAX_INDEX_JSON).is_none());
    assert!(!parse_index(&bomb));
    let small = zstd::encode_all(&b"{\"packs\":[]}"[..], 3).unwrap();
    assert!(parse_index(&small));
}

/// Seeds in the current format, written with `CAIRN_FUZZ_SAVE_SEEDS=1`.
fn save_seeds(target: &str) {
    let dir = corpus_dir(target);
    std::fs::create_dir_all(&dir).unwrap();
    let (sealed, plain, entries) = sample_pack();
    let index = IndexFile {
        packs: vec![IndexPack {
            id: PackId([9; 32]),
            size: sealed.len() as u64,
            blobs: entries,
            writer: None,
        }],
    };
    let index_json = serde_json::to_vec(&index).unwrap();
    let seeds: Vec<(&str, Vec<u8>)> = match target {
        "pack" => vec![("seed-pack.bin", plain)],
        "sealed" => vec![("seed-sealed.bin", sealed)],
        "index" => vec![
            (
                "seed-index.zst",
                zstd::encode_all(&index_json[..], 3).unwrap(),
            ),
            ("seed-index.json", index_json),
        ],
        "tree" => vec![("seed-tree.json", sample_tree().to_bytes())],
        "snapshot" => vec![("seed-snapshot.json", sample_snapshot())],
        "config" => vec![("seed-config.json", sample_config())],
        "message" => {
            let me = identity();
            let to = RecipientSet::new(&[me.cert().clone()]).unwrap();
            let msg = crypto::encrypt(&to, Some(&me), &sample_snapshot()).unwrap();
            vec![("seed-signed.bin", msg)]
        }
        _ => unreachable!("unknown fuzz target {target}"),
    };
    for (name, bytes) in seeds {
        std::fs::write(dir.join(name), bytes).unwrap();
    }
}

/// A small pack to the fixture key: a raw blob, a compressed one, a tree blob and two
/// small blobs sharing a zstd frame.
fn sample_pack() -> (Vec<u8>, Vec<u8>, Vec<cairn::repo::pack::PackEntry>) {
    let me = identity();
    let to = RecipientSet::new(&[me.cert().clone()]).unwrap();
    let mut w = PackWriter::new(&to, Vec::new()).unwrap();
    let raw = b"hello, pack".to_vec();
    let text = "line of text\n".repeat(40).into_bytes();
    let tree = sample_tree().to_bytes();
    for (kind, data) in [
        (BlobType::Data, &raw),
        (BlobType::Data, &text),
        (BlobType::Tree, &tree),
    ] {
        let id = cairn::chunker::blob_id(&BLOB_KEY, data);
        match pack::compress(data, 3) {
            Some(z) => w.add(id, kind, &z, data.len(), Compression::Zstd).unwrap(),
            None => w
                .add(id, kind, data, data.len(), Compression::None)
                .unwrap(),
        }
    }
    for member in ["first member of a frame\n", "second member\n"] {
        let member = member.repeat(8).into_bytes();
        let id = cairn::chunker::blob_id(&BLOB_KEY, &member);
        w.add_to_frame(id, BlobType::Data, &member);
    }
    let (_, sealed, entries) = w.finish().unwrap();
    let plain = crypto::open_sealed(&me, sealed.clone()).unwrap();
    (sealed, plain, entries)
}

fn sample_tree() -> Tree {
    let node = |name: &[u8], kind: NodeKind| {
        let mut n = Node::empty(name, kind, 0o4755);
        (n.uid, n.gid) = (1000, 1000);
        n.mtime_ns = 1_700_000_000_123_456_789;
        n.size = 11;
        n.content = vec![BlobId([1; 32])];
        n
    };
    let mut dir = node(b"d", NodeKind::Dir);
    dir.content.clear();
    dir.subtree = Some(BlobId([2; 32]));
    let mut link = node(b"l\xff", NodeKind::Symlink);
    link.set_target(b"../t\xfe");
    let mut linked = node(b"b.txt", NodeKind::File);
    linked.hardlink = cairn::repo::tree::HardLink::of(2049, 77, 2);
    Tree {
        nodes: vec![node(b"a.txt", NodeKind::File), linked, dir, link],
    }
}

fn sample_snapshot() -> Vec<u8> {
    serde_json::to_vec_pretty(&serde_json::json!({
        "version": 1, "time": "2026-12-03T10:00:00Z", "host": "db1", "profile": "app",
        "source": "files", "paths": ["/srv/app"], "tags": ["nightly"],
        "tree": hex::encode([3u8; 32]), "parent": hex::encode([4u8; 32]),
        "chunk_sizes": {"min": 262144, "avg": 1048576, "max": 4194304},
        "stats": {"files_new": 1, "files_changed": 0, "files_unchanged": 2, "dirs": 1,
            "total_bytes": 11, "bytes_read": 11, "blobs_added": 1, "bytes_added": 11,
            "bytes_stored": 40, "errors": 0, "duration_secs": 0.5},
        "tool": "cairn 0.1.0"
    }))
    .unwrap()
}

fn sample_config() -> Vec<u8> {
    let fpr = "3407DC353B334AEF4FC930D1E56A668BDAEF30BC";
    serde_json::to_vec_pretty(&serde_json::json!({
        "version": 1, "id": hex::encode([5u8; 32]), "created": "2026-12-03T10:00:00Z",
        "chunker_seed": 42, "blob_id_key": hex::encode([6u8; 32]),
        "chunk_sizes_files": {"min": 262144, "avg": 1048576, "max": 4194304},
        "chunk_sizes_stream": {"min": 4096, "avg": 16384, "max": 65536},
        "pack_size": 16777216, "compression_level": 3,
        "signer": fpr, "recipients": [fpr]
    }))
    .unwrap()
}
