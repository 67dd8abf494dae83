//! The PostgreSQL mirror target: `psql` for SQL, `pg_restore` for the restore of a
//! custom-format dump, fed from the repository on standard input.
//!
//! Connections are libpq URLs without a password, passed as `-d`; libpq finds the
//! password in `.pgpass`, `PGPASSFILE` or `PGPASSWORD`, which reach the tools while
//! cairn's own secrets do not (`crate::child`). Database-wide statements (create, drop,
//! rename, ending sessions) run connected to the `postgres` database of the same server.
//!
//! What the connecting role needs: CREATEDB; ownership of the target database (to
//! rename it); membership of `pg_signal_backend` (or superuser) to end other roles'
//! sessions on it; with `owner`, membership of that role. The server: PostgreSQL 13 or
//! later (`DROP DATABASE … WITH (FORCE)`).

use std::fs::File;
use std::io::{BufRead, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use super::check::{self, Found};
use super::tool;
use super::{Feed, RestoreOptions, Result, Target, TargetError};
use crate::db::url::DbUrl;
use crate::db::{DumpRecord, Engine, TableRows};
use crate::source::command::CommandReader;

/// Where create, drop and rename connect: every PostgreSQL server has it.
const MAINTENANCE_DB: &str = "postgres";

/// NAMEDATALEN - 1.
const MAX_NAME: usize = 63;

pub struct PgTarget {
    url: DbUrl,
    opts: RestoreOptions,
}

impl PgTarget {
    pub fn new(url: &DbUrl, opts: &RestoreOptions) -> PgTarget {
        // The server named in full (PGHOST, PGPORT, PGUSER filled in), for messages.
        let mut url = crate::db::postgres::resolve(&url.with_database(None));
        let has = |url: &DbUrl, k: &str| url.params.iter().any(|(p, _)| p == k);
        if !has(&url, "application_name") {
            url.params
                .push(("application_name".into(), "cairn mirror".into()));
        }
        // libpq waits for an unreachable host as long as TCP does (minutes); a cron job
        // should fail sooner and say so.
        if !has(&url, "connect_timeout") && std::env::var_os("PGCONNECT_TIMEOUT").is_none() {
            url.params.push(("connect_timeout".into(), "30".into()));
        }
        PgTarget {
            url,
            opts: opts.clone(),
        }
    }

    fn conninfo(&self, db: &str) -> String {
        self.url.with_database(Some(db)).to_string()
    }

    /// `psql` on `db`: no psqlrc, stop at the first error, unaligned rows without headers.
    fn psql(&self, db: &str) -> Command {
        let mut c = tool::command("psql");
        c.args(["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d"])
            .arg(self.conninfo(db));
        c
    }

    /// Runs `sql` (given on standard input, as a script) in `db`.
    fn sql(&self, db: &str, sql: String) -> Result<String> {
        tool::run(self.psql(db), "psql", Some(sql)).map_err(|e| self.error(e))
    }

    fn error(&self, e: String) -> TargetError {
        TargetError(format!("{}: {e}", self.describe()))
    }

    fn fed_error(&self, e: tool::Failed) -> TargetError {
        match e {
            tool::Failed::Input(e) => TargetError(e),
            tool::Failed::Tool(e) => self.error(e),
        }
    }

    fn restore_command(&self, db: &str, format: &str) -> Result<(Command, &'static str)> {
        match format {
            "custom" => {
                let mut c = tool::command("pg_restore");
                c.args(["--no-owner", "--exit-on-error", "-d"])
                    .arg(self.conninfo(db));
                if let Some(role) = &self.opts.owner {
                    c.arg(format!("--role={role}"));
                }
                if self.opts.no_privileges {
                    c.arg("--no-privileges");
                }
                Ok((c, "pg_restore"))
            }
            other => Err(TargetError(format!(
                "cannot restore a PostgreSQL dump of format {other:?} (only pg_dump's custom format)"
            ))),
        }
    }

    /// `pg_restore -j`, which needs a file it can seek in: the dump is written to a
    /// private temporary file first, removed whatever happens.
    fn restore_parallel(&self, db: &str, feed: &mut Feed) -> Result<()> {
        let file = TempDump::create().map_err(|e| TargetError(format!("-j: {e}")))?;
        {
            let mut f = std::io::BufWriter::new(
                File::options()
                    .write(true)
                    .open(&file.0)
                    .map_err(|e| TargetError(format!("{}: {e}", file.0.display())))?,
            );
            feed(&mut f).map_err(TargetError)?;
            f.flush()
                .map_err(|e| TargetError(format!("{}: {e}", file.0.display())))?;
        }
        let (mut c, program) = self.restore_command(db, "custom")?;
        c.arg(format!("--jobs={}", self.opts.jobs)).arg(&file.0);
        tool::run(c, program, None).map_err(|e| self.error(e))?;
        Ok(())
    }
}

impl Target for PgTarget {
    fn describe(&self) -> String {
        self.url.server()
    }

    fn engine(&self) -> Engine {
        Engine::Postgresql
    }

    fn max_name_len(&self) -> usize {
        MAX_NAME
    }

    fn databases(&self) -> Result<Vec<String>> {
        let out = self.sql(
            MAINTENANCE_DB,
            "SELECT datname FROM pg_database ORDER BY datname;".into(),
        )?;
        Ok(out.lines().map(str::to_string).collect())
    }

    fn create(&self, db: &str) -> Result<()> {
        // template0: nothing a local template1 holds can clash with the dump's objects.
        let mut sql = format!("CREATE DATABASE {} TEMPLATE template0", ident(db));
        if let Some(role) = &self.opts.owner {
            sql.push_str(&format!(" OWNER {}", ident(role)));
        }
        self.sql(MAINTENANCE_DB, sql + ";").map(drop)
    }

    fn drop_database(&self, db: &str) -> Result<()> {
        self.sql(
            MAINTENANCE_DB,
            format!("DROP DATABASE IF EXISTS {} WITH (FORCE);", ident(db)),
        )
        .map(drop)
    }

    fn rename(&self, from: &str, to: &str) -> Result<()> {
        self.sql(
            MAINTENANCE_DB,
            format!("ALTER DATABASE {} RENAME TO {};", ident(from), ident(to)),
        )
        .map(drop)
    }

    fn restore(&self, db: &str, record: &DumpRecord, feed: &mut Feed) -> Result<()> {
        if self.opts.jobs > 1 && record.format == "custom" {
            return self.restore_parallel(db, feed);
        }
        let (c, program) = self.restore_command(db, &record.format)?;
        tool::run_fed(c, program, feed).map_err(|e| self.fed_error(e))?;
        Ok(())
    }

    fn restore_globals(&self, record: &DumpRecord, feed: &mut Feed) -> Result<Vec<String>> {
        if record.format != "sql" {
            return Err(TargetError(format!(
                "{}: a server-wide dump of format {:?} (expected sql)",
                record.path, record.format
            )));
        }
        // Not ON_ERROR_STOP: `CREATE ROLE postgres` fails on every server, and the rest
        // must still run. Each error is reported.
        let mut c = tool::command("psql");
        c.args(["-X", "-q", "-v", "ON_ERROR_STOP=0", "-d"])
            .arg(self.conninfo(MAINTENANCE_DB))
            .args(["-f", "-"]);
        let said = tool::run_fed(c, "psql", feed).map_err(|e| self.fed_error(e))?;
        Ok(said
            .lines()
            .filter_map(|l| l.find("ERROR:").map(|at| tool::tidy("psql", &l[at..])))
            .collect())
    }

    fn run_sql_file(&self, db: &str, file: &Path) -> Result<()> {
        let mut c = self.psql(db);
        c.arg("-f").arg(file);
        tool::run(c, "psql", None).map(drop).map_err(|e| {
            // psql says `psql:/path/scrub.sql:4: ERROR: …`; the file and line lead.
            let shown = file.display().to_string();
            let e = match e.strip_prefix(&format!("psql:{shown}:")) {
                Some(rest) => match rest.split_once(": ") {
                    Some((line, msg)) => format!("{shown} line {line}: {msg}"),
                    None => format!("{shown}: {rest}"),
                },
                None => format!("{shown}: {e}"),
            };
            TargetError(e)
        })
    }

    fn count_rows(&self, db: &str, tables: &[TableRows]) -> Result<Vec<Found>> {
        let present = self.sql(
            db,
            "SELECT n.nspname || E'\\t' || c.relname FROM pg_class c \
             JOIN pg_namespace n ON n.oid = c.relnamespace \
             WHERE c.relkind IN ('r', 'p', 'm', 'f');"
                .into(),
        )?;
        let present: std::collections::HashSet<(&str, &str)> =
            present.lines().filter_map(|l| l.split_once('\t')).collect();
        check::find(
            tables,
            |t| present.contains(&(t.schema.as_str(), t.name.as_str())),
            |i, t| {
                format!(
                    "SELECT {i}, count(*) FROM {}.{}",
                    ident(&t.schema),
                    ident(&t.name)
                )
            },
            '|',
            |sql| self.sql(db, sql + ";"),
            |e| self.error(e),
        )
    }

    fn check_query(&self, db: &str, sql: &str) -> Result<bool> {
        let mut c = self.psql(db);
        c.arg("-c").arg(sql);
        let out = tool::run(c, "psql", None).map_err(|e| TargetError(format!("{sql}: {e}")))?;
        Ok(matches!(out.trim(), "t" | "true"))
    }

    fn exclusive(&self, db: &str) -> Result<Box<dyn std::any::Any>> {
        // An advisory lock lives as long as its session: a psql kept open on a pipe.
        let key = literal(&format!("cairn mirror {db}"));
        let mut c = self.psql(MAINTENANCE_DB);
        c.stdin(std::process::Stdio::piped());
        let mut reader = CommandReader::start(c, format!("psql on {}", self.describe()))
            .map_err(|e| self.error(e.to_string()))?;
        let mut stdin = reader.take_stdin().expect("stdin was piped");
        let asked = writeln!(stdin, "SELECT pg_try_advisory_lock(hashtext({key}));")
            .and_then(|()| stdin.flush());
        let mut out = std::io::BufReader::new(reader);
        let mut line = String::new();
        let answer = asked.and_then(|()| out.read_line(&mut line));
        match (answer, line.trim()) {
            (Ok(_), "t") => Ok(Box::new(Session { stdin, out })),
            (Ok(_), "f") => Err(self.error(format!(
                "another mirror into {db} is running (it holds the advisory lock {key})"
            ))),
            (Err(e), _) => Err(self.error(e.to_string())),
            (Ok(_), other) => Err(self.error(format!(
                "unexpected answer {other:?} to pg_try_advisory_lock"
            ))),
        }
    }

    fn swap(&self, new: &str, target: &str, old: &str) -> Result<()> {
        if !self.exists(target)? {
            return self.rename(new, target);
        }
        // No new session may start between ending the old ones and the rename (which
        // fails while any remain); the renames are one transaction, so a failure leaves
        // the target under its name, given its connections back below.
        let (t, n, o) = (ident(target), ident(new), ident(old));
        let script = format!(
            "ALTER DATABASE {t} ALLOW_CONNECTIONS false;\n\
             SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity \
             WHERE datname = {} AND pid <> pg_backend_pid();\n\
             BEGIN;\n\
             ALTER DATABASE {t} RENAME TO {o};\n\
             ALTER DATABASE {n} RENAME TO {t};\n\
             COMMIT;\n",
            literal(target)
        );
        let swapped = self.sql(MAINTENANCE_DB, script);
        if swapped.is_err() {
            crate::interrupt::cleanup(|| {
                if !self.exists(target).unwrap_or(false) {
                    return;
                }
                let back = format!("ALTER DATABASE {t} ALLOW_CONNECTIONS true;");
                if let Err(e) = self.sql(MAINTENANCE_DB, back) {
                    crate::ui::warn(&format!(
                        "{target} may still refuse connections (ALTER DATABASE {target} \
                         ALLOW_CONNECTIONS true): {e}"
                    ));
                }
            });
        }
        swapped?;
        // A kept old copy must be usable; one about to be dropped is dropped WITH FORCE.
        let reopen = format!("ALTER DATABASE {o} ALLOW_CONNECTIONS true;");
        if let Err(e) = self.sql(MAINTENANCE_DB, reopen) {
            crate::ui::warn(&format!("{old} still refuses connections: {e}"));
        }
        Ok(())
    }
}

/// An open psql session; ending its input ends it, and with it its advisory lock.
struct Session {
    stdin: std::process::ChildStdin,
    out: std::io::BufReader<CommandReader>,
}

impl Drop for Session {
    fn drop(&mut self) {
        let _ = self.stdin.write_all(b"\\q\n");
        let _ = self.stdin.flush();
        let _ = std::io::copy(&mut self.out, &mut std::io::sink());
    }
}

/// A quoted identifier: `"name"`, with inner quotes doubled.
pub fn ident(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}

/// A quoted string literal (standard_conforming_strings, the default since 9.1).
pub fn literal(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// A file only this user can read, deleted when dropped.
struct TempDump(PathBuf);

impl TempDump {
    fn create() -> std::io::Result<TempDump> {
        let dir = std::env::temp_dir();
        let name = format!(
            "cairn-restore-{}.dump",
            hex::encode(&crate::ids::random_bytes()[..8])
        );
        let path = dir.join(name);
        File::options()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&path)
            .map_err(|e| std::io::Error::new(e.kind(), format!("{}: {e}", path.display())))?;
        Ok(TempDump(path))
    }
}

impl Drop for TempDump {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting() {
        assert_eq!(ident("app_test"), "\"app_test\"");
        assert_eq!(ident("we\"ird"), "\"we\"\"ird\"");
        assert_eq!(literal("o'neil"), "'o''neil'");
    }

    #[test]
    fn connections_name_the_database_and_no_password() {
        let url = DbUrl::parse("postgresql://mirror@127.0.0.1:5433/app_test").unwrap();
        let t = PgTarget::new(&url, &RestoreOptions::default());
        assert_eq!(t.describe(), "postgresql://mirror@127.0.0.1:5433");
        assert_eq!(
            t.conninfo("app_test__cairn_new"),
            "postgresql://mirror@127.0.0.1:5433/app_test__cairn_new?application_name=cairn%20mirror&connect_timeout=30"
        );
    }
}
