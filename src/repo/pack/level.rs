//! The zstd level data is compressed at: the repository's `compression_level`, or
//! level 1 where a sample of the same thread's recent data shows level 1 is no larger.
//!
//! Which level is smaller depends on the data, not only on the level: on text of
//! random numbers (a dump of sensor readings) level 1 came out 11% smaller and ~45%
//! faster than level 3, whose lazy matching spends its time on matches that do not
//! pay there, while on pgbench's blank-padded rows level 3 is 5% smaller at the same
//! speed (docs/BENCHMARKS.md, "zstd level by sample"). So the configured level is a
//! bound on size, not a rule: one data compression in `SAMPLE_EVERY` on each thread
//! is done at both levels, the smaller result is kept, and its level serves the calls
//! until the next sample. Readers do not care: every level writes standard frames.

use std::cell::Cell;

use super::compress;

/// The faster level tried against the configured one.
pub const FAST: i32 = 1;

/// Compressions between two samples (tune): 1 in 16 compressed twice costs ~6% more
/// compression time at worst, and a thread moving on to other data (the next file of a
/// tree) follows within 16 blobs or frames.
const SAMPLE_EVERY: u32 = 16;

thread_local! {
    /// (configured level, chosen level, calls left before the next sample).
    static CHOICE: Cell<(i32, i32, u32)> = const { Cell::new((0, 0, 0)) };
}

/// `raw` (data, a blob or a frame) compressed at the level chosen for this thread's
/// data, `level` at most: `None` when that does not shrink it, as `compress`.
pub fn compress_data(raw: &[u8], level: i32) -> Option<Vec<u8>> {
    if level <= FAST {
        return compress(raw, level);
    }
    let (for_level, chosen, left) = CHOICE.with(Cell::get);
    if for_level == level && left > 0 {
        CHOICE.with(|c| c.set((level, chosen, left - 1)));
        return compress(raw, chosen);
    }
    let slow = compress(raw, level);
    let fast = compress(raw, FAST);
    let size = |z: &Option<Vec<u8>>| z.as_ref().map_or(raw.len(), Vec::len);
    // Ties go to the faster level: same bytes, less time.
    let (chosen, out) = if size(&fast) <= size(&slow) {
        (FAST, fast)
    } else {
        (level, slow)
    };
    CHOICE.with(|c| c.set((level, chosen, SAMPLE_EVERY - 1)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn xorshift(x: &mut u64) -> u64 {
        *x ^= *x << 13;
        *x ^= *x >> 7;
        *x ^= *x << 17;
        *x
    }

    /// Rows of random readings, like the plain-text dump of the benchmark.
    fn readings(rows: u32) -> Vec<u8> {
        let mut x = 0x9e37_79b9_7f4a_7c15;
        let mut out = Vec::new();
        for i in 0..rows {
            let r = xorshift(&mut x);
            out.extend_from_slice(
                format!(
                    "{i}\t2026-12-04 {:02}:{:02}:{:02}\t{}.{:06}\tsensor-{}\n",
                    r % 24,
                    (r >> 8) % 60,
                    (r >> 16) % 60,
                    (r >> 24) % 1000,
                    (r >> 34) % 1_000_000,
                    (r >> 54) % 64
                )
                .as_bytes(),
            );
        }
        out
    }

    /// Prose of a small vocabulary, like the text bodies of a documents table.
    fn prose(words: u32) -> Vec<u8> {
        const VOCABULARY: [&str; 16] = [
            "backup", "restore", "snapshot", "archive", "index", "pack", "chunk", "the", "a", "of",
            "and", "to", "in", "is", "that", "with",
        ];
        let mut x = 0x2545_f491_4f6c_dd1d;
        let mut out = Vec::new();
        for _ in 0..words {
            out.extend_from_slice(VOCABULARY[(xorshift(&mut x) % 16) as usize].as_bytes());
            out.push(b' ');
        }
        out
    }

    fn len(z: Option<Vec<u8>>, raw: &[u8]) -> usize {
        z.map_or(raw.len(), |z| z.len())
    }

    /// After a change of data, the next sample (within `SAMPLE_EVERY` calls) picks the
    /// level that stores the new data smaller, and every call until the next change
    /// uses it.
    #[test]
    fn each_kind_of_data_gets_the_level_that_stores_it_smaller() {
        let text = readings(6000);
        let rows = prose(40_000);
        let at = |raw: &[u8], level| len(compress(raw, level), raw);
        assert!(
            at(&text, FAST) < at(&text, 3),
            "the premise: level 1 wins on readings"
        );
        assert!(
            at(&rows, 3) < at(&rows, FAST),
            "the premise: level 3 wins on prose"
        );
        for round in 0..3 {
            for (raw, best) in [(&text, at(&text, FAST)), (&rows, at(&rows, 3))] {
                for _ in 0..SAMPLE_EVERY {
                    let _ = compress_data(raw, 3);
                }
                for _ in 0..2 * SAMPLE_EVERY {
                    assert_eq!(len(compress_data(raw, 3), raw), best, "round {round}");
                }
            }
        }
    }

    /// The level chosen for one configured level is not used for another, and a
    /// configured level of 1 or below is used as it is.
    #[test]
    fn a_different_configured_level_samples_again() {
        let text = readings(6000);
        let _ = compress_data(&text, 3);
        assert_eq!(compress_data(&text, 19), {
            let (a, b) = (compress(&text, 19), compress(&text, FAST));
            if len(b.clone(), &text) <= len(a.clone(), &text) {
                b
            } else {
                a
            }
        });
        assert_eq!(compress_data(&text, -5), compress(&text, -5));
        assert_eq!(compress_data(&text, 1), compress(&text, 1));
    }

    /// Data no level shrinks is stored raw, as before.
    #[test]
    fn incompressible_data_is_stored_raw() {
        let mut x = 1;
        let noise: Vec<u8> = (0..100_000).map(|_| xorshift(&mut x) as u8).collect();
        for _ in 0..SAMPLE_EVERY + 2 {
            assert_eq!(compress_data(&noise, 3), None);
        }
    }
}
