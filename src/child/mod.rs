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

use rustix::process::{kill_process_group, Pid, Signal};

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
    c
}

/// Sends `sig` to the process group a [`shell`] child leads.
pub fn signal_group(child: &Child, sig: Signal) {
    // It may be gone already, which is what we wanted.
    let _ = kill_process_group(Pid::from_child(child), sig);
}

/// While it lives, a signal to cairn (`crate::interrupt`) sends SIGTERM to the child's
/// process group. A blocking read of the child's output or a wait for its exit cannot
/// look at the flag itself; ending the child ends them.
pub struct StopOnInterrupt {
    done: Arc<AtomicBool>,
    watcher: Option<JoinHandle<()>>,
}

pub fn stop_on_interrupt(child: &Child) -> StopOnInterrupt {
    let done = Arc::new(AtomicBool::new(false));
    let stop = done.clone();
    let group = Pid::from_child(child);
    let watcher = std::thread::spawn(move || {
        while !stop.load(Ordering::SeqCst) {
            if crate::interrupt::requested() {
                let _ = kill_process_group(group, Signal::TERM);
                return;
            }
            std::thread::sleep(crate::interrupt::POLL);
        }
    });
    StopOnInterrupt {
        done,
        watcher: Some(watcher),
    }
}

impl Drop for StopOnInterrupt {
    fn drop(&mut self) {
        self.done.store(true, Ordering::SeqCst);
        if let Some(t) = self.watcher.take() {
            let _ = t.join();
        }
    }
}
