//! Fault injection around a real backend, for tests: fail, delay or truncate the n-th
//! call of an operation. Enabled only through `CAIRN_TEST_FAULTS`, e.g.
//! `put:2:transient,get:1:truncate,list:*:delay=50`:
//! `OP[@PREFIX]:N:FAULT` with OP one of put/get/list/delete/any, PREFIX limiting the rule
//! to object names that start with it, N the 1-based number of the call the rule matches
//! (or `*` for every one), FAULT one of `transient`, `permanent`, `truncate`, `delay=MS`,
//! or, for `list` only, `lag=MS`: objects written less than MS ago are left out of the
//! listing, as an eventually consistent store (Swift under load) leaves them out. The
//! age comes from the store's own modification time, so it works across processes.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use super::{Backend, Error, ObjectInfo, Properties, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Put,
    Get,
    List,
    Delete,
    Any,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fault {
    Transient,
    Permanent,
    /// Half the object is stored (put) or returned (get).
    Truncate,
    Delay(u64),
    /// Listings leave out objects younger than this many milliseconds.
    Lag(u64),
}

#[derive(Debug)]
struct Rule {
    op: Op,
    prefix: String,
    nth: Option<usize>,
    fault: Fault,
    /// Calls this rule has matched so far.
    seen: AtomicUsize,
}

#[derive(Debug)]
pub struct Faulty<B> {
    inner: B,
    rules: Vec<Rule>,
}

impl<B: Backend> Faulty<B> {
    pub fn parse(inner: B, spec: &str) -> std::result::Result<Faulty<B>, String> {
        let mut rules = Vec::new();
        for part in spec.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let bad = || format!("CAIRN_TEST_FAULTS: cannot parse {part:?} (OP:N:FAULT)");
            let mut it = part.splitn(3, ':');
            let (op, nth, fault) = (it.next(), it.next(), it.next());
            let (op, prefix) = match op.map(|o| o.split_once('@').unwrap_or((o, ""))) {
                Some((o, p)) => (Some(o), p.to_string()),
                None => (None, String::new()),
            };
            let op = match op {
                Some("put") => Op::Put,
                Some("get") => Op::Get,
                Some("list") => Op::List,
                Some("delete") => Op::Delete,
                Some("any") => Op::Any,
                _ => return Err(bad()),
            };
            let nth = match nth {
                Some("*") => None,
                Some(n) => Some(n.parse::<usize>().map_err(|_| bad())?),
                None => return Err(bad()),
            };
            let fault = match fault {
                Some("transient") => Fault::Transient,
                Some("permanent") => Fault::Permanent,
                Some("truncate") => Fault::Truncate,
                Some(d) if d.starts_with("delay=") => {
                    Fault::Delay(d[6..].parse().map_err(|_| bad())?)
                }
                Some(d) if d.starts_with("lag=") && op == Op::List => {
                    Fault::Lag(d[4..].parse().map_err(|_| bad())?)
                }
                _ => return Err(bad()),
            };
            rules.push(Rule {
                op,
                prefix,
                nth,
                fault,
                seen: AtomicUsize::new(0),
            });
        }
        Ok(Faulty { inner, rules })
    }

    /// Counts this call against every rule it matches; returns the first fault due.
    fn fault(&self, op: Op, name: &str) -> Option<Fault> {
        let mut due = None;
        for r in &self.rules {
            if (r.op == op || r.op == Op::Any) && name.starts_with(&r.prefix) {
                let n = r.seen.fetch_add(1, Ordering::SeqCst) + 1;
                if due.is_none() && r.nth.is_none_or(|k| k == n) {
                    due = Some(r.fault);
                }
            }
        }
        let fault = due;
        if let Some(Fault::Delay(ms)) = fault {
            std::thread::sleep(Duration::from_millis(ms));
        }
        fault
    }

    fn injected(&self, name: &str, fault: Fault) -> Option<Error> {
        let backend = self.inner.location();
        let name = name.to_string();
        match fault {
            Fault::Transient => Some(Error::Transient {
                backend,
                name,
                cause: "injected transient fault".into(),
            }),
            Fault::Permanent => Some(Error::Permanent {
                backend,
                name,
                cause: "injected permanent fault".into(),
            }),
            _ => None,
        }
    }
}

impl<B: Backend> Backend for Faulty<B> {
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
        self.inner.create()
    }
    fn put(&self, name: &str, data: &[u8]) -> Result<()> {
        match self.fault(Op::Put, name) {
            Some(Fault::Truncate) => self.inner.put(name, &data[..data.len() / 2]),
            Some(f) => match self.injected(name, f) {
                Some(e) => Err(e),
                None => self.inner.put(name, data),
            },
            None => self.inner.put(name, data),
        }
    }
    fn put_if_absent(&self, name: &str, data: &[u8]) -> Result<bool> {
        match self
            .fault(Op::Put, name)
            .and_then(|f| self.injected(name, f))
        {
            Some(e) => Err(e),
            None => self.inner.put_if_absent(name, data),
        }
    }
    fn get(&self, name: &str) -> Result<Vec<u8>> {
        match self.fault(Op::Get, name) {
            Some(Fault::Truncate) => self.inner.get(name).map(|mut d| {
                d.truncate(d.len() / 2);
                d
            }),
            Some(f) => match self.injected(name, f) {
                Some(e) => Err(e),
                None => self.inner.get(name),
            },
            None => self.inner.get(name),
        }
    }
    fn list(&self, prefix: &str) -> Result<Vec<ObjectInfo>> {
        match self.fault(Op::List, prefix) {
            Some(Fault::Lag(ms)) => {
                let cutoff = std::time::SystemTime::now() - Duration::from_millis(ms);
                let mut listed = self.inner.list(prefix)?;
                listed.retain(|o| o.modified.is_none_or(|m| m <= cutoff));
                Ok(listed)
            }
            Some(f) => match self.injected(prefix, f) {
                Some(e) => Err(e),
                None => self.inner.list(prefix),
            },
            None => self.inner.list(prefix),
        }
    }
    fn delete(&self, name: &str) -> Result<()> {
        match self
            .fault(Op::Delete, name)
            .and_then(|f| self.injected(name, f))
        {
            Some(e) => Err(e),
            None => self.inner.delete(name),
        }
    }
    /// Each name counts as one delete, so a rule can fail the n-th object of a batch;
    /// the objects before it are deleted, as a store that fails mid-batch would.
    fn delete_many(&self, names: &[String]) -> Result<()> {
        for (i, n) in names.iter().enumerate() {
            if let Some(e) = self.fault(Op::Delete, n).and_then(|f| self.injected(n, f)) {
                self.inner.delete_many(&names[..i])?;
                return Err(e);
            }
        }
        self.inner.delete_many(names)
    }
    fn exists(&self, name: &str) -> Result<bool> {
        self.inner.exists(name)
    }
}

#[cfg(test)]
mod tests {
    use super::super::file::FileBackend;
    use super::super::retry::{Retry, RetryPolicy};
    use super::*;

    fn fast() -> RetryPolicy {
        RetryPolicy {
            attempts: 3,
            base: Duration::from_millis(1),
            max: Duration::from_millis(2),
        }
    }

    fn stack(spec: &str) -> (tempfile::TempDir, Retry<Faulty<FileBackend>>) {
        let dir = tempfile::tempdir().unwrap();
        let file = FileBackend::new(dir.path().to_path_buf());
        (dir, Retry::new(Faulty::parse(file, spec).unwrap(), fast()))
    }

    #[test]
    fn transient_faults_are_retried_until_success() {
        let (_d, b) = stack("put:1:transient,put:2:transient,get:1:transient");
        b.put("a", b"x").unwrap();
        assert_eq!(b.get("a").unwrap(), b"x");
    }

    #[test]
    fn too_many_transient_faults_give_up_naming_the_object() {
        let (_d, b) = stack("put:*:transient");
        let e = b.put("data/ab/abc", b"x").unwrap_err().to_string();
        assert!(
            e.contains("data/ab/abc") && e.contains("gave up after 3 attempts"),
            "{e}"
        );
    }

    #[test]
    fn permanent_faults_and_not_found_are_not_retried() {
        let (_d, b) = stack("put:1:permanent,put:2:transient");
        assert!(matches!(b.put("a", b"x"), Err(Error::Permanent { .. })));
        // The second put's transient fault is retried: proves the first was not.
        b.put("a", b"x").unwrap();
        assert!(b.get("missing").unwrap_err().is_not_found());
    }

    #[test]
    fn truncation_and_bad_specs() {
        let (_d, b) = stack("get:1:truncate");
        b.put("a", b"abcdef").unwrap();
        assert_eq!(b.get("a").unwrap(), b"abc");
        assert_eq!(b.get("a").unwrap(), b"abcdef");
        let (_d, b) = stack("get@data/:1:truncate");
        b.put("config", b"abcdef").unwrap();
        b.put("data/ab/x", b"abcdef").unwrap();
        assert_eq!(b.get("config").unwrap(), b"abcdef");
        assert_eq!(b.get("data/ab/x").unwrap(), b"abc");
        let dir = tempfile::tempdir().unwrap();
        for bad in ["put", "put:x:transient", "zap:1:transient", "get:1:melt"] {
            assert!(
                Faulty::parse(FileBackend::new(dir.path().into()), bad).is_err(),
                "{bad}"
            );
        }
    }
}
