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
//! its tables and data only.

use std::io::{self, Read, Write};
use std::process::Stdio;

use crate::db::mysql::Connection;
use crate::db::{DumpRecord, TableRows};
use crate::source::command::describe_exit;

/// How long the swap waits for another session's lock on a table before giving up and
/// leaving the target as it was (the server's default is a year).
const LOCK_WAIT_SECS: u32 = 60;

pub struct MysqlTarget {
    pub conn: Connection,
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
    tables: Vec<String>,
    views: Vec<String>,
    triggers: Vec<String>,
    procedures: Vec<String>,
    functions: Vec<String>,
    events: Vec<String>,
}

impl MysqlTarget {
    pub fn describe(&self) -> String {
        self.conn.server.server()
    }

    fn json_list(&self, sql: &str, what: &str) -> io::Result<Vec<String>> {
        let out = self.conn.query(None, sql, what)?;
        let list: Option<Vec<String>> = serde_json::from_str(&out)
            .map_err(|e| io::Error::other(format!("{what}: unexpected answer {out:?}: {e}")))?;
        Ok(list.unwrap_or_default())
    }

    pub fn exists(&self, db: &str) -> io::Result<bool> {
        let out = self.conn.query(
            None,
            &format!(
                "SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = {}",
                literal(db)
            ),
            &format!("looking for database {db:?} on {}", self.describe()),
        )?;
        Ok(out.trim() != "0")
    }

    pub fn create(&self, db: &str) -> io::Result<()> {
        self.conn
            .query(
                None,
                &format!("CREATE DATABASE {} CHARACTER SET utf8mb4", ident(db)),
                &format!("creating database {db:?} on {}", self.describe()),
            )
            .map(drop)
    }

    pub fn drop_database(&self, db: &str) -> io::Result<()> {
        self.conn
            .query(
                None,
                &format!("DROP DATABASE IF EXISTS {}", ident(db)),
                &format!("dropping database {db:?} on {}", self.describe()),
            )
            .map(drop)
    }

    /// Feeds `input` to the client connected to `db`; it stops at the first error,
    /// which is returned with the client's message (`ERROR 1064 (42000) at line 4: …`).
    fn feed(&self, db: &str, input: &mut dyn Read, what: &str) -> io::Result<()> {
        let mut c = self.conn.command(self.conn.tools.client);
        c.arg("--batch")
            .arg(format!("--database={db}"))
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        let mut child = c.spawn().map_err(|e| {
            io::Error::new(
                e.kind(),
                format!("{what}: cannot start {}: {e}", self.conn.tools.client),
            )
        })?;
        let mut stdin = child.stdin.take().expect("stdin was piped");
        let mut stderr = child.stderr.take().expect("stderr was piped");
        let errors = std::thread::spawn(move || {
            let mut s = String::new();
            let _ = stderr.read_to_string(&mut s);
            s
        });
        let copied = io::copy(input, &mut stdin);
        drop(stdin);
        if let Err(e) = &copied {
            // A failed read of the input (not the client closing its end) must not
            // leave half a restore running on.
            if e.kind() != io::ErrorKind::BrokenPipe {
                let _ = child.kill();
            }
        }
        let status = child.wait()?;
        let errors = errors.join().unwrap_or_default();
        if !status.success() {
            let last = errors
                .lines()
                .rev()
                .find(|l| !l.trim().is_empty())
                .unwrap_or("")
                .trim()
                .to_string();
            return Err(io::Error::other(format!(
                "{what} failed ({}): {last}",
                describe_exit(status)
            )));
        }
        copied.map(drop).map_err(|e| io::Error::new(e.kind(), format!("{what}: {e}")))
    }

    pub fn restore(&self, db: &str, record: &DumpRecord, dump: &mut dyn Read) -> io::Result<()> {
        let what = format!("loading {} into database {db:?} on {}", record.path, self.describe());
        self.feed(db, dump, &what)
    }

    pub fn run_sql_file(&self, db: &str, file: &std::path::Path) -> io::Result<()> {
        let mut f = std::fs::File::open(file)
            .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", file.display())))?;
        self.feed(db, &mut f, &file.display().to_string())
    }

    /// Exact rows of every base table, counted in one statement. `schema` is empty:
    /// a MariaDB dump loads into a database of any name, so tables are known by name.
    pub fn table_rows(&self, db: &str) -> io::Result<Vec<TableRows>> {
        let objects = self.objects(db)?;
        if objects.tables.is_empty() {
            return Ok(Vec::new());
        }
        let counts = objects
            .tables
            .iter()
            .map(|t| {
                format!(
                    "SELECT JSON_ARRAY({}, COUNT(*)) FROM {}.{}",
                    literal(t),
                    ident(db),
                    ident(t)
                )
            })
            .collect::<Vec<_>>()
            .join(" UNION ALL ");
        let what = format!("counting rows in database {db:?} on {}", self.describe());
        let out = self.conn.query(None, &counts, &what)?;
        let mut rows = Vec::new();
        for line in out.lines() {
            let (name, n): (String, u64) = serde_json::from_str(line)
                .map_err(|e| io::Error::other(format!("{what}: unexpected {line:?}: {e}")))?;
            rows.push(TableRows {
                schema: String::new(),
                name,
                rows: n,
                exact: true,
            });
        }
        rows.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(rows)
    }

    fn objects(&self, db: &str) -> io::Result<Objects> {
        let what = format!("listing what database {db:?} on {} holds", self.describe());
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

    /// The SQL that recreates `db`'s views, triggers, routines and events in the
    /// database it is loaded into (the dump qualifies none of them with a database).
    fn definitions(&self, db: &str, objects: &Objects) -> io::Result<Vec<u8>> {
        let mut script = self.dump_no_data(
            db,
            &[
                "--no-create-info",
                "--triggers",
                "--routines",
                "--events",
            ],
            &[],
        )?;
        if !objects.views.is_empty() {
            script.extend(self.dump_no_data(db, &["--skip-triggers"], &objects.views)?);
        }
        Ok(script)
    }

    fn dump_no_data(&self, db: &str, options: &[&str], only: &[String]) -> io::Result<Vec<u8>> {
        let mut c = self.conn.command(self.conn.tools.dump);
        c.args(["--no-data", "--skip-comments", "--single-transaction"])
            .args(options)
            .arg("--")
            .arg(db)
            .args(only);
        let what = format!(
            "{} --no-data of database {db:?} on {}",
            self.conn.tools.dump,
            self.describe()
        );
        let out = c
            .output()
            .map_err(|e| io::Error::new(e.kind(), format!("{what}: cannot start: {e}")))?;
        if !out.status.success() {
            return Err(io::Error::other(format!(
                "{what} failed ({}): {}",
                describe_exit(out.status),
                String::from_utf8_lossy(&out.stderr).trim()
            )));
        }
        Ok(out.stdout)
    }

    /// Ends the other sessions whose current database is `db`; one that has gone
    /// meanwhile is no error.
    fn end_sessions(&self, db: &str) -> io::Result<()> {
        let ids = self.conn.query(
            None,
            &format!(
                "SELECT ID FROM information_schema.PROCESSLIST \
                 WHERE DB = {} AND ID <> CONNECTION_ID()",
                literal(db)
            ),
            &format!("listing the sessions on database {db:?}"),
        )?;
        for id in ids.lines().filter(|l| !l.trim().is_empty()) {
            let _ = self.conn.query(
                None,
                &format!("KILL CONNECTION {}", id.trim()),
                &format!("ending session {id} on database {db:?}"),
            );
        }
        Ok(())
    }

    /// Moves the tables of `new` into `target` and the target's into `old` in one
    /// atomic `RENAME TABLE`, then recreates what cannot move (see the module doc).
    pub fn swap(&self, new: &str, target: &str, old: &str) -> io::Result<()> {
        let from = self.objects(new)?;
        let new_definitions = self.definitions(new, &from)?;
        let target_exists = self.exists(target)?;
        let (into, target_definitions) = if target_exists {
            let into = self.objects(target)?;
            let defs = self.definitions(target, &into)?;
            (into, defs)
        } else {
            (Objects::default(), Vec::new())
        };
        self.end_sessions(target)?;

        let mut sql = format!("SET SESSION lock_wait_timeout = {LOCK_WAIT_SECS};\n");
        if target_exists {
            sql += &format!(
                "CREATE DATABASE {} CHARACTER SET utf8mb4;\n",
                ident(old)
            );
        } else {
            sql += &format!("CREATE DATABASE {} CHARACTER SET utf8mb4;\n", ident(target));
        }
        for t in &from.triggers {
            sql += &format!("DROP TRIGGER {}.{};\n", ident(new), ident(t));
        }
        for t in &into.triggers {
            sql += &format!("DROP TRIGGER {}.{};\n", ident(target), ident(t));
        }
        for v in &into.views {
            sql += &format!("DROP VIEW IF EXISTS {}.{};\n", ident(target), ident(v));
        }
        let moves: Vec<String> = into
            .tables
            .iter()
            .map(|t| format!("{}.{} TO {}.{}", ident(target), ident(t), ident(old), ident(t)))
            .chain(from.tables.iter().map(|t| {
                format!("{}.{} TO {}.{}", ident(new), ident(t), ident(target), ident(t))
            }))
            .collect();
        if !moves.is_empty() {
            sql += &format!("RENAME TABLE {};\n", moves.join(", "));
        }
        let what = format!("swapping {new:?} into {target:?} on {}", self.describe());
        if let Err(e) = self.feed(target_or_none(target_exists, target), &mut sql.as_bytes(), &what)
        {
            // Nothing moved (the rename is all or nothing): put back what was dropped.
            if target_exists {
                let _ = self.feed(target, &mut target_definitions.as_slice(), "restoring");
                let _ = self.drop_database(old);
            } else {
                let _ = self.drop_database(target);
            }
            return Err(e);
        }

        let mut sql = String::new();
        for p in &into.procedures {
            sql += &format!("DROP PROCEDURE IF EXISTS {}.{};\n", ident(target), ident(p));
        }
        for f in &into.functions {
            sql += &format!("DROP FUNCTION IF EXISTS {}.{};\n", ident(target), ident(f));
        }
        for e in &into.events {
            sql += &format!("DROP EVENT IF EXISTS {}.{};\n", ident(target), ident(e));
        }
        let mut script = sql.into_bytes();
        script.extend(new_definitions);
        let what = format!(
            "recreating views, triggers, routines and events in {target:?} on {}",
            self.describe()
        );
        self.feed(target, &mut script.as_slice(), &what)?;
        self.drop_database(new)
    }
}

/// The database the swap's session starts in: one that exists.
fn target_or_none(exists: bool, target: &str) -> &str {
    if exists {
        target
    } else {
        "information_schema"
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
