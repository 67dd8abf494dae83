//! The restore target as a directory descriptor, with every path below it resolved by
//! the kernel without following a symbolic link (openat2 with `RESOLVE_BENEATH |
//! RESOLVE_NO_SYMLINKS`).
//!
//! A target that others can write to may hold links planted to make a restore write
//! elsewhere (`target/etc -> /etc`), before the restore or while it runs. Resolved this
//! way, a planted link fails the open instead of being followed. Entries in the way are
//! removed, never written through: a file with other hard links is replaced, not
//! truncated, so the other names keep their content. The target path itself is the
//! user's choice and is followed like any path they give.
//!
//! Kernels before 5.6 have no openat2; there each component is opened in turn with
//! `O_NOFOLLOW`, which guards the same way at the cost of a system call per component.

use std::ffi::{OsStr, OsString};
use std::fs::File;
use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};
use std::os::unix::ffi::OsStringExt;
use std::path::{Component, Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use rustix::fs::{self as rfs, AtFlags, FileType, Mode, OFlags, ResolveFlags, Timestamps};
use rustix::io::Errno;

/// Set once openat2 turns out to be missing, so later opens go straight to the walk.
static NO_OPENAT2: AtomicBool = AtomicBool::new(false);

pub(super) struct Target {
    dir: OwnedFd,
    path: PathBuf,
}

impl Target {
    /// Opens the target directory, creating it if need be, and checks it is writable
    /// (without writing anything), so the failure names the target.
    pub fn open(path: &Path) -> io::Result<Target> {
        std::fs::create_dir_all(path)?;
        let dir = rfs::open(
            path,
            OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
            Mode::empty(),
        )?;
        rfs::accessat(&dir, ".", rfs::Access::WRITE_OK, AtFlags::empty())?;
        Ok(Target {
            dir,
            path: path.to_path_buf(),
        })
    }

    /// Where `rel` is, for messages.
    pub fn show(&self, rel: &Path) -> PathBuf {
        self.path.join(rel)
    }

    /// Creates a file for writing (mode 0600 until it is finished), replacing whatever
    /// non-directory is in the way.
    pub fn create_file(&self, rel: &Path) -> io::Result<File> {
        let create = || {
            self.open_at(
                rel,
                OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL,
                Mode::from_raw_mode(0o600),
            )
        };
        let fd = match create() {
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                let (dir, name) = self.parent(rel)?;
                remove_non_dir(&dir, name)?;
                create()?
            }
            r => r?,
        };
        Ok(File::from(fd))
    }

    /// Opens a file this restore created, to write more of it. Other links to it can
    /// only have been made during the restore, by someone else: refused.
    pub fn reopen_file(&self, rel: &Path) -> io::Result<File> {
        let f = File::from(self.open_at(rel, OFlags::WRONLY, Mode::empty())?);
        if rfs::fstat(&f)?.st_nlink != 1 {
            return Err(io::Error::other(
                "gained another hard link during the restore; refusing to write into it",
            ));
        }
        Ok(f)
    }

    /// Makes sure `rel` is a directory, replacing a non-directory in the way. New
    /// directories are private (0700) until their metadata is set at the end.
    pub fn make_dir(&self, rel: &Path) -> io::Result<()> {
        let (dir, name) = self.parent(rel)?;
        match rfs::statat(&dir, name, AtFlags::SYMLINK_NOFOLLOW) {
            Ok(st) if FileType::from_raw_mode(st.st_mode) == FileType::Directory => return Ok(()),
            Ok(_) => rfs::unlinkat(&dir, name, AtFlags::empty())?,
            Err(Errno::NOENT) => {}
            Err(e) => return Err(e.into()),
        }
        Ok(rfs::mkdirat(&dir, name, Mode::from_raw_mode(0o700))?)
    }

    /// Whether the target holds nothing yet (then nothing in it needs looking at).
    pub fn is_empty(&self) -> io::Result<bool> {
        let flags = OFlags::RDONLY | OFlags::DIRECTORY;
        let dir = self.open_at(Path::new("."), flags, Mode::empty())?;
        Ok(entries(dir)?.next().transpose()?.is_none())
    }

    /// What is at `rel` now, not following a link there; `None` when nothing is.
    pub fn entry(&self, rel: &Path) -> io::Result<Option<rfs::Stat>> {
        let (dir, name) = self.parent(rel)?;
        match rfs::statat(&dir, name, AtFlags::SYMLINK_NOFOLLOW) {
            Ok(st) => Ok(Some(st)),
            Err(Errno::NOENT) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// The target of the symbolic link at `rel`.
    pub fn link_target(&self, rel: &Path) -> io::Result<Vec<u8>> {
        let (dir, name) = self.parent(rel)?;
        Ok(rfs::readlinkat(&dir, name, Vec::new())?.into_bytes())
    }

    /// The names in the directory `rel` (the target itself for an empty path).
    pub fn names(&self, rel: &Path) -> io::Result<Vec<OsString>> {
        let rel = if rel.as_os_str().is_empty() {
            Path::new(".")
        } else {
            rel
        };
        let flags = OFlags::RDONLY | OFlags::DIRECTORY;
        list(self.open_at(rel, flags, Mode::empty())?)
    }

    /// Removes whatever is at `rel`, a directory with everything in it; links are
    /// removed, never followed.
    pub fn remove(&self, rel: &Path) -> io::Result<()> {
        let (dir, name) = self.parent(rel)?;
        remove_all(dir.as_fd(), name)
    }

    /// Makes `rel` another name of the file at `first` (replacing a non-directory in
    /// the way).
    pub fn hard_link(&self, first: &Path, rel: &Path) -> io::Result<()> {
        let (from, from_name) = self.parent(first)?;
        let (dir, name) = self.parent(rel)?;
        remove_non_dir(&dir, name)?;
        // Without AT_SYMLINK_FOLLOW: a link swapped in for `first` is linked, not followed.
        Ok(rfs::linkat(&from, from_name, &dir, name, AtFlags::empty())?)
    }

    /// Creates a FIFO or device node at `rel` (replacing a non-directory in the way)
    /// with its owner (when given), permission bits and times.
    pub fn special(
        &self,
        rel: &Path,
        (kind, rdev): (FileType, u64),
        mode: u32,
        owner: Option<(u32, u32)>,
        mtime: filetime::FileTime,
    ) -> io::Result<()> {
        let (dir, name) = self.parent(rel)?;
        remove_non_dir(&dir, name)?;
        rfs::mknodat(&dir, name, kind, Mode::from_raw_mode(mode & 0o777), rdev)?;
        set_link_meta(&dir, name, owner, mtime);
        // chmod follows links and fchmodat cannot be told not to: the mode (which the
        // umask narrowed, and which chown cleared set-id bits of) is set through a
        // descriptor of the node itself, checked to be what was made.
        let node = rfs::openat(
            &dir,
            name,
            OFlags::PATH | OFlags::NOFOLLOW | OFlags::CLOEXEC,
            Mode::empty(),
        )?;
        if FileType::from_raw_mode(rfs::fstat(&node)?.st_mode) != kind {
            return Err(io::Error::other(
                "replaced by something else during the restore",
            ));
        }
        let by_fd = format!("/proc/self/fd/{}", node.as_raw_fd());
        match rfs::chmod(by_fd.as_str(), Mode::from_raw_mode(mode)) {
            // Without /proc the node keeps the narrower mode it was made with.
            Err(Errno::NOENT) => Ok(()),
            r => Ok(r?),
        }
    }

    /// Opens a directory below the target, to set its metadata through the descriptor.
    pub fn open_dir(&self, rel: &Path) -> io::Result<File> {
        let fd = self.open_at(rel, OFlags::RDONLY | OFlags::DIRECTORY, Mode::empty())?;
        Ok(File::from(fd))
    }

    /// Creates a symbolic link at `rel` (replacing a non-directory in the way) and sets
    /// its owner (when given) and times, best effort, on the link itself.
    pub fn symlink(
        &self,
        rel: &Path,
        link: &OsStr,
        owner: Option<(u32, u32)>,
        mtime: filetime::FileTime,
    ) -> io::Result<()> {
        let (dir, name) = self.parent(rel)?;
        remove_non_dir(&dir, name)?;
        rfs::symlinkat(link, &dir, name)?;
        set_link_meta(&dir, name, owner, mtime);
        Ok(())
    }

    /// The directory holding `rel` (opened for *at calls only) and `rel`'s last name.
    fn parent<'a>(&self, rel: &'a Path) -> io::Result<(OwnedFd, &'a OsStr)> {
        let name = rel
            .file_name()
            .ok_or_else(|| io::Error::from(Errno::INVAL))?;
        let parent = rel
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let dir = self.open_at(parent, OFlags::PATH | OFlags::DIRECTORY, Mode::empty())?;
        Ok((dir, name))
    }

    fn open_at(&self, rel: &Path, flags: OFlags, mode: Mode) -> io::Result<OwnedFd> {
        let flags = flags | OFlags::CLOEXEC | OFlags::NOFOLLOW;
        match step(self.dir.as_fd(), rel, flags, mode) {
            // A path the kernel takes in one call, or one it refused.
            Err(Errno::NAMETOOLONG) | Err(Errno::NOSYS) => {}
            r => return Ok(r?),
        }
        self.walk(rel, flags, mode)
    }

    /// `rel` opened a part at a time, each part relative to the directory before: as
    /// many names as fit in one openat2 call (a path of PATH_MAX or more is refused
    /// whole), or one name per `O_NOFOLLOW` openat without openat2, which guards the
    /// same way.
    fn walk(&self, rel: &Path, flags: OFlags, mode: Mode) -> io::Result<OwnedFd> {
        let mut names = Vec::new();
        for c in rel.components() {
            match c {
                Component::Normal(n) => names.push(n),
                Component::CurDir => {}
                _ => return Err(io::Error::from(Errno::INVAL)),
            }
        }
        let Some((last, dirs)) = names.split_last() else {
            return Ok(rfs::openat(&self.dir, ".", flags, mode)?);
        };
        let through = OFlags::PATH | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
        let mut at: Option<OwnedFd> = None;
        let mut rest = dirs;
        while let Some((first, more)) = rest.split_first() {
            let mut part = PathBuf::from(first);
            rest = more;
            while let Some((next, more)) = rest.split_first() {
                let fits = part.as_os_str().len() + 1 + next.len() < PART_MAX;
                if NO_OPENAT2.load(Ordering::Relaxed) || !fits {
                    break;
                }
                part.push(next);
                rest = more;
            }
            let from = at.as_ref().map_or(self.dir.as_fd(), |d| d.as_fd());
            at = Some(step(from, &part, through, Mode::empty())?);
        }
        let from = at.as_ref().map_or(self.dir.as_fd(), |d| d.as_fd());
        Ok(step(from, Path::new(last), flags, mode)?)
    }
}

/// The longest part of a path `walk` gives openat2 at once: below PATH_MAX (4096 with
/// its terminating NUL).
const PART_MAX: usize = 4000;

/// Opens `rel` below `from` with openat2, never through a symbolic link nor out of
/// `from`; without openat2, `rel` must be a single name (opened `O_NOFOLLOW`). Says
/// ENOSYS the first time openat2 turns out to be missing.
fn step(from: BorrowedFd, rel: &Path, flags: OFlags, mode: Mode) -> Result<OwnedFd, Errno> {
    if !NO_OPENAT2.load(Ordering::Relaxed) {
        let resolve =
            ResolveFlags::BENEATH | ResolveFlags::NO_SYMLINKS | ResolveFlags::NO_MAGICLINKS;
        match rfs::openat2(from, rel, flags, mode, resolve) {
            // Old kernels say ENOSYS; some container seccomp profiles say EPERM for
            // system calls they do not know. The walk gives the same guarantee.
            Err(Errno::NOSYS | Errno::PERM) => {
                NO_OPENAT2.store(true, Ordering::Relaxed);
                return Err(Errno::NOSYS);
            }
            r => return r,
        }
    }
    rfs::openat(from, rel, flags, mode)
}

/// Owner (when given) and times of `name` itself, never of what a link there points to;
/// best effort, as a symlink's are.
fn set_link_meta(
    dir: &OwnedFd,
    name: &OsStr,
    owner: Option<(u32, u32)>,
    mtime: filetime::FileTime,
) {
    if let Some((uid, gid)) = owner {
        let u = raw_id(uid).map(rfs::Uid::from_raw);
        let g = raw_id(gid).map(rfs::Gid::from_raw);
        let _ = rfs::chownat(dir, name, u, g, AtFlags::SYMLINK_NOFOLLOW);
    }
    let t = rfs::Timespec {
        tv_sec: mtime.unix_seconds(),
        tv_nsec: mtime.nanoseconds().into(),
    };
    let times = Timestamps {
        last_access: t,
        last_modification: t,
    };
    let _ = rfs::utimensat(dir, name, &times, AtFlags::SYMLINK_NOFOLLOW);
}

/// The names in an open directory, without `.` and `..`.
fn list(dir: OwnedFd) -> io::Result<Vec<OsString>> {
    entries(dir)?.collect()
}

/// The names in an open directory as they are read, without `.` and `..`.
fn entries(dir: OwnedFd) -> io::Result<impl Iterator<Item = io::Result<OsString>>> {
    Ok(rfs::Dir::new(dir)?.filter_map(|e| match e {
        Ok(e) => {
            let name = e.file_name().to_bytes();
            (name != b"." && name != b"..").then(|| Ok(OsString::from_vec(name.to_vec())))
        }
        Err(e) => Some(Err(e.into())),
    }))
}

/// Removes `name` from `dir`, and if it is a directory everything in it first, each
/// directory opened without following links.
fn remove_all(dir: BorrowedFd, name: &OsStr) -> io::Result<()> {
    let st = match rfs::statat(dir, name, AtFlags::SYMLINK_NOFOLLOW) {
        Ok(st) => st,
        Err(Errno::NOENT) => return Ok(()),
        Err(e) => return Err(e.into()),
    };
    if FileType::from_raw_mode(st.st_mode) != FileType::Directory {
        return Ok(rfs::unlinkat(dir, name, AtFlags::empty())?);
    }
    let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
    let sub = rfs::openat(dir, name, flags, Mode::empty())?;
    // A read-only directory could not be emptied; it is going away anyway.
    let _ = rfs::fchmod(&sub, Mode::from_raw_mode(0o700));
    let inner = rfs::openat(&sub, ".", flags, Mode::empty())?;
    for n in list(inner)? {
        remove_all(sub.as_fd(), &n)?;
    }
    Ok(rfs::unlinkat(dir, name, AtFlags::REMOVEDIR)?)
}

/// Removes `name` from `dir` unless it is a directory (an error: a restore never
/// removes a directory). A missing entry is fine.
fn remove_non_dir(dir: &OwnedFd, name: &OsStr) -> io::Result<()> {
    match rfs::statat(dir, name, AtFlags::SYMLINK_NOFOLLOW) {
        Ok(st) if FileType::from_raw_mode(st.st_mode) == FileType::Directory => {
            Err(io::Error::other("a directory is in the way of a file"))
        }
        Ok(_) => Ok(rfs::unlinkat(dir, name, AtFlags::empty())?),
        Err(Errno::NOENT) => Ok(()),
        Err(e) => Err(e.into()),
    }
}

/// An owner id as chown takes it: `u32::MAX` means "leave unchanged" to the kernel
/// and may not be made into a `Uid`.
fn raw_id(id: u32) -> Option<u32> {
    (id != u32::MAX).then_some(id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    /// A target with `a -> outside` planted, as if swapped in during a restore.
    fn planted() -> (tempfile::TempDir, Target, PathBuf) {
        let d = tempfile::tempdir().unwrap();
        let outside = d.path().join("outside");
        std::fs::create_dir(&outside).unwrap();
        let t = Target::open(&d.path().join("t")).unwrap();
        std::os::unix::fs::symlink(&outside, d.path().join("t/a")).unwrap();
        std::fs::write(outside.join("f"), b"outside").unwrap();
        (d, t, outside)
    }

    /// Refused by the kernel: a link where a directory or file was expected.
    fn refused<T>(r: io::Result<T>) -> bool {
        r.is_err_and(|e| matches!(e.raw_os_error(), Some(libc::ELOOP | libc::ENOTDIR)))
    }

    #[test]
    fn nothing_is_reached_through_a_link_below_the_target() {
        let (_d, t, outside) = planted();
        for walk_by_hand in [false, true] {
            let open = |rel: &str, flags| {
                if walk_by_hand {
                    t.walk(Path::new(rel), flags | OFlags::NOFOLLOW, Mode::empty())
                } else {
                    t.open_at(Path::new(rel), flags, Mode::empty())
                }
            };
            assert!(refused(open("a/f", OFlags::WRONLY)));
            assert!(refused(open("a", OFlags::RDONLY | OFlags::DIRECTORY)));
        }
        assert!(refused(t.create_file(Path::new("a/new"))));
        assert!(refused(t.reopen_file(Path::new("a/f"))));
        assert!(refused(t.open_dir(Path::new("a"))));
        assert!(refused(t.make_dir(Path::new("a/sub"))));
        let link = OsStr::new("x");
        let mtime = filetime::FileTime::zero();
        assert!(refused(t.symlink(Path::new("a/l"), link, None, mtime)));
        assert_eq!(std::fs::read_dir(&outside).unwrap().count(), 1);
        assert_eq!(std::fs::read(outside.join("f")).unwrap(), b"outside");
        // In its own place the link is replaced, not followed.
        t.make_dir(Path::new("a")).unwrap();
        t.create_file(Path::new("a/f")).unwrap();
        assert_eq!(std::fs::read(outside.join("f")).unwrap(), b"outside");
    }

    #[test]
    fn removing_a_directory_removes_links_in_it_not_what_they_point_to() {
        let (d, t, outside) = planted();
        let dir = d.path().join("t/d/deeper");
        std::fs::create_dir_all(&dir).unwrap();
        std::os::unix::fs::symlink(&outside, dir.join("out")).unwrap();
        std::fs::write(dir.join("f"), b"x").unwrap();
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o555)).unwrap();
        t.remove(Path::new("d")).unwrap();
        t.remove(Path::new("a")).unwrap();
        assert!(t.is_empty().unwrap());
        assert_eq!(std::fs::read(outside.join("f")).unwrap(), b"outside");
        // Nothing there is nothing to do.
        t.remove(Path::new("gone")).unwrap();
    }

    #[test]
    fn a_file_that_gains_a_link_is_not_written_into() {
        let d = tempfile::tempdir().unwrap();
        let t = Target::open(&d.path().join("t")).unwrap();
        t.create_file(Path::new("f")).unwrap();
        std::fs::hard_link(d.path().join("t/f"), d.path().join("other")).unwrap();
        let e = t.reopen_file(Path::new("f")).unwrap_err();
        assert!(e.to_string().contains("hard link"), "{e}");
    }
}
