//! MariaDB and MySQL as a backup source: `mariadb-dump` (or `mysqldump` where only that
//! is installed) per database, streamed into the snapshot as plain SQL, with the rows of
//! every table counted from the dump itself ([`super::dumped_rows`]).
//!
//! The dump names no database (no `--databases`): it holds no `CREATE DATABASE` or
//! `USE`, so it loads into whatever database the restore chooses, which is what a
//! mirror into `app_test` (or `app_test__cairn_new`) needs. The database's own default
//! character set is not in the dump (each table's is); a restore creates the database
//! with utf8mb4.
//!
//! Credentials never travel in argv: the tools read `~/.my.cnf` as always, an option
//! file a profile or `--mysql-option-file` names (`--defaults-extra-file`, which must be
//! the first argument), and `MYSQL_PWD`, which children inherit.

use std::io;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use super::dumped_rows::CountingReader;
use super::url::DbUrl;
use super::{DumpRecord, DumpSink, DumpSource, Engine, TableRows};
use crate::child::{self, PassEnv};
use crate::source::command::{describe_exit, CommandReader};

/// Server-side schemas that are not user data; a dump of "every database" skips them.
pub const SYSTEM_DATABASES: &[&str] = &["mysql", "information_schema", "performance_schema", "sys"];

/// URL query parameters handed to the tools as `--NAME=VALUE`; any other is refused, so a
/// URL cannot slip an arbitrary option (`defaults-file`, `plugin-dir`) onto the command.
const URL_OPTIONS: &[&str] = &[
    "socket",
    "protocol",
    "ssl",
    "ssl-ca",
    "ssl-capath",
    "ssl-cert",
    "ssl-key",
    "ssl-verify-server-cert",
];

/// What the dump holds besides tables and data, and how it is shaped for
/// [`super::dumped_rows`] (`--add-locks` brackets each table's rows) and for dedup
/// (`--skip-dump-date` keeps the last line the same every day).
const DUMP_OPTIONS: &[&str] = &[
    "--single-transaction",
    "--routines",
    "--triggers",
    "--events",
    "--add-locks",
    "--extended-insert",
    "--no-tablespaces",
    "--skip-dump-date",
    "--default-character-set=utf8mb4",
];

/// The client tools: MariaDB's names where they exist, MySQL's otherwise.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tools {
    pub client: &'static str,
    pub dump: &'static str,
}

impl Tools {
    pub fn find() -> Tools {
        if on_path("mariadb-dump") {
            Tools {
                client: "mariadb",
                dump: "mariadb-dump",
            }
        } else {
            Tools {
                client: "mysql",
                dump: "mysqldump",
            }
        }
    }
}

fn on_path(program: &str) -> bool {
    std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).any(|d| d.join(program).is_file()))
        .unwrap_or(false)
}

/// How to reach a server: its URL (user, host, port, allowed options) and an option file.
#[derive(Debug, Clone)]
pub struct Connection {
    /// Without a database.
    pub server: DbUrl,
    pub option_file: Option<PathBuf>,
    pub tools: Tools,
}

impl Connection {
    /// Checks what can be checked before connecting: the URL's options, and that the
    /// option file can be read, so that a typo is named before any tool runs.
    pub fn new(url: &DbUrl, option_file: Option<&Path>) -> Result<Connection, String> {
        let server = resolve(url).with_database(None);
        if let Some((k, _)) = server
            .params
            .iter()
            .find(|(k, _)| !URL_OPTIONS.contains(&k.as_str()))
        {
            return Err(format!(
                "{}: unknown option {k:?} in the URL (known: {})",
                server.server(),
                URL_OPTIONS.join(", ")
            ));
        }
        if let Some(f) = option_file {
            std::fs::File::open(f).map_err(|e| format!("option file {}: {e}", f.display()))?;
        }
        Ok(Connection {
            server,
            option_file: option_file.map(Path::to_path_buf),
            tools: Tools::find(),
        })
    }

    /// `program` with the option file and the connection's arguments, run as cairn runs
    /// its children (no shell, own process group, cairn's secrets withheld).
    pub fn command(&self, program: &str) -> Command {
        let mut c = child::program(program, &PassEnv::default());
        if let Some(f) = &self.option_file {
            // Only recognised as the very first argument.
            let mut arg = std::ffi::OsString::from("--defaults-extra-file=");
            arg.push(f);
            c.arg(arg);
        }
        if let Some(h) = &self.server.host {
            c.arg(format!("--host={h}"));
        }
        if let Some(p) = self.server.port {
            c.arg(format!("--port={p}"));
        }
        if let Some(u) = &self.server.user {
            c.arg(format!("--user={u}"));
        }
        for (k, v) in &self.server.params {
            c.arg(format!("--{k}={v}"));
        }
        c
    }

    /// The output of `sql` through the client, in batch mode, raw, without headers.
    pub fn query(&self, db: Option<&str>, sql: &str, what: &str) -> io::Result<String> {
        let mut c = self.command(self.tools.client);
        c.args(["--batch", "--raw", "--skip-column-names"])
            .arg("--default-character-set=utf8mb4")
            .arg("-e")
            .arg(sql);
        if let Some(db) = db {
            c.arg(format!("--database={db}"));
        }
        let out = c.output().map_err(|e| {
            io::Error::new(
                e.kind(),
                format!("{what}: cannot start {}: {e}", self.tools.client),
            )
        })?;
        if !out.status.success() {
            return Err(io::Error::other(format!(
                "{what} failed ({}): {}",
                describe_exit(out.status),
                super::last_line(&out.stderr)
            )));
        }
        Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
    }

    /// The strings of a `SELECT JSON_ARRAYAGG(…)`, which names survive whatever they
    /// hold (tabs, newlines); none when it aggregated no rows (SQL NULL).
    pub fn json_list(&self, sql: &str, what: &str) -> io::Result<Vec<String>> {
        let out = self.query(None, sql, what)?;
        if out == "NULL" {
            return Ok(Vec::new());
        }
        serde_json::from_str(&out)
            .map_err(|e| io::Error::other(format!("{what}: unexpected answer {out:?}: {e}")))
    }

    /// Every database on the server except the system schemas.
    pub fn list_databases(&self) -> io::Result<Vec<String>> {
        let all = self.json_list(
            "SELECT JSON_ARRAYAGG(SCHEMA_NAME) FROM information_schema.SCHEMATA",
            &format!("listing the databases on {}", self.server.server()),
        )?;
        let mut dbs: Vec<String> = all
            .into_iter()
            .filter(|d| !SYSTEM_DATABASES.contains(&d.as_str()))
            .collect();
        dbs.sort();
        Ok(dbs)
    }

    pub fn server_version(&self) -> io::Result<String> {
        self.query(
            None,
            "SELECT VERSION()",
            &format!("asking {} for its version", self.server.server()),
        )
    }

    /// `mariadb-dump  Ver 10.19 Distrib 10.11.19-MariaDB, …`, as the tool says it.
    pub fn dump_version(&self) -> io::Result<String> {
        let out = child::program(self.tools.dump, &PassEnv::default())
            .arg("--version")
            .output()
            .map_err(|e| {
                io::Error::new(e.kind(), format!("cannot start {}: {e}", self.tools.dump))
            })?;
        Ok(String::from_utf8_lossy(&out.stdout)
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" "))
    }

    /// The dump of one database, as a stream whose read fails if the tool fails.
    pub fn dump(&self, db: &str, label: String) -> io::Result<CommandReader> {
        let mut c = self.command(self.tools.dump);
        c.args(DUMP_OPTIONS).arg("--").arg(db);
        CommandReader::start(c, label)
    }
}

/// `url` with host and port filled in from `MYSQL_HOST` and `MYSQL_TCP_PORT` where it has
/// none: the server the client would connect to, named in full in the manifest.
pub fn resolve(url: &DbUrl) -> DbUrl {
    let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    let mut u = url.clone();
    u.host = u.host.or_else(|| var("MYSQL_HOST"));
    u.port = u
        .port
        .or_else(|| var("MYSQL_TCP_PORT").and_then(|p| p.parse().ok()));
    u
}

/// One server and the databases to dump from it, under one directory of the snapshot.
pub struct MysqlSource {
    dir: String,
    conn: Connection,
    databases: Vec<String>,
}

impl MysqlSource {
    /// `databases` on the server of `url` (its own database, if any, is ignored: the
    /// plan has listed them).
    pub fn new(
        dir: String,
        url: &DbUrl,
        databases: Vec<String>,
        option_file: Option<&Path>,
    ) -> io::Result<MysqlSource> {
        let conn = Connection::new(url, option_file).map_err(io::Error::other)?;
        Ok(MysqlSource {
            dir,
            conn,
            databases,
        })
    }

    fn dump_database(
        &self,
        db: &str,
        client_version: &str,
        sink: &mut DumpSink<'_>,
    ) -> io::Result<DumpRecord> {
        let server = self.conn.server.server();
        let label = format!("{} of database {db:?} on {server}", self.conn.tools.dump);
        let started = Instant::now();
        // Asked per database, so that a server that is down fails naming the database.
        let server_version = self
            .conn
            .server_version()
            .map_err(|e| io::Error::new(e.kind(), format!("{label}: {e}")))?;
        let (reader, counter) = CountingReader::new(self.conn.dump(db, label.clone())?);
        let name = super::dump_file_name(db, "sql");
        let bytes = sink(&name, Box::new(reader))?;
        let duration_secs = started.elapsed().as_secs_f64();
        let counter = counter.lock().unwrap();
        if !counter.completed() {
            // The tool exited 0 but its last line is not its own: something between
            // (a wrapper, a proxy) cut the stream.
            return Err(io::Error::other(format!(
                "{label}: the dump does not end with \"-- Dump completed\"; it is \
                 truncated, so no snapshot was saved"
            )));
        }
        let tables = counter
            .tables()
            .iter()
            .map(|(name, rows)| TableRows {
                schema: db.to_string(),
                name: name.clone(),
                rows: *rows,
                exact: true,
            })
            .collect();
        Ok(DumpRecord {
            engine: Engine::Mysql,
            server,
            database: Some(db.to_string()),
            path: format!("{}/{name}", self.dir),
            format: "sql".into(),
            server_version,
            client_version: client_version.to_string(),
            bytes,
            duration_secs,
            tables,
            options: Vec::new(),
        })
    }
}

impl DumpSource for MysqlSource {
    fn dir(&self) -> &str {
        &self.dir
    }

    fn server(&self) -> &DbUrl {
        &self.conn.server
    }

    fn databases(&self) -> &[String] {
        &self.databases
    }

    fn dump_all(&mut self, sink: &mut DumpSink<'_>) -> io::Result<Vec<DumpRecord>> {
        let client_version = self.conn.dump_version()?;
        self.databases
            .iter()
            .map(|db| self.dump_database(db, &client_version, sink))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(c: &Command) -> Vec<String> {
        c.get_args()
            .map(|a| a.to_string_lossy().into_owned())
            .collect()
    }

    #[test]
    fn option_file_comes_first_and_the_url_after() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("backup.cnf");
        std::fs::write(&file, "[client]\npassword=x\n").unwrap();
        let url = DbUrl::parse("mysql://backup@db1:3307/shop?ssl-ca=/etc/ca.pem").unwrap();
        let conn = Connection::new(&url, Some(&file)).unwrap();
        let a = args(&conn.command("mariadb-dump"));
        assert_eq!(a[0], format!("--defaults-extra-file={}", file.display()));
        assert_eq!(
            &a[1..],
            [
                "--host=db1",
                "--port=3307",
                "--user=backup",
                "--ssl-ca=/etc/ca.pem"
            ]
        );
        assert_eq!(
            conn.server.to_string(),
            "mysql://backup@db1:3307/?ssl-ca=%2Fetc%2Fca.pem"
        );
    }

    #[test]
    fn unknown_url_options_and_missing_option_files_are_refused() {
        let url = DbUrl::parse("mysql://db1/shop?defaults-file=/tmp/x").unwrap();
        let e = Connection::new(&url, None).unwrap_err();
        assert!(
            e.contains("\"defaults-file\"") && e.contains("ssl-ca"),
            "{e}"
        );
        let url = DbUrl::parse("mysql://db1/shop").unwrap();
        let e = Connection::new(&url, Some(Path::new("/nonexistent/my.cnf"))).unwrap_err();
        assert!(e.contains("/nonexistent/my.cnf"), "{e}");
    }
}
