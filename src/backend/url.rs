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

/// Where a repository lives, for messages that link to it (alerts, `--json`): its URL as
/// cairn shows it and, for object stores, the bucket or container, the prefix and the
/// endpoint and region when they are known. Never a credential: repository URLs
/// cannot carry one, and endpoints are shown without any user part.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Place {
    pub url: String,
    /// `file`, `s3` or `swift`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// A local repository's absolute path.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bucket: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub container: Option<String>,
    /// The prefix inside the bucket or container; empty for its root.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prefix: Option<String>,
    /// The store's endpoint: an S3 endpoint other than AWS's, Swift's storage URL
    /// (once authenticated).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub endpoint: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
}

impl Place {
    fn new(kind: &'static str, url: String) -> Place {
        Place {
            url,
            kind,
            path: None,
            bucket: None,
            container: None,
            prefix: None,
            endpoint: None,
            region: None,
        }
    }

    /// A repository in a local directory.
    pub fn file(path: &std::path::Path) -> Place {
        let abs = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
        let shown = abs.display().to_string();
        Place {
            path: Some(shown.clone()),
            ..Place::new("file", shown)
        }
    }

    /// What the URL itself says, without asking the store; `None` for a URL that does
    /// not parse.
    pub fn of_url(url: &str) -> Option<Place> {
        let place = Place::new;
        let shown = |scheme: &str, store: &str, prefix: &str| {
            format!("{scheme}://{store}/{prefix}")
                .trim_end_matches('/')
                .to_string()
        };
        Some(match RepoUrl::parse(url).ok()? {
            RepoUrl::File(p) => Place::file(&p),
            RepoUrl::S3 { bucket, prefix } => Place {
                bucket: Some(bucket.clone()),
                prefix: Some(prefix.clone()),
                ..place("s3", shown("s3", &bucket, &prefix))
            },
            RepoUrl::Swift { container, prefix } => Place {
                container: Some(container.clone()),
                prefix: Some(prefix.clone()),
                ..place("swift", shown("swift", &container, &prefix))
            },
        })
    }
}

/// An endpoint URL as it may be shown: without a `user:password@` part.
pub fn without_userinfo(url: &str) -> String {
    match url.split_once("://") {
        Some((scheme, rest)) => {
            let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
            let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
            format!("{scheme}://{host}{path}")
        }
        None => url.to_string(),
    }
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
    fn places_name_store_and_prefix() {
        let p = Place::of_url("s3://my-bucket/db/prod/").unwrap();
        assert_eq!(
            (
                p.url.as_str(),
                p.kind,
                p.bucket.as_deref(),
                p.prefix.as_deref()
            ),
            (
                "s3://my-bucket/db/prod",
                "s3",
                Some("my-bucket"),
                Some("db/prod")
            )
        );
        let p = Place::of_url("swift://backups").unwrap();
        assert_eq!(
            (p.url.as_str(), p.container.as_deref(), p.prefix.as_deref()),
            ("swift://backups", Some("backups"), Some(""))
        );
        let p = Place::of_url("file:///srv/repo").unwrap();
        assert_eq!((p.kind, p.path.as_deref()), ("file", Some("/srv/repo")));
        assert!(Place::of_url("ftp://x").is_none());
        assert_eq!(
            without_userinfo("https://key:hunter2@minio.lan:9000/x"),
            "https://minio.lan:9000/x"
        );
        assert_eq!(without_userinfo("https://minio.lan"), "https://minio.lan");
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
