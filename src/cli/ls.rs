//! `cairn ls`.

use anyhow::Result;

use super::{Ctx, Filter, Outcome};
use crate::repo::tree::{Node, NodeKind};
use crate::repo::Repository;
use crate::restore::plan_find_node;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Snapshot id (prefix) or `latest`
    pub snapshot: String,
    /// List only below this path
    pub path: Option<String>,
    /// Show type, mode, size and time
    #[arg(long, short = 'l')]
    pub long: bool,
    #[command(flatten)]
    pub filter: Filter,
}

fn kind_char(k: NodeKind) -> char {
    match k {
        NodeKind::Dir => 'd',
        NodeKind::Symlink => 'l',
        NodeKind::Fifo => 'p',
        NodeKind::Socket => 's',
        NodeKind::CharDev => 'c',
        NodeKind::BlockDev => 'b',
        NodeKind::File => '-',
    }
}

fn show(ctx: &Ctx, long: bool, path: &str, node: &Node) -> Result<()> {
    if ctx.json {
        let mut j = serde_json::to_value(node)?;
        j["path"] = serde_json::Value::String(path.to_string());
        if let Some(o) = j.as_object_mut() {
            o.remove("content");
        }
        println!("{}", serde_json::to_string(&j)?);
    } else if long {
        let t = chrono::DateTime::from_timestamp_nanos(node.mtime_ns);
        println!(
            "{}{:04o} {:>5} {:>5} {:>12} {} {}{}",
            kind_char(node.kind),
            node.mode,
            node.uid,
            node.gid,
            node.size,
            t.format("%Y-%m-%d %H:%M:%S"),
            path,
            node.target
                .as_deref()
                .map(|t| format!(" -> {t}"))
                .unwrap_or_default()
        );
    } else {
        println!("{path}");
    }
    Ok(())
}

fn walk(
    ctx: &Ctx,
    repo: &Repository,
    long: bool,
    at: &str,
    tree: &crate::ids::BlobId,
) -> Result<()> {
    for node in repo.read_tree(tree)?.nodes {
        let path = format!("{}/{}", at.trim_end_matches('/'), node.name);
        show(ctx, long, &path, &node)?;
        if let (NodeKind::Dir, Some(sub)) = (node.kind, node.subtree) {
            walk(ctx, repo, long, &path, &sub)?;
        }
    }
    Ok(())
}

pub fn run(ctx: &Ctx, args: Args) -> Result<Outcome> {
    let repo = ctx.open()?;
    let snap = super::find_snapshot(&repo, &args.snapshot, &args.filter)?;
    match args
        .path
        .as_deref()
        .filter(|p| !p.trim_matches('/').is_empty())
    {
        None => walk(ctx, &repo, args.long, "", &snap.snap.tree)?,
        Some(p) => {
            let node = plan_find_node(&repo, &snap.snap.tree, p)?;
            let shown = format!("/{}", p.trim_matches('/'));
            show(ctx, args.long, &shown, &node)?;
            if let (NodeKind::Dir, Some(sub)) = (node.kind, node.subtree) {
                walk(ctx, &repo, args.long, &shown, &sub)?;
            }
        }
    }
    Ok(Outcome::Ok)
}
