//! `cairn profile check`: everything a nightly run needs, tested up front without
//! writing anything (no backup, no lock, no cache, no notification sent), so a new
//! profile can be tried from a terminal before cron finds the problem at 2 a.m.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use super::settings::{Overrides, Settings};
use super::{discover, Profile, Source};
use crate::crypto::keys;
use crate::repo::Repository;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Ok,
    Fail,
    /// Could not be tested here (e.g. pg_isready is not installed); not a failure.
    Skip,
}

#[derive(Debug, Clone)]
pub struct Line {
    pub status: Status,
    pub item: String,
    pub detail: String,
}

impl std::fmt::Display for Line {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let s = match self.status {
            Status::Ok => "ok",
            Status::Fail => "FAIL",
            Status::Skip => "skip",
        };
        write!(f, "{s:<4}  {}: {}", self.item, self.detail)
    }
}

struct Lines(Vec<Line>);

impl Lines {
    fn push(&mut self, status: Status, item: impl Into<String>, detail: impl Into<String>) {
        self.0.push(Line {
            status,
            item: item.into(),
            detail: detail.into(),
        });
    }
    fn result<E: std::fmt::Display>(&mut self, item: &str, r: Result<String, E>) -> bool {
        match r {
            Ok(d) => self.push(Status::Ok, item, d),
            Err(e) => self.push(Status::Fail, item, e.to_string()),
        }
        self.0.last().unwrap().status == Status::Ok
    }
}

fn chain(e: &anyhow::Error) -> String {
    e.chain()
        .map(|c| c.to_string())
        .collect::<Vec<_>>()
        .join(": ")
}

pub fn check(spec: &str, config_dir: Option<&Path>, o: &Overrides) -> Vec<Line> {
    let mut out = Lines(Vec::new());
    let profile = discover::find(spec, config_dir).and_then(|p| Profile::load(&p));
    let profile = match profile {
        Ok(p) => {
            out.push(
                Status::Ok,
                "profile",
                format!("{} parses", p.path.display()),
            );
            p
        }
        Err(e) => {
            out.push(Status::Fail, "profile", e.to_string());
            return out.0;
        }
    };
    let settings = match Settings::resolve(&profile, o) {
        Ok(s) => s,
        Err(e) => {
            out.push(Status::Fail, "settings", chain(&e));
            return out.0;
        }
    };
    let key_item = format!("key {}", settings.key.display());
    let cert = keys::read_cert(&settings.key);
    let identity = match cert {
        Err(e) => {
            out.push(Status::Fail, key_item, e.to_string());
            None
        }
        Ok(cert) => {
            out.push(
                Status::Ok,
                key_item,
                format!("readable ({})", cert.fingerprint()),
            );
            let id = unlock(&settings, cert, &mut out);
            if let Some(id) = &id {
                expiry(id, &mut out);
            }
            id
        }
    };
    let repo_item = format!("repository {}", settings.repo);
    match identity {
        Some(id) => {
            let opened = crate::backend::open(&settings.repo, &settings.store)
                .map_err(anyhow::Error::from)
                .and_then(|b| Ok(Repository::open(b, id, None, &settings.trust)?));
            out.result(
                &repo_item,
                opened
                    .map(|_| "reachable, initialised, opens with the key".to_string())
                    .map_err(|e| chain(&e)),
            );
        }
        None => {
            let reached = crate::backend::open(&settings.repo, &settings.store)
                .map_err(anyhow::Error::from)
                .and_then(|b| Ok((b.exists("config")?, b.absence_hint())));
            out.result(
                &repo_item,
                match reached {
                    Ok((true, _)) => {
                        Ok("reachable and initialised (not opened: no usable key)".into())
                    }
                    Ok((false, hint)) => Err(format!(
                        "not initialised: {}",
                        hint.unwrap_or_else(|| "no config object; run `cairn init`".into())
                    )),
                    Err(e) => Err(chain(&e)),
                },
            );
        }
    }
    match &profile.source {
        Some(s) => source(s, &mut out),
        None => out.push(
            Status::Ok,
            "source",
            "none: the profile only mirrors (`cairn run` mirrors and backs up nothing)",
        ),
    }
    databases(&profile.databases, &mut out);
    hooks(&profile, &mut out);
    notify(&profile, &mut out);
    if let Some(m) = &profile.mirror {
        mirror(m, &mut out);
    }
    if let Some(c) = &profile.copy {
        let opened = c
            .open(&settings, None)
            .and_then(|r| Ok(r.require_signer()?));
        out.result(
            &format!("copy to {}", c.to),
            opened
                .map(|()| "reachable, initialised, writable with the copy key".to_string())
                .map_err(|e| chain(&e)),
        );
    }
    out.0
}

/// The scrub files exist and the target server answers (its databases are listed,
/// nothing is changed).
fn mirror(m: &super::mirror::Mirror, out: &mut Lines) {
    for f in &m.scrub {
        out.result(
            &format!("mirror scrub {}", f.display()),
            std::fs::File::open(f).map(|_| "readable".to_string()),
        );
    }
    let (_, opts) = m.plan(true);
    let db = m.target.database.clone().unwrap_or_default();
    let reached = crate::mirror::connect(&m.target, &opts)
        .and_then(|t| t.databases())
        .map(|dbs| match dbs.contains(&db) {
            true => format!("reachable; {db} exists and would be replaced"),
            false => format!("reachable; {db} does not exist yet"),
        });
    out.result(&format!("mirror target {}", m.target), reached);
}

fn unlock(
    s: &Settings,
    cert: sequoia_openpgp::Cert,
    out: &mut Lines,
) -> Option<crate::crypto::Identity> {
    let needs = keys::needs_passphrase(&cert);
    let pass = if needs {
        match s.passphrase() {
            Ok(p) => p,
            Err(e) => {
                out.push(Status::Fail, "passphrase", chain(&e));
                return None;
            }
        }
    } else {
        None
    };
    match keys::unlock(cert, pass.as_ref(), &s.key.display().to_string()) {
        Ok(id) => {
            let detail = if needs {
                "unlocks the key"
            } else {
                "not needed (key is not passphrase-protected)"
            };
            out.push(Status::Ok, "passphrase", detail);
            Some(id)
        }
        Err(e) => {
            out.push(Status::Fail, "passphrase", e.to_string());
            None
        }
    }
}

/// A run signs what it writes, so a key that can no longer sign fails here; one that
/// soon cannot is still ok, with the date and the fix.
fn expiry(id: &crate::crypto::Identity, out: &mut Lines) {
    let detail = id.signer().map(|_| {
        id.expiry_warning()
            .unwrap_or_else(|| match id.signing_expiry() {
                Some(t) => format!("signs until {}", keys::date(t)),
                None => "never expires".to_string(),
            })
    });
    out.result("key expiry", detail);
}

fn source(src: &Source, out: &mut Lines) {
    match src {
        Source::Paths { paths, .. } => {
            for p in paths {
                out.result(
                    &format!("source {}", p.display()),
                    std::fs::symlink_metadata(p).map(|m| {
                        if m.is_dir() {
                            "directory exists"
                        } else {
                            "exists"
                        }
                        .to_string()
                    }),
                );
            }
        }
        Source::Command { command, .. } => {
            let words: Vec<&str> = command.split_whitespace().collect();
            // Leading `VAR=value` words are environment settings for the program.
            let Some(pos) = words.iter().position(|w| !w.contains('=')) else {
                out.push(Status::Fail, "source command", "no program in `command`");
                return;
            };
            let program = words[pos];
            match find_program(program) {
                Some(p) => out.push(
                    Status::Ok,
                    format!("source command {program}"),
                    format!("found at {}", p.display()),
                ),
                None => out.push(
                    Status::Fail,
                    format!("source command {program}"),
                    "not found on PATH",
                ),
            }
            if matches!(program.rsplit('/').next(), Some("pg_dump" | "pg_dumpall")) {
                pg_isready(&words[pos + 1..], out);
            }
        }
    }
}

/// Each `[[database]]`: its dump tools on PATH, the server reachable, the named
/// databases there (what a run would dump, and where).
fn databases(specs: &[crate::db::plan::DbSpec], out: &mut Lines) {
    let mut tools: Vec<&str> = Vec::new();
    for spec in specs {
        for t in crate::db::plan::tools(spec.url.engine) {
            if !tools.contains(t) {
                tools.push(t);
                let found = find_program(t)
                    .map(|p| format!("found at {}", p.display()))
                    .ok_or("not found on PATH");
                out.result(&format!("database tool {t}"), found);
            }
        }
        out.result(
            &format!("database {}", spec.url),
            crate::db::plan::probe(spec),
        );
    }
}

fn find_program(program: &str) -> Option<PathBuf> {
    use std::os::unix::fs::PermissionsExt;
    let executable = |p: &Path| {
        std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
    };
    if program.contains('/') {
        let p = PathBuf::from(program);
        return executable(&p).then_some(p);
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(program))
        .find(|p| executable(p))
}

/// Runs a probe whose output would only clutter the check's lines.
fn silent(cmd: &mut Command) -> std::io::Result<std::process::ExitStatus> {
    cmd.stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
}

/// Asks the server pg_dump will talk to whether it accepts connections, passing on the
/// connection options the command gives (the PG* environment does the rest).
fn pg_isready(args: &[&str], out: &mut Lines) {
    if find_program("pg_isready").is_none() {
        out.push(Status::Skip, "database", "pg_isready not found on PATH");
        return;
    }
    let mut pass = Vec::new();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        if matches!(*a, "-h" | "-p" | "-U" | "-d") {
            if let Some(v) = it.next() {
                pass.push(a.to_string());
                pass.push(v.to_string());
            }
        } else if ["--host=", "--port=", "--username=", "--dbname="]
            .iter()
            .any(|f| a.starts_with(f))
        {
            pass.push(a.to_string());
        }
    }
    // pg_isready sends no password, so nothing withheld is passed even on request.
    let status = silent(crate::child::env::restrict(
        Command::new("pg_isready").args(&pass).args(["-t", "10"]),
        &Default::default(),
    ));
    match status {
        Ok(s) if s.success() => {
            out.push(Status::Ok, "database", "pg_isready: accepting connections")
        }
        Ok(s) => out.push(
            Status::Fail,
            "database",
            format!(
                "pg_isready: not accepting connections (exit status {})",
                s.code().unwrap_or(-1)
            ),
        ),
        Err(e) => out.push(Status::Fail, "database", format!("pg_isready: {e}")),
    }
}

/// Hooks are shell snippets; `sh -n` catches a syntax error without running them.
fn hooks(p: &Profile, out: &mut Lines) {
    for (name, cmd) in [
        ("before", &p.hooks.before),
        ("after", &p.hooks.after),
        ("on_failure", &p.hooks.on_failure),
    ] {
        let Some(cmd) = cmd else { continue };
        let r = silent(crate::child::env::restrict(
            Command::new("sh").args(["-n", "-c", cmd]),
            &p.pass_env,
        ));
        match r {
            Ok(s) if s.success() => {
                out.push(Status::Ok, format!("hooks.{name}"), "shell syntax ok")
            }
            Ok(_) => out.push(
                Status::Fail,
                format!("hooks.{name}"),
                "shell syntax error (sh -n)",
            ),
            Err(e) => out.push(
                Status::Fail,
                format!("hooks.{name}"),
                format!("cannot run sh: {e}"),
            ),
        }
    }
}

fn notify(p: &Profile, out: &mut Lines) {
    for (field, url) in p.notify.urls() {
        out.result(
            &format!("notify.{field}"),
            crate::notify::http::check_url(url)
                .map(|()| format!("{} parses", crate::notify::http::redact(url))),
        );
    }
    if let Some(t) = &p.notify.textfile {
        let dir = t.parent().unwrap_or(Path::new("."));
        out.result(
            "notify.textfile",
            if dir.is_dir() {
                Ok(format!("directory {} exists", dir.display()))
            } else {
                Err(format!("directory {} does not exist", dir.display()))
            },
        );
    }
}
