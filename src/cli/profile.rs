//! `cairn profile check|list`.

use std::io::Write;

use anyhow::{bail, Result};

use super::{Ctx, Outcome};
use crate::profile::check::{self, Status};
use crate::profile::discover;
use crate::profile::settings::Overrides;

#[derive(Debug, clap::Subcommand)]
pub enum ProfileCommand {
    /// Test a profile without writing anything: it parses, the key and passphrase unlock,
    /// the repository opens, the source exists, notification URLs parse
    Check {
        /// Profile name or path to its file
        profile: String,
    },
    /// List the profiles found by name, and their files
    List,
}

pub fn overrides(ctx: &Ctx) -> Overrides {
    Overrides {
        repo: ctx.repo.clone(),
        key: ctx.key.clone(),
        cache_dir: ctx.cache_dir.clone(),
        no_cache: ctx.no_cache,
        store: ctx.store.clone(),
        trust_signer: ctx.trust_signer.clone(),
        zone: ctx.zone,
        priority: ctx.priority,
    }
}

pub fn run(ctx: &Ctx, cmd: ProfileCommand) -> Result<Outcome> {
    match cmd {
        ProfileCommand::Check { profile } => {
            let lines = check::check(&profile, ctx.config_dir.as_deref(), &overrides(ctx));
            let failed = lines.iter().filter(|l| l.status == Status::Fail).count();
            if ctx.json {
                let v: Vec<_> = lines
                    .iter()
                    .map(|l| {
                        serde_json::json!({
                            "status": format!("{:?}", l.status).to_lowercase(),
                            "item": l.item,
                            "detail": l.detail,
                        })
                    })
                    .collect();
                super::print_json(&v)?;
            } else {
                let mut out = crate::ui::out();
                for l in &lines {
                    writeln!(out, "{l}")?;
                }
            }
            if failed > 0 {
                bail!("{profile}: {failed} of {} checks failed", lines.len());
            }
            Ok(Outcome::Ok)
        }
        ProfileCommand::List => {
            let found = discover::list(ctx.config_dir.as_deref());
            if ctx.json {
                let v: Vec<_> = found
                    .iter()
                    .map(|(n, p)| serde_json::json!({ "name": n, "path": p }))
                    .collect();
                super::print_json(&v)?;
            } else if found.is_empty() {
                let dirs: Vec<String> = discover::search_dirs(ctx.config_dir.as_deref())
                    .iter()
                    .map(|d| d.display().to_string())
                    .collect();
                crate::ui::info(&format!("no profiles in {}", dirs.join(", ")));
            } else {
                let mut out = crate::ui::out();
                for (n, p) in &found {
                    writeln!(out, "{n}\t{}", p.display())?;
                }
            }
            Ok(Outcome::Ok)
        }
    }
}
