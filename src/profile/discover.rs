//! Where profiles are found: an explicit directory (`--config`/`CAIRN_CONFIG_DIR`), then
//! the user's (`$XDG_CONFIG_HOME/cairn/profiles`, `~/.config/cairn/profiles`), then the
//! system's (`/etc/cairn/profiles`). The first directory holding `NAME.toml` wins, so a
//! user can shadow a system profile while testing it.

use std::path::{Path, PathBuf};

use super::{valid_name, ProfileError, Result};

pub fn search_dirs(config_dir: Option<&Path>) -> Vec<PathBuf> {
    let mut dirs = Vec::new();
    if let Some(d) = config_dir {
        dirs.push(d.to_path_buf());
    }
    let user = std::env::var_os("XDG_CONFIG_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME")
                .filter(|v| !v.is_empty())
                .map(|h| PathBuf::from(h).join(".config"))
        });
    if let Some(u) = user {
        dirs.push(u.join("cairn").join("profiles"));
    }
    dirs.push(PathBuf::from("/etc/cairn/profiles"));
    dirs
}

/// A name (`app`) or a path to a file (`./app.toml`, `/srv/app/cairn.toml`).
pub fn find(spec: &str, config_dir: Option<&Path>) -> Result<PathBuf> {
    if spec.contains('/') || spec.ends_with(".toml") {
        return Ok(PathBuf::from(spec));
    }
    let dirs = search_dirs(config_dir);
    if !valid_name(spec) {
        return Err(ProfileError::Invalid {
            path: spec.to_string(),
            msg: "a profile name may hold only letters, digits, '-', '_' and '.'".into(),
        });
    }
    for d in &dirs {
        let p = d.join(format!("{spec}.toml"));
        if p.is_file() {
            return Ok(p);
        }
    }
    Err(ProfileError::NotFound {
        name: spec.to_string(),
        searched: dirs
            .iter()
            .map(|d| d.display().to_string())
            .collect::<Vec<_>>()
            .join(", "),
    })
}

/// Every profile visible by name, sorted, each from the directory that wins for it.
pub fn list(config_dir: Option<&Path>) -> Vec<(String, PathBuf)> {
    let mut found: Vec<(String, PathBuf)> = Vec::new();
    for d in search_dirs(config_dir) {
        let Ok(rd) = std::fs::read_dir(&d) else {
            continue;
        };
        let mut here: Vec<(String, PathBuf)> = rd
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "toml") && p.is_file())
            .filter_map(|p| {
                let name = p.file_stem()?.to_str()?.to_string();
                valid_name(&name).then_some((name, p))
            })
            .filter(|(n, _)| !found.iter().any(|(f, _)| f == n))
            .collect();
        found.append(&mut here);
    }
    found.sort();
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_directory_wins_and_paths_pass_through() {
        let a = tempfile::tempdir().unwrap();
        let b = tempfile::tempdir().unwrap();
        std::fs::write(a.path().join("app.toml"), "").unwrap();
        std::fs::write(a.path().join("notes.txt"), "").unwrap();
        assert_eq!(
            find("app", Some(a.path())).unwrap(),
            a.path().join("app.toml")
        );
        assert_eq!(find("./x.toml", None).unwrap(), PathBuf::from("./x.toml"));
        let e = find("missing", Some(b.path())).unwrap_err().to_string();
        assert!(
            e.contains("missing") && e.contains("/etc/cairn/profiles"),
            "{e}"
        );
        let names: Vec<String> = list(Some(a.path())).into_iter().map(|(n, _)| n).collect();
        assert!(names.contains(&"app".to_string()));
        assert!(!names.iter().any(|n| n == "notes"));
    }
}
