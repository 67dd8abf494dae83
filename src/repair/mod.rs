//! `cairn repair`: bring a repository with lost or damaged packs back to one that
//! checks clean, losing nothing that is still readable.
//!
//! - [`index`] rebuilds the index from the headers of the packs storage holds; packs
//!   that cannot be read are reported and left where they are.
//! - [`snapshots`] writes, for each snapshot that depends on lost data, a new signed
//!   manifest whose trees leave the lost paths out, marked `repaired`. The original
//!   stays until `forget` removes it: a later backup that stores the lost data again
//!   makes it whole.
//!
//! Both write before they delete (and `snapshots` deletes nothing), so an interrupted
//! repair leaves at least the index and the snapshots there were; running it again
//! finishes the work.

pub mod index;
pub mod snapshots;

pub use index::{repair_index, IndexReport};
pub use snapshots::{repair_snapshots, SnapshotsReport};
