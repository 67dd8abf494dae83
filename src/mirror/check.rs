//! Step 4's comparison of a restored database with its manifest.
//!
//! A table whose manifest count is exact must hold exactly that many rows after the
//! restore (counted before the scrub, which may cut tables on purpose). A table whose
//! count is the planner's estimate (large tables, docs/DATABASES.md) must exist; its rows
//! are not compared, since an estimate can be off either way by any amount.

use crate::db::TableRows;

/// What the target found of one manifest table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Found {
    Missing,
    /// Present; its rows were not counted (the manifest's count is an estimate).
    Present,
    Rows(u64),
}

/// What the target finds of `tables`, the same way on every engine: `present` says
/// whether a table exists; the exact ones are then counted in one query, the UNION ALL
/// of `count(i, table)` (each selecting `i` and the table's count), which `run` runs and
/// whose output lines are `i`, `sep`, count.
pub fn find<E>(
    tables: &[TableRows],
    present: impl Fn(&TableRows) -> bool,
    count: impl Fn(usize, &TableRows) -> String,
    sep: char,
    run: impl FnOnce(String) -> Result<String, E>,
    bad_line: impl Fn(String) -> E,
) -> Result<Vec<Found>, E> {
    let mut found: Vec<Found> = tables
        .iter()
        .map(|t| match present(t) {
            false => Found::Missing,
            true => Found::Present,
        })
        .collect();
    let counted: Vec<String> = tables
        .iter()
        .enumerate()
        .filter(|(i, t)| t.exact && found[*i] == Found::Present)
        .map(|(i, t)| count(i, t))
        .collect();
    if counted.is_empty() {
        return Ok(found);
    }
    for line in run(counted.join("\nUNION ALL "))?.lines() {
        let parsed = line
            .split_once(sep)
            .and_then(|(i, n)| Some((i.parse::<usize>().ok()?, n.parse::<u64>().ok()?)));
        match parsed {
            Some((i, n)) if i < found.len() => found[i] = Found::Rows(n),
            _ => return Err(bad_line(format!("unexpected row count line {line:?}"))),
        }
    }
    Ok(found)
}

#[derive(Debug, Default, PartialEq, Eq)]
pub struct Counts {
    /// Tables whose rows matched the manifest.
    pub exact: u64,
    /// Tables present, with estimated counts in the manifest.
    pub present: u64,
}

/// Compares; the error names the first table that differs and how many do.
pub fn compare(manifest: &[TableRows], found: &[Found]) -> Result<Counts, String> {
    assert_eq!(manifest.len(), found.len(), "one finding per table");
    let mut counts = Counts::default();
    let mut problems = Vec::new();
    for (t, f) in manifest.iter().zip(found) {
        let name = format!("{}.{}", t.schema, t.name);
        match (*f, t.exact) {
            (Found::Missing, _) => problems.push(format!("table {name} is missing")),
            (Found::Rows(n), true) if n == t.rows => counts.exact += 1,
            (Found::Rows(n), true) => problems.push(format!(
                "table {name} has {n} rows, the manifest says {}",
                t.rows
            )),
            (Found::Rows(_) | Found::Present, false) => counts.present += 1,
            (Found::Present, true) => {
                problems.push(format!("table {name} was not counted (internal error)"))
            }
        }
    }
    match problems.as_slice() {
        [] => Ok(counts),
        [one] => Err(one.clone()),
        [first, rest @ ..] => Err(format!(
            "{first} (and {} more tables differ from the manifest)",
            rest.len()
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(name: &str, rows: u64, exact: bool) -> TableRows {
        TableRows {
            schema: "public".into(),
            name: name.into(),
            rows,
            exact,
        }
    }

    #[test]
    fn exact_counts_must_match_and_estimates_only_exist() {
        let m = [t("a", 3, true), t("big", 1_000_000, false)];
        assert_eq!(
            compare(&m, &[Found::Rows(3), Found::Present]),
            Ok(Counts {
                exact: 1,
                present: 1
            })
        );
        assert_eq!(
            compare(&m, &[Found::Rows(2), Found::Present]).unwrap_err(),
            "table public.a has 2 rows, the manifest says 3"
        );
        assert_eq!(
            compare(&m, &[Found::Rows(3), Found::Missing]).unwrap_err(),
            "table public.big is missing"
        );
        let e = compare(&m, &[Found::Missing, Found::Missing]).unwrap_err();
        assert_eq!(
            e,
            "table public.a is missing (and 1 more tables differ from the manifest)"
        );
    }
}
