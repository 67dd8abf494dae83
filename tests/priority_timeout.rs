//! `nice`/`ionice` (profile keys and the global `--nice`/`--ionice`) and the `timeout` of
//! hooks and source commands, through the built binary. What a child runs at is read
//! by the child itself: field 19 of `/proc/self/stat` and util-linux's `ionice -p $$`.

mod common;

use std::fs;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use common::profiles::{cmd, write_profile};
use common::receiver::Receiver;
use common::{error_line, is_root, run_as_nobody, small_tree, World};

fn run(w: &World, args: &[&str]) -> Output {
    cmd(w, args).output().unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A shell line printing the nice value and I/O priority of the shell running it.
const RECORD: &str =
    r#"read -r s < /proc/self/stat; set -- $s; echo "nice=${19} io=$(ionice -p $$)""#;

/// What RECORD prints for a shell started by this test, outside cairn.
fn own_priority() -> String {
    let out = Command::new("sh").arg("-c").arg(RECORD).output().unwrap();
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn profile_nice_and_ionice_reach_hooks_and_the_source_command() {
    let w = World::new();
    let log = w.path("hook.log");
    write_profile(
        &w,
        "db",
        &format!(
            "nice = 17\nionice = \"best-effort:6\"\n[source]\ncommand = '{RECORD}'\n\
             stdin_name = \"prio.txt\"\n[hooks]\nbefore = '{RECORD} >> {}'\n",
            log.display()
        ),
    );
    let out = run(&w, &["run", "db"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let want = "nice=17 io=best-effort: prio 6\n";
    assert_eq!(fs::read_to_string(&log).unwrap(), want);
    assert_eq!(w.ok(&["dump", "latest", "prio.txt"]), want);
}

#[test]
fn flags_win_over_the_profile() {
    let w = World::new();
    let log = w.path("hook.log");
    let src = small_tree(&w, 1);
    write_profile(
        &w,
        "app",
        &format!(
            "nice = 5\nionice = \"best-effort:2\"\n[source]\npaths = [\"{}\"]\n\
             [hooks]\nbefore = '{RECORD} >> {}'\n",
            src.display(),
            log.display()
        ),
    );
    let out = run(&w, &["run", "app", "--nice", "19", "--ionice", "idle"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(fs::read_to_string(&log).unwrap(), "nice=19 io=idle\n");
    // One flag leaves the profile's other setting in force.
    let out = run(&w, &["--ionice", "best-effort:7", "run", "app"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        fs::read_to_string(&log).unwrap().lines().nth(1),
        Some("nice=5 io=best-effort: prio 7")
    );
}

#[test]
fn backup_takes_the_flags_for_itself_and_every_thread() {
    let w = World::new();
    // The command reads cairn's own threads ($PPID is cairn) as well as itself.
    let script = w.path("prio.sh");
    fs::write(
        &script,
        format!(
            "{RECORD}\nfor t in /proc/$PPID/task/*/stat; do read -r s < $t; set -- $s; \
             echo \"cairn thread nice=${{19}}\"; done | sort -u\n\
             echo \"cairn io=$(ionice -p $PPID)\"\n"
        ),
    )
    .unwrap();
    w.ok(&[
        "backup",
        "--nice",
        "12",
        "--ionice",
        "best-effort:3",
        "--stdin-name",
        "prio.txt",
        "--stdin-from",
        &format!("sh {}", script.display()),
    ]);
    assert_eq!(
        w.ok(&["dump", "latest", "prio.txt"]),
        "nice=12 io=best-effort: prio 3\ncairn thread nice=12\ncairn io=best-effort: prio 3\n"
    );
    // The global flags parse for the other commands that do long work too.
    let to = w.path("restored");
    let to = to.to_str().unwrap();
    w.ok(&[
        "restore", "latest", "--nice", "19", "--ionice", "idle", "--target", to,
    ]);
    assert_eq!(
        fs::read_to_string(w.path("restored/prio.txt")).unwrap(),
        w.ok(&["dump", "latest", "prio.txt"])
    );
}

#[test]
fn bad_values_are_refused_with_one_line_naming_the_key() {
    let w = World::new();
    for (body, want) in [
        ("nice = 25", "line 3: nice: 25 is out of range"),
        (
            "nice = \"low\"",
            "line 3: nice: \"low\" is not a whole number",
        ),
        (
            "ionice = \"fastest\"",
            "line 3: ionice: \"fastest\" is not an I/O priority",
        ),
        (
            "ionice = \"best-effort:8\"",
            "line 3: ionice: \"best-effort:8\" is not an I/O priority",
        ),
    ] {
        write_profile(
            &w,
            "app",
            &format!("{body}\n[source]\npaths = [\"/etc\"]\n"),
        );
        let line = error_line(&run(&w, &["run", "app"]), body);
        // The summary quotes the error as a string, inner quotes escaped.
        assert!(line.contains(&want.replace('"', "\\\"")), "{body}: {line}");
    }
    for (args, want) in [
        (["--nice", "40"], "invalid value '40' for '--nice <N>'"),
        (["--nice", "-21"], "invalid value '-21' for '--nice <N>'"),
        (
            ["--ionice", "idle:3"],
            "invalid value 'idle:3' for '--ionice <CLASS[:LEVEL]>'",
        ),
    ] {
        let out = w.run(&["snapshots", args[0], args[1]]);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert!(stderr(&out).contains(want), "{args:?}: {}", stderr(&out));
    }
}

/// Runs cairn where it may not raise its priority: as `nobody` when the tests run as root.
fn unprivileged(w: &World, args: &[&str]) -> Output {
    if is_root() {
        run_as_nobody(w, args)
    } else {
        w.run(args)
    }
}

#[test]
fn raising_priority_without_permission_fails_with_one_line() {
    let w = World::new();
    for (flag, value, want) in [
        (
            "--nice",
            "-5",
            "cairn backup: nice -5: a higher priority than cairn runs at needs root or \
             CAP_SYS_NICE (Permission denied)",
        ),
        (
            "--ionice",
            "realtime:0",
            "cairn backup: ionice realtime:0: the realtime class needs root or \
             CAP_SYS_NICE (Operation not permitted)",
        ),
    ] {
        let out = unprivileged(
            &w,
            &[
                "backup",
                flag,
                value,
                "--stdin-name",
                "x",
                "--stdin-from",
                "echo x",
            ],
        );
        assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
        assert_eq!(stderr(&out), format!("{want}\n"));
    }
    assert!(w.snapshots().is_empty());

    // From a profile, it is a failed run: on_failure runs, the summary names the key.
    let log = w.path("hook.log");
    let src = small_tree(&w, 2);
    let profile = write_profile(
        &w,
        "app",
        &format!(
            "nice = -5\n[source]\npaths = [\"{}\"]\n[hooks]\non_failure = 'echo \"$CAIRN_ERROR\" >> {}'\n",
            src.display(),
            log.display()
        ),
    );
    let out = unprivileged(&w, &["run", profile.to_str().unwrap()]);
    let line = error_line(&out, "cairn run");
    assert!(
        line.contains("result=failure") && line.contains("error=\"nice -5: a higher priority"),
        "{line}"
    );
    assert!(fs::read_to_string(&log).unwrap().starts_with("nice -5: "));
    assert!(w.snapshots().is_empty());
}

#[test]
fn a_profile_without_priority_runs_as_cairn_started_after_one_with_it() {
    let w = World::new();
    let src = small_tree(&w, 3);
    let log = w.path("hook.log");
    let hook = format!("[hooks]\nbefore = '{RECORD} >> {}'\n", log.display());
    let paths = format!("[source]\npaths = [\"{}\"]\n", src.display());
    write_profile(
        &w,
        "a",
        &format!("nice = 15\nionice = \"idle\"\n{paths}{hook}"),
    );
    write_profile(&w, "b", &format!("{paths}{hook}"));
    let out = run(&w, &["run", "a", "b"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let lines = fs::read_to_string(&log).unwrap();
    let lines: Vec<&str> = lines.lines().collect();
    assert_eq!(lines[0], "nice=15 io=idle");
    if is_root() {
        assert_eq!(format!("{}\n", lines[1]), own_priority());
    } else {
        // An unprivileged process cannot take back the priority it gave away.
        assert!(
            stderr(&out).contains("cannot return to nice"),
            "{}",
            stderr(&out)
        );
    }
}

#[test]
fn hook_past_its_timeout_is_stopped_with_its_group_and_fails_the_run() {
    let w = World::new();
    let src = small_tree(&w, 4);
    let log = w.path("hook.log");
    let pid = w.path("sleep.pid");
    let rx = Receiver::start();
    write_profile(
        &w,
        "app",
        &format!(
            "[source]\npaths = [\"{}\"]\n[hooks]\ntimeout = \"1s\"\n\
             before = 'sleep 60 & echo $! > {}; wait'\n\
             on_failure = 'echo \"on_failure $CAIRN_RESULT\" >> {}'\n{}",
            src.display(),
            pid.display(),
            log.display(),
            rx.notify_section(&w.path("cairn.prom"))
        ),
    );
    let started = Instant::now();
    let out = run(&w, &["run", "app"]);
    let took = started.elapsed();
    let line = error_line(&out, "cairn run");
    assert!(took < Duration::from_secs(20), "took {took:?}");
    assert!(
        line.contains("error=\"hook before ran past its timeout of 1s and was stopped\""),
        "{line}"
    );
    assert!(w.snapshots().is_empty());
    assert_eq!(fs::read_to_string(&log).unwrap(), "on_failure failure\n");
    assert!(rx
        .body("/fail")
        .contains("hook before ran past its timeout of 1s"));
    // The shell's own child went with it: the whole process group was stopped.
    let pid = fs::read_to_string(&pid).unwrap();
    let stat = fs::read_to_string(format!("/proc/{}/stat", pid.trim())).unwrap_or_default();
    assert!(
        stat.is_empty() || stat.contains(") Z "),
        "sleep {} still runs: {stat}",
        pid.trim()
    );
}

#[test]
fn source_command_past_its_timeout_writes_no_snapshot() {
    let w = World::new();
    let log = w.path("hook.log");
    let rx = Receiver::start();
    write_profile(
        &w,
        "db",
        &format!(
            "[source]\ncommand = \"sh -c 'echo partial dump; sleep 60'\"\nstdin_name = \"db.dump\"\n\
             timeout = \"2s\"\n[hooks]\n\
             after = 'echo \"after $CAIRN_RESULT\" >> {l}'\n\
             on_failure = 'echo \"on_failure $CAIRN_RESULT\" >> {l}'\n{}",
            rx.notify_section(&w.path("cairn.prom")),
            l = log.display(),
        ),
    );
    let started = Instant::now();
    let out = run(&w, &["run", "db"]);
    assert!(started.elapsed() < Duration::from_secs(20));
    let line = error_line(&out, "cairn run");
    assert!(
        line.contains("command `sh` ran past its timeout of 2s and was stopped"),
        "{line}"
    );
    assert!(w.snapshots().is_empty());
    assert_eq!(
        fs::read_to_string(&log).unwrap(),
        "after failure\non_failure failure\n"
    );
    assert!(rx.body("/fail").contains("ran past its timeout of 2s"));
    assert!(!rx.paths().contains(&"/success".to_string()));
}

#[test]
fn a_hook_that_ignores_sigterm_is_killed_after_the_grace_period() {
    let w = World::new();
    let src = small_tree(&w, 5);
    write_profile(
        &w,
        "app",
        &format!(
            "[source]\npaths = [\"{}\"]\n[hooks]\ntimeout = \"1s\"\n\
             after = 'trap \"\" TERM; sleep 60 & wait; sleep 60'\n",
            src.display()
        ),
    );
    let started = Instant::now();
    let out = run(&w, &["run", "app"]);
    let took = started.elapsed();
    let line = error_line(&out, "cairn run");
    assert!(
        line.contains("error=\"hook after ran past its timeout of 1s and was stopped\""),
        "{line}"
    );
    // SIGTERM did nothing; SIGKILL came 10 s later.
    assert!(
        took >= Duration::from_secs(10) && took < Duration::from_secs(40),
        "took {took:?}"
    );
    // `after` runs after the backup: the snapshot is there, the run still failed.
    assert_eq!(w.snapshots().len(), 1);
}

/// cairn raises its own open-files limit (a deep walk holds a descriptor per level)
/// but gives its children, hooks and the source command alike, the limit it was
/// started with.
#[test]
fn children_get_the_open_files_limit_cairn_was_started_with() {
    let w = World::new();
    let log = w.path("limits.log");
    let record = format!("ulimit -Sn >> {}", log.display());
    write_profile(
        &w,
        "db",
        &format!(
            "[source]\ncommand = 'ulimit -Sn'\nstdin_name = \"limit.txt\"\n\
             [hooks]\nbefore = '{record}'\n"
        ),
    );
    let hard = Command::new("sh")
        .args(["-c", "ulimit -Hn"])
        .output()
        .unwrap();
    let hard = String::from_utf8(hard.stdout).unwrap();
    assert!(
        hard.trim() == "unlimited" || hard.trim().parse::<u64>().unwrap() > 512,
        "the hard limit ({}) leaves cairn nothing to raise: this test needs more than 512",
        hard.trim()
    );
    // cairn started with a soft limit of 512, through a shell that lowers it.
    let inner = cmd(&w, &["run", "db"]);
    let mut outer = Command::new("sh");
    outer
        .args(["-c", "ulimit -Sn 512 && exec \"$0\" \"$@\""])
        .arg(inner.get_program())
        .args(inner.get_args());
    for (k, v) in inner.get_envs() {
        match v {
            Some(v) => outer.env(k, v),
            None => outer.env_remove(k),
        };
    }
    let out = outer.output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(fs::read_to_string(&log).unwrap(), "512\n");
    assert_eq!(w.ok(&["dump", "latest", "limit.txt"]), "512\n");
}
