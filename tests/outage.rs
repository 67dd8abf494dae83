//! A store that goes away while cairn works: the Swift proxy (which also serves S3)
//! is stopped and started under a running backup, and Keystone is restarted with
//! tokens that expire during a backup. Its own test binary, its tests one at a time
//! (`SERIAL`), because either would break any other test using the servers meanwhile.

mod common;

use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use common::stores::{script, services, Store};
use common::World;

/// Stops a proxy for as long as it lives; starts it again even when the test fails.
struct ProxyDown {
    script: &'static str,
}

impl ProxyDown {
    fn new(script_name: &'static str) -> ProxyDown {
        proxy(script_name, "stop-proxy");
        ProxyDown {
            script: script_name,
        }
    }
}

impl Drop for ProxyDown {
    fn drop(&mut self) {
        proxy(self.script, "start-proxy");
    }
}

fn proxy(script_name: &str, action: &str) {
    let st = Command::new(script(script_name))
        .arg(action)
        .env("SWIFT_DIR", services().var("SWIFT_DIR"))
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert!(st.success(), "{script_name} {action}");
}

/// The proxy serving `store`: swift.sh's main one serves TempAuth and S3.
fn proxy_script(store: Store) -> &'static str {
    match store {
        Store::SwiftKeystone | Store::SwiftAppCred => "keystone.sh",
        _ => "swift.sh",
    }
}

/// A source that keeps writing for a few seconds, so the backup is still uploading
/// when the proxy goes away.
const SLOW_SOURCE: &str = "for i in 1 2 3 4 5 6; do head -c 3000000 /dev/urandom; sleep 0.5; done";

static SERIAL: Mutex<()> = Mutex::new(());

#[test]
fn store_outages() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    for store in [Store::SwiftTempAuth, Store::SwiftKeystone, Store::S3] {
        outage_shorter_than_the_retries(store);
        outage_longer_than_the_retries(store);
    }
}

/// The proxy stops a second into the backup and comes back 3 s later: the backup
/// retries, logs each retry, and completes a snapshot that checks out.
fn outage_shorter_than_the_retries(store: Store) {
    let w = World::on(store);
    let mut cmd = w.cmd();
    cmd.args([
        "backup",
        "--stdin-name",
        "slow.bin",
        "--stdin-from",
        SLOW_SOURCE,
    ])
    .stdout(Stdio::piped())
    .stderr(Stdio::piped());
    let child = cmd.spawn().unwrap();
    std::thread::sleep(Duration::from_millis(1000));
    {
        let _down = ProxyDown::new(proxy_script(store));
        std::thread::sleep(Duration::from_secs(3));
    }
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{store:?}: {err}");
    assert!(err.contains("retrying"), "{store:?} logs retries: {err}");
    let check = w.json(&["check", "--read-data"]);
    assert_eq!(check["errors"].as_array().map(Vec::len), Some(0), "{check}");
    let dumped = w
        .cmd()
        .args(["dump", "latest", "slow.bin"])
        .output()
        .unwrap();
    assert_eq!(dumped.stdout.len(), 6 * 3_000_000, "{store:?}");
}

/// The proxy stays down: after its retries the backup fails with one line naming the
/// store, writes no snapshot, and the repository is fine once the proxy is back.
fn outage_longer_than_the_retries(store: Store) {
    let mut w = World::on(store);
    let src = common::small_tree(&w, 3);
    w.env.push(("CAIRN_RETRY_FAST".into(), "1".into()));
    let started = Instant::now();
    let err = {
        let _down = ProxyDown::new(proxy_script(store));
        w.fails(&["backup", src.to_str().unwrap()], 1)
    };
    let container = w.url.as_deref().unwrap().split('/').nth(2).unwrap();
    let last = err.lines().last().unwrap();
    assert!(last.starts_with("cairn backup: "), "{store:?}: {err}");
    assert!(last.contains(container), "{store:?} names the store: {err}");
    assert!(err.contains("retrying"), "{store:?} retried: {err}");
    assert!(started.elapsed() < Duration::from_secs(60), "{store:?}");
    assert!(w.snapshots().is_empty(), "{store:?}");
    w.backup(&[src.to_str().unwrap()]);
    w.ok(&["check", "--read-data"]);
}

/// Restarts Keystone with tokens that live `secs`; `start` prints nothing we need.
fn keystone_with_token_life(secs: u64) {
    let dir = services().var("SWIFT_DIR");
    for (action, life) in [("stop", None), ("start", Some(secs))] {
        let mut c = Command::new(script("keystone.sh"));
        c.arg(action).arg(dir).stdout(Stdio::null());
        if let Some(l) = life {
            c.env("KEYSTONE_TOKEN_EXPIRATION", l.to_string());
        }
        assert!(c.status().unwrap().success(), "keystone.sh {action}");
    }
}

/// Puts Keystone's usual token lifetime back even when the test fails.
struct LongTokensAgain;

impl Drop for LongTokensAgain {
    fn drop(&mut self) {
        keystone_with_token_life(3600);
    }
}

/// Keystone tokens that expire during a backup (the one taken at the start is dead when
/// the data is stored): cairn gets a new token and the backup completes. (Application
/// credentials go through the same session code; backends.rs covers their login.)
/// osauth renews a Keystone token once less than 10 minutes of it are left, so tokens
/// of 10 s are renewed before every request here: slow, so the check afterwards runs
/// with the usual lifetime again.
#[test]
fn keystone_token_expiry_mid_backup() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let w = World::on(Store::SwiftKeystone);
    keystone_with_token_life(10);
    let long_again = LongTokensAgain;
    // 15 s of slowly arriving data, so the first token is dead at the end.
    let slow = "for i in 1 2 3 4 5; do head -c 1000000 /dev/urandom; sleep 3; done";
    let out = w
        .cmd()
        .args(["backup", "--stdin-name", "slow.bin", "--stdin-from", slow])
        .output()
        .unwrap();
    common::assert_ok(&out, "backup across token expiry");
    drop(long_again);
    let check = w.json(&["check", "--read-data"]);
    assert_eq!(check["errors"].as_array().map(Vec::len), Some(0), "{check}");
}
