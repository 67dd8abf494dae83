//! The two JSON framings of `--json` (docs/OUTPUT.md): a command with one result prints
//! one JSON document; a command that streams records (`ls`, `diff`, `run`) prints one
//! compact JSON object per line (NDJSON), so a reader can act on each as it arrives.

use std::io::{self, Write};

use serde::Serialize;

/// One result as one document, pretty-printed, ending with a newline.
pub fn document<T: Serialize + ?Sized>(v: &T) -> io::Result<()> {
    let text = serde_json::to_string_pretty(v).map_err(io::Error::other)?;
    writeln!(super::out(), "{text}")
}

/// A stream of records, one per line.
pub struct Lines {
    out: io::StdoutLock<'static>,
}

impl Lines {
    pub fn new() -> Lines {
        Lines { out: super::out() }
    }

    pub fn record<T: Serialize + ?Sized>(&mut self, v: &T) -> io::Result<()> {
        let text = serde_json::to_string(v).map_err(io::Error::other)?;
        writeln!(self.out, "{text}")
    }
}

impl Default for Lines {
    fn default() -> Self {
        Lines::new()
    }
}
