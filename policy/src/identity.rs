//! `signedIdentity` rules (containers/image `PolicyReferenceMatch`): which docker reference a signature may
//! claim for a given image.
//!
//! OWNER: helper "reference". Interface fixed; bodies to be written.

use crate::{Error, reference::DockerReference};

/// One of the six `signedIdentity` rules.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SignedIdentity {
    /// `matchExact`
    MatchExact,
    /// `matchRepoDigestOrExact` (the default)
    MatchRepoDigestOrExact,
    /// `matchRepository`
    MatchRepository,
    /// `exactReference` with `dockerReference`
    ExactReference {
        /// The reference, as written in the policy.
        docker_reference: String,
    },
    /// `exactRepository` with `dockerRepository`
    ExactRepository {
        /// The repository, as written in the policy.
        docker_repository: String,
    },
    /// `remapIdentity` with `prefix` and `signedPrefix`
    RemapIdentity {
        /// The prefix of the image name to replace.
        prefix: String,
        /// What the signature must claim instead.
        signed_prefix: String,
    },
}

impl SignedIdentity {
    /// Builds `exactReference`, validating as `NewPRMExactReference`
    /// (`Invalid format of dockerReference "x": <err>`, `dockerReference "x" contains neither a tag nor digest`).
    pub fn exact_reference(_docker_reference: &str) -> Result<Self, Error> {
        todo!("reference helper")
    }
    /// Builds `exactRepository` (`Invalid format of dockerRepository "x": <err>`).
    pub fn exact_repository(_docker_repository: &str) -> Result<Self, Error> {
        todo!("reference helper")
    }
    /// Builds `remapIdentity` (`prefix "x" is not valid`).
    pub fn remap_identity(_prefix: &str, _signed_prefix: &str) -> Result<Self, Error> {
        todo!("reference helper")
    }
    /// The JSON `type` name, e.g. `matchRepoDigestOrExact`.
    pub fn type_name(&self) -> &'static str {
        match self {
            SignedIdentity::MatchExact => "matchExact",
            SignedIdentity::MatchRepoDigestOrExact => "matchRepoDigestOrExact",
            SignedIdentity::MatchRepository => "matchRepository",
            SignedIdentity::ExactReference { .. } => "exactReference",
            SignedIdentity::ExactRepository { .. } => "exactRepository",
            SignedIdentity::RemapIdentity { .. } => "remapIdentity",
        }
    }
    /// `matchesDockerReference(image, signatureDockerReference)`: whether a signature claiming
    /// `signature_reference` is acceptable for an image whose docker identity is `image`.
    pub fn matches(&self, _image: Option<&DockerReference>, _signature_reference: &str) -> bool {
        todo!("reference helper")
    }
}

impl Default for SignedIdentity {
    fn default() -> Self {
        SignedIdentity::MatchRepoDigestOrExact
    }
}
