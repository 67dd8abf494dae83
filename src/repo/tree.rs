//! Trees: one blob per directory, listing its entries sorted by name.

use serde::{Deserialize, Serialize};

use crate::ids::BlobId;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum NodeKind {
    File,
    Dir,
    Symlink,
    Fifo,
    Socket,
    CharDev,
    BlockDev,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Node {
    /// The name as UTF-8 when it is; otherwise empty, and `name_bytes` holds it.
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name_bytes: Option<String>,
    #[serde(rename = "type")]
    pub kind: NodeKind,
    /// Permission bits (and setuid/setgid/sticky).
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
    /// Modification time in nanoseconds since the epoch.
    pub mtime_ns: i64,
    #[serde(default)]
    pub size: u64,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub content: Vec<BlobId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subtree: Option<BlobId>,
    /// Symlink target, hex-encoded when not UTF-8 (see `target_bytes`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_bytes: Option<String>,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub rdev: u64,
    /// Which hard link group a file belongs to; only for files with more than one link,
    /// so the trees of files without links stay byte-identical to older ones (and
    /// deduplicate with them).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hardlink: Option<HardLink>,
}

/// A file's identity on the backed-up file system: the files of one snapshot with the
/// same `dev` and `inode` were one file with several names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct HardLink {
    pub dev: u64,
    pub inode: u64,
    /// The link count when backed up (names outside the backup count too).
    pub links: u64,
}

impl HardLink {
    /// The group of a file with `nlink` names, or `None` for a file with one.
    pub fn of(dev: u64, inode: u64, nlink: u64) -> Option<HardLink> {
        (nlink > 1).then_some(HardLink {
            dev,
            inode,
            links: nlink,
        })
    }
}

fn is_zero(v: &u64) -> bool {
    *v == 0
}

impl Node {
    /// A node named `name` with nothing in it, owned by root, time zero: callers set
    /// what they know.
    pub fn empty(name: &[u8], kind: NodeKind, mode: u32) -> Node {
        let mut n = Node {
            name: String::new(),
            name_bytes: None,
            kind,
            mode,
            uid: 0,
            gid: 0,
            mtime_ns: 0,
            size: 0,
            content: Vec::new(),
            subtree: None,
            target: None,
            target_bytes: None,
            rdev: 0,
            hardlink: None,
        };
        n.set_name(name);
        n
    }

    pub fn set_name(&mut self, raw: &[u8]) {
        match std::str::from_utf8(raw) {
            Ok(s) => {
                self.name = s.to_string();
                self.name_bytes = None;
            }
            Err(_) => {
                self.name = String::from_utf8_lossy(raw).into_owned();
                self.name_bytes = Some(hex::encode(raw));
            }
        }
    }

    /// The exact name bytes as they were on disk.
    pub fn name_raw(&self) -> Vec<u8> {
        self.name_bytes
            .as_deref()
            .and_then(|h| hex::decode(h).ok())
            .unwrap_or_else(|| self.name.as_bytes().to_vec())
    }

    pub fn set_target(&mut self, raw: &[u8]) {
        match std::str::from_utf8(raw) {
            Ok(s) => self.target = Some(s.to_string()),
            Err(_) => {
                self.target = Some(String::from_utf8_lossy(raw).into_owned());
                self.target_bytes = Some(hex::encode(raw));
            }
        }
    }

    pub fn target_raw(&self) -> Option<Vec<u8>> {
        match (&self.target_bytes, &self.target) {
            (Some(h), _) => hex::decode(h).ok(),
            (None, Some(t)) => Some(t.as_bytes().to_vec()),
            _ => None,
        }
    }

    /// A name that restore can join to a directory without escaping it.
    pub fn name_is_safe(&self) -> bool {
        let raw = self.name_raw();
        !(raw.is_empty() || raw == b"." || raw == b".." || raw.contains(&b'/') || raw.contains(&0))
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tree {
    pub nodes: Vec<Node>,
}

impl Tree {
    pub fn to_bytes(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("trees always serialise")
    }

    pub fn find(&self, name: &[u8]) -> Option<&Node> {
        self.nodes.iter().find(|n| n.name_raw() == name)
    }
}

/// An empty regular file node named `name`, for unit tests to adjust.
#[cfg(test)]
pub fn test_file(name: &[u8]) -> Node {
    Node::empty(name, NodeKind::File, 0o644)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(name: &[u8]) -> Node {
        test_file(name)
    }

    #[test]
    fn non_utf8_names_round_trip() {
        let n = node(b"caf\xe9");
        let t = Tree { nodes: vec![n] };
        let back: Tree = serde_json::from_slice(&t.to_bytes()).unwrap();
        assert_eq!(back.nodes[0].name_raw(), b"caf\xe9");
        assert!(back.find(b"caf\xe9").is_some());
    }

    #[test]
    fn a_file_without_links_serialises_as_before() {
        let plain = node(b"a");
        let json = String::from_utf8(
            Tree {
                nodes: vec![plain.clone()],
            }
            .to_bytes(),
        )
        .unwrap();
        assert!(!json.contains("hardlink"), "{json}");
        let mut linked = plain;
        linked.hardlink = HardLink::of(7, 42, 2);
        let back: Tree = serde_json::from_slice(
            &Tree {
                nodes: vec![linked.clone()],
            }
            .to_bytes(),
        )
        .unwrap();
        assert_eq!(back.nodes[0], linked);
        // Readers ignore fields they do not know, so later versions can add more.
        let newer = json.replace("\"name\":\"a\"", "\"name\":\"a\",\"x_future\":{\"k\":[1]}");
        let read: Tree = serde_json::from_str(&newer).unwrap();
        assert_eq!(read.nodes[0].name, "a");
    }

    #[test]
    fn unsafe_names_are_recognised() {
        for bad in [&b".."[..], b".", b"a/b", b""] {
            assert!(!node(bad).name_is_safe(), "{bad:?}");
        }
        assert!(node("été 😀".as_bytes()).name_is_safe());
    }
}
