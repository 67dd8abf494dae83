//! OpenPGP for cairn, with sequoia-openpgp: every stored object is a standard message
//! that GnuPG 2.2 can open.
//!
//! Choices that matter for compatibility and speed (see docs/FORMAT.md):
//! - SEIPD v1 with AES-256 for every recipient, because GnuPG 2.2 cannot read SEIPD v2,
//!   which sequoia would otherwise pick for keys that advertise it;
//! - binary packets, no armor and no OpenPGP compression (zstd already compressed);
//! - manifests and config are signed; packs are not (their integrity follows from the
//!   signed manifest through keyed blob ids).

pub mod keys;
pub mod paper;
mod seipd;

pub use seipd::{open as open_sealed, SealedWriter};

use std::cell::Cell;
use std::io::{Read, Write};

use openpgp::crypto::SessionKey;
use openpgp::packet::key::{PublicParts, UnspecifiedRole};
use openpgp::packet::{Key, PKESK, SKESK};
use openpgp::parse::stream::{
    DecryptionHelper, DecryptorBuilder, MessageLayer, MessageStructure, VerificationError,
    VerificationHelper, VerificationResult,
};
use openpgp::parse::Parse;
use openpgp::serialize::stream::{Encryptor, LiteralWriter, Message, Recipient, Signer};
use openpgp::types::{Features, SymmetricAlgorithm};
use openpgp::{Cert, KeyHandle};
use sequoia_openpgp as openpgp;

pub use keys::{Identity, KeyKind};

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{0}")]
    Key(String),
    #[error("{0}")]
    Passphrase(String),
    /// Not encrypted to any key we hold.
    #[error("not encrypted to this key")]
    NotForUs,
    /// Decryption or the integrity check failed: the object was damaged or altered.
    #[error("corrupt or tampered")]
    Corrupt,
    #[error("signature missing or not made by the repository key")]
    BadSignature,
    #[error("encryption failed: {0}")]
    Encrypt(String),
}

/// The public keys every new object is encrypted to.
#[derive(Clone)]
pub struct RecipientSet {
    keys: Vec<Key<PublicParts, UnspecifiedRole>>,
    fingerprints: Vec<String>,
    /// Why nothing may be encrypted (a recipient expired): reading never encrypts, so
    /// this stops writing only, when it is tried.
    unusable: Option<String>,
}

impl std::fmt::Debug for RecipientSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "RecipientSet({:?})", self.fingerprints)
    }
}

impl RecipientSet {
    pub fn new(certs: &[Cert]) -> Result<RecipientSet, Error> {
        let mut keys = Vec::new();
        let mut fingerprints = Vec::new();
        let mut unusable = None;
        for cert in certs {
            match keys::encryption_keys(cert) {
                Ok(k) => keys.extend(k),
                Err(e) => unusable = unusable.or(Some(e.to_string())),
            }
            fingerprints.push(cert.fingerprint().to_hex());
        }
        Ok(RecipientSet {
            keys,
            fingerprints,
            unusable,
        })
    }

    pub fn fingerprints(&self) -> &[String] {
        &self.fingerprints
    }

    /// These keys and `more` (write-only hosts, for the objects they read).
    pub fn with(&self, more: &[Cert]) -> Result<RecipientSet, Error> {
        let extra = RecipientSet::new(more)?;
        let mut all = self.clone();
        all.keys.extend(extra.keys);
        all.fingerprints.extend(extra.fingerprints);
        all.unusable = all.unusable.or(extra.unusable);
        Ok(all)
    }

    /// Whether a stored message is addressed to exactly these keys: one written before
    /// the list changed is not, and `key rewrap` re-encrypts it.
    pub fn addressed(&self, msg: &[u8]) -> bool {
        let ours: std::collections::BTreeSet<String> =
            self.keys.iter().map(|k| k.keyid().to_hex()).collect();
        addressed_to(msg).is_some_and(|theirs| theirs == ours)
    }

    fn keys(&self) -> Result<&[Key<PublicParts, UnspecifiedRole>], Error> {
        match &self.unusable {
            Some(why) => Err(Error::Key(why.clone())),
            None => Ok(&self.keys),
        }
    }

    fn recipients(&self) -> Result<impl Iterator<Item = Recipient<'_>>, Error> {
        // Features without SEIPDv2 force the SEIPD v1 packet GnuPG 2.2 understands.
        Ok(self.keys()?.iter().map(|k| {
            Recipient::new(
                Features::empty().set_seipdv1(),
                Some(KeyHandle::from(k.keyid())),
                k,
            )
        }))
    }
}

/// The key ids a message's PKESK packets name, read without decrypting anything;
/// `None` when it does not start as an encrypted message.
fn addressed_to(msg: &[u8]) -> Option<std::collections::BTreeSet<String>> {
    use openpgp::parse::{PacketParser, PacketParserResult};
    use openpgp::Packet;
    let mut ids = std::collections::BTreeSet::new();
    let mut ppr = PacketParser::from_bytes(msg).ok()?;
    while let PacketParserResult::Some(pp) = ppr {
        match &pp.packet {
            Packet::PKESK(p) => ids.insert(openpgp::KeyID::from(p.recipient()?).to_hex()),
            Packet::SEIP(_) => return Some(ids),
            _ => return None,
        };
        ppr = pp.next().ok()?.1;
    }
    None
}

fn enc_err(e: impl std::fmt::Display) -> Error {
    Error::Encrypt(e.to_string())
}

/// Encrypts `plaintext` to the recipients; signs it first when `signer` is given.
pub fn encrypt(
    recipients: &RecipientSet,
    signer: Option<&Identity>,
    plaintext: &[u8],
) -> Result<Vec<u8>, Error> {
    // The signer first: an expired own key is the likelier cause, and its message the
    // more useful one.
    let signer = signer.map(Identity::signer).transpose()?;
    let recipients = recipients.recipients()?;
    let mut out = Vec::with_capacity(plaintext.len() + 1024);
    let msg = Message::new(&mut out);
    let msg = Encryptor::for_recipients(msg, recipients)
        .symmetric_algo(SymmetricAlgorithm::AES256)
        .build()
        .map_err(enc_err)?;
    let msg = match signer {
        Some(pair) => Signer::new(msg, pair.clone())
            .map_err(enc_err)?
            .build()
            .map_err(enc_err)?,
        None => msg,
    };
    let mut msg = LiteralWriter::new(msg).build().map_err(enc_err)?;
    msg.write_all(plaintext).map_err(enc_err)?;
    msg.finalize().map_err(enc_err)?;
    Ok(out)
}

#[derive(Clone, Copy, Default)]
struct Outcome {
    asked: bool,
    for_us: bool,
    decrypted: bool,
    bad_signature: bool,
}

struct Helper<'a> {
    identity: &'a Identity,
    /// When set, the message must carry a good signature by one of these certificates.
    signer: Option<&'a [Cert]>,
    outcome: &'a Cell<Outcome>,
}

impl Helper<'_> {
    fn note(&self, f: impl FnOnce(&mut Outcome)) {
        let mut o = self.outcome.get();
        f(&mut o);
        self.outcome.set(o);
    }
}

impl VerificationHelper for Helper<'_> {
    fn get_certs(&mut self, _ids: &[KeyHandle]) -> openpgp::Result<Vec<Cert>> {
        Ok(self.signer.unwrap_or_default().to_vec())
    }

    fn check(&mut self, structure: MessageStructure) -> openpgp::Result<()> {
        let mut signed = self.signer.is_none();
        for layer in structure.into_iter() {
            match layer {
                // cairn never compresses (zstd did): a compression layer is someone
                // else's message, and possibly a decompression bomb.
                MessageLayer::Compression { .. } => {
                    return Err(anyhow::anyhow!("compressed message"))
                }
                MessageLayer::SignatureGroup { results } => {
                    let Some(signers) = self.signer.filter(|_| !signed) else {
                        continue;
                    };
                    signed = results.iter().any(|r| good_by(signers, r).is_some());
                }
                _ => {}
            }
        }
        if signed {
            return Ok(());
        }
        self.note(|o| o.bad_signature = true);
        Err(anyhow::anyhow!("signature check failed"))
    }
}

/// Which of `signers` made a verification result good, if one did.
fn good_by<'c>(signers: &'c [Cert], r: &VerificationResult) -> Option<&'c Cert> {
    signers.iter().find(|signer| match r {
        Ok(good) => good.ka.cert().fingerprint() == signer.fingerprint(),
        Err(VerificationError::UnboundKey { sig, .. }) => keys::verifies_rebound(signer, sig),
        Err(_) => false,
    })
}

impl DecryptionHelper for Helper<'_> {
    fn decrypt(
        &mut self,
        pkesks: &[PKESK],
        _skesks: &[SKESK],
        sym_algo: Option<SymmetricAlgorithm>,
        decrypt: &mut dyn FnMut(Option<SymmetricAlgorithm>, &SessionKey) -> bool,
    ) -> openpgp::Result<Option<Cert>> {
        self.note(|o| o.asked = true);
        let unlocked = unlock(self.identity, pkesks, sym_algo, |algo, sk| {
            decrypt(algo, &sk)
        });
        if unlocked != Unlocked::NotForUs {
            self.note(|o| o.for_us = true);
        }
        if unlocked == Unlocked::Yes {
            self.note(|o| o.decrypted = true);
            return Ok(None);
        }
        Err(anyhow::anyhow!("no matching key"))
    }
}

#[derive(Debug, PartialEq, Eq)]
enum Unlocked {
    Yes,
    /// No PKESK names one of our keys.
    NotForUs,
    /// Some do, but no session key they gave was accepted.
    Failed,
}

/// Recovers the session key of each PKESK addressed to one of our keys, in order, until
/// `accept` takes one.
fn unlock(
    identity: &Identity,
    pkesks: &[PKESK],
    sym_algo: Option<SymmetricAlgorithm>,
    mut accept: impl FnMut(Option<SymmetricAlgorithm>, SessionKey) -> bool,
) -> Unlocked {
    let mut for_us = false;
    for pkesk in pkesks {
        for pair in identity.decryptors() {
            let ours = pkesk
                .recipient()
                .is_none_or(|h| h.aliases(KeyHandle::from(pair.public().keyid())));
            if !ours {
                continue;
            }
            for_us = true;
            let mut pair = pair.clone();
            if let Some((algo, sk)) = pkesk.decrypt(&mut pair, sym_algo) {
                if accept(algo, sk) {
                    return Unlocked::Yes;
                }
            }
        }
    }
    if for_us {
        Unlocked::Failed
    } else {
        Unlocked::NotForUs
    }
}

/// Decrypts a message; with `signer`, also requires a good signature by that certificate.
/// A message that is not encrypted at all, or that holds a compression layer, is
/// refused as tampered; so is a plaintext longer than the message (which only
/// decompression could make), which bounds what a reader allocates by what it fetched.
pub fn decrypt(
    identity: &Identity,
    ciphertext: &[u8],
    signer: Option<&Cert>,
) -> Result<Vec<u8>, Error> {
    decrypt_signed_by(identity, ciphertext, signer.map(std::slice::from_ref))
}

/// Like [`decrypt`], with a good signature by any one of `signers` required when given
/// (a repository's signer and the ones it took over from).
pub fn decrypt_signed_by(
    identity: &Identity,
    ciphertext: &[u8],
    signer: Option<&[Cert]>,
) -> Result<Vec<u8>, Error> {
    if !seipd::well_framed(ciphertext) {
        return Err(Error::Corrupt);
    }
    let outcome = Cell::new(Outcome::default());
    let helper = Helper {
        identity,
        signer,
        outcome: &outcome,
    };
    let mut out = Vec::with_capacity(ciphertext.len());
    // Small messages are verified inside the builder, large ones at the end of reading:
    // failures from either place are classified by what the helper saw.
    // A hold-back buffer larger than the message keeps sequoia on its fully-buffered
    // path (smaller buffers trip an assertion in sequoia-openpgp 2.4's
    // Decryptor::read_helper, seen with 16 MiB packs and a 64 KiB buffer), and sized to
    // the message it does not reserve the default 25 MiB for every pack.
    let hold_back = ciphertext.len() + (1 << 16);
    let result = DecryptorBuilder::from_bytes(ciphertext)
        .map(|b| b.buffer_size(hold_back))
        .and_then(|b| b.with_policy(keys::policy(), None, helper))
        .and_then(|d| {
            // One byte past the bound tells a cut from a whole read: sequoia checks the
            // structure and signature only when the reader reaches the end.
            let limit = ciphertext.len() as u64;
            if d.take(limit + 1).read_to_end(&mut out)? as u64 > limit {
                return Err(anyhow::anyhow!("plaintext longer than the message"));
            }
            Ok(())
        });
    let o = outcome.get();
    match result {
        Ok(()) if o.decrypted => Ok(out),
        _ if o.bad_signature => Err(Error::BadSignature),
        _ if o.asked && !o.for_us => Err(Error::NotForUs),
        _ => Err(Error::Corrupt),
    }
}

/// A signed, unencrypted message (one-pass signatures, literal data, signatures), signed
/// by every identity given: what a hand-over between signing keys is, readable by any
/// reader and by `gpg --verify`.
pub fn sign(signers: &[&Identity], plaintext: &[u8]) -> Result<Vec<u8>, Error> {
    let mut out = Vec::new();
    let msg = Message::new(&mut out);
    let (first, rest) = signers
        .split_first()
        .ok_or_else(|| Error::Encrypt("nobody to sign with".into()))?;
    let mut signer = Signer::new(msg, first.signer()?.clone()).map_err(enc_err)?;
    for id in rest {
        signer = signer.add_signer(id.signer()?.clone()).map_err(enc_err)?;
    }
    let msg = signer.build().map_err(enc_err)?;
    let mut msg = LiteralWriter::new(msg).build().map_err(enc_err)?;
    msg.write_all(plaintext).map_err(enc_err)?;
    msg.finalize().map_err(enc_err)?;
    Ok(out)
}

struct AllSigned<'a> {
    certs: &'a [Cert],
}

impl VerificationHelper for AllSigned<'_> {
    fn get_certs(&mut self, _ids: &[KeyHandle]) -> openpgp::Result<Vec<Cert>> {
        Ok(self.certs.to_vec())
    }

    fn check(&mut self, structure: MessageStructure) -> openpgp::Result<()> {
        let mut seen = vec![false; self.certs.len()];
        for layer in structure.into_iter() {
            match layer {
                MessageLayer::SignatureGroup { results } => {
                    for r in &results {
                        for (i, c) in self.certs.iter().enumerate() {
                            if good_by(std::slice::from_ref(c), r).is_some() {
                                seen[i] = true;
                            }
                        }
                    }
                }
                _ => return Err(anyhow::anyhow!("not a plain signed message")),
            }
        }
        if seen.iter().all(|s| *s) {
            Ok(())
        } else {
            Err(anyhow::anyhow!("signature check failed"))
        }
    }
}

/// The content of a message made by [`sign`], if every one of `certs` signed it.
pub fn verify_signed_by_all(msg: &[u8], certs: &[Cert]) -> Result<Vec<u8>, Error> {
    use openpgp::parse::stream::VerifierBuilder;
    let mut out = Vec::new();
    let limit = msg.len() as u64;
    VerifierBuilder::from_bytes(msg)
        .and_then(|b| b.with_policy(keys::policy(), None, AllSigned { certs }))
        .and_then(|v| {
            if v.take(limit + 1).read_to_end(&mut out)? as u64 > limit {
                return Err(anyhow::anyhow!("plaintext longer than the message"));
            }
            Ok(())
        })
        .map_err(|_| Error::BadSignature)?;
    Ok(out)
}
