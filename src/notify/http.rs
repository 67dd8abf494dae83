//! One blocking HTTP POST with a short timeout. ureq (no async runtime, a few small
//! crates) with native-tls reuses the OpenSSL that sequoia already links, so https to
//! Slack or healthchecks.io costs no second TLS stack.
//!
//! Webhook and ping URLs often carry their token in the path, so messages show only the
//! scheme and host ([`redact`]), and ureq's own error text (which includes the URL) is
//! never passed on.

use std::sync::Arc;
use std::time::Duration;

const TIMEOUT: Duration = Duration::from_secs(10);

/// "https://hooks.slack.com/services/T0/B0/secret" → "https://hooks.slack.com".
pub fn redact(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(u) => match (u.host_str(), u.port()) {
            (Some(h), Some(p)) => format!("{}://{h}:{p}", u.scheme()),
            (Some(h), None) => format!("{}://{h}", u.scheme()),
            _ => format!("{}://", u.scheme()),
        },
        Err(_) => "(unparsable URL)".into(),
    }
}

pub fn check_url(url: &str) -> Result<(), String> {
    let u = url::Url::parse(url).map_err(|e| format!("not a URL ({e})"))?;
    if !matches!(u.scheme(), "http" | "https") {
        return Err(format!("scheme {:?} is not http or https", u.scheme()));
    }
    if u.host_str().is_none_or(str::is_empty) {
        return Err("URL has no host".into());
    }
    Ok(())
}

pub fn post(url: &str, content_type: &str, body: &str) -> Result<(), String> {
    check_url(url)?;
    let tls = native_tls::TlsConnector::new().map_err(|e| format!("TLS setup: {e}"))?;
    let agent = ureq::AgentBuilder::new()
        .timeout(TIMEOUT)
        .tls_connector(Arc::new(tls))
        .build();
    match agent
        .post(url)
        .set("Content-Type", content_type)
        .set("User-Agent", concat!("cairn/", env!("CARGO_PKG_VERSION")))
        .send_string(body)
    {
        Ok(_) => Ok(()),
        Err(ureq::Error::Status(code, _)) => Err(format!("HTTP status {code}")),
        Err(ureq::Error::Transport(t)) => {
            let mut msg = t.kind().to_string();
            if let Some(m) = t.message() {
                msg.push_str(&format!(": {m}"));
            }
            if let Some(src) = std::error::Error::source(&t) {
                msg.push_str(&format!(": {src}"));
            }
            Err(msg)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redaction_keeps_only_scheme_host_and_port() {
        assert_eq!(
            redact("https://hooks.slack.com/services/T0/B0/tok3n"),
            "https://hooks.slack.com"
        );
        assert_eq!(
            redact("http://user:pw@127.0.0.1:8080/ping/uuid?x=1"),
            "http://127.0.0.1:8080"
        );
        assert_eq!(redact("garbage tok3n"), "(unparsable URL)");
    }

    #[test]
    fn only_http_urls_with_a_host_pass() {
        assert!(check_url("https://hc-ping.com/uuid").is_ok());
        assert!(check_url("ftp://x/y").is_err());
        assert!(check_url("not a url").is_err());
    }

    #[test]
    fn refused_connection_is_an_error_without_the_path() {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = l.local_addr().unwrap().port();
        drop(l);
        let e = post(&format!("http://127.0.0.1:{port}/s3cret"), "text/plain", "").unwrap_err();
        assert!(!e.contains("s3cret"), "{e}");
    }
}
