//! `cairn check`.

use anyhow::{bail, Result};

use super::{usage, Ctx, Outcome};
use crate::check::{self, ReadData};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Download and verify every pack
    #[arg(long, conflicts_with = "read_data_subset")]
    pub read_data: bool,
    /// Verify a subset of packs: N% (random) or n/m (the n-th of m fixed buckets)
    #[arg(long, value_name = "N%|n/m")]
    pub read_data_subset: Option<String>,
}

pub fn run(ctx: &Ctx, args: Args) -> Result<Outcome> {
    let read = match (&args.read_data_subset, args.read_data) {
        (Some(s), _) => ReadData::parse(s).map_err(usage)?,
        (None, true) => ReadData::All,
        (None, false) => ReadData::None,
    };
    let repo = ctx.open()?;
    let report = check::check(&repo, read)?;
    if ctx.json {
        super::print_json(&report)?;
    } else {
        for e in &report.errors {
            eprintln!("error: {e}");
        }
        crate::ui::info(&format!(
            "checked {} snapshots, {} trees, {} packs ({} read): {}",
            report.snapshots,
            report.trees,
            report.packs,
            report.packs_read,
            if report.errors.is_empty() {
                "no errors".to_string()
            } else {
                format!("{} errors", report.errors.len())
            }
        ));
    }
    if !report.errors.is_empty() {
        bail!(
            "repository {} has {} errors (first: {})",
            repo.location(),
            report.errors.len(),
            report.errors[0]
        );
    }
    Ok(Outcome::Ok)
}
