//! What a child inherits: cairn's environment minus the variables that unlock the key or
//! the store. `cairn backup --stdin-from env` would otherwise store `CAIRN_PASSPHRASE` in
//! the backup, and any hook could post `OS_PASSWORD` to wherever its output goes.
//!
//! The list names secrets and the paths that lead to them. Identifiers that are useless
//! alone (`AWS_ACCESS_KEY_ID`, `OS_USERNAME`, `OS_APPLICATION_CREDENTIAL_ID`) and ordinary
//! settings (`CAIRN_REPO`, `OS_AUTH_URL`) pass, so `aws` or `swift` in a hook still find
//! their endpoint; a profile's `pass_env` hands a withheld variable on by name.

use std::process::Command;

/// Withheld from every child unless passed by name; docs/OPERATIONS.md lists them too.
pub const WITHHELD: &[&str] = &[
    // cairn: the passphrase, where it is kept, and the key it unlocks.
    "CAIRN_PASSPHRASE",
    "CAIRN_PASSPHRASE_FILE",
    "CAIRN_NEW_PASSPHRASE_FILE",
    "CAIRN_KEY",
    // Swift: Keystone password and tokens, application credential secret, TempAuth key.
    "OS_PASSWORD",
    "OS_TOKEN",
    "OS_AUTH_TOKEN",
    "OS_APPLICATION_CREDENTIAL_SECRET",
    "ST_KEY",
    // S3.
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
];

/// Withheld variables a profile (`pass_env`) or `--pass-env` gives to its children on
/// purpose, e.g. `OS_PASSWORD` for a hook that runs `swift upload`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PassEnv(Vec<String>);

impl PassEnv {
    /// Refuses a name that is not withheld: passing it does nothing, so it is most
    /// likely a misspelling of one that is.
    pub fn new(names: Vec<String>) -> Result<PassEnv, String> {
        if let Some(n) = names.iter().find(|n| !WITHHELD.contains(&n.as_str())) {
            return Err(format!(
                "{n:?} is not withheld from commands and hooks, so it needs no passing \
                 (withheld: {})",
                WITHHELD.join(", ")
            ));
        }
        Ok(PassEnv(names))
    }

    fn passes(&self, name: &str) -> bool {
        self.0.iter().any(|n| n == name)
    }
}

/// Removes the withheld variables that `pass` does not name from what `cmd` inherits.
pub fn restrict<'c>(cmd: &'c mut Command, pass: &PassEnv) -> &'c mut Command {
    for name in WITHHELD.iter().filter(|n| !pass.passes(n)) {
        cmd.env_remove(name);
    }
    cmd
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The child's view, through a real `env`.
    fn seen_by_child(pass: &PassEnv) -> String {
        let mut c = Command::new("env");
        c.env("OS_PASSWORD", "os-pw")
            .env("CAIRN_PASSPHRASE", "horse")
            .env("AWS_SECRET_ACCESS_KEY", "aws-sk")
            .env("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
            .env("MY_VAR", "ordinary");
        let out = restrict(&mut c, pass).output().unwrap();
        String::from_utf8(out.stdout).unwrap()
    }

    #[test]
    fn secrets_are_withheld_and_the_rest_passes() {
        let env = seen_by_child(&PassEnv::default());
        for gone in ["os-pw", "horse", "aws-sk"] {
            assert!(!env.contains(gone), "{gone} reached the child:\n{env}");
        }
        assert!(env.contains("MY_VAR=ordinary\n"), "{env}");
        assert!(env.contains("AWS_ACCESS_KEY_ID=AKIDEXAMPLE\n"), "{env}");
    }

    #[test]
    fn a_named_variable_passes_on_purpose() {
        let pass = PassEnv::new(vec!["OS_PASSWORD".into()]).unwrap();
        let env = seen_by_child(&pass);
        assert!(env.contains("OS_PASSWORD=os-pw\n"), "{env}");
        assert!(!env.contains("horse"), "{env}");
    }

    #[test]
    fn passing_a_variable_that_is_not_withheld_is_refused() {
        let e = PassEnv::new(vec!["OS_PASWORD".into()]).unwrap_err();
        assert!(
            e.contains("\"OS_PASWORD\"") && e.contains("OS_PASSWORD"),
            "{e}"
        );
    }
}
