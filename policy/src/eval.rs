//! [`PolicyContext`]: a compiled policy that answers "may this image run?".
//!
//! This is the one evaluation path every front end (CLI, C ABI, Go, Python) calls. It follows
//! containers/image's `signature/policy_eval*.go`: the scope lookup picks one requirement list, the
//! requirements run in order and the first denial wins; `signedBy` accepts an image when any one of its
//! simple-signing signatures is accepted, and otherwise reports every signature's reason.
//!
//! Unlike containers/image, key files are read and parsed once, when the context is built. A key that
//! cannot be read or parsed is remembered and reported exactly where containers/image would report it
//! (when a signature needs it), so verdicts and messages are unchanged.

use std::{
    collections::HashMap,
    path::{Path, PathBuf},
    sync::Arc,
    time::SystemTime,
};

use crate::{
    Error, Policy, PolicyRequirement, Rejection, SignedIdentity,
    config::{GpgKeySource, KeyType, SignedBy},
    error::IoError,
    image::UnparsedImage,
    openpgp::Keyring,
    signature::Signature,
    simple,
};

/// Optional knobs of a [`PolicyContext`].
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct Options {
    /// The time signatures and keys are judged at; `None` = the current time at each evaluation.
    pub now: Option<SystemTime>,
    /// Directory relative key paths are resolved against; `None` = the process's working directory, as
    /// containers/image does.
    pub base_dir: Option<PathBuf>,
    /// Deny images whose requirement list has no signature-verifying requirement (`signedBy`,
    /// `sigstoreSigned`), as containers/image's unreleased `RequireSignatureVerification(true)` does.
    pub require_signature_verification: bool,
}

impl Options {
    /// Sets [`Options::require_signature_verification`].
    pub fn with_require_signature_verification(mut self, on: bool) -> Self {
        self.require_signature_verification = on;
        self
    }
    /// Judges signatures at `now` instead of the current time.
    pub fn with_now(mut self, now: SystemTime) -> Self {
        self.now = Some(now);
        self
    }
    /// Resolves relative key paths against `dir`.
    pub fn with_base_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.base_dir = Some(dir.into());
        self
    }
}

/// A signature accepted by a `signedBy` requirement: the claims of its verified payload.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct AcceptedSignature {
    /// `docker-manifest-digest` as written in the payload.
    pub docker_manifest_digest: String,
    /// `docker-reference` as written in the payload.
    pub docker_reference: String,
    /// Uppercase fingerprint of the primary key that signed.
    pub signer: String,
}

/// What happened to one signature under one requirement.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct SignatureOutcome {
    /// 1-based position among the image's simple-signing signatures.
    pub index: usize,
    /// Accepted, or why not.
    pub result: Result<AcceptedSignature, Error>,
}

/// What happened to one requirement.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct RequirementOutcome {
    /// Position in the applied requirement list (0-based).
    pub index: usize,
    /// The requirement's `type`, e.g. `signedBy`.
    pub type_name: &'static str,
    /// Allowed, or why not.
    pub result: Result<(), Error>,
    /// Per-signature detail (for requirements that check signatures).
    pub signatures: Vec<SignatureOutcome>,
}

/// Which part of the policy applied to an image.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum MatchedScope {
    /// `transports.<transport>.<scope>` (`scope` may be `""`, the transport default).
    Scope {
        /// The transport name.
        transport: String,
        /// The scope key.
        scope: String,
    },
    /// The top-level `default`.
    Default,
}

/// The answer to "may this image run?", with the reasons.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Decision {
    /// The policy section whose requirements applied.
    pub scope: MatchedScope,
    /// Requirements evaluated, in order, up to and including the first denial.
    pub requirements: Vec<RequirementOutcome>,
    /// `Ok` when allowed; otherwise containers/image's error.
    pub result: Result<(), Error>,
}

impl Decision {
    /// Whether the image may run.
    pub fn allowed(&self) -> bool {
        self.result.is_ok()
    }
}

/// A policy compiled for evaluation: scopes indexed and key files read and parsed once.
/// Cheap to clone (an `Arc`), `Send + Sync`, usable from many threads at once.
///
/// ```
/// use containers_policy::{ImageReference, Policy, PolicyContext, UnparsedImage};
/// let policy = Policy::from_slice(br#"{"default":[{"type":"reject"}],
///     "transports":{"docker":{"quay.io/ok":[{"type":"insecureAcceptAnything"}]}}}"#)?;
/// let ctx = PolicyContext::new(policy);
/// let ok = UnparsedImage::new(ImageReference::parse("docker://quay.io/ok/app:1")?, b"{}".to_vec(), vec![]);
/// assert!(ctx.evaluate(&ok).allowed());
/// let no = UnparsedImage::new(ImageReference::parse("docker://busybox")?, b"{}".to_vec(), vec![]);
/// assert_eq!(
///     ctx.is_running_image_allowed(&no).unwrap_err().to_string(),
///     "Running image docker://busybox:latest is rejected by policy."
/// );
/// # Ok::<(), containers_policy::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct PolicyContext {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    policy: Policy,
    options: Options,
    default: Vec<Compiled>,
    /// transport → scope → requirement list
    transports: HashMap<String, HashMap<String, Vec<Compiled>>>,
}

/// A requirement with its keys loaded.
#[derive(Debug)]
enum Compiled {
    InsecureAcceptAnything,
    Reject,
    SignedBy {
        identity: SignedIdentity,
        keys: Result<Arc<Keyring>, Error>,
    },
    SignedBaseLayer,
    SigstoreSigned,
}

impl Compiled {
    fn type_name(&self) -> &'static str {
        match self {
            Compiled::InsecureAcceptAnything => "insecureAcceptAnything",
            Compiled::Reject => "reject",
            Compiled::SignedBy { .. } => "signedBy",
            Compiled::SignedBaseLayer => "signedBaseLayer",
            Compiled::SigstoreSigned => "sigstoreSigned",
        }
    }
}

/// One requirement's verdict on one signature (containers/image `signatureAcceptanceResult`).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum SignatureVerdict {
    /// The requirement accepts the signature (`sarAccepted`).
    Accepted(AcceptedSignature),
    /// The requirement rejects the signature, and why (`sarRejected`).
    Rejected(Error),
    /// The requirement has no opinion (`sarUnknown`: `insecureAcceptAnything`, `signedBaseLayer`).
    Unknown,
}

const SIGSTORE_NOT_IMPLEMENTED: &str = "sigstoreSigned verification is not implemented in this version of containers-policy; refusing the image";

impl PolicyContext {
    /// Compiles `policy` with default options. Never fails (see the module docs for key errors).
    pub fn new(policy: Policy) -> Self {
        Self::with_options(policy, Options::default())
    }

    /// Compiles `policy` with `options`.
    pub fn with_options(policy: Policy, options: Options) -> Self {
        let mut cache = KeyCache::default();
        let base = options.base_dir.as_deref();
        let default = compile_list(&policy.default, base, &mut cache);
        let transports = policy
            .transports
            .iter()
            .map(|(t, scopes)| {
                let scopes = scopes
                    .iter()
                    .map(|(s, reqs)| (s.clone(), compile_list(reqs, base, &mut cache)))
                    .collect();
                (t.clone(), scopes)
            })
            .collect();
        PolicyContext {
            inner: Arc::new(Inner {
                policy,
                options,
                default,
                transports,
            }),
        }
    }

    /// The policy.
    pub fn policy(&self) -> &Policy {
        &self.inner.policy
    }

    /// The options.
    pub fn options(&self) -> &Options {
        &self.inner.options
    }

    /// `requirementsForImageRef`: identity, then namespaces, then `""` in the transport's section, else the
    /// global default.
    fn requirements_for(&self, image: &UnparsedImage) -> (MatchedScope, &[Compiled]) {
        let reference = image.reference();
        let transport = reference.transport_name();
        if let Some(scopes) = self.inner.transports.get(transport) {
            let found = std::iter::once(reference.policy_identity())
                .chain(reference.policy_namespaces())
                .chain(std::iter::once(String::new()))
                .find_map(|scope| scopes.get(&scope).map(|reqs| (scope, reqs)));
            if let Some((scope, reqs)) = found {
                return (
                    MatchedScope::Scope {
                        transport: transport.to_owned(),
                        scope,
                    },
                    reqs,
                );
            }
        }
        (MatchedScope::Default, &self.inner.default)
    }

    fn now(&self) -> SystemTime {
        self.inner.options.now.unwrap_or_else(SystemTime::now)
    }

    /// Evaluates `image` (`IsRunningImageAllowed`) with per-requirement and per-signature detail.
    pub fn evaluate(&self, image: &UnparsedImage) -> Decision {
        let (scope, reqs) = self.requirements_for(image);
        let mut outcomes = Vec::with_capacity(reqs.len());
        if reqs.is_empty() {
            return Decision {
                scope,
                requirements: outcomes,
                result: Err(Rejection::EmptyRequirements.into()),
            };
        }
        let now = self.now();
        for (index, req) in reqs.iter().enumerate() {
            let (result, signatures) = self.requirement_allows(req, image, now);
            let denied = result.as_ref().err().cloned();
            outcomes.push(RequirementOutcome {
                index,
                type_name: req.type_name(),
                result,
                signatures,
            });
            if let Some(err) = denied {
                return Decision {
                    scope,
                    requirements: outcomes,
                    result: Err(err),
                };
            }
        }
        if self.inner.options.require_signature_verification
            && !reqs
                .iter()
                .any(|r| matches!(r, Compiled::SignedBy { .. } | Compiled::SigstoreSigned))
        {
            let reference = image.reference();
            let err = Rejection::Other(format!(
                "No signature verification policy found for image {}:{}",
                reference.transport_name(),
                reference.policy_identity()
            ));
            return Decision {
                scope,
                requirements: outcomes,
                result: Err(err.into()),
            };
        }
        Decision {
            scope,
            requirements: outcomes,
            result: Ok(()),
        }
    }

    /// `IsRunningImageAllowed`: `Ok(())` when allowed, else containers/image's error.
    pub fn is_running_image_allowed(&self, image: &UnparsedImage) -> Result<(), Error> {
        self.evaluate(image).result
    }

    /// `GetSignaturesWithAcceptedAuthor`: the simple-signing signatures that at least one requirement
    /// accepts and none rejects.
    pub fn signatures_with_accepted_author(
        &self,
        image: &UnparsedImage,
    ) -> Result<Vec<AcceptedSignature>, Error> {
        let (_, reqs) = self.requirements_for(image);
        let sigs = image.signatures().map_err(Clone::clone)?;
        let now = self.now();
        let mut out = Vec::new();
        for blob in simple_signing(sigs) {
            let mut accepted: Option<AcceptedSignature> = None;
            let mut keep = true;
            for req in reqs {
                match self.signature_author_accepted(req, image, blob, now) {
                    SignatureVerdict::Rejected(_) => {
                        keep = false;
                        break;
                    }
                    SignatureVerdict::Accepted(sig) => match &accepted {
                        Some(prev) if prev != &sig => {
                            keep = false;
                            break;
                        }
                        _ => accepted = Some(sig),
                    },
                    SignatureVerdict::Unknown => {}
                }
            }
            if let (true, Some(sig)) = (keep, accepted) {
                out.push(sig);
            }
        }
        Ok(out)
    }

    /// Each requirement's verdict on one simple-signing signature blob, for the requirement list that
    /// applies to `image` (`isSignatureAuthorAccepted` of each, in order).
    pub fn signature_verdicts(
        &self,
        image: &UnparsedImage,
        signature: &[u8],
    ) -> Vec<(&'static str, SignatureVerdict)> {
        let (_, reqs) = self.requirements_for(image);
        let now = self.now();
        reqs.iter()
            .map(|r| {
                (
                    r.type_name(),
                    self.signature_author_accepted(r, image, signature, now),
                )
            })
            .collect()
    }

    fn requirement_allows(
        &self,
        req: &Compiled,
        image: &UnparsedImage,
        now: SystemTime,
    ) -> (Result<(), Error>, Vec<SignatureOutcome>) {
        match req {
            Compiled::InsecureAcceptAnything => (Ok(()), Vec::new()),
            Compiled::Reject => (
                Err(Rejection::RejectedByPolicy {
                    image: image.reference().to_string(),
                }
                .into()),
                Vec::new(),
            ),
            Compiled::SignedBaseLayer => (
                Err(Rejection::SignedBaseLayerNotImplemented.into()),
                Vec::new(),
            ),
            Compiled::SigstoreSigned => (sigstore_signed_allows(image), Vec::new()),
            Compiled::SignedBy { .. } => {
                let sigs = match image.signatures() {
                    Ok(s) => s,
                    Err(e) => return (Err(e.clone()), Vec::new()),
                };
                let mut outcomes = Vec::new();
                let mut rejections = Vec::new();
                for (i, blob) in simple_signing(sigs).enumerate() {
                    match self.signature_author_accepted(req, image, blob, now) {
                        SignatureVerdict::Accepted(sig) => {
                            outcomes.push(SignatureOutcome {
                                index: i + 1,
                                result: Ok(sig),
                            });
                            return (Ok(()), outcomes);
                        }
                        SignatureVerdict::Rejected(e) => {
                            outcomes.push(SignatureOutcome {
                                index: i + 1,
                                result: Err(e.clone()),
                            });
                            rejections.push(e);
                        }
                        SignatureVerdict::Unknown => {
                            let e = Error::Other(
                                r#"Internal error: Unexpected signature verification result "sarUnknown""#.into(),
                            );
                            outcomes.push(SignatureOutcome {
                                index: i + 1,
                                result: Err(e.clone()),
                            });
                            rejections.push(e);
                        }
                    }
                }
                let err = match rejections.len() {
                    0 => Rejection::NoSignature { skipped: None }.into(),
                    1 => rejections.pop().expect("len is 1"),
                    _ => Rejection::NoneAccepted(rejections).into(),
                };
                (Err(err), outcomes)
            }
        }
    }

    /// `isSignatureAuthorAccepted` of one requirement for one simple-signing blob.
    fn signature_author_accepted(
        &self,
        req: &Compiled,
        image: &UnparsedImage,
        blob: &[u8],
        now: SystemTime,
    ) -> SignatureVerdict {
        match req {
            Compiled::InsecureAcceptAnything | Compiled::SignedBaseLayer => {
                SignatureVerdict::Unknown
            }
            Compiled::Reject => SignatureVerdict::Rejected(
                Rejection::SignaturesRejectedByPolicy {
                    image: image.reference().to_string(),
                }
                .into(),
            ),
            Compiled::SigstoreSigned => SignatureVerdict::Rejected(
                Rejection::Other(
                    "isSignatureAuthorAccepted is not implemented for sigstore".into(),
                )
                .into(),
            ),
            Compiled::SignedBy { identity, keys } => {
                let keyring = match keys {
                    Ok(k) => k,
                    Err(e) => return SignatureVerdict::Rejected(e.clone()),
                };
                if keyring.fingerprints().is_empty() {
                    return SignatureVerdict::Rejected(Rejection::NoPublicKeysImported.into());
                }
                match verify_and_extract(keyring, blob, now, image, identity) {
                    Ok(sig) => SignatureVerdict::Accepted(sig),
                    Err(e) => SignatureVerdict::Rejected(e),
                }
            }
        }
    }
}

/// `verifyAndExtractSignature` with the `signedBy` acceptance rules: the digest is checked before the
/// identity, as upstream reports errors.
fn verify_and_extract(
    keyring: &Keyring,
    blob: &[u8],
    now: SystemTime,
    image: &UnparsedImage,
    identity: &SignedIdentity,
) -> Result<AcceptedSignature, Error> {
    let sig = simple::verify_and_extract(
        keyring,
        keyring.fingerprints(),
        blob,
        now,
        |digest| {
            let manifest = image.manifest().map_err(Clone::clone)?;
            if crate::manifest::matches_digest(manifest, digest)? {
                Ok(())
            } else {
                Err(Rejection::DigestMismatch {
                    signed_digest: digest.to_owned(),
                }
                .into())
            }
        },
        |signed| {
            if identity.matches(image.reference().docker_reference(), signed) {
                Ok(())
            } else {
                Err(Rejection::IdentityNotAccepted {
                    signed_reference: signed.to_owned(),
                }
                .into())
            }
        },
    )?;
    Ok(AcceptedSignature {
        docker_manifest_digest: sig.docker_manifest_digest,
        docker_reference: sig.docker_reference,
        signer: sig.signer,
    })
}

/// `UnparsedImage.Signatures`: only the simple-signing ones.
/// `prSigstoreSigned.isRunningImageAllowed` as far as it goes without sigstore verification: the image's
/// signatures are read (a read error is the answer), simple-signing signatures and sigstore attachments
/// that are not signatures are counted and skipped, and with no sigstore signature left the answer is
/// upstream's `A signature was required, but no signature exists` (with the counts when either is
/// non-zero). An image that does carry sigstore signatures is refused: verifying them is not implemented.
fn sigstore_signed_allows(image: &UnparsedImage) -> Result<(), Error> {
    let sigs = image.signatures().map_err(Clone::clone)?;
    let mut non_sigstore = 0;
    let mut non_signature_attachments = 0;
    let mut sigstore_signatures = 0;
    for s in sigs {
        match s {
            Signature::Sigstore(s)
                if s.mime_type == crate::signature::SIGSTORE_SIGNATURE_MIME_TYPE =>
            {
                sigstore_signatures += 1;
            }
            Signature::Sigstore(_) => non_signature_attachments += 1,
            _ => non_sigstore += 1,
        }
    }
    if sigstore_signatures > 0 {
        return Err(Rejection::Other(SIGSTORE_NOT_IMPLEMENTED.into()).into());
    }
    let skipped = (non_sigstore > 0 || non_signature_attachments > 0)
        .then_some((non_sigstore, non_signature_attachments));
    Err(Rejection::NoSignature { skipped }.into())
}

fn simple_signing(sigs: &[Signature]) -> impl Iterator<Item = &[u8]> {
    sigs.iter().filter_map(|s| match s {
        Signature::SimpleSigning(b) => Some(b.as_slice()),
        _ => None,
    })
}

/// Keyrings already loaded while compiling one context, so a key file used by many scopes is read once.
#[derive(Default)]
struct KeyCache {
    by_source: HashMap<KeySourceKey, Result<Arc<Keyring>, Error>>,
}

/// A hashable copy of a [`GpgKeySource`].
#[derive(PartialEq, Eq, Hash)]
enum KeySourceKey {
    Path(String),
    Paths(Vec<String>),
    Data(Vec<u8>),
}

impl From<&GpgKeySource> for KeySourceKey {
    fn from(s: &GpgKeySource) -> Self {
        match s {
            GpgKeySource::Path(p) => KeySourceKey::Path(p.clone()),
            GpgKeySource::Paths(p) => KeySourceKey::Paths(p.clone()),
            GpgKeySource::Data(d) => KeySourceKey::Data(d.clone()),
        }
    }
}

fn compile_list(
    reqs: &[PolicyRequirement],
    base: Option<&Path>,
    cache: &mut KeyCache,
) -> Vec<Compiled> {
    reqs.iter().map(|r| compile(r, base, cache)).collect()
}

fn compile(req: &PolicyRequirement, base: Option<&Path>, cache: &mut KeyCache) -> Compiled {
    match req {
        PolicyRequirement::InsecureAcceptAnything => Compiled::InsecureAcceptAnything,
        PolicyRequirement::Reject => Compiled::Reject,
        PolicyRequirement::SignedBaseLayer { .. } => Compiled::SignedBaseLayer,
        PolicyRequirement::SigstoreSigned(_) => Compiled::SigstoreSigned,
        PolicyRequirement::SignedBy(SignedBy {
            key_type,
            keys,
            signed_identity,
            ..
        }) => {
            let keys = match key_type {
                KeyType::GpgKeys => cache
                    .by_source
                    .entry(KeySourceKey::from(keys))
                    .or_insert_with(|| load_keyring(keys, base).map(Arc::new))
                    .clone(),
                other => Err(Error::Other(format!(
                    r#"Unimplemented "keyType" value "{}""#,
                    other.as_str()
                ))),
            };
            Compiled::SignedBy {
                identity: signed_identity.clone(),
                keys,
            }
        }
    }
}

fn load_keyring(source: &GpgKeySource, base: Option<&Path>) -> Result<Keyring, Error> {
    let read = |p: &str| -> Result<Vec<u8>, Error> {
        let path = match base {
            Some(b) if Path::new(p).is_relative() => b.join(p),
            _ => PathBuf::from(p),
        };
        // Go's os.ReadFile: opening and reading fail with different operations in the message
        // (`open keys.gpg: no such file or directory`, `read keys: is a directory`).
        let mut file =
            std::fs::File::open(&path).map_err(|e| Error::from(IoError::new("open", p, e)))?;
        let mut data = Vec::new();
        std::io::Read::read_to_end(&mut file, &mut data).map_err(|e| IoError::new("read", p, e))?;
        Ok(data)
    };
    let blobs: Vec<Vec<u8>> = match source {
        GpgKeySource::Path(p) => vec![read(p)?],
        GpgKeySource::Paths(ps) => ps.iter().map(|p| read(p)).collect::<Result<_, _>>()?,
        GpgKeySource::Data(d) => vec![d.clone()],
    };
    Ok(Keyring::from_blobs(blobs.iter().map(Vec::as_slice)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_send_sync<T: Send + Sync>() {}

    #[test]
    fn context_is_send_and_sync() {
        assert_send_sync::<PolicyContext>();
        assert_send_sync::<UnparsedImage>();
        assert_send_sync::<Decision>();
    }
}
