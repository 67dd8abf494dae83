//! What is already in the target where the snapshot's entries go, and what to do with
//! each (`--overwrite`, `--delete`), decided before anything is written: a dry run
//! reports it, and the writer only sees what it must write.
//!
//! A conflict of types is decided like any other difference, whichever way round it
//! is (a file where a directory goes, a directory where a file goes, a link anywhere).
//! Nothing below a directory the restore creates is looked at: it is empty.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use rustix::fs::{FileType, Stat};

use super::beneath::Target;
use super::files::io_err;
use super::plan::Plan;
use super::Options;
use crate::ids::BlobId;
use crate::repo::tree::{Node, NodeKind};
use crate::repo::{Repository, Result};

/// `--overwrite`: what to do with an entry already in the target (restic's names).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Overwrite {
    /// Replace it
    #[default]
    Always,
    /// Replace it unless it has the snapshot's type, size and mtime
    IfChanged,
    /// Replace it only if the snapshot's is newer (by mtime)
    IfNewer,
    /// Leave it as it is
    Never,
}

/// What happens to one entry of the plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Act {
    /// Nothing is there: create it.
    Create,
    /// Something else is there and is replaced; `dir` when it is a directory, which
    /// goes with everything in it.
    Replace { dir: bool },
    /// A directory is there already: directories are merged, not replaced.
    Merge,
    /// What is there has the snapshot's type, size and mtime: left as it is.
    Unchanged,
    /// What is there differs and is left as it is (`--overwrite`), or its directory was.
    Keep,
}

impl Act {
    pub fn writes(self) -> bool {
        matches!(self, Act::Create | Act::Replace { .. })
    }
}

/// The decisions for a whole plan, by the plan's indices.
pub(super) struct Survey {
    pub dirs: Vec<Act>,
    pub files: Vec<Act>,
    pub others: Vec<Act>,
    /// Files made as another name of an earlier one: (file, first of its group).
    pub links: Vec<(u32, u32)>,
    linked: HashSet<u32>,
    /// Entries of the target the snapshot does not have (`--delete`).
    pub delete: Vec<PathBuf>,
}

/// Where an entry's directory stands.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Under {
    /// Created by this restore: nothing is in it.
    Fresh,
    Existing,
    /// Left as something else: nothing can go below it.
    Kept,
}

impl Under {
    fn of(dir: Option<Act>, root_fresh: bool) -> Under {
        match dir {
            None if root_fresh => Under::Fresh,
            None => Under::Existing,
            Some(Act::Create | Act::Replace { .. }) => Under::Fresh,
            Some(Act::Keep) => Under::Kept,
            Some(_) => Under::Existing,
        }
    }
}

/// What the snapshot has at a path, as far as comparing it takes.
struct Want {
    kind: NodeKind,
    size: u64,
    mtime_ns: i64,
    rdev: u64,
    link: Option<Vec<u8>>,
}

impl Want {
    fn of(node: &Node) -> Want {
        Want {
            kind: node.kind,
            size: node.size,
            mtime_ns: node.mtime_ns,
            rdev: node.rdev,
            link: node.target_raw(),
        }
    }
}

fn file_type(kind: NodeKind) -> FileType {
    match kind {
        NodeKind::File => FileType::RegularFile,
        NodeKind::Dir => FileType::Directory,
        NodeKind::Symlink => FileType::Symlink,
        NodeKind::Fifo => FileType::Fifo,
        NodeKind::Socket => FileType::Socket,
        NodeKind::CharDev => FileType::CharacterDevice,
        NodeKind::BlockDev => FileType::BlockDevice,
    }
}

fn mtime_ns(st: &Stat) -> i64 {
    st.st_mtime * 1_000_000_000 + st.st_mtime_nsec as i64
}

/// The target, when there is one to look at (a dry run into a missing one has none).
struct Look<'a> {
    target: Option<&'a Target>,
    mode: Overwrite,
}

impl Look<'_> {
    fn act(&self, under: Under, rel: &Path, want: &Want) -> Result<Act> {
        let target = match (under, self.target) {
            (Under::Fresh, _) | (_, None) => return Ok(Act::Create),
            (Under::Kept, _) => return Ok(Act::Keep),
            (Under::Existing, Some(t)) => t,
        };
        let fail = |e| io_err(&target.show(rel), e);
        let Some(st) = target.entry(rel).map_err(fail)? else {
            return Ok(Act::Create);
        };
        let kind = FileType::from_raw_mode(st.st_mode);
        if kind == FileType::Directory && want.kind == NodeKind::Dir {
            return Ok(Act::Merge);
        }
        let same = kind == file_type(want.kind)
            && mtime_ns(&st) == want.mtime_ns
            && match want.kind {
                NodeKind::File => st.st_size as u64 == want.size,
                NodeKind::CharDev | NodeKind::BlockDev => st.st_rdev == want.rdev,
                NodeKind::Symlink => Some(target.link_target(rel).map_err(fail)?) == want.link,
                _ => true,
            };
        let replace = Act::Replace {
            dir: kind == FileType::Directory,
        };
        Ok(match self.mode {
            Overwrite::Always => replace,
            _ if same => Act::Unchanged,
            Overwrite::IfChanged => replace,
            Overwrite::IfNewer if want.mtime_ns > mtime_ns(&st) => replace,
            Overwrite::IfNewer | Overwrite::Never => Act::Keep,
        })
    }

    /// Whether two paths are one file already.
    fn same_file(&self, a: &Path, b: &Path) -> Result<bool> {
        let Some(t) = self.target else {
            return Ok(false);
        };
        let id = |rel: &Path| {
            t.entry(rel)
                .map(|st| st.map(|st| (st.st_dev, st.st_ino)))
                .map_err(|e| io_err(&t.show(rel), e))
        };
        let first = id(a)?;
        Ok(first.is_some() && first == id(b)?)
    }
}

impl Survey {
    /// `root`: whether device nodes can be made.
    pub fn of(
        repo: &Repository,
        target: Option<&Target>,
        plan: &Plan,
        opts: &Options,
        root: bool,
    ) -> Result<Survey> {
        let look = Look {
            target,
            mode: opts.overwrite,
        };
        let root_fresh = match target {
            None => true,
            Some(t) => t
                .is_empty()
                .map_err(|e| io_err(&t.show(Path::new("")), e))?,
        };
        // Parents come before their children in the plan.
        let index: HashMap<&Path, usize> = plan
            .dirs
            .iter()
            .enumerate()
            .map(|(i, (p, _))| (p.as_path(), i))
            .collect();
        let mut dirs: Vec<Act> = Vec::with_capacity(plan.dirs.len());
        let under = |dirs: &[Act], rel: &Path| {
            let parent = rel.parent().and_then(|p| index.get(p)).map(|&i| dirs[i]);
            Under::of(parent, root_fresh)
        };
        for (rel, node) in &plan.dirs {
            let act = look.act(under(&dirs, rel), rel, &Want::of(node))?;
            dirs.push(act);
        }
        let mut files: Vec<Act> = plan
            .files
            .par_iter()
            .map(|f| {
                let under = Under::of(f.dir().map(|d| dirs[d]), root_fresh);
                let want = Want {
                    kind: NodeKind::File,
                    size: f.size,
                    mtime_ns: f.mtime_ns,
                    rdev: 0,
                    link: None,
                };
                look.act(under, &plan.file_path(Path::new(""), f), &want)
            })
            .collect::<Result<_>>()?;
        let others = plan
            .others
            .iter()
            .map(|(rel, node)| match node.kind {
                // Never made, so nothing in the target makes way for them.
                NodeKind::Socket => Ok(Act::Keep),
                NodeKind::CharDev | NodeKind::BlockDev if !root => Ok(Act::Keep),
                _ => look.act(under(&dirs, rel), rel, &Want::of(node)),
            })
            .collect::<Result<_>>()?;
        let links = link_files(&look, plan, &mut files)?;
        let mut survey = Survey {
            linked: links.iter().map(|&(f, _)| f).collect(),
            links,
            dirs,
            files,
            others,
            delete: Vec::new(),
        };
        if opts.delete {
            if let Some(t) = target {
                let whole = |rel: &Path| {
                    let at = Path::new("/").join(rel);
                    !opts
                        .backed_up
                        .iter()
                        .any(|p| p.starts_with(&at) && *p != at)
                };
                survey.delete = strays(repo, t, plan, &survey.dirs, root_fresh, whole)?;
            }
        }
        Ok(survey)
    }

    /// Whether file `i` is written from the snapshot's blobs (not linked to another).
    pub fn writes_file(&self, i: usize) -> bool {
        self.files[i].writes() && !self.linked.contains(&(i as u32))
    }
}

/// Which further names of a hard link group are made as links to its first file: those
/// to be written, when the first holds the snapshot's content afterwards. A name already
/// linked to an unchanged first is unchanged; `if-changed` relinks one that is a copy.
/// The others are restored as files of their own.
fn link_files(look: &Look, plan: &Plan, files: &mut [Act]) -> Result<Vec<(u32, u32)>> {
    let mut pairs: Vec<(u32, u32)> = plan.hardlinks.iter().map(|(&f, &l)| (f, l)).collect();
    pairs.sort_unstable();
    let path = |i: u32| plan.file_path(Path::new(""), plan.files.get(i as usize));
    let mut links = Vec::new();
    for (f, first) in pairs {
        let (lead, own) = (files[first as usize], files[f as usize]);
        if !matches!(lead, Act::Create | Act::Replace { .. } | Act::Unchanged) {
            continue;
        }
        let act = match own {
            Act::Create | Act::Replace { .. } => own,
            Act::Unchanged
                if lead == Act::Unchanged && look.same_file(&path(f), &path(first))? =>
            {
                continue
            }
            Act::Unchanged if look.mode == Overwrite::IfChanged => Act::Replace { dir: false },
            _ => continue,
        };
        files[f as usize] = act;
        links.push((f, first));
    }
    Ok(links)
}

/// Entries of the target that the snapshot does not have, in the directories restored
/// whole that were there before: selected themselves (not only on the way to something
/// selected), and backed up whole (not only on the way to a backed-up path, as
/// `is_whole` says). What the snapshot has but the restore left out stays.
fn strays(
    repo: &Repository,
    target: &Target,
    plan: &Plan,
    dirs: &[Act],
    root_fresh: bool,
    is_whole: impl Fn(&Path) -> bool,
) -> Result<Vec<PathBuf>> {
    let mut whole: Vec<(&Path, Option<BlobId>)> = Vec::new();
    if plan.root_selected && !root_fresh {
        whole.push((Path::new(""), plan.root));
    }
    for (i, (rel, node)) in plan.dirs.iter().enumerate() {
        if plan.dir_selected[i] && dirs[i] == Act::Merge {
            whole.push((rel, node.subtree));
        }
    }
    let mut out = Vec::new();
    for (rel, tree) in whole.into_iter().filter(|(rel, _)| is_whole(rel)) {
        // A directory not descended into (--one-file-system) says nothing of its content.
        let Some(tree) = tree else { continue };
        let known: HashSet<Vec<u8>> = repo
            .read_tree(&tree)?
            .nodes
            .iter()
            .map(Node::name_raw)
            .collect();
        let names = target
            .names(rel)
            .map_err(|e| io_err(&target.show(rel), e))?;
        for name in names {
            use std::os::unix::ffi::OsStrExt;
            let spared = || {
                plan.excludes
                    .as_ref()
                    .is_some_and(|x| x.matches(&Path::new("/").join(rel).join(&name)))
            };
            if !known.contains(name.as_bytes()) && !spared() {
                out.push(rel.join(name));
            }
        }
    }
    out.sort();
    Ok(out)
}
