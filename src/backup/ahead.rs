//! Reading a directory's metadata and small files ahead of the walk, many at a time.
//!
//! On a cold page cache, every `lstat` and every small file's `read` waits for the
//! disk; the walk's own threads (one per core) then keep as few requests in flight
//! as there are cores, and the disk, which could serve many at once, idles between
//! them. A pool of reading threads that do little but wait takes those calls over:
//! a directory's entries, in inode order (the order the file system laid out their
//! inodes and, mostly, their blocks), go through the pool a window at a time, and
//! what they read is handed back to the walk, which hashes and stores it.

use std::ffi::OsString;
use std::io::{self, Read};
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use rayon::prelude::*;
use rustix::fs::FileType;

use crate::source::dir::{Dir, Stat};

/// Threads of the reading pool (tune): measured on a 2-core virtual machine with a
/// virtio disk and a cold cache (docs/BENCHMARKS.md, "Many small files").
pub const READ_THREADS: usize = 16;

/// Entries read ahead at once: what a window holds in memory is at most this many
/// files of `MAX_FILE` bytes.
pub const WINDOW: usize = 128;

/// Files up to this size are read whole by the pool; bigger ones are read by the
/// walk as they are chunked.
pub const MAX_FILE: u64 = 64 << 10;

/// One directory entry, named for the walk.
pub struct Item {
    /// The directory it is in, through which it is reached (`source::dir`).
    pub dir: Arc<Dir>,
    pub name: OsString,
    /// For messages, excludes and the files cache only: it may be too long to open.
    pub path: PathBuf,
    /// Its inode number as the directory listing gave it (0 when unknown), by which
    /// the items are read.
    pub ino: u64,
}

/// An item with what was read ahead of it.
pub struct Ahead {
    pub item: Item,
    pub meta: io::Result<Stat>,
    /// The whole file, when `want` asked for it.
    pub content: Option<io::Result<Vec<u8>>>,
}

fn pool() -> Option<&'static rayon::ThreadPool> {
    static POOL: OnceLock<Option<rayon::ThreadPool>> = OnceLock::new();
    POOL.get_or_init(|| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(READ_THREADS)
            .thread_name(|i| format!("cairn-read-{i}"))
            .build()
            .ok()
    })
    .as_ref()
}

/// Sorts a directory's items into the order they are read in: by inode.
pub fn order(items: &mut [Item]) {
    items.sort_by_key(|i| i.ino);
}

/// The `lstat` of every item, and the content of those `want` asks for (given the
/// item's name and metadata), read by the pool; in the items' order.
pub fn read(items: Vec<Item>, want: impl Fn(&Item, &Stat) -> bool + Sync) -> Vec<Ahead> {
    let one = |item: Item| {
        let meta = item.dir.stat(&item.name);
        let content = match &meta {
            Ok(st)
                if st.kind == FileType::RegularFile && st.size <= MAX_FILE && want(&item, st) =>
            {
                Some(read_whole(&item, st.size))
            }
            _ => None,
        };
        Ahead {
            item,
            meta,
            content,
        }
    };
    match pool() {
        // A thread that waits here steals other work of the walk meanwhile.
        Some(p) => p.install(|| items.into_par_iter().map(one).collect()),
        None => items.into_iter().map(one).collect(),
    }
}

fn read_whole(item: &Item, size: u64) -> io::Result<Vec<u8>> {
    let mut f = item.dir.open_file(&item.name)?;
    // One byte more than the size, so the end is seen without growing the buffer.
    let mut buf = Vec::with_capacity(size as usize + 1);
    f.read_to_end(&mut buf)?;
    Ok(buf)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    #[test]
    fn items_are_read_in_inode_order_and_come_back_in_it() {
        let dir = std::env::temp_dir().join(format!("cairn-ahead-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let at = Arc::new(Dir::open(&dir).unwrap());
        let mut items: Vec<Item> = (0..300)
            .map(|i| {
                let name = format!("f{:03}", (i * 7) % 300);
                let path = dir.join(&name);
                fs::write(&path, name.as_bytes().repeat(i % 5)).unwrap();
                Item {
                    dir: at.clone(),
                    path,
                    name: name.into(),
                    ino: 0,
                }
            })
            .collect();
        fs::create_dir(dir.join("sub")).unwrap();
        items.push(Item {
            dir: at.clone(),
            path: dir.join("sub"),
            name: "sub".into(),
            ino: 0,
        });
        for i in &mut items {
            i.ino = std::os::unix::fs::MetadataExt::ino(&fs::metadata(&i.path).unwrap());
        }
        items.reverse();
        order(&mut items);
        let inodes: Vec<u64> = items.iter().map(|i| i.ino).collect();
        assert!(inodes.windows(2).all(|w| w[0] <= w[1]), "{inodes:?}");
        let got = read(items, |item, _| item.name != "f000");
        let got_inodes: Vec<u64> = got.iter().map(|a| a.item.ino).collect();
        assert_eq!(got_inodes, inodes, "results keep the reading order");
        for a in &got {
            let meta = a.meta.as_ref().unwrap();
            match a.item.name.to_str().unwrap() {
                "sub" | "f000" => assert!(a.content.is_none()),
                name => {
                    let want = fs::read(&a.item.path).unwrap();
                    assert_eq!(
                        a.content.as_ref().unwrap().as_ref().unwrap(),
                        &want,
                        "{name}"
                    );
                    assert_eq!(want.len() as u64, meta.size);
                }
            }
        }
        fs::remove_dir_all(&dir).unwrap();
    }
}
