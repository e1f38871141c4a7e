//! The lookaside layout: `<base>/<repository path>@<algo>=<hex>/signature-<N>` (`docker/registries_d.go`).
//! OWNER: helper A (store).
//!
//! URLs are handled by [`GoUrl`], which parses and renders exactly as Go's `net/url` does, so that every
//! URL we print or request is the one containers/image would use.

mod go_url;

use std::path::PathBuf;

use containers_policy::{Digest, DockerReference};

pub use go_url::GoUrl;
pub(crate) use go_url::go_quote;

use crate::{Error, Result};

/// The largest signature index accepted in a location (`signature-4294967295`).
pub const MAX_INDEX: usize = u32::MAX as usize;

/// docker/distribution `NameTotalLengthMax`.
const NAME_TOTAL_LENGTH_MAX: usize = 255;

/// A configured lookaside location: an absolute URL, or (as Go's `url.Parse` keeps it) a scheme-less
/// path that readers later refuse with `Unsupported scheme when reading signature from <url>`.
// A handful of these exist at a time; boxing the URL would only make matching on it clumsier.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum LookasideUrl {
    /// A URL with a scheme (`file:///…`, `https://…`), with Go `net/url` semantics.
    Url(GoUrl),
    /// A scheme-less value, as Go's `URL.String()` renders it (for plain paths: verbatim).
    Raw(String),
}

impl LookasideUrl {
    /// Parses a configured value as Go's `url.Parse` does; errors carry containers/image's text
    /// (`Invalid signature storage URL <s>: parse "<s>": missing protocol scheme`).
    pub fn parse(s: &str) -> Result<Self> {
        let u = GoUrl::parse(s)
            .map_err(|e| Error::Config(format!("Invalid signature storage URL {s}: {e}")))?;
        Ok(Self::from_go_url(u))
    }

    /// Wraps a parsed URL: `Url` if it has a scheme, else `Raw`.
    pub fn from_go_url(u: GoUrl) -> Self {
        if u.scheme().is_empty() {
            LookasideUrl::Raw(u.to_string())
        } else {
            LookasideUrl::Url(u)
        }
    }

    /// A `file` URL for a local directory, as containers/image builds its built-in default
    /// (`&url.URL{Scheme: "file", Path: dir}`).
    pub fn file(dir: &std::path::Path) -> Self {
        LookasideUrl::Url(GoUrl::file(&dir.to_string_lossy()))
    }

    /// `<self>/<repository path of reference>` (the host is not part of it).
    pub fn with_repository(&self, reference: &DockerReference) -> Self {
        self.map_path(|p| format!("{p}/{}", reference.path()))
    }

    /// `<self>@<algo>=<hex>/signature-<index>` for a base that already includes the repository path;
    /// `index` is 1-based (0 is refused). The digest is validated by its type.
    pub fn signature_url(&self, digest: &Digest, index: usize) -> Result<LookasideUrl> {
        if index == 0 {
            return Err(Error::Layout(
                "signature index 0 is invalid: indices are 1-based".to_owned(),
            ));
        }
        Ok(self.map_path(|p| {
            format!(
                "{p}@{}={}/signature-{index}",
                digest.algorithm(),
                digest.hex()
            )
        }))
    }

    /// [`signature_url`](Self::signature_url) for an unparsed digest string: the digest is validated first,
    /// and its error is go-digest's (`invalid checksum digest length` for `sha256:../hello`).
    pub fn signature_url_for(&self, digest: &str, index: usize) -> Result<LookasideUrl> {
        let digest = Digest::parse(digest).map_err(containers_policy::Error::from)?;
        self.signature_url(&digest, index)
    }

    /// The URL scheme (`file`, `http`, `https`, …), or `""` for a scheme-less value.
    pub fn scheme(&self) -> &str {
        match self {
            LookasideUrl::Url(u) => u.scheme(),
            LookasideUrl::Raw(_) => "",
        }
    }

    /// The parsed URL, for a value with a scheme.
    pub fn go_url(&self) -> Option<&GoUrl> {
        match self {
            LookasideUrl::Url(u) => Some(u),
            LookasideUrl::Raw(_) => None,
        }
    }

    /// For a `file` URL: the local path containers/image reads (Go `URL.Path`, decoded; the host part is
    /// ignored, as upstream ignores it).
    pub fn file_path(&self) -> Option<PathBuf> {
        match self {
            LookasideUrl::Url(u) if u.scheme() == "file" => Some(PathBuf::from(u.path())),
            _ => None,
        }
    }

    /// The URL as the `url` crate parses it (for HTTP clients); `None` for scheme-less values or if the
    /// `url` crate refuses what Go accepted.
    pub fn to_url(&self) -> Option<url::Url> {
        match self {
            LookasideUrl::Url(u) => url::Url::parse(&u.to_string()).ok(),
            LookasideUrl::Raw(_) => None,
        }
    }

    fn map_path(&self, f: impl FnOnce(&str) -> String) -> Self {
        match self {
            LookasideUrl::Url(u) => {
                let mut u = u.clone();
                let p = f(u.path());
                u.set_path(p);
                LookasideUrl::Url(u)
            }
            LookasideUrl::Raw(s) => match GoUrl::parse(s) {
                Ok(mut u) => {
                    let p = f(u.path());
                    u.set_path(p);
                    LookasideUrl::from_go_url(u)
                }
                // Not reachable for values made by `parse`; keep the text rather than lose it.
                Err(_) => LookasideUrl::Raw(f(s)),
            },
        }
    }
}

impl std::fmt::Display for LookasideUrl {
    /// Go's `URL.String()`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LookasideUrl::Url(u) => write!(f, "{u}"),
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
    /// Checks and builds a location: the repository path must satisfy [`validate_repository_path`] and the
    /// index must be in `1..=`[`MAX_INDEX`].
    pub fn new(repository: &str, digest: Digest, index: usize) -> Result<Self> {
        validate_repository_path(repository)?;
        if index == 0 || index > MAX_INDEX {
            return Err(Error::Layout(format!(
                "invalid signature index {index} for {repository}@{digest}: must be between 1 and {MAX_INDEX}"
            )));
        }
        Ok(SignatureLocation {
            repository: repository.to_owned(),
            digest,
            index,
        })
    }

    /// Parses `<repo path>@<algo>=<hex>/signature-<N>` (a path relative to a store root).
    pub fn parse_relative(path: &str) -> Result<Self> {
        let bad = |why: &str| {
            Error::Layout(format!(
                "invalid signature location {}: {why}",
                go_quote(path)
            ))
        };
        let (repository, rest) = path
            .split_once('@')
            .ok_or_else(|| bad("missing \"@<algorithm>=<hex>\""))?;
        validate_repository_path(repository).map_err(|e| bad(&e.to_string()))?;
        let (image, file) = rest
            .split_once('/')
            .ok_or_else(|| bad("missing \"/signature-<N>\""))?;
        let (algorithm, hex) = image
            .split_once('=')
            .ok_or_else(|| bad("digest must be written as <algorithm>=<hex>"))?;
        let digest = Digest::parse(&format!("{algorithm}:{hex}"))
            .map_err(|e| bad(&format!("invalid digest: {e}")))?;
        let index = parse_signature_file_name(file).ok_or_else(|| {
            bad("file name must be signature-<N> with N a decimal number from 1 to 4294967295 without leading zeros")
        })?;
        Ok(SignatureLocation {
            repository: repository.to_owned(),
            digest,
            index,
        })
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

/// The index of a `signature-<N>` file name: N decimal, 1..=[`MAX_INDEX`], no sign, no leading zeros.
pub fn parse_signature_file_name(name: &str) -> Option<usize> {
    let digits = name.strip_prefix("signature-")?;
    if digits.is_empty()
        || digits.len() > 10
        || digits.starts_with('0')
        || !digits.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let n: u64 = digits.parse().ok()?;
    usize::try_from(n)
        .ok()
        .filter(|n| (1..=MAX_INDEX).contains(n))
}

/// Checks a repository path (no host) against the docker reference path grammar: one or more components
/// `[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*` separated by single `/`, at most 255 characters in all.
/// So `..`, absolute paths, empty components, `%`, `\`, NUL and upper case are all refused.
pub fn validate_repository_path(path: &str) -> Result<()> {
    let bad =
        |why: String| Error::Layout(format!("invalid repository path {}: {why}", go_quote(path)));
    if path.is_empty() {
        return Err(bad("empty".to_owned()));
    }
    if path.len() > NAME_TOTAL_LENGTH_MAX {
        return Err(bad(format!(
            "longer than {NAME_TOTAL_LENGTH_MAX} characters"
        )));
    }
    for component in path.split('/') {
        if !valid_component(component) {
            return Err(bad(format!(
                "component {} does not match [a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*",
                go_quote(component)
            )));
        }
    }
    Ok(())
}

fn valid_component(c: &str) -> bool {
    let alnum = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    let b = c.as_bytes();
    let mut i = 0;
    loop {
        let run = i;
        while i < b.len() && alnum(b[i]) {
            i += 1;
        }
        if i == run {
            return false;
        }
        if i == b.len() {
            return true;
        }
        match b[i] {
            b'.' => i += 1,
            b'_' => {
                i += 1;
                if b.get(i) == Some(&b'_') {
                    i += 1;
                }
            }
            b'-' => {
                while b.get(i) == Some(&b'-') {
                    i += 1;
                }
            }
            _ => return false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEX: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    fn digest() -> Digest {
        Digest::parse(&format!("sha256:{HEX}")).unwrap()
    }

    fn reference(s: &str) -> DockerReference {
        DockerReference::parse_normalized(s).unwrap()
    }

    #[test]
    fn parse_keeps_schemeless_values() {
        let u = LookasideUrl::parse("/no/scheme/just/a/path").unwrap();
        assert_eq!(u, LookasideUrl::Raw("/no/scheme/just/a/path".to_owned()));
        assert_eq!(u.scheme(), "");
        let u = LookasideUrl::parse("no/scheme/relative/path").unwrap();
        assert_eq!(
            u.with_repository(&reference("localhost/relative/path/test"))
                .to_string(),
            "no/scheme/relative/path/relative/path/test"
        );
    }

    #[test]
    fn parse_errors_are_containers_image_text() {
        let e = LookasideUrl::parse(":emptyscheme").unwrap_err();
        assert_eq!(
            e.to_string(),
            r#"Invalid signature storage URL :emptyscheme: parse ":emptyscheme": missing protocol scheme"#
        );
        assert_eq!(e.kind(), crate::ErrorKind::Config);
        assert_eq!(
            LookasideUrl::parse("https://h:x/").unwrap_err().to_string(),
            r#"Invalid signature storage URL https://h:x/: parse "https://h:x/": invalid port ":x" after host"#
        );
    }

    #[test]
    fn repository_is_appended_to_the_path_not_the_query() {
        let base = LookasideUrl::parse("https://lookaside.centos.org/?x=1").unwrap();
        let u = base.with_repository(&reference("centos/foo"));
        assert_eq!(
            u.to_string(),
            "https://lookaside.centos.org//centos/foo?x=1"
        );
        let s = u.signature_url(&digest(), 3).unwrap();
        assert_eq!(
            s.to_string(),
            format!("https://lookaside.centos.org//centos/foo@sha256={HEX}/signature-3?x=1")
        );
        assert!(u.signature_url(&digest(), 0).is_err());
    }

    #[test]
    fn file_urls_give_decoded_paths() {
        let u = LookasideUrl::parse("file://ignored/srv/a%20b")
            .unwrap()
            .with_repository(&reference("x/y"));
        assert_eq!(u.file_path().unwrap(), PathBuf::from("/srv/a b/x/y"));
        assert_eq!(u.to_string(), "file://ignored/srv/a%20b/x/y");
        let d = LookasideUrl::file(std::path::Path::new(
            "/home/u/.local/share/containers/sigstore",
        ));
        assert_eq!(
            d.to_string(),
            "file:///home/u/.local/share/containers/sigstore"
        );
    }

    #[test]
    fn invalid_digest_string_is_refused_first() {
        let base = LookasideUrl::parse("file:///tmp").unwrap();
        assert_eq!(
            base.signature_url_for("sha256:../hello", 1)
                .unwrap_err()
                .to_string(),
            "invalid checksum digest length"
        );
    }

    #[test]
    fn repository_paths() {
        for ok in [
            "a",
            "library/busybox",
            "a.b/c_d/e__f/g---h/0",
            "ns1/ns2/ns3/repo",
        ] {
            validate_repository_path(ok).unwrap();
        }
        for bad in [
            "", "/a", "a/", "a//b", "..", "a/../b", ".", "a/./b", "A", "a%2fb", "a\\b", "a\0b",
            "-a", "a-", "a___b", "a..b", "a@b", "a:b", " a",
        ] {
            let e = validate_repository_path(bad).unwrap_err();
            assert_eq!(e.kind(), crate::ErrorKind::Layout);
            assert!(e.to_string().contains(&go_quote(bad)), "{e}");
        }
        validate_repository_path(&"a".repeat(255)).unwrap();
        validate_repository_path(&"a".repeat(256)).unwrap_err();
    }

    #[test]
    fn relative_locations() {
        let loc = SignatureLocation::parse_relative(&format!(
            "library/busybox@sha256={HEX}/signature-12"
        ))
        .unwrap();
        assert_eq!(loc.repository, "library/busybox");
        assert_eq!(loc.digest, digest());
        assert_eq!(loc.index, 12);
        assert_eq!(
            loc.relative_path(),
            format!("library/busybox@sha256={HEX}/signature-12")
        );
        for bad in [
            format!("library/busybox@sha256={HEX}/signature-0"),
            format!("library/busybox@sha256={HEX}/signature-01"),
            format!("library/busybox@sha256={HEX}/signature-+1"),
            format!("library/busybox@sha256={HEX}/signature-4294967296"),
            format!("library/busybox@sha256={HEX}/signature-99999999999999999999"),
            format!("library/busybox@sha256={HEX}/signature-1/x"),
            format!("library/busybox@sha256={HEX}/manifest"),
            format!("library/busybox@sha256:{HEX}/signature-1"),
            format!("../busybox@sha256={HEX}/signature-1"),
            format!("/busybox@sha256={HEX}/signature-1"),
            "library/busybox@sha256=../hello/signature-1".to_owned(),
            format!("library/busybox/sha256={HEX}/signature-1"),
        ] {
            let e = SignatureLocation::parse_relative(&bad).unwrap_err();
            assert!(e.to_string().contains(&go_quote(&bad)), "{e}");
        }
        SignatureLocation::parse_relative(&format!("a@sha256={HEX}/signature-4294967295")).unwrap();
        assert!(SignatureLocation::new("a", digest(), 0).is_err());
        assert!(SignatureLocation::new("a/../b", digest(), 1).is_err());
        assert_eq!(SignatureLocation::new("a", digest(), 1).unwrap().index, 1);
    }

    proptest::proptest! {
        #[test]
        fn accepted_repository_paths_are_safe(s in "[a-z0-9./%\\\\_@=-]{0,12}") {
            if validate_repository_path(&s).is_ok() {
                proptest::prop_assert!(!s.contains(".."));
                proptest::prop_assert!(!s.starts_with('/'));
                proptest::prop_assert!(!s.contains('%') && !s.contains('\\'));
            }
        }

        #[test]
        fn accepted_locations_are_safe(repo in "[a-z0-9./%\\\\_-]{0,10}", file in "[a-z0-9./%-]{0,14}") {
            let path = format!("{repo}@sha256={HEX}/{file}");
            if let Ok(loc) = SignatureLocation::parse_relative(&path) {
                let rel = loc.relative_path();
                proptest::prop_assert_eq!(&rel, &path);
                proptest::prop_assert!(!rel.contains(".."));
                proptest::prop_assert!(!rel.starts_with('/'));
                proptest::prop_assert!(!rel.contains('%') && !rel.contains('\\'));
            }
        }
    }
}
