//! Kill campaign: `kill -9` backup, `forget --prune` and `prune` at random moments, many
//! times over, and require after every kill a repository that `check`s clean, and at the
//! end that every snapshot restores exactly what was backed up.
//!
//! CI runs a short campaign; the full one (its result is in docs/BENCHMARKS.md, "Kill campaign") is
//!     CAIRN_KILL_CAMPAIGN=250 cargo test --test kill_campaign -- --nocapture
//! with `CAIRN_KILL_SEED=N` to replay a run (the seed is printed).

mod common;

use std::collections::HashSet;
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use common::World;

/// Kills in the CI run: about 40 seconds on two cores.
const CI_KILLS: usize = 100;
/// Every this many runs one is left to finish, so snapshots accumulate and later kills
/// hit forgets and prunes with real work to do.
const FINISH_EVERY: usize = 4;
const FILES: u64 = 6;

/// xorshift64*: enough to scatter kill moments, and replayable from its seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

/// The source tree of generation `gen`: file `i` changes every `i + 1` generations (so
/// backups share most data), and one file exists only in odd generations.
fn tree_at(gen: u64) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<(String, Vec<u8>)> = (0..FILES)
        .map(|i| {
            let size = 300_000 + 100_000 * i as usize;
            let seed = 1 + i * 1_000_003 + gen / (i + 1);
            (format!("f{i}"), common::noise(size, seed))
        })
        .collect();
    if gen % 2 == 1 {
        files.push((
            "odd".into(),
            format!("generation {gen}\n").repeat(1000).into(),
        ));
    }
    files.sort();
    files
}

fn write_tree(dir: &Path, gen: u64) {
    let _ = std::fs::remove_dir_all(dir);
    std::fs::create_dir_all(dir).unwrap();
    for (name, data) in tree_at(gen) {
        std::fs::write(dir.join(name), data).unwrap();
    }
}

fn assert_tree(dir: &Path, gen: u64, what: &str) {
    let mut found: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{what}: {}: {e}", dir.display()))
        .map(|e| {
            let e = e.unwrap();
            let name = e.file_name().into_string().unwrap();
            (name, std::fs::read(e.path()).unwrap())
        })
        .collect();
    found.sort();
    let want = tree_at(gen);
    let names = |v: &[(String, Vec<u8>)]| v.iter().map(|f| f.0.clone()).collect::<Vec<_>>();
    assert_eq!(names(&found), names(&want), "{what}: file names");
    for (f, w) in found.iter().zip(&want) {
        assert!(f.1 == w.1, "{what}: content of {}", f.0);
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Op {
    Backup,
    ForgetPrune,
    Prune,
}

#[derive(Default)]
struct Tally {
    kills: [usize; 3],
    finished: usize,
    checks: usize,
    read_data_checks: usize,
}

struct Campaign {
    w: World,
    src: std::path::PathBuf,
    rng: Rng,
    gen: u64,
    /// How long each kind of run last took to finish, to aim kills inside the next.
    typical: [Duration; 3],
    /// Snapshots restored and compared so far.
    restored: HashSet<String>,
    tally: Tally,
}

impl Campaign {
    fn args(&mut self, op: Op) -> Vec<String> {
        let v = |a: &[&str]| a.iter().map(|s| s.to_string()).collect();
        match op {
            Op::Backup => {
                self.gen += 1;
                write_tree(&self.src, self.gen);
                let tag = format!("gen-{}", self.gen);
                v(&["backup", "--tag", &tag, self.src.to_str().unwrap()])
            }
            // Keeping few snapshots makes most packs partly used: prune repacks.
            Op::ForgetPrune => v(&[
                "forget",
                "--keep-last",
                "3",
                "--prune",
                "--max-unused",
                "0%",
            ]),
            Op::Prune => v(&["prune", "--max-unused", "0%"]),
        }
    }

    /// Runs one command; kills it after a random delay unless `finish`. Returns whether
    /// it was killed.
    fn run(&mut self, op: Op, finish: bool) -> bool {
        let args = self.args(op);
        let delay = if finish {
            None
        } else {
            let ms = self.typical[op as usize].as_millis() as u64;
            Some(Duration::from_millis(self.rng.below(ms + ms / 5 + 1)))
        };
        let started = Instant::now();
        let mut child = self
            .w
            .cmd()
            .args(&args)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        if let Some(d) = delay {
            while started.elapsed() < d && child.try_wait().unwrap().is_none() {
                std::thread::sleep(Duration::from_millis(2).min(d));
            }
            if child.try_wait().unwrap().is_none() {
                child.kill().unwrap(); // SIGKILL
                child.wait().unwrap();
                self.tally.kills[op as usize] += 1;
                return true;
            }
        }
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "cairn {args:?} failed ({:?}):\n{}",
            out.status.code(),
            String::from_utf8_lossy(&out.stderr)
        );
        self.typical[op as usize] = started.elapsed();
        self.tally.finished += 1;
        false
    }

    fn check(&mut self, read_data: bool) {
        if read_data {
            self.w.ok(&["check", "--read-data"]);
            self.tally.read_data_checks += 1;
        } else {
            self.w.ok(&["check"]);
        }
        self.tally.checks += 1;
    }

    fn kills(&self) -> usize {
        self.tally.kills.iter().sum()
    }

    /// Restores each snapshot not restored yet (every one with `all`) and compares it
    /// with the generation its tag names; returns how many it restored.
    fn restore(&mut self, all: bool) -> usize {
        let mut n = 0;
        for s in self.w.snapshots() {
            let id = s["id"].as_str().unwrap().to_string();
            if !self.restored.insert(id.clone()) && !all {
                continue;
            }
            let tag = s["tags"][0].as_str().unwrap();
            let gen: u64 = tag.strip_prefix("gen-").unwrap().parse().unwrap();
            let target = self.w.path(&format!("restore-{id}"));
            self.w
                .ok(&["restore", &id, "--target", target.to_str().unwrap()]);
            let landed = target.join(self.src.strip_prefix("/").unwrap());
            assert_tree(&landed, gen, &format!("snapshot {id} ({tag})"));
            std::fs::remove_dir_all(&target).unwrap();
            n += 1;
        }
        n
    }
}

#[test]
fn kill_9_at_random_moments_never_breaks_the_repository() {
    let target: usize = std::env::var("CAIRN_KILL_CAMPAIGN")
        .ok()
        .map(|v| v.parse().expect("CAIRN_KILL_CAMPAIGN: a number of kills"))
        .unwrap_or(CI_KILLS);
    let seed: u64 = std::env::var("CAIRN_KILL_SEED")
        .ok()
        .map(|v| v.parse().expect("CAIRN_KILL_SEED: a number"))
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos() as u64
        });
    eprintln!("kill campaign: {target} kills, CAIRN_KILL_SEED={seed}");
    let mut w = World::new();
    // A killed prune must not leave its scratch database behind (it once did, one
    // directory per kill): everything temporary goes here, checked empty at the end.
    let tmp = w.path("tmp");
    std::fs::create_dir(&tmp).unwrap();
    for k in ["TMPDIR", "SQLITE_TMPDIR"] {
        w.env
            .push((k.to_string(), tmp.to_str().unwrap().to_string()));
    }
    let src = w.path("src");
    let mut c = Campaign {
        w,
        src,
        rng: Rng(seed | 1),
        gen: 0,
        typical: [Duration::from_millis(500); 3],
        restored: HashSet::new(),
        tally: Tally::default(),
    };
    let started = Instant::now();
    let mut runs: usize = 0;
    while c.kills() < target {
        runs += 1;
        let op = match c.rng.below(4) {
            0 | 1 => Op::Backup,
            2 => Op::ForgetPrune,
            _ => Op::Prune,
        };
        let killed = c.run(op, runs.is_multiple_of(FINISH_EVERY));
        if killed {
            // The dead process's lock is provably stale (same host, boot and pid
            // namespace, no such process): plain `unlock` removes it.
            let out = c.w.ok(&["unlock"]);
            let left = c.w.stored("locks");
            assert!(left.is_empty(), "{left:?} outlived unlock: {out}");
        }
        c.check(killed && c.kills().is_multiple_of(10));
        c.restore(false);
    }
    c.check(true);
    let left: Vec<_> = std::fs::read_dir(&tmp).unwrap().collect();
    assert!(
        left.is_empty(),
        "killed runs left temporary files: {left:?}"
    );
    // Snapshots that were kept through all later prunes, restored once more.
    let kept = c.restore(true);
    let restored = c.restored.len();
    let t = &c.tally;
    eprintln!(
        "kill campaign: {} kills (backup {}, forget --prune {}, prune {}), {} runs finished, \
         {} checks ({} with --read-data), {restored} snapshots restored identically \
         ({kept} kept to the end restored again), 0 failures, {:.0}s",
        c.kills(),
        t.kills[0],
        t.kills[1],
        t.kills[2],
        t.finished,
        t.checks,
        t.read_data_checks,
        started.elapsed().as_secs_f64()
    );
    assert!(kept > 0, "no snapshot survived to be restored");
    // Kills landed in every kind of run.
    assert!(
        t.kills.iter().all(|&k| k > 0),
        "kills per kind: {:?}",
        t.kills
    );
}
