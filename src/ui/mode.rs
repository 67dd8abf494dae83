//! File modes as `ls -l` writes them: a type letter, then rwx for user, group and
//! others, with setuid/setgid shown as `s`/`S` and the sticky bit as `t`/`T`.

use crate::repo::tree::NodeKind;

pub fn type_letter(kind: NodeKind) -> char {
    match kind {
        NodeKind::File => '-',
        NodeKind::Dir => 'd',
        NodeKind::Symlink => 'l',
        NodeKind::Fifo => 'p',
        NodeKind::Socket => 's',
        NodeKind::CharDev => 'c',
        NodeKind::BlockDev => 'b',
    }
}

/// `drwxr-xr-x`, `-rwsr-x---`, `drwxrwxrwt`.
pub fn symbolic(kind: NodeKind, mode: u32) -> String {
    let mut s = String::with_capacity(10);
    s.push(type_letter(kind));
    // (read, write, execute bits of the class, the special bit shown in its x place,
    // its letter when x is also set)
    let classes = [
        (0o400, 0o200, 0o100, 0o4000, 's'),
        (0o040, 0o020, 0o010, 0o2000, 's'),
        (0o004, 0o002, 0o001, 0o1000, 't'),
    ];
    for (r, w, x, special, letter) in classes {
        s.push(if mode & r != 0 { 'r' } else { '-' });
        s.push(if mode & w != 0 { 'w' } else { '-' });
        s.push(match (mode & special != 0, mode & x != 0) {
            (true, true) => letter,
            (true, false) => letter.to_ascii_uppercase(),
            (false, true) => 'x',
            (false, false) => '-',
        });
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes_read_like_ls() {
        assert_eq!(symbolic(NodeKind::Dir, 0o755), "drwxr-xr-x");
        assert_eq!(symbolic(NodeKind::File, 0o644), "-rw-r--r--");
        assert_eq!(symbolic(NodeKind::File, 0o4750), "-rwsr-x---");
        assert_eq!(symbolic(NodeKind::File, 0o2640), "-rw-r-S---");
        assert_eq!(symbolic(NodeKind::Dir, 0o1777), "drwxrwxrwt");
        assert_eq!(symbolic(NodeKind::Dir, 0o1770), "drwxrwx--T");
        assert_eq!(symbolic(NodeKind::Symlink, 0o777), "lrwxrwxrwx");
        assert_eq!(symbolic(NodeKind::Fifo, 0o600), "prw-------");
        assert_eq!(symbolic(NodeKind::CharDev, 0o666), "crw-rw-rw-");
        assert_eq!(symbolic(NodeKind::BlockDev, 0o660), "brw-rw----");
    }
}
