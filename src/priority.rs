//! How much CPU and disk cairn may take from the applications it backs up: a profile's
//! `nice` and `ionice`, and the global `--nice` and `--ionice` flags (which win).
//!
//! Both are set on cairn itself, on every one of its threads, before the work starts,
//! so whatever it starts (hooks, a source command, `pg_dump`) inherits them and its own
//! reading, hashing and uploading yields too. Linux keeps both per thread and a new
//! thread copies its creator's, so the threads already running (a signal watcher) are
//! changed one by one from `/proc/self/task`.
//!
//! `cairn run a b` runs profiles one after another in one process: a profile that sets
//! neither returns to what cairn started with, as far as the kernel lets an unprivileged
//! process go back (it may lower its priority, never raise it again).

use std::fmt;
use std::io;
use std::str::FromStr;
use std::sync::{Mutex, OnceLock};

use rustix::process::Pid;
use serde::Deserialize;

/// A nice value, -20 (most CPU) to 19 (least).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Nice(i32);

impl Nice {
    pub const RANGE: std::ops::RangeInclusive<i32> = -20..=19;

    pub fn new(n: i64) -> Result<Nice, String> {
        i32::try_from(n)
            .ok()
            .filter(|n| Self::RANGE.contains(n))
            .map(Nice)
            .ok_or_else(|| format!("{n} is out of range: {NICE_RANGE}"))
    }

    pub fn get(self) -> i32 {
        self.0
    }
}

const NICE_RANGE: &str = "give -20 (most CPU) to 19 (least), e.g. 10";

impl FromStr for Nice {
    type Err = String;
    fn from_str(s: &str) -> Result<Nice, String> {
        let n: i64 = s
            .trim()
            .parse()
            .map_err(|_| format!("{s:?} is not a whole number: {NICE_RANGE}"))?;
        Nice::new(n)
    }
}

impl fmt::Display for Nice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl<'de> Deserialize<'de> for Nice {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Nice, D::Error> {
        match toml::Value::deserialize(d)? {
            toml::Value::Integer(n) => Nice::new(n),
            other => Err(format!("{other} is not a whole number: {NICE_RANGE}")),
        }
        .map_err(|e| serde::de::Error::custom(format!("nice: {e}")))
    }
}

/// An I/O scheduling class and, for the two that have them, a level from 0 (first
/// served) to 7 (last). Written `idle`, `best-effort:N` or `realtime:N`; without `:N`
/// the level is 4, as `ionice` makes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IoPriority {
    Idle,
    BestEffort(u8),
    Realtime(u8),
}

const DEFAULT_IO_LEVEL: u8 = 4;

impl IoPriority {
    /// The value `ioprio_set` takes: the class in the top bits, the level below.
    fn raw(self) -> i32 {
        const CLASS_SHIFT: i32 = 13;
        let (class, level) = match self {
            IoPriority::Realtime(l) => (1, l),
            IoPriority::BestEffort(l) => (2, l),
            IoPriority::Idle => (3, 0),
        };
        (class << CLASS_SHIFT) | i32::from(level)
    }
}

impl FromStr for IoPriority {
    type Err = String;
    fn from_str(s: &str) -> Result<IoPriority, String> {
        let wrong = || {
            format!(
                "{s:?} is not an I/O priority: give idle, best-effort:N or realtime:N (N from \
                 0, first served, to 7, last)"
            )
        };
        let (class, level) = match s.trim().split_once(':') {
            Some((c, l)) => (c, Some(l)),
            None => (s.trim(), None),
        };
        let level = match level {
            None => None,
            Some(l) => Some(
                l.trim()
                    .parse::<u8>()
                    .ok()
                    .filter(|l| *l <= 7)
                    .ok_or_else(wrong)?,
            ),
        };
        match (class.trim(), level) {
            ("idle", None) => Ok(IoPriority::Idle),
            ("idle", Some(_)) => Err(format!("{s:?}: the idle class has no level")),
            ("best-effort", l) => Ok(IoPriority::BestEffort(l.unwrap_or(DEFAULT_IO_LEVEL))),
            ("realtime", l) => Ok(IoPriority::Realtime(l.unwrap_or(DEFAULT_IO_LEVEL))),
            _ => Err(wrong()),
        }
    }
}

impl fmt::Display for IoPriority {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IoPriority::Idle => f.write_str("idle"),
            IoPriority::BestEffort(l) => write!(f, "best-effort:{l}"),
            IoPriority::Realtime(l) => write!(f, "realtime:{l}"),
        }
    }
}

impl<'de> Deserialize<'de> for IoPriority {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<IoPriority, D::Error> {
        match toml::Value::deserialize(d)? {
            toml::Value::String(s) => s.parse(),
            other => Err(format!("{other} is not an I/O priority: give a string such as \"idle\" or \"best-effort:7\"")),
        }
        .map_err(|e| serde::de::Error::custom(format!("ionice: {e}")))
    }
}

/// What one command or profile asks for; unset fields leave cairn as it started.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Priority {
    pub nice: Option<Nice>,
    pub io: Option<IoPriority>,
}

impl Priority {
    /// Each setting from `self` where it is set, else from `other`.
    pub fn or(self, other: Priority) -> Priority {
        Priority {
            nice: self.nice.or(other.nice),
            io: self.io.or(other.io),
        }
    }
}

/// A setting the kernel refused, as one line naming it.
#[derive(Debug, thiserror::Error)]
#[error("{setting}: {why} ({})", reason(cause))]
pub struct PriorityError {
    setting: String,
    why: &'static str,
    cause: io::Error,
}

/// "Permission denied", without the " (os error 13)" the line has no room for.
fn reason(e: &io::Error) -> String {
    let s = e.to_string();
    match s.find(" (os error") {
        Some(i) => s[..i].to_string(),
        None => s,
    }
}

/// What cairn started with: nice value and raw I/O priority.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Levels {
    nice: i32,
    io: i32,
}

static STARTED_WITH: OnceLock<Levels> = OnceLock::new();
/// What cairn's threads run at now, as this module last set it.
static NOW: Mutex<Option<Levels>> = Mutex::new(None);

fn started_with() -> Levels {
    *STARTED_WITH.get_or_init(|| Levels {
        nice: rustix::process::getpriority_process(None).unwrap_or(0),
        io: ioprio_get().unwrap_or(0),
    })
}

/// Sets every thread of cairn to `want`, returning what `want` leaves unset to what
/// cairn started with. Asking for more than the process may have (a negative nice, the
/// realtime class, as an unprivileged user) is an error; failing to go back to the
/// start for an unset field is a warning, since nothing asked for it.
pub fn apply(want: Priority) -> Result<(), PriorityError> {
    let start = started_with();
    let mut now = NOW.lock().unwrap_or_else(|e| e.into_inner());
    // Updated as each setting takes, so that a refused second one leaves it true.
    let cur = now.get_or_insert(start);
    match want.nice {
        Some(n) if n.get() != cur.nice => {
            each_thread(|t| set_nice(t, n.get())).map_err(|cause| PriorityError {
                setting: format!("nice {n}"),
                why: if n.get() < cur.nice {
                    "a higher priority than cairn runs at needs root or CAP_SYS_NICE"
                } else {
                    "cannot change cairn's priority"
                },
                cause,
            })?;
            cur.nice = n.get();
        }
        None if cur.nice != start.nice => match each_thread(|t| set_nice(t, start.nice)) {
            Ok(()) => cur.nice = start.nice,
            Err(e) => crate::ui::warn(&format!(
                "cannot return to nice {} after the profile before ({}); staying at {}",
                start.nice,
                reason(&e),
                cur.nice
            )),
        },
        _ => {}
    }
    match want.io {
        Some(p) if p.raw() != cur.io => {
            each_thread(|t| ioprio_set(t, p.raw())).map_err(|cause| PriorityError {
                setting: format!("ionice {p}"),
                why: match p {
                    IoPriority::Realtime(_) => "the realtime class needs root or CAP_SYS_NICE",
                    _ => "cannot set cairn's I/O priority",
                },
                cause,
            })?;
            cur.io = p.raw();
        }
        None if cur.io != start.io => match each_thread(|t| ioprio_set(t, start.io)) {
            Ok(()) => cur.io = start.io,
            Err(e) => crate::ui::warn(&format!(
                "cannot return to the I/O priority cairn started with after the profile \
                 before ({})",
                reason(&e)
            )),
        },
        _ => {}
    }
    Ok(())
}

/// Runs `f` for every thread of the process (`None`, this thread, where there is no
/// /proc to list them). A thread that ended meanwhile is skipped; any other error ends
/// the walk and is returned.
fn each_thread(mut f: impl FnMut(Option<Pid>) -> io::Result<()>) -> io::Result<()> {
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return f(None);
    };
    for entry in tasks {
        let tid = entry?
            .file_name()
            .to_str()
            .and_then(|s| s.parse::<i32>().ok())
            .and_then(Pid::from_raw);
        let Some(tid) = tid else { continue };
        match f(Some(tid)) {
            Err(e) if e.raw_os_error() == Some(libc::ESRCH) => {}
            other => other?,
        }
    }
    Ok(())
}

/// `setpriority(PRIO_PROCESS, tid)`: on Linux, one thread's nice value (`None`: this one).
fn set_nice(tid: Option<Pid>, n: i32) -> io::Result<()> {
    rustix::process::setpriority_process(tid, n).map_err(io::Error::from)
}

const IOPRIO_WHO_PROCESS: libc::c_int = 1;

#[cfg(target_os = "linux")]
fn ioprio_get() -> io::Result<i32> {
    ioprio_syscall(libc::SYS_ioprio_get, 0, None)
}

#[cfg(target_os = "linux")]
fn ioprio_set(tid: Option<Pid>, raw: i32) -> io::Result<()> {
    ioprio_syscall(libc::SYS_ioprio_set, Pid::as_raw(tid), Some(raw)).map(|_| ())
}

/// `ioprio_get`/`ioprio_set` for one thread (0: this one); neither has a libc wrapper.
#[cfg(target_os = "linux")]
#[allow(unsafe_code)]
fn ioprio_syscall(nr: libc::c_long, tid: libc::c_int, raw: Option<i32>) -> io::Result<i32> {
    // SAFETY: both calls take plain integers (who, which, and for set the priority) and
    // touch no memory of ours; a bad value is refused with an errno.
    let rc = unsafe {
        match raw {
            Some(p) => libc::syscall(nr, IOPRIO_WHO_PROCESS, tid, p),
            None => libc::syscall(nr, IOPRIO_WHO_PROCESS, tid),
        }
    };
    if rc < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(rc as i32)
}

#[cfg(not(target_os = "linux"))]
fn ioprio_get() -> io::Result<i32> {
    Ok(0)
}

#[cfg(not(target_os = "linux"))]
fn ioprio_set(_: Option<Pid>, _: i32) -> io::Result<()> {
    Err(io::Error::new(
        io::ErrorKind::Unsupported,
        "I/O priorities are a Linux feature",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn io_priorities_parse_and_show_as_written() {
        for (text, want) in [
            ("idle", IoPriority::Idle),
            ("best-effort:7", IoPriority::BestEffort(7)),
            ("best-effort", IoPriority::BestEffort(4)),
            ("realtime:0", IoPriority::Realtime(0)),
        ] {
            assert_eq!(text.parse(), Ok(want), "{text}");
        }
        assert_eq!(IoPriority::BestEffort(7).to_string(), "best-effort:7");
        for bad in ["", "fast", "best-effort:8", "idle:3", "realtime:-1", "be:2"] {
            assert!(bad.parse::<IoPriority>().is_err(), "{bad}");
        }
        assert_eq!(IoPriority::Idle.raw(), 3 << 13);
        assert_eq!(IoPriority::BestEffort(7).raw(), (2 << 13) | 7);
    }

    #[test]
    fn nice_values_stay_in_range() {
        assert_eq!("19".parse(), Ok(Nice(19)));
        assert_eq!("-20".parse(), Ok(Nice(-20)));
        for bad in ["20", "-21", "ten", "1.5", "99999999999"] {
            assert!(bad.parse::<Nice>().is_err(), "{bad}");
        }
    }

    #[test]
    fn the_command_line_wins_field_by_field() {
        let flags = Priority {
            nice: Some(Nice(19)),
            io: None,
        };
        let profile = Priority {
            nice: Some(Nice(5)),
            io: Some(IoPriority::Idle),
        };
        assert_eq!(
            flags.or(profile),
            Priority {
                nice: Some(Nice(19)),
                io: Some(IoPriority::Idle)
            }
        );
    }
}
