//! The backend contract (src/backend/mod.rs), checked against every store through the
//! library: the local directory, Swift (TempAuth and Keystone) and S3, all real.
//!
//! The backends read their credentials from the environment as cairn does, so the
//! tests of this file run one at a time under `SERIAL`, each setting the variables of
//! its store.

#[macro_use]
mod common;

use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use cairn::backend::{self, Backend, Error, ObjectInfo, Options};
use common::noise;
use common::stores::{services, Store};

static SERIAL: Mutex<()> = Mutex::new(());

struct Opened {
    backend: Box<dyn Backend>,
    _dir: tempfile::TempDir,
    _serial: MutexGuard<'static, ()>,
}

/// A backend on a fresh container/bucket/directory of `store`, with `env` as the
/// process environment's store variables.
fn open_with(store: Store, env: Vec<(String, String)>, opts: &Options) -> Opened {
    let serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let dir = tempfile::tempdir().unwrap();
    let url = store.url(dir.path());
    for (k, _) in std::env::vars() {
        if ["CAIRN_", "AWS_", "OS_", "ST_"]
            .iter()
            .any(|p| k.starts_with(p))
        {
            std::env::remove_var(k);
        }
    }
    for (k, v) in env {
        std::env::set_var(k, v);
    }
    std::env::set_var("CAIRN_RETRY_FAST", "1");
    let backend = backend::open(&url, opts).unwrap();
    Opened {
        backend,
        _dir: dir,
        _serial: serial,
    }
}

/// `open_with` the store's own credentials, and the container or bucket created.
fn open(store: Store) -> Opened {
    open_created(store, store.env(), &Options::default())
}

fn open_created(store: Store, env: Vec<(String, String)>, opts: &Options) -> Opened {
    let o = open_with(store, env, opts);
    o.backend.create().unwrap();
    o
}

per_store!(objects: File, SwiftTempAuth, SwiftKeystone, S3);
per_store!(listing_pages_and_bulk_delete: File, SwiftTempAuth, SwiftKeystone, S3);
per_store!(put_if_absent_race: File, SwiftTempAuth, SwiftKeystone, S3);
per_store!(wrong_credentials: SwiftTempAuth, SwiftKeystone, SwiftAppCred, S3);

/// The listing by name, each entry's modification time checked (every store gives one,
/// close to now: fault injection's `lag` rule and the lock protocol rely on it) and then
/// left out of the comparison.
fn sorted(mut v: Vec<ObjectInfo>) -> Vec<ObjectInfo> {
    let now = std::time::SystemTime::now();
    let around = std::time::Duration::from_secs(300);
    for o in &mut v {
        let m = o.modified.take();
        let m = m.unwrap_or_else(|| panic!("{}: listed without a modification time", o.name));
        let off = now.duration_since(m).unwrap_or_else(|e| e.duration());
        assert!(
            off < around,
            "{}: listed as modified {off:?} away from now",
            o.name
        );
    }
    v.sort_by(|a, b| a.name.cmp(&b.name));
    v
}

fn info(name: &str, size: usize) -> ObjectInfo {
    ObjectInfo {
        name: name.into(),
        size: size as u64,
        modified: None,
    }
}

fn objects(store: Store) {
    let o = open(store);
    let b = &o.backend;

    let missing = b.get("data/ab/x").unwrap_err();
    assert!(missing.is_not_found(), "{store:?}: {missing}");
    assert!(missing.to_string().contains("data/ab/x"), "{missing}");
    assert!(!b.exists("data/ab/x").unwrap());

    b.put("data/ab/x", b"hello").unwrap();
    assert_eq!(b.get("data/ab/x").unwrap(), b"hello");
    assert!(b.exists("data/ab/x").unwrap());
    b.put("data/ab/x", b"world!").unwrap();
    assert_eq!(
        b.get("data/ab/x").unwrap(),
        b"world!",
        "{store:?} overwrite"
    );

    b.put("empty", b"").unwrap();
    assert_eq!(b.get("empty").unwrap(), b"");
    let big = noise(3 << 20, 5);
    b.put("data/cd/big", &big).unwrap();
    assert!(
        b.get("data/cd/big").unwrap() == big,
        "{store:?} 3 MiB object"
    );

    assert_eq!(
        sorted(b.list("data/").unwrap()),
        vec![info("data/ab/x", 6), info("data/cd/big", big.len())],
        "{store:?}"
    );
    assert_eq!(b.list("").unwrap().len(), 3, "{store:?}");
    assert!(b.list("nothing/").unwrap().is_empty());

    b.delete("data/ab/x").unwrap();
    assert!(b.get("data/ab/x").unwrap_err().is_not_found());
    b.delete("data/ab/x").unwrap();

    assert!(b.put_if_absent("config", b"first").unwrap());
    assert!(!b.put_if_absent("config", b"second").unwrap());
    assert_eq!(b.get("config").unwrap(), b"first");
}

/// More objects than one listing page (1000 on both Swift and S3) and than one bulk
/// delete request (1000 on S3).
fn listing_pages_and_bulk_delete(store: Store) {
    let o = open(store);
    let b = &o.backend;
    let names: Vec<String> = (0..1100)
        .map(|i| format!("data/{:02x}/obj{i:05}", i % 256))
        .collect();
    std::thread::scope(|s| {
        for part in names.chunks(names.len().div_ceil(8)) {
            s.spawn(move || {
                for n in part {
                    b.put(n, n.as_bytes()).unwrap();
                }
            });
        }
    });
    b.put("index/other", b"x").unwrap();

    let listed = sorted(b.list("data/").unwrap());
    let mut expected: Vec<ObjectInfo> = names.iter().map(|n| info(n, n.len())).collect();
    expected.sort_by(|a, b| a.name.cmp(&b.name));
    assert_eq!(listed.len(), 1100, "{store:?}");
    assert!(listed == expected, "{store:?}: listing differs");

    b.delete_many(&names).unwrap();
    assert!(b.list("data/").unwrap().is_empty(), "{store:?}");
    assert_eq!(sorted(b.list("").unwrap()), vec![info("index/other", 1)]);
}

/// Eight writers race for one name: where the store makes put_if_absent atomic,
/// exactly one wins and its content stays. Elsewhere (Swift checks If-None-Match when
/// an upload starts; s3api has no conditional PUT) several may be told they created it,
/// but the content is always one of theirs, and a writer told "exists" never wins.
fn put_if_absent_race(store: Store) {
    let o = open(store);
    let b = &o.backend;
    // The first conditional request tells whether the store supports it.
    assert!(b.put_if_absent("probe", b"p").unwrap());
    let atomic = b.properties().atomic_put_if_absent;
    assert_eq!(
        atomic,
        store == Store::File,
        "{store:?}: only the file store is atomic among those tested"
    );
    let won: Vec<bool> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..8)
            .map(|i| s.spawn(move || b.put_if_absent("locks/one", format!("w{i}").as_bytes())))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap().unwrap())
            .collect()
    });
    let content = String::from_utf8(b.get("locks/one").unwrap()).unwrap();
    let winners: Vec<usize> = (0..8).filter(|&i| won[i]).collect();
    assert!(!winners.is_empty(), "{store:?}: nobody won");
    if atomic {
        assert_eq!(winners.len(), 1, "{store:?}: {won:?}");
        assert_eq!(content, format!("w{}", winners[0]), "{store:?}");
    } else {
        let holder: usize = content[1..].parse().unwrap();
        assert!(
            winners.contains(&holder),
            "{store:?}: w{holder} was told it lost"
        );
    }
    // Once the object exists, every store refuses another creator.
    assert!(!b.put_if_absent("locks/one", b"late").unwrap(), "{store:?}");
    assert_eq!(
        String::from_utf8(b.get("locks/one").unwrap()).unwrap(),
        content
    );
}

fn wrong_credentials(store: Store) {
    let o = open_with(store, store.wrong_env(), &Options::default());
    let started = std::time::Instant::now();
    let err = o.backend.get("config").unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, Error::Permanent { .. }), "{store:?}: {msg}");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{store:?} retried"
    );
    assert!(!msg.contains('\n'), "{msg}");
    assert!(msg.contains(&o.backend.location()), "{msg}");
    assert!(
        !msg.contains(&store.secret().unwrap()),
        "{store:?} leaks: {msg}"
    );
}

/// Objects above the multipart threshold go up in parts and come back whole.
#[test]
fn s3_multipart_upload() {
    let mut opts = Options::default();
    opts.s3.multipart_threshold = 5 << 20;
    opts.s3.part_size = 5 << 20;
    let o = open_created(Store::S3, Store::S3.env(), &opts);
    let data = noise(12 << 20, 9);
    o.backend.put("data/mp", &data).unwrap();
    assert!(o.backend.get("data/mp").unwrap() == data);
    assert!(o.backend.put_if_absent("data/mp2", &data).unwrap());
    assert!(!o.backend.put_if_absent("data/mp2", b"other").unwrap());
    assert_eq!(o.backend.list("data/").unwrap().len(), 2);
}

/// A TempAuth token that expires between requests (the test proxy's tokens live 3 s):
/// the backend authenticates again instead of failing.
#[test]
fn swift_token_expiry_reauthenticates() {
    let s = services();
    let life: u64 = s.var("SWIFT_SHORT_TOKEN_LIFE").parse().unwrap();
    let env = vec![
        ("ST_AUTH".into(), s.var("SWIFT_SHORT_TOKEN_AUTH_URL").into()),
        ("ST_USER".into(), s.var("SWIFT_USER").into()),
        ("ST_KEY".into(), s.var("SWIFT_KEY").into()),
    ];
    let o = open_created(Store::SwiftTempAuth, env, &Options::default());
    let b = &o.backend;
    b.put("a", b"1").unwrap();
    for round in 0..2 {
        std::thread::sleep(Duration::from_secs(life + 1));
        assert_eq!(b.get("a").unwrap(), b"1", "round {round}");
        b.put(&format!("b{round}"), b"2").unwrap();
        assert_eq!(b.list("b").unwrap().len(), round + 1);
    }
}
