//! A local, per-profile lock so two cron runs of one profile never overlap. It is an
//! advisory `flock` rather than a pid file: the kernel drops it when the holder dies, so
//! there is never a stale lock to clean up after a crash or a reboot.

use std::fs::{File, OpenOptions};
use std::io;
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};

pub struct LocalLock {
    // Held open for the lock's lifetime; closing the file releases it.
    _file: File,
    pub path: PathBuf,
}

pub enum Acquire {
    Held(LocalLock),
    Busy,
}

/// Takes the lock at `path` without waiting.
pub fn try_lock(path: &Path) -> io::Result<Acquire> {
    lock(path, false)
}

/// Takes the lock at `path`, waiting for another holder to finish.
pub fn lock_wait(path: &Path) -> io::Result<LocalLock> {
    match lock(path, true)? {
        Acquire::Held(l) => Ok(l),
        Acquire::Busy => unreachable!("a blocking flock does not report busy"),
    }
}

fn lock(path: &Path, wait: bool) -> io::Result<Acquire> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)?;
    let op = if wait {
        libc::LOCK_EX
    } else {
        libc::LOCK_EX | libc::LOCK_NB
    };
    if flock(&file, op) != 0 {
        let e = io::Error::last_os_error();
        if e.raw_os_error() == Some(libc::EWOULDBLOCK) {
            return Ok(Acquire::Busy);
        }
        return Err(e);
    }
    Ok(Acquire::Held(LocalLock {
        _file: file,
        path: path.to_path_buf(),
    }))
}

#[allow(unsafe_code)]
fn flock(file: &File, op: libc::c_int) -> libc::c_int {
    // SAFETY: the descriptor is valid for the duration of the call (borrowed from an
    // open File) and flock touches no memory of ours.
    unsafe { libc::flock(file.as_raw_fd(), op) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn second_holder_is_refused_until_the_first_is_dropped() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("sub/app.lock");
        let first = match try_lock(&p).unwrap() {
            Acquire::Held(l) => l,
            Acquire::Busy => panic!("fresh lock reported busy"),
        };
        assert!(matches!(try_lock(&p).unwrap(), Acquire::Busy));
        drop(first);
        assert!(matches!(try_lock(&p).unwrap(), Acquire::Held(_)));
    }
}
