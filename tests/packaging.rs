//! What ships under contrib/ for running cairn for real, checked against the built
//! binary:
//! - the systemd units pass `systemd-analyze verify` without a word about them and score
//!   "OK" in `systemd-analyze security`, and a `cairn run` given the service's
//!   environment writes nowhere but the directories the unit makes writable;
//! - every YAML file parses as Kubernetes reads YAML (PyYAML: YAML 1.1, so `0440` is
//!   octal), with no key twice, and the manifests take key, passphrase and store
//!   credentials from Secret files, keep the cache on a volume and run as non-root with
//!   a read-only root, limits, and command lines cairn accepts;
//! - the completion scripts and man pages are what the binary generates now, and the
//!   shells parse (and complete with) their scripts.
//!
//! Tools: systemd-analyze (systemd), man (man-db), python3 with PyYAML (python3-yaml),
//! bash, zsh, fish; tests/services/install-deps.sh installs them.

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::SystemTime;

use serde_json::Value;

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_cairn")
}

fn contrib() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("contrib")
}

/// Fails, naming the package, when a tool the checks need is not installed.
fn need(tool: &str, package: &str) {
    let found = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).any(|d| d.join(tool).is_file()))
        .unwrap_or(false);
    assert!(
        found,
        "{tool} not found: install the Debian package {package} (tests/services/install-deps.sh does)"
    );
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn ok(cmd: &mut Command, what: &str) -> Output {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("{what}: cannot start: {e}"));
    assert!(
        out.status.success(),
        "{what} failed ({:?}):\n{}",
        out.status.code(),
        text(&out)
    );
    out
}

/// The command line parses: clap checks every argument and value before `--help` ends
/// the run, so an unknown flag or a bad value fails with exit 2.
fn assert_cairn_accepts(args: &[String], what: &str) {
    let out = Command::new(bin())
        .env_clear()
        .args(args)
        .arg("--help")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{what}: cairn does not accept `cairn {}`:\n{}",
        args.join(" "),
        text(&out)
    );
}

/// A variable whose value is a secret, which no unit or manifest may spell out: those
/// cairn withholds from its children (less the ones that name a file), MariaDB's
/// password variable, and every name that says it holds one.
fn is_secret_var(name: &str) -> bool {
    let names_a_file = name.ends_with("_FILE") || name == "CAIRN_KEY";
    !names_a_file
        && (cairn::child::env::WITHHELD.contains(&name)
            || name == "MYSQL_PWD"
            || ["PASSWORD", "PASSPHRASE", "SECRET", "TOKEN"]
                .iter()
                .any(|w| name.contains(w)))
}

// ---------------------------------------------------------------------------------
// systemd

const SERVICE: &str = "systemd/cairn@.service";
const TIMER: &str = "systemd/cairn@.timer";
const INSTANCE: &str = "app";

/// `Key=Value` lines of a unit file, with their sections, in order.
fn unit_settings(path: &Path) -> Vec<(String, String, String)> {
    let mut section = String::new();
    let mut out = Vec::new();
    for line in fs::read_to_string(path).unwrap().lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        assert!(
            !line.ends_with('\\'),
            "{}: continued lines are not read by this test: {line}",
            path.display()
        );
        if let Some(s) = line.strip_prefix('[') {
            section = s.trim_end_matches(']').to_string();
            continue;
        }
        let (k, v) = line
            .split_once('=')
            .unwrap_or_else(|| panic!("{}: not a setting: {line}", path.display()));
        out.push((section.clone(), k.trim().to_string(), v.trim().to_string()));
    }
    out
}

fn values<'a>(settings: &'a [(String, String, String)], section: &str, key: &str) -> Vec<&'a str> {
    settings
        .iter()
        .filter(|(s, k, _)| s == section && k == key)
        .map(|(_, _, v)| v.as_str())
        .collect()
}

fn one<'a>(settings: &'a [(String, String, String)], section: &str, key: &str) -> &'a str {
    match values(settings, section, key)[..] {
        [v] => v,
        ref vs => panic!("[{section}] {key}= should be set once, found {vs:?}"),
    }
}

/// The units as instance `app`, in `dir`, with ExecStart running the built binary.
fn install_units(dir: &Path) -> (PathBuf, PathBuf) {
    let unit = fs::read_to_string(contrib().join(SERVICE)).unwrap();
    let exec = "ExecStart=/usr/local/bin/cairn ";
    assert_eq!(
        unit.matches(exec).count(),
        1,
        "{SERVICE}: one `{exec}...` line expected"
    );
    let service = dir.join(format!("cairn@{INSTANCE}.service"));
    let timer = dir.join(format!("cairn@{INSTANCE}.timer"));
    fs::write(
        &service,
        unit.replace(exec, &format!("ExecStart={} ", bin())),
    )
    .unwrap();
    fs::copy(contrib().join(TIMER), &timer).unwrap();
    (service, timer)
}

/// A MANPATH holding contrib/man's pages, so that the units' `Documentation=man:…`
/// references are checked against the pages that ship.
fn man_path(dir: &Path) -> PathBuf {
    let man1 = dir.join("man/man1");
    fs::create_dir_all(&man1).unwrap();
    for e in fs::read_dir(contrib().join("man")).unwrap() {
        let e = e.unwrap();
        fs::copy(e.path(), man1.join(e.file_name())).unwrap();
    }
    dir.join("man")
}

fn systemd_analyze(dir: &Path) -> Command {
    let mut c = Command::new("systemd-analyze");
    c.current_dir(dir)
        .env("SYSTEMD_LOG_COLOR", "0")
        .env("SYSTEMD_PAGER", "")
        .env("LC_ALL", "C");
    c
}

#[test]
fn systemd_units_pass_verify_without_a_warning() {
    need("systemd-analyze", "systemd");
    need("man", "man-db");
    let dir = tempfile::tempdir().unwrap();
    let (service, timer) = install_units(dir.path());
    let out = systemd_analyze(dir.path())
        .env("MANPATH", man_path(dir.path()))
        .args(["verify", "--man=yes"])
        .arg(&service)
        .arg(&timer)
        .output()
        .unwrap();
    let said = text(&out);
    // Lines about other units (the system's own, pulled in as dependencies) are not
    // this test's business; every line about ours is a finding.
    let ours: Vec<&str> = said.lines().filter(|l| l.contains("cairn")).collect();
    assert!(
        out.status.success() && ours.is_empty(),
        "systemd-analyze verify ({:?}):\n{said}",
        out.status.code()
    );
    if !said.trim().is_empty() {
        eprintln!("systemd-analyze verify, about other units:\n{said}");
    }
}

#[test]
fn systemd_service_is_hardened() {
    need("systemd-analyze", "systemd");
    let dir = tempfile::tempdir().unwrap();
    let (service, _) = install_units(dir.path());
    // Exposure 0 (locked down) to 10 (unprotected); up to 3.9 is rated "OK". The
    // threshold makes systemd-analyze itself fail above 3.0.
    let out = ok(
        systemd_analyze(dir.path())
            .args(["security", "--offline=true", "--threshold=30", "--no-pager"])
            .arg(&service),
        "systemd-analyze security",
    );
    let said = text(&out);
    let level: f64 = said
        .lines()
        .find_map(|l| {
            l.split_once("Overall exposure level for ")?
                .1
                .split_once(": ")
        })
        .and_then(|(_, rest)| rest.split_whitespace().next()?.parse().ok())
        .unwrap_or_else(|| panic!("no overall exposure level in:\n{said}"));
    assert!(level <= 3.0, "exposure {level}:\n{said}");
}

#[test]
fn systemd_units_have_the_settings_the_docs_promise() {
    let s = unit_settings(&contrib().join(SERVICE));
    assert_eq!(one(&s, "Service", "Type"), "oneshot");
    assert!(
        one(&s, "Service", "ExecStart").ends_with(" run %i"),
        "one profile per instance"
    );
    one(&s, "Service", "Nice");
    assert_eq!(one(&s, "Service", "IOSchedulingClass"), "idle");
    assert_eq!(one(&s, "Service", "ProtectSystem"), "strict");
    assert_eq!(one(&s, "Service", "PrivateTmp"), "yes");
    assert_eq!(one(&s, "Service", "NoNewPrivileges"), "yes");
    for k in [
        "ProtectKernelTunables",
        "ProtectKernelModules",
        "ProtectKernelLogs",
    ] {
        assert_eq!(one(&s, "Service", k), "yes", "{k}");
    }
    assert_eq!(
        one(&s, "Service", "CapabilityBoundingSet"),
        "CAP_DAC_READ_SEARCH",
        "root reads everything and gains nothing else"
    );
    let families: Vec<&str> = one(&s, "Service", "RestrictAddressFamilies")
        .split_whitespace()
        .collect();
    for f in ["AF_UNIX", "AF_INET", "AF_INET6"] {
        assert!(families.contains(&f), "{f} missing from {families:?}");
    }
    let cred = one(&s, "Service", "LoadCredential");
    let (name, _) = cred.split_once(':').expect("LoadCredential=NAME:PATH");
    let env = service_environment(&s);
    assert_eq!(
        env.get("CAIRN_PASSPHRASE_FILE").map(String::as_str),
        Some(format!("%d/{name}").as_str()),
        "the passphrase comes from the credential"
    );
    for (k, v) in &env {
        assert!(!is_secret_var(k), "a secret written into the unit: {k}={v}");
    }

    let t = unit_settings(&contrib().join(TIMER));
    assert_eq!(one(&t, "Timer", "Persistent"), "true");
    one(&t, "Timer", "RandomizedDelaySec");
    one(&t, "Timer", "OnCalendar");
    assert_eq!(one(&t, "Install", "WantedBy"), "timers.target");
}

/// The service's `Environment=` assignments, specifiers not yet expanded.
fn service_environment(s: &[(String, String, String)]) -> BTreeMap<String, String> {
    let mut env = BTreeMap::new();
    for v in values(s, "Service", "Environment") {
        for a in v.split_whitespace() {
            assert!(!a.contains('"') && !a.contains('\''), "quoting: {v}");
            let (k, v) = a.split_once('=').unwrap();
            env.insert(k.to_string(), v.to_string());
        }
    }
    env
}

/// Expands the specifiers a system service's settings may use here.
fn expand(v: &str, specifiers: &[(char, &Path)]) -> String {
    let mut out = String::new();
    let mut chars = v.chars();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('%') => out.push('%'),
            Some('i') => out.push_str(INSTANCE),
            Some(s) => match specifiers.iter().find(|(k, _)| *k == s) {
                Some((_, p)) => out.push_str(p.to_str().unwrap()),
                None => panic!("specifier %{s} in {v:?} is not modelled by this test"),
            },
            None => panic!("a lone % in {v:?}"),
        }
    }
    out
}

/// Every path under `root` with, for files, size and modification time.
fn tree(root: &Path) -> BTreeMap<PathBuf, Option<(u64, SystemTime)>> {
    let mut out = BTreeMap::new();
    let mut todo = vec![root.to_path_buf()];
    while let Some(d) = todo.pop() {
        for e in fs::read_dir(&d).unwrap() {
            let e = e.unwrap();
            let m = fs::symlink_metadata(e.path()).unwrap();
            let rel = e.path().strip_prefix(root).unwrap().to_path_buf();
            if m.is_dir() {
                todo.push(e.path());
                out.insert(rel, None);
            } else {
                out.insert(rel, Some((m.len(), m.modified().unwrap())));
            }
        }
    }
    out
}

/// ProtectSystem=strict leaves cairn the cache and state directories (and a private
/// /tmp; a directory repository gets ReadWritePaths= in a drop-in). `cairn run`, given
/// exactly the environment the unit sets, must keep its cache, lock, run state and
/// trust pins in there: anything it wrote elsewhere would fail under systemd.
#[test]
fn systemd_service_environment_keeps_cairn_in_its_writable_directories() {
    let s = unit_settings(&contrib().join(SERVICE));
    let t = tempfile::tempdir().unwrap();
    let t = t.path();
    let p = |rel: &str| t.join(rel);
    for d in [
        "cache", "state", "creds", "tmp", "home", "cwd", "keys", "src", "profiles",
    ] {
        fs::create_dir_all(p(d)).unwrap();
    }
    fs::write(p("src/a.txt"), "first night\n").unwrap();
    fs::write(p("src/b.txt"), vec![7u8; 300_000]).unwrap();
    // The credential, as systemd leaves it: the service user's, mode 0400.
    let (cred, _) = one(&s, "Service", "LoadCredential")
        .split_once(':')
        .unwrap();
    fs::write(p("creds").join(cred), "correct horse\n").unwrap();
    fs::set_permissions(p("creds").join(cred), fs::Permissions::from_mode(0o400)).unwrap();

    // Key and repository, made with an environment of their own, outside the watch.
    let setup = |args: &[&str]| {
        ok(
            Command::new(bin())
                .env_clear()
                .env("PATH", std::env::var_os("PATH").unwrap())
                .env("HOME", p("setup/home"))
                .env("CAIRN_CACHE_DIR", p("setup/cache"))
                .env("CAIRN_PIN_DIR", p("setup/pins"))
                .env("CAIRN_PASSPHRASE_FILE", p("creds").join(cred))
                .args(args),
            &format!("cairn {}", args.join(" ")),
        )
    };
    let key = p("keys/app.key");
    setup(&["key", "generate", "--out", key.to_str().unwrap()]);
    setup(&[
        "-r",
        p("repo").to_str().unwrap(),
        "-k",
        key.to_str().unwrap(),
        "init",
    ]);
    fs::write(
        p("profiles/app.toml"),
        format!(
            "repository = \"{}\"\nkey = \"{}\"\ntags = [\"nightly\"]\n\n[source]\npaths = [\"{}\"]\n\n\
             [retention]\nkeep_last = 1\n\n[prune]\nevery = \"12h\"\n\n[check]\nread_data_subset = \"100%\"\n",
            p("repo").display(),
            key.display(),
            p("src").display()
        ),
    )
    .unwrap();

    // The service's environment: systemd's directories for %C, %S and %d, a private
    // /tmp, and a HOME that is watched like every other place.
    let cache_root = p("cache");
    let state_root = p("state");
    let creds = p("creds");
    let spec: [(char, &Path); 3] = [('C', &cache_root), ('S', &state_root), ('d', &creds)];
    let mut run = Command::new(bin());
    run.env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap())
        .env("HOME", p("home"))
        .env("TMPDIR", p("tmp"))
        .current_dir(p("cwd"));
    for (k, v) in service_environment(&s) {
        run.env(k, expand(&v, &spec));
    }
    let exec = one(&s, "Service", "ExecStart");
    let mut words = exec.split_whitespace();
    assert_eq!(words.next(), Some("/usr/local/bin/cairn"));
    run.arg("--config").arg(p("profiles"));
    run.args(words.map(|w| expand(w, &spec)));

    let writable = [
        cache_root.join(one(&s, "Service", "CacheDirectory")),
        state_root.join(one(&s, "Service", "StateDirectory")),
        p("tmp"),
        p("repo"),
    ];
    let before = tree(t);
    ok(&mut run, "first cairn run");
    fs::write(p("src/a.txt"), "second night\n").unwrap();
    ok(&mut run, "second cairn run");
    let after = tree(t);

    let outside: Vec<String> = after
        .iter()
        .filter(|(path, meta)| before.get(*path) != Some(meta))
        .map(|(path, _)| t.join(path))
        .filter(|path| !writable.iter().any(|w| path.starts_with(w)))
        .filter(|path| !path.starts_with(p("src")))
        .map(|path| path.display().to_string())
        .collect();
    assert!(
        outside.is_empty(),
        "cairn run wrote where the unit does not let it:\n{}",
        outside.join("\n")
    );
    let run_dir = writable[0].join("run");
    assert!(
        run_dir.join(format!("{INSTANCE}.state.json")).is_file(),
        "the profile's state should be in {} (the unit's comment says so)",
        run_dir.display()
    );
}

// ---------------------------------------------------------------------------------
// YAML: Kubernetes and docker compose

/// Parses with PyYAML's safe loader, refusing a key given twice (which PyYAML would
/// let the last one win, and kubectl refuses). One JSON value per file: its documents.
const LOAD_YAML: &str = r#"
import json, sys, yaml

class Strict(yaml.SafeLoader):
    pass

def mapping(loader, node):
    loader.flatten_mapping(node)
    seen = set()
    for k, _ in node.value:
        key = loader.construct_object(k, deep=True)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, "key %r given twice" % (key,), k.start_mark)
        seen.add(key)
    return loader.construct_mapping(node, deep=True)

Strict.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, mapping)
out = {}
for path in sys.argv[1:]:
    with open(path) as f:
        out[path] = list(yaml.load_all(f, Loader=Strict))
json.dump(out, sys.stdout)
"#;

fn load_yaml(files: &[PathBuf]) -> BTreeMap<PathBuf, Vec<Value>> {
    need("python3", "python3-yaml");
    let out = Command::new("python3")
        .arg("-c")
        .arg(LOAD_YAML)
        .args(files)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "parsing YAML (PyYAML is the Debian package python3-yaml):\n{}",
        text(&out)
    );
    let all: BTreeMap<String, Vec<Value>> = serde_json::from_slice(&out.stdout).unwrap();
    all.into_iter()
        .map(|(k, v)| (PathBuf::from(k), v))
        .collect()
}

fn yaml_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in fs::read_dir(dir).unwrap() {
        let path = e.unwrap().path();
        if path.is_dir() {
            yaml_files(&path, out);
        } else if path.extension().is_some_and(|x| x == "yaml" || x == "yml") {
            out.push(path);
        }
    }
}

/// The value at a JSON pointer, which must be there.
fn at<'a>(v: &'a Value, ptr: &str, what: &str) -> &'a Value {
    v.pointer(ptr)
        .filter(|x| !x.is_null())
        .unwrap_or_else(|| panic!("{what}: {ptr} missing"))
}

/// The string at a JSON pointer, which must be there.
fn str_at<'a>(v: &'a Value, ptr: &str, what: &str) -> &'a str {
    at(v, ptr, what)
        .as_str()
        .unwrap_or_else(|| panic!("{what}: {ptr} is not a string"))
}

fn strings(v: &Value, what: &str) -> Vec<String> {
    v.as_array()
        .unwrap_or_else(|| panic!("{what}: not a list"))
        .iter()
        .map(|s| {
            s.as_str()
                .unwrap_or_else(|| panic!("{what}: {s} is not a string"))
                .to_string()
        })
        .collect()
}

#[test]
fn every_yaml_file_under_contrib_parses() {
    let mut files = Vec::new();
    yaml_files(&contrib(), &mut files);
    for expected in [
        "kubernetes/cronjob.yaml",
        "kubernetes/restore-job.yaml",
        "docker-compose.yml",
    ] {
        assert!(files.contains(&contrib().join(expected)), "{expected}");
    }
    let docs = load_yaml(&files);
    for (f, d) in docs {
        assert!(
            !d.is_empty() && d.iter().all(Value::is_object),
            "{}: every document a mapping",
            f.display()
        );
    }
}

#[test]
fn yaml_parser_refuses_a_key_given_twice() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("twice.yaml");
    fs::write(&f, "a: 1\nb:\n  c: 2\n  c: 3\n").unwrap();
    let out = Command::new("python3")
        .arg("-c")
        .arg(LOAD_YAML)
        .arg(&f)
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(text(&out).contains("given twice"), "{}", text(&out));
}

/// What [`check_pod`] found: the container's literal environment and the volume the
/// cache is on.
struct Pod {
    env: BTreeMap<String, String>,
    cache_volume: Value,
}

/// One pod template of a CronJob or Job, checked for what every cairn pod needs.
fn check_pod(pod: &Value, what: &str) -> Pod {
    let spec = at(pod, "/spec", what);
    assert_eq!(
        at(spec, "/securityContext/runAsNonRoot", what),
        true,
        "{what}: runAsNonRoot"
    );
    assert_eq!(
        at(spec, "/securityContext/runAsUser", what),
        10001,
        "{what}: the image's user"
    );
    let policy = at(spec, "/restartPolicy", what);
    assert!(
        policy == "Never" || policy == "OnFailure",
        "{what}: {policy}"
    );
    let containers = at(spec, "/containers", what).as_array().unwrap();
    assert_eq!(containers.len(), 1, "{what}: one container");
    let c = &containers[0];
    assert_eq!(at(c, "/image", what), "cairn:latest", "{what}: image");
    for (k, want) in [
        ("readOnlyRootFilesystem", true),
        ("allowPrivilegeEscalation", false),
    ] {
        assert_eq!(
            at(c, &format!("/securityContext/{k}"), what),
            want,
            "{what}: {k}"
        );
    }
    for r in ["requests", "limits"] {
        for k in ["cpu", "memory"] {
            at(c, &format!("/resources/{r}/{k}"), what);
        }
    }
    assert_cairn_accepts(&strings(at(c, "/args", what), what), what);

    let volumes: BTreeMap<String, &Value> = at(spec, "/volumes", what)
        .as_array()
        .unwrap()
        .iter()
        .map(|v| (str_at(v, "/name", what).to_string(), v))
        .collect();
    for (name, v) in &volumes {
        if let Some(mode) = v.pointer("/secret/defaultMode") {
            let mode = mode.as_u64().unwrap();
            assert_eq!(
                mode & 0o004,
                0,
                "{what}: Secret volume {name} world-readable ({mode:o}): cairn refuses such a passphrase file"
            );
        }
    }
    let mounts: Vec<(String, &Value, bool)> = at(c, "/volumeMounts", what)
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            let name = str_at(m, "/name", what);
            let volume = volumes
                .get(name)
                .unwrap_or_else(|| panic!("{what}: mount of undefined volume {name}"));
            let ro = m.pointer("/readOnly") == Some(&Value::Bool(true));
            (str_at(m, "/mountPath", what).to_string(), *volume, ro)
        })
        .collect();
    let mount_of = |path: &str| {
        mounts
            .iter()
            .filter(|(m, _, _)| Path::new(path).starts_with(m))
            .max_by_key(|(m, _, _)| m.len())
            .unwrap_or_else(|| panic!("{what}: {path} is on no volume"))
    };

    let mut env = BTreeMap::new();
    for e in at(c, "/env", what).as_array().unwrap() {
        let name = str_at(e, "/name", what).to_string();
        match e.pointer("/value") {
            Some(v) => {
                assert!(
                    !is_secret_var(&name),
                    "{what}: {name} written into the manifest"
                );
                env.insert(name, v.as_str().unwrap().to_string());
            }
            None => {
                at(e, "/valueFrom/secretKeyRef/name", what);
            }
        }
    }
    // Key, passphrase and store credentials: files from Secrets, mounted read-only.
    let store = ["AWS_SHARED_CREDENTIALS_FILE", "OS_CLIENT_CONFIG_FILE"];
    assert!(
        store.iter().any(|k| env.contains_key(*k)),
        "{what}: store credentials as a file ({store:?})"
    );
    for k in ["CAIRN_KEY", "CAIRN_PASSPHRASE_FILE"]
        .iter()
        .chain(store.iter())
        .filter(|k| env.contains_key(**k))
    {
        let (_, volume, ro) = mount_of(&env[*k]);
        assert!(
            volume.pointer("/secret/secretName").is_some() && *ro,
            "{what}: {k} should be a file of a Secret mounted read-only"
        );
    }
    // The read-only root leaves cairn the volumes: its cache, its pins, temporary files.
    let tmp = env.get("TMPDIR").map(String::as_str).unwrap_or("/tmp");
    for path in [&env["CAIRN_CACHE_DIR"], &env["CAIRN_PIN_DIR"], tmp] {
        let (_, volume, ro) = mount_of(path);
        assert!(
            !ro && volume.pointer("/secret").is_none() && volume.pointer("/configMap").is_none(),
            "{what}: {path} must be on a writable volume"
        );
    }
    let cache_volume = mount_of(&env["CAIRN_CACHE_DIR"]).1.clone();
    Pod { env, cache_volume }
}

#[test]
fn kubernetes_cronjob_runs_a_profile_nightly_with_secrets_and_a_cache_volume() {
    let f = contrib().join("kubernetes/cronjob.yaml");
    let docs = load_yaml(std::slice::from_ref(&f)).remove(&f).unwrap();
    let of = |kind: &str| -> Vec<&Value> { docs.iter().filter(|d| d["kind"] == kind).collect() };
    let [cron] = of("CronJob")[..] else {
        panic!("one CronJob")
    };
    let what = "cronjob.yaml";
    assert_eq!(
        at(cron, "/spec/concurrencyPolicy", what),
        "Forbid",
        "{what}: no second backup while one runs"
    );
    let schedule = str_at(cron, "/spec/schedule", what);
    assert_eq!(schedule.split_whitespace().count(), 5, "{schedule}");
    let pod = at(cron, "/spec/jobTemplate/spec/template", what);
    let cache = check_pod(pod, what).cache_volume;

    // The cache is a claim this file defines.
    let claim = at(&cache, "/persistentVolumeClaim/claimName", what);
    assert!(
        of("PersistentVolumeClaim")
            .iter()
            .any(|c| c["metadata"]["name"] == *claim),
        "{what}: no PersistentVolumeClaim {claim}"
    );

    // `cairn run NAME`: the profile comes from a ConfigMap of this file, mounted where
    // cairn looks for profiles, and cairn parses it.
    let args = strings(at(pod, "/spec/containers/0/args", what), what);
    let name = match &args[..] {
        [run, name] if run == "run" => name.clone(),
        _ => panic!("{what}: args should be [run, PROFILE], are {args:?}"),
    };
    let mounts = at(pod, "/spec/containers/0/volumeMounts", what)
        .as_array()
        .unwrap();
    let profile_mount = mounts
        .iter()
        .find(|m| m["mountPath"] == "/etc/cairn/profiles")
        .unwrap_or_else(|| panic!("{what}: nothing mounted at /etc/cairn/profiles"));
    let volume = at(pod, "/spec/volumes", what)
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["name"] == profile_mount["name"])
        .unwrap();
    let map_name = at(volume, "/configMap/name", what);
    let map = of("ConfigMap")
        .into_iter()
        .find(|m| m["metadata"]["name"] == *map_name)
        .unwrap_or_else(|| panic!("{what}: no ConfigMap {map_name}"));
    let toml = str_at(map, &format!("/data/{name}.toml"), what);
    let profile = cairn::profile::Profile::parse(&name, Path::new("app.toml"), toml)
        .unwrap_or_else(|e| panic!("{what}: the profile does not parse: {e}"));
    // Pods get a new host name every night; retention groups by host.
    assert!(
        profile.host.is_some(),
        "{what}: the profile should set host"
    );
}

#[test]
fn kubernetes_restore_job_runs_once() {
    let f = contrib().join("kubernetes/restore-job.yaml");
    let docs = load_yaml(std::slice::from_ref(&f)).remove(&f).unwrap();
    let what = "restore-job.yaml";
    let [job] = &docs[..] else {
        panic!("{what}: one document")
    };
    assert_eq!(job["kind"], "Job", "{what}");
    assert_eq!(
        at(job, "/spec/backoffLimit", what),
        0,
        "{what}: a failed restore is not retried"
    );
    let pod = at(job, "/spec/template", what);
    let env = check_pod(pod, what).env;
    assert!(env.contains_key("CAIRN_REPO"), "{what}: CAIRN_REPO");
    let args = strings(at(pod, "/spec/containers/0/args", what), what);
    assert!(
        ["restore", "restore-db"].contains(&args[0].as_str()),
        "{what}: {args:?}"
    );
}

fn compose_environment(service: &Value, what: &str) -> BTreeMap<String, String> {
    match at(service, "/environment", what) {
        Value::Object(m) => m
            .iter()
            .map(|(k, v)| (k.clone(), v.as_str().unwrap_or(&v.to_string()).to_string()))
            .collect(),
        Value::Array(a) => a
            .iter()
            .map(|kv| {
                let (k, v) = kv.as_str().unwrap().split_once('=').unwrap();
                (k.to_string(), v.to_string())
            })
            .collect(),
        other => panic!("{what}: environment {other}"),
    }
}

#[test]
fn compose_backs_up_the_postgres_service_with_secret_files() {
    let f = contrib().join("docker-compose.yml");
    let doc = load_yaml(std::slice::from_ref(&f))
        .remove(&f)
        .unwrap()
        .remove(0);
    let what = "docker-compose.yml";
    let services = at(&doc, "/services", what).as_object().unwrap();
    let (_, backup) = services
        .iter()
        .find(|(_, s)| s["image"] == "cairn:latest")
        .unwrap_or_else(|| panic!("{what}: no service runs cairn:latest"));
    assert!(
        str_at(backup, "/user", what).starts_with("10001"),
        "{what}: the image's user"
    );
    assert_eq!(at(backup, "/read_only", what), true);

    let command = strings(at(backup, "/command", what), what);
    assert_eq!(command[0], "backup");
    assert_cairn_accepts(&command, what);
    let url = command
        .windows(2)
        .find(|w| w[0] == "--postgres")
        .map(|w| w[1].clone())
        .unwrap_or_else(|| panic!("{what}: no --postgres"));
    // The URL's host is the Postgres service next to it, which the backup waits for.
    let host = url
        .split_once('@')
        .map(|(_, r)| r)
        .unwrap_or(url.trim_start_matches("postgresql://"))
        .split([':', '/'])
        .next()
        .unwrap();
    let db = services
        .get(host)
        .unwrap_or_else(|| panic!("{what}: --postgres {url} names no service"));
    assert!(
        str_at(db, "/image", what).starts_with("postgres"),
        "{what}: {host} is not a PostgreSQL service"
    );
    at(backup, &format!("/depends_on/{host}"), what);
    assert!(services.len() >= 3, "{what}: an app next to the database");

    // Every secret is a file: nothing secret in the environment, and each file the
    // environment names is a declared secret of the service, from a file.
    let declared = strings(at(backup, "/secrets", what), what);
    let env = compose_environment(backup, what);
    for k in ["CAIRN_KEY", "CAIRN_PASSPHRASE_FILE", "PGPASSFILE"] {
        assert!(env.contains_key(k), "{what}: {k}");
    }
    for (k, v) in &env {
        assert!(!is_secret_var(k), "{what}: {k} in the environment");
        if let Some(name) = v.strip_prefix("/run/secrets/") {
            assert!(declared.iter().any(|d| d == name), "{what}: {k}: {name}");
            at(&doc, &format!("/secrets/{name}/file"), what);
        }
    }
    for k in ["CAIRN_KEY", "CAIRN_PASSPHRASE_FILE", "PGPASSFILE"] {
        assert!(env[k].starts_with("/run/secrets/"), "{what}: {k}");
    }
    let volumes = strings(at(backup, "/volumes", what), what);
    assert!(
        volumes
            .iter()
            .any(|v| v.split(':').nth(1) == Some(env["CAIRN_CACHE_DIR"].as_str())),
        "{what}: the cache should be on a volume"
    );
}

// ---------------------------------------------------------------------------------
// Completions and man pages

const COMPLETIONS: [(&str, &str); 3] = [
    ("bash", "cairn.bash"),
    ("zsh", "_cairn"),
    ("fish", "cairn.fish"),
];

const REGENERATE: &str =
    "regenerate them (docs/OPERATIONS.md, \"Shell completions and man pages\"):\n  \
    rm -f contrib/man/*.1 && cargo run -q -- man --out contrib/man && \
    for s in bash:cairn.bash zsh:_cairn fish:cairn.fish; do \
    cargo run -q -- completions ${s%%:*} > contrib/completions/${s#*:}; done";

#[test]
fn completions_are_what_the_binary_generates() {
    for (shell, file) in COMPLETIONS {
        let out = ok(
            Command::new(bin()).env_clear().args(["completions", shell]),
            "cairn completions",
        );
        let committed = fs::read(contrib().join("completions").join(file)).unwrap();
        assert!(
            out.stdout == committed,
            "contrib/completions/{file} is not what `cairn completions {shell}` prints: {REGENERATE}"
        );
    }
}

#[test]
fn man_pages_are_what_the_binary_generates() {
    let dir = tempfile::tempdir().unwrap();
    let out_dir = dir.path().join("man");
    ok(
        Command::new(bin())
            .env_clear()
            .args(["man", "--out"])
            .arg(&out_dir),
        "cairn man",
    );
    let read = |d: &Path| -> BTreeMap<String, Vec<u8>> {
        fs::read_dir(d)
            .unwrap()
            .map(|e| {
                let e = e.unwrap();
                (
                    e.file_name().into_string().unwrap(),
                    fs::read(e.path()).unwrap(),
                )
            })
            .collect()
    };
    let fresh = read(&out_dir);
    let committed = read(&contrib().join("man"));
    for name in [
        "cairn.1",
        "cairn-run.1",
        "cairn-key-generate.1",
        "cairn-man.1",
    ] {
        assert!(fresh.contains_key(name), "{name} not generated");
    }
    let names = |m: &BTreeMap<String, Vec<u8>>| m.keys().cloned().collect::<Vec<_>>();
    assert_eq!(
        names(&committed),
        names(&fresh),
        "contrib/man has other pages than `cairn man` writes: {REGENERATE}"
    );
    for (name, page) in &fresh {
        assert!(
            committed[name] == *page,
            "contrib/man/{name} differs from what `cairn man` writes: {REGENERATE}"
        );
    }
}

#[test]
fn completion_scripts_parse_and_complete_in_their_shells() {
    let dir = contrib().join("completions");
    let script = |f: &str| dir.join(f).to_str().unwrap().to_string();

    need("bash", "bash");
    ok(
        Command::new("bash").arg("-n").arg(script("cairn.bash")),
        "bash -n",
    );
    let out = ok(
        Command::new("bash").arg("-c").arg(format!(
            "source '{}'; COMP_WORDS=(cairn ba); COMP_CWORD=1; _cairn cairn ba cairn; \
             printf '%s\\n' \"${{COMPREPLY[@]}}\"",
            script("cairn.bash")
        )),
        "bash completion",
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout), "backup\n");

    need("zsh", "zsh");
    ok(
        Command::new("zsh").arg("-n").arg(script("_cairn")),
        "zsh -n",
    );
    let zsh = fs::read_to_string(dir.join("_cairn")).unwrap();
    assert!(
        zsh.starts_with("#compdef cairn\n"),
        "zsh autoloads by #compdef"
    );

    need("fish", "fish");
    ok(
        Command::new("fish")
            .arg("--no-execute")
            .arg(script("cairn.fish")),
        "fish --no-execute",
    );
    let out = ok(
        Command::new("fish")
            .arg("--no-config")
            .arg("-c")
            .arg(format!(
                "source '{}'; complete -C 'cairn ba'",
                script("cairn.fish")
            )),
        "fish completion",
    );
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(said.starts_with("backup\t"), "{said}");
}
