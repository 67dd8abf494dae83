//! What a file backup leaves out: paths matching the exclude patterns (rules in
//! [`crate::pattern`] and docs/PATTERNS.md), directories tagged as caches, and other
//! file systems.

use std::ffi::OsStr;
use std::io::Read;
use std::path::Path;

use super::dir::Dir;

use crate::pattern::{PatternSet, PatternSpec};

#[derive(Debug, Clone)]
pub struct Excludes {
    patterns: PatternSet,
    pub exclude_caches: bool,
    pub one_file_system: bool,
}

impl Excludes {
    pub fn new(
        patterns: &[PatternSpec],
        exclude_caches: bool,
        one_file_system: bool,
    ) -> Result<Excludes, String> {
        Ok(Excludes {
            patterns: PatternSet::new(patterns, "exclude pattern")?,
            exclude_caches,
            one_file_system,
        })
    }

    /// Whether `path` (absolute) is left out by a pattern.
    pub fn matches(&self, path: &Path) -> bool {
        self.patterns.matches(path)
    }

    /// [`Excludes::matches`] for an entry of a directory that was not left out itself.
    pub fn matches_entry(&self, path: &Path) -> bool {
        self.patterns.matches_entry(path)
    }

    /// Patterns that left nothing out, for a warning once the walk is done.
    pub fn unmatched(&self) -> Vec<&str> {
        self.patterns.unmatched()
    }

    /// A directory tagged as a cache by a `CACHEDIR.TAG` with the standard signature.
    pub fn is_tagged_cache(&self, dir: &Dir) -> bool {
        const SIGNATURE: &[u8] = b"Signature: 8a477f597d28d172789f06886806bc55";
        let mut head = Vec::new();
        self.exclude_caches
            && dir
                .open_file(OsStr::new("CACHEDIR.TAG"))
                .and_then(|f| f.take(SIGNATURE.len() as u64).read_to_end(&mut head))
                .is_ok_and(|_| head == SIGNATURE)
    }
}
