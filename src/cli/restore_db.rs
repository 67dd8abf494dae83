//! `cairn restore-db SNAP --database DB --to URL`: disaster recovery of one database into
//! a server, through the same steps as `mirror` (docs/MIRROR.md), without scrub.

use anyhow::Result;

use super::mirror::{execute, target_url, RestoreArgs};
use super::{Ctx, Filter, Outcome};
use crate::mirror::{Plan, RestoreOptions};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Snapshot id (prefix) or `latest` (the newest holding the database)
    pub snapshot: String,
    /// The database in the snapshot, as it was named on the source server
    #[arg(long)]
    pub database: String,
    /// Where to restore it: postgresql://USER@HOST:PORT/[DB] or mysql://… (no password; DB
    /// defaults to --database)
    #[arg(long, value_name = "URL")]
    pub to: String,
    /// Replace the database if it exists (the old one is dropped once the restored one
    /// passed its checks); without it, an existing database is refused
    #[arg(long)]
    pub replace: bool,
    /// First restore the server's roles and tablespaces from the snapshot's globals.sql
    /// (pg_dumpall --globals-only), going past those that exist already; this changes
    /// the server outside the restored database and is not undone on failure
    #[arg(long)]
    pub globals: bool,
    #[command(flatten)]
    pub restore: RestoreArgs,
    /// Say what would happen, changing nothing
    #[arg(long)]
    pub dry_run: bool,
    #[command(flatten)]
    pub filter: Filter,
}

pub fn run(ctx: &Ctx, args: Args) -> Result<Outcome> {
    let url = match crate::db::url::DbUrl::parse(&args.to) {
        Ok(u) if u.database.is_none() => u.with_database(Some(&args.database)),
        _ => target_url(&args.to)?,
    };
    let plan = Plan {
        command: "restore-db",
        database: args.database.clone(),
        target_db: url.database.clone().unwrap_or_default(),
        target_url: url.to_string(),
        scrub: Vec::new(),
        checks: Vec::new(),
        keep: 0,
        replace: args.replace,
        globals: args.globals,
        dry_run: args.dry_run,
    };
    let opts = args.restore.over(RestoreOptions::default());
    let repo = ctx.open()?;
    execute(
        ctx,
        &repo,
        (&url, None),
        &plan,
        &opts,
        &args.snapshot,
        &args.filter,
    )
}
