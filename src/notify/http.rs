//! One blocking HTTP POST with a short timeout, on the HTTP client and runtime the
//! object stores already use (reqwest with native-tls: OpenSSL, which sequoia links
//! anyway), so notifications add no second HTTP or TLS stack.
//!
//! Webhook and ping URLs often carry their token in the path, so messages show only the
//! scheme and host ([`redact`]), and the client's errors are stripped of the URL.
//!
//! Hosts that reach the Internet only through a proxy set it in the environment, and
//! [`proxy_for`] reads it as curl does, with two differences that make a mistake visible
//! rather than a silent direct connection: an empty variable counts as unset (it does not
//! hide the lower-case one), and a value that is not an http(s) proxy URL fails the
//! notification with a warning naming the variable (never its value, which may hold the
//! proxy's password).

use std::net::IpAddr;
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
    let proxy = proxy_for(&Url::parse(url).map_err(|e| e.to_string())?, &|name| {
        std::env::var(name).ok()
    })?;
    // Built inside the runtime: the client's timers need its context.
    let sent = crate::backend::http::runtime().block_on(async {
        // The proxy is ours to choose, not the client's own reading of the environment.
        let mut builder = reqwest::Client::builder().timeout(TIMEOUT).no_proxy();
        if let Some(p) = &proxy {
            let via = reqwest::Proxy::all(p.url.as_str())
                .map_err(|_| format!("{} is not a proxy URL", p.var))?;
            builder = builder.proxy(via);
        }
        let client = builder
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
    });
    match (sent, proxy) {
        (Err(e), Some(p)) => Err(format!("{e} (through the proxy in {})", p.var)),
        (sent, _) => sent,
    }
}

/// The proxy a request goes through, and the variable that named it.
#[derive(Debug, PartialEq, Eq)]
pub struct ProxyChoice {
    pub var: &'static str,
    pub url: Url,
}

/// The proxy for `url` from the environment (`env` reads a variable): `HTTPS_PROXY`
/// for https URLs, `HTTP_PROXY` for http ones, `ALL_PROXY` for both when the one for
/// the scheme is unset, each also in lower case (the upper-case one first), and none
/// for a host `NO_PROXY` names. A proxy given without a scheme is `http://`.
pub fn proxy_for(
    url: &Url,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Option<ProxyChoice>, String> {
    let names: [&'static str; 4] = match url.scheme() {
        "https" => ["HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"],
        _ => ["HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"],
    };
    let set = |name: &str| env(name).filter(|v| !v.trim().is_empty());
    let Some((var, value)) = names.iter().find_map(|n| set(n).map(|v| (*n, v))) else {
        return Ok(None);
    };
    let exempt = set("NO_PROXY").or_else(|| set("no_proxy"));
    if exempt.is_some_and(|list| no_proxy_matches(&list, url)) {
        return Ok(None);
    }
    let value = value.trim();
    let with_scheme = if value.contains("://") {
        value.to_string()
    } else {
        format!("http://{value}")
    };
    match Url::parse(&with_scheme) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.host_str().is_some() => {
            Ok(Some(ProxyChoice { var, url: u }))
        }
        _ => Err(format!(
            "{var} is not an http:// or https:// proxy URL such as http://proxy:3128"
        )),
    }
}

/// Whether a `NO_PROXY` list names `url`'s host: `*` names every host; a name (with or
/// without a leading dot) names itself and the names below it (`example.com` and
/// `.example.com` both name `hooks.example.com`); an address names itself, and
/// `10.0.0.0/8` a range. Entries are separated by commas; a `:port` on one is ignored.
fn no_proxy_matches(list: &str, url: &Url) -> bool {
    let Some(host) = url.host_str() else {
        return false;
    };
    // An IPv6 host is written in brackets.
    let host = host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .trim_end_matches('.')
        .to_ascii_lowercase();
    let ip: Option<IpAddr> = host.parse().ok();
    list.split(',').map(str::trim).any(|entry| {
        if entry == "*" {
            return true;
        }
        // "[::1]:8080", "[::1]", "10.0.0.1:80", "host:80", a bare IPv6 address.
        let entry = match entry.strip_prefix('[') {
            Some(rest) => rest.split(']').next().unwrap_or(rest),
            None if entry.matches(':').count() == 1 => entry.split(':').next().unwrap_or(""),
            None => entry,
        };
        if entry.is_empty() {
            return false;
        }
        if let Some(ip) = ip {
            return match entry.split_once('/') {
                Some((net, bits)) => in_range(ip, net, bits),
                None => entry.parse::<IpAddr>() == Ok(ip),
            };
        }
        let name = entry.trim_start_matches('.').trim_end_matches('.');
        let name = name.to_ascii_lowercase();
        !name.is_empty()
            && (host == name
                || host
                    .strip_suffix(&name)
                    .is_some_and(|head| head.ends_with('.')))
    })
}

/// Whether `ip` is in `net`/`bits` (`10.0.0.0/8`, `fd00::/8`).
fn in_range(ip: IpAddr, net: &str, bits: &str) -> bool {
    let (Ok(net), Ok(bits)) = (net.parse::<IpAddr>(), bits.parse::<u32>()) else {
        return false;
    };
    let (a, b, width) = match (ip, net) {
        (IpAddr::V4(a), IpAddr::V4(b)) => (u32::from(a).into(), u32::from(b).into(), 32),
        (IpAddr::V6(a), IpAddr::V6(b)) => (u128::from(a), u128::from(b), 128),
        _ => return false,
    };
    if bits > width {
        return false;
    }
    let mask = match bits {
        0 => 0,
        n => u128::MAX << (width - n) & (u128::MAX >> (128 - width)),
    };
    a & mask == b & mask
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

    fn env_of(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let vars: Vec<(String, String)> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |name| vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
    }

    fn chosen(url: &str, vars: &[(&str, &str)]) -> Option<(&'static str, String)> {
        proxy_for(&Url::parse(url).unwrap(), &env_of(vars))
            .unwrap()
            .map(|p| (p.var, p.url.to_string()))
    }

    #[test]
    fn the_proxy_follows_the_scheme_and_lower_case_names_count() {
        let both = [
            ("HTTPS_PROXY", "http://tls-proxy:3128"),
            ("http_proxy", "plain-proxy:8080"),
        ];
        assert_eq!(
            chosen("https://hooks.example.com/x", &both),
            Some(("HTTPS_PROXY", "http://tls-proxy:3128/".into()))
        );
        assert_eq!(
            chosen("http://hc.example.com/x", &both),
            Some(("http_proxy", "http://plain-proxy:8080/".into()))
        );
        // An empty upper-case variable does not hide the lower-case one.
        let shadowed = [("HTTPS_PROXY", ""), ("https_proxy", "http://p:1")];
        assert_eq!(
            chosen("https://h/x", &shadowed),
            Some(("https_proxy", "http://p:1/".into()))
        );
        assert_eq!(
            chosen("https://h/x", &[("ALL_PROXY", "http://all:1")]),
            Some(("ALL_PROXY", "http://all:1/".into()))
        );
        assert_eq!(chosen("https://h/x", &[("HTTP_PROXY", "http://p:1")]), None);
        assert_eq!(chosen("https://h/x", &[]), None);
    }

    #[test]
    fn a_bad_proxy_is_named_by_its_variable_only() {
        for bad in ["socks5://u:s3cret@p:1080", "http://", "ftp://u:s3cret@p"] {
            let e = proxy_for(
                &Url::parse("https://h/x").unwrap(),
                &env_of(&[("https_proxy", bad)]),
            )
            .unwrap_err();
            assert!(e.starts_with("https_proxy is not"), "{bad}: {e}");
            assert!(!e.contains("s3cret"), "{e}");
        }
    }

    #[test]
    fn no_proxy_names_hosts_domains_addresses_and_ranges() {
        let p = ("HTTPS_PROXY", "http://p:1");
        let direct = |url: &str, list: &str| {
            chosen(url, &[p, ("NO_PROXY", list)]).is_none()
                && chosen(url, &[p, ("no_proxy", list)]).is_none()
        };
        assert!(direct("https://hooks.example.com/x", "example.com"));
        assert!(direct(
            "https://hooks.example.com/x",
            "other.org, .example.com"
        ));
        assert!(direct("https://example.com/x", ".example.com"));
        assert!(direct("https://any.where/x", "*"));
        assert!(direct("https://127.0.0.1:8443/x", "localhost,127.0.0.1"));
        assert!(direct("https://10.1.2.3/x", "10.0.0.0/8"));
        assert!(direct("https://[::1]:8443/x", "::1"));
        assert!(direct("https://[fd00::5]/x", "[fd00::5]:443"));
        assert!(direct("https://hc.internal:8443/x", "hc.internal:8443"));
        assert!(!direct("https://notexample.com/x", "example.com"));
        assert!(!direct("https://11.1.2.3/x", "10.0.0.0/8"));
        assert!(!direct("https://127.0.0.2/x", "127.0.0.1"));
        assert!(!direct("https://h/x", ""));
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
