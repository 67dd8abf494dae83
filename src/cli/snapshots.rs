//! `cairn snapshots`.

use anyhow::Result;

use super::{Ctx, Filter, Outcome};
use crate::ui;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub filter: Filter,
}

pub fn run(ctx: &Ctx, args: Args) -> Result<Outcome> {
    let repo = ctx.open()?;
    let (all, bad) = repo.snapshots_checked()?;
    let snaps: Vec<_> = all.into_iter().filter(|s| args.filter.matches(s)).collect();
    let result = fail_on_bad(&bad);
    if ctx.json {
        let v: Vec<_> = snaps
            .iter()
            .map(|s| {
                let mut j = serde_json::to_value(&s.snap).expect("snapshot serialises");
                j["id"] = serde_json::Value::String(s.id.to_hex());
                j["short_id"] = serde_json::Value::String(s.id.short());
                j
            })
            .collect();
        super::print_json(&v)?;
        return result;
    }
    // The profile column only appears once some snapshot has a profile, so plain
    // repositories keep the narrower table.
    let profiles = snaps.iter().any(|s| s.snap.profile.is_some());
    let profile = |p: &str| {
        if profiles {
            format!("{p:<12}  ")
        } else {
            String::new()
        }
    };
    println!(
        "{:<8}  {:<20}  {:<16}  {}{:<16}  {:>10}  paths",
        "id",
        "time (UTC)",
        "host",
        profile("profile"),
        "tags",
        "size"
    );
    for s in &snaps {
        println!(
            "{:<8}  {:<20}  {:<16}  {}{:<16}  {:>10}  {}",
            s.id.short(),
            s.snap.time.format("%Y-%m-%d %H:%M:%S"),
            s.snap.host,
            profile(s.snap.profile.as_deref().unwrap_or("-")),
            s.snap.tags.join(","),
            ui::bytes(s.snap.stats.total_bytes),
            s.snap.paths.join(" ")
        );
    }
    println!("{} snapshots", snaps.len());
    result
}

/// Lists what verified, then fails naming what did not.
fn fail_on_bad(bad: &[String]) -> Result<Outcome> {
    for b in bad.iter().skip(1) {
        crate::ui::warn(b);
    }
    match bad.first() {
        None => Ok(Outcome::Ok),
        Some(first) if bad.len() == 1 => anyhow::bail!("{first}"),
        Some(first) => anyhow::bail!("{first} (and {} more, above)", bad.len() - 1),
    }
}
