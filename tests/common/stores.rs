//! The stores a repository can live in, for tests that run the same scenario against
//! each: a local directory, OpenStack Swift (TempAuth, Keystone password, Keystone
//! application credential) and S3 (Swift's s3api). The object stores are real servers on
//! loopback, started by tests/services/keystone.sh (which starts swift.sh too); when the
//! test command already started them, `SWIFT_DIR` names their directory and starting
//! again only prints their addresses.

/// `per_store!(scenario: File, S3, …)` makes one test per store, each calling
/// `scenario(Store::…)` of the file that uses it (which imports `Store`).
#[allow(unused_macros)] // only some test files use it
macro_rules! per_store {
    ($scenario:ident: $($store:ident),+) => {
        mod $scenario {
            $(
                #[test]
                #[allow(non_snake_case)]
                fn $store() {
                    super::$scenario(super::Store::$store);
                }
            )+
        }
    };
}

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::OnceLock;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Store {
    File,
    SwiftTempAuth,
    SwiftKeystone,
    SwiftAppCred,
    S3,
}

/// Addresses and credentials of the running servers, as the scripts print them.
pub struct Services {
    vars: HashMap<String, String>,
}

impl Services {
    pub fn var(&self, name: &str) -> &str {
        self.vars
            .get(name)
            .unwrap_or_else(|| panic!("the service scripts did not print {name}"))
    }
}

pub fn script(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/services")
        .join(name)
}

pub fn services() -> &'static Services {
    static SERVICES: OnceLock<Services> = OnceLock::new();
    SERVICES.get_or_init(|| {
        let dir = std::env::var_os("SWIFT_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| Path::new(env!("CARGO_TARGET_TMPDIR")).join("object-stores"));
        std::fs::create_dir_all(&dir).unwrap();
        let out = Command::new(script("keystone.sh"))
            .arg("start")
            .arg(&dir)
            .output()
            .expect("run tests/services/keystone.sh");
        assert!(
            out.status.success(),
            "keystone.sh start {} failed:\n{}",
            dir.display(),
            String::from_utf8_lossy(&out.stderr)
        );
        Services {
            vars: parse_exports(&String::from_utf8_lossy(&out.stdout)),
        }
    })
}

/// `export NAME=value` lines, with the shell quoting the scripts use ('…') removed.
fn parse_exports(text: &str) -> HashMap<String, String> {
    text.lines()
        .filter_map(|l| l.strip_prefix("export "))
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| {
            let v = v
                .strip_prefix('\'')
                .and_then(|v| v.strip_suffix('\''))
                .unwrap_or(v);
            (k.to_string(), v.to_string())
        })
        .collect()
}

/// A container or bucket name no earlier run used: Swift's data outlives a test run.
pub fn unique_name(tag: &str) -> String {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!(
        "{tag}-{:x}-{}-{}",
        nanos,
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

impl Store {
    pub const ALL: [Store; 5] = [
        Store::File,
        Store::SwiftTempAuth,
        Store::SwiftKeystone,
        Store::SwiftAppCred,
        Store::S3,
    ];

    /// A fresh, empty repository location; `dir` holds it for the file store.
    pub fn url(self, dir: &Path) -> String {
        match self {
            Store::File => dir.join("repo").to_str().unwrap().to_string(),
            Store::SwiftTempAuth | Store::SwiftKeystone | Store::SwiftAppCred => {
                format!("swift://{}/repo", unique_name("cairn"))
            }
            Store::S3 => format!("s3://{}/repo", unique_name("cairn")),
        }
    }

    /// Variables that give a cairn process access to this store, as an operator's
    /// environment would (openrc, ST_* or AWS_*).
    pub fn env(self) -> Vec<(String, String)> {
        let s = match self {
            Store::File => return Vec::new(),
            _ => services(),
        };
        let pick = |names: &[&str]| -> Vec<(String, String)> {
            names
                .iter()
                .map(|n| (n.to_string(), s.var(n).to_string()))
                .collect()
        };
        match self {
            Store::File => unreachable!(),
            Store::SwiftTempAuth => pick(&["ST_AUTH", "ST_USER", "ST_KEY"]),
            Store::SwiftKeystone => pick(&[
                "OS_AUTH_URL",
                "OS_IDENTITY_API_VERSION",
                "OS_AUTH_TYPE",
                "OS_USERNAME",
                "OS_PASSWORD",
                "OS_PROJECT_NAME",
                "OS_USER_DOMAIN_NAME",
                "OS_PROJECT_DOMAIN_NAME",
                "OS_REGION_NAME",
                "OS_INTERFACE",
            ]),
            Store::SwiftAppCred => {
                let mut v = pick(&["OS_AUTH_URL", "OS_REGION_NAME", "OS_INTERFACE"]);
                v.push(("OS_AUTH_TYPE".into(), "v3applicationcredential".into()));
                v.push((
                    "OS_APPLICATION_CREDENTIAL_ID".into(),
                    s.var("KEYSTONE_APP_CRED_ID").into(),
                ));
                v.push((
                    "OS_APPLICATION_CREDENTIAL_SECRET".into(),
                    s.var("KEYSTONE_APP_CRED_SECRET").into(),
                ));
                v
            }
            Store::S3 => {
                let mut v = pick(&["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_REGION"]);
                v.push(("AWS_ENDPOINT_URL".into(), s.var("S3_ENDPOINT").into()));
                v
            }
        }
    }

    /// The secret among `env()`, which must never show up in cairn's output.
    pub fn secret(self) -> Option<String> {
        let name = match self {
            Store::File => return None,
            Store::SwiftTempAuth => "ST_KEY",
            Store::SwiftKeystone => "OS_PASSWORD",
            Store::SwiftAppCred => "OS_APPLICATION_CREDENTIAL_SECRET",
            Store::S3 => "AWS_SECRET_ACCESS_KEY",
        };
        self.env()
            .into_iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v)
    }

    /// `env()` with the secret replaced by a wrong one.
    pub fn wrong_env(self) -> Vec<(String, String)> {
        let secret = self.secret();
        self.env()
            .into_iter()
            .map(|(k, v)| {
                if Some(&v) == secret.as_ref() {
                    (k, format!("{v}-wrong"))
                } else {
                    (k, v)
                }
            })
            .collect()
    }
}
