//! The Prometheus textfile (node_exporter's textfile collector): one file shared by all
//! profiles, each run replacing its own profile's samples and keeping the others'.
//!
//! It is rewritten through a temporary file and a rename so node_exporter never reads a
//! half-written file. Callers serialise concurrent updates (two profiles finishing at
//! once) with a lock; see `profile::run`.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

/// (name, help) in the order they are written.
const METRICS: [(&str, &str); 7] = [
    (
        "cairn_last_success_timestamp_seconds",
        "Unix time of the last successful run of the profile.",
    ),
    (
        "cairn_last_run_timestamp_seconds",
        "Unix time the last run of the profile ended.",
    ),
    (
        "cairn_last_run_success",
        "1 if the last run of the profile succeeded, 0 if not.",
    ),
    (
        "cairn_last_duration_seconds",
        "Duration of the last run of the profile.",
    ),
    (
        "cairn_last_bytes_added",
        "Bytes of new data the last successful backup of the profile added.",
    ),
    (
        "cairn_snapshots_total",
        "Snapshots of the profile in the repository after the last run.",
    ),
    (
        "cairn_key_expiry_timestamp_seconds",
        "Unix time the profile's key stops signing (writing); absent if it never expires.",
    ),
];

pub struct RunMetrics {
    pub end_time: f64,
    pub success: bool,
    pub duration_secs: f64,
    /// None keeps the previous value (a failed run adds nothing worth reporting).
    pub bytes_added: Option<u64>,
    pub snapshots: Option<u64>,
    pub key_expiry: KeyExpiry,
}

/// What the run learnt of its key's signing expiry.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub enum KeyExpiry {
    /// The key was not read (the run failed before): the previous sample stays.
    #[default]
    Unknown,
    /// No sample: an alert on "expires soon" has nothing to fire on.
    Never,
    /// Unix time.
    At(f64),
}

/// (metric, profile) → value, as text so values of other profiles pass through untouched.
type Samples = BTreeMap<(String, String), String>;

pub fn parse(text: &str) -> Samples {
    let mut out = Samples::new();
    for line in text.lines() {
        if line.starts_with('#') {
            continue;
        }
        let Some((series, value)) = line.rsplit_once(' ') else {
            continue;
        };
        let Some((name, rest)) = series.split_once("{profile=\"") else {
            continue;
        };
        let Some(profile) = rest.strip_suffix("\"}") else {
            continue;
        };
        if METRICS.iter().any(|(m, _)| *m == name) {
            out.insert((name.to_string(), profile.to_string()), value.to_string());
        }
    }
    out
}

pub fn render(samples: &Samples) -> String {
    let mut out = String::new();
    for (name, help) in METRICS {
        let rows: Vec<_> = samples.iter().filter(|((m, _), _)| m == name).collect();
        if rows.is_empty() {
            continue;
        }
        out.push_str(&format!("# HELP {name} {help}\n# TYPE {name} gauge\n"));
        for ((_, profile), value) in rows {
            out.push_str(&format!("{name}{{profile=\"{profile}\"}} {value}\n"));
        }
    }
    out
}

pub fn merge(samples: &mut Samples, profile: &str, m: &RunMetrics) {
    let mut set = |name: &str, v: String| {
        samples.insert((name.to_string(), profile.to_string()), v);
    };
    if m.success {
        set("cairn_last_success_timestamp_seconds", fmt(m.end_time));
    }
    set("cairn_last_run_timestamp_seconds", fmt(m.end_time));
    set("cairn_last_run_success", u8::from(m.success).to_string());
    set("cairn_last_duration_seconds", fmt(m.duration_secs));
    if let Some(b) = m.bytes_added {
        set("cairn_last_bytes_added", b.to_string());
    }
    if let Some(n) = m.snapshots {
        set("cairn_snapshots_total", n.to_string());
    }
    const EXPIRY: &str = "cairn_key_expiry_timestamp_seconds";
    match m.key_expiry {
        KeyExpiry::Unknown => {}
        KeyExpiry::Never => {
            samples.remove(&(EXPIRY.to_string(), profile.to_string()));
        }
        KeyExpiry::At(t) => set(EXPIRY, fmt(t)),
    }
}

fn fmt(v: f64) -> String {
    format!("{v:.3}")
}

/// Replaces `profile`'s samples in the file at `path`, keeping every other profile's.
pub fn update(path: &Path, profile: &str, m: &RunMetrics) -> std::io::Result<()> {
    let old = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(e),
    };
    let mut samples = parse(&old);
    merge(&mut samples, profile, m);
    let dir = path.parent().unwrap_or(Path::new("."));
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    // Not ending in .prom, so the collector never picks up the temporary file.
    let tmp = dir.join(format!(".{file_name}.{}.tmp", std::process::id()));
    let written = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(render(&samples).as_bytes())?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(success: bool, t: f64) -> RunMetrics {
        RunMetrics {
            end_time: t,
            success,
            duration_secs: 2.5,
            bytes_added: success.then_some(1234),
            snapshots: Some(3),
            key_expiry: KeyExpiry::Unknown,
        }
    }

    #[test]
    fn key_expiry_is_set_kept_when_unknown_and_dropped_when_never() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("cairn.prom");
        let key = "cairn_key_expiry_timestamp_seconds";
        let with = |e| RunMetrics {
            key_expiry: e,
            ..m(true, 100.0)
        };
        let read = || parse(&std::fs::read_to_string(&p).unwrap());
        update(&p, "app", &with(KeyExpiry::At(2e9))).unwrap();
        update(&p, "db", &with(KeyExpiry::At(3e9))).unwrap();
        update(&p, "app", &with(KeyExpiry::Unknown)).unwrap();
        assert_eq!(
            read()[&(key.to_string(), "app".to_string())],
            "2000000000.000"
        );
        update(&p, "app", &with(KeyExpiry::Never)).unwrap();
        let s = read();
        assert!(!s.contains_key(&(key.to_string(), "app".to_string())));
        assert!(s.contains_key(&(key.to_string(), "db".to_string())));
        let text = std::fs::read_to_string(&p).unwrap();
        assert!(text.contains(&format!("# TYPE {key} gauge")), "{text}");
    }

    #[test]
    fn profiles_merge_and_a_failure_keeps_the_last_success_time() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("cairn.prom");
        update(&p, "app", &m(true, 100.0)).unwrap();
        update(&p, "db", &m(true, 200.0)).unwrap();
        update(&p, "app", &m(false, 300.0)).unwrap();
        let s = parse(&std::fs::read_to_string(&p).unwrap());
        let get = |n: &str, prof: &str| s[&(n.to_string(), prof.to_string())].clone();
        assert_eq!(
            get("cairn_last_success_timestamp_seconds", "app"),
            "100.000"
        );
        assert_eq!(get("cairn_last_run_timestamp_seconds", "app"), "300.000");
        assert_eq!(get("cairn_last_run_success", "app"), "0");
        assert_eq!(get("cairn_last_bytes_added", "app"), "1234");
        assert_eq!(get("cairn_last_run_success", "db"), "1");
        assert_eq!(get("cairn_last_success_timestamp_seconds", "db"), "200.000");
        let text = std::fs::read_to_string(&p).unwrap();
        assert_eq!(
            text.matches("# TYPE cairn_last_run_success gauge").count(),
            1
        );
        assert_eq!(
            std::fs::read_dir(d.path()).unwrap().count(),
            1,
            "no temp file left"
        );
    }
}
