//! Upload clients: a signature server's `/upload` JSON API, or a Nexus RAW repository.

use std::path::PathBuf;

use pyo3::{exceptions::PyValueError, prelude::*, pybacked::PyBackedBytes};
use sigstore_lookaside::{
    auth::Credential,
    upload::{UploadOutcome, UploadTarget},
};

use crate::{
    errors::{Kind, lookaside_err},
    lookaside::{SignatureLocation, digest, http_options},
    repr,
};

/// Publishes signatures. `url` is a signature server's upload endpoint
/// (`https://sigs.example.com/upload`, JSON `{"repoName","layerId","signatureData"}`), or with
/// `nexus=True` the base URL of a Nexus RAW repository (`https://nexus.example.com/repository/sigstore`,
/// `PUT <url>/<repository>@sha256=<hex>/signature-<N>` at the first free index). Credentials: `token`
/// (bearer), or `username` and `password` (basic), or `auth_file` (one line `bearer TOKEN` or
/// `basic USER:PASSWORD`), or none. Immutable; safe to share between threads.
#[pyclass(frozen, module = "containers_policy")]
#[derive(Debug)]
pub struct Uploader {
    uploader: sigstore_lookaside::upload::Uploader,
    url: String,
    nexus: bool,
}

#[pymethods]
impl Uploader {
    #[new]
    #[pyo3(signature = (url, *, nexus=false, token=None, username=None, password=None, auth_file=None, tls_verify=true, timeout=None))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        url: &str,
        nexus: bool,
        token: Option<String>,
        username: Option<String>,
        password: Option<String>,
        auth_file: Option<PathBuf>,
        tls_verify: bool,
        timeout: Option<f64>,
    ) -> PyResult<Self> {
        let parsed = url::Url::parse(url)
            .map_err(|e| PyValueError::new_err(format!("invalid upload URL {url:?}: {e}")))?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(PyValueError::new_err(format!(
                "invalid upload URL {url:?}: the scheme must be http or https"
            )));
        }
        let credential = match (token, username, password, auth_file) {
            (None, None, None, None) => None,
            (Some(t), None, None, None) => Some(Credential::bearer(t)),
            (None, Some(u), Some(p), None) => Some(Credential::basic(u, p)),
            (None, None, None, Some(f)) => Some(py.detach(|| Credential::from_file(&f))),
            (None, Some(_), None, None) | (None, None, Some(_), None) => {
                return Err(Kind::Auth
                    .error("give both username and password for basic authentication".to_owned()));
            }
            _ => {
                return Err(Kind::Auth.error(
                    "give one credential: token, or username and password, or auth_file".to_owned(),
                ));
            }
        }
        .transpose()
        .map_err(|e| lookaside_err(&e))?;
        let target = if nexus {
            UploadTarget::Nexus { base_url: parsed }
        } else {
            UploadTarget::SignatureServer { upload_url: parsed }
        };
        let uploader = sigstore_lookaside::upload::Uploader::new(
            target,
            credential,
            &http_options(tls_verify, timeout)?,
        )
        .map_err(|e| lookaside_err(&e))?;
        Ok(Uploader {
            uploader,
            url: url.to_owned(),
            nexus,
        })
    }

    /// The URL given.
    #[getter]
    fn url(&self) -> String {
        self.url.clone()
    }

    /// Whether the target is a Nexus RAW repository.
    #[getter]
    fn nexus(&self) -> bool {
        self.nexus
    }

    /// Uploads one signature of the image with manifest `digest` in `repository` (a path without host,
    /// any depth, e.g. `team/sub/app`).
    fn upload(
        &self,
        py: Python<'_>,
        repository: &str,
        digest: &str,
        signature: PyBackedBytes,
    ) -> PyResult<UploadResult> {
        let digest = self::digest(digest)?;
        py.detach(|| self.uploader.upload(repository, &digest, &signature))
            .map(UploadResult::from)
            .map_err(|e| lookaside_err(&e))
    }

    /// Uploads the signature file `file` of the staging store rooted at `staging_root` (its repository
    /// path and digest come from where it lies in the store).
    fn upload_file(
        &self,
        py: Python<'_>,
        staging_root: PathBuf,
        file: PathBuf,
    ) -> PyResult<UploadResult> {
        py.detach(|| {
            let location = sigstore_lookaside::upload::locate_staged_file(&staging_root, &file)?;
            let blob = std::fs::read(&file)
                .map_err(|e| containers_policy::error::IoError::new("open", &file, e))?;
            self.uploader
                .upload(&location.repository, &location.digest, &blob)
        })
        .map(UploadResult::from)
        .map_err(|e| lookaside_err(&e))
    }

    /// Uploads `signature` to `location` (its repository and digest; the index is chosen by the target).
    fn upload_location(
        &self,
        py: Python<'_>,
        location: &Bound<'_, SignatureLocation>,
        signature: PyBackedBytes,
    ) -> PyResult<UploadResult> {
        let location = location.get().inner.clone();
        py.detach(|| {
            self.uploader
                .upload(&location.repository, &location.digest, &signature)
        })
        .map(UploadResult::from)
        .map_err(|e| lookaside_err(&e))
    }

    /// Uploads every signature in the staging store at `staging_root`, in sorted order; stops at the
    /// first failure.
    fn upload_staging(&self, py: Python<'_>, staging_root: PathBuf) -> PyResult<Vec<UploadResult>> {
        py.detach(|| self.uploader.upload_staging(&staging_root))
            .map(|all| all.into_iter().map(UploadResult::from).collect())
            .map_err(|e| lookaside_err(&e))
    }

    fn __repr__(&self) -> String {
        format!(
            "Uploader({}, nexus={})",
            repr::string(&self.url),
            repr::boolean(self.nexus)
        )
    }
}

/// The result of one upload.
#[pyclass(frozen, module = "containers_policy")]
#[derive(Debug, Clone)]
pub struct UploadResult {
    /// `<repository>@sha256=<hex>/signature-<N>`, or the image folder when the server did not say.
    #[pyo3(get)]
    path: String,
    /// Where the signature can be read, when known.
    #[pyo3(get)]
    url: Option<String>,
    /// The 1-based index it is stored at, when known.
    #[pyo3(get)]
    index: Option<usize>,
    /// False when an identical signature was already there (nothing was written).
    #[pyo3(get)]
    created: bool,
}

impl From<UploadOutcome> for UploadResult {
    fn from(o: UploadOutcome) -> Self {
        UploadResult {
            path: o.path,
            url: o.url.map(|u| u.to_string()),
            index: o.index,
            created: o.created,
        }
    }
}

#[pymethods]
impl UploadResult {
    fn __repr__(&self) -> String {
        format!(
            "UploadResult(path={}, url={}, index={}, created={})",
            repr::string(&self.path),
            repr::opt(self.url.as_deref()),
            repr::opt_num(self.index),
            repr::boolean(self.created)
        )
    }
}
