//! The keep policy: a pure function from the snapshots of one group to keep/remove
//! decisions, each kept snapshot with the rules that keep it. No clock and no
//! repository, so the tests are tables of dates.
//!
//! Calendar rules (`--keep-daily 7` …) keep the newest snapshot of each of the N most
//! recent hours, days, ISO weeks, months or years *that have a snapshot*: a week without
//! backups does not use up one of the N. Buckets are taken in a chosen time zone,
//! because "the backup of Tuesday" is a local notion.
//!
//! `--keep-within` counts back from the group's newest snapshot, as restic does, not
//! from the wall clock. If backups stop, running forget again removes nothing more, so a
//! broken backup job cannot let retention eat the last good snapshots. For the same
//! reason `decide` takes no `now`.

use std::collections::HashSet;
use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Datelike, Days, FixedOffset, Local, Months, NaiveDateTime, TimeDelta, Utc};

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ParseError {
    #[error("{0:?} is not a duration: {1} (e.g. 30d, 2w, 1y6m, 12h)")]
    Span(String, &'static str),
    #[error("{0:?} is not a time zone (use local, utc, or an offset like +02:00)")]
    Zone(String),
}

/// A calendar length such as `1y6m` or `12h`.
///
/// Years and months are calendar months (one month back from 31 March is 28 or 29
/// February), so `1m` means "since the same date last month" rather than 30 days.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Span {
    pub years: u32,
    pub months: u32,
    pub weeks: u32,
    pub days: u32,
    pub hours: u32,
}

impl Span {
    /// The instant `self` before `t`, counted in UTC so that a DST change cannot make
    /// a day 23 or 25 hours long.
    pub fn before(&self, t: DateTime<Utc>) -> DateTime<Utc> {
        let months = self.years.saturating_mul(12).saturating_add(self.months);
        let days = u64::from(self.weeks) * 7 + u64::from(self.days);
        t.checked_sub_months(Months::new(months))
            .and_then(|t| t.checked_sub_days(Days::new(days)))
            .and_then(|t| t.checked_sub_signed(TimeDelta::hours(i64::from(self.hours))))
            .unwrap_or(DateTime::<Utc>::MIN_UTC)
    }
}

impl FromStr for Span {
    type Err = ParseError;

    fn from_str(s: &str) -> Result<Span, ParseError> {
        let bad = |why| ParseError::Span(s.to_string(), why);
        let mut span = Span::default();
        let mut digits = String::new();
        for c in s.chars() {
            if c.is_ascii_digit() {
                digits.push(c);
                continue;
            }
            if digits.is_empty() {
                return Err(bad("each unit needs a number before it"));
            }
            let n: u32 = digits.parse().map_err(|_| bad("number too large"))?;
            digits.clear();
            let field = match c {
                'y' => &mut span.years,
                'm' => &mut span.months,
                'w' => &mut span.weeks,
                'd' => &mut span.days,
                'h' => &mut span.hours,
                _ => return Err(bad("units are y, m, w, d and h")),
            };
            *field = field
                .checked_add(n)
                .ok_or_else(|| bad("number too large"))?;
        }
        if !digits.is_empty() {
            return Err(bad("the last number has no unit"));
        }
        if span == Span::default() {
            return Err(bad("it must be longer than zero"));
        }
        Ok(span)
    }
}

impl fmt::Display for Span {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts = [
            (self.years, 'y'),
            (self.months, 'm'),
            (self.weeks, 'w'),
            (self.days, 'd'),
            (self.hours, 'h'),
        ];
        for (n, unit) in parts.into_iter().filter(|(n, _)| *n > 0) {
            write!(f, "{n}{unit}")?;
        }
        Ok(())
    }
}

/// The time zone calendar buckets are taken in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Zone {
    Utc,
    /// The zone of this machine (`TZ`, else /etc/localtime), with its DST rules.
    #[default]
    Local,
    Fixed(FixedOffset),
}

impl Zone {
    pub fn at(&self, t: DateTime<Utc>) -> DateTime<FixedOffset> {
        match self {
            Zone::Utc => t.fixed_offset(),
            Zone::Local => t.with_timezone(&Local).fixed_offset(),
            Zone::Fixed(o) => t.with_timezone(o),
        }
    }
}

impl FromStr for Zone {
    type Err = ParseError;

    fn from_str(s: &str) -> Result<Zone, ParseError> {
        match s.to_ascii_lowercase().as_str() {
            "utc" | "z" => Ok(Zone::Utc),
            "local" => Ok(Zone::Local),
            _ => parse_offset(s)
                .map(Zone::Fixed)
                .ok_or_else(|| ParseError::Zone(s.to_string())),
        }
    }
}

/// `+02:00`, `+0200` or `+2`.
fn parse_offset(s: &str) -> Option<FixedOffset> {
    let sign = match s.chars().next()? {
        '+' => 1,
        '-' => -1,
        _ => return None,
    };
    let rest = &s[1..];
    let (h, m) = match rest.split_once(':') {
        Some((h, m)) if m.len() == 2 => (h, m),
        Some(_) => return None,
        None if rest.len() == 4 => rest.split_at(2),
        None => (rest, "00"),
    };
    let digits = |x: &str| !x.is_empty() && x.len() <= 2 && x.chars().all(|c| c.is_ascii_digit());
    if !digits(h) || !digits(m) {
        return None;
    }
    let (h, m): (i32, i32) = (h.parse().ok()?, m.parse().ok()?);
    if h > 23 || m > 59 {
        return None;
    }
    FixedOffset::east_opt(sign * (h * 3600 + m * 60))
}

impl fmt::Display for Zone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Zone::Utc => f.write_str("UTC"),
            Zone::Local => f.write_str("local"),
            Zone::Fixed(o) => write!(f, "{o}"),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Period {
    Hourly,
    Daily,
    Weekly,
    Monthly,
    Yearly,
}

impl Period {
    pub const ALL: [Period; 5] = [
        Period::Hourly,
        Period::Daily,
        Period::Weekly,
        Period::Monthly,
        Period::Yearly,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Period::Hourly => "hourly",
            Period::Daily => "daily",
            Period::Weekly => "weekly",
            Period::Monthly => "monthly",
            Period::Yearly => "yearly",
        }
    }

    /// The bucket holding local time `t`, as a label that is also its identity. Weeks
    /// are ISO weeks, so 2021-01-01 falls in 2020-W53 and the year of a week is not
    /// always the year of its days.
    fn bucket(self, t: NaiveDateTime) -> String {
        match self {
            Period::Hourly => t.format("%Y-%m-%dT%H").to_string(),
            Period::Daily => t.format("%Y-%m-%d").to_string(),
            Period::Weekly => {
                let w = t.iso_week();
                format!("{}-W{:02}", w.year(), w.week())
            }
            Period::Monthly => t.format("%Y-%m").to_string(),
            Period::Yearly => t.format("%Y").to_string(),
        }
    }
}

/// One value per calendar period.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PerPeriod<T> {
    pub hourly: T,
    pub daily: T,
    pub weekly: T,
    pub monthly: T,
    pub yearly: T,
}

impl<T: Copy> PerPeriod<T> {
    pub fn get(&self, p: Period) -> T {
        match p {
            Period::Hourly => self.hourly,
            Period::Daily => self.daily,
            Period::Weekly => self.weekly,
            Period::Monthly => self.monthly,
            Period::Yearly => self.yearly,
        }
    }
}

/// Which snapshots to keep; a snapshot is kept when any rule keeps it. Zero and `None`
/// mean "rule not used".
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Policy {
    /// The N newest snapshots.
    pub last: usize,
    /// The newest snapshot of each of the N most recent buckets that have one.
    pub every: PerPeriod<usize>,
    /// Every snapshot newer than this span before the newest.
    pub within: Option<Span>,
    /// The newest snapshot of each bucket newer than this span before the newest.
    pub every_within: PerPeriod<Option<Span>>,
    /// Snapshots carrying all tags of any one of these sets.
    pub tags: Vec<Vec<String>>,
}

impl Policy {
    pub fn is_empty(&self) -> bool {
        *self == Policy::default()
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reason {
    Last,
    Period(Period, String),
    Within(Span),
    PeriodWithin(Period, String, Span),
    Tag(Vec<String>),
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reason::Last => f.write_str("last"),
            Reason::Period(p, bucket) => write!(f, "{} {bucket}", p.name()),
            Reason::Within(span) => write!(f, "within {span}"),
            Reason::PeriodWithin(p, bucket, span) => {
                write!(f, "{} {bucket} within {span}", p.name())
            }
            Reason::Tag(tags) => write!(f, "tag {}", tags.join(",")),
        }
    }
}

/// What the policy looks at in a snapshot.
#[derive(Debug, Clone)]
pub struct SnapInfo {
    pub time: DateTime<Utc>,
    pub tags: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Decision {
    pub keep: bool,
    /// Every rule that keeps the snapshot; empty when it is removed.
    pub reasons: Vec<Reason>,
}

/// Applies `policy` to the snapshots of one group, in any order; the decisions come back
/// in the same order as `snaps`.
pub fn decide(snaps: &[SnapInfo], policy: &Policy, zone: Zone) -> Vec<Decision> {
    let mut order: Vec<usize> = (0..snaps.len()).collect();
    // Newest first; of equal times the later one in the input counts as newer, which
    // for the repository's oldest-first listing is the larger id: stable across runs.
    order.sort_by(|&a, &b| snaps[b].time.cmp(&snaps[a].time).then(b.cmp(&a)));
    let local: Vec<NaiveDateTime> = snaps
        .iter()
        .map(|s| zone.at(s.time).naive_local())
        .collect();
    let mut reasons: Vec<Vec<Reason>> = vec![Vec::new(); snaps.len()];

    for &i in order.iter().take(policy.last) {
        reasons[i].push(Reason::Last);
    }
    for p in Period::ALL {
        for (i, bucket) in newest_per_bucket(&order, &local, p).take(policy.every.get(p)) {
            reasons[i].push(Reason::Period(p, bucket));
        }
    }
    if let Some(&newest) = order.first() {
        let within = |span: Span| -> Vec<usize> {
            let from = span.before(snaps[newest].time);
            order
                .iter()
                .copied()
                .filter(|&i| snaps[i].time > from)
                .collect()
        };
        if let Some(span) = policy.within {
            for i in within(span) {
                reasons[i].push(Reason::Within(span));
            }
        }
        for p in Period::ALL {
            let Some(span) = policy.every_within.get(p) else {
                continue;
            };
            for (i, bucket) in newest_per_bucket(&within(span), &local, p) {
                reasons[i].push(Reason::PeriodWithin(p, bucket, span));
            }
        }
    }
    for (i, s) in snaps.iter().enumerate() {
        for set in &policy.tags {
            if set.iter().all(|t| s.tags.contains(t)) {
                reasons[i].push(Reason::Tag(set.clone()));
            }
        }
    }
    reasons
        .into_iter()
        .map(|reasons| Decision {
            keep: !reasons.is_empty(),
            reasons,
        })
        .collect()
}

/// The newest snapshot of each bucket, most recent bucket first. `order` runs newest
/// first, so the first snapshot met in a bucket is its newest.
fn newest_per_bucket<'a>(
    order: &'a [usize],
    local: &'a [NaiveDateTime],
    period: Period,
) -> impl Iterator<Item = (usize, String)> + 'a {
    let mut seen = HashSet::new();
    order.iter().filter_map(move |&i| {
        let bucket = period.bucket(local[i]);
        seen.insert(bucket.clone()).then_some((i, bucket))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        let t = NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M")
            .unwrap_or_else(|e| panic!("{s}: {e}"));
        t.and_utc()
    }

    fn snaps(times: &[&str]) -> Vec<SnapInfo> {
        times
            .iter()
            .map(|t| SnapInfo {
                time: at(t),
                tags: Vec::new(),
            })
            .collect()
    }

    fn zone(s: &str) -> Zone {
        s.parse().unwrap()
    }

    /// The times (as given) of the snapshots the policy keeps.
    fn kept<'a>(times: &[&'a str], policy: &Policy, zone: Zone) -> Vec<&'a str> {
        let d = decide(&snaps(times), policy, zone);
        times
            .iter()
            .zip(&d)
            .filter(|(_, d)| d.keep)
            .map(|(t, _)| *t)
            .collect()
    }

    /// Each snapshot's reasons as one string, e.g. "last; daily 2026-01-31".
    fn reasons(snaps: &[SnapInfo], policy: &Policy, zone: Zone) -> Vec<String> {
        decide(snaps, policy, zone)
            .iter()
            .map(|d| {
                let r: Vec<String> = d.reasons.iter().map(|r| r.to_string()).collect();
                r.join("; ")
            })
            .collect()
    }

    fn every(p: Period, n: usize) -> Policy {
        let mut policy = Policy::default();
        let slot = match p {
            Period::Hourly => &mut policy.every.hourly,
            Period::Daily => &mut policy.every.daily,
            Period::Weekly => &mut policy.every.weekly,
            Period::Monthly => &mut policy.every.monthly,
            Period::Yearly => &mut policy.every.yearly,
        };
        *slot = n;
        policy
    }

    fn within(s: &str) -> Policy {
        Policy {
            within: Some(s.parse().unwrap()),
            ..Policy::default()
        }
    }

    #[test]
    fn empty_input_gives_no_decisions() {
        assert!(decide(&[], &every(Period::Daily, 7), Zone::Utc).is_empty());
        assert!(decide(&[], &within("30d"), Zone::Utc).is_empty());
    }

    #[test]
    fn empty_policy_keeps_nothing_and_says_it_is_empty() {
        assert!(Policy::default().is_empty());
        assert!(!every(Period::Yearly, 1).is_empty());
        let times = ["2026-01-01 02:00", "2026-01-02 02:00"];
        assert!(kept(&times, &Policy::default(), Zone::Utc).is_empty());
    }

    #[test]
    fn calendar_rules_table() {
        let utc = Zone::Utc;
        // (what, snapshots oldest first, policy, zone, expected kept)
        type Case = (
            &'static str,
            Vec<&'static str>,
            Policy,
            Zone,
            Vec<&'static str>,
        );
        let cases: Vec<Case> = vec![
            (
                "keep-last 2 of 4, given out of order",
                vec![
                    "2026-01-03 02:00",
                    "2026-01-01 02:00",
                    "2026-01-04 02:00",
                    "2026-01-02 02:00",
                ],
                Policy {
                    last: 2,
                    ..Policy::default()
                },
                utc,
                vec!["2026-01-03 02:00", "2026-01-04 02:00"],
            ),
            (
                "keep-last larger than the group keeps all",
                vec!["2026-01-01 02:00", "2026-01-02 02:00"],
                Policy {
                    last: 10,
                    ..Policy::default()
                },
                utc,
                vec!["2026-01-01 02:00", "2026-01-02 02:00"],
            ),
            (
                "several per day: the newest of each day",
                vec![
                    "2026-01-01 01:00",
                    "2026-01-01 13:00",
                    "2026-01-01 23:59",
                    "2026-01-02 00:00",
                    "2026-01-02 12:00",
                    "2026-01-03 08:00",
                ],
                every(Period::Daily, 2),
                utc,
                vec!["2026-01-02 12:00", "2026-01-03 08:00"],
            ),
            (
                "days without backups do not use up the count",
                vec!["2026-01-01 02:00", "2026-01-10 02:00", "2026-01-20 02:00"],
                every(Period::Daily, 2),
                utc,
                vec!["2026-01-10 02:00", "2026-01-20 02:00"],
            ),
            (
                "hourly: the newest of each hour",
                vec![
                    "2026-01-01 10:05",
                    "2026-01-01 10:55",
                    "2026-01-01 11:00",
                    "2026-01-01 11:30",
                ],
                every(Period::Hourly, 5),
                utc,
                vec!["2026-01-01 10:55", "2026-01-01 11:30"],
            ),
            (
                "month boundary",
                vec![
                    "2026-01-30 02:00",
                    "2026-01-31 23:59",
                    "2026-02-01 00:00",
                    "2026-02-02 02:00",
                ],
                every(Period::Monthly, 2),
                utc,
                vec!["2026-01-31 23:59", "2026-02-02 02:00"],
            ),
            (
                "monthly count limits to the most recent months",
                vec![
                    "2025-11-15 02:00",
                    "2025-12-15 02:00",
                    "2026-01-15 02:00",
                    "2026-02-15 02:00",
                ],
                every(Period::Monthly, 2),
                utc,
                vec!["2026-01-15 02:00", "2026-02-15 02:00"],
            ),
            (
                "year boundary",
                vec![
                    "2024-06-01 02:00",
                    "2024-12-31 23:00",
                    "2025-01-01 01:00",
                    "2025-06-01 02:00",
                ],
                every(Period::Yearly, 2),
                utc,
                vec!["2024-12-31 23:00", "2025-06-01 02:00"],
            ),
            (
                // 2020-12-31 (Thu), 2021-01-01 (Fri) and 2021-01-03 (Sun) are all in
                // 2020-W53; 2021-01-04 (Mon) starts 2021-W01; 2020-12-27 (Sun) is W52.
                "ISO week 53 spans the new year",
                vec![
                    "2020-12-27 02:00",
                    "2020-12-31 02:00",
                    "2021-01-01 02:00",
                    "2021-01-03 02:00",
                    "2021-01-04 02:00",
                ],
                every(Period::Weekly, 2),
                utc,
                vec!["2021-01-03 02:00", "2021-01-04 02:00"],
            ),
            (
                "ISO week 53: three weeks reach back into 2020-W52",
                vec![
                    "2020-12-26 02:00",
                    "2020-12-27 02:00",
                    "2020-12-31 02:00",
                    "2021-01-01 02:00",
                    "2021-01-04 02:00",
                ],
                every(Period::Weekly, 3),
                utc,
                vec!["2020-12-27 02:00", "2021-01-01 02:00", "2021-01-04 02:00"],
            ),
            (
                "UTC: 22:00 and 23:30 are one day, 01:00 the next",
                vec!["2026-03-10 22:00", "2026-03-10 23:30", "2026-03-11 01:00"],
                every(Period::Daily, 2),
                utc,
                vec!["2026-03-10 23:30", "2026-03-11 01:00"],
            ),
            (
                "+02:00: all three are on 11 March",
                vec!["2026-03-10 22:00", "2026-03-10 23:30", "2026-03-11 01:00"],
                every(Period::Daily, 2),
                zone("+02:00"),
                vec!["2026-03-11 01:00"],
            ),
            (
                "-05:00: all three are on 10 March",
                vec!["2026-03-10 22:00", "2026-03-10 23:30", "2026-03-11 01:00"],
                every(Period::Daily, 2),
                zone("-05:00"),
                vec!["2026-03-11 01:00"],
            ),
            (
                "+01:00 moves a New Year's Eve backup into the new year",
                vec!["2025-12-31 12:00", "2025-12-31 23:30", "2026-06-01 02:00"],
                every(Period::Yearly, 2),
                zone("+01:00"),
                vec!["2025-12-31 12:00", "2026-06-01 02:00"],
            ),
        ];
        for (what, times, policy, zone, want) in cases {
            assert_eq!(kept(&times, &policy, zone), want, "{what}");
        }
    }

    #[test]
    fn bucket_labels_follow_the_zone() {
        let s = snaps(&["2026-03-10 23:30"]);
        assert_eq!(
            reasons(&s, &every(Period::Daily, 1), Zone::Utc),
            ["daily 2026-03-10"]
        );
        assert_eq!(
            reasons(&s, &every(Period::Daily, 1), zone("+02:00")),
            ["daily 2026-03-11"]
        );
        assert_eq!(
            reasons(&s, &every(Period::Hourly, 1), zone("-05:30")),
            ["hourly 2026-03-10T18"]
        );
        let s = snaps(&["2021-01-01 02:00"]);
        assert_eq!(
            reasons(&s, &every(Period::Weekly, 1), Zone::Utc),
            ["weekly 2020-W53"]
        );
    }

    #[test]
    fn keep_within_counts_back_from_the_newest_snapshot() {
        let utc = Zone::Utc;
        // Exactly the span before the newest is outside, as in restic; a minute later is in.
        let times = [
            "2026-01-24 02:00",
            "2026-01-24 02:01",
            "2026-01-30 02:00",
            "2026-01-31 02:00",
        ];
        assert_eq!(kept(&times, &within("7d"), utc), &times[1..]);
        assert_eq!(kept(&times, &within("1w"), utc), &times[1..]);
        // The wall clock plays no part: old snapshots are measured against each other.
        let old = ["2001-01-01 00:00", "2001-01-01 11:00", "2001-01-01 13:00"];
        assert_eq!(kept(&old, &within("12h"), utc), &old[1..]);
        // Months are calendar months: one month before 31 March is 28 February.
        let march = ["2026-02-28 00:00", "2026-02-28 00:01", "2026-03-31 00:00"];
        assert_eq!(kept(&march, &within("1m"), utc), &march[1..]);
        let years = ["2024-07-01 00:00", "2024-07-01 00:01", "2026-01-01 00:00"];
        assert_eq!(kept(&years, &within("1y6m"), utc), &years[1..]);
        assert_eq!(
            reasons(&snaps(&years), &within("1y6m"), utc),
            ["", "within 1y6m", "within 1y6m"]
        );
    }

    #[test]
    fn keep_within_daily_keeps_the_newest_of_each_day_inside_the_span() {
        let policy = Policy {
            every_within: PerPeriod {
                daily: Some("3d".parse().unwrap()),
                ..PerPeriod::default()
            },
            ..Policy::default()
        };
        let s = snaps(&[
            "2026-01-27 23:00",
            "2026-01-28 01:00",
            "2026-01-28 23:00",
            "2026-01-29 10:00",
            "2026-01-30 09:00",
            "2026-01-31 01:00",
            "2026-01-31 02:00",
        ]);
        assert_eq!(
            reasons(&s, &policy, Zone::Utc),
            [
                "",
                "",
                "daily 2026-01-28 within 3d",
                "daily 2026-01-29 within 3d",
                "daily 2026-01-30 within 3d",
                "",
                "daily 2026-01-31 within 3d",
            ]
        );
    }

    #[test]
    fn keep_tag_keeps_any_listed_set_and_a_set_needs_all_its_tags() {
        let mut s = snaps(&[
            "2026-01-01 02:00",
            "2026-01-02 02:00",
            "2026-01-03 02:00",
            "2026-01-04 02:00",
        ]);
        s[0].tags = vec!["release".into()];
        s[1].tags = vec!["manual".into()];
        s[2].tags = vec!["manual".into(), "db".into()];
        let policy = Policy {
            tags: vec![vec!["release".into()], vec!["db".into(), "manual".into()]],
            ..Policy::default()
        };
        assert_eq!(
            reasons(&s, &policy, Zone::Utc),
            ["tag release", "", "tag db,manual", ""]
        );
    }

    #[test]
    fn rules_combine_and_every_reason_is_named() {
        let mut s = snaps(&[
            "2026-01-25 02:00",
            "2026-01-30 02:00",
            "2026-01-31 02:00",
            "2026-02-01 02:00",
            "2026-02-01 03:00",
        ]);
        s[1].tags = vec!["release".into()];
        let policy = Policy {
            last: 1,
            every: PerPeriod {
                daily: 2,
                weekly: 2,
                monthly: 2,
                ..PerPeriod::default()
            },
            within: Some("1d".parse().unwrap()),
            tags: vec![vec!["release".into()]],
            ..Policy::default()
        };
        assert_eq!(
            reasons(&s, &policy, Zone::Utc),
            [
                "weekly 2026-W04",
                "tag release",
                "daily 2026-01-31; monthly 2026-01",
                "within 1d",
                "last; daily 2026-02-01; weekly 2026-W05; monthly 2026-02; within 1d",
            ]
        );
    }

    #[test]
    fn equal_times_prefer_the_later_input() {
        let times = ["2026-01-01 02:00", "2026-01-01 02:00"];
        let d = decide(
            &snaps(&times),
            &Policy {
                last: 1,
                ..Policy::default()
            },
            Zone::Utc,
        );
        assert_eq!(d.iter().map(|d| d.keep).collect::<Vec<_>>(), [false, true]);
    }

    #[test]
    fn spans_parse_and_print() {
        for (text, shown) in [
            ("30d", "30d"),
            ("2w", "2w"),
            ("1y6m", "1y6m"),
            ("12h", "12h"),
            ("1d1d", "2d"),
            ("1h2y", "2y1h"),
        ] {
            let span: Span = text.parse().unwrap_or_else(|e| panic!("{text}: {e}"));
            assert_eq!(span.to_string(), shown);
        }
        for bad in ["", "d", "5", "0d", "3x", "1.5d", "-1d", "99999999999d"] {
            assert!(bad.parse::<Span>().is_err(), "{bad:?} parsed");
        }
        let e = "3x".parse::<Span>().unwrap_err().to_string();
        assert!(e.contains("units are y, m, w, d and h"), "{e}");
    }

    #[test]
    fn zones_parse() {
        let east = |s| Zone::Fixed(FixedOffset::east_opt(s).unwrap());
        for (text, want) in [
            ("UTC", Zone::Utc),
            ("utc", Zone::Utc),
            ("Z", Zone::Utc),
            ("local", Zone::Local),
            ("+02:00", east(7200)),
            ("-0530", east(-19800)),
            ("+2", east(7200)),
            ("-11", east(-39600)),
        ] {
            assert_eq!(text.parse::<Zone>(), Ok(want), "{text}");
        }
        for bad in [
            "",
            "+",
            "02:00",
            "+24:00",
            "+01:60",
            "+1:2:3",
            "Europe/Paris",
        ] {
            assert!(bad.parse::<Zone>().is_err(), "{bad:?} parsed");
        }
    }
}
