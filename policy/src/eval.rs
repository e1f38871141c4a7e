//! `PolicyContext`: a compiled policy that answers "may this image run?".
//!
//! OWNER: lead. Interface fixed; bodies being written.

use std::{path::PathBuf, sync::Arc, time::SystemTime};

use crate::{Error, Policy, signature::Signature, transports::ImageReference};

/// Optional knobs of a [`PolicyContext`].
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct Options {
    /// The time signatures and keys are judged at; `None` = the current time at each evaluation.
    pub now: Option<SystemTime>,
    /// Directory relative key paths are resolved against; `None` = the process's working directory, as
    /// containers/image does.
    pub base_dir: Option<PathBuf>,
}

/// An image to evaluate: its reference (as the user named it), its manifest and its signatures.
#[derive(Debug, Clone)]
pub struct UnparsedImage {
    reference: ImageReference,
    manifest: Result<Vec<u8>, Error>,
    signatures: Result<Vec<Signature>, Error>,
}

impl UnparsedImage {
    /// An image with a known manifest and already-parsed signatures.
    pub fn new(reference: ImageReference, manifest: Vec<u8>, signatures: Vec<Signature>) -> Self {
        UnparsedImage { reference, manifest: Ok(manifest), signatures: Ok(signatures) }
    }
    /// An image whose manifest or signatures could not be read: evaluation reports these errors where
    /// containers/image would.
    pub fn with_results(
        reference: ImageReference,
        manifest: Result<Vec<u8>, Error>,
        signatures: Result<Vec<Signature>, Error>,
    ) -> Self {
        UnparsedImage { reference, manifest, signatures }
    }
    /// The reference.
    pub fn reference(&self) -> &ImageReference {
        &self.reference
    }
}

/// A signature accepted by `signedBy`: the claims of its verified payload.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct AcceptedSignature {
    /// `docker-manifest-digest` as written in the payload.
    pub docker_manifest_digest: String,
    /// `docker-reference` as written in the payload.
    pub docker_reference: String,
    /// Primary-key fingerprint of the signer.
    pub signer: String,
}

/// What happened to one signature under one requirement.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct SignatureOutcome {
    /// 1-based index among the image's signatures.
    pub index: usize,
    /// Accepted, or why not.
    pub result: Result<AcceptedSignature, Error>,
}

/// What happened to one requirement.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct RequirementOutcome {
    /// Position in the scope's requirement list (0-based).
    pub index: usize,
    /// The requirement's `type`.
    pub type_name: &'static str,
    /// Allowed, or why not.
    pub result: Result<(), Error>,
    /// Per-signature detail (signature-checking requirements only).
    pub signatures: Vec<SignatureOutcome>,
}

/// The answer to "may this image run?", with the reasons.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Decision {
    /// The transport section consulted (`None` = the global `default`).
    pub transport: Option<String>,
    /// The scope whose requirements applied (`None` = the global `default`; `Some("")` = transport default).
    pub scope: Option<String>,
    /// Requirements evaluated, in order, up to and including the first denial.
    pub requirements: Vec<RequirementOutcome>,
    /// `Ok` when allowed; otherwise the containers/image error.
    pub result: Result<(), Error>,
}

impl Decision {
    /// Whether the image may run.
    pub fn allowed(&self) -> bool {
        self.result.is_ok()
    }
}

/// A policy compiled for evaluation: key files read and parsed once. Cheap to clone, `Send + Sync`.
#[derive(Debug, Clone)]
pub struct PolicyContext {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    policy: Policy,
    options: Options,
}

impl PolicyContext {
    /// Compiles `policy` with default options. Never fails: a key that cannot be read or parsed makes the
    /// requirement using it reject at evaluation, with the error containers/image gives.
    pub fn new(policy: Policy) -> Self {
        Self::with_options(policy, Options::default())
    }
    /// Compiles `policy` with `options`.
    pub fn with_options(policy: Policy, options: Options) -> Self {
        PolicyContext { inner: Arc::new(Inner { policy, options }) }
    }
    /// The policy.
    pub fn policy(&self) -> &Policy {
        &self.inner.policy
    }
    /// Evaluates `image` (`IsRunningImageAllowed`) with per-requirement and per-signature detail.
    pub fn evaluate(&self, _image: &UnparsedImage) -> Decision {
        let _ = &self.inner.options;
        todo!("lead")
    }
    /// `IsRunningImageAllowed`: `Ok(())` when allowed, else the containers/image error.
    pub fn is_running_image_allowed(&self, image: &UnparsedImage) -> Result<(), Error> {
        self.evaluate(image).result
    }
    /// `GetSignaturesWithAcceptedAuthor`.
    pub fn signatures_with_accepted_author(&self, _image: &UnparsedImage) -> Result<Vec<AcceptedSignature>, Error> {
        todo!("lead")
    }
}
