//! The crate's error type.
//!
//! `Display` of every error is the text containers/image (Go) gives for the same failure, including the
//! text of wrapped errors; `to_string()` is therefore the complete message, and callers should print only
//! that (walking `source()` as well would repeat text).

use std::{fmt, io, path::PathBuf, sync::Arc};

use crate::{digest::DigestError, reference::ReferenceError};

/// Coarse classification of an [`Error`], stable across releases: C error codes and Python exception
/// classes are derived from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// policy.json is malformed (containers/image `InvalidPolicyFormatError`).
    InvalidPolicy,
    /// The policy was evaluated and said no (`PolicyRequirementError`).
    PolicyRequirement,
    /// A signature is malformed or made by an unacceptable key (`InvalidSignatureError`).
    InvalidSignature,
    /// A docker reference or transport reference could not be parsed.
    InvalidReference,
    /// A file could not be read or written.
    Io,
    /// A manifest could not be digested or does not match.
    Manifest,
    /// Anything else (plain Go errors).
    Other,
}

/// A reason the policy refused an image, kept per requirement and per signature
/// (containers/image `PolicyRequirementError`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Rejection {
    /// `Running image <transport>:<name> is rejected by policy.`
    RejectedByPolicy {
        /// `<transport>:<StringWithinTransport>`, e.g. `docker://busybox:latest`.
        image: String,
    },
    /// `Any signatures for image <name> are rejected by policy.`
    SignaturesRejectedByPolicy {
        /// The image name as containers/image prints it.
        image: String,
    },
    /// `A signature was required, but no signature exists`, optionally with the sigstore counts.
    NoSignature {
        /// Counts of skipped entries `(non-sigstore signatures, non-signature attachments)`, printed by
        /// `sigstoreSigned` when either is non-zero.
        skipped: Option<(usize, usize)>,
    },
    /// `None of the signatures were accepted, reasons: <r1>; <r2>; …`
    NoneAccepted(Vec<Error>),
    /// `Signature for identity "<ref>" is not accepted`
    IdentityNotAccepted {
        /// The `docker-reference` the signature claims.
        signed_reference: String,
    },
    /// `Signature for digest <digest> does not match`
    DigestMismatch {
        /// The `docker-manifest-digest` the signature claims.
        signed_digest: String,
    },
    /// `No public keys imported`
    NoPublicKeysImported,
    /// `List of verification policy requirements must not be empty`
    EmptyRequirements,
    /// `signedBaseLayer not implemented yet!`
    SignedBaseLayerNotImplemented,
    /// Any other policy refusal, with its containers/image text.
    Other(String),
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Rejection::RejectedByPolicy { image } => {
                write!(f, "Running image {image} is rejected by policy.")
            }
            Rejection::SignaturesRejectedByPolicy { image } => {
                write!(
                    f,
                    "Any signatures for image {image} are rejected by policy."
                )
            }
            Rejection::NoSignature { skipped: None }
            | Rejection::NoSignature {
                skipped: Some((0, 0)),
            } => f.write_str("A signature was required, but no signature exists"),
            Rejection::NoSignature {
                skipped: Some((a, b)),
            } => write!(
                f,
                "A signature was required, but no signature exists ({a} non-sigstore signatures, {b} sigstore non-signature attachments)"
            ),
            Rejection::NoneAccepted(reasons) => {
                f.write_str("None of the signatures were accepted, reasons: ")?;
                for (i, r) in reasons.iter().enumerate() {
                    if i > 0 {
                        f.write_str("; ")?;
                    }
                    write!(f, "{r}")?;
                }
                Ok(())
            }
            Rejection::IdentityNotAccepted { signed_reference } => {
                write!(
                    f,
                    "Signature for identity {} is not accepted",
                    go_quote(signed_reference)
                )
            }
            Rejection::DigestMismatch { signed_digest } => {
                write!(f, "Signature for digest {signed_digest} does not match")
            }
            Rejection::NoPublicKeysImported => f.write_str("No public keys imported"),
            Rejection::EmptyRequirements => {
                f.write_str("List of verification policy requirements must not be empty")
            }
            Rejection::SignedBaseLayerNotImplemented => {
                f.write_str("signedBaseLayer not implemented yet!")
            }
            Rejection::Other(s) => f.write_str(s),
        }
    }
}

/// An I/O failure, displayed as Go's `*fs.PathError` (`open /x: no such file or directory`).
#[derive(Debug, Clone)]
pub struct IoError {
    op: &'static str,
    path: PathBuf,
    source: Arc<io::Error>,
}

impl IoError {
    /// Wraps `source`, which happened during `op` (`open`, `read`, `stat`, …) on `path`.
    pub fn new(op: &'static str, path: impl Into<PathBuf>, source: io::Error) -> Self {
        IoError {
            op,
            path: path.into(),
            source: Arc::new(source),
        }
    }

    /// The path the operation was on.
    pub fn path(&self) -> &std::path::Path {
        &self.path
    }

    /// The underlying I/O error.
    pub fn io_error(&self) -> &io::Error {
        &self.source
    }

    /// Whether the file did not exist.
    pub fn is_not_found(&self) -> bool {
        self.source.kind() == io::ErrorKind::NotFound
    }
}

impl PartialEq for IoError {
    fn eq(&self, other: &Self) -> bool {
        self.to_string() == other.to_string()
    }
}
impl Eq for IoError {}

impl fmt::Display for IoError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {}: {}",
            self.op,
            self.path.display(),
            go_errno_text(&self.source)
        )
    }
}

impl std::error::Error for IoError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&*self.source)
    }
}

/// The error type of this crate. See the [module docs](self) for how messages are formed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// policy.json could not be parsed; the text is containers/image's (e.g. `Unknown key "x"`).
    #[error("{0}")]
    InvalidPolicyFormat(String),
    /// A policy file could not be parsed: `invalid policy in "<path>": <message>`.
    #[error("invalid policy in {}: {message}", go_quote(&path.display().to_string()))]
    InvalidPolicyFile {
        /// The file.
        path: PathBuf,
        /// The parse error's text.
        message: String,
    },
    /// The policy refused the image (containers/image `PolicyRequirementError`).
    #[error("{0}")]
    Rejected(Rejection),
    /// A signature is invalid (containers/image `InvalidSignatureError`).
    #[error("{0}")]
    InvalidSignature(String),
    /// A docker reference could not be parsed.
    #[error(transparent)]
    InvalidReference(#[from] ReferenceError),
    /// A digest string is invalid.
    #[error(transparent)]
    InvalidDigest(#[from] DigestError),
    /// A file could not be read.
    #[error(transparent)]
    Io(#[from] IoError),
    /// A manifest could not be digested.
    #[error("{0}")]
    Manifest(String),
    /// A signature blob is not in a recognized storage format (`empty signature blob`, …).
    #[error("{0}")]
    SignatureFormat(String),
    /// Any other error, with containers/image's text.
    #[error("{0}")]
    Other(String),
}

impl Error {
    /// The error's classification.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::InvalidPolicyFormat(_) | Error::InvalidPolicyFile { .. } => {
                ErrorKind::InvalidPolicy
            }
            Error::Rejected(_) => ErrorKind::PolicyRequirement,
            Error::InvalidSignature(_) | Error::SignatureFormat(_) => ErrorKind::InvalidSignature,
            Error::InvalidReference(_) | Error::InvalidDigest(_) => ErrorKind::InvalidReference,
            Error::Io(_) => ErrorKind::Io,
            Error::Manifest(_) => ErrorKind::Manifest,
            Error::Other(_) => ErrorKind::Other,
        }
    }
}

impl From<Rejection> for Error {
    fn from(r: Rejection) -> Self {
        Error::Rejected(r)
    }
}

/// Go's `%q` for a string: double quotes with Go escapes (`strconv.Quote`).
pub fn go_quote(s: &str) -> String {
    crate::json::quote::go_quote(s)
}

/// Go's `syscall.Errno` text for an I/O error (lower-case strerror, no "(os error N)").
pub fn go_errno_text(e: &io::Error) -> String {
    let Some(code) = e.raw_os_error() else {
        return e.to_string();
    };
    let known = match code {
        1 => "operation not permitted",
        2 => "no such file or directory",
        5 => "input/output error",
        13 => "permission denied",
        17 => "file exists",
        20 => "not a directory",
        21 => "is a directory",
        24 => "too many open files",
        28 => "no space left on device",
        30 => "read-only file system",
        36 => "file name too long",
        40 => "too many levels of symbolic links",
        _ => "",
    };
    if !known.is_empty() {
        return known.to_owned();
    }
    let text = e.to_string();
    let text = text.split(" (os error").next().unwrap_or(&text).to_owned();
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn io_error_text_is_go_path_error() {
        let e = std::fs::read("/this/does/not/exist").unwrap_err();
        let e = IoError::new("open", "/this/does/not/exist", e);
        assert_eq!(
            e.to_string(),
            "open /this/does/not/exist: no such file or directory"
        );
    }

    #[test]
    fn none_accepted_joins_reasons() {
        let r = Rejection::NoneAccepted(vec![
            Error::InvalidSignature("a".into()),
            Rejection::DigestMismatch {
                signed_digest: "sha256:x".into(),
            }
            .into(),
        ]);
        assert_eq!(
            r.to_string(),
            "None of the signatures were accepted, reasons: a; Signature for digest sha256:x does not match"
        );
    }

    #[test]
    fn go_quote_escapes() {
        assert_eq!(go_quote("a\"b\\c\n"), r#""a\"b\\c\n""#);
        assert_eq!(go_quote("\x01"), r#""\x01""#);
    }

    #[test]
    fn policy_file_error_text() {
        let e = Error::InvalidPolicyFile {
            path: "/dev/null".into(),
            message: "unexpected end of JSON input".into(),
        };
        assert_eq!(
            e.to_string(),
            r#"invalid policy in "/dev/null": unexpected end of JSON input"#
        );
        assert_eq!(e.kind(), ErrorKind::InvalidPolicy);
    }
}
