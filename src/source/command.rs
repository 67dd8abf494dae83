//! A command whose standard output is the backup (`--stdin-from 'pg_dump …'`).
//!
//! The output is read as it comes. Standard error is drained on its own thread (so the
//! child never blocks on a full pipe) and passed through, keeping the last line for the
//! error message. A non-zero exit makes the final read fail, so a truncated dump can
//! never end as a good snapshot.

use std::io::{self, BufRead, BufReader, Read};
use std::process::{Child, ChildStdout, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

pub struct CommandReader {
    program: String,
    child: Child,
    stdout: ChildStdout,
    stderr_thread: Option<JoinHandle<()>>,
    last_err: Arc<Mutex<String>>,
    finished: bool,
}

impl CommandReader {
    /// Runs `command` through `sh -c`. Only the program's name is used in messages, as
    /// the rest of the line may hold something secret.
    pub fn spawn(command: &str) -> io::Result<CommandReader> {
        let program = command
            .split_whitespace()
            .next()
            .unwrap_or("(empty)")
            .to_string();
        let mut child = Command::new("sh")
            .arg("-c")
            .arg(command)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| io::Error::new(e.kind(), format!("cannot start `{program}`: {e}")))?;
        let stdout = child.stdout.take().expect("stdout was piped");
        let stderr = child.stderr.take().expect("stderr was piped");
        let last_err = Arc::new(Mutex::new(String::new()));
        let keep = last_err.clone();
        let stderr_thread = std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                eprintln!("{line}");
                if !line.trim().is_empty() {
                    *keep.lock().unwrap() = line;
                }
            }
        });
        Ok(CommandReader {
            program,
            child,
            stdout,
            stderr_thread: Some(stderr_thread),
            last_err,
            finished: false,
        })
    }

    fn wait(&mut self) -> io::Result<()> {
        let status = self.child.wait()?;
        if let Some(t) = self.stderr_thread.take() {
            let _ = t.join();
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
            "command `{}` failed ({how}){detail}",
            self.program
        )))
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
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_is_read_and_success_is_clean() {
        let mut r = CommandReader::spawn("printf hello").unwrap();
        let mut s = String::new();
        r.read_to_string(&mut s).unwrap();
        assert_eq!(s, "hello");
    }

    #[test]
    fn failure_at_the_end_is_an_error_naming_the_program() {
        let mut r = CommandReader::spawn("printf partial; echo 'boom here' >&2; exit 3").unwrap();
        let mut v = Vec::new();
        let err = r.read_to_end(&mut v).unwrap_err().to_string();
        assert!(
            err.contains("`printf`") && err.contains("exit status 3"),
            "{err}"
        );
        assert!(err.contains("boom here"), "{err}");
    }
}
