//! Prune's working set on disk: every referenced blob id and every index entry, in a
//! throw-away SQLite temporary database.
//!
//! Why not a `HashSet`: a repository of a few TB holds tens of millions of blobs, and
//! holding their ids and locations in memory would cost gigabytes. SQLite keeps its page
//! cache bounded (`CACHE_KIB`) and spills the rest to the file, so prune's memory stays
//! flat whatever the repository size; the price is a few seconds per million blobs
//! (measured for the cache: 1M inserts in 3.7 s). Durability is not wanted (the file is
//! gone with the connection, however prune ends), so journaling and syncing are off.

use std::path::PathBuf;

use rusqlite::{params, Connection, OptionalExtension};

use super::plan::PackUsage;
use super::PruneError;
use crate::cache::{blob_row, id32, insert_index, BLOB_COLUMNS};
use crate::ids::{BlobId, PackId};
use crate::repo::index::IndexFile;
use crate::repo::pack::{Compression, PackEntry};

/// Page cache of the scratch database, in KiB.
const CACHE_KIB: i64 = 64 * 1024;

const SCHEMA: &str = "
PRAGMA journal_mode = OFF;
PRAGMA synchronous = OFF;
PRAGMA temp_store = FILE;
CREATE TABLE used (id BLOB PRIMARY KEY) WITHOUT ROWID;
CREATE TABLE loc (
    id BLOB NOT NULL, pack BLOB NOT NULL, type INTEGER NOT NULL, offset INTEGER NOT NULL,
    length INTEGER NOT NULL, raw_length INTEGER NOT NULL, compression INTEGER NOT NULL,
    base BLOB, PRIMARY KEY (id, pack)
) WITHOUT ROWID;
CREATE TABLE stored (pack BLOB PRIMARY KEY, size INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE keep (id BLOB PRIMARY KEY, pack BLOB) WITHOUT ROWID;
CREATE TABLE hosted (pack BLOB PRIMARY KEY) WITHOUT ROWID;
";

/// Where a stored blob or a frame sits in its pack.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub(super) struct Span {
    pub offset: u64,
    pub length: u64,
}

/// One pack's index rows, by the span they occupy: entries counted, and per span its
/// frame members' raw bytes, all and kept.
#[derive(Default)]
pub(super) struct PackSpans {
    blobs: u64,
    kept: u64,
    spans: std::collections::HashMap<Span, SpanUse>,
}

#[derive(Default)]
struct SpanUse {
    framed: bool,
    raw: u64,
    raw_kept: u64,
    kept: bool,
}

impl PackSpans {
    pub fn add(&mut self, span: Span, raw: u64, framed: bool, kept: bool) {
        self.blobs += 1;
        self.kept += u64::from(kept);
        let u = self.spans.entry(span).or_default();
        u.framed |= framed;
        u.raw += raw;
        if kept {
            u.kept = true;
            u.raw_kept += raw;
        }
    }

    pub fn sum_into(self, p: &mut PackUsage) {
        let (mut all, mut used) = (0u64, 0u64);
        for (span, u) in &self.spans {
            all += span.length;
            used += match (u.kept, u.framed) {
                (false, _) => 0,
                (true, false) => span.length,
                // A frame's share; u128 as lengths times raw bytes may pass 2^64.
                (true, true) => {
                    (u128::from(span.length) * u128::from(u.raw_kept) / u128::from(u.raw.max(1)))
                        as u64
                }
            };
        }
        p.indexed = self.blobs > 0;
        p.blobs = self.blobs;
        p.used_blobs = self.kept;
        p.used_bytes = used;
        p.unused_bytes = all.saturating_sub(used);
    }
}

/// The two scans `choose_copies` merges, each in its table's key order (no sort, no
/// lookup per row): the used blobs, and every indexed copy with whether it is a delta.
const CHOOSE_USED_SQL: &str = "SELECT id FROM used ORDER BY id";
fn choose_copies_sql() -> String {
    format!(
        "SELECT id, pack, compression = {} FROM loc ORDER BY id, pack",
        Compression::Delta.code()
    )
}

/// How good a copy is, best first (`choose_copies`): a delta, in a write-only host's
/// pack, the pack id.
pub(super) type Choice = (bool, bool, [u8; 32]);

pub struct Scratch {
    pub(super) conn: Connection,
    /// The file, for messages; `None` for the temporary database.
    path: Option<String>,
    /// Data blobs met by the walk and not yet written to `used` (`mark_used_later`).
    later: std::cell::RefCell<Vec<[u8; 32]>>,
}

/// Data blob ids gathered before they are written to `used` in id order (tune): the
/// walk meets them in random order, and each insert on its own lands on a random page.
const LATER_BATCH: usize = 1 << 16;

/// Where SQLite puts the file, for messages (its own search order, see `create`).
fn scratch_place() -> String {
    let var = |k: &str| std::env::var_os(k).filter(|v| !v.is_empty());
    match var("SQLITE_TMPDIR").or_else(|| var("TMPDIR")) {
        Some(d) => format!("a temporary file in {}", PathBuf::from(d).display()),
        None => "a temporary file in /var/tmp or /tmp".to_string(),
    }
}

impl Scratch {
    /// SQLite's own temporary database (the empty file name): it stays in memory up to
    /// the page cache and then spills to a file that SQLite unlinks the moment it opens
    /// it (mode 0600), so nothing is left behind even when prune is killed with
    /// SIGKILL, and nobody else can open it while it lives (blob ids are keyed hashes,
    /// but they still say which blobs the repository holds). A named file in a
    /// directory of our own outlived every killed prune.
    pub fn create() -> Result<Scratch, PruneError> {
        let conn = Connection::open("").map_err(|e| PruneError::Scratch {
            path: scratch_place(),
            cause: e.to_string(),
        })?;
        Scratch::with_schema(conn, None, SCHEMA)
    }

    /// The same tables in a database that outlives the run (the ledger), with its own.
    pub(super) fn with_schema(
        conn: Connection,
        path: Option<String>,
        schema: &str,
    ) -> Result<Scratch, PruneError> {
        let s = Scratch {
            conn,
            path,
            later: Default::default(),
        };
        s.conn
            .execute_batch(&format!("{schema} PRAGMA cache_size = -{CACHE_KIB};"))
            .map_err(|e| s.err(e))?;
        Ok(s)
    }

    pub(super) fn err(&self, e: rusqlite::Error) -> PruneError {
        match &self.path {
            Some(path) => PruneError::Ledger {
                path: path.clone(),
                cause: e.to_string(),
            },
            None => PruneError::Scratch {
                path: scratch_place(),
                cause: e.to_string(),
            },
        }
    }

    /// Groups many writes into one transaction; without it each insert is its own.
    pub fn batch<T>(
        &self,
        f: impl FnOnce(&Scratch) -> Result<T, PruneError>,
    ) -> Result<T, PruneError> {
        self.conn.execute_batch("BEGIN").map_err(|e| self.err(e))?;
        match f(self) {
            Ok(v) => {
                self.conn.execute_batch("COMMIT").map_err(|e| self.err(e))?;
                Ok(v)
            }
            Err(e) => {
                let _ = self.conn.execute_batch("ROLLBACK");
                Err(e)
            }
        }
    }

    /// Records a referenced blob; false when it was already recorded.
    pub fn mark_used(&self, id: &BlobId) -> Result<bool, PruneError> {
        let mut st = self
            .conn
            .prepare_cached("INSERT OR IGNORE INTO used VALUES (?1)")
            .map_err(|e| self.err(e))?;
        Ok(st.execute(params![&id.0[..]]).map_err(|e| self.err(e))? == 1)
    }

    /// Records a referenced data blob some time before `mark_bases` or `used_count`
    /// (`flush_used` writes the rest): whether it was new does not matter to the walk.
    pub fn mark_used_later(&self, id: &BlobId) -> Result<(), PruneError> {
        let full = {
            let mut later = self.later.borrow_mut();
            later.push(id.0);
            later.len() >= LATER_BATCH
        };
        if full {
            self.flush_used()?;
        }
        Ok(())
    }

    /// Writes the blobs `mark_used_later` gathered, in id order.
    pub fn flush_used(&self) -> Result<(), PruneError> {
        let mut later = std::mem::take(&mut *self.later.borrow_mut());
        later.sort_unstable();
        later.dedup();
        let mut st = self
            .conn
            .prepare_cached("INSERT OR IGNORE INTO used VALUES (?1)")
            .map_err(|e| self.err(e))?;
        for id in &later {
            st.execute(params![&id[..]]).map_err(|e| self.err(e))?;
        }
        later.clear();
        *self.later.borrow_mut() = later;
        Ok(())
    }

    /// Records the base of every copy of every recorded blob, until no new one turns
    /// up: a delta is worthless without its base, so a used delta keeps its base alive.
    /// Bases are full blobs, so one round normally finds them all; the loop only makes
    /// sure of it whatever the index says.
    pub fn mark_bases(&self) -> Result<u64, PruneError> {
        let mut added = 0;
        loop {
            let n = self
                .conn
                .execute(
                    "INSERT OR IGNORE INTO used SELECT DISTINCT l.base FROM loc l
                     WHERE l.base IS NOT NULL AND l.id IN (SELECT id FROM used)",
                    [],
                )
                .map_err(|e| self.err(e))? as u64;
            if n == 0 {
                return Ok(added);
            }
            added += n;
        }
    }

    pub fn add_stored(&self, pack: &PackId, size: u64) -> Result<(), PruneError> {
        let mut st = self
            .conn
            .prepare_cached("INSERT OR REPLACE INTO stored VALUES (?1, ?2)")
            .map_err(|e| self.err(e))?;
        st.execute(params![&pack.0[..], size as i64])
            .map_err(|e| self.err(e))?;
        Ok(())
    }

    /// Adds an index file's entries; a pack listed by several files counts once.
    pub fn add_index(&self, index: &IndexFile) -> Result<(), PruneError> {
        let mut st = self
            .conn
            .prepare_cached(&format!(
                "INSERT OR IGNORE INTO loc ({BLOB_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"
            ))
            .map_err(|e| self.err(e))?;
        insert_index(&mut st, index).map_err(|e| self.err(e))?;
        let mut st = self
            .conn
            .prepare_cached("INSERT OR IGNORE INTO hosted VALUES (?1)")
            .map_err(|e| self.err(e))?;
        for p in index.packs.iter().filter(|p| p.writer.is_some()) {
            st.execute(params![&p.id.0[..]]).map_err(|e| self.err(e))?;
        }
        Ok(())
    }

    /// Whether some index places the blob in a pack that storage holds.
    pub fn is_located(&self, id: &BlobId) -> Result<bool, PruneError> {
        let mut st = self
            .conn
            .prepare_cached(
                "SELECT 1 FROM loc l JOIN stored s ON s.pack = l.pack WHERE l.id = ?1 LIMIT 1",
            )
            .map_err(|e| self.err(e))?;
        st.exists(params![&id.0[..]]).map_err(|e| self.err(e))
    }

    /// Picks the one copy of each referenced blob that prune keeps: a full copy before a
    /// delta (a full copy may be some delta's base, which must not be a delta), then one
    /// outside a write-only host's packs (which only that host deduplicates against),
    /// then the first by pack id among stored packs, so that every other copy counts as
    /// unused and reruns agree.
    /// Returns how many referenced blobs have no stored copy, and the first few of them.
    pub fn choose_copies(&self, show: usize) -> Result<(u64, Vec<BlobId>), PruneError> {
        // One merge of two sequential scans, the used blobs and the indexed copies, both
        // in blob id order, with the stored and the write-only hosts' packs (a few per
        // GB) in memory; the choice is made here and the rows written in id order
        // (appended, not placed). Joining the tables in SQL looked every used blob up
        // in `loc` and every copy's pack up in `stored`: 3.3 s at a million blobs (a
        // subquery per blob sorting its copies took 6 s before that). In one
        // transaction: committing each row walks the whole page cache.
        let stored: std::collections::HashSet<_> = self.ids("SELECT pack FROM stored", [])?;
        let hosted: std::collections::HashSet<_> = self.ids("SELECT pack FROM hosted", [])?;
        self.batch(|s| {
            let mut used_st = s.conn.prepare(CHOOSE_USED_SQL).map_err(|e| s.err(e))?;
            let mut copies_st = s.conn.prepare(&choose_copies_sql()).map_err(|e| s.err(e))?;
            let mut write = s
                .conn
                .prepare("INSERT INTO keep VALUES (?1, ?2)")
                .map_err(|e| s.err(e))?;
            let mut used = used_st.query([]).map_err(|e| s.err(e))?;
            let mut copies = copies_st.query([]).map_err(|e| s.err(e))?;
            let mut next_copy = || -> Result<Option<([u8; 32], Choice)>, PruneError> {
                let Some(r) = copies.next().map_err(|e| s.err(e))? else {
                    return Ok(None);
                };
                let read = || -> rusqlite::Result<_> {
                    let pack = id32(r, 1)?;
                    Ok((
                        id32(r, 0)?,
                        (r.get::<_, bool>(2)?, hosted.contains(&pack), pack),
                    ))
                };
                read().map(Some).map_err(|e| s.err(e))
            };
            // The first copy not yet matched with a used blob.
            let mut copy = next_copy()?;
            let (mut missing, mut shown) = (0u64, Vec::new());
            while let Some(r) = used.next().map_err(|e| s.err(e))? {
                let id = id32(r, 0).map_err(|e| s.err(e))?;
                let mut best: Option<Choice> = None;
                while let Some((cid, choice)) = copy.filter(|(cid, _)| *cid <= id) {
                    if cid == id && stored.contains(&choice.2) && best.is_none_or(|b| choice < b) {
                        best = Some(choice);
                    }
                    copy = next_copy()?;
                }
                if best.is_none() {
                    missing += 1;
                    if shown.len() < show {
                        shown.push(BlobId(id));
                    }
                }
                write
                    .execute(params![&id[..], best.as_ref().map(|b| &b.2[..])])
                    .map_err(|e| s.err(e))?;
            }
            // For `usage`, which reads the rows in pack order: its lookups in `keep`
            // then go through this index in order too (by blob id they were random:
            // +1.7 s at a million blobs, more than building it).
            s.conn
                .execute_batch("CREATE INDEX keep_pack ON keep (pack)")
                .map_err(|e| s.err(e))?;
            Ok((missing, shown))
        })
    }

    /// Indexes the loaded rows by pack, once every index file is in. Built at once
    /// from sorted rows instead of kept up to date row by row (a second b-tree in
    /// random order while loading), and covering every column (the key's are in any
    /// index), so that neither `usage`'s scan in pack order nor the new index's reading
    /// of each kept pack (`all_in`) leaves it for the row: looking up each row of the
    /// 55,000 packs relisted at a million blobs took 2.4 s.
    pub fn loaded(&self) -> Result<(), PruneError> {
        self.conn
            .execute_batch(
                "CREATE INDEX loc_pack ON loc (pack, offset, length, raw_length, compression, type, base)",
            )
            .map_err(|e| self.err(e))
    }

    /// The ids in the first column of what a query returns.
    pub(super) fn ids<C: FromIterator<[u8; 32]>>(
        &self,
        sql: &str,
        params: impl rusqlite::Params,
    ) -> Result<C, PruneError> {
        let mut st = self.conn.prepare_cached(sql).map_err(|e| self.err(e))?;
        let rows = st
            .query_map(params, |r| id32(r, 0))
            .map_err(|e| self.err(e))?;
        rows.collect::<Result<_, _>>().map_err(|e| self.err(e))
    }

    /// Packs some index lists that storage does not hold.
    pub fn packs_missing_from_storage(&self) -> Result<u64, PruneError> {
        self.conn
            .query_row(
                "SELECT COUNT(DISTINCT pack) FROM loc WHERE pack NOT IN (SELECT pack FROM stored)",
                [],
                |r| r.get::<_, i64>(0),
            )
            .map(|n| n as u64)
            .map_err(|e| self.err(e))
    }

    /// Per stored pack: its size, its indexed blobs and how much of it the kept copies use.
    /// The members of a zstd frame share its bytes (one offset and length): a frame
    /// counts once, and its kept members use its bytes in proportion to their raw
    /// lengths (all of them when every member is kept). Counting a frame as used in
    /// whole while any member was kept left 2 MiB frames of a dump stored for good once
    /// one unchanged chunk pinned them: prune never saw their dead members. Bytes are
    /// grouped by offset and length, so a pack whose every entry is kept shows nothing
    /// unused, whatever an index claims.
    ///
    /// One pass over the index rows in pack order, each pack summed here: SQL that
    /// grouped the frames of every pack at once sorted all rows (+3 s and +50 MiB at a
    /// million blobs), and per-pack subqueries grouping them were slower still.
    pub fn usage(&self) -> Result<Vec<PackUsage>, PruneError> {
        let mut out = Vec::new();
        let mut at = std::collections::HashMap::new();
        {
            let mut st = self
                .conn
                .prepare("SELECT pack, size FROM stored")
                .map_err(|e| self.err(e))?;
            let rows = st
                .query_map([], |r| {
                    Ok((PackId(id32(r, 0)?), r.get::<_, i64>(1)? as u64))
                })
                .map_err(|e| self.err(e))?;
            for row in rows {
                let (id, size) = row.map_err(|e| self.err(e))?;
                at.insert(id, out.len());
                out.push(PackUsage::unindexed(id, size));
            }
        }
        let mut st = self
            .conn
            .prepare(&format!(
                "SELECT l.pack, l.offset, l.length, l.raw_length, l.compression = {},
                    k.id IS NOT NULL
                 FROM loc l LEFT JOIN keep k ON k.id = l.id AND k.pack = l.pack
                 ORDER BY l.pack",
                Compression::ZstdFrame.code()
            ))
            .map_err(|e| self.err(e))?;
        let mut rows = st.query([]).map_err(|e| self.err(e))?;
        // The pack of the rows being read, and its place in `out` with its spans so far
        // (none for a pack that storage does not hold): looked up once per pack, not
        // once per row.
        let mut current: Option<[u8; 32]> = None;
        let mut pack: Option<(usize, PackSpans)> = None;
        while let Some(r) = rows.next().map_err(|e| self.err(e))? {
            let read = || -> rusqlite::Result<_> {
                let id = r.get_ref(0)?.as_blob()?;
                let same = current.as_ref().is_some_and(|c| c[..] == *id);
                Ok((
                    (!same).then(|| id32(r, 0)).transpose()?,
                    Span {
                        offset: r.get::<_, i64>(1)? as u64,
                        length: r.get::<_, i64>(2)? as u64,
                    },
                    r.get::<_, i64>(3)? as u64,
                    r.get::<_, bool>(4)?,
                    r.get::<_, bool>(5)?,
                ))
            };
            let (new_pack, span, raw, framed, kept) = read().map_err(|e| self.err(e))?;
            if let Some(id) = new_pack {
                if let Some((j, spans)) = pack.take() {
                    spans.sum_into(&mut out[j]);
                }
                pack = at.get(&PackId(id)).map(|&i| (i, PackSpans::default()));
                current = Some(id);
            }
            if let Some((_, spans)) = pack.as_mut() {
                spans.add(span, raw, framed, kept);
            }
        }
        if let Some((j, spans)) = pack {
            spans.sum_into(&mut out[j]);
        }
        Ok(out)
    }

    /// The kept copies that live in `pack`, in pack order.
    pub fn kept_in(&self, pack: &PackId) -> Result<Vec<PackEntry>, PruneError> {
        self.entries(
            "SELECT l.id, l.pack, l.type, l.offset, l.length, l.raw_length, l.compression, l.base
             FROM keep k JOIN loc l ON l.id = k.id AND l.pack = k.pack
             WHERE k.pack = ?1 ORDER BY l.offset",
            pack,
        )
    }

    /// The kept packs (`keep_packs`, others are rewritten) holding the chosen copy of a
    /// blob that also has a copy in a pack this prune removes, with those chosen
    /// entries: removing the other copy is safe only if this one really exists, which
    /// prune checks by reading these packs' headers before deleting anything.
    /// Read from the doomed packs' rows outwards (`CROSS JOIN` fixes SQLite's join
    /// order): starting from every kept blob made it grow with the repository.
    pub fn survivors(
        &self,
        doomed: &[PackId],
    ) -> Result<Vec<(PackId, Vec<PackEntry>)>, PruneError> {
        self.batch(|s| {
            s.conn
                .execute_batch("CREATE TEMP TABLE IF NOT EXISTS doomed (pack BLOB PRIMARY KEY) WITHOUT ROWID; DELETE FROM doomed;")
                .map_err(|e| s.err(e))?;
            let mut st = s
                .conn
                .prepare_cached("INSERT OR IGNORE INTO doomed VALUES (?1)")
                .map_err(|e| s.err(e))?;
            for p in doomed {
                st.execute(params![&p.0[..]]).map_err(|e| s.err(e))?;
            }
            Ok(())
        })?;
        let mut st = self
            .conn
            .prepare(
                "SELECT DISTINCT c.id, c.pack, c.type, c.offset, c.length, c.raw_length, c.compression, c.base
                 FROM doomed d
                 CROSS JOIN loc o ON o.pack = d.pack
                 CROSS JOIN keep k ON k.id = o.id AND k.pack != o.pack
                 CROSS JOIN loc c ON c.id = k.id AND c.pack = k.pack
                 WHERE k.pack NOT IN (SELECT pack FROM doomed)
                 ORDER BY c.pack",
            )
            .map_err(|e| self.err(e))?;
        let rows = st
            .query_map([], blob_row)
            .map_err(|e| self.err(e))?
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| self.err(e))?;
        let mut out: Vec<(PackId, Vec<PackEntry>)> = Vec::new();
        for (pack, entry) in rows {
            match out.last_mut() {
                Some((p, v)) if *p == pack => v.push(entry),
                _ => out.push((pack, vec![entry])),
            }
        }
        Ok(out)
    }

    /// Every indexed blob of `pack`, used or not: a kept pack stays indexed whole, so
    /// later backups can still deduplicate against its unused blobs.
    pub fn all_in(&self, pack: &PackId) -> Result<Vec<PackEntry>, PruneError> {
        self.entries(
            &format!("SELECT {BLOB_COLUMNS} FROM loc WHERE pack = ?1 ORDER BY offset"),
            pack,
        )
    }

    fn entries(&self, sql: &str, pack: &PackId) -> Result<Vec<PackEntry>, PruneError> {
        let mut st = self.conn.prepare_cached(sql).map_err(|e| self.err(e))?;
        let rows = st
            .query_map(params![&pack.0[..]], |r| Ok(blob_row(r)?.1))
            .map_err(|e| self.err(e))?;
        rows.collect::<Result<_, _>>().map_err(|e| self.err(e))
    }

    /// How many blobs were recorded as referenced.
    pub fn used_count(&self) -> Result<u64, PruneError> {
        self.conn
            .query_row("SELECT COUNT(*) FROM used", [], |r| r.get::<_, i64>(0))
            .optional()
            .map(|n| n.unwrap_or(0) as u64)
            .map_err(|e| self.err(e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copies_are_chosen_from_two_scans_in_key_order() {
        let s = Scratch::create().unwrap();
        s.loaded().unwrap();
        for (sql, table) in [
            (CHOOSE_USED_SQL.to_string(), "used"),
            (choose_copies_sql(), "loc"),
        ] {
            let mut st = s
                .conn
                .prepare(&format!("EXPLAIN QUERY PLAN {sql}"))
                .unwrap();
            let steps: Vec<String> = st
                .query_map([], |r| r.get::<_, String>(3))
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap();
            // A scan of the table itself (its key order), nothing sorted or searched.
            assert_eq!(steps, vec![format!("SCAN {table}")], "{sql}");
        }
    }
    use crate::repo::index::IndexPack;
    use crate::repo::pack::BlobType;

    fn entry(n: u8, offset: u64, length: u32, raw_length: u32, c: Compression) -> PackEntry {
        PackEntry {
            id: BlobId([n; 32]),
            kind: BlobType::Data,
            offset,
            length,
            raw_length,
            compression: c,
            base: None,
        }
    }

    /// Pack 1: a frame of four members (raw 100, 100, 100, 300; 601 bytes stored, so
    /// that the shares do not divide evenly) and one blob compressed alone (50 bytes).
    fn scratch(kept: &[u8]) -> (PackUsage, Scratch) {
        let s = Scratch::create().unwrap();
        let pack = PackId([1; 32]);
        let frame = |n, raw| entry(n, 0, 601, raw, Compression::ZstdFrame);
        let blobs = vec![
            frame(10, 100),
            frame(11, 100),
            frame(12, 100),
            frame(13, 300),
            entry(20, 601, 50, 80, Compression::Zstd),
        ];
        let index = IndexFile {
            packs: vec![IndexPack {
                id: pack,
                size: 701,
                blobs,
                writer: None,
            }],
        };
        s.add_stored(&pack, 701).unwrap();
        s.add_index(&index).unwrap();
        s.loaded().unwrap();
        for n in kept {
            s.mark_used(&BlobId([*n; 32])).unwrap();
        }
        s.choose_copies(0).unwrap();
        let mut usage = s.usage().unwrap();
        assert_eq!(usage.len(), 1);
        (usage.remove(0), s)
    }

    #[test]
    fn the_kept_copy_is_full_outside_hosts_then_lowest_pack_among_stored_ones() {
        let s = Scratch::create().unwrap();
        let pack = |n: u8, blobs: Vec<PackEntry>, host: bool| IndexPack {
            id: PackId([n; 32]),
            size: 100,
            blobs,
            writer: host.then(|| "host".to_string()),
        };
        let full = |n| entry(n, 0, 10, 10, Compression::Zstd);
        let delta = |n| entry(n, 0, 10, 10, Compression::Delta);
        // Blob 1: a delta in pack 2, full in host pack 3, full in pack 9, full in pack 5
        // which storage does not hold: pack 9. Blob 4: only in host pack 3 and as a
        // delta in pack 2: host pack 3. Blob 6: in pack 5 only: missing. Blob 7: in
        // pack 2 and unused: no row. Blob 8: used, in no index: missing.
        let index = IndexFile {
            packs: vec![
                pack(2, vec![delta(1), delta(4), full(7)], false),
                pack(3, vec![full(1), full(4)], true),
                pack(5, vec![full(1), full(6)], false),
                pack(9, vec![full(1)], false),
            ],
        };
        for n in [2, 3, 9] {
            s.add_stored(&PackId([n; 32]), 100).unwrap();
        }
        s.add_index(&index).unwrap();
        s.loaded().unwrap();
        for n in [1, 4, 6, 8] {
            s.mark_used(&BlobId([n; 32])).unwrap();
        }
        let (missing, shown) = s.choose_copies(5).unwrap();
        assert_eq!(missing, 2);
        assert_eq!(shown, vec![BlobId([6; 32]), BlobId([8; 32])]);
        let kept: Vec<(u8, Option<u8>)> = s
            .conn
            .prepare("SELECT id, pack FROM keep ORDER BY id")
            .unwrap()
            .query_map([], |r| {
                let pack: Option<Vec<u8>> = r.get(1)?;
                Ok((r.get::<_, Vec<u8>>(0)?[0], pack.map(|p| p[0])))
            })
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(kept, vec![(1, Some(9)), (4, Some(3)), (6, None), (8, None)]);
    }

    #[test]
    fn kept_frame_members_use_their_share_of_the_frame() {
        let (u, _s) = scratch(&[10, 20]);
        assert_eq!((u.blobs, u.used_blobs), (5, 2));
        // A sixth of the frame (100 of 600 raw bytes) and the lone blob.
        assert_eq!((u.used_bytes, u.unused_bytes), (100 + 50, 501));
        let (u, _s) = scratch(&[13]);
        assert_eq!((u.used_bytes, u.unused_bytes), (300, 351));
    }

    #[test]
    fn a_fully_kept_frame_leaves_nothing_unused() {
        // Shares that do not divide evenly still add up to the whole frame.
        let (u, _s) = scratch(&[10, 11, 12, 13, 20]);
        assert_eq!((u.used_bytes, u.unused_bytes), (651, 0));
        let (u, _s) = scratch(&[]);
        assert_eq!((u.used_blobs, u.used_bytes, u.unused_bytes), (0, 0, 651));
    }
}
