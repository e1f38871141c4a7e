//! Verifying a simple signature and extracting its claims (`signature/simple.go`
//! `verifyAndExtractSignature`), and the standalone check of `skopeo standalone-verify`
//! (`signature/docker.go` `VerifyImageManifestSignatureUsingKeyIdentityList`).

use std::time::SystemTime;

use crate::{
    Error, manifest,
    openpgp::{self, Keyring},
    payload::SimpleSigningPayload,
    reference::DockerReference,
};

/// A verified simple signature's claims and signer.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct VerifiedSignature {
    /// `docker-manifest-digest` as written in the payload.
    pub docker_manifest_digest: String,
    /// `docker-reference` as written in the payload.
    pub docker_reference: String,
    /// Uppercase fingerprint of the primary key that signed (the accepted key identity).
    pub signer: String,
    /// The whole payload.
    pub payload: SimpleSigningPayload,
}

/// Verifies `blob` with `keyring`, then applies, in containers/image's order: the key-identity check
/// against `accepted_keys`, the strict payload parse, `check_digest`, then `check_reference`.
pub(crate) fn verify_and_extract(
    keyring: &Keyring,
    accepted_keys: &[String],
    blob: &[u8],
    now: SystemTime,
    check_digest: impl FnOnce(&str) -> Result<(), Error>,
    check_reference: impl FnOnce(&str) -> Result<(), Error>,
) -> Result<VerifiedSignature, Error> {
    let verified = openpgp::verify(keyring, blob, now)?;
    let accepted = |fpr: &str| accepted_keys.iter().any(|k| k == fpr);
    // GPGME (the default build, which the SDK follows) looks up the primary key of every signing key
    // that is not accepted itself, so a primary key is named twice: `signature by key A of A is not
    // accepted` (recorded from containers/image v5.42, conformance/fixtures/expected-current.jsonl). The
    // `signature by key A is not accepted` branch of verifyAndExtractSignature is taken only by
    // mechanisms without that lookup (the openpgp and Sequoia builds).
    let signer = if accepted(&verified.key_fingerprint) {
        verified.key_fingerprint
    } else if accepted(&verified.primary_fingerprint) {
        verified.primary_fingerprint
    } else {
        return Err(Error::InvalidSignature(format!(
            "signature by key {} of {} is not accepted",
            verified.key_fingerprint, verified.primary_fingerprint
        )));
    };
    let payload = SimpleSigningPayload::from_slice(&verified.content)?;
    check_digest(&payload.docker_manifest_digest)?;
    check_reference(&payload.docker_reference)?;
    Ok(VerifiedSignature {
        docker_manifest_digest: payload.docker_manifest_digest.clone(),
        docker_reference: payload.docker_reference.clone(),
        signer,
        payload,
    })
}

/// `VerifyImageManifestSignatureUsingKeyIdentityList`, the check behind `skopeo standalone-verify`:
/// `signature` must be made by one of `accepted_keys` (fingerprints; a subkey's primary counts), sign the
/// digest of `manifest`, and claim exactly `expected_reference` (compared after normalization).
///
/// ```no_run
/// # fn main() -> Result<(), containers_policy::Error> {
/// use containers_policy::{openpgp::Keyring, simple::verify_docker_manifest_signature};
/// let keyring = Keyring::from_blobs([std::fs::read("key.gpg").unwrap().as_slice()]);
/// let sig = verify_docker_manifest_signature(
///     &std::fs::read("signature-1").unwrap(),
///     &std::fs::read("manifest.json").unwrap(),
///     "quay.io/ns/app:1.0",
///     &keyring,
///     keyring.fingerprints(),
///     std::time::SystemTime::now(),
/// )?;
/// println!("signed by {}", sig.signer);
/// # Ok(()) }
/// ```
pub fn verify_docker_manifest_signature(
    signature: &[u8],
    manifest_bytes: &[u8],
    expected_reference: &str,
    keyring: &Keyring,
    accepted_keys: &[String],
    now: SystemTime,
) -> Result<VerifiedSignature, Error> {
    let expected = DockerReference::parse_normalized(expected_reference)?;
    verify_and_extract(
        keyring,
        accepted_keys,
        signature,
        now,
        |digest| {
            if manifest::matches_digest(manifest_bytes, digest)? {
                Ok(())
            } else {
                Err(Error::InvalidSignature(format!(
                    "Signature for docker digest {} does not match",
                    crate::error::go_quote(digest)
                )))
            }
        },
        |signed| {
            let signed_ref = DockerReference::parse_normalized(signed).map_err(|_| {
                Error::InvalidSignature(format!(
                    "Invalid docker reference {} in signature",
                    crate::error::go_quote(signed)
                ))
            })?;
            if signed_ref.to_string() == expected.to_string() {
                Ok(())
            } else {
                Err(Error::InvalidSignature(format!(
                    "Docker reference {} does not match {}",
                    crate::error::go_quote(signed),
                    crate::error::go_quote(expected_reference)
                )))
            }
        },
    )
}

/// The `optional.creator` this library writes into payloads it signs.
pub const CREATOR: &str = concat!("containers-policy ", env!("CARGO_PKG_VERSION"));

/// `SignDockerManifestWithOptions`, the operation behind `skopeo standalone-sign`: digests `manifest_bytes`,
/// builds a payload claiming `docker_reference` (written as given) with `creator` and the timestamp `now`,
/// and signs it with `key`.
pub fn sign_docker_manifest(
    manifest_bytes: &[u8],
    docker_reference: &str,
    key: &openpgp::SigningKey,
    now: SystemTime,
) -> Result<Vec<u8>, Error> {
    let digest = manifest::manifest_digest(manifest_bytes)?;
    let mut payload = SimpleSigningPayload::new(digest.as_str(), docker_reference);
    payload.creator = Some(CREATOR.to_owned());
    payload.timestamp = Some(
        now.duration_since(SystemTime::UNIX_EPOCH)
            .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
            .unwrap_or(0),
    );
    openpgp::sign(key, &payload.to_json()?, now)
}
