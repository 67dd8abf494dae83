//! Lists of paths to back up, one per line (`cairn backup --files-from`, a profile's
//! `include_file`) or separated by NUL bytes (`--files-from0`, as `find -print0` and
//! `git ls-files -z` write them).

use std::ffi::OsStr;
use std::io::Read;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

/// How the entries of a list are separated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Separator {
    /// One path per line; blank lines and lines whose first non-blank character is `#`
    /// are skipped, a `\r` before the line end is dropped; the rest of a line is the
    /// path, blanks included.
    Line,
    /// Entries end with a NUL byte; empty entries are skipped, nothing else is.
    Nul,
}

/// The paths a list names, each with its line (or entry) number, from 1.
pub fn entries(bytes: &[u8], sep: Separator) -> Vec<(usize, PathBuf)> {
    let split = match sep {
        Separator::Line => b'\n',
        Separator::Nul => 0,
    };
    bytes
        .split(|&b| b == split)
        .enumerate()
        .filter_map(|(i, raw)| {
            let entry = match sep {
                Separator::Nul => raw,
                Separator::Line => {
                    let line = raw.strip_suffix(b"\r").unwrap_or(raw);
                    let text = line.trim_ascii_start();
                    if text.is_empty() || text.starts_with(b"#") {
                        return None;
                    }
                    line
                }
            };
            (!entry.is_empty()).then(|| (i + 1, PathBuf::from(OsStr::from_bytes(entry))))
        })
        .collect()
}

/// Reads a list from `file`, or from standard input for `-`.
pub fn read(file: &Path, sep: Separator) -> std::io::Result<Vec<(usize, PathBuf)>> {
    let bytes = if file == Path::new("-") {
        let mut b = Vec::new();
        std::io::stdin().read_to_end(&mut b)?;
        b
    } else {
        std::fs::read(file)?
    };
    Ok(entries(&bytes, sep))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comments_and_blank_lines_are_skipped_and_names_kept_whole() {
        let list = b"# backed up nightly\n/etc/app\n\n   \n  # indented comment\r\n\
                     rel/dir\r\n/srv/with trailing blank \n/srv/\xe9t\xe9\n/last";
        let want: Vec<(usize, PathBuf)> = [
            (2, &b"/etc/app"[..]),
            (6, b"rel/dir"),
            (7, b"/srv/with trailing blank "),
            (8, b"/srv/\xe9t\xe9"),
            (9, b"/last"),
        ]
        .into_iter()
        .map(|(n, b)| (n, PathBuf::from(OsStr::from_bytes(b))))
        .collect();
        assert_eq!(entries(list, Separator::Line), want);
    }

    #[test]
    fn nul_separated_entries_keep_newlines_and_hashes() {
        let got = entries(b"/a\nb\0#c\0\0/d\0", Separator::Nul);
        let paths: Vec<PathBuf> = got.into_iter().map(|(_, p)| p).collect();
        assert_eq!(
            paths,
            vec![
                PathBuf::from("/a\nb"),
                PathBuf::from("#c"),
                PathBuf::from("/d")
            ]
        );
    }
}
