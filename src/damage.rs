//! What lost data takes with it: the paths of a snapshot that depend on blobs with no
//! usable copy, and the directories whose listing (tree blob) cannot be read, which
//! take everything below them. `check` names these paths; `repair snapshots` writes
//! trees without them.

use std::collections::HashSet;

use crate::ids::BlobId;
use crate::repo::tree::{NodeKind, Tree};
use crate::repo::{Repository, Result};

/// One path a snapshot loses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lost {
    /// A file (or other entry) whose content names a lost blob.
    File(String),
    /// A directory whose listing is lost: what was below it is unknown.
    Dir(String),
}

impl Lost {
    /// The path as `repaired.lost` records it: directories end in `/`.
    pub fn path(&self) -> &str {
        match self {
            Lost::File(p) | Lost::Dir(p) => p,
        }
    }
}

/// Walks snapshot trees against one verdict on blobs. Trees found whole are
/// remembered, so the snapshots that share them are not walked there again.
pub struct Walker<'a> {
    repo: &'a Repository,
    lost_blob: &'a LostBlob<'a>,
    whole: HashSet<BlobId>,
}

/// Whether a blob has no usable copy.
pub type LostBlob<'a> = dyn Fn(&BlobId) -> Result<bool> + 'a;

/// Stores a tree rebuilt without lost entries and returns its id.
pub type StoreTree<'s> = dyn FnMut(Tree) -> Result<BlobId> + 's;

impl<'a> Walker<'a> {
    pub fn new(repo: &'a Repository, lost_blob: &'a LostBlob<'a>) -> Walker<'a> {
        Walker {
            repo,
            lost_blob,
            whole: HashSet::new(),
        }
    }

    /// The lost paths below `root`, and the root of the same tree without them
    /// (`None` when the root's own listing is lost). `store` receives each rebuilt
    /// tree, children before their parents; an untouched tree keeps its id.
    pub fn walk(
        &mut self,
        root: &BlobId,
        store: &mut StoreTree,
    ) -> Result<(Option<BlobId>, Vec<Lost>)> {
        let mut lost = Vec::new();
        let new_root = self.tree(root, "", &mut lost, store)?;
        Ok((new_root, lost))
    }

    /// The lost paths only.
    pub fn lost(&mut self, root: &BlobId) -> Result<Vec<Lost>> {
        let mut ignore = |_: Tree| Ok(BlobId([0; 32]));
        Ok(self.walk(root, &mut ignore)?.1)
    }

    fn tree(
        &mut self,
        id: &BlobId,
        path: &str,
        lost: &mut Vec<Lost>,
        store: &mut StoreTree,
    ) -> Result<Option<BlobId>> {
        if self.whole.contains(id) {
            return Ok(Some(*id));
        }
        // A tree in a pack known to be lost is not downloaded again.
        let tree = if (self.lost_blob)(id)? {
            None
        } else {
            match self.repo.read_tree(id) {
                Ok(t) => Some(t),
                Err(e) if e.is_damage() => None,
                Err(e) => return Err(e),
            }
        };
        let Some(tree) = tree else {
            lost.push(Lost::Dir(format!("{path}/")));
            return Ok(None);
        };
        let before = lost.len();
        let mut nodes = Vec::with_capacity(tree.nodes.len());
        for mut node in tree.nodes {
            let at = format!("{path}/{}", node.name);
            if node.kind == NodeKind::Dir {
                if let Some(sub) = node.subtree {
                    match self.tree(&sub, &at, lost, store)? {
                        Some(kept) => node.subtree = Some(kept),
                        None => continue,
                    }
                }
            } else if self.any_lost(&node.content)? {
                lost.push(Lost::File(at));
                continue;
            }
            nodes.push(node);
        }
        if lost.len() == before {
            self.whole.insert(*id);
            return Ok(Some(*id));
        }
        Ok(Some(store(Tree { nodes })?))
    }

    fn any_lost(&self, blobs: &[BlobId]) -> Result<bool> {
        for b in blobs {
            if (self.lost_blob)(b)? {
                return Ok(true);
            }
        }
        Ok(false)
    }
}
