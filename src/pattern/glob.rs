//! Matching one path component against one pattern component, as Go's `filepath.Match`
//! does (which restic's patterns are made of): `*` any run of characters, `?` one
//! character, `[a-z]`/`[^a-z]`/`[!a-z]` a class, `\` escapes the next character. Names
//! are bytes, not always UTF-8: a byte that is not part of a valid UTF-8 sequence counts
//! as one character of its own that no class range contains.

/// Checks a component's syntax once, so matching never meets a broken pattern.
pub fn validate(p: &[u8]) -> Result<(), String> {
    let mut i = 0;
    while i < p.len() {
        match p[i] {
            b'\\' if i + 1 == p.len() => return Err("ends with a lone `\\`".into()),
            b'\\' => i += 2,
            b'[' => match class_len(&p[i..]) {
                Some(n) => i += n,
                None => return Err("has a `[` without its `]`".into()),
            },
            _ => i += 1,
        }
    }
    Ok(())
}

/// Whether the whole of `name` matches the component pattern `p`.
pub fn matches(p: &[u8], name: &[u8]) -> bool {
    let (mut pi, mut ni) = (0, 0);
    // Where the last `*` resumes: pattern position after it, name position it reached.
    let mut star: Option<(usize, usize)> = None;
    while ni < name.len() {
        if pi < p.len() {
            match p[pi] {
                b'*' => {
                    pi += 1;
                    star = Some((pi, ni));
                    continue;
                }
                b'?' => {
                    pi += 1;
                    ni += char_at(&name[ni..]).1;
                    continue;
                }
                b'[' => {
                    let (c, len) = char_at(&name[ni..]);
                    let (hit, plen) = class(&p[pi..], c);
                    if hit {
                        pi += plen;
                        ni += len;
                        continue;
                    }
                }
                b'\\' => {
                    if p[pi + 1] == name[ni] {
                        pi += 2;
                        ni += 1;
                        continue;
                    }
                }
                b => {
                    if b == name[ni] {
                        pi += 1;
                        ni += 1;
                        continue;
                    }
                }
            }
        }
        // Mismatch: let the last `*` swallow one more character and retry from there.
        match star {
            Some((sp, sn)) => {
                let sn = sn + char_at(&name[sn..]).1;
                star = Some((sp, sn));
                pi = sp;
                ni = sn;
            }
            None => return false,
        }
    }
    p[pi..].iter().all(|&b| b == b'*')
}

/// The character at the start of `s` (non-empty) and its length in bytes; an invalid
/// byte is a character above `char::MAX`, outside every range.
fn char_at(s: &[u8]) -> (u32, usize) {
    let invalid = (0x11_0000 + s[0] as u32, 1);
    let len = match s[0] {
        0x00..=0x7f => return (s[0] as u32, 1),
        0xc0..=0xdf => 2,
        0xe0..=0xef => 3,
        0xf0..=0xf7 => 4,
        _ => return invalid,
    };
    match s.get(..len).map(std::str::from_utf8) {
        Some(Ok(c)) => (c.chars().next().map_or(invalid.0, u32::from), len),
        _ => invalid,
    }
}

/// The length of the class starting at `p[0] == b'['`, `None` when it is not closed or
/// empty.
fn class_len(p: &[u8]) -> Option<usize> {
    let mut i = 1;
    if matches!(p.get(i), Some(b'^' | b'!')) {
        i += 1;
    }
    let first = i;
    while i < p.len() {
        match p[i] {
            b']' if i > first => return Some(i + 1),
            b'\\' => i += 2,
            _ => i += 1,
        }
    }
    None
}

/// Whether `c` is in the class at the start of `p`, and the class's length.
fn class(p: &[u8], c: u32) -> (bool, usize) {
    let len = class_len(p).expect("validated");
    let body = &p[1..len - 1];
    let (negated, mut body) = match body.first() {
        Some(b'^' | b'!') => (true, &body[1..]),
        _ => (false, body),
    };
    let mut hit = false;
    while !body.is_empty() {
        let (lo, n) = class_char(body);
        body = &body[n..];
        let hi = if body.len() > 1 && body[0] == b'-' {
            let (hi, n) = class_char(&body[1..]);
            body = &body[1 + n..];
            hi
        } else {
            lo
        };
        hit |= lo <= c && c <= hi;
    }
    (hit != negated, len)
}

fn class_char(p: &[u8]) -> (u32, usize) {
    if p[0] == b'\\' && p.len() > 1 {
        let (c, n) = char_at(&p[1..]);
        (c, n + 1)
    } else {
        char_at(p)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(p: &str, n: &str) -> bool {
        validate(p.as_bytes()).unwrap();
        matches(p.as_bytes(), n.as_bytes())
    }

    #[test]
    fn stars_questions_and_classes() {
        assert!(m("*", ".hidden"));
        assert!(m("*.txt", "a.txt"));
        assert!(!m("*.txt", "a.txt.bak"));
        assert!(m("a*b*c", "aXbYbZc"));
        assert!(!m("a*b*c", "aXbYbZ"));
        assert!(m("?.log", "é.log"), "? is one character, not one byte");
        assert!(!m("?.log", "ab.log"));
        assert!(m("[a-c]x", "bx"));
        assert!(!m("[^a-c]x", "bx"));
        assert!(m("[!a-c]x", "dx"));
        assert!(m("[é]", "é"));
        assert!(m(r"\*", "*"));
        assert!(!m(r"\*", "a"));
        assert!(m(r"[\]]", "]"));
        assert!(m("", ""));
        assert!(!m("", "a"));
    }

    #[test]
    fn names_that_are_not_utf8() {
        assert!(matches(b"a?c", b"a\xffc"));
        assert!(matches(b"*c", b"\xff\xfec"));
        assert!(!matches(b"[a-z]", b"\xff"));
    }

    #[test]
    fn broken_patterns_are_refused() {
        assert!(validate(b"a[").is_err());
        assert!(validate(b"[]").is_err());
        assert!(validate(b"a\\").is_err());
        assert!(
            validate(b"[]]").is_ok(),
            "a `]` first in a class is literal"
        );
    }
}
