//! `PolicyContext` and what it answers: `Decision`, `RequirementResult`, `SignatureResult`,
//! `AcceptedSignature`.

use std::{
    path::PathBuf,
    time::{Duration, SystemTime},
};

use containers_policy::{ImageReference, MatchedScope, Options, UnparsedImage};
use pyo3::{exceptions::PyValueError, prelude::*, pybacked::PyBackedBytes};

use crate::{
    errors::{Kind, core_err, lookaside_err},
    lookaside::RemoteSource,
    policy::Policy,
    repr,
};

/// A policy compiled for evaluation: scopes indexed and key files read once. Immutable; share it between
/// threads freely (evaluation releases the GIL).
#[pyclass(frozen, module = "containers_policy")]
#[derive(Debug)]
pub struct PolicyContext {
    ctx: containers_policy::PolicyContext,
    policy: Policy,
}

fn parse_reference(reference: &str) -> PyResult<ImageReference> {
    ImageReference::parse(reference).map_err(|e| core_err(&e))
}

fn image(
    reference: &str,
    manifest: &[u8],
    signatures: &[PyBackedBytes],
) -> PyResult<UnparsedImage> {
    Ok(UnparsedImage::from_blobs(
        parse_reference(reference)?,
        manifest.to_vec(),
        signatures,
    ))
}

/// Seconds since the Unix epoch (as `time.time()` or `datetime.timestamp()` give) as a `SystemTime`.
fn system_time(seconds: f64) -> PyResult<SystemTime> {
    let d = Duration::try_from_secs_f64(seconds.abs())
        .map_err(|e| PyValueError::new_err(format!("now={seconds}: {e}")))?;
    let t = if seconds >= 0.0 {
        SystemTime::UNIX_EPOCH.checked_add(d)
    } else {
        SystemTime::UNIX_EPOCH.checked_sub(d)
    };
    t.ok_or_else(|| PyValueError::new_err(format!("now={seconds}: out of range")))
}

#[pymethods]
impl PolicyContext {
    /// Compiles `policy`. `base_dir`: directory relative key paths are resolved against (default: the
    /// working directory, as containers/image). `now`: judge signatures and keys at this POSIX time
    /// instead of the current time. `require_signature_verification`: deny images whose requirements
    /// verify no signature.
    #[new]
    #[pyo3(signature = (policy, *, base_dir=None, now=None, require_signature_verification=false))]
    fn new(
        py: Python<'_>,
        policy: &Bound<'_, Policy>,
        base_dir: Option<PathBuf>,
        now: Option<f64>,
        require_signature_verification: bool,
    ) -> PyResult<Self> {
        let mut options =
            Options::default().with_require_signature_verification(require_signature_verification);
        if let Some(dir) = base_dir {
            options = options.with_base_dir(dir);
        }
        if let Some(now) = now {
            options = options.with_now(system_time(now)?);
        }
        let policy = policy.get().clone();
        let core = (*policy.inner).clone();
        // Compiling reads and parses key files.
        let ctx = py.detach(|| containers_policy::PolicyContext::with_options(core, options));
        Ok(PolicyContext { ctx, policy })
    }

    /// The policy this context was compiled from.
    #[getter]
    fn policy(&self) -> Policy {
        self.policy.clone()
    }

    /// Decides whether the image may run. `reference` is a transport reference
    /// (`docker://quay.io/ns/app:1.0`, `dir:/path`, …); `manifest` the manifest bytes; `signatures` the
    /// signature blobs as stored (`signature-1`, …). A refusal is a `Decision`; a reference that does not
    /// parse raises `InvalidReferenceError` (a missing or unknown transport: `ContainersPolicyError`, with
    /// containers/image's text).
    fn evaluate(
        &self,
        py: Python<'_>,
        reference: &str,
        manifest: PyBackedBytes,
        signatures: Vec<PyBackedBytes>,
    ) -> PyResult<Decision> {
        let image = image(reference, &manifest, &signatures)?;
        let decision = py.detach(|| self.ctx.evaluate(&image));
        Ok(Decision::new(&decision))
    }

    /// Like `evaluate`, but returns None when the image may run and raises the reason
    /// (`PolicyRequirementError`, `InvalidSignatureError`, …) when it may not
    /// (containers/image `IsRunningImageAllowed`).
    fn check(
        &self,
        py: Python<'_>,
        reference: &str,
        manifest: PyBackedBytes,
        signatures: Vec<PyBackedBytes>,
    ) -> PyResult<()> {
        let image = image(reference, &manifest, &signatures)?;
        py.detach(|| self.ctx.is_running_image_allowed(&image))
            .map_err(|e| core_err(&e))
    }

    /// The signatures whose author the policy accepts (`GetSignaturesWithAcceptedAuthor`).
    fn signatures_with_accepted_author(
        &self,
        py: Python<'_>,
        reference: &str,
        manifest: PyBackedBytes,
        signatures: Vec<PyBackedBytes>,
    ) -> PyResult<Vec<AcceptedSignature>> {
        let image = image(reference, &manifest, &signatures)?;
        let accepted = py
            .detach(|| self.ctx.signatures_with_accepted_author(&image))
            .map_err(|e| core_err(&e))?;
        Ok(accepted.into_iter().map(AcceptedSignature::from).collect())
    }

    /// Evaluates an image stored in the layout `skopeo copy … dir:DIR` writes (`manifest.json`,
    /// `signature-1`, …), as `reference` (default `dir:DIR`). Unreadable files are reported in the
    /// decision, where containers/image reports them.
    #[pyo3(signature = (directory, reference=None))]
    fn evaluate_dir(
        &self,
        py: Python<'_>,
        directory: PathBuf,
        reference: Option<&str>,
    ) -> PyResult<Decision> {
        let reference = match reference {
            Some(r) => parse_reference(r)?,
            None => parse_reference(&format!("dir:{}", directory.display()))?,
        };
        let decision = py.detach(|| {
            let image = UnparsedImage::from_dir(&directory, reference);
            self.ctx.evaluate(&image)
        });
        Ok(Decision::new(&decision))
    }

    /// Fetches a `docker://` image's manifest from its registry and its signatures from the store
    /// registries.d names, then decides. Fetch failures raise (`RegistryError`, …); a refusal is a
    /// `Decision`.
    fn evaluate_remote(
        &self,
        py: Python<'_>,
        reference: &str,
        source: &Bound<'_, RemoteSource>,
    ) -> PyResult<Decision> {
        let reference = parse_reference(reference)?;
        let source = source.get();
        let decision = py.detach(|| {
            source
                .source
                .fetch(&reference)
                .map(|fetched| self.ctx.evaluate(&fetched.image))
        });
        decision
            .map(|d| Decision::new(&d))
            .map_err(|e| lookaside_err(&e))
    }

    fn __repr__(&self) -> String {
        "PolicyContext(...)".to_owned()
    }
}

/// The answer to "may this image run?", with the reasons.
#[pyclass(frozen, module = "containers_policy")]
#[derive(Debug, Clone)]
pub struct Decision {
    /// Whether the image may run.
    #[pyo3(get)]
    allowed: bool,
    /// Why not (containers/image's message), or None when allowed.
    #[pyo3(get)]
    reason: Option<String>,
    reason_kind: Option<Kind>,
    /// The transport of the policy scope that applied, or None when the top-level `default` applied.
    #[pyo3(get)]
    transport: Option<String>,
    /// The scope that applied (`""` = the transport default), or None for the top-level `default`.
    #[pyo3(get)]
    scope: Option<String>,
    /// Requirements evaluated, in order, up to and including the first that refused.
    #[pyo3(get)]
    requirements: Vec<RequirementResult>,
}

impl Decision {
    pub(crate) fn new(d: &containers_policy::Decision) -> Self {
        let (transport, scope) = match &d.scope {
            MatchedScope::Scope { transport, scope } => {
                (Some(transport.clone()), Some(scope.clone()))
            }
            _ => (None, None),
        };
        Decision {
            allowed: d.allowed(),
            reason: d.result.as_ref().err().map(ToString::to_string),
            reason_kind: d.result.as_ref().err().map(|e| Kind::of_core(e.kind())),
            transport,
            scope,
            requirements: d.requirements.iter().map(RequirementResult::new).collect(),
        }
    }
}

#[pymethods]
impl Decision {
    /// The exception `check` would raise (not raised), or None when allowed.
    #[getter]
    fn error(&self, py: Python<'_>) -> Option<Py<PyAny>> {
        match (&self.reason, self.reason_kind) {
            (Some(reason), Some(kind)) => {
                Some(kind.error(reason.clone()).into_value(py).into_any())
            }
            _ => None,
        }
    }

    /// Raises the reason when the image may not run (as `PolicyContext.check` does).
    fn raise_for_denial(&self) -> PyResult<()> {
        match (&self.reason, self.reason_kind) {
            (Some(reason), Some(kind)) => Err(kind.error(reason.clone())),
            _ => Ok(()),
        }
    }

    fn __bool__(&self) -> bool {
        self.allowed
    }

    fn __repr__(&self) -> String {
        match &self.reason {
            None => "Decision(allowed=True)".to_owned(),
            Some(r) => format!("Decision(allowed=False, reason={})", repr::string(r)),
        }
    }
}

/// What one requirement said.
#[pyclass(frozen, module = "containers_policy")]
#[derive(Debug, Clone)]
pub struct RequirementResult {
    /// Position in the applied requirement list (0-based).
    #[pyo3(get)]
    index: usize,
    /// The requirement's `type`, e.g. `signedBy`.
    #[pyo3(get, name = "type")]
    type_name: &'static str,
    /// Whether this requirement allowed the image.
    #[pyo3(get)]
    allowed: bool,
    /// Why not, or None.
    #[pyo3(get)]
    reason: Option<String>,
    /// Per-signature detail, for requirements that check signatures.
    #[pyo3(get)]
    signatures: Vec<SignatureResult>,
}

impl RequirementResult {
    fn new(r: &containers_policy::eval::RequirementOutcome) -> Self {
        RequirementResult {
            index: r.index,
            type_name: r.type_name,
            allowed: r.result.is_ok(),
            reason: r.result.as_ref().err().map(ToString::to_string),
            signatures: r
                .signatures
                .iter()
                .map(|s| match &s.result {
                    Ok(a) => SignatureResult {
                        index: s.index,
                        accepted: true,
                        reason: None,
                        signer: Some(a.signer.clone()),
                        docker_reference: Some(a.docker_reference.clone()),
                        docker_manifest_digest: Some(a.docker_manifest_digest.clone()),
                    },
                    Err(e) => SignatureResult {
                        index: s.index,
                        accepted: false,
                        reason: Some(e.to_string()),
                        signer: None,
                        docker_reference: None,
                        docker_manifest_digest: None,
                    },
                })
                .collect(),
        }
    }
}

#[pymethods]
impl RequirementResult {
    fn __repr__(&self) -> String {
        format!(
            "RequirementResult(index={}, type={}, allowed={}, reason={})",
            self.index,
            repr::string(self.type_name),
            repr::boolean(self.allowed),
            repr::opt(self.reason.as_deref())
        )
    }
}

/// What one requirement said about one signature.
#[pyclass(frozen, module = "containers_policy")]
#[derive(Debug, Clone)]
pub struct SignatureResult {
    /// 1-based position among the image's simple-signing signatures.
    #[pyo3(get)]
    index: usize,
    /// Whether the requirement accepted this signature.
    #[pyo3(get)]
    accepted: bool,
    /// Why not, or None.
    #[pyo3(get)]
    reason: Option<String>,
    /// Fingerprint of the primary key that signed, when accepted.
    #[pyo3(get)]
    signer: Option<String>,
    /// The `docker-reference` the signature claims, when accepted.
    #[pyo3(get)]
    docker_reference: Option<String>,
    /// The `docker-manifest-digest` the signature claims, when accepted.
    #[pyo3(get)]
    docker_manifest_digest: Option<String>,
}

#[pymethods]
impl SignatureResult {
    fn __repr__(&self) -> String {
        format!(
            "SignatureResult(index={}, accepted={}, reason={}, signer={})",
            self.index,
            repr::boolean(self.accepted),
            repr::opt(self.reason.as_deref()),
            repr::opt(self.signer.as_deref())
        )
    }
}

/// A signature whose author the policy accepts, with its verified claims.
#[pyclass(frozen, eq, module = "containers_policy")]
#[derive(Debug, Clone, PartialEq)]
pub struct AcceptedSignature {
    /// `docker-manifest-digest` as written in the payload.
    #[pyo3(get)]
    docker_manifest_digest: String,
    /// `docker-reference` as written in the payload.
    #[pyo3(get)]
    docker_reference: String,
    /// Fingerprint of the primary key that signed.
    #[pyo3(get)]
    signer: String,
}

impl From<containers_policy::AcceptedSignature> for AcceptedSignature {
    fn from(a: containers_policy::AcceptedSignature) -> Self {
        AcceptedSignature {
            docker_manifest_digest: a.docker_manifest_digest,
            docker_reference: a.docker_reference,
            signer: a.signer,
        }
    }
}

impl From<containers_policy::simple::VerifiedSignature> for AcceptedSignature {
    fn from(a: containers_policy::simple::VerifiedSignature) -> Self {
        AcceptedSignature {
            docker_manifest_digest: a.docker_manifest_digest,
            docker_reference: a.docker_reference,
            signer: a.signer,
        }
    }
}

#[pymethods]
impl AcceptedSignature {
    fn __repr__(&self) -> String {
        format!(
            "AcceptedSignature(docker_manifest_digest={}, docker_reference={}, signer={})",
            repr::string(&self.docker_manifest_digest),
            repr::string(&self.docker_reference),
            repr::string(&self.signer)
        )
    }
}
