//! Verifying simple-signing OpenPGP messages.

use std::time::SystemTime;

use super::Keyring;
use crate::Error;

/// A message whose signature verified.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct VerifiedMessage {
    /// The signed literal data.
    pub content: Vec<u8>,
    /// Uppercase hex fingerprint of the signing key (a subkey's own fingerprint if a subkey signed).
    pub key_fingerprint: String,
    /// Uppercase hex fingerprint of the primary key owning the signing key.
    pub primary_fingerprint: String,
}

/// Verifies `blob` (an OpenPGP signed message) against `keyring` at time `now`, with the GPGME mechanism's
/// verdicts: exactly one signature (`Unexpected GPG signature count N`), any bad/expired/revoked/unknown-key
/// status rejected (`Invalid GPG signature: …`).
pub fn verify(
    _keyring: &Keyring,
    _blob: &[u8],
    _now: SystemTime,
) -> Result<VerifiedMessage, Error> {
    todo!("openpgp helper")
}

/// Contents of a signature read without verifying it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct UntrustedContents {
    /// The literal data.
    pub content: Vec<u8>,
    /// The issuer's 16-hex-digit key ID, uppercase.
    pub short_key_id: String,
}

/// `UntrustedSignatureContents`: reads the literal data and issuer key ID without verifying
/// (`The input is not a signature` when unsigned).
pub fn untrusted_contents(_blob: &[u8]) -> Result<UntrustedContents, Error> {
    todo!("openpgp helper")
}
