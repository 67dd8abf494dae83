//! The programs cairn starts: `--stdin-from` and profile commands, hooks and probes such
//! as `pg_isready`. They are written by the user but run beside cairn's own secrets, so
//! what they inherit ([`env`]) and how they are named in messages ([`redact`]) is decided
//! here, once, rather than at each `Command::new`.

pub mod env;
pub mod redact;

use std::process::{Command, Stdio};

pub use env::PassEnv;

/// `sh -c COMMAND` with standard input closed, both outputs piped, and the environment
/// without cairn's and the stores' secrets (except those `pass` names).
pub fn shell(command: &str, pass: &PassEnv) -> Command {
    let mut c = Command::new("sh");
    c.arg("-c")
        .arg(command)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    env::restrict(&mut c, pass);
    c
}
