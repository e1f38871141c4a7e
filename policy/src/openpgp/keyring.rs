//! Ephemeral keyrings (containers/image `NewEphemeralGPGSigningMechanism` + `importKeysFromBytes`).

/// Public keys imported from one or more blobs (binary or ASCII-armored, several certificates each).
/// Parsed once; cheap to share behind an `Arc`.
#[derive(Debug, Clone, Default)]
pub struct Keyring {
    fingerprints: Vec<String>,
}

impl Keyring {
    /// Imports every certificate found in `blobs`, as GnuPG's import does for the GPGME mechanism:
    /// unparsable input imports nothing (no error).
    pub fn from_blobs<'a>(_blobs: impl IntoIterator<Item = &'a [u8]>) -> Keyring {
        todo!("openpgp helper")
    }
    /// Uppercase hex fingerprints of the imported primary keys, in import order, duplicates kept.
    pub fn fingerprints(&self) -> &[String] {
        &self.fingerprints
    }
}
