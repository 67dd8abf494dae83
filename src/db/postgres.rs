//! PostgreSQL as a backup source: `pg_dump -Fc -Z0` per database and
//! `pg_dumpall --globals-only` per server, streamed into the snapshot, with the row
//! count of every table recorded for mirror's checks.
//!
//! Counts and dump see the same data: a `psql` session opens a repeatable-read
//! transaction, exports its snapshot (`pg_export_snapshot()`), counts in it, and stays
//! open while `pg_dump --snapshot=ID` dumps exactly that snapshot. Tables above
//! [`EXACT_COUNT_LIMIT`] get the planner's estimate instead of a count, which on a large
//! table would take about as long as dumping it.
//!
//! The tools run directly (no shell) with `-w` (never prompt: cron has no terminal);
//! the URL they get never holds a password (`DbUrl` refuses one), so credentials come
//! from `.pgpass`, `PGPASSFILE` or `PGPASSWORD`, which children inherit.

use std::io::{self, BufRead, BufReader, Write};
use std::process::{ChildStdin, Command, Stdio};
use std::time::Instant;

use super::url::DbUrl;
use super::{DumpRecord, DumpSink, DumpSource, Engine, TableRows};
use crate::child::{self, PassEnv};
use crate::source::command::CommandReader;

/// Tables up to this size (`pg_relation_size`, the main fork) are counted with
/// `count(*)`; larger ones record `reltuples`, marked inexact. docs/DATABASES.md.
pub const EXACT_COUNT_LIMIT: u64 = 64 << 20;

/// What of the server-wide objects (`pg_dumpall --globals-only`) a source dumps.
///
/// Role passwords live in `pg_authid`, which only a superuser may read; managed services
/// never give one, so `NoRolePasswords` dumps roles, memberships and tablespaces without
/// them, and `None` dumps nothing server-wide.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum Globals {
    #[default]
    All,
    NoRolePasswords,
    None,
}

impl Globals {
    pub fn name(self) -> &'static str {
        match self {
            Globals::All => "all",
            Globals::NoRolePasswords => "no-role-passwords",
            Globals::None => "none",
        }
    }
}

/// Where server-wide queries go when a URL names no database.
const MAINTENANCE_DB: &str = "postgres";

/// Printed by the session once the counts are out, so reading stops there while the
/// transaction stays open.
const COUNTED: &str = "__cairn_counted__";

/// A tool run as cairn runs its children, without a shell; `-w` because a password
/// prompt would wait for a terminal that cron does not have.
fn tool(program: &str) -> Command {
    let mut c = child::program(program, &PassEnv::default());
    c.arg("-w");
    c
}

/// `url` with user, host and port filled in from `PGUSER`, `PGHOST` and `PGPORT` where it
/// has none: the same server libpq would connect to, but named in full in the manifest
/// and in messages (`--postgres-all` alone would otherwise say `postgresql://`).
pub fn resolve(url: &DbUrl) -> DbUrl {
    let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    let mut u = url.clone();
    u.user = u.user.or_else(|| var("PGUSER"));
    u.host = u.host.or_else(|| var("PGHOST"));
    u.port = u
        .port
        .or_else(|| var("PGPORT").and_then(|p| p.parse().ok()));
    u
}

/// The database a server-wide query connects to: the URL's own, else `postgres`.
fn maintenance(url: &DbUrl) -> DbUrl {
    match &url.database {
        Some(_) => url.clone(),
        None => url.with_database(Some(MAINTENANCE_DB)),
    }
}

/// The output of one SQL statement through `psql`, trimmed.
fn query(url: &DbUrl, sql: &str, what: &str) -> io::Result<String> {
    let mut c = tool("psql");
    c.args([
        "-X",
        "-q",
        "-A",
        "-t",
        "-v",
        "ON_ERROR_STOP=1",
        "-c",
        sql,
        "-d",
    ])
    .arg(url.to_string())
    .env("PGCLIENTENCODING", "UTF8");
    let out = c
        .output()
        .map_err(|e| io::Error::new(e.kind(), format!("{what}: cannot start psql: {e}")))?;
    if !out.status.success() {
        return Err(io::Error::other(format!(
            "{what} failed ({}): {}",
            crate::source::command::describe_exit(out.status),
            super::last_line(&out.stderr)
        )));
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// The databases a dump of every database covers: those that allow connections and
/// are not templates (`template0` cannot be connected to; `template1` is recreated by
/// `initdb`, and what it holds is usually a mistake to restore).
pub fn list_databases(server: &DbUrl) -> io::Result<Vec<String>> {
    let out = query(
        &maintenance(server),
        "SELECT coalesce(jsonb_agg(datname ORDER BY datname), '[]') FROM pg_database \
         WHERE datallowconn AND NOT datistemplate",
        &format!("listing the databases on {}", server.server()),
    )?;
    serde_json::from_str(&out)
        .map_err(|e| io::Error::other(format!("psql printed an unexpected list: {e}")))
}

/// Fails, naming the way out, when `globals` would dump role passwords the connecting
/// role cannot read (`pg_authid`), as `cairn profile check` tells before a night fails.
pub fn check_globals(server: &DbUrl, globals: Globals) -> io::Result<()> {
    if globals != Globals::All {
        return Ok(());
    }
    let readable = query(
        &maintenance(server),
        "SELECT has_table_privilege('pg_catalog.pg_authid', 'SELECT')",
        &format!("asking {} about pg_authid", server.server()),
    )?;
    match readable.as_str() {
        "t" => Ok(()),
        _ => Err(io::Error::other(format!(
            "{}: the role cannot read pg_authid, so pg_dumpall --globals-only would fail: \
             set `globals = \"no-role-passwords\"` (or \"none\") in the [[database]] section",
            server.server()
        ))),
    }
}

/// `pg_dump (PostgreSQL) 15.14`, as the tool says it.
fn tool_version(program: &str) -> io::Result<String> {
    let out = child::program(program, &PassEnv::default())
        .arg("--version")
        .output()
        .map_err(|e| io::Error::new(e.kind(), format!("cannot start {program}: {e}")))?;
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// `<name>.pgdump` for a database name (see [`super::dump_file_name`]).
pub fn dump_file_name(database: &str) -> String {
    super::dump_file_name(database, "pgdump")
}

/// The relations whose rows are recorded: ordinary tables outside the system schemas,
/// not those an extension creates (`CREATE EXTENSION` makes them again on restore).
const USER_TABLES: &str = "pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
     WHERE c.relkind = 'r' AND c.relpersistence <> 't' \
     AND n.nspname NOT IN ('pg_catalog', 'information_schema') \
     AND n.nspname !~ '^pg_(toast|temp)' \
     AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass \
     AND d.objid = c.oid AND d.deptype = 'e')";

/// The psql script of a [`Session`]: open the transaction, export its snapshot, count.
fn session_script() -> String {
    format!(
        "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY;\n\
         SELECT 'snapshot:' || pg_export_snapshot();\n\
         SELECT 'version:' || current_setting('server_version');\n\
         SELECT format('SELECT %L || json_build_array(%L::text, %L::text, count(*), true)::text FROM %I.%I', \
         'rows:', n.nspname, c.relname, n.nspname, c.relname) FROM {USER_TABLES} \
         AND pg_relation_size(c.oid) <= {EXACT_COUNT_LIMIT} \\gexec\n\
         SELECT 'rows:' || json_build_array(n.nspname, c.relname, greatest(c.reltuples, 0)::bigint, false)::text \
         FROM {USER_TABLES} AND pg_relation_size(c.oid) > {EXACT_COUNT_LIMIT};\n\
         \\echo {COUNTED}\n"
    )
}

/// An open transaction whose snapshot `pg_dump` imports; it must outlive the dump.
struct Session {
    out: BufReader<CommandReader>,
    stdin: ChildStdin,
    snapshot: String,
    server_version: String,
    tables: Vec<TableRows>,
}

impl Session {
    fn open(url: &DbUrl, label: &str) -> io::Result<Session> {
        let mut c = tool("psql");
        c.args(["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d"])
            .arg(url.to_string())
            .env("PGCLIENTENCODING", "UTF8")
            .stdin(Stdio::piped());
        let mut reader = CommandReader::start(c, label.to_string())?;
        let mut stdin = reader.take_stdin().expect("stdin was piped");
        stdin.write_all(session_script().as_bytes())?;
        stdin.flush()?;
        let mut session = Session {
            out: BufReader::new(reader),
            stdin,
            snapshot: String::new(),
            server_version: String::new(),
            tables: Vec::new(),
        };
        let unexpected = |line: &str| {
            io::Error::other(format!(
                "{label} failed: psql printed an unexpected line: {line:?}"
            ))
        };
        let mut line = String::new();
        loop {
            line.clear();
            if session.out.read_line(&mut line)? == 0 {
                // psql ended without an error status, before the counts were out.
                return Err(io::Error::other(format!(
                    "{label} failed: the psql session ended early"
                )));
            }
            let l = line.trim_end_matches('\n');
            if l == COUNTED {
                break;
            } else if let Some(id) = l.strip_prefix("snapshot:") {
                session.snapshot = id.to_string();
            } else if let Some(v) = l.strip_prefix("version:") {
                session.server_version = v.to_string();
            } else if let Some(row) = l.strip_prefix("rows:") {
                let (schema, name, rows, exact): (String, String, u64, bool) =
                    serde_json::from_str(row).map_err(|_| unexpected(l))?;
                session.tables.push(TableRows {
                    schema,
                    name,
                    rows,
                    exact,
                });
            } else {
                return Err(unexpected(l));
            }
        }
        if session.snapshot.is_empty() {
            return Err(unexpected("(no snapshot id)"));
        }
        session
            .tables
            .sort_by(|a, b| (&a.schema, &a.name).cmp(&(&b.schema, &b.name)));
        Ok(session)
    }

    /// Ends the transaction once the dump that imported its snapshot is over, checks
    /// that psql exits cleanly, and returns the counts.
    fn finish(mut self) -> io::Result<Vec<TableRows>> {
        self.stdin.write_all(b"COMMIT;\n")?;
        drop(self.stdin);
        io::copy(&mut self.out, &mut io::sink())?;
        Ok(self.tables)
    }
}

/// One server and the databases to dump from it, under one directory of the snapshot.
pub struct PgSource {
    dir: String,
    /// Without a database.
    server: DbUrl,
    databases: Vec<String>,
    globals: Globals,
}

impl PgSource {
    pub fn new(dir: String, server: &DbUrl, databases: Vec<String>, globals: Globals) -> PgSource {
        PgSource {
            dir,
            server: server.with_database(None),
            databases,
            globals,
        }
    }

    fn dump_database(
        &self,
        db: &str,
        client_version: &str,
        sink: &mut DumpSink<'_>,
    ) -> io::Result<DumpRecord> {
        let url = self.server.with_database(Some(db));
        let label = format!("pg_dump of database {db:?} on {}", self.server.server());
        let started = Instant::now();
        let session = Session::open(&url, &label)?;
        let mut c = tool("pg_dump");
        c.args(["-Fc", "-Z0"])
            .arg(format!("--snapshot={}", session.snapshot))
            .arg("-d")
            .arg(url.to_string());
        let reader = CommandReader::start(c, label)?;
        let name = dump_file_name(db);
        let bytes = sink(&name, Box::new(reader))?;
        let duration_secs = started.elapsed().as_secs_f64();
        let server_version = session.server_version.clone();
        let tables = session.finish()?;
        Ok(DumpRecord {
            engine: Engine::Postgresql,
            server: self.server.server(),
            database: Some(db.to_string()),
            path: format!("{}/{name}", self.dir),
            format: "custom".into(),
            server_version,
            client_version: client_version.to_string(),
            bytes,
            duration_secs,
            tables,
            options: Vec::new(),
        })
    }

    fn dump_globals(
        &self,
        server_version: &str,
        sink: &mut DumpSink<'_>,
    ) -> io::Result<DumpRecord> {
        let label = format!("pg_dumpall --globals-only on {}", self.server.server());
        let started = Instant::now();
        let mut options = Vec::new();
        if self.globals == Globals::NoRolePasswords {
            options.push("--no-role-passwords".to_string());
        }
        let mut c = tool("pg_dumpall");
        c.arg("--globals-only")
            .args(&options)
            .arg("-d")
            .arg(self.server.to_string())
            .args(["-l", self.maintenance_db()]);
        let reader = CommandReader::start(c, label)?;
        let bytes = sink("globals.sql", Box::new(reader)).map_err(|e| {
            match self.globals == Globals::All && e.to_string().contains("pg_authid") {
                true => io::Error::new(
                    e.kind(),
                    format!(
                        "{e} (role passwords need a superuser: set `globals = \"no-role-passwords\"` \
                         (or \"none\") in the [[database]] section, or give \
                         --postgres-globals no-role-passwords)"
                    ),
                ),
                false => e,
            }
        })?;
        Ok(DumpRecord {
            engine: Engine::Postgresql,
            server: self.server.server(),
            database: None,
            path: format!("{}/globals.sql", self.dir),
            format: "sql".into(),
            server_version: server_version.to_string(),
            client_version: tool_version("pg_dumpall")?,
            bytes,
            duration_secs: started.elapsed().as_secs_f64(),
            tables: Vec::new(),
            options,
        })
    }

    fn maintenance_db(&self) -> &str {
        self.databases
            .iter()
            .find(|d| d.as_str() == MAINTENANCE_DB)
            .or(self.databases.first())
            .map(String::as_str)
            .unwrap_or(MAINTENANCE_DB)
    }
}

impl DumpSource for PgSource {
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
        let client_version = tool_version("pg_dump")?;
        let mut records = Vec::new();
        for db in &self.databases {
            records.push(self.dump_database(db, &client_version, sink)?);
        }
        if self.globals != Globals::None {
            let server_version = match records.first() {
                Some(r) => r.server_version.clone(),
                None => query(
                    &maintenance(&self.server),
                    "SHOW server_version",
                    &format!("asking {} for its version", self.server.server()),
                )?,
            };
            records.push(self.dump_globals(&server_version, sink)?);
        }
        Ok(records)
    }
}
