//! Shared harness: run the built `cairn` binary in a clean environment (no inherited
//! CAIRN_*, AWS_*, OS_*, ST_* variables), each test in its own temporary directory.
#![allow(dead_code)]

pub mod forge;
pub mod mariadb;
pub mod postgres;
pub mod profiles;
pub mod receiver;
#[macro_use]
pub mod stores;

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_cairn")
}

pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

/// Runs `cmd` with `input` on its stdin, written from another thread so a child that
/// answers before reading everything cannot deadlock on a full pipe.
pub fn run_with_input(cmd: &mut Command, input: &[u8]) -> Output {
    use std::io::Write;
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let data = input.to_vec();
    let writer = std::thread::spawn(move || stdin.write_all(&data));
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap().unwrap();
    out
}

/// Requires success, showing `what` and the child's stderr otherwise.
pub fn assert_ok(out: &Output, what: &str) {
    assert!(
        out.status.success(),
        "{what} failed ({:?}):\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The last `cairn …` line of a run that must have failed with exit 1.
pub fn error_line(out: &Output, what: &str) -> String {
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(1), "{what} should fail:\n{err}");
    err.lines()
        .rfind(|l| l.starts_with("cairn "))
        .unwrap_or_else(|| panic!("{what}: no error line in\n{err}"))
        .to_string()
}

/// A scratch world: repository, key, cache and data under one temporary directory.
pub struct World {
    pub dir: tempfile::TempDir,
    pub repo: PathBuf,
    pub key: PathBuf,
    pub cache: PathBuf,
    pub passphrase_file: Option<PathBuf>,
    /// Where the repository is when it is not the directory `repo`: a swift:// or s3://
    /// URL, with the variables that give access to it.
    pub url: Option<String>,
    pub env: Vec<(String, String)>,
}

impl World {
    /// A fresh key (no passphrase) and an initialised repository.
    pub fn new() -> World {
        let w = World::bare();
        w.ok(&["key", "generate", "--out", w.key.to_str().unwrap()]);
        w.ok(&["init"]);
        w
    }

    /// Paths only: no key, no repository.
    pub fn bare() -> World {
        let dir = tempfile::tempdir().unwrap();
        fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o755)).unwrap();
        World {
            repo: dir.path().join("repo"),
            key: dir.path().join("test.key"),
            cache: dir.path().join("cache"),
            passphrase_file: None,
            url: None,
            env: Vec::new(),
            dir,
        }
    }

    /// A copy of the committed format-v1 repository (fixtures/repo-v1) with its key.
    pub fn format_v1() -> World {
        let mut w = World::bare();
        copy_dir(&fixtures().join("repo-v1"), &w.repo);
        w.key = fixtures().join("keys/gpg-ed25519-nopass.sec.asc");
        w
    }

    /// A fresh key and a repository initialised in `store`.
    pub fn on(store: stores::Store) -> World {
        let mut w = World::bare();
        if store != stores::Store::File {
            w.url = Some(store.url(w.dir.path()));
            w.env = store.env();
        }
        w.ok(&["key", "generate", "--out", w.key.to_str().unwrap()]);
        w.ok(&["init"]);
        w
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    pub fn cmd(&self) -> Command {
        let mut c = Command::new(bin());
        for (k, _) in std::env::vars_os() {
            let k = k.to_string_lossy();
            if ["CAIRN_", "AWS_", "OS_", "ST_"]
                .iter()
                .any(|p| k.starts_with(p))
            {
                c.env_remove(k.as_ref());
            }
        }
        match &self.url {
            Some(url) => c.env("CAIRN_REPO", url),
            None => c.env("CAIRN_REPO", &self.repo),
        };
        c.envs(self.env.iter().map(|(k, v)| (k, v)))
            .env("CAIRN_KEY", &self.key)
            .env("CAIRN_CACHE_DIR", &self.cache)
            .env("HOME", self.dir.path())
            .stdin(Stdio::null());
        if let Some(p) = &self.passphrase_file {
            c.env("CAIRN_PASSPHRASE_FILE", p);
        }
        c
    }

    /// `cairn backup` of the output of a shell script (written to `slow.sh`), named
    /// `big.dump`: a stream as slow as the script makes it, for catching a backup in
    /// flight. The caller chooses stdio and spawns it.
    pub fn stream_backup(&self, script: &str) -> Command {
        let gen = self.path("slow.sh");
        fs::write(&gen, script).unwrap();
        let mut c = self.cmd();
        c.args([
            "backup",
            "--stdin-name",
            "big.dump",
            "--stdin-from",
            &format!("sh {}", gen.display()),
        ]);
        c
    }

    pub fn run(&self, args: &[&str]) -> Output {
        self.cmd().args(args).output().unwrap()
    }

    /// Runs with `CAIRN_TEST_FAULTS` set (src/backend/fault.rs) and retries without waits.
    pub fn with_faults(&self, faults: &str, args: &[&str]) -> Output {
        self.cmd()
            .env("CAIRN_TEST_FAULTS", faults)
            .env("CAIRN_RETRY_FAST", "1")
            .args(args)
            .output()
            .unwrap()
    }

    /// Runs and requires success; returns stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "cairn {args:?} failed ({:?}):\n{}",
            out.status.code(),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    /// Runs and requires failure with `code`; returns stderr.
    pub fn fails(&self, args: &[&str], code: i32) -> String {
        let out = self.run(args);
        let err = String::from_utf8_lossy(&out.stderr).into_owned();
        assert_eq!(
            out.status.code(),
            Some(code),
            "cairn {args:?} should exit {code}; stdout:\n{}\nstderr:\n{err}",
            String::from_utf8_lossy(&out.stdout)
        );
        err
    }

    /// Runs with `input` on stdin and requires success; returns stdout.
    pub fn ok_stdin(&self, args: &[&str], input: &[u8]) -> String {
        let out = run_with_input(self.cmd().args(args), input);
        assert_ok(&out, &format!("cairn {args:?}"));
        String::from_utf8(out.stdout).unwrap()
    }

    pub fn json(&self, args: &[&str]) -> serde_json::Value {
        let mut a = vec!["--json"];
        a.extend_from_slice(args);
        serde_json::from_str(&self.ok(&a)).expect("valid JSON")
    }

    /// Backs up and returns the snapshot's JSON summary.
    pub fn backup(&self, args: &[&str]) -> serde_json::Value {
        let mut a = vec!["backup"];
        a.extend_from_slice(args);
        self.json(&a)
    }

    /// Fingerprint of the world's key.
    pub fn fingerprint(&self) -> String {
        self.json(&["key", "info"])["fingerprint"]
            .as_str()
            .unwrap()
            .to_string()
    }

    pub fn snapshots(&self) -> Vec<serde_json::Value> {
        self.json(&["snapshots"]).as_array().unwrap().clone()
    }

    /// Every object of a kind in the repository (`data`, `snapshots`, `index`, …).
    pub fn objects(&self, kind: &str) -> Vec<PathBuf> {
        let mut out = Vec::new();
        let mut stack = vec![self.repo.join(kind)];
        while let Some(d) = stack.pop() {
            let Ok(rd) = fs::read_dir(&d) else { continue };
            for e in rd.flatten() {
                let p = e.path();
                if p.is_dir() {
                    stack.push(p);
                } else {
                    out.push(p);
                }
            }
        }
        out.sort();
        out
    }

    /// Every file below the repository with its content, to prove nothing changed.
    pub fn listing(&self) -> Vec<(PathBuf, Vec<u8>)> {
        let mut out = Vec::new();
        let mut stack = vec![self.repo.clone()];
        while let Some(d) = stack.pop() {
            for e in fs::read_dir(&d).unwrap().flatten() {
                let p = e.path();
                if p.is_dir() {
                    stack.push(p);
                } else {
                    let rel = p.strip_prefix(&self.repo).unwrap().to_path_buf();
                    out.push((rel, fs::read(&p).unwrap()));
                }
            }
        }
        out.sort();
        out
    }

    /// Like `objects`, without the temporary files of uploads in progress (or killed).
    pub fn stored(&self, kind: &str) -> Vec<PathBuf> {
        let mut out = self.objects(kind);
        out.retain(|p| !p.file_name().unwrap().to_string_lossy().starts_with('.'));
        out
    }

    /// The stored data pack holding most of the bytes (the data, not the trees).
    pub fn biggest_pack(&self) -> PathBuf {
        self.stored("data")
            .into_iter()
            .max_by_key(|p| fs::metadata(p).unwrap().len())
            .unwrap()
    }

    /// Flips a byte in the middle of the biggest pack, as a failing disk would.
    pub fn damage_biggest_pack(&self) {
        let pack = self.biggest_pack();
        let mut bytes = fs::read(&pack).unwrap();
        let mid = bytes.len() / 2;
        bytes[mid] ^= 0xff;
        fs::write(&pack, &bytes).unwrap();
    }
}

/// A small tree: a text file that compresses and 3 MB of noise that does not.
pub fn small_tree(w: &World, seed: u64) -> PathBuf {
    let src = w.path("src");
    fs::create_dir_all(src.join("d")).unwrap();
    fs::write(src.join("d/a.txt"), "alpha\n".repeat(10_000)).unwrap();
    fs::write(src.join("b.bin"), noise(3_000_000, seed)).unwrap();
    src
}

/// Deterministic pseudo-random bytes (xorshift), incompressible enough for dedup tests.
pub fn noise(n: usize, seed: u64) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut v = Vec::with_capacity(n + 8);
    while v.len() < n {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        v.extend_from_slice(&x.to_le_bytes());
    }
    v.truncate(n);
    v
}

/// Text shaped like a `COPY` section of a dump: `rows` lines of tab-separated values.
pub fn dump_rows(rows: usize, changed: impl Fn(usize) -> bool) -> Vec<u8> {
    let mut out = Vec::with_capacity(rows * 90);
    for i in 0..rows {
        let balance = if changed(i) { 1000 + i % 7 } else { i % 5000 };
        out.extend_from_slice(
            format!(
                "{i}\t{}\t{balance}\tcustomer-{:08x} street {} city {}\n",
                i % 100,
                (i as u64).wrapping_mul(2654435761) & 0xffff_ffff,
                i % 997,
                i % 31
            )
            .as_bytes(),
        );
    }
    out
}

/// Copies a directory tree (files, directories and symlinks).
pub fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for e in fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let dst = to.join(e.file_name());
        let ft = e.file_type().unwrap();
        if ft.is_dir() {
            copy_dir(&e.path(), &dst);
        } else if ft.is_symlink() {
            std::os::unix::fs::symlink(fs::read_link(e.path()).unwrap(), dst).unwrap();
        } else {
            fs::copy(e.path(), dst).unwrap();
        }
    }
}

/// Compares two trees by content, types and symlink targets only (for trees checked out
/// by git, which keeps neither mtimes nor most mode bits).
pub fn assert_same_content(a: &Path, b: &Path) {
    let mut names: Vec<_> = fs::read_dir(a)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    let mut other: Vec<_> = fs::read_dir(b)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    names.sort();
    other.sort();
    assert_eq!(names, other, "{} vs {}", a.display(), b.display());
    for n in names {
        let (pa, pb) = (a.join(&n), b.join(&n));
        let (ma, mb) = (
            fs::symlink_metadata(&pa).unwrap(),
            fs::symlink_metadata(&pb).unwrap(),
        );
        assert_eq!(ma.file_type(), mb.file_type(), "{}", pa.display());
        if ma.is_symlink() {
            assert_eq!(fs::read_link(&pa).unwrap(), fs::read_link(&pb).unwrap());
        } else if ma.is_dir() {
            assert_same_content(&pa, &pb);
        } else {
            assert!(
                fs::read(&pa).unwrap() == fs::read(&pb).unwrap(),
                "{}",
                pa.display()
            );
        }
    }
}

/// Compares two trees: same names, types, contents, symlink targets, modes and mtimes.
pub fn assert_same_tree(a: &Path, b: &Path) {
    use std::os::unix::fs::MetadataExt;
    let mut names_a: Vec<_> = fs::read_dir(a)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    let mut names_b: Vec<_> = fs::read_dir(b)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    names_a.sort();
    names_b.sort();
    assert_eq!(
        names_a,
        names_b,
        "entries of {} vs {}",
        a.display(),
        b.display()
    );
    for n in names_a {
        let (pa, pb) = (a.join(&n), b.join(&n));
        let (ma, mb) = (
            fs::symlink_metadata(&pa).unwrap(),
            fs::symlink_metadata(&pb).unwrap(),
        );
        assert_eq!(ma.file_type(), mb.file_type(), "{}", pa.display());
        if ma.file_type().is_symlink() {
            assert_eq!(fs::read_link(&pa).unwrap(), fs::read_link(&pb).unwrap());
            continue;
        }
        assert_eq!(ma.mode(), mb.mode(), "mode of {}", pa.display());
        if ma.is_dir() {
            assert_same_tree(&pa, &pb);
        } else if ma.is_file() {
            assert_eq!(ma.len(), mb.len(), "size of {}", pa.display());
            assert!(
                fs::read(&pa).unwrap() == fs::read(&pb).unwrap(),
                "content of {}",
                pa.display()
            );
        }
        assert_eq!(
            (ma.mtime(), ma.mtime_nsec()),
            (mb.mtime(), mb.mtime_nsec()),
            "mtime of {}",
            pa.display()
        );
    }
}

pub fn is_root() -> bool {
    use std::os::unix::fs::MetadataExt;
    fs::metadata("/proc/self").unwrap().uid() == 0
}

/// Runs the binary as `nobody` on a world made reachable to it: the binary copied in
/// (the build directory may be below a private home), everything owned by `nobody`,
/// the same clean environment as `World::cmd`.
pub fn run_as_nobody(w: &World, args: &[&str]) -> Output {
    let copy = w.path("cairn-bin");
    if !copy.exists() {
        fs::copy(bin(), &copy).unwrap();
    }
    let st = Command::new("chown")
        .args(["-R", "65534:65534"])
        .arg(w.dir.path())
        .status()
        .unwrap();
    assert!(st.success());
    let mut as_nobody = Command::new("setpriv");
    as_nobody
        .args(["--reuid=65534", "--regid=65534", "--clear-groups"])
        .arg(&copy)
        .args(args);
    for (k, v) in w.cmd().get_envs() {
        match v {
            Some(v) => as_nobody.env(k, v),
            None => as_nobody.env_remove(k),
        };
    }
    as_nobody.output().unwrap()
}
