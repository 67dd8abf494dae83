//! Progress as JSON events for wrappers (docs/OUTPUT.md, "Progress"): one compact object
//! per line on stderr, at most one per interval while a task runs, and always one last
//! event with `"final": true`. Stdout keeps nothing but the command's result, so the
//! documents `--json` prints there read as before.

use std::collections::BTreeMap;
use std::io::Write;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crossbeam_channel::{bounded, RecvTimeoutError, Sender};

use super::progress::{per_sec, Counts, Unit};

/// The default time between two events of a task.
const INTERVAL: Duration = Duration::from_secs(1);

/// The interval, unless `CAIRN_PROGRESS_INTERVAL_MS` sets another (for tests, which
/// would otherwise need tasks longer than a second to see more than the final event;
/// a shorter one also redraws the bar that often).
pub fn interval() -> Duration {
    std::env::var("CAIRN_PROGRESS_INTERVAL_MS")
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
        .map_or(INTERVAL, |ms| Duration::from_millis(ms.max(1)))
}

/// What every event of one task says.
struct Task {
    command: &'static str,
    what: String,
    unit: Unit,
    total: Option<u64>,
    counts: Arc<Counts>,
    started: Instant,
}

/// One event, its fields in the order docs/OUTPUT.md lists them.
#[derive(serde::Serialize)]
struct Event<'a> {
    r#type: &'static str,
    command: &'static str,
    task: &'a str,
    unit: &'static str,
    /// `bytes_done` and `bytes_total`, or `items_done` and `items_total`.
    #[serde(flatten)]
    counts: BTreeMap<String, Option<u64>>,
    rate: u64,
    eta_secs: Option<u64>,
    elapsed_secs: f64,
    r#final: bool,
}

impl Task {
    fn event(&self, last: bool) -> Event<'_> {
        let done = self.counts.done.load(Ordering::Relaxed);
        let processed = self.counts.processed.load(Ordering::Relaxed);
        let elapsed = self.started.elapsed();
        let unit = self.unit.name();
        let counts = BTreeMap::from([
            (format!("{unit}_done"), Some(done)),
            (format!("{unit}_total"), self.total),
        ]);
        Event {
            r#type: "progress",
            command: self.command,
            task: &self.what,
            unit,
            counts,
            rate: per_sec(processed, elapsed).round() as u64,
            eta_secs: if last {
                Some(0)
            } else {
                eta(done, self.total, elapsed)
            },
            elapsed_secs: (elapsed.as_secs_f64() * 1000.0).round() / 1000.0,
            r#final: last,
        }
    }

    fn emit(&self, last: bool) {
        let mut line = serde_json::to_string(&self.event(last)).expect("an event serialises");
        line.push('\n');
        // One write of the whole line, so that nothing else written to stderr (a warning
        // from another thread, a child's message) lands inside it; a closed stderr loses
        // the event, nothing more.
        let _ = std::io::stderr().lock().write_all(line.as_bytes());
    }
}

/// Seconds left at the pace so far, once there is a pace and a total to reach.
fn eta(done: u64, total: Option<u64>, elapsed: Duration) -> Option<u64> {
    let total = total?;
    if done == 0 {
        return None;
    }
    let left = total.saturating_sub(done) as f64;
    Some((left * elapsed.as_secs_f64() / done as f64).round() as u64)
}

/// A task's events: a thread that sends one per interval until [`Events::finish`].
pub struct Events {
    task: Arc<Task>,
    ticker: Mutex<Option<(Sender<()>, JoinHandle<()>)>>,
}

impl Events {
    pub fn start(
        command: &'static str,
        what: &str,
        unit: Unit,
        total: Option<u64>,
        counts: Arc<Counts>,
    ) -> Events {
        let task = Arc::new(Task {
            command,
            what: what.to_string(),
            unit,
            total,
            counts,
            started: Instant::now(),
        });
        let (stop, stopped) = bounded::<()>(1);
        let every = interval();
        let ticking = task.clone();
        let ticker = std::thread::Builder::new()
            .name("progress events".into())
            .spawn(move || loop {
                match stopped.recv_timeout(every) {
                    Err(RecvTimeoutError::Timeout) => ticking.emit(false),
                    _ => return,
                }
            })
            .ok()
            .map(|handle| (stop, handle));
        Events {
            task,
            ticker: Mutex::new(ticker),
        }
    }

    /// Stops the periodic events, then sends the final one, so it is the last line.
    pub fn finish(&self) {
        let ticker = self.ticker.lock().map(|mut t| t.take()).unwrap_or(None);
        if let Some((stop, handle)) = ticker {
            drop(stop);
            let _ = handle.join();
        }
        self.task.emit(true);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    fn event(t: &Task, last: bool) -> Value {
        serde_json::to_value(t.event(last)).unwrap()
    }

    fn task(unit: Unit, total: Option<u64>, done: u64, processed: u64) -> Task {
        let counts = Counts::default();
        counts.done.store(done, Ordering::Relaxed);
        counts.processed.store(processed, Ordering::Relaxed);
        Task {
            command: "backup",
            what: "backup".into(),
            unit,
            total,
            counts: Arc::new(counts),
            started: Instant::now() - Duration::from_secs(4),
        }
    }

    #[test]
    fn an_event_names_its_unit_and_counts_only_processed_bytes_in_the_rate() {
        let e = event(&task(Unit::Bytes, Some(1000), 400, 100), false);
        assert_eq!(e["type"], "progress");
        assert_eq!(e["command"], "backup");
        assert_eq!(e["bytes_done"], 400);
        assert_eq!(e["bytes_total"], 1000);
        // 100 bytes read in about 4 s; the 300 skipped ones do not count.
        assert_eq!(e["rate"], 25);
        // 600 left at 100 per second (what moved the bar).
        assert_eq!(e["eta_secs"], 6);
        assert_eq!(e["final"], false);
        assert!(e.get("items_done").is_none());
    }

    #[test]
    fn without_a_total_or_a_pace_there_is_no_eta() {
        let e = event(&task(Unit::Items, None, 3, 3), false);
        assert_eq!(e["items_done"], 3);
        assert!(e["items_total"].is_null() && e["eta_secs"].is_null());
        let e = event(&task(Unit::Bytes, Some(10), 0, 0), false);
        assert!(e["eta_secs"].is_null());
        let e = event(&task(Unit::Bytes, Some(10), 10, 10), true);
        assert_eq!(
            (e["eta_secs"].clone(), e["final"].clone()),
            (json!(0), json!(true))
        );
    }
}
