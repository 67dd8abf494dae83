//! Notifications through an HTTP proxy named by HTTPS_PROXY/HTTP_PROXY (or lower case),
//! and around it for hosts NO_PROXY names. The proxy is written here: a loopback
//! listener that tunnels `CONNECT` (https URLs) and forwards absolute-form requests
//! (http URLs), recording each request line and whether it carried credentials. The
//! https receiver has a certificate made for the test and trusted through SSL_CERT_FILE.

mod common;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::Output;
use std::sync::{Arc, Mutex};

use openssl::asn1::Asn1Time;
use openssl::bn::BigNum;
use openssl::ec::{EcGroup, EcKey};
use openssl::hash::MessageDigest;
use openssl::nid::Nid;
use openssl::pkey::PKey;
use openssl::ssl::{SslAcceptor, SslMethod};
use openssl::x509::extension::SubjectAlternativeName;
use openssl::x509::{X509NameBuilder, X509};

use common::profiles::{cmd, write_profile};
use common::receiver::Receiver;
use common::{small_tree, World};

const PROXY_VARS: [&str; 8] = [
    "HTTP_PROXY",
    "http_proxy",
    "HTTPS_PROXY",
    "https_proxy",
    "ALL_PROXY",
    "all_proxy",
    "NO_PROXY",
    "no_proxy",
];

/// `cairn run NAME` with exactly the proxy variables given (none inherited).
fn run_with(w: &World, name: &str, env: &[(&str, String)]) -> Output {
    let mut c = cmd(w, &["run", name]);
    for v in PROXY_VARS {
        c.env_remove(v);
    }
    c.envs(env.iter().map(|(k, v)| (k, v))).output().unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Reads one request head (up to the blank line) a byte at a time, so nothing after
/// it is consumed.
fn read_head(s: &mut impl Read) -> Option<String> {
    let mut head = Vec::new();
    let mut b = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if s.read(&mut b).ok()? == 0 {
            return None;
        }
        head.push(b[0]);
    }
    Some(String::from_utf8_lossy(&head).into_owned())
}

fn header<'a>(head: &'a str, name: &str) -> Option<&'a str> {
    head.lines().skip(1).find_map(|l| {
        let (k, v) = l.split_once(':')?;
        k.eq_ignore_ascii_case(name).then(|| v.trim())
    })
}

/// Copies both ways between two connections until either side closes.
fn splice(a: TcpStream, b: TcpStream) {
    let (mut a2, mut b2) = (a.try_clone().unwrap(), b.try_clone().unwrap());
    let (mut a, mut b) = (a, b);
    let t = std::thread::spawn(move || {
        let _ = std::io::copy(&mut a2, &mut b2);
        let _ = b2.shutdown(std::net::Shutdown::Write);
    });
    let _ = std::io::copy(&mut b, &mut a);
    let _ = a.shutdown(std::net::Shutdown::Write);
    let _ = t.join();
}

/// The proxy: records "REQUEST-LINE" or "REQUEST-LINE +auth" when the request carried
/// `Proxy-Authorization`, then tunnels or forwards it.
struct Proxy {
    url: String,
    port: u16,
    seen: Arc<Mutex<Vec<String>>>,
}

impl Proxy {
    fn start() -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let keep = seen.clone();
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                let Ok(conn) = conn else { continue };
                let keep = keep.clone();
                std::thread::spawn(move || Proxy::serve(conn, &keep));
            }
        });
        Proxy {
            url: format!("http://127.0.0.1:{port}"),
            port,
            seen,
        }
    }

    fn serve(mut client: TcpStream, seen: &Mutex<Vec<String>>) {
        let Some(head) = read_head(&mut client) else {
            return;
        };
        let line = head.lines().next().unwrap_or("").to_string();
        let auth = header(&head, "Proxy-Authorization").map_or("", |_| " +auth");
        seen.lock().unwrap().push(format!("{line}{auth}"));
        let mut parts = line.split_whitespace();
        let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
        if method == "CONNECT" {
            let Ok(upstream) = TcpStream::connect(target) else {
                let _ = client.write_all(b"HTTP/1.1 502 Bad Gateway\r\n\r\n");
                return;
            };
            client
                .write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
                .unwrap();
            splice(client, upstream);
            return;
        }
        // "POST http://host:port/path HTTP/1.1": to host:port, as "POST /path HTTP/1.1".
        let rest = target.strip_prefix("http://").unwrap_or(target);
        let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
        let Ok(mut upstream) = TcpStream::connect(authority) else {
            let _ = client.write_all(b"HTTP/1.1 502 Bad Gateway\r\n\r\n");
            return;
        };
        let path = if path.is_empty() { "/" } else { path };
        let head = head.replacen(target, path, 1);
        upstream.write_all(head.as_bytes()).unwrap();
        splice(client, upstream);
    }

    fn seen(&self) -> Vec<String> {
        self.seen.lock().unwrap().clone()
    }
}

/// An https receiver on 127.0.0.1 answering 200 and recording request paths, with a
/// certificate for that address written to `cert`.
struct TlsReceiver {
    port: u16,
    paths: Arc<Mutex<Vec<String>>>,
}

impl TlsReceiver {
    fn start(cert: &Path) -> TlsReceiver {
        let key = PKey::from_ec_key(
            EcKey::generate(&EcGroup::from_curve_name(Nid::X9_62_PRIME256V1).unwrap()).unwrap(),
        )
        .unwrap();
        let mut name = X509NameBuilder::new().unwrap();
        name.append_entry_by_nid(Nid::COMMONNAME, "127.0.0.1")
            .unwrap();
        let name = name.build();
        let mut b = X509::builder().unwrap();
        b.set_version(2).unwrap();
        b.set_serial_number(&BigNum::from_u32(1).unwrap().to_asn1_integer().unwrap())
            .unwrap();
        b.set_subject_name(&name).unwrap();
        b.set_issuer_name(&name).unwrap();
        b.set_pubkey(&key).unwrap();
        b.set_not_before(&Asn1Time::days_from_now(0).unwrap())
            .unwrap();
        b.set_not_after(&Asn1Time::days_from_now(1).unwrap())
            .unwrap();
        let san = SubjectAlternativeName::new()
            .ip("127.0.0.1")
            .build(&b.x509v3_context(None, None))
            .unwrap();
        b.append_extension(san).unwrap();
        b.sign(&key, MessageDigest::sha256()).unwrap();
        let x509 = b.build();
        std::fs::write(cert, x509.to_pem().unwrap()).unwrap();

        let mut acceptor = SslAcceptor::mozilla_intermediate_v5(SslMethod::tls_server()).unwrap();
        acceptor.set_private_key(&key).unwrap();
        acceptor.set_certificate(&x509).unwrap();
        let acceptor = acceptor.build();
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let paths = Arc::new(Mutex::new(Vec::new()));
        let keep = paths.clone();
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                let Ok(conn) = conn else { continue };
                let Ok(mut tls) = acceptor.accept(conn) else {
                    continue;
                };
                let Some(head) = read_head(&mut tls) else {
                    continue;
                };
                let length: usize = header(&head, "Content-Length")
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(0);
                let mut body = vec![0; length];
                let _ = tls.read_exact(&mut body);
                let path = head.split_whitespace().nth(1).unwrap_or("").to_string();
                keep.lock().unwrap().push(path);
                let _ = tls.write_all(
                    b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nOK",
                );
                let _ = tls.shutdown();
            }
        });
        TlsReceiver { port, paths }
    }

    fn url(&self, path: &str) -> String {
        format!("https://127.0.0.1:{}{path}", self.port)
    }

    fn paths(&self) -> Vec<String> {
        self.paths.lock().unwrap().clone()
    }
}

fn profile(w: &World, urls: [String; 2]) {
    let src = small_tree(w, 1);
    write_profile(
        w,
        "app",
        &format!(
            "[source]\npaths = [\"{}\"]\n[notify]\nping_success = \"{}\"\nwebhook_url = \"{}\"\nwebhook_on_success = true\n",
            src.display(),
            urls[0],
            urls[1]
        ),
    );
}

/// Requires success without any warning about a notification.
fn delivered(out: &Output) {
    let err = stderr(out);
    assert!(out.status.success(), "{err}");
    assert!(!err.contains("notify."), "{err}");
}

#[test]
fn https_notifications_tunnel_through_https_proxy_unless_no_proxy_names_the_host() {
    let w = World::new();
    let cert = w.path("receiver.pem");
    let rx = TlsReceiver::start(&cert);
    let proxy = Proxy::start();
    profile(&w, [rx.url("/success"), rx.url("/hook/T0K3N")]);
    let trust = ("SSL_CERT_FILE", cert.display().to_string());
    let connect = format!("CONNECT 127.0.0.1:{} HTTP/1.1", rx.port);

    // With credentials in the proxy URL: they reach the proxy, and no message.
    let with_auth = format!("http://backup:s3cret@127.0.0.1:{}", proxy.port);
    let out = run_with(&w, "app", &[trust.clone(), ("HTTPS_PROXY", with_auth)]);
    delivered(&out);
    assert!(!stderr(&out).contains("s3cret"));
    assert_eq!(rx.paths(), ["/success", "/hook/T0K3N"]);
    assert_eq!(proxy.seen(), vec![format!("{connect} +auth"); 2]);

    // The lower-case name, past an empty upper-case one.
    let out = run_with(
        &w,
        "app",
        &[
            trust.clone(),
            ("HTTPS_PROXY", String::new()),
            ("https_proxy", proxy.url.clone()),
            // For http URLs only: not used for these.
            ("HTTP_PROXY", "http://127.0.0.1:9".into()),
        ],
    );
    delivered(&out);
    assert_eq!(rx.paths().len(), 4);
    assert_eq!(proxy.seen()[2..], [connect.clone(), connect.clone()]);

    // NO_PROXY (or no_proxy) naming the host: straight there.
    for no in ["NO_PROXY", "no_proxy"] {
        let out = run_with(
            &w,
            "app",
            &[
                trust.clone(),
                ("HTTPS_PROXY", proxy.url.clone()),
                (no, "localhost, 127.0.0.1".into()),
            ],
        );
        delivered(&out);
    }
    assert_eq!(rx.paths().len(), 8);
    assert_eq!(proxy.seen().len(), 4, "{:?}", proxy.seen());
}

#[test]
fn http_notifications_are_forwarded_by_http_proxy_unless_no_proxy_names_the_host() {
    let w = World::new();
    let rx = Receiver::start();
    let proxy = Proxy::start();
    profile(&w, [rx.url("/success"), rx.url("/hook/T0K3N")]);
    let out = run_with(&w, "app", &[("http_proxy", proxy.url.clone())]);
    delivered(&out);
    assert_eq!(rx.paths(), ["/success", "/hook/T0K3N"]);
    assert_eq!(
        proxy.seen(),
        [
            format!("POST {} HTTP/1.1", rx.url("/success")),
            format!("POST {} HTTP/1.1", rx.url("/hook/T0K3N")),
        ]
    );
    let out = run_with(
        &w,
        "app",
        &[
            ("HTTP_PROXY", proxy.url.clone()),
            ("NO_PROXY", "example.com,127.0.0.0/8".into()),
        ],
    );
    delivered(&out);
    assert_eq!(rx.paths().len(), 4);
    assert_eq!(proxy.seen().len(), 2);
}

#[test]
fn a_proxy_that_is_wrong_or_down_is_a_warning_naming_the_variable() {
    let w = World::new();
    let rx = Receiver::start();
    profile(&w, [rx.url("/success"), rx.url("/hook/T0K3N")]);
    let out = run_with(
        &w,
        "app",
        &[("HTTP_PROXY", "socks5://backup:s3cret@127.0.0.1:1080".into())],
    );
    let err = stderr(&out);
    assert!(out.status.success(), "{err}");
    assert!(
        err.contains(&format!(
            "app: notify.ping_success ({}): HTTP_PROXY is not an http:// or https:// proxy URL",
            rx.url("")
        )),
        "{err}"
    );
    assert!(!err.contains("s3cret"), "{err}");
    // Not sent around the proxy behind the operator's back.
    assert!(rx.paths().is_empty(), "{:?}", rx.paths());

    // A proxy that is not there: the warning says the request went through it.
    let closed = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let out = run_with(
        &w,
        "app",
        &[(
            "HTTP_PROXY",
            format!("http://backup:s3cret@127.0.0.1:{port}"),
        )],
    );
    let err = stderr(&out);
    assert!(out.status.success(), "{err}");
    assert!(err.contains("(through the proxy in HTTP_PROXY)"), "{err}");
    assert!(!err.contains("s3cret"), "{err}");
    assert!(rx.paths().is_empty(), "{:?}", rx.paths());
}
