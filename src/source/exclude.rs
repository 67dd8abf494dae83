//! Exclude patterns. A pattern with a `/` matches the whole absolute path; one without
//! matches the file name at any depth (`*.tmp`, `node_modules`). `**` crosses
//! directories; `*` does not.

use std::path::Path;

use globset::{GlobBuilder, GlobSet, GlobSetBuilder};

#[derive(Debug, Clone)]
pub struct Excludes {
    full: GlobSet,
    name: GlobSet,
    pub exclude_caches: bool,
    pub one_file_system: bool,
}

impl Excludes {
    pub fn new(
        patterns: &[String],
        exclude_caches: bool,
        one_file_system: bool,
    ) -> Result<Excludes, String> {
        let mut full = GlobSetBuilder::new();
        let mut name = GlobSetBuilder::new();
        for p in patterns {
            let p = p.trim();
            if p.is_empty() || p.starts_with('#') {
                continue;
            }
            let trimmed = p.trim_end_matches('/');
            let glob = GlobBuilder::new(trimmed)
                .literal_separator(true)
                .backslash_escape(true)
                .build()
                .map_err(|e| format!("exclude pattern {p:?}: {e}"))?;
            if trimmed.contains('/') {
                full.add(glob);
            } else {
                name.add(glob);
            }
        }
        Ok(Excludes {
            full: full.build().map_err(|e| e.to_string())?,
            name: name.build().map_err(|e| e.to_string())?,
            exclude_caches,
            one_file_system,
        })
    }

    /// Reads patterns from a file, one per line, `#` for comments.
    pub fn read_file(path: &Path) -> Result<Vec<String>, String> {
        std::fs::read_to_string(path)
            .map(|s| s.lines().map(str::to_string).collect())
            .map_err(|e| format!("exclude file {}: {e}", path.display()))
    }

    pub fn matches(&self, path: &Path) -> bool {
        if self.full.is_match(path) {
            return true;
        }
        path.file_name()
            .is_some_and(|n| self.name.is_match(Path::new(n)))
    }

    /// A directory tagged as a cache by a `CACHEDIR.TAG` with the standard signature.
    pub fn is_tagged_cache(&self, dir: &Path) -> bool {
        const SIGNATURE: &[u8] = b"Signature: 8a477f597d28d172789f06886806bc55";
        self.exclude_caches
            && std::fs::read(dir.join("CACHEDIR.TAG"))
                .map(|b| b.starts_with(SIGNATURE))
                .unwrap_or(false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn name_and_path_patterns() {
        let pats: Vec<String> = ["*.tmp", "/var/cache/**", "node_modules", "# comment", ""]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let ex = Excludes::new(&pats, false, false).unwrap();
        assert!(ex.matches(Path::new("/home/a/x.tmp")));
        assert!(!ex.matches(Path::new("/home/a/x.tmpl")));
        assert!(ex.matches(Path::new("/var/cache/apt/archives")));
        assert!(!ex.matches(Path::new("/var/cache")));
        assert!(ex.matches(Path::new("/src/app/node_modules")));
        assert!(!ex.matches(Path::new("/src/app/node_modules_x")));
    }

    #[test]
    fn bad_pattern_is_reported() {
        let err = Excludes::new(&["a[".to_string()], false, false).unwrap_err();
        assert!(err.contains("a["), "{err}");
    }
}
