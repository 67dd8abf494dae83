//! Recognising database dumps among the files of a tree by their first bytes.
//!
//! A dump written to disk every day changes in a few scattered rows; with the 1 MiB
//! chunks of file trees each change costs a whole chunk, with the small chunks of dump
//! streams only a few KiB. So a file that starts like a dump is chunked like a stream.

/// Bytes of a file's start that decide; enough for the longest header below.
pub const HEADER_LEN: usize = 64;

/// mariadb-dump (10.5.25 / 11.x and later) writes this line before its usual header.
const MARIADB_SANDBOX: &[u8] = b"/*M!999999\\- enable the sandbox mode */";

/// Whether `head` (a file's first bytes, at most `HEADER_LEN`) is the start of a
/// PostgreSQL custom/directory archive, a plain pg_dump SQL file or a MySQL/MariaDB dump.
pub fn is_dump(head: &[u8]) -> bool {
    if head.starts_with(b"PGDMP") || head.starts_with(b"--\n-- PostgreSQL database dump") {
        return true;
    }
    // The sandbox line may end in a space before its newline.
    let sql = match head.strip_prefix(MARIADB_SANDBOX) {
        Some(rest) => rest
            .iter()
            .position(|&b| b != b' ' && b != b'\r')
            .filter(|&i| rest[i] == b'\n')
            .map(|i| &rest[i + 1..]),
        None => Some(head),
    };
    sql.is_some_and(|s| s.starts_with(b"-- MySQL dump") || s.starts_with(b"-- MariaDB dump"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pg_dump_archive() {
        // Custom format: magic, then version bytes.
        assert!(is_dump(b"PGDMP\x01\x0f\x00\x04\x08\x01\x01\x01"));
    }

    #[test]
    fn pg_dump_plain_sql() {
        assert!(is_dump(
            b"--\n-- PostgreSQL database dump\n--\n\n-- Dumped from database version 15.8"
        ));
    }

    #[test]
    fn mysqldump() {
        assert!(is_dump(
            b"-- MySQL dump 10.13  Distrib 8.0.36, for Linux (x86_64)\n--\n"
        ));
    }

    #[test]
    fn mariadb_dump_with_and_without_sandbox_line() {
        assert!(is_dump(b"-- MariaDB dump 10.19  Distrib 10.11.6-MariaDB\n"));
        assert!(is_dump(
            b"/*M!999999\\- enable the sandbox mode */ \n-- MariaDB dump 10.19-11.4.2\n"
        ));
        assert!(is_dump(
            b"/*M!999999\\- enable the sandbox mode */\n-- MariaDB dump 10.19-11.4.2\n"
        ));
    }

    #[test]
    fn other_files_are_not_dumps() {
        assert!(!is_dump(b""));
        assert!(!is_dump(b"PGDM"));
        assert!(!is_dump(b"-- a hand-written SQL script\nSELECT 1;\n"));
        assert!(!is_dump(b"xPGDMP"));
        assert!(!is_dump(
            b"/*M!999999\\- enable the sandbox mode */\nSELECT 1;\n"
        ));
        assert!(!is_dump(b"\x89PNG\r\n\x1a\n"));
    }
}
