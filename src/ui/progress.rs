//! Progress of long tasks: a bar on stderr when it is a terminal, JSON events on stderr
//! for wrappers (`--json`, `--progress json`), nothing otherwise (cron, `--quiet`).
//!
//! The rate is what was actually read and processed per second. Files the files cache
//! shows unchanged advance the bar without being read; counting them in the rate made a
//! cached re-run claim "9 GiB/s". While everything so far was skipped, the rate says
//! `unchanged`.

use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressState, ProgressStyle};

use super::events::Events;

/// `--progress`: where progress goes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum ProgressMode {
    /// A bar when stderr is a terminal; JSON events with --json; nothing with --quiet
    #[default]
    Auto,
    /// JSON events on stderr, also with --quiet and without --json
    Json,
    /// No progress at all
    None,
}

/// What a task counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    Bytes,
    Items,
}

impl Unit {
    fn show(self, n: u64) -> String {
        match self {
            Unit::Bytes => super::bytes(n),
            Unit::Items => n.to_string(),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Unit::Bytes => "bytes",
            Unit::Items => "items",
        }
    }
}

struct Settings {
    mode: ProgressMode,
    json: bool,
    command: &'static str,
}

static SETTINGS: OnceLock<Settings> = OnceLock::new();

/// Called once, when the command line is known; before that (library use, unit tests)
/// progress follows `Auto` without `--json`.
pub fn configure(mode: ProgressMode, json: bool, command: &'static str) {
    let _ = SETTINGS.set(Settings {
        mode,
        json,
        command,
    });
}

enum Show {
    Nothing,
    Bar,
    Events(&'static str),
}

fn show() -> Show {
    let s = SETTINGS.get();
    let command = s.map_or("", |s| s.command);
    match s.map_or(ProgressMode::Auto, |s| s.mode) {
        ProgressMode::None => Show::Nothing,
        ProgressMode::Json => Show::Events(command),
        ProgressMode::Auto if super::quiet() => Show::Nothing,
        ProgressMode::Auto if s.is_some_and(|s| s.json) => Show::Events(command),
        ProgressMode::Auto if std::io::stderr().is_terminal() => Show::Bar,
        ProgressMode::Auto => Show::Nothing,
    }
}

/// Whether progress goes anywhere: work done only for it (a walk to learn the total) is
/// skipped when not.
pub fn shown() -> bool {
    !matches!(show(), Show::Nothing)
}

/// What a task has done so far, shared with the bar's rate and the event thread.
#[derive(Default)]
pub struct Counts {
    /// Everything accounted for: what moves the bar.
    pub done: AtomicU64,
    /// Only what was read and processed: what the rate counts.
    pub processed: AtomicU64,
}

pub struct Progress {
    bar: Option<ProgressBar>,
    events: Option<Events>,
    counts: Arc<Counts>,
    finished: AtomicBool,
}

impl Progress {
    /// A task counted in bytes; `total` when known in advance.
    pub fn new(total: Option<u64>, what: &str) -> Progress {
        Progress::of(Unit::Bytes, total, what)
    }

    /// A task counted in things (snapshots, packs) rather than bytes.
    pub fn items(total: Option<u64>, what: &str) -> Progress {
        Progress::of(Unit::Items, total, what)
    }

    /// Progress of nothing, which shows and sends nothing.
    pub fn disabled() -> Progress {
        Progress::with(Show::Nothing, Unit::Bytes, None, "")
    }

    fn of(unit: Unit, total: Option<u64>, what: &str) -> Progress {
        Progress::with(show(), unit, total, what)
    }

    fn with(show: Show, unit: Unit, total: Option<u64>, what: &str) -> Progress {
        let counts = Arc::new(Counts::default());
        let (bar, events) = match show {
            Show::Nothing => (None, None),
            Show::Bar => (Some(bar(unit, total, what, counts.clone())), None),
            Show::Events(command) => (
                None,
                Some(Events::start(command, what, unit, total, counts.clone())),
            ),
        };
        Progress {
            bar,
            events,
            counts,
            finished: AtomicBool::new(false),
        }
    }

    /// `n` bytes (or items) read and processed.
    pub fn add(&self, n: u64) {
        self.counts.processed.fetch_add(n, Ordering::Relaxed);
        self.counts.done.fetch_add(n, Ordering::Relaxed);
        if let Some(b) = &self.bar {
            b.inc(n);
        }
    }

    /// `n` bytes accounted for without reading them (unchanged since the last backup).
    pub fn skip(&self, n: u64) {
        self.counts.done.fetch_add(n, Ordering::Relaxed);
        if let Some(b) = &self.bar {
            b.inc(n);
        }
    }

    /// Clears the bar, or sends the final event; only the first call does anything.
    pub fn finish(&self) {
        if self.finished.swap(true, Ordering::Relaxed) {
            return;
        }
        if let Some(b) = &self.bar {
            b.finish_and_clear();
        }
        if let Some(e) = &self.events {
            e.finish();
        }
    }
}

/// A writer that counts what passes through it as processed (see [`Progress::writer`]).
pub struct Counting<'a, W: std::io::Write + ?Sized> {
    inner: &'a mut W,
    progress: &'a Progress,
}

impl<W: std::io::Write + ?Sized> std::io::Write for Counting<'_, W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.progress.add(n as u64);
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

impl Progress {
    /// `inner`, with every byte written through it counted as processed: for a task
    /// whose work is a stream into something else (a dump into `pg_restore`).
    pub fn writer<'a, W: std::io::Write + ?Sized>(&'a self, inner: &'a mut W) -> Counting<'a, W> {
        Counting {
            inner,
            progress: self,
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.finish();
    }
}

fn bar(unit: Unit, total: Option<u64>, what: &str, counts: Arc<Counts>) -> ProgressBar {
    // indicatif's usual 20 redraws a second at most, unless a shorter interval (tests)
    // asks for more.
    let every = super::events::interval();
    let hz = (1000 / every.as_millis().max(1)).clamp(20, 250) as u8;
    let bar = ProgressBar::with_draw_target(total, ProgressDrawTarget::stderr_with_hz(hz));
    let template = if total.is_some() {
        "{msg} {bar:30} {done}/{all} {rate} eta {eta}"
    } else {
        "{msg} {spinner} {done} {rate} {elapsed}"
    };
    let style = ProgressStyle::with_template(template).map(|s| {
        s.with_key(
            "done",
            move |st: &ProgressState, w: &mut dyn std::fmt::Write| {
                let _ = w.write_str(&unit.show(st.pos()));
            },
        )
        .with_key(
            "all",
            move |st: &ProgressState, w: &mut dyn std::fmt::Write| {
                let _ = w.write_str(&unit.show(st.len().unwrap_or(0)));
            },
        )
        .with_key(
            "rate",
            move |st: &ProgressState, w: &mut dyn std::fmt::Write| {
                let text = bar_rate(unit, &counts, st.elapsed());
                let _ = w.write_str(&text);
            },
        )
    });
    if let Ok(style) = style {
        bar.set_style(style);
    }
    bar.set_message(what.to_string());
    bar.enable_steady_tick(every.min(Duration::from_millis(200)));
    bar
}

pub fn per_sec(processed: u64, elapsed: Duration) -> f64 {
    processed as f64 / elapsed.as_secs_f64().max(0.001)
}

/// The rate next to a bar: `unchanged` while everything so far was skipped unread, and
/// a plain `0 B/s` before anything at all happened.
fn bar_rate(unit: Unit, counts: &Counts, elapsed: Duration) -> String {
    let processed = counts.processed.load(Ordering::Relaxed);
    match unit {
        Unit::Bytes if processed == 0 && counts.done.load(Ordering::Relaxed) > 0 => {
            "unchanged".into()
        }
        Unit::Bytes => format!("{}/s", super::bytes(per_sec(processed, elapsed) as u64)),
        Unit::Items => format!("{:.1}/s", per_sec(processed, elapsed)),
    }
}

/// The rate in the backup summary.
pub fn rate(processed: u64, elapsed: Duration) -> String {
    if processed == 0 {
        return "unchanged".into();
    }
    format!("{}/s", super::bytes(per_sec(processed, elapsed) as u64))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rate_counts_only_what_was_processed() {
        assert_eq!(rate(0, Duration::from_secs(1)), "unchanged");
        assert_eq!(rate(3 << 20, Duration::from_secs(2)), "1.5 MiB/s");
    }

    #[test]
    fn a_bar_says_unchanged_only_when_it_moved_without_reading() {
        let counts = Counts::default();
        let two = Duration::from_secs(2);
        assert_eq!(bar_rate(Unit::Bytes, &counts, two), "0 B/s");
        counts.done.store(5 << 20, Ordering::Relaxed);
        assert_eq!(bar_rate(Unit::Bytes, &counts, two), "unchanged");
        counts.processed.store(1 << 20, Ordering::Relaxed);
        assert_eq!(bar_rate(Unit::Bytes, &counts, two), "512.0 KiB/s");
        assert_eq!(bar_rate(Unit::Items, &counts, two), "524288.0/s");
    }
}
