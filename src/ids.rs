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
                let mut out = [0u8; 32];
                hex::decode_to_slice(s, &mut out).map_err(|_| InvalidId(s.to_string()))?;
                Ok($name(out))
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.to_hex())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                s.parse().map_err(serde::de::Error::custom)
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
    }
}
