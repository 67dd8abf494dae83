//! The prune ledger: prune's working set kept between runs in the cache directory, so
//! that a prune reads and counts only what changed since the last one.
//!
//! Counting from scratch costs every prune 7.5–11 µs per blob the repository keeps
//! (loading every index file, walking every snapshot, choosing a copy of every blob and
//! summing every pack), so a nightly prune of a repository of ten million blobs would
//! spend about two minutes on blobs it does not touch (docs/BENCHMARKS.md, "Prune's
//! time: the ledger").
//! The ledger holds the same tables as the scratch database plus reference counts, and
//! brings them up to date from the differences between what it counted and what storage
//! holds now:
//! - packs: the listing, compared with the one it kept;
//! - index files: those new since the last run are read (and verified), the rows of
//!   packs that no remaining file lists are dropped;
//! - snapshots: a new one adds one reference to its root tree, a vanished one removes
//!   one (its root is kept here, so a forgotten manifest need not be read). A tree that
//!   gains its first reference is read and its children gain one each; a tree that
//!   loses its last is read and its children lose one each. Shared subtrees are
//!   therefore read once, when they first appear and when they last go.
//!
//! A used delta keeps its base: `b` counts the index rows of used blobs whose base is
//! the blob, and a blob is used while `n` or `b` is above zero.
//!
//! Only blobs whose references or copies changed get their copy chosen again, and only
//! the packs those copies live in get their usage summed again. What the ledger takes
//! from storage is exactly what the scratch database takes: rows of index files that
//! verified, trees read by id (the ids are keyed hashes of the content), snapshots that
//! verified. The ledger itself is local state the user's cache directory holds (0700):
//! it is checked against a count from scratch every `RECOUNT_EVERY` runs and on
//! `--recount`, and a disagreement is reported, the ledger discarded and the plan taken
//! from the full count.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use rusqlite::{params, Connection, OptionalExtension};

use super::plan::PackUsage;
use super::reindex::IndexFileInfo;
use super::scratch::{Choice, PackSpans, Scratch, Span};
use super::PruneError;
use crate::cache::{by_blob_id, id32, insert_blob, BLOB_COLUMNS};
use crate::ids::{BlobId, PackId};
use crate::repo::index::IndexFile;
use crate::repo::pack::Compression;
use crate::repo::snapshot::StoredSnapshot;
use crate::repo::tree::NodeKind;
use crate::repo::{RepoError, Repository};

/// Bumped when the tables change meaning: an older ledger is discarded and rebuilt.
const VERSION: &str = "1";

/// Every this many runs the ledger is compared with a count from scratch.
pub const RECOUNT_EVERY: u64 = 30;

const SCHEMA: &str = "
PRAGMA journal_mode = TRUNCATE;
PRAGMA synchronous = NORMAL;
PRAGMA temp_store = FILE;
PRAGMA busy_timeout = 600000;
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS snaps (id BLOB PRIMARY KEY, tree BLOB NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS refs (
    id BLOB PRIMARY KEY, n INTEGER NOT NULL, b INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS files (name TEXT PRIMARY KEY, blobs INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS file_packs (
    pack BLOB NOT NULL, name TEXT NOT NULL, PRIMARY KEY (pack, name)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS file_packs_name ON file_packs (name);
CREATE TABLE IF NOT EXISTS loc (
    id BLOB NOT NULL, pack BLOB NOT NULL, type INTEGER NOT NULL, offset INTEGER NOT NULL,
    length INTEGER NOT NULL, raw_length INTEGER NOT NULL, compression INTEGER NOT NULL,
    base BLOB, PRIMARY KEY (id, pack)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS loc_delta ON loc (id, base) WHERE base IS NOT NULL;
CREATE TABLE IF NOT EXISTS stored (pack BLOB PRIMARY KEY, size INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS hosted (pack BLOB PRIMARY KEY) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS keep (id BLOB PRIMARY KEY, pack BLOB) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS keep_pack ON keep (pack);
CREATE TABLE IF NOT EXISTS usage (
    pack BLOB PRIMARY KEY, indexed INTEGER NOT NULL, blobs INTEGER NOT NULL,
    used_blobs INTEGER NOT NULL, used_bytes INTEGER NOT NULL, unused_bytes INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS dirty_blob (id BLOB PRIMARY KEY) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS dirty_pack (pack BLOB PRIMARY KEY) WITHOUT ROWID;
CREATE TEMP TABLE IF NOT EXISTS now_stored (pack BLOB PRIMARY KEY, size INTEGER NOT NULL) WITHOUT ROWID;
";

/// The index of the rows by pack, covering the columns the usage sums read.
const LOC_PACK: &str = "CREATE INDEX IF NOT EXISTS loc_pack
    ON loc (pack, offset, length, raw_length, compression, type, base)";

/// A blob whose copy is chosen again: its id, whether it is used, and its kept row
/// before (none; a row without a copy; a row naming a pack).
type Dirty = ([u8; 32], bool, Option<Option<Vec<u8>>>);

/// A kept row: a blob and the pack of its kept copy, if it has one.
type Kept = ([u8; 32], Option<Vec<u8>>);

/// Data blobs' reference changes gathered before they are applied in id order.
const DATA_BATCH: usize = 1 << 16;

pub struct Ledger {
    pub scratch: Scratch,
    path: PathBuf,
    /// A build is counting: every blob is marked at its end, so neither `add_file`
    /// nor `bump` marks the ones it changes.
    all_dirty: std::cell::Cell<bool>,
}

/// What one update read and found.
pub struct Updated {
    /// Every index file the ledger now counts.
    pub files: Vec<IndexFileInfo>,
    /// Index files that did not verify, left out.
    pub rejected: Vec<String>,
    /// Whether the ledger started empty (built rather than brought up to date).
    pub built: bool,
    /// Trees read to add or remove references.
    pub trees_read: u64,
    /// Runs since the last count from scratch, this one included.
    pub runs: u64,
}

impl Ledger {
    /// Where the ledger of a repository's cache lives; none for a cache in memory.
    pub fn path(repo: &Repository) -> Option<PathBuf> {
        repo.cache().dir().map(|d| d.join("prune-ledger.sqlite"))
    }

    /// Opens the ledger at `path`, discarding one written by another version or under
    /// other trust (`trust` names who must have signed what it counted, and who reads).
    pub fn open(path: &Path, trust: &str) -> Result<Ledger, PruneError> {
        let open = || -> Result<Ledger, PruneError> {
            let conn = Connection::open(path).map_err(|e| PruneError::Ledger {
                path: path.display().to_string(),
                cause: e.to_string(),
            })?;
            let scratch = Scratch::with_schema(
                conn,
                Some(path.display().to_string()),
                &format!("{SCHEMA} {LOC_PACK};"),
            )?;
            Ok(Ledger {
                scratch,
                path: path.to_path_buf(),
                all_dirty: Default::default(),
            })
        };
        let ledger = open()?;
        let fits = ledger.meta("version")?.as_deref() == Some(VERSION)
            && ledger.meta("trust")?.as_deref() == Some(trust);
        if fits {
            return Ok(ledger);
        }
        let ledger = if ledger.meta("version")?.is_none() {
            ledger
        } else {
            drop(ledger);
            discard(path);
            open()?
        };
        ledger.set_meta("version", VERSION)?;
        ledger.set_meta("trust", trust)?;
        Ok(ledger)
    }

    pub fn file(&self) -> &Path {
        &self.path
    }

    fn conn(&self) -> &Connection {
        &self.scratch.conn
    }

    fn err(&self, e: rusqlite::Error) -> PruneError {
        self.scratch.err(e)
    }

    fn meta(&self, key: &str) -> Result<Option<String>, PruneError> {
        self.conn()
            .query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
            .optional()
            .map_err(|e| self.err(e))
    }

    fn set_meta(&self, key: &str, value: &str) -> Result<(), PruneError> {
        self.conn()
            .execute("INSERT OR REPLACE INTO meta VALUES (?1, ?2)", [key, value])
            .map(|_| ())
            .map_err(|e| self.err(e))
    }

    /// Records that a count from scratch agreed with the ledger.
    pub fn recounted(&self) -> Result<(), PruneError> {
        self.set_meta("runs", "0")
    }

    /// Brings the ledger up to date with what storage holds: `stored` packs, the index
    /// files `names`, the verified `snaps`. All of it or nothing: one transaction, so
    /// an error or a kill leaves the ledger as the last run left it.
    pub fn update(
        &self,
        repo: &Repository,
        stored: &[(PackId, u64)],
        names: &[String],
        snaps: &[StoredSnapshot],
    ) -> Result<Updated, PruneError> {
        self.atomically(|| {
            let built = self.count("SELECT COUNT(*) FROM snaps")? == 0
                && self.count("SELECT COUNT(*) FROM files")? == 0;
            let stored_set = self.update_stored(stored)?;
            // Building, every row is new: the pack index is made once from sorted rows and
            // every blob marked at once, instead of both row by row in random order.
            if built {
                self.conn()
                    .execute_batch("DROP INDEX IF EXISTS loc_pack")
                    .map_err(|e| self.err(e))?;
            }
            self.all_dirty.set(built);
            let counted = self
                .update_files(repo, names)
                .and_then(|rejected| Ok((rejected, self.update_snapshots(repo, snaps)?)));
            self.all_dirty.set(false);
            let (rejected, trees_read) = counted?;
            if built {
                // Every blob indexed, and every blob in use (those no index lists must
                // get their row without a copy, which makes prune refuse).
                self.conn()
                    .execute_batch(&format!(
                        "{LOC_PACK};
                         INSERT OR IGNORE INTO dirty_blob SELECT id FROM loc;
                         INSERT OR IGNORE INTO dirty_blob SELECT id FROM refs;
                         INSERT OR IGNORE INTO dirty_pack SELECT pack FROM file_packs;"
                    ))
                    .map_err(|e| self.err(e))?;
            }
            self.choose_dirty(&stored_set)?;
            self.sum_dirty(stored)?;
            self.conn()
                .execute_batch("DELETE FROM dirty_blob; DELETE FROM dirty_pack;")
                .map_err(|e| self.err(e))?;
            let runs = self
                .meta("runs")?
                .and_then(|r| r.parse().ok())
                .unwrap_or(0u64)
                + 1;
            self.set_meta("runs", &runs.to_string())?;
            Ok(Updated {
                files: self.files()?,
                rejected,
                built,
                trees_read,
                runs,
            })
        })
    }

    /// Runs `f` in one transaction, taken for writing at once: all of it or nothing.
    fn atomically<T>(&self, f: impl FnOnce() -> Result<T, PruneError>) -> Result<T, PruneError> {
        self.conn()
            .execute_batch("BEGIN IMMEDIATE")
            .map_err(|e| self.err(e))?;
        match f() {
            Ok(v) => {
                self.conn()
                    .execute_batch("COMMIT")
                    .map_err(|e| self.err(e))?;
                Ok(v)
            }
            Err(e) => {
                let _ = self.conn().execute_batch("ROLLBACK");
                Err(e)
            }
        }
    }

    fn count(&self, sql: &str) -> Result<u64, PruneError> {
        self.conn()
            .query_row(sql, [], |r| r.get::<_, i64>(0))
            .map(|n| n as u64)
            .map_err(|e| self.err(e))
    }

    /// Replaces the stored packs by the listing; packs that came or went (or changed
    /// size) are summed again, and the blobs indexed in those that came or went get
    /// their copy chosen again.
    fn update_stored(&self, stored: &[(PackId, u64)]) -> Result<HashSet<[u8; 32]>, PruneError> {
        let c = self.conn();
        c.execute("DELETE FROM now_stored", [])
            .map_err(|e| self.err(e))?;
        {
            let mut st = c
                .prepare_cached("INSERT OR REPLACE INTO now_stored VALUES (?1, ?2)")
                .map_err(|e| self.err(e))?;
            for (id, size) in stored {
                st.execute(params![&id.0[..], *size as i64])
                    .map_err(|e| self.err(e))?;
            }
        }
        c.execute_batch(
            "CREATE TEMP TABLE IF NOT EXISTS came_went (pack BLOB PRIMARY KEY) WITHOUT ROWID;
             DELETE FROM came_went;
             INSERT OR IGNORE INTO came_went
                 SELECT pack FROM stored WHERE pack NOT IN (SELECT pack FROM now_stored);
             INSERT OR IGNORE INTO came_went
                 SELECT pack FROM now_stored WHERE pack NOT IN (SELECT pack FROM stored);
             INSERT OR IGNORE INTO dirty_pack SELECT pack FROM came_went;
             INSERT OR IGNORE INTO dirty_pack
                 SELECT n.pack FROM now_stored n JOIN stored s ON s.pack = n.pack
                 WHERE s.size != n.size;
             INSERT OR IGNORE INTO dirty_blob
                 SELECT l.id FROM came_went w CROSS JOIN loc l ON l.pack = w.pack;
             DELETE FROM stored WHERE pack NOT IN (SELECT pack FROM now_stored);
             INSERT OR REPLACE INTO stored
                 SELECT n.pack, n.size FROM now_stored n LEFT JOIN stored s ON s.pack = n.pack
                 WHERE s.pack IS NULL OR s.size != n.size;",
        )
        .map_err(|e| self.err(e))?;
        Ok(stored.iter().map(|(id, _)| id.0).collect())
    }

    /// Drops the files storage no longer lists (and the rows of packs no other file
    /// lists), reads the new ones; returns the names of those that did not verify.
    fn update_files(&self, repo: &Repository, names: &[String]) -> Result<Vec<String>, PruneError> {
        let known: HashSet<String> = self.strings("SELECT name FROM files")?;
        let listed: HashSet<&String> = names.iter().collect();
        for gone in known.iter().filter(|n| !listed.contains(n)) {
            self.drop_file(gone)?;
        }
        let new: Vec<String> = names
            .iter()
            .filter(|n| !known.contains(*n))
            .cloned()
            .collect();
        super::read_verified(repo, &new, |name, f| self.add_file(&name, &f))
    }

    fn strings(&self, sql: &str) -> Result<HashSet<String>, PruneError> {
        let mut st = self.conn().prepare(sql).map_err(|e| self.err(e))?;
        let rows = st
            .query_map([], |r| r.get::<_, String>(0))
            .map_err(|e| self.err(e))?;
        rows.collect::<Result<_, _>>().map_err(|e| self.err(e))
    }

    fn drop_file(&self, name: &str) -> Result<(), PruneError> {
        let c = self.conn();
        let packs: Vec<[u8; 32]> = self
            .scratch
            .ids("SELECT pack FROM file_packs WHERE name = ?1", [name])?;
        c.execute("DELETE FROM file_packs WHERE name = ?1", [name])
            .map_err(|e| self.err(e))?;
        c.execute("DELETE FROM files WHERE name = ?1", [name])
            .map_err(|e| self.err(e))?;
        for pack in packs {
            let listed = c
                .prepare_cached("SELECT 1 FROM file_packs WHERE pack = ?1 LIMIT 1")
                .and_then(|mut st| st.exists([&pack[..]]))
                .map_err(|e| self.err(e))?;
            if !listed {
                self.drop_pack_rows(&pack)?;
            }
        }
        Ok(())
    }

    /// Removes a pack's index rows: its blobs lose that copy, and a used delta among
    /// them no longer holds its base through it.
    fn drop_pack_rows(&self, pack: &[u8; 32]) -> Result<(), PruneError> {
        let c = self.conn();
        let rows: Vec<([u8; 32], Option<Vec<u8>>)> = {
            let mut st = c
                .prepare_cached("SELECT id, base FROM loc WHERE pack = ?1")
                .map_err(|e| self.err(e))?;
            let rows = st
                .query_map([&pack[..]], |r| Ok((id32(r, 0)?, r.get(1)?)))
                .map_err(|e| self.err(e))?;
            rows.collect::<Result<_, _>>().map_err(|e| self.err(e))?
        };
        // A delta row goes one at a time, after its base is counted down: a blob that
        // stops being used on the way counts down the bases of the rows still there,
        // and these must be exactly the rows it has not counted down yet.
        for (id, base) in &rows {
            self.dirty_blob(id)?;
            if let Some(base) = base {
                if self.is_used(id)? {
                    self.bump(&to_id(base)?, 0, -1)?;
                }
                self.run(
                    "DELETE FROM loc WHERE id = ?1 AND pack = ?2",
                    [&id[..], &pack[..]],
                )?;
            }
        }
        c.execute("DELETE FROM loc WHERE pack = ?1", [&pack[..]])
            .map_err(|e| self.err(e))?;
        c.execute("DELETE FROM hosted WHERE pack = ?1", [&pack[..]])
            .map_err(|e| self.err(e))?;
        self.dirty_pack(pack)?;
        Ok(())
    }

    /// Counts an index file in. Only rows not yet known change anything: a file that
    /// relists packs another file listed (prune's merged files) costs a lookup a row.
    fn add_file(&self, name: &str, index: &IndexFile) -> Result<(), PruneError> {
        let mark = !self.all_dirty.get();
        let c = self.conn();
        let blobs: usize = index.packs.iter().map(|p| p.blobs.len()).sum();
        c.execute(
            "INSERT OR REPLACE INTO files VALUES (?1, ?2)",
            params![name, blobs as i64],
        )
        .map_err(|e| self.err(e))?;
        let mut hosted_now = Vec::new();
        for p in &index.packs {
            self.run(
                "INSERT OR IGNORE INTO file_packs VALUES (?1, ?2)",
                params![&p.id.0[..], name],
            )?;
            if p.writer.is_some() {
                let added = self.run("INSERT OR IGNORE INTO hosted VALUES (?1)", [&p.id.0[..]])?;
                if added == 1 {
                    hosted_now.push(p.id.0);
                }
            }
        }
        let mut st = c
            .prepare_cached(&format!(
                "INSERT OR IGNORE INTO loc ({BLOB_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"
            ))
            .map_err(|e| self.err(e))?;
        let mut changed_packs = HashSet::new();
        for (pack, b) in by_blob_id(&[index], |p| p.id.0) {
            if insert_blob(&mut st, &&pack[..], b).map_err(|e| self.err(e))? == 0 {
                continue;
            }
            if mark {
                changed_packs.insert(pack);
                self.dirty_blob(&b.id.0)?;
            }
            // A used delta holds its base through every copy of it.
            if let Some(base) = b.base {
                if self.is_used(&b.id.0)? {
                    self.bump(&base.0, 0, 1)?;
                }
            }
        }
        for pack in &changed_packs {
            self.dirty_pack(pack)?;
        }
        // A copy in a write-only host's pack is the last choice: the pack's blobs may
        // now keep another copy.
        for pack in hosted_now.into_iter().filter(|_| mark) {
            c.execute(
                "INSERT OR IGNORE INTO dirty_blob SELECT id FROM loc WHERE pack = ?1",
                [&pack[..]],
            )
            .map_err(|e| self.err(e))?;
            self.dirty_pack(&pack)?;
        }
        Ok(())
    }

    /// Counts in an index file this process has just stored (prune's merged index), so
    /// that the next run need not download it again. What it changes is summed at the
    /// next update, with the rest.
    pub fn record_written(&self, name: &str, index: &IndexFile) -> Result<(), PruneError> {
        self.atomically(|| self.add_file(name, index))
    }

    /// New snapshots first, then the vanished ones: a tree both gain and lose a
    /// reference in one update is then never read twice to no effect, and no count
    /// goes below zero on the way.
    fn update_snapshots(
        &self,
        repo: &Repository,
        snaps: &[StoredSnapshot],
    ) -> Result<u64, PruneError> {
        let known: HashMap<[u8; 32], [u8; 32]> = {
            let mut st = self
                .conn()
                .prepare("SELECT id, tree FROM snaps")
                .map_err(|e| self.err(e))?;
            let rows = st
                .query_map([], |r| Ok((id32(r, 0)?, id32(r, 1)?)))
                .map_err(|e| self.err(e))?;
            rows.collect::<Result<_, _>>().map_err(|e| self.err(e))?
        };
        let now: HashSet<[u8; 32]> = snaps.iter().map(|s| s.id.0).collect();
        let mut added = Vec::new();
        for s in snaps.iter().filter(|s| !known.contains_key(&s.id.0)) {
            self.conn()
                .execute(
                    "INSERT INTO snaps VALUES (?1, ?2)",
                    params![&s.id.0[..], &s.snap.tree.0[..]],
                )
                .map_err(|e| self.err(e))?;
            added.push(s.snap.tree.0);
        }
        let mut removed = Vec::new();
        for (id, tree) in known.iter().filter(|(id, _)| !now.contains(*id)) {
            self.conn()
                .execute("DELETE FROM snaps WHERE id = ?1", [&id[..]])
                .map_err(|e| self.err(e))?;
            removed.push(*tree);
        }
        Ok(self.walk(repo, added, 1)? + self.walk(repo, removed, -1)?)
    }

    /// Adds `sign` references to each root, and to the children of every tree whose
    /// count leaves or reaches zero on the way; returns how many trees were read.
    fn walk(&self, repo: &Repository, roots: Vec<[u8; 32]>, sign: i64) -> Result<u64, PruneError> {
        let mut stack = Vec::new();
        for root in roots {
            if self.bump(&root, sign, 0)? {
                stack.push(root);
            }
        }
        let mut data: HashMap<[u8; 32], i64> = HashMap::new();
        let mut read = 0;
        while let Some(id) = stack.pop() {
            let tree = repo.read_tree(&BlobId(id)).map_err(|e| match e {
                RepoError::NotIndexed(_)
                | RepoError::Object { .. }
                | RepoError::Pack(_)
                | RepoError::Invalid(_) => {
                    PruneError::LedgerBehind(format!("tree {}: {e}", BlobId(id)))
                }
                RepoError::Backend(b) if b.is_not_found() => {
                    PruneError::LedgerBehind(format!("tree {}: {b}", BlobId(id)))
                }
                e => e.into(),
            })?;
            read += 1;
            for node in tree.nodes {
                if node.kind == NodeKind::Dir {
                    if let Some(sub) = node.subtree {
                        if self.bump(&sub.0, sign, 0)? {
                            stack.push(sub.0);
                        }
                    }
                }
                for b in &node.content {
                    *data.entry(b.0).or_default() += sign;
                }
            }
            if data.len() >= DATA_BATCH {
                self.apply(&mut data)?;
            }
        }
        self.apply(&mut data)?;
        Ok(read)
    }

    /// Applies gathered data blob reference changes in id order (neighbouring pages).
    fn apply(&self, data: &mut HashMap<[u8; 32], i64>) -> Result<(), PruneError> {
        let mut changes: Vec<([u8; 32], i64)> = data.drain().filter(|(_, d)| *d != 0).collect();
        changes.sort_unstable();
        for (id, d) in changes {
            self.bump(&id, d, 0)?;
        }
        Ok(())
    }

    /// Adds `dn` references from snapshots and trees and `db` from used deltas to a
    /// blob. Returns whether its count of references from snapshots and trees left or
    /// reached zero (a tree's children then change too). When the blob becomes used or
    /// unused its copy is chosen again, and the bases of its delta copies follow.
    fn bump(&self, id: &[u8; 32], dn: i64, db: i64) -> Result<bool, PruneError> {
        let mut work = vec![(*id, dn, db)];
        let mut crossed = false;
        while let Some((id, dn, db)) = work.pop() {
            let (n, b): (i64, i64) = self
                .conn()
                .prepare_cached(
                    "INSERT INTO refs VALUES (?1, ?2, ?3)
                     ON CONFLICT (id) DO UPDATE SET n = n + ?2, b = b + ?3
                     RETURNING n, b",
                )
                .and_then(|mut st| {
                    st.query_row(params![&id[..], dn, db], |r| Ok((r.get(0)?, r.get(1)?)))
                })
                .map_err(|e| self.err(e))?;
            if n < 0 || b < 0 {
                return Err(PruneError::Inconsistent(format!(
                    "prune's ledger counts {n} references to blob {} (from deltas: {b})",
                    BlobId(id)
                )));
            }
            let (old_n, old_b) = (n - dn, b - db);
            // Only the first item changes `n`; the bases after it change `b`.
            crossed |= (old_n > 0) != (n > 0);
            let (was, is) = (old_n > 0 || old_b > 0, n > 0 || b > 0);
            if n == 0 && b == 0 {
                self.run("DELETE FROM refs WHERE id = ?1", [&id[..]])?;
            }
            if was != is {
                if !self.all_dirty.get() {
                    self.dirty_blob(&id)?;
                }
                let sign = if is { 1 } else { -1 };
                for base in self.bases_of(&id)? {
                    work.push((base, 0, sign));
                }
            }
        }
        Ok(crossed)
    }

    /// The bases of every delta copy of a blob.
    fn bases_of(&self, id: &[u8; 32]) -> Result<Vec<[u8; 32]>, PruneError> {
        // Through the index of delta rows alone: a few pages, where a lookup in the
        // whole table costs a random read per blob once it outgrows the page cache.
        self.scratch.ids(
            "SELECT base FROM loc INDEXED BY loc_delta WHERE id = ?1 AND base IS NOT NULL",
            [&id[..]],
        )
    }

    fn is_used(&self, id: &[u8; 32]) -> Result<bool, PruneError> {
        self.conn()
            .prepare_cached("SELECT 1 FROM refs WHERE id = ?1 AND (n > 0 OR b > 0)")
            .and_then(|mut st| st.exists([&id[..]]))
            .map_err(|e| self.err(e))
    }

    /// Runs one statement (prepared once per connection); returns the rows it changed.
    fn run(&self, sql: &str, params: impl rusqlite::Params) -> Result<usize, PruneError> {
        self.conn()
            .prepare_cached(sql)
            .and_then(|mut st| st.execute(params))
            .map_err(|e| self.err(e))
    }

    fn dirty_blob(&self, id: &[u8; 32]) -> Result<(), PruneError> {
        self.run("INSERT OR IGNORE INTO dirty_blob VALUES (?1)", [&id[..]])
            .map(|_| ())
    }

    fn dirty_pack(&self, pack: &[u8; 32]) -> Result<(), PruneError> {
        self.run("INSERT OR IGNORE INTO dirty_pack VALUES (?1)", [&pack[..]])
            .map(|_| ())
    }

    /// Chooses again the kept copy of every blob whose references or copies changed,
    /// by the rule of `Scratch::choose_copies`; the packs of the old and the new copy
    /// are summed again.
    fn choose_dirty(&self, stored: &HashSet<[u8; 32]>) -> Result<(), PruneError> {
        let c = self.conn();
        let hosted: HashSet<[u8; 32]> = self.scratch.ids("SELECT pack FROM hosted", [])?;
        // A slice at a time (every blob is dirty when the ledger is built), read before
        // `keep` is written.
        let mut slice_st = c
            .prepare(
                "SELECT d.id, r.id IS NOT NULL AND (r.n > 0 OR r.b > 0), k.id IS NOT NULL, k.pack
                 FROM dirty_blob d
                 LEFT JOIN refs r ON r.id = d.id
                 LEFT JOIN keep k ON k.id = d.id
                 WHERE d.id > ?1 ORDER BY d.id LIMIT ?2",
            )
            .map_err(|e| self.err(e))?;
        let mut copies_st = c
            .prepare_cached(&format!(
                "SELECT pack, compression = {} FROM loc WHERE id = ?1",
                Compression::Delta.code()
            ))
            .map_err(|e| self.err(e))?;
        let mut after = Vec::new();
        loop {
            let slice: Vec<Dirty> = {
                let rows = slice_st
                    .query_map(params![&after[..], DATA_BATCH as i64], |r| {
                        let had: bool = r.get(2)?;
                        Ok((id32(r, 0)?, r.get(1)?, had.then(|| r.get(3)).transpose()?))
                    })
                    .map_err(|e| self.err(e))?;
                rows.collect::<Result<_, _>>().map_err(|e| self.err(e))?
            };
            let Some(last) = slice.last() else {
                return Ok(());
            };
            after = last.0.to_vec();
            self.choose_slice(slice, stored, &hosted, &mut copies_st)?;
        }
    }

    fn choose_slice(
        &self,
        slice: Vec<Dirty>,
        stored: &HashSet<[u8; 32]>,
        hosted: &HashSet<[u8; 32]>,
        copies_st: &mut rusqlite::CachedStatement,
    ) -> Result<(), PruneError> {
        for (id, used, old) in slice {
            let new: Option<Option<[u8; 32]>> = if used {
                let rows = copies_st
                    .query_map([&id[..]], |r| Ok((id32(r, 0)?, r.get::<_, bool>(1)?)))
                    .map_err(|e| self.err(e))?;
                let mut best: Option<Choice> = None;
                for row in rows {
                    let (pack, delta) = row.map_err(|e| self.err(e))?;
                    let choice = (delta, hosted.contains(&pack), pack);
                    if stored.contains(&pack) && best.is_none_or(|b| choice < b) {
                        best = Some(choice);
                    }
                }
                Some(best.map(|b| b.2))
            } else {
                None
            };
            let old: Option<Option<[u8; 32]>> =
                old.map(|p| p.map(|p| to_id(&p)).transpose()).transpose()?;
            if old == new {
                continue;
            }
            match new {
                Some(pack) => self.run(
                    "INSERT OR REPLACE INTO keep VALUES (?1, ?2)",
                    params![&id[..], pack.as_ref().map(|p| &p[..])],
                )?,
                None => self.run("DELETE FROM keep WHERE id = ?1", [&id[..]])?,
            };
            for pack in [old.flatten(), new.flatten()].into_iter().flatten() {
                self.dirty_pack(&pack)?;
            }
        }
        Ok(())
    }

    /// Sums again the usage of every pack whose rows, copies or size changed.
    fn sum_dirty(&self, stored: &[(PackId, u64)]) -> Result<(), PruneError> {
        let sizes: HashMap<[u8; 32], u64> = stored.iter().map(|(id, s)| (id.0, *s)).collect();
        let c = self.conn();
        let dirty: Vec<[u8; 32]> = self
            .scratch
            .ids("SELECT pack FROM dirty_pack ORDER BY pack", [])?;
        // Both read through their pack index, in order: looking each row's blob up in
        // `keep` by id instead went to a random page per row once the ledger outgrew
        // its page cache.
        let mut rows_st = c
            .prepare_cached(&format!(
                "SELECT id, offset, length, raw_length, compression = {} FROM loc WHERE pack = ?1",
                Compression::ZstdFrame.code()
            ))
            .map_err(|e| self.err(e))?;
        for pack in dirty {
            let Some(&size) = sizes.get(&pack) else {
                self.run("DELETE FROM usage WHERE pack = ?1", [&pack[..]])?;
                continue;
            };
            let kept: HashSet<[u8; 32]> = self
                .scratch
                .ids("SELECT id FROM keep WHERE pack = ?1", [&pack[..]])?;
            let mut spans = PackSpans::default();
            let rows = rows_st
                .query_map([&pack[..]], |r| {
                    Ok((
                        id32(r, 0)?,
                        Span {
                            offset: r.get::<_, i64>(1)? as u64,
                            length: r.get::<_, i64>(2)? as u64,
                        },
                        r.get::<_, i64>(3)? as u64,
                        r.get::<_, bool>(4)?,
                    ))
                })
                .map_err(|e| self.err(e))?;
            for row in rows {
                let (id, span, raw, framed) = row.map_err(|e| self.err(e))?;
                spans.add(span, raw, framed, kept.contains(&id));
            }
            let mut u = PackUsage::unindexed(PackId(pack), size);
            spans.sum_into(&mut u);
            self.run(
                "INSERT OR REPLACE INTO usage VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![
                    &pack[..],
                    u.indexed,
                    u.blobs as i64,
                    u.used_blobs as i64,
                    u.used_bytes as i64,
                    u.unused_bytes as i64
                ],
            )?;
        }
        Ok(())
    }

    /// Every index file counted, with its packs and blobs (for `reindex`).
    fn files(&self) -> Result<Vec<IndexFileInfo>, PruneError> {
        let mut st = self
            .conn()
            .prepare(
                "SELECT f.name, f.blobs, p.pack FROM files f
                 LEFT JOIN file_packs p ON p.name = f.name ORDER BY f.name",
            )
            .map_err(|e| self.err(e))?;
        let rows = st
            .query_map([], |r| {
                let pack: Option<Vec<u8>> = r.get(2)?;
                Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)? as usize, pack))
            })
            .map_err(|e| self.err(e))?;
        let mut out: Vec<IndexFileInfo> = Vec::new();
        for row in rows {
            let (name, blobs, pack) = row.map_err(|e| self.err(e))?;
            if out.last().is_none_or(|f| f.name != name) {
                out.push(IndexFileInfo {
                    name,
                    packs: Vec::new(),
                    blobs,
                });
            }
            if let Some(p) = pack {
                out.last_mut()
                    .expect("pushed above")
                    .packs
                    .push(PackId(to_id(&p)?));
            }
        }
        Ok(out)
    }

    /// Every stored pack's usage, as `Scratch::usage` computes it from scratch.
    pub fn usage(&self) -> Result<Vec<PackUsage>, PruneError> {
        let mut st = self
            .conn()
            .prepare(
                "SELECT s.pack, s.size, u.indexed, u.blobs, u.used_blobs, u.used_bytes,
                        u.unused_bytes
                 FROM stored s LEFT JOIN usage u ON u.pack = s.pack",
            )
            .map_err(|e| self.err(e))?;
        let rows = st
            .query_map([], |r| {
                let indexed: Option<bool> = r.get(2)?;
                let int = |i| r.get::<_, Option<i64>>(i).map(|v| v.unwrap_or(0) as u64);
                Ok((
                    indexed.is_some(),
                    PackUsage {
                        id: PackId(id32(r, 0)?),
                        size: r.get::<_, i64>(1)? as u64,
                        indexed: indexed.unwrap_or(false),
                        blobs: int(3)?,
                        used_blobs: int(4)?,
                        used_bytes: int(5)?,
                        unused_bytes: int(6)?,
                    },
                ))
            })
            .map_err(|e| self.err(e))?;
        let mut out = Vec::new();
        for row in rows {
            let (summed, u) = row.map_err(|e| self.err(e))?;
            if !summed {
                return Err(PruneError::Inconsistent(format!(
                    "prune's ledger has no usage for stored pack {}",
                    u.id
                )));
            }
            out.push(u);
        }
        Ok(out)
    }

    /// How many blobs are used, how many of them have no stored copy, and the first
    /// few of those.
    pub fn used(&self, show: usize) -> Result<(u64, u64, Vec<BlobId>), PruneError> {
        let used = self.count("SELECT COUNT(*) FROM keep")?;
        let missing = self.count("SELECT COUNT(*) FROM keep WHERE pack IS NULL")?;
        let mut st = self
            .conn()
            .prepare("SELECT id FROM keep WHERE pack IS NULL ORDER BY id LIMIT ?1")
            .map_err(|e| self.err(e))?;
        let rows = st
            .query_map([show as i64], |r| Ok(BlobId(id32(r, 0)?)))
            .map_err(|e| self.err(e))?;
        let first = rows.collect::<Result<_, _>>().map_err(|e| self.err(e))?;
        Ok((used, missing, first))
    }

    /// Packs some counted index file lists that storage does not hold.
    pub fn packs_missing_from_storage(&self) -> Result<u64, PruneError> {
        self.count(
            "SELECT COUNT(DISTINCT pack) FROM file_packs
             WHERE pack NOT IN (SELECT pack FROM stored)",
        )
    }

    /// Compares the kept copies and the packs' usage with a count from scratch;
    /// returns how many blobs and packs differ. The kept rows are merged as both
    /// databases return them, in blob id order: memory does not grow with the blobs.
    pub fn differences(
        &self,
        full: &Scratch,
        full_usage: &[PackUsage],
    ) -> Result<(u64, u64), PruneError> {
        const KEPT: &str = "SELECT id, pack FROM keep ORDER BY id";
        let kept_row =
            |r: &rusqlite::Row| -> rusqlite::Result<Kept> { Ok((id32(r, 0)?, r.get(1)?)) };
        let mut mine_st = self.conn().prepare(KEPT).map_err(|e| self.err(e))?;
        let mut theirs_st = full.conn.prepare(KEPT).map_err(|e| full.err(e))?;
        let mut mine = mine_st
            .query_map([], kept_row)
            .map_err(|e| self.err(e))?
            .map(|r| r.map_err(|e| self.err(e)));
        let mut theirs = theirs_st
            .query_map([], kept_row)
            .map_err(|e| full.err(e))?
            .map(|r| r.map_err(|e| full.err(e)));
        let (mut x, mut y) = (mine.next().transpose()?, theirs.next().transpose()?);
        let mut blobs = 0u64;
        loop {
            let (step_mine, step_theirs) = match (&x, &y) {
                (None, None) => break,
                (Some(a), Some(b)) if a.0 == b.0 => {
                    blobs += u64::from(a.1 != b.1);
                    (true, true)
                }
                (Some(a), Some(b)) if a.0 < b.0 => {
                    blobs += 1;
                    (true, false)
                }
                (Some(_), None) => {
                    blobs += 1;
                    (true, false)
                }
                _ => {
                    blobs += 1;
                    (false, true)
                }
            };
            if step_mine {
                x = mine.next().transpose()?;
            }
            if step_theirs {
                y = theirs.next().transpose()?;
            }
        }
        let theirs: HashMap<PackId, &PackUsage> = full_usage.iter().map(|u| (u.id, u)).collect();
        let mine = self.usage()?;
        let matched = mine
            .iter()
            .filter(|u| theirs.get(&u.id).is_some_and(|t| *t == *u))
            .count();
        let packs = (mine.len() - matched + theirs.len() - matched) as u64;
        Ok((blobs, packs))
    }
}

/// Deletes a ledger and its journal; the next prune builds it again. A journal left
/// behind by a killed run would otherwise be rolled back into the next ledger made
/// under the same name (and "-wal", "-shm": ledgers made before the rollback journal).
pub fn discard(path: &Path) {
    for suffix in ["", "-journal", "-wal", "-shm"] {
        let mut p = path.as_os_str().to_owned();
        p.push(suffix);
        let _ = std::fs::remove_file(PathBuf::from(p));
    }
}

fn to_id(v: &[u8]) -> Result<[u8; 32], PruneError> {
    v.try_into().map_err(|_| {
        PruneError::Inconsistent("prune's ledger holds an id that is not 32 bytes".into())
    })
}
