//! Which snapshots to keep (a pure policy over snapshot times and tags), how `forget`
//! applies it to the groups of a repository, and how `prune` frees what no snapshot
//! uses any more.

pub mod forget;
pub mod policy;
pub mod prune;
