//! Simple-signing payloads (`atomic container signature` JSON): creation and strict untrusted parsing.
//!
//! OWNER: helper "policy-json". Interface fixed; bodies to be written.

use crate::Error;

/// The `critical.type` of simple signing.
pub const SIMPLE_SIGNING_TYPE: &str = "atomic container signature";

/// A simple-signing payload.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SimpleSigningPayload {
    /// `critical.image.docker-manifest-digest` (as written; validated by go-digest at parse time)
    pub docker_manifest_digest: String,
    /// `critical.identity.docker-reference` (as written; not validated at parse time)
    pub docker_reference: String,
    /// `optional.creator`
    pub creator: Option<String>,
    /// `optional.timestamp` (Unix seconds)
    pub timestamp: Option<i64>,
}

impl SimpleSigningPayload {
    /// A payload for signing (`creator`/`timestamp` set by the caller).
    pub fn new(
        docker_manifest_digest: impl Into<String>,
        docker_reference: impl Into<String>,
    ) -> Self {
        SimpleSigningPayload {
            docker_manifest_digest: docker_manifest_digest.into(),
            docker_reference: docker_reference.into(),
            creator: None,
            timestamp: None,
        }
    }
    /// `MarshalJSON`: sorted keys, compact, no trailing newline. Empty digest or reference →
    /// `Unexpected empty signature content`.
    pub fn to_json(&self) -> Result<Vec<u8>, Error> {
        todo!("policy-json helper")
    }
    /// Strict parse of verified bytes (`untrustedSignature.UnmarshalJSON`); errors are
    /// [`Error::InvalidSignature`] with upstream text.
    pub fn from_slice(_data: &[u8]) -> Result<Self, Error> {
        todo!("policy-json helper")
    }
}
