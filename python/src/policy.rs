//! `SignedIdentity`, `Requirement` and `Policy`: immutable values; "editing" returns a new value.

use std::{collections::BTreeMap, path::PathBuf, sync::Arc};

use containers_policy::{
    Error, PolicyRequirement, SignedIdentity as CoreIdentity,
    config::{GpgKeySource, SigstoreSigned},
};
use pyo3::{
    prelude::*,
    pybacked::{PyBackedBytes, PyBackedStr},
    types::PyBytes,
};

use crate::{errors::core_err, repr};

/// JSON given as `str` or `bytes`.
#[derive(FromPyObject)]
pub(crate) enum Text {
    Str(PyBackedStr),
    Bytes(PyBackedBytes),
}

impl Text {
    pub(crate) fn as_bytes(&self) -> &[u8] {
        match self {
            Text::Str(s) => s.as_bytes(),
            Text::Bytes(b) => b,
        }
    }
}

/// One `signedIdentity` rule.
#[pyclass(frozen, eq, module = "containers_policy")]
#[derive(Debug, Clone, PartialEq)]
pub struct SignedIdentity {
    pub(crate) inner: CoreIdentity,
}

#[pymethods]
impl SignedIdentity {
    /// `matchExact`.
    #[staticmethod]
    fn match_exact() -> Self {
        CoreIdentity::MatchExact.into()
    }

    /// `matchRepoDigestOrExact` (the default).
    #[staticmethod]
    fn match_repo_digest_or_exact() -> Self {
        CoreIdentity::MatchRepoDigestOrExact.into()
    }

    /// `matchRepository`.
    #[staticmethod]
    fn match_repository() -> Self {
        CoreIdentity::MatchRepository.into()
    }

    /// `exactReference` with `dockerReference`.
    #[staticmethod]
    fn exact_reference(docker_reference: &str) -> PyResult<Self> {
        CoreIdentity::exact_reference(docker_reference)
            .map(Into::into)
            .map_err(|e| core_err(&e))
    }

    /// `exactRepository` with `dockerRepository`.
    #[staticmethod]
    fn exact_repository(docker_repository: &str) -> PyResult<Self> {
        CoreIdentity::exact_repository(docker_repository)
            .map(Into::into)
            .map_err(|e| core_err(&e))
    }

    /// `remapIdentity` with `prefix` and `signedPrefix`.
    #[staticmethod]
    fn remap_identity(prefix: &str, signed_prefix: &str) -> PyResult<Self> {
        CoreIdentity::remap_identity(prefix, signed_prefix)
            .map(Into::into)
            .map_err(|e| core_err(&e))
    }

    /// The rule's `type`, e.g. `matchRepository`.
    #[getter(r#type)]
    fn type_name(&self) -> &'static str {
        self.inner.type_name()
    }

    /// `dockerReference` of `exactReference`, else None.
    #[getter]
    fn docker_reference(&self) -> Option<String> {
        match &self.inner {
            CoreIdentity::ExactReference { docker_reference } => Some(docker_reference.clone()),
            _ => None,
        }
    }

    /// `dockerRepository` of `exactRepository`, else None.
    #[getter]
    fn docker_repository(&self) -> Option<String> {
        match &self.inner {
            CoreIdentity::ExactRepository { docker_repository } => Some(docker_repository.clone()),
            _ => None,
        }
    }

    /// `prefix` of `remapIdentity`, else None.
    #[getter]
    fn prefix(&self) -> Option<String> {
        match &self.inner {
            CoreIdentity::RemapIdentity { prefix, .. } => Some(prefix.clone()),
            _ => None,
        }
    }

    /// `signedPrefix` of `remapIdentity`, else None.
    #[getter]
    fn signed_prefix(&self) -> Option<String> {
        match &self.inner {
            CoreIdentity::RemapIdentity { signed_prefix, .. } => Some(signed_prefix.clone()),
            _ => None,
        }
    }

    fn __repr__(&self) -> String {
        match &self.inner {
            CoreIdentity::ExactReference { docker_reference } => {
                format!(
                    "SignedIdentity.exact_reference({})",
                    repr::string(docker_reference)
                )
            }
            CoreIdentity::ExactRepository { docker_repository } => {
                format!(
                    "SignedIdentity.exact_repository({})",
                    repr::string(docker_repository)
                )
            }
            CoreIdentity::RemapIdentity {
                prefix,
                signed_prefix,
            } => format!(
                "SignedIdentity.remap_identity({}, {})",
                repr::string(prefix),
                repr::string(signed_prefix)
            ),
            CoreIdentity::MatchExact => "SignedIdentity.match_exact()".to_owned(),
            CoreIdentity::MatchRepository => "SignedIdentity.match_repository()".to_owned(),
            _ => "SignedIdentity.match_repo_digest_or_exact()".to_owned(),
        }
    }
}

impl From<CoreIdentity> for SignedIdentity {
    fn from(inner: CoreIdentity) -> Self {
        SignedIdentity { inner }
    }
}

fn identity_or_default(identity: Option<&Bound<'_, SignedIdentity>>) -> CoreIdentity {
    identity.map(|i| i.get().inner.clone()).unwrap_or_default()
}

const EXACTLY_ONE_KEY: &str = "exactly one of keyPath, keyPaths and keyData must be specified";

/// One policy requirement (`insecureAcceptAnything`, `reject`, `signedBy`, `signedBaseLayer`,
/// `sigstoreSigned`).
#[pyclass(frozen, eq, module = "containers_policy")]
#[derive(Debug, Clone, PartialEq)]
pub struct Requirement {
    pub(crate) inner: PolicyRequirement,
}

#[pymethods]
impl Requirement {
    /// `insecureAcceptAnything`.
    #[staticmethod]
    fn insecure_accept_anything() -> Self {
        PolicyRequirement::insecure_accept_anything().into()
    }

    /// `reject`.
    #[staticmethod]
    fn reject() -> Self {
        PolicyRequirement::reject().into()
    }

    /// `signedBy` with `keyType: GPGKeys` and exactly one of `key_path`, `key_paths`, `key_data`.
    #[staticmethod]
    #[pyo3(signature = (*, key_path=None, key_paths=None, key_data=None, signed_identity=None))]
    fn signed_by(
        key_path: Option<PathBuf>,
        key_paths: Option<Vec<PathBuf>>,
        key_data: Option<PyBackedBytes>,
        signed_identity: Option<&Bound<'_, SignedIdentity>>,
    ) -> PyResult<Self> {
        let identity = identity_or_default(signed_identity);
        let req = match (key_path, key_paths, key_data) {
            (Some(p), None, None) => {
                PolicyRequirement::signed_by_key_path(path_string(p)?, identity)
                    .map_err(|e| core_err(&e))?
            }
            (None, Some(ps), None) => PolicyRequirement::signed_by_key_paths(
                ps.into_iter().map(path_string).collect::<PyResult<_>>()?,
                identity,
            ),
            (None, None, Some(d)) => PolicyRequirement::signed_by_key_data(d.to_vec(), identity),
            _ => {
                return Err(core_err(&Error::InvalidPolicyFormat(
                    EXACTLY_ONE_KEY.to_owned(),
                )));
            }
        };
        Ok(req.into())
    }

    /// `sigstoreSigned` with a public key (exactly one of `key_path`, `key_paths`, `key_data`). Fulcio,
    /// Rekor and PKI settings: build the requirement with `Requirement.from_json`.
    #[staticmethod]
    #[pyo3(signature = (*, key_path=None, key_paths=None, key_data=None, signed_identity=None))]
    fn sigstore_signed(
        key_path: Option<PathBuf>,
        key_paths: Option<Vec<PathBuf>>,
        key_data: Option<PyBackedBytes>,
        signed_identity: Option<&Bound<'_, SignedIdentity>>,
    ) -> PyResult<Self> {
        let mut s = SigstoreSigned::default();
        s.key_path = key_path.map(path_string).transpose()?;
        s.key_paths = key_paths
            .map(|ps| ps.into_iter().map(path_string).collect::<PyResult<_>>())
            .transpose()?;
        s.key_data = key_data.map(|d| d.to_vec());
        s.signed_identity = identity_or_default(signed_identity);
        PolicyRequirement::sigstore_signed(s)
            .map(Into::into)
            .map_err(|e| core_err(&e))
    }

    /// Parses one requirement object, as strictly as inside policy.json.
    #[staticmethod]
    fn from_json(data: Text) -> PyResult<Self> {
        PolicyRequirement::from_json_slice(data.as_bytes())
            .map(Into::into)
            .map_err(|e| core_err(&e))
    }

    /// The requirement as policy.json JSON.
    fn to_json(&self) -> String {
        self.inner.to_json()
    }

    /// The requirement's `type`, e.g. `signedBy`.
    #[getter(r#type)]
    fn type_name(&self) -> &'static str {
        self.inner.type_name()
    }

    /// `keyPath` of `signedBy` / `sigstoreSigned`, else None.
    #[getter]
    fn key_path(&self) -> Option<String> {
        match &self.inner {
            PolicyRequirement::SignedBy(sb) => match &sb.keys {
                GpgKeySource::Path(p) => Some(p.clone()),
                _ => None,
            },
            PolicyRequirement::SigstoreSigned(s) => s.key_path.clone(),
            _ => None,
        }
    }

    /// `keyPaths` of `signedBy` / `sigstoreSigned`, else None.
    #[getter]
    fn key_paths(&self) -> Option<Vec<String>> {
        match &self.inner {
            PolicyRequirement::SignedBy(sb) => match &sb.keys {
                GpgKeySource::Paths(p) => Some(p.clone()),
                _ => None,
            },
            PolicyRequirement::SigstoreSigned(s) => s.key_paths.clone(),
            _ => None,
        }
    }

    /// `keyData` (decoded) of `signedBy` / `sigstoreSigned`, else None.
    #[getter]
    fn key_data<'py>(&self, py: Python<'py>) -> Option<Bound<'py, PyBytes>> {
        let data = match &self.inner {
            PolicyRequirement::SignedBy(sb) => match &sb.keys {
                GpgKeySource::Data(d) => Some(d.as_slice()),
                _ => None,
            },
            PolicyRequirement::SigstoreSigned(s) => s.key_data.as_deref(),
            _ => None,
        };
        data.map(|d| PyBytes::new(py, d))
    }

    /// `signedIdentity` (`baseLayerIdentity` for `signedBaseLayer`), else None.
    #[getter]
    fn signed_identity(&self) -> Option<SignedIdentity> {
        match &self.inner {
            PolicyRequirement::SignedBy(sb) => Some(sb.signed_identity.clone().into()),
            PolicyRequirement::SigstoreSigned(s) => Some(s.signed_identity.clone().into()),
            PolicyRequirement::SignedBaseLayer {
                base_layer_identity,
            } => Some(base_layer_identity.clone().into()),
            _ => None,
        }
    }

    fn __repr__(&self) -> String {
        format!(
            "Requirement.from_json({})",
            repr::string(&compact(&self.inner.to_json()))
        )
    }
}

impl From<PolicyRequirement> for Requirement {
    fn from(inner: PolicyRequirement) -> Self {
        Requirement { inner }
    }
}

/// The JSON on one line, for `repr`.
fn compact(json: &str) -> String {
    json.lines().map(str::trim).collect::<Vec<_>>().join(" ")
}

/// Paths in a policy are strings (containers/image reads them as Go strings).
fn path_string(p: PathBuf) -> PyResult<String> {
    p.into_os_string().into_string().map_err(|p| {
        pyo3::exceptions::PyValueError::new_err(format!("path is not valid UTF-8: {p:?}"))
    })
}

fn to_core(list: Vec<Bound<'_, Requirement>>) -> Vec<PolicyRequirement> {
    list.iter().map(|r| r.get().inner.clone()).collect()
}

fn wrap(list: &[PolicyRequirement]) -> Vec<Requirement> {
    list.iter().cloned().map(Into::into).collect()
}

/// A parsed policy.json. Immutable; `with_*` / `without_scope` return a changed copy.
#[pyclass(frozen, eq, module = "containers_policy")]
#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    pub(crate) inner: Arc<containers_policy::Policy>,
}

impl From<containers_policy::Policy> for Policy {
    fn from(p: containers_policy::Policy) -> Self {
        Policy { inner: Arc::new(p) }
    }
}

#[pymethods]
impl Policy {
    /// A policy with `default` as its default requirements and no transport scopes.
    #[new]
    fn new(default: Vec<Bound<'_, Requirement>>) -> PyResult<Self> {
        containers_policy::Policy::new(to_core(default))
            .map(Into::into)
            .map_err(|e| core_err(&e))
    }

    /// Reads and strictly parses a policy.json file (`NewPolicyFromFile`).
    #[staticmethod]
    fn from_file(py: Python<'_>, path: PathBuf) -> PyResult<Self> {
        py.detach(|| containers_policy::Policy::from_path(&path))
            .map(Into::into)
            .map_err(|e| core_err(&e))
    }

    /// Strictly parses policy.json text (`NewPolicyFromBytes`).
    #[staticmethod]
    fn from_json(data: Text) -> PyResult<Self> {
        containers_policy::Policy::from_slice(data.as_bytes())
            .map(Into::into)
            .map_err(|e| core_err(&e))
    }

    /// The policy as JSON that containers/image accepts (four-space indent, final newline).
    fn to_json(&self) -> String {
        self.inner.to_json()
    }

    /// The default requirements.
    #[getter]
    fn default(&self) -> Vec<Requirement> {
        wrap(&self.inner.default)
    }

    /// `{transport: {scope: [requirements]}}` (a copy).
    #[getter]
    fn transports(&self) -> BTreeMap<String, BTreeMap<String, Vec<Requirement>>> {
        self.inner
            .transports
            .iter()
            .map(|(t, scopes)| {
                let scopes = scopes.iter().map(|(s, r)| (s.clone(), wrap(r))).collect();
                (t.clone(), scopes)
            })
            .collect()
    }

    /// The requirements of exactly `scope` in `transport` (`""` = the transport default), or None.
    fn scope(&self, transport: &str, scope: &str) -> Option<Vec<Requirement>> {
        self.inner.scope(transport, scope).map(wrap)
    }

    /// A copy with `scope` of `transport` set to `requirements`. The scope is validated as
    /// containers/image validates it for the transport.
    fn with_scope(
        &self,
        transport: &str,
        scope: &str,
        requirements: Vec<Bound<'_, Requirement>>,
    ) -> PyResult<Self> {
        let mut p = (*self.inner).clone();
        p.set_scope(transport, scope, to_core(requirements))
            .map_err(|e| core_err(&e))?;
        Ok(p.into())
    }

    /// A copy without `scope` of `transport`; KeyError if the policy has no such scope.
    fn without_scope(&self, transport: &str, scope: &str) -> PyResult<Self> {
        let mut p = (*self.inner).clone();
        match p.remove_scope(transport, scope) {
            Some(_) => Ok(p.into()),
            None => Err(pyo3::exceptions::PyKeyError::new_err(format!(
                "no scope {} in transport {}",
                repr::string(scope),
                repr::string(transport)
            ))),
        }
    }

    /// A copy with `requirements` as the default.
    fn with_default(&self, requirements: Vec<Bound<'_, Requirement>>) -> PyResult<Self> {
        let default = to_core(requirements);
        let mut p = containers_policy::Policy::new(default).map_err(|e| core_err(&e))?;
        p.transports = self.inner.transports.clone();
        Ok(p.into())
    }

    fn __repr__(&self) -> String {
        format!(
            "Policy.from_json({})",
            repr::string(&compact(&self.inner.to_json()))
        )
    }
}
