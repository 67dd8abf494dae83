//! Delta blobs during a restore, which reads every pack once: a delta needs its base,
//! which usually sits in another pack. Whichever of the two comes first waits for the
//! other: a delta read before its base keeps its stored bytes (a few hundred bytes),
//! a base read before its deltas keeps its raw bytes until the last of them is written.
//! Packs holding deltas are read before the packs of their bases (`order_packs`), so
//! it is the small deltas that wait.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};

use rayon::prelude::*;

use super::{Decoded, Placement};
use crate::ids::{BlobId, PackId};
use crate::repo::pack::{self, Compression, Pack, PackEntry};
use crate::repo::{Repository, Result};

/// Bases taken out of a pack at a time (64 KiB chunks: 4 MiB of bases and as much of
/// the deltas they complete).
const BASES_AT_ONCE: usize = 64;

/// The bases to take out of each pack, by pack index.
pub(super) type BaseEntries = HashMap<u32, Vec<PackEntry>>;

/// A delta read before its base: its placement, its pack and its stored bytes.
type Waiting<'a> = (&'a Placement, PackId, Vec<u8>);

pub(super) struct Deltas<'a> {
    /// Deltas still to write, per base.
    need: HashMap<BlobId, u32>,
    /// Raw bytes of bases read already, while some of their deltas are still to come.
    bases: HashMap<BlobId, Vec<u8>>,
    /// Deltas read before their base: the placement, its pack and its stored bytes.
    waiting: HashMap<BlobId, Vec<Waiting<'a>>>,
    base_entries: BaseEntries,
    /// The pack index of every base.
    base_pack: HashMap<BlobId, u32>,
    /// Packs that could not be read: the deltas waiting for their bases are lost.
    lost_packs: HashSet<u32>,
}

/// Orders `packs` so that a pack holding deltas comes before the packs holding their
/// bases (`edges`: delta pack -> base pack, as indices into `packs`), first-seen order
/// otherwise; returns the new index of each old one. Then deltas wait for their bases
/// (a few hundred bytes each), never bases for their deltas (a whole chunk each): a
/// day's full chunks are the bases of the next days' deltas, so first-seen order kept
/// tens of MB of bases in memory. Within a cycle (possible after prune repacked
/// deltas and bases together) some bases wait instead.
pub(super) fn order_packs(packs: &mut Vec<PackId>, edges: &HashSet<(u32, u32)>) -> Vec<u32> {
    let n = packs.len();
    let mut out: Vec<Vec<u32>> = vec![Vec::new(); n];
    for &(d, b) in edges {
        if d != b {
            out[d as usize].push(b);
        }
    }
    for o in &mut out {
        o.sort_unstable();
    }
    // Reverse postorder of a depth-first walk: for every edge outside a cycle the delta
    // pack comes first. Roots are taken last-seen first, so that packs without deltas
    // keep their first-seen order.
    let mut seen = vec![false; n];
    let mut post = Vec::with_capacity(n);
    for root in (0..n as u32).rev() {
        if std::mem::replace(&mut seen[root as usize], true) {
            continue;
        }
        let mut stack = vec![(root, 0usize)];
        while let Some((node, next)) = stack.last_mut() {
            match out[*node as usize].get(*next) {
                Some(&child) => {
                    *next += 1;
                    if !std::mem::replace(&mut seen[child as usize], true) {
                        stack.push((child, 0));
                    }
                }
                None => {
                    post.push(*node);
                    stack.pop();
                }
            }
        }
    }
    let order: Vec<u32> = post.into_iter().rev().collect();
    let mut new_index = vec![0; n];
    for (new, &old) in order.iter().enumerate() {
        new_index[old as usize] = new as u32;
    }
    *packs = order.iter().map(|&i| packs[i as usize]).collect();
    new_index
}

impl<'a> Deltas<'a> {
    pub fn new(placements: &[Placement], base_entries: BaseEntries) -> Deltas<'a> {
        let mut need = HashMap::new();
        for p in placements {
            if let Some(b) = p
                .entry
                .base
                .filter(|_| p.entry.compression == Compression::Delta)
            {
                *need.entry(b).or_insert(0) += 1;
            }
        }
        let base_pack = base_entries
            .iter()
            .flat_map(|(&at, entries)| entries.iter().map(move |e| (e.id, at)))
            .collect();
        Deltas {
            need,
            bases: HashMap::new(),
            waiting: HashMap::new(),
            base_entries,
            base_pack,
            lost_packs: HashSet::new(),
        }
    }

    /// Takes the bases pack `index` holds out of it, before its own blobs are decoded,
    /// and hands the waiting deltas they complete to `write`, a few hundred at a time:
    /// a pack of dump chunks holds some 80 MB of raw bytes, too much to hold at once.
    pub fn bases_of(
        &mut self,
        repo: &Repository,
        index: u32,
        pack: &Pack,
        mut write: impl FnMut(Vec<Decoded<'a, 'static>>) -> Result<()>,
    ) -> Result<()> {
        let mut entries = self.base_entries.remove(&index).unwrap_or_default();
        // In pack order: bases in one frame are inflated together, not once each.
        entries.sort_by_key(|e| e.offset);
        for window in entries.chunks(BASES_AT_ONCE) {
            let raws: Vec<(BlobId, Vec<u8>)> = window
                .par_iter()
                .map(|e| Ok((e.id, pack.blob(e, repo.blob_key())?.into_owned())))
                .collect::<Result<_>>()?;
            let mut ready = Vec::new();
            for (id, raw) in raws {
                ready.extend(self.waiting.remove(&id).unwrap_or_default());
                self.bases.insert(id, raw);
            }
            let bases = &self.bases;
            let done: Vec<Decoded<'a, 'static>> = ready
                .par_iter()
                .map(|(place, pack_id, stored)| {
                    let base = &bases[&place.entry.base.expect("a delta")];
                    let raw = pack::delta_from_stored(
                        *pack_id,
                        &place.entry,
                        stored,
                        base,
                        repo.blob_key(),
                    )?;
                    Ok((*place, Cow::Owned(raw)))
                })
                .collect::<Result<_>>()?;
            for (place, _) in &done {
                self.written(place);
            }
            // Bases no delta waits for any more (none, or all written) go now.
            for e in window {
                if !self.need.contains_key(&e.id) {
                    self.bases.remove(&e.id);
                }
            }
            if !done.is_empty() {
                write(done)?;
            }
        }
        Ok(())
    }

    /// Decodes a window's delta placements whose base is at hand; the others wait.
    /// Returns the decoded ones.
    pub fn decode(
        &mut self,
        repo: &Repository,
        pack: &Pack,
        deltas: Vec<&'a Placement>,
    ) -> Result<Vec<Decoded<'a, 'static>>> {
        let (now, later): (Vec<_>, Vec<_>) = deltas
            .into_iter()
            .partition(|p| p.entry.base.is_some_and(|b| self.bases.contains_key(&b)));
        for p in later {
            // `place_blobs` checked that every delta names a base that is a full blob.
            let base = p.entry.base.expect("a delta");
            let stored = pack.stored(&p.entry).ok_or_else(|| {
                crate::repo::RepoError::Pack(pack::PackError::Blob {
                    pack: pack.id,
                    blob: p.entry.id,
                    what: "outside the pack".into(),
                })
            })?;
            self.waiting
                .entry(base)
                .or_default()
                .push((p, pack.id, stored.to_vec()));
        }
        let bases = &self.bases;
        let done: Vec<Decoded<'a, 'static>> = now
            .par_iter()
            .map(|p| {
                let base = &bases[&p.entry.base.expect("a delta")];
                Ok((
                    *p,
                    Cow::Owned(pack.delta_blob(&p.entry, base, repo.blob_key())?),
                ))
            })
            .collect::<Result<_>>()?;
        for (place, _) in &done {
            self.written(place);
        }
        Ok(done)
    }

    /// One delta of its base fewer to come; the base's bytes go with the last one.
    fn written(&mut self, place: &Placement) {
        let base = place.entry.base.expect("a delta");
        if let Some(n) = self.need.get_mut(&base) {
            *n -= 1;
            if *n == 0 {
                self.need.remove(&base);
                self.bases.remove(&base);
            }
        }
    }

    /// What the damage of pack `index` means to the user: when it holds bases, it names
    /// a delta blob that needed one.
    pub fn explain(&self, index: u32, e: &crate::repo::RepoError) -> String {
        let needed = self.waiting.iter().find_map(|(base, places)| {
            (self.base_pack.get(base) == Some(&index)).then(|| (base, places[0].0.entry.id))
        });
        match needed {
            Some((base, delta)) => {
                format!("blob {delta}: its delta base {base} cannot be read: {e}")
            }
            None => e.to_string(),
        }
    }

    /// Pack `index` could not be read: the deltas waiting for its bases never will be.
    pub fn lost_pack(&mut self, index: u32) {
        self.lost_packs.insert(index);
    }

    /// The files left without a delta base because its pack was lost. Any other delta
    /// still waiting for its base is an error (every file must be written whole).
    pub fn finished(&self) -> std::result::Result<Vec<u32>, String> {
        let mut lost = Vec::new();
        for (base, places) in &self.waiting {
            let at = self.base_pack.get(base);
            if !at.is_some_and(|at| self.lost_packs.contains(at)) {
                return Err(format!(
                    "blob {}: its delta base {base} was never read",
                    places[0].0.entry.id
                ));
            }
            lost.extend(places.iter().map(|(place, _, _)| place.file));
        }
        Ok(lost)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packs_of_deltas_come_before_the_packs_of_their_bases() {
        let mut packs: Vec<PackId> = (0..5u8).map(|i| PackId([i; 32])).collect();
        // Pack 0 holds bases of deltas in 2; 2 bases of deltas in 4; 3 and 4 in a cycle.
        let edges: HashSet<(u32, u32)> = [(2, 0), (4, 2), (3, 4), (4, 3)].into();
        let new_index = order_packs(&mut packs, &edges);
        let pos = |old: u32| new_index[old as usize];
        assert!(pos(2) < pos(0) && pos(4) < pos(2), "{new_index:?}");
        assert_eq!(packs[pos(1) as usize], PackId([1; 32]));
        // Without deltas, first-seen order.
        let mut plain: Vec<PackId> = (0..4u8).map(|i| PackId([i; 32])).collect();
        assert_eq!(order_packs(&mut plain, &HashSet::new()), vec![0, 1, 2, 3]);
        let mut seen = new_index.clone();
        seen.sort();
        assert_eq!(seen, vec![0, 1, 2, 3, 4]);
    }
}
