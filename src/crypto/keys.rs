//! Key files: generating, loading (including what `gpg --export-secret-keys --armor`
//! writes, passphrase-protected or not) and exporting OpenPGP keys.

use std::path::Path;

use openpgp::cert::prelude::*;
use openpgp::crypto::{KeyPair, Password};
use openpgp::packet::key::{PublicParts, UnspecifiedRole};
use openpgp::packet::Key;
use openpgp::parse::Parse;
use openpgp::policy::StandardPolicy;
use openpgp::serialize::SerializeInto;
use openpgp::Cert;
use sequoia_openpgp as openpgp;

use super::Error;
use crate::secret::Secret;

pub(crate) fn policy() -> &'static StandardPolicy<'static> {
    static POLICY: StandardPolicy<'static> = StandardPolicy::new();
    &POLICY
}

/// The algorithm family of a generated key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyKind {
    Cv25519,
    Rsa4096,
}

/// A secret key ready to use: its signing key pair and its decryption key pairs
/// unlocked in memory.
pub struct Identity {
    cert: Cert,
    signer: KeyPair,
    decryptors: Vec<KeyPair>,
}

impl std::fmt::Debug for Identity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Identity({})", self.cert.fingerprint())
    }
}

impl Identity {
    pub fn cert(&self) -> &Cert {
        &self.cert
    }
    pub fn fingerprint(&self) -> String {
        self.cert.fingerprint().to_hex()
    }
    pub(crate) fn signer(&self) -> &KeyPair {
        &self.signer
    }
    pub(crate) fn decryptors(&self) -> &[KeyPair] {
        &self.decryptors
    }
    /// The public certificate, armored, as `gpg --import` reads it.
    pub fn public_armored(&self) -> Result<Vec<u8>, Error> {
        armored_public(&self.cert)
    }
}

pub fn armored_public(cert: &Cert) -> Result<Vec<u8>, Error> {
    cert.armored()
        .to_vec()
        .map_err(|e| Error::Key(format!("cannot serialise certificate: {e}")))
}

/// Makes a new certificate: a certification primary key, a signing subkey and an
/// encryption subkey (as `gpg --quick-generate-key` would), v4 so GnuPG 2.2 reads it.
pub fn generate(
    user_id: &str,
    kind: KeyKind,
    passphrase: Option<&Secret>,
) -> Result<Vec<u8>, Error> {
    let suite = match kind {
        KeyKind::Cv25519 => CipherSuite::Cv25519,
        KeyKind::Rsa4096 => CipherSuite::RSA4k,
    };
    let (cert, _rev) = CertBuilder::general_purpose(Some(user_id))
        .set_cipher_suite(suite)
        .set_profile(openpgp::Profile::RFC4880)
        .map_err(|e| Error::Key(e.to_string()))?
        .set_password(passphrase.map(|p| Password::from(p.expose())))
        .generate()
        .map_err(|e| Error::Key(format!("key generation failed: {e}")))?;
    export_secret(&cert)
}

/// Reads a key file without unlocking it.
pub fn read_cert(path: &Path) -> Result<Cert, Error> {
    let bytes = std::fs::read(path).map_err(|e| Error::Key(format!("{}: {e}", path.display())))?;
    Cert::from_bytes(&bytes).map_err(|_| {
        Error::Key(format!(
            "{}: not an OpenPGP key (expected an armored or binary key)",
            path.display()
        ))
    })
}

/// Whether any of the key's secret parts are protected by a passphrase.
pub fn needs_passphrase(cert: &Cert) -> bool {
    cert.keys()
        .secret()
        .any(|ka| ka.key().secret().is_encrypted())
}

/// Unlocks a secret key for signing and decryption.
pub fn unlock(cert: Cert, passphrase: Option<&Secret>, origin: &str) -> Result<Identity, Error> {
    if !cert.is_tsk() {
        return Err(Error::Key(format!(
            "{origin}: holds only a public key; a secret key is needed (cairn key export --secret, or gpg --export-secret-keys)"
        )));
    }
    let password = passphrase.map(|p| Password::from(p.expose()));
    let unlock_key = |key: Key<openpgp::packet::key::SecretParts, UnspecifiedRole>| {
        let key = if key.secret().is_encrypted() {
            let Some(pw) = password.as_ref() else {
                return Err(Error::Passphrase(format!(
                    "{origin}: key is passphrase-protected: set CAIRN_PASSPHRASE_FILE or CAIRN_PASSPHRASE, or run on a terminal"
                )));
            };
            key.decrypt_secret(pw)
                .map_err(|_| Error::Passphrase(format!("{origin}: wrong passphrase")))?
        } else {
            key
        };
        key.into_keypair()
            .map_err(|e| Error::Key(format!("{origin}: unusable secret key: {e}")))
    };

    let valid = cert
        .with_policy(policy(), None)
        .map_err(|e| Error::Key(format!("{origin}: key is not valid: {e}")))?;
    let signing = valid
        .keys()
        .supported()
        .alive()
        .revoked(false)
        .for_signing()
        .secret()
        .next()
        .ok_or_else(|| Error::Key(format!("{origin}: no usable signing key")))?;
    let signer = unlock_key(signing.key().clone().role_into_unspecified())?;

    let mut decryptors = Vec::new();
    for ka in valid
        .keys()
        .supported()
        .revoked(false)
        .for_storage_encryption()
        .for_transport_encryption()
        .secret()
    {
        decryptors.push(unlock_key(ka.key().clone().role_into_unspecified())?);
    }
    if decryptors.is_empty() {
        return Err(Error::Key(format!("{origin}: no usable encryption subkey")));
    }
    Ok(Identity {
        cert,
        signer,
        decryptors,
    })
}

/// The keys a certificate encrypts to, and the certificate's fingerprint.
pub fn encryption_keys(cert: &Cert) -> Result<Vec<Key<PublicParts, UnspecifiedRole>>, Error> {
    let fpr = cert.fingerprint();
    let valid = cert
        .with_policy(policy(), None)
        .map_err(|e| Error::Key(format!("certificate {fpr} is not valid: {e}")))?;
    let keys: Vec<_> = valid
        .keys()
        .supported()
        .alive()
        .revoked(false)
        .for_storage_encryption()
        .for_transport_encryption()
        .map(|ka| ka.key().clone().role_into_unspecified())
        .collect();
    if keys.is_empty() {
        return Err(Error::Key(format!(
            "certificate {fpr} has no usable encryption key"
        )));
    }
    Ok(keys)
}

/// Parses a public (or secret) certificate, returning only its public part.
pub fn parse_public(bytes: &[u8], origin: &str) -> Result<Cert, Error> {
    let cert = Cert::from_bytes(bytes)
        .map_err(|_| Error::Key(format!("{origin}: not an OpenPGP certificate")))?;
    Ok(cert.strip_secret_key_material())
}

pub fn export_secret(cert: &Cert) -> Result<Vec<u8>, Error> {
    cert.as_tsk()
        .armored()
        .to_vec()
        .map_err(|e| Error::Key(format!("cannot serialise key: {e}")))
}

/// Checks a fingerprint that came from input (a flag, a config, a file name) before it
/// becomes part of an object or file name: 40 hex digits (v4) or 64 (v6), optionally
/// grouped by spaces and prefixed with `0x` as gpg prints them. Returns it in the form
/// object names use: upper-case hex, nothing else.
pub fn validate_fingerprint(s: &str) -> Result<String, Error> {
    let hex: String = s
        .trim()
        .trim_start_matches("0x")
        .trim_start_matches("0X")
        .chars()
        .filter(|c| *c != ' ')
        .collect();
    if matches!(hex.len(), 40 | 64) && hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Ok(hex.to_ascii_uppercase());
    }
    let shown: String = s.chars().take(80).collect();
    Err(Error::Key(format!(
        "{shown:?}: not an OpenPGP fingerprint (40 hex digits for a v4 key, 64 for v6)"
    )))
}

#[cfg(test)]
mod tests {
    use super::validate_fingerprint;

    #[test]
    fn fingerprints_are_normalised_or_refused() {
        let v4 = "3407DC353B334AEF4FC930D1E56A668BDAEF30BC";
        assert_eq!(validate_fingerprint(&v4.to_lowercase()).unwrap(), v4);
        assert_eq!(
            validate_fingerprint("3407 DC35 3B33 4AEF 4FC9  30D1 E56A 668B DAEF 30BC").unwrap(),
            v4
        );
        assert_eq!(validate_fingerprint(&format!("0x{v4}\n")).unwrap(), v4);
        let v6 = "a".repeat(64);
        assert_eq!(validate_fingerprint(&v6).unwrap(), "A".repeat(64));
        for bad in [
            "",
            &v4[..39],
            &format!("{v4}0"),
            "../../../../etc/passwd",
            &format!("{}/..", &v4[..37]),
            &format!("{}G", &v4[..39]),
            &format!("{v4}\0"),
            "E56A668BDAEF30BC",
        ] {
            assert!(validate_fingerprint(bad).is_err(), "{bad:?}");
        }
    }
}
