//! Stopping cleanly on SIGINT, SIGTERM and SIGHUP (Ctrl-C, `timeout`, `systemctl stop`,
//! a closed terminal).
//!
//! Dying on the spot would leave a lock object that warns on every later command, and a
//! `cairn run` would skip the `after` hook that restarts the service its `before` hook
//! stopped. So the first signal only sets a flag. The work polls it where it waits or
//! loops (every backend call, every blob stored, every directory entry, children being
//! waited for) and returns [`Interrupted`], which unwinds like any other error: lock
//! guards delete their objects, `cairn run` runs its `after` and `on_failure` hooks and
//! sends its pings. A second signal ends the process at once, with the exit code of the
//! signal (128 + its number), for when that cleanup hangs.

use std::cell::Cell;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use libc::c_int;
use signal_hook::flag;

static REQUESTED: AtomicBool = AtomicBool::new(false);
/// The first signal's number.
static SIGNAL: AtomicUsize = AtomicUsize::new(0);
/// Set while nothing would be left behind by dying (a passphrase prompt), so that one
/// Ctrl-C is enough there.
static AT_ONCE: AtomicBool = AtomicBool::new(false);
/// How many [`Owed`] guards live.
static OWED: AtomicUsize = AtomicUsize::new(0);

const SIGNALS: [c_int; 3] = [libc::SIGHUP, libc::SIGINT, libc::SIGTERM];

/// How often a wait that cannot be woken by the signal looks at the flag.
pub const POLL: Duration = Duration::from_millis(50);

/// Installs the handlers; called once, in `main`, before any work starts.
pub fn install() -> std::io::Result<()> {
    for sig in SIGNALS {
        // Actions run in the order they were registered: the exits look at the flags
        // as they were before this signal.
        flag::register_conditional_shutdown(sig, 128 + sig, &REQUESTED)?;
        flag::register_conditional_shutdown(sig, 128 + sig, &AT_ONCE)?;
        flag::register_usize(sig, &SIGNAL, sig as usize)?;
        flag::register(sig, &REQUESTED)?;
    }
    Ok(())
}

/// Whether a signal asked us to stop.
pub fn requested() -> bool {
    REQUESTED.load(Ordering::SeqCst)
}

/// The signal that asked us to stop, if one did.
pub fn caught() -> Option<Caught> {
    match SIGNAL.load(Ordering::SeqCst) {
        0 => None,
        n => Some(Caught(n as c_int)),
    }
}

/// A signal received.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Caught(c_int);

impl Caught {
    pub fn name(self) -> &'static str {
        match self.0 {
            libc::SIGHUP => "SIGHUP",
            libc::SIGINT => "SIGINT",
            libc::SIGTERM => "SIGTERM",
            _ => "a signal",
        }
    }

    /// What a shell reports for a process this signal killed: 129, 130, 143.
    pub fn exit_code(self) -> u8 {
        (128 + self.0).clamp(0, 255) as u8
    }
}

/// The error the work returns when it stopped for a signal.
#[derive(Debug, Clone, Copy, thiserror::Error)]
#[error("interrupted by {}", caught().map_or("a signal", Caught::name))]
pub struct Interrupted;

thread_local! {
    static CLEANING_UP: Cell<bool> = const { Cell::new(false) };
}

/// Fails once a signal asked us to stop, except inside [`cleanup`].
pub fn check() -> Result<(), Interrupted> {
    if requested() && !CLEANING_UP.with(Cell::get) {
        return Err(Interrupted);
    }
    Ok(())
}

/// Runs `f` with [`check`] passing on this thread: the work that undoes what an
/// interrupted command did (deleting its lock object) must not itself be refused.
pub fn cleanup<T>(f: impl FnOnce() -> T) -> T {
    let before = CLEANING_UP.with(|c| c.replace(true));
    let out = f();
    CLEANING_UP.with(|c| c.set(before));
    out
}

/// Runs `f` as [`cleanup`] work if `cleaning` (what [`cleaning_up`] said on the thread
/// that spawned this one): a helper thread of cleanup work is cleanup work too.
pub fn cleanup_if<T>(cleaning: bool, f: impl FnOnce() -> T) -> T {
    match cleaning {
        true => cleanup(f),
        false => f(),
    }
}

/// Whether this thread is running [`cleanup`] work.
pub fn cleaning_up() -> bool {
    CLEANING_UP.with(Cell::get)
}

/// Runs `f` (a prompt) with one signal ending the process at once: before any work has
/// started there is nothing to clean up, and a Ctrl-C that seemed ignored would be worse.
/// Not while something is [`owe`]d: then the prompt waits like any other work.
pub fn at_once<T>(f: impl FnOnce() -> T) -> T {
    let armed = OWED.load(Ordering::SeqCst) == 0;
    AT_ONCE.store(armed, Ordering::SeqCst);
    let out = f();
    AT_ONCE.store(false, Ordering::SeqCst);
    out
}

/// Something started that an interrupted command must still undo (a `before` hook,
/// whose `after` must run); see [`at_once`].
pub struct Owed(());

pub fn owe() -> Owed {
    OWED.fetch_add(1, Ordering::SeqCst);
    Owed(())
}

impl Drop for Owed {
    fn drop(&mut self) {
        OWED.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Sleeps for `d`, or less if a signal asks us to stop meanwhile.
pub fn sleep(d: Duration) -> Result<(), Interrupted> {
    let end = Instant::now() + d;
    loop {
        check()?;
        let left = end.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Ok(());
        }
        std::thread::sleep(left.min(POLL));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // The flag itself is process-wide, so setting it here would stop every other unit
    // test running beside this one; tests/signals.rs sends real signals to the binary.
    #[test]
    fn exit_codes_are_those_a_shell_reports() {
        assert_eq!(Caught(libc::SIGINT).exit_code(), 130);
        assert_eq!(Caught(libc::SIGTERM).exit_code(), 143);
        assert_eq!(Caught(libc::SIGHUP).exit_code(), 129);
        assert_eq!(Caught(libc::SIGTERM).name(), "SIGTERM");
    }
}
