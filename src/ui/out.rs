//! Standard output for results. `println!` panics when the reader has gone away
//! (`cairn ls latest | head -1`); writing through this handle returns the error instead,
//! and main ends a broken pipe with exit 0 and nothing on stderr, as grep does.

use std::io::{self, StdoutLock};

/// The handle every command writes its results to: `writeln!(out, …)?`.
///
/// Locked once per command, so lines of a long listing are not interleaved with
/// anything else and cost no lock per line; stdout itself stays line-buffered, so each
/// line reaches a pipe as it is written.
pub fn out() -> StdoutLock<'static> {
    io::stdout().lock()
}
