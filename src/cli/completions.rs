//! `cairn completions SHELL`: a completion script for the shell, on standard output.

use std::io::Write;

use anyhow::Result;
use clap::CommandFactory;

use super::{Cli, Outcome};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The shell to complete for
    #[arg(value_enum)]
    pub shell: Shell,
}

/// The shells whose scripts are shipped (contrib/completions) and checked by the tests.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum Shell {
    Bash,
    Zsh,
    Fish,
}

pub fn run(args: Args) -> Result<Outcome> {
    let shell = match args.shell {
        Shell::Bash => clap_complete::Shell::Bash,
        Shell::Zsh => clap_complete::Shell::Zsh,
        Shell::Fish => clap_complete::Shell::Fish,
    };
    // Into memory first: the generator panics on a failed write, and a closed pipe
    // (`cairn completions bash | head`) is not worth a panic.
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "cairn", &mut script);
    crate::ui::out().write_all(&script)?;
    Ok(Outcome::Ok)
}
