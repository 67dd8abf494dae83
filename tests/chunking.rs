//! New repositories use the keyed `gear-prf-v1` chunker, and their small metadata
//! objects are padded in a way stock gpg, zstd and JSON parsers read unchanged.

mod common;

use std::fs;
use std::path::Path;
use std::process::Command;

use common::forge::{decrypted_config, gpg, gpg_with, stop_agent};
use common::{run_with_input, small_tree, World};

#[test]
fn new_repository_records_the_keyed_chunker() {
    let w = World::new();
    let home = gpg_with(&w);
    let config = decrypted_config(home.path(), &w.repo);
    stop_agent(home.path());
    assert_eq!(config["chunker"], "gear-prf-v1");
    let key = config["chunker_key"].as_str().unwrap();
    assert!(key.len() == 64 && key.chars().all(|c| c.is_ascii_hexdigit()));
    assert_ne!(key, config["blob_id_key"].as_str().unwrap());
    assert!(config.get("chunker_seed").is_none(), "{config}");
}

/// Two repositories cut the same data at different places: their keys differ.
#[test]
fn two_repositories_cut_the_same_stream_differently() {
    // About 60 chunks of 64 KiB.
    let data = common::noise(4_000_000, 4);
    let lengths = |w: &World| {
        w.ok_stdin(&["backup", "--stdin-name", "d"], &data);
        let home = gpg_with(w);
        let mut all = Vec::new();
        for index in w.objects("index") {
            let json = zstd_cli(&gpg(home.path(), &["--decrypt"], &fs::read(index).unwrap()));
            let v: serde_json::Value = serde_json::from_slice(&json).unwrap();
            for pack in v["packs"].as_array().unwrap() {
                for b in pack["blobs"].as_array().unwrap() {
                    if b["type"] == "data" {
                        all.push(b["raw_length"].as_u64().unwrap());
                    }
                }
            }
        }
        stop_agent(home.path());
        all.sort();
        all
    };
    let (a, b) = (lengths(&World::new()), lengths(&World::new()));
    assert!(a.len() > 20 && b.len() > 20);
    assert_eq!(a.iter().sum::<u64>(), 4_000_000);
    assert_ne!(a, b);
}

fn zstd_cli(input: &[u8]) -> Vec<u8> {
    let out = run_with_input(Command::new("zstd").args(["-dc", "-q"]), input);
    common::assert_ok(&out, "zstd -dc");
    out.stdout
}

fn python_json_keys(plain: &[u8]) -> String {
    let out = run_with_input(
        Command::new("python3").args([
            "-c",
            "import json,sys; print(sorted(json.loads(sys.stdin.buffer.read())))",
        ]),
        plain,
    );
    common::assert_ok(&out, "python3 json.loads");
    String::from_utf8(out.stdout).unwrap()
}

fn decrypt_one(home: &Path, object: &Path) -> Vec<u8> {
    gpg(home, &["--decrypt"], &fs::read(object).unwrap())
}

#[test]
fn padded_metadata_reads_with_gpg_zstd_and_python() {
    let w = World::new();
    w.backup(&[small_tree(&w, 1).to_str().unwrap(), "--tag", "padded"]);
    let home = gpg_with(&w);
    let snaps = w.objects("snapshots");
    let indexes = w.objects("index");
    assert_eq!((snaps.len(), indexes.len()), (1, 1));

    let snap = decrypt_one(home.path(), &snaps[0]);
    assert_eq!(snap.len() % 512, 0, "manifest padded to 512-byte steps");
    assert!(snap.ends_with(b" "));
    assert!(python_json_keys(&snap).contains("'tree'"));

    let index = decrypt_one(home.path(), &indexes[0]);
    assert_eq!(index.len() % 512, 0, "index padded to 512-byte steps");
    let json = zstd_cli(&index);
    assert!(python_json_keys(&json).contains("'packs'"));

    let config = decrypt_one(home.path(), &w.repo.join("config"));
    assert_eq!(config.len() % 512, 0, "config padded");
    stop_agent(home.path());
    // And cairn itself reads them all back.
    w.ok(&["check", "--read-data"]);
}
