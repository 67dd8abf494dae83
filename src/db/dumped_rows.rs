//! Row counts read from a mariadb-dump/mysqldump stream as it passes into the
//! repository.
//!
//! PostgreSQL can count rows in the very snapshot pg_dump reads; MariaDB cannot share a
//! `--single-transaction` snapshot with another session, so counts taken beside the dump
//! would disagree with it whenever the database is written to meanwhile, and a mirror
//! of a busy server would then fail its row check. Counting the rows the dump itself
//! holds is exact for every table, costs the server nothing, and is what a restore of
//! that dump will contain.
//!
//! The dump's shape is fixed by the options cairn passes (`--add-locks`, extended
//! inserts, no `--complete-insert`): every base table's data sits between
//! `LOCK TABLES `t` WRITE;` and `UNLOCK TABLES;` lines (an empty table too), as
//! `INSERT INTO `t` VALUES (…),(…);` statements. Only lines inside such a section are
//! looked at, so a routine or trigger body that happens to say `INSERT INTO` counts
//! nothing (stored programs cannot use `LOCK TABLES`). Values never hold a raw newline
//! (the dump escapes it as `\n`), but the counter does not rely on that: it follows
//! quotes and backslash escapes byte by byte, carrying its state across reads.

use std::io::{self, Read};
use std::sync::{Arc, Mutex};

const LOCK: &[u8] = b"LOCK TABLES `";
const UNLOCK: &[u8] = b"UNLOCK TABLES;";
const INSERT: &[u8] = b"INSERT INTO `";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// At the start of a line; `matched` bytes of the line agree with a keyword so far.
    LineStart { matched: usize },
    /// In a backquoted table name after `LOCK TABLES` (`lock`) or `INSERT INTO`.
    Name { lock: bool },
    /// Just read a backquote inside a name: the end, or the first of a doubled one.
    NameTick { lock: bool },
    /// In an INSERT's values, `depth` parentheses deep.
    Values { depth: u32 },
    /// In a quoted string inside the values.
    Str { depth: u32 },
    /// After a backslash in a string.
    Escape { depth: u32 },
    /// After a quote in a string: the end, or the first of a doubled one.
    StrQuote { depth: u32 },
    /// Nothing to look at until the end of the line.
    Skip,
}

/// Tables in dump order with their rows.
#[derive(Debug)]
pub struct RowCounter {
    state: State,
    /// The line so far, while it may still be one of the keywords (they differ at their
    /// first byte, so the one that matched is known from the first).
    first: u8,
    name: Vec<u8>,
    /// The table whose `LOCK TABLES` section we are in.
    section: Option<usize>,
    /// The INSERT being read is for the section's table.
    counting: bool,
    tables: Vec<(String, u64)>,
    /// The last bytes seen, for [`RowCounter::completed`].
    tail: Vec<u8>,
}

impl Default for RowCounter {
    fn default() -> RowCounter {
        RowCounter {
            state: State::LineStart { matched: 0 },
            first: 0,
            name: Vec::new(),
            section: None,
            counting: false,
            tables: Vec::new(),
            tail: Vec::new(),
        }
    }
}

/// mariadb-dump and mysqldump end every dump that finished with this line.
const COMPLETED: &[u8] = b"-- Dump completed";
const TAIL: usize = 128;

impl RowCounter {
    pub fn feed(&mut self, bytes: &[u8]) {
        let mut i = 0;
        while i < bytes.len() {
            // Runs of bytes that leave the state as it is (most of a dump: the inside of
            // strings and numbers, lines outside INSERTs) are passed over in one scan.
            let rest = &bytes[i..];
            let next = match self.state {
                State::Skip => rest.iter().position(|&b| b == b'\n'),
                State::Str { .. } => rest.iter().position(|&b| b == b'\\' || b == b'\''),
                State::Values { .. } => rest
                    .iter()
                    .position(|&b| matches!(b, b'(' | b')' | b'\'' | b';')),
                _ => Some(0),
            };
            let Some(n) = next else { break };
            i += n;
            self.state = self.step(bytes[i]);
            i += 1;
        }
        let keep = &bytes[bytes.len().saturating_sub(TAIL)..];
        self.tail.extend_from_slice(keep);
        let excess = self.tail.len().saturating_sub(TAIL);
        self.tail.drain(..excess);
    }

    /// Whether the stream so far ends with the dump tool's closing line: a dump cut
    /// short by anything but the tool's own failure (which its exit status tells)
    /// does not.
    pub fn completed(&self) -> bool {
        let end = self.tail.trim_ascii_end();
        let last = match end.iter().rposition(|&b| b == b'\n') {
            Some(i) => &end[i + 1..],
            None => end,
        };
        last.starts_with(COMPLETED)
    }

    /// Tables in the order the dump holds them, with the rows of their INSERTs.
    pub fn tables(&self) -> &[(String, u64)] {
        &self.tables
    }

    fn step(&mut self, b: u8) -> State {
        use State::*;
        match self.state {
            LineStart { matched } => self.line_start(matched, b),
            Skip => {
                if b == b'\n' {
                    LineStart { matched: 0 }
                } else {
                    Skip
                }
            }
            Name { lock } => {
                if b == b'`' {
                    NameTick { lock }
                } else {
                    self.name.push(b);
                    Name { lock }
                }
            }
            NameTick { lock } => {
                if b == b'`' {
                    self.name.push(b);
                    return Name { lock };
                }
                let name = String::from_utf8_lossy(&std::mem::take(&mut self.name)).into_owned();
                if lock {
                    self.tables.push((name, 0));
                    self.section = Some(self.tables.len() - 1);
                    return if b == b'\n' {
                        LineStart { matched: 0 }
                    } else {
                        Skip
                    };
                }
                self.counting = self.section.is_some_and(|i| self.tables[i].0 == name);
                self.values(0, b)
            }
            Values { depth } => self.values(depth, b),
            Str { depth } => match b {
                b'\\' => Escape { depth },
                b'\'' => StrQuote { depth },
                _ => Str { depth },
            },
            Escape { depth } => Str { depth },
            StrQuote { depth } => {
                if b == b'\'' {
                    Str { depth }
                } else {
                    self.values(depth, b)
                }
            }
        }
    }

    fn line_start(&mut self, matched: usize, b: u8) -> State {
        if b == b'\n' {
            return State::LineStart { matched: 0 };
        }
        if matched == 0 {
            self.first = b;
        }
        let keyword = match self.first {
            b'L' => LOCK,
            b'U' => UNLOCK,
            b'I' if self.section.is_some() => INSERT,
            _ => return State::Skip,
        };
        if keyword[matched] != b {
            return State::Skip;
        }
        if matched + 1 < keyword.len() {
            return State::LineStart {
                matched: matched + 1,
            };
        }
        match self.first {
            b'L' => State::Name { lock: true },
            b'I' => State::Name { lock: false },
            _ => {
                self.section = None;
                State::Skip
            }
        }
    }

    /// One byte of an INSERT's values; a `(` at depth 0 starts a row.
    fn values(&mut self, depth: u32, b: u8) -> State {
        use State::*;
        match b {
            b'(' => {
                if depth == 0 && self.counting {
                    if let Some(i) = self.section {
                        self.tables[i].1 += 1;
                    }
                }
                Values { depth: depth + 1 }
            }
            b')' => Values {
                depth: depth.saturating_sub(1),
            },
            b'\'' => Str { depth },
            b';' if depth == 0 => Skip,
            _ => Values { depth },
        }
    }
}

/// Passes a dump through unchanged, counting its rows into a [`RowCounter`] the caller
/// keeps a handle to (the reader itself goes into the repository's stream writer).
pub struct CountingReader<R> {
    inner: R,
    counter: Arc<Mutex<RowCounter>>,
}

impl<R: Read> CountingReader<R> {
    pub fn new(inner: R) -> (CountingReader<R>, Arc<Mutex<RowCounter>>) {
        let counter = Arc::new(Mutex::new(RowCounter::default()));
        (
            CountingReader {
                inner,
                counter: counter.clone(),
            },
            counter,
        )
    }
}

impl<R: Read> Read for CountingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.counter.lock().unwrap().feed(&buf[..n]);
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The shape of a real mariadb-dump 10.11 output (trimmed), with the hard cases:
    /// parentheses, quotes, escapes and `),(` inside strings, a doubled backquote in a
    /// name, an empty table, a view, and INSERTs in a routine body.
    const DUMP: &str = r#"/*M!999999\- enable the sandbox mode */
-- MariaDB dump 10.19  Distrib 10.11.19-MariaDB
DROP TABLE IF EXISTS `big_orders`;
/*!50001 CREATE VIEW `big_orders` AS SELECT
 NULL AS `id` */;
CREATE TABLE `customers` (
  `id` int(11) NOT NULL AUTO_INCREMENT,
  PRIMARY KEY (`id`)
) ENGINE=InnoDB;
LOCK TABLES `customers` WRITE;
/*!40000 ALTER TABLE `customers` DISABLE KEYS */;
INSERT INTO `customers` VALUES
(1,'Zoë','line1\nline2 (paren) \'quote\' \\ back','\0\n\r\''),
(2,'Łukasz',NULL,NULL),
(3,'日本','),(','it''s');
INSERT INTO `customers` VALUES (4,'x',NULL,NULL),(5,'y',NULL,NULL);
/*!40000 ALTER TABLE `customers` ENABLE KEYS */;
UNLOCK TABLES;
LOCK TABLES `empty_t` WRITE;
UNLOCK TABLES;
LOCK TABLES `we``ird` WRITE;
INSERT INTO `we``ird` VALUES
(1),
(2);
UNLOCK TABLES;
DELIMITER ;;
CREATE DEFINER=`root`@`127.0.0.1` PROCEDURE `p`()
BEGIN
INSERT INTO `customers` VALUES (9,'z',NULL,NULL);
END ;;
DELIMITER ;
-- Dump completed
"#;

    fn counted(pieces: &[&[u8]]) -> Vec<(String, u64)> {
        let mut c = RowCounter::default();
        for p in pieces {
            c.feed(p);
        }
        c.tables().to_vec()
    }

    fn expected() -> Vec<(String, u64)> {
        vec![
            ("customers".into(), 5),
            ("empty_t".into(), 0),
            ("we`ird".into(), 2),
        ]
    }

    #[test]
    fn counts_rows_per_table() {
        assert_eq!(counted(&[DUMP.as_bytes()]), expected());
    }

    #[test]
    fn a_dump_without_its_closing_line_is_not_complete() {
        let mut c = RowCounter::default();
        c.feed(DUMP.as_bytes());
        assert!(c.completed());
        let cut = DUMP.find("DELIMITER").unwrap();
        let mut c = RowCounter::default();
        c.feed(&DUMP.as_bytes()[..cut]);
        assert!(!c.completed());
        let mut c = RowCounter::default();
        c.feed(b"-- Dump completed on 2026-12-03 22:00:00\n");
        assert!(c.completed());
    }

    #[test]
    fn any_split_of_the_stream_gives_the_same_counts() {
        let bytes = DUMP.as_bytes();
        for at in 0..bytes.len() {
            let (a, b) = bytes.split_at(at);
            assert_eq!(counted(&[a, b]), expected(), "split at {at}");
        }
        let singles: Vec<&[u8]> = bytes.chunks(1).collect();
        assert_eq!(counted(&singles), expected());
    }

    #[test]
    fn the_reader_passes_bytes_through() {
        let (mut r, counter) = CountingReader::new(DUMP.as_bytes());
        let mut out = Vec::new();
        r.read_to_end(&mut out).unwrap();
        assert_eq!(out, DUMP.as_bytes());
        assert_eq!(counter.lock().unwrap().tables(), expected().as_slice());
    }
}
