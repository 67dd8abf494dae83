//! Key files: generating, loading (including what `gpg --export-secret-keys --armor`
//! writes, passphrase-protected or not), extending and exporting OpenPGP keys.
//!
//! A key never locks its owner out: reading (decrypting, verifying signatures made while
//! the key was valid) works with an expired or revoked key; only writing, which signs,
//! needs a key that is alive now, and `Identity::signer` is the one place that says so.

use std::path::Path;
use std::time::{Duration, SystemTime};

use openpgp::cert::prelude::*;
use openpgp::crypto::{KeyPair, Password, Signer};
use openpgp::packet::key::{PublicParts, SecretParts, UnspecifiedRole};
use openpgp::packet::{Key, Signature};
use openpgp::parse::Parse;
use openpgp::policy::Policy;
use openpgp::policy::StandardPolicy;
use openpgp::serialize::SerializeInto;
use openpgp::types::RevocationStatus;
use openpgp::Cert;
use rayon::prelude::*;
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

/// A secret key ready to use: its decryption key pairs, and its signing key pair when
/// one was alive, unlocked in memory.
pub struct Identity {
    cert: Cert,
    /// Where the key came from (its file), for messages.
    origin: String,
    signer: Option<KeyPair>,
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
    /// The key pair that signs what is written. Asked again at every use, so a key that
    /// expires while cairn runs stops signing then: a signature made after expiry would
    /// not verify.
    pub(crate) fn signer(&self) -> Result<&KeyPair, Error> {
        let live = |pair: &KeyPair| {
            let fpr = pair.public().fingerprint();
            self.cert
                .with_policy(policy(), None)
                .is_ok_and(|v| live_signing(&v).any(|ka| ka.key().fingerprint() == fpr))
        };
        match &self.signer {
            Some(pair) if live(pair) => Ok(pair),
            _ => Err(Error::Key(cannot_sign(&self.cert, &self.origin))),
        }
    }
    /// When this key stops being able to write; `None`: never.
    pub fn signing_expiry(&self) -> Option<SystemTime> {
        signing_expiry(&self.cert)
    }
    /// One line when the key stops signing within `EXPIRY_WARNING`, saying how to fix it.
    pub fn expiry_warning(&self) -> Option<String> {
        let at = self.signing_expiry()?;
        let left = at.duration_since(SystemTime::now()).ok()?;
        (left <= EXPIRY_WARNING).then(|| {
            format!(
                "key {} ({}) stops signing on {} (in {} days): run `cairn key extend -k {} --expires never`",
                self.fingerprint(),
                self.origin,
                date(at),
                left.as_secs().div_ceil(86400),
                self.origin
            )
        })
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

/// How long before its key stops signing `cairn run` and `profile check` warn.
pub const EXPIRY_WARNING: Duration = Duration::from_secs(30 * 86400);

/// Sequoia dates a new key a minute in the past so that it can be re-signed at once;
/// a validity period counts from that creation time, so it gets the minute back.
const BACKDATE: Duration = Duration::from_secs(60);

/// Makes a new certificate: a certification primary key, a signing subkey and an
/// encryption subkey (as `gpg --quick-generate-key` would), v4 so GnuPG 2.2 reads it.
/// `expires` is how long from now it stays usable for writing; `None` never expires.
pub fn generate(
    user_id: &str,
    kind: KeyKind,
    passphrase: Option<&Secret>,
    expires: Option<Duration>,
) -> Result<Vec<u8>, Error> {
    let suite = match kind {
        KeyKind::Cv25519 => CipherSuite::Cv25519,
        KeyKind::Rsa4096 => CipherSuite::RSA4k,
    };
    let (cert, _rev) = CertBuilder::general_purpose(Some(user_id))
        .set_cipher_suite(suite)
        .set_profile(openpgp::Profile::RFC4880)
        .map_err(|e| Error::Key(e.to_string()))?
        .set_creation_time(SystemTime::now() - BACKDATE)
        .set_validity_period(expires.map(|d| d + BACKDATE))
        .set_password(passphrase.map(|p| Password::from(p.expose())))
        .generate()
        .map_err(|e| Error::Key(format!("key generation failed: {e}")))?;
    export_secret(&cert)
}

/// Reads a key file without unlocking it.
pub fn read_cert(path: &Path) -> Result<Cert, Error> {
    let shown = path.display();
    let bytes = std::fs::read(path).map_err(|e| {
        Error::Key(match e.kind() {
            std::io::ErrorKind::NotFound => format!("key file {shown}: not found"),
            std::io::ErrorKind::IsADirectory => {
                format!("key file {shown}: is a directory, not a key file")
            }
            _ => format!("key file {shown}: {e}"),
        })
    })?;
    // A recovery sheet (or any page with the armored block inside text) reads as its key.
    let from_page = || {
        let text = std::str::from_utf8(&bytes).ok()?;
        Cert::from_bytes(super::paper::armored_key(text)?.as_bytes()).ok()
    };
    Cert::from_bytes(&bytes)
        .ok()
        .or_else(from_page)
        .ok_or_else(|| {
            Error::Key(format!(
                "key file {shown}: not an OpenPGP key (expected an armored or binary key, or a recovery sheet)"
            ))
        })
}

/// Whether any of the key's secret parts are protected by a passphrase.
pub fn needs_passphrase(cert: &Cert) -> bool {
    cert.keys()
        .secret()
        .any(|ka| ka.key().secret().is_encrypted())
}

/// A secret key part decrypted (when protected) into a usable key pair.
fn key_pair(
    key: Key<SecretParts, UnspecifiedRole>,
    password: Option<&Password>,
    origin: &str,
) -> Result<KeyPair, Error> {
    let key = if key.secret().is_encrypted() {
        let Some(pw) = password else {
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
}

fn validate<'a>(cert: &'a Cert, origin: &str) -> Result<ValidCert<'a>, Error> {
    cert.with_policy(policy(), None)
        .map_err(|e| Error::Key(format!("{origin}: key is not valid: {e}")))
}

/// Signing keys usable now: alive, not revoked, their certificate neither.
fn live_signing<'a>(
    valid: &ValidCert<'a>,
) -> ValidKeyAmalgamationIter<'a, PublicParts, UnspecifiedRole> {
    valid
        .keys()
        .supported()
        .alive()
        .revoked(false)
        .for_signing()
}

/// Unlocks a secret key for decryption, and for signing when it has a live signing key.
///
/// Decryption uses every secret encryption-capable key, expired or revoked alike: what
/// was encrypted to a key while it was valid must stay readable by its owner.
pub fn unlock(cert: Cert, passphrase: Option<&Secret>, origin: &str) -> Result<Identity, Error> {
    if !cert.is_tsk() {
        return Err(Error::Key(format!(
            "{origin}: holds only a public key; a secret key is needed (cairn key export --secret, or gpg --export-secret-keys)"
        )));
    }
    let password = passphrase.map(|p| Password::from(p.expose()));
    let valid = validate(&cert, origin)?;
    let signing = live_signing(&valid)
        .secret()
        .next()
        .map(|ka| ka.key().clone().role_into_unspecified());
    let decrypting: Vec<_> = valid
        .keys()
        .supported()
        .for_storage_encryption()
        .for_transport_encryption()
        .secret()
        .map(|ka| ka.key().clone().role_into_unspecified())
        .collect();
    // Each secret key has an S2K of its own, tens of milliseconds of hashing before
    // anything else can start: they are unlocked side by side.
    let (signer, decryptors) = rayon::join(
        || {
            signing
                .map(|k| key_pair(k, password.as_ref(), origin))
                .transpose()
        },
        || {
            decrypting
                .into_par_iter()
                .map(|k| key_pair(k, password.as_ref(), origin))
                .collect::<Result<Vec<_>, _>>()
        },
    );
    let (signer, decryptors) = (signer?, decryptors?);
    if decryptors.is_empty() {
        return Err(Error::Key(format!("{origin}: no usable encryption subkey")));
    }
    Ok(Identity {
        cert,
        origin: origin.to_string(),
        signer,
        decryptors,
    })
}

/// When a key stops being usable: its own expiry or its certificate's, whichever is first.
fn key_end(valid: &ValidCert, ka: &ValidErasedKeyAmalgamation<PublicParts>) -> Option<SystemTime> {
    [
        valid.primary_key().key_expiration_time(),
        ka.key_expiration_time(),
    ]
    .into_iter()
    .flatten()
    .min()
}

fn is_revoked(status: RevocationStatus) -> bool {
    matches!(status, RevocationStatus::Revoked(_))
}

/// When the last of a set of keys stops being usable, ignoring revoked ones: `None` when
/// one never expires, or there is none to ask about (callers say which).
fn last_end<'a>(
    valid: &ValidCert<'a>,
    keys: impl Iterator<Item = ValidErasedKeyAmalgamation<'a, PublicParts>>,
) -> Option<Option<SystemTime>> {
    keys.filter(|ka| !is_revoked(ka.revocation_status()))
        .map(|ka| key_end(valid, &ka))
        .reduce(|a, b| a.zip(b).map(|(a, b)| a.max(b)))
}

/// When the key stops being able to sign (write); `None` when it never does, or when it
/// cannot sign at all (`Identity::signer` says so when it matters).
pub fn signing_expiry(cert: &Cert) -> Option<SystemTime> {
    let valid = cert.with_policy(policy(), None).ok()?;
    last_end(&valid, valid.keys().supported().for_signing()).flatten()
}

/// Why a key cannot sign now: one line naming it, when and how to fix it.
fn cannot_sign(cert: &Cert, origin: &str) -> String {
    let fpr = cert.fingerprint();
    let Ok(valid) = cert.with_policy(policy(), None) else {
        return format!(
            "key {fpr} ({origin}) is not valid under the current policy: it can read but not write"
        );
    };
    let mut signing = valid
        .keys()
        .supported()
        .for_signing()
        .filter(|ka| ka.key().has_secret())
        .peekable();
    if signing.peek().is_none() {
        return format!(
            "key {fpr} ({origin}) has no signing key: it can read this repository but not write to it"
        );
    }
    if is_revoked(valid.revocation_status()) {
        return format!("key {fpr} ({origin}) is revoked: it can still read, but writing needs a new key (cairn key generate)");
    }
    match last_end(&valid, signing) {
        Some(Some(t)) if t <= SystemTime::now() => format!(
            "key {fpr} ({origin}) expired on {}: it can still read, but writing needs a live key: run `cairn key extend -k {origin} --expires never`",
            date(t)
        ),
        _ => format!("key {fpr} ({origin}) has no live signing key (revoked?): it can still read, but writing needs a new key (cairn key generate)"),
    }
}

/// Whether `sig`, a message signature whose digest the parser computed, was made by a
/// signing key of `cert` as that key is bound now, while it was alive and not revoked.
///
/// `gpg --quick-set-expire` replaces a key's binding signatures rather than adding newer
/// ones, so afterwards no binding is as old as the signatures the key made before, and
/// sequoia (which looks the key up as bound when it signed) rejects them all: the owner
/// would be locked out of every snapshot written before the change.
pub(crate) fn verifies_rebound(cert: &Cert, sig: &Signature) -> bool {
    let Some(at) = sig.signature_creation_time() else {
        return false;
    };
    let Ok(valid) = cert.with_policy(policy(), None) else {
        return false;
    };
    let revoked_then = |fpr: &openpgp::Fingerprint| {
        is_revoked(cert.revocation_status(policy(), at))
            || cert
                .keys()
                .subkeys()
                .key_handle(fpr.clone())
                .any(|ka| is_revoked(ka.revocation_status(policy(), at)))
    };
    let verified = valid
        .keys()
        .key_handles(sig.get_issuers())
        .for_signing()
        .any(|ka| {
            ka.key().creation_time() <= at
                && key_end(&valid, &ka).is_none_or(|end| at < end)
                && !revoked_then(&ka.key().fingerprint())
                && sig.verify_document(ka.key()).is_ok()
        });
    verified && policy().signature(sig, Default::default()).is_ok()
}

/// A time as the messages and `--json` print it (RFC 3339, UTC, seconds).
pub fn date(t: SystemTime) -> String {
    chrono::DateTime::<chrono::Utc>::from(t).to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// An expiry as people read it: `never`, the date, or `EXPIRED on` the date.
pub fn describe_expiry(t: Option<SystemTime>) -> String {
    match t {
        None => "never".into(),
        Some(t) if t <= SystemTime::now() => format!("EXPIRED on {}", date(t)),
        Some(t) => date(t),
    }
}

/// What `key info` shows of one key of a certificate.
pub struct KeySummary {
    pub fingerprint: String,
    pub algorithm: String,
    pub bits: Option<usize>,
    pub usage: Vec<&'static str>,
    pub secret: bool,
    /// The key's own expiry (a subkey also ends with the primary key).
    pub expires: Option<SystemTime>,
}

pub fn summarize(cert: &Cert) -> Vec<KeySummary> {
    let valid = cert.with_policy(policy(), None).ok();
    cert.keys()
        .map(|ka| {
            let key = ka.key();
            let vka = valid
                .as_ref()
                .and_then(|v| v.keys().key_handle(key.fingerprint()).next());
            let flags = vka.as_ref().and_then(|v| v.key_flags());
            let usage = flags.map_or_else(Vec::new, |f| {
                [
                    (f.for_certification(), "certify"),
                    (f.for_signing(), "sign"),
                    (
                        f.for_storage_encryption() || f.for_transport_encryption(),
                        "encrypt",
                    ),
                ]
                .into_iter()
                .filter_map(|(has, name)| has.then_some(name))
                .collect()
            });
            KeySummary {
                fingerprint: key.fingerprint().to_hex(),
                algorithm: key.pk_algo().to_string(),
                bits: key.mpis().bits(),
                usage,
                secret: key.has_secret(),
                expires: vka.and_then(|v| v.key_expiration_time()),
            }
        })
        .collect()
}

/// The primary key's expiry.
pub fn expiry(cert: &Cert) -> Option<SystemTime> {
    cert.with_policy(policy(), None)
        .ok()
        .and_then(|v| v.primary_key().key_expiration_time())
}

/// Sets the expiry of the primary key and of every subkey that is not revoked (`None`:
/// never), by new binding signatures; the secret parts stay as protected as they were.
pub fn extend(
    cert: Cert,
    passphrase: Option<&Secret>,
    expires: Option<SystemTime>,
    origin: &str,
) -> Result<Cert, Error> {
    let password = passphrase.map(|p| Password::from(p.expose()));
    let sign_err = |e: anyhow::Error| Error::Key(format!("{origin}: cannot set the expiry: {e}"));
    let sigs = {
        let valid = validate(&cert, origin)?;
        let secret = |key: &Key<PublicParts, UnspecifiedRole>| {
            let key = key.clone().parts_into_secret().map_err(|_| {
                Error::Key(format!(
                    "{origin}: the secret of key {} is not in this file (exported with --export-secret-subkeys?); extend the key where its primary key is kept",
                    key.fingerprint()
                ))
            })?;
            key_pair(key, password.as_ref(), origin)
        };
        let primary = valid.primary_key();
        let mut primary_signer = secret(primary.key().role_as_unspecified())?;
        let mut sigs = primary
            .set_expiration_time(&mut primary_signer, expires)
            .map_err(sign_err)?;
        for ka in valid.keys().subkeys().revoked(false) {
            // A signing subkey vouches for its binding itself (the back signature).
            let mut own = match ka.for_signing() {
                true => Some(secret(ka.key().role_as_unspecified())?),
                false => None,
            };
            let own = own.as_mut().map(|k| k as &mut dyn Signer);
            sigs.extend(
                ka.set_expiration_time(&mut primary_signer, own, expires)
                    .map_err(sign_err)?,
            );
        }
        sigs
    };
    Ok(cert.insert_packets(sigs).map_err(sign_err)?.0)
}

/// Re-protects every secret key of `cert` under `new` (`None`: unprotected), after
/// unlocking it with `old`. Stubs without a secret (what `gpg --export-secret-subkeys`
/// leaves of the primary key) stay as they are: there is nothing to protect.
pub fn change_passphrase(
    cert: Cert,
    old: Option<&Secret>,
    new: Option<&Secret>,
    origin: &str,
) -> Result<Cert, Error> {
    use openpgp::crypto::S2K;
    use openpgp::packet::key::SecretKeyMaterial;
    if !cert.is_tsk() {
        return Err(Error::Key(format!(
            "{origin}: holds only a public key: there is no passphrase to change"
        )));
    }
    let old = old.map(|p| Password::from(p.expose()));
    let new = new.map(|p| Password::from(p.expose()));
    let mut packets: Vec<openpgp::Packet> = Vec::new();
    for ka in cert.keys().secret() {
        let key = ka.key().clone().role_into_unspecified();
        let stub = matches!(key.secret(), SecretKeyMaterial::Encrypted(e)
            if matches!(e.s2k(), S2K::Private { .. } | S2K::Unknown { .. }));
        if stub {
            continue;
        }
        let key = if key.secret().is_encrypted() {
            let Some(pw) = &old else {
                return Err(Error::Passphrase(format!(
                    "{origin}: key is passphrase-protected: give the current passphrase with CAIRN_PASSPHRASE_FILE or CAIRN_PASSPHRASE, or run on a terminal"
                )));
            };
            key.decrypt_secret(pw)
                .map_err(|_| Error::Passphrase(format!("{origin}: wrong passphrase")))?
        } else {
            key
        };
        let key = match &new {
            Some(pw) => key
                .encrypt_secret(pw)
                .map_err(|e| Error::Key(format!("{origin}: cannot protect the key: {e}")))?,
            None => key,
        };
        packets.push(if ka.primary() {
            key.role_into_primary().into()
        } else {
            key.role_into_subordinate().into()
        });
    }
    // insert_packets prefers the keys it is given, secret parts included.
    Ok(cert
        .insert_packets(packets)
        .map_err(|e| Error::Key(format!("{origin}: {e}")))?
        .0)
}

/// The keys a certificate encrypts to: alive and not revoked, since no one should be
/// sent new secrets under a key its owner retired.
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
    if !keys.is_empty() {
        return Ok(keys);
    }
    let name = match valid.primary_userid() {
        Ok(u) => format!("{fpr} ({})", String::from_utf8_lossy(u.userid().value())),
        Err(_) => fpr.to_hex(),
    };
    let encrypting = valid
        .keys()
        .supported()
        .for_storage_encryption()
        .for_transport_encryption();
    let why = match last_end(&valid, encrypting) {
        _ if is_revoked(valid.revocation_status()) => {
            "is revoked: nothing new can be encrypted to it".to_string()
        }
        Some(Some(t)) => format!(
            "expired on {}: nothing new can be encrypted to it; extend it where its secret key is kept (`cairn key extend -k FILE --expires never`, or gpg --quick-set-expire)",
            date(t)
        ),
        _ => "has no usable encryption key (missing or revoked)".to_string(),
    };
    Err(Error::Key(format!("certificate {name} {why}")))
}

/// Parses a secret key (a whole one: a page read back must give a key that unlocks).
pub fn parse_secret(bytes: &[u8], origin: &str) -> Result<Cert, Error> {
    let cert = Cert::from_bytes(bytes).map_err(|e| {
        Error::Key(format!(
            "{origin}: the key block does not parse (a typing or scanning error? its checksum is checked): {e}"
        ))
    })?;
    if !cert.is_tsk() {
        return Err(Error::Key(format!("{origin}: holds only a public key")));
    }
    Ok(cert)
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
    use super::*;
    use crate::crypto::{decrypt, encrypt, RecipientSet};
    use openpgp::types::ReasonForRevocation;

    fn new_cert() -> Cert {
        let armored = generate("t <t@example.org>", KeyKind::Cv25519, None, None).unwrap();
        Cert::from_bytes(&armored).unwrap()
    }

    /// Revokes the certificate and every subkey as superseded, dated now.
    fn supersede(cert: Cert) -> Cert {
        let mut primary = cert
            .primary_key()
            .key()
            .clone()
            .parts_into_secret()
            .unwrap()
            .into_keypair()
            .unwrap();
        let why = ReasonForRevocation::KeySuperseded;
        let mut sigs = vec![CertRevocationBuilder::new()
            .set_reason_for_revocation(why, b"new key")
            .unwrap()
            .build(&mut primary, &cert, None)
            .unwrap()];
        for sk in cert.keys().subkeys() {
            sigs.push(
                SubkeyRevocationBuilder::new()
                    .set_reason_for_revocation(why, b"new key")
                    .unwrap()
                    .build(&mut primary, &cert, sk.key(), None)
                    .unwrap(),
            );
        }
        cert.insert_packets(sigs).unwrap().0
    }

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

    #[test]
    fn a_key_revoked_as_superseded_still_reads_what_it_signed_before() {
        let cert = new_cert();
        let me = unlock(cert.clone(), None, "old.key").unwrap();
        let to_me = RecipientSet::new(&[cert.clone().strip_secret_key_material()]).unwrap();
        let msg = encrypt(&to_me, Some(&me), b"signed while valid").unwrap();
        // Signatures carry whole seconds: the revocation must come strictly later.
        std::thread::sleep(Duration::from_millis(1100));

        let revoked = supersede(cert);
        assert!(is_revoked(
            revoked
                .with_policy(policy(), None)
                .unwrap()
                .revocation_status()
        ));
        let id = unlock(revoked.clone(), None, "old.key").unwrap();
        assert_eq!(id.decryptors().len(), 1);
        let public = revoked.clone().strip_secret_key_material();
        assert_eq!(
            decrypt(&id, &msg, Some(&public)).unwrap(),
            b"signed while valid"
        );
        let err = id.signer().err().unwrap().to_string();
        assert!(err.contains("old.key") && err.contains("revoked"), "{err}");
        let to_revoked = RecipientSet::new(&[public]).unwrap();
        let err = encrypt(&to_revoked, None, b"new").unwrap_err().to_string();
        assert!(err.contains("is revoked"), "{err}");
    }

    #[test]
    fn extend_sets_every_key_and_keeps_the_passphrase() {
        let pass = Secret::new("pw");
        let armored = generate(
            "t",
            KeyKind::Cv25519,
            Some(&pass),
            Some(Duration::from_secs(3600)),
        )
        .unwrap();
        let cert = Cert::from_bytes(&armored).unwrap();
        assert!(summarize(&cert).iter().all(|k| k.expires.is_some()));
        assert!(extend(cert.clone(), None, None, "k").is_err());
        let cert = extend(cert, Some(&pass), None, "k").unwrap();
        assert!(summarize(&cert).iter().all(|k| k.expires.is_none()));
        assert!(needs_passphrase(&cert));
        let id = unlock(cert, Some(&pass), "k").unwrap();
        assert!(id.signer().is_ok());
    }
}
