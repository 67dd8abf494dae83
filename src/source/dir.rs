//! Directories walked by descriptor: every entry is reached relative to its directory's
//! open descriptor, by its name alone.
//!
//! The kernel refuses a path of PATH_MAX (4096) bytes or more in any single call, but
//! a tree may go deeper than that: a path built by joining names would make everything
//! below that length unreadable. Relative to the directory, a name is at most 255 bytes.
//! Entries are never followed when they are links (`O_NOFOLLOW`), so an entry swapped
//! for a link during the walk is not read through it.

use std::ffi::{OsStr, OsString};
use std::fs::File;
use std::io;
use std::os::fd::OwnedFd;
use std::os::unix::ffi::OsStringExt;
use std::path::Path;

use rustix::fs::{self as rfs, AtFlags, FileType, Mode, OFlags};

/// An open directory.
pub struct Dir {
    fd: OwnedFd,
}

/// What the walk needs of an entry's `lstat`.
#[derive(Debug, Clone, Copy)]
pub struct Stat {
    pub kind: FileType,
    /// Permission bits with set-id and sticky (no type bits).
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
    pub size: u64,
    /// 512-byte blocks allocated: fewer than the size needs for a sparse file.
    pub blocks: u64,
    pub mtime_ns: i64,
    pub ctime_ns: i64,
    pub dev: u64,
    pub ino: u64,
    pub nlink: u64,
    pub rdev: u64,
}

impl Stat {
    // The fields' widths differ between architectures (u32 or u64 link counts, …):
    // casts that are no-ops on one are needed on another.
    #[allow(clippy::unnecessary_cast)]
    fn of(st: &rfs::Stat) -> Stat {
        Stat {
            kind: FileType::from_raw_mode(st.st_mode as _),
            mode: st.st_mode as u32 & 0o7777,
            uid: st.st_uid as u32,
            gid: st.st_gid as u32,
            size: st.st_size as u64,
            blocks: st.st_blocks as u64,
            mtime_ns: st.st_mtime as i64 * 1_000_000_000 + st.st_mtime_nsec as i64,
            ctime_ns: st.st_ctime as i64 * 1_000_000_000 + st.st_ctime_nsec as i64,
            dev: st.st_dev as u64,
            ino: st.st_ino as u64,
            nlink: st.st_nlink as u64,
            rdev: st.st_rdev as u64,
        }
    }
}

impl Dir {
    /// The directory at `path`, following links on the way as any path given by the
    /// user is. Only looked through (`O_PATH`), as the directories above a named
    /// source are: it needs no read permission.
    pub fn open(path: &Path) -> io::Result<Dir> {
        let flags = OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC;
        Ok(Dir {
            fd: rfs::open(path, flags, Mode::empty())?,
        })
    }

    /// The subdirectory `name`, to be listed; a link there is refused, not followed.
    /// Opened for reading, as a listing by path would be: that fails where reading is
    /// not allowed, and mounts an automount point.
    pub fn sub(&self, name: &OsStr) -> io::Result<Dir> {
        let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
        Ok(Dir {
            fd: rfs::openat(&self.fd, name, flags, Mode::empty())?,
        })
    }

    /// The names in the directory, without `.` and `..`, each with its inode number as
    /// the listing gives it (by which they are read, `backup::ahead`).
    pub fn names(&self) -> io::Result<Vec<(OsString, u64)>> {
        // Not `Dir::read_from`: it would reopen with this descriptor's flags, `O_PATH`
        // for one from `open`.
        let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC;
        let listing = open_noatime(&self.fd, OsStr::new("."), flags)?;
        let mut out = Vec::new();
        for e in rfs::Dir::new(listing)? {
            let e = e?;
            let name = e.file_name().to_bytes();
            if name != b"." && name != b".." {
                out.push((OsString::from_vec(name.to_vec()), e.ino()));
            }
        }
        Ok(out)
    }

    /// `name` itself, a link not followed.
    pub fn stat(&self, name: &OsStr) -> io::Result<Stat> {
        Ok(Stat::of(&rfs::statat(
            &self.fd,
            name,
            AtFlags::SYMLINK_NOFOLLOW,
        )?))
    }

    /// The regular file `name`, for reading.
    pub fn open_file(&self, name: &OsStr) -> io::Result<File> {
        let flags = OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
        Ok(File::from(open_noatime(&self.fd, name, flags)?))
    }

    /// The target of the link `name`, as bytes.
    pub fn read_link(&self, name: &OsStr) -> io::Result<Vec<u8>> {
        Ok(rfs::readlinkat(&self.fd, name, Vec::new())?.into_bytes())
    }
}

/// Opens `name` for reading without touching its access time where the kernel allows
/// it (the caller owns the file, or has `CAP_FOWNER` as root does). On a file system
/// mounted `relatime`, the first read of a file written since it was last read updates
/// its atime: an inode written back for every new file a backup reads, which on a cold
/// cache costs as many random writes as the backup does reads. Backups must not look
/// like use either (`find -atime`, tiering by access). `EPERM` is the kernel's answer
/// to `O_NOATIME` on someone else's file: it is opened again without it, and any other
/// cause of `EPERM` is then reported by that second open.
fn open_noatime(dir: &OwnedFd, name: &OsStr, flags: OFlags) -> io::Result<OwnedFd> {
    match rfs::openat(dir, name, flags | OFlags::NOATIME, Mode::empty()) {
        Err(rustix::io::Errno::PERM) => Ok(rfs::openat(dir, name, flags, Mode::empty())?),
        r => Ok(r?),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    /// A chain of directories whose whole path is far beyond PATH_MAX.
    #[test]
    fn entries_beyond_path_max_are_reached() {
        let d = tempfile::tempdir().unwrap();
        let mut dir = Dir::open(d.path()).unwrap();
        let name = OsString::from("n".repeat(255));
        for _ in 0..20 {
            rfs::mkdirat(&dir.fd, &name, Mode::from_raw_mode(0o755)).unwrap();
            dir = dir.sub(&name).unwrap();
        }
        let flags = OFlags::WRONLY | OFlags::CREATE | OFlags::CLOEXEC;
        let f = rfs::openat(&dir.fd, "leaf", flags, Mode::from_raw_mode(0o644)).unwrap();
        rustix::io::write(&f, b"deep").unwrap();
        let st = dir.stat(OsStr::new("leaf")).unwrap();
        assert_eq!(dir.names().unwrap(), vec![(OsString::from("leaf"), st.ino)]);
        assert_eq!(
            (st.kind, st.size, st.mode),
            (FileType::RegularFile, 4, 0o644)
        );
        let mut s = String::new();
        let mut leaf = dir.open_file(OsStr::new("leaf")).unwrap();
        leaf.read_to_string(&mut s).unwrap();
        assert_eq!(s, "deep");
    }

    #[test]
    fn links_are_not_followed() {
        let d = tempfile::tempdir().unwrap();
        std::fs::create_dir(d.path().join("real")).unwrap();
        std::fs::write(d.path().join("real/f"), b"x").unwrap();
        std::os::unix::fs::symlink("real", d.path().join("link")).unwrap();
        std::os::unix::fs::symlink("real/f", d.path().join("flink")).unwrap();
        let dir = Dir::open(d.path()).unwrap();
        assert!(dir.sub(OsStr::new("link")).is_err());
        assert!(dir.open_file(OsStr::new("flink")).is_err());
        let st = dir.stat(OsStr::new("link")).unwrap();
        assert_eq!(st.kind, FileType::Symlink);
        assert_eq!(dir.read_link(OsStr::new("link")).unwrap(), b"real");
    }
}
