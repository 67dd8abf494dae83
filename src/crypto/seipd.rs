//! Unsigned messages (packs) built and opened in one buffer, with OpenSSL's SHA-1 for the
//! modification detection code.
//!
//! A pack is PKESK*, then SEIPD v1 { literal data, MDC }. sequoia computes every SHA-1,
//! the MDC's included, with collision detection (sha1collisiondetection), which runs at
//! about a sixth of the speed of OpenSSL's SHA-1 and was 11% of a tree backup's CPU and
//! 18% of a tree restore's (docs/BENCHMARKS.md, "Packs without sequoia's SHA-1").
//! Collision detection guards signatures, where an attacker chooses both colliding
//! inputs; the MDC hashes plaintext the attacker does not know and is not a signature,
//! and a pack is also checked against its BLAKE3 id before it is opened.
//! So sequoia still makes and reads the PKESK packets (the public-key part), and this
//! module does the rest:
//! - writing, the plaintext goes straight into the output buffer behind room left for
//!   the headers; `finish` fills in the lengths, appends the MDC and encrypts the
//!   buffer in place with AES-256 in OpenPGP's CFB mode (no resync for SEIPD);
//! - reading, the container is decrypted in place and the literal data moved to the
//!   front of the same buffer, so opening a pack allocates nothing the size of it.
//!
//! Written packets use the five-octet length form throughout, so the header sizes are
//! known before the plaintext is; reading accepts every length form, including the
//! partial body lengths sequoia's streaming writer used for packs written before.
//! All reading failures come out as `Corrupt` or `NotForUs`: no decryption oracle.

use std::ops::Range;

use openpgp::crypto::SessionKey;
use openpgp::packet::pkesk::PKESK3;
use openpgp::packet::PKESK;
use openpgp::parse::Parse;
use openpgp::serialize::Marshal;
use openpgp::types::SymmetricAlgorithm;
use openpgp::Packet;
use openssl::cipher::{Cipher, CipherRef};
use openssl::cipher_ctx::CipherCtx;
use sequoia_openpgp as openpgp;

use super::keys::Identity;
use super::{enc_err, unlock, Error, RecipientSet, Unlocked};

const TAG_PKESK: u8 = 1;
const TAG_SEIPD: u8 = 18;
const TAG_LITERAL: u8 = 11;
const TAG_MDC: u8 = 19;
/// Random block plus its last two octets repeated (RFC 4880, 5.13).
const PREFIX_LEN: usize = 16 + 2;
/// The MDC packet: a two-octet header and the SHA-1 digest.
const MDC_LEN: usize = 2 + 20;
/// A new-format packet header with a five-octet length.
const HEADER_LEN: usize = 1 + 5;
/// Literal data fields before the data: format `b`, an empty file name, date 0.
const LITERAL_FIELDS: [u8; 6] = [b'b', 0, 0, 0, 0, 0];

fn new_format_header(tag: u8, len: usize) -> Result<[u8; HEADER_LEN], Error> {
    let len = u32::try_from(len).map_err(|_| Error::Encrypt("message over 4 GiB".into()))?;
    let l = len.to_be_bytes();
    Ok([0xC0 | tag, 0xFF, l[0], l[1], l[2], l[3]])
}

fn cfb(algo: SymmetricAlgorithm) -> Option<&'static CipherRef> {
    match algo {
        SymmetricAlgorithm::AES128 => Some(Cipher::aes_128_cfb128()),
        SymmetricAlgorithm::AES192 => Some(Cipher::aes_192_cfb128()),
        SymmetricAlgorithm::AES256 => Some(Cipher::aes_256_cfb128()),
        _ => None,
    }
}

/// Runs CFB over `data` in place; SEIPD starts from an all-zero IV.
fn cfb_in_place(
    cipher: &CipherRef,
    key: &[u8],
    data: &mut [u8],
    encrypt: bool,
) -> Result<(), openssl::error::ErrorStack> {
    let mut ctx = CipherCtx::new()?;
    let iv = [0u8; 16];
    if encrypt {
        ctx.encrypt_init(Some(cipher), Some(key), Some(&iv))?;
    } else {
        ctx.decrypt_init(Some(cipher), Some(key), Some(&iv))?;
    }
    // EVP takes an int length, so very large buffers go in steps.
    for step in data.chunks_mut(1 << 30) {
        let n = step.len();
        ctx.cipher_update_inplace(step, n)?;
    }
    Ok(())
}

fn sha1(data: &[u8]) -> [u8; 20] {
    let mut h = openssl::sha::Sha1::new();
    h.update(data);
    h.finish()
}

/// Builds one encrypted, unsigned message whose plaintext is written piece by piece.
pub struct SealedWriter {
    buf: Vec<u8>,
    key: SessionKey,
    /// Where the SEIPD packet's header starts.
    seipd: usize,
    /// Where the plaintext data starts.
    data: usize,
}

impl SealedWriter {
    /// A message to `recipients` built in `buf` (cleared first, so callers can reuse one).
    pub fn new(recipients: &RecipientSet, mut buf: Vec<u8>) -> Result<SealedWriter, Error> {
        buf.clear();
        let algo = SymmetricAlgorithm::AES256;
        let key = SessionKey::new(algo.key_size().map_err(enc_err)?).map_err(enc_err)?;
        for k in recipients.keys()? {
            let pkesk = PKESK::from(PKESK3::for_recipient(algo, &key, k).map_err(enc_err)?);
            Packet::from(pkesk).serialize(&mut buf).map_err(enc_err)?;
        }
        let seipd = buf.len();
        // Header, version, prefix and the literal header are filled in by `finish`.
        buf.resize(seipd + HEADER_LEN + 1 + PREFIX_LEN + HEADER_LEN, 0);
        buf.extend_from_slice(&LITERAL_FIELDS);
        let data = buf.len();
        Ok(SealedWriter {
            buf,
            key,
            seipd,
            data,
        })
    }

    pub fn write(&mut self, data: &[u8]) {
        self.buf.extend_from_slice(data);
    }

    /// Plaintext bytes written so far.
    pub fn written(&self) -> u64 {
        (self.buf.len() - self.data) as u64
    }

    /// Ends the message; returns it and its BLAKE3 hash.
    pub fn finish(self) -> Result<(Vec<u8>, [u8; 32]), Error> {
        let SealedWriter {
            mut buf,
            key,
            seipd,
            ..
        } = self;
        let version = seipd + HEADER_LEN;
        let prefix = version + 1;
        let literal = prefix + PREFIX_LEN;
        let literal_body = buf.len() - literal - HEADER_LEN;
        buf[literal..literal + HEADER_LEN]
            .copy_from_slice(&new_format_header(TAG_LITERAL, literal_body)?);
        let mut random = [0u8; 16];
        openpgp::crypto::random(&mut random).map_err(enc_err)?;
        buf[prefix..prefix + 16].copy_from_slice(&random);
        buf[prefix + 16..literal].copy_from_slice(&random[14..]);
        // The MDC covers the prefix, the literal packet and the MDC packet's own header.
        buf.extend_from_slice(&[0xC0 | TAG_MDC, 20]);
        let digest = sha1(&buf[prefix..]);
        buf.extend_from_slice(&digest);
        let seipd_body = buf.len() - version;
        buf[seipd..version].copy_from_slice(&new_format_header(TAG_SEIPD, seipd_body)?);
        buf[version] = 1;
        cfb_in_place(Cipher::aes_256_cfb128(), &key, &mut buf[prefix..], true).map_err(enc_err)?;
        let hash = *blake3::hash(&buf).as_bytes();
        Ok((buf, hash))
    }
}

/// A packet's tag and where its body lies, with partial body chunks joined in place.
struct Parsed {
    tag: u8,
    body: Range<usize>,
    /// Where the next packet starts.
    next: usize,
}

/// Reads a length in the new format at `pos`: the length and whether it is partial.
fn new_length(buf: &[u8], pos: &mut usize) -> Option<(usize, bool)> {
    let o1 = *buf.get(*pos)? as usize;
    *pos += 1;
    Some(match o1 {
        0..=191 => (o1, false),
        192..=223 => {
            let o2 = *buf.get(*pos)? as usize;
            *pos += 1;
            (((o1 - 192) << 8) + o2 + 192, false)
        }
        224..=254 => (1 << (o1 & 0x1F), true),
        _ => {
            let b = buf.get(*pos..*pos + 4)?;
            *pos += 4;
            (u32::from_be_bytes(b.try_into().ok()?) as usize, false)
        }
    })
}

/// A packet header: the tag and, for the old format (definite lengths only), the body.
/// For the new format, the body's first length follows at the returned position.
fn header(buf: &[u8], pos: &mut usize) -> Option<(u8, Option<Range<usize>>)> {
    let ctb = *buf.get(*pos)?;
    *pos += 1;
    if ctb & 0x80 == 0 {
        return None;
    }
    if ctb & 0x40 != 0 {
        return Some((ctb & 0x3F, None));
    }
    let width = match ctb & 3 {
        0 => 1,
        1 => 2,
        2 => 4,
        _ => return None,
    };
    let len = buf
        .get(*pos..*pos + width)?
        .iter()
        .fold(0usize, |a, &b| (a << 8) | b as usize);
    let body = *pos + width..(*pos + width).checked_add(len)?;
    buf.get(body.clone())?;
    Some(((ctb >> 2) & 0x0F, Some(body)))
}

/// Walks the packet at `pos`, handing each body chunk (one, unless the new format's
/// partial lengths split it) to `chunk`. Returns the tag and where the next packet
/// starts.
fn walk(buf: &[u8], mut pos: usize, mut chunk: impl FnMut(Range<usize>)) -> Option<(u8, usize)> {
    let (tag, old) = header(buf, &mut pos)?;
    if let Some(body) = old {
        let next = body.end;
        chunk(body);
        return Some((tag, next));
    }
    let (mut len, mut partial) = new_length(buf, &mut pos)?;
    loop {
        let c = pos..pos.checked_add(len)?;
        buf.get(c.clone())?;
        pos = c.end;
        chunk(c);
        if !partial {
            return Some((tag, pos));
        }
        (len, partial) = new_length(buf, &mut pos)?;
    }
}

/// Parses the packet at `pos`, moving partial body chunks together so the body is one
/// range.
fn packet(buf: &mut [u8], pos: usize) -> Option<Parsed> {
    let mut chunks = Vec::new();
    let (tag, next) = walk(buf, pos, |c| chunks.push(c))?;
    let start = chunks.first().map_or(next, |c| c.start);
    let mut end = start;
    for c in chunks {
        let len = c.len();
        buf.copy_within(c, end);
        end += len;
    }
    Some(Parsed {
        tag,
        body: start..end,
        next,
    })
}

/// Whether `msg` has the shape every cairn message has: PKESK packets, then one SEIPD
/// v1 packet reaching to the end with room for its version, prefix and MDC. Checked
/// before sequoia's decryptor sees a message: sequoia-openpgp 2.4 panics on a SEIPD
/// packet shorter than its prefix (`parse.rs`, `data_consume_hard(bl + 2).unwrap()`),
/// found by tests/fuzz_parsers.rs.
pub(super) fn well_framed(msg: &[u8]) -> bool {
    let mut pos = 0;
    loop {
        let (mut first, mut len) = (None, 0usize);
        let Some((tag, next)) = walk(msg, pos, |c| {
            first = first.or(msg.get(c.start).filter(|_| !c.is_empty()).copied());
            len += c.len();
        }) else {
            return false;
        };
        match tag {
            TAG_PKESK => pos = next,
            TAG_SEIPD => {
                return next == msg.len() && first == Some(1) && len >= 1 + PREFIX_LEN + MDC_LEN
            }
            _ => return false,
        }
    }
}

/// Decrypts a message of the form PKESK*, SEIPD v1 { literal data, MDC } and returns
/// the literal data in the same buffer. Anything else (signatures, compression, more
/// packets) is refused as corrupt.
pub fn open(identity: &Identity, mut msg: Vec<u8>) -> Result<Vec<u8>, Error> {
    let mut pkesks = Vec::new();
    let mut pos = 0;
    let seipd = loop {
        let p = packet(&mut msg, pos).ok_or(Error::Corrupt)?;
        match p.tag {
            TAG_PKESK => match Packet::from_bytes(&msg[pos..p.next]) {
                Ok(Packet::PKESK(k)) => pkesks.push(k),
                _ => return Err(Error::Corrupt),
            },
            TAG_SEIPD if p.next == msg.len() => break p.body,
            _ => return Err(Error::Corrupt),
        }
        pos = p.next;
    };
    if msg.get(seipd.start) != Some(&1) || seipd.len() < 1 + PREFIX_LEN + MDC_LEN {
        return Err(Error::Corrupt);
    }
    let plain = seipd.start + 1..seipd.end;
    let (algo, key) = session_key(identity, &pkesks)?;
    let cipher = cfb(algo).ok_or(Error::Corrupt)?;
    cfb_in_place(cipher, &key, &mut msg[plain.clone()], false).map_err(|_| Error::Corrupt)?;
    let mdc = plain.end - MDC_LEN;
    let digest = sha1(&msg[plain.start..mdc + 2]);
    if msg[mdc..mdc + 2] != [0xC0 | TAG_MDC, 20]
        || !openssl::memcmp::eq(&digest, &msg[mdc + 2..plain.end])
    {
        return Err(Error::Corrupt);
    }
    let lit = packet(&mut msg[..mdc], plain.start + PREFIX_LEN).ok_or(Error::Corrupt)?;
    if lit.tag != TAG_LITERAL || lit.next != mdc {
        return Err(Error::Corrupt);
    }
    // Format octet, file name (length-prefixed), four-octet date, then the data.
    let name_len = *msg.get(lit.body.start + 1).ok_or(Error::Corrupt)? as usize;
    let data = lit.body.start + 2 + name_len + 4;
    if data > lit.body.end {
        return Err(Error::Corrupt);
    }
    msg.copy_within(data..lit.body.end, 0);
    msg.truncate(lit.body.end - data);
    Ok(msg)
}

/// The session key from the first PKESK one of our keys opens.
fn session_key(
    identity: &Identity,
    pkesks: &[PKESK],
) -> Result<(SymmetricAlgorithm, SessionKey), Error> {
    let mut found = None;
    let unlocked = unlock(identity, pkesks, None, |algo, sk| {
        // A v3 PKESK names the algorithm; packs only carry v3.
        found = algo.map(|a| (a, sk));
        found.is_some()
    });
    match (unlocked, found) {
        (Unlocked::Yes, Some(key)) => Ok(key),
        (Unlocked::NotForUs, _) => Err(Error::NotForUs),
        _ => Err(Error::Corrupt),
    }
}

#[cfg(test)]
mod tests {
    use super::super::keys::{self, Identity, KeyKind};
    use super::super::{decrypt, encrypt, Error, RecipientSet};
    use super::{open, SealedWriter};

    use openpgp::parse::Parse;
    use sequoia_openpgp as openpgp;

    fn identity() -> Identity {
        let armored = keys::generate("test <t@example.org>", KeyKind::Cv25519, None, None).unwrap();
        let cert = openpgp::Cert::from_bytes(&armored).unwrap();
        keys::unlock(cert, None, "test").unwrap()
    }

    fn to(ids: &[&Identity]) -> RecipientSet {
        let certs: Vec<_> = ids.iter().map(|i| i.cert().clone()).collect();
        RecipientSet::new(&certs).unwrap()
    }

    fn sealed(to: &RecipientSet, pieces: &[&[u8]]) -> Vec<u8> {
        let mut w = SealedWriter::new(to, Vec::new()).unwrap();
        for p in pieces {
            w.write(p);
        }
        let (msg, hash) = w.finish().unwrap();
        assert_eq!(&hash, blake3::hash(&msg).as_bytes());
        msg
    }

    #[test]
    fn sequoia_reads_what_the_writer_builds() {
        let (me, other) = (identity(), identity());
        let plain: Vec<u8> = (0..300_001u32).map(|i| (i * 7 % 251) as u8).collect();
        let msg = sealed(&to(&[&me, &other]), &[&plain[..1000], &plain[1000..]]);
        // Every recipient, through sequoia's own streaming decryptor.
        assert_eq!(decrypt(&me, &msg, None).unwrap(), plain);
        assert_eq!(decrypt(&other, &msg, None).unwrap(), plain);
        assert_eq!(open(&other, msg).unwrap(), plain);
        let empty = sealed(&to(&[&me]), &[]);
        assert_eq!(decrypt(&me, &empty, None).unwrap(), b"");
        assert_eq!(open(&me, empty).unwrap(), b"");
    }

    #[test]
    fn opens_sequoia_streamed_messages_with_partial_lengths() {
        let me = identity();
        // Big enough for sequoia to emit partial body length chunks.
        let plain: Vec<u8> = (0..9_000_001u32).map(|i| (i * 13 % 253) as u8).collect();
        let msg = encrypt(&to(&[&me]), None, &plain).unwrap();
        let after_pkesk = super::packet(&mut msg.clone(), 0).unwrap().next;
        assert_eq!(msg[after_pkesk], 0xC0 | super::TAG_SEIPD);
        assert!((224..=254).contains(&msg[after_pkesk + 1]), "not partial");
        assert_eq!(open(&me, msg).unwrap(), plain);
    }

    #[test]
    fn refuses_what_is_not_an_intact_pack_for_us() {
        let (me, other) = (identity(), identity());
        let plain: Vec<u8> = (0..70_000u32).map(|i| (i % 249) as u8).collect();
        let msg = sealed(&to(&[&me]), &[&plain]);
        assert!(matches!(open(&other, msg.clone()), Err(Error::NotForUs)));
        // Any flipped byte of the encrypted part fails the MDC or the packet structure.
        for at in [msg.len() / 2, msg.len() - 25, msg.len() - 5, msg.len() - 1] {
            let mut bad = msg.clone();
            bad[at] ^= 0x40;
            assert!(
                matches!(open(&me, bad), Err(Error::Corrupt)),
                "flip at {at}"
            );
        }
        for cut in [1, 30, msg.len() / 2] {
            assert!(
                open(&me, msg[..msg.len() - cut].to_vec()).is_err(),
                "cut {cut}"
            );
        }
        let mut longer = msg.clone();
        longer.push(0);
        assert!(open(&me, longer).is_err());
        // A signed message is not the shape of a pack.
        let signed = encrypt(&to(&[&me]), Some(&me), b"signed").unwrap();
        assert!(matches!(open(&me, signed), Err(Error::Corrupt)));
    }

    /// A message with a compression layer, as gpg makes by default: cairn never writes
    /// one, and both readers refuse it whatever it holds.
    fn compressed(to: &RecipientSet, signer: Option<&Identity>) -> Vec<u8> {
        use openpgp::serialize::stream::{Compressor, Encryptor, LiteralWriter, Message, Signer};
        use openpgp::types::{CompressionAlgorithm, SymmetricAlgorithm};
        use std::io::Write;
        let mut out = Vec::new();
        let msg = Encryptor::for_recipients(Message::new(&mut out), to.recipients().unwrap())
            .symmetric_algo(SymmetricAlgorithm::AES256)
            .build()
            .unwrap();
        let msg = Compressor::new(msg)
            .algo(CompressionAlgorithm::Uncompressed)
            .build()
            .unwrap();
        let msg = match signer {
            Some(id) => Signer::new(msg, id.signer().unwrap().clone())
                .unwrap()
                .build()
                .unwrap(),
            None => msg,
        };
        let mut msg = LiteralWriter::new(msg).build().unwrap();
        msg.write_all(br#"{"version":1}"#).unwrap();
        msg.finalize().unwrap();
        out
    }

    #[test]
    fn compressed_messages_are_refused() {
        let me = identity();
        let plain = compressed(&to(&[&me]), None);
        assert!(matches!(decrypt(&me, &plain, None), Err(Error::Corrupt)));
        assert!(matches!(open(&me, plain), Err(Error::Corrupt)));
        let signed = compressed(&to(&[&me]), Some(&me));
        let got = decrypt(&me, &signed, Some(me.cert()));
        assert!(matches!(got, Err(Error::Corrupt)), "{got:?}");
        // The same message without the compression layer is read.
        let good = encrypt(&to(&[&me]), Some(&me), br#"{"version":1}"#).unwrap();
        assert!(decrypt(&me, &good, Some(me.cert())).is_ok());
    }
}
