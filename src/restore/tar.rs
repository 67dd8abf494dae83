//! A snapshot, or a part of it, as a tar stream (`cairn dump --archive tar`,
//! `cairn restore --to-tar`).
//!
//! POSIX.1-2001 (pax) format: a ustar header per entry, preceded by a pax extended
//! header when ustar cannot hold a value (a path or link target longer than its fields,
//! a file of 8 GiB or more, an id above 2097151, a time with nanoseconds or outside
//! ustar's range). Names are written as the bytes they were on disk, UTF-8 or not, as
//! GNU tar writes them. Hard links of the snapshot are link entries to the first name
//! written; FIFOs and devices are entries of their kind; sockets, which tar cannot
//! hold, are left out and counted.
//!
//! Streamed: the tree is walked one directory listing at a time and each file's blobs
//! are read through the repository's bounded cache of packs (`super::dump`), verified
//! as a restore verifies them. A blob that fails stops the stream with its error; the
//! archive then ends without its end-of-archive blocks, in the middle of the entry that
//! failed, so no reader takes it for a complete one.

use std::collections::HashMap;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::plan::{find_path, Selector};
use crate::ids::BlobId;
use crate::repo::tree::{Node, NodeKind};
use crate::repo::{RepoError, Repository, Result};

const BLOCK: usize = 512;

/// What went into an archive.
#[derive(Debug, Default, Clone, Serialize)]
pub struct TarStats {
    #[serde(flatten)]
    pub counts: super::Counts,
    /// Sockets, which a tar archive cannot hold.
    pub sockets_left_out: u64,
}

/// Which part of the snapshot goes into the archive.
pub enum Part<'a> {
    /// Everything the selector selects, as `cairn restore` with the same patterns
    /// would restore it.
    Selected(&'a Selector),
    /// The node at this absolute path, with everything below it and the directories on
    /// the way to it.
    Path(&'a [u8]),
}

/// Writes `part` of the tree `root` to `out` as a tar archive, end blocks included.
pub fn write(
    repo: &Repository,
    root: &BlobId,
    part: Part,
    out: &mut dyn Write,
) -> Result<TarStats> {
    let mut w = TarWriter {
        repo,
        out,
        pending: Vec::new(),
        links: HashMap::new(),
        stats: TarStats::default(),
    };
    match part {
        Part::Selected(sel) => w.walk(
            root,
            Path::new("/"),
            sel,
            sel.selects(Path::new("/"), false),
        )?,
        Part::Path(path) if path.iter().all(|&c| c == b'/') => {
            let everything = Selector::new(&[], &[]).map_err(RepoError::Invalid)?;
            w.walk(root, Path::new("/"), &everything, true)?
        }
        Part::Path(path) => {
            let mut nodes = find_path(repo, root, path)?;
            let node = nodes.pop().expect("a path has a last part");
            let mut at = PathBuf::from("/");
            for dir in nodes {
                at.push(name_of(&dir, &at)?);
                w.pending.push((at.clone(), dir));
            }
            at.push(name_of(&node, &at)?);
            let below = node.subtree.filter(|_| node.kind == NodeKind::Dir);
            w.entry(&at, node)?;
            if let Some(sub) = below {
                let everything = Selector::new(&[], &[]).map_err(RepoError::Invalid)?;
                w.walk(&sub, &at, &everything, true)?;
            }
        }
    }
    let TarWriter { out, stats, .. } = w;
    out.write_all(&[0u8; 2 * BLOCK]).map_err(write_err)?;
    out.flush().map_err(write_err)?;
    Ok(stats)
}

/// A tree entry's name as a path component, refused when it would escape the archive's
/// directory (as restore refuses it).
fn name_of(node: &Node, at: &Path) -> Result<std::ffi::OsString> {
    if !node.name_is_safe() {
        return Err(RepoError::Invalid(format!(
            "tree {}: entry name {:?} would escape the target; refusing",
            at.display(),
            node.name
        )));
    }
    Ok(std::os::unix::ffi::OsStringExt::from_vec(node.name_raw()))
}

fn write_err(e: io::Error) -> RepoError {
    RepoError::Invalid(format!("writing the archive: {e}"))
}

/// The first name written of a hard link group, with what it holds: a later name with
/// the same content is a link to it (the rule restore follows, `Plan::push_file`).
struct FirstName {
    path: Vec<u8>,
    size: u64,
    content: Vec<BlobId>,
}

struct TarWriter<'a> {
    repo: &'a Repository,
    out: &'a mut dyn Write,
    /// Directories entered but not written yet: written once something below them is,
    /// so a directory on the way to nothing selected stays out, as in a restore.
    pending: Vec<(PathBuf, Node)>,
    links: HashMap<(u64, u64), FirstName>,
    stats: TarStats,
}

impl TarWriter<'_> {
    /// Walks one directory listing, as `Plan::walk` does for a restore.
    fn walk(&mut self, tree: &BlobId, at: &Path, sel: &Selector, selected: bool) -> Result<()> {
        let tree = self
            .repo
            .read_tree(tree)
            .map_err(|e| RepoError::Invalid(format!("listing of {}: {e}", at.display())))?;
        for node in tree.nodes {
            let path = at.join(name_of(&node, at)?);
            if sel.excludes(&path) {
                continue;
            }
            let this = sel.selects(&path, selected);
            if node.kind != NodeKind::Dir {
                if this {
                    self.entry(&path, node)?;
                }
                continue;
            }
            if !this && !sel.may_select_below(&path) {
                continue;
            }
            let sub = node.subtree;
            let depth = self.pending.len();
            if this {
                self.entry(&path, node)?;
            } else {
                self.pending.push((path.clone(), node));
            }
            if let Some(sub) = sub {
                self.walk(&sub, &path, sel, this)?;
            }
            // Still pending: nothing below it was selected.
            self.pending.truncate(depth);
        }
        Ok(())
    }

    /// Writes the directories above `path` not written yet, then `path` itself.
    fn entry(&mut self, path: &Path, node: Node) -> Result<()> {
        for (p, dir) in std::mem::take(&mut self.pending) {
            self.one(&p, &dir)?;
        }
        self.one(path, &node)
    }

    fn one(&mut self, path: &Path, node: &Node) -> Result<()> {
        use std::os::unix::ffi::OsStrExt;
        let rel = path
            .strip_prefix("/")
            .unwrap_or(path)
            .as_os_str()
            .as_bytes();
        let mut h = Header::new(rel, node);
        match node.kind {
            NodeKind::Dir => {
                h.kind = b'5';
                h.path.push(b'/');
                self.stats.counts.dirs += 1;
            }
            NodeKind::Symlink => {
                h.kind = b'2';
                h.link = node.target_raw().unwrap_or_default();
                self.stats.counts.symlinks += 1;
            }
            NodeKind::Fifo => {
                h.kind = b'6';
                self.stats.counts.specials += 1;
            }
            NodeKind::CharDev | NodeKind::BlockDev => {
                h.kind = if node.kind == NodeKind::CharDev {
                    b'3'
                } else {
                    b'4'
                };
                h.dev = Some((
                    rustix::fs::major(node.rdev) as u64,
                    rustix::fs::minor(node.rdev) as u64,
                ));
                self.stats.counts.specials += 1;
            }
            NodeKind::Socket => {
                self.stats.sockets_left_out += 1;
                return Ok(());
            }
            NodeKind::File => return self.file(rel, h, node),
        }
        h.write(self.out).map_err(write_err)
    }

    fn file(&mut self, rel: &[u8], mut h: Header, node: &Node) -> Result<()> {
        if let Some(link) = node.hardlink {
            let key = (link.dev, link.inode);
            match self.links.get(&key) {
                Some(first) if first.size == node.size && first.content == node.content => {
                    h.kind = b'1';
                    h.link = first.path.clone();
                    self.stats.counts.hardlinks += 1;
                    return h.write(self.out).map_err(write_err);
                }
                Some(_) => {}
                None => {
                    self.links.insert(
                        key,
                        FirstName {
                            path: rel.to_vec(),
                            size: node.size,
                            content: node.content.clone(),
                        },
                    );
                }
            }
        }
        h.kind = b'0';
        h.size = node.size;
        h.write(self.out).map_err(write_err)?;
        let shown = || String::from_utf8_lossy(rel).into_owned();
        let mut body = Bounded {
            out: &mut *self.out,
            left: node.size,
        };
        let written = super::dump(self.repo, node, &mut body)
            .map_err(|e| RepoError::Invalid(format!("/{}: {e}", shown())))?;
        if written != node.size {
            return Err(RepoError::Invalid(format!(
                "/{}: snapshot says {} bytes but its blobs hold {written} (damaged tree)",
                shown(),
                node.size
            )));
        }
        let pad = padding(node.size);
        self.out
            .write_all(&[0u8; BLOCK][..pad])
            .map_err(write_err)?;
        self.stats.counts.files += 1;
        self.stats.counts.bytes += node.size;
        Ok(())
    }
}

/// Bytes after `len` bytes of content up to the next block.
fn padding(len: u64) -> usize {
    (BLOCK - (len % BLOCK as u64) as usize) % BLOCK
}

/// A file's content going into the archive: more than the header announced would
/// shift every entry after it, so it is refused (the tree is then damaged).
struct Bounded<'a> {
    out: &'a mut dyn Write,
    left: u64,
}

impl Write for Bounded<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if buf.len() as u64 > self.left {
            return Err(io::Error::other(
                "the file's blobs hold more than the snapshot says (damaged tree)",
            ));
        }
        let n = self.out.write(buf)?;
        self.left -= n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        // Flushed once at the end of the archive, not after every file.
        Ok(())
    }
}

/// One entry's header, before it is encoded.
struct Header {
    path: Vec<u8>,
    kind: u8,
    link: Vec<u8>,
    mode: u32,
    uid: u32,
    gid: u32,
    mtime_ns: i64,
    size: u64,
    dev: Option<(u64, u64)>,
}

const NAME_LEN: usize = 100;
const PREFIX_LEN: usize = 155;

impl Header {
    fn new(path: &[u8], node: &Node) -> Header {
        Header {
            path: path.to_vec(),
            kind: b'0',
            link: Vec::new(),
            mode: node.mode & 0o7777,
            uid: node.uid,
            gid: node.gid,
            mtime_ns: node.mtime_ns,
            size: 0,
            dev: None,
        }
    }

    /// The ustar header block, and the pax records for what it cannot hold.
    fn encode(&self) -> ([u8; BLOCK], Vec<u8>) {
        let mut b = [0u8; BLOCK];
        let mut pax = Vec::new();
        match split_path(&self.path) {
            Some((prefix, name)) => {
                b[..name.len()].copy_from_slice(name);
                b[345..345 + prefix.len()].copy_from_slice(prefix);
            }
            None => {
                pax_record(&mut pax, "path", &self.path);
                let short = truncated(&self.path, NAME_LEN);
                b[..short.len()].copy_from_slice(short);
            }
        }
        octal(&mut b[100..108], u64::from(self.mode));
        for (field, value, key) in [(108..116, self.uid, "uid"), (116..124, self.gid, "gid")] {
            if !octal(&mut b[field], u64::from(value)) {
                pax_record(&mut pax, key, value.to_string().as_bytes());
            }
        }
        if !octal(&mut b[124..136], self.size) {
            pax_record(&mut pax, "size", self.size.to_string().as_bytes());
        }
        let secs = self.mtime_ns.div_euclid(1_000_000_000);
        let nanos = self.mtime_ns.rem_euclid(1_000_000_000);
        let fits = u64::try_from(secs).is_ok_and(|s| octal(&mut b[136..148], s));
        if !fits || nanos != 0 {
            pax_record(&mut pax, "mtime", pax_time(self.mtime_ns).as_bytes());
        }
        b[156] = self.kind;
        if self.link.len() <= NAME_LEN {
            b[157..157 + self.link.len()].copy_from_slice(&self.link);
        } else {
            pax_record(&mut pax, "linkpath", &self.link);
            let short = truncated(&self.link, NAME_LEN);
            b[157..157 + short.len()].copy_from_slice(short);
        }
        b[257..263].copy_from_slice(b"ustar\0");
        b[263..265].copy_from_slice(b"00");
        if let Some((major, minor)) = self.dev {
            numeric(&mut b[329..337], major);
            numeric(&mut b[337..345], minor);
        }
        checksum(&mut b);
        (b, pax)
    }

    fn write(&self, out: &mut dyn Write) -> io::Result<()> {
        let (block, pax) = self.encode();
        if !pax.is_empty() {
            let mut name = b"PaxHeaders/".to_vec();
            let base = self.path.rsplit(|&c| c == b'/').find(|p| !p.is_empty());
            name.extend_from_slice(base.unwrap_or(b"entry"));
            let x = Header {
                path: truncated(&name, NAME_LEN).to_vec(),
                kind: b'x',
                link: Vec::new(),
                mode: 0o644,
                uid: 0,
                gid: 0,
                mtime_ns: self.mtime_ns.max(0) / 1_000_000_000 * 1_000_000_000,
                size: pax.len() as u64,
                dev: None,
            };
            let (xblock, _) = x.encode();
            out.write_all(&xblock)?;
            out.write_all(&pax)?;
            out.write_all(&[0u8; BLOCK][..padding(pax.len() as u64)])?;
        }
        out.write_all(&block)
    }
}

/// Splits a path into ustar's prefix and name fields, at a `/`, when it fits.
fn split_path(path: &[u8]) -> Option<(&[u8], &[u8])> {
    if path.len() <= NAME_LEN {
        return Some((&[], path));
    }
    // The name field takes what follows the last `/` that leaves it at most 100 bytes
    // (a directory's trailing `/` stays in the name).
    let limit = path.len().saturating_sub(NAME_LEN + 1);
    let cut = (limit..path.len().saturating_sub(1)).find(|&i| path[i] == b'/')?;
    let (prefix, name) = (&path[..cut], &path[cut + 1..]);
    (!prefix.is_empty() && prefix.len() <= PREFIX_LEN && !name.is_empty()).then_some((prefix, name))
}

/// At most `n` bytes of `b`, for the ustar field of a value a pax record carries whole.
fn truncated(b: &[u8], n: usize) -> &[u8] {
    &b[..b.len().min(n)]
}

/// One pax record, `LEN KEY=VALUE\n`, where LEN counts the whole record with itself.
fn pax_record(out: &mut Vec<u8>, key: &str, value: &[u8]) {
    let rest = key.len() + value.len() + 3; // ' ', '=', '\n'
    let mut len = rest + 1;
    while len != rest + len.to_string().len() {
        len = rest + len.to_string().len();
    }
    out.extend_from_slice(format!("{len} {key}=").as_bytes());
    out.extend_from_slice(value);
    out.push(b'\n');
}

/// Nanoseconds since the epoch as pax writes a time: seconds, then the fraction
/// without trailing zeros (`1700000000.5`, `-1.25`).
fn pax_time(ns: i64) -> String {
    let sign = if ns < 0 { "-" } else { "" };
    let abs = ns.unsigned_abs();
    let (secs, frac) = (abs / 1_000_000_000, abs % 1_000_000_000);
    if frac == 0 {
        return format!("{sign}{secs}");
    }
    let digits = format!("{frac:09}");
    format!("{sign}{secs}.{}", digits.trim_end_matches('0'))
}

/// Writes `v` in octal, zero-padded and NUL-terminated, filling the field; false when it
/// does not fit (the field is then left as it was).
fn octal(field: &mut [u8], v: u64) -> bool {
    let digits = field.len() - 1;
    let text = format!("{v:0digits$o}");
    if text.len() > digits {
        return false;
    }
    field[..digits].copy_from_slice(text.as_bytes());
    field[digits] = 0;
    true
}

/// Octal when it fits, else GNU tar's base-256 form (for device numbers, which pax has
/// no record for).
fn numeric(field: &mut [u8], v: u64) {
    if octal(field, v) {
        return;
    }
    let n = field.len();
    field.fill(0);
    for (i, byte) in v.to_be_bytes().iter().rev().enumerate().take(n - 1) {
        field[n - 1 - i] = *byte;
    }
    field[0] = 0x80;
}

/// The header checksum: the sum of its bytes with the checksum field taken as blanks.
fn checksum(b: &mut [u8; BLOCK]) {
    b[148..156].fill(b' ');
    let sum: u32 = b.iter().map(|&c| u32::from(c)).sum();
    let text = format!("{sum:06o}\0 ");
    b[148..156].copy_from_slice(text.as_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pax_records_count_their_own_length() {
        let mut out = Vec::new();
        pax_record(&mut out, "path", b"a");
        assert_eq!(out, b"9 path=a\n");
        let mut out = Vec::new();
        pax_record(&mut out, "path", b"abc");
        assert_eq!(out, b"12 path=abc\n");
        let mut out = Vec::new();
        // 94 bytes before the length; the length's own two digits would make 96, three 97.
        let value = vec![b'x'; 88];
        pax_record(&mut out, "path", &value);
        let len: usize =
            String::from_utf8_lossy(&out[..out.iter().position(|&c| c == b' ').unwrap()])
                .parse()
                .unwrap();
        assert_eq!(len, out.len());
    }

    #[test]
    fn long_paths_split_or_go_to_pax() {
        let dir = vec![b'd'; 120];
        let mut path = dir.clone();
        path.extend_from_slice(b"/file");
        assert_eq!(split_path(&path), Some((&dir[..], &b"file"[..])));
        assert_eq!(split_path(b"short"), Some((&b""[..], &b"short"[..])));
        // No `/` that leaves the name at most 100 bytes.
        let mut long_name = b"d/".to_vec();
        long_name.extend_from_slice(&[b'n'; 101]);
        assert_eq!(split_path(&long_name), None);
        // A prefix over 155 bytes.
        let mut deep = vec![b'p'; 160];
        deep.extend_from_slice(b"/f");
        assert_eq!(split_path(&deep), None);
    }

    #[test]
    fn times_and_numbers() {
        assert_eq!(pax_time(1_700_000_000_500_000_000), "1700000000.5");
        assert_eq!(pax_time(-1_250_000_000), "-1.25");
        assert_eq!(pax_time(3_000_000_000), "3");
        let mut f = [0u8; 8];
        assert!(octal(&mut f, 0o755));
        assert_eq!(&f, b"0000755\0");
        assert!(!octal(&mut f, 1 << 21));
        numeric(&mut f, 1 << 40);
        assert_eq!(f, [0x80, 0, 1, 0, 0, 0, 0, 0]);
    }
}
