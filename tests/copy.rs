//! `cairn copy`: snapshots of one repository stored again in another, through the CLI.
//! Destinations made with the source's chunk parameters (`init --copy-params-from`) and
//! destinations with keys of their own; a local directory and real object stores;
//! re-runs that copy nothing, interrupted copies that resume, wrong keys that fail with
//! one line naming the side.

#[macro_use]
mod common;

use std::fs;
use std::process::{Output, Stdio};
use std::time::{Duration, Instant};

use common::stores::Store;
use common::{assert_same_tree, small_tree, World};

per_store!(shared_params: File, S3, SwiftTempAuth);
per_store!(own_keys: File, S3);

/// A world at `store` with nothing in it yet: its key and repository are made by the test.
fn bare_at(store: Store) -> World {
    let mut w = World::bare();
    if store != Store::File {
        w.url = Some(store.url(w.dir.path()));
        w.env = store.env();
    }
    w
}

fn location(w: &World) -> String {
    w.url
        .clone()
        .unwrap_or_else(|| w.repo.to_str().unwrap().to_string())
}

/// `cairn copy` from `src`'s repository (with its key) to `dest`'s (with `dest`'s key).
fn copy_run(src: &World, dest: &World, args: &[&str]) -> Output {
    let to = location(dest);
    let mut all = vec![
        "--json",
        "copy",
        "--to",
        to.as_str(),
        "--to-key",
        dest.key.to_str().unwrap(),
    ];
    all.extend_from_slice(args);
    src.cmd()
        .envs(dest.env.iter().map(|(k, v)| (k, v)))
        .args(&all)
        .output()
        .unwrap()
}

/// `cairn copy` from `src` into `dest`'s local repository, with storage faults
/// (`CAIRN_TEST_FAULTS`), to run or spawn.
fn copy_with_faults(src: &World, dest: &World, faults: &str) -> std::process::Command {
    let mut c = src.cmd();
    c.env("CAIRN_TEST_FAULTS", faults)
        .env("CAIRN_RETRY_FAST", "1")
        .args([
            "copy",
            "--to",
            dest.repo.to_str().unwrap(),
            "--to-key",
            dest.key.to_str().unwrap(),
        ]);
    c
}

fn copy(src: &World, dest: &World, args: &[&str]) -> serde_json::Value {
    let out = copy_run(src, dest, args);
    common::assert_ok(&out, "cairn copy");
    serde_json::from_slice(&out.stdout).expect("copy prints JSON")
}

fn count(v: &serde_json::Value, key: &str) -> usize {
    v[key].as_array().unwrap().len()
}

fn restore_same(w: &World, snap: &str, src: &std::path::Path, name: &str) {
    let target = w.path(name);
    w.ok(&["restore", snap, "--target", target.to_str().unwrap()]);
    assert_same_tree(src, &target.join(src.strip_prefix("/").unwrap()));
}

/// The scenario both kinds of destination share: copy, restore from the destination,
/// copy again (nothing happens), back up more and copy only what is new, and copy a
/// snapshot whose old data sits in a damaged source pack: the destination already has
/// that data, so it is never read.
fn copy_restore_and_dedup(src: &World, dest: &World) {
    let tree = small_tree(src, 7);
    let t = tree.to_str().unwrap();
    src.backup(&[t]);

    let dry = copy(src, dest, &["--dry-run"]);
    assert_eq!(dry["dry_run"], true, "{dry}");
    assert_eq!(count(&dry, "copied"), 1, "{dry}");
    assert!(dry["copied"][0]["id"].is_null(), "{dry}");
    assert!(
        dry["copied"][0]["bytes"].as_u64().unwrap() > 3_000_000,
        "{dry}"
    );
    assert!(dest.snapshots().is_empty(), "a dry run stored a snapshot");

    let first = copy(src, dest, &[]);
    assert_eq!(count(&first, "copied"), 1, "{first}");
    let stored = first["copied"][0]["bytes_stored"].as_u64().unwrap();
    assert!(stored > 2_900_000, "{first}");
    restore_same(dest, "latest", &tree, "restored-1");
    let snaps = dest.snapshots();
    let src_snaps = src.snapshots();
    assert_eq!(snaps.len(), 1);
    assert_eq!(
        snaps[0]["copied_from"]["snapshot"], src_snaps[0]["id"],
        "{snaps:?}"
    );
    assert_eq!(snaps[0]["time"], src_snaps[0]["time"]);
    assert_eq!(snaps[0]["paths"], src_snaps[0]["paths"]);

    // Again: nothing to do.
    let again = copy(src, dest, &[]);
    assert_eq!(count(&again, "copied"), 0, "{again}");
    assert_eq!(count(&again, "skipped"), 1, "{again}");
    assert_eq!(dest.snapshots().len(), 1);

    // A second night adds a small file: only it travels.
    fs::write(tree.join("d/new.txt"), "added on the second night\n").unwrap();
    src.backup(&[t]);
    let second = copy(src, dest, &[]);
    assert_eq!(count(&second, "copied"), 1, "{second}");
    assert_eq!(count(&second, "skipped"), 1, "{second}");
    let moved = second["copied"][0]["bytes"].as_u64().unwrap();
    assert!(
        moved < 1000,
        "copied {moved} bytes of unchanged data: {second}"
    );
    let snaps = dest.snapshots();
    assert_eq!(snaps.len(), 2);
    assert_eq!(snaps[1]["parent"], snaps[0]["id"], "{snaps:?}");
    restore_same(dest, "latest", &tree, "restored-2");

    // The 3 MB file's pack is damaged in the source; a third night's snapshot still
    // names that data, which the destination has and does not need to read.
    src.damage_biggest_pack();
    fs::write(tree.join("d/third.txt"), "third night\n").unwrap();
    src.backup(&[t]);
    let third = copy(src, dest, &[]);
    assert_eq!(count(&third, "copied"), 1, "{third}");
    restore_same(dest, "latest", &tree, "restored-3");
    let check = dest.json(&["check", "--read-data"]);
    assert_eq!(check["errors"].as_array().map(Vec::len), Some(0), "{check}");

    // A new destination needs that damaged data: the copy fails, naming the source and
    // the pack, and stores no snapshot.
    let fresh = World::new();
    let out = copy_run(src, &fresh, &[]);
    assert_eq!(out.status.code(), Some(1));
    let line = common::error_line(&out, "copy from a damaged pack");
    assert!(
        line.starts_with(&format!("cairn copy: source {}: pack ", src.repo.display())),
        "{line}"
    );
    assert!(fresh.snapshots().is_empty());
}

/// A destination made with `init --copy-params-from` (same key here): ids are shared.
fn shared_params(store: Store) {
    let src = World::new();
    let mut dest = bare_at(store);
    dest.key = src.key.clone();
    dest.ok(&["init", "--copy-params-from", src.repo.to_str().unwrap()]);
    copy_restore_and_dedup(&src, &dest);
    if store != Store::File {
        assert!(
            !dest.repo.exists(),
            "{store:?} wrote to the local directory"
        );
    }
}

/// A destination with its own key and its own blob-id and chunker keys.
fn own_keys(store: Store) {
    let src = World::new();
    let dest = World::on(store);
    assert_ne!(src.fingerprint(), dest.fingerprint());
    copy_restore_and_dedup(&src, &dest);
    // The source's key cannot read the destination.
    let mut probe = World::bare();
    probe.url = dest.url.clone();
    probe.env = dest.env.clone();
    probe.repo = dest.repo.clone();
    probe.key = src.key.clone();
    let err = probe.fails(&["snapshots"], 1);
    assert!(err.contains("wrong key"), "{err}");
}

#[test]
fn copy_params_make_the_same_ids_and_an_init_from_a_wrong_key_fails() {
    let src = World::new();
    let tree = small_tree(&src, 3);
    src.backup(&[tree.to_str().unwrap()]);
    let mut dest = World::bare();
    dest.key = src.key.clone();
    dest.ok(&["init", "--copy-params-from", src.repo.to_str().unwrap()]);
    // Backing up the same tree into each makes the same blobs under the same ids: a
    // copy of the source's snapshot then finds every one of them there already.
    dest.backup(&[tree.to_str().unwrap()]);
    let copied = copy(&src, &dest, &[]);
    assert_eq!(copied["copied"][0]["blobs"], 0, "{copied}");

    let other = World::bare();
    other.ok(&["key", "generate", "--out", other.key.to_str().unwrap()]);
    let err = other.fails(
        &["init", "--copy-params-from", src.repo.to_str().unwrap()],
        1,
    );
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("--copy-params-from") && err.contains("wrong key"),
        "{err}"
    );
    assert!(!other.repo.join("config").exists());

    // With the source's key for reading it, the new repository keeps its own signer
    // and recipients but shares the ids.
    other.ok(&[
        "init",
        "--copy-params-from",
        src.repo.to_str().unwrap(),
        "--from-key",
        src.key.to_str().unwrap(),
    ]);
    other.backup(&[tree.to_str().unwrap()]);
    let copied = copy(&src, &other, &[]);
    assert_eq!(copied["copied"][0]["blobs"], 0, "{copied}");
    assert_ne!(other.fingerprint(), src.fingerprint());
}

#[test]
fn wrong_key_for_the_destination_fails_with_one_line_naming_it() {
    let src = World::new();
    let tree = small_tree(&src, 5);
    src.backup(&[tree.to_str().unwrap()]);
    let dest = World::new();
    // The source's key is not one the destination is encrypted to.
    let mut wrong = World::bare();
    wrong.repo = dest.repo.clone();
    wrong.key = src.key.clone();
    let out = copy_run(&src, &wrong, &[]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    let line = err.trim();
    assert!(line.starts_with("cairn copy: destination: "), "{line}");
    assert!(line.contains(dest.repo.to_str().unwrap()), "{line}");
    assert!(line.contains("wrong key"), "{line}");
    assert!(dest.snapshots().is_empty());

    // The source named as its own destination.
    let mut itself = World::bare();
    itself.repo = src.repo.clone();
    itself.key = src.key.clone();
    let out = copy_run(&src, &itself, &[]);
    assert_eq!(out.status.code(), Some(1));
    let line = common::error_line(&out, "copy to itself");
    assert!(line.contains("are the same repository"), "{line}");
}

#[test]
fn filters_choose_the_snapshots() {
    let src = World::new();
    let tree = small_tree(&src, 9);
    let t = tree.to_str().unwrap();
    src.backup(&[t, "--tag", "keep"]);
    src.backup(&[t, "--host", "other"]);
    let last = src.backup(&[t]);
    let dest = World::new();
    let tagged = copy(&src, &dest, &["--tag", "keep"]);
    assert_eq!(count(&tagged, "copied"), 1, "{tagged}");
    assert_eq!(dest.snapshots()[0]["tags"][0], "keep");
    let latest = copy(&src, &dest, &["latest"]);
    assert_eq!(latest["copied"][0]["source"], last["id"], "{latest}");
    let err =
        String::from_utf8_lossy(&copy_run(&src, &dest, &["--host", "nope"]).stderr).into_owned();
    assert!(err.contains("no snapshot matches --host nope"), "{err}");
    let rest = copy(&src, &dest, &[]);
    assert_eq!(count(&rest, "copied"), 1, "{rest}");
    assert_eq!(count(&rest, "skipped"), 2, "{rest}");
    assert_eq!(dest.snapshots().len(), 3);
}

/// Three snapshots, each with 3 MB of its own data.
fn three_nights(src: &World) -> std::path::PathBuf {
    let tree = src.path("src");
    fs::create_dir_all(&tree).unwrap();
    for night in 1..=3u64 {
        fs::write(
            tree.join(format!("night{night}.bin")),
            common::noise(3_000_000, 100 + night),
        )
        .unwrap();
        src.backup(&[tree.to_str().unwrap()]);
    }
    tree
}

#[test]
fn a_copy_that_fails_part_way_resumes_without_duplicates() {
    let src = World::new();
    let tree = three_nights(&src);
    let dest = World::new();
    // The second snapshot manifest cannot be stored: the copy stops after the first.
    let out = copy_with_faults(&src, &dest, "put@snapshots/:2:permanent")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    let line = common::error_line(&out, "failed copy");
    assert!(
        line.contains("destination") && line.contains("snapshots/"),
        "{err}"
    );
    assert_eq!(dest.snapshots().len(), 1);
    let resumed = copy(&src, &dest, &[]);
    assert_eq!(count(&resumed, "copied"), 2, "{resumed}");
    assert_eq!(count(&resumed, "skipped"), 1, "{resumed}");
    // The second snapshot's data was stored before its manifest failed: not again.
    assert!(
        resumed["copied"][0]["bytes"].as_u64().unwrap() < 1_000_000,
        "{resumed}"
    );
    assert_eq!(dest.snapshots().len(), 3);
    dest.ok(&["check", "--read-data"]);
    restore_same(&dest, "latest", &tree, "restored");
}

#[test]
fn kill_9_mid_copy_then_again_copies_each_snapshot_once() {
    let src = World::new();
    let tree = three_nights(&src);
    let dest = World::new();
    // Slow pack reads, so the kill lands between the first snapshot and the last.
    let mut child = copy_with_faults(&src, &dest, "get@data/:*:delay=700")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(120);
    while dest.stored("snapshots").is_empty() {
        assert!(
            Instant::now() < deadline,
            "no snapshot copied in two minutes"
        );
        assert!(
            child.try_wait().unwrap().is_none(),
            "copy ended before the kill"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let copied_before = dest.stored("snapshots").len();
    assert!(copied_before < 3, "the copy finished before the kill");

    let resumed = copy(&src, &dest, &[]);
    assert_eq!(
        count(&resumed, "copied") + count(&resumed, "skipped"),
        3,
        "{resumed}"
    );
    assert_eq!(count(&resumed, "skipped"), copied_before, "{resumed}");
    let snaps = dest.snapshots();
    assert_eq!(snaps.len(), 3);
    let mut from: Vec<&str> = snaps
        .iter()
        .map(|s| s["copied_from"]["snapshot"].as_str().unwrap())
        .collect();
    from.sort();
    from.dedup();
    assert_eq!(from.len(), 3, "{snaps:?}");
    dest.ok(&["check", "--read-data"]);
    restore_same(&dest, "latest", &tree, "restored");
}

/// `cairn run` with a `[copy]` section: back up, forget by the profile's retention,
/// copy what is left to the second repository and forget there by the same policy. The
/// second repository has a key of its own.
#[test]
fn run_backs_up_then_copies_and_keeps_both_alike() {
    let src = World::new();
    let dest = World::new();
    let tree = small_tree(&src, 11);
    common::profiles::write_profile(
        &src,
        "app",
        &format!(
            "[source]\npaths = [\"{}\"]\n[retention]\nkeep_last = 1\nkeep_daily = 0\nkeep_weekly = 0\nkeep_monthly = 0\n[copy]\nto = \"{}\"\nkey = \"{}\"\n",
            tree.display(),
            dest.repo.display(),
            dest.key.display()
        ),
    );
    let run = || {
        let out = common::profiles::cmd(&src, &["run", "app"])
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(out.status.success(), "{err}");
        err
    };
    let err = run();
    assert!(
        err.contains("result=success") && err.contains("copied=1"),
        "{err}"
    );
    assert_eq!(dest.snapshots().len(), 1);
    restore_same(&dest, "latest", &tree, "restored-1");

    fs::write(tree.join("d/new.txt"), "second night\n").unwrap();
    let err = run();
    assert!(err.contains("copied=1"), "{err}");
    assert!(err.contains("copy: forgot 1"), "{err}");
    let (s, d) = (src.snapshots(), dest.snapshots());
    assert_eq!((s.len(), d.len()), (1, 1), "{s:?} {d:?}");
    assert_eq!(d[0]["copied_from"]["snapshot"], s[0]["id"]);
    restore_same(&dest, "latest", &tree, "restored-2");

    // A destination the profile's copy key cannot open fails the run, naming it.
    let other = World::new();
    common::profiles::write_profile(
        &src,
        "bad",
        &format!(
            "[source]\npaths = [\"{}\"]\n[copy]\nto = \"{}\"\n",
            tree.display(),
            other.repo.display()
        ),
    );
    let out = common::profiles::cmd(&src, &["run", "bad"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("result=failure") && err.contains("copy: destination"),
        "{err}"
    );
    assert!(err.contains("wrong key"), "{err}");
}

/// A destination key with a passphrase of its own, from CAIRN_TO_PASSPHRASE_FILE; and
/// `cairn profile check` tries the `[copy]` destination with it.
#[test]
fn a_protected_destination_key_takes_its_own_passphrase() {
    let src = World::new();
    let tree = small_tree(&src, 13);
    src.backup(&[tree.to_str().unwrap()]);
    let mut dest = World::bare();
    let pass = dest.path("pass");
    fs::write(&pass, "dest secret phrase\n").unwrap();
    fs::set_permissions(&pass, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
    dest.passphrase_file = Some(pass.clone());
    dest.ok(&["key", "generate", "--out", dest.key.to_str().unwrap()]);
    dest.ok(&["init"]);

    // Without the destination's passphrase (no terminal to ask on) the copy fails.
    let out = copy_run(&src, &dest, &[]);
    assert_eq!(out.status.code(), Some(1));
    let line = common::error_line(&out, "no passphrase");
    assert!(line.starts_with("cairn copy: destination key: "), "{line}");
    let out = src
        .cmd()
        .env("CAIRN_TO_PASSPHRASE_FILE", &pass)
        .args([
            "copy",
            "--to",
            dest.repo.to_str().unwrap(),
            "--to-key",
            dest.key.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    common::assert_ok(&out, "copy with CAIRN_TO_PASSPHRASE_FILE");
    assert!(!String::from_utf8_lossy(&out.stderr).contains("dest secret phrase"));
    restore_same(&dest, "latest", &tree, "restored");

    let profile = |name: &str, extra: &str| {
        common::profiles::write_profile(
            &src,
            name,
            &format!(
                "[source]\npaths = [\"{}\"]\n[copy]\nto = \"{}\"\nkey = \"{}\"\n{extra}",
                tree.display(),
                dest.repo.display(),
                dest.key.display()
            ),
        );
        let out = common::profiles::cmd(&src, &["profile", "check", name])
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )
    };
    let (code, text) = profile(
        "good",
        &format!("passphrase_file = \"{}\"\n", pass.display()),
    );
    assert_eq!(code, Some(0), "{text}");
    assert!(text.contains("ok    copy to "), "{text}");
    let (code, text) = profile("nopass", "");
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains("FAIL  copy to "), "{text}");
}

/// Ctrl-C part way into a copy to a destination with its own keys: the packs stored so
/// far are indexed on the way out and their blobs' new ids are kept in the cache, so the
/// next run reads only what is left.
#[test]
fn sigint_mid_copy_keeps_what_was_stored() {
    let src = World::new();
    let tree = src.path("src");
    fs::create_dir_all(&tree).unwrap();
    fs::write(tree.join("big.bin"), common::noise(40_000_000, 77)).unwrap();
    src.backup(&[tree.to_str().unwrap()]);
    let dest = World::new();
    let total = copy(&src, &dest, &["--dry-run"])["copied"][0]["bytes"]
        .as_u64()
        .unwrap();
    let mut child = copy_with_faults(&src, &dest, "get@data/:*:delay=300")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(120);
    while dest.stored("data").len() < 2 {
        assert!(Instant::now() < deadline, "no packs copied in two minutes");
        assert!(
            child.try_wait().unwrap().is_none(),
            "copy ended before the signal"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let sent = std::process::Command::new("kill")
        .args(["-s", "INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(130));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("cairn copy: interrupted by SIGINT"), "{err}");
    assert!(dest.snapshots().is_empty());
    assert!(
        !dest.stored("index").is_empty(),
        "stored packs were not indexed"
    );
    assert!(dest.stored("locks").is_empty(), "the lock was left behind");

    let left = copy(&src, &dest, &["--dry-run"])["copied"][0]["bytes"]
        .as_u64()
        .unwrap();
    assert!(left < total, "{left} of {total} bytes still to read");
    let resumed = copy(&src, &dest, &[]);
    assert_eq!(resumed["copied"][0]["bytes"].as_u64().unwrap(), left);
    dest.ok(&["check", "--read-data"]);
    restore_same(&dest, "latest", &tree, "restored");
}

/// Copying back: a snapshot that came from the destination is not copied there again.
#[test]
fn copying_back_copies_nothing() {
    let a = World::new();
    let tree = small_tree(&a, 17);
    a.backup(&[tree.to_str().unwrap()]);
    let b = World::new();
    assert_eq!(count(&copy(&a, &b, &[]), "copied"), 1);
    let back = copy(&b, &a, &[]);
    assert_eq!(count(&back, "copied"), 0, "{back}");
    assert_eq!(back["skipped"][0]["id"], a.snapshots()[0]["id"], "{back}");
    assert_eq!(a.snapshots().len(), 1);
}

/// Delta blobs (format 3) are rebuilt from their bases in the source and stored whole
/// in the destination, which restores the second day's stream byte for byte.
#[test]
fn a_stream_stored_as_deltas_copies_whole() {
    let src = World::new();
    let day1 = common::dump_rows(40_000, |_| false);
    let day2 = common::dump_rows(40_000, |i| i % 400 == 7);
    for day in [&day1, &day2] {
        src.ok_stdin(&["backup", "--stdin-name", "app.sql"], day);
    }
    assert!(src.json(&["stats"])["delta_blobs"].as_u64().unwrap() > 10);
    let dest = World::new();
    let copied = copy(&src, &dest, &[]);
    assert_eq!(count(&copied, "copied"), 2, "{copied}");
    let out = dest.run(&["dump", "latest", "app.sql"]);
    assert!(out.status.success() && out.stdout == day2);
    assert_eq!(dest.json(&["stats"])["delta_blobs"], 0);
    dest.ok(&["check", "--read-data"]);
}
