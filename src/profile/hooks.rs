//! Hooks: shell commands run before and after a backup and on failure. Their output goes
//! to our log (stderr) line by line, prefixed with the hook's name, so that a cron log
//! shows what `systemctl stop app` said next to cairn's own lines; our stdout stays free
//! for `--json`.
//!
//! A hook gets cairn's environment without its secrets (`crate::child::env`), and its
//! output is relayed with the values its own line assigns (`PGPASSWORD=…`) blanked.
//!
//! A signal to cairn stops a `before` hook (SIGTERM to its process group), but never the
//! `after` and `on_failure` hooks: they are what an interrupted run still has to do.
//!
//! A hook that runs past the profile's `[hooks] timeout` is stopped whichever it is
//! (SIGTERM to its process group, SIGKILL after `child::TIMEOUT_GRACE`) and fails: a
//! hook that never returns would hold the run, and the profile's lock, for ever.

use std::io::{BufRead, BufReader, Read};

use crate::child::redact::Scrubber;
use crate::child::{self, PassEnv};

#[derive(Debug, thiserror::Error)]
pub enum HookError {
    #[error("hook {name}: cannot start sh: {cause}")]
    Spawn {
        name: &'static str,
        cause: std::io::Error,
    },
    #[error("hook {name} failed ({how})")]
    Failed { name: &'static str, how: String },
    #[error("hook {name} stopped: {}", crate::interrupt::Interrupted)]
    Interrupted { name: &'static str },
    #[error("hook {name} ran past its timeout of {timeout} and was stopped")]
    TimedOut {
        name: &'static str,
        timeout: child::Timeout,
    },
}

/// What a signal to cairn does to a running hook.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnSignal {
    Stop,
    Finish,
}

/// Runs `command` through `sh -c` with `env` added, passing its output to stderr.
pub fn run(
    name: &'static str,
    command: &str,
    env: &[(&str, String)],
    pass: &PassEnv,
    on_signal: OnSignal,
    timeout: Option<child::Timeout>,
) -> Result<(), HookError> {
    let mut child = child::shell(command, pass)
        .envs(env.iter().map(|(k, v)| (k, v)))
        .spawn()
        .map_err(|cause| HookError::Spawn { name, cause })?;
    let out = child.stdout.take().expect("stdout was piped");
    let err = child.stderr.take().expect("stderr was piped");
    let scrub = Scrubber::of([command]);
    let scrub_err = scrub.clone();
    // Both pipes are drained at once so a chatty hook never blocks on a full one.
    let t_out = std::thread::spawn(move || relay(name, out, &scrub));
    let t_err = std::thread::spawn(move || relay(name, err, &scrub_err));
    let watch = child::watch(&child, on_signal == OnSignal::Stop, timeout);
    let status = child
        .wait()
        .map_err(|cause| HookError::Spawn { name, cause })?;
    // The relays end when the last holder of the pipes does; past the timeout, that is
    // at the latest the watch's SIGKILL to the group.
    let _ = t_out.join();
    let _ = t_err.join();
    let timed_out = watch.timed_out();
    drop(watch);
    if let (true, Some(timeout)) = (timed_out, timeout) {
        return Err(HookError::TimedOut { name, timeout });
    }
    if on_signal == OnSignal::Stop && crate::interrupt::requested() {
        return Err(HookError::Interrupted { name });
    }
    if status.success() {
        return Ok(());
    }
    Err(HookError::Failed {
        name,
        how: crate::source::command::describe_exit(status),
    })
}

fn relay(name: &str, from: impl Read, scrub: &Scrubber) {
    for line in BufReader::new(from).split(b'\n') {
        let Ok(line) = line else { break };
        let line = scrub.scrub(String::from_utf8_lossy(&line).trim_end());
        // Not `eprintln!`, which panics when stderr is gone (the terminal closed: SIGHUP);
        // this thread must go on draining the pipe, or the hook dies on SIGPIPE.
        crate::ui::line(&format!("[hook {name}] {line}"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_reaches_the_hook_and_failure_is_reported() {
        let d = tempfile::tempdir().unwrap();
        let f = d.path().join("out");
        let cmd = format!("echo \"$CAIRN_PROFILE $CAIRN_RESULT\" > {}", f.display());
        run(
            "after",
            &cmd,
            &[
                ("CAIRN_PROFILE", "app".into()),
                ("CAIRN_RESULT", "success".into()),
            ],
            &PassEnv::default(),
            OnSignal::Finish,
            None,
        )
        .unwrap();
        assert_eq!(std::fs::read_to_string(&f).unwrap(), "app success\n");
        let e = run(
            "before",
            "echo going; exit 7",
            &[],
            &PassEnv::default(),
            OnSignal::Stop,
            None,
        )
        .unwrap_err()
        .to_string();
        assert_eq!(e, "hook before failed (exit status 7)");
    }
}
