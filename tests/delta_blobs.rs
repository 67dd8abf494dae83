//! Format 3: a changed chunk of a stream or dump is stored as a zstd delta against the
//! parent snapshot's chunk at the same place. Everything through the binary: backup,
//! stats, restore, dump, check, forget and prune, damage, and the format-2 fixture.

mod common;

use std::fs;

use common::forge::{decrypted_config, gpg_with, stop_agent};
use common::{dump_rows, fixtures, World};

/// Day 1 of a dump, and day 2 with one row in `every` changed.
fn days(rows: usize, every: usize) -> (Vec<u8>, Vec<u8>) {
    (
        dump_rows(rows, |_| false),
        dump_rows(rows, |i| i % every == 7),
    )
}

fn stdin_backup(w: &World, dump: &[u8], extra: &[&str]) -> serde_json::Value {
    let mut args = vec!["--json", "backup", "--stdin-name", "app.sql"];
    args.extend_from_slice(extra);
    serde_json::from_str(&w.ok_stdin(&args, dump)).unwrap()
}

fn stat(v: &serde_json::Value, key: &str) -> u64 {
    v["stats"][key].as_u64().unwrap_or(0)
}

fn delta_blobs(w: &World) -> u64 {
    w.json(&["stats"])["delta_blobs"].as_u64().unwrap()
}

#[test]
fn a_stream_backed_up_twice_stores_deltas_and_restores_byte_identical() {
    let w = World::new();
    let (day1, day2) = days(40_000, 400);
    let first = stdin_backup(&w, &day1, &[]);
    assert_eq!(stat(&first, "deltas_added"), 0, "no parent: {first}");
    let second = stdin_backup(&w, &day2, &[]);
    let deltas = stat(&second, "deltas_added");
    let candidates = stat(&second, "delta_candidates");
    assert!(deltas > 10, "{second}");
    // Every changed chunk found its place in the parent, and nearly all paid off (of
    // 20-34 chunks, cut by the repository's secret gear table, now and then one or two
    // do not).
    assert_eq!(candidates, stat(&second, "blobs_added") - 1, "{second}");
    assert!(deltas * 5 >= candidates * 4, "{second}");
    assert!(stat(&second, "bytes_read_back") > 0, "{second}");
    assert_eq!(delta_blobs(&w), deltas);
    // The deltas cost a fraction of what the same chunks cost stored whole.
    let whole = World::new();
    stdin_backup(&whole, &day1, &[]);
    let plain = stdin_backup(&whole, &day2, &["--no-delta"]);
    assert_eq!(stat(&plain, "deltas_added"), 0);
    assert_eq!(stat(&plain, "bytes_read_back"), 0);
    assert_eq!(delta_blobs(&whole), 0);
    assert!(
        stat(&second, "bytes_stored") * 2 < stat(&plain, "bytes_stored"),
        "deltas {second}\nwhole {plain}"
    );

    let snaps = w.snapshots();
    for (snap, want) in [(&snaps[0], &day1), (&snaps[1], &day2)] {
        let id = snap["id"].as_str().unwrap();
        let t = w.path(&format!("restore-{id}"));
        w.ok(&["restore", id, "--target", t.to_str().unwrap()]);
        assert!(
            fs::read(t.join("app.sql")).unwrap() == *want,
            "restore {id}"
        );
        let out = w.cmd().args(["dump", id, "app.sql"]).output().unwrap();
        assert!(out.status.success() && out.stdout == *want, "dump {id}");
    }
    w.ok(&["check", "--read-data"]);
}

#[test]
fn a_dump_file_on_disk_stores_deltas_too() {
    let w = World::new();
    let (mut day1, mut day2) = days(40_000, 400);
    // What pg_dump's plain format starts with: the file is chunked as a dump.
    let header = b"--\n-- PostgreSQL database dump\n--\n\n".to_vec();
    day1.splice(0..0, header.clone());
    day2.splice(0..0, header);
    let dir = w.path("dumps");
    fs::create_dir_all(&dir).unwrap();
    let file = dir.join("app.sql");
    fs::write(&file, &day1).unwrap();
    let src = dir.to_str().unwrap();
    w.backup(&[src]);
    fs::write(&file, &day2).unwrap();
    let second = w.backup(&[src]);
    assert!(stat(&second, "deltas_added") > 10, "{second}");
    let t = w.path("restored");
    w.ok(&["restore", "latest", "--target", t.to_str().unwrap()]);
    let restored = t.join(dir.strip_prefix("/").unwrap()).join("app.sql");
    assert!(fs::read(restored).unwrap() == day2);
}

#[test]
fn forgetting_the_base_snapshot_and_pruning_keeps_the_bases() {
    let w = World::new();
    let (day1, day2) = days(40_000, 400);
    stdin_backup(&w, &day1, &[]);
    let second = stdin_backup(&w, &day2, &[]);
    assert!(stat(&second, "deltas_added") > 10);
    let first = w.snapshots()[0]["id"].as_str().unwrap().to_string();
    w.ok(&["forget", &first]);
    // Repack everything partly unused, so the deltas are copied into new packs too.
    w.ok(&["prune", "--max-unused", "0"]);
    assert_eq!(w.snapshots().len(), 1);
    assert!(delta_blobs(&w) > 10, "the deltas survive prune");
    let out = w
        .cmd()
        .args(["dump", "latest", "app.sql"])
        .output()
        .unwrap();
    assert!(out.status.success() && out.stdout == day2);
    w.ok(&["check", "--read-data"]);
    // A third day builds on what is left.
    let day3 = dump_rows(40_000, |i| i % 400 == 7 || i % 500 == 3);
    let third = stdin_backup(&w, &day3, &[]);
    assert!(stat(&third, "deltas_added") > 10, "{third}");
    w.ok(&["prune", "--max-unused", "0"]);
    let out = w
        .cmd()
        .args(["dump", "latest", "app.sql"])
        .output()
        .unwrap();
    assert!(out.status.success() && out.stdout == day3);
}

#[test]
fn a_damaged_base_pack_costs_the_files_of_its_deltas_naming_the_delta_blob() {
    let w = World::new();
    // Every chunk changes a little: day 2 is (nearly) all deltas, and day 1's data pack
    // holds little but their bases.
    let (day1, day2) = days(40_000, 25);
    stdin_backup(&w, &day1, &[]);
    let before: Vec<_> = w.stored("data");
    let second = stdin_backup(&w, &day2, &[]);
    // 20-34 blobs, cut by the repository's secret gear table: the tree and now and
    // then a chunk or two that a delta does not pay for (40 runs: at most 3).
    assert!(
        stat(&second, "deltas_added") * 5 >= stat(&second, "blobs_added") * 4,
        "{second}"
    );
    // Day 1's data pack is its biggest.
    let base_pack = before
        .iter()
        .max_by_key(|p| fs::metadata(p).unwrap().len())
        .unwrap();
    let mut bytes = fs::read(base_pack).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0xff;
    fs::write(base_pack, &bytes).unwrap();
    let t = w.path("restored");
    // A partial restore (exit 3): the dump needs a base in the damaged pack.
    let err = w.fails(&["restore", "latest", "--target", t.to_str().unwrap()], 3);
    let warning = err.lines().find(|l| l.contains("delta base")).unwrap();
    assert!(
        warning.contains("blob ") && warning.contains("not restored"),
        "{err}"
    );
    assert!(
        err.contains("not restored (data lost or damaged): /app.sql"),
        "{err}"
    );
    assert!(!t.join("app.sql").exists(), "no half-written dump is left");
    let err = w.fails(&["dump", "latest", "app.sql"], 1);
    assert!(err.contains("delta base"), "{err}");
    let base_name = base_pack.file_name().unwrap().to_str().unwrap();
    let report = w.cmd().args(["check", "--read-data"]).output().unwrap();
    assert!(!report.status.success());
    let text = String::from_utf8_lossy(&report.stdout).to_string()
        + &String::from_utf8_lossy(&report.stderr);
    assert!(text.contains(base_name), "{text}");
    // Both snapshots lose the dump: day 1's holds the bases, day 2's deltas need them.
    assert_eq!(text.matches("lost file: /app.sql").count(), 2, "{text}");
    // Once the index forgets the damaged blobs, repair sees the deltas lost with them.
    w.ok(&["repair", "index"]);
    let out = w.run(&["repair", "snapshots", "--dry-run"]);
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(said.contains("would write 2 repaired"), "{said}");
}

/// A copy of fixtures/repo-v2 (made by cairn before format 3) with its key.
fn format_v2() -> World {
    let mut w = World::bare();
    common::copy_dir(&fixtures().join("repo-v2"), &w.repo);
    w.key = fixtures().join("keys/gpg-ed25519-nopass.sec.asc");
    w
}

#[test]
fn the_format_2_fixture_stays_readable() {
    let w = format_v2();
    let snaps = w.snapshots();
    assert_eq!(snaps.len(), 2);
    for (snap, day) in snaps.iter().zip(["day1.sql", "day2.sql"]) {
        let want = fs::read(fixtures().join("repo-v2-source").join(day)).unwrap();
        let id = snap["id"].as_str().unwrap();
        let out = w.cmd().args(["dump", id, "app.sql"]).output().unwrap();
        assert!(out.status.success() && out.stdout == want, "{day}");
        let t = w.path(&format!("restore-{day}"));
        w.ok(&["restore", id, "--target", t.to_str().unwrap()]);
        assert!(fs::read(t.join("app.sql")).unwrap() == want, "{day}");
    }
    w.ok(&["check", "--read-data"]);
}

#[test]
fn a_format_2_repository_is_not_written_with_deltas() {
    let w = format_v2();
    let day2 = fs::read(fixtures().join("repo-v2-source/day2.sql")).unwrap();
    let mut day3 = day2.clone();
    // A changed row in every chunk.
    for at in (100..day3.len()).step_by(4000) {
        day3[at] = if day3[at] == b'1' { b'2' } else { b'1' };
    }
    let out = w.ok_stdin(
        &[
            "--json",
            "backup",
            "--stdin-name",
            "app.sql",
            "--host",
            "fixture",
        ],
        &day3,
    );
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert!(stat(&v, "blobs_added") > 5, "{v}");
    assert_eq!(stat(&v, "deltas_added"), 0, "{v}");
    assert_eq!(stat(&v, "delta_candidates"), 0, "{v}");
    assert_eq!(delta_blobs(&w), 0);
    let home = gpg_with(&w);
    let config = decrypted_config(home.path(), &w.repo);
    stop_agent(home.path());
    assert_eq!(config["version"], 2);
    let got = w
        .cmd()
        .args(["dump", "latest", "app.sql"])
        .output()
        .unwrap();
    assert!(got.status.success() && got.stdout == day3);
}
