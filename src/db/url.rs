//! Database connection URLs: `postgresql://backup@db1:5432/app`, `mysql://root@127.0.0.1:3306/shop`,
//! `mongodb://db3:27017/events`.
//!
//! A password in the URL is refused: the URL ends up in the dump tool's argv, in the
//! manifest and in messages. Credentials come from where each engine keeps them
//! (`.pgpass`/`PGPASSFILE`/`PGPASSWORD`, a MariaDB option file, a MongoDB config file).

use percent_encoding::percent_decode_str;

use super::Engine;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DbUrl {
    pub engine: Engine,
    pub user: Option<String>,
    /// `None`: the client's default (a Unix socket, `PGHOST`…).
    pub host: Option<String>,
    pub port: Option<u16>,
    /// `None`: every database on the server (`postgresql://db1/`, `--postgres-all`).
    pub database: Option<String>,
    /// Query parameters, passed on to the client where it understands them
    /// (`sslmode=require`, `host=/run/postgresql`).
    pub params: Vec<(String, String)>,
}

impl DbUrl {
    pub fn parse(text: &str) -> Result<DbUrl, String> {
        let bad = |why: &str| format!("database URL {:?}: {why}", redact(text));
        let (scheme, rest) = text
            .split_once("://")
            .ok_or_else(|| bad("expected SCHEME://[USER@][HOST][:PORT][/DATABASE]"))?;
        let engine = match scheme.to_ascii_lowercase().as_str() {
            "postgresql" | "postgres" => Engine::Postgresql,
            "mysql" | "mariadb" => Engine::Mysql,
            "mongodb" => Engine::Mongodb,
            other => {
                return Err(bad(&format!(
                    "unknown scheme {other:?} (use postgresql://, mysql:// or mongodb://)"
                )))
            }
        };
        let (rest, query) = match rest.split_once('?') {
            Some((r, q)) => (r, Some(q)),
            None => (rest, None),
        };
        let (authority, path) = match rest.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (rest, None),
        };
        let (userinfo, hostport) = match authority.rsplit_once('@') {
            Some((u, h)) => (Some(u), h),
            None => (None, authority),
        };
        let user = match userinfo {
            Some(u) if u.contains(':') => {
                return Err(bad(&format!(
                    "holds a password; cairn never passes passwords on a command line: {}",
                    password_advice(engine)
                )))
            }
            Some("") => return Err(bad("empty user name before '@'")),
            Some(u) => Some(decode(u).map_err(|e| bad(&e))?),
            None => None,
        };
        let (host, port) = split_host_port(hostport).map_err(|e| bad(&e))?;
        let database = match path {
            None | Some("") => None,
            Some(p) if p.contains('/') => return Err(bad("a database name has no '/'")),
            Some(p) => Some(decode(p).map_err(|e| bad(&e))?),
        };
        let mut params = Vec::new();
        for pair in query.unwrap_or("").split('&').filter(|p| !p.is_empty()) {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            let k = decode(k).map_err(|e| bad(&e))?;
            if k.eq_ignore_ascii_case("password") {
                return Err(bad(&format!(
                    "holds a password; cairn never passes passwords on a command line: {}",
                    password_advice(engine)
                )));
            }
            params.push((k, decode(v).map_err(|e| bad(&e))?));
        }
        Ok(DbUrl {
            engine,
            user,
            host,
            port,
            database,
            params,
        })
    }

    /// The same server with another database (or none, for the server itself).
    pub fn with_database(&self, database: Option<&str>) -> DbUrl {
        DbUrl {
            database: database.map(str::to_string),
            ..self.clone()
        }
    }

    /// The server alone, as the manifest records it: `postgresql://backup@db1:5432`.
    pub fn server(&self) -> String {
        let mut s = format!("{}://", self.engine.name());
        if let Some(u) = &self.user {
            s.push_str(&encode(u));
            s.push('@');
        }
        if let Some(h) = &self.host {
            if h.contains(':') {
                s.push_str(&format!("[{h}]"));
            } else {
                s.push_str(&encode(h));
            }
        }
        if let Some(p) = self.port {
            s.push_str(&format!(":{p}"));
        }
        s
    }
}

/// The canonical form, which never holds a password (parse refuses one).
impl std::fmt::Display for DbUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.server())?;
        f.write_str("/")?;
        if let Some(d) = &self.database {
            f.write_str(&encode(d))?;
        }
        for (i, (k, v)) in self.params.iter().enumerate() {
            let sep = if i == 0 { '?' } else { '&' };
            write!(f, "{sep}{}={}", encode(k), encode(v))?;
        }
        Ok(())
    }
}

fn password_advice(engine: Engine) -> &'static str {
    match engine {
        Engine::Postgresql => "put it in ~/.pgpass (or a file named by PGPASSFILE)",
        Engine::Mysql => "put it in an option file ([client] password=…, e.g. ~/.my.cnf)",
        Engine::Mongodb => "put it in a mongodump --config file",
    }
}

fn split_host_port(hp: &str) -> Result<(Option<String>, Option<u16>), String> {
    if hp.is_empty() {
        return Ok((None, None));
    }
    let (host, port) = if let Some(rest) = hp.strip_prefix('[') {
        let (h, after) = rest
            .split_once(']')
            .ok_or("an IPv6 address needs its closing ']'")?;
        match after {
            "" => (h.to_string(), None),
            a => match a.strip_prefix(':') {
                Some(p) => (h.to_string(), Some(p)),
                None => return Err(format!("unexpected {a:?} after the IPv6 address")),
            },
        }
    } else {
        match hp.rsplit_once(':') {
            Some((h, p)) => (decode(h)?, Some(p)),
            None => (decode(hp)?, None),
        }
    };
    let port = port
        .map(|p| match p.parse::<u16>() {
            Ok(n) if n > 0 => Ok(n),
            _ => Err(format!("port {p:?} is not a number from 1 to 65535")),
        })
        .transpose()?;
    Ok(((!host.is_empty()).then_some(host), port))
}

fn decode(s: &str) -> Result<String, String> {
    percent_decode_str(s)
        .decode_utf8()
        .map(|c| c.into_owned())
        .map_err(|_| format!("{s:?} is not UTF-8 once decoded"))
}

fn encode(s: &str) -> String {
    const SET: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'_')
        .remove(b'.')
        .remove(b'~');
    percent_encoding::utf8_percent_encode(s, SET).to_string()
}

/// For messages about a URL that did not parse: whatever sits between `://` and `@`
/// may be a password, and so may any query parameter.
fn redact(text: &str) -> String {
    let text = match text.split_once('?') {
        Some((head, _)) => return format!("{}?…", redact(head)),
        None => text,
    };
    match (text.find("://"), text.rfind('@')) {
        (Some(s), Some(a)) if a > s => {
            let userinfo = &text[s + 3..a];
            match userinfo.split_once(':') {
                Some((u, _)) => format!("{}{u}:***{}", &text[..s + 3], &text[a..]),
                None => text.to_string(),
            }
        }
        _ => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_url() {
        let u = DbUrl::parse("postgresql://backup@db1:5432/app?sslmode=require").unwrap();
        assert_eq!(u.engine, Engine::Postgresql);
        assert_eq!(u.user.as_deref(), Some("backup"));
        assert_eq!(u.host.as_deref(), Some("db1"));
        assert_eq!(u.port, Some(5432));
        assert_eq!(u.database.as_deref(), Some("app"));
        assert_eq!(u.params, vec![("sslmode".into(), "require".into())]);
        assert_eq!(
            u.to_string(),
            "postgresql://backup@db1:5432/app?sslmode=require"
        );
        assert_eq!(u.server(), "postgresql://backup@db1:5432");
    }

    #[test]
    fn defaults_and_all_databases() {
        let u = DbUrl::parse("postgres:///").unwrap();
        assert_eq!(
            (u.user, u.host, u.port, u.database),
            (None, None, None, None)
        );
        let u = DbUrl::parse("mariadb://127.0.0.1").unwrap();
        assert_eq!(u.engine, Engine::Mysql);
        assert_eq!(u.database, None);
        assert_eq!(u.to_string(), "mysql://127.0.0.1/");
    }

    #[test]
    fn ipv6_and_encoded_names() {
        let u = DbUrl::parse("mongodb://[::1]:27017/caf%C3%A9").unwrap();
        assert_eq!(u.host.as_deref(), Some("::1"));
        assert_eq!(u.database.as_deref(), Some("café"));
        assert_eq!(u.to_string(), "mongodb://[::1]:27017/caf%C3%A9");
    }

    #[test]
    fn passwords_are_refused_and_never_echoed() {
        for url in [
            "postgresql://backup:s3cret@db1/app",
            "mysql://root@db/app?password=s3cret",
        ] {
            let e = DbUrl::parse(url).unwrap_err();
            assert!(e.contains("password"), "{e}");
            assert!(!e.contains("s3cret"), "{e}");
        }
        let e = DbUrl::parse("postgresql://backup:s3cret@db1:x/app").unwrap_err();
        assert!(!e.contains("s3cret"), "{e}");
    }

    #[test]
    fn bad_urls_say_why() {
        for (url, why) in [
            ("db1:5432/app", "SCHEME://"),
            ("oracle://db1/app", "unknown scheme"),
            ("postgresql://db1:99999/app", "port"),
            ("postgresql://db1/a/b", "no '/'"),
            ("postgresql://@db1/app", "empty user"),
        ] {
            let e = DbUrl::parse(url).unwrap_err();
            assert!(e.contains(why), "{url}: {e}");
        }
    }
}
