//! `cairn dump`: one file of a snapshot to standard output, e.g. into pg_restore.

use std::io::Write;

use anyhow::{bail, Result};

use super::{Ctx, Filter, Outcome};
use crate::repo::tree::NodeKind;
use crate::restore;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Snapshot id (prefix) or `latest`
    pub snapshot: String,
    /// Path of the file in the snapshot (for stdin backups: the --stdin-name)
    pub path: String,
    #[command(flatten)]
    pub filter: Filter,
}

pub fn run(ctx: &Ctx, args: Args) -> Result<Outcome> {
    let repo = ctx.open()?;
    let snap = super::find_snapshot(&repo, &args.snapshot, &args.filter)?;
    let node = restore::plan_find_node(&repo, &snap.snap.tree, &args.path)?;
    match node.kind {
        NodeKind::File => {}
        NodeKind::Dir => bail!(
            "`dump` writes one file; {} is a directory (use `cairn restore {} --target DIR \
             --include {}`)",
            args.path,
            args.snapshot,
            args.path
        ),
        NodeKind::Symlink => bail!(
            "`dump` writes one file; {} is a symbolic link (dump the file it points to)",
            args.path
        ),
        other => bail!(
            "`dump` writes one file; {} is a {}, which holds no data to write",
            args.path,
            kind_name(other)
        ),
    }
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::with_capacity(1 << 20, stdout.lock());
    restore::dump(&repo, &node, &mut out)?;
    out.flush()?;
    Ok(Outcome::Ok)
}

fn kind_name(kind: NodeKind) -> &'static str {
    match kind {
        NodeKind::File => "file",
        NodeKind::Dir => "directory",
        NodeKind::Symlink => "symbolic link",
        NodeKind::Fifo => "named pipe",
        NodeKind::Socket => "socket",
        NodeKind::CharDev => "character device",
        NodeKind::BlockDev => "block device",
    }
}
