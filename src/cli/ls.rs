//! `cairn ls`.

use std::io::{StdoutLock, Write};

use anyhow::Result;

use super::{Ctx, Filter, Outcome};
use crate::db::DumpRecord;
use crate::ids::BlobId;
use crate::repo::tree::{Node, NodeKind};
use crate::repo::Repository;
use crate::restore::plan_find_node;
use crate::retention::policy::Zone;
use crate::ui::{self, json, names::Names};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Snapshot id (prefix) or `latest`
    pub snapshot: String,
    /// List only below this path
    pub path: Option<String>,
    /// Show mode, owner, group, size and modification time, like `ls -l`; a database
    /// dump is followed by what the snapshot records of it (database, tables, rows,
    /// dump duration, server and dump tool versions)
    #[arg(long, short = 'l')]
    pub long: bool,
    #[command(flatten)]
    pub filter: Filter,
}

/// How each entry is written: a path per line, `ls -l` columns, or NDJSON records.
enum Lister {
    Paths(StdoutLock<'static>),
    Long {
        out: StdoutLock<'static>,
        names: Names,
        zone: Zone,
    },
    Json {
        out: json::Lines,
        zone: Zone,
    },
}

impl Lister {
    fn new(ctx: &Ctx, long: bool) -> Lister {
        if ctx.json {
            Lister::Json {
                out: json::Lines::new(),
                zone: ctx.zone,
            }
        } else if long {
            Lister::Long {
                out: ui::out(),
                names: Names::of_this_machine(),
                zone: ctx.zone,
            }
        } else {
            Lister::Paths(ui::out())
        }
    }

    /// Writes one entry; `dump` is the manifest's record when the entry is a database
    /// dump of the snapshot, shown after it in `-l` and in full in JSON.
    fn show(&mut self, path: &str, node: &Node, dump: Option<&DumpRecord>) -> Result<()> {
        match self {
            Lister::Paths(out) => writeln!(out, "{path}")?,
            Lister::Long { out, names, zone } => writeln!(
                out,
                "{} {:<8} {:<8} {:>12} {} {}{}{}",
                ui::mode::symbolic(node.kind, node.mode),
                names.user(node.uid),
                names.group(node.gid),
                node.size,
                ui::time::human(*zone, ui::time::from_ns(node.mtime_ns)),
                path,
                node.target_raw()
                    .map(|t| format!(" -> {}", ui::escape::bytes(&t)))
                    .unwrap_or_default(),
                dump.map(dump_note).unwrap_or_default()
            )?,
            Lister::Json { out, zone } => {
                let mut j = serde_json::to_value(node)?;
                if let Some(o) = j.as_object_mut() {
                    o.remove("content");
                    o.insert("path".into(), path.into());
                    let mtime = ui::time::rfc3339(*zone, ui::time::from_ns(node.mtime_ns));
                    o.insert("mtime".into(), mtime.into());
                    if let Some(d) = dump {
                        o.insert("dump".into(), serde_json::to_value(d)?);
                    }
                }
                out.record(&j)?;
            }
        }
        Ok(())
    }

    fn walk(&mut self, repo: &Repository, dumps: &Dumps, at: &str, tree: &BlobId) -> Result<()> {
        for node in repo.read_tree(tree)?.nodes {
            let name = ui::escape::bytes(&node.name_raw()).into_owned();
            let path = format!("{}/{name}", at.trim_end_matches('/'));
            self.show(
                &path,
                &node,
                dumps.get(path.trim_start_matches('/')).copied(),
            )?;
            if let (NodeKind::Dir, Some(sub)) = (node.kind, node.subtree) {
                self.walk(repo, dumps, &path, &sub)?;
            }
        }
        Ok(())
    }
}

/// What `ls -l` adds after a dump: which database, its tables and rows when it holds a
/// database's tables, how long the dump took, and the server's and the tool's versions.
fn dump_note(d: &DumpRecord) -> String {
    let counts = match d.database {
        Some(_) => format!(
            ", {}, {} rows",
            ui::count(d.tables.len() as u64, "table"),
            d.counts().1
        ),
        None => String::new(),
    };
    format!(
        "  [{}{counts}, dumped in {:.1}s, {} {}, {}]",
        d.label(),
        d.duration_secs,
        d.engine,
        d.server_version,
        d.client_version
    )
}

/// The snapshot's dump records by their path in its tree (no leading slash).
/// Keyed as the listing spells paths (`ui::escape`, which leaves `/` alone), so that a
/// database whose name the listing escapes still finds its record.
type Dumps<'s> = std::collections::HashMap<std::borrow::Cow<'s, str>, &'s DumpRecord>;

pub fn run(ctx: &Ctx, args: Args) -> Result<Outcome> {
    let repo = ctx.open()?;
    let snap = super::find_snapshot(&repo, &args.snapshot, &args.filter)?;
    let dumps: Dumps = snap
        .snap
        .databases
        .iter()
        .map(|d| (ui::escape::bytes(d.path.as_bytes()), d))
        .collect();
    let mut lister = Lister::new(ctx, args.long);
    match args
        .path
        .as_deref()
        .filter(|p| !p.trim_matches('/').is_empty())
    {
        None => lister.walk(&repo, &dumps, "", &snap.snap.tree)?,
        Some(p) => {
            let node = plan_find_node(&repo, &snap.snap.tree, p)?;
            let shown = format!("/{}", p.trim_matches('/'));
            let key = ui::escape::bytes(p.trim_matches('/').as_bytes());
            lister.show(&shown, &node, dumps.get(&key).copied())?;
            if let (NodeKind::Dir, Some(sub)) = (node.kind, node.subtree) {
                lister.walk(&repo, &dumps, &shown, &sub)?;
            }
        }
    }
    Ok(Outcome::Ok)
}
