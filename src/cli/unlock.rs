//! `cairn unlock`.

use std::io::Write;

use anyhow::Result;

use super::{Ctx, Outcome};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Remove every lock, not only stale ones (only when no cairn process uses the repository)
    #[arg(long)]
    pub remove_all: bool,
}

pub fn run(ctx: &Ctx, args: Args) -> Result<Outcome> {
    let repo = ctx.open()?;
    let removed = repo.unlock(args.remove_all)?;
    if ctx.json {
        super::print_json(&removed)?;
    } else {
        let mut out = crate::ui::out();
        for r in &removed {
            writeln!(out, "removed {r}")?;
        }
        crate::ui::info(&format!(
            "{} removed",
            crate::ui::count(removed.len() as u64, "lock")
        ));
    }
    Ok(Outcome::Ok)
}
