//! Signature blobs as stored by containers/image (`internal/signature`): raw simple-signing OpenPGP or a
//! format-tagged blob (`\0sigstore-json\n{…}`), sniffed by the first byte.
//!
//! OWNER: helper "formats". Interface fixed; bodies to be written.

use std::collections::BTreeMap;

use crate::Error;

/// One signature of an image.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Signature {
    /// A simple-signing OpenPGP message.
    SimpleSigning(Vec<u8>),
    /// A sigstore (cosign) signature.
    Sigstore(SigstoreSignature),
}

/// A sigstore signature: an attachment's MIME type, payload and annotations.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SigstoreSignature {
    /// `mimeType`
    pub mime_type: String,
    /// The payload bytes.
    pub payload: Vec<u8>,
    /// Annotations.
    pub annotations: BTreeMap<String, String>,
}

impl Signature {
    /// `signature.FromBlob` (`empty signature blob`, `unrecognized signature format, starting with binary 0x2d`, …).
    pub fn from_blob(_blob: &[u8]) -> Result<Signature, Error> {
        todo!("formats helper")
    }
    /// `signature.Blob`.
    pub fn to_blob(&self) -> Vec<u8> {
        todo!("formats helper")
    }
}
