//! Hot paths, measured in isolation: chunking + blob ids, compression, pack encryption
//! and decryption, the whole stream pipeline into a local repository, and exclude
//! patterns on the paths of a tree walk.
//!
//! cargo bench --bench hot_paths

use std::hint::black_box;

use cairn::chunker::{blob_id, ChunkSizes, Chunker, GearTable};
use cairn::crypto::{self, keys, KeyKind, RecipientSet};
use cairn::pattern::{PatternSet, PatternSpec};
use cairn::repo::pack::{compress, BlobType, PackWriter};
use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};

/// Text-like data resembling a database dump: compressible, but not trivially.
fn dumpish(n: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(n + 128);
    let mut i = 0u64;
    while out.len() < n {
        out.extend_from_slice(
            format!(
                "{i}\t{}\t{}\tcustomer-{:08x}\tstreet {}\n",
                i % 97,
                (i * 7919) % 100_000,
                i.wrapping_mul(2654435761) & 0xffff_ffff,
                i % 991
            )
            .as_bytes(),
        );
        i += 1;
    }
    out.truncate(n);
    out
}

fn noise(n: usize) -> Vec<u8> {
    let mut x = 0x9E37_79B9_7F4A_7C15u64;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

fn identity() -> crypto::Identity {
    let armored = keys::generate("bench", KeyKind::Cv25519, None, None).unwrap();
    let tsk = sequoia_openpgp::Cert::from_bytes(&armored).unwrap();
    keys::unlock(tsk, None, "bench").unwrap()
}

use sequoia_openpgp::parse::Parse;

fn chunking(c: &mut Criterion) {
    let data = noise(64 << 20);
    let mut g = c.benchmark_group("chunk+hash");
    g.throughput(Throughput::Bytes(data.len() as u64));
    g.sample_size(10);
    // The keyed table (new repositories) against the seeded one (older repositories):
    // the loop is the same, only the table's values differ.
    for (name, sizes, table) in [
        ("files-1MiB", ChunkSizes::FILES, GearTable::Keyed(&[42; 32])),
        (
            "stream-8KiB",
            ChunkSizes::STREAM,
            GearTable::Keyed(&[42; 32]),
        ),
        (
            "files-1MiB-xor-seed",
            ChunkSizes::FILES,
            GearTable::XorSeed(42),
        ),
        (
            "stream-8KiB-xor-seed",
            ChunkSizes::STREAM,
            GearTable::XorSeed(42),
        ),
    ] {
        let chunker = Chunker::new(sizes, table);
        g.bench_function(name, |b| b.iter(|| chunk_and_hash(&chunker, &data)));
    }
    g.finish();
}

/// Chunks `data` and hashes every chunk, as a backup does; the chunk count.
fn chunk_and_hash(chunker: &Chunker, data: &[u8]) -> usize {
    let mut n = 0;
    chunker
        .for_each_chunk(data, |ch| {
            black_box(blob_id(&[7; 32], ch));
            n += 1;
            Ok(())
        })
        .unwrap();
    n
}

/// Dumps are cut at row ends (format 2): every line hashed whole, against FastCDC's
/// byte-wise cut on the same dump-like text.
fn row_chunking(c: &mut Criterion) {
    let data = dumpish(64 << 20);
    let mut g = c.benchmark_group("chunk+hash-dump");
    g.throughput(Throughput::Bytes(data.len() as u64));
    g.sample_size(10);
    for (name, rows) in [("stream-8KiB-rows", true), ("stream-8KiB-bytes", false)] {
        let chunker = Chunker::new(ChunkSizes::STREAM, GearTable::Keyed(&[42; 32])).with_rows(rows);
        g.bench_function(name, |b| b.iter(|| chunk_and_hash(&chunker, &data)));
    }
    g.finish();
}

fn compression(c: &mut Criterion) {
    let text = dumpish(1 << 20);
    let mut g = c.benchmark_group("zstd-3");
    g.throughput(Throughput::Bytes(text.len() as u64));
    g.bench_function("compress-1MiB-dump", |b| {
        b.iter(|| compress(black_box(&text), 3))
    });
    let small = dumpish(16 << 10);
    g.throughput(Throughput::Bytes(small.len() as u64));
    g.bench_function("compress-16KiB-dump", |b| {
        b.iter(|| compress(black_box(&small), 3))
    });
    // 256 KiB of 8 KiB dump chunks: one by one (format 1) or as one frame (format 2).
    let chunks: Vec<Vec<u8>> = dumpish(256 << 10)
        .chunks(8 << 10)
        .map(<[u8]>::to_vec)
        .collect();
    g.throughput(Throughput::Bytes(256 << 10));
    g.bench_function("compress-32x8KiB-dump-one-by-one", |b| {
        b.iter(|| {
            chunks
                .iter()
                .map(|c| compress(black_box(c), 3).map_or(c.len(), |z| z.len()))
                .sum::<usize>()
        })
    });
    let frame = chunks.concat();
    g.bench_function("compress-32x8KiB-dump-frame", |b| {
        b.iter(|| compress(black_box(&frame), 3))
    });
    g.finish();
}

fn pack_crypto(c: &mut Criterion) {
    let id = identity();
    let recipients = RecipientSet::new(&[id.cert().clone()]).unwrap();
    let blob = noise(1 << 20);
    let mut g = c.benchmark_group("pack-16MiB");
    g.throughput(Throughput::Bytes(16 << 20));
    g.sample_size(10);
    let build = || {
        let mut w = PackWriter::new(&recipients, Vec::with_capacity(17 << 20)).unwrap();
        for i in 0..16u8 {
            let bid = blob_id(&[i; 32], &blob);
            w.add(
                bid,
                BlobType::Data,
                &blob,
                blob.len(),
                cairn::repo::pack::Compression::None,
            )
            .unwrap();
        }
        w.finish().unwrap()
    };
    g.bench_function("encrypt", |b| b.iter(build));
    let (pack_id, bytes, _) = build();
    g.bench_function("decrypt+verify", |b| {
        // Opening takes the downloaded buffer; the copy is made outside the timing.
        b.iter_batched(
            || bytes.clone(),
            |bytes| cairn::repo::pack::Pack::open(pack_id, black_box(bytes), &id).unwrap(),
            BatchSize::LargeInput,
        )
    });
    g.finish();
}

fn pipeline(c: &mut Criterion) {
    let data = dumpish(64 << 20);
    let mut g = c.benchmark_group("pipeline");
    g.throughput(Throughput::Bytes(data.len() as u64));
    g.sample_size(10);
    g.bench_function("stream-backup-64MiB-dump", |b| {
        b.iter_batched(
            || {
                let dir = tempfile::tempdir().unwrap();
                let backend = cairn::backend::open(
                    dir.path().join("repo").to_str().unwrap(),
                    &Default::default(),
                )
                .unwrap();
                let repo = cairn::repo::Repository::init(
                    backend,
                    identity(),
                    vec![],
                    None,
                    None,
                    &Default::default(),
                )
                .unwrap();
                (dir, repo)
            },
            |(dir, repo)| {
                let opts = cairn::backup::BackupOptions {
                    source: cairn::backup::Source::Stream {
                        name: "bench.dump".into(),
                        reader: Box::new(std::io::Cursor::new(data.clone())),
                        kind: cairn::repo::snapshot::SourceKind::Stdin,
                        allow_empty: false,
                    },
                    excludes: cairn::source::exclude::Excludes::new(&[], false, false).unwrap(),
                    tags: vec![],
                    host: "bench".into(),
                    profile: None,
                    time: None,
                    wait_lock: None,
                    no_delta: false,
                    run_log: false,
                };
                cairn::backup::run(&repo, opts).unwrap();
                drop(dir);
            },
            BatchSize::PerIteration,
        )
    });
    g.finish();
}

/// Every entry a backup walks is tested against the excludes: 70k paths shaped like a
/// system tree (depth 5 to 9), with a few typical patterns, one of them ignoring case;
/// `entry` is the walk's test, `path` the test of a path on its own (restore).
fn patterns(c: &mut Criterion) {
    let paths: Vec<std::path::PathBuf> = (0..70_000u32)
        .map(|i| {
            let mut p = format!("/srv/data/usr/share/pkg{}", i % 700);
            for d in 0..i % 5 {
                p.push_str(&format!("/sub{}", (i >> d) % 7));
            }
            p.push_str(&format!(
                "/file{i}.{}",
                ["txt", "h", "pyc", "gz", "html"][i as usize % 5]
            ));
            std::path::PathBuf::from(p)
        })
        .collect();
    let exact = [
        "*.pyc",
        "__pycache__",
        "/srv/data/usr/share/locale/*",
        "git/RelNotes",
    ];
    let sets = [
        ("none", PatternSet::new(&[], "exclude pattern").unwrap()),
        (
            "4-exact",
            PatternSet::new(&PatternSpec::all(&exact, false), "exclude pattern").unwrap(),
        ),
        ("4-exact+1-icase", {
            let mut specs = PatternSpec::all(&exact, false);
            specs.push(PatternSpec::new("*.JPG", true));
            PatternSet::new(&specs, "exclude pattern").unwrap()
        }),
    ];
    let mut g = c.benchmark_group("patterns");
    g.throughput(Throughput::Elements(paths.len() as u64));
    for (name, set) in &sets {
        // What a backup's walk calls: the parent is known not to match.
        g.bench_function(format!("{name}/entry"), |b| {
            b.iter(|| {
                paths
                    .iter()
                    .filter(|p| set.matches_entry(black_box(p)))
                    .count()
            })
        });
        g.bench_function(format!("{name}/path"), |b| {
            b.iter(|| paths.iter().filter(|p| set.matches(black_box(p))).count())
        });
    }
    g.finish();
}

criterion_group!(
    benches,
    chunking,
    row_chunking,
    compression,
    pack_crypto,
    pipeline,
    patterns
);
criterion_main!(benches);
