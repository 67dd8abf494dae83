//! The rows of fixtures/patterns/cases.txt, the one table of pattern rules that the
//! matcher's unit tests (src/pattern/tests.rs) and the CLI tests (tests/patterns.rs)
//! both check, so the two cannot drift apart.

use std::path::Path;

/// One row: patterns (in order), a path, and whether the patterns match it.
pub struct Case {
    pub ignore_case: bool,
    pub patterns: Vec<String>,
    pub path: String,
    pub matches: bool,
    pub line: usize,
}

pub fn cases() -> Vec<Case> {
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/patterns/cases.txt");
    let text = std::fs::read_to_string(file).unwrap();
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let cols: Vec<&str> = line.split('\t').filter(|c| !c.is_empty()).collect();
        let [case, patterns, path, matches] = cols[..] else {
            panic!("cases.txt line {}: want 4 columns: {line:?}", i + 1);
        };
        out.push(Case {
            ignore_case: case == "i",
            patterns: patterns.split(" | ").map(str::to_string).collect(),
            path: path.to_string(),
            matches: matches == "yes",
            line: i + 1,
        });
    }
    out
}
