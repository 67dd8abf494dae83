//! MongoDB as a backup source: `mongodump --archive` per database, streamed into the
//! snapshot as `<db>.archive` (what `mongorestore --archive` reads back).
//!
//! Each database is named in its URL (`mongodb://backup@db3:27017/events`): listing a
//! server's databases needs `mongosh`, which takes a password only in its argv or the
//! URI, both of which cairn refuses (`db::plan` says so to a URL without a database). Credentials come from a mongodump `--config` file
//! (YAML, `password: …`), never the URL or argv.
//!
//! Debian 12 ships neither mongod nor mongodump, so this module is tested through its
//! argument wiring (a stand-in `mongodump` on `PATH`) and the generic command source;
//! docs/DATABASES.md says so.

use std::io;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use super::url::DbUrl;
use super::{DumpRecord, DumpSink, DumpSource, Engine};
use crate::child::{self, PassEnv};
use crate::source::command::CommandReader;

const DUMP_TOOL: &str = "mongodump";

/// One server and the databases named for it, under one directory of the snapshot.
pub struct MongoSource {
    dir: String,
    /// Without a database.
    server: DbUrl,
    databases: Vec<String>,
    config: Option<PathBuf>,
}

impl MongoSource {
    /// `databases` on the server of `url`; `config` is a mongodump `--config` file.
    pub fn new(
        dir: String,
        url: &DbUrl,
        databases: Vec<String>,
        config: Option<&Path>,
    ) -> io::Result<MongoSource> {
        if let Some(f) = config {
            std::fs::File::open(f).map_err(|e| {
                io::Error::new(e.kind(), format!("mongodump config {}: {e}", f.display()))
            })?;
        }
        Ok(MongoSource {
            dir,
            server: url.with_database(None),
            databases,
            config: config.map(Path::to_path_buf),
        })
    }

    /// `mongodump --archive --uri=… --db=…`: the archive goes to standard output.
    pub fn command(&self, db: &str) -> Command {
        let mut c = child::program(DUMP_TOOL, &PassEnv::default());
        if let Some(f) = &self.config {
            let mut arg = std::ffi::OsString::from("--config=");
            arg.push(f);
            c.arg(arg);
        }
        c.arg("--archive")
            .arg(format!("--uri={}", self.server))
            .arg(format!("--db={db}"));
        c
    }

    fn dump_database(
        &self,
        db: &str,
        client_version: &str,
        sink: &mut DumpSink<'_>,
    ) -> io::Result<DumpRecord> {
        let server = self.server.server();
        let label = format!("{DUMP_TOOL} of database {db:?} on {server}");
        let started = Instant::now();
        let reader = CommandReader::start(self.command(db), label)?;
        let name = super::dump_file_name(db, "archive");
        let bytes = sink(&name, Box::new(reader))?;
        Ok(DumpRecord {
            engine: Engine::Mongodb,
            server,
            database: Some(db.to_string()),
            path: format!("{}/{name}", self.dir),
            format: "archive".into(),
            // mongodump does not say, and asking needs mongosh (see the module doc).
            server_version: String::new(),
            client_version: client_version.to_string(),
            bytes,
            duration_secs: started.elapsed().as_secs_f64(),
            tables: Vec::new(),
            options: Vec::new(),
        })
    }
}

/// `mongodump version: 100.9.4`, the first line of `mongodump --version`.
fn dump_version() -> io::Result<String> {
    let out = child::program(DUMP_TOOL, &PassEnv::default())
        .arg("--version")
        .output()
        .map_err(|e| io::Error::new(e.kind(), format!("cannot start {DUMP_TOOL}: {e}")))?;
    Ok(String::from_utf8_lossy(&out.stdout)
        .lines()
        .next()
        .unwrap_or("")
        .trim()
        .to_string())
}

impl DumpSource for MongoSource {
    fn dir(&self) -> &str {
        &self.dir
    }

    fn server(&self) -> &DbUrl {
        &self.server
    }

    fn databases(&self) -> &[String] {
        &self.databases
    }

    fn dump_all(&mut self, sink: &mut DumpSink<'_>) -> io::Result<Vec<DumpRecord>> {
        let client_version = dump_version()?;
        self.databases
            .iter()
            .map(|db| self.dump_database(db, &client_version, sink))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arguments_carry_no_password_and_the_config_file() {
        let url = DbUrl::parse("mongodb://backup@db3:27017/events?authSource=admin").unwrap();
        let src = MongoSource::new(
            "mongodb".into(),
            &url,
            vec!["events".into()],
            Some(Path::new("/dev/null")),
        )
        .unwrap();
        let args: Vec<String> = src
            .command("events")
            .get_args()
            .map(|a| a.to_string_lossy().into_owned())
            .collect();
        assert_eq!(
            args,
            [
                "--config=/dev/null",
                "--archive",
                "--uri=mongodb://backup@db3:27017/?authSource=admin",
                "--db=events"
            ]
        );
    }

    #[test]
    fn a_missing_config_file_is_named() {
        let url = DbUrl::parse("mongodb://db3/events").unwrap();
        let e = MongoSource::new(
            "m".into(),
            &url,
            vec![],
            Some(Path::new("/nonexistent/m.yaml")),
        )
        .err()
        .unwrap();
        assert!(e.to_string().contains("/nonexistent/m.yaml"), "{e}");
    }
}
