//! A real PostgreSQL (started by tests/services/postgres.sh on loopback): dump through
//! `--stdin-from`, restore through `dump | pg_restore`, and a failing pg_dump.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use common::{assert_ok, World};

struct Postgres {
    dir: PathBuf,
    env: Vec<(String, String)>,
}

impl Postgres {
    fn start(dir: &Path) -> Postgres {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/services/postgres.sh");
        let out = Command::new("bash")
            .arg(&script)
            .arg("start")
            .arg(dir)
            .output()
            .unwrap();
        assert_ok(&out, "postgres.sh start");
        let env = String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .filter_map(|l| l.strip_prefix("export "))
            .flat_map(|l| l.split_whitespace())
            .filter_map(|kv| kv.split_once('='))
            .map(|(k, v)| (k.to_string(), v.trim_matches(['\'', '"']).to_string()))
            .collect();
        Postgres {
            dir: dir.to_path_buf(),
            env,
        }
    }

    fn cmd(&self, program: &str) -> Command {
        let mut c = Command::new(program);
        c.envs(self.env.iter().map(|(k, v)| (k, v)));
        c
    }

    fn sql(&self, db: &str, query: &str) -> String {
        let out = self
            .cmd("psql")
            .args(["-X", "-A", "-t", "-d", db, "-c", query])
            .output()
            .unwrap();
        assert_ok(&out, "psql");
        String::from_utf8(out.stdout).unwrap().trim().to_string()
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/services/postgres.sh");
        let _ = Command::new("bash")
            .arg(script)
            .arg("stop")
            .arg(&self.dir)
            .status();
    }
}

#[test]
fn pg_dump_backup_restores_with_pg_restore_and_failing_dump_writes_nothing() {
    let w = World::new();
    let pg = Postgres::start(&w.path("pg"));
    assert!(pg.cmd("createdb").arg("app").status().unwrap().success());
    let init = pg
        .cmd("pgbench")
        .args(["-i", "-q", "-s", "2", "app"])
        .output()
        .unwrap();
    assert!(
        init.status.success(),
        "{}",
        String::from_utf8_lossy(&init.stderr)
    );
    pg.sql(
        "app",
        "UPDATE pgbench_accounts SET filler = 'cairn-' || aid WHERE aid % 1000 = 0",
    );

    let mut backup = w.cmd();
    backup.envs(pg.env.iter().map(|(k, v)| (k, v))).args([
        "--json",
        "backup",
        "--stdin-name",
        "app.dump",
        "--stdin-from",
        "pg_dump -Fc -Z0 -d app",
    ]);
    let out = backup.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // cairn dump | pg_restore into a fresh database.
    assert!(pg
        .cmd("createdb")
        .arg("app_copy")
        .status()
        .unwrap()
        .success());
    let mut dump = w
        .cmd()
        .args(["dump", "latest", "app.dump"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let restore = pg
        .cmd("pg_restore")
        .args(["--no-owner", "-d", "app_copy"])
        .stdin(dump.stdout.take().unwrap())
        .output()
        .unwrap();
    assert!(dump.wait().unwrap().success());
    assert!(
        restore.status.success(),
        "{}",
        String::from_utf8_lossy(&restore.stderr)
    );
    let q = "SELECT count(*) || ':' || sum(abalance) || ':' || count(*) FILTER (WHERE filler LIKE 'cairn-%') FROM pgbench_accounts";
    assert_eq!(pg.sql("app", q), pg.sql("app_copy", q));
    assert_eq!(
        pg.sql("app_copy", "SELECT count(*) FROM pgbench_accounts"),
        "200000"
    );

    // pg_dump of a database that does not exist: exit 1, the reason, no snapshot.
    let out = w
        .cmd()
        .envs(pg.env.iter().map(|(k, v)| (k, v)))
        .args([
            "backup",
            "--stdin-name",
            "x.dump",
            "--stdin-from",
            "pg_dump -Fc -d no_such_db",
        ])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("`pg_dump` failed") && err.contains("no_such_db"),
        "{err}"
    );
    assert_eq!(w.snapshots().len(), 1);
}
