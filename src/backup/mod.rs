//! A backup run: read the sources, store what is new, write the snapshot.

mod ahead;
pub mod delta;
mod dumpfile;
pub mod files;
pub mod parts;
pub mod runlog;
mod stream;

use std::io::Read;
use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::time::Instant;

use chrono::{DateTime, Utc};

use crate::db::{DumpRecord, DumpSource};
use crate::ids::SnapshotId;
use crate::repo::lock::LockKind;
use crate::repo::snapshot::{Snapshot, SnapshotStats, SourceKind};
use crate::repo::uploader::Uploader;
use crate::repo::{Repository, Result};
use crate::source::exclude::Excludes;
use crate::ui::Progress;

pub enum Source {
    Paths(Vec<PathBuf>),
    /// Paths (maybe none) and database dumps, each source in a top-level directory of
    /// its own (`parts`).
    Parts {
        paths: Vec<PathBuf>,
        dumps: Vec<Box<dyn DumpSource>>,
    },
    Stream {
        name: String,
        reader: Box<dyn Read + Send>,
        kind: SourceKind,
        /// Save a 0-byte stream instead of failing (see `stream::save`).
        allow_empty: bool,
    },
}

pub struct BackupOptions {
    pub source: Source,
    pub excludes: Excludes,
    pub tags: Vec<String>,
    pub host: String,
    pub profile: Option<String>,
    pub time: Option<DateTime<Utc>>,
    /// Wait this long for an exclusive lock (a prune) to go away instead of failing.
    pub wait_lock: Option<std::time::Duration>,
    /// Store no delta blobs (and read nothing back from the repository for them).
    pub no_delta: bool,
    /// Store the run's log so far (`crate::ui::log`) as `/.cairn/run.log` (`runlog`).
    pub run_log: bool,
}

pub struct BackupOutcome {
    pub id: SnapshotId,
    pub snapshot: Snapshot,
}

pub fn run(repo: &Repository, mut opts: BackupOptions) -> Result<BackupOutcome> {
    let started = Instant::now();
    // The paths are walked as ever; the dumps join the root tree they make.
    let dumps = match &mut opts.source {
        Source::Parts { paths, dumps } => {
            let dumps = std::mem::take(dumps);
            opts.source = Source::Paths(std::mem::take(paths));
            dumps
        }
        _ => Vec::new(),
    };
    if let Source::Paths(paths) = &opts.source {
        parts::check_layout(paths, &dumps)?;
        if opts.run_log {
            runlog::check_layout(paths)?;
        }
    }
    repo.require_backup_key(&opts.host)?;
    let lock = match opts.wait_lock {
        Some(wait) => repo.lock_wait(LockKind::Shared, "backup", wait)?,
        None => repo.lock(LockKind::Shared, "backup")?,
    };
    repo.sync_packs()?;
    let time = opts.time.unwrap_or_else(Utc::now);
    // The group's latest snapshot, whose files' chunks are the bases of delta blobs.
    let shown = match &opts.source {
        Source::Paths(paths) => paths
            .iter()
            .map(|p| p.display().to_string())
            .chain(dumps.iter().flat_map(|d| d.shown()))
            .collect(),
        Source::Stream { name, .. } => vec![name.clone()],
        Source::Parts { .. } => unreachable!("made Paths above"),
    };
    let parent = latest_of_group(repo, &opts.host, &opts.profile, &shown)?;
    let parent_tree = delta::ParentTree::new(
        parent
            .as_ref()
            .filter(|_| repo.config().deltas() && !opts.no_delta)
            .map(|p| p.snap.tree),
    );
    let read_before = repo.bytes_read();
    let mut up = Uploader::new(repo, &lock);
    let mut stats = SnapshotStats::default();
    let mut databases: Vec<DumpRecord> = Vec::new();
    let (tree, paths, source, walked) = match opts.source {
        Source::Parts { .. } => unreachable!("made Paths above"),
        Source::Paths(paths) => {
            let total = paths.iter().map(|p| estimate(p)).sum::<u64>();
            // Dumps have their own bars; no paths, no bar of files.
            let progress = Progress::new((!paths.is_empty()).then_some(total), "backup");
            let archiver = files::Archiver {
                repo,
                up: &up,
                chunker: repo.config().chunker(repo.chunk_sizes(false)),
                dump_chunker: repo.config().stream_chunker(),
                excludes: &opts.excludes,
                counters: Default::default(),
                progress: &progress,
                seen: Default::default(),
                parent: &parent_tree,
            };
            let mut root = archiver.root_nodes(&paths)?;
            progress.finish();
            let mut shown: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
            let kind = if paths.is_empty() && !dumps.is_empty() {
                SourceKind::Database
            } else {
                SourceKind::Files
            };
            if !dumps.is_empty() {
                shown.extend(dumps.iter().flat_map(|d| d.shown()));
                let (nodes, records) = parts::save_dumps(&archiver, dumps, time, &mut stats)?;
                root.extend(nodes);
                databases = records;
            }
            for p in opts.excludes.unmatched() {
                crate::ui::warn(&format!("exclude pattern {p:?} matched nothing"));
            }
            if opts.run_log {
                root.push(runlog::node(&up, &archiver.dump_chunker, time)?);
            }
            let tree = archiver.store_nodes(root)?;
            let c = &archiver.counters;
            stats.files_new += c.files_new.load(Ordering::Relaxed);
            stats.files_changed = c.files_changed.load(Ordering::Relaxed);
            stats.files_unchanged = c.files_unchanged.load(Ordering::Relaxed);
            stats.dirs = c.dirs.load(Ordering::Relaxed);
            stats.total_bytes += c.total_bytes.load(Ordering::Relaxed);
            stats.bytes_read += c.bytes_read.load(Ordering::Relaxed);
            stats.errors = c.errors.load(Ordering::Relaxed);
            archiver.flush_seen();
            (tree, shown, kind, true)
        }
        Source::Stream {
            name,
            reader,
            kind,
            allow_empty,
        } => {
            let progress = Progress::new(None, &name);
            let chunker = repo.config().stream_chunker();
            let parent = parent_tree.content(repo, &[name.as_bytes()]);
            let log = || match opts.run_log {
                true => runlog::node(&up, &chunker, time).map(Some),
                false => Ok(None),
            };
            let (tree, size) = stream::save(
                &up,
                &chunker,
                reader,
                (&name, parent.as_ref()),
                allow_empty,
                time,
                &progress,
                &log,
            )?;
            progress.finish();
            stats.files_new = 1;
            stats.total_bytes = size;
            stats.bytes_read = size;
            stats.dirs = 1;
            (tree, vec![name], kind, false)
        }
    };
    // The same group as the one looked up for delta bases, unless a source named
    // itself otherwise meanwhile.
    let parent = match paths == shown {
        true => parent.map(|p| p.id),
        false => latest_of_group(repo, &opts.host, &opts.profile, &paths)?.map(|p| p.id),
    };
    stats.blobs_added = up.stats.blobs_added.load(Ordering::Relaxed);
    stats.bytes_added = up.stats.bytes_added.load(Ordering::Relaxed);
    stats.delta_candidates = up.stats.delta_candidates.load(Ordering::Relaxed);
    stats.deltas_added = up.stats.deltas_added.load(Ordering::Relaxed);
    stats.delta_bytes_stored = up.stats.delta_stored_bytes.load(Ordering::Relaxed);
    stats.bytes_read_back = repo.bytes_read() - read_before;
    // The parent's packs read for bases are not needed any more.
    repo.forget_cached_packs();
    let chunk_sizes = repo.chunk_sizes(source != SourceKind::Files);
    let mut snapshot = Snapshot {
        version: 1,
        time,
        host: opts.host,
        profile: opts.profile,
        source,
        paths,
        tags: opts.tags,
        tree,
        parent,
        chunk_sizes,
        stats,
        tool: format!("cairn {}", env!("CARGO_PKG_VERSION")),
        databases,
        repaired: None,
        copied_from: None,
    };
    // The stored byte count is known only once the last packs are uploaded, which is
    // after the snapshot must be final; so it is finished in two steps.
    let stats_handle = up.stats.clone();
    // A source cut short by the signal (a producer killed by the same Ctrl-C ends the
    // stream early) must never become a snapshot.
    crate::interrupt::check()?;
    up.flush()?;
    snapshot.stats.bytes_stored = stats_handle.bytes_stored.load(Ordering::Relaxed);
    snapshot.stats.duration_secs = started.elapsed().as_secs_f64();
    let id = up.finish(Some(&snapshot))?.expect("a snapshot was given");
    if walked {
        // After an initial backup most of the cache is new rows, in pages a third empty.
        if let Err(e) = repo.cache().compact() {
            crate::ui::warn(&format!("cache not compacted: {e}"));
        }
    }
    Ok(BackupOutcome { id, snapshot })
}

/// The snapshots to make of paths and databases: one for all, or (per database) one for
/// the paths alone, if any, and one for each database with its server's globals.
pub fn plan_parts(
    paths: Vec<PathBuf>,
    specs: &[crate::db::plan::DbSpec],
    per_database: bool,
) -> std::io::Result<Vec<Source>> {
    let groups = crate::db::plan::sources(specs, per_database)?;
    if !per_database {
        let dumps = groups.into_iter().flatten().collect();
        return Ok(vec![Source::Parts { paths, dumps }]);
    }
    let mut out = Vec::new();
    if !paths.is_empty() {
        out.push(Source::Paths(paths));
    }
    out.extend(groups.into_iter().map(|dumps| Source::Parts {
        paths: Vec::new(),
        dumps,
    }));
    Ok(out)
}

/// Makes source paths absolute and clean, checks they exist, and drops any path inside
/// another one (it is already covered), so snapshots of the same sources group together.
pub fn prepare_paths(paths: &[PathBuf]) -> std::io::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for p in paths {
        let abs = std::path::absolute(p)?;
        std::fs::symlink_metadata(&abs).map_err(|e| {
            std::io::Error::new(e.kind(), format!("backup source {}: {e}", abs.display()))
        })?;
        out.push(normalize(&abs));
    }
    out.sort();
    out.dedup();
    let mut kept: Vec<PathBuf> = Vec::new();
    for p in out {
        if !kept.iter().any(|k| p.starts_with(k)) {
            kept.push(p);
        }
    }
    Ok(kept)
}

/// Drops `.` and resolves `..` lexically, so the snapshot records clean paths.
fn normalize(p: &std::path::Path) -> PathBuf {
    let mut out = PathBuf::from("/");
    for c in p.components() {
        match c {
            std::path::Component::ParentDir => {
                out.pop();
            }
            std::path::Component::Normal(n) => out.push(n),
            _ => {}
        }
    }
    out
}

/// Bytes below a path, for the progress bar only (cheap: metadata, no reads). Listed
/// through `Dir` as the backup lists them, leaving access times alone.
fn estimate(p: &std::path::Path) -> u64 {
    use crate::source::dir::Dir;
    use rustix::fs::FileType;
    fn walk(dir: &Dir, depth: usize) -> u64 {
        let Ok(names) = dir.names() else {
            return 0;
        };
        let mut total = 0;
        for (name, _) in names {
            match dir.stat(&name) {
                Ok(st) if st.kind == FileType::RegularFile => total += st.size,
                Ok(st) if st.kind == FileType::Directory && depth < 64 => {
                    if let Ok(sub) = dir.sub(&name) {
                        total += walk(&sub, depth + 1);
                    }
                }
                _ => {}
            }
        }
        total
    }
    if !crate::ui::progress_shown() {
        return 0;
    }
    match std::fs::symlink_metadata(p) {
        Ok(meta) if meta.is_file() => meta.len(),
        Ok(meta) if meta.is_dir() => Dir::open(p).map_or(0, |d| walk(&d, 0)),
        _ => 0,
    }
}

fn latest_of_group(
    repo: &Repository,
    host: &str,
    profile: &Option<String>,
    paths: &[String],
) -> Result<Option<crate::repo::snapshot::StoredSnapshot>> {
    // A write-only host cannot read the manifests (its own neither): no parent, and
    // so no delta blobs.
    if repo.host_key().is_some() {
        return Ok(None);
    }
    let snaps = repo.snapshots()?;
    Ok(snaps
        .into_iter()
        .rev()
        .find(|s| s.snap.host == host && &s.snap.profile == profile && s.snap.paths == paths))
}
