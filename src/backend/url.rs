//! Repository URLs: what the user types after `-r`.

use std::path::PathBuf;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RepoUrl {
    File(PathBuf),
}

#[derive(Debug, thiserror::Error)]
pub enum UrlError {
    #[error("repository URL is empty")]
    Empty,
    #[error("unsupported repository URL scheme {0:?} (supported: a path, file://)")]
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
        if let Some((scheme, _)) = url.split_once("://") {
            return Err(UrlError::Scheme(scheme.to_string()));
        }
        Ok(RepoUrl::File(PathBuf::from(url)))
    }
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
}
