//! What gets read: file trees (with excludes) and byte streams (stdin, a command's
//! output). Sources know nothing about repositories or encryption.

pub mod command;
pub mod dir;
pub mod exclude;
pub mod holes;
pub mod list;
pub mod readahead;
