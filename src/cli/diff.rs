//! `cairn diff`: added (+), removed (-) and modified (M) paths between two snapshots.

use std::collections::BTreeMap;
use std::io::Write;

use anyhow::Result;

use super::{Ctx, Filter, Outcome};
use crate::ids::BlobId;
use crate::repo::snapshot::StoredSnapshot;
use crate::repo::tree::{Node, NodeKind};
use crate::repo::Repository;
use crate::ui;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The older snapshot
    pub from: String,
    /// The newer snapshot
    pub to: String,
    #[command(flatten)]
    pub filter: Filter,
}

#[derive(serde::Serialize)]
struct Change {
    change: char,
    path: String,
}

fn entries(repo: &Repository, tree: Option<BlobId>) -> Result<BTreeMap<Vec<u8>, Node>> {
    let Some(id) = tree else {
        return Ok(BTreeMap::new());
    };
    Ok(repo
        .read_tree(&id)?
        .nodes
        .into_iter()
        .map(|n| (n.name_raw(), n))
        .collect())
}

fn subtree(n: Option<&Node>) -> Option<BlobId> {
    n.filter(|n| n.kind == NodeKind::Dir)
        .and_then(|n| n.subtree)
}

fn walk(
    repo: &Repository,
    a: Option<BlobId>,
    b: Option<BlobId>,
    at: &str,
    out: &mut Vec<Change>,
) -> Result<()> {
    if a == b {
        return Ok(());
    }
    let (ea, eb) = (entries(repo, a)?, entries(repo, b)?);
    let mut names: Vec<&Vec<u8>> = ea.keys().chain(eb.keys()).collect();
    names.sort();
    names.dedup();
    for name in names {
        let (na, nb) = (ea.get(name), eb.get(name));
        let path = format!("{at}/{}", crate::ui::escape::bytes(name));
        let change = match (na, nb) {
            (None, Some(_)) => Some('+'),
            (Some(_), None) => Some('-'),
            (Some(x), Some(y)) => {
                let differs = x.kind != y.kind
                    || x.content != y.content
                    || x.mode != y.mode
                    || x.uid != y.uid
                    || x.gid != y.gid
                    || x.target != y.target
                    || (x.kind != NodeKind::Dir && x.mtime_ns != y.mtime_ns);
                differs.then_some('M')
            }
            (None, None) => None,
        };
        if let Some(c) = change {
            out.push(Change {
                change: c,
                path: path.clone(),
            });
        }
        walk(repo, subtree(na), subtree(nb), &path, out)?;
    }
    Ok(())
}

pub fn run(ctx: &Ctx, args: Args) -> Result<Outcome> {
    let repo = ctx.open()?;
    let a = super::find_snapshot(&repo, &args.from, &args.filter)?;
    let b = super::find_snapshot(&repo, &args.to, &args.filter)?;
    let mut changes = Vec::new();
    walk(
        &repo,
        Some(a.snap.tree),
        Some(b.snap.tree),
        "",
        &mut changes,
    )?;
    if ctx.json {
        let mut out = ui::json::Lines::new();
        for c in &changes {
            out.record(c)?;
        }
        return Ok(Outcome::Ok);
    }
    let mut out = ui::out();
    for c in &changes {
        writeln!(out, "{} {}", c.change, c.path)?;
    }
    let count = |ch| changes.iter().filter(|c| c.change == ch).count();
    let at = |s: &StoredSnapshot| {
        format!(
            "{} ({})",
            s.id.short(),
            ui::time::human(ctx.zone, s.snap.time)
        )
    };
    ui::info(&format!(
        "{} added, {} removed, {} modified from {} to {}",
        count('+'),
        count('-'),
        count('M'),
        at(&a),
        at(&b)
    ));
    Ok(Outcome::Ok)
}
