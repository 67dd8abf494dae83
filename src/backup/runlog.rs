//! `store_log = true`: the run's own log stored in its snapshot, as `/.cairn/run.log`,
//! so that a restored backup says how it was made (the `before` hook's output, the
//! warnings about files that could not be read, what the dump tools said).
//!
//! The log is what `crate::ui::log` kept of the run up to the moment the snapshot's
//! tree is written: the lines after it (the snapshot's own summary, retention, check,
//! the `after` hook) cannot be in the snapshot they describe.

use std::io::Cursor;
use std::path::{Component, PathBuf};

use chrono::{DateTime, Utc};

use super::stream;
use crate::chunker::Chunker;
use crate::repo::pack::BlobType;
use crate::repo::tree::{Node, Tree};
use crate::repo::uploader::Uploader;
use crate::repo::{RepoError, Result};
use crate::ui::Progress;

/// The top-level directory of the log, a name no database source can take (they may
/// not start with a dot) and backed-up paths may not use while `store_log` is on.
pub const DIR: &str = ".cairn";
pub const FILE: &str = "run.log";

/// Refuses a backed-up path that would be stored where the log goes.
pub fn check_layout(paths: &[PathBuf]) -> Result<()> {
    for p in paths {
        if let Some(Component::Normal(first)) = p.components().nth(1) {
            if first == DIR {
                return Err(RepoError::Invalid(format!(
                    "backup path {} would be stored where store_log keeps the run's log \
                     (/{DIR}/{FILE}); back it up in a profile without store_log",
                    p.display()
                )));
            }
        }
    }
    Ok(())
}

/// The `/.cairn` directory node holding the log kept so far (empty when none is kept).
pub fn node(up: &Uploader, chunker: &Chunker, time: DateTime<Utc>) -> Result<Node> {
    let text = crate::ui::log::kept().unwrap_or_default();
    let file = stream::save_node(
        up,
        chunker,
        Box::new(Cursor::new(text)),
        (FILE, None),
        "the run's log: ",
        true,
        time,
        &Progress::disabled(),
    )?;
    let tree = Tree { nodes: vec![file] };
    let mut dir = super::parts::directory(DIR, time);
    dir.subtree = Some(up.add(BlobType::Tree, &tree.to_bytes())?);
    Ok(dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_path_below_the_logs_directory_collides() {
        let ok: Vec<PathBuf> = ["/srv/.cairn", "/.cairnx", "/home"]
            .iter()
            .map(PathBuf::from)
            .collect();
        check_layout(&ok).unwrap();
        for bad in ["/.cairn", "/.cairn/other"] {
            let e = check_layout(&[PathBuf::from(bad)]).unwrap_err().to_string();
            assert!(
                e.contains(&format!("backup path {bad} would be stored")),
                "{e}"
            );
        }
    }
}
