//! Prune through the binary: space is freed, every remaining snapshot stays restorable,
//! nothing is deleted when the picture is incomplete, and locks keep backups out.

mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{assert_same_tree, noise, World};
use serde_json::Value;

fn data_bytes(w: &World) -> u64 {
    w.objects("data")
        .iter()
        .map(|p| fs::metadata(p).unwrap().len())
        .sum()
}

fn prune(w: &World, args: &[&str]) -> Value {
    let mut a = vec!["prune"];
    a.extend_from_slice(args);
    w.json(&a)
}

fn drop_snapshot(w: &World, id: &Value) {
    fs::remove_file(w.repo.join("snapshots").join(id.as_str().unwrap())).unwrap();
}

fn backup_stream(w: &World, name: &str, data: &[u8]) -> Value {
    let out = w.ok_stdin(&["--json", "backup", "--stdin-name", name], data);
    serde_json::from_str(&out).unwrap()
}

fn dump(w: &World, snap: &Value, name: &str) -> Vec<u8> {
    let out = w.run(&["dump", snap["id"].as_str().unwrap(), name]);
    common::assert_ok(&out, "dump");
    out.stdout
}

fn cp_a(from: &Path, to: &Path) {
    let st = Command::new("cp")
        .arg("-a")
        .arg(from)
        .arg(to)
        .status()
        .unwrap();
    assert!(st.success(), "cp -a {}", from.display());
}

/// Starts `cairn --json backup` of a command's output, in the background.
fn backup_from(w: &World, name: &str, cmd: &str) -> Child {
    w.cmd()
        .args([
            "--json",
            "backup",
            "--stdin-name",
            name,
            "--stdin-from",
            cmd,
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// Waits until `cond` holds, failing after a minute or if `child` ended first.
fn wait_for(child: &mut Child, what: &str, cond: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !cond() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        if let Some(st) = child.try_wait().unwrap() {
            panic!("process ended ({st}) before {what}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Sixty one-chunk files backed up, then every other one removed and backed up again,
/// the first snapshot dropped: however the worker threads shared the files among their
/// packs, each pack is about half used.
fn half_used_packs(w: &World) -> HalfUsed {
    let src = w.path("src");
    fs::create_dir_all(&src).unwrap();
    for i in 0..60u64 {
        fs::write(src.join(format!("f{i:02}")), noise(100_000, 100 + i)).unwrap();
    }
    let first = w.backup(&[src.to_str().unwrap()]);
    for i in (1..60).step_by(2) {
        fs::remove_file(src.join(format!("f{i:02}"))).unwrap();
    }
    let second = w.backup(&[src.to_str().unwrap()]);
    drop_snapshot(w, &first["id"]);
    HalfUsed { src, snap: second }
}

struct HalfUsed {
    src: PathBuf,
    snap: Value,
}

impl HalfUsed {
    /// The kept snapshot restores exactly as the source was.
    fn assert_restores(&self, w: &World, what: &str) {
        let target = w.path(&format!("restored-{}", hex_now()));
        let id = self.snap["id"].as_str().unwrap();
        w.ok(&["restore", id, "--target", target.to_str().unwrap()]);
        let restored = target.join(self.src.strip_prefix("/").unwrap());
        assert_same_tree(&self.src, &restored);
        fs::remove_dir_all(&target).unwrap_or_else(|e| panic!("{what}: {e}"));
    }
}

/// A name part unique within a test run.
fn hex_now() -> String {
    format!(
        "{:x}",
        std::time::SystemTime::UNIX_EPOCH
            .elapsed()
            .unwrap()
            .as_nanos()
    )
}

/// Stored objects of a kind, without the hidden temporary files of unfinished puts.
fn stored(w: &World, kind: &str) -> Vec<PathBuf> {
    w.objects(kind)
        .into_iter()
        .filter(|p| !p.file_name().unwrap().to_string_lossy().starts_with('.'))
        .collect()
}

#[test]
fn prune_frees_space_and_every_remaining_snapshot_restores_bit_for_bit() {
    let w = World::new();
    let src = w.path("src");
    fs::create_dir_all(src.join("sub")).unwrap();
    fs::write(src.join("keep.bin"), noise(1_500_000, 1)).unwrap();
    let mut snaps = Vec::new();
    for gen in 0..4u64 {
        fs::write(src.join("sub/v.bin"), noise(2_500_000, 10 + gen)).unwrap();
        fs::write(
            src.join("note.txt"),
            format!("generation {gen}\n").repeat(500),
        )
        .unwrap();
        snaps.push(w.backup(&[src.to_str().unwrap()]));
        cp_a(&src, &w.path(&format!("copy{gen}")));
    }
    let before = data_bytes(&w);
    drop_snapshot(&w, &snaps[0]["id"]);
    drop_snapshot(&w, &snaps[2]["id"]);

    let r = prune(&w, &[]);
    assert!(r["packs_deleted"].as_u64().unwrap() > 0, "{r}");
    assert!(r["bytes_freed"].as_u64().unwrap() > 4_000_000, "{r}");
    assert_eq!(r["snapshots"], 2, "{r}");
    let after = data_bytes(&w);
    assert!(after + 4_000_000 < before, "data/ {before} -> {after}");
    assert_eq!(w.objects("locks").len(), 0, "prune left its lock");
    w.ok(&["check", "--read-data"]);
    for gen in [1usize, 3] {
        let target = w.path(&format!("restored{gen}"));
        let id = snaps[gen]["id"].as_str().unwrap();
        w.ok(&["restore", id, "--target", target.to_str().unwrap()]);
        let restored = target.join(src.strip_prefix("/").unwrap());
        assert_same_tree(&w.path(&format!("copy{gen}")), &restored);
    }

    // Nothing left to do: a second run changes nothing.
    let again = prune(&w, &[]);
    for k in ["packs_deleted", "packs_repacked", "index_files_replaced"] {
        assert_eq!(again[k], 0, "{k}: {again}");
    }

    // The cache must not vouch for blobs prune deleted: backing up generation 0 again
    // has to store its changed file anew.
    fs::write(src.join("sub/v.bin"), noise(2_500_000, 10)).unwrap();
    let snap = w.backup(&[src.to_str().unwrap()]);
    assert!(
        snap["stats"]["bytes_added"].as_u64().unwrap() >= 2_500_000,
        "{snap}"
    );
    w.ok(&["check", "--read-data"]);
    let target = w.path("restored-again");
    w.ok(&["restore", "latest", "--target", target.to_str().unwrap()]);
    assert_same_tree(&src, &target.join(src.strip_prefix("/").unwrap()));
}

#[test]
fn dry_run_changes_nothing_and_reports_what_it_would_free() {
    let w = World::new();
    let a = backup_stream(&w, "a.bin", &noise(3_000_000, 1));
    backup_stream(&w, "b.bin", &noise(2_000_000, 2));
    drop_snapshot(&w, &a["id"]);
    let before = w.listing();
    let r = prune(&w, &["--dry-run"]);
    assert_eq!(r["dry_run"], true);
    assert!(r["bytes_freed"].as_u64().unwrap() > 2_900_000, "{r}");
    assert!(r["packs_deleted"].as_u64().unwrap() > 0, "{r}");
    assert!(w.listing() == before, "dry run changed the repository");
    let human = w.run(&["prune", "--dry-run"]);
    common::assert_ok(&human, "prune --dry-run");
    let err = String::from_utf8_lossy(&human.stderr);
    assert!(
        err.contains("would delete") && err.contains("nothing changed"),
        "{err}"
    );
    assert!(w.listing() == before, "dry run changed the repository");
}

#[test]
fn half_used_packs_are_repacked_above_the_threshold_only() {
    let w = World::new();
    let kept = half_used_packs(&w);

    let r = prune(&w, &["--max-unused", "80%"]);
    assert_eq!(r["packs_repacked"], 0, "{r}");
    let r = prune(&w, &["--max-unused", "unlimited"]);
    assert_eq!(r["packs_repacked"], 0, "{r}");
    let before = data_bytes(&w);

    let dry = prune(&w, &["--dry-run"]);
    assert!(dry["packs_repacked"].as_u64().unwrap() >= 1, "{dry}");
    let r = prune(&w, &[]);
    assert!(r["packs_repacked"].as_u64().unwrap() >= 1, "{r}");
    assert!(r["packs_written"].as_u64().unwrap() >= 1, "{r}");
    assert_eq!(r["index_files_written"], 1, "{r}");
    assert_eq!(w.objects("index").len(), 1);
    let after = data_bytes(&w);
    assert!(after + 2_000_000 < before, "data/ {before} -> {after}");
    w.ok(&["check", "--read-data"]);
    kept.assert_restores(&w, "after repack");

    // A size limit below every pack's size repacks nothing.
    let w = World::new();
    half_used_packs(&w);
    let r = prune(&w, &["--max-repack-size", "1K"]);
    assert_eq!(r["packs_repacked"], 0, "{r}");
    w.fails(&["prune", "--max-unused", "150%"], 2);
    w.fails(&["prune", "--max-repack-size", "5X"], 2);
}

#[test]
fn a_crash_at_any_step_of_prune_leaves_a_valid_repository() {
    // Each fault stops prune at one step: writing new packs, writing the index,
    // deleting old index files, deleting old packs.
    for fault in [
        "put@data/:1:permanent",
        "put@index/:1:permanent",
        "delete@index/:1:permanent",
        "delete@data/:2:permanent",
    ] {
        let w = World::new();
        let kept = half_used_packs(&w);
        let out = w
            .cmd()
            .env("CAIRN_TEST_FAULTS", fault)
            .arg("prune")
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{fault}: prune should fail");
        w.ok(&["check", "--read-data"]);
        kept.assert_restores(&w, fault);
        let r = prune(&w, &[]);
        assert!(r["packs_deleted"].as_u64().unwrap() >= 1, "{fault}: {r}");
        w.ok(&["check", "--read-data"]);
        kept.assert_restores(&w, fault);
        let again = prune(&w, &[]);
        assert_eq!(
            again["packs_deleted"], 0,
            "{fault}: did not converge: {again}"
        );
        assert_eq!(
            again["packs_repacked"], 0,
            "{fault}: did not converge: {again}"
        );
    }
}

#[test]
fn leftovers_of_a_killed_backup_are_removed() {
    let w = World::new();
    let src = w.path("src");
    fs::create_dir_all(&src).unwrap();
    fs::write(src.join("f"), noise(2_000_000, 3)).unwrap();
    w.backup(&[src.to_str().unwrap()]);
    let packs_before = stored(&w, "data");

    let gen = w.path("slow.sh");
    fs::write(
        &gen,
        "i=0; while [ $i -lt 400 ]; do head -c 1048576 /dev/urandom; sleep 0.02; i=$((i+1)); done\n",
    )
    .unwrap();
    let mut child = backup_from(&w, "big.dump", &format!("sh {}", gen.display()));
    wait_for(&mut child, "two packs", || {
        stored(&w, "data").len() >= packs_before.len() + 2
    });
    child.kill().unwrap();
    child.wait().unwrap();

    let out = w.cmd().args(["--json", "prune"]).output().unwrap();
    common::assert_ok(&out, "prune");
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("ignoring stale") && err.contains("no longer runs"),
        "{err}"
    );
    assert!(r["packs_unindexed"].as_u64().unwrap() >= 2, "{r}");
    assert!(r["packs_deleted"].as_u64().unwrap() >= 2, "{r}");
    assert_eq!(stored(&w, "data"), packs_before);
    w.ok(&["check", "--read-data"]);
}

#[test]
fn backup_during_prune_fails_cleanly_or_waits_and_prune_waits_for_a_running_backup() {
    let w = World::new();
    let kept = half_used_packs(&w);

    // Prune slowed down while it holds the exclusive lock: a backup must fail at once,
    // naming it, and leave nothing behind.
    let mut pruner = w
        .cmd()
        .env("CAIRN_TEST_FAULTS", "list@snapshots/:*:delay=3000")
        .args(["prune"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_for(&mut pruner, "prune's lock", || {
        !stored(&w, "locks").is_empty()
    });
    // Past its own lock check, into the slowed listing of snapshots.
    std::thread::sleep(Duration::from_millis(500));
    let other = w.path("other");
    fs::create_dir_all(&other).unwrap();
    fs::write(other.join("f"), b"during prune").unwrap();
    // With --wait-lock the backup waits for the prune instead, then completes.
    let waiting = w
        .cmd()
        .args([
            "--json",
            "backup",
            "--wait-lock",
            "60s",
            other.to_str().unwrap(),
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    let err = w.fails(&["backup", other.to_str().unwrap()], 1);
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "backup did not fail fast"
    );
    assert!(
        err.contains("is locked: exclusive lock held by `cairn prune`") && err.lines().count() == 1,
        "{err}"
    );
    let out = pruner.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let waited = waiting.wait_with_output().unwrap();
    let waited_err = String::from_utf8_lossy(&waited.stderr);
    assert!(waited.status.success(), "{waited_err}");
    assert!(waited_err.contains("waiting up to 60s"), "{waited_err}");
    let waited: Value = serde_json::from_slice(&waited.stdout).unwrap();
    assert_eq!(w.snapshots().len(), 2);
    w.ok(&["check", "--read-data"]);
    w.ok(&["forget", waited["id"].as_str().unwrap()]);

    // A running backup holds a shared lock: prune refuses, or waits with --wait-lock,
    // and the backup's snapshot is complete after both.
    let gen = w.path("slow.sh");
    fs::write(&gen, "sleep 3; head -c 2000000 /dev/zero | tr '\\0' 'x'\n").unwrap();
    let mut backup = backup_from(&w, "late.bin", &format!("sh {}", gen.display()));
    wait_for(&mut backup, "backup's lock", || {
        !stored(&w, "locks").is_empty()
    });
    let err = w.fails(&["prune"], 1);
    assert!(
        err.contains("is locked: shared lock held by `cairn backup`"),
        "{err}"
    );
    let r = prune(&w, &["--wait-lock", "60s"]);
    let out = backup.wait_with_output().unwrap();
    common::assert_ok(&out, "backup");
    assert_eq!(r["snapshots"], 2, "prune did not wait for the backup: {r}");
    let late: Value = serde_json::from_slice(&out.stdout).unwrap();
    w.ok(&["check", "--read-data"]);
    assert!(dump(&w, &late, "late.bin") == vec![b'x'; 2_000_000]);
    kept.assert_restores(&w, "after the concurrent backup");
}

#[test]
fn stale_lock_of_a_killed_backup_is_reported_and_removed_by_unlock() {
    let w = World::new();
    backup_stream(&w, "a.bin", &noise(100_000, 1));
    let mut child = backup_from(&w, "slow", "sleep 30");
    wait_for(&mut child, "the backup's lock", || {
        stored(&w, "locks").len() == 1
    });
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(stored(&w, "locks").len(), 1);

    let out = w.run(&["prune", "--dry-run"]);
    common::assert_ok(&out, "prune --dry-run");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("ignoring stale shared lock held by `cairn backup`")
            && err.contains(&format!("process {} no longer runs", child.id()))
            && err.contains("cairn unlock"),
        "{err}"
    );
    let out = w.ok(&["unlock"]);
    assert!(out.contains("removed locks/"), "{out}");
    assert!(w.objects("locks").is_empty());
    let out = w.run(&["prune"]);
    common::assert_ok(&out, "prune");
    assert!(!String::from_utf8_lossy(&out.stderr).contains("stale"));
    w.ok(&["check"]);
}

/// Prune stops in one line, naming blobs in use without a stored copy, and changes
/// nothing in the repository.
fn refuses_over_missing_blobs(w: &World) {
    let before = w.listing();
    let err = w.fails(&["prune"], 1);
    assert!(
        err.starts_with("cairn prune: refusing to prune, nothing deleted:")
            && err.contains("have no stored copy in any index")
            && err.lines().count() == 1,
        "{err}"
    );
    assert!(w.listing() == before, "prune changed the repository");
}

#[test]
fn prune_refuses_and_deletes_nothing_when_a_used_blob_is_not_indexed() {
    let w = World::new();
    backup_stream(&w, "a.bin", &noise(1_000_000, 1));
    let first_index = w.objects("index");
    backup_stream(&w, "b.bin", &noise(1_000_000, 2));
    let lost: Vec<_> = w
        .objects("index")
        .into_iter()
        .filter(|p| !first_index.contains(p))
        .collect();
    assert!(!lost.is_empty());
    for p in &lost {
        fs::remove_file(p).unwrap();
    }
    refuses_over_missing_blobs(&w);

    // A manifest that does not verify also stops it: its blobs are unknown.
    let w = World::new();
    let a = backup_stream(&w, "a.bin", &noise(100_000, 1));
    let b = backup_stream(&w, "b.bin", &noise(100_000, 2));
    drop_snapshot(&w, &a["id"]);
    let manifest = w.repo.join("snapshots").join(b["id"].as_str().unwrap());
    let mut bytes = fs::read(&manifest).unwrap();
    let n = bytes.len();
    bytes[n / 2] ^= 1;
    fs::write(&manifest, bytes).unwrap();
    let before = w.listing();
    let err = w.fails(&["prune"], 1);
    assert!(err.contains("refusing to prune, nothing deleted"), "{err}");
    assert!(w.listing() == before, "prune changed the repository");
}

#[test]
fn backup_that_opened_the_repository_before_a_prune_does_not_reuse_deleted_blobs() {
    let w = World::new();
    let data = noise(1_000_000, 5);
    let gone = backup_stream(&w, "x.bin", &data);
    drop_snapshot(&w, &gone["id"]);
    let file = w.path("x.bin");
    fs::write(&file, &data).unwrap();
    // The backup reads the index when it opens the repository, then takes its lock late:
    // in between, prune deletes the only copy of the blobs it is about to deduplicate.
    let mut late = w
        .cmd()
        .env("CAIRN_TEST_FAULTS", "put@locks/:1:delay=6000")
        .args(["--json", "backup", "--stdin-name", "x.bin", "--stdin-from"])
        .arg(format!("cat {}", file.display()))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(2000));
    // From another machine: with the same cache, prune's own cache update would hide
    // the problem.
    let out = w
        .cmd()
        .env("CAIRN_CACHE_DIR", w.path("other-cache"))
        .args(["--json", "prune"])
        .output()
        .unwrap();
    common::assert_ok(&out, "prune");
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(r["packs_deleted"].as_u64().unwrap() >= 1, "{r}");
    assert!(
        late.try_wait().unwrap().is_none(),
        "backup finished before prune"
    );
    let out = late.wait_with_output().unwrap();
    common::assert_ok(&out, "backup");
    let snap: Value = serde_json::from_slice(&out.stdout).unwrap();
    w.ok(&["check", "--read-data"]);
    assert!(dump(&w, &snap, "x.bin") == data, "restored stream differs");
}

/// `cairn --json ...` with another machine's cache directory, as JSON.
fn json_on(w: &World, cache: &Path, args: &[&str]) -> Value {
    let out = w
        .cmd()
        .env("CAIRN_CACHE_DIR", cache)
        .arg("--json")
        .args(args)
        .output()
        .unwrap();
    common::assert_ok(&out, &args.join(" "));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains("warning"), "{args:?}: {err}");
    serde_json::from_slice(&out.stdout).unwrap()
}

/// A small deterministic generator, so that a failure replays.
struct Steps(u64);

impl Steps {
    fn next(&mut self, below: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % below
    }
}

#[test]
fn the_ledger_agrees_with_a_count_from_scratch_through_backups_forgets_and_prunes_on_two_machines()
{
    let w = World::new();
    let src = w.path("src");
    fs::create_dir_all(src.join("sub")).unwrap();
    for i in 0..30u64 {
        fs::write(src.join(format!("f{i:02}")), noise(30_000, i)).unwrap();
    }
    // Two machines prune the same repository, each with its own cache and ledger: each
    // finds index files and packs the other replaced, and snapshots it never saw.
    let machines = [w.cache.clone(), w.path("cache-b")];
    let mut steps = Steps(17);
    let mut counted_by_ledger = 0;
    for step in 0..12u64 {
        for _ in 0..4 {
            let i = steps.next(30);
            let dir = if i.is_multiple_of(3) { "sub" } else { "" };
            fs::write(
                src.join(dir).join(format!("f{i:02}")),
                noise(10_000 + 5_000 * steps.next(8) as usize, 100 * step + i),
            )
            .unwrap();
        }
        if step % 4 == 2 {
            fs::remove_dir_all(src.join("sub")).unwrap();
            fs::create_dir_all(src.join("sub")).unwrap();
        }
        let m = &machines[steps.next(2) as usize];
        json_on(&w, m, &["backup", src.to_str().unwrap()]);
        // A dump series: its changed chunks are stored as deltas of the last day's,
        // which keep their bases alive after that day is forgotten.
        let day = common::dump_rows(20_000, |r| (r as u64 + step).is_multiple_of(311));
        w.ok_stdin(&["backup", "--stdin-name", "app.sql"], &day);
        let snaps = w.snapshots();
        if snaps.len() > 3 && steps.next(3) > 0 {
            let victim = &snaps[steps.next(snaps.len() as u64 - 1) as usize];
            w.ok(&["forget", victim["id"].as_str().unwrap()]);
        }
        let max_unused = ["0", "10%", "unlimited"][steps.next(3) as usize];
        // The machine that prunes changes every four steps. The other one's ledger
        // then counts snapshots whose trees are gone: it counts from scratch once and
        // builds its ledger again.
        let m = &machines[(step / 4 % 2) as usize];
        let done = json_on(&w, m, &["prune", "--max-unused", max_unused]);
        let how = done["counting"].as_str().unwrap();
        let fits = match step {
            0 | 4 => how == "ledger built",
            _ if step % 4 == 0 => {
                how.starts_with("ledger updated") || how == "counted from scratch, ledger discarded"
            }
            _ => how.starts_with("ledger updated"),
        };
        assert!(fits, "step {step}: {done}");
        counted_by_ledger += u64::from(how.starts_with("ledger updated"));
        // The same machine's ledger against a count from scratch: equal, or the
        // recount says so and this fails.
        let again = json_on(&w, m, &["prune", "-n", "--recount"]);
        let how = again["counting"].as_str().unwrap();
        assert!(
            how.ends_with("checked against a count from scratch"),
            "step {step}: {again}"
        );
        assert_eq!(
            (
                again["packs_deleted"].as_u64(),
                again["blobs_used"].as_u64()
            ),
            (Some(0), done["blobs_used"].as_u64()),
            "step {step}: {again}\n{done}"
        );
    }
    assert!(
        counted_by_ledger >= 6,
        "the ledger was brought up to date, not rebuilt"
    );
    w.ok(&["check", "--read-data"]);
    let latest = w
        .snapshots()
        .into_iter()
        .rev()
        .find(|s| s["paths"].to_string().contains("src"))
        .unwrap();
    let target = w.path("restored");
    w.ok(&[
        "restore",
        latest["id"].as_str().unwrap(),
        "--target",
        target.to_str().unwrap(),
    ]);
    assert_same_tree(&src, &target.join(src.strip_prefix("/").unwrap()));
}

#[test]
fn a_ledger_that_disagrees_with_the_repository_is_caught_by_the_recount_and_deletes_nothing() {
    let w = World::new();
    let half = half_used_packs(&w);
    prune(&w, &["--max-unused", "unlimited"]);
    // A ledger that forgot every blob in use (damage, or a bug): it alone would delete
    // every pack.
    let ledger = fs::read_dir(&w.cache)
        .unwrap()
        .map(|e| e.unwrap().path().join("prune-ledger.sqlite"))
        .find(|p| p.exists())
        .expect("prune keeps a ledger in the cache");
    let db = rusqlite::Connection::open(&ledger).unwrap();
    db.execute_batch(
        "DELETE FROM keep; DELETE FROM refs;
         UPDATE usage SET used_blobs = 0, used_bytes = 0, unused_bytes = used_bytes + unused_bytes;",
    )
    .unwrap();
    drop(db);
    let packs = stored(&w, "data").len();
    let believed = prune(&w, &["-n"]);
    assert_eq!(
        believed["packs_deleted"].as_u64(),
        Some(packs as u64),
        "{believed}"
    );

    let out = w.run(&["--json", "prune", "--recount"]);
    common::assert_ok(&out, "prune --recount");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("disagreed with a count from scratch"), "{err}");
    let done: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        done["counting"], "counted from scratch, ledger discarded",
        "{done}"
    );
    assert_eq!(done["packs_deleted"].as_u64(), Some(0), "{done}");
    w.ok(&["check", "--read-data"]);
    half.assert_restores(&w, "after the recount");
    // The next prune builds the ledger again, from storage.
    assert_eq!(prune(&w, &["-n"])["counting"], "ledger built");
}

#[test]
fn a_ledger_whose_forgotten_trees_another_machine_deleted_counts_from_scratch_once() {
    let w = World::new();
    let src = w.path("src");
    fs::create_dir_all(src.join("only-in-first")).unwrap();
    fs::write(src.join("only-in-first/a"), noise(50_000, 1)).unwrap();
    fs::write(src.join("b"), noise(50_000, 2)).unwrap();
    let first = w.backup(&[src.to_str().unwrap()]);
    fs::remove_dir_all(src.join("only-in-first")).unwrap();
    w.backup(&[src.to_str().unwrap()]);
    // Machine B counts both snapshots into its ledger.
    let b = w.path("cache-b");
    assert_eq!(
        json_on(&w, &b, &["prune", "-n"])["counting"],
        "ledger built"
    );
    // Machine A forgets the first snapshot and prunes: its trees are deleted.
    w.ok(&["forget", first["id"].as_str().unwrap()]);
    let a = prune(&w, &[]);
    assert!(a["packs_deleted"].as_u64().unwrap() > 0, "{a}");
    // B must read those trees to count the snapshot out: it says so in one line,
    // counts from scratch, deletes nothing more, and builds its ledger again next time.
    let out = w
        .cmd()
        .env("CAIRN_CACHE_DIR", &b)
        .args(["--json", "prune"])
        .output()
        .unwrap();
    common::assert_ok(&out, "prune on B");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("could not be brought up to date")
            && err.contains("the next prune builds it again"),
        "{err}"
    );
    let done: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        done["counting"], "counted from scratch, ledger discarded",
        "{done}"
    );
    assert_eq!(done["packs_deleted"].as_u64(), Some(0), "{done}");
    assert_eq!(
        json_on(&w, &b, &["prune", "-n"])["counting"],
        "ledger built"
    );
    assert!(json_on(&w, &b, &["prune", "-n"])["counting"]
        .as_str()
        .unwrap()
        .starts_with("ledger updated"));
    w.ok(&["check", "--read-data"]);
}

#[test]
fn a_ledger_built_over_a_snapshot_whose_data_no_index_lists_refuses_to_prune() {
    let w = World::new();
    let src = w.path("src");
    fs::create_dir_all(&src).unwrap();
    fs::write(src.join("x"), noise(200_000, 1)).unwrap();
    let first = w.backup(&[src.to_str().unwrap()]);
    let first_index = w.objects("index");
    // The second snapshot's trees are new (its directory gained a file); its old file's
    // data is listed only by the first backup's index object, which then goes.
    fs::write(src.join("y"), noise(200_000, 2)).unwrap();
    w.backup(&[src.to_str().unwrap()]);
    drop_snapshot(&w, &first["id"]);
    for p in &first_index {
        fs::remove_file(p).unwrap();
    }
    refuses_over_missing_blobs(&w);
}
