//! The log of one `cairn run` of a profile, kept in memory while the run goes on so that
//! `store_log = true` can store it in the snapshot (`/.cairn/run.log`).
//!
//! It holds the lines cairn writes to stderr through [`super::line`] (its warnings and
//! informational lines, the hooks' output, the dump tools' and source command's
//! stderr), which are the lines cron mails and journald keep; informational lines are
//! kept under `--quiet` too. Those lines never carry secrets: cairn prints no
//! passphrase, key or credential, and hook and command output is relayed with the
//! values its command line assigns blanked (`crate::child::redact`). Progress bars
//! are not kept.

use std::sync::Mutex;

/// What is kept at most; a hook that prints without end does not take the memory.
const LIMIT: usize = 4 << 20;

static CAPTURE: Mutex<Option<Kept>> = Mutex::new(None);

struct Kept {
    text: Vec<u8>,
    cut: bool,
}

/// Keeps the lines written from now until it is dropped.
pub struct Capture(());

/// Starts keeping the lines written, after `header`.
pub fn capture(header: &str) -> Capture {
    *CAPTURE.lock().unwrap_or_else(|e| e.into_inner()) = Some(Kept {
        text: Vec::new(),
        cut: false,
    });
    keep(header);
    Capture(())
}

impl Drop for Capture {
    fn drop(&mut self) {
        *CAPTURE.lock().unwrap_or_else(|e| e.into_inner()) = None;
    }
}

/// Adds a line to the capture, if one is on.
pub fn keep(line: &str) {
    let mut held = CAPTURE.lock().unwrap_or_else(|e| e.into_inner());
    let Some(kept) = held.as_mut() else { return };
    if kept.text.len() + line.len() < LIMIT {
        kept.text.extend_from_slice(line.as_bytes());
        kept.text.push(b'\n');
    } else if !std::mem::replace(&mut kept.cut, true) {
        kept.text
            .extend_from_slice(format!("[log cut here: over {LIMIT} bytes]\n").as_bytes());
    }
}

/// The lines kept so far, or `None` when no capture is on.
pub fn kept() -> Option<Vec<u8>> {
    let held = CAPTURE.lock().unwrap_or_else(|e| e.into_inner());
    held.as_ref().map(|k| k.text.clone())
}
