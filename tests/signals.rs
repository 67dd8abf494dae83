//! Signals and exit codes through the built binary: SIGTERM, SIGINT and SIGHUP stop a
//! backup or a `cairn run` cleanly (hooks, pings, textfile, no lock left, one line,
//! 128 + the signal's number), a second signal ends the process at once, and command
//! lines that parse but make no sense exit 2.

mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::profiles::{cmd, write_profile};
use common::receiver::Receiver;
use common::{small_tree, World};

/// Longest a step may take before the test calls it hung (a bound, not a measurement).
const HANG: Duration = Duration::from_secs(60);

/// A source that announces itself (its pid in `pidfile`), sends 20 MB of incompressible
/// data at once (two 8 MiB packs' worth), then trickles for about a minute: the backup is
/// always still running when the signal comes.
fn slow_source(pidfile: &Path) -> String {
    format!(
        "echo $$ > {}\nhead -c 20000000 /dev/urandom\ni=0; while [ $i -lt 600 ]; do head -c 262144 /dev/urandom; sleep 0.1; i=$((i+1)); done\n",
        pidfile.display()
    )
}

fn kill(pid: u32, sig: &str) {
    let ok = Command::new("kill")
        .args(["-s", sig, &pid.to_string()])
        .status()
        .unwrap()
        .success();
    assert!(ok, "kill -s {sig} {pid}");
}

/// Waits for `cond` while `child` runs.
fn wait_for(what: &str, child: &mut Child, cond: impl Fn() -> bool) {
    let start = Instant::now();
    while !cond() {
        assert!(start.elapsed() < HANG, "{what}: not within {HANG:?}");
        if let Some(status) = child.try_wait().unwrap() {
            let out = child.stderr.take().map(std::io::read_to_string);
            panic!("{what}: cairn ended first ({status}): {out:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The child's output once it has ended; a child still running after `HANG` is killed
/// and fails the test.
fn finished(mut child: Child) -> Output {
    let start = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if start.elapsed() > HANG {
            let _ = child.kill();
            panic!("cairn did not stop within {HANG:?} of the signal");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn read_pid(p: &Path) -> u32 {
    fs::read_to_string(p).unwrap().trim().parse().unwrap()
}

/// Whether the process whose pid `pidfile` holds ends. The source script is a grandchild
/// of cairn (under `sh -c`), so it is reaped by init, a moment after cairn has stopped
/// it; until then it is a zombie.
fn ends(pidfile: &Path) -> bool {
    let stat = format!("/proc/{}/stat", read_pid(pidfile));
    let start = Instant::now();
    while start.elapsed() < HANG {
        match fs::read_to_string(&stat) {
            Err(_) => return true,
            Ok(s) if s.rsplit(')').next().unwrap().trim_start().starts_with('Z') => return true,
            Ok(_) => std::thread::sleep(Duration::from_millis(20)),
        }
    }
    false
}

fn lock_objects(w: &World) -> Vec<PathBuf> {
    w.stored("locks")
}

/// The profile's local lock is free: `flock -n` takes it at once.
fn local_lock_free(w: &World, profile: &str) -> bool {
    let path = w.cache.join("run").join(format!("{profile}.lock"));
    Command::new("flock")
        .arg("-n")
        .arg(&path)
        .arg("true")
        .status()
        .unwrap()
        .success()
}

/// Writes profiles/NAME.toml and returns `cairn run NAME` with both outputs piped.
fn profile_run(w: &World, name: &str, body: &str) -> Command {
    write_profile(w, name, body);
    let mut c = cmd(w, &["run", name]);
    c.stdout(Stdio::piped()).stderr(Stdio::piped());
    c
}

/// Hooks that log to `log` and print nothing, so cairn's own lines are all of stderr.
fn quiet_hooks(log: &Path, before: &str, after: &str) -> String {
    let l = log.display();
    format!(
        "[hooks]\nbefore = \"{before}echo before >> {l}\"\nafter = \"{after}echo after $CAIRN_RESULT >> {l}\"\non_failure = \"echo on_failure $CAIRN_RESULT $CAIRN_ERROR >> {l}\"\n"
    )
}

#[test]
fn sigterm_during_a_run_restarts_the_service_reports_and_leaves_no_lock() {
    let w = World::new();
    let log = w.path("hooks.log");
    let prom = w.path("cairn.prom");
    let pidfile = w.path("source.pid");
    let rx = Receiver::start();
    fs::write(w.path("slow.sh"), slow_source(&pidfile)).unwrap();
    let mut run = profile_run(
        &w,
        "app",
        &format!(
            "[source]\ncommand = \"sh {}\"\nstdin_name = \"app.dump\"\n{}{}",
            w.path("slow.sh").display(),
            quiet_hooks(&log, "", ""),
            rx.notify_section(&prom)
        ),
    )
    .spawn()
    .unwrap();
    wait_for("backup under way", &mut run, || {
        pidfile.exists() && !lock_objects(&w).is_empty()
    });
    kill(run.id(), "TERM");
    let out = finished(run);
    let err = stderr(&out);

    assert_eq!(out.status.code(), Some(143), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with("cairn run: profile=app result=interrupted ")
            && err.contains("error=\"interrupted by SIGTERM\""),
        "{err}"
    );
    assert_eq!(
        fs::read_to_string(&log).unwrap(),
        "before\nafter interrupted\non_failure interrupted interrupted by SIGTERM\n"
    );
    assert!(rx.body("/fail").contains("interrupted by SIGTERM"));
    assert!(!rx.paths().contains(&"/success".to_string()));
    assert!(fs::read_to_string(&prom)
        .unwrap()
        .contains("cairn_last_run_success{profile=\"app\"} 0"));
    assert!(lock_objects(&w).is_empty(), "{:?}", lock_objects(&w));
    assert!(local_lock_free(&w, "app"));
    assert!(ends(&pidfile), "the source command still runs");
    assert!(w.snapshots().is_empty());
    // The next command finds no stale lock to warn about, and a sound repository.
    let check = w.run(&["check"]);
    assert!(check.status.success(), "{}", stderr(&check));
    assert!(!stderr(&check).contains("lock"), "{}", stderr(&check));
}

/// Interrupts a stream backup with `sig` once it has stored `packs` packs: it must exit
/// `code`, say so in one line, leave no lock and no snapshot, and have stopped its
/// source command.
fn interrupt_backup(w: &World, sig: &str, code: i32, packs: usize) {
    let pidfile = w.path("source.pid");
    let _ = fs::remove_file(&pidfile);
    let mut backup = w
        .stream_backup(&slow_source(&pidfile))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_for("backup under way", &mut backup, || {
        pidfile.exists() && !lock_objects(w).is_empty() && w.stored("data").len() >= packs
    });
    kill(backup.id(), sig);
    let out = finished(backup);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(code), "{err}");
    assert_eq!(err, format!("cairn backup: interrupted by SIG{sig}\n"));
    assert!(lock_objects(w).is_empty(), "{:?}", lock_objects(w));
    assert!(ends(&pidfile), "the source command still runs");
    assert!(w.snapshots().is_empty());
}

#[test]
fn sigint_on_a_backup_removes_its_lock_and_stops_its_source() {
    let w = World::new();
    interrupt_backup(&w, "INT", 130, 2);
    // The packs it stored are indexed, so the next backup need not upload them again.
    assert!(!w.stored("index").is_empty());
    let plan = w.json(&["prune", "--dry-run"]);
    assert_eq!(plan["packs_unindexed"], 0, "{plan}");
    // No stale-lock warning on the next backup.
    let src = small_tree(&w, 1);
    let next = w.run(&["backup", src.to_str().unwrap()]);
    assert!(next.status.success(), "{}", stderr(&next));
    assert!(!stderr(&next).contains("lock"), "{}", stderr(&next));
    w.ok(&["check"]);
}

#[test]
fn sighup_on_a_backup_exits_129() {
    interrupt_backup(&World::new(), "HUP", 129, 0);
}

#[test]
fn a_signal_during_the_before_hook_stops_it_and_still_runs_after() {
    let w = World::new();
    let log = w.path("hooks.log");
    let src = small_tree(&w, 1);
    let started = w.path("before.started");
    let mut run = profile_run(
        &w,
        "app",
        &format!(
            "[source]\npaths = [\"{}\"]\n{}",
            src.display(),
            quiet_hooks(
                &log,
                &format!("touch {}; sleep 60; ", started.display()),
                ""
            )
        ),
    )
    .spawn()
    .unwrap();
    wait_for("before hook running", &mut run, || started.exists());
    kill(run.id(), "TERM");
    let out = finished(run);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(143), "{err}");
    assert!(err.contains("result=interrupted"), "{err}");
    // `before` never got to log: it was stopped in its sleep.
    assert_eq!(
        fs::read_to_string(&log).unwrap(),
        "after interrupted\non_failure interrupted interrupted by SIGTERM\n"
    );
    assert!(w.snapshots().is_empty());
}

#[test]
fn a_second_signal_ends_the_process_at_once() {
    let w = World::new();
    let log = w.path("hooks.log");
    let pidfile = w.path("source.pid");
    let after_pid = w.path("after.pid");
    let after_done = w.path("after.done");
    fs::write(w.path("slow.sh"), slow_source(&pidfile)).unwrap();
    let mut run = profile_run(
        &w,
        "app",
        &format!(
            "[source]\ncommand = \"sh {}\"\nstdin_name = \"app.dump\"\n{}",
            w.path("slow.sh").display(),
            quiet_hooks(
                &log,
                "",
                &format!(
                    "echo $$ > {}; sleep 60; touch {}; ",
                    after_pid.display(),
                    after_done.display()
                )
            ),
        ),
    )
    .spawn()
    .unwrap();
    wait_for("backup under way", &mut run, || {
        pidfile.exists() && !lock_objects(&w).is_empty()
    });
    kill(run.id(), "TERM");
    // The first signal's cleanup is now waiting for the slow `after` hook.
    wait_for("after hook running", &mut run, || {
        fs::read_to_string(&after_pid).is_ok_and(|s| s.ends_with('\n'))
    });
    kill(run.id(), "INT");
    let out = finished(run);
    let hook = read_pid(&after_pid);
    assert_eq!(out.status.code(), Some(130), "{}", stderr(&out));
    assert!(!after_done.exists(), "cairn waited for the after hook");
    // The backup's lock went with the backup, before the hooks.
    assert!(lock_objects(&w).is_empty());
    // The hook leads its own process group and outlives cairn; end it.
    let _ = Command::new("kill")
        .args(["-s", "TERM", "--", &format!("-{hook}")])
        .status();
}

#[test]
fn usage_errors_found_after_parsing_exit_2() {
    let w = World::new();
    let src = small_tree(&w, 1);
    let id = w.backup(&[src.to_str().unwrap()])["id"]
        .as_str()
        .unwrap()
        .to_string();
    let s = src.to_str().unwrap();
    for (args, says) in [
        (vec!["forget", "--keep-last", "3", &id[..8]], "not both"),
        (vec!["backup", s, "--stdin-name", "x"], "not both"),
        (vec!["check", "--read-data-subset", "10"], "N% or n/m"),
        (vec!["backup", "--time", "yesterday", s], "--time"),
        (vec!["backup"], "nothing to back up"),
        (vec!["forget"], "no keep policy"),
        (vec!["prune", "--max-unused", "lots"], "--max-unused"),
        (vec!["ls", "not-an-id"], "not a snapshot id"),
    ] {
        let err = w.fails(&args, 2);
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
        assert!(err.contains(says), "{args:?}: {err}");
    }
    let err = w.fails(&["backup", s, "--stdin-name", "x"], 2);
    assert!(err.starts_with("cairn backup: "), "{err}");
    let no_repo = w.cmd().env_remove("CAIRN_REPO").arg("snapshots").output();
    assert_eq!(no_repo.unwrap().status.code(), Some(2));
    // Errors that are not about the command line keep exit code 1.
    w.fails(&["backup", "/nonexistent/path"], 1);
    assert_eq!(w.snapshots().len(), 1);
}

#[test]
fn an_interrupted_prune_leaves_a_sound_repository_and_the_next_one_finishes() {
    let w = World::new();
    // Half of every pack unused, so prune repacks: new packs, a merged index, then
    // deletions.
    let src = w.path("src");
    fs::create_dir_all(&src).unwrap();
    for i in 0..60u64 {
        fs::write(src.join(format!("f{i:02}")), common::noise(100_000, i)).unwrap();
    }
    let first = w.backup(&[src.to_str().unwrap()]);
    for i in (1..60).step_by(2) {
        fs::remove_file(src.join(format!("f{i:02}"))).unwrap();
    }
    w.backup(&[src.to_str().unwrap()]);
    w.ok(&["forget", first["id"].as_str().unwrap()]);
    let packs = w.stored("data").len();

    // Writing the merged index is held up, so the signal comes after the new packs
    // are stored and before anything is deleted.
    let mut prune = w
        .cmd()
        .args(["prune", "--max-unused", "0%"])
        .env("CAIRN_TEST_FAULTS", "put@index/:1:delay=5000")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_for("repacked packs stored", &mut prune, || {
        w.stored("data").len() > packs
    });
    kill(prune.id(), "TERM");
    let out = finished(prune);
    assert_eq!(out.status.code(), Some(143), "{}", stderr(&out));
    assert_eq!(stderr(&out), "cairn prune: interrupted by SIGTERM\n");
    assert!(lock_objects(&w).is_empty());

    w.ok(&["check", "--read-data"]);
    let restored = w.path("restored");
    w.ok(&["restore", "latest", "--target", restored.to_str().unwrap()]);
    common::assert_same_tree(&src, &restored.join(src.strip_prefix("/").unwrap()));
    let r = w.json(&["prune", "--max-unused", "0%"]);
    assert!(r["packs_deleted"].as_u64().unwrap() >= 1, "{r}");
    w.ok(&["check", "--read-data"]);
}
