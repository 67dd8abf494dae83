//! What people see: results on stdout (`out`), warnings and progress on stderr, and the
//! shapes results take (times, sizes, modes, tables, JSON framing).

pub mod escape;
mod events;
pub mod json;
pub mod log;
pub mod mode;
pub mod names;
mod out;
mod progress;
pub mod table;
pub mod time;

use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};

pub use out::out;
pub use progress::{
    configure as configure_progress, rate as progress_rate, shown as progress_shown, Progress,
    ProgressMode,
};

static QUIET: AtomicBool = AtomicBool::new(false);

pub fn set_quiet(q: bool) {
    QUIET.store(q, Ordering::Relaxed);
}

pub fn quiet() -> bool {
    QUIET.load(Ordering::Relaxed)
}

/// A warning on stderr: always shown, even with --quiet, because it reports lost work.
pub fn warn(msg: &str) {
    line(&format!("cairn: warning: {msg}"));
}

/// Informational line on stderr, suppressed by --quiet (but kept in a run's log).
pub fn info(msg: &str) {
    match quiet() {
        true => log::keep(msg),
        false => line(msg),
    }
}

/// One line of cairn's log on stderr (a warning, a hook's or a dump tool's output), kept
/// in the run's log when one is being captured (`log`).
pub fn line(msg: &str) {
    // `eprintln!` would panic when stderr is a closed pipe; a lost line there is
    // unavoidable, a panic is not.
    let _ = writeln!(std::io::stderr(), "{msg}");
    log::keep(msg);
}

/// A size in the one style every summary uses: `512 B`, `1.5 KiB`, `3.0 GiB`.
pub fn bytes(n: u64) -> String {
    const UNITS: [&str; 6] = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
    let mut v = n as f64;
    let mut u = 0;
    while v >= 1024.0 && u < UNITS.len() - 1 {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{n} B")
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}

/// `1 snapshot`, `2 snapshots`, `0 snapshots`: a count with its noun agreeing.
pub fn count(n: u64, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {}", plural(noun))
    }
}

fn plural(noun: &str) -> String {
    if noun.ends_with('s') || noun.ends_with('x') || noun.ends_with("ch") {
        format!("{noun}es")
    } else {
        format!("{noun}s")
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn human_sizes() {
        assert_eq!(super::bytes(0), "0 B");
        assert_eq!(super::bytes(1023), "1023 B");
        assert_eq!(super::bytes(1536), "1.5 KiB");
        assert_eq!(super::bytes(5 << 30), "5.0 GiB");
    }

    #[test]
    fn counts_agree_with_their_noun() {
        assert_eq!(super::count(1, "snapshot"), "1 snapshot");
        assert_eq!(super::count(0, "snapshot"), "0 snapshots");
        assert_eq!(super::count(2, "index file"), "2 index files");
        assert_eq!(super::count(3, "match"), "3 matches");
    }
}
