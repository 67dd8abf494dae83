//! A repository in a local directory (or anything mounted as one).
//!
//! Atomicity comes from the file system: an object is written to a hidden temporary file
//! beside its final name, flushed, and renamed (or hard-linked, for `put_if_absent`), and
//! the directory is flushed too, so a crash or a full disk never leaves a partial object
//! under a real name.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use super::{Backend, Error, ObjectInfo, Properties, Result};

#[derive(Debug)]
pub struct FileBackend {
    root: PathBuf,
}

impl FileBackend {
    pub fn new(root: PathBuf) -> FileBackend {
        FileBackend { root }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.root.join(name)
    }

    fn err(&self, name: &str, e: io::Error) -> Error {
        let backend = self.location();
        let name = name.to_string();
        match e.kind() {
            io::ErrorKind::NotFound => Error::NotFound { backend, name },
            io::ErrorKind::Interrupted | io::ErrorKind::TimedOut => Error::Transient {
                backend,
                name,
                cause: e.to_string(),
            },
            _ => Error::Permanent {
                backend,
                name,
                cause: e.to_string(),
            },
        }
    }

    /// Writes `data` to a fresh hidden file next to `name` and flushes it to disk.
    fn write_temp(&self, name: &str, data: &[u8]) -> io::Result<PathBuf> {
        let target = self.path(name);
        let dir = target.parent().unwrap_or(&self.root).to_path_buf();
        let base = target.file_name().and_then(|n| n.to_str()).unwrap_or("obj");
        let tmp = dir.join(format!(
            ".{base}.tmp-{}",
            hex::encode(&crate::ids::random_bytes()[..8])
        ));
        let open = || {
            fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&tmp)
        };
        let mut f = match open() {
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                fs::create_dir_all(&dir)?;
                open()?
            }
            r => r?,
        };
        let written = f.write_all(data).and_then(|_| f.sync_all());
        if let Err(e) = written {
            drop(f);
            let _ = fs::remove_file(&tmp);
            return Err(e);
        }
        Ok(tmp)
    }
}

/// The first entry of `root` that shows it is not (the start of) a repository: anything
/// but a `config` object, our own temporary files and `lost+found` (a freshly formatted
/// disk is a fine place for a repository). `None` for a missing or empty directory, or
/// one that holds a `config`. `init` refuses such a directory, so that a mistyped path
/// does not scatter objects among someone's files.
pub fn foreign_entry(root: &Path) -> io::Result<Option<String>> {
    let entries = match fs::read_dir(root) {
        Ok(e) => e,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    let mut foreign = None;
    for entry in entries {
        let name = entry?.file_name().to_string_lossy().into_owned();
        if name == "config" {
            return Ok(None);
        }
        let harmless = name == "lost+found" || (name.starts_with('.') && name.contains(".tmp-"));
        if !harmless && foreign.is_none() {
            foreign = Some(name);
        }
    }
    Ok(foreign)
}

fn sync_dir(dir: &Path) -> io::Result<()> {
    fs::File::open(dir)?.sync_all()
}

impl Backend for FileBackend {
    fn location(&self) -> String {
        self.root.display().to_string()
    }
    fn place(&self) -> super::url::Place {
        super::url::Place::file(&self.root)
    }
    fn absence_hint(&self) -> Option<String> {
        let state = match fs::read_dir(&self.root).map(|mut e| e.next().is_none()) {
            Err(e) if e.kind() == io::ErrorKind::NotFound => "does not exist",
            Ok(true) => "is empty",
            _ => return None,
        };
        Some(format!(
            "the directory {state}; if the repository lives on a mounted disk or share, \
             check that it is mounted before running `cairn init`"
        ))
    }

    fn properties(&self) -> Properties {
        Properties {
            // One writer: a local disk gains nothing from a second, and every upload in
            // flight holds a pack in memory (see docs/BENCHMARKS.md).
            connections: 1,
            atomic_put_if_absent: true,
            listing_lag: std::time::Duration::ZERO,
        }
    }

    fn create(&self) -> Result<()> {
        fs::create_dir_all(&self.root).map_err(|e| self.err("", e))
    }

    fn put(&self, name: &str, data: &[u8]) -> Result<()> {
        let tmp = self.write_temp(name, data).map_err(|e| self.err(name, e))?;
        let target = self.path(name);
        if let Err(e) = fs::rename(&tmp, &target) {
            let _ = fs::remove_file(&tmp);
            return Err(self.err(name, e));
        }
        sync_dir(target.parent().unwrap_or(&self.root)).map_err(|e| self.err(name, e))
    }

    fn put_if_absent(&self, name: &str, data: &[u8]) -> Result<bool> {
        let tmp = self.write_temp(name, data).map_err(|e| self.err(name, e))?;
        let target = self.path(name);
        // link(2) refuses to replace an existing name, which rename(2) would not.
        let linked = fs::hard_link(&tmp, &target);
        let _ = fs::remove_file(&tmp);
        match linked {
            Ok(()) => {
                sync_dir(target.parent().unwrap_or(&self.root)).map_err(|e| self.err(name, e))?;
                Ok(true)
            }
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Ok(false),
            Err(e) => Err(self.err(name, e)),
        }
    }

    fn get(&self, name: &str) -> Result<Vec<u8>> {
        fs::read(self.path(name)).map_err(|e| self.err(name, e))
    }

    fn list(&self, prefix: &str) -> Result<Vec<ObjectInfo>> {
        // Walk the deepest directory the prefix names, then filter by the rest.
        let dir_part = match prefix.rfind('/') {
            Some(i) => &prefix[..i],
            None => "",
        };
        let mut out = Vec::new();
        let mut stack = vec![dir_part.to_string()];
        while let Some(rel) = stack.pop() {
            let entries = match fs::read_dir(self.root.join(&rel)) {
                Ok(e) => e,
                Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
                Err(e) => return Err(self.err(&rel, e)),
            };
            for entry in entries {
                let entry = entry.map_err(|e| self.err(&rel, e))?;
                let fname = entry.file_name();
                let Some(fname) = fname.to_str() else {
                    continue;
                };
                if fname.starts_with('.') {
                    continue;
                }
                let name = if rel.is_empty() {
                    fname.to_string()
                } else {
                    format!("{rel}/{fname}")
                };
                let meta = match entry.metadata() {
                    Ok(m) => m,
                    // Deleted between the directory read and the stat (a lock released,
                    // a pack pruned): not there, as a listing a moment later would say.
                    Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
                    Err(e) => return Err(self.err(&name, e)),
                };
                if meta.is_dir() {
                    if prefix.starts_with(&name) || name.starts_with(prefix) {
                        stack.push(name);
                    }
                } else if name.starts_with(prefix) {
                    out.push(ObjectInfo {
                        name,
                        size: meta.len(),
                        modified: meta.modified().ok(),
                    });
                }
            }
        }
        Ok(out)
    }

    fn delete(&self, name: &str) -> Result<()> {
        match fs::remove_file(self.path(name)) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(self.err(name, e)),
        }
    }

    fn exists(&self, name: &str) -> Result<bool> {
        match fs::symlink_metadata(self.path(name)) {
            Ok(_) => Ok(true),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(self.err(name, e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Locks come and go while others list them: an object deleted between the
    /// directory read and its stat is left out, never an error (a backup once failed
    /// with "locks/…: not found" while another released its lock).
    #[test]
    fn listing_while_objects_are_deleted_never_fails() {
        let dir = tempfile::tempdir().unwrap();
        let b = FileBackend::new(dir.path().join("repo"));
        b.create().unwrap();
        let stop = std::sync::atomic::AtomicBool::new(false);
        std::thread::scope(|s| {
            s.spawn(|| {
                let mut i = 0u64;
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    let name = format!("locks/{:04}", i % 64);
                    b.put(&name, b"lock").unwrap();
                    b.delete(&format!("locks/{:04}", (i + 32) % 64)).unwrap();
                    i += 1;
                }
            });
            for _ in 0..20_000 {
                if let Err(e) = b.list("locks/") {
                    stop.store(true, std::sync::atomic::Ordering::Relaxed);
                    panic!("{e}");
                }
            }
            stop.store(true, std::sync::atomic::Ordering::Relaxed);
        });
    }

    #[test]
    fn put_get_list_delete_and_put_if_absent() {
        let dir = tempfile::tempdir().unwrap();
        let b = FileBackend::new(dir.path().join("repo"));
        b.create().unwrap();
        b.put("data/ab/abcd", b"one").unwrap();
        b.put("data/ab/abcd", b"two").unwrap();
        assert_eq!(b.get("data/ab/abcd").unwrap(), b"two");
        assert!(b.put_if_absent("config", b"c1").unwrap());
        assert!(!b.put_if_absent("config", b"c2").unwrap());
        assert_eq!(b.get("config").unwrap(), b"c1");
        let mut names: Vec<_> = b.list("").unwrap().into_iter().map(|o| o.name).collect();
        names.sort();
        assert_eq!(names, ["config", "data/ab/abcd"]);
        assert_eq!(b.list("data/").unwrap().len(), 1);
        assert_eq!(b.list("snapshots/").unwrap().len(), 0);
        assert!(b.get("nope").unwrap_err().is_not_found());
        b.delete("data/ab/abcd").unwrap();
        b.delete("data/ab/abcd").unwrap();
        assert!(!b.exists("data/ab/abcd").unwrap());
        // No temporary files are left behind.
        assert!(fs::read_dir(dir.path().join("repo/data/ab"))
            .unwrap()
            .next()
            .is_none());
    }
}
