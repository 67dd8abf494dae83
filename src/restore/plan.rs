//! Which nodes of a snapshot to restore, and where they go below the target.

use std::path::{Path, PathBuf};

use crate::ids::BlobId;
use crate::repo::tree::{Node, NodeKind};
use crate::repo::{RepoError, Repository, Result};

/// `--include` patterns: a plain path selects itself and everything below it; a
/// pattern with glob characters selects what it matches (and what is below that).
pub struct Selector {
    plain: Vec<PathBuf>,
    globs: globset::GlobSet,
    any: bool,
}

impl Selector {
    pub fn new(includes: &[String]) -> std::result::Result<Selector, String> {
        let mut plain = Vec::new();
        let mut globs = globset::GlobSetBuilder::new();
        for inc in includes {
            let inc = inc.trim_end_matches('/');
            let abs = if inc.starts_with('/') {
                inc.to_string()
            } else {
                format!("/{inc}")
            };
            if abs.contains(['*', '?', '[']) {
                globs.add(
                    globset::GlobBuilder::new(&abs)
                        .literal_separator(true)
                        .build()
                        .map_err(|e| format!("include pattern {inc:?}: {e}"))?,
                );
            } else {
                plain.push(PathBuf::from(abs));
            }
        }
        Ok(Selector {
            plain,
            globs: globs.build().map_err(|e| e.to_string())?,
            any: includes.is_empty(),
        })
    }

    /// Whether `path` (absolute in the snapshot) is selected, given its parent was not.
    fn selects(&self, path: &Path) -> bool {
        self.any || self.plain.iter().any(|p| path == p) || self.globs.is_match(path)
    }

    /// Whether something below `path` may be selected.
    fn may_select_below(&self, path: &Path) -> bool {
        self.any || !self.globs.is_empty() || self.plain.iter().any(|p| p.starts_with(path))
    }
}

/// Everything to restore, with paths relative to the target.
#[derive(Default)]
pub struct Plan {
    pub dirs: Vec<(PathBuf, Node)>,
    pub files: Vec<(PathBuf, FileNode)>,
    pub others: Vec<(PathBuf, Node)>,
}

/// What restoring a file needs of its tree node. A plan holds every file of the
/// snapshot for the whole restore; the full node is ~4× larger (name, link target,
/// subtree and device fields a file does not use).
pub struct FileNode {
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
    pub mtime_ns: i64,
    pub size: u64,
    pub content: Box<[BlobId]>,
}

impl From<Node> for FileNode {
    fn from(n: Node) -> FileNode {
        FileNode {
            mode: n.mode,
            uid: n.uid,
            gid: n.gid,
            mtime_ns: n.mtime_ns,
            size: n.size,
            content: n.content.into_boxed_slice(),
        }
    }
}

impl Plan {
    pub fn build(repo: &Repository, root: &BlobId, sel: &Selector) -> Result<Plan> {
        let mut plan = Plan::default();
        plan.walk(repo, root, Path::new("/"), sel, false)?;
        // Parents before children, so directories can be created in order.
        plan.dirs.sort_by(|a, b| a.0.cmp(&b.0));
        // Held for the whole restore: a tree of 70k files leaves ~10 MB of growth slack.
        plan.files.shrink_to_fit();
        Ok(plan)
    }

    fn walk(
        &mut self,
        repo: &Repository,
        tree: &BlobId,
        at: &Path,
        sel: &Selector,
        selected: bool,
    ) -> Result<()> {
        let tree = repo.read_tree(tree)?;
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
            let rel = path.strip_prefix("/").expect("absolute").to_path_buf();
            let this = selected || sel.selects(&path);
            match node.kind {
                NodeKind::Dir => {
                    if !this && !sel.may_select_below(&path) {
                        continue;
                    }
                    let subtree = node.subtree;
                    let before = self.files.len() + self.others.len() + self.dirs.len();
                    self.dirs.push((rel, node));
                    if let Some(sub) = subtree {
                        self.walk(repo, &sub, &path, sel, this)?;
                    }
                    // A directory on the way to nothing selected is not restored.
                    if !this && self.files.len() + self.others.len() + self.dirs.len() == before + 1
                    {
                        self.dirs.pop();
                    }
                }
                NodeKind::File if this => self.files.push((rel, node.into())),
                _ if this => self.others.push((rel, node)),
                _ => {}
            }
        }
        Ok(())
    }
}

/// Finds the node at an absolute path inside a snapshot tree.
pub fn find_node(repo: &Repository, root: &BlobId, path: &str) -> Result<Node> {
    let mut tree = repo.read_tree(root)?;
    let parts: Vec<&str> = path.split('/').filter(|p| !p.is_empty()).collect();
    if parts.is_empty() {
        return Err(RepoError::Invalid("no path given".into()));
    }
    for (i, part) in parts.iter().enumerate() {
        let node = tree
            .find(part.as_bytes())
            .cloned()
            .ok_or_else(|| RepoError::Invalid(format!("{path}: not in the snapshot")))?;
        if i + 1 == parts.len() {
            return Ok(node);
        }
        match (node.kind, node.subtree) {
            (NodeKind::Dir, Some(sub)) => tree = repo.read_tree(&sub)?,
            _ => return Err(RepoError::Invalid(format!("{path}: not in the snapshot"))),
        }
    }
    unreachable!("loop returns on the last part")
}
