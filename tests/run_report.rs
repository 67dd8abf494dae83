//! What a run leaves to explain itself: the log stored in the snapshot
//! (`store_log = true`), and summary lines and `--json` that name the snapshot and
//! where the repository lives, for alerts to link to.

mod common;

use std::fs;

use common::profiles::{cmd, write_profile};
use common::World;

fn stderr(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn store_log_keeps_the_runs_lines_in_the_snapshot_without_secrets() {
    let w = World::new();
    let src = common::small_tree(&w, 3);
    // A hook whose own command line holds a token, and that tries to print the
    // passphrase variable cairn withholds from hooks.
    write_profile(
        &w,
        "app",
        &format!(
            "store_log = true\n[source]\npaths = [\"{}\"]\nexclude = [\"no-such-thing\"]\n\
             [hooks]\nbefore = \"API_TOKEN=hunter2 sh -c 'echo token is $API_TOKEN'; \
             echo stopping the app; echo pass=$CAIRN_PASSPHRASE\"\n",
            src.display()
        ),
    );
    let out = cmd(&w, &["-q", "run", "app"])
        .env("CAIRN_PASSPHRASE", "s3cr3t-passphrase")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));

    let log = w.ok(&["dump", "latest", "/.cairn/run.log"]);
    assert!(log.starts_with("cairn "), "{log}");
    assert!(
        log.lines().next().unwrap().contains("run of profile app"),
        "{log}"
    );
    for line in [
        "[hook before] stopping the app",
        "[hook before] token is ***",
        "[hook before] pass=",
        "cairn: warning: exclude pattern \"no-such-thing\" matched nothing",
    ] {
        assert!(log.lines().any(|l| l == line), "{line:?} not in\n{log}");
    }
    for secret in ["hunter2", "s3cr3t-passphrase"] {
        assert!(!log.contains(secret), "{secret} in the stored log:\n{log}");
    }
    // The same lines as the run printed (which --quiet left as they were: warnings and
    // hook output), in the same order.
    let printed: Vec<&str> = std::str::from_utf8(&out.stderr)
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with("cairn run: "))
        .collect();
    let stored: Vec<&str> = log.lines().skip(1).collect();
    assert_eq!(stored, printed);
    let listed = w.ok(&["ls", "latest"]);
    assert!(listed.lines().any(|l| l == "/.cairn/run.log"), "{listed}");

    // A command's snapshot gets it next to the stream, with what the command said.
    write_profile(
        &w,
        "pipe",
        "store_log = true\n[source]\ncommand = \"sh -c 'echo dumping the app >&2; echo rows'\"\n\
         stdin_name = \"app.dump\"\n",
    );
    let out = cmd(&w, &["run", "pipe"]).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(w.ok(&["dump", "latest", "/app.dump"]), "rows\n");
    let log = w.ok(&["dump", "latest", "/.cairn/run.log"]);
    assert!(
        log.contains("run of profile pipe") && log.contains("\ndumping the app\n"),
        "{log}"
    );

    // Without store_log nothing is added.
    write_profile(
        &w,
        "plain",
        &format!("[source]\npaths = [\"{}\"]\n", src.display()),
    );
    let out = cmd(&w, &["run", "plain"]).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let err = w.fails(&["dump", "latest", "/.cairn/run.log"], 1);
    assert!(err.contains("not in the snapshot"), "{err}");
}

#[test]
fn summaries_name_the_snapshot_and_where_the_repository_lives() {
    let w = World::new();
    let src = common::small_tree(&w, 4);
    let repo = w.repo.display().to_string();

    let out = w.run(&["backup", src.to_str().unwrap()]);
    common::assert_ok(&out, "backup");
    let err = stderr(&out);
    let id = w.snapshots()[0]["id"].as_str().unwrap().to_string();
    assert!(
        err.contains(&format!("snapshot {} saved in {repo}: ", &id[..8])),
        "{err}"
    );
    let json = w.backup(&[src.to_str().unwrap()]);
    assert_eq!(json["repository"]["url"], repo.as_str());
    assert_eq!(json["repository"]["type"], "file");
    assert_eq!(json["repository"]["path"], repo.as_str());

    write_profile(
        &w,
        "app",
        &format!("[source]\npaths = [\"{}\"]\n", src.display()),
    );
    let out = cmd(&w, &["--json", "run", "app"]).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let record: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let id = record["snapshot"].as_str().unwrap();
    assert_eq!(id.len(), 64, "the whole id: {record}");
    assert_eq!(record["repository"]["url"], repo.as_str());
    let line = stderr(&out);
    assert!(
        line.contains(&format!("snapshot={} repository={repo} ", &id[..8])),
        "{line}"
    );

    // A failure names the bucket and prefix it could not reach, with no credential.
    let dead = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let endpoint = format!("http://{}", dead.local_addr().unwrap());
    drop(dead);
    let profiles = common::profiles::profiles(&w);
    fs::write(
        profiles.join("offsite.toml"),
        format!(
            "repository = \"s3://backups-bucket/hosts/web1\"\nkey = \"{}\"\n[source]\npaths = [\"{}\"]\n",
            w.key.display(),
            src.display()
        ),
    )
    .unwrap();
    let out = cmd(&w, &["--json", "run", "offsite"])
        .env("AWS_ENDPOINT_URL", &endpoint)
        .env("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
        .env("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMIK7MDENG")
        .env("CAIRN_RETRY_FAST", "1")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let record: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(record["result"], "failure");
    let place = &record["repository"];
    assert_eq!(place["url"], "s3://backups-bucket/hosts/web1");
    assert_eq!(place["type"], "s3");
    assert_eq!(place["bucket"], "backups-bucket");
    assert_eq!(place["prefix"], "hosts/web1");
    let line = stderr(&out);
    assert!(
        line.contains("result=failure repository=s3://backups-bucket/hosts/web1 "),
        "{line}"
    );
    let all = format!("{line}{}", String::from_utf8_lossy(&out.stdout));
    assert!(!all.contains("wJalrXUtnFEMIK7MDENG"), "{all}");
}
