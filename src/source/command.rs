//! A command whose standard output is the backup (`--stdin-from 'pg_dump …'`).
//!
//! The output is read as it comes. Standard error is drained on its own thread (so the
//! child never blocks on a full pipe) and passed through, keeping the last line for the
//! error message. A non-zero exit makes the final read fail, so a truncated dump can
//! never end as a good snapshot.
//!
//! A signal to cairn stops the command (its whole process group), which ends the read;
//! so does dropping the reader before the end, as an interrupted or failed backup does,
//! and running past its timeout (a profile's `[source] timeout`), which fails the read
//! whatever the command's exit status: its output was cut short.
//!
//! The command runs without cairn's secrets in its environment (`crate::child`), and
//! what it prints and what we say about it pass through the redaction of its line.

use std::io::{self, BufRead, BufReader, Read};
use std::process::{Child, ChildStdin, ChildStdout, Command};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use crate::child::redact::{self, Scrubber};
use crate::child::{self, PassEnv};

pub struct CommandReader {
    /// Names the command in the error of a failed run: "command `pg_dump`".
    label: String,
    child: Child,
    stdout: ChildStdout,
    stderr_thread: Option<JoinHandle<()>>,
    last_err: Arc<Mutex<String>>,
    finished: bool,
    watch: child::Watch,
    timeout: Option<child::Timeout>,
}

impl CommandReader {
    /// Runs `command` through `sh -c`, with the withheld variables `pass` names. Messages
    /// name it by its redacted head (`PGPASSWORD=*** pg_dump`): the arguments may hold
    /// secrets that no redaction rule knows.
    ///
    /// Past `timeout`, the command's process group is stopped and the read fails.
    pub fn spawn(
        command: &str,
        pass: &PassEnv,
        timeout: Option<child::Timeout>,
    ) -> io::Result<CommandReader> {
        let program = redact::head(command);
        let child = child::shell(command, pass)
            .spawn()
            .map_err(|e| io::Error::new(e.kind(), format!("cannot start `{program}`: {e}")))?;
        Ok(CommandReader::attach(
            child,
            format!("command `{program}`"),
            Scrubber::of([command]),
            timeout,
        ))
    }

    /// Starts a prepared command (`crate::child::program`: stdout and stderr piped, a
    /// process group of its own); a failure reads "`label` failed (exit status 1): …".
    /// Its stdin stays as the command set it; a piped one is [`Self::take_stdin`]'s.
    pub fn start(mut command: Command, label: String) -> io::Result<CommandReader> {
        let child = command
            .spawn()
            .map_err(|e| io::Error::new(e.kind(), format!("{label}: cannot start: {e}")))?;
        Ok(CommandReader::attach(
            child,
            label,
            Scrubber::default(),
            None,
        ))
    }

    fn attach(
        mut child: Child,
        label: String,
        scrubber: Scrubber,
        timeout: Option<child::Timeout>,
    ) -> CommandReader {
        let watch = child::watch(&child, true, timeout);
        let stdout = child.stdout.take().expect("stdout was piped");
        let stderr = child.stderr.take().expect("stderr was piped");
        let last_err = Arc::new(Mutex::new(String::new()));
        let keep = last_err.clone();
        let stderr_thread = std::thread::spawn(move || {
            let mut last = LastError::default();
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                let line = scrubber.scrub(&line);
                crate::ui::line(&line);
                last.see(&line);
                *keep.lock().unwrap() = last.summary();
            }
        });
        CommandReader {
            label,
            child,
            stdout,
            stderr_thread: Some(stderr_thread),
            last_err,
            finished: false,
            watch,
            timeout,
        }
    }

    /// The command's standard input, when it was piped.
    pub fn take_stdin(&mut self) -> Option<ChildStdin> {
        self.child.stdin.take()
    }

    fn wait(&mut self) -> io::Result<()> {
        let status = self.child.wait()?;
        if let Some(t) = self.stderr_thread.take() {
            let _ = t.join();
        }
        if let (true, Some(t)) = (self.watch.timed_out(), self.timeout) {
            return Err(io::Error::new(
                io::ErrorKind::TimedOut,
                format!("{} ran past its timeout of {t} and was stopped", self.label),
            ));
        }
        if status.success() {
            return Ok(());
        }
        let how = describe_exit(status);
        let last = self.last_err.lock().unwrap().clone();
        let detail = if last.is_empty() {
            String::new()
        } else {
            format!(": {last}")
        };
        Err(io::Error::other(format!(
            "{} failed ({how}){detail}",
            self.label
        )))
    }
}

/// What a failed command's message quotes of its stderr: the last line that says what
/// went wrong, with the first detail line after it. Indented lines continue the one
/// before ("\tIs the server running…" after psql's "connection … refused"), and
/// PostgreSQL tools follow an error with `detail:` lines, of which the first says why
/// ("server closed the connection unexpectedly") and later ones what was running.
#[derive(Default)]
struct LastError {
    line: String,
    detail: Option<String>,
}

impl LastError {
    fn see(&mut self, line: &str) {
        if line.trim().is_empty() || line.starts_with(char::is_whitespace) {
            return;
        }
        let detail = line
            .split_once(": detail: ")
            .map(|(_, d)| d)
            .or_else(|| line.strip_prefix("DETAIL:"));
        match detail {
            Some(d) if !self.line.is_empty() => {
                self.detail.get_or_insert_with(|| d.trim().to_string());
            }
            _ => {
                self.line = line.to_string();
                self.detail = None;
            }
        }
    }

    fn summary(&self) -> String {
        match &self.detail {
            Some(d) => format!("{} ({d})", self.line),
            None => self.line.clone(),
        }
    }
}

/// "exit status 3" or "killed by a signal", for messages about a child that failed.
pub fn describe_exit(status: std::process::ExitStatus) -> String {
    match status.code() {
        Some(c) => format!("exit status {c}"),
        None => "killed by a signal".to_string(),
    }
}

impl Read for CommandReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.finished {
            return Ok(0);
        }
        let n = self.stdout.read(buf)?;
        if n == 0 && !buf.is_empty() {
            self.finished = true;
            self.wait()?;
        }
        Ok(n)
    }
}

impl Drop for CommandReader {
    fn drop(&mut self) {
        if !self.finished {
            child::signal_group(&self.child, rustix::process::Signal::KILL);
            let _ = self.child.wait();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_is_read_and_success_is_clean() {
        let mut r = CommandReader::spawn("printf hello", &PassEnv::default(), None).unwrap();
        let mut s = String::new();
        r.read_to_string(&mut s).unwrap();
        assert_eq!(s, "hello");
    }

    #[test]
    fn failure_at_the_end_is_an_error_naming_the_program() {
        let cmd = "printf partial; echo 'boom here' >&2; exit 3";
        let mut r = CommandReader::spawn(cmd, &PassEnv::default(), None).unwrap();
        let mut v = Vec::new();
        let err = r.read_to_end(&mut v).unwrap_err().to_string();
        assert!(
            err.contains("`printf`") && err.contains("exit status 3"),
            "{err}"
        );
        assert!(err.contains("boom here"), "{err}");
    }

    #[test]
    fn the_error_line_is_quoted_with_its_first_detail() {
        let mut last = LastError::default();
        for l in [
            "pg_dump: error: Dumping the contents of table \"big\" failed: PQgetCopyData() failed.",
            "pg_dump: detail: Error message from server: server closed the connection unexpectedly",
            "\tThis probably means the server terminated abnormally",
            "pg_dump: detail: Command was: COPY public.big (i, h) TO stdout;",
        ] {
            last.see(l);
        }
        assert_eq!(
            last.summary(),
            "pg_dump: error: Dumping the contents of table \"big\" failed: PQgetCopyData() \
             failed. (Error message from server: server closed the connection unexpectedly)"
        );
        last.see("psql: error: connection to server at \"127.0.0.1\", port 1 failed: refused");
        last.see("\tIs the server running on that host and accepting TCP/IP connections?");
        assert_eq!(
            last.summary(),
            "psql: error: connection to server at \"127.0.0.1\", port 1 failed: refused"
        );
    }

    #[test]
    fn assigned_values_stay_out_of_the_error() {
        let cmd = "PGPASSWORD=sekrit0 sh -c 'echo \"auth $PGPASSWORD failed\" >&2; exit 2'";
        let mut r = CommandReader::spawn(cmd, &PassEnv::default(), None).unwrap();
        let err = r.read_to_end(&mut Vec::new()).unwrap_err().to_string();
        assert_eq!(
            err,
            "command `PGPASSWORD=*** sh` failed (exit status 2): auth *** failed"
        );
    }
}
