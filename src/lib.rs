//! cairn: encrypted, deduplicating, incremental backups to a local directory, S3 or
//! OpenStack Swift. The binary in `main.rs` is a thin layer over this library.

pub mod backend;
pub mod backup;
pub mod cache;
pub mod check;
pub mod child;
pub mod chunker;
pub mod cli;
pub mod copy;
pub mod crypto;
pub mod damage;
pub mod db;
pub mod fsutil;
pub mod ids;
pub mod interrupt;
pub mod mirror;
pub mod notify;
pub mod pattern;
pub mod priority;
pub mod profile;
pub mod repair;
pub mod repo;
pub mod restore;
pub mod retention;
pub mod rewrap;
pub mod secret;
pub mod source;
/// Synthetic repositories for scale tests and benchmarks; not part of the interface.
#[doc(hidden)]
pub mod synth;
pub mod ui;
pub mod units;

/// This machine's name, as recorded in snapshots and locks.
pub fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|s| s.trim().to_string())
        .ok()
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "localhost".to_string())
}
