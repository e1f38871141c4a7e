//! Manifest digests, signing, standalone verification, and key generation.

use std::time::SystemTime;

use containers_policy::{
    manifest,
    openpgp::{Keyring, SigningKey},
    simple,
};
use pyo3::{prelude::*, pybacked::PyBackedBytes, types::PyBytes};

use crate::{context::AcceptedSignature, errors::core_err};

/// The policy.json containers/image v5.42 reads when none is named: `$CONTAINERS_POLICY_JSON` if set (it
/// must exist), else the first that exists of `$XDG_CONFIG_HOME` (or `$HOME/.config`)
/// `/containers/policy.json`, `/etc/containers/policy.json`, `/usr/share/containers/policy.json`.
/// Raises `FileAccessError`/`ConfigError` with containers/image's text when there is none.
#[pyfunction]
pub(crate) fn default_policy_path() -> PyResult<std::path::PathBuf> {
    let env = sigstore_lookaside::Environment::from_process();
    sigstore_lookaside::configfile::default_policy_path(&env)
        .map_err(|e| crate::errors::lookaside_err(&e))
}

/// The manifest's digest as containers/image computes it (`sha256:<hex>`; schema 1 signatures stripped).
#[pyfunction]
pub(crate) fn manifest_digest(manifest: PyBackedBytes) -> PyResult<String> {
    manifest::manifest_digest(&manifest)
        .map(|d| d.as_str().to_owned())
        .map_err(|e| core_err(&e))
}

/// Signs `manifest` for `docker_reference` as `skopeo standalone-sign` does and returns the signature
/// blob. `key`: OpenPGP secret key material (armored or binary); `key_id`: fingerprint or key ID when it
/// holds several keys; `passphrase`: for an encrypted key.
#[pyfunction]
#[pyo3(signature = (manifest, docker_reference, key, *, key_id=None, passphrase=None))]
pub(crate) fn sign<'py>(
    py: Python<'py>,
    manifest: PyBackedBytes,
    docker_reference: &str,
    key: PyBackedBytes,
    key_id: Option<&str>,
    passphrase: Option<&str>,
) -> PyResult<Bound<'py, PyBytes>> {
    let blob = py
        .detach(|| {
            let key = SigningKey::from_bytes(&key, key_id, passphrase)?;
            simple::sign_docker_manifest(&manifest, docker_reference, &key, SystemTime::now())
        })
        .map_err(|e| core_err(&e))?;
    Ok(PyBytes::new(py, &blob))
}

/// Verifies a signature as `skopeo standalone-verify` does: made by one of `public_keys` (keyring blobs,
/// armored or binary) whose fingerprint is in `fingerprints` (None: any of them), for `manifest`, claiming
/// `docker_reference`. Raises `InvalidSignatureError` with containers/image's message otherwise.
#[pyfunction]
#[pyo3(signature = (signature, manifest, docker_reference, public_keys, fingerprints=None))]
pub(crate) fn verify_signature(
    py: Python<'_>,
    signature: PyBackedBytes,
    manifest: PyBackedBytes,
    docker_reference: &str,
    public_keys: Vec<PyBackedBytes>,
    fingerprints: Option<Vec<String>>,
) -> PyResult<AcceptedSignature> {
    py.detach(|| {
        let keyring = Keyring::from_blobs(public_keys.iter().map(|k| &**k));
        let accepted = fingerprints.unwrap_or_else(|| keyring.fingerprints().to_vec());
        simple::verify_docker_manifest_signature(
            &signature,
            &manifest,
            docker_reference,
            &keyring,
            &accepted,
            SystemTime::now(),
        )
    })
    .map(AcceptedSignature::from)
    .map_err(|e| core_err(&e))
}

/// A fresh Ed25519 signing key without passphrase (tests, demos): `(secret_armored, public_armored,
/// fingerprint)`.
#[pyfunction]
pub(crate) fn generate_key<'py>(
    py: Python<'py>,
    user_id: &str,
) -> PyResult<(Bound<'py, PyBytes>, Bound<'py, PyBytes>, String)> {
    let key = py
        .detach(|| containers_policy::openpgp::generate_key(user_id))
        .map_err(|e| core_err(&e))?;
    Ok((
        PyBytes::new(py, &key.secret_armored),
        PyBytes::new(py, &key.public_armored),
        key.signing_key.fingerprint().to_owned(),
    ))
}
