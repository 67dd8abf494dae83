//! `cairn init`.

use std::path::PathBuf;

use anyhow::{bail, Context, Result};

use super::{Ctx, Outcome};
use crate::backend::{file, url::RepoUrl};
use crate::chunker::ChunkSizes;
use crate::crypto::keys;
use crate::repo::config::ChunkParams;
use crate::repo::Repository;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Also encrypt everything to this public certificate (repeatable), e.g. an offline
    /// disaster-recovery key; any one of the secret keys restores everything
    #[arg(long = "recipient", value_name = "CERT_FILE")]
    pub recipients: Vec<PathBuf>,
    /// Take the blob-id key, chunker key and chunk sizes of this repository, so that
    /// `cairn copy` between the two moves only what is missing and never re-hashes. The
    /// holders of either repository's keys can then tell whether the other holds a given
    /// piece of data (see docs/OPERATIONS.md, "A second copy")
    #[arg(long, value_name = "URL")]
    pub copy_params_from: Option<String>,
    /// The key that opens --copy-params-from [default: -k/--key]; its passphrase comes
    /// from CAIRN_FROM_PASSPHRASE_FILE or CAIRN_FROM_PASSPHRASE, else as -k's does
    #[arg(long, value_name = "FILE", requires = "copy_params_from")]
    pub from_key: Option<PathBuf>,
    /// Average chunk size of streams and dump files: 64K (the default), 32K, 16K or 8K;
    /// chunks are at least a quarter and at most four times that. Smaller chunks store
    /// more on the first day and less on the next ones when backups run with
    /// `--no-delta` (16K: +11 to +17 MB a day on a 610 MB dump, 64K: +22 to +31 MB;
    /// with deltas 64K is the cheaper both ways). Fixed for the repository's life
    #[arg(long, value_name = "SIZE", value_parser = stream_chunk_sizes, conflicts_with = "copy_params_from")]
    pub stream_chunk_size: Option<ChunkSizes>,
}

/// `--stream-chunk-size`: a power of two from 8 KiB to 64 KiB, so that the largest
/// chunk stays within what frames and deltas take.
fn stream_chunk_sizes(spec: &str) -> Result<ChunkSizes, String> {
    let avg = crate::units::parse_size(spec)?;
    if !avg.is_power_of_two() || !(8 << 10..=64 << 10).contains(&avg) {
        return Err(format!("{spec}: not one of 8K, 16K, 32K, 64K"));
    }
    let avg = avg as u32;
    Ok(ChunkSizes {
        min: avg / 4,
        avg,
        max: avg * 4,
    })
}

pub fn run(ctx: &Ctx, args: Args) -> Result<Outcome> {
    let mut extra = Vec::new();
    for path in &args.recipients {
        let bytes = std::fs::read(path).with_context(|| format!("{}", path.display()))?;
        let cert = keys::parse_public(&bytes, &path.display().to_string())?;
        keys::encryption_keys(&cert)?;
        extra.push(cert);
    }
    let backend = ctx.backend()?;
    refuse_foreign_directory(ctx)?;
    let identity = ctx.identity()?;
    // The config is signed: an expired key stops here, before anything is stored.
    identity.signer()?;
    let params = match &args.copy_params_from {
        Some(url) => {
            let key = match &args.from_key {
                Some(k) => super::load_identity_with(k, Some("CAIRN_FROM_PASSPHRASE"))?,
                None => ctx.identity()?,
            };
            let from = ctx.open_other(url, key).context("--copy-params-from")?;
            Some(from.config().chunk_params())
        }
        None => args.stream_chunk_size.map(|sizes| ChunkParams {
            chunk_sizes_stream: sizes,
            ..ChunkParams::fresh()
        }),
    };
    let repo = Repository::init(
        backend,
        identity,
        extra,
        params,
        ctx.cache_dir().as_deref(),
        &ctx.trust(),
    )?;
    if ctx.json {
        super::print_json(&serde_json::json!({
            "repository": repo.location(),
            "id": repo.config().id,
            "recipients": repo.config().recipients,
        }))?;
    } else {
        crate::ui::info(&format!(
            "created repository {} (id {}) encrypted to {}",
            repo.location(),
            repo.config().id,
            repo.config().recipients.join(", ")
        ));
    }
    Ok(Outcome::Ok)
}

/// A local directory must be new, empty or a repository already (which `init` then
/// reports as initialised): not, say, a home directory named by mistake.
fn refuse_foreign_directory(ctx: &Ctx) -> Result<()> {
    let Some(Ok(RepoUrl::File(dir))) = ctx.repo.as_deref().map(RepoUrl::parse) else {
        return Ok(());
    };
    if let Some(name) = file::foreign_entry(&dir).with_context(|| format!("{}", dir.display()))? {
        bail!(
            "{} is not empty (it holds {name:?}) and is not a cairn repository; give a new or \
             empty directory",
            dir.display()
        );
    }
    Ok(())
}
