//! User and group names for `ls -l`, from this machine's /etc/passwd and /etc/group:
//! a snapshot stores numbers, and a number with no name here is shown as the number,
//! as `ls` does. Read once per listing, not once per file.

use std::collections::HashMap;
use std::path::Path;

pub struct Names {
    users: HashMap<u32, String>,
    groups: HashMap<u32, String>,
}

impl Names {
    pub fn of_this_machine() -> Names {
        Names {
            users: read_db(Path::new("/etc/passwd")),
            groups: read_db(Path::new("/etc/group")),
        }
    }

    pub fn user(&self, uid: u32) -> String {
        self.users
            .get(&uid)
            .cloned()
            .unwrap_or_else(|| uid.to_string())
    }

    pub fn group(&self, gid: u32) -> String {
        self.groups
            .get(&gid)
            .cloned()
            .unwrap_or_else(|| gid.to_string())
    }
}

/// `name:password:id:…` lines; the first name of an id wins, as with getpwuid.
fn read_db(path: &Path) -> HashMap<u32, String> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    parse_db(&text)
}

fn parse_db(text: &str) -> HashMap<u32, String> {
    let mut map = HashMap::new();
    for line in text.lines() {
        let mut fields = line.split(':');
        let (Some(name), Some(_), Some(id)) = (fields.next(), fields.next(), fields.next()) else {
            continue;
        };
        if let (false, Ok(id)) = (name.is_empty() || name.starts_with('#'), id.parse()) {
            map.entry(id).or_insert_with(|| name.to_string());
        }
    }
    map
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_map_to_their_first_name() {
        let db =
            parse_db("root:x:0:0:root:/root:/bin/bash\n# note\ntoor:x:0:\nbad\nwww:x:33:33::/:\n");
        assert_eq!(db.get(&0).map(String::as_str), Some("root"));
        assert_eq!(db.get(&33).map(String::as_str), Some("www"));
        assert_eq!(db.len(), 2);
    }
}
