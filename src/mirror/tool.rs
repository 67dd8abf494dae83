//! Running a database's client tools (psql, pg_restore…) for a mirror target: with
//! arguments, never through a shell; with the environment children get (`crate::child`),
//! which keeps the engine's own credential variables (PGPASSWORD, PGPASSFILE…) and drops
//! cairn's; stopped by a signal to cairn; and failing with the one line of their error
//! output that says what went wrong.

use std::io::{self, Read, Write};
use std::process::{Command, Stdio};

use crate::child::{self, PassEnv};

/// `program` as cairn runs the tools it drives (`crate::child::program`), with `-w`:
/// a password prompt would wait for a terminal that cron does not have.
pub fn command(program: &str) -> Command {
    let mut c = child::program(program, &PassEnv::default());
    c.arg("-w");
    c
}

/// Runs `cmd` to its end, with `input` on its standard input; returns its output.
pub fn run(mut cmd: Command, program: &str, input: Option<String>) -> Result<String, String> {
    if input.is_some() {
        cmd.stdin(Stdio::piped());
    }
    // After a signal only the work that undoes (`interrupt::cleanup`) starts a tool,
    // and it runs to its end: an interrupted mirror still drops its temporary database.
    crate::interrupt::check().map_err(|e| e.to_string())?;
    let stoppable = !crate::interrupt::requested();
    let mut child = cmd
        .spawn()
        .map_err(|e| format!("cannot start {program}: {e}"))?;
    let _stop = stoppable.then(|| child::stop_on_interrupt(&child));
    let writer = match (input, child.stdin.take()) {
        (Some(text), Some(mut stdin)) => Some(std::thread::spawn(move || {
            // A tool that stops reading early fails on its own, and says why.
            let _ = stdin.write_all(text.as_bytes());
        })),
        _ => None,
    };
    let out = child
        .wait_with_output()
        .map_err(|e| format!("{program}: {e}"))?;
    if let Some(w) = writer {
        let _ = w.join();
    }
    if out.status.success() {
        return Ok(String::from_utf8_lossy(&out.stdout).into_owned());
    }
    Err(failure(
        program,
        out.status,
        &String::from_utf8_lossy(&out.stderr),
    ))
}

/// Why a fed tool failed: its input (the repository) or the tool itself.
#[derive(Debug, PartialEq, Eq)]
pub enum Failed {
    Input(String),
    Tool(String),
}

/// Runs `cmd` with `feed` writing its standard input as it reads it; returns what the
/// tool printed on standard error (warnings, or errors a script went past). A failing feed (the repository) stops the tool before it sees the end of its
/// input, so a truncated dump is never taken for a whole one.
pub fn run_fed(mut cmd: Command, program: &str, feed: &mut super::Feed) -> Result<String, Failed> {
    cmd.stdin(Stdio::piped()).stdout(Stdio::null());
    crate::interrupt::check().map_err(|e| Failed::Tool(e.to_string()))?;
    let mut child = cmd
        .spawn()
        .map_err(|e| Failed::Tool(format!("cannot start {program}: {e}")))?;
    let stop = child::stop_on_interrupt(&child);
    let mut stderr = child.stderr.take().expect("stderr was piped");
    let drain = std::thread::spawn(move || {
        let mut s = Vec::new();
        let _ = stderr.read_to_end(&mut s);
        String::from_utf8_lossy(&s).into_owned()
    });
    let mut input = Watched {
        inner: child.stdin.take().expect("stdin was piped"),
        failed: false,
    };
    let fed = feed(&mut input);
    if fed.is_err() && !input.failed {
        child::signal_group(&child, rustix::process::Signal::KILL);
    }
    let tool_stopped_reading = input.failed;
    drop(input);
    let status = child
        .wait()
        .map_err(|e| Failed::Tool(format!("{program}: {e}")));
    drop(stop);
    let errors = drain.join().unwrap_or_default();
    let status = status?;
    match fed {
        Err(e) if !tool_stopped_reading => Err(Failed::Input(e)),
        _ if !status.success() => Err(Failed::Tool(failure(program, status, &errors))),
        Err(_) => Err(Failed::Tool(format!(
            "{program} stopped reading the dump before its end"
        ))),
        Ok(_) => Ok(errors),
    }
}

/// Remembers that the tool closed its input, which makes its own error the one to show.
struct Watched<W> {
    inner: W,
    failed: bool,
}

impl<W: Write> Write for Watched<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.inner.write(buf).inspect_err(|_| self.failed = true)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush().inspect_err(|_| self.failed = true)
    }
}

/// The one line that says why: the first error line of `stderr`, without the tool's
/// prefix and with the server's double spaces closed up.
fn failure(program: &str, status: std::process::ExitStatus, stderr: &str) -> String {
    // MariaDB's client says `ERROR 1054 (42S22) at line 2: …`, after echoing the
    // statement between dashed lines.
    let line = stderr
        .lines()
        .find(|l| {
            ["ERROR:", "FATAL:", "error:"].iter().any(|m| l.contains(m)) || l.starts_with("ERROR ")
        })
        .or_else(|| stderr.lines().find(|l| !l.trim().is_empty()));
    match line {
        Some(l) => tidy(program, l),
        None => format!(
            "{program} failed ({})",
            crate::source::command::describe_exit(status)
        ),
    }
}

pub fn tidy(program: &str, line: &str) -> String {
    let mut l = line.trim();
    for prefix in [&format!("{program}: ") as &str, "error: "] {
        l = l.strip_prefix(prefix).unwrap_or(l);
    }
    let mut out = String::with_capacity(l.len());
    for part in l.split("  ") {
        if !out.is_empty() && !part.is_empty() {
            out.push(' ');
        }
        out.push_str(part.trim_start());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_error_line_is_found_and_tidied() {
        let stderr = "psql: error: connection to server at \"127.0.0.1\", port 1 failed: \
                      Connection refused\n\tIs the server running?\n";
        let st = std::process::Command::new("false").status().unwrap();
        assert_eq!(
            failure("psql", st, stderr),
            "connection to server at \"127.0.0.1\", port 1 failed: Connection refused"
        );
        let stderr = "pg_restore: error: could not execute query: ERROR:  relation \"x\" exists\n";
        assert_eq!(
            failure("pg_restore", st, stderr),
            "could not execute query: ERROR: relation \"x\" exists"
        );
        assert_eq!(failure("psql", st, ""), "psql failed (exit status 1)");
    }

    #[test]
    fn a_failing_feed_stops_the_tool_and_is_the_error() {
        let mut feed = |w: &mut dyn Write| {
            w.write_all(b"partial").map_err(|e| e.to_string())?;
            Err::<u64, String>("pack 1234 is damaged".into())
        };
        let cat = child::program("cat", &PassEnv::default());
        let e = run_fed(cat, "cat", &mut feed).unwrap_err();
        assert_eq!(e, Failed::Input("pack 1234 is damaged".into()));
    }

    #[test]
    fn a_tool_that_stops_reading_gives_its_own_error() {
        let mut c = child::program("sh", &PassEnv::default());
        c.args(["-c", "echo 'ERROR:  no space left' >&2; exit 3"]);
        let mut feed = |w: &mut dyn Write| {
            let block = vec![0u8; 1 << 16];
            for _ in 0..1024 {
                w.write_all(&block).map_err(|e| e.to_string())?;
            }
            Ok(1 << 26)
        };
        let e = run_fed(c, "sh", &mut feed).unwrap_err();
        assert_eq!(e, Failed::Tool("ERROR: no space left".into()));
    }
}
