//! Stores of named objects. A backend knows nothing about packs, keys or plaintext: it
//! puts, gets, lists and deletes opaque byte strings under `/`-separated names relative
//! to the repository prefix.
//!
//! The contract every implementation keeps:
//! - `put` is atomic: a reader sees the whole object or no object, never a prefix.
//! - `put_if_absent` creates the object only if no object of that name exists, and says
//!   whether it did; where a store cannot do that atomically, `Properties` says so.
//! - a missing object is `Error::NotFound`, never an empty body.
//! - `Error::Permanent` (auth refused, no such bucket, disk full) must not be retried;
//!   `Error::Transient` may be.

pub mod fault;
pub mod file;
pub mod http;
pub mod retry;
pub mod s3;
pub mod swift;
pub mod url;

use std::fmt;
use std::time::{Duration, SystemTime};

/// What a store can do, as data rather than `if s3` branches.
#[derive(Debug, Clone)]
pub struct Properties {
    /// Connections worth keeping busy at once.
    pub connections: usize,
    /// `put_if_absent` is atomic on this store.
    pub atomic_put_if_absent: bool,
    /// How long a new object may stay missing from listings on a store whose listings
    /// are eventually consistent. The lock protocol waits this long between writing its
    /// lock and listing the others (docs/FORMAT.md, "Locks and the lock protocol").
    pub listing_lag: Duration,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectInfo {
    pub name: String,
    pub size: u64,
    /// When the store last wrote it, where the listing says.
    pub modified: Option<SystemTime>,
}

/// The listing lag to allow for: `CAIRN_LISTING_LAG` (seconds) when the operator knows
/// the store better than its default, else the store's own figure.
pub fn listing_lag(backend: &dyn Backend) -> std::result::Result<Duration, String> {
    match std::env::var("CAIRN_LISTING_LAG") {
        Ok(v) if !v.trim().is_empty() => v
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|s| s.is_finite() && (0.0..=3600.0).contains(s))
            .map(Duration::from_secs_f64)
            .ok_or_else(|| {
                format!("CAIRN_LISTING_LAG: {v:?} is not a number of seconds from 0 to 3600")
            }),
        _ => Ok(backend.properties().listing_lag),
    }
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{backend}: {name}: not found")]
    NotFound { backend: String, name: String },
    #[error("{backend}: {name}: {cause}")]
    Permanent {
        backend: String,
        name: String,
        cause: String,
    },
    #[error("{backend}: {name}: {cause}")]
    Transient {
        backend: String,
        name: String,
        cause: String,
    },
}

impl Error {
    pub fn is_not_found(&self) -> bool {
        matches!(self, Error::NotFound { .. })
    }
}

pub type Result<T> = std::result::Result<T, Error>;

pub trait Backend: Send + Sync + fmt::Debug {
    /// Where this backend stores, with any credentials stripped; used in messages.
    fn location(&self) -> String;
    /// Where this backend stores, for links to it; the store may add what it knows
    /// beyond its URL (endpoint, region).
    fn place(&self) -> url::Place {
        let at = self.location();
        url::Place::of_url(&at).unwrap_or_else(|| url::Place::file(std::path::Path::new(&at)))
    }
    /// Why a store that holds nothing may be the wrong place rather than a new one (a
    /// local directory that is missing or empty, as an unmounted disk's mount point
    /// is), for the message that says there is no repository here.
    fn absence_hint(&self) -> Option<String> {
        None
    }
    fn properties(&self) -> Properties;
    /// Prepares an empty store (creates the directory, bucket or container if needed).
    fn create(&self) -> Result<()>;
    fn put(&self, name: &str, data: &[u8]) -> Result<()>;
    /// Returns `Ok(false)` when an object of that name already existed (nothing written).
    fn put_if_absent(&self, name: &str, data: &[u8]) -> Result<bool>;
    fn get(&self, name: &str) -> Result<Vec<u8>>;
    /// Every object whose name starts with `prefix`, in no particular order.
    fn list(&self, prefix: &str) -> Result<Vec<ObjectInfo>>;
    /// Deleting a missing object is not an error.
    fn delete(&self, name: &str) -> Result<()>;
    /// Deletes many objects, in as few requests as the store allows. On error, any
    /// subset may have been deleted.
    fn delete_many(&self, names: &[String]) -> Result<()> {
        names.iter().try_for_each(|n| self.delete(n))
    }
    fn exists(&self, name: &str) -> Result<bool> {
        match self.get(name) {
            Ok(_) => Ok(true),
            Err(e) if e.is_not_found() => Ok(false),
            Err(e) => Err(e),
        }
    }
}

/// Settings for opening a backend, from flags, environment or a profile.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Requests in flight at once; `None` is the backend type's default.
    pub connections: Option<usize>,
    pub s3: s3::S3Options,
}

/// Concurrent requests worth making by default: a local disk gains nothing from more
/// than one writer per pack, an object store hides its latency behind several.
const OBJECT_STORE_CONNECTIONS: usize = 8;

/// Opens the backend a repository URL names, with the wrappers every backend gets:
/// fault injection (tests only, `CAIRN_TEST_FAULTS`) inside, retries outside, so that
/// injected transient faults are retried like real ones.
pub fn open(url: &str, opts: &Options) -> std::result::Result<Box<dyn Backend>, url::UrlError> {
    let faults = std::env::var("CAIRN_TEST_FAULTS")
        .ok()
        .filter(|s| !s.is_empty());
    let faults = faults.as_deref();
    let remote = opts.connections.unwrap_or(OBJECT_STORE_CONNECTIONS).max(1);
    match url::RepoUrl::parse(url)? {
        url::RepoUrl::File(path) => wrap(file::FileBackend::new(path), faults),
        url::RepoUrl::Swift { container, prefix } => wrap(
            swift::SwiftBackend::new(container, prefix, remote).map_err(url::UrlError::Config)?,
            faults,
        ),
        url::RepoUrl::S3 { bucket, prefix } => wrap(
            s3::S3Backend::new(bucket, prefix, opts.s3.clone(), remote)
                .map_err(url::UrlError::Config)?,
            faults,
        ),
    }
}

fn wrap<B: Backend + 'static>(
    inner: B,
    faults: Option<&str>,
) -> std::result::Result<Box<dyn Backend>, url::UrlError> {
    let policy = retry::RetryPolicy::from_env();
    Ok(match faults {
        Some(spec) => Box::new(retry::Retry::new(
            fault::Faulty::parse(inner, spec).map_err(url::UrlError::Config)?,
            policy,
        )),
        None => Box::new(retry::Retry::new(inner, policy)),
    })
}
