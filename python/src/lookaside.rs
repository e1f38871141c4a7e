//! registries.d, the lookaside layout, reading signatures, and fetching images from registries.

use std::{collections::BTreeMap, path::PathBuf, time::Duration};

use containers_policy::{Digest, DockerReference, ImageReference};
use pyo3::{exceptions::PyValueError, prelude::*, types::PyBytes};
use sigstore_lookaside::{
    Environment, HttpOptions, LookasideUrl,
    fetch::SignatureReader,
    registry::RegistryOptions,
    remote::{RemoteImageSource, RemoteOptions},
};

use crate::{
    errors::{Kind, core_err, lookaside_err},
    policy::Text,
    repr,
};

pub(crate) fn docker_reference(reference: &str) -> PyResult<DockerReference> {
    DockerReference::parse_normalized(reference)
        .map_err(|e| Kind::InvalidReference.error(e.to_string()))
}

pub(crate) fn digest(digest: &str) -> PyResult<Digest> {
    Digest::parse(digest).map_err(|e| Kind::InvalidReference.error(e.to_string()))
}

/// HTTP settings shared by everything that talks to a server.
pub(crate) fn http_options(tls_verify: bool, timeout: Option<f64>) -> PyResult<HttpOptions> {
    let mut http = HttpOptions::default().with_tls_verify(tls_verify);
    if let Some(t) = timeout {
        let d = Duration::try_from_secs_f64(t)
            .map_err(|e| PyValueError::new_err(format!("timeout={t}: {e}")))?;
        let connect = d.min(http.connect_timeout);
        http = http.with_timeouts(connect, d);
    }
    Ok(http)
}

/// A registries.d configuration: where each image's signatures are read and written. Immutable.
#[pyclass(frozen, module = "containers_policy")]
#[derive(Debug, Clone)]
pub struct RegistriesD {
    pub(crate) config: sigstore_lookaside::RegistriesD,
    pub(crate) env: Environment,
}

#[pymethods]
impl RegistriesD {
    /// Loads every `*.yaml` in `directory`, or (None) in the directories containers/image v5.42 reads for
    /// this process (every `registries.d` under `$XDG_CONFIG_HOME` or `$HOME/.config/containers`,
    /// `/etc/containers` and `/usr/share/containers`, with the rootful/rootless drop-in directories,
    /// merged). A missing directory is an empty configuration.
    #[staticmethod]
    #[pyo3(signature = (directory=None))]
    fn load(py: Python<'_>, directory: Option<PathBuf>) -> PyResult<Self> {
        let env = Environment::from_process();
        let config = py
            .detach(|| sigstore_lookaside::RegistriesD::load(&env, directory.as_deref()))
            .map_err(|e| lookaside_err(&e))?;
        Ok(RegistriesD { config, env })
    }

    /// Builds a configuration from file contents, `{"name.yaml": text}`, merged as files of one directory.
    #[staticmethod]
    fn from_yaml(files: BTreeMap<String, Text>) -> PyResult<Self> {
        let files: Vec<(&str, &[u8])> = files
            .iter()
            .map(|(name, text)| (name.as_str(), text.as_bytes()))
            .collect();
        let config = sigstore_lookaside::RegistriesD::from_yaml_files(&files)
            .map_err(|e| lookaside_err(&e))?;
        Ok(RegistriesD {
            config,
            env: Environment::from_process(),
        })
    }

    /// The lookaside base URL for `reference` (a docker reference such as `quay.io/ns/app:1.0`) with its
    /// repository path appended (`SignatureStorageBaseURL`); `write=True` gives the staging location.
    #[pyo3(signature = (reference, *, write=false))]
    fn lookaside_url(&self, reference: &str, write: bool) -> PyResult<String> {
        let reference = docker_reference(reference)?;
        self.base(&reference, write).map(|u| u.to_string())
    }

    /// The URL of signature `index` (1-based) of the image with manifest `digest`.
    #[pyo3(signature = (reference, digest, index=1, *, write=false))]
    fn signature_url(
        &self,
        reference: &str,
        digest: &str,
        index: usize,
        write: bool,
    ) -> PyResult<String> {
        let reference = docker_reference(reference)?;
        let digest = self::digest(digest)?;
        let base = self.base(&reference, write)?;
        base.signature_url(&digest, index)
            .map(|u| u.to_string())
            .map_err(|e| lookaside_err(&e))
    }

    /// The root of the staging store `skopeo copy --sign-by` writes to when no scope says otherwise:
    /// `default-docker`'s `lookaside-staging` (or `sigstore-staging`, `lookaside`, `sigstore`), else the
    /// built-in default store (`/var/lib/containers/sigstore` for root, else
    /// `$HOME/.local/share/containers/sigstore`), as a URL (`file:///…`).
    fn default_staging_url(&self) -> PyResult<String> {
        self.config
            .default_staging_url(&self.env)
            .map(|u| u.to_string())
            .map_err(|e| lookaside_err(&e))
    }

    /// Whether `use-sigstore-attachments` is on for `reference`.
    fn use_sigstore_attachments(&self, reference: &str) -> PyResult<bool> {
        Ok(self
            .config
            .use_sigstore_attachments(&docker_reference(reference)?))
    }

    /// Reads every signature of the image (`signature-1`, `signature-2`, … up to the first missing one)
    /// from the lookaside store configured for `reference`, over `file://` or `http(s)://`.
    #[pyo3(signature = (reference, digest, *, tls_verify=true, timeout=None))]
    fn read_signatures<'py>(
        &self,
        py: Python<'py>,
        reference: &str,
        digest: &str,
        tls_verify: bool,
        timeout: Option<f64>,
    ) -> PyResult<Vec<Bound<'py, PyBytes>>> {
        let reference = docker_reference(reference)?;
        let digest = self::digest(digest)?;
        let base = self.base(&reference, false)?;
        let http = http_options(tls_verify, timeout)?;
        let blobs = py
            .detach(|| SignatureReader::new(&http)?.read_signature_blobs(&base, &digest))
            .map_err(|e| lookaside_err(&e))?;
        Ok(blobs.iter().map(|b| PyBytes::new(py, b)).collect())
    }

    fn __repr__(&self) -> String {
        "RegistriesD(...)".to_owned()
    }
}

impl RegistriesD {
    fn base(&self, reference: &DockerReference, write: bool) -> PyResult<LookasideUrl> {
        self.config
            .storage_base_url(reference, write, &self.env)
            .map_err(|e| lookaside_err(&e))
    }
}

/// Where one signature lives inside a lookaside store: `<repository>@<algo>=<hex>/signature-<index>`.
/// The repository path is checked against the docker grammar, so it can never escape the store.
#[pyclass(frozen, eq, hash, module = "containers_policy")]
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SignatureLocation {
    pub(crate) inner: sigstore_lookaside::SignatureLocation,
}

#[pymethods]
impl SignatureLocation {
    /// A checked location: `repository` without host (any depth), `digest` `sha256:<hex>`, `index` ≥ 1.
    #[new]
    fn new(repository: &str, digest: &str, index: usize) -> PyResult<Self> {
        let digest = self::digest(digest)?;
        sigstore_lookaside::SignatureLocation::new(repository, digest, index)
            .map(|inner| SignatureLocation { inner })
            .map_err(|e| lookaside_err(&e))
    }

    /// The location of signature `index` of the image with manifest `digest` named by `reference` (a docker
    /// reference; its repository path, e.g. `library/busybox` for `busybox`, is used).
    #[staticmethod]
    #[pyo3(signature = (reference, digest, index=1))]
    fn for_reference(reference: &str, digest: &str, index: usize) -> PyResult<Self> {
        let reference = docker_reference(reference)?;
        Self::new(reference.path(), digest, index)
    }

    /// Parses a path relative to a store root, `<repository>@sha256=<hex>/signature-<N>`.
    #[staticmethod]
    fn parse(relative_path: &str) -> PyResult<Self> {
        sigstore_lookaside::SignatureLocation::parse_relative(relative_path)
            .map(|inner| SignatureLocation { inner })
            .map_err(|e| lookaside_err(&e))
    }

    /// The location of `file`, a signature inside the staging store rooted at `staging_root` (symbolic
    /// links resolved; a file outside the store is an error).
    #[staticmethod]
    fn locate(py: Python<'_>, staging_root: PathBuf, file: PathBuf) -> PyResult<Self> {
        py.detach(|| sigstore_lookaside::upload::locate_staged_file(&staging_root, &file))
            .map(|inner| SignatureLocation { inner })
            .map_err(|e| lookaside_err(&e))
    }

    /// Every signature in the staging store at `staging_root`, as `(location, file path)` pairs, sorted.
    #[staticmethod]
    fn walk(py: Python<'_>, staging_root: PathBuf) -> PyResult<Vec<(SignatureLocation, PathBuf)>> {
        let found = py
            .detach(|| sigstore_lookaside::upload::staged_signatures(&staging_root))
            .map_err(|e| lookaside_err(&e))?;
        Ok(found
            .into_iter()
            .map(|(inner, path)| (SignatureLocation { inner }, path))
            .collect())
    }

    /// The repository path, e.g. `library/busybox`.
    #[getter]
    fn repository(&self) -> String {
        self.inner.repository.clone()
    }

    /// The manifest digest, `sha256:<hex>`.
    #[getter]
    fn digest(&self) -> String {
        self.inner.digest.as_str().to_owned()
    }

    /// The 1-based signature index.
    #[getter]
    fn index(&self) -> usize {
        self.inner.index
    }

    /// `<repository>@sha256=<hex>` (the per-image folder).
    #[getter]
    fn image_dir(&self) -> String {
        self.inner.image_dir()
    }

    /// `<repository>@sha256=<hex>/signature-<index>`.
    #[getter]
    fn relative_path(&self) -> String {
        self.inner.relative_path()
    }

    fn __str__(&self) -> String {
        self.inner.relative_path()
    }

    fn __repr__(&self) -> String {
        format!(
            "SignatureLocation.parse({})",
            repr::string(&self.inner.relative_path())
        )
    }
}

/// Fetches `docker://` images from registries: the manifest over the Registry API v2, the signatures from
/// the lookaside store registries.d names (or the registry's signature extension). Immutable.
#[pyclass(frozen, module = "containers_policy")]
#[derive(Debug)]
pub struct RemoteSource {
    pub(crate) source: RemoteImageSource,
}

#[pymethods]
impl RemoteSource {
    /// `registries_d`: where signatures are (default: `RegistriesD.load()`). `tls_verify=False` also
    /// allows plain HTTP (test registries only). `auth_file`: an `auth.json` (default: the containers and
    /// docker locations).
    #[new]
    #[pyo3(signature = (registries_d=None, *, tls_verify=true, auth_file=None, timeout=None))]
    fn new(
        py: Python<'_>,
        registries_d: Option<&Bound<'_, RegistriesD>>,
        tls_verify: bool,
        auth_file: Option<PathBuf>,
        timeout: Option<f64>,
    ) -> PyResult<Self> {
        let registries_d = match registries_d {
            Some(r) => r.get().clone(),
            None => RegistriesD::load(py, None)?,
        };
        let mut registry =
            RegistryOptions::new(http_options(tls_verify, timeout)?, registries_d.env.clone());
        if let Some(f) = auth_file {
            registry = registry.with_auth_file(f);
        }
        let source = RemoteImageSource::new(RemoteOptions::new(
            registries_d.config,
            registries_d.env,
            registry,
        ))
        .map_err(|e| lookaside_err(&e))?;
        Ok(RemoteSource { source })
    }

    /// Fetches the manifest and signatures of a `docker://` image.
    fn fetch(&self, py: Python<'_>, reference: &str) -> PyResult<RemoteImage> {
        let reference = ImageReference::parse(reference).map_err(|e| core_err(&e))?;
        let fetched = py
            .detach(|| self.source.fetch(&reference))
            .map_err(|e| lookaside_err(&e))?;
        let manifest = fetched.image.manifest().map_err(core_err)?.to_vec();
        let signatures = fetched
            .image
            .signatures()
            .map_err(core_err)?
            .iter()
            .map(containers_policy::signature::Signature::to_blob)
            .collect();
        Ok(RemoteImage {
            reference: fetched.image.reference().to_string(),
            manifest,
            manifest_digest: fetched.manifest_digest.as_str().to_owned(),
            media_type: fetched.media_type,
            signatures,
            signature_source: fetched.signature_source,
        })
    }

    fn __repr__(&self) -> String {
        "RemoteSource(...)".to_owned()
    }
}

/// An image fetched from a registry.
#[pyclass(frozen, module = "containers_policy")]
#[derive(Debug)]
pub struct RemoteImage {
    /// The transport reference, e.g. `docker://registry.example.com/app:1.0`.
    #[pyo3(get)]
    reference: String,
    manifest: Vec<u8>,
    /// The digest signatures are filed under.
    #[pyo3(get)]
    manifest_digest: String,
    /// The manifest's media type.
    #[pyo3(get)]
    media_type: String,
    signatures: Vec<Vec<u8>>,
    /// Where the signatures were read from (lookaside base URL, or `registry extension`).
    #[pyo3(get)]
    signature_source: String,
}

#[pymethods]
impl RemoteImage {
    /// The manifest bytes.
    #[getter]
    fn manifest<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, &self.manifest)
    }

    /// The signature blobs, in index order.
    #[getter]
    fn signatures<'py>(&self, py: Python<'py>) -> Vec<Bound<'py, PyBytes>> {
        self.signatures
            .iter()
            .map(|s| PyBytes::new(py, s))
            .collect()
    }

    fn __repr__(&self) -> String {
        format!(
            "RemoteImage(reference={}, manifest_digest={}, signatures={})",
            repr::string(&self.reference),
            repr::string(&self.manifest_digest),
            self.signatures.len()
        )
    }
}
