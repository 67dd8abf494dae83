//! Reading a sparse file without reading its holes.
//!
//! A hole reads back as zeros, but reading it still costs the kernel a page of zeros
//! copied per page: most of the time of backing up a 50 GB file with a few megabytes
//! in it. Here the holes (found with `SEEK_DATA`/`SEEK_HOLE`) are zero-filled in
//! memory and only the data is read. The bytes are the same either way.

use std::fs::File;
use std::io::{self, Read};
use std::os::unix::fs::FileExt;

use rustix::fs::SeekFrom;
use rustix::io::Errno;

pub struct Holes {
    file: File,
    pos: u64,
    /// The data segment at or after `pos` (`start..end`); `pos < start` is a hole.
    start: u64,
    end: u64,
}

impl Holes {
    /// Reads `file` from offset `pos` on.
    pub fn new(file: File, pos: u64) -> Holes {
        Holes {
            file,
            pos,
            start: pos,
            end: pos,
        }
    }

    /// Finds the data segment at or after `pos`; `false` at the end of the file.
    fn next_segment(&mut self) -> io::Result<bool> {
        match rustix::fs::seek(&self.file, SeekFrom::Data(self.pos)) {
            Ok(start) => {
                self.start = start;
                self.end = rustix::fs::seek(&self.file, SeekFrom::Hole(start))?;
            }
            // No data after `pos`: a hole up to the end, or the end itself.
            Err(Errno::NXIO) => {
                let size = self.file.metadata()?.len();
                (self.start, self.end) = (size, size);
                return Ok(self.pos < size);
            }
            // A file system without hole lookups: everything is data.
            Err(Errno::INVAL | Errno::OPNOTSUPP) => (self.start, self.end) = (self.pos, u64::MAX),
            Err(e) => return Err(e.into()),
        }
        Ok(true)
    }
}

impl Read for Holes {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        if self.pos >= self.end && !self.next_segment()? {
            return Ok(0);
        }
        let n = if self.pos < self.start {
            let n = buf.len().min((self.start - self.pos) as usize);
            buf[..n].fill(0);
            n
        } else {
            let n = buf
                .len()
                .min((self.end - self.pos).min(usize::MAX as u64) as usize);
            let n = self.file.read_at(&mut buf[..n], self.pos)?;
            if n == 0 {
                // Shrunk while read: the end, as a plain read would say.
                self.end = self.pos;
                return Ok(0);
            }
            n
        };
        self.pos += n as u64;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_all(f: File, from: u64) -> Vec<u8> {
        let mut out = Vec::new();
        let mut r = Holes::new(f, from);
        let mut buf = vec![0u8; 3000];
        loop {
            let n = r.read(&mut buf).unwrap();
            if n == 0 {
                return out;
            }
            out.extend_from_slice(&buf[..n]);
        }
    }

    #[test]
    fn reads_what_a_plain_read_reads() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("sparse");
        let f = File::create(&p).unwrap();
        f.set_len(1 << 20).unwrap();
        f.write_all_at(b"middle", 300_000).unwrap();
        f.write_all_at(b"start", 0).unwrap();
        let plain = std::fs::read(&p).unwrap();
        assert_eq!(read_all(File::open(&p).unwrap(), 0), plain);
        assert_eq!(read_all(File::open(&p).unwrap(), 7), plain[7..]);
        // Data at the very end, and a file of holes only.
        f.write_all_at(b"end", (1 << 20) - 3).unwrap();
        assert_eq!(
            read_all(File::open(&p).unwrap(), 0),
            std::fs::read(&p).unwrap()
        );
        f.set_len(0).unwrap();
        f.set_len(10_000).unwrap();
        assert_eq!(read_all(File::open(&p).unwrap(), 0), vec![0u8; 10_000]);
    }
}
