//! Names shown so that every name reads back as exactly one sequence of bytes: a file
//! name may hold any byte but `/` and NUL, including newlines and bytes that are not
//! UTF-8, which printed as they are would forge or merge lines and lose bytes.
//!
//! A backslash is doubled; `\n`, `\t` and `\r` are written so; other control
//! characters and bytes that are not UTF-8 become `\xNN` (one per byte). Everything
//! else is printed as it is.

use std::borrow::Cow;
use std::fmt::Write;

pub fn bytes(raw: &[u8]) -> Cow<'_, str> {
    match std::str::from_utf8(raw) {
        Ok(s) if !s.chars().any(needs_escape) => Cow::Borrowed(s),
        _ => {
            let mut out = String::with_capacity(raw.len() + 8);
            for chunk in raw.utf8_chunks() {
                for c in chunk.valid().chars() {
                    match c {
                        '\\' => out.push_str("\\\\"),
                        '\n' => out.push_str("\\n"),
                        '\t' => out.push_str("\\t"),
                        '\r' => out.push_str("\\r"),
                        c if c.is_control() => {
                            let mut buf = [0u8; 4];
                            for b in c.encode_utf8(&mut buf).bytes() {
                                let _ = write!(out, "\\x{b:02x}");
                            }
                        }
                        c => out.push(c),
                    }
                }
                for b in chunk.invalid() {
                    let _ = write!(out, "\\x{b:02x}");
                }
            }
            Cow::Owned(out)
        }
    }
}

fn needs_escape(c: char) -> bool {
    c == '\\' || c.is_control()
}

#[cfg(test)]
mod tests {
    use super::bytes;

    #[test]
    fn each_name_has_one_form() {
        assert_eq!(bytes(b"plain name.txt"), "plain name.txt");
        assert_eq!(bytes("café".as_bytes()), "café");
        assert_eq!(bytes(b"caf\xe9"), "caf\\xe9");
        assert_eq!(bytes(b"two\nlines"), "two\\nlines");
        assert_eq!(bytes(b"back\\slash"), "back\\\\slash");
        // The escape of a byte and the byte spelt out differ.
        assert_ne!(bytes(b"\xe9"), bytes(b"\\xe9"));
        assert_eq!(bytes(b"\x1b[31m\x7f"), "\\x1b[31m\\x7f");
        assert_eq!(bytes("\u{85}".as_bytes()), "\\xc2\\x85");
    }
}
