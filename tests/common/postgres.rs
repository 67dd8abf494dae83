//! A throwaway PostgreSQL server (tests/services/postgres.sh) for the tests that need one.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::assert_ok;

pub struct Postgres {
    dir: PathBuf,
    pub env: Vec<(String, String)>,
}

impl Postgres {
    pub fn start(dir: &Path) -> Postgres {
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

    pub fn cmd(&self, program: &str) -> Command {
        let mut c = Command::new(program);
        c.envs(self.env.iter().map(|(k, v)| (k, v)));
        c
    }

    /// Runs SQL statements in `db`, failing the test at the first error.
    pub fn script(&self, db: &str, script: &str) {
        let out = self
            .cmd("psql")
            .args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", db, "-c", script])
            .output()
            .unwrap();
        assert_ok(&out, "psql");
    }

    pub fn sql(&self, db: &str, query: &str) -> String {
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
