//! One rule for every time cairn shows, in tables and in JSON: in the zone the user
//! chose (`--utc`, `--tz`, else the local zone from TZ or /etc/localtime), always with
//! its offset, so a time is never ambiguous and two zones show the same instant.

use std::io::Read;
use std::path::{Component, Path, PathBuf};

use chrono::{DateTime, SecondsFormat, Utc};

use crate::retention::policy::Zone;

/// What `--tz` names: a zone cairn knows itself, or a zone of the system's time zone
/// database (`Europe/Berlin`).
#[derive(Debug, Clone)]
pub enum TzChoice {
    Zone(Zone),
    Named(String),
}

impl std::str::FromStr for TzChoice {
    type Err = String;

    fn from_str(s: &str) -> Result<TzChoice, String> {
        if let Ok(z) = s.parse::<Zone>() {
            return Ok(TzChoice::Zone(z));
        }
        if is_zone_name(s) {
            return Ok(TzChoice::Named(s.to_string()));
        }
        Err(format!(
            "unknown time zone {s:?}: use local, utc, an offset like +02:00, or a name \
             from {} such as Europe/Berlin",
            zoneinfo_dir().display()
        ))
    }
}

impl TzChoice {
    /// Puts the choice into effect. A named zone becomes `TZ`, which chrono's local
    /// zone follows with all its daylight-saving rules; call this before any thread
    /// starts, since the environment is shared.
    pub fn apply(self) -> Zone {
        match self {
            TzChoice::Zone(z) => z,
            TzChoice::Named(name) => {
                std::env::set_var("TZ", name);
                Zone::Local
            }
        }
    }
}

fn zoneinfo_dir() -> PathBuf {
    std::env::var_os("TZDIR")
        .filter(|d| !d.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/share/zoneinfo"))
}

/// A name is a zone when the database holds a compiled zone file (magic `TZif`) for it;
/// names that climb out of the database are not zones.
fn is_zone_name(s: &str) -> bool {
    let rel = Path::new(s);
    if s.is_empty() || !rel.components().all(|c| matches!(c, Component::Normal(_))) {
        return false;
    }
    let mut magic = [0u8; 4];
    std::fs::File::open(zoneinfo_dir().join(rel))
        .and_then(|mut f| f.read_exact(&mut magic))
        .is_ok_and(|()| &magic == b"TZif")
}

/// For people: `2026-01-31 03:00:00 +01:00`.
pub fn human(zone: Zone, t: DateTime<Utc>) -> String {
    zone.at(t).format("%Y-%m-%d %H:%M:%S %:z").to_string()
}

/// For JSON: RFC 3339 in the chosen zone, `Z` when the offset is zero.
pub fn rfc3339(zone: Zone, t: DateTime<Utc>) -> String {
    zone.at(t).to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

/// A file time as stored in a tree (nanoseconds since the epoch).
pub fn from_ns(ns: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_nanos(ns)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zones_are_known_or_refused() {
        assert!(matches!("utc".parse(), Ok(TzChoice::Zone(Zone::Utc))));
        assert!(matches!(
            "+02:00".parse(),
            Ok(TzChoice::Zone(Zone::Fixed(_)))
        ));
        for bad in ["Mars/Olympus", "../../etc/passwd", "/etc/passwd", ""] {
            let err = bad.parse::<TzChoice>().unwrap_err();
            assert!(err.contains(&format!("{bad:?}")), "{err}");
        }
    }

    #[test]
    fn the_offset_is_always_shown() {
        let t = DateTime::parse_from_rfc3339("2026-01-31T02:00:00Z")
            .unwrap()
            .to_utc();
        let cet: Zone = "+01:00".parse().unwrap();
        assert_eq!(human(Zone::Utc, t), "2026-01-31 02:00:00 +00:00");
        assert_eq!(human(cet, t), "2026-01-31 03:00:00 +01:00");
        assert_eq!(rfc3339(Zone::Utc, t), "2026-01-31T02:00:00Z");
        assert_eq!(rfc3339(cet, t), "2026-01-31T03:00:00+01:00");
    }
}
