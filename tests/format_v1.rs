//! The committed format-v1 repository (fixtures/repo-v1, made by
//! fixtures/make-repo-v1.sh) stays readable: snapshots, restore, dump and check.

mod common;

use std::fs;

use common::{assert_same_content, fixtures, World};

#[test]
fn format_v1_fixture_restores() {
    let w = World::format_v1();
    let snaps = w.snapshots();
    assert_eq!(snaps.len(), 2);
    assert_eq!(snaps[0]["time"], "2026-01-31T02:00:00Z");
    assert_eq!(snaps[0]["host"], "fixture");
    assert_eq!(snaps[1]["source"], "stdin");
    let t = w.path("restored");
    w.ok(&[
        "restore",
        "latest",
        "--tag",
        "v1",
        "--target",
        t.to_str().unwrap(),
    ]);
    // git keeps no empty directories: the expected tree gets back the one
    // fixtures/make-repo-v1.sh created.
    let expected = w.path("expected");
    common::copy_dir(&fixtures().join("repo-v1-source"), &expected);
    fs::create_dir_all(expected.join("empty-dir")).unwrap();
    assert_same_content(&expected, &t.join("tmp/cairn-repo-v1-source"));
    assert_eq!(
        w.ok(&["dump", "latest", "app.dump"]),
        "stdin stream of format v1\n"
    );
    w.ok(&["check", "--read-data"]);
}

/// A repository made before `gear-prf-v1` keeps its seeded chunker: backing the same
/// files up again stores no data, only the new trees (mtimes and paths differ).
#[test]
fn format_v1_fixture_keeps_its_chunker_and_deduplicates() {
    let w = World::format_v1();
    let packs_before = w.objects("data").len();
    let src = fixtures().join("repo-v1-source");
    let out = w.backup(&[src.to_str().unwrap()]);
    assert_eq!(out["stats"]["files_new"], 4, "{out}");
    assert!(
        out["stats"]["bytes_added"].as_u64().unwrap() < 10_000,
        "data stored again: {out}"
    );
    assert_eq!(
        w.objects("data").len(),
        packs_before + 1,
        "one tree pack only"
    );
    let home = common::forge::gpg_with(&w);
    let config = common::forge::decrypted_config(home.path(), &w.repo);
    common::forge::stop_agent(home.path());
    assert!(config["chunker_seed"].is_u64() && config.get("chunker").is_none());
}
