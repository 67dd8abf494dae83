//! A snapshot of several sources: backed-up paths and database dumps side by side, each
//! database source in a top-level directory of its own (`postgresql/app.pgdump`), all
//! under one root tree.
//!
//! Dumps are streams, chunked like `--stdin-from` output with the dump chunk sizes. The
//! first dump that fails ends the run before a snapshot is written.

use std::io;
use std::path::{Component, PathBuf};

use chrono::{DateTime, Utc};

use super::files::Archiver;
use super::stream;
use crate::db::{DumpRecord, DumpSource};
use crate::repo::snapshot::SnapshotStats;
use crate::repo::tree::{Node, NodeKind};
use crate::repo::{RepoError, Result};
use crate::ui::Progress;

/// Refuses two sources in one directory, and a backed-up path whose first component is
/// a source's directory: both would put two things at one name in the root.
pub fn check_layout(paths: &[PathBuf], dumps: &[Box<dyn DumpSource>]) -> Result<()> {
    let mut dirs: Vec<&str> = Vec::new();
    for d in dumps {
        if dirs.contains(&d.dir()) {
            return Err(RepoError::Invalid(format!(
                "two database sources would both be stored in {:?}; give each its own \
                 directory (a profile's [[database]] name = \"…\")",
                d.dir()
            )));
        }
        dirs.push(d.dir());
    }
    for p in paths {
        if let Some(Component::Normal(first)) = p.components().nth(1) {
            if let Some(dir) = dirs
                .iter()
                .find(|d| first.as_encoded_bytes() == d.as_bytes())
            {
                return Err(RepoError::Invalid(format!(
                    "backup path {} would be stored where the database dumps go (/{dir}); \
                     name the database source otherwise ([[database]] name = \"…\")",
                    p.display()
                )));
            }
        }
    }
    Ok(())
}

/// Runs every dump source into a directory node each; returns the nodes and what the
/// manifest records of the dumps.
pub fn save_dumps(
    archiver: &Archiver,
    dumps: Vec<Box<dyn DumpSource>>,
    time: DateTime<Utc>,
    stats: &mut SnapshotStats,
) -> Result<(Vec<Node>, Vec<DumpRecord>)> {
    // Row cuts and the stream chunk sizes, as for `--stdin-from`: a native dump and a
    // piped one of the same database deduplicate against each other.
    let chunker = archiver.repo.config().stream_chunker();
    let mut nodes = Vec::new();
    let mut records = Vec::new();
    for mut source in dumps {
        let dir = source.dir().to_string();
        let mut files = Vec::new();
        let done = {
            let mut sink = |name: &str, reader: Box<dyn io::Read + Send>| -> io::Result<u64> {
                let shown = format!("{dir}/{name}");
                let progress = Progress::new(None, &shown);
                let parent = archiver
                    .parent
                    .content(archiver.repo, &[dir.as_bytes(), name.as_bytes()]);
                let node = stream::save_node(
                    archiver.up,
                    &chunker,
                    reader,
                    (name, parent.as_ref()),
                    "",
                    false,
                    time,
                    &progress,
                )
                .map_err(io::Error::other)?;
                progress.finish();
                let size = node.size;
                files.push(node);
                Ok(size)
            };
            source.dump_all(&mut sink)
        }
        .map_err(from_io)?;
        for r in &done {
            stats.files_new += 1;
            stats.total_bytes += r.bytes;
            stats.bytes_read += r.bytes;
        }
        records.extend(done);
        let mut node = directory(&dir, time);
        node.subtree = Some(archiver.store_nodes(files)?);
        nodes.push(node);
    }
    Ok((nodes, records))
}

/// A repository error passed through a dump source comes back as itself; any other
/// failure (the dump tool's) says what it is in its own words.
fn from_io(e: io::Error) -> RepoError {
    let text = e.to_string();
    match e.into_inner().map(|inner| inner.downcast::<RepoError>()) {
        Some(Ok(repo)) => *repo,
        _ => RepoError::Invalid(text),
    }
}

/// A directory of cairn's own in the snapshot's root, readable by its owner only.
pub(super) fn directory(name: &str, time: DateTime<Utc>) -> Node {
    stream::owned_node(name, NodeKind::Dir, 0o700, time)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::DumpSink;

    struct Named(&'static str);

    impl DumpSource for Named {
        fn dir(&self) -> &str {
            self.0
        }
        fn server(&self) -> &crate::db::url::DbUrl {
            unreachable!("the layout check asks only for the directory")
        }
        fn databases(&self) -> &[String] {
            &[]
        }
        fn dump_all(&mut self, _: &mut DumpSink<'_>) -> io::Result<Vec<DumpRecord>> {
            Ok(Vec::new())
        }
    }

    fn sources(dirs: &[&'static str]) -> Vec<Box<dyn DumpSource>> {
        dirs.iter()
            .map(|d| Box::new(Named(d)) as Box<dyn DumpSource>)
            .collect()
    }

    #[test]
    fn paths_and_sources_need_their_own_top_level_names() {
        let paths = [
            PathBuf::from("/etc/app"),
            PathBuf::from("/srv/postgresql-old"),
        ];
        check_layout(&paths, &sources(&["postgresql", "mysql"])).unwrap();
        let e = check_layout(&paths, &sources(&["postgresql", "postgresql"]))
            .unwrap_err()
            .to_string();
        assert!(e.contains("both be stored in \"postgresql\""), "{e}");
        let e = check_layout(&[PathBuf::from("/etc")], &sources(&["etc"]))
            .unwrap_err()
            .to_string();
        assert!(e.contains("backup path /etc would be stored where"), "{e}");
    }
}
