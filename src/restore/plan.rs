//! Which nodes of a snapshot to restore, and where they go below the target.

use std::collections::HashMap;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use crate::ids::BlobId;
use crate::pattern::{PatternSet, PatternSpec};
use crate::repo::tree::{Node, NodeKind};
use crate::repo::{RepoError, Repository, Result};

/// What to restore: everything, or what `--include` patterns match (a directory with
/// everything below it), minus what `--exclude` patterns match; rules in
/// [`crate::pattern`].
pub struct Selector {
    includes: PatternSet,
    excludes: PatternSet,
}

impl Selector {
    pub fn new(
        includes: &[PatternSpec],
        excludes: &[PatternSpec],
    ) -> std::result::Result<Selector, String> {
        Ok(Selector {
            includes: PatternSet::new(includes, "include pattern")?,
            excludes: PatternSet::new(excludes, "exclude pattern")?,
        })
    }

    /// Whether `path` (absolute in the snapshot) is restored, given whether its parent
    /// was selected.
    pub(super) fn selects(&self, path: &Path, parent_selected: bool) -> bool {
        if self.includes.is_empty() {
            return true;
        }
        // Without `!` patterns a selected parent settles it, but the patterns are still
        // told, so that one matching only inside another's match is not reported unused.
        if parent_selected && !self.includes.has_negations() {
            self.includes.note(path);
            return true;
        }
        self.includes.matches(path)
    }

    pub(super) fn excludes(&self, path: &Path) -> bool {
        self.excludes.matches(path)
    }

    /// Whether something below `path`, a directory not selected itself, may be.
    pub(super) fn may_select_below(&self, path: &Path) -> bool {
        self.includes.may_match_below(path)
    }

    /// The patterns, with their kind, that matched nothing in the snapshot.
    pub fn unmatched(&self) -> Vec<String> {
        let inc = self
            .includes
            .unmatched()
            .into_iter()
            .map(|p| ("include", p));
        let exc = self
            .excludes
            .unmatched()
            .into_iter()
            .map(|p| ("exclude", p));
        inc.chain(exc)
            .map(|(kind, p)| format!("{kind} pattern {p:?} matched nothing"))
            .collect()
    }
}

/// Everything to restore, with paths relative to the target.
#[derive(Default)]
pub struct Plan {
    /// Parents before children (the walk's pre-order), which is the order to create
    /// them in; files refer to their directory by its place here.
    pub dirs: Vec<(PathBuf, Node)>,
    /// Per directory (as in `dirs`): selected itself, so everything the snapshot holds
    /// in it is restored, rather than only on the way to something selected.
    pub dir_selected: Vec<bool>,
    /// Whether the snapshot's root is selected itself (the target's own entries).
    pub root_selected: bool,
    /// The snapshot's root tree.
    pub root: Option<BlobId>,
    pub files: FileList,
    pub others: Vec<(PathBuf, Node)>,
    /// Files that are further names of an earlier file (by index in `files`): the
    /// same hard link group and the same content.
    pub hardlinks: HashMap<u32, u32>,
    /// The first file of each hard link group seen, while building.
    groups: HashMap<(u64, u64), u32>,
    /// What `--exclude` keeps out of the restore: `--delete` leaves it alone in the
    /// target too, so an excluded file the snapshot lacks is not taken for a stray.
    pub excludes: Option<PatternSet>,
    /// Directories (absolute in the snapshot) whose listing cannot be read: restored
    /// empty, and what was below them is unknown.
    pub lost_dirs: Vec<PathBuf>,
}

/// The files to restore, packed: a plan holds every file of the snapshot for the whole
/// restore, and as a path and a tree node each they took ~180 bytes per file; here a
/// file is a 48-byte record, its name and its blob ids, in three shared vectors.
#[derive(Default)]
pub struct FileList {
    nodes: Vec<FileNode>,
    names: Vec<u8>,
    content: Vec<BlobId>,
}

/// What restoring a file needs of its tree node.
pub struct FileNode {
    /// Index into `Plan::dirs`, or `ROOT` for a file directly below the target.
    dir: u32,
    name: (u32, u32),
    content: (u32, u32),
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
    pub mtime_ns: i64,
    pub size: u64,
}

const ROOT: u32 = u32::MAX;

impl FileNode {
    /// Index into `Plan::dirs` of the file's directory; `None` directly below the target.
    pub fn dir(&self) -> Option<usize> {
        (self.dir != ROOT).then_some(self.dir as usize)
    }

    /// How many blobs the file's content is made of.
    pub fn blobs(&self) -> u32 {
        self.content.1
    }
}

/// A position in one of the plan's vectors; they are indexed with u32 to keep files small.
fn index(n: usize) -> Result<u32> {
    u32::try_from(n).map_err(|_| {
        RepoError::Invalid(
            "snapshot too large to restore in one run (over 4 Gi names or blobs); \
             restore it in parts with --include"
                .into(),
        )
    })
}

fn span(start: usize, len: usize) -> Result<(u32, u32)> {
    // The end must fit as well: readers add the two in u32.
    index(start + len)?;
    Ok((index(start)?, index(len)?))
}

impl FileList {
    fn push(&mut self, dir: Option<usize>, name: &[u8], node: Node) -> Result<()> {
        let name_span = span(self.names.len(), name.len())?;
        let content = span(self.content.len(), node.content.len())?;
        self.names.extend_from_slice(name);
        self.content.extend_from_slice(&node.content);
        self.nodes.push(FileNode {
            dir: dir.map_or(Ok(ROOT), index)?,
            name: name_span,
            content,
            mode: node.mode,
            uid: node.uid,
            gid: node.gid,
            mtime_ns: node.mtime_ns,
            size: node.size,
        });
        Ok(())
    }

    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    pub fn iter(&self) -> std::slice::Iter<'_, FileNode> {
        self.nodes.iter()
    }

    pub fn par_iter(&self) -> rayon::slice::Iter<'_, FileNode> {
        rayon::prelude::IntoParallelRefIterator::par_iter(&self.nodes)
    }

    pub fn get(&self, i: usize) -> &FileNode {
        &self.nodes[i]
    }

    /// Blob ids of all files together.
    pub fn blob_count(&self) -> usize {
        self.content.len()
    }

    pub fn content(&self, f: &FileNode) -> &[BlobId] {
        &self.content[f.content.0 as usize..(f.content.0 + f.content.1) as usize]
    }

    fn name(&self, f: &FileNode) -> &std::ffi::OsStr {
        let bytes = &self.names[f.name.0 as usize..(f.name.0 + f.name.1) as usize];
        std::os::unix::ffi::OsStrExt::from_bytes(bytes)
    }

    fn shrink_to_fit(&mut self) {
        self.nodes.shrink_to_fit();
        self.names.shrink_to_fit();
        self.content.shrink_to_fit();
    }
}

impl Plan {
    pub fn build(repo: &Repository, root: &BlobId, sel: &Selector) -> Result<Plan> {
        let mut plan = Plan {
            root: Some(*root),
            excludes: (!sel.excludes.is_empty()).then(|| sel.excludes.clone()),
            ..Plan::default()
        };
        let root_path = Path::new("/");
        plan.root_selected = sel.selects(root_path, false);
        plan.walk(repo, root, root_path, None, sel, plan.root_selected)?;
        // Held for the whole restore: growth slack would be up to half of it.
        plan.files.shrink_to_fit();
        plan.groups = HashMap::new();
        Ok(plan)
    }

    /// A file's path below `base` (the target, or an empty path for the relative one),
    /// built in one allocation.
    pub fn file_path(&self, base: &Path, f: &FileNode) -> PathBuf {
        let mut p = match f.dir {
            ROOT => base.to_path_buf(),
            d => base.join(&self.dirs[d as usize].0),
        };
        p.push(self.files.name(f));
        p
    }

    /// Adds a file, noting it as a further name of an earlier file of its hard link
    /// group when it has the same content (a file that changed between the backup's
    /// looks at two of its names is restored as a file of its own).
    fn push_file(&mut self, dir: Option<usize>, name: &[u8], node: Node) -> Result<()> {
        let index = index(self.files.len())?;
        if let Some(link) = node.hardlink {
            let key = (link.dev, link.inode);
            match self.groups.get(&key) {
                Some(&first) => {
                    let f = self.files.get(first as usize);
                    if f.size == node.size && self.files.content(f) == node.content.as_slice() {
                        self.hardlinks.insert(index, first);
                    }
                }
                None => {
                    self.groups.insert(key, index);
                }
            }
        }
        self.files.push(dir, name, node)
    }

    fn walk(
        &mut self,
        repo: &Repository,
        tree: &BlobId,
        at: &Path,
        at_dir: Option<usize>,
        sel: &Selector,
        selected: bool,
    ) -> Result<()> {
        let tree = match repo.read_tree(tree) {
            Ok(t) => t,
            // Below the root, a lost listing takes only what was below it.
            Err(e) if e.is_damage() && at_dir.is_some() => {
                self.lost_dirs.push(at.to_path_buf());
                return Ok(());
            }
            Err(e) => return Err(e),
        };
        for node in tree.nodes {
            if !node.name_is_safe() {
                return Err(RepoError::Invalid(format!(
                    "tree {tree_at}: entry name {name:?} would escape the target; refusing",
                    tree_at = at.display(),
                    name = node.name
                )));
            }
            let name: std::ffi::OsString =
                std::os::unix::ffi::OsStringExt::from_vec(node.name_raw());
            let path = at.join(&name);
            let rel = || path.strip_prefix("/").expect("absolute").to_path_buf();
            if sel.excludes(&path) {
                continue;
            }
            let this = sel.selects(&path, selected);
            match node.kind {
                NodeKind::Dir => {
                    if !this && !sel.may_select_below(&path) {
                        continue;
                    }
                    let subtree = node.subtree;
                    let before = self.files.len() + self.others.len() + self.dirs.len();
                    let index = self.dirs.len();
                    self.dirs.push((rel(), node));
                    self.dir_selected.push(this);
                    if let Some(sub) = subtree {
                        self.walk(repo, &sub, &path, Some(index), sel, this)?;
                    }
                    // A directory on the way to nothing selected is not restored.
                    if !this && self.files.len() + self.others.len() + self.dirs.len() == before + 1
                    {
                        self.dirs.pop();
                        self.dir_selected.pop();
                    }
                }
                NodeKind::File if this => self.push_file(at_dir, name.as_bytes(), node)?,
                _ if this => self.others.push((rel(), node)),
                _ => {}
            }
        }
        Ok(())
    }
}

/// Finds the node at an absolute path inside a snapshot tree.
pub fn find_node(repo: &Repository, root: &BlobId, path: &str) -> Result<Node> {
    let mut nodes = find_path(repo, root, path.as_bytes())?;
    Ok(nodes.pop().expect("a path has a last part"))
}

/// The nodes from the root down to the one at an absolute path inside a snapshot tree
/// (raw bytes, so that a name that is not UTF-8 can be named): the directories on the
/// way, then the node itself.
pub fn find_path(repo: &Repository, root: &BlobId, path: &[u8]) -> Result<Vec<Node>> {
    let shown = || String::from_utf8_lossy(path).into_owned();
    let mut tree = repo.read_tree(root)?;
    let parts: Vec<&[u8]> = path
        .split(|&b| b == b'/')
        .filter(|p| !p.is_empty())
        .collect();
    if parts.is_empty() {
        return Err(RepoError::Invalid("no path given".into()));
    }
    let mut nodes = Vec::with_capacity(parts.len());
    for (i, part) in parts.iter().enumerate() {
        let node = tree
            .find(part)
            .cloned()
            .ok_or_else(|| RepoError::Invalid(format!("{}: not in the snapshot", shown())))?;
        let last = i + 1 == parts.len();
        match (last, node.kind, node.subtree) {
            (true, _, _) => {}
            (false, NodeKind::Dir, Some(sub)) => tree = repo.read_tree(&sub)?,
            _ => {
                return Err(RepoError::Invalid(format!(
                    "{}: not in the snapshot",
                    shown()
                )))
            }
        }
        nodes.push(node);
    }
    Ok(nodes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::repo::tree::HardLink;

    fn file(blob: u8, link: Option<HardLink>) -> Node {
        Node {
            size: 5,
            content: vec![BlobId([blob; 32])],
            hardlink: link,
            ..crate::repo::tree::test_file(b"")
        }
    }

    #[test]
    fn names_of_one_file_link_to_its_first_unless_their_content_differs() {
        let group = HardLink::of(1, 10, 3);
        let other = HardLink::of(2, 10, 2);
        let mut plan = Plan::default();
        let files = [
            file(1, group),
            file(1, other),
            file(1, group),
            file(2, group), // changed between the backup's looks at the names
            file(1, None),
            file(1, other),
        ];
        for (i, f) in files.into_iter().enumerate() {
            plan.push_file(None, format!("f{i}").as_bytes(), f).unwrap();
        }
        let mut links: Vec<_> = plan.hardlinks.into_iter().collect();
        links.sort_unstable();
        assert_eq!(links, vec![(2, 0), (5, 1)]);
    }
}
