//! Sizes and durations as people write them on a command line.

use std::time::Duration;

/// `500`, `64K`, `500M`, `2G`, `1T` (powers of 1024; `KiB`/`MB`-style suffixes too).
pub fn parse_size(spec: &str) -> Result<u64, String> {
    let s = spec.trim();
    let split = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let v: f64 = num
        .parse()
        .map_err(|_| format!("{spec:?} is not a size (e.g. 500M, 2G)"))?;
    let shift = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 0,
        "k" | "kb" | "kib" => 10,
        "m" | "mb" | "mib" => 20,
        "g" | "gb" | "gib" => 30,
        "t" | "tb" | "tib" => 40,
        _ => {
            return Err(format!(
                "{spec:?}: unknown size unit {unit:?} (use K, M, G or T)"
            ))
        }
    };
    Ok((v * (1u64 << shift) as f64) as u64)
}

/// `90` (seconds), `30s`, `10m`, `2h`, `1d`, `2w`: waits and intervals, where `m` is
/// minutes (retention spans, where `m` is months, are `retention::policy::Span`).
pub fn parse_duration(spec: &str) -> Result<Duration, String> {
    let s = spec.trim();
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let v: u64 = num
        .parse()
        .map_err(|_| format!("{spec:?} is not a duration (e.g. 30s, 10m, 2h)"))?;
    let secs = match unit.trim() {
        "" | "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86400,
        "w" => 7 * 86400,
        u => {
            return Err(format!(
                "{spec:?}: unknown duration unit {u:?} (use s, m, h, d or w)"
            ))
        }
    };
    v.checked_mul(secs)
        .map(Duration::from_secs)
        .ok_or_else(|| format!("{spec:?} is too long"))
}

/// A duration as [`parse_duration`] reads it back: in the largest unit that divides it
/// (`90s`, `10m`, `2h`, `1d`, `2w`), else seconds.
pub fn format_duration(d: Duration) -> String {
    let secs = d.as_secs();
    let unit = [(7 * 86400, "w"), (86400, "d"), (3600, "h"), (60, "m")]
        .into_iter()
        .find(|(n, _)| secs > 0 && secs.is_multiple_of(*n));
    match unit {
        Some((n, u)) => format!("{}{u}", secs / n),
        None => format!("{secs}s"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("500"), Ok(500));
        assert_eq!(parse_size("64K"), Ok(64 << 10));
        assert_eq!(parse_size("1.5 GiB"), Ok(3 << 29));
        assert_eq!(parse_size("2g"), Ok(2 << 30));
        for bad in ["", "M", "5X", "-1"] {
            assert!(parse_size(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("90"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("10m"), Ok(Duration::from_secs(600)));
        assert_eq!(parse_duration("2h"), Ok(Duration::from_secs(7200)));
        assert_eq!(parse_duration("2w"), Ok(Duration::from_secs(14 * 86400)));
        for bad in ["", "m", "5y", "1.5h"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn durations_read_back() {
        for s in ["90s", "10m", "2h", "1d", "2w", "0s", "61s"] {
            let d = parse_duration(s).unwrap();
            assert_eq!(format_duration(d), s);
            assert_eq!(parse_duration(&format_duration(d)), Ok(d));
        }
        assert_eq!(format_duration(Duration::from_secs(5400)), "90m");
    }
}
