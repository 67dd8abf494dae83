//! Databases as first-class sources and mirror targets.
//!
//! A database source runs the engine's own dump tool per database (pg_dump -Fc -Z0,
//! mariadb-dump, mongodump --archive) and streams its output into the snapshot as a file
//! under a directory named for the source (`postgresql/app.pgdump`). What was dumped, by
//! which versions, how long it took and how many rows each table had is recorded in the
//! signed manifest ([`DumpRecord`]), so `mirror` can check a restore against it without
//! trusting anything unsigned.
//!
//! Connections are URLs without passwords ([`url::DbUrl`]): credentials come from the
//! engine's own conventions (`.pgpass`, `PG*` variables, option files), never argv.

pub mod dumped_rows;
pub mod mongodb;
pub mod mysql;
pub mod plan;
pub mod postgres;
pub mod url;

use std::io::{self, Read};

use serde::{Deserialize, Serialize};

/// The database engines cairn dumps and restores.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Engine {
    Postgresql,
    Mysql,
    Mongodb,
}

impl Engine {
    /// The name used in URLs, manifests and as the default directory in the snapshot.
    pub fn name(self) -> &'static str {
        match self {
            Engine::Postgresql => "postgresql",
            Engine::Mysql => "mysql",
            Engine::Mongodb => "mongodb",
        }
    }
}

impl std::fmt::Display for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// One dump in a snapshot, as the manifest records it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DumpRecord {
    pub engine: Engine,
    /// The server as its URL without a database and never with a password
    /// (`postgresql://backup@db1:5432`).
    pub server: String,
    /// The database; `None` for a server-wide dump such as `pg_dumpall --globals-only`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub database: Option<String>,
    /// Where the dump is in the snapshot's tree, `/`-separated, no leading slash.
    pub path: String,
    /// How to read it back: "custom" (pg_dump -Fc), "sql" (plain SQL), "archive"
    /// (mongodump --archive).
    pub format: String,
    /// As the server reports it (`SHOW server_version`, `SELECT VERSION()`).
    pub server_version: String,
    /// The dump tool and its version (`pg_dump (PostgreSQL) 15.14`).
    pub client_version: String,
    /// Bytes of dump output stored.
    pub bytes: u64,
    /// Wall time from starting the dump tool to its exit.
    pub duration_secs: f64,
    /// Tables and their rows at dump time, for mirror's checks; empty for globals.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tables: Vec<TableRows>,
    /// Options given to the dump tool that change what the dump holds
    /// (`--no-role-passwords`), so that a reader knows what is missing from it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<String>,
}

impl DumpRecord {
    /// The dumped database as lists show it: its URL, or the server's globals with the
    /// options that leave something out of them (`--no-role-passwords`).
    pub fn label(&self) -> String {
        match (&self.database, self.options.is_empty()) {
            (Some(db), _) => format!("{}/{db}", self.server),
            (None, true) => format!("{} (globals)", self.server),
            (None, false) => format!("{} (globals {})", self.server, self.options.join(" ")),
        }
    }

    /// Tables and rows as lists show them: `-` for a server-wide dump, and `~` before
    /// a sum of rows some of which are the planner's estimate (tables above the exact
    /// limit).
    pub fn counts(&self) -> (String, String) {
        if self.database.is_none() {
            return ("-".into(), "-".into());
        }
        let rows: u64 = self.tables.iter().map(|t| t.rows).sum();
        let approx = if self.tables.iter().all(|t| t.exact) {
            ""
        } else {
            "~"
        };
        (self.tables.len().to_string(), format!("{approx}{rows}"))
    }
}

/// Rows of one table when it was dumped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableRows {
    /// Schema (PostgreSQL), or the database itself for engines without schemas.
    pub schema: String,
    pub name: String,
    pub rows: u64,
    /// `false` when `rows` is the planner's estimate, as for tables above the size
    /// limit where counting would take longer than the dump (docs/DATABASES.md).
    pub exact: bool,
}

/// Where a [`DumpSource`] hands each dump: the file name inside the source's directory
/// and the stream; it returns the bytes stored once the stream has ended, and fails if
/// the stream failed (the dump tool's exit is checked at its end) or could not be stored.
pub type DumpSink<'a> = dyn FnMut(&str, Box<dyn Read + Send>) -> io::Result<u64> + 'a;

/// A database source as a backup sees it: dumps produced one after another into one
/// top-level directory of the snapshot, each described by a [`DumpRecord`].
pub trait DumpSource: Send {
    /// The top-level directory in the snapshot (`postgresql`, or a profile's `name`).
    fn dir(&self) -> &str;
    /// The server, without a database.
    fn server(&self) -> &url::DbUrl;
    /// The databases it dumps, in order.
    fn databases(&self) -> &[String];
    /// What the snapshot's `paths` records: the URL of each database it dumps.
    fn shown(&self) -> Vec<String> {
        self.databases()
            .iter()
            .map(|d| self.server().with_database(Some(d)).to_string())
            .collect()
    }
    /// Runs the dumps, in order, into `sink`; the first failure ends the run, so a
    /// snapshot never holds a partial set.
    fn dump_all(&mut self, sink: &mut DumpSink<'_>) -> io::Result<Vec<DumpRecord>>;
}

/// `<database>.<ext>`, a dump's name in its source's directory: `/` would make a
/// directory and `%` escapes it, so both are percent-encoded (database names allow any
/// character).
pub fn dump_file_name(database: &str, ext: &str) -> String {
    let name = database.replace('%', "%25").replace('/', "%2F");
    format!("{name}.{ext}")
}

/// The last line of a tool's error output that says something, for one-line messages.
pub(crate) fn last_line(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes)
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("")
        .trim()
        .to_string()
}

#[cfg(test)]
mod tests {
    #[test]
    fn dump_file_names_keep_to_one_directory() {
        assert_eq!(super::dump_file_name("shop", "sql"), "shop.sql");
        assert_eq!(
            super::dump_file_name("a/b%c", "archive"),
            "a%2Fb%25c.archive"
        );
    }
}
