//! The input of an evaluation: an image's reference, manifest and signatures, and a reader for the
//! `dir:` layout that `skopeo copy … dir:DIR` writes.

use std::{io, path::Path};

use crate::{Error, error::IoError, manifest, signature::Signature, transports::ImageReference};

/// An image to evaluate: its reference (as the user named it), its manifest and its signatures.
///
/// Failures to read the manifest or the signatures are kept and reported by the evaluation where
/// containers/image reports them (a missing manifest only matters once a signature needs its digest).
#[derive(Debug, Clone)]
pub struct UnparsedImage {
    reference: ImageReference,
    manifest: Result<Vec<u8>, Error>,
    signatures: Result<Vec<Signature>, Error>,
}

impl UnparsedImage {
    /// An image with a known manifest and already-parsed signatures.
    pub fn new(reference: ImageReference, manifest: Vec<u8>, signatures: Vec<Signature>) -> Self {
        Self::with_results(reference, Ok(manifest), Ok(signatures))
    }

    /// An image given as raw signature blobs (as stored in `dir:`, lookaside stores, …); a blob that is not
    /// a recognized signature format makes reading signatures fail, as it does upstream.
    pub fn from_blobs<B: AsRef<[u8]>>(
        reference: ImageReference,
        manifest: Vec<u8>,
        blobs: &[B],
    ) -> Self {
        let signatures = blobs
            .iter()
            .map(|b| Signature::from_blob(b.as_ref()))
            .collect();
        Self::with_results(reference, Ok(manifest), signatures)
    }

    /// An image whose manifest or signatures may have failed to load.
    ///
    /// As containers/image's `UnparsedImage.Manifest` does, a manifest is checked against the digest in the
    /// reference's docker identity when that has one
    /// (`Manifest does not match provided manifest digest <digest>`).
    pub fn with_results(
        reference: ImageReference,
        manifest: Result<Vec<u8>, Error>,
        signatures: Result<Vec<Signature>, Error>,
    ) -> Self {
        let manifest = manifest.and_then(|m| {
            if let Some(expected) = reference.docker_reference().and_then(|r| r.digest()) {
                match manifest::matches_digest(&m, expected.as_str()) {
                    Ok(true) => {}
                    Ok(false) => {
                        return Err(Error::Manifest(format!(
                            "Manifest does not match provided manifest digest {expected}"
                        )));
                    }
                    Err(e) => {
                        return Err(Error::Manifest(format!("computing manifest digest: {e}")));
                    }
                }
            }
            Ok(m)
        });
        UnparsedImage {
            reference,
            manifest,
            signatures,
        }
    }

    /// Reads an image stored in the `dir:` layout: `DIR/manifest.json` and `DIR/signature-1`,
    /// `DIR/signature-2`, … up to the first missing one, evaluated as `reference`.
    pub fn from_dir(dir: impl AsRef<Path>, reference: ImageReference) -> Self {
        let dir = dir.as_ref();
        let manifest_path = dir.join("manifest.json");
        let manifest = std::fs::read(&manifest_path)
            .map_err(|e| IoError::new("open", &manifest_path, e).into());
        let signatures = read_dir_signatures(dir);
        Self::with_results(reference, manifest, signatures)
    }

    /// The reference the image is evaluated as.
    pub fn reference(&self) -> &ImageReference {
        &self.reference
    }

    /// The manifest, or why it could not be read.
    pub fn manifest(&self) -> Result<&[u8], &Error> {
        self.manifest.as_deref()
    }

    /// All signatures (`UntrustedSignatures`), or why they could not be read.
    pub fn signatures(&self) -> Result<&[Signature], &Error> {
        self.signatures.as_deref()
    }
}

/// The `dir:` transport's signature walk (`directory_src.go` `GetSignaturesWithFormat`).
fn read_dir_signatures(dir: &Path) -> Result<Vec<Signature>, Error> {
    let mut out = Vec::new();
    for i in 1.. {
        let path = dir.join(format!("signature-{i}"));
        let blob = match std::fs::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == io::ErrorKind::NotFound => break,
            Err(e) => return Err(IoError::new("open", &path, e).into()),
        };
        let sig = Signature::from_blob(&blob).map_err(|e| {
            Error::SignatureFormat(format!(
                "parsing signature {}: {e}",
                crate::error::go_quote(&path.display().to_string())
            ))
        })?;
        out.push(sig);
    }
    Ok(out)
}
