//! `cairn forget`.

use std::io::{self, Write};

use anyhow::{bail, Result};
use serde::Serialize;

use super::{find_snapshot, Ctx, Filter, Outcome};
use crate::repo::lock::LockKind;
use crate::repo::snapshot::StoredSnapshot;
use crate::repo::Repository;
use crate::retention::forget::{self, Group, GroupBy};
use crate::retention::policy::{PerPeriod, Policy, Span, Zone};
use crate::retention::prune;
use crate::ui;

const POLICY: &str = "Keep policy (a snapshot is kept when any rule keeps it)";

#[derive(Debug, clap::Args)]
#[command(after_help = "\
Each group (host, profile and paths by default) is decided on its own. Calendar rules keep \
the newest snapshot of each of the N most recent hours/days/ISO weeks/months/years that \
have one; --keep-within counts back from the group's newest snapshot, not from now. \
Removing only deletes manifests; `cairn prune` frees the data. See docs/OPERATIONS.md.")]
pub struct Args {
    /// Forget exactly these snapshots (id prefixes) instead of applying a policy
    #[arg(value_name = "SNAPSHOT")]
    pub ids: Vec<String>,
    /// Keep the N newest snapshots
    #[arg(long, value_name = "N", default_value_t = 0, hide_default_value = true, help_heading = POLICY)]
    pub keep_last: usize,
    /// Keep the newest snapshot of each of the N most recent hours that have one
    #[arg(long, value_name = "N", default_value_t = 0, hide_default_value = true, help_heading = POLICY)]
    pub keep_hourly: usize,
    /// Keep the newest snapshot of each of the N most recent days that have one
    #[arg(long, value_name = "N", default_value_t = 0, hide_default_value = true, help_heading = POLICY)]
    pub keep_daily: usize,
    /// Keep the newest snapshot of each of the N most recent ISO weeks that have one
    #[arg(long, value_name = "N", default_value_t = 0, hide_default_value = true, help_heading = POLICY)]
    pub keep_weekly: usize,
    /// Keep the newest snapshot of each of the N most recent months that have one
    #[arg(long, value_name = "N", default_value_t = 0, hide_default_value = true, help_heading = POLICY)]
    pub keep_monthly: usize,
    /// Keep the newest snapshot of each of the N most recent years that have one
    #[arg(long, value_name = "N", default_value_t = 0, hide_default_value = true, help_heading = POLICY)]
    pub keep_yearly: usize,
    /// Keep every snapshot newer than DURATION before the group's newest (e.g. 30d, 2w, 1y6m, 12h)
    #[arg(long, value_name = "DURATION", help_heading = POLICY)]
    pub keep_within: Option<Span>,
    /// Keep the newest snapshot of each hour within DURATION of the group's newest
    #[arg(long, value_name = "DURATION", help_heading = POLICY)]
    pub keep_within_hourly: Option<Span>,
    /// Keep the newest snapshot of each day within DURATION of the group's newest
    #[arg(long, value_name = "DURATION", help_heading = POLICY)]
    pub keep_within_daily: Option<Span>,
    /// Keep the newest snapshot of each ISO week within DURATION of the group's newest
    #[arg(long, value_name = "DURATION", help_heading = POLICY)]
    pub keep_within_weekly: Option<Span>,
    /// Keep the newest snapshot of each month within DURATION of the group's newest
    #[arg(long, value_name = "DURATION", help_heading = POLICY)]
    pub keep_within_monthly: Option<Span>,
    /// Keep the newest snapshot of each year within DURATION of the group's newest
    #[arg(long, value_name = "DURATION", help_heading = POLICY)]
    pub keep_within_yearly: Option<Span>,
    /// Keep snapshots with this tag; `a,b` needs both (repeatable: any of them)
    #[arg(long = "keep-tag", value_name = "TAG[,TAG]", help_heading = POLICY)]
    pub keep_tags: Vec<String>,
    /// Allow removing every snapshot of a group, or with no policy every selected snapshot
    #[arg(long, help_heading = POLICY)]
    pub keep_none: bool,
    /// Group by these fields: host, profile, paths, tags (comma list; "" for one group)
    #[arg(long, value_name = "FIELDS", default_value = "host,profile,paths")]
    pub group_by: GroupBy,
    /// Show what would be removed, and why each snapshot stays, without changing anything
    #[arg(long, short = 'n')]
    pub dry_run: bool,
    /// Prune right after, under the same lock (as `cairn prune` would)
    #[arg(long)]
    pub prune: bool,
    #[command(flatten)]
    pub repack: super::prune::RepackFlags,
    #[command(flatten)]
    pub filter: Filter,
}

impl Args {
    fn policy(&self) -> Policy {
        Policy {
            last: self.keep_last,
            every: PerPeriod {
                hourly: self.keep_hourly,
                daily: self.keep_daily,
                weekly: self.keep_weekly,
                monthly: self.keep_monthly,
                yearly: self.keep_yearly,
            },
            within: self.keep_within,
            every_within: PerPeriod {
                hourly: self.keep_within_hourly,
                daily: self.keep_within_daily,
                weekly: self.keep_within_weekly,
                monthly: self.keep_within_monthly,
                yearly: self.keep_within_yearly,
            },
            tags: self
                .keep_tags
                .iter()
                .map(|set| set.split(',').map(str::to_string).collect())
                .collect(),
        }
    }
}

pub fn run(ctx: &Ctx, args: Args) -> Result<Outcome> {
    let policy = args.policy();
    if !args.ids.is_empty() && (!policy.is_empty() || args.keep_none) {
        return Err(super::usage("give snapshot ids or a keep policy, not both"));
    }
    // Checked before anything is removed, so a bad flag cannot leave a half-done run.
    let prune_opts = args.repack.options(false, &None)?;
    let repo = ctx.open()?;
    // Exclusive, like restic: the "never empty a group" check only holds if no other
    // forget removes snapshots of the same group at the same time, and prune must not
    // see the snapshot list change under it. Taken before listing, so the plan is made
    // on the list that is then changed.
    let lock = if args.dry_run {
        None
    } else {
        repo.require_signer()?;
        Some(repo.lock(LockKind::Exclusive, "forget")?)
    };
    let groups = if args.ids.is_empty() {
        let all = repo.snapshots()?;
        let snaps: Vec<StoredSnapshot> = all
            .iter()
            .filter(|s| args.filter.matches(s))
            .cloned()
            .collect();
        // A mistyped --host would otherwise look like a policy that had nothing to do.
        if snaps.is_empty() && !all.is_empty() {
            bail!("{}", args.filter.why_nothing_matches(&all));
        }
        forget::plan(snaps, args.group_by, &policy, ctx.zone, args.keep_none).map_err(
            |e| match e {
                forget::ForgetError::EmptyPolicy => super::usage(e),
                e => e.into(),
            },
        )?
    } else {
        forget::named(named_snapshots(&repo, &args)?, args.group_by)
    };
    let removed = match &lock {
        Some(lock) => forget::remove(&repo, lock, &groups)?,
        None => 0,
    };
    if !ctx.json && !ui::quiet() {
        let mut out = ui::out();
        print_groups(&mut out, &groups, ctx.zone)?;
        print_summary(&mut out, &groups, args.dry_run, removed, args.prune)?;
    }
    // A dry run's prune could not see the removals it would follow, so it is not run.
    let pruned = match (&lock, args.prune) {
        (Some(lock), true) => Some(prune::prune_locked(&repo, &prune_opts, lock)?),
        _ => None,
    };
    if ctx.json {
        let rows = rows(&groups, ctx.zone);
        match pruned {
            Some(p) => super::print_json(&serde_json::json!({ "snapshots": rows, "prune": p }))?,
            None => super::print_json(&rows)?,
        }
    } else if let Some(p) = &pruned {
        super::prune::report(p);
    }
    Ok(Outcome::Ok)
}

/// Each id once, even when given twice or as two prefixes of the same snapshot.
fn named_snapshots(repo: &Repository, args: &Args) -> Result<Vec<StoredSnapshot>> {
    let mut out: Vec<StoredSnapshot> = Vec::new();
    for spec in &args.ids {
        let s = find_snapshot(repo, spec, &args.filter)?;
        if !out.iter().any(|o| o.id == s.id) {
            out.push(s);
        }
    }
    Ok(out)
}

#[derive(Serialize)]
struct Row<'a> {
    id: String,
    time: String,
    host: &'a str,
    profile: Option<&'a str>,
    paths: &'a [String],
    tags: &'a [String],
    keep: bool,
    reasons: Vec<String>,
}

fn rows(groups: &[Group], zone: Zone) -> Vec<Row<'_>> {
    groups
        .iter()
        .flat_map(|g| &g.entries)
        .map(|e| Row {
            id: e.snap.id.to_hex(),
            time: ui::time::rfc3339(zone, e.snap.snap.time),
            host: &e.snap.snap.host,
            profile: e.snap.snap.profile.as_deref(),
            paths: &e.snap.snap.paths,
            tags: &e.snap.snap.tags,
            keep: e.decision.keep,
            reasons: e.decision.reasons.iter().map(|r| r.to_string()).collect(),
        })
        .collect()
}

/// Times are shown in the zone the buckets were taken in, so that "daily 2026-01-31"
/// sits next to a time on 2026-01-31.
fn print_groups(out: &mut impl Write, groups: &[Group], zone: Zone) -> io::Result<()> {
    for g in groups {
        let kept = g.entries.iter().filter(|e| e.decision.keep).count();
        writeln!(
            out,
            "{} ({}: {} keep, {} remove)",
            g.key,
            ui::count(g.entries.len() as u64, "snapshot"),
            kept,
            g.entries.len() - kept
        )?;
        for e in &g.entries {
            let reasons: Vec<String> = e.decision.reasons.iter().map(|r| r.to_string()).collect();
            let line = format!(
                "  {}  {}  {:<6}  {}",
                e.snap.id.short(),
                ui::time::human(zone, e.snap.snap.time),
                if e.decision.keep { "keep" } else { "remove" },
                reasons.join(", ")
            );
            writeln!(out, "{}", line.trim_end())?;
        }
    }
    Ok(())
}

fn print_summary(
    out: &mut impl Write,
    groups: &[Group],
    dry_run: bool,
    removed: usize,
    prune: bool,
) -> io::Result<()> {
    let entries = groups.iter().flat_map(|g| &g.entries);
    let kept = entries.clone().filter(|e| e.decision.keep).count();
    let kept = ui::count(kept as u64, "snapshot");
    if dry_run {
        let would = entries.filter(|e| !e.decision.keep).count();
        let then = if prune { "; prune would run after" } else { "" };
        writeln!(
            out,
            "{kept} kept, {would} would be removed{then} (dry run: nothing changed)"
        )
    } else if prune {
        writeln!(out, "{kept} kept, {removed} removed; pruning")
    } else {
        writeln!(
            out,
            "{kept} kept, {removed} removed; run `cairn prune` to free their data"
        )
    }
}
