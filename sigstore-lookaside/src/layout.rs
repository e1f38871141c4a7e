//! The lookaside layout: `<base>/<repository path>@<algo>=<hex>/signature-<N>` (`docker/registries_d.go`).
//! OWNER: helper A (store).

use containers_policy::{Digest, DigestError, DockerReference};

use crate::Result;

/// A configured lookaside location: an absolute URL, or (as Go's `url.Parse` keeps it) a scheme-less
/// path that readers later refuse with `Unsupported scheme when reading signature from <url>`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum LookasideUrl {
    /// An absolute URL (`file:///…`, `https://…`).
    Url(url::Url),
    /// A scheme-less value, kept verbatim.
    Raw(String),
}

impl LookasideUrl {
    /// Parses a configured value as Go's `url.Parse` does; errors carry containers/image's text
    /// (`Invalid signature storage URL <s>: parse "<s>": missing protocol scheme`).
    pub fn parse(s: &str) -> Result<Self> {
        let _ = s;
        todo!()
    }

    /// `<self>/<repository path of reference>` (the host is not part of it).
    pub fn with_repository(&self, reference: &DockerReference) -> Self {
        let _ = reference;
        todo!()
    }

    /// `<self>@<algo>=<hex>/signature-<index>` for a base that already includes the repository path;
    /// `index` is 1-based. The digest is validated first.
    pub fn signature_url(&self, digest: &Digest, index: usize) -> Result<LookasideUrl> {
        let _ = (digest, index);
        todo!()
    }

    /// The URL scheme (`file`, `http`, `https`, …), or `""` for a scheme-less value.
    pub fn scheme(&self) -> &str {
        match self {
            LookasideUrl::Url(u) => u.scheme(),
            LookasideUrl::Raw(_) => "",
        }
    }
}

impl std::fmt::Display for LookasideUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LookasideUrl::Url(u) => f.write_str(u.as_str()),
            LookasideUrl::Raw(s) => f.write_str(s),
        }
    }
}

/// Where one signature lives inside a store, relative to its root: a repository path (any depth, checked
/// against the docker reference grammar, so no `..`, no absolute paths, no encoded tricks), a digest and a
/// 1-based index. This is what upload clients and the server exchange.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct SignatureLocation {
    /// Repository path without the host, e.g. `library/busybox`.
    pub repository: String,
    /// The manifest digest.
    pub digest: Digest,
    /// 1-based signature index.
    pub index: usize,
}

impl SignatureLocation {
    /// Checks and builds a location.
    pub fn new(repository: &str, digest: Digest, index: usize) -> Result<Self> {
        let _ = (repository, digest, index);
        todo!()
    }

    /// Parses `<repo path>@<algo>=<hex>/signature-<N>` (a path relative to a store root).
    pub fn parse_relative(path: &str) -> Result<Self> {
        let _ = path;
        todo!()
    }

    /// `<repo path>@<algo>=<hex>` (the per-image folder, as skopeo names it).
    pub fn image_dir(&self) -> String {
        format!(
            "{}@{}={}",
            self.repository,
            self.digest.algorithm(),
            self.digest.hex()
        )
    }

    /// `<repo path>@<algo>=<hex>/signature-<N>`.
    pub fn relative_path(&self) -> String {
        format!("{}/signature-{}", self.image_dir(), self.index)
    }
}

/// Checks a repository path (no host) against the docker reference path grammar.
pub fn validate_repository_path(path: &str) -> Result<()> {
    let _ = path;
    todo!()
}

#[allow(dead_code)]
fn _digest_error_is_used(_: DigestError) {}
