//! Partial damage, through the CLI, on a local directory and on a real object store
//! (S3 on loopback): a lost or corrupt pack costs exactly the files that depend on
//! it. `check` names them, `restore` brings back everything else and exits 3,
//! `cairn repair` rebuilds the index and writes repaired snapshots so that `check`
//! passes again, and a later backup that stores the lost data again heals the
//! original snapshot. Interruptions (injected faults) leave a repository that a
//! second run finishes.

#[macro_use]
mod common;

use std::fs;
use std::path::{Path, PathBuf};

use cairn::backend::{self, Backend};
use common::stores::Store;
use common::{assert_same_tree, noise, World};

per_store!(lost_pack: File, S3);
per_store!(corrupt_pack: File, S3);

/// The repository's storage, opened through the library as cairn opens it: lets a
/// test lose or damage an object on any store.
fn storage(w: &World) -> Box<dyn Backend> {
    let url = match &w.url {
        Some(url) => {
            // Only the child processes this file starts read these, and `World::cmd`
            // clears them for each; the library reads them from this process.
            for (k, v) in &w.env {
                std::env::set_var(k, v);
            }
            url.clone()
        }
        None => w.repo.to_str().unwrap().to_string(),
    };
    backend::open(&url, &backend::Options::default()).unwrap()
}

fn object_names(b: &dyn Backend, prefix: &str) -> Vec<String> {
    let mut v: Vec<String> = b
        .list(prefix)
        .unwrap()
        .into_iter()
        .map(|o| o.name)
        .collect();
    v.sort();
    v
}

/// The biggest of the data packs in `after` and not in `before`.
fn biggest_new_pack(b: &dyn Backend, before: &[String]) -> String {
    b.list("data/")
        .unwrap()
        .into_iter()
        .filter(|o| !before.contains(&o.name))
        .max_by_key(|o| o.size)
        .expect("a new pack")
        .name
}

/// Three backups of `src`, each adding one file, so that a data pack a backup adds
/// holds that file alone: `d/a.txt` and `e/x.txt`, then `b.bin` (`first`), then
/// `c.bin` (`second`). `packs_first` are the data packs stored by then.
struct Backups {
    src: PathBuf,
    first: String,
    second: String,
    /// Data packs before `first`, and before `second`.
    packs_before_first: Vec<String>,
    packs_first: Vec<String>,
}

fn backups(w: &World, b: &dyn Backend) -> Backups {
    let src = w.path("src");
    fs::create_dir_all(src.join("d")).unwrap();
    fs::create_dir_all(src.join("e")).unwrap();
    fs::write(src.join("d/a.txt"), "alpha\n".repeat(10_000)).unwrap();
    fs::write(src.join("e/x.txt"), "x\n").unwrap();
    let s = src.to_str().unwrap();
    w.backup(&[s]);
    let packs_before_first = object_names(b, "data/");
    fs::write(src.join("b.bin"), noise(2_000_000, 1)).unwrap();
    let first = w.backup(&[s])["id"].as_str().unwrap().to_string();
    let packs_first = object_names(b, "data/");
    fs::write(src.join("c.bin"), noise(1_500_000, 2)).unwrap();
    let second = w.backup(&[s])["id"].as_str().unwrap().to_string();
    Backups {
        src,
        first,
        second,
        packs_before_first,
        packs_first,
    }
}

/// The files of `src` but `missing` came back in `restored` (a restore's target).
fn same_files_but(src: &Path, restored: &Path, missing: &str) {
    let got = inner(restored, src);
    for f in ["d/a.txt", "e/x.txt", "b.bin", "c.bin"] {
        if f == missing {
            assert!(!got.join(f).exists(), "{f} must not be there");
        } else {
            assert!(
                fs::read(got.join(f)).unwrap() == fs::read(src.join(f)).unwrap(),
                "{f} differs"
            );
        }
    }
}

fn inner(target: &Path, src: &Path) -> PathBuf {
    target.join(src.strip_prefix("/").unwrap())
}

fn short(id: &str) -> &str {
    &id[..8]
}

/// `cairn --json check ARGS`, which must fail: its report.
fn failing_check(w: &World, args: &[&str]) -> (serde_json::Value, String) {
    let mut a = vec!["--json", "check"];
    a.extend_from_slice(args);
    let out = w.run(&a);
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(1), "check should fail: {err}");
    (serde_json::from_slice(&out.stdout).unwrap(), err)
}

/// A restore that must end with exit 3; returns its stderr.
fn partial_restore(w: &World, snap: &str, target: &Path) -> String {
    w.fails(&["restore", snap, "--target", target.to_str().unwrap()], 3)
}

/// The data pack of the second backup is lost: only c.bin depends on it.
fn lost_pack(store: Store) {
    let w = World::on(store);
    let b = storage(&w);
    let t = backups(&w, &*b);
    let lost = biggest_new_pack(&*b, &t.packs_first);
    b.delete(&lost).unwrap();
    let c_bin = t.src.join("c.bin").display().to_string();

    // check names the damaged snapshot and the one file, as text and JSON.
    let err = w.fails(&["check"], 1);
    assert!(
        err.contains(&format!("damaged: snapshot {}", short(&t.second))),
        "{store:?}: {err}"
    );
    assert!(err.contains(&format!("lost file: {c_bin}\n")), "{err}");
    assert!(!err.contains(short(&t.first)), "the first is whole: {err}");
    assert_eq!(err.matches("lost file:").count(), 1, "{err}");
    let (report, _) = failing_check(&w, &[]);
    let damaged = report["damaged"].as_array().unwrap();
    assert_eq!(damaged.len(), 1, "{report}");
    assert_eq!(damaged[0]["id"], t.second.as_str());
    assert_eq!(damaged[0]["lost_files"], serde_json::json!([c_bin]));
    assert_eq!(damaged[0]["lost_dirs"], serde_json::json!([]));

    // restore brings back everything else, lists c.bin once, and leaves no trace of it.
    let r = w.path("partial");
    let err = partial_restore(&w, &t.second, &r);
    assert_eq!(err.matches("not restored (data lost").count(), 1, "{err}");
    assert!(err.contains(&format!("not restored (data lost or damaged): {c_bin}\n")));
    assert!(err.contains("cairn restore: 1 path of snapshot"), "{err}");
    same_files_but(&t.src, &r, "c.bin");

    // A dry run changes nothing.
    let index_before = object_names(&*b, "index/");
    let out = w.run(&["repair", "--dry-run"]);
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{said}");
    assert!(said.contains("would write 1 repaired"), "{said}");
    assert!(said.contains(&format!("lost: {c_bin}")), "{said}");
    assert_eq!(object_names(&*b, "index/"), index_before);
    assert_eq!(w.snapshots().len(), 3);

    // The index no longer names the lost pack; the snapshot is still damaged.
    let out = w.json(&["repair", "index"]);
    assert_eq!(out["packs_dropped"], 1, "{out}");
    assert!(out["unreadable"].as_array().unwrap().is_empty());
    let (_, err) = failing_check(&w, &[]);
    assert!(!err.contains("missing from storage"), "{err}");

    let out = w.json(&["repair", "snapshots"]);
    let repaired = out["repaired"].as_array().unwrap();
    assert_eq!(repaired.len(), 1, "{out}");
    assert_eq!(repaired[0]["original"], t.second.as_str());
    let new_id = repaired[0]["id"].as_str().unwrap().to_string();
    let snaps = w.snapshots();
    assert_eq!(snaps.len(), 4, "the original is kept");
    let new = snaps.iter().find(|s| s["id"] == new_id.as_str()).unwrap();
    assert_eq!(new["repaired"]["original"], t.second.as_str());
    assert_eq!(new["repaired"]["lost"], serde_json::json!([c_bin]));
    // The original's damage is a note now, not an error.
    let err = String::from_utf8_lossy(&w.run(&["check", "--read-data"]).stderr).into_owned();
    let ok = w.run(&["check", "--read-data"]);
    assert!(ok.status.success(), "{store:?}: {err}");
    assert!(
        err.contains(&format!("repaired as {}", short(&new_id))),
        "{err}"
    );

    // `latest` is the repaired snapshot: everything but c.bin, exit 0.
    let r2 = w.path("repaired");
    w.ok(&["restore", "latest", "--target", r2.to_str().unwrap()]);
    same_files_but(&t.src, &r2, "c.bin");

    // Backups resume, and the one that stores c.bin again heals the original.
    let healed = w.backup(&[t.src.to_str().unwrap()]);
    assert!(
        healed["stats"]["blobs_added"].as_u64().unwrap() > 0,
        "{healed}"
    );
    w.ok(&["check", "--read-data"]);
    let r3 = w.path("healed");
    w.ok(&["restore", &t.second, "--target", r3.to_str().unwrap()]);
    assert_same_tree(&t.src, &inner(&r3, &t.src));
}

/// A pack of the first backup is corrupted in storage: b.bin, which both snapshots
/// hold, depends on it.
fn corrupt_pack(store: Store) {
    let w = World::on(store);
    let b = storage(&w);
    let t = backups(&w, &*b);
    let bad = biggest_new_pack(&*b, &t.packs_before_first);
    assert!(t.packs_first.contains(&bad));
    let mut bytes = b.get(&bad).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0xff;
    b.put(&bad, &bytes).unwrap();
    let b_bin = t.src.join("b.bin").display().to_string();

    let (report, _) = failing_check(&w, &["--read-data"]);
    let damaged = report["damaged"].as_array().unwrap();
    assert_eq!(damaged.len(), 2, "{report}");
    for d in damaged {
        assert_eq!(d["lost_files"], serde_json::json!([b_bin]), "{report}");
    }
    let errors = report["errors"].to_string();
    assert!(
        errors.contains(&format!(
            "{}: stored bytes do not match",
            bad.rsplit('/').next().unwrap()
        )),
        "{errors}"
    );

    let r = w.path("partial");
    let err = partial_restore(&w, &t.second, &r);
    assert!(
        err.contains(&format!("not restored (data lost or damaged): {b_bin}\n")),
        "{err}"
    );
    same_files_but(&t.src, &r, "b.bin");

    let out = w.run(&["repair"]);
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{store:?}: {said}");
    assert!(
        said.contains("left in storage and out of the index"),
        "{said}"
    );
    assert!(said.contains("wrote 2 repaired"), "{said}");
    assert!(
        object_names(&*b, "data/").contains(&bad),
        "an unreadable pack is left alone"
    );
    w.ok(&["check", "--read-data"]);
    for s in w.snapshots() {
        let want = if s["repaired"].is_null() { 0 } else { 1 };
        assert_eq!(
            s["repaired"]["lost"].as_array().map_or(0, |l| l.len()),
            want,
            "{s}"
        );
    }
    // A second run finds nothing left to do.
    let again = w.json(&["repair"]);
    assert!(
        again["snapshots"]["repaired"]
            .as_array()
            .unwrap()
            .is_empty(),
        "{again}"
    );
    assert_eq!(again["snapshots"]["already_repaired"], 2, "{again}");
}

/// A lost directory listing takes what was below it: the unchanged `d/` of the second
/// snapshot is listed by a tree of the first backup.
#[test]
fn a_lost_listing_takes_what_is_below_it() {
    let w = World::new();
    let b = storage(&w);
    let src = w.path("src");
    fs::create_dir_all(src.join("d")).unwrap();
    fs::write(src.join("d/big.bin"), noise(1_000_000, 3)).unwrap();
    let s = src.to_str().unwrap();
    let first = w.backup(&[s])["id"].as_str().unwrap().to_string();
    // The tree pack: data packs hold at least one chunk (256 KiB or more) each.
    let packs = b.list("data/").unwrap();
    let trees = packs.iter().min_by_key(|o| o.size).unwrap().name.clone();
    fs::write(src.join("top.txt"), "top\n").unwrap();
    let second = w.backup(&[s])["id"].as_str().unwrap().to_string();
    b.delete(&trees).unwrap();
    let d = format!("{}/", src.join("d").display());

    let (report, _) = failing_check(&w, &[]);
    let damaged = report["damaged"].as_array().unwrap();
    let of = |id: &str| damaged.iter().find(|d| d["id"] == id).unwrap().clone();
    assert_eq!(of(&second)["lost_dirs"], serde_json::json!([d]), "{report}");
    assert_eq!(
        of(&first)["lost_dirs"],
        serde_json::json!(["/"]),
        "{report}"
    );

    let r = w.path("r");
    let err = partial_restore(&w, &second, &r);
    assert!(
        err.contains(&format!("directory listing lost, restored empty): {d}\n")),
        "{err}"
    );
    assert_eq!(fs::read(inner(&r, &src).join("top.txt")).unwrap(), b"top\n");

    w.ok(&["repair"]);
    w.ok(&["check"]);
    let r2 = w.path("r2");
    w.ok(&["restore", "latest", "--target", r2.to_str().unwrap()]);
    assert!(
        !inner(&r2, &src).join("d").exists(),
        "a lost directory is left out"
    );
    assert!(inner(&r2, &src).join("top.txt").exists());
}

/// Stopped at each step, repair leaves at least what there was, and running it again
/// finishes: the index is written before the old one goes, and each repaired snapshot
/// is complete before the next.
#[test]
fn an_interrupted_repair_is_finished_by_the_next() {
    let w = World::new();
    let b = storage(&w);
    let t = backups(&w, &*b);
    // b.bin's pack: both later snapshots depend on it.
    let lost = biggest_new_pack(&*b, &t.packs_before_first);
    b.delete(&lost).unwrap();

    let before = object_names(&*b, "index/");
    // Before the first new index object is stored: nothing changed.
    let out = w.with_faults("put@index/:1:permanent", &["repair", "index"]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(object_names(&*b, "index/"), before);
    // After the new index, while the old one is deleted: new and some old are there.
    let out = w.with_faults("delete@index/:2:permanent", &["repair", "index"]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let after = object_names(&*b, "index/");
    let old_left = before.iter().filter(|n| after.contains(n)).count();
    assert_eq!(old_left, before.len() - 1, "{after:?}");
    assert!(after.len() > old_left, "the new index is there: {after:?}");
    // The repaired snapshots: the second manifest fails to be stored.
    let out = w.with_faults("put@snapshots/:2:permanent", &["repair"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert_eq!(
        w.snapshots().len(),
        4,
        "the first repaired snapshot is stored"
    );
    w.fails(&["check"], 1);

    let again = w.json(&["repair"]);
    assert_eq!(
        again["snapshots"]["repaired"].as_array().unwrap().len(),
        1,
        "{again}"
    );
    assert_eq!(again["snapshots"]["already_repaired"], 1, "{again}");
    assert_eq!(w.snapshots().len(), 5);
    w.ok(&["check", "--read-data"]);
    // Prune keeps what the originals still have, without refusing over what is gone.
    w.ok(&["prune", "--max-unused", "0%"]);
    w.ok(&["check", "--read-data"]);
    // A backup after the repair is whole, and heals both originals.
    w.backup(&[t.src.to_str().unwrap()]);
    for id in [&t.first, &t.second] {
        let r = w.path(&format!("r-{}", short(id)));
        w.ok(&["restore", id, "--target", r.to_str().unwrap()]);
        assert_eq!(
            fs::read(inner(&r, &t.src).join("b.bin")).unwrap(),
            fs::read(t.src.join("b.bin")).unwrap()
        );
    }
}

/// A file whose first blobs are readable and whose last are lost is begun, then
/// removed again: no half-written file stays under its real name.
#[test]
fn a_file_begun_before_its_damage_showed_is_removed() {
    let w = World::new();
    let b = storage(&w);
    let src = w.path("src");
    fs::create_dir_all(&src).unwrap();
    let mut grows = noise(3_000_000, 4);
    fs::write(src.join("grows.bin"), &grows).unwrap();
    fs::write(src.join("other.txt"), "other\n").unwrap();
    let s = src.to_str().unwrap();
    w.backup(&[s]);
    let before = object_names(&*b, "data/");
    // The unchanged head keeps its chunks (content-defined boundaries); only the tail
    // is stored again, in a pack of the second backup.
    grows.extend(noise(2_000_000, 5));
    fs::write(src.join("grows.bin"), &grows).unwrap();
    let second = w.backup(&[s]);
    assert!(second["stats"]["blobs_added"].as_u64().unwrap() >= 1);
    b.delete(&biggest_new_pack(&*b, &before)).unwrap();

    let r = w.path("r");
    let err = partial_restore(&w, second["id"].as_str().unwrap(), &r);
    let grows_path = src.join("grows.bin").display().to_string();
    assert!(
        err.contains(&format!(
            "not restored (data lost or damaged): {grows_path}\n"
        )),
        "{err}"
    );
    let got = inner(&r, &src);
    assert!(!got.join("grows.bin").exists(), "the begun file is removed");
    assert_eq!(fs::read(got.join("other.txt")).unwrap(), b"other\n");
    let leftovers: Vec<_> = fs::read_dir(&got)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(leftovers, vec![std::ffi::OsString::from("other.txt")]);
}
