//! The exclude options `backup` and `restore` share, with one set of rules
//! (docs/PATTERNS.md).

use std::path::PathBuf;

use anyhow::{anyhow, Result};

use crate::pattern::{self, PatternSpec};

#[derive(Debug, Clone, Default, clap::Args)]
pub struct ExcludeArgs {
    /// Leave out what matches this pattern (repeatable): '*.tmp', 'git/RelNotes' at any
    /// depth, '/var/cache' from the root, '**' across directories, '!PATTERN' to take
    /// an earlier match back (rules: docs/PATTERNS.md)
    #[arg(long = "exclude", short = 'e', value_name = "PATTERN")]
    pub excludes: Vec<String>,
    /// Like --exclude, ignoring case
    #[arg(long = "iexclude", value_name = "PATTERN")]
    pub iexcludes: Vec<String>,
    /// Read --exclude patterns from a file, one per line ('#' comments, $VAR expanded)
    #[arg(long = "exclude-file", value_name = "FILE")]
    pub exclude_files: Vec<PathBuf>,
    /// Read --iexclude patterns from a file, one per line
    #[arg(long = "iexclude-file", value_name = "FILE")]
    pub iexclude_files: Vec<PathBuf>,
}

impl ExcludeArgs {
    /// Every exclude pattern given, in the order `!` patterns are applied in.
    pub fn gather(&self) -> Result<Vec<PatternSpec>> {
        pattern::gather(
            &self.excludes,
            &self.exclude_files,
            &self.iexcludes,
            &self.iexclude_files,
        )
        .map_err(|e| anyhow!(e))
    }
}
