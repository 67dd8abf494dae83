//! Which snapshots to keep (a pure policy over snapshot times and tags) and how
//! `forget` applies it to the groups of a repository.

pub mod forget;
pub mod policy;
