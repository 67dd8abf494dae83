//! The paper recovery sheet: one plain-text page for the safe that holds everything a
//! bare machine needs besides the binary and storage credentials, and the way back from
//! that page (or a scan of it) to a key file.
//!
//! The armored block carries its own CRC-24, so a page typed in again with a mistake is
//! refused rather than read as another key.

/// What the sheet says about a repository, when one was given.
pub struct RepoFacts {
    /// The location as cairn shows it (credentials stripped).
    pub location: String,
    /// The config's signer: what a reader pins (`--trust-signer`).
    pub signer: String,
    pub recipients: Vec<String>,
    /// The config generation (recipient changes): a machine that restores from the
    /// sheet can tell a replayed older list from it.
    pub generation: u64,
}

pub struct Sheet<'a> {
    pub fingerprint: &'a str,
    pub user_ids: &'a [String],
    pub protected: bool,
    pub armored_secret: &'a str,
    pub repo: Option<RepoFacts>,
    pub printed: String,
}

const BEGIN: &str = "-----BEGIN PGP PRIVATE KEY BLOCK-----";
const END: &str = "-----END PGP PRIVATE KEY BLOCK-----";

/// Single quotes for a shell, so a location with spaces is one argument.
fn sh_quote(s: &str) -> String {
    if !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"/._-:+@=,".contains(&b))
    {
        return s.to_string();
    }
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// What the restorer must provide for storage, by the location's scheme.
fn credentials_hint(location: &str) -> &'static str {
    if location.starts_with("s3://") {
        "S3 credentials: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_ENDPOINT_URL\n  or --s3-endpoint for a store other than AWS), or an AWS profile."
    } else if location.starts_with("swift://") {
        "Swift credentials: source the project's openrc file (OS_* variables), or set\n  OS_CLOUD with a clouds.yaml, or ST_AUTH/ST_USER/ST_KEY."
    } else {
        "A directory: mount the backup disk (or copy the repository) at this path first."
    }
}

impl Sheet<'_> {
    pub fn render(&self) -> String {
        let mut s = String::new();
        let mut line = |t: &str| {
            s.push_str(t);
            s.push('\n');
        };
        line("CAIRN RECOVERY SHEET -- keep it in a safe; whoever holds it can read the backups");
        line(&format!("printed:          {}", self.printed));
        line(&format!("key fingerprint:  {}", self.fingerprint));
        for u in self.user_ids {
            line(&format!("user id:          {u}"));
        }
        line(&format!(
            "passphrase:       {}",
            if self.protected {
                "yes (NOT on this sheet: keep it apart)"
            } else {
                "none (this sheet alone unlocks the key)"
            }
        ));
        let (repo, pin) = match &self.repo {
            Some(r) => {
                line(&format!("repository:       {}", r.location));
                line(&format!("signer pin:       {}", r.signer));
                line(&format!(
                    "config generation: {} (a repository showing a lower one was rolled back)",
                    r.generation
                ));
                for f in &r.recipients {
                    line(&format!("recipient:        {f}"));
                }
                (sh_quote(&r.location), r.signer.clone())
            }
            None => {
                line("repository:       (not given; write it here) ______________________________");
                line("signer pin:       (the repository's signing key fingerprint) ______________");
                ("REPO".to_string(), "SIGNER".to_string())
            }
        };
        line("");
        line("RESTORE ON A BARE MACHINE (only the cairn binary is needed; no gpg, no config):");
        line("1. Type or scan this page into sheet.txt (the key block below is enough).");
        line(&format!(
            "2. {}",
            self.repo.as_ref().map_or(
                "Storage credentials for the repository (S3, Swift, or the disk).",
                |r| credentials_hint(&r.location)
            )
        ));
        line("3. Run:");
        line("   cairn key import-paper sheet.txt --out recovery.key");
        line(&format!(
            "   cairn -r {repo} -k recovery.key --trust-signer {pin} snapshots"
        ));
        line(&format!(
            "   cairn -r {repo} -k recovery.key --trust-signer {pin} restore latest --target restored"
        ));
        line("   (add --host H, --tag T or --path P to pick another snapshot's group; a");
        line("   passphrase is asked on the terminal, or read from CAIRN_PASSPHRASE_FILE)");
        line("Without cairn: docs/RECOVERY.md part 3 (gpg, zstd and contrib/recover.py).");
        line("");
        s.push_str(self.armored_secret.trim_end());
        s.push('\n');
        s
    }
}

/// The armored secret key inside a page (the sheet, or anything else that holds exactly
/// one such block); `None` when there is none.
pub fn armored_key(page: &str) -> Option<String> {
    let start = page.find(BEGIN)?;
    let end = page[start..].find(END)? + start + END.len();
    // A scan or a retyped page may have indented lines or trailing blanks; armor does not.
    let block: Vec<&str> = page[start..end].lines().map(str::trim).collect();
    Some(block.join("\n") + "\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_block_comes_back_from_an_indented_page() {
        let page = format!("notes\n   {BEGIN}\n\n   abc=\n   =crc\n   {END}   \nmore\n");
        assert_eq!(
            armored_key(&page).unwrap(),
            format!("{BEGIN}\n\nabc=\n=crc\n{END}\n")
        );
        assert!(armored_key("no key here").is_none());
        assert!(armored_key(&format!("{BEGIN}\nabc")).is_none());
    }

    #[test]
    fn locations_are_quoted_for_the_shell() {
        assert_eq!(sh_quote("s3://b/p"), "s3://b/p");
        assert_eq!(sh_quote("/mnt/my disk"), "'/mnt/my disk'");
        assert_eq!(sh_quote("it's"), r"'it'\''s'");
    }
}
