//! `cairn dump`: one file of a snapshot to standard output, e.g. into pg_restore; or,
//! with `--archive tar`, a directory of it (or all of it) as a tar stream.

use std::io::{IsTerminal, Write};
use std::os::unix::ffi::OsStrExt;
use std::path::PathBuf;

use anyhow::{bail, Context, Result};

use super::{usage, Ctx, Filter, Outcome};
use crate::repo::tree::NodeKind;
use crate::restore;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Snapshot id (prefix) or `latest`
    pub snapshot: String,
    /// Path of the file in the snapshot (for stdin backups: the --stdin-name); with
    /// --archive, a directory (or `/` for the whole snapshot)
    pub path: PathBuf,
    /// Write the path and everything below it as an archive of this format (the
    /// directories above it come along, as a restore makes them)
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub archive: Option<Archive>,
    #[command(flatten)]
    pub filter: Filter,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Archive {
    /// POSIX tar (pax), as GNU tar and bsdtar read it
    Tar,
}

pub fn run(ctx: &Ctx, args: Args) -> Result<Outcome> {
    let raw = args.path.as_os_str().as_bytes();
    if args.archive.is_some() {
        refuse_terminal("the archive")?;
    }
    let repo = ctx.open()?;
    let snap = super::find_snapshot(&repo, &args.snapshot, &args.filter)?;
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::with_capacity(1 << 20, stdout.lock());
    if args.archive == Some(Archive::Tar) {
        let part = restore::tar::Part::Path(raw);
        restore::tar::write(&repo, &snap.snap.tree, part, &mut out)
            .context("the tar archive on standard output is incomplete")?;
        return Ok(Outcome::Ok);
    }
    let shown = args.path.display();
    let node = restore::find_path(&repo, &snap.snap.tree, raw)?
        .pop()
        .expect("a path has a last part");
    match node.kind {
        NodeKind::File => {}
        NodeKind::Dir => bail!(
            "`dump` writes one file; {shown} is a directory (use `cairn dump {} {shown} \
             --archive tar`, or `cairn restore {} --target DIR --include {shown}`)",
            args.snapshot,
            args.snapshot,
        ),
        NodeKind::Symlink => {
            bail!("`dump` writes one file; {shown} is a symbolic link (dump the file it points to)",)
        }
        other => bail!(
            "`dump` writes one file; {shown} is a {}, which holds no data to write",
            kind_name(other)
        ),
    }
    restore::dump(&repo, &node, &mut out)?;
    out.flush()?;
    Ok(Outcome::Ok)
}

/// Binary archives are not written to a terminal, as tar refuses to.
pub fn refuse_terminal(what: &str) -> Result<()> {
    if std::io::stdout().is_terminal() {
        return Err(usage(format!(
            "not writing {what} to a terminal: redirect standard output to a file or a pipe"
        )));
    }
    Ok(())
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
