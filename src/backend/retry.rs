//! One retry policy for every backend: transient errors (timeouts, resets, 5xx, 429/503
//! slow-down) are retried with exponential backoff and jitter, each retry reported on
//! stderr; permanent errors and "not found" return at once, and so does every call once a
//! signal asked cairn to stop (`crate::interrupt`).

use std::time::Duration;

use super::{Backend, Error, ObjectInfo, Properties, Result};

#[derive(Debug, Clone)]
pub struct RetryPolicy {
    pub attempts: u32,
    pub base: Duration,
    pub max: Duration,
}

impl RetryPolicy {
    /// The default rides out about two minutes of outage (a proxy restart, a failover)
    /// before giving up: 10 attempts, waits doubling from 0.5 s to at most 30 s.
    /// `CAIRN_RETRY_FAST=1` shrinks the waits to milliseconds, so tests of retries do
    /// not sleep.
    pub fn from_env() -> RetryPolicy {
        let fast = std::env::var("CAIRN_RETRY_FAST").is_ok_and(|v| v == "1");
        RetryPolicy {
            attempts: 10,
            base: if fast {
                Duration::from_millis(1)
            } else {
                Duration::from_millis(500)
            },
            max: if fast {
                Duration::from_millis(10)
            } else {
                Duration::from_secs(30)
            },
        }
    }

    /// Wait before retry `n` (1-based): doubling from `base`, capped, with ±50% jitter so
    /// many clients do not retry in step.
    fn delay(&self, n: u32) -> Duration {
        let exp = self.base.saturating_mul(1 << (n - 1).min(16)).min(self.max);
        let jitter = 0.5 + rand::random::<f64>();
        exp.mul_f64(jitter).min(self.max)
    }
}

#[derive(Debug)]
pub struct Retry<B> {
    inner: B,
    policy: RetryPolicy,
}

impl<B: Backend> Retry<B> {
    pub fn new(inner: B, policy: RetryPolicy) -> Retry<B> {
        Retry { inner, policy }
    }

    fn run<T>(&self, what: &str, name: &str, mut op: impl FnMut() -> Result<T>) -> Result<T> {
        let mut attempt = 1;
        loop {
            // Polled here, so every command stops at its next call to the store after a
            // signal; an interrupted command is never retried.
            let interrupted = |_| Error::Permanent {
                backend: self.inner.location(),
                name: name.to_string(),
                cause: crate::interrupt::Interrupted.to_string(),
            };
            crate::interrupt::check().map_err(interrupted)?;
            match op() {
                Err(Error::Transient { cause, .. }) if attempt < self.policy.attempts => {
                    let wait = self.policy.delay(attempt);
                    crate::ui::warn(&format!(
                        "{}: {what} {name}: {cause}; retrying in {:.1}s (attempt {}/{})",
                        self.inner.location(),
                        wait.as_secs_f64(),
                        attempt + 1,
                        self.policy.attempts
                    ));
                    crate::interrupt::sleep(wait).map_err(interrupted)?;
                    attempt += 1;
                }
                Err(Error::Transient {
                    backend,
                    name,
                    cause,
                }) => {
                    return Err(Error::Transient {
                        backend,
                        name,
                        cause: format!("{cause} (gave up after {attempt} attempts)"),
                    })
                }
                other => return other,
            }
        }
    }
}

impl<B: Backend> Backend for Retry<B> {
    fn location(&self) -> String {
        self.inner.location()
    }
    fn place(&self) -> super::url::Place {
        self.inner.place()
    }
    fn absence_hint(&self) -> Option<String> {
        self.inner.absence_hint()
    }
    fn properties(&self) -> Properties {
        self.inner.properties()
    }
    fn create(&self) -> Result<()> {
        self.run("create", "", || self.inner.create())
    }
    fn put(&self, name: &str, data: &[u8]) -> Result<()> {
        self.run("put", name, || self.inner.put(name, data))
    }
    /// A retry after a transient failure may find the object its own first attempt
    /// created, and then reports it as already present.
    fn put_if_absent(&self, name: &str, data: &[u8]) -> Result<bool> {
        self.run("put", name, || self.inner.put_if_absent(name, data))
    }
    fn get(&self, name: &str) -> Result<Vec<u8>> {
        self.run("get", name, || self.inner.get(name))
    }
    /// Retries the whole listing, so a retry never repeats or loses names.
    fn list(&self, prefix: &str) -> Result<Vec<ObjectInfo>> {
        self.run("list", prefix, || self.inner.list(prefix))
    }
    fn delete(&self, name: &str) -> Result<()> {
        self.run("delete", name, || self.inner.delete(name))
    }
    /// Deleting is idempotent, so a failed batch is simply sent again.
    fn delete_many(&self, names: &[String]) -> Result<()> {
        let first = names.first().map(String::as_str).unwrap_or("");
        self.run("delete", first, || self.inner.delete_many(names))
    }
    fn exists(&self, name: &str) -> Result<bool> {
        self.run("stat", name, || self.inner.exists(name))
    }
}
