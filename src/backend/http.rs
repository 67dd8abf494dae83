//! What an object store's answer means for the caller, shared by Swift and S3 so that
//! both retry, fail fast and report "not found" alike, and the one tokio runtime both
//! client libraries run on behind the synchronous `Backend` trait.

use std::sync::OnceLock;
use std::time::Duration;

use super::Error;

/// Connect timeout: a store that does not accept a connection in this time is down.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(15);
/// Longest silence within one request before it is abandoned (and retried).
pub const READ_TIMEOUT: Duration = Duration::from_secs(120);

/// The runtime behind every object store request. Callers are plain threads (rayon
/// workers, the uploaders), which `block_on` their own request; the two runtime threads
/// only drive sockets and timers.
pub fn runtime() -> &'static tokio::runtime::Runtime {
    static RT: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("cairn-io")
            .enable_all()
            .build()
            .expect("cannot start the I/O runtime")
    })
}

/// Maps an HTTP status to an error: 404 is "not found", throttling and server errors
/// are transient, everything else (401/403, 400, 412…) is permanent.
pub fn status_error(backend: &str, name: &str, status: u16, detail: &str) -> Error {
    let detail = one_line(detail);
    let cause = |what: &str| {
        if detail.is_empty() {
            format!("HTTP {status}: {what}")
        } else {
            format!("HTTP {status}: {what} ({detail})")
        }
    };
    let (backend, name) = (backend.to_string(), name.to_string());
    match status {
        404 => Error::NotFound { backend, name },
        408 | 429 | 498 | 499 | 500..=599 => Error::Transient {
            backend,
            name,
            cause: cause("the server is busy or failing"),
        },
        401 => Error::Permanent {
            backend,
            name,
            cause: cause("authentication refused; check the credentials"),
        },
        403 => Error::Permanent {
            backend,
            name,
            cause: cause("access denied; check the credentials and their permissions"),
        },
        _ => Error::Permanent {
            backend,
            name,
            cause: cause("request refused"),
        },
    }
}

/// First line of a server's error text, short enough for a one-line message (servers
/// answer with whole HTML pages or XML documents).
pub fn one_line(text: &str) -> String {
    let line = text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with('<'))
        .unwrap_or("");
    let mut out: String = line.chars().take(160).collect();
    if out.len() < line.len() {
        out.push('…');
    }
    out
}

/// An error and its causes on one line, "outer: inner: innermost".
pub fn error_chain(e: &dyn std::error::Error) -> String {
    let mut msg = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        msg.push_str(": ");
        msg.push_str(&c.to_string());
        cause = c.source();
    }
    msg
}

/// A download gathered into one buffer sized from Content-Length, chunk by chunk, so
/// the body is copied once (collecting it first and then into a `Vec` held two copies
/// of every pack at once).
pub struct Download {
    buf: Vec<u8>,
    expected: Option<u64>,
}

/// Preallocation trusted from a Content-Length header: a pack is ~16 MiB; anything
/// larger grows as it arrives.
const MAX_PREALLOC: u64 = 64 << 20;

impl Download {
    pub fn new(expected: Option<u64>) -> Download {
        let cap = expected.unwrap_or(0).min(MAX_PREALLOC) as usize;
        Download {
            buf: Vec::with_capacity(cap),
            expected,
        }
    }

    pub fn push(&mut self, chunk: &[u8]) {
        self.buf.extend_from_slice(chunk);
    }

    /// The body, or a transient error when the connection ended before Content-Length
    /// bytes arrived (a retry fetches it again).
    pub fn finish(self, backend: &str, name: &str) -> Result<Vec<u8>, Error> {
        if self.expected.is_some_and(|n| n != self.buf.len() as u64) {
            return Err(Error::Transient {
                backend: backend.into(),
                name: name.into(),
                cause: "connection closed before the whole object arrived".into(),
            });
        }
        Ok(self.buf)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_map_to_kinds() {
        assert!(status_error("s", "o", 404, "").is_not_found());
        for s in [408, 429, 500, 502, 503, 504] {
            assert!(
                matches!(status_error("s", "o", s, ""), Error::Transient { .. }),
                "{s}"
            );
        }
        for s in [400, 401, 403, 409, 412] {
            assert!(
                matches!(status_error("s", "o", s, ""), Error::Permanent { .. }),
                "{s}"
            );
        }
        let e = status_error(
            "swift://c",
            "data/x",
            401,
            "<html>\n<h1>Unauthorized</h1>\nThis server could not verify",
        )
        .to_string();
        assert_eq!(
            e,
            "swift://c: data/x: HTTP 401: authentication refused; check the credentials \
             (This server could not verify)"
        );
    }
}
