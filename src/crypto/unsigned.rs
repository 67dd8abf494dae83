//! Decrypting messages that carry no signature (packs, indexes) packet by packet.
//!
//! sequoia's streaming `Decryptor` holds plaintext back until it has checked the
//! integrity of the whole message, and with a hold-back buffer the size of the message
//! it keeps about three copies of it in its reader stack: ~26 MB for each 8 MiB pack,
//! more than half of a tree restore's heap. Walking the packets ourselves reads the
//! literal data straight into the caller's buffer and checks the MDC at the end, before
//! anything is returned. Releasing nothing until the MDC is checked is what the
//! hold-back was for; the caller's buffer does that at no extra cost.
//!
//! Rich errors from `PacketParser::decrypt` could be a decryption oracle if relayed to
//! an attacker; every failure here becomes `Corrupt` or `NotForUs`, and packs are
//! checked against their content hash before they are decrypted.

use std::io::Read;

use openpgp::parse::{PacketParser, PacketParserResult, Parse};
use openpgp::Packet;
use openpgp::{packet::PKESK, KeyHandle};
use sequoia_openpgp as openpgp;

use super::keys::Identity;
use super::Error;

/// The plaintext of a message of the form PKESK*, SEIPD v1 { literal data, MDC }, as
/// cairn writes it; anything else (signatures, compression, nesting) is refused as
/// corrupt.
pub fn decrypt_unsigned(identity: &Identity, ciphertext: &[u8]) -> Result<Vec<u8>, Error> {
    let corrupt = |_| Error::Corrupt;
    let mut out = Vec::with_capacity(ciphertext.len());
    let mut pkesks: Vec<PKESK> = Vec::new();
    let (mut decrypted, mut literal) = (false, false);
    // Whether the MDC packet matched, once it has come by.
    let mut mdc: Option<bool> = None;
    let mut ppr = PacketParser::from_bytes(ciphertext).map_err(corrupt)?;
    while let PacketParserResult::Some(mut pp) = ppr {
        match &pp.packet {
            Packet::PKESK(p) if !decrypted => pkesks.push(p.clone()),
            Packet::SEIP(_) if !decrypted => {
                unlock(identity, &pkesks, &mut pp)?;
                decrypted = true;
            }
            Packet::Literal(_) if decrypted && !literal => {
                read_in_steps(&mut pp, &mut out)?;
                literal = true;
            }
            // Deprecated with SEIPD v2, which has no MDC packet; v1 messages still end
            // in one, and sequoia's own Decryptor checks it the same way.
            #[allow(deprecated)]
            Packet::MDC(m) if literal && mdc.is_none() => mdc = Some(m.valid()),
            _ => return Err(Error::Corrupt),
        }
        ppr = pp.recurse().map_err(corrupt)?.1;
    }
    if decrypted && literal && mdc == Some(true) {
        Ok(out)
    } else {
        Err(Error::Corrupt)
    }
}

/// Appends everything `r` yields to `out`, asking for a bounded amount at a time:
/// asked for all of it at once, every reader below buffers all of it.
fn read_in_steps(r: &mut impl Read, out: &mut Vec<u8>) -> Result<(), Error> {
    let mut step = vec![0u8; 1 << 16];
    loop {
        match r.read(&mut step) {
            Ok(0) => return Ok(()),
            Ok(n) => out.extend_from_slice(&step[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(_) => return Err(Error::Corrupt),
        }
    }
}

/// Decrypts the encrypted container `pp` is at with the first session key one of our
/// keys recovers.
fn unlock(identity: &Identity, pkesks: &[PKESK], pp: &mut PacketParser) -> Result<(), Error> {
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
            if let Some((algo, sk)) = pkesk.decrypt(&mut pair, None) {
                if pp.decrypt(algo, &sk).is_ok() {
                    return Ok(());
                }
            }
        }
    }
    Err(if for_us {
        Error::Corrupt
    } else {
        Error::NotForUs
    })
}

#[cfg(test)]
mod tests {
    use super::super::keys::{self, Identity, KeyKind};
    use super::super::{encrypt, Error, RecipientSet};
    use super::decrypt_unsigned;
    use openpgp::parse::Parse;
    use sequoia_openpgp as openpgp;

    fn identity() -> Identity {
        let armored = keys::generate("test <t@example.org>", KeyKind::Cv25519, None).unwrap();
        let cert = openpgp::Cert::from_bytes(&armored).unwrap();
        keys::unlock(cert, None, "test").unwrap()
    }

    fn to(id: &Identity) -> RecipientSet {
        RecipientSet::new(&[id.cert().clone()]).unwrap()
    }

    #[test]
    fn opens_what_encrypt_writes_and_nothing_else() {
        let (me, other) = (identity(), identity());
        // Larger than a step and not a multiple of it.
        let plain: Vec<u8> = (0..300_001u32).map(|i| (i * 7 % 251) as u8).collect();
        let msg = encrypt(&to(&me), None, &plain).unwrap();
        assert_eq!(decrypt_unsigned(&me, &msg).unwrap(), plain);
        assert!(matches!(
            decrypt_unsigned(&other, &msg),
            Err(Error::NotForUs)
        ));
        // Any flipped byte of the encrypted part fails the MDC or the packet structure.
        for at in [msg.len() / 2, msg.len() - 5, msg.len() - 1] {
            let mut bad = msg.clone();
            bad[at] ^= 0x40;
            assert!(
                matches!(decrypt_unsigned(&me, &bad), Err(Error::Corrupt)),
                "flip at {at}"
            );
        }
        assert!(decrypt_unsigned(&me, &msg[..msg.len() - 30]).is_err());
        // A signed message is not the shape of a pack.
        let signed = encrypt(&to(&me), Some(&me), b"signed").unwrap();
        assert!(matches!(
            decrypt_unsigned(&me, &signed),
            Err(Error::Corrupt)
        ));
    }
}
