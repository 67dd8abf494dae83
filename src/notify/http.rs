//! One blocking HTTP POST with a short timeout, on the HTTP client and runtime the
//! object stores already use (reqwest with native-tls: OpenSSL, which sequoia links
//! anyway), so notifications add no second HTTP or TLS stack.
//!
//! Webhook and ping URLs often carry their token in the path, so messages show only the
//! scheme and host ([`redact`]), and the client's errors are stripped of the URL.

use std::time::Duration;

use reqwest::Url;

const TIMEOUT: Duration = Duration::from_secs(10);

/// "https://hooks.slack.com/services/T0/B0/secret" → "https://hooks.slack.com".
pub fn redact(url: &str) -> String {
    match Url::parse(url) {
        Ok(u) => match (u.host_str(), u.port()) {
            (Some(h), Some(p)) => format!("{}://{h}:{p}", u.scheme()),
            (Some(h), None) => format!("{}://{h}", u.scheme()),
            _ => format!("{}://", u.scheme()),
        },
        Err(_) => "(unparsable URL)".into(),
    }
}

pub fn check_url(url: &str) -> Result<(), String> {
    let u = Url::parse(url).map_err(|e| format!("not a URL ({e})"))?;
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
    // Built inside the runtime: the client's timers need its context.
    crate::backend::http::runtime().block_on(async {
        let client = reqwest::Client::builder()
            .timeout(TIMEOUT)
            .build()
            .map_err(|e| format!("HTTP client: {}", chain(e)))?;
        let sent = client
            .post(url)
            .header("Content-Type", content_type)
            .header("User-Agent", concat!("cairn/", env!("CARGO_PKG_VERSION")))
            .body(body.to_string())
            .send()
            .await;
        match sent {
            Ok(r) if r.status().is_success() => Ok(()),
            Ok(r) => Err(format!("HTTP status {}", r.status().as_u16())),
            Err(e) => Err(chain(e)),
        }
    })
}

/// The error and its causes on one line, without the URL.
fn chain(e: reqwest::Error) -> String {
    crate::backend::http::error_chain(&e.without_url())
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
