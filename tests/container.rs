//! The container image of the Dockerfile, built without any image registry and run.
//!
//! tests/services/image.sh makes a Debian bookworm base with mmdebstrap, imports it into
//! podman storage private to the test, and builds the Dockerfile's `prebuilt` target on
//! it from the binary of this test build. The test then runs the image as it ships
//! (user 10001, entrypoint cairn, no secret in it): `key generate`, `init`, a backup of
//! a mounted directory into a mounted directory repository and a restore, with the key
//! and its passphrase read from mounted files; then a PostgreSQL backup and a `mirror`
//! through the dump clients of the image against a server on the host's loopback. It
//! also reads the image's configuration and checks what is and is not installed.
//!
//! Needs root (rootful podman) and the packages podman, runc and mmdebstrap, which
//! tests/services/install-deps.sh installs; CAIRN_TEST_CONTAINER=build-only stops after
//! building and inspecting the image, for hosts where containers cannot run (it says so
//! on stderr). Nothing is skipped otherwise: a host that cannot build or run the image
//! fails this test.

mod common;

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::postgres::Postgres;
use common::{assert_ok, assert_same_tree, noise};

const UID: u32 = 10001;

fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/services/image.sh")
}

/// The image, built into podman storage under `dir`; removed again on drop.
struct Image {
    dir: PathBuf,
    name: String,
}

impl Image {
    fn build(dir: &Path) -> Image {
        let mut c = Command::new("bash");
        c.arg(script()).arg("build").arg(dir).arg(common::bin());
        // The base tarball is cached next to the build (CI keeps its target directory
        // between runs); a cold cache makes it anew.
        if std::env::var_os("CAIRN_IMAGE_CACHE").is_none() {
            c.env(
                "CAIRN_IMAGE_CACHE",
                Path::new(env!("CARGO_TARGET_TMPDIR")).join("cairn-image"),
            );
        }
        let out = c.output().unwrap();
        eprint!("{}", String::from_utf8_lossy(&out.stderr));
        assert_ok(&out, "image.sh build");
        let name = String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .find_map(|l| l.strip_prefix("export CAIRN_TEST_IMAGE="))
            .expect("image.sh printed no image name")
            .to_string();
        Image {
            dir: dir.to_path_buf(),
            name,
        }
    }

    fn podman(&self) -> Command {
        let mut c = Command::new("bash");
        c.arg(script()).arg("podman").arg(&self.dir);
        c
    }

    /// `podman run --rm OPTS IMAGE ARGS`, as the image's own user, with no network
    /// unless OPTS name one.
    fn run(&self, opts: &[&str], args: &[&str]) -> Output {
        let mut c = self.podman();
        c.args(["run", "--rm"]);
        if !opts.iter().any(|o| o.starts_with("--network")) {
            c.arg("--network=none");
        }
        c.args(opts).arg(&self.name).args(args).output().unwrap()
    }

    fn ok(&self, opts: &[&str], args: &[&str]) -> String {
        let out = self.run(opts, args);
        assert_ok(&out, &format!("container {args:?}"));
        String::from_utf8(out.stdout).unwrap()
    }

    fn shell(&self, script: &str) -> String {
        self.ok(&["--entrypoint", "/bin/sh"], &["-c", script])
    }
}

impl Drop for Image {
    fn drop(&mut self) {
        let _ = Command::new("bash")
            .arg(script())
            .arg("destroy")
            .arg(&self.dir)
            .status();
    }
}

fn chown(path: &Path) {
    std::os::unix::fs::chown(path, Some(UID), Some(UID)).unwrap();
}

fn chown_tree(path: &Path) {
    let st = Command::new("chown")
        .args(["-R", "--no-dereference", &format!("{UID}:{UID}")])
        .arg(path)
        .status()
        .unwrap();
    assert!(st.success());
}

/// A directory for the container's user, `mode`, owned by uid 10001.
fn user_dir(path: &Path, mode: u32) -> PathBuf {
    fs::create_dir_all(path).unwrap();
    fs::set_permissions(path, fs::Permissions::from_mode(mode)).unwrap();
    chown(path);
    path.to_path_buf()
}

fn mount(host: &Path, inside: &str, ro: bool) -> String {
    let ro = if ro { ":ro" } else { "" };
    format!("--volume={}:{inside}{ro}", host.display())
}

/// A tree with what a restore must get right: nesting, modes, a symlink, a non-UTF-8
/// name, an old mtime, data that deduplicates and data that does not.
fn source_tree(root: &Path) {
    use std::os::unix::ffi::OsStrExt;
    fs::create_dir_all(root.join("etc/app/conf.d")).unwrap();
    fs::create_dir_all(root.join("var/empty")).unwrap();
    fs::write(root.join("etc/app/app.toml"), "listen = 8080\n").unwrap();
    fs::write(root.join("etc/app/conf.d/big.bin"), noise(3_000_000, 16)).unwrap();
    fs::write(root.join("var/log.txt"), "line\n".repeat(50_000)).unwrap();
    fs::write(root.join("été.txt"), "non-ASCII name").unwrap();
    fs::write(
        root.join(std::ffi::OsStr::from_bytes(b"caf\xe9")),
        "latin-1 name",
    )
    .unwrap();
    std::os::unix::fs::symlink("etc/app/app.toml", root.join("config")).unwrap();
    fs::set_permissions(root.join("etc/app"), fs::Permissions::from_mode(0o750)).unwrap();
    fs::set_permissions(
        root.join("etc/app/app.toml"),
        fs::Permissions::from_mode(0o600),
    )
    .unwrap();
    let old = filetime::FileTime::from_unix_time(1_000_000_000, 500);
    filetime::set_file_times(root.join("var/log.txt"), old, old).unwrap();
    chown_tree(root);
}

#[test]
fn the_image_backs_up_restores_and_mirrors_as_uid_10001_with_secrets_from_files() {
    assert!(
        common::is_root(),
        "the container test builds and runs the image with rootful podman: run it as root \
         (tests/run.sh does, as CI)"
    );
    let dir = tempfile::tempdir().unwrap();
    fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o755)).unwrap();
    let at = |rel: &str| dir.path().join(rel);
    let image = Image::build(&at("podman"));

    // The image as configured: its user, entrypoint, cache volume, and no secret.
    let out = image
        .podman()
        .args([
            "image",
            "inspect",
            "--format",
            "{{json .Config}}",
            &image.name,
        ])
        .output()
        .unwrap();
    assert_ok(&out, "podman image inspect");
    let config: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(config["User"], "10001:10001", "{config}");
    assert_eq!(
        config["Entrypoint"],
        serde_json::json!(["/usr/local/bin/cairn"]),
        "{config}"
    );
    assert!(config["Volumes"].get("/cache").is_some(), "{config}");
    let env: Vec<&str> = config["Env"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert!(env.contains(&"CAIRN_CACHE_DIR=/cache"), "{env:?}");
    assert!(
        !env.iter()
            .any(|e| e.starts_with("CAIRN_KEY") || e.starts_with("CAIRN_PASSPHRASE")),
        "no key or passphrase setting may be baked into the image: {env:?}"
    );

    if std::env::var("CAIRN_TEST_CONTAINER").as_deref() == Ok("build-only") {
        eprintln!(
            "CAIRN_TEST_CONTAINER=build-only: the image was built and its configuration \
             checked; no container was run"
        );
        return;
    }

    // What is installed: cairn as uid 10001, the dump clients, and no gpg.
    let tools = image.shell(
        "id -u; id -g; cairn --version; pg_dump --version; pg_restore --version; \
         psql --version; mariadb-dump --version; mariadb --version; \
         for b in gpg gpg2 gpg-agent gpgsm; do if command -v $b; then echo \"found $b\"; fi; done; \
         dpkg-query -W -f='${Package} ${Status}\\n' gnupg gpg 2>/dev/null | grep ' installed$' \
         | sed 's/^/installed /'; true",
    );
    let lines: Vec<&str> = tools.lines().collect();
    assert!(lines.len() >= 8, "{tools}");
    assert_eq!(&lines[..2], ["10001", "10001"], "{tools}");
    let answers = [
        "cairn ",
        "pg_dump (PostgreSQL) ",
        "pg_restore (PostgreSQL) ",
        "psql (PostgreSQL) ",
        "mariadb-dump ",
        "mariadb ",
    ];
    for (line, start) in lines[2..8].iter().zip(answers) {
        assert!(line.starts_with(start), "{start}…?\n{tools}");
    }
    assert!(
        !tools.contains("found ") && !tools.contains("installed "),
        "gpg in the image:\n{tools}"
    );

    // Secrets as files mounted read-only, readable by uid 10001 only.
    let secrets = user_dir(&at("secrets"), 0o700);
    let pass = secrets.join("cairn-passphrase");
    fs::write(&pass, "correct horse battery staple\n").unwrap();
    fs::set_permissions(&pass, fs::Permissions::from_mode(0o400)).unwrap();
    chown(&pass);
    let keys = user_dir(&at("keys"), 0o700);
    let repo = user_dir(&at("repo"), 0o700);
    let cache = user_dir(&at("cache"), 0o700);
    let target = user_dir(&at("restore"), 0o700);
    let data = at("data");
    source_tree(&data);

    // README's cairn.env: names of files, no secret.
    let env_file = at("cairn.env");
    fs::write(
        &env_file,
        "CAIRN_KEY=/run/secrets/cairn-key\n\
         CAIRN_PASSPHRASE_FILE=/run/secrets/cairn-passphrase\nCAIRN_REPO=/repo\n",
    )
    .unwrap();
    let env_opt = format!("--env-file={}", env_file.display());
    let pass_mount = mount(&pass, "/run/secrets/cairn-passphrase", true);
    image.ok(
        &[&env_opt, &mount(&keys, "/keys", false), &pass_mount],
        &["key", "generate", "--out", "/keys/cairn-key"],
    );
    let key = keys.join("cairn-key");
    let armored = fs::read_to_string(&key).unwrap();
    assert!(
        !armored.contains("correct horse"),
        "the key file holds the passphrase"
    );

    let key_mount = mount(&key, "/run/secrets/cairn-key", true);
    let repo_mount = mount(&repo, "/repo", false);
    let cache_mount = mount(&cache, "/cache", false);
    let base: Vec<&str> = vec![&env_opt, &key_mount, &pass_mount, &repo_mount, &cache_mount];
    image.ok(&base, &["init"]);
    let data_mount = mount(&data, "/data", true);
    let with_data: Vec<&str> = base.iter().copied().chain([data_mount.as_str()]).collect();
    let out = image.run(&with_data, &["--json", "backup", "/data"]);
    assert_ok(&out, "container backup");
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(summary["stats"]["files_new"], 5, "{summary}");
    assert_eq!(summary["stats"]["errors"], 0, "{summary}");

    // Everything the container wrote is owned by its user; the cache went to the volume.
    use std::os::unix::fs::MetadataExt;
    for e in walk(&repo).into_iter().chain(walk(&cache)) {
        let meta = fs::symlink_metadata(&e).unwrap();
        assert_eq!(meta.uid(), UID, "{} not written by uid 10001", e.display());
    }
    assert!(
        fs::read_dir(&cache).unwrap().next().is_some(),
        "cache volume unused"
    );

    // The key really is protected: without the passphrase file the repository stays shut.
    let no_pass: Vec<&str> = base
        .iter()
        .copied()
        .chain(["--env=CAIRN_PASSPHRASE_FILE="])
        .collect();
    let out = image.run(&no_pass, &["snapshots"]);
    assert_eq!(out.status.code(), Some(1), "opened without the passphrase");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("passphrase"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let target_mount = mount(&target, "/restore", false);
    let with_target: Vec<&str> = base
        .iter()
        .copied()
        .chain([target_mount.as_str()])
        .collect();
    image.ok(&with_target, &["restore", "latest", "--target", "/restore"]);
    assert_same_tree(&data, &target.join("data"));

    // The database clients of the image against a real server on the host's loopback:
    // a backup through pg_dump and a mirror through pg_restore into a test database.
    let pg = Postgres::start(&at("pg"));
    let port = pg
        .env
        .iter()
        .find(|(k, _)| k == "PGPORT")
        .map(|(_, v)| v.clone())
        .unwrap();
    pg.cmd("createdb").arg("app").status().unwrap();
    pg.sql(
        "app",
        "CREATE TABLE users (id int PRIMARY KEY, email text); \
         INSERT INTO users SELECT i, 'user' || i || '@example.org' FROM generate_series(1, 500) i",
    );
    let server = format!("postgresql://postgres@127.0.0.1:{port}");
    let host_net: Vec<&str> = base.iter().copied().chain(["--network=host"]).collect();
    image.ok(
        &host_net,
        &["backup", "--postgres", &format!("{server}/app")],
    );
    let scrub = at("scrub.sql");
    fs::write(
        &scrub,
        "UPDATE users SET email = 'user' || id || '@test.invalid';\n",
    )
    .unwrap();
    let scrub_mount = mount(&scrub, "/scrub.sql", true);
    let mirror_opts: Vec<&str> = host_net
        .iter()
        .copied()
        .chain([scrub_mount.as_str()])
        .collect();
    image.ok(
        &mirror_opts,
        &[
            "mirror",
            "--database",
            "app",
            "--target",
            &format!("{server}/app_test"),
            "--scrub",
            "/scrub.sql",
        ],
    );
    assert_eq!(
        pg.sql(
            "app_test",
            "SELECT count(*), count(*) FILTER (WHERE email LIKE '%@test.invalid') FROM users"
        ),
        "500|500"
    );
}

/// Every path below `root` (not `root` itself).
fn walk(root: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in fs::read_dir(root).unwrap() {
        let p = e.unwrap().path();
        if fs::symlink_metadata(&p).unwrap().is_dir() {
            out.extend(walk(&p));
        }
        out.push(p);
    }
    out
}
