//! The repository: the on-storage format (see docs/FORMAT.md) and nothing else knows it.
//!
//! Object names below the repository prefix:
//! `config`, `keys/<fingerprint>.asc`, `data/<xx>/<pack id>`, `index/<id>`,
//! `snapshots/<id>`, `locks/<id>`, `verified/<snapshot id>/<id>`,
//! `handovers/<fingerprint>`. Every object but `keys/` is an OpenPGP message, and every
//! one but `handovers/` (signed for anyone to verify) is encrypted.

pub mod config;
pub mod handover;
pub mod index;
pub mod lock;
pub mod pack;
mod pad;
mod prefetch;
pub mod recipients;
pub mod snapshot;
pub mod tree;
pub mod trust;
pub mod uploader;
pub mod verified;
pub mod writers;

use std::collections::HashSet;
use std::path::Path;
use std::sync::{Arc, Mutex};

use rayon::prelude::*;
use sequoia_openpgp::Cert;

use crate::backend::{self, Backend};
use crate::cache::{Cache, CacheError};
use crate::chunker::ChunkSizes;
use crate::crypto::{self, keys, Identity, RecipientSet};
use crate::ids::{BlobId, IndexId, PackId, SnapshotId};
use config::{Config, FORMAT_VERSION};
use index::IndexFile;
use pack::{Pack, PackEntry, PackError};
use snapshot::{Snapshot, StoredSnapshot};
use tree::Tree;
use trust::{Expected, Pins, TrustSettings};

#[derive(Debug, thiserror::Error)]
pub enum RepoError {
    #[error(transparent)]
    Backend(#[from] backend::Error),
    #[error("repository {location}: not initialised: {hint}")]
    NotInitialised { location: String, hint: String },
    #[error("repository {0}: already initialised")]
    AlreadyInitialised(String),
    #[error("{object}: {cause}")]
    Object {
        object: String,
        cause: crypto::Error,
    },
    #[error(transparent)]
    Pack(#[from] PackError),
    #[error(transparent)]
    Cache(#[from] CacheError),
    #[error(transparent)]
    Crypto(#[from] crypto::Error),
    #[error("{0}")]
    Invalid(String),
    /// The repository is not signed by the key the user trusts.
    #[error("{0}")]
    Untrusted(String),
    /// Another live process holds a conflicting lock; callers may wait and retry.
    #[error("{0}")]
    Locked(String),
    /// A signal asked cairn to stop (`crate::interrupt`).
    #[error(transparent)]
    Interrupted(#[from] crate::interrupt::Interrupted),
    /// A blob a tree names has no entry in any index.
    #[error("blob {0} is not in the index (repository incomplete)")]
    NotIndexed(BlobId),
}

impl RepoError {
    /// Whether this is damage to stored data (a pack lost, corrupt or not indexed) that
    /// affects only what depends on it, rather than a failure of the whole operation
    /// (storage unreachable, a full disk, a signal).
    pub fn is_damage(&self) -> bool {
        match self {
            RepoError::Pack(_) | RepoError::NotIndexed(_) => true,
            RepoError::Backend(e) => e.is_not_found(),
            _ => false,
        }
    }

    fn object(name: &str, cause: crypto::Error) -> RepoError {
        RepoError::Object {
            object: name.to_string(),
            cause,
        }
    }
}

pub type Result<T> = std::result::Result<T, RepoError>;

/// Bytes of decrypted packs kept for tree walks, which visit the same few tree packs in
/// an order unrelated to how they were written. Tree packs are small (compressed
/// directory listings), so this usually holds all of them.
const PACK_CACHE_BYTES: usize = 64 << 20;

/// Packs read ahead of their consumer from an object store (8 MiB each, decrypted).
const PREFETCH_MAX: usize = 4;

pub struct Repository {
    backend: Arc<dyn Backend>,
    identity: Identity,
    config: Config,
    recipients: RecipientSet,
    /// The config's signer first, then the former signers it names: whose signatures
    /// on snapshots, index objects and records are accepted.
    signers: Vec<Cert>,
    /// Signs instead of `identity` when set (`sign_with`).
    writer: Option<Identity>,
    /// Write-only host keys, current and former (`writers`).
    hosts: Vec<writers::HostKey>,
    /// The recipients and the current write-only hosts: config, index and locks.
    shared: RecipientSet,
    /// The host the key in hand writes for, when it is a write-only host key.
    host_key: Option<String>,
    blob_key: [u8; 32],
    cache: Cache,
    packs: Mutex<Vec<Arc<Pack>>>,
    /// Held while a pack missing from `packs` is fetched, so that threads wanting the
    /// same pack (a backup's workers reading delta bases) download it once.
    loading: Mutex<()>,
    /// Stored bytes of the packs this process downloaded.
    bytes_read: std::sync::atomic::AtomicU64,
}

impl std::fmt::Debug for Repository {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Repository({})", self.backend.location())
    }
}

fn open_cache(cache_dir: Option<&Path>, repo_id: &str) -> Cache {
    if let Some(dir) = cache_dir {
        match Cache::open(dir, repo_id) {
            Ok(c) => return c,
            Err(e) => crate::ui::warn(&format!("{e}; using a temporary in-memory cache")),
        }
    }
    Cache::in_memory().expect("an in-memory SQLite database always opens")
}

/// The error for a config that does not verify against the expected signer: names the
/// signer it expected and the one the config claims (read without trusting it, only to
/// say so).
fn untrusted_config(
    identity: &Identity,
    stored: &[u8],
    loc: &str,
    expected: &Expected,
) -> RepoError {
    let claimed = crypto::decrypt(identity, stored, None)
        .ok()
        .and_then(|p| serde_json::from_slice::<serde_json::Value>(&p).ok())
        .and_then(|v| v["signer"].as_str().map(str::to_string))
        .unwrap_or_else(|| "an unknown key".into());
    let hint = match expected.origin {
        trust::Origin::OwnKey => "; a recipient (read-only) key needs the signer's fingerprint from your recovery sheet (--trust-signer)",
        trust::Origin::Pinned(_) => "; if the repository was re-created on purpose with another key, delete that pin file",
        trust::Origin::Explicit => "",
    };
    RepoError::Untrusted(format!(
        "repository {loc}: config is not signed by {} ({}) but claims signer {claimed}: refusing to read a repository someone else may have forged{hint}",
        expected.fingerprint,
        expected.origin.describe()
    ))
}

impl Repository {
    /// Creates a new repository encrypted to `identity` and every extra certificate,
    /// with fresh chunk parameters or those of another repository (`params`).
    pub fn init(
        backend: Box<dyn Backend>,
        identity: Identity,
        extra_recipients: Vec<Cert>,
        params: Option<config::ChunkParams>,
        cache_dir: Option<&Path>,
        trust: &TrustSettings,
    ) -> Result<Repository> {
        let loc = backend.location();
        backend.create()?;
        if backend.exists("config")? {
            return Err(RepoError::AlreadyInitialised(loc));
        }
        let mut certs = vec![identity.cert().clone().strip_secret_key_material()];
        for c in extra_recipients {
            if !certs.iter().any(|k| k.fingerprint() == c.fingerprint()) {
                certs.push(c);
            }
        }
        let recipients = RecipientSet::new(&certs)?;
        let params = params.unwrap_or_else(config::ChunkParams::fresh);
        let config = Config {
            version: FORMAT_VERSION,
            id: hex::encode(&crate::ids::random_bytes()[..16]),
            created: chrono::Utc::now(),
            blob_id_key: params.blob_id_key,
            chunker: params.chunker,
            chunker_key: params.chunker_key,
            chunker_seed: params.chunker_seed,
            chunk_sizes_files: params.chunk_sizes_files,
            chunk_sizes_stream: params.chunk_sizes_stream,
            stream_rows: params.stream_rows,
            compression_level: 3,
            pack_size: config::DEFAULT_PACK_SIZE,
            signer: identity.fingerprint(),
            recipients: recipients.fingerprints().to_vec(),
            index_signed: true,
            generation: 0,
            former_signers: Vec::new(),
            writers: Vec::new(),
            former_writers: Vec::new(),
        };
        for cert in &certs {
            let name = format!("keys/{}.asc", cert.fingerprint().to_hex());
            backend.put(&name, &keys::armored_public(cert)?)?;
        }
        let body = pad::json(serde_json::to_vec_pretty(&config).expect("config serialises"));
        let stored = crypto::encrypt(&recipients, Some(&identity), &body)?;
        config
            .validate()
            .map_err(|e| RepoError::Invalid(format!("repository {loc}: {e}")))?;
        let blob_key = config.blob_key();
        if !backend.put_if_absent("config", &stored)? {
            return Err(RepoError::AlreadyInitialised(loc));
        }
        // A new repository at this location replaces whatever was pinned for it: the user
        // just chose its key.
        Pins::new(trust, &loc).set(&config.signer, config.generation);
        let cache = open_cache(cache_dir, &config.id);
        let signer = identity.cert().clone();
        Ok(Repository {
            backend: backend.into(),
            identity,
            blob_key,
            config,
            shared: recipients.clone(),
            recipients,
            signers: vec![signer],
            writer: None,
            hosts: Vec::new(),
            host_key: None,
            cache,
            packs: Mutex::new(Vec::new()),
            loading: Mutex::new(()),
            bytes_read: Default::default(),
        })
    }

    /// Opens an existing repository: verifies the config against the signer the user
    /// chose (see `trust`), resolves the recipients and brings the cached index up to date.
    pub fn open(
        backend: Box<dyn Backend>,
        identity: Identity,
        cache_dir: Option<&Path>,
        trust: &TrustSettings,
    ) -> Result<Repository> {
        let loc = backend.location();
        let stored = match backend.get("config") {
            Ok(b) => b,
            Err(e) if e.is_not_found() => {
                // An unmounted disk must not read as "run init" without a word.
                let hint = backend
                    .absence_hint()
                    .unwrap_or_else(|| "no config object; run `cairn init` first".to_string());
                return Err(RepoError::NotInitialised {
                    location: loc,
                    hint,
                });
            }
            Err(e) => return Err(e.into()),
        };
        let pins = Pins::new(trust, &loc);
        let expected = pins
            .choose(trust, &identity.fingerprint())
            .map_err(RepoError::Invalid)?;
        let mut signer = Self::signer_cert(&*backend, &identity, &expected.fingerprint)?;
        let mut decrypted = crypto::decrypt(&identity, &stored, Some(&signer));
        let mut handed_over = false;
        if let Err(crypto::Error::BadSignature) = decrypted {
            // The pinned key may have handed signing over: follow that chain, each
            // step signed by the key we trust so far, and try its end.
            if let Some(end) = handover::follow(&*backend, &identity, &signer)? {
                decrypted = crypto::decrypt(&identity, &stored, Some(&end));
                signer = end;
                handed_over = true;
            }
        }
        let plain = match decrypted {
            Ok(p) => p,
            Err(crypto::Error::NotForUs) => {
                return Err(RepoError::Invalid(format!(
                    "repository {loc}: config is not encrypted to key {} (wrong key?)",
                    identity.fingerprint()
                )))
            }
            Err(crypto::Error::BadSignature) => {
                return Err(untrusted_config(&identity, &stored, &loc, &expected))
            }
            Err(e) => return Err(RepoError::object("config", e)),
        };
        let config: Config = serde_json::from_slice(&plain)
            .map_err(|e| RepoError::Invalid(format!("config: malformed: {e}")))?;
        config
            .validate()
            .map_err(|e| RepoError::Invalid(format!("repository {loc}: {e}")))?;
        let verified_by = signer.fingerprint().to_hex();
        if !config.signer.eq_ignore_ascii_case(&verified_by) {
            return Err(RepoError::Invalid(format!(
                "repository {loc}: config is signed by {verified_by} but names signer {} (tampered?)",
                config.signer
            )));
        }
        if config.generation < expected.generation {
            return Err(RepoError::Untrusted(format!(
                "repository {loc}: config generation {} is older than generation {} this machine has seen ({}): storage is serving a replayed recipient list; refusing it",
                config.generation,
                expected.generation,
                pins.path().unwrap_or(Path::new("")).display()
            )));
        }
        if handed_over {
            crate::ui::info(&format!(
                "repository {loc}: signing key {} handed over to {verified_by} (hand-over verified); this machine now trusts {verified_by}",
                expected.fingerprint
            ));
        }
        if expected.record || handed_over || config.generation > expected.generation {
            pins.set(&verified_by, config.generation);
        }
        // Only now, with the config verified, may its id name a local directory.
        let cache = open_cache(cache_dir, &config.id);
        let mut signers = vec![signer];
        for fpr in &config.former_signers {
            signers.push(Self::public_cert(&*backend, fpr)?);
        }
        let mut repo = Repository {
            backend: backend.into(),
            identity,
            blob_key: config.blob_key(),
            config,
            recipients: RecipientSet::new(&[])?,
            signers,
            writer: None,
            hosts: Vec::new(),
            shared: RecipientSet::new(&[])?,
            host_key: None,
            cache,
            packs: Mutex::new(Vec::new()),
            loading: Mutex::new(()),
            bytes_read: Default::default(),
        };
        repo.recipients = RecipientSet::new(&repo.recipient_certs()?)?;
        repo.load_writers()?;
        repo.sync_index()?;
        Ok(repo)
    }

    /// The certificate of the expected signer: our own, or the one stored under `keys/`,
    /// which is only as good as its fingerprint (checked here), since storage may hold
    /// anything there.
    fn signer_cert(backend: &dyn Backend, identity: &Identity, fpr: &str) -> Result<Cert> {
        if identity.fingerprint().eq_ignore_ascii_case(fpr) {
            return Ok(identity.cert().clone());
        }
        Self::public_cert(backend, fpr)
    }

    fn public_cert(backend: &dyn Backend, fpr: &str) -> Result<Cert> {
        let fpr = keys::validate_fingerprint(fpr)
            .map_err(|e| RepoError::Invalid(format!("config names a malformed key: {e}")))?;
        let name = format!("keys/{fpr}.asc");
        let cert = keys::parse_public(&backend.get(&name)?, &name)?;
        if cert.fingerprint().to_hex() != fpr {
            return Err(RepoError::Invalid(format!(
                "{name}: certificate does not match its fingerprint (tampered?)"
            )));
        }
        Ok(cert)
    }

    /// Whether a stored signed object verifies against the current signer alone, not
    /// only a former one (`key rewrap` signs those again).
    pub fn signed_by_current(&self, stored: &[u8]) -> bool {
        crypto::decrypt_signed_by(&self.identity, stored, Some(&self.signers[..1])).is_ok()
    }

    /// What decides whether an index object verifies here: whether index objects must
    /// be signed, by whom, and who decrypts. State derived from verified objects (prune's
    /// ledger) is valid only while this stays the same.
    pub fn index_trust(&self) -> String {
        let signers: Vec<String> = self
            .signers
            .iter()
            .map(|c| c.fingerprint().to_hex())
            .collect();
        format!(
            "signed={} signers={} reader={}",
            self.config.index_signed,
            signers.join(","),
            self.identity.fingerprint()
        )
    }

    /// Writing needs the repository's signing key: snapshots are verified against it.
    pub fn require_signer(&self) -> Result<()> {
        let writer = self.writer();
        // An expired key is refused before anything is uploaded, not at the snapshot.
        writer.signer()?;
        if writer.fingerprint() == self.config.signer {
            return Ok(());
        }
        Err(RepoError::Invalid(format!(
            "key {} can read this repository but not write to it: snapshots must be signed by the repository key {}",
            writer.fingerprint(),
            self.config.signer
        )))
    }

    /// The key that signs what this process writes: the key in hand, or the one given
    /// to [`Repository::sign_with`].
    fn writer(&self) -> &Identity {
        self.writer.as_ref().unwrap_or(&self.identity)
    }

    /// Signs with `writer` while reading with the key in hand: after a hand-over, only
    /// the old key reads what was written before it, and only the new one may sign
    /// (`key rewrap --sign-with`).
    pub fn sign_with(&mut self, writer: Identity) {
        self.writer = Some(writer);
    }

    pub fn backend(&self) -> &dyn Backend {
        &*self.backend
    }
    /// A handle on the backend that can move to another thread.
    pub fn backend_handle(&self) -> Arc<dyn Backend> {
        self.backend.clone()
    }
    pub fn config(&self) -> &Config {
        &self.config
    }
    pub fn identity(&self) -> &Identity {
        &self.identity
    }
    pub fn recipients(&self) -> &RecipientSet {
        &self.recipients
    }
    pub fn blob_key(&self) -> &[u8; 32] {
        &self.blob_key
    }
    pub fn cache(&self) -> &Cache {
        &self.cache
    }
    pub fn location(&self) -> String {
        self.backend.location()
    }
    /// Where the repository lives, for links to it (`backend::url::Place`).
    pub fn place(&self) -> crate::backend::url::Place {
        self.backend.place()
    }

    /// Reads index files the cache has not seen; rebuilds the cached index if some it
    /// had were deleted (by prune). An index object that does not verify (planted by
    /// someone who can only encrypt to the repository, or damaged) is skipped with a
    /// warning: it can cost deduplication, never a restore of what verified objects name.
    pub fn sync_index(&self) -> Result<()> {
        let listed: HashSet<String> = self
            .backend
            .list("index/")?
            .into_iter()
            .map(|o| o.name)
            .collect();
        let known: HashSet<String> = self.cache.index_files()?.into_iter().collect();
        let missing: Vec<&String> = if known.is_subset(&listed) {
            listed.difference(&known).collect()
        } else {
            self.cache.reset_index()?;
            listed.iter().collect()
        };
        // A few files at a time, each staged in the cache before the next are read: all
        // of them at once held the whole index in memory (~170 bytes a blob, measured in
        // docs/BENCHMARKS.md "Repository scale"), on every cold cache and after every
        // prune. Their rows go into the blob index together at the end.
        let in_memory = rayon::current_num_threads().max(self.backend.properties().connections);
        let mut not_for_host = 0;
        let missing: Vec<String> = missing.into_iter().cloned().collect();
        if missing.is_empty() {
            return Ok(());
        }
        let mut bulk = self.cache.bulk_index()?;
        self.read_indexes_ahead(&missing, in_memory, |name, r| {
            match r {
                Ok(idx) => bulk.add(&name, &idx)?,
                Err(RepoError::Object {
                    cause: crypto::Error::NotForUs,
                    ..
                }) if self.host_key.is_some() => not_for_host += 1,
                Err(e @ (RepoError::Object { .. } | RepoError::Invalid(_))) => {
                    crate::ui::warn(&format!("{e}; ignoring it"))
                }
                Err(e) => return Err(e),
            }
            Ok(())
        })?;
        bulk.finish()?;
        static SAID: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
        if not_for_host > 0 && !SAID.swap(true, std::sync::atomic::Ordering::Relaxed) {
            crate::ui::warn(&format!(
                "{not_for_host} index objects were written before this write-only key was added and are not encrypted to it: what they index is stored again, until the owner runs `cairn key rewrap`"
            ));
        }
        Ok(())
    }

    /// Lists the packs storage holds, so that deduplication only counts copies that
    /// exist: an index entry (a replayed old index, or one naming a pack deleted behind
    /// our back) is never enough on its own. Backups call this once they hold their lock.
    ///
    /// Packs a write-only host stored count for that host only: the others do not take
    /// its word that they hold what its index says (docs/FORMAT.md, "Write-only hosts").
    pub fn sync_packs(&self) -> Result<()> {
        let mut ids: Vec<PackId> = self.pack_ids()?.into_iter().map(|(id, _)| id).collect();
        if !self.hosts.is_empty() {
            let others = self.cache.others_packs(&self.identity.fingerprint())?;
            ids.retain(|id| !others.contains(id));
        }
        Ok(self.cache.set_listed_packs(&ids)?)
    }

    /// Reads the index objects `names` in groups on other threads, while `each` takes
    /// the group read before on this one, in the order of `names`: reading (download,
    /// decryption, JSON) and what the caller does with a file (SQLite rows, one writer)
    /// each took about half of the time, one after the other. At most `in_memory` files
    /// are held at once, two groups of half as many (a rendezvous channel), so memory
    /// does not grow with the index. An error from `each` stops the reading.
    pub fn read_indexes_ahead<E>(
        &self,
        names: &[String],
        in_memory: usize,
        mut each: impl FnMut(String, Result<IndexFile>) -> std::result::Result<(), E>,
    ) -> std::result::Result<(), E> {
        let (tx, rx) = crossbeam_channel::bounded(0);
        std::thread::scope(|scope| {
            scope.spawn(move || {
                for group in names.chunks((in_memory / 2).max(1)) {
                    let files: Vec<_> = group
                        .par_iter()
                        .map(|n| (n.clone(), self.read_index(n)))
                        .collect();
                    // A closed channel: `each` failed and the loop below has ended.
                    if tx.send(files).is_err() {
                        break;
                    }
                }
            });
            for files in rx {
                for (name, file) in files {
                    each(name, file)?;
                }
            }
            Ok(())
        })
    }

    pub fn read_index(&self, name: &str) -> Result<IndexFile> {
        let stored = self.backend.get(name)?;
        // Repositories made before index objects were signed accept unsigned ones; the
        // config, which is verified, says which kind this is.
        let signers = self.config.index_signed.then_some(&self.signers[..]);
        let (plain, by) = self
            .decrypt_signed(&stored, signers)
            .map_err(|e| RepoError::object(name, e))?;
        let json = pack::decompress_bounded(&plain, index::MAX_INDEX_JSON)
            .ok_or_else(|| RepoError::object(name, crypto::Error::Corrupt))?;
        let mut index: IndexFile = serde_json::from_slice(&json)
            .map_err(|e| RepoError::Invalid(format!("{name}: malformed index: {e}")))?;
        if let Some(w) = by {
            Self::writer_index(&mut index, w);
        }
        Ok(index)
    }

    /// Decrypts an object signed by one of `signers` (the repository's) or, failing
    /// that, by a write-only host, which is then named.
    fn decrypt_signed(
        &self,
        stored: &[u8],
        signers: Option<&[Cert]>,
    ) -> std::result::Result<(Vec<u8>, Option<&config::Writer>), crypto::Error> {
        match crypto::decrypt_signed_by(&self.identity, stored, signers) {
            Ok(plain) => Ok((plain, None)),
            Err(crypto::Error::BadSignature) if !self.hosts.is_empty() => self
                .verify_by_writer(stored)
                .map(|(plain, w)| (plain, Some(w))),
            Err(e) => Err(e),
        }
    }

    /// Stores an index file and adds it to the cache.
    pub fn write_index(&self, index: &IndexFile) -> Result<IndexId> {
        // Serialised straight into the compressor: the JSON of a large index would
        // otherwise be the biggest allocation of a backup.
        let mut z = zstd::Encoder::new(Vec::new(), index::INDEX_LEVEL)
            .map_err(|e| RepoError::Invalid(format!("compressing index: {e}")))?;
        serde_json::to_writer(&mut z, index).expect("index serialises");
        let packed = z
            .finish()
            .map_err(|e| RepoError::Invalid(format!("compressing index: {e}")))?;
        self.store_index(index, packed)
    }

    /// Stores an index file whose compressed JSON is `packed` and adds it to the cache.
    pub fn store_index(&self, index: &IndexFile, packed: Vec<u8>) -> Result<IndexId> {
        let ids = self.store_indexes(&[index], vec![packed], &|| Ok(()))?;
        Ok(ids[0])
    }

    /// Stores index files (`packed[i]` the compressed JSON of `indexes[i]`), calling
    /// `before_each` before each is written, and adds them all to the cache. The
    /// cache's rows go in while the objects are encrypted and written, on another
    /// thread, and are committed once every one is stored: if one fails, those stored
    /// before it reach this cache at its next sync with storage, as other machines'
    /// indexes do.
    pub fn store_indexes(
        &self,
        indexes: &[&IndexFile],
        packed: Vec<Vec<u8>>,
        before_each: &(dyn Fn() -> Result<()> + Sync),
    ) -> Result<Vec<IndexId>> {
        let mut put = None;
        // Indexing what an interrupted backup stored is cleanup work, on both threads.
        let cleaning = crate::interrupt::cleaning_up();
        let added = std::thread::scope(|s| {
            let writing = s.spawn(move || -> Result<Vec<(IndexId, String)>> {
                crate::interrupt::cleanup_if(cleaning, || {
                    packed
                        .into_iter()
                        .map(|packed| {
                            before_each()?;
                            let body = pad::zstd(packed);
                            let writer = Some(self.writer());
                            let stored = crypto::encrypt(&self.shared, writer, &body)?;
                            let id = IndexId(*blake3::hash(&stored).as_bytes());
                            let name = format!("index/{id}");
                            self.backend.put(&name, &stored)?;
                            Ok((id, name))
                        })
                        .collect()
                })
            });
            self.cache.add_indexes_when(indexes, || {
                let r = writing.join().expect("index writer does not panic");
                let names = r
                    .as_ref()
                    .ok()
                    .map(|w| w.iter().map(|(_, name)| name.clone()).collect());
                put = Some(r);
                names
            })
        });
        // When the rows failed to go in, the objects may still have been stored (as
        // before: the cache is rebuilt from storage when needed).
        let written = match put {
            Some(r) => r?,
            None => return Err(added.expect_err("rows not added").into()),
        };
        added?;
        self.cache
            .add_listed_packs(indexes.iter().flat_map(|i| &i.packs).map(|p| &p.id))?;
        Ok(written.into_iter().map(|(id, _)| id).collect())
    }

    pub fn write_snapshot(&self, snap: &Snapshot) -> Result<SnapshotId> {
        let body = pad::json(serde_json::to_vec_pretty(snap).expect("snapshot serialises"));
        let stored = crypto::encrypt(&self.recipients, Some(self.writer()), &body)?;
        let id = SnapshotId(*blake3::hash(&stored).as_bytes());
        self.backend.put(&format!("snapshots/{id}"), &stored)?;
        Ok(id)
    }

    pub fn read_snapshot(&self, id: &SnapshotId) -> Result<Snapshot> {
        self.require_reader()?;
        let name = format!("snapshots/{id}");
        let stored = self.backend.get(&name)?;
        if blake3::hash(&stored).as_bytes() != &id.0 {
            return Err(RepoError::object(&name, crypto::Error::Corrupt));
        }
        let (plain, by) = self
            .decrypt_signed(&stored, Some(&self.signers))
            .map_err(|e| RepoError::object(&name, e))?;
        let snap: Snapshot = serde_json::from_slice(&plain)
            .map_err(|e| RepoError::Invalid(format!("{name}: malformed manifest: {e}")))?;
        if let Some(w) = by {
            Self::writer_snapshot(&name, &snap, w)?;
        }
        if snap.version != 1 {
            return Err(RepoError::Invalid(format!(
                "{name}: manifest version {} is not supported by this cairn",
                snap.version
            )));
        }
        Ok(snap)
    }

    /// Deletes a snapshot's manifest. Its data stays until prune finds it unused.
    pub fn remove_snapshot(&self, id: &SnapshotId) -> Result<()> {
        Ok(self.backend.delete(&format!("snapshots/{id}"))?)
    }

    pub fn snapshot_ids(&self) -> Result<Vec<SnapshotId>> {
        let mut ids = Vec::new();
        for o in self.backend.list("snapshots/")? {
            let hex = o.name.trim_start_matches("snapshots/");
            match hex.parse() {
                Ok(id) => ids.push(id),
                Err(_) => crate::ui::warn(&format!("ignoring unexpected object {}", o.name)),
            }
        }
        Ok(ids)
    }

    /// Every snapshot that verifies, oldest first, and one message per snapshot that
    /// does not: a single bad object must not hide the good ones.
    pub fn snapshots_checked(&self) -> Result<(Vec<StoredSnapshot>, Vec<String>)> {
        self.require_reader()?;
        let ids = self.snapshot_ids()?;
        let results: Vec<(SnapshotId, Result<Snapshot>)> = ids
            .par_iter()
            .map(|id| (*id, self.read_snapshot(id)))
            .collect();
        let mut snaps = Vec::new();
        let mut bad = Vec::new();
        for (id, r) in results {
            match r {
                Ok(snap) => snaps.push(StoredSnapshot { id, snap }),
                Err(RepoError::Backend(e)) if e.is_not_found() => {} // deleted meanwhile
                Err(e) => bad.push(e.to_string()),
            }
        }
        // A repaired manifest keeps its original's time and comes right after it, so
        // `latest` is the repaired one.
        snaps.sort_by(|a, b| {
            (a.snap.time, a.snap.repaired.is_some(), a.id).cmp(&(
                b.snap.time,
                b.snap.repaired.is_some(),
                b.id,
            ))
        });
        bad.sort();
        Ok((snaps, bad))
    }

    /// Every snapshot that verifies, oldest first; each one that does not is warned about.
    pub fn snapshots(&self) -> Result<Vec<StoredSnapshot>> {
        let (snaps, bad) = self.snapshots_checked()?;
        for b in bad {
            crate::ui::warn(&format!("{b} (skipped)"));
        }
        Ok(snaps)
    }

    pub fn pack_ids(&self) -> Result<Vec<(PackId, u64)>> {
        let mut out = Vec::new();
        for o in self.backend.list("data/")? {
            let hex = o.name.rsplit('/').next().unwrap_or("");
            if let Ok(id) = hex.parse() {
                out.push((id, o.size));
            }
        }
        Ok(out)
    }

    /// Downloads, checks and decrypts a pack.
    /// A download whose bytes do not match the pack id is fetched once more before the
    /// pack is declared damaged: a broken transfer must not fail a restore.
    pub fn read_pack(&self, id: &PackId) -> Result<Pack> {
        self.require_reader()?;
        let name = pack::pack_name(id);
        let stored = self.backend.get(&name)?;
        self.bytes_read
            .fetch_add(stored.len() as u64, std::sync::atomic::Ordering::Relaxed);
        match Pack::open(*id, stored, &self.identity) {
            Err(PackError::HashMismatch(_)) => {
                crate::ui::warn(&format!(
                    "{}: {name}: download does not match its id; fetching it again",
                    self.location()
                ));
                let stored = self.backend.get(&name)?;
                Ok(Pack::open(*id, stored, &self.identity)?)
            }
            r => Ok(r?),
        }
    }

    /// Reads and decrypts `ids` ahead of `consume`, which gets them in order: one pack
    /// ahead from a directory, up to `PREFETCH_MAX` from an object store, whose round
    /// trips would otherwise idle the caller. Memory stays at that many packs whatever
    /// the number of ids. Stops at the first error `consume` returns.
    pub fn read_packs_ahead<E>(
        &self,
        ids: Vec<PackId>,
        mut consume: impl FnMut(PackId, Result<Pack>) -> std::result::Result<(), E>,
    ) -> std::result::Result<(), E> {
        // One more than the downloads in flight: the pack being consumed counts too.
        let depth = self.backend.properties().connections.clamp(1, PREFETCH_MAX) + 1;
        prefetch::in_order(
            ids,
            depth,
            |id| (id, self.read_pack(&id)),
            |(id, pack)| consume(id, pack),
        )
    }

    /// Stored bytes of the packs downloaded so far (a backup reports what reading its
    /// delta bases cost).
    pub fn bytes_read(&self) -> u64 {
        self.bytes_read.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// A decrypted pack from the cache of recently read ones, read if it is not there.
    pub fn cached_pack(&self, id: &PackId) -> Result<Arc<Pack>> {
        self.require_reader()?;
        let hit = || {
            let mut packs = self.packs.lock().unwrap();
            let i = packs.iter().position(|p| &p.id == id)?;
            // Most recently used last.
            let p = packs.remove(i);
            packs.push(p.clone());
            Some(p)
        };
        if let Some(p) = hit() {
            return Ok(p);
        }
        let _loading = self.loading.lock().unwrap();
        if let Some(p) = hit() {
            return Ok(p);
        }
        let pack = Arc::new(self.read_pack(id)?);
        let mut packs = self.packs.lock().unwrap();
        let mut held: usize = packs.iter().map(|p| p.plain_len()).sum();
        while held + pack.plain_len() > PACK_CACHE_BYTES && !packs.is_empty() {
            held -= packs.remove(0).plain_len();
        }
        packs.push(pack.clone());
        Ok(pack)
    }

    /// Drops the decrypted packs kept for tree walks (once a walk is done).
    pub fn forget_cached_packs(&self) {
        self.packs.lock().unwrap().clear();
    }

    pub fn locate(&self, id: &BlobId) -> Result<(PackId, PackEntry)> {
        self.cache.lookup(id)?.ok_or(RepoError::NotIndexed(*id))
    }

    pub fn read_blob(&self, id: &BlobId) -> Result<Vec<u8>> {
        let (pack_id, entry) = self.locate(id)?;
        let pack = self.cached_pack(&pack_id)?;
        Ok(self.blob_in(&pack, &entry)?.into_owned())
    }

    /// A blob of `pack`, checked against its id; a delta is rebuilt from its base,
    /// which is read through the cache of decrypted packs.
    pub fn blob_in<'p>(
        &self,
        pack: &'p Pack,
        entry: &PackEntry,
    ) -> Result<std::borrow::Cow<'p, [u8]>> {
        if entry.compression != pack::Compression::Delta {
            return Ok(pack.blob(entry, &self.blob_key)?);
        }
        let base = self.read_base(pack.id, entry)?;
        Ok(std::borrow::Cow::Owned(pack.delta_blob(
            entry,
            &base,
            &self.blob_key,
        )?))
    }

    /// Where the base of delta `entry` (in `pack`) is: refused when it is missing or
    /// itself a delta (bases are full blobs, so every delta is one read away).
    pub fn locate_base(&self, pack: PackId, entry: &PackEntry) -> Result<(PackId, PackEntry)> {
        let bad = |what: String| {
            RepoError::Pack(PackError::Blob {
                pack,
                blob: entry.id,
                what,
            })
        };
        let base = entry
            .base
            .ok_or_else(|| bad("delta names no base".into()))?;
        let (base_pack, base_entry) = self
            .cache
            .lookup(&base)?
            .ok_or_else(|| bad(format!("its delta base {base} is not in the index")))?;
        if base_entry.compression == pack::Compression::Delta || base == entry.id {
            return Err(bad(format!(
                "its delta base {base} is itself a delta (pack {base_pack})"
            )));
        }
        Ok((base_pack, base_entry))
    }

    /// The raw bytes of the base of delta `entry` (in `pack`).
    fn read_base(&self, pack: PackId, entry: &PackEntry) -> Result<Vec<u8>> {
        let (base_pack, base_entry) = self.locate_base(pack, entry)?;
        let from = self.cached_pack(&base_pack).map_err(|e| {
            RepoError::Invalid(format!(
                "pack {pack}: blob {}: reading its delta base: {e}",
                entry.id
            ))
        })?;
        let raw = from.blob(&base_entry, &self.blob_key).map_err(|e| {
            RepoError::Invalid(format!(
                "pack {pack}: blob {}: reading its delta base: {e}",
                entry.id
            ))
        })?;
        Ok(raw.into_owned())
    }

    pub fn read_tree(&self, id: &BlobId) -> Result<Tree> {
        let raw = self.read_blob(id)?;
        serde_json::from_slice(&raw)
            .map_err(|e| RepoError::Invalid(format!("tree {id}: malformed: {e}")))
    }

    pub fn chunk_sizes(&self, stream: bool) -> ChunkSizes {
        if stream {
            self.config.chunk_sizes_stream
        } else {
            self.config.chunk_sizes_files
        }
    }
}
