//! "How often" for steps that should not run on every nightly run (prune, a deep check):
//! either an interval since the last time it ran, or a weekday.

use chrono::{DateTime, Datelike, TimeZone, Weekday};
use serde::Deserialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Every {
    /// Seconds since the last time.
    Interval(i64),
    /// The first run on this weekday (local time).
    Weekday(Weekday),
}

/// "30m", "12h", "7d", "2w" → seconds; zero is refused (it would mean "every run").
pub fn parse_duration(s: &str) -> Result<i64, String> {
    let d = crate::units::parse_duration(s)?;
    if d.is_zero() {
        return Err(format!("{s:?} must be longer than zero"));
    }
    Ok(d.as_secs() as i64)
}

impl std::str::FromStr for Every {
    type Err = String;
    fn from_str(s: &str) -> Result<Every, String> {
        if let Ok(day) = s.trim().parse::<Weekday>() {
            return Ok(Every::Weekday(day));
        }
        parse_duration(s)
            .map(Every::Interval)
            .map_err(|_| format!("{s:?} is neither a duration (7d, 12h) nor a weekday (sunday)"))
    }
}

impl<'de> Deserialize<'de> for Every {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Every, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

impl Every {
    /// Whether a step last done at `last` should run at `now`.
    pub fn is_due<Tz: TimeZone>(&self, last: Option<&DateTime<Tz>>, now: &DateTime<Tz>) -> bool {
        let Some(last) = last else {
            return match self {
                Every::Interval(_) => true,
                Every::Weekday(d) => now.weekday() == *d,
            };
        };
        match self {
            Every::Interval(secs) => (now.clone() - last.clone()).num_seconds() >= *secs,
            Every::Weekday(d) => now.weekday() == *d && now.date_naive() != last.date_naive(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn parses_durations_and_weekdays() {
        assert_eq!("7d".parse(), Ok(Every::Interval(7 * 86_400)));
        assert_eq!("12h".parse(), Ok(Every::Interval(12 * 3_600)));
        assert_eq!("2w".parse(), Ok(Every::Interval(14 * 86_400)));
        assert_eq!("sunday".parse(), Ok(Every::Weekday(Weekday::Sun)));
        assert_eq!("Sun".parse(), Ok(Every::Weekday(Weekday::Sun)));
        assert!("0d".parse::<Every>().is_err());
        assert!("7 days".parse::<Every>().is_err());
        assert!("fortnightly".parse::<Every>().is_err());
    }

    #[test]
    fn interval_is_due_after_it_has_passed() {
        let e = Every::Interval(7 * 86_400);
        let now = at("2026-03-08T02:00:00Z");
        assert!(e.is_due(None, &now));
        assert!(!e.is_due(Some(&at("2026-03-02T02:00:00Z")), &now));
        assert!(e.is_due(Some(&at("2026-03-01T02:00:00Z")), &now));
    }

    #[test]
    fn weekday_is_due_once_that_day() {
        let e = Every::Weekday(Weekday::Sun);
        let sunday = at("2026-03-08T02:00:00Z");
        assert!(e.is_due(None, &sunday));
        assert!(!e.is_due(None, &at("2026-03-09T02:00:00Z")));
        assert!(!e.is_due(Some(&at("2026-03-08T01:00:00Z")), &sunday));
        assert!(e.is_due(Some(&at("2026-03-01T01:00:00Z")), &sunday));
    }
}
