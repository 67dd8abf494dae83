//! Deciding what happens to each pack: a pure function of how much of it is used, so
//! the rules are tested with tables instead of repositories.

use crate::ids::PackId;

/// How much of one stored pack the kept blob copies use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackUsage {
    pub id: PackId,
    /// Stored (encrypted) bytes.
    pub size: u64,
    /// Listed by some index; an unindexed pack is the leftover of a crashed backup.
    pub indexed: bool,
    pub blobs: u64,
    pub used_blobs: u64,
    /// Stored lengths of the used blobs, and of the rest.
    pub used_bytes: u64,
    pub unused_bytes: u64,
}

impl PackUsage {
    /// A stored pack before any index row is counted in.
    pub fn unindexed(id: PackId, size: u64) -> PackUsage {
        PackUsage {
            id,
            size,
            indexed: false,
            blobs: 0,
            used_blobs: 0,
            used_bytes: 0,
            unused_bytes: 0,
        }
    }

    /// Unused share of the pack's blob bytes, 0.0..=1.0.
    pub fn unused_share(&self) -> f64 {
        let total = self.used_bytes + self.unused_bytes;
        if total == 0 {
            return 0.0;
        }
        self.unused_bytes as f64 / total as f64
    }
}

/// Above which unused share a partly used pack is rewritten.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum MaxUnused {
    /// Never repack; only delete packs nobody uses.
    Unlimited,
    /// Percent, 0..=100; `0` repacks every pack with any unused blob.
    Percent(f64),
}

impl Default for MaxUnused {
    fn default() -> MaxUnused {
        MaxUnused::Percent(10.0)
    }
}

impl MaxUnused {
    /// `10%`, `10`, `0%` or `unlimited`.
    pub fn parse(spec: &str) -> Result<MaxUnused, String> {
        let s = spec.trim();
        if s.eq_ignore_ascii_case("unlimited") {
            return Ok(MaxUnused::Unlimited);
        }
        let v: f64 = s
            .strip_suffix('%')
            .unwrap_or(s)
            .trim()
            .parse()
            .map_err(|_| format!("{spec:?} is not a percentage (e.g. 10%) or `unlimited`"))?;
        if !(0.0..=100.0).contains(&v) {
            return Err(format!("{spec:?} must be between 0% and 100%"));
        }
        Ok(MaxUnused::Percent(v))
    }

    fn exceeded_by(&self, p: &PackUsage) -> bool {
        match *self {
            MaxUnused::Unlimited => false,
            MaxUnused::Percent(limit) => p.unused_bytes > 0 && p.unused_share() * 100.0 > limit,
        }
    }
}

#[derive(Debug, Default, PartialEq)]
pub struct Plan {
    /// Packs no kept blob lives in.
    pub delete: Vec<PackUsage>,
    /// Partly used packs whose used blobs move to new packs.
    pub repack: Vec<PackUsage>,
    /// Packs that stay as they are.
    pub keep: Vec<PackUsage>,
}

impl Plan {
    pub fn is_empty(&self) -> bool {
        self.delete.is_empty() && self.repack.is_empty()
    }

    /// Moves the kept packs among `ids` to `repack`, whatever their use and any size
    /// limit: `key rewrap` re-encrypts them so (used blobs, new pack, current recipients).
    pub fn force_repack(&mut self, ids: &std::collections::HashSet<PackId>) {
        let (forced, keep): (Vec<_>, Vec<_>) = std::mem::take(&mut self.keep)
            .into_iter()
            .partition(|p| ids.contains(&p.id));
        self.keep = keep;
        self.repack.extend(forced);
    }
}

/// Sorts packs into delete / repack / keep. With `max_repack_size`, the packs with the
/// largest unused share are repacked first, as long as their stored sizes fit.
pub fn plan(usage: Vec<PackUsage>, max_unused: MaxUnused, max_repack_size: Option<u64>) -> Plan {
    let mut out = Plan::default();
    let mut candidates = Vec::new();
    for p in usage {
        if p.used_blobs == 0 {
            out.delete.push(p);
        } else if max_unused.exceeded_by(&p) {
            candidates.push(p);
        } else {
            out.keep.push(p);
        }
    }
    candidates.sort_by(|a, b| {
        b.unused_share()
            .total_cmp(&a.unused_share())
            .then(b.unused_bytes.cmp(&a.unused_bytes))
            .then(a.id.cmp(&b.id))
    });
    let mut budget = max_repack_size.unwrap_or(u64::MAX);
    for p in candidates {
        if p.size <= budget {
            budget -= p.size;
            out.repack.push(p);
        } else {
            out.keep.push(p);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pack(n: u8, used: u64, unused: u64) -> PackUsage {
        PackUsage {
            id: PackId([n; 32]),
            size: used + unused + 100,
            indexed: used + unused > 0,
            blobs: u64::from(used > 0) + u64::from(unused > 0),
            used_blobs: u64::from(used > 0),
            used_bytes: used,
            unused_bytes: unused,
        }
    }

    fn ids(v: &[PackUsage]) -> Vec<u8> {
        v.iter().map(|p| p.id.0[0]).collect()
    }

    #[test]
    fn parses_percentages_and_unlimited() {
        assert_eq!(MaxUnused::parse("10%"), Ok(MaxUnused::Percent(10.0)));
        assert_eq!(MaxUnused::parse("2.5"), Ok(MaxUnused::Percent(2.5)));
        assert_eq!(MaxUnused::parse(" 0% "), Ok(MaxUnused::Percent(0.0)));
        assert_eq!(MaxUnused::parse("Unlimited"), Ok(MaxUnused::Unlimited));
        for bad in ["", "abc", "101%", "-1%", "10%%"] {
            assert!(MaxUnused::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn unused_packs_are_deleted_and_mixed_ones_repacked_above_the_threshold() {
        let usage = vec![
            pack(1, 0, 500),  // nothing used
            pack(2, 0, 0),    // unindexed leftover
            pack(3, 900, 0),  // fully used
            pack(4, 950, 50), // 5% unused
            pack(5, 500, 500),
        ];
        let p = plan(usage.clone(), MaxUnused::default(), None);
        assert_eq!(ids(&p.delete), [1, 2]);
        assert_eq!(ids(&p.repack), [5]);
        assert_eq!(ids(&p.keep), [3, 4]);

        let p = plan(usage.clone(), MaxUnused::Percent(0.0), None);
        assert_eq!(ids(&p.repack), [5, 4]);
        assert_eq!(ids(&p.keep), [3]);

        let p = plan(usage.clone(), MaxUnused::Percent(50.0), None);
        assert!(p.repack.is_empty(), "50% unused is not above 50%");

        let p = plan(usage, MaxUnused::Unlimited, None);
        assert!(p.repack.is_empty());
        assert_eq!(ids(&p.delete), [1, 2]);
    }

    #[test]
    fn repack_size_limit_takes_the_emptiest_packs_first() {
        let usage = vec![pack(1, 800, 200), pack(2, 200, 800), pack(3, 500, 500)];
        let p = plan(usage.clone(), MaxUnused::Percent(0.0), Some(2_300));
        assert_eq!(ids(&p.repack), [2, 3]);
        assert_eq!(ids(&p.keep), [1]);
        let p = plan(usage, MaxUnused::Percent(0.0), Some(0));
        assert!(p.repack.is_empty());
        assert_eq!(p.keep.len(), 3);
    }
}
