//! Keys never lock their owner out: with an expired key every read command still works
//! and signatures made while it was valid still verify; writing refuses with one line
//! saying how to fix it, and `key extend` (or `gpg --quick-set-expire`) fixes it.

mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use common::forge::{gpg, stop_agent};
use common::{assert_same_tree, World};

/// A few files, small enough that init and two backups fit in a key's short life.
fn tree(w: &World) -> PathBuf {
    let src = w.path("src");
    fs::create_dir_all(src.join("d")).unwrap();
    fs::write(src.join("d/a.txt"), "alpha\n".repeat(2000)).unwrap();
    fs::write(src.join("b.bin"), common::noise(100_000, 7)).unwrap();
    src
}

/// Sleeps until just after the moment `key info --json` gives for `field`.
fn wait_until_expired(w: &World, field: &str) {
    let info = w.json(&["key", "info"]);
    let at = info[field]
        .as_str()
        .unwrap_or_else(|| panic!("{field} in {info}"));
    let at: SystemTime = chrono::DateTime::parse_from_rfc3339(at).unwrap().into();
    if let Ok(left) = at.duration_since(SystemTime::now()) {
        std::thread::sleep(left + Duration::from_millis(1100));
    }
}

/// `gpg --list-keys --with-colons` expiry fields (7th) of the primary key and subkeys.
fn gpg_expiries(home: &Path, fpr: &str) -> Vec<String> {
    let out = gpg(home, &["--with-colons", "--list-keys", fpr], b"");
    String::from_utf8(out)
        .unwrap()
        .lines()
        .filter(|l| l.starts_with("pub:") || l.starts_with("sub:"))
        .map(|l| l.split(':').nth(6).unwrap().to_string())
        .collect()
}

fn import_public(w: &World, home: &Path) {
    let public = w.ok(&["key", "export", "--public"]);
    gpg(home, &["--import"], public.as_bytes());
}

#[test]
fn generated_keys_do_not_expire_unless_asked() {
    let w = World::bare();
    w.ok(&["key", "generate", "--out", w.key.to_str().unwrap()]);
    let home = tempfile::tempdir().unwrap();
    import_public(&w, home.path());
    let never = gpg_expiries(home.path(), &w.fingerprint());
    assert_eq!(
        never,
        ["", "", ""],
        "primary, signing and encryption subkeys"
    );
    assert!(w.json(&["key", "info"])["expires"].is_null());
    assert!(w.ok(&["key", "info"]).contains("expires:     never"));

    let two = World::bare();
    let out = two.key.to_str().unwrap();
    two.ok(&["key", "generate", "--out", out, "--expires", "2y"]);
    import_public(&two, home.path());
    let expiries = gpg_expiries(home.path(), &two.fingerprint());
    let in_two_years = SystemTime::now() + Duration::from_secs(2 * 365 * 86400);
    let secs = in_two_years
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    for e in &expiries {
        let e: u64 = e.parse().expect("an expiry");
        assert!(e.abs_diff(secs) < 120, "{e} vs {secs}");
    }
    assert_eq!(expiries.len(), 3);
    stop_agent(home.path());
}

#[test]
fn an_expired_key_reads_everything_refuses_to_write_and_extend_fixes_it() {
    let w = World::bare();
    let key = w.key.to_str().unwrap();
    w.ok(&["key", "generate", "--out", key, "--expires", "6s"]);
    w.ok(&["init"]);
    let src = tree(&w);
    let a = w.backup(&[src.to_str().unwrap()]);
    fs::write(src.join("d/new.txt"), "new").unwrap();
    let b = w.backup(&[src.to_str().unwrap()]);
    wait_until_expired(&w, "expires");

    assert!(w.ok(&["key", "info"]).contains("EXPIRED on"));
    assert_eq!(w.snapshots().len(), 2);
    assert!(w.ok(&["ls", "latest"]).contains("new.txt"));
    let (ida, idb) = (a["id"].as_str().unwrap(), b["id"].as_str().unwrap());
    let diff = w.ok(&["diff", &ida[..8], &idb[..8]]);
    assert!(diff.contains("new.txt"), "{diff}");
    let target = w.path("restored");
    w.ok(&["restore", "latest", "--target", target.to_str().unwrap()]);
    assert_same_tree(&src, &target.join(src.strip_prefix("/").unwrap()));
    let file = src.join("d/a.txt");
    let dumped = w.ok(&["dump", "latest", file.to_str().unwrap()]);
    assert!(dumped.as_bytes() == fs::read(&file).unwrap());
    w.ok(&["check", "--read-data"]);

    let err = w.fails(&["backup", src.to_str().unwrap()], 1);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    let fpr = w.fingerprint();
    for part in [&fpr[..], key, "expired on", "cairn key extend -k"] {
        assert!(err.contains(part), "{part:?} in {err}");
    }
    assert_eq!(w.snapshots().len(), 2, "nothing written");

    w.ok(&["key", "extend", "--expires", "never"]);
    let info = w.json(&["key", "info"]);
    assert!(info["expires"].is_null(), "{info}");
    assert!(info["keys"]
        .as_array()
        .unwrap()
        .iter()
        .all(|k| k["expires"].is_null()));
    w.backup(&[src.to_str().unwrap()]);
    assert_eq!(w.snapshots().len(), 3);
}

#[test]
fn an_expired_key_cannot_init() {
    let w = World::bare();
    let key = w.key.to_str().unwrap();
    w.ok(&["key", "generate", "--out", key, "--expires", "1s"]);
    wait_until_expired(&w, "expires");
    let err = w.fails(&["init"], 1);
    assert!(err.contains("cairn key extend"), "{err}");
    assert!(!w.repo.join("config").exists());
}

/// A GnuPG home holding a new unprotected key; returns its fingerprint.
fn gpg_key(home: &Path, subkey_expiry: &str) -> String {
    let uid = "gpg made <gpg@example.org>";
    let quiet = ["--passphrase", "", "--pinentry-mode", "loopback"];
    let mut args = quiet.to_vec();
    args.extend(["--quick-gen-key", uid, "ed25519", "cert", "never"]);
    gpg(home, &args, b"");
    let listing =
        String::from_utf8(gpg(home, &["--with-colons", "--list-keys", uid], b"")).unwrap();
    let fpr = listing
        .lines()
        .find(|l| l.starts_with("fpr:"))
        .and_then(|l| l.split(':').nth(9))
        .unwrap()
        .to_string();
    for (algo, usage) in [("ed25519", "sign"), ("cv25519", "encr")] {
        let mut args = quiet.to_vec();
        args.extend(["--quick-add-key", &fpr, algo, usage, subkey_expiry]);
        gpg(home, &args, b"");
    }
    fpr
}

fn export_secret(home: &Path, fpr: &str, to: &Path) {
    let args = [
        "--passphrase",
        "",
        "--pinentry-mode",
        "loopback",
        "--armor",
        "--export-secret-keys",
        fpr,
    ];
    fs::write(to, gpg(home, &args, b"")).unwrap();
}

#[test]
fn a_gnupg_key_whose_subkeys_expired_still_reads() {
    let home = tempfile::tempdir().unwrap();
    let fpr = gpg_key(home.path(), "seconds=8");
    let w = World::bare();
    export_secret(home.path(), &fpr, &w.key);
    stop_agent(home.path());
    w.ok(&["init"]);
    let src = tree(&w);
    w.backup(&[src.to_str().unwrap()]);
    wait_until_expired(&w, "signing_expires");

    assert_eq!(w.snapshots().len(), 1);
    let target = w.path("restored");
    w.ok(&["restore", "latest", "--target", target.to_str().unwrap()]);
    assert_same_tree(&src, &target.join(src.strip_prefix("/").unwrap()));
    w.ok(&["check", "--read-data"]);
    let err = w.fails(&["backup", src.to_str().unwrap()], 1);
    assert!(err.contains("expired on") && err.contains(&fpr), "{err}");
}

#[test]
fn gpg_quick_set_expire_on_a_cairn_key_is_read_by_cairn() {
    let w = World::new();
    let src = tree(&w);
    w.backup(&[src.to_str().unwrap()]);
    let fpr = w.fingerprint();
    // GnuPG replaces the binding signatures, dated now: make them strictly newer than
    // the snapshot's signature, which must still verify.
    std::thread::sleep(Duration::from_millis(1100));
    let home = common::forge::gpg_with(&w);
    let quiet = ["--passphrase", "", "--pinentry-mode", "loopback"];
    for subkeys in [None, Some("*")] {
        let mut args = quiet.to_vec();
        args.extend(["--quick-set-expire", &fpr, "1d"]);
        args.extend(subkeys);
        gpg(home.path(), &args, b"");
    }
    let extended = w.path("extended.key");
    export_secret(home.path(), &fpr, &extended);
    stop_agent(home.path());
    fs::rename(&extended, &w.key).unwrap();

    let info = w.json(&["key", "info"]);
    let tomorrow = SystemTime::now() + Duration::from_secs(86400);
    for k in info["keys"].as_array().unwrap() {
        let at = k["expires"].as_str().unwrap_or_else(|| panic!("{info}"));
        let at: SystemTime = chrono::DateTime::parse_from_rfc3339(at).unwrap().into();
        let off = at.duration_since(tomorrow).unwrap_or_else(|e| e.duration());
        assert!(off < Duration::from_secs(120), "{info}");
    }
    fs::write(src.join("later.txt"), "later").unwrap();
    w.backup(&[src.to_str().unwrap()]);
    assert_eq!(w.snapshots().len(), 2);
    w.ok(&["check", "--read-data"]);
}

/// Runs `cairn run app` or `cairn profile check app` with a profile naming the world's
/// repository and key (and nothing from the environment); returns (success, stdout+stderr).
fn with_profile(w: &World, args: &[&str]) -> (bool, String) {
    let dir = w.path("profiles");
    fs::create_dir_all(&dir).unwrap();
    let src = w.path("src");
    fs::create_dir_all(&src).unwrap();
    fs::write(src.join("f"), "f").unwrap();
    let profile = format!(
        "repository = \"{}\"\nkey = \"{}\"\n[source]\npaths = [\"{}\"]\n[notify]\ntextfile = \"{}\"\n",
        w.repo.display(),
        w.key.display(),
        src.display(),
        w.path("cairn.prom").display()
    );
    fs::write(dir.join("app.toml"), profile).unwrap();
    let out = w
        .cmd()
        .env_remove("CAIRN_REPO")
        .env_remove("CAIRN_KEY")
        .args(args)
        .arg("--config")
        .arg(&dir)
        .output()
        .unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    (out.status.success(), text)
}

#[test]
fn run_and_profile_check_warn_a_month_ahead_and_the_textfile_has_the_expiry() {
    let w = World::bare();
    let key = w.key.to_str().unwrap();
    w.ok(&["key", "generate", "--out", key, "--expires", "10d"]);
    w.ok(&["init"]);
    let (ok, check) = with_profile(&w, &["profile", "check", "app"]);
    assert!(ok, "{check}");
    let line = check.lines().find(|l| l.contains("key expiry")).unwrap();
    assert!(
        line.starts_with("ok")
            && line.contains("stops signing on")
            && line.contains("cairn key extend"),
        "{line}"
    );

    let (ok, run) = with_profile(&w, &["run", "app"]);
    assert!(ok, "{run}");
    let warnings: Vec<_> = run
        .lines()
        .filter(|l| l.contains("stops signing on"))
        .collect();
    assert_eq!(warnings.len(), 1, "{run}");
    assert!(
        warnings[0].contains("(in 10 days)") && warnings[0].contains(key),
        "{run}"
    );
    assert!(
        run.contains("result=success") && run.contains(" key_expires="),
        "{run}"
    );
    let prom = fs::read_to_string(w.path("cairn.prom")).unwrap();
    let sample = prom
        .lines()
        .find(|l| l.starts_with("cairn_key_expiry_timestamp_seconds{profile=\"app\"} "))
        .unwrap_or_else(|| panic!("{prom}"));
    let at: f64 = sample.rsplit_once(' ').unwrap().1.parse().unwrap();
    let ten_days = SystemTime::now() + Duration::from_secs(10 * 86400);
    let want = ten_days
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64();
    assert!((at - want).abs() < 120.0, "{sample}");

    w.ok(&["key", "extend", "--expires", "never"]);
    let (ok, check) = with_profile(&w, &["profile", "check", "app"]);
    assert!(ok && check.contains("key expiry: never expires"), "{check}");
    let (ok, run) = with_profile(&w, &["run", "app"]);
    assert!(
        ok && !run.contains("stops signing") && !run.contains("key_expires"),
        "{run}"
    );
    let prom = fs::read_to_string(w.path("cairn.prom")).unwrap();
    assert!(
        !prom.contains("cairn_key_expiry_timestamp_seconds{"),
        "{prom}"
    );
}
