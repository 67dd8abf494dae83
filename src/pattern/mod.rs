//! Include and exclude patterns, with restic's rules so that what people know from there
//! holds here (docs/PATTERNS.md is the user's side of this):
//!
//! - a pattern is matched against the absolute path, component by component: `*`, `?`
//!   and `[...]` stay inside one component, a component `**` stands for any number of
//!   them (none included);
//! - with a leading `/` it must match from the root, otherwise anywhere: `git/RelNotes`
//!   matches `/src/git/RelNotes`;
//! - a pattern that matches a directory matches everything below it;
//! - `!pattern` cancels the matches of the patterns before it;
//! - case-insensitive patterns (`--iexclude`) compare lower-cased.
//!
//! Backups test every entry of every directory here, so a pattern is split into
//! components once and a path is compared in place, without allocating (except for
//! lower-casing when a case-insensitive pattern is present).

mod file;
mod glob;

pub use file::{gather, read_file};

use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

/// A pattern as given, before parsing: where it came from decides its case rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatternSpec {
    pub text: String,
    pub ignore_case: bool,
}

impl PatternSpec {
    pub fn new(text: impl Into<String>, ignore_case: bool) -> PatternSpec {
        PatternSpec {
            text: text.into(),
            ignore_case,
        }
    }

    /// Specs for each of `texts`.
    pub fn all<S: AsRef<str>>(texts: &[S], ignore_case: bool) -> Vec<PatternSpec> {
        texts
            .iter()
            .map(|t| PatternSpec::new(t.as_ref(), ignore_case))
            .collect()
    }
}

#[derive(Debug, Clone)]
enum Part {
    Literal(Box<[u8]>),
    /// `*.ext`, the commonest shape, without the general matcher's loop.
    Suffix(Box<[u8]>),
    /// `name*`.
    Prefix(Box<[u8]>),
    Glob(Box<[u8]>),
    /// `**`: any number of components, none included.
    AnyDirs,
}

impl Part {
    fn parse(comp: &str) -> Result<Part, String> {
        const SPECIAL: [char; 4] = ['*', '?', '[', '\\'];
        if comp == "**" {
            return Ok(Part::AnyDirs);
        }
        if !comp.contains(SPECIAL) {
            return Ok(Part::Literal(comp.as_bytes().into()));
        }
        if let Some(rest) = comp.strip_prefix('*').filter(|r| !r.contains(SPECIAL)) {
            return Ok(Part::Suffix(rest.as_bytes().into()));
        }
        if let Some(rest) = comp.strip_suffix('*').filter(|r| !r.contains(SPECIAL)) {
            return Ok(Part::Prefix(rest.as_bytes().into()));
        }
        glob::validate(comp.as_bytes())?;
        Ok(Part::Glob(comp.as_bytes().into()))
    }

    fn matches(&self, name: &[u8]) -> bool {
        match self {
            Part::Literal(l) => **l == *name,
            Part::Suffix(s) => name.ends_with(s),
            Part::Prefix(p) => name.starts_with(p),
            Part::Glob(g) => glob::matches(g, name),
            Part::AnyDirs => true,
        }
    }
}

#[derive(Debug, Clone)]
struct Pattern {
    parts: Vec<Part>,
    /// How many components it matches, when that is fixed (no `**`).
    len: Option<usize>,
    anchored: bool,
    negated: bool,
    ignore_case: bool,
}

impl Pattern {
    fn parse(spec: &PatternSpec) -> Result<Pattern, String> {
        let lowered;
        let text = if spec.ignore_case {
            lowered = spec.text.to_lowercase();
            &lowered
        } else {
            &spec.text
        };
        let (negated, body) = match text.strip_prefix('!') {
            Some(rest) => (true, rest),
            None => (false, text.as_str()),
        };
        if body.is_empty() {
            return Err("is empty".into());
        }
        let mut parts = Vec::new();
        for comp in body.split('/') {
            match comp {
                "" | "." => {}
                ".." => return Err("has a `..`, which no stored path holds".into()),
                c => parts.push(Part::parse(c)?),
            }
        }
        let anchored = body.starts_with('/');
        if parts.is_empty() && !anchored {
            return Err("names no path".into());
        }
        Ok(Pattern {
            len: (!parts.iter().any(|p| matches!(p, Part::AnyDirs))).then_some(parts.len()),
            parts,
            anchored,
            negated,
            ignore_case: spec.ignore_case,
        })
    }

    /// Whether the pattern matches the path given as components, or one of its parents.
    fn matches(&self, comps: &[&[u8]]) -> bool {
        if self.anchored {
            return prefix_matches(&self.parts, comps);
        }
        (0..comps.len()).any(|start| prefix_matches(&self.parts, &comps[start..]))
    }

    /// Whether the pattern matches the path given as components, knowing that it does
    /// not match its parent: only a match ending at the last component can be new.
    fn matches_last(&self, comps: &[&[u8]]) -> bool {
        if self.anchored {
            return whole_matches(&self.parts, comps);
        }
        match self.len {
            Some(k) => comps.len() >= k && whole_matches(&self.parts, &comps[comps.len() - k..]),
            None => (0..comps.len()).any(|start| whole_matches(&self.parts, &comps[start..])),
        }
    }

    /// Whether the pattern may match something below the path (restic's `childMatch`):
    /// always for a floating pattern; for an anchored one, when the path agrees with it
    /// as far as both go, up to its first `**`.
    fn may_match_below(&self, comps: &[&[u8]]) -> bool {
        if !self.anchored {
            return true;
        }
        let fixed = self
            .parts
            .iter()
            .position(|p| matches!(p, Part::AnyDirs))
            .unwrap_or(self.parts.len());
        self.parts[..fixed]
            .iter()
            .zip(comps)
            .all(|(p, c)| p.matches(c))
    }
}

/// Whether `parts` match the first components of `comps` (a parent of the path, or the
/// path itself).
fn prefix_matches(parts: &[Part], comps: &[&[u8]]) -> bool {
    match parts.split_first() {
        None => true,
        Some((Part::AnyDirs, rest)) => (0..=comps.len()).any(|n| prefix_matches(rest, &comps[n..])),
        Some((part, rest)) => match comps.split_first() {
            Some((c, cs)) => part.matches(c) && prefix_matches(rest, cs),
            None => false,
        },
    }
}

/// Whether `parts` match all of `comps`.
fn whole_matches(parts: &[Part], comps: &[&[u8]]) -> bool {
    match parts.split_first() {
        None => comps.is_empty(),
        Some((Part::AnyDirs, rest)) => (0..=comps.len()).any(|n| whole_matches(rest, &comps[n..])),
        Some((part, rest)) => match comps.split_first() {
            Some((c, cs)) => part.matches(c) && whole_matches(rest, cs),
            None => false,
        },
    }
}

/// What a pass over the patterns is for.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Pass {
    /// Decide whether the path is matched.
    Decide,
    /// The same, for a path whose parent was decided not matched.
    DecideEntry,
    /// Only record which patterns match.
    Note,
}

/// An ordered list of patterns that remembers which of them ever matched, so that a
/// pattern that matched nothing (a typo, a path that moved) is reported rather than
/// silently doing nothing. Clones share that record.
#[derive(Debug, Clone)]
pub struct PatternSet {
    patterns: Vec<Pattern>,
    texts: Vec<String>,
    hits: Arc<[AtomicBool]>,
    /// Patterns without a hit yet; at zero, recording stops costing anything.
    unhit: Arc<AtomicUsize>,
    negations: bool,
    ignore_case: bool,
    /// Whether [`PatternSet::matches_entry`] may look at the last component only: not
    /// with `!` patterns (a parent matched and taken back) nor with `/`, which matches
    /// the root that nobody tests.
    entry_shortcut: bool,
}

/// Components of a path held on the stack for paths up to this deep.
const STACK_DEPTH: usize = 48;

impl PatternSet {
    /// Parses `specs`; `what` names them in errors ("exclude pattern").
    pub fn new(specs: &[PatternSpec], what: &str) -> Result<PatternSet, String> {
        let patterns = specs
            .iter()
            .map(|s| Pattern::parse(s).map_err(|e| format!("{what} {:?} {e}", s.text)))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(PatternSet {
            negations: patterns.iter().any(|p| p.negated),
            entry_shortcut: patterns.iter().all(|p| !p.negated && !p.parts.is_empty()),
            ignore_case: patterns.iter().any(|p| p.ignore_case),
            hits: specs.iter().map(|_| AtomicBool::new(false)).collect(),
            unhit: Arc::new(AtomicUsize::new(specs.len())),
            texts: specs.iter().map(|s| s.text.clone()).collect(),
            patterns,
        })
    }

    pub fn is_empty(&self) -> bool {
        self.patterns.is_empty()
    }

    /// Whether some pattern is a `!` one, so a match above a path does not settle it.
    pub fn has_negations(&self) -> bool {
        self.negations
    }

    /// Whether `path` (absolute) or one of its parents is matched, the patterns taken in
    /// order: a `!` pattern cancels earlier matches.
    pub fn matches(&self, path: &Path) -> bool {
        !self.is_empty() && self.with_components(path, |c, l| self.decide(c, l, Pass::Decide))
    }

    /// [`PatternSet::matches`] for a path whose parent directory was tested and not
    /// matched, as in a walk: only matches ending at its last component are looked for,
    /// which saves trying the pattern at every depth of every path.
    pub fn matches_entry(&self, path: &Path) -> bool {
        let pass = match self.entry_shortcut {
            true => Pass::DecideEntry,
            false => Pass::Decide,
        };
        !self.is_empty() && self.with_components(path, |c, l| self.decide(c, l, pass))
    }

    /// Records which patterns match `path` without deciding anything: for paths inside
    /// something already selected, so that a pattern that only matches there still counts.
    pub fn note(&self, path: &Path) {
        if self.unhit.load(Ordering::Relaxed) > 0 {
            self.with_components(path, |c, l| self.decide(c, l, Pass::Note));
        }
    }

    /// Whether a pattern may match something below `path` (a directory not matched
    /// itself): decides whether a restore walks into it.
    pub fn may_match_below(&self, path: &Path) -> bool {
        self.with_components(path, |comps, lower| {
            self.patterns
                .iter()
                .any(|p| !p.negated && p.may_match_below(if p.ignore_case { lower } else { comps }))
        })
    }

    /// The patterns, as given, that never matched.
    pub fn unmatched(&self) -> Vec<&str> {
        self.texts
            .iter()
            .zip(self.hits.iter())
            .filter(|(_, h)| !h.load(Ordering::Relaxed))
            .map(|(t, _)| t.as_str())
            .collect()
    }

    /// Runs every pattern that may change the outcome or has not matched yet.
    fn decide(&self, comps: &[&[u8]], lower: &[&[u8]], pass: Pass) -> bool {
        let decide = pass != Pass::Note;
        let mut matched = false;
        for (p, hit) in self.patterns.iter().zip(self.hits.iter()) {
            let counts = if p.negated { matched } else { !matched };
            let is_hit = hit.load(Ordering::Relaxed);
            if !(decide && counts) && is_hit {
                continue;
            }
            // A `!` pattern is useful only where it cancels an earlier match.
            if p.negated && !matched {
                continue;
            }
            let comps = if p.ignore_case { lower } else { comps };
            let hit_now = match pass {
                Pass::DecideEntry => p.matches_last(comps),
                Pass::Decide | Pass::Note => p.matches(comps),
            };
            if hit_now {
                // Two threads may find the same first hit; only one may count it.
                if !is_hit && !hit.swap(true, Ordering::Relaxed) {
                    self.unhit.fetch_sub(1, Ordering::Relaxed);
                }
                matched = !p.negated;
            }
        }
        matched
    }

    /// Calls `f` with the path's components, and their lower-cased form (the same
    /// slices when no pattern ignores case).
    fn with_components<R>(&self, path: &Path, f: impl FnOnce(&[&[u8]], &[&[u8]]) -> R) -> R {
        use std::os::unix::ffi::OsStrExt;
        let bytes = path.as_os_str().as_bytes();
        let lowered = self.ignore_case.then(|| lowercase(bytes));
        split(bytes, |comps| match &lowered {
            Some(l) => split(l, |lower| f(comps, lower)),
            None => f(comps, comps),
        })
    }
}

fn lowercase(bytes: &[u8]) -> Vec<u8> {
    match std::str::from_utf8(bytes) {
        Ok(s) => s.to_lowercase().into_bytes(),
        Err(_) => bytes.to_ascii_lowercase(),
    }
}

/// Calls `f` with the non-empty components of `path`, on the stack when they fit.
fn split<R>(path: &[u8], f: impl FnOnce(&[&[u8]]) -> R) -> R {
    let mut stack: [&[u8]; STACK_DEPTH] = [&[]; STACK_DEPTH];
    let mut n = 0;
    for c in path.split(|&b| b == b'/').filter(|c| !c.is_empty()) {
        if n == STACK_DEPTH {
            let all: Vec<&[u8]> = path
                .split(|&b| b == b'/')
                .filter(|c| !c.is_empty())
                .collect();
            return f(&all);
        }
        stack[n] = c;
        n += 1;
    }
    f(&stack[..n])
}

#[cfg(test)]
mod tests;
