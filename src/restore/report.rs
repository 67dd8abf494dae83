//! What a restore did (or, in a dry run, would do): counts for the summary line and
//! `--json`, and with `--verbose` each path it replaced or deleted.

use std::path::{Path, PathBuf};

use super::plan::Plan;
use super::survey::{Act, Survey};
use crate::repo::tree::NodeKind;

/// What was restored, or written into an archive.
#[derive(Debug, Default, Clone, serde::Serialize)]
pub struct Counts {
    /// Files written from the snapshot's content.
    pub files: u64,
    pub dirs: u64,
    pub symlinks: u64,
    /// Further names of files, made as hard links to them.
    pub hardlinks: u64,
    /// FIFOs and device nodes.
    pub specials: u64,
    /// Content bytes of the files.
    pub bytes: u64,
}

impl Counts {
    /// For a summary line: files, dirs and symlinks always, hard links and special
    /// files when there are any, then the bytes.
    pub fn summary(&self) -> String {
        let count = crate::ui::count;
        let mut line = format!(
            "{}, {}, {}",
            count(self.files, "file"),
            count(self.dirs, "dir"),
            count(self.symlinks, "symlink")
        );
        for (n, what) in [
            (self.hardlinks, "hard link"),
            (self.specials, "special file"),
        ] {
            if n > 0 {
                line.push_str(&format!(", {}", count(n, what)));
            }
        }
        line.push_str(&format!(", {}", crate::ui::bytes(self.bytes)));
        line
    }
}

#[derive(Debug, Default, serde::Serialize)]
pub struct RestoreStats {
    #[serde(flatten)]
    pub counts: Counts,
    /// Entries of the target replaced by the snapshot's.
    pub replaced: u64,
    /// Entries of the target already like the snapshot's (type, size, mtime), left.
    pub unchanged: u64,
    /// Entries of the target unlike the snapshot's, left as `--overwrite` says (with
    /// what would have gone below them).
    pub skipped: u64,
    /// Entries removed from the target because the snapshot does not have them.
    pub deleted: u64,
    /// Sockets, and device nodes when not running as root.
    pub skipped_special: u64,
    /// Device nodes not made because only root can.
    pub skipped_devices: u64,
    /// Files and directories restored without their setuid/setgid bits.
    pub setid_stripped: u64,
    /// Files not restored because their data is lost or damaged (paths in the
    /// snapshot); a file begun before its damage showed is removed again.
    pub lost_files: Vec<String>,
    /// Directories whose listing is lost (paths in the snapshot): restored empty.
    pub lost_dirs: Vec<String>,
    /// Replaced and deleted paths (in the target), when asked for.
    #[serde(skip)]
    pub changes: Vec<(Change, PathBuf)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    Replaced,
    Deleted,
}

impl RestoreStats {
    /// The counts of a survey; `paths` keeps each replaced and deleted path.
    pub(super) fn of(plan: &Plan, survey: &Survey, target: &Path, root: bool, paths: bool) -> Self {
        let mut s = RestoreStats::default();
        let note = |s: &mut RestoreStats, act: Act, rel: &Path| match act {
            Act::Replace { .. } => {
                s.replaced += 1;
                if paths {
                    s.changes.push((Change::Replaced, target.join(rel)));
                }
            }
            Act::Unchanged => s.unchanged += 1,
            Act::Keep => s.skipped += 1,
            Act::Create | Act::Merge => {}
        };
        for ((rel, _), &act) in plan.dirs.iter().zip(&survey.dirs) {
            note(&mut s, act, rel);
            s.counts.dirs += u64::from(act != Act::Keep);
        }
        for (i, f) in plan.files.iter().enumerate() {
            let act = survey.files[i];
            if act.writes() && survey.writes_file(i) {
                s.counts.files += 1;
                s.counts.bytes += f.size;
            } else if act.writes() {
                s.counts.hardlinks += 1;
            }
            if act != Act::Create {
                note(&mut s, act, &plan.file_path(Path::new(""), f));
            }
        }
        for ((rel, node), &act) in plan.others.iter().zip(&survey.others) {
            let restorable = match node.kind {
                NodeKind::Socket => {
                    crate::ui::warn(&format!(
                        "skipped socket {}: sockets cannot be restored",
                        Path::new("/").join(rel).display()
                    ));
                    false
                }
                NodeKind::CharDev | NodeKind::BlockDev if !root => {
                    s.skipped_devices += 1;
                    false
                }
                _ => true,
            };
            if !restorable {
                s.skipped_special += 1;
                continue;
            }
            note(&mut s, act, rel);
            if act.writes() {
                match node.kind {
                    NodeKind::Symlink => s.counts.symlinks += 1,
                    _ => s.counts.specials += 1,
                }
            }
        }
        s.deleted = survey.delete.len() as u64;
        if paths {
            let deleted = survey
                .delete
                .iter()
                .map(|rel| (Change::Deleted, target.join(rel)));
            s.changes.extend(deleted);
        }
        s
    }
}
