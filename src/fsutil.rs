//! Small file-system helpers shared by commands that write local files.

use std::fs;
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::Path;

/// Makes a directory private to its owner; best effort (the cache stays usable).
pub fn restrict_dir(dir: &Path) {
    let _ = fs::set_permissions(dir, fs::Permissions::from_mode(0o700));
}

/// Creates a new file readable only by its owner, refusing to replace an existing one.
pub fn write_private_new(path: &Path, data: &[u8]) -> std::io::Result<()> {
    let mut f = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    f.write_all(data)?;
    f.sync_all()
}

/// Replaces `path` atomically with a file readable only by its owner (temporary file in
/// the same directory, fsync, rename), creating a private parent directory if needed.
pub fn replace_private(path: &Path, data: &[u8]) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    if !dir.exists() {
        fs::create_dir_all(dir)?;
        restrict_dir(dir);
    }
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    let tmp = dir.join(format!(
        ".{name}.{}.tmp",
        hex::encode(&crate::ids::random_bytes()[..6])
    ));
    let written = write_private_new(&tmp, data).and_then(|()| fs::rename(&tmp, path));
    if written.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    written?;
    // The rename is durable only once the directory entry is.
    fs::File::open(dir)?.sync_all()
}
