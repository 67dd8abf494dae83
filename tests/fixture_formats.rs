//! The committed format-3 and format-4 repositories (fixtures/repo-v3 and
//! fixtures/repo-v4, made by fixtures/make-repo-v3.sh) stay readable, by cairn and by
//! contrib/recover.py with the stock gpg and zstd, and cairn keeps writing each at its
//! version. Every test works on a copy; the committed directories are never written.
//!
//! gpg, gpgconf, zstd and python3 are required: a missing tool fails the test instead of
//! skipping it (as in tests/recover_with_gpg.rs).

mod common;

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use common::forge::{decrypted_config, gpg_with, stop_agent};
use common::{assert_same_content, fixtures, World};

/// What fixtures/make-repo-v3.sh put into one fixture.
struct Fixture {
    dir: &'static str,
    version: u64,
    /// `generation` of the config: absent before a recipient change.
    generation: Option<u64>,
    recipients: usize,
    /// The snapshots of the stream `app.sql`: time and the file (under fixtures/) that
    /// was backed up.
    streams: &'static [(&'static str, &'static str)],
}

const V3: Fixture = Fixture {
    dir: "repo-v3",
    version: 3,
    generation: None,
    recipients: 1,
    streams: &[
        ("2026-12-05T03:00:00Z", "repo-v2-source/day1.sql"),
        ("2026-12-06T03:00:00Z", "repo-v2-source/day2.sql"),
    ],
};

/// repo-v3, then `key add-recipient` of gpg-rsa3072 and one more stream backup.
const V4: Fixture = Fixture {
    dir: "repo-v4",
    version: 4,
    generation: Some(1),
    recipients: 2,
    streams: &[
        ("2026-12-05T03:00:00Z", "repo-v2-source/day1.sql"),
        ("2026-12-06T03:00:00Z", "repo-v2-source/day2.sql"),
        ("2026-12-07T03:00:00Z", "repo-v4-source/day3.sql"),
    ],
};

/// The file-tree snapshot: fixtures/repo-v1-source backed up from this absolute path.
const TREE_TIME: &str = "2026-12-05T02:00:00Z";
const TREE_PATH: &str = "/tmp/cairn-fixture-tree";

/// A copy of the fixture, with the key that signs it.
fn open(f: &Fixture) -> World {
    let mut w = World::bare();
    common::copy_dir(&fixtures().join(f.dir), &w.repo);
    w.key = fixtures().join("keys/gpg-ed25519-nopass.sec.asc");
    w
}

/// The tree as it was backed up: git keeps no empty directories, so the one
/// fixtures/make-repo-v3.sh added comes back here.
fn expected_tree(w: &World) -> PathBuf {
    let expected = w.path("expected");
    common::copy_dir(&fixtures().join("repo-v1-source"), &expected);
    fs::create_dir_all(expected.join("empty-dir")).unwrap();
    expected
}

/// Where the backed-up tree lands below a restore target.
fn restored_tree(target: &Path) -> PathBuf {
    target.join(TREE_PATH.trim_start_matches('/'))
}

fn snapshot_at(snaps: &[serde_json::Value], time: &str) -> String {
    let snap = snaps
        .iter()
        .find(|s| s["time"] == time)
        .unwrap_or_else(|| panic!("no snapshot at {time}"));
    snap["id"].as_str().unwrap().to_string()
}

/// The snapshots the fixture should hold; returns the tree snapshot's id.
fn check_listing(f: &Fixture, snaps: &[serde_json::Value]) -> String {
    assert_eq!(snaps.len(), 1 + f.streams.len(), "{snaps:?}");
    assert!(snaps.iter().all(|s| s["host"] == "fixture"), "{snaps:?}");
    let tree = snapshot_at(snaps, TREE_TIME);
    let snap = snaps.iter().find(|s| s["id"] == tree.as_str()).unwrap();
    assert_eq!(snap["source"], "files");
    assert_eq!(snap["tags"], serde_json::json!(["tree"]));
    assert_eq!(snap["paths"], serde_json::json!([TREE_PATH]));
    for (time, _) in f.streams {
        let id = snapshot_at(snaps, time);
        let snap = snaps.iter().find(|s| s["id"] == id.as_str()).unwrap();
        assert_eq!(snap["source"], "stdin");
        assert_eq!(snap["paths"], serde_json::json!(["app.sql"]));
    }
    tree
}

fn reads_with_cairn(f: &Fixture) {
    let w = open(f);
    let snaps = w.snapshots();
    let tree = check_listing(f, &snaps);
    // Fixtures made without deltas would no longer test reading them.
    let stats = w.json(&["stats"]);
    assert!(stats["delta_blobs"].as_u64().unwrap() > 0, "{stats}");
    w.ok(&["check", "--read-data"]);

    let target = w.path("restored");
    w.ok(&["restore", &tree, "--target", target.to_str().unwrap()]);
    assert_same_content(&expected_tree(&w), &restored_tree(&target));

    for (time, source) in f.streams {
        let want = fs::read(fixtures().join(source)).unwrap();
        let id = snapshot_at(&snaps, time);
        let out = w.run(&["dump", &id, "app.sql"]);
        common::assert_ok(&out, &format!("dump of {source}"));
        assert!(out.stdout == want, "dump of {source} differs");
    }
}

#[test]
fn format_3_fixture_reads_with_cairn() {
    reads_with_cairn(&V3);
}

#[test]
fn format_4_fixture_reads_with_cairn() {
    reads_with_cairn(&V4);
}

fn require_tools() {
    for tool in ["gpg", "gpgconf", "zstd", "python3"] {
        let out = Command::new(tool)
            .arg("--version")
            .stdin(Stdio::null())
            .output()
            .unwrap_or_else(|e| panic!("`{tool}` is required by this test and did not run: {e}"));
        assert!(out.status.success(), "`{tool} --version` failed");
    }
}

/// A throwaway GnuPG home holding the fixture's secret key; its agent is stopped on
/// drop, even when the test panics.
struct Gnupg {
    home: PathBuf,
}

impl Gnupg {
    fn with_key(w: &World) -> Gnupg {
        let home = w.path("gnupg");
        fs::create_dir(&home).unwrap();
        fs::set_permissions(&home, fs::Permissions::from_mode(0o700)).unwrap();
        let gpg = Gnupg { home };
        let out = Command::new("gpg")
            .arg("--homedir")
            .arg(&gpg.home)
            .args(["--batch", "--no-tty", "--import"])
            .arg(&w.key)
            .stdin(Stdio::null())
            .output()
            .unwrap();
        common::assert_ok(&out, "gpg --import");
        gpg
    }

    fn recover(&self, w: &World, signer: &str, args: &[&str]) -> Output {
        let out = Command::new("python3")
            .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("contrib/recover.py"))
            .arg("--repo")
            .arg(&w.repo)
            .arg("--gnupghome")
            .arg(&self.home)
            .args(["--signer", signer])
            .args(args)
            .env_remove("GNUPGHOME")
            .stdin(Stdio::null())
            .output()
            .unwrap();
        common::assert_ok(&out, &format!("recover.py {args:?}"));
        out
    }
}

impl Drop for Gnupg {
    fn drop(&mut self) {
        stop_agent(&self.home);
    }
}

fn restores_with_recover_py(f: &Fixture) {
    require_tools();
    let w = open(f);
    let signer = w.fingerprint();
    let snaps = w.snapshots();
    let tree = check_listing(f, &snaps);
    let gpg = Gnupg::with_key(&w);

    let listed = gpg.recover(&w, &signer, &["--list"]);
    let listed = String::from_utf8_lossy(&listed.stdout);
    for snap in &snaps {
        let id = snap["id"].as_str().unwrap();
        assert!(listed.contains(&id[..8]), "{id} not in\n{listed}");
    }

    let target = w.path("recovered-tree");
    gpg.recover(
        &w,
        &signer,
        &["--snapshot", &tree, "--target", target.to_str().unwrap()],
    );
    assert_same_content(&expected_tree(&w), &restored_tree(&target));

    for (n, (time, source)) in f.streams.iter().enumerate() {
        let want = fs::read(fixtures().join(source)).unwrap();
        let id = snapshot_at(&snaps, time);
        let target = w.path(&format!("recovered-stream-{n}"));
        gpg.recover(
            &w,
            &signer,
            &["--snapshot", &id, "--target", target.to_str().unwrap()],
        );
        assert!(
            fs::read(target.join("app.sql")).unwrap() == want,
            "recover.py's {source} differs"
        );
    }
}

#[test]
fn format_3_fixture_restores_with_recover_py() {
    restores_with_recover_py(&V3);
}

#[test]
fn format_4_fixture_restores_with_recover_py() {
    restores_with_recover_py(&V4);
}

/// `text` with every 89th row changed: scattered changes, a few in every chunk.
fn changed_rows(text: &[u8]) -> Vec<u8> {
    let text = std::str::from_utf8(text).unwrap();
    let mut out = String::with_capacity(text.len() + 100);
    for (i, line) in text.split_inclusive('\n').enumerate() {
        if i % 89 == 0 {
            out.push_str(&line.replace("filler", "FILLER"));
        } else {
            out.push_str(line);
        }
    }
    out.into_bytes()
}

fn keeps_its_version_after_a_backup(f: &Fixture) {
    let w = open(f);
    let last = fs::read(fixtures().join(f.streams.last().unwrap().1)).unwrap();
    let next = changed_rows(&last);
    assert!(next != last);
    let out = w.ok_stdin(
        &[
            "--json",
            "backup",
            "--stdin-name",
            "app.sql",
            "--host",
            "fixture",
        ],
        &next,
    );
    let out: serde_json::Value = serde_json::from_str(&out).unwrap();
    // Format 3 and 4 are written with deltas against the fixture's own blobs.
    assert!(out["stats"]["deltas_added"].as_u64().unwrap() > 0, "{out}");
    let tree = fixtures().join("repo-v1-source");
    w.backup(&[tree.to_str().unwrap(), "--host", "fixture"]);

    let home = gpg_with(&w);
    let config = decrypted_config(home.path(), &w.repo);
    stop_agent(home.path());
    assert_eq!(config["version"], f.version, "{config}");
    assert_eq!(config["generation"].as_u64(), f.generation, "{config}");
    assert_eq!(
        config["recipients"].as_array().unwrap().len(),
        f.recipients,
        "{config}"
    );

    w.ok(&["check", "--read-data"]);
    assert_eq!(w.snapshots().len(), 3 + f.streams.len());
    let got = w.run(&["dump", out["id"].as_str().unwrap(), "app.sql"]);
    common::assert_ok(&got, "dump of the new snapshot");
    assert!(got.stdout == next, "dump of the new snapshot differs");
}

#[test]
fn format_3_fixture_keeps_version_3_after_a_backup() {
    keeps_its_version_after_a_backup(&V3);
}

#[test]
fn format_4_fixture_keeps_version_4_after_a_backup() {
    keeps_its_version_after_a_backup(&V4);
}
