//! `cairn snapshots`.

use std::collections::HashMap;
use std::io::Write;

use anyhow::Result;

use super::{Ctx, Filter, Outcome};
use crate::ids::SnapshotId;
use crate::repo::verified::Verified;
use crate::repo::Repository;
use crate::ui::{self, table::Align, table::Table};

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub filter: Filter,
    /// One line per database dump instead of per snapshot: database, size, tables,
    /// rows, dump duration, server and dump tool versions
    #[arg(long)]
    pub databases: bool,
}

pub fn run(ctx: &Ctx, args: Args) -> Result<Outcome> {
    let repo = ctx.open()?;
    let (all, bad) = repo.snapshots_checked()?;
    let snaps: Vec<_> = all.into_iter().filter(|s| args.filter.matches(s)).collect();
    let result = fail_on_bad(&bad);
    if args.databases {
        dumps(ctx, &snaps)?;
        return result;
    }
    let verified = verified_by_snapshot(&repo)?;
    if ctx.json {
        let v: Vec<_> = snaps
            .iter()
            .map(|s| {
                let mut j = serde_json::to_value(&s.snap).expect("snapshot serialises");
                j["id"] = s.id.to_hex().into();
                j["short_id"] = s.id.short().into();
                j["time"] = ui::time::rfc3339(ctx.zone, s.snap.time).into();
                if let Some(records) = verified.get(&s.id) {
                    j["verified"] = records
                        .iter()
                        .map(|v| {
                            serde_json::json!({
                                "time": ui::time::rfc3339(ctx.zone, v.time),
                                "command": v.command,
                                "database": v.database,
                                "target": v.target,
                                "tables_checked": v.tables_checked,
                                "host": v.host,
                            })
                        })
                        .collect();
                }
                j
            })
            .collect();
        super::print_json(&v)?;
        return result;
    }
    // The profile column only appears once some snapshot has a profile, so plain
    // repositories keep the narrower table.
    let profiles = snaps.iter().any(|s| s.snap.profile.is_some());
    // Likewise the verified column, once some shown snapshot was restored by a mirror.
    let verified_column = snaps.iter().any(|s| verified.contains_key(&s.id));
    let mut columns = vec![
        ("id", Align::Left),
        ("time", Align::Left),
        ("host", Align::Left),
    ];
    if profiles {
        columns.push(("profile", Align::Left));
    }
    if verified_column {
        columns.push(("verified", Align::Left));
    }
    // And a repaired column once `cairn repair` replaced some snapshot.
    let repaired_column = snaps.iter().any(|s| s.snap.repaired.is_some());
    if repaired_column {
        columns.push(("repaired", Align::Left));
    }
    columns.extend([
        ("tags", Align::Left),
        ("size", Align::Right),
        ("paths", Align::Left),
    ]);
    let mut table = Table::new(&columns);
    for s in &snaps {
        let mut row = vec![
            s.id.short(),
            ui::time::human(ctx.zone, s.snap.time),
            s.snap.host.clone(),
        ];
        if profiles {
            row.push(s.snap.profile.clone().unwrap_or_else(|| "-".into()));
        }
        if verified_column {
            // The newest restore that passed its checks.
            row.push(match verified.get(&s.id).and_then(|v| v.last()) {
                Some(v) => ui::time::human(ctx.zone, v.time),
                None => "-".into(),
            });
        }
        if repaired_column {
            row.push(match &s.snap.repaired {
                Some(r) => format!("of {}", r.original.short()),
                None => "-".into(),
            });
        }
        row.extend([
            s.snap.tags.join(","),
            ui::bytes(s.snap.stats.total_bytes),
            s.snap.paths.join(" "),
        ]);
        table.row(row);
    }
    let mut out = ui::out();
    table.write(&mut out)?;
    writeln!(out, "{}", ui::count(snaps.len() as u64, "snapshot"))?;
    result
}

/// `--databases`: every dump of the listed snapshots, as the manifest records it.
fn dumps(ctx: &Ctx, snaps: &[crate::repo::snapshot::StoredSnapshot]) -> Result<()> {
    if ctx.json {
        let v: Vec<_> = snaps
            .iter()
            .flat_map(|s| {
                s.snap.databases.iter().map(|d| {
                    let mut j = serde_json::to_value(d).expect("dump record serialises");
                    j["snapshot"] = s.id.to_hex().into();
                    j["time"] = ui::time::rfc3339(ctx.zone, s.snap.time).into();
                    j
                })
            })
            .collect();
        return super::print_json(&v);
    }
    let mut table = Table::new(&[
        ("id", Align::Left),
        ("time", Align::Left),
        ("database", Align::Left),
        ("file", Align::Left),
        ("size", Align::Right),
        ("tables", Align::Right),
        ("rows", Align::Right),
        ("took", Align::Right),
        ("server", Align::Left),
        ("dumped by", Align::Left),
    ]);
    let mut n = 0;
    for s in snaps {
        for d in &s.snap.databases {
            n += 1;
            let (tables, rows) = d.counts();
            table.row(vec![
                s.id.short(),
                ui::time::human(ctx.zone, s.snap.time),
                d.label(),
                d.path.clone(),
                ui::bytes(d.bytes),
                tables,
                rows,
                format!("{:.1}s", d.duration_secs),
                format!("{} {}", d.engine, d.server_version),
                d.client_version.clone(),
            ]);
        }
    }
    let mut out = ui::out();
    table.write(&mut out)?;
    writeln!(out, "{}", ui::count(n, "dump"))?;
    Ok(())
}

/// The "verified restorable" records (`cairn mirror`, `restore-db`) of each snapshot,
/// oldest first.
fn verified_by_snapshot(repo: &Repository) -> Result<HashMap<SnapshotId, Vec<Verified>>> {
    let mut by: HashMap<SnapshotId, Vec<Verified>> = HashMap::new();
    for v in repo.verified_records()? {
        by.entry(v.snapshot).or_default().push(v);
    }
    Ok(by)
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
