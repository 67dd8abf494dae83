//! A small HTTP receiver on loopback standing in for webhook and healthcheck services.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::Path;
use std::sync::{Arc, Mutex};

/// Records every request it gets as (method, path, body) and answers 200.
pub struct Receiver {
    base: String,
    got: Arc<Mutex<Vec<(String, String, String)>>>,
}

impl Receiver {
    pub fn start() -> Receiver {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let got = Arc::new(Mutex::new(Vec::new()));
        let keep = got.clone();
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                let Ok(mut conn) = conn else { continue };
                let mut reader = BufReader::new(conn.try_clone().unwrap());
                let mut request_line = String::new();
                if reader.read_line(&mut request_line).is_err() {
                    continue;
                }
                let mut length = 0usize;
                loop {
                    let mut h = String::new();
                    if reader.read_line(&mut h).unwrap_or(0) == 0 || h == "\r\n" {
                        break;
                    }
                    if let Some((k, v)) = h.split_once(':') {
                        if k.eq_ignore_ascii_case("content-length") {
                            length = v.trim().parse().unwrap_or(0);
                        }
                    }
                }
                let mut body = vec![0; length];
                let _ = reader.read_exact(&mut body);
                let mut parts = request_line.split_whitespace();
                let method = parts.next().unwrap_or("").to_string();
                let path = parts.next().unwrap_or("").to_string();
                keep.lock().unwrap().push((
                    method,
                    path,
                    String::from_utf8_lossy(&body).into_owned(),
                ));
                let _ = conn.write_all(
                    b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nOK",
                );
            }
        });
        Receiver { base, got }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub fn paths(&self) -> Vec<String> {
        self.got
            .lock()
            .unwrap()
            .iter()
            .map(|r| r.1.clone())
            .collect()
    }

    pub fn body(&self, path: &str) -> String {
        self.got
            .lock()
            .unwrap()
            .iter()
            .find(|r| r.1 == path)
            .unwrap_or_else(|| panic!("no request to {path}: {:?}", self.paths()))
            .2
            .clone()
    }

    pub fn notify_section(&self, textfile: &Path) -> String {
        format!(
            "[notify]\nwebhook_url = \"{}\"\nwebhook_on_success = true\nping_start = \"{}\"\nping_success = \"{}\"\nping_fail = \"{}\"\ntextfile = \"{}\"\n",
            self.url("/hook/T0K3N"),
            self.url("/start"),
            self.url("/success"),
            self.url("/fail"),
            textfile.display()
        )
    }
}
