//! `cairn run` and `cairn profile` through the built binary: profiles in a temporary
//! config directory, hooks that append to a log file, and a small HTTP receiver on
//! loopback standing in for the webhook and healthcheck services.

mod common;

use std::fs;
use std::net::TcpListener;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Output;
use std::time::{Duration, Instant};

use common::profiles::{cmd, profiles, write_profile};
use common::receiver::Receiver;
use common::{small_tree, World};

fn run(w: &World, args: &[&str]) -> Output {
    cmd(w, args).output().unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn hooks(log: &Path) -> String {
    let l = log.display();
    format!(
        "[hooks]\nbefore = \"echo hello from before; echo before >> {l}\"\nafter = \"echo after $CAIRN_RESULT $CAIRN_SNAPSHOT >> {l}\"\non_failure = \"echo on_failure $CAIRN_RESULT >> {l}\"\n"
    )
}

#[test]
fn run_backs_up_runs_hooks_in_order_and_notifies() {
    let w = World::new();
    let src = small_tree(&w, 1);
    let log = w.path("hooks.log");
    let prom = w.path("cairn.prom");
    let rx = Receiver::start();
    write_profile(
        &w,
        "app",
        &format!(
            "tags = [\"nightly\"]\n[source]\npaths = [\"{}\"]\nexclude = [\"*.bin\"]\n{}{}",
            src.display(),
            hooks(&log),
            rx.notify_section(&prom)
        ),
    );
    let out = run(&w, &["run", "app"]);
    let err = stderr(&out);
    assert!(out.status.success(), "{err}");
    assert!(err.contains("[hook before] hello from before"), "{err}");
    assert!(
        err.contains("cairn run: profile=app result=success snapshot="),
        "{err}"
    );
    assert!(!err.contains("T0K3N"), "webhook token leaked: {err}");

    let snaps = w.snapshots();
    assert_eq!(snaps.len(), 1);
    assert_eq!(snaps[0]["profile"], "app");
    assert_eq!(snaps[0]["tags"][0], "nightly");
    let id = snaps[0]["id"].as_str().unwrap();
    let files = w.ok(&["ls", "latest"]);
    assert!(
        files.contains("a.txt") && !files.contains("b.bin"),
        "{files}"
    );

    assert_eq!(
        fs::read_to_string(&log).unwrap(),
        format!("before\nafter success {id}\n")
    );
    let paths = rx.paths();
    assert_eq!(paths, ["/start", "/success", "/hook/T0K3N"], "{paths:?}");
    let hook: serde_json::Value = serde_json::from_str(&rx.body("/hook/T0K3N")).unwrap();
    let text = hook["text"].as_str().unwrap();
    assert!(text.contains("app") && text.contains("succeeded"), "{text}");

    let metrics = fs::read_to_string(&prom).unwrap();
    for want in [
        "cairn_last_run_success{profile=\"app\"} 1",
        "cairn_snapshots_total{profile=\"app\"} 1",
        "cairn_last_success_timestamp_seconds{profile=\"app\"} ",
        "cairn_last_duration_seconds{profile=\"app\"} ",
        "cairn_last_bytes_added{profile=\"app\"} ",
    ] {
        assert!(metrics.contains(want), "{want} missing:\n{metrics}");
    }
}

#[test]
fn failing_before_hook_stops_the_run_and_reports() {
    let w = World::new();
    let src = small_tree(&w, 2);
    let log = w.path("hooks.log");
    let prom = w.path("cairn.prom");
    let rx = Receiver::start();
    let l = log.display();
    write_profile(
        &w,
        "app",
        &format!(
            "[source]\npaths = [\"{}\"]\n[hooks]\nbefore = \"echo before >> {l}; exit 3\"\nafter = \"echo after >> {l}\"\non_failure = \"echo on_failure $CAIRN_RESULT >> {l}\"\n{}",
            src.display(),
            rx.notify_section(&prom)
        ),
    );
    let out = run(&w, &["run", "app"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("hook before failed (exit status 3)"));
    assert_eq!(
        fs::read_to_string(&log).unwrap(),
        "before\non_failure failure\n"
    );
    assert!(w.snapshots().is_empty());
    assert_eq!(rx.paths(), ["/start", "/fail", "/hook/T0K3N"]);
    assert!(rx.body("/fail").contains("hook before failed"));
    let hook: serde_json::Value = serde_json::from_str(&rx.body("/hook/T0K3N")).unwrap();
    assert!(hook["text"].as_str().unwrap().contains("FAILED"));
    assert!(fs::read_to_string(&prom)
        .unwrap()
        .contains("cairn_last_run_success{profile=\"app\"} 0"));
}

#[test]
fn failing_source_command_writes_no_snapshot_and_pings_fail() {
    let w = World::new();
    let log = w.path("hooks.log");
    let rx = Receiver::start();
    write_profile(
        &w,
        "db",
        &format!(
            "[source]\ncommand = \"printf partial-dump; echo dump broke >&2; exit 5\"\nstdin_name = \"db.dump\"\n{}{}",
            hooks(&log),
            rx.notify_section(&w.path("cairn.prom"))
        ),
    );
    let out = run(&w, &["run", "db"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(w.snapshots().is_empty());
    assert_eq!(
        fs::read_to_string(&log).unwrap(),
        "before\nafter failure\non_failure failure\n"
    );
    let fail = rx.body("/fail");
    assert!(
        fail.contains("exit status 5") && fail.contains("dump broke"),
        "{fail}"
    );
    assert!(!rx.paths().contains(&"/success".to_string()));
}

#[test]
fn overlapping_run_of_a_profile_exits_4() {
    let w = World::new();
    let src = small_tree(&w, 3);
    let started = w.path("started");
    write_profile(
        &w,
        "app",
        &format!(
            "[source]\npaths = [\"{}\"]\n[hooks]\nbefore = \"touch {}; sleep 4\"\n",
            src.display(),
            started.display()
        ),
    );
    let first = cmd(&w, &["run", "app"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let t = Instant::now();
    while !started.exists() {
        assert!(
            t.elapsed() < Duration::from_secs(60),
            "first run never started"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let second = run(&w, &["run", "app"]);
    let err = stderr(&second);
    assert_eq!(second.status.code(), Some(4), "{err}");
    assert!(
        err.contains("result=busy") && err.contains("already running"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
    let first = first.wait_with_output().unwrap();
    assert!(first.status.success(), "{}", stderr(&first));
    assert_eq!(w.snapshots().len(), 1);
}

#[test]
fn textfile_metrics_of_two_profiles_merge() {
    let w = World::new();
    let src = small_tree(&w, 4);
    let prom = w.path("cairn.prom");
    let t = format!("[notify]\ntextfile = \"{}\"\n", prom.display());
    write_profile(
        &w,
        "files",
        &format!("[source]\npaths = [\"{}\"]\n{t}", src.display()),
    );
    write_profile(
        &w,
        "db",
        &format!("[source]\ncommand = \"printf dumpdata\"\nstdin_name = \"db.dump\"\n{t}"),
    );
    let out = run(&w, &["run", "--all"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let metrics = fs::read_to_string(&prom).unwrap();
    for p in ["files", "db"] {
        assert!(
            metrics.contains(&format!("cairn_last_run_success{{profile=\"{p}\"}} 1")),
            "{metrics}"
        );
    }
    // Every sample line parses as `name{profile="..."} number`.
    for line in metrics.lines().filter(|l| !l.starts_with('#')) {
        let (series, value) = line.rsplit_once(' ').unwrap();
        assert!(
            series.starts_with("cairn_") && series.ends_with("\"}"),
            "{line}"
        );
        value.parse::<f64>().unwrap();
    }
    assert_eq!(
        metrics
            .matches("# TYPE cairn_last_run_success gauge")
            .count(),
        1
    );
    let snaps = w.snapshots();
    let mut profs: Vec<&str> = snaps
        .iter()
        .map(|s| s["profile"].as_str().unwrap())
        .collect();
    profs.sort();
    assert_eq!(profs, ["db", "files"]);
}

#[test]
fn unknown_key_is_an_error_naming_file_and_line() {
    let w = World::new();
    let p = write_profile(
        &w,
        "app",
        "[source]\npaths = [\"/etc\"]\n[retention]\nkeep_daly = 3\n",
    );
    let out = run(&w, &["run", "app"]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains(&format!("{}, line 6", p.display())) && err.contains("keep_daly"),
        "{err}"
    );
}

fn check_lines(w: &World, name: &str) -> (Option<i32>, String) {
    let out = run(w, &["profile", "check", name]);
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

#[test]
fn profile_check_passes_a_good_profile() {
    let w = World::new();
    let src = small_tree(&w, 5);
    write_profile(
        &w,
        "app",
        &format!("[source]\npaths = [\"{}\"]\n", src.display()),
    );
    let (code, out) = check_lines(&w, "app");
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("ok    repository"), "{out}");
    assert!(!out.contains("FAIL"), "{out}");
    let list = w
        .cmd()
        .args(["profile", "list", "--config"])
        .arg(profiles(&w))
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&list.stdout).starts_with("app\t"));
    assert!(w.objects("snapshots").is_empty(), "check wrote a snapshot");
}

#[test]
fn profile_check_names_each_failing_item() {
    let mut w = World::bare();
    let right = w.path("right.pass");
    fs::write(&right, "right horse\n").unwrap();
    fs::set_permissions(&right, fs::Permissions::from_mode(0o600)).unwrap();
    w.passphrase_file = Some(right);
    w.ok(&["key", "generate", "--out", w.key.to_str().unwrap()]);
    w.ok(&["init"]);
    let wrong = w.path("wrong.pass");
    fs::write(&wrong, "wrong horse\n").unwrap();
    fs::set_permissions(&wrong, fs::Permissions::from_mode(0o600)).unwrap();
    let open = w.path("open.pass");
    fs::write(&open, "right horse\n").unwrap();
    fs::set_permissions(&open, fs::Permissions::from_mode(0o644)).unwrap();
    let src = "[source]\ncommand = \"pg_dump -Fc -d app\"\nstdin_name = \"app.dump\"\n";
    let cases = [
        (
            format!("passphrase_file = \"{}\"\n{src}", w.path("right.pass").display()),
            None,
        ),
        (
            format!("passphrase_file = \"{}\"\n{src}", wrong.display()),
            Some("FAIL  passphrase: "),
        ),
        (
            format!("passphrase_file = \"{}\"\n{src}", open.display()),
            Some("readable by every user"),
        ),
        (
            format!(
                "passphrase_file = \"{}\"\n[source]\ncommand = \"no-such-dumper --all\"\nstdin_name = \"x\"\n",
                w.path("right.pass").display()
            ),
            Some("FAIL  source command no-such-dumper: not found on PATH"),
        ),
    ];
    // Stand-ins for pg_dump and pg_isready, so the good case tests our checks and not
    // whether this machine runs PostgreSQL; pg_isready records what it was asked.
    let bin = w.path("bin");
    fs::create_dir_all(&bin).unwrap();
    let asked = w.path("pg_isready.args");
    for (prog, script) in [
        ("pg_dump", "#!/bin/sh\n".to_string()),
        (
            "pg_isready",
            format!("#!/bin/sh\necho \"$@\" > {}\n", asked.display()),
        ),
    ] {
        fs::write(bin.join(prog), script).unwrap();
        fs::set_permissions(bin.join(prog), fs::Permissions::from_mode(0o755)).unwrap();
    }
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap());
    for (i, (body, want)) in cases.iter().enumerate() {
        write_profile(&w, "app", body);
        let out = cmd(&w, &["profile", "check", "app"])
            .env("PATH", &path)
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        match want {
            None => {
                assert_eq!(
                    out.status.code(),
                    Some(0),
                    "case {i}:\n{stdout}{}",
                    stderr(&out)
                );
                assert!(stdout.contains("ok    database: pg_isready"), "{stdout}");
                let args = fs::read_to_string(&asked).unwrap();
                assert!(args.starts_with("-d app"), "{args}");
            }
            Some(w) => {
                assert_eq!(out.status.code(), Some(1), "case {i}:\n{stdout}");
                assert!(stdout.contains(w), "case {i}: want {w:?}:\n{stdout}");
            }
        }
        assert!(!stdout.contains("horse"), "passphrase printed:\n{stdout}");
    }

    // Missing key file, and a repository path with nothing in it.
    let p = profiles(&w).join("broken.toml");
    fs::write(
        &p,
        format!(
            "repository = \"{}\"\nkey = \"{}\"\n[source]\npaths = [\"/\"]\n",
            w.path("no-repo").display(),
            w.path("no.key").display()
        ),
    )
    .unwrap();
    let (code, out) = check_lines(&w, "broken");
    assert_eq!(code, Some(1), "{out}");
    assert!(
        out.contains(&format!("FAIL  key {}", w.path("no.key").display())),
        "{out}"
    );
    assert!(
        out.contains("FAIL  repository") && out.contains("not initialised"),
        "{out}"
    );
}

#[test]
fn undeliverable_notification_is_a_warning_without_the_token() {
    let w = World::new();
    let src = small_tree(&w, 6);
    let closed = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    write_profile(
        &w,
        "app",
        &format!(
            "[source]\npaths = [\"{}\"]\n[notify]\nping_success = \"http://127.0.0.1:{port}/ping/S3CRET\"\n",
            src.display()
        ),
    );
    let out = run(&w, &["run", "app"]);
    let err = stderr(&out);
    assert!(out.status.success(), "{err}");
    assert!(
        err.contains(&format!(
            "warning: app: notify.ping_success (http://127.0.0.1:{port})"
        )),
        "{err}"
    );
    assert!(!err.contains("S3CRET"), "{err}");
    assert_eq!(w.snapshots().len(), 1);
}

/// Each run forgets by the profile's policy (only its own snapshots on this host) and
/// prunes when due; other profiles' snapshots are left alone.
#[test]
fn run_applies_the_retention_policy_and_prunes_when_due() {
    let w = World::new();
    let src = small_tree(&w, 2);
    write_profile(
        &w,
        "app",
        &format!(
            "[source]\npaths = [\"{}\"]\n[retention]\nkeep_last = 2\nkeep_daily = 0\nkeep_weekly = 0\nkeep_monthly = 0\n[prune]\nevery = \"7d\"\n",
            src.display()
        ),
    );
    // Another application's snapshot in the same repository.
    w.ok(&["backup", "--profile", "other", src.to_str().unwrap()]);
    let mut summaries = Vec::new();
    for night in 0..4 {
        fs::write(src.join("b.bin"), common::noise(1_000_000, 100 + night)).unwrap();
        let out = run(&w, &["run", "app"]);
        let err = stderr(&out);
        assert!(out.status.success(), "night {night}: {err}");
        summaries.push(
            err.lines()
                .find(|l| l.starts_with("cairn run: "))
                .unwrap()
                .to_string(),
        );
    }
    // Prune is due on the first run only (every 7 days); forget runs every night.
    assert!(summaries[0].contains("pruned"), "{summaries:?}");
    assert!(
        summaries[3].contains("retention=\"forgot 1\""),
        "{summaries:?}"
    );
    let snaps = w.snapshots();
    let of = |p: &str| snaps.iter().filter(|s| s["profile"] == p).count();
    assert_eq!((of("app"), of("other")), (2, 1), "{snaps:?}");
    w.ok(&["check", "--read-data"]);
}
