//! The programs cairn starts: `--stdin-from` and profile commands, hooks and probes such
//! as `pg_isready`. They are written by the user but run beside cairn's own secrets, so
//! what they inherit ([`env`]) and how they are named in messages ([`redact`]) is decided
//! here, once, rather than at each `Command::new`.

pub mod env;
pub mod redact;

use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use rustix::process::{getrlimit, kill_process_group, setrlimit, Pid, Resource, Rlimit, Signal};

pub use env::PassEnv;

/// `sh -c COMMAND` with standard input closed, both outputs piped, and the environment
/// without cairn's and the stores' secrets (except those `pass` names).
///
/// The child leads a process group of its own: a Ctrl-C on the terminal reaches cairn
/// alone, which decides what to stop ([`stop_on_interrupt`]) and what must still run (an
/// `after` hook), and stopping the group stops what the shell started too.
pub fn shell(command: &str, pass: &PassEnv) -> Command {
    let mut c = program("sh", pass);
    c.arg("-c").arg(command);
    c
}

/// `program` run directly, without a shell (arguments added by the caller), set up as
/// [`shell`] sets up its `sh`: for tools cairn drives itself, such as `pg_dump`, whose
/// arguments must never pass through a shell's word splitting.
pub fn program(program: &str, pass: &PassEnv) -> Command {
    let mut c = Command::new(program);
    c.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0);
    env::restrict(&mut c, pass);
    if let Some(limit) = INHERITED_NOFILE.get().copied() {
        // SAFETY: the closure runs in the forked child before exec and only makes one
        // system call (setrlimit), which is async-signal-safe; it allocates nothing.
        #[allow(unsafe_code)]
        unsafe {
            c.pre_exec(move || {
                let _ = setrlimit(Resource::Nofile, limit);
                Ok(())
            });
        }
    }
    c
}

/// The open-files limit cairn was started with, given back to what it starts.
static INHERITED_NOFILE: std::sync::OnceLock<Rlimit> = std::sync::OnceLock::new();

/// The walk of a tree holds a descriptor per directory level it is in (so that no
/// path grows beyond PATH_MAX), and restore opens files by the hundred: a soft limit of
/// 1024 would end a backup of a tree a thousand levels deep. Raising it up to the hard
/// limit is what any process may do. Children get the limit cairn was started with
/// back ([`program`]): a hook or a dump tool that closes every descriptor up to its
/// limit, or uses `select`, should not meet a limit of a million.
pub fn open_files_up_to_the_hard_limit() {
    let limit = getrlimit(Resource::Nofile);
    if limit.current != limit.maximum {
        let raised = Rlimit {
            current: limit.maximum,
            maximum: limit.maximum,
        };
        if setrlimit(Resource::Nofile, raised).is_ok() {
            let _ = INHERITED_NOFILE.set(limit);
        }
    }
}

/// Sends `sig` to the process group a [`shell`] child leads.
pub fn signal_group(child: &Child, sig: Signal) {
    // It may be gone already, which is what we wanted.
    let _ = kill_process_group(Pid::from_child(child), sig);
}

/// How long a hook or a source command may run (`timeout = "2h"` in a profile).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeout(Duration);

impl Timeout {
    pub fn get(self) -> Duration {
        self.0
    }
}

impl std::str::FromStr for Timeout {
    type Err = String;
    /// A duration as `crate::units::parse_duration` reads it (`90s`, `30m`, `2h`), not zero.
    fn from_str(s: &str) -> Result<Timeout, String> {
        let d = crate::units::parse_duration(s)?;
        if d.is_zero() {
            return Err(format!("{s:?} must be longer than zero"));
        }
        Ok(Timeout(d))
    }
}

impl std::fmt::Display for Timeout {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&crate::units::format_duration(self.0))
    }
}

impl<'de> serde::Deserialize<'de> for Timeout {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Timeout, D::Error> {
        String::deserialize(d)?
            .parse()
            .map_err(|e| serde::de::Error::custom(format!("timeout: {e}")))
    }
}

/// How long a child that overran its timeout has between SIGTERM and SIGKILL.
pub const TIMEOUT_GRACE: Duration = Duration::from_secs(10);

/// While it lives, watches a child's process group: a signal to cairn
/// (`crate::interrupt`) sends it SIGTERM when `on_interrupt`, and so does running past
/// `timeout`, followed by SIGKILL when the group outlives [`TIMEOUT_GRACE`]. A blocking
/// read of the child's output or a wait for its exit cannot look at the clock or the
/// flag itself; ending the child ends them.
///
/// Drop it only once the child's output pipes are drained: until then, the SIGKILL
/// still reaches what the shell left behind holding them.
pub struct Watch {
    done: Arc<AtomicBool>,
    timed_out: Arc<AtomicBool>,
    watcher: Option<JoinHandle<()>>,
}

/// [`watch`] for a signal only.
pub fn stop_on_interrupt(child: &Child) -> Watch {
    watch(child, true, None)
}

pub fn watch(child: &Child, on_interrupt: bool, timeout: Option<Timeout>) -> Watch {
    let done = Arc::new(AtomicBool::new(false));
    let timed_out = Arc::new(AtomicBool::new(false));
    let (stop, overran) = (done.clone(), timed_out.clone());
    let group = Pid::from_child(child);
    let deadline = timeout.map(|t| Instant::now() + t.get());
    let watcher = std::thread::spawn(move || {
        let mut kill_at = None;
        while !stop.load(Ordering::SeqCst) {
            let now = Instant::now();
            if kill_at.is_some_and(|k| now >= k) {
                let _ = kill_process_group(group, Signal::KILL);
                return;
            }
            if kill_at.is_none() && deadline.is_some_and(|d| now >= d) {
                overran.store(true, Ordering::SeqCst);
                let _ = kill_process_group(group, Signal::TERM);
                kill_at = Some(now + TIMEOUT_GRACE);
            }
            if on_interrupt && kill_at.is_none() && crate::interrupt::requested() {
                let _ = kill_process_group(group, Signal::TERM);
                return;
            }
            std::thread::sleep(crate::interrupt::POLL);
        }
    });
    Watch {
        done,
        timed_out,
        watcher: Some(watcher),
    }
}

impl Watch {
    /// Whether the child ran past its timeout (and was sent SIGTERM for it).
    pub fn timed_out(&self) -> bool {
        self.timed_out.load(Ordering::SeqCst)
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        self.done.store(true, Ordering::SeqCst);
        if let Some(t) = self.watcher.take() {
            let _ = t.join();
        }
    }
}
