//! The crate's error type.
//!
//! As in `containers-policy`, `Display` is the complete text containers/image (Go) gives for the same
//! failure where it has one; errors of our own (the server, the upload clients) name what failed and where.

use std::fmt;

/// Coarse classification of an [`Error`], stable across releases (C codes and Python exceptions use it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// registries.d is malformed, or a configured URL is invalid.
    Config,
    /// A repository path, digest or index cannot be mapped into a lookaside store safely.
    Layout,
    /// Reading signatures from a lookaside store failed.
    Read,
    /// Writing signatures to a lookaside store failed.
    Write,
    /// Talking to a registry (ping, authentication, manifest) failed.
    Registry,
    /// An upload was refused or failed.
    Upload,
    /// Credentials are missing, malformed or were refused.
    Auth,
    /// A local file could not be read or written.
    Io,
    /// An error from the policy core (reference, digest, signature format, …).
    Policy,
    /// Anything else.
    Other,
}

/// An error from the lookaside crate. `Display` is the full message; `source()` is not repeated in it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// registries.d parse/merge errors and invalid storage URLs, with containers/image's text, e.g.
    /// `Invalid signature storage URL :emptyscheme: parse ":emptyscheme": missing protocol scheme`.
    #[error("{0}")]
    Config(String),
    /// A repository path, digest or file name that would not map safely into a store.
    #[error("{0}")]
    Layout(String),
    /// Reading signatures failed, e.g.
    /// `reading signature from <url>: received unexpected HTTP status: 500 Internal Server Error`.
    #[error("{0}")]
    Read(String),
    /// Writing signatures failed, e.g. `Writing directly to a https lookaside <url> is not supported. …`.
    #[error("{0}")]
    Write(String),
    /// A registry request failed.
    #[error("{0}")]
    Registry(String),
    /// An upload failed or was refused by the server.
    #[error("{0}")]
    Upload(String),
    /// Credentials are missing, malformed or refused.
    #[error("{0}")]
    Auth(String),
    /// A local I/O failure, with Go's `*PathError` text (`open /x: no such file or directory`).
    #[error(transparent)]
    Io(#[from] containers_policy::error::IoError),
    /// An error from the policy core.
    #[error(transparent)]
    Policy(#[from] containers_policy::Error),
    /// Anything else.
    #[error("{0}")]
    Other(String),
}

impl Error {
    /// The error's [`ErrorKind`].
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::Config(_) => ErrorKind::Config,
            Error::Layout(_) => ErrorKind::Layout,
            Error::Read(_) => ErrorKind::Read,
            Error::Write(_) => ErrorKind::Write,
            Error::Registry(_) => ErrorKind::Registry,
            Error::Upload(_) => ErrorKind::Upload,
            Error::Auth(_) => ErrorKind::Auth,
            Error::Io(_) => ErrorKind::Io,
            Error::Policy(_) => ErrorKind::Policy,
            Error::Other(_) => ErrorKind::Other,
        }
    }

    /// Prefixes the message with context (`"<context>: <message>"`), keeping the kind.
    pub fn context(self, context: impl fmt::Display) -> Error {
        let wrap = |m: String| format!("{context}: {m}");
        match self {
            Error::Config(m) => Error::Config(wrap(m)),
            Error::Layout(m) => Error::Layout(wrap(m)),
            Error::Read(m) => Error::Read(wrap(m)),
            Error::Write(m) => Error::Write(wrap(m)),
            Error::Registry(m) => Error::Registry(wrap(m)),
            Error::Upload(m) => Error::Upload(wrap(m)),
            Error::Auth(m) => Error::Auth(wrap(m)),
            Error::Other(m) => Error::Other(wrap(m)),
            e @ (Error::Io(_) | Error::Policy(_)) => Error::Other(wrap(e.to_string())),
        }
    }
}

/// The crate's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
