//! Tables whose columns are as wide as their widest cell, so long host names and tags
//! push the columns after them instead of breaking the alignment.

use std::io::{self, Write};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    Left,
    Right,
}

pub struct Table {
    aligns: Vec<Align>,
    rows: Vec<Vec<String>>,
}

impl Table {
    /// A table with these column headers; the first row is the header.
    pub fn new(columns: &[(&str, Align)]) -> Table {
        Table {
            aligns: columns.iter().map(|(_, a)| *a).collect(),
            rows: vec![columns.iter().map(|(h, _)| h.to_string()).collect()],
        }
    }

    pub fn row(&mut self, cells: Vec<String>) {
        debug_assert_eq!(cells.len(), self.aligns.len());
        self.rows.push(cells);
    }

    pub fn write(&self, out: &mut impl Write) -> io::Result<()> {
        let width = |c: &String| c.chars().count();
        let widths: Vec<usize> = (0..self.aligns.len())
            .map(|i| self.rows.iter().map(|r| width(&r[i])).max().unwrap_or(0))
            .collect();
        for row in &self.rows {
            let mut line = String::new();
            for (i, cell) in row.iter().enumerate() {
                if i > 0 {
                    line.push_str("  ");
                }
                let pad = " ".repeat(widths[i] - width(cell));
                match self.aligns[i] {
                    Align::Left => {
                        line.push_str(cell);
                        line.push_str(&pad);
                    }
                    Align::Right => {
                        line.push_str(&pad);
                        line.push_str(cell);
                    }
                }
            }
            writeln!(out, "{}", line.trim_end())?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_fit_their_widest_cell() {
        let mut t = Table::new(&[
            ("host", Align::Left),
            ("size", Align::Right),
            ("x", Align::Left),
        ]);
        t.row(vec![
            "a-very-long-host-name".into(),
            "1 B".into(),
            "p".into(),
        ]);
        t.row(vec!["h".into(), "10.0 KiB".into(), "".into()]);
        let mut out = Vec::new();
        t.write(&mut out).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "host                       size  x\n\
             a-very-long-host-name       1 B  p\n\
             h                      10.0 KiB\n"
        );
    }
}
