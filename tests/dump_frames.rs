//! Format 2: dumps are cut at row ends and their small chunks compressed in shared zstd
//! frames. Everything goes through the binary: backup, restore, dump, check, prune, and
//! stock gpg + zstd reading the index.

mod common;

use std::collections::HashMap;
use std::fs;
use std::path::Path;
use std::process::Command;

use common::forge::{decrypted_config, gpg, gpg_with, stop_agent};
use common::{dump_rows, run_with_input, World};

/// Every data blob entry of every index object, decrypted with gpg and zstd.
fn index_blobs(w: &World, home: &Path) -> Vec<serde_json::Value> {
    let mut all = Vec::new();
    for index in w.objects("index") {
        let plain = gpg(home, &["--decrypt"], &fs::read(index).unwrap());
        let out = run_with_input(Command::new("zstd").args(["-dc", "-q"]), &plain);
        common::assert_ok(&out, "zstd -dc");
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        for pack in v["packs"].as_array().unwrap() {
            for b in pack["blobs"].as_array().unwrap() {
                let mut b = b.clone();
                b["pack"] = pack["id"].clone();
                all.push(b);
            }
        }
    }
    all
}

/// The index's data blobs, read with a GnuPG home of the world's key made for it.
fn indexed(w: &World) -> Vec<serde_json::Value> {
    let home = gpg_with(w);
    let all = index_blobs(w, home.path());
    stop_agent(home.path());
    all
}

fn framed(blobs: &[serde_json::Value]) -> Vec<&serde_json::Value> {
    blobs
        .iter()
        .filter(|b| b["compression"] == "zstd-frame")
        .collect()
}

fn bytes_added(w: &World, dump: &[u8]) -> u64 {
    let out = w.ok_stdin(&["--json", "backup", "--stdin-name", "app.sql"], dump);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    v["stats"]["bytes_added"].as_u64().unwrap()
}

#[test]
fn new_repositories_are_format_3_and_cut_streams_at_rows() {
    let w = World::new();
    let home = gpg_with(&w);
    let config = decrypted_config(home.path(), &w.repo);
    stop_agent(home.path());
    assert_eq!(config["version"], 3);
    assert_eq!(config["stream_rows"], true);
    assert_eq!(config["chunk_sizes_stream"]["avg"], 65536);
}

/// `init --stream-chunk-size` picks smaller chunks for repositories backed up with
/// `--no-delta`; the config records them and a backup cuts by them.
#[test]
fn init_takes_a_smaller_stream_chunk_size() {
    let w = World::bare();
    w.ok(&["key", "generate", "--out", w.key.to_str().unwrap()]);
    for bad in ["12K", "4K", "128K", "lots"] {
        let err = w.fails(&["init", "--stream-chunk-size", bad], 2);
        assert!(
            err.contains("not one of 8K, 16K, 32K, 64K") || err.contains(bad),
            "{err}"
        );
    }
    assert!(!w.repo.exists());
    w.ok(&["init", "--stream-chunk-size", "16K"]);
    let home = gpg_with(&w);
    let config = decrypted_config(home.path(), &w.repo);
    assert_eq!(config["chunk_sizes_stream"]["min"], 4096);
    assert_eq!(config["chunk_sizes_stream"]["avg"], 16384);
    assert_eq!(config["chunk_sizes_stream"]["max"], 65536);
    let dump = dump_rows(100_000, |_| false);
    bytes_added(&w, &dump);
    let blobs = index_blobs(&w, home.path());
    stop_agent(home.path());
    let data: Vec<u64> = blobs
        .iter()
        .filter(|b| b["type"] == "data")
        .map(|b| b["raw_length"].as_u64().unwrap())
        .collect();
    // About 6 MB in chunks of 16 KiB on average, none above 64 KiB.
    assert!(data.len() > 200, "{} chunks", data.len());
    assert!(data.iter().all(|&n| n <= 65536), "{data:?}");
}

#[test]
fn a_dump_in_frames_restores_checks_and_dumps_byte_identical() {
    let w = World::new();
    // About 12 MB: some 180 chunks of 64 KiB in 2 MiB frames.
    let dump = dump_rows(200_000, |_| false);
    bytes_added(&w, &dump);
    let blobs = indexed(&w);
    let members = framed(&blobs);
    // Small chunks share frames: many members, far fewer distinct frames.
    let mut frames: HashMap<(String, u64), usize> = HashMap::new();
    for b in &members {
        let key = (b["pack"].to_string(), b["offset"].as_u64().unwrap());
        *frames.entry(key).or_default() += 1;
    }
    assert!(members.len() > 100, "{} framed blobs", members.len());
    assert!(frames.len() * 10 < members.len(), "{} frames", frames.len());

    // A frame's bytes count once, not once per member.
    let stats = w.json(&["stats"]);
    let (packed, stored) = (
        stats["compressed_bytes"].as_u64().unwrap(),
        stats["stored_bytes"].as_u64().unwrap(),
    );
    assert!(packed > 0 && packed < stored, "{stats}");

    let target = w.path("restored");
    w.ok(&["restore", "latest", "--target", target.to_str().unwrap()]);
    assert!(fs::read(target.join("app.sql")).unwrap() == dump);
    let out = w
        .cmd()
        .args(["dump", "latest", "app.sql"])
        .output()
        .unwrap();
    common::assert_ok(&out, "dump");
    assert!(out.stdout == dump);
    w.ok(&["check", "--read-data"]);
}

#[test]
fn a_changed_row_costs_a_chunk_not_the_dump() {
    let w = World::new();
    let day1 = dump_rows(200_000, |_| false);
    let day2 = dump_rows(200_000, |i| i == 123_456);
    assert!(bytes_added(&w, &day1) >= day1.len() as u64);
    let added = bytes_added(&w, &day2);
    // The changed chunk (at most 256 KiB) and the stream's tree blob.
    assert!(added < 300_000, "{added} bytes added for one changed row");
}

#[test]
fn prune_moves_frame_members_into_new_frames() {
    let w = World::new();
    let day1 = dump_rows(80_000, |_| false);
    // Every 40th row changes: most of day 1's chunks are unused after forget.
    let day2 = dump_rows(80_000, |i| i % 40 == 0);
    let common_part = dump_rows(20_000, |_| false);
    let day2 = [&common_part[..], &day2[..]].concat();
    bytes_added(&w, &day1);
    let home = gpg_with(&w);
    let packs = |w: &World| -> HashMap<String, String> {
        framed(&index_blobs(w, home.path()))
            .iter()
            .map(|b| (b["id"].to_string(), b["pack"].to_string()))
            .collect()
    };
    let before = packs(&w);
    // Without deltas: a day-1 chunk that a day-2 delta takes as its base stays used,
    // and how many do depends on where this repository's gear table cuts; with whole
    // chunks, every day-1 chunk holding a changed row is unused for certain.
    w.ok_stdin(&["backup", "--stdin-name", "app.sql", "--no-delta"], &day2);
    w.ok(&[
        "forget",
        "--keep-last",
        "1",
        "--prune",
        "--max-unused",
        "0%",
    ]);
    assert_eq!(w.snapshots().len(), 1);
    // Day 1's chunks that day 2 still uses were copied out of half-used frames into
    // frames of new packs.
    let after = packs(&w);
    let moved = before
        .iter()
        .filter(|(id, pack)| after.get(*id).is_some_and(|p| p != *pack))
        .count();
    stop_agent(home.path());
    assert!(moved > 0, "no frame member was repacked");
    w.ok(&["check", "--read-data"]);
    let target = w.path("restored");
    w.ok(&["restore", "latest", "--target", target.to_str().unwrap()]);
    assert!(fs::read(target.join("app.sql")).unwrap() == day2);
}

#[test]
fn format_1_repositories_write_no_frames() {
    let w = World::format_v1();
    let dump = dump_rows(30_000, |_| false);
    w.ok_stdin(&["backup", "--stdin-name", "app.sql"], &dump);
    let home = gpg_with(&w);
    assert!(framed(&index_blobs(&w, home.path())).is_empty());
    let config = decrypted_config(home.path(), &w.repo);
    stop_agent(home.path());
    assert_eq!(config["version"], 1);
    let target = w.path("restored");
    w.ok(&["restore", "latest", "--target", target.to_str().unwrap()]);
    assert!(fs::read(target.join("app.sql")).unwrap() == dump);
    w.ok(&["check", "--read-data"]);
}

/// Files of 16 MiB or more go through the pipelined path (chunked on a thread of their
/// own): a plain pg_dump file and a file of noise restore byte for byte, and the dump
/// still deduplicates row by row on the next day.
#[test]
fn big_files_round_trip_through_the_pipeline() {
    let w = World::new();
    let dir = w.path("backups");
    fs::create_dir_all(&dir).unwrap();
    let header = b"--\n-- PostgreSQL database dump\n--\n\n".to_vec();
    let day = |changed: usize| [header.clone(), dump_rows(400_000, |i| i == changed)].concat();
    let day1 = day(usize::MAX);
    assert!(day1.len() >= 16 << 20);
    fs::write(dir.join("app.sql"), &day1).unwrap();
    let noise = common::noise(17 << 20, 9);
    fs::write(dir.join("image.bin"), &noise).unwrap();
    w.backup(&[dir.to_str().unwrap()]);

    let day2 = day(250_000);
    fs::write(dir.join("app.sql"), &day2).unwrap();
    let added = w.backup(&[dir.to_str().unwrap()])["stats"]["bytes_added"]
        .as_u64()
        .unwrap();
    // One changed row: a chunk (at most 256 KiB) and the trees, not the 20 MB file.
    assert!(added < 400_000, "{added} bytes added");

    let target = w.path("restored");
    w.ok(&["restore", "latest", "--target", target.to_str().unwrap()]);
    let restored = target.join(dir.strip_prefix("/").unwrap());
    assert!(fs::read(restored.join("app.sql")).unwrap() == day2);
    assert!(fs::read(restored.join("image.bin")).unwrap() == noise);
    w.ok(&["check", "--read-data"]);
}
