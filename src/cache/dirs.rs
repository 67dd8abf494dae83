//! The files cache's row format: one row per directory, its files packed into one value.
//!
//! A row per file repeated the directory's full path in every key and cost a query (and
//! two fcntl locks) per file; 300 000 small files made a 55 MB table. Per directory, the
//! names are stored once and relative, and the numbers as deltas from the previous
//! file's (files written together have neighbouring inodes and times), and each blob
//! by the first half of its id (`IdPrefix`).
//!
//! Half an id is enough to find the whole one in the blob index (`Cache::resolve`),
//! which is where a backup must look anyway, to know that the blob is still stored:
//! the index is the authority on ids, the files cache only a hint where to look. Ids
//! are keyed hashes, unknown to anyone without the repository's key, so two blobs
//! sharing 128 bits is chance alone (2^-64 at 2^32 blobs), and even then a prefix
//! that finds two blobs finds none: the file is read again.

use crate::ids::BlobId;

use super::FileFacts;

/// The first half of a blob id.
pub type IdPrefix = [u8; 16];

pub fn prefix(id: &BlobId) -> IdPrefix {
    id.0[..16].try_into().unwrap()
}

/// One file of a directory row: its name, what it looked like, its blobs.
pub type DirFile = (Vec<u8>, FileFacts, Vec<IdPrefix>);

/// What the files cache holds for one directory, sorted by name.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct DirFiles {
    files: Vec<DirFile>,
}

impl DirFiles {
    /// `files` in any order; a name given twice keeps its last entry.
    pub fn new(mut files: Vec<DirFile>) -> DirFiles {
        files.reverse();
        files.sort_by(|a, b| a.0.cmp(&b.0));
        files.dedup_by(|a, b| a.0 == b.0);
        DirFiles { files }
    }

    pub fn get(&self, name: &[u8]) -> Option<(&FileFacts, &[IdPrefix])> {
        self.files
            .binary_search_by(|f| f.0.as_slice().cmp(name))
            .ok()
            .map(|i| (&self.files[i].1, self.files[i].2.as_slice()))
    }

    pub fn len(&self) -> usize {
        self.files.len()
    }

    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    /// The row's value: per file, the length of the name it shares with the previous
    /// one, the rest of the name, size, mtime (delta), ctime − mtime, inode (delta), the
    /// number of blobs and their prefixes; every number a LEB128 varint, signed ones zigzag.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.files.len() * 48);
        let (mut name, mut mtime, mut inode): (&[u8], i64, u64) = (&[], 0, 0);
        for (n, f, blobs) in &self.files {
            let shared = n.iter().zip(name).take_while(|(a, b)| a == b).count();
            put(&mut out, shared as u64);
            put(&mut out, (n.len() - shared) as u64);
            out.extend_from_slice(&n[shared..]);
            put(&mut out, f.size);
            put(&mut out, zigzag(f.mtime_ns.wrapping_sub(mtime)));
            put(&mut out, zigzag(f.ctime_ns.wrapping_sub(f.mtime_ns)));
            put(&mut out, zigzag(f.inode.wrapping_sub(inode) as i64));
            put(&mut out, blobs.len() as u64);
            for b in blobs {
                out.extend_from_slice(b);
            }
            (name, mtime, inode) = (n, f.mtime_ns, f.inode);
        }
        out
    }

    /// The inverse of `encode`; `None` for bytes it did not write (a damaged cache is
    /// only a slower backup).
    pub fn decode(mut raw: &[u8]) -> Option<DirFiles> {
        let mut files: Vec<DirFile> = Vec::new();
        let (mut mtime, mut inode) = (0i64, 0u64);
        while !raw.is_empty() {
            let shared = get(&mut raw)? as usize;
            let rest = get(&mut raw)? as usize;
            let prev = files.last().map_or(&[][..], |f| f.0.as_slice());
            if shared > prev.len() || rest > raw.len() {
                return None;
            }
            let mut name = prev[..shared].to_vec();
            name.extend_from_slice(&raw[..rest]);
            raw = &raw[rest..];
            let size = get(&mut raw)?;
            mtime = mtime.wrapping_add(unzigzag(get(&mut raw)?));
            let ctime = mtime.wrapping_add(unzigzag(get(&mut raw)?));
            inode = inode.wrapping_add(unzigzag(get(&mut raw)?) as u64);
            let n = get(&mut raw)? as usize;
            if n > raw.len() / 16 {
                return None;
            }
            let blobs = raw[..n * 16]
                .chunks_exact(16)
                .map(|c| c.try_into().unwrap())
                .collect();
            raw = &raw[n * 16..];
            let facts = FileFacts {
                size,
                mtime_ns: mtime,
                ctime_ns: ctime,
                inode,
            };
            files.push((name, facts, blobs));
        }
        // Written sorted; anything else was not written by `encode`.
        files
            .windows(2)
            .all(|w| w[0].0 < w[1].0)
            .then_some(DirFiles { files })
    }
}

fn zigzag(v: i64) -> u64 {
    ((v << 1) ^ (v >> 63)) as u64
}

fn unzigzag(v: u64) -> i64 {
    ((v >> 1) as i64) ^ -((v & 1) as i64)
}

fn put(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push(v as u8 | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn get(raw: &mut &[u8]) -> Option<u64> {
    let mut v = 0u64;
    for (i, b) in raw.iter().enumerate().take(10) {
        v |= u64::from(b & 0x7f) << (7 * i);
        if b & 0x80 == 0 {
            *raw = &raw[i + 1..];
            return Some(v);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(name: &str, inode: u64, mtime_ns: i64, blobs: &[u8]) -> DirFile {
        (
            name.as_bytes().to_vec(),
            FileFacts {
                size: inode % 1000,
                mtime_ns,
                ctime_ns: mtime_ns + 17,
                inode,
            },
            blobs.iter().map(|b| [*b; 16]).collect(),
        )
    }

    #[test]
    fn rows_come_back_as_written_and_small() {
        let files: Vec<DirFile> = (0..100)
            .map(|i| {
                file(
                    &format!("f{i:03}.txt"),
                    5_000_000 + i,
                    1_700_000_000_000_000_000 + i as i64 * 1_000_003,
                    &[i as u8],
                )
            })
            .collect();
        let dir = DirFiles::new(files.into_iter().rev().collect());
        let raw = dir.encode();
        assert_eq!(DirFiles::decode(&raw), Some(dir.clone()));
        // The blob's prefix is 16 of each file's bytes; the rest stays as small.
        assert!(raw.len() <= 100 * (16 + 16), "{} bytes", raw.len());
        assert_eq!(dir.get(b"f042.txt").unwrap().0.inode, 5_000_042);
        assert!(dir.get(b"f100.txt").is_none());
    }

    #[test]
    fn odd_values_survive() {
        let dir = DirFiles::new(vec![
            file("", 0, i64::MIN, &[]),
            file("a", u64::MAX, i64::MAX - 17, &[1, 2, 3]),
            file("ab\u{e9}", 1, -5, &[9]),
        ]);
        assert_eq!(DirFiles::decode(&dir.encode()), Some(dir));
        assert_eq!(DirFiles::decode(&[]), Some(DirFiles::default()));
    }

    #[test]
    fn bytes_it_did_not_write_are_refused() {
        let raw = DirFiles::new(vec![file("a", 1, 1, &[1]), file("b", 2, 2, &[2])]).encode();
        for cut in 1..raw.len() {
            let got = DirFiles::decode(&raw[..cut]);
            assert!(!matches!(got, Some(d) if d.len() == 2), "cut at {cut}");
        }
        // The second name sharing more than the first has.
        assert_eq!(DirFiles::decode(&[5, 0, 0, 0, 0, 0, 0]), None);
    }
}
