//! Where patterns come from: command-line lists and pattern files (`--exclude-file`),
//! gathered in the order that `!` patterns follow.

use std::path::{Path, PathBuf};

use super::{Pattern, PatternSpec};

/// The patterns of one kind from the command line or a profile, in the order that
/// `!` patterns follow: `plain`, the lines of `files`, then the case-insensitive ones.
pub fn gather(
    plain: &[String],
    files: &[PathBuf],
    ignore_case: &[String],
    ignore_case_files: &[PathBuf],
) -> Result<Vec<PatternSpec>, String> {
    let mut specs = PatternSpec::all(plain, false);
    for f in files {
        specs.extend(read_file(f, false)?);
    }
    specs.extend(PatternSpec::all(ignore_case, true));
    for f in ignore_case_files {
        specs.extend(read_file(f, true)?);
    }
    Ok(specs)
}

/// Reads a pattern file: one pattern per line; blank lines and lines starting with `#`
/// are skipped, leading and trailing blanks trimmed, `$VAR`/`${VAR}` replaced by the
/// variable's value (an unset variable is an error: an empty one would turn
/// `$HOME/.cache` into `/.cache` and exclude the wrong thing).
pub fn read_file(path: &Path, ignore_case: bool) -> Result<Vec<PatternSpec>, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("pattern file {}: {e}", path.display()))?;
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let at = || format!("{}, line {}", path.display(), i + 1);
        let text = expand_vars(line).map_err(|e| format!("{}: {e}", at()))?;
        let spec = PatternSpec::new(text, ignore_case);
        Pattern::parse(&spec).map_err(|e| format!("{}: pattern {:?} {e}", at(), spec.text))?;
        out.push(spec);
    }
    Ok(out)
}

/// Replaces `$NAME` and `${NAME}`; a `$` not followed by a name stays, and `\$` is left
/// for the glob, where it stands for a literal `$`.
fn expand_vars(line: &str) -> Result<String, String> {
    let mut out = String::with_capacity(line.len());
    let mut rest = line;
    while let Some(i) = rest.find(['$', '\\']) {
        out.push_str(&rest[..i]);
        let tail = &rest[i..];
        if let Some(escaped) = tail.strip_prefix('\\') {
            let n = escaped.chars().next().map_or(0, char::len_utf8);
            out.push_str(&tail[..1 + n]);
            rest = &escaped[n..];
            continue;
        }
        let after = &tail[1..];
        let (name, used) = match after.strip_prefix('{') {
            Some(b) => match b.find('}') {
                Some(end) => (&b[..end], end + 2),
                None => return Err("`${` without its `}`".into()),
            },
            None => {
                let end = after
                    .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                    .unwrap_or(after.len());
                (&after[..end], end)
            }
        };
        if name.is_empty() {
            out.push('$');
            rest = after;
            continue;
        }
        let value = std::env::var(name).map_err(|_| format!("variable ${name} is not set"))?;
        out.push_str(&value);
        rest = &after[used..];
    }
    out.push_str(rest);
    Ok(out)
}
