//! `cairn man --out DIR`: manual pages from the clap definitions, `cairn.1` and one
//! `cairn-COMMAND.1` per command and subcommand (`cairn-key-generate.1`).

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use clap::CommandFactory;

use super::{Cli, Outcome};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Directory to write the pages into (created if missing; pages of the same names
    /// are replaced, other files left alone)
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
}

pub fn run(args: Args) -> Result<Outcome> {
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("creating {}", args.out.display()))?;
    // Built once so that every subcommand carries the global options and its full name
    // (`cairn-key-generate`); `help` is clap's, not a command with a page of its own.
    let mut cmd = Cli::command().disable_help_subcommand(true);
    cmd.build();
    let mut written = 0;
    write_pages(cmd, &args.out, &mut written)?;
    crate::ui::info(&format!(
        "{} written to {}",
        crate::ui::count(written, "page"),
        args.out.display()
    ));
    Ok(Outcome::Ok)
}

fn write_pages(cmd: clap::Command, dir: &Path, written: &mut u64) -> Result<()> {
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        write_pages(sub.clone(), dir, written)?;
    }
    let page = clap_mangen::Man::new(cmd);
    let path = dir.join(page.get_filename());
    let mut text = Vec::new();
    page.render(&mut text)?;
    std::fs::write(&path, text).with_context(|| format!("writing {}", path.display()))?;
    *written += 1;
    Ok(())
}
