//! Byte-count progress bars on stderr, only when it is a terminal.
//!
//! The rate is what was actually read and processed per second. Files the files cache
//! shows unchanged advance the bar without being read; counting them in the rate made a
//! cached re-run claim "9 GiB/s". Until something is read the rate says `unchanged`.

use std::io::IsTerminal;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressState, ProgressStyle};

pub struct Progress {
    bar: Option<ProgressBar>,
    processed: Arc<AtomicU64>,
}

impl Progress {
    /// A progress that shows nothing, for something too small to watch.
    pub fn hidden() -> Progress {
        Progress {
            bar: None,
            processed: Arc::new(AtomicU64::new(0)),
        }
    }

    pub fn new(total: Option<u64>, what: &str) -> Progress {
        let processed = Arc::new(AtomicU64::new(0));
        if super::quiet() || !std::io::stderr().is_terminal() {
            return Progress {
                bar: None,
                processed,
            };
        }
        let bar = ProgressBar::with_draw_target(total, ProgressDrawTarget::stderr());
        let template = if total.is_some() {
            "{msg} {bar:30} {done}/{all} {rate} eta {eta}"
        } else {
            "{msg} {spinner} {done} {rate} {elapsed}"
        };
        let counted = processed.clone();
        let style = ProgressStyle::with_template(template).map(|s| {
            s.with_key("done", |st: &ProgressState, w: &mut dyn std::fmt::Write| {
                let _ = w.write_str(&super::bytes(st.pos()));
            })
            .with_key("all", |st: &ProgressState, w: &mut dyn std::fmt::Write| {
                let _ = w.write_str(&super::bytes(st.len().unwrap_or(0)));
            })
            .with_key(
                "rate",
                move |st: &ProgressState, w: &mut dyn std::fmt::Write| {
                    let _ = w.write_str(&rate(counted.load(Ordering::Relaxed), st.elapsed()));
                },
            )
        });
        if let Ok(style) = style {
            bar.set_style(style);
        }
        bar.set_message(what.to_string());
        bar.enable_steady_tick(Duration::from_millis(200));
        Progress {
            bar: Some(bar),
            processed,
        }
    }

    /// `n` bytes read and processed.
    pub fn add(&self, n: u64) {
        self.processed.fetch_add(n, Ordering::Relaxed);
        if let Some(b) = &self.bar {
            b.inc(n);
        }
    }

    /// `n` bytes accounted for without reading them (unchanged since the last backup).
    pub fn skip(&self, n: u64) {
        if let Some(b) = &self.bar {
            b.inc(n);
        }
    }

    pub fn finish(&self) {
        if let Some(b) = &self.bar {
            b.finish_and_clear();
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.finish();
    }
}

/// The rate shown next to the bar and in the backup summary.
pub fn rate(processed: u64, elapsed: Duration) -> String {
    if processed == 0 {
        return "unchanged".into();
    }
    let secs = elapsed.as_secs_f64().max(0.001);
    format!("{}/s", super::bytes((processed as f64 / secs) as u64))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rate_counts_only_what_was_processed() {
        assert_eq!(rate(0, Duration::from_secs(1)), "unchanged");
        assert_eq!(rate(3 << 20, Duration::from_secs(2)), "1.5 MiB/s");
    }
}
