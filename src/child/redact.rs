//! How a command line appears in messages. Commands are written with their secrets in
//! them (`PGPASSWORD=x pg_dump`, `postgresql://app:pw@db/app`, `--password=x`), and a
//! message naming one may end in a cron mail, a chat channel or a hook's `CAIRN_ERROR`.
//!
//! The line is split into words as `sh` would (quotes, backslashes, `;|&()`), and these
//! values become `***`: every `NAME=value` word (an assignment, also after `env` or
//! inside a quoted `sh -c "…"` or conninfo string), the value of a long option whose name
//! says password, secret, token or key, and the password of a URL's userinfo. Words are
//! redacted where they stand, so the rest of the line keeps its spelling.

/// A character after quote removal, with the byte offset in the line it came from.
type Ch = (char, usize);

/// A word with its quotes removed; `start` is the byte offset of its first raw character
/// (a quote, a backslash or the first of `chars`), `end` the byte after its last.
struct Word {
    chars: Vec<Ch>,
    start: usize,
    end: usize,
}

impl Word {
    fn text(&self) -> String {
        self.chars.iter().map(|c| c.0).collect()
    }

    /// Whether the first `n` characters stand in the line as written, without quotes or
    /// backslashes among them.
    fn plain_prefix(&self, n: usize) -> bool {
        let mut at = self.start;
        self.chars[..n.min(self.chars.len())]
            .iter()
            .all(|&(c, pos)| {
                let ok = pos == at;
                at = pos + c.len_utf8();
                ok
            })
    }

    /// The char index of the `=` of a `NAME=value` word; as for `sh`, a quoted name
    /// makes no assignment.
    fn assignment(&self) -> Option<usize> {
        let eq = self.chars.iter().position(|c| c.0 == '=')?;
        let name = &self.chars[..eq];
        let first = name.first()?.0;
        let ok = (first.is_ascii_alphabetic() || first == '_')
            && name
                .iter()
                .all(|c| c.0.is_ascii_alphanumeric() || c.0 == '_');
        (ok && self.plain_prefix(eq + 1)).then_some(eq)
    }
}

/// A secret value: its byte range in the line and its text.
struct Span {
    start: usize,
    end: usize,
    value: String,
}

/// Quoted words are split again this deep: `sh -c "env A='b c' x"` is three levels.
const MAX_DEPTH: usize = 3;

/// Option names that take a secret: `--password`, `--db-passwd`, `--api-token`, `--key`.
const SECRET_OPTIONS: [&str; 6] = ["pass", "pwd", "secret", "token", "key", "credential"];

/// Values shorter than this are not searched for in other text: replacing every `a` of
/// a message garbles it, and so short a value protects nothing.
const MIN_SCRUBBED: usize = 4;

/// `line` as messages show it, with every secret value replaced by `***`.
pub fn display(line: &str) -> String {
    let mut spans = spans(line);
    spans.sort_by_key(|s| (s.start, s.end));
    let mut out = String::with_capacity(line.len());
    let mut at = 0;
    for s in spans {
        if s.start >= at {
            out.push_str(&line[at..s.start]);
            out.push_str("***");
        }
        at = at.max(s.end);
    }
    out.push_str(&line[at..]);
    out
}

/// The start of `line` up to the program it runs (`PGPASSWORD=*** pg_dump`), redacted:
/// how messages name a command, since its arguments may hold secrets no rule knows.
pub fn head(line: &str) -> String {
    let words = words(&chars(line));
    let program = words
        .iter()
        .find(|w| w.assignment().is_none() && w.text() != "env");
    match program {
        Some(w) => display(&line[..w.end]),
        None => display(line),
    }
}

/// Replaces the secret values of some command lines wherever they occur in a text, for
/// what those commands print (`sh: PGPASSWORD=x: not found`) or errors that quote them.
#[derive(Debug, Clone, Default)]
pub struct Scrubber(Vec<String>);

impl Scrubber {
    pub fn of<'a>(lines: impl IntoIterator<Item = &'a str>) -> Scrubber {
        let mut values: Vec<String> = lines
            .into_iter()
            .flat_map(spans)
            .map(|s| s.value)
            .filter(|v| v.chars().count() >= MIN_SCRUBBED)
            .collect();
        // Longest first, so a value that contains another is replaced whole.
        values.sort_by_key(|v| std::cmp::Reverse(v.len()));
        values.dedup();
        Scrubber(values)
    }

    pub fn scrub(&self, text: &str) -> String {
        self.0
            .iter()
            .fold(text.to_string(), |t, v| t.replace(v.as_str(), "***"))
    }
}

fn chars(line: &str) -> Vec<Ch> {
    line.char_indices().map(|(i, c)| (c, i)).collect()
}

fn spans(line: &str) -> Vec<Span> {
    let mut out = Vec::new();
    secrets_in(&words(&chars(line)), 0, &mut out);
    out
}

/// Splits as `sh` does, without expanding anything.
fn words(line: &[Ch]) -> Vec<Word> {
    let mut out = Vec::new();
    let mut cur: Option<Word> = None;
    let mut quote: Option<char> = None;
    let mut it = line.iter().copied().peekable();
    while let Some((c, pos)) = it.next() {
        let end = pos + c.len_utf8();
        let escaped = c == '\\' && quote != Some('\'') && it.peek().is_some();
        match (quote, c) {
            _ if escaped => {
                let next = it.next().expect("peeked");
                let w = open_word(&mut cur, pos, end);
                w.chars.push(next);
                w.end = next.1 + next.0.len_utf8();
            }
            (Some(q), _) if c == q => {
                quote = None;
                open_word(&mut cur, pos, end).end = end;
            }
            (None, '\'' | '"') => {
                quote = Some(c);
                open_word(&mut cur, pos, end).end = end;
            }
            (None, _) if c.is_whitespace() || ";|&()".contains(c) => {
                out.extend(cur.take());
            }
            _ => {
                let w = open_word(&mut cur, pos, end);
                w.chars.push((c, pos));
                w.end = end;
            }
        }
    }
    out.extend(cur);
    out
}

/// The word being read, or a new one starting at `pos`.
fn open_word(cur: &mut Option<Word>, pos: usize, end: usize) -> &mut Word {
    cur.get_or_insert_with(|| Word {
        chars: Vec::new(),
        start: pos,
        end,
    })
}

fn secrets_in(words: &[Word], depth: usize, out: &mut Vec<Span>) {
    let mut skip_next = false;
    for (i, w) in words.iter().enumerate() {
        if std::mem::take(&mut skip_next) {
            continue;
        }
        let t = w.text();
        if let Some(eq) = w.assignment() {
            push(out, &w.chars[eq + 1..]);
        } else if let Some(name) = t.strip_prefix("--") {
            let (name, value) = match name.split_once('=') {
                // The char index of the `=` in the whole word, after the `--`.
                Some((n, _)) => (n, Some(2 + n.chars().count())),
                None => (name, None),
            };
            if secret_option(name) {
                match (value, words.get(i + 1)) {
                    (Some(eq), _) => push(out, &w.chars[eq + 1..]),
                    // `--no-password --verbose`: an option is no value.
                    (None, Some(next)) if next.chars.first().is_some_and(|c| c.0 != '-') => {
                        push(out, &next.chars);
                        skip_next = true;
                    }
                    (None, _) => {}
                }
            }
        }
        if let Some(pw) = url_password(&t) {
            push(out, &w.chars[pw]);
        }
        // A quoted string may be a command line of its own (`sh -c "A=b x"`) or a
        // conninfo (`'host=db password=x'`): its words are searched as well.
        if depth < MAX_DEPTH && !w.plain_prefix(w.chars.len()) {
            secrets_in(&self::words(&w.chars), depth + 1, out);
        }
    }
}

fn push(out: &mut Vec<Span>, value: &[Ch]) {
    let (Some(first), Some(last)) = (value.first(), value.last()) else {
        return;
    };
    out.push(Span {
        start: first.1,
        end: last.1 + last.0.len_utf8(),
        value: value.iter().map(|c| c.0).collect(),
    });
}

fn secret_option(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    SECRET_OPTIONS.iter().any(|s| name.contains(s))
}

/// The char range of the password in `scheme://user:password@host…`.
fn url_password(word: &str) -> Option<std::ops::Range<usize>> {
    let cs: Vec<char> = word.chars().collect();
    let after = cs.windows(3).position(|w| w == [':', '/', '/'])? + 3;
    let authority_end = cs[after..]
        .iter()
        .position(|&c| c == '/')
        .map_or(cs.len(), |p| after + p);
    let at = cs[after..authority_end].iter().rposition(|&c| c == '@')? + after;
    let colon = cs[after..at].iter().position(|&c| c == ':')? + after;
    (colon + 1 < at).then_some(colon + 1..at)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_redacts_each_kind_of_secret() {
        for (line, shown) in [
            ("pg_dump -Fc app", "pg_dump -Fc app"),
            ("PGPASSWORD=x pg_dump app", "PGPASSWORD=*** pg_dump app"),
            ("A=1 B='two words' cmd", "A=*** B='***' cmd"),
            (
                "env PGPASSWORD=\"p w\" pg_dump",
                "env PGPASSWORD=\"***\" pg_dump",
            ),
            (
                "cd /x && MYSQL_PWD=pw mysqldump",
                "cd /x && MYSQL_PWD=*** mysqldump",
            ),
            ("a;TOKEN=t b", "a;TOKEN=*** b"),
            (
                "sh -c 'PGPASSWORD=sec pg_dump -d app'",
                "sh -c 'PGPASSWORD=*** pg_dump -d app'",
            ),
            ("sh -c \"env X='a b' y\"", "sh -c \"env X='***' y\""),
            (
                "pg_dump 'host=db password=pw dbname=app'",
                "pg_dump 'host=*** password=*** dbname=***'",
            ),
            ("tool --password=hunter2 -v", "tool --password=*** -v"),
            ("tool --password hunter2 -v", "tool --password *** -v"),
            ("tool --api-token 'a b' -v", "tool --api-token '***' -v"),
            ("tool --port 5432", "tool --port 5432"),
            (
                "pg_dump --no-password --verbose app",
                "pg_dump --no-password --verbose app",
            ),
            (
                "pg_dump postgresql://app:pw@db:5432/app",
                "pg_dump postgresql://app:***@db:5432/app",
            ),
            (
                "curl https://user@host/a:b@c",
                "curl https://user@host/a:b@c",
            ),
            ("x --url=s3://k:s@h/b", "x --url=s3://k:***@h/b"),
            ("echo \\\"A=b\\\"", "echo \\\"A=***\\\""),
            ("PW=é€ cmd", "PW=*** cmd"),
            ("unterminated 'A=b", "unterminated 'A=***"),
            ("", ""),
        ] {
            assert_eq!(display(line), shown, "{line:?}");
        }
    }

    #[test]
    fn head_stops_at_the_program() {
        for (line, want) in [
            ("pg_dump -Fc --password=x app", "pg_dump"),
            (
                "PGPASSWORD=sekrit pg_dump -Fc app",
                "PGPASSWORD=*** pg_dump",
            ),
            ("env A=b /usr/bin/pg_dump x", "env A=*** /usr/bin/pg_dump"),
            ("A=b", "A=***"),
        ] {
            assert_eq!(head(line), want, "{line:?}");
        }
    }

    #[test]
    fn scrubber_replaces_values_in_other_text() {
        let s = Scrubber::of([
            "PGPASSWORD=sekrit1 sh -c 'echo $PGPASSWORD'",
            "X=ab pg_dump postgresql://u:longer-sekrit1@db/app",
        ]);
        assert_eq!(
            s.scrub("sh: sekrit1, longer-sekrit1 and ab"),
            "sh: ***, *** and ab"
        );
        assert_eq!(Scrubber::default().scrub("as is"), "as is");
    }
}
