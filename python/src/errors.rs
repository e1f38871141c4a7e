//! One exception hierarchy: `ContainersPolicyError` and a subclass per error kind. The message is the Rust
//! `Display`, which is containers/image's text; `code` (a class attribute) names the kind.

use pyo3::{create_exception, exceptions::PyException, prelude::*, types::PyType};

create_exception!(
    containers_policy,
    ContainersPolicyError,
    PyException,
    "Base class of every error raised by containers_policy. `str(e)` is containers/image's message."
);
create_exception!(
    containers_policy,
    InvalidPolicyError,
    ContainersPolicyError,
    "policy.json (or a requirement, or an identity rule) is malformed."
);
create_exception!(
    containers_policy,
    PolicyRequirementError,
    ContainersPolicyError,
    "The policy refused the image (containers/image PolicyRequirementError)."
);
create_exception!(
    containers_policy,
    InvalidSignatureError,
    ContainersPolicyError,
    "A signature is malformed, or made by a key the policy does not accept (InvalidSignatureError)."
);
create_exception!(
    containers_policy,
    InvalidReferenceError,
    ContainersPolicyError,
    "An image reference, docker reference or digest could not be parsed."
);
create_exception!(
    containers_policy,
    ManifestError,
    ContainersPolicyError,
    "A manifest could not be digested."
);
create_exception!(
    containers_policy,
    FileAccessError,
    ContainersPolicyError,
    "A local file could not be read or written (the message is Go's `open <path>: <reason>`)."
);
create_exception!(
    containers_policy,
    ConfigError,
    ContainersPolicyError,
    "registries.d is malformed, or a configured storage URL is invalid."
);
create_exception!(
    containers_policy,
    LookasideError,
    ContainersPolicyError,
    "A lookaside store could not be read or written, or a repository path or file name is unsafe."
);
create_exception!(
    containers_policy,
    RegistryError,
    ContainersPolicyError,
    "Talking to a registry failed (connection, authentication, manifest)."
);
create_exception!(
    containers_policy,
    UploadError,
    ContainersPolicyError,
    "An upload was refused or failed."
);
create_exception!(
    containers_policy,
    AuthError,
    ContainersPolicyError,
    "Credentials are missing, malformed or were refused."
);

/// The error kinds the bindings distinguish, each with its exception class and `code`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    InvalidPolicy,
    PolicyRequirement,
    InvalidSignature,
    InvalidReference,
    Manifest,
    FileAccess,
    Config,
    Lookaside,
    Registry,
    Upload,
    Auth,
    Other,
}

impl Kind {
    pub(crate) fn of_core(kind: containers_policy::ErrorKind) -> Kind {
        use containers_policy::ErrorKind as K;
        match kind {
            K::InvalidPolicy => Kind::InvalidPolicy,
            K::PolicyRequirement => Kind::PolicyRequirement,
            K::InvalidSignature => Kind::InvalidSignature,
            K::InvalidReference => Kind::InvalidReference,
            K::Io => Kind::FileAccess,
            K::Manifest => Kind::Manifest,
            _ => Kind::Other,
        }
    }

    pub(crate) fn of_lookaside(e: &sigstore_lookaside::Error) -> Kind {
        use sigstore_lookaside::ErrorKind as K;
        if let sigstore_lookaside::Error::Policy(inner) = e {
            return Kind::of_core(inner.kind());
        }
        match e.kind() {
            K::Config => Kind::Config,
            K::Layout | K::Read | K::Write => Kind::Lookaside,
            K::Registry => Kind::Registry,
            K::Upload => Kind::Upload,
            K::Auth => Kind::Auth,
            K::Io => Kind::FileAccess,
            _ => Kind::Other,
        }
    }

    pub(crate) fn error(self, message: String) -> PyErr {
        match self {
            Kind::InvalidPolicy => InvalidPolicyError::new_err(message),
            Kind::PolicyRequirement => PolicyRequirementError::new_err(message),
            Kind::InvalidSignature => InvalidSignatureError::new_err(message),
            Kind::InvalidReference => InvalidReferenceError::new_err(message),
            Kind::Manifest => ManifestError::new_err(message),
            Kind::FileAccess => FileAccessError::new_err(message),
            Kind::Config => ConfigError::new_err(message),
            Kind::Lookaside => LookasideError::new_err(message),
            Kind::Registry => RegistryError::new_err(message),
            Kind::Upload => UploadError::new_err(message),
            Kind::Auth => AuthError::new_err(message),
            Kind::Other => ContainersPolicyError::new_err(message),
        }
    }
}

/// The exception for a core error.
pub(crate) fn core_err(e: &containers_policy::Error) -> PyErr {
    Kind::of_core(e.kind()).error(e.to_string())
}

/// The exception for a lookaside error.
pub(crate) fn lookaside_err(e: &sigstore_lookaside::Error) -> PyErr {
    Kind::of_lookaside(e).error(e.to_string())
}

/// Adds the exception classes to the module, each with its `code`.
pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    let classes: [(&str, Bound<'_, PyType>, &str); 12] = [
        (
            "ContainersPolicyError",
            py.get_type::<ContainersPolicyError>(),
            "other",
        ),
        (
            "InvalidPolicyError",
            py.get_type::<InvalidPolicyError>(),
            "invalid_policy",
        ),
        (
            "PolicyRequirementError",
            py.get_type::<PolicyRequirementError>(),
            "policy_requirement",
        ),
        (
            "InvalidSignatureError",
            py.get_type::<InvalidSignatureError>(),
            "invalid_signature",
        ),
        (
            "InvalidReferenceError",
            py.get_type::<InvalidReferenceError>(),
            "invalid_reference",
        ),
        ("ManifestError", py.get_type::<ManifestError>(), "manifest"),
        (
            "FileAccessError",
            py.get_type::<FileAccessError>(),
            "file_access",
        ),
        ("ConfigError", py.get_type::<ConfigError>(), "config"),
        (
            "LookasideError",
            py.get_type::<LookasideError>(),
            "lookaside",
        ),
        ("RegistryError", py.get_type::<RegistryError>(), "registry"),
        ("UploadError", py.get_type::<UploadError>(), "upload"),
        ("AuthError", py.get_type::<AuthError>(), "auth"),
    ];
    for (name, class, code) in classes {
        class.setattr("code", code)?;
        m.add(name, class)?;
    }
    Ok(())
}
