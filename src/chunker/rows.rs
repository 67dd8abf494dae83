//! Cut points at row ends, for dumps (`Chunker::with_rows`; why: the module doc of
//! `chunker`, and docs/FORMAT.md "Chunking").

use super::Chunker;

/// Every byte `\n`, and the constants of the has-a-zero-byte test on a u64.
const NEWLINES: u64 = 0x0a0a_0a0a_0a0a_0a0a;
const LOW_BITS: u64 = 0x0101_0101_0101_0101;
const HIGH_BITS: u64 = 0x8080_8080_8080_8080;

impl Chunker {
    /// The end of the first line past `min` whose keyed hash picks it. If none does
    /// before `max`, the line end whose hash came closest (so the cut still depends on
    /// content, and still falls between rows); `None` if no line ends in the window.
    pub(super) fn cut_at_row(&self, data: &[u8]) -> Option<usize> {
        let (min, max) = (self.sizes.min as usize, self.sizes.max as usize);
        if data.len() <= min {
            return Some(data.len());
        }
        let avg = u64::from(self.sizes.avg);
        let gear = &self.gear[..256];
        let (mut h, mut line_start) = (0u64, 0usize);
        // (end, hash, length) of the best candidate: the smallest hash / length.
        let mut best: Option<(usize, u64, u64)> = None;
        let end = data.len().min(max);
        let mut i = 0;
        while i < end {
            // Eight bytes without a newline at once: rotation distributes over XOR, so
            // the lookups are independent and the chain of dependent steps is short.
            if let Some(w) = data.get(i..i + 8).filter(|_| i + 8 <= end) {
                let x = u64::from_le_bytes(w.try_into().expect("8 bytes")) ^ NEWLINES;
                if x.wrapping_sub(LOW_BITS) & !x & HIGH_BITS == 0 {
                    h = h.rotate_left(8)
                        ^ (gear[w[0] as usize].rotate_left(7) ^ gear[w[1] as usize].rotate_left(6))
                        ^ (gear[w[2] as usize].rotate_left(5) ^ gear[w[3] as usize].rotate_left(4))
                        ^ (gear[w[4] as usize].rotate_left(3) ^ gear[w[5] as usize].rotate_left(2))
                        ^ (gear[w[6] as usize].rotate_left(1) ^ gear[w[7] as usize]);
                    i += 8;
                    continue;
                }
            }
            let b = data[i];
            // Rotating, not shifting: every byte of the line counts, not just its last 64.
            h = h.rotate_left(1) ^ gear[b as usize];
            if b == b'\n' {
                if i + 1 >= min {
                    // P(cut) = line length / avg, so chunks average `avg` bytes past `min`.
                    let (x, len) = (h >> 32, (i + 1 - line_start) as u64);
                    if x * avg < len << 32 {
                        return Some(i + 1);
                    }
                    if best.is_none_or(|(_, bx, blen)| x * blen < bx * len) {
                        best = Some((i + 1, x, len));
                    }
                }
                h = 0;
                line_start = i + 1;
            }
            i += 1;
        }
        let best = best.map(|(end, _, _)| end)?;
        // Short of `max` only at the end of the input: the rest is one chunk.
        Some(if data.len() < max { data.len() } else { best })
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{keyed, lengths, pseudo_random};
    use super::super::*;

    /// Rows shaped like a pgbench accounts table: mostly blanks, which give a rolling
    /// byte hash few cut points.
    fn blank_rows(n: usize, changed: impl Fn(usize) -> bool) -> Vec<u8> {
        let mut out = Vec::new();
        for i in 0..n {
            let balance = if changed(i) { 7 } else { 0 };
            out.extend_from_slice(format!("{i}\t{}\t{balance}\t{:84}\n", i / 1000, "").as_bytes());
        }
        out
    }

    fn rows(sizes: ChunkSizes) -> Chunker {
        keyed(sizes, 5).with_rows(true)
    }

    fn chunks(c: &Chunker, data: &[u8]) -> Vec<Vec<u8>> {
        let mut v = Vec::new();
        c.for_each_chunk(data, |ch| {
            v.push(ch.to_vec());
            Ok(())
        })
        .unwrap();
        v
    }

    #[test]
    fn row_cuts_end_at_line_ends_and_keep_their_average() {
        let data = blank_rows(100_000, |_| false);
        let s = ChunkSizes::STREAM;
        let got = chunks(&rows(s), &data);
        assert_eq!(got.concat(), data);
        assert!(got.iter().all(|c| c.ends_with(b"\n")));
        let body = &got[..got.len() - 1];
        assert!(body
            .iter()
            .all(|c| c.len() >= s.min as usize && c.len() <= s.max as usize));
        // Past `min`, a cut follows every `avg` bytes on average.
        let mean = data.len() / got.len();
        let expected = (s.min + s.avg) as usize;
        assert!(
            mean > expected * 2 / 3 && mean < expected * 3 / 2,
            "mean {mean}"
        );
        // A byte-wise rolling hash finds far fewer cut points in the same rows.
        assert!(lengths(&keyed(s, 5), &data).len() * 3 / 2 < got.len());
    }

    /// The eight-bytes-at-once loop cuts exactly where hashing byte by byte does.
    #[test]
    fn row_cuts_match_the_byte_by_byte_rule() {
        let c = rows(ChunkSizes::STREAM);
        let s = ChunkSizes::STREAM;
        let reference = |data: &[u8]| -> Option<usize> {
            let (min, max, avg) = (s.min as usize, s.max as usize, u64::from(s.avg));
            if data.len() <= min {
                return Some(data.len());
            }
            let (mut h, mut start, mut best) = (0u64, 0usize, None::<(usize, u64, u64)>);
            for (i, &b) in data[..data.len().min(max)].iter().enumerate() {
                h = h.rotate_left(1) ^ c.gear[b as usize];
                if b == b'\n' {
                    let (x, len) = (h >> 32, (i + 1 - start) as u64);
                    if i + 1 >= min {
                        if x * avg < len << 32 {
                            return Some(i + 1);
                        }
                        if best.is_none_or(|(_, bx, bl)| x * bl < bx * len) {
                            best = Some((i + 1, x, len));
                        }
                    }
                    h = 0;
                    start = i + 1;
                }
            }
            let best = best?.0;
            Some(if data.len() < max { data.len() } else { best })
        };
        // Lines of random length (1 to 600 bytes), so newlines fall anywhere in a word.
        let noise = pseudo_random(3_000_000, 23);
        let mut text = Vec::new();
        for (i, &b) in noise.iter().enumerate() {
            text.push(if u32::from(b) * 600 < 256 * (1 + (i % 7) as u32) {
                b'\n'
            } else {
                b | 0x20
            });
        }
        let mut at = 0;
        while at < text.len() {
            let window = &text[at..(at + 2 * s.max as usize).min(text.len())];
            let got = c.cut_at_row(window);
            assert_eq!(got, reference(window), "at {at}");
            at += got.unwrap_or(window.len()).max(1);
        }
    }

    #[test]
    fn a_changed_row_changes_only_its_chunk() {
        let day1 = blank_rows(60_000, |_| false);
        let day2 = blank_rows(60_000, |i| i == 31_337);
        let c = rows(ChunkSizes::STREAM);
        let (a, b) = (chunks(&c, &day1), chunks(&c, &day2));
        let new = b.iter().filter(|ch| !a.contains(ch)).count();
        assert!(new <= 2, "{new} new chunks");
    }

    #[test]
    fn rows_fall_back_to_byte_cuts_without_lines() {
        let data = pseudo_random(2_000_000, 17);
        let s = ChunkSizes::STREAM;
        // Noise has a newline every 256 bytes; without any, the byte-wise cuts apply.
        let no_lines: Vec<u8> = data.iter().map(|&b| b | 0x80).collect();
        assert_eq!(
            lengths(&rows(s), &no_lines),
            lengths(&keyed(s, 5), &no_lines)
        );
        let got = chunks(&rows(s), &data);
        assert_eq!(got.concat(), data);
        assert!(got[..got.len() - 1]
            .iter()
            .all(|c| c.len() >= s.min as usize && c.len() <= s.max as usize));
    }
}
