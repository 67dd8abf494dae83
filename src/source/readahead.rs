//! Reading a stream ahead while the repository opens.
//!
//! Unlocking the key (its S2K) and opening the repository take tens of milliseconds
//! before the first byte is chunked; meanwhile a dump command writing into a 64 KiB
//! pipe would stand still. A thread reads the first bytes into memory during that time
//! and hands them over, with the rest of the stream, at the first read.

use std::io::{self, Read};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;

/// The most read ahead (tune): what a dump writing 100 MB/s makes while the key is
/// unlocked and the repository opened (~0.1 s), held until replayed (peak RSS).
pub const READ_AHEAD_BYTES: usize = 8 << 20;

/// What the thread read, and the stream to go on with (none after its end or an error).
struct Head<R> {
    bytes: Vec<u8>,
    rest: Option<R>,
    error: Option<io::Error>,
}

enum State<R> {
    Reading(JoinHandle<Head<R>>),
    /// The read-ahead bytes from `at` on, then `rest`.
    Replaying {
        head: Head<R>,
        at: usize,
    },
    Done,
}

/// A reader that starts reading `R` at once, up to `limit` bytes, and yields the same
/// bytes (and the same error, in the same place) as `R` would have.
pub struct ReadAhead<R> {
    state: State<R>,
    stop: Arc<AtomicBool>,
}

impl<R: Read + Send + 'static> ReadAhead<R> {
    pub fn new(mut inner: R, limit: usize) -> ReadAhead<R> {
        let stop = Arc::new(AtomicBool::new(false));
        let stopped = stop.clone();
        let thread = std::thread::spawn(move || {
            // Reserved whole: grown by doubling, it would be copied along the way.
            let mut bytes = Vec::with_capacity(limit);
            let mut block = vec![0u8; 1 << 16];
            // The consumer stops it at its first read: from then on it reads the
            // stream itself, without a copy in between.
            while bytes.len() < limit && !stopped.load(Ordering::Relaxed) {
                let want = block.len().min(limit - bytes.len());
                match inner.read(&mut block[..want]) {
                    Ok(0) => {
                        return Head {
                            bytes,
                            rest: None,
                            error: None,
                        }
                    }
                    Ok(n) => bytes.extend_from_slice(&block[..n]),
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => {
                        return Head {
                            bytes,
                            rest: None,
                            error: Some(e),
                        }
                    }
                }
            }
            Head {
                bytes,
                rest: Some(inner),
                error: None,
            }
        });
        ReadAhead {
            state: State::Reading(thread),
            stop,
        }
    }
}

impl<R: Read> Read for ReadAhead<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            match &mut self.state {
                State::Reading(_) => {
                    self.stop.store(true, Ordering::Relaxed);
                    let State::Reading(thread) = std::mem::replace(&mut self.state, State::Done)
                    else {
                        unreachable!()
                    };
                    let head = thread.join().expect("the read-ahead thread does not panic");
                    self.state = State::Replaying { head, at: 0 };
                }
                State::Replaying { head, at } if *at < head.bytes.len() => {
                    let n = buf.len().min(head.bytes.len() - *at);
                    buf[..n].copy_from_slice(&head.bytes[*at..*at + n]);
                    *at += n;
                    return Ok(n);
                }
                State::Replaying { head, .. } => {
                    // Given back once replayed, not held to the stream's end.
                    head.bytes = Vec::new();
                    if let Some(e) = head.error.take() {
                        self.state = State::Done;
                        return Err(e);
                    }
                    match &mut head.rest {
                        Some(rest) => return rest.read(buf),
                        None => return Ok(0),
                    }
                }
                State::Done => return Ok(0),
            }
        }
    }
}

impl<R> Drop for ReadAhead<R> {
    /// A backup that fails before reading (a wrong passphrase) does not wait for a
    /// stream that may never come: the thread ends at its next read.
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Yields `data` in pieces of `step`, then fails if `fail`.
    struct Pieces {
        data: Vec<u8>,
        at: usize,
        step: usize,
        fail: bool,
    }

    impl Read for Pieces {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            if self.at == self.data.len() {
                return match self.fail {
                    true => Err(io::Error::other("the command failed")),
                    false => Ok(0),
                };
            }
            let n = buf.len().min(self.step).min(self.data.len() - self.at);
            buf[..n].copy_from_slice(&self.data[self.at..self.at + n]);
            self.at += n;
            Ok(n)
        }
    }

    fn pieces(len: usize, fail: bool) -> Pieces {
        Pieces {
            data: (0..len).map(|i| (i * 7 % 251) as u8).collect(),
            at: 0,
            step: 1000,
            fail,
        }
    }

    #[test]
    fn the_same_bytes_come_out_whatever_was_read_ahead() {
        for (len, limit) in [(0, 10), (5_000, 100_000), (300_000, 4_096), (300_000, 0)] {
            let want = pieces(len, false).data;
            let mut r = ReadAhead::new(pieces(len, false), limit);
            // Time for the thread to read all it may, so the hand-over is exercised.
            std::thread::sleep(std::time::Duration::from_millis(20));
            let mut got = Vec::new();
            r.read_to_end(&mut got).unwrap();
            assert_eq!(got, want, "len {len}, limit {limit}");
        }
    }

    #[test]
    fn an_error_comes_after_the_bytes_before_it() {
        for limit in [1 << 20, 2_000] {
            let mut r = ReadAhead::new(pieces(10_000, true), limit);
            std::thread::sleep(std::time::Duration::from_millis(20));
            let mut got = Vec::new();
            let e = r.read_to_end(&mut got).unwrap_err();
            assert_eq!(e.to_string(), "the command failed");
            assert_eq!(got, pieces(10_000, false).data);
        }
    }
}
