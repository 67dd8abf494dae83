//! The local cache (SQLite): the blob index of every index file already read, the files
//! cache that lets an unchanged file skip reading, and the packs storage last listed.
//!
//! It is never the source of truth: delete it and every command rebuilds what it needs
//! from the repository.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use rusqlite::{params, Connection, OptionalExtension};

mod dirs;
pub use dirs::{prefix, DirFile, DirFiles, IdPrefix};

use crate::ids::{BlobId, PackId};
use crate::repo::index::{IndexFile, IndexPack};
use crate::repo::pack::{BlobType, Compression, PackEntry};

#[derive(Debug, thiserror::Error)]
#[error("cache {path}: {cause}")]
pub struct CacheError {
    path: String,
    cause: String,
}

/// What the files cache remembers about a file that was backed up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileFacts {
    pub size: u64,
    pub mtime_ns: i64,
    pub ctime_ns: i64,
    pub inode: u64,
}

pub struct Cache {
    conn: Mutex<Connection>,
    /// Read-only connections, one per worker thread (and one for other threads), so the
    /// lookups on the hot paths of backup and restore never wait for each other. Empty
    /// for the in-memory cache, which cannot be shared between connections.
    readers: Vec<Mutex<Connection>>,
    path: String,
}

/// Bumped when a table changes shape; an older cache is emptied and rebuilt (it holds
/// nothing that cannot be read again from the repository).
///
/// 5: packs numbered (a blob row names its pack by number, not by its 32-byte id),
/// the files cache one row per directory (`dirs`).
const SCHEMA_VERSION: i64 = 5;

/// Every table a version before `SCHEMA_VERSION` may have left: all are dropped and
/// made anew when the version differs (the cache is rebuilt from the repository).
const OLD_TABLES: &[&str] = &[
    "blobs",
    "packs",
    "index_files",
    "pack_writers",
    "files",
    "dirs",
    "meta",
    "copy_ids",
];

/// Every copy of a blob the index names is kept (one row per blob and pack): a copy
/// named by a replayed old index, whose pack is gone, must not hide one that exists.
/// `packs` numbers every pack an index named; `listed` marks those storage listed at
/// the last `sync_packs`, plus those this machine wrote since: deduplication counts
/// only copies in them.
const SCHEMA: &str = "
PRAGMA journal_mode = WAL;
PRAGMA synchronous = NORMAL;
CREATE TABLE IF NOT EXISTS blobs (
    id BLOB NOT NULL, pack INTEGER NOT NULL, type INTEGER NOT NULL,
    offset INTEGER NOT NULL, length INTEGER NOT NULL, raw_length INTEGER NOT NULL,
    compression INTEGER NOT NULL, base BLOB, PRIMARY KEY (id, pack)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS packs (
    n INTEGER PRIMARY KEY, id BLOB NOT NULL UNIQUE, listed INTEGER NOT NULL DEFAULT 0,
    writer TEXT
);
CREATE TABLE IF NOT EXISTS index_files (name TEXT PRIMARY KEY) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS dirs (path BLOB PRIMARY KEY, files BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS copy_ids (
    source TEXT NOT NULL, src BLOB NOT NULL, dest BLOB NOT NULL, PRIMARY KEY (source, src)
) WITHOUT ROWID;
";

/// Both queries start from the blob's own rows and look each of its (few) copies' packs
/// up, whatever order a join would leave to the planner: the cost of a lookup must not
/// grow with the number of packs.
const CONTAINS: &str = "SELECT 1 FROM blobs b WHERE b.id = ?1
     AND EXISTS (SELECT 1 FROM packs p WHERE p.n = b.pack AND p.listed) LIMIT 1";
const LOOKUP: &str = "SELECT b.id, (SELECT p.id FROM packs p WHERE p.n = b.pack), b.type,
     b.offset, b.length, b.raw_length, b.compression, b.base
     FROM blobs b WHERE b.id = ?1
     ORDER BY NOT EXISTS (SELECT 1 FROM packs p WHERE p.n = b.pack AND p.listed),
     b.compression = 3
     LIMIT 1";

/// The blobs (at most two: more tells nothing more) whose ids start with a prefix
/// and that have a copy in a listed pack.
const RESOLVE: &str = "SELECT DISTINCT b.id FROM blobs b WHERE b.id BETWEEN ?1 AND ?2
     AND EXISTS (SELECT 1 FROM packs p WHERE p.n = b.pack AND p.listed) LIMIT 2";

const READER_PRAGMAS: &str = "PRAGMA mmap_size = 1073741824; PRAGMA cache_size = -16384;";

impl Cache {
    /// Opens (creating if needed) the cache of one repository under `dir`.
    pub fn open(dir: &Path, repo_id: &str) -> Result<Cache, CacheError> {
        let dir = dir.join(repo_id);
        let path = dir.join("cache.sqlite");
        let err = |cause: String| CacheError {
            path: path.display().to_string(),
            cause,
        };
        std::fs::create_dir_all(&dir).map_err(|e| err(e.to_string()))?;
        crate::fsutil::restrict_dir(&dir);
        let conn = Connection::open(&path).map_err(|e| err(e.to_string()))?;
        let mut cache = Self::init(conn, path.display().to_string())?;
        for _ in 0..=rayon::current_num_threads() {
            let r = Connection::open_with_flags(
                &path,
                rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY
                    | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
            )
            .and_then(|r| {
                r.busy_timeout(std::time::Duration::from_secs(60))
                    .map(|_| r)
            })
            // Pages come from the mapping instead of one pread each (measured: the
            // unchanged re-run of a 70k-file tree spent half its time in SQLite syscalls).
            .and_then(|r| r.execute_batch(READER_PRAGMAS).map(|_| r))
            .map_err(|e| err(e.to_string()))?;
            cache.readers.push(Mutex::new(r));
        }
        Ok(cache)
    }

    /// The directory of this repository's cache; none for a cache in memory.
    pub fn dir(&self) -> Option<PathBuf> {
        (self.path != ":memory:")
            .then(|| Path::new(&self.path).parent().map(Path::to_path_buf))
            .flatten()
    }

    /// The calling thread's read connection.
    fn reader(&self) -> std::sync::MutexGuard<'_, Connection> {
        match self.readers.len() {
            0 => self.conn.lock().unwrap(),
            n => {
                let i = rayon::current_thread_index().map_or(n - 1, |i| i % (n - 1).max(1));
                self.readers[i].lock().unwrap()
            }
        }
    }

    /// Drops the read connections' mappings and page caches. The mapped pages count in the
    /// process's resident memory for as long as they stay mapped; a restore calls this
    /// once it has looked up every blob. Later lookups still work, through SQLite's own
    /// page cache, only without the mapping.
    pub fn release_pages(&self) {
        for r in &self.readers {
            let _ = r
                .lock()
                .unwrap()
                .execute_batch("PRAGMA mmap_size = 0; PRAGMA shrink_memory;");
        }
    }

    /// A cache that lives only as long as the process, for when no directory is usable.
    pub fn in_memory() -> Result<Cache, CacheError> {
        let conn = Connection::open_in_memory().map_err(|e| CacheError {
            path: ":memory:".into(),
            cause: e.to_string(),
        })?;
        Self::init(conn, ":memory:".into())
    }

    fn init(conn: Connection, path: String) -> Result<Cache, CacheError> {
        let err = |e: rusqlite::Error| CacheError {
            path: path.clone(),
            cause: e.to_string(),
        };
        conn.busy_timeout(std::time::Duration::from_secs(60))
            .map_err(err)?;
        let version: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(err)?;
        if version != SCHEMA_VERSION {
            let drops: String = OLD_TABLES
                .iter()
                .map(|t| format!("DROP TABLE IF EXISTS {t};"))
                .collect();
            conn.execute_batch(&format!(
                "BEGIN; {drops} PRAGMA user_version = {SCHEMA_VERSION}; COMMIT;"
            ))
            .map_err(err)?;
            // The old tables' pages are free now, not given back: a rebuilt cache must
            // not carry the old one's size around.
            conn.execute_batch("VACUUM").map_err(err)?;
        }
        conn.execute_batch(SCHEMA).map_err(err)?;
        Ok(Cache {
            conn: Mutex::new(conn),
            readers: Vec::new(),
            path,
        })
    }

    fn err(&self, e: rusqlite::Error) -> CacheError {
        CacheError {
            path: self.path.clone(),
            cause: e.to_string(),
        }
    }

    pub fn index_files(&self) -> Result<Vec<String>, CacheError> {
        let conn = self.conn.lock().unwrap();
        let mut st = conn
            .prepare("SELECT name FROM index_files")
            .map_err(|e| self.err(e))?;
        let rows = st
            .query_map([], |r| r.get::<_, String>(0))
            .map_err(|e| self.err(e))?;
        rows.collect::<Result<_, _>>().map_err(|e| self.err(e))
    }

    /// Forgets the blob index (when index files vanished, e.g. after a prune).
    pub fn reset_index(&self) -> Result<(), CacheError> {
        let conn = self.conn.lock().unwrap();
        conn.execute_batch(
            "DELETE FROM blobs; DELETE FROM index_files; UPDATE packs SET writer = NULL;",
        )
        .map_err(|e| self.err(e))
    }

    /// Forgets what a prune on this machine removed: the index files it replaced and
    /// every row of the packs it deleted. What stays is what a rebuild from the
    /// remaining and new index files would hold, which the next `sync_index` completes
    /// by reading the new files only: a rebuild was per kept blob. The packs digest
    /// goes too, so the next backup's listing sets the listed flags anew.
    pub fn forget_pruned(
        &self,
        index_files: &[String],
        packs: &[PackId],
    ) -> Result<(), CacheError> {
        // A prune that changed nothing keeps the digest: the next backup then skips
        // rewriting the listed flags.
        if index_files.is_empty() && packs.is_empty() {
            return Ok(());
        }
        let mut conn = self.conn.lock().unwrap();
        let tx = conn.transaction().map_err(|e| self.err(e))?;
        tx.execute_batch(
            "CREATE TEMP TABLE IF NOT EXISTS gone (n INTEGER PRIMARY KEY); DELETE FROM gone;",
        )
        .map_err(|e| self.err(e))?;
        {
            let mut st = tx
                .prepare("INSERT OR IGNORE INTO gone SELECT n FROM packs WHERE id = ?1")
                .map_err(|e| self.err(e))?;
            for p in packs {
                st.execute(params![&p.0[..]]).map_err(|e| self.err(e))?;
            }
            let mut st = tx
                .prepare("DELETE FROM index_files WHERE name = ?1")
                .map_err(|e| self.err(e))?;
            for name in index_files {
                st.execute(params![name]).map_err(|e| self.err(e))?;
            }
        }
        // One pass over the blobs, whose key starts with the blob id, not the pack.
        tx.execute_batch(
            "DELETE FROM blobs WHERE pack IN (SELECT n FROM gone);
             DELETE FROM packs WHERE n IN (SELECT n FROM gone);
             DELETE FROM gone;",
        )
        .map_err(|e| self.err(e))?;
        tx.execute("DELETE FROM meta WHERE key = ?1", params![PACKS_DIGEST])
            .map_err(|e| self.err(e))?;
        tx.commit().map_err(|e| self.err(e))
    }

    /// The write-only host key (fingerprint) of every pack one stored, from the
    /// verified index: a pack missing here was stored by a repository key. One query
    /// for a whole index rewrite (a few hosts' packs) instead of one per pack.
    pub fn pack_writers(&self) -> Result<std::collections::HashMap<PackId, String>, CacheError> {
        let conn = self.reader();
        let mut st = conn
            .prepare("SELECT id, writer FROM packs WHERE writer IS NOT NULL")
            .map_err(|e| self.err(e))?;
        let rows = st
            .query_map([], |r| Ok((PackId(id32(r, 0)?), r.get::<_, String>(1)?)))
            .map_err(|e| self.err(e))?;
        rows.collect::<Result<_, _>>().map_err(|e| self.err(e))
    }

    /// The packs stored by write-only host keys other than `me`.
    pub fn others_packs(&self, me: &str) -> Result<std::collections::HashSet<PackId>, CacheError> {
        let conn = self.conn.lock().unwrap();
        let mut st = conn
            .prepare("SELECT id FROM packs WHERE writer IS NOT NULL AND writer != ?1")
            .map_err(|e| self.err(e))?;
        let rows = st
            .query_map(params![me], |r| r.get::<_, Vec<u8>>(0))
            .map_err(|e| self.err(e))?;
        let mut out = std::collections::HashSet::new();
        for r in rows {
            let raw = r.map_err(|e| self.err(e))?;
            if let Ok(id) = <[u8; 32]>::try_from(raw.as_slice()) {
                out.insert(PackId(id));
            }
        }
        Ok(out)
    }

    pub fn add_index(&self, name: &str, index: &IndexFile) -> Result<(), CacheError> {
        self.add_indexes_when(&[index], || Some(vec![name.to_string()]))
            .map(|_| ())
    }

    /// Adds the blobs of some indexes in one transaction that commits only if `stored`
    /// then returns the names the index objects were stored under (`None` rolls it
    /// back): the rows go in while the objects are still being encrypted and written,
    /// yet the cache never names a blob that no stored index names. `stored` is not
    /// called if the rows fail to go in. Whether the rows were committed.
    ///
    /// All indexes' rows go in as one pass in blob id order: a backup's index files,
    /// added one transaction each, rewrote most of the table's pages once per file
    /// (the ids are random), so the pages written grew with the files backed up times
    /// the size of the table (8.6 GB written for 1.1 GB of repository at 3M files).
    pub fn add_indexes_when(
        &self,
        indexes: &[&IndexFile],
        stored: impl FnOnce() -> Option<Vec<String>>,
    ) -> Result<bool, CacheError> {
        let mut conn = self.conn.lock().unwrap();
        let tx = conn.transaction().map_err(|e| self.err(e))?;
        insert_numbered(&tx, indexes).map_err(|e| self.err(e))?;
        let Some(names) = stored() else {
            return Ok(false);
        };
        let mut st = tx
            .prepare_cached("INSERT OR IGNORE INTO index_files VALUES (?1)")
            .map_err(|e| self.err(e))?;
        for name in names {
            st.execute(params![name]).map_err(|e| self.err(e))?;
        }
        drop(st);
        tx.commit().map_err(|e| self.err(e))?;
        Ok(true)
    }

    /// Starts taking index files one by one to add them all at the end
    /// (`BulkIndex::finish`), as a rebuild from storage does with every index file.
    pub fn bulk_index(&self) -> Result<BulkIndex<'_>, CacheError> {
        let conn = self.conn.lock().unwrap();
        conn.execute_batch(
            "PRAGMA temp_store = FILE; DROP TABLE IF EXISTS temp.staged;
             CREATE TEMP TABLE staged (id BLOB NOT NULL, pack INTEGER NOT NULL,
                type INTEGER NOT NULL, offset INTEGER NOT NULL, length INTEGER NOT NULL,
                raw_length INTEGER NOT NULL, compression INTEGER NOT NULL, base BLOB);",
        )
        .map_err(|e| self.err(e))?;
        Ok(BulkIndex {
            cache: self,
            names: Vec::new(),
        })
    }

    /// Replaces the set of packs storage holds with what it just listed. Usually the
    /// set has not changed since this machine's last backup (which added its own packs),
    /// and then nothing is written: a write at the start of a backup would checkpoint
    /// the WAL, and the readers would then map every page of the cache instead of
    /// reading the few they need (measured: +11 MB peak RSS on an unchanged re-run).
    pub fn set_listed_packs(&self, ids: &[PackId]) -> Result<(), CacheError> {
        let listed = PackSetDigest::of(ids.iter());
        if self.meta(PACKS_DIGEST)?.as_deref() == Some(listed.to_hex().as_str()) {
            return Ok(());
        }
        let mut conn = self.conn.lock().unwrap();
        let tx = conn.transaction().map_err(|e| self.err(e))?;
        tx.execute("UPDATE packs SET listed = 0 WHERE listed", [])
            .map_err(|e| self.err(e))?;
        let stored =
            insert_packs(&tx, ids.iter(), PackSetDigest::default()).map_err(|e| self.err(e))?;
        set_meta(&tx, PACKS_DIGEST, &stored.to_hex()).map_err(|e| self.err(e))?;
        tx.commit().map_err(|e| self.err(e))
    }

    /// Adds packs this process uploaded (and indexed) to the listed set.
    pub fn add_listed_packs<'a>(
        &self,
        ids: impl Iterator<Item = &'a PackId>,
    ) -> Result<(), CacheError> {
        let before = self
            .meta(PACKS_DIGEST)?
            .and_then(|h| PackSetDigest::from_hex(&h))
            .unwrap_or_default();
        let mut conn = self.conn.lock().unwrap();
        let tx = conn.transaction().map_err(|e| self.err(e))?;
        let after = insert_packs(&tx, ids, before).map_err(|e| self.err(e))?;
        set_meta(&tx, PACKS_DIGEST, &after.to_hex()).map_err(|e| self.err(e))?;
        tx.commit().map_err(|e| self.err(e))
    }

    /// Where to read a blob: a copy in a listed pack if there is one, a full copy before
    /// a delta (a blob that serves as a base must be read as a full blob).
    pub fn lookup(&self, id: &BlobId) -> Result<Option<(PackId, PackEntry)>, CacheError> {
        let conn = self.reader();
        let mut st = conn.prepare_cached(LOOKUP).map_err(|e| self.err(e))?;
        st.query_row(params![&id.0[..]], blob_row)
            .optional()
            .map_err(|e| self.err(e))
    }

    /// Whether a copy of the blob sits in a pack storage listed: what deduplication
    /// may count on.
    pub fn contains(&self, id: &BlobId) -> Result<bool, CacheError> {
        let conn = self.reader();
        let mut st = conn.prepare_cached(CONTAINS).map_err(|e| self.err(e))?;
        st.exists(params![&id.0[..]]).map_err(|e| self.err(e))
    }

    /// Calls `each` for every copy of every blob the index names, ordered by blob id
    /// (so the copies of one blob come one after another).
    pub fn for_each_blob(&self, mut each: impl FnMut(PackId, PackEntry)) -> Result<(), CacheError> {
        let conn = self.conn.lock().unwrap();
        let mut st = conn
            .prepare(
                "SELECT b.id, p.id, b.type, b.offset, b.length, b.raw_length, b.compression,
                 b.base FROM blobs b JOIN packs p ON p.n = b.pack ORDER BY b.id",
            )
            .map_err(|e| self.err(e))?;
        let rows = st.query_map([], blob_row).map_err(|e| self.err(e))?;
        for row in rows {
            let (pack, entry) = row.map_err(|e| self.err(e))?;
            each(pack, entry);
        }
        Ok(())
    }

    /// Every pack the index names a blob in: its number in the cache, its id and how many
    /// blobs the index places in it. `check` keeps this (per pack, not per blob) and asks
    /// the cache about each blob as it meets it.
    pub fn indexed_packs(&self) -> Result<Vec<(u32, PackId, u64)>, CacheError> {
        let conn = self.reader();
        // Counted here, not with GROUP BY: SQLite sorted every row to group them, in
        // memory (~30 bytes a blob).
        let mut counts: std::collections::HashMap<u32, u64> = std::collections::HashMap::new();
        let mut st = conn
            .prepare("SELECT pack FROM blobs")
            .map_err(|e| self.err(e))?;
        let mut rows = st.query([]).map_err(|e| self.err(e))?;
        while let Some(r) = rows.next().map_err(|e| self.err(e))? {
            *counts
                .entry(r.get(0).map_err(|e| self.err(e))?)
                .or_default() += 1;
        }
        drop(rows);
        let mut st = conn
            .prepare_cached("SELECT id FROM packs WHERE n = ?1")
            .map_err(|e| self.err(e))?;
        counts
            .into_iter()
            .map(|(n, k)| {
                let id = st
                    .query_row(params![n], |r| id32(r, 0))
                    .map_err(|e| self.err(e))?;
                Ok((n, PackId(id), k))
            })
            .collect()
    }

    /// A read transaction for many lookups in a row: the file lock is taken once for
    /// all of them, not once per query (two `fcntl` calls each, a third of `check`'s
    /// time at a million blobs). It holds one of the read connections: no other lookup
    /// may run on this thread until it is dropped.
    pub fn reading(&self) -> Result<Reading<'_>, CacheError> {
        let conn = self.reader();
        conn.execute_batch("BEGIN").map_err(|e| self.err(e))?;
        Ok(Reading { conn, cache: self })
    }

    /// Calls `each` for every blob the index places in one of `packs` (by number). The
    /// blobs are not ordered by pack, so this reads the whole index: for the few packs
    /// something is wrong with.
    pub fn for_each_blob_in(
        &self,
        packs: &std::collections::HashSet<u32>,
        mut each: impl FnMut(u32, PackEntry),
    ) -> Result<(), CacheError> {
        let conn = self.reader();
        let mut st = conn
            .prepare(&format!("SELECT {NUMBERED_COLUMNS} FROM blobs b"))
            .map_err(|e| self.err(e))?;
        let rows = st.query_map([], numbered_row).map_err(|e| self.err(e))?;
        for row in rows {
            let (pack, entry) = row.map_err(|e| self.err(e))?;
            if packs.contains(&pack) {
                each(pack, entry);
            }
        }
        Ok(())
    }

    /// What the files cache holds for the files of directory `dir` (absolute path),
    /// as of the last backup that read it; empty if nothing (or something unreadable).
    pub fn dir_files(&self, dir: &[u8]) -> Result<DirFiles, CacheError> {
        let conn = self.reader();
        let mut st = conn
            .prepare_cached("SELECT files FROM dirs WHERE path = ?1")
            .map_err(|e| self.err(e))?;
        let raw: Option<Vec<u8>> = st
            .query_row(params![dir], |r| r.get(0))
            .optional()
            .map_err(|e| self.err(e))?;
        Ok(raw.and_then(|r| DirFiles::decode(&r)).unwrap_or_default())
    }

    /// Replaces the files-cache rows of these directories, in one transaction.
    pub fn put_dirs(&self, dirs: &[(Vec<u8>, Vec<u8>)]) -> Result<(), CacheError> {
        let mut conn = self.conn.lock().unwrap();
        let tx = conn.transaction().map_err(|e| self.err(e))?;
        {
            let mut st = tx
                .prepare_cached("INSERT OR REPLACE INTO dirs VALUES (?1, ?2)")
                .map_err(|e| self.err(e))?;
            for (path, files) in dirs {
                st.execute(params![path, files]).map_err(|e| self.err(e))?;
            }
        }
        tx.commit().map_err(|e| self.err(e))
    }

    /// The whole id of each prefix (files cache) whose blob has a copy in a listed pack,
    /// if exactly one blob has that prefix; all looked up in one read transaction: one
    /// pair of locks for a directory's files instead of a pair each.
    pub fn resolve_all(&self, prefixes: &[IdPrefix]) -> Result<Vec<Option<BlobId>>, CacheError> {
        let conn = self.reader();
        let tx = conn.unchecked_transaction().map_err(|e| self.err(e))?;
        let mut out = Vec::with_capacity(prefixes.len());
        {
            let mut st = tx.prepare_cached(RESOLVE).map_err(|e| self.err(e))?;
            for p in prefixes {
                let (mut lo, mut hi) = ([0u8; 32], [0xffu8; 32]);
                lo[..16].copy_from_slice(p);
                hi[..16].copy_from_slice(p);
                let ids = st
                    .query_map(params![&lo[..], &hi[..]], |r| id32(r, 0))
                    .map_err(|e| self.err(e))?
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(|e| self.err(e))?;
                out.push(match ids[..] {
                    [one] => Some(BlobId(one)),
                    _ => None,
                });
            }
        }
        tx.finish().map_err(|e| self.err(e))?;
        Ok(out)
    }

    /// Empties the write-ahead log, and rewrites the cache once it has grown by a
    /// quarter since the last rewrite. Blob ids come in random order and leave the
    /// b-tree's pages partly empty (a tenth of the blob index after an initial backup
    /// of 300 000 small files); rewriting costs about what writing the rows did, so
    /// it waits until enough is new.
    pub fn compact(&self) -> Result<(), CacheError> {
        let conn = self.conn.lock().unwrap();
        let q = |sql: &str| conn.query_row(sql, [], |r| r.get::<_, i64>(0));
        let pages = q("PRAGMA page_count").map_err(|e| self.err(e))?;
        let since: i64 = conn
            .query_row(
                "SELECT value FROM meta WHERE key = ?1",
                params![COMPACTED_AT],
                |r| r.get::<_, String>(0),
            )
            .optional()
            .map_err(|e| self.err(e))?
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        if pages < 256 || pages < since + since / 4 {
            // Left behind, the write-ahead log holds a copy of every page this run
            // wrote (measured: 44 MB after an initial backup of 300 000 files).
            return conn
                .execute_batch("PRAGMA wal_checkpoint(TRUNCATE);")
                .map_err(|e| self.err(e));
        }
        conn.execute_batch("VACUUM").map_err(|e| self.err(e))?;
        let after = q("PRAGMA page_count").map_err(|e| self.err(e))?;
        set_meta(&conn, COMPACTED_AT, &after.to_string()).map_err(|e| self.err(e))?;
        conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE);")
            .map_err(|e| self.err(e))
    }

    /// The id this repository gave the blob `src` of repository `source` when `cairn
    /// copy` last moved it (repositories with their own blob-id keys): with it a copy
    /// knows, without reading the blob, whether this repository holds it already.
    pub fn copied_id(&self, source: &str, src: &BlobId) -> Result<Option<BlobId>, CacheError> {
        let conn = self.reader();
        let mut st = conn
            .prepare_cached("SELECT dest FROM copy_ids WHERE source = ?1 AND src = ?2")
            .map_err(|e| self.err(e))?;
        st.query_row(params![source, &src.0[..]], |r| r.get::<_, Vec<u8>>(0))
            .optional()
            .map_err(|e| self.err(e))
            .map(|v| v.and_then(|b| b.try_into().ok().map(BlobId)))
    }

    pub fn put_copied_ids(&self, source: &str, ids: &[(BlobId, BlobId)]) -> Result<(), CacheError> {
        let mut conn = self.conn.lock().unwrap();
        let tx = conn.transaction().map_err(|e| self.err(e))?;
        {
            let mut st = tx
                .prepare_cached("INSERT OR REPLACE INTO copy_ids VALUES (?1, ?2, ?3)")
                .map_err(|e| self.err(e))?;
            for (src, dest) in ids {
                st.execute(params![source, &src.0[..], &dest.0[..]])
                    .map_err(|e| self.err(e))?;
            }
        }
        tx.commit().map_err(|e| self.err(e))
    }

    pub fn meta(&self, key: &str) -> Result<Option<String>, CacheError> {
        let conn = self.conn.lock().unwrap();
        conn.query_row("SELECT value FROM meta WHERE key = ?1", params![key], |r| {
            r.get(0)
        })
        .optional()
        .map_err(|e| self.err(e))
    }

    pub fn set_meta(&self, key: &str, value: &str) -> Result<(), CacheError> {
        set_meta(&self.conn.lock().unwrap(), key, value).map_err(|e| self.err(e))
    }
}

/// The columns `blob_row` reads, in its order; also the order `insert_index` binds.
pub(crate) const BLOB_COLUMNS: &str =
    "id, pack, type, offset, length, raw_length, compression, base";

/// Runs `st`, an insert of `BLOB_COLUMNS`, once per blob of the index. Shared with
/// prune's scratch database, which holds the same rows.
pub(crate) fn insert_index(
    st: &mut rusqlite::Statement,
    index: &IndexFile,
) -> rusqlite::Result<()> {
    for (pack, b) in by_blob_id(&[index], |p| &p.id.0[..]) {
        insert_blob(st, &pack, b)?;
    }
    Ok(())
}

/// An index's blobs in blob id order, each with `key(its pack)`. Tables keyed by blob id
/// take rows in that order at neighbouring places of their b-tree; in an index's own
/// order (random ids) every insert lands on another page, and once the table outgrows
/// the page cache each one reads and writes a page (prune at a million blobs spent half
/// its time loading the index).
pub(crate) fn by_blob_id<'i, K: Copy>(
    indexes: &[&'i IndexFile],
    key: impl Fn(&'i IndexPack) -> K,
) -> Vec<(K, &'i PackEntry)> {
    let mut rows: Vec<(K, &PackEntry)> = indexes
        .iter()
        .flat_map(|index| &index.packs)
        .flat_map(|p| {
            let k = key(p);
            p.blobs.iter().map(move |b| (k, b))
        })
        .collect();
    rows.sort_unstable_by_key(|r| r.1.id);
    rows
}

/// Runs `st`, an insert of `BLOB_COLUMNS`, for one blob of the pack `pack` names (its
/// id, or the cache's number for it); returns how many rows it added.
pub(crate) fn insert_blob(
    st: &mut rusqlite::Statement,
    pack: &dyn rusqlite::ToSql,
    b: &PackEntry,
) -> rusqlite::Result<usize> {
    st.execute(params![
        &b.id.0[..],
        pack,
        b.kind as u8,
        b.offset as i64,
        b.length,
        b.raw_length,
        b.compression.code(),
        b.base.as_ref().map(|b| &b.0[..])
    ])
}

/// Inserts indexes' blobs into the cache's `blobs`, each naming its pack by number
/// (numbering packs not seen before), and records the packs' writers.
fn insert_numbered(tx: &rusqlite::Transaction, indexes: &[&IndexFile]) -> rusqlite::Result<()> {
    let numbers = number_packs(tx, indexes)?;
    let mut st =
        tx.prepare_cached("INSERT OR REPLACE INTO blobs VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)")?;
    for (n, b) in by_blob_id(indexes, |p| numbers[&p.id]) {
        insert_blob(&mut st, &n, b)?;
    }
    Ok(())
}

/// The cache's number of each pack the indexes name (numbering those not seen before),
/// recording the packs' writers.
fn number_packs(
    tx: &rusqlite::Transaction,
    indexes: &[&IndexFile],
) -> rusqlite::Result<std::collections::HashMap<PackId, i64>> {
    let mut number = tx.prepare_cached(
        "INSERT INTO packs (id, writer) VALUES (?1, ?2) ON CONFLICT (id)
         DO UPDATE SET writer = coalesce(excluded.writer, writer) RETURNING n",
    )?;
    let mut numbers = std::collections::HashMap::new();
    for p in indexes.iter().flat_map(|i| &i.packs) {
        let n: i64 = number.query_row(params![&p.id.0[..], p.writer], |r| r.get(0))?;
        numbers.insert(p.id, n);
    }
    Ok(numbers)
}

/// The meta key of the page count `compact` left.
const COMPACTED_AT: &str = "compacted_at_pages";

/// The meta key of the listed packs' digest.
const PACKS_DIGEST: &str = "listed_packs";

/// An order-free digest of a set of pack ids (XOR of their hashes), so that adding
/// packs one by one and listing them all give the same value.
#[derive(Default, PartialEq)]
struct PackSetDigest([u8; 32]);

impl PackSetDigest {
    fn of<'a>(ids: impl Iterator<Item = &'a PackId>) -> PackSetDigest {
        let mut d = PackSetDigest::default();
        let unique: std::collections::HashSet<&PackId> = ids.collect();
        for id in unique {
            d.add(id);
        }
        d
    }
    fn add(&mut self, id: &PackId) {
        let h = blake3::hash(&id.0);
        for (a, b) in self.0.iter_mut().zip(h.as_bytes()) {
            *a ^= b;
        }
    }
    fn to_hex(&self) -> String {
        hex::encode(self.0)
    }
    fn from_hex(s: &str) -> Option<PackSetDigest> {
        let mut d = [0u8; 32];
        hex::decode_to_slice(s, &mut d).ok()?;
        Some(PackSetDigest(d))
    }
}

/// Marks the packs listed that were not yet, adding each to `digest`.
fn insert_packs<'a>(
    tx: &rusqlite::Transaction,
    ids: impl Iterator<Item = &'a PackId>,
    mut digest: PackSetDigest,
) -> rusqlite::Result<PackSetDigest> {
    let mut st = tx.prepare_cached(
        "INSERT INTO packs (id, listed) VALUES (?1, 1) ON CONFLICT (id)
         DO UPDATE SET listed = 1 WHERE NOT listed",
    )?;
    for id in ids {
        if st.execute(params![&id.0[..]])? == 1 {
            digest.add(id);
        }
    }
    Ok(digest)
}

fn set_meta(conn: &Connection, key: &str, value: &str) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT OR REPLACE INTO meta VALUES (?1, ?2)",
        params![key, value],
    )
    .map(|_| ())
}

pub(crate) fn id32(r: &rusqlite::Row, i: usize) -> rusqlite::Result<[u8; 32]> {
    let v: Vec<u8> = r.get(i)?;
    v.try_into().map_err(|_| {
        rusqlite::Error::InvalidColumnType(i, "id".into(), rusqlite::types::Type::Blob)
    })
}

/// Index files going into the cache together (`Cache::bulk_index`). Each file's rows
/// are appended to a temporary table as it comes; `finish` moves them all into `blobs`
/// in one pass in blob id order (SQLite's sorter spills to a file: memory stays flat).
/// Added one transaction each, every file rewrote most pages of the growing blob table
/// (its ids are random): a rebuild at a million blobs wrote 4.8 times the cache's size,
/// and the factor grows with the number of files.
pub struct BulkIndex<'c> {
    cache: &'c Cache,
    names: Vec<String>,
}

impl BulkIndex<'_> {
    pub fn add(&mut self, name: &str, index: &IndexFile) -> Result<(), CacheError> {
        let c = self.cache;
        let mut conn = c.conn.lock().unwrap();
        let tx = conn.transaction().map_err(|e| c.err(e))?;
        let numbers = number_packs(&tx, &[index]).map_err(|e| c.err(e))?;
        let mut st = tx
            .prepare_cached("INSERT INTO temp.staged VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)")
            .map_err(|e| c.err(e))?;
        for p in &index.packs {
            for b in &p.blobs {
                insert_blob(&mut st, &numbers[&p.id], b).map_err(|e| c.err(e))?;
            }
        }
        drop(st);
        tx.commit().map_err(|e| c.err(e))?;
        self.names.push(name.to_string());
        Ok(())
    }

    /// Adds every file taken, rows and names, in one transaction.
    pub fn finish(self) -> Result<(), CacheError> {
        let c = self.cache;
        let mut conn = c.conn.lock().unwrap();
        let tx = conn.transaction().map_err(|e| c.err(e))?;
        tx.execute_batch(&format!(
            "INSERT OR REPLACE INTO blobs SELECT {BLOB_COLUMNS} FROM temp.staged
             ORDER BY id, pack; DROP TABLE temp.staged;"
        ))
        .map_err(|e| c.err(e))?;
        let mut st = tx
            .prepare_cached("INSERT OR IGNORE INTO index_files VALUES (?1)")
            .map_err(|e| c.err(e))?;
        for name in &self.names {
            st.execute(params![name]).map_err(|e| c.err(e))?;
        }
        drop(st);
        tx.commit().map_err(|e| c.err(e))
    }
}

/// Lookups inside one read transaction (`Cache::reading`).
pub struct Reading<'c> {
    conn: std::sync::MutexGuard<'c, Connection>,
    cache: &'c Cache,
}

impl Reading<'_> {
    /// Every copy of a blob the index names, each with its pack's number (see
    /// `Cache::indexed_packs`).
    pub fn copies(&self, id: &BlobId) -> Result<Vec<(u32, PackEntry)>, CacheError> {
        self.rows("b.id = ?1", params![&id.0[..]])
    }

    /// The index's entry for a blob in the pack numbered `pack`.
    pub fn copy_in(&self, id: &BlobId, pack: u32) -> Result<Option<PackEntry>, CacheError> {
        let rows = self.rows("b.id = ?1 AND b.pack = ?2", params![&id.0[..], pack])?;
        Ok(rows.into_iter().next().map(|(_, e)| e))
    }

    fn rows(
        &self,
        filter: &str,
        params: &[&dyn rusqlite::ToSql],
    ) -> Result<Vec<(u32, PackEntry)>, CacheError> {
        let err = |e| self.cache.err(e);
        let mut st = self
            .conn
            .prepare_cached(&format!(
                "SELECT {NUMBERED_COLUMNS} FROM blobs b WHERE {filter}"
            ))
            .map_err(err)?;
        let rows = st.query_map(params, numbered_row).map_err(err)?;
        rows.collect::<Result<_, _>>().map_err(err)
    }
}

impl Drop for Reading<'_> {
    fn drop(&mut self) {
        // A read transaction has nothing to lose; ending it lets checkpoints proceed.
        let _ = self.conn.execute_batch("COMMIT");
    }
}

/// A blob row with its pack's number in the second column (`numbered_row`).
const NUMBERED_COLUMNS: &str =
    "b.id, b.pack, b.type, b.offset, b.length, b.raw_length, b.compression, b.base";

fn numbered_row(r: &rusqlite::Row) -> rusqlite::Result<(u32, PackEntry)> {
    Ok((r.get(1)?, entry_row(r)?))
}

pub(crate) fn blob_row(r: &rusqlite::Row) -> rusqlite::Result<(PackId, PackEntry)> {
    Ok((PackId(id32(r, 1)?), entry_row(r)?))
}

/// The entry of a blob row: id first, then the pack (read by the caller), type, offset,
/// length, raw length, compression and base.
fn entry_row(r: &rusqlite::Row) -> rusqlite::Result<PackEntry> {
    let kind: u8 = r.get(2)?;
    let comp: u8 = r.get(6)?;
    Ok(PackEntry {
        id: BlobId(id32(r, 0)?),
        kind: if kind == 1 {
            BlobType::Tree
        } else {
            BlobType::Data
        },
        offset: r.get::<_, i64>(3)? as u64,
        length: r.get(4)?,
        raw_length: r.get(5)?,
        compression: Compression::from_code(comp).ok_or_else(|| {
            rusqlite::Error::InvalidColumnType(
                6,
                "compression".into(),
                rusqlite::types::Type::Integer,
            )
        })?,
        base: r
            .get::<_, Option<Vec<u8>>>(7)?
            .map(|v| v.try_into().map(BlobId))
            .transpose()
            .map_err(|_| {
                rusqlite::Error::InvalidColumnType(7, "base".into(), rusqlite::types::Type::Blob)
            })?,
    })
}

/// Where caches live unless told otherwise: `$XDG_CACHE_HOME/cairn` or `~/.cache/cairn`.
pub fn default_dir() -> Option<PathBuf> {
    if let Some(x) = std::env::var_os("XDG_CACHE_HOME").filter(|v| !v.is_empty()) {
        return Some(PathBuf::from(x).join("cairn"));
    }
    std::env::var_os("HOME")
        .filter(|v| !v.is_empty())
        .map(|h| PathBuf::from(h).join(".cache").join("cairn"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::{HashMap, HashSet};

    fn entry(id: u8) -> PackEntry {
        PackEntry {
            id: BlobId([id; 32]),
            kind: BlobType::Data,
            offset: 0,
            length: 10,
            raw_length: 10,
            compression: Compression::None,
            base: None,
        }
    }

    fn index(pack: u8, blobs: &[u8]) -> IndexFile {
        IndexFile {
            packs: vec![IndexPack {
                id: PackId([pack; 32]),
                size: 100,
                blobs: blobs.iter().map(|b| entry(*b)).collect(),
                writer: None,
            }],
        }
    }

    #[test]
    fn only_copies_in_listed_packs_count_and_are_preferred() {
        let c = Cache::in_memory().unwrap();
        // Blob 1 is in pack 7 (gone: a replayed index) and pack 9 (listed).
        c.add_index("index/a", &index(7, &[1, 2])).unwrap();
        c.add_index("index/b", &index(9, &[1])).unwrap();
        assert!(!c.contains(&BlobId([1; 32])).unwrap(), "nothing listed yet");
        c.set_listed_packs(&[PackId([9; 32])]).unwrap();
        assert!(c.contains(&BlobId([1; 32])).unwrap());
        assert!(
            !c.contains(&BlobId([2; 32])).unwrap(),
            "only in a gone pack"
        );
        assert_eq!(
            c.lookup(&BlobId([1; 32])).unwrap().unwrap().0,
            PackId([9; 32])
        );
        c.set_listed_packs(&[PackId([7; 32])]).unwrap();
        assert_eq!(
            c.lookup(&BlobId([1; 32])).unwrap().unwrap().0,
            PackId([7; 32])
        );
        c.add_listed_packs([PackId([9; 32])].iter()).unwrap();
        assert!(c.contains(&BlobId([2; 32])).unwrap());
        // Packs added one by one and the same set listed agree: no rewrite needed.
        let digest = c.meta(PACKS_DIGEST).unwrap();
        c.set_listed_packs(&[PackId([9; 32]), PackId([7; 32])])
            .unwrap();
        assert_eq!(c.meta(PACKS_DIGEST).unwrap(), digest);
        c.set_listed_packs(&[PackId([9; 32])]).unwrap();
        assert_ne!(c.meta(PACKS_DIGEST).unwrap(), digest);
        assert!(!c.contains(&BlobId([2; 32])).unwrap(), "pack 7 is gone now");
    }

    /// The tables and one row of each as version 4 made them.
    const V4: &str = "
        CREATE TABLE blobs (id BLOB NOT NULL, pack BLOB NOT NULL, type INTEGER NOT NULL,
            offset INTEGER NOT NULL, length INTEGER NOT NULL, raw_length INTEGER NOT NULL,
            compression INTEGER NOT NULL, base BLOB, PRIMARY KEY (id, pack)) WITHOUT ROWID;
        CREATE TABLE packs (id BLOB PRIMARY KEY) WITHOUT ROWID;
        CREATE TABLE index_files (name TEXT PRIMARY KEY) WITHOUT ROWID;
        CREATE TABLE pack_writers (pack BLOB PRIMARY KEY, writer TEXT NOT NULL) WITHOUT ROWID;
        CREATE TABLE files (path BLOB PRIMARY KEY, size INTEGER NOT NULL,
            mtime_ns INTEGER NOT NULL, ctime_ns INTEGER NOT NULL, inode INTEGER NOT NULL,
            blobs BLOB NOT NULL) WITHOUT ROWID;
        CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
        INSERT INTO blobs VALUES (zeroblob(32), zeroblob(32), 0, 0, 1, 1, 0, NULL);
        INSERT INTO packs VALUES (zeroblob(32));
        INSERT INTO index_files VALUES ('index/old');
        INSERT INTO meta VALUES ('listed_packs', 'x');
        PRAGMA user_version = 4;";

    #[test]
    fn a_cache_of_the_old_layout_is_rebuilt_empty_and_small() {
        let dir = std::env::temp_dir().join(format!("cairn-cache-v4-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("repo")).unwrap();
        let file = dir.join("repo").join("cache.sqlite");
        {
            let mut old = Connection::open(&file).unwrap();
            old.execute_batch(V4).unwrap();
            let tx = old.transaction().unwrap();
            // Many per-file rows, as an old backup of many files left.
            {
                let mut st = tx
                    .prepare("INSERT INTO files VALUES (?1, 1, 1, 1, 1, zeroblob(32))")
                    .unwrap();
                for i in 0..20_000 {
                    st.execute(params![format!("/data/dir/file{i:06}").as_bytes()])
                        .unwrap();
                }
            }
            tx.commit().unwrap();
        }
        let old_size = std::fs::metadata(&file).unwrap().len();
        let c = Cache::open(&dir, "repo").unwrap();
        {
            let conn = c.conn.lock().unwrap();
            let version: i64 = conn
                .query_row("PRAGMA user_version", [], |r| r.get(0))
                .unwrap();
            assert_eq!(version, SCHEMA_VERSION);
            let tables: Vec<String> = conn
                .prepare("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name")
                .unwrap()
                .query_map([], |r| r.get(0))
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap();
            assert_eq!(
                tables,
                ["blobs", "copy_ids", "dirs", "index_files", "meta", "packs"]
            );
        }
        assert!(c.index_files().unwrap().is_empty(), "old index names gone");
        assert_eq!(c.meta(PACKS_DIGEST).unwrap(), None, "old listing gone");
        assert!(!c.contains(&BlobId([0; 32])).unwrap());
        let new_size = std::fs::metadata(&file).unwrap().len();
        assert!(new_size * 4 < old_size, "{new_size} of {old_size} bytes");
        // And it works as a new one.
        c.add_index("index/a", &index(3, &[1])).unwrap();
        c.set_listed_packs(&[PackId([3; 32])]).unwrap();
        assert!(c.contains(&BlobId([1; 32])).unwrap());
        drop(c);
        let again = Cache::open(&dir, "repo").unwrap();
        assert!(
            again.contains(&BlobId([1; 32])).unwrap(),
            "kept at the same version"
        );
        drop(again);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn directory_rows_name_blobs_by_prefix_and_resolve_to_listed_ones() {
        let c = Cache::in_memory().unwrap();
        c.add_index("index/a", &index(7, &[1, 2])).unwrap();
        c.set_listed_packs(&[PackId([7; 32])]).unwrap();
        let facts = FileFacts {
            size: 10,
            mtime_ns: 5,
            ctime_ns: 6,
            inode: 9,
        };
        let row = DirFiles::new(vec![
            (b"a".to_vec(), facts, vec![prefix(&BlobId([1; 32]))]),
            (b"b".to_vec(), facts, vec![prefix(&BlobId([3; 32]))]),
        ]);
        c.put_dirs(&[(b"/d".to_vec(), row.encode())]).unwrap();
        let got = c.dir_files(b"/d").unwrap();
        assert_eq!(got, row);
        assert!(c.dir_files(b"/e").unwrap().is_empty());
        let (_, a) = got.get(b"a").unwrap();
        let (_, b) = got.get(b"b").unwrap();
        assert_eq!(
            c.resolve_all(&[a[0], b[0]]).unwrap(),
            [Some(BlobId([1; 32])), None],
            "blob 3 is in no index"
        );
        // Two blobs with one prefix: neither is taken for the other.
        let mut twin = [1u8; 32];
        twin[31] = 0;
        let mut idx = index(7, &[]);
        idx.packs[0].blobs.push(PackEntry {
            id: BlobId(twin),
            ..entry(0)
        });
        c.add_index("index/b", &idx).unwrap();
        assert_eq!(c.resolve_all(&[a[0]]).unwrap(), [None]);
        // A copy in an unlisted pack does not count.
        let c = Cache::in_memory().unwrap();
        c.add_index("index/a", &index(7, &[1])).unwrap();
        assert_eq!(c.resolve_all(&[a[0]]).unwrap(), [None]);
    }

    #[test]
    fn compacting_gives_back_the_pages_random_ids_left_half_empty() {
        let dir = std::env::temp_dir().join(format!("cairn-cache-compact-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let c = Cache::open(&dir, "repo").unwrap();
        for n in 0..40u8 {
            let mut idx = index(n, &[]);
            for i in 0..500u32 {
                let mut id = *blake3::hash(&[n.to_le_bytes(), [0; 1]].concat()).as_bytes();
                id[..4].copy_from_slice(&i.to_le_bytes());
                let id = *blake3::hash(&id).as_bytes();
                idx.packs[0].blobs.push(PackEntry {
                    id: BlobId(id),
                    ..entry(0)
                });
            }
            c.add_index(&format!("index/{n}"), &idx).unwrap();
        }
        let pages = |c: &Cache| -> i64 {
            c.conn
                .lock()
                .unwrap()
                .query_row("PRAGMA page_count", [], |r| r.get(0))
                .unwrap()
        };
        let before = pages(&c);
        c.compact().unwrap();
        let after = pages(&c);
        assert!(after < before, "{after} of {before} pages");
        let wal = dir.join("repo").join("cache.sqlite-wal");
        assert_eq!(std::fs::metadata(&wal).map_or(0, |m| m.len()), 0);
        // Nothing new since: not rewritten again.
        c.compact().unwrap();
        assert_eq!(pages(&c), after);
        let mut rows = 0;
        c.for_each_blob(|_, _| rows += 1).unwrap();
        assert_eq!(rows, 40 * 500, "every row kept");
        drop(c);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// A backup's index files go in together: every blob and file name, or (when an
    /// object was not stored) none at all.
    #[test]
    fn indexes_added_together_commit_all_their_rows_or_none() {
        let c = Cache::in_memory().unwrap();
        let (a, b) = (index(7, &[5, 1, 3]), index(9, &[4, 2, 1]));
        assert!(!c.add_indexes_when(&[&a, &b], || None).unwrap());
        assert!(c.index_files().unwrap().is_empty());
        assert!(c.indexed_packs().unwrap().is_empty(), "rolled back");
        let names = vec!["index/a".to_string(), "index/b".to_string()];
        assert!(c.add_indexes_when(&[&a, &b], || Some(names)).unwrap());
        let mut files = c.index_files().unwrap();
        files.sort();
        assert_eq!(files, ["index/a", "index/b"]);
        let mut rows = Vec::new();
        c.for_each_blob(|pack, e| rows.push((e.id.0[0], pack.0[0])))
            .unwrap();
        rows.sort();
        assert_eq!(rows, [(1, 7), (1, 9), (2, 9), (3, 7), (4, 9), (5, 7)]);
    }

    /// A rebuild's files go in together at the end; one stopped before (an error, a
    /// signal) leaves neither rows nor names, so the next sync reads every file again.
    #[test]
    fn bulk_index_adds_every_file_at_the_end_and_nothing_when_stopped() {
        let c = Cache::in_memory().unwrap();
        let (a, b) = (index(7, &[5, 1, 3]), index(9, &[4, 2, 1]));
        let mut bulk = c.bulk_index().unwrap();
        bulk.add("index/a", &a).unwrap();
        drop(bulk);
        assert!(c.index_files().unwrap().is_empty());
        assert!(c.indexed_packs().unwrap().is_empty());
        let mut bulk = c.bulk_index().unwrap();
        bulk.add("index/a", &a).unwrap();
        bulk.add("index/b", &b).unwrap();
        bulk.finish().unwrap();
        let mut files = c.index_files().unwrap();
        files.sort();
        assert_eq!(files, ["index/a", "index/b"]);
        let mut rows = Vec::new();
        c.for_each_blob(|pack, e| rows.push((e.id.0[0], pack.0[0], e)))
            .unwrap();
        rows.sort_by_key(|r| (r.0, r.1));
        let got: Vec<(u8, u8)> = rows.iter().map(|r| (r.0, r.1)).collect();
        assert_eq!(got, [(1, 7), (1, 9), (2, 9), (3, 7), (4, 9), (5, 7)]);
        assert!(rows.iter().all(|r| r.2 == entry(r.0)));
    }

    #[test]
    fn copies_name_every_pack_by_its_number() {
        let c = Cache::in_memory().unwrap();
        c.add_index("index/a", &index(7, &[1, 2])).unwrap();
        c.add_index("index/b", &index(9, &[1, 3, 4])).unwrap();
        let mut packs = c.indexed_packs().unwrap();
        packs.sort_by_key(|p| p.1);
        let numbers: HashMap<PackId, u32> = packs.iter().map(|p| (p.1, p.0)).collect();
        let counts: Vec<(PackId, u64)> = packs.iter().map(|p| (p.1, p.2)).collect();
        assert_eq!(counts, [(PackId([7; 32]), 2), (PackId([9; 32]), 3)]);
        let (seven, nine) = (numbers[&PackId([7; 32])], numbers[&PackId([9; 32])]);
        let reading = c.reading().unwrap();
        let mut copies: Vec<u32> = reading
            .copies(&BlobId([1; 32]))
            .unwrap()
            .into_iter()
            .map(|(n, e)| {
                assert_eq!(e, entry(1));
                n
            })
            .collect();
        copies.sort();
        let mut both = vec![seven, nine];
        both.sort();
        assert_eq!(copies, both);
        assert!(reading.copies(&BlobId([5; 32])).unwrap().is_empty());
        assert_eq!(
            reading.copy_in(&BlobId([2; 32]), seven).unwrap(),
            Some(entry(2))
        );
        assert_eq!(reading.copy_in(&BlobId([2; 32]), nine).unwrap(), None);
        drop(reading);
        let mut in_nine = Vec::new();
        c.for_each_blob_in(&HashSet::from([nine]), |n, e| {
            assert_eq!(n, nine);
            in_nine.push(e.id.0[0]);
        })
        .unwrap();
        in_nine.sort();
        assert_eq!(in_nine, [1, 3, 4]);
    }

    #[test]
    fn lookups_start_from_the_blob_not_from_the_packs() {
        let c = Cache::in_memory().unwrap();
        let conn = c.conn.lock().unwrap();
        for q in [CONTAINS, LOOKUP] {
            let mut st = conn.prepare(&format!("EXPLAIN QUERY PLAN {q}")).unwrap();
            let steps: Vec<String> = st
                .query_map([&[0u8; 32][..]], |r| r.get::<_, String>(3))
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap();
            assert!(
                steps[0].starts_with("SEARCH b USING PRIMARY KEY (id=?)"),
                "{steps:?}"
            );
            assert!(!steps.iter().any(|s| s.starts_with("SCAN")), "{steps:?}");
        }
    }
}
