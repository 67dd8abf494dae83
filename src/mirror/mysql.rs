//! MariaDB and MySQL as a mirror target.
//!
//! Neither can rename a database, so the swap moves tables instead: one
//! `RENAME TABLE target.a TO old.a, …, new.a TO target.a, …` statement, which MariaDB
//! and MySQL carry out atomically (all of it or none, and no session sees a mix). What
//! cannot move that way is recreated:
//!
//! - triggers: a table with triggers cannot change databases ("Trigger in wrong
//!   schema"), so the triggers of both sides are dropped just before the rename and the
//!   new database's are created on the target after it;
//! - views: a view cannot change databases either; the target's are dropped before the
//!   rename and the new database's are created after it;
//! - stored routines and events belong to the database, not to a table: the target's are
//!   dropped after the rename and the new database's created.
//!
//! The definitions are taken with `mariadb-dump --no-data` from the live databases just
//! before the swap, so they come out exactly as the server would dump them (definer,
//! SQL mode, character set, view-on-view order). Should the rename fail (a lock that
//! would not go away, say), the target's dropped triggers and views are put back from
//! the same kind of script and the target is as it was. What the old database keeps is
//! its tables and data only. [`Target::rename`] (a kept old copy getting its dated
//! name) moves tables the same way.
//!
//! What the connecting user needs: CREATE and DROP on the databases involved, the
//! privileges the dump's objects need (TRIGGER, CREATE VIEW, CREATE ROUTINE, EVENT, and
//! SET USER / SUPER for other definers), and CONNECTION ADMIN (or PROCESS with SUPER) to
//! end other users' sessions. Credentials as for the source: `~/.my.cnf`, an option
//! file (`option_file`), `MYSQL_PWD`.

use std::io::{self, BufRead, BufReader, Write};
use std::path::Path;
use std::process::ChildStdin;

use super::check::{self, Found};
use super::tool;
use super::{Feed, RestoreOptions, Result, Target, TargetError};
use crate::db::mysql::Connection;
use crate::db::url::DbUrl;
use crate::db::{DumpRecord, Engine, TableRows};
use crate::source::command::CommandReader;

/// How long the swap waits for another session's lock on a table before giving up and
/// leaving the target as it was (the server's default is a year).
const LOCK_WAIT_SECS: u32 = 60;

/// NAME_LEN of MariaDB and MySQL, in characters; database names here are ASCII-safe
/// enough that bytes are the stricter measure.
const MAX_NAME: usize = 64;

pub struct MysqlTarget {
    conn: Connection,
}

/// `name` as a quoted identifier.
pub fn ident(name: &str) -> String {
    format!("`{}`", name.replace('`', "``"))
}

/// `text` as a quoted string literal (backslashes are escapes in MariaDB's default mode).
pub fn literal(text: &str) -> String {
    format!("'{}'", text.replace('\\', "\\\\").replace('\'', "''"))
}

/// What one database holds besides table data.
#[derive(Debug, Default)]
struct Objects {
    /// Base tables and sequences: what `RENAME TABLE` moves.
    tables: Vec<String>,
    views: Vec<String>,
    triggers: Vec<String>,
    procedures: Vec<String>,
    functions: Vec<String>,
    events: Vec<String>,
}

impl MysqlTarget {
    pub fn new(url: &DbUrl, opts: &RestoreOptions) -> Result<MysqlTarget> {
        let conn = Connection::new(url, opts.option_file.as_deref()).map_err(TargetError)?;
        Ok(MysqlTarget { conn })
    }

    fn error(&self, e: impl std::fmt::Display) -> TargetError {
        TargetError(format!("{}: {e}", self.describe()))
    }

    fn query(&self, db: Option<&str>, sql: &str, what: &str) -> Result<String> {
        self.conn
            .query(db, sql, what)
            .map_err(|e| TargetError(e.to_string()))
    }

    fn json_list(&self, sql: &str, what: &str) -> Result<Vec<String>> {
        self.conn
            .json_list(sql, what)
            .map_err(|e| TargetError(e.to_string()))
    }

    /// The client on `db`, reading a script on standard input.
    fn client(&self, db: &str) -> std::process::Command {
        let mut c = self.conn.command(self.conn.tools.client);
        c.arg("--batch").arg(format!("--database={db}"));
        c
    }

    /// Runs a script in `db` (or in no database), stopping at its first error.
    fn script(&self, db: Option<&str>, sql: String, what: &str) -> Result<()> {
        let mut c = self.conn.command(self.conn.tools.client);
        c.arg("--batch");
        if let Some(db) = db {
            c.arg(format!("--database={db}"));
        }
        tool::run(c, self.conn.tools.client, Some(sql))
            .map(drop)
            .map_err(|e| self.error(format!("{what}: {e}")))
    }

    fn objects(&self, db: &str) -> Result<Objects> {
        let what = format!("listing what database {db:?} holds on {}", self.describe());
        let s = literal(db);
        let list = |sql: String| self.json_list(&sql, &what);
        Ok(Objects {
            tables: list(format!(
                "SELECT JSON_ARRAYAGG(TABLE_NAME) FROM information_schema.TABLES \
                 WHERE TABLE_SCHEMA = {s} AND TABLE_TYPE IN ('BASE TABLE', 'SEQUENCE')"
            ))?,
            views: list(format!(
                "SELECT JSON_ARRAYAGG(TABLE_NAME) FROM information_schema.VIEWS \
                 WHERE TABLE_SCHEMA = {s}"
            ))?,
            triggers: list(format!(
                "SELECT JSON_ARRAYAGG(TRIGGER_NAME) FROM information_schema.TRIGGERS \
                 WHERE TRIGGER_SCHEMA = {s}"
            ))?,
            procedures: list(format!(
                "SELECT JSON_ARRAYAGG(ROUTINE_NAME) FROM information_schema.ROUTINES \
                 WHERE ROUTINE_SCHEMA = {s} AND ROUTINE_TYPE = 'PROCEDURE'"
            ))?,
            functions: list(format!(
                "SELECT JSON_ARRAYAGG(ROUTINE_NAME) FROM information_schema.ROUTINES \
                 WHERE ROUTINE_SCHEMA = {s} AND ROUTINE_TYPE = 'FUNCTION'"
            ))?,
            events: list(format!(
                "SELECT JSON_ARRAYAGG(EVENT_NAME) FROM information_schema.EVENTS \
                 WHERE EVENT_SCHEMA = {s}"
            ))?,
        })
    }

    /// The SQL that recreates `db`'s views, triggers, routines and events in whatever
    /// database it is run in (the dump qualifies none of them with a database).
    fn definitions(&self, db: &str, objects: &Objects) -> Result<String> {
        let mut script = self.dump_no_data(
            db,
            &["--no-create-info", "--triggers", "--routines", "--events"],
            &[],
        )?;
        if !objects.views.is_empty() {
            script += &self.dump_no_data(db, &["--skip-triggers"], &objects.views)?;
        }
        Ok(script)
    }

    fn dump_no_data(&self, db: &str, options: &[&str], only: &[String]) -> Result<String> {
        let mut c = self.conn.command(self.conn.tools.dump);
        c.args(["--no-data", "--skip-comments", "--single-transaction"])
            .args(options)
            .arg("--")
            .arg(db)
            .args(only);
        tool::run(c, self.conn.tools.dump, None)
            .map_err(|e| self.error(format!("taking the definitions in database {db:?}: {e}")))
    }

    /// Ends the other sessions whose current database is `db`; one that has gone
    /// meanwhile is no error.
    fn end_sessions(&self, db: &str) -> Result<()> {
        let ids = self.query(
            None,
            &format!(
                "SELECT ID FROM information_schema.PROCESSLIST \
                 WHERE DB = {} AND ID <> CONNECTION_ID()",
                literal(db)
            ),
            &format!("listing the sessions on database {db:?}"),
        )?;
        for id in ids.lines().map(str::trim).filter(|l| !l.is_empty()) {
            let _ = self.query(
                None,
                &format!("KILL CONNECTION {id}"),
                &format!("ending session {id} on database {db:?}"),
            );
        }
        Ok(())
    }

    /// Puts everything of `from` into `to` (created here if it does not exist); the
    /// tables of an existing `to` go into `displaced`, created here (see the module doc).
    fn move_into(&self, from: &str, to: &str, displaced: Option<&str>) -> Result<()> {
        let source = self.objects(from)?;
        let source_definitions = self.definitions(from, &source)?;
        let to_exists = self.exists(to)?;
        let (held, held_definitions) = match (to_exists, displaced) {
            (true, Some(_)) => {
                let held = self.objects(to)?;
                let defs = self.definitions(to, &held)?;
                (held, defs)
            }
            (true, None) => {
                return Err(self.error(format!("database {to:?} exists already")));
            }
            (false, _) => (Objects::default(), String::new()),
        };

        let mut sql = format!("SET SESSION lock_wait_timeout = {LOCK_WAIT_SECS};\n");
        let created = match (to_exists, displaced) {
            (true, Some(old)) => old,
            _ => to,
        };
        sql += &format!(
            "CREATE DATABASE {} CHARACTER SET utf8mb4;\n",
            ident(created)
        );
        for t in &source.triggers {
            sql += &format!("DROP TRIGGER {}.{};\n", ident(from), ident(t));
        }
        for t in &held.triggers {
            sql += &format!("DROP TRIGGER {}.{};\n", ident(to), ident(t));
        }
        for v in &held.views {
            sql += &format!("DROP VIEW IF EXISTS {}.{};\n", ident(to), ident(v));
        }
        let moves: Vec<String> = held
            .tables
            .iter()
            .map(|t| format!("{}.{t} TO {}.{t}", ident(to), ident(created), t = ident(t)))
            .chain(
                source
                    .tables
                    .iter()
                    .map(|t| format!("{}.{t} TO {}.{t}", ident(from), ident(to), t = ident(t))),
            )
            .collect();
        if !moves.is_empty() {
            sql += &format!("RENAME TABLE {};\n", moves.join(", "));
        }
        let what = format!("moving the tables of {from:?} into {to:?}");
        if let Err(e) = self.script(None, sql, &what) {
            // The rename is all or nothing, so no table moved: put back what was
            // dropped from the target, and the database made for the move.
            if let Some(old) = displaced.filter(|_| to_exists) {
                if let Err(back) = self.script(Some(to), held_definitions, "restoring") {
                    crate::ui::warn(&format!(
                        "{to}: its triggers and views could not be recreated: {back}"
                    ));
                }
                let _ = self.drop_database(old);
            } else if !to_exists {
                let _ = self.drop_database(to);
            }
            return Err(e);
        }

        let mut sql = String::new();
        for p in &held.procedures {
            sql += &format!("DROP PROCEDURE IF EXISTS {}.{};\n", ident(to), ident(p));
        }
        for f in &held.functions {
            sql += &format!("DROP FUNCTION IF EXISTS {}.{};\n", ident(to), ident(f));
        }
        for e in &held.events {
            sql += &format!("DROP EVENT IF EXISTS {}.{};\n", ident(to), ident(e));
        }
        sql += &source_definitions;
        self.script(
            Some(to),
            sql,
            &format!("recreating the views, triggers, routines and events of {from:?} in {to:?}"),
        )?;
        self.drop_database(from)
    }
}

impl Target for MysqlTarget {
    fn describe(&self) -> String {
        self.conn.server.server()
    }

    fn engine(&self) -> Engine {
        Engine::Mysql
    }

    fn max_name_len(&self) -> usize {
        MAX_NAME
    }

    fn databases(&self) -> Result<Vec<String>> {
        self.conn
            .list_databases()
            .map_err(|e| TargetError(e.to_string()))
    }

    fn exists(&self, db: &str) -> Result<bool> {
        let out = self.query(
            None,
            &format!(
                "SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = {}",
                literal(db)
            ),
            &format!("looking for database {db:?} on {}", self.describe()),
        )?;
        Ok(out.trim() != "0")
    }

    fn create(&self, db: &str) -> Result<()> {
        self.script(
            None,
            format!("CREATE DATABASE {} CHARACTER SET utf8mb4;", ident(db)),
            &format!("creating database {db:?}"),
        )
    }

    fn drop_database(&self, db: &str) -> Result<()> {
        self.end_sessions(db)?;
        self.script(
            None,
            format!("DROP DATABASE IF EXISTS {};", ident(db)),
            &format!("dropping database {db:?}"),
        )
    }

    fn rename(&self, from: &str, to: &str) -> Result<()> {
        self.end_sessions(from)?;
        self.move_into(from, to, None)
    }

    fn restore(&self, db: &str, record: &DumpRecord, feed: &mut Feed) -> Result<()> {
        if record.format != "sql" {
            return Err(self.error(format!(
                "{} is a {:?} dump; a MariaDB/MySQL target loads SQL dumps",
                record.path, record.format
            )));
        }
        tool::run_fed(self.client(db), self.conn.tools.client, feed)
            .map(drop)
            .map_err(|e| match e {
                tool::Failed::Input(e) => TargetError(e),
                tool::Failed::Tool(e) => {
                    self.error(format!("loading {} into {db:?}: {e}", record.path))
                }
            })
    }

    fn run_sql_file(&self, db: &str, file: &Path) -> Result<()> {
        let shown = file.display().to_string();
        let f = std::fs::File::open(file).map_err(|e| TargetError(format!("{shown}: {e}")))?;
        let mut c = self.client(db);
        c.stdin(f);
        tool::run(c, self.conn.tools.client, None)
            .map(drop)
            // The client says `ERROR 1064 (42000) at line 4: …`; the file leads.
            .map_err(|e| TargetError(format!("{shown}: {e}")))
    }

    /// Tables are known by name: the manifest's `schema` is the source database, which
    /// a MariaDB dump does not tie its tables to.
    fn count_rows(&self, db: &str, tables: &[TableRows]) -> Result<Vec<Found>> {
        let present = self.objects(db)?.tables;
        let what = format!("counting rows in database {db:?} on {}", self.describe());
        check::find(
            tables,
            |t| present.contains(&t.name),
            |i, t| format!("SELECT {i}, COUNT(*) FROM {}.{}", ident(db), ident(&t.name)),
            '\t',
            |sql| self.query(None, &sql, &what),
            |e| self.error(e),
        )
    }

    fn check_query(&self, db: &str, sql: &str) -> Result<bool> {
        let out = self
            .conn
            .query(Some(db), sql, sql)
            .map_err(|e| TargetError(e.to_string()))?;
        Ok(matches!(out.trim(), "1" | "true" | "TRUE"))
    }

    fn exclusive(&self, db: &str) -> Result<Box<dyn std::any::Any>> {
        // A named lock lives as long as its session: a client kept open on a pipe.
        // MySQL limits lock names to 64 characters.
        let name: String = format!("cairn mirror {db}").chars().take(64).collect();
        let key = literal(&name);
        let mut c = self.conn.command(self.conn.tools.client);
        c.args(["--batch", "--skip-column-names", "--unbuffered"])
            .stdin(std::process::Stdio::piped());
        let mut reader = CommandReader::start(
            c,
            format!("{} on {}", self.conn.tools.client, self.describe()),
        )
        .map_err(|e| self.error(e))?;
        let mut stdin = reader.take_stdin().expect("stdin was piped");
        let asked = writeln!(stdin, "SELECT GET_LOCK({key}, 0);").and_then(|()| stdin.flush());
        let mut out = BufReader::new(reader);
        let mut line = String::new();
        let answer = asked.and_then(|()| out.read_line(&mut line));
        match (answer, line.trim()) {
            (Ok(_), "1") => Ok(Box::new(Session { stdin, out })),
            (Ok(_), "0") => Err(self.error(format!(
                "another mirror into {db} is running (it holds the lock {key})"
            ))),
            (Err(e), _) => Err(self.error(e)),
            (Ok(_), other) => Err(self.error(format!("unexpected answer {other:?} to GET_LOCK"))),
        }
    }

    fn swap(&self, new: &str, target: &str, old: &str) -> Result<()> {
        self.end_sessions(target)?;
        self.move_into(new, target, Some(old))
    }
}

/// The session holding a mirror's lock; ending it releases the lock.
struct Session {
    stdin: ChildStdin,
    out: BufReader<CommandReader>,
}

impl Drop for Session {
    fn drop(&mut self) {
        let _ = self.stdin.write_all(b"quit\n");
        let _ = self.stdin.flush();
        let _ = io::copy(&mut self.out, &mut io::sink());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting() {
        assert_eq!(ident("we`ird"), "`we``ird`");
        assert_eq!(literal("it's a \\ test"), "'it''s a \\\\ test'");
    }
}
