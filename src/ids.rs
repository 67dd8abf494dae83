//! Identifiers of stored things as distinct types, so that a pack id can never be passed
//! where a blob id is meant.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(pub [u8; 32]);

        impl $name {
            pub fn to_hex(&self) -> String {
                hex::encode(self.0)
            }
            /// The first 8 hex digits, as shown to people.
            pub fn short(&self) -> String {
                hex::encode(&self.0[..4])
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.to_hex())
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($name), self.short())
            }
        }

        impl FromStr for $name {
            type Err = InvalidId;
            fn from_str(s: &str) -> Result<Self, InvalidId> {
                decode_hex32(s.as_bytes())
                    .map($name)
                    .ok_or_else(|| InvalidId(s.to_string()))
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                // Spelled on the stack: an index rewrite serializes millions of ids.
                let mut hex = [0u8; 64];
                hex::encode_to_slice(self.0, &mut hex).expect("64 digits for 32 bytes");
                s.serialize_str(std::str::from_utf8(&hex).expect("hex digits are ASCII"))
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                d.deserialize_str(HexId).map($name)
            }
        }
    };
}

id_type!(
    /// Keyed BLAKE3 of a blob's plaintext.
    BlobId
);
id_type!(
    /// Unkeyed BLAKE3 of a pack's stored (encrypted) bytes.
    PackId
);
id_type!(
    /// Unkeyed BLAKE3 of a snapshot object's stored bytes.
    SnapshotId
);
id_type!(
    /// Unkeyed BLAKE3 of an index object's stored bytes.
    IndexId
);
id_type!(
    /// Random id of a lock object.
    LockId
);

#[derive(Debug, thiserror::Error)]
#[error("not a 64-digit hex id: {0:?}")]
pub struct InvalidId(pub String);

/// The 32 bytes 64 hex digits (either case) spell. Every index entry and tree node
/// holds ids, so a prune or check at a million blobs decodes millions of them: a byte
/// pair at a time, with no error value built per digit.
fn decode_hex32(s: &[u8]) -> Option<[u8; 32]> {
    fn nibble(c: u8) -> Option<u8> {
        match c {
            b'0'..=b'9' => Some(c - b'0'),
            b'a'..=b'f' => Some(c - b'a' + 10),
            b'A'..=b'F' => Some(c - b'A' + 10),
            _ => None,
        }
    }
    if s.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (o, pair) in out.iter_mut().zip(s.chunks_exact(2)) {
        *o = nibble(pair[0])? << 4 | nibble(pair[1])?;
    }
    Some(out)
}

/// Reads an id from the string a parser hands over, borrowed where it can: a `String`
/// per id was an allocation per index entry and tree node.
struct HexId;

impl serde::de::Visitor<'_> for HexId {
    type Value = [u8; 32];

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a 64-digit hex id")
    }

    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<[u8; 32], E> {
        decode_hex32(v.as_bytes()).ok_or_else(|| E::custom(InvalidId(v.to_string())))
    }
}

/// Random 32 bytes from the operating system's generator.
pub fn random_bytes() -> [u8; 32] {
    use rand::RngCore;
    let mut b = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut b);
    b
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_round_trip_and_rejects_garbage() {
        let id = BlobId(random_bytes());
        let back: BlobId = id.to_hex().parse().unwrap();
        assert_eq!(id, back);
        assert!("zz".parse::<BlobId>().is_err());
        assert!(id.to_hex()[..62].parse::<BlobId>().is_err());
        let json = serde_json::to_string(&id).unwrap();
        assert_eq!(serde_json::from_str::<BlobId>(&json).unwrap(), id);
        let upper = format!("{:?}", id.to_hex().to_uppercase());
        assert_eq!(serde_json::from_str::<BlobId>(&upper).unwrap(), id);
        for bad in [
            "\"zz\"",
            "\"\"",
            "7",
            &format!("{:?}", &id.to_hex()[1..]),
            &format!("\"g{}\"", &id.to_hex()[1..]),
        ] {
            let e = serde_json::from_str::<BlobId>(bad).unwrap_err().to_string();
            assert!(e.contains("hex id"), "{bad}: {e}");
        }
        // Escapes in a JSON string are undone before the digits are read.
        let escaped = format!("\"\\u0030{}\"", &id.to_hex()[1..]);
        let want = format!("0{}", &id.to_hex()[1..]);
        assert_eq!(
            serde_json::from_str::<BlobId>(&escaped).unwrap(),
            want.parse().unwrap()
        );
    }
}
