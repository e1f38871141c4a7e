//! Python bindings of containers-policy: the extension module `containers_policy._native`.
//!
//! Conversion only; every decision is the Rust core's. Classes are immutable (`frozen`) and `Send +
//! Sync`; the GIL is released around verification, file reads and network calls. Errors become one
//! exception hierarchy whose messages are the core's `Display` (containers/image's text).

mod context;
mod errors;
mod lookaside;
mod misc;
mod policy;
mod repr;
mod upload;

use pyo3::prelude::*;

#[pymodule(gil_used = false)]
mod _native {
    #[pymodule_export]
    use crate::context::{
        AcceptedSignature, Decision, PolicyContext, RequirementResult, SignatureResult,
    };
    #[pymodule_export]
    use crate::lookaside::{RegistriesD, RemoteImage, RemoteSource, SignatureLocation};
    #[pymodule_export]
    use crate::misc::{default_policy_path, generate_key, manifest_digest, sign, verify_signature};
    #[pymodule_export]
    use crate::policy::{Policy, Requirement, SignedIdentity};
    #[pymodule_export]
    use crate::upload::{UploadResult, Uploader};

    use super::*;

    #[pymodule_init]
    fn init(m: &Bound<'_, PyModule>) -> PyResult<()> {
        m.add("__version__", env!("CARGO_PKG_VERSION"))?;
        crate::errors::register(m)
    }
}
