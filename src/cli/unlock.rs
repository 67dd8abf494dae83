//! `cairn unlock`.

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
        for r in &removed {
            println!("removed {r}");
        }
        crate::ui::info(&format!("{} locks removed", removed.len()));
    }
    Ok(Outcome::Ok)
}
