//! Steps 2–5 of a mirror and what happens around them: the temporary database built
//! and checked, the swap, the old database retired, the verified record stored, and
//! the cleanup after a failure.

use std::io::Write;
use std::time::Instant;

use super::check;
use super::{at, MirrorError, Names, Plan, Report, Target, TargetError, STEPS};
use crate::db::DumpRecord;
use crate::repo::lock::LockKind;
use crate::repo::snapshot::StoredSnapshot;
use crate::repo::tree::Node;
use crate::repo::verified::Verified;
use crate::repo::Repository;

/// Runs steps 2–5 for the chosen snapshot (step 1 is [`super::pick`], which the caller does
/// with the snapshots it may choose from), then stores the verified record.
pub fn run(
    repo: &Repository,
    target: &dyn Target,
    plan: &Plan,
    snap: &StoredSnapshot,
    record: &DumpRecord,
) -> std::result::Result<Report, MirrorError> {
    let started = Instant::now();
    let names = Names::of(&plan.target_db, target.max_name_len()).map_err(at(0))?;
    let find = |path: &str| {
        crate::restore::plan_find_node(repo, &snap.snap.tree, path)
            .map_err(|e| at(0)(format!("{path}: {e}")))
    };
    let node = find(&record.path)?;
    let globals = match plan.globals {
        false => None,
        true => {
            let g = snap
                .snap
                .databases
                .iter()
                .find(|r| {
                    r.database.is_none() && r.engine == record.engine && r.server == record.server
                })
                .ok_or_else(|| {
                    at(0)(format!(
                        "snapshot {} holds no server-wide dump (globals) of {}",
                        snap.id.short(),
                        record.server
                    ))
                })?;
            Some((g.clone(), find(&g.path)?))
        }
    };
    let dump = Dump {
        record,
        node,
        globals,
    };
    let mut report = Report {
        dry_run: plan.dry_run,
        snapshot: snap.id.to_hex(),
        snapshot_time: snap.snap.time,
        database: plan.database.clone(),
        target: plan.target_url.clone(),
        dump_path: record.path.clone(),
        bytes: record.bytes,
        tables_checked: 0,
        tables_present: 0,
        scrub_files: plan.scrub.len(),
        checks: plan.checks.len(),
        actions: Vec::new(),
        record: None,
        duration_secs: 0.0,
    };
    step_info(
        0,
        &format!(
            "{} of {}, {} ({}, {} tables)",
            snap.id.short(),
            snap.snap.time.format("%Y-%m-%d %H:%M:%S UTC"),
            record.path,
            crate::ui::bytes(record.bytes),
            record.tables.len()
        ),
    );
    let exists = target.exists(&plan.target_db).map_err(|e| at(1)(e.0))?;
    if exists && !plan.replace {
        return Err(at(1)(format!(
            "database {:?} already exists on {}; give --replace to put the restored one in \
             its place",
            plan.target_db,
            target.describe()
        )));
    }
    if plan.dry_run {
        dry_run(target, plan, &names, exists, record, &mut report).map_err(|e| at(1)(e.0))?;
        report.duration_secs = started.elapsed().as_secs_f64();
        return Ok(report);
    }
    let _alone = target.exclusive(&plan.target_db).map_err(|e| at(1)(e.0))?;
    // Prune must not delete packs under a restore that is still reading them.
    let lock = repo
        .lock(LockKind::Shared, plan.command)
        .map_err(|e| at(1)(e.to_string()))?;
    if let Err(e) = build(repo, target, plan, &names, &dump, &mut report) {
        return Err(cleanup(target, &names.new, e));
    }
    if let Err(e) = target.swap(&names.new, &plan.target_db, &names.old) {
        return Err(cleanup(target, &names.new, at(4)(e.0)));
    }
    if exists {
        retire_old(target, plan, &names, &mut report);
    }
    step_info(4, &format!("{} is the restored database", plan.target_db));
    report.record = record_verified(repo, plan, snap, &report);
    drop(lock);
    report.duration_secs = started.elapsed().as_secs_f64();
    Ok(report)
}

/// What is read from the snapshot: the database's dump and, with `--globals`, the
/// server-wide one.
struct Dump<'a> {
    record: &'a DumpRecord,
    node: Node,
    globals: Option<(DumpRecord, Node)>,
}

/// Steps 2–4, into the temporary database.
fn build(
    repo: &Repository,
    target: &dyn Target,
    plan: &Plan,
    names: &Names,
    dump: &Dump,
    report: &mut Report,
) -> std::result::Result<(), MirrorError> {
    let (record, node) = (dump.record, &dump.node);
    let restore = at(1);
    if target.exists(&names.new).map_err(|e| restore(e.0))? {
        target.drop_database(&names.new).map_err(|e| restore(e.0))?;
        let msg = format!(
            "dropped {}, left behind by an earlier run that did not finish",
            names.new
        );
        crate::ui::warn(&msg);
        report.actions.push(msg);
    }
    // A `__cairn_old` is a replaced test database an interrupted run did not retire; it
    // would block the swap's rename. It goes where that run would have put it.
    if target.exists(&names.old).map_err(|e| restore(e.0))? {
        let msg = if plan.keep == 0 {
            target.drop_database(&names.old).map_err(|e| restore(e.0))?;
            format!("dropped {}, left behind by an earlier run", names.old)
        } else {
            let kept = kept_name(names);
            target.rename(&names.old, &kept).map_err(|e| restore(e.0))?;
            format!(
                "renamed {} to {kept}, left behind by an earlier run",
                names.old
            )
        };
        crate::ui::warn(&msg);
        report.actions.push(msg);
    }
    if let Some((g, g_node)) = &dump.globals {
        let mut feed = |w: &mut dyn Write| {
            crate::restore::dump(repo, g_node, w)
                .map_err(|e| format!("reading {} from the repository: {e}", g.path))
        };
        let skipped = target
            .restore_globals(g, &mut feed)
            .map_err(|e| restore(e.0))?;
        for e in &skipped {
            crate::ui::warn(&format!("{}: {e}", g.path));
        }
        let msg = format!(
            "restored {} ({} statements failed, e.g. roles that exist already)",
            g.path,
            skipped.len()
        );
        step_info(1, &msg);
        report.actions.push(msg);
    }
    target.create(&names.new).map_err(|e| restore(e.0))?;
    let progress = crate::ui::Progress::new(Some(node.size), "restore");
    let mut feed = |w: &mut dyn Write| {
        crate::restore::dump(repo, node, &mut progress.writer(w))
            .map_err(|e| format!("reading {} from the repository: {e}", record.path))
    };
    target
        .restore(&names.new, record, &mut feed)
        .map_err(|e| restore(e.0))?;
    progress.finish();
    let found = target
        .count_rows(&names.new, &record.tables)
        .map_err(|e| restore(e.0))?;
    step_info(
        1,
        &format!(
            "restored {} into {} on {}",
            record.path,
            names.new,
            target.describe()
        ),
    );

    if plan.scrub.is_empty() {
        step_info(2, "no scrub files");
    }
    for file in &plan.scrub {
        target
            .run_sql_file(&names.new, file)
            .map_err(|e| at(2)(e.0))?;
        step_info(2, &format!("ran {}", file.display()));
    }

    let counts = check::compare(&record.tables, &found).map_err(at(3))?;
    report.tables_checked = counts.exact;
    report.tables_present = counts.present;
    for q in &plan.checks {
        if !target.check_query(&names.new, q).map_err(|e| at(3)(e.0))? {
            return Err(at(3)(format!("check query did not return true: {q}")));
        }
    }
    step_info(
        3,
        &format!(
            "{} tables with the manifest's row counts, {} more present (estimated counts), \
             {} check queries true",
            counts.exact,
            counts.present,
            plan.checks.len()
        ),
    );
    Ok(())
}

/// After a failure before the swap: the temporary database goes, the target stays.
fn cleanup(target: &dyn Target, new: &str, e: MirrorError) -> MirrorError {
    // Also, and above all, when a signal stopped the step.
    let gone = crate::interrupt::cleanup(|| {
        target.exists(new).and_then(|there| match there {
            true => target.drop_database(new),
            false => Ok(()),
        })
    });
    match gone {
        Ok(()) => e,
        Err(d) => MirrorError {
            step: e.step,
            cause: format!(
                "{}; and the temporary database {new} could not be dropped: {d}",
                e.cause
            ),
        },
    }
}

/// The old database after a swap: dropped, or kept under a dated name with the
/// `keep - 1` kept before it. Failures here are warnings: the swap is done.
fn retire_old(target: &dyn Target, plan: &Plan, names: &Names, report: &mut Report) {
    fn warn(report: &mut Report, what: String, e: TargetError) {
        crate::ui::warn(&format!("{what}: {e}"));
        report.actions.push(format!("{what} failed: {e}"));
    }
    if plan.keep == 0 {
        match target.drop_database(&names.old) {
            Ok(()) => report.actions.push(format!("dropped {}", names.old)),
            Err(e) => warn(
                report,
                format!("dropping the old database {}", names.old),
                e,
            ),
        }
        return;
    }
    let kept = kept_name(names);
    if let Err(e) = target.rename(&names.old, &kept) {
        return warn(report, format!("renaming {} to {kept}", names.old), e);
    }
    report
        .actions
        .push(format!("kept the old database as {kept}"));
    let prefix = format!("{}_", names.old);
    let mut old: Vec<String> = match target.databases() {
        Ok(d) => d.into_iter().filter(|d| d.starts_with(&prefix)).collect(),
        Err(e) => return warn(report, "listing kept databases".into(), e),
    };
    // The time stamps sort as text; newest first.
    old.sort_unstable_by(|a, b| b.cmp(a));
    for d in old.into_iter().skip(plan.keep as usize) {
        match target.drop_database(&d) {
            Ok(()) => report
                .actions
                .push(format!("dropped {d} (keep = {})", plan.keep)),
            Err(e) => warn(report, format!("dropping {d}"), e),
        }
    }
}

/// `<target>__cairn_old_<UTC time>`: kept copies sort by age as text.
fn kept_name(names: &Names) -> String {
    format!(
        "{}_{}",
        names.old,
        chrono::Utc::now().format("%Y%m%dT%H%M%S")
    )
}

fn record_verified(
    repo: &Repository,
    plan: &Plan,
    snap: &StoredSnapshot,
    report: &Report,
) -> Option<String> {
    let v = Verified {
        version: 1,
        snapshot: snap.id,
        time: chrono::Utc::now(),
        command: plan.command.to_string(),
        database: plan.database.clone(),
        target: plan.target_url.clone(),
        tables_checked: report.tables_checked,
        host: crate::hostname(),
        tool: format!("cairn {}", env!("CARGO_PKG_VERSION")),
    };
    match repo.write_verified(&v) {
        Ok(name) => Some(name),
        Err(e) => {
            crate::ui::warn(&format!(
                "the restore worked, but recording it as verified in the repository failed: {e}"
            ));
            None
        }
    }
}

fn dry_run(
    target: &dyn Target,
    plan: &Plan,
    names: &Names,
    exists: bool,
    record: &DumpRecord,
    report: &mut Report,
) -> super::Result<()> {
    let mut lines = Vec::new();
    if target.exists(&names.new)? {
        lines.push((
            1,
            format!("would drop {}, left behind by an earlier run", names.new),
        ));
    }
    if plan.globals {
        lines.push((
            1,
            "would restore the snapshot's server-wide dump (roles) first".to_string(),
        ));
    }
    lines.push((
        1,
        format!(
            "would create {} on {} and restore {} into it",
            names.new,
            target.describe(),
            report.dump_path
        ),
    ));
    if plan.scrub.is_empty() {
        lines.push((2, "no scrub files".to_string()));
    }
    for f in &plan.scrub {
        lines.push((2, format!("would run {}", f.display())));
    }
    lines.push((
        3,
        format!(
            "would check {} tables against the manifest and {} check queries",
            record.tables.len(),
            plan.checks.len()
        ),
    ));
    let swap = match (exists, plan.keep) {
        (false, _) => format!("would rename {} to {}", names.new, plan.target_db),
        (true, 0) => format!(
            "would end sessions on {t}, rename it to {}, rename {} to {t}, drop {}",
            names.old,
            names.new,
            names.old,
            t = plan.target_db
        ),
        (true, k) => format!(
            "would end sessions on {t}, rename it to {}_<time>, rename {} to {t}, keep {k} old \
             copies",
            names.old,
            names.new,
            t = plan.target_db
        ),
    };
    lines.push((4, swap));
    for (step, l) in lines {
        step_info(step, &l);
        report.actions.push(l);
    }
    Ok(())
}

fn step_info(step: usize, msg: &str) {
    crate::ui::info(&format!(
        "step {}/{} {}: {msg}",
        step + 1,
        STEPS.len(),
        STEPS[step]
    ));
}
