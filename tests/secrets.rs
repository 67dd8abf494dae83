//! Secrets stay out of child processes and messages (issue 12): `--stdin-from` commands
//! and hooks do not inherit cairn's or the stores' secrets unless a profile passes them
//! by name, and no `NAME=value` of a command line reaches an error, a hook's
//! `CAIRN_ERROR`, a notification or the log.

mod common;

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::process::Output;

use common::receiver::Receiver;
use common::{assert_ok, World};

const PASSPHRASE: &str = "horse-battery-staple";

/// Store credentials as cron's environment might hold them for a Swift or S3 repository.
const STORE_SECRETS: [(&str, &str); 5] = [
    ("OS_PASSWORD", "os-sekrit"),
    ("OS_AUTH_TOKEN", "os-token-sekrit"),
    ("ST_KEY", "st-sekrit"),
    ("AWS_SECRET_ACCESS_KEY", "aws-sekrit"),
    ("AWS_SESSION_TOKEN", "aws-session-sekrit"),
];

/// A repository whose key needs `PASSPHRASE`, given by a 0600 passphrase file.
fn protected_world() -> World {
    let mut w = World::bare();
    let pass = w.path("pass");
    fs::write(&pass, format!("{PASSPHRASE}\n")).unwrap();
    fs::set_permissions(&pass, fs::Permissions::from_mode(0o600)).unwrap();
    w.passphrase_file = Some(pass);
    w.ok(&["key", "generate", "--out", w.key.to_str().unwrap()]);
    w.ok(&["init"]);
    w
}

/// Backs up what `env` prints, with the store secrets set, and returns the stored file.
fn backed_up_env(w: &World, extra: &[&str], env: &[(&str, &str)]) -> String {
    let out = w
        .cmd()
        .args(["backup", "--stdin-from", "env", "--stdin-name", "env.txt"])
        .args(extra)
        .envs(STORE_SECRETS)
        .envs(env.iter().copied())
        .env("MY_VAR", "ordinary-value")
        .output()
        .unwrap();
    assert_ok(&out, "backup --stdin-from env");
    let out = w
        .cmd()
        .args(["dump", "latest", "env.txt"])
        .envs(env.iter().copied())
        .output()
        .unwrap();
    assert_ok(&out, "dump");
    String::from_utf8(out.stdout).unwrap()
}

fn assert_absent(text: &str, secrets: &[&str]) {
    for s in secrets {
        assert!(!text.contains(s), "{s:?} leaked into:\n{text}");
    }
}

#[test]
fn stdin_from_env_stores_no_secret_from_a_passphrase_file() {
    let w = protected_world();
    let stored = backed_up_env(&w, &[], &[]);
    assert!(stored.contains("MY_VAR=ordinary-value\n"), "{stored}");
    let pass_file = w.passphrase_file.as_ref().unwrap().display().to_string();
    let key = w.key.display().to_string();
    assert_absent(&stored, &STORE_SECRETS.map(|(_, v)| v));
    assert_absent(&stored, &[PASSPHRASE, &pass_file, &key, "CAIRN_KEY="]);
}

#[test]
fn stdin_from_env_stores_no_passphrase_from_the_environment() {
    let mut w = protected_world();
    w.passphrase_file = None;
    let stored = backed_up_env(&w, &[], &[("CAIRN_PASSPHRASE", PASSPHRASE)]);
    assert!(stored.contains("MY_VAR=ordinary-value\n"), "{stored}");
    assert_absent(&stored, &STORE_SECRETS.map(|(_, v)| v));
    assert_absent(&stored, &[PASSPHRASE, "CAIRN_PASSPHRASE"]);
}

#[test]
fn pass_env_hands_one_withheld_variable_to_the_command() {
    let w = protected_world();
    let stored = backed_up_env(&w, &["--pass-env", "OS_PASSWORD"], &[]);
    assert!(stored.contains("OS_PASSWORD=os-sekrit\n"), "{stored}");
    assert_absent(&stored, &["st-sekrit", "aws-sekrit"]);
    let err = w.fails(
        &[
            "backup",
            "--stdin-from",
            "env",
            "--stdin-name",
            "e",
            "--pass-env",
            "HOME",
        ],
        2,
    );
    assert!(err.contains("\"HOME\" is not withheld"), "{err}");
}

#[test]
fn failing_command_is_named_without_its_assigned_values() {
    let w = World::new();
    let err = w.fails(
        &[
            "backup",
            "--stdin-from",
            "PGPASSWORD=sekrit1 sh -c 'echo password $PGPASSWORD rejected >&2; exit 3'",
            "--stdin-name",
            "x",
        ],
        1,
    );
    assert!(!err.contains("sekrit1"), "{err}");
    assert!(
        err.contains("command `PGPASSWORD=*** sh` failed (exit status 3): password *** rejected"),
        "{err}"
    );
    assert!(w.snapshots().is_empty());
}

/// Runs a profile whose source command fails after printing its password, with the
/// secrets in cairn's environment; returns cairn's output and the on_failure hook's log.
fn failing_profile_run(w: &World, rx: &Receiver, pass_env: &str) -> (Output, String) {
    let dir = w.path("profiles");
    fs::create_dir_all(&dir).unwrap();
    let log = w.path("hook.log");
    let _ = fs::remove_file(&log);
    let l = log.display();
    let profile = format!(
        "repository = \"{}\"\nkey = \"{}\"\n{pass_env}\n\
         [source]\ncommand = \"PGPASSWORD=sekrit2 sh -c 'echo auth $PGPASSWORD failed >&2; exit 1'\"\n\
         stdin_name = \"db.dump\"\n\
         [hooks]\non_failure = 'echo \"error=$CAIRN_ERROR\" >> {l}; echo \"pass=$CAIRN_PASSPHRASE os=$OS_PASSWORD key=$CAIRN_KEY\" >> {l}'\n\
         {}",
        w.repo.display(),
        w.key.display(),
        rx.notify_section(&w.path("cairn.prom"))
    );
    fs::write(dir.join("db.toml"), profile).unwrap();
    let out = w
        .cmd()
        .env_remove("CAIRN_PASSPHRASE_FILE")
        .env("CAIRN_PASSPHRASE", PASSPHRASE)
        .envs(STORE_SECRETS)
        .args(["--json", "run", "db", "--config"])
        .arg(&dir)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    (out, fs::read_to_string(&log).unwrap())
}

#[test]
fn profile_run_keeps_secrets_out_of_hooks_and_notifications() {
    let w = protected_world();
    let rx = Receiver::start();
    let (out, log) = failing_profile_run(&w, &rx, "");
    let stderr = String::from_utf8_lossy(&out.stderr);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let webhook = rx.body("/hook/T0K3N");
    let ping = rx.body("/fail");
    let prom = fs::read_to_string(w.path("cairn.prom")).unwrap();
    for text in [&*stderr, &*stdout, &log, &webhook, &ping, &prom] {
        assert_absent(text, &["sekrit2", PASSPHRASE, "os-sekrit"]);
    }
    assert!(
        log.contains("command `PGPASSWORD=*** sh` failed (exit status 1): auth *** failed\n"),
        "{log}"
    );
    assert!(log.contains("pass= os= key=\n"), "{log}");
    assert!(webhook.contains("PGPASSWORD=***"), "{webhook}");
    assert!(stdout.contains("PGPASSWORD=***"), "{stdout}");
}

#[test]
fn profile_pass_env_gives_the_hook_what_it_names() {
    let w = protected_world();
    let rx = Receiver::start();
    let (_, log) = failing_profile_run(&w, &rx, "pass_env = [\"OS_PASSWORD\"]");
    assert!(log.contains("pass= os=os-sekrit key=\n"), "{log}");
}
