//! Hooks: shell commands run before and after a backup and on failure. Their output goes
//! to our log (stderr) line by line, prefixed with the hook's name, so that a cron log
//! shows what `systemctl stop app` said next to cairn's own lines; our stdout stays free
//! for `--json`.

use std::io::{BufRead, BufReader, Read};
use std::process::{Command, Stdio};

#[derive(Debug, thiserror::Error)]
pub enum HookError {
    #[error("hook {name}: cannot start sh: {cause}")]
    Spawn {
        name: &'static str,
        cause: std::io::Error,
    },
    #[error("hook {name} failed ({how})")]
    Failed { name: &'static str, how: String },
}

/// Runs `command` through `sh -c` with `env` added, passing its output to stderr.
pub fn run(name: &'static str, command: &str, env: &[(&str, String)]) -> Result<(), HookError> {
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(command)
        .envs(env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|cause| HookError::Spawn { name, cause })?;
    let out = child.stdout.take().expect("stdout was piped");
    let err = child.stderr.take().expect("stderr was piped");
    // Both pipes are drained at once so a chatty hook never blocks on a full one.
    let t_out = std::thread::spawn(move || relay(name, out));
    let t_err = std::thread::spawn(move || relay(name, err));
    let status = child
        .wait()
        .map_err(|cause| HookError::Spawn { name, cause })?;
    let _ = t_out.join();
    let _ = t_err.join();
    if status.success() {
        return Ok(());
    }
    Err(HookError::Failed {
        name,
        how: crate::source::command::describe_exit(status),
    })
}

fn relay(name: &str, from: impl Read) {
    for line in BufReader::new(from).split(b'\n') {
        let Ok(line) = line else { break };
        eprintln!(
            "[hook {name}] {}",
            String::from_utf8_lossy(&line).trim_end()
        );
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
        )
        .unwrap();
        assert_eq!(std::fs::read_to_string(&f).unwrap(), "app success\n");
        let e = run("before", "echo going; exit 7", &[])
            .unwrap_err()
            .to_string();
        assert_eq!(e, "hook before failed (exit status 7)");
    }
}
