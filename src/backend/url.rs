//! Repository URLs: what the user types after `-r`.
//!
//! `PATH`, `file://PATH`, `swift://CONTAINER[/PREFIX]`, `s3://BUCKET[/PREFIX]`.
//! Credentials never go into a repository URL (they would end up in shell history, cron
//! mails and `ps`), so a URL carrying `user@` or `user:secret@` is refused without
//! repeating it.

use std::path::PathBuf;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RepoUrl {
    File(PathBuf),
    Swift { container: String, prefix: String },
    S3 { bucket: String, prefix: String },
}

#[derive(Debug, thiserror::Error)]
pub enum UrlError {
    #[error("repository URL is empty")]
    Empty,
    #[error(
        "unsupported repository URL scheme {0:?} (supported: a path, file://, swift://, s3://)"
    )]
    Scheme(String),
    #[error("{0}")]
    Config(String),
}

impl RepoUrl {
    pub fn parse(url: &str) -> Result<RepoUrl, UrlError> {
        if url.is_empty() {
            return Err(UrlError::Empty);
        }
        if let Some(path) = url.strip_prefix("file://") {
            if path.is_empty() {
                return Err(UrlError::Empty);
            }
            return Ok(RepoUrl::File(PathBuf::from(path)));
        }
        if let Some(rest) = url.strip_prefix("swift://") {
            let (container, prefix) = split_store(rest, "swift", "container")?;
            return Ok(RepoUrl::Swift { container, prefix });
        }
        if let Some(rest) = url.strip_prefix("s3://") {
            let (bucket, prefix) = split_store(rest, "s3", "bucket")?;
            if !valid_bucket(&bucket) {
                return Err(UrlError::Config(format!(
                    "s3://{bucket}: not a valid bucket name (3-63 characters: lower-case \
                     letters, digits, '.', '-')"
                )));
            }
            return Ok(RepoUrl::S3 { bucket, prefix });
        }
        if let Some((scheme, _)) = url.split_once("://") {
            return Err(UrlError::Scheme(scheme.to_string()));
        }
        Ok(RepoUrl::File(PathBuf::from(url)))
    }
}

/// Splits `STORE/PRE/FIX` into the store name and a prefix without surrounding slashes.
fn split_store(rest: &str, scheme: &str, what: &str) -> Result<(String, String), UrlError> {
    let (store, prefix) = rest.split_once('/').unwrap_or((rest, ""));
    if store.contains('@') {
        return Err(UrlError::Config(format!(
            "{scheme}:// URLs must not carry credentials; use the environment \
             (see `cairn --help`)"
        )));
    }
    if store.is_empty() {
        return Err(UrlError::Config(format!(
            "{scheme}://: the {what} name is missing ({scheme}://{what}/prefix)"
        )));
    }
    let prefix = prefix.trim_matches('/');
    if prefix.split('/').any(|p| p == "." || p == "..") || prefix.contains("//") {
        return Err(UrlError::Config(format!(
            "{scheme}://{store}/{prefix}: the prefix must not contain empty, '.' or '..' parts"
        )));
    }
    Ok((store.to_string(), prefix.to_string()))
}

fn valid_bucket(b: &str) -> bool {
    (3..=63).contains(&b.len())
        && b.bytes()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'.' || c == b'-')
        && !b.starts_with(['.', '-'])
        && !b.ends_with(['.', '-'])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_paths_and_file_urls() {
        assert_eq!(
            RepoUrl::parse("/srv/repo").unwrap(),
            RepoUrl::File("/srv/repo".into())
        );
        assert_eq!(
            RepoUrl::parse("file:///srv/repo").unwrap(),
            RepoUrl::File("/srv/repo".into())
        );
        assert_eq!(
            RepoUrl::parse("rel/repo").unwrap(),
            RepoUrl::File("rel/repo".into())
        );
        assert!(matches!(RepoUrl::parse("ftp://x"), Err(UrlError::Scheme(s)) if s == "ftp"));
        assert!(RepoUrl::parse("").is_err());
    }

    #[test]
    fn parses_object_store_urls() {
        assert_eq!(
            RepoUrl::parse("swift://backups/db/prod/").unwrap(),
            RepoUrl::Swift {
                container: "backups".into(),
                prefix: "db/prod".into()
            }
        );
        assert_eq!(
            RepoUrl::parse("swift://backups").unwrap(),
            RepoUrl::Swift {
                container: "backups".into(),
                prefix: "".into()
            }
        );
        assert_eq!(
            RepoUrl::parse("s3://my-bucket/cairn").unwrap(),
            RepoUrl::S3 {
                bucket: "my-bucket".into(),
                prefix: "cairn".into()
            }
        );
        for bad in [
            "s3://",
            "s3://Bad_Bucket/x",
            "s3://ab",
            "swift:///x",
            "swift://c/a/../b",
            "swift://c/a//b",
        ] {
            assert!(RepoUrl::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn credentials_in_urls_are_refused_without_echoing_them() {
        for url in ["s3://key:hunter2@bucket/x", "swift://user:hunter2@c"] {
            let e = RepoUrl::parse(url).unwrap_err().to_string();
            assert!(!e.contains("hunter2"), "{e}");
            assert!(e.contains("credentials"), "{e}");
        }
    }
}
