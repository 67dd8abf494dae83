//! Whom a repository's config, snapshots and index objects must be signed by.
//!
//! The answer comes from the user, never from the repository: the storage provider can
//! replace every object, and a config that names its own signer would let it choose whom
//! we trust. In order:
//! 1. a fingerprint the user named (`--trust-signer`, `CAIRN_TRUST_SIGNER`, a profile's
//!    `trust_signer`);
//! 2. the pin this machine recorded for the repository's location;
//! 3. the key given with `-k`, which trusts exactly itself.
//!
//! The first open that verifies records the pin. Pins live outside the cache (which
//! anyone may delete to save space, and which is named after the repository id, a value
//! read from storage), keyed by the repository's location.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// What the user said about trust; resolved against a repository by [`Pins::choose`].
#[derive(Debug, Clone, Default)]
pub struct TrustSettings {
    /// A signing key's fingerprint the user named explicitly.
    pub signer: Option<String>,
    /// Where pins are kept; `None` keeps none (nothing is read or written).
    pub pin_dir: Option<PathBuf>,
}

impl TrustSettings {
    /// `explicit` from a flag or profile; pins in `CAIRN_PIN_DIR`, else
    /// `$XDG_CONFIG_HOME/cairn/pins`, else `~/.config/cairn/pins`.
    pub fn new(explicit: Option<String>) -> TrustSettings {
        TrustSettings {
            signer: explicit,
            pin_dir: default_pin_dir(),
        }
    }
}

fn default_pin_dir() -> Option<PathBuf> {
    let var = |k: &str| std::env::var_os(k).filter(|v| !v.is_empty());
    if let Some(d) = var("CAIRN_PIN_DIR") {
        return Some(PathBuf::from(d));
    }
    if let Some(x) = var("XDG_CONFIG_HOME") {
        return Some(PathBuf::from(x).join("cairn").join("pins"));
    }
    var("HOME").map(|h| PathBuf::from(h).join(".config").join("cairn").join("pins"))
}

/// Where the expected signer came from, for messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    Explicit,
    Pinned(PathBuf),
    OwnKey,
}

impl Origin {
    pub fn describe(&self) -> String {
        match self {
            Origin::Explicit => {
                "the signer you named (--trust-signer / CAIRN_TRUST_SIGNER / profile trust_signer)"
                    .into()
            }
            Origin::Pinned(p) => format!("the signer this machine pinned ({})", p.display()),
            Origin::OwnKey => "your key (-k)".into(),
        }
    }
}

/// The signer a repository must verify against.
#[derive(Debug, Clone)]
pub struct Expected {
    pub fingerprint: String,
    pub origin: Origin,
    /// Whether to record the pin once the config verifies.
    pub record: bool,
    /// The highest config generation this machine has seen at this location: storage
    /// that serves an older one (replaying a recipient list that still names a removed
    /// key) is refused.
    pub generation: u64,
}

/// A fingerprint as the user may type it, upper-case hex, or why it is not one.
fn fingerprint(s: &str) -> Result<String, String> {
    crate::crypto::keys::validate_fingerprint(s).map_err(|e| e.to_string())
}

#[derive(Debug, Serialize, Deserialize)]
struct PinFile {
    location: String,
    signer: String,
    pinned: chrono::DateTime<chrono::Utc>,
    /// Absent in pins recorded before recipient lists could change: generation 0.
    #[serde(default)]
    generation: u64,
}

/// What this machine recorded for a location.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pin {
    pub signer: String,
    pub generation: u64,
}

/// Pins of one repository location.
pub struct Pins {
    file: Option<PathBuf>,
    location: String,
}

impl Pins {
    pub fn new(settings: &TrustSettings, location: &str) -> Pins {
        let location = pin_key(location);
        let file = settings.pin_dir.as_ref().map(|d| {
            let h = blake3::hash(location.as_bytes()).to_hex();
            d.join(format!("{}.json", &h[..32]))
        });
        Pins { file, location }
    }

    /// The pinned fingerprint, if any. A pin file that cannot be read is an error, not
    /// "no pin": failing open here would fall back to trusting the key given.
    pub fn get(&self) -> Result<Option<Pin>, String> {
        let Some(f) = &self.file else { return Ok(None) };
        let text = match std::fs::read(f) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(format!("pin file {}: {e}", f.display())),
        };
        let pin: PinFile = serde_json::from_slice(&text)
            .map_err(|e| format!("pin file {}: malformed ({e})", f.display()))?;
        let signer =
            fingerprint(&pin.signer).map_err(|e| format!("pin file {}: {e}", f.display()))?;
        Ok(Some(Pin {
            signer,
            generation: pin.generation,
        }))
    }

    pub fn path(&self) -> Option<&Path> {
        self.file.as_deref()
    }

    /// Records `signer` and the config `generation` for this location (replacing any
    /// pin: callers decide when). Best effort: a read-only home only costs the pin, with
    /// a warning.
    pub fn set(&self, signer: &str, generation: u64) {
        let Some(f) = &self.file else { return };
        let pin = PinFile {
            location: self.location.clone(),
            signer: signer.to_string(),
            pinned: chrono::Utc::now(),
            generation,
        };
        let body = serde_json::to_vec_pretty(&pin).expect("pin serialises");
        if let Err(e) = crate::fsutil::replace_private(f, &body) {
            crate::ui::warn(&format!(
                "could not record the signer pin in {}: {e}",
                f.display()
            ));
        }
    }

    /// Decides whom the config must be signed by.
    pub fn choose(&self, settings: &TrustSettings, own: &str) -> Result<Expected, String> {
        let pin = self.get()?;
        let generation = pin.as_ref().map_or(0, |p| p.generation);
        let pinned = pin.map(|p| p.signer);
        let pin_origin = || Origin::Pinned(self.file.clone().unwrap_or_default());
        match (&settings.signer, pinned) {
            (Some(named), Some(pinned)) => {
                let named = fingerprint(named)?;
                if named != pinned {
                    return Err(format!(
                        "repository {}: you named signer {named}, but this machine pinned {pinned} ({}); if the repository's signing key really changed, delete that file",
                        self.location,
                        self.file.as_deref().unwrap_or(Path::new("")).display()
                    ));
                }
                Ok(Expected {
                    fingerprint: named,
                    origin: pin_origin(),
                    record: false,
                    generation,
                })
            }
            (Some(named), None) => Ok(Expected {
                fingerprint: fingerprint(named)?,
                origin: Origin::Explicit,
                record: true,
                generation,
            }),
            (None, Some(pinned)) => Ok(Expected {
                fingerprint: pinned,
                origin: pin_origin(),
                record: false,
                generation,
            }),
            (None, None) => Ok(Expected {
                fingerprint: fingerprint(own)?,
                origin: Origin::OwnKey,
                record: true,
                generation,
            }),
        }
    }
}

/// The location pins are keyed by: object-store URLs as they are, directories by their
/// absolute path, so `repo` and `./repo` share a pin.
fn pin_key(location: &str) -> String {
    if location.contains("://") {
        return location.to_string();
    }
    std::fs::canonicalize(location)
        .or_else(|_| std::path::absolute(location))
        .map(|p| p.display().to_string())
        .unwrap_or_else(|_| location.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &str = "0123456789ABCDEF0123456789ABCDEF01234567";
    const B: &str = "89ABCDEF0123456789ABCDEF0123456789ABCDEF";

    fn settings(dir: &Path, named: Option<&str>) -> TrustSettings {
        TrustSettings {
            signer: named.map(str::to_string),
            pin_dir: Some(dir.to_path_buf()),
        }
    }

    #[test]
    fn own_key_then_pin_then_mismatch() {
        let d = tempfile::tempdir().unwrap();
        let s = settings(d.path(), None);
        let pins = Pins::new(&s, "s3://bucket/x");
        let e = pins.choose(&s, A).unwrap();
        assert_eq!(
            (e.fingerprint.as_str(), e.origin.clone()),
            (A, Origin::OwnKey)
        );
        assert!(e.record);
        pins.set(A, 0);
        // Another key on the same machine must verify against the pin, not itself.
        let e = pins.choose(&s, B).unwrap();
        assert_eq!(e.fingerprint, A);
        assert!(matches!(e.origin, Origin::Pinned(_)) && !e.record);
        // Naming a different signer than the pin is refused, naming both.
        let named = settings(d.path(), Some(B));
        let err = pins.choose(&named, A).unwrap_err();
        assert!(err.contains(A) && err.contains(B), "{err}");
        // Another location has no pin.
        let other = Pins::new(&s, "s3://bucket/y");
        assert_eq!(other.choose(&s, B).unwrap().fingerprint, B);
    }

    #[test]
    fn a_named_signer_wins_without_a_pin_and_a_bad_pin_file_fails_closed() {
        let d = tempfile::tempdir().unwrap();
        let named = settings(d.path(), Some(&B.to_lowercase()));
        let pins = Pins::new(&named, "swift://c/p");
        let e = pins.choose(&named, A).unwrap();
        assert_eq!((e.fingerprint.as_str(), e.origin), (B, Origin::Explicit));
        std::fs::write(pins.path().unwrap(), b"{not json").unwrap();
        assert!(pins.choose(&named, A).unwrap_err().contains("malformed"));
    }
}
