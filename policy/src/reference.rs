//! Docker references (`docker.io/library/busybox:latest`), parsed and normalized exactly as
//! containers/image's `docker/reference` package (a fork of distribution/reference) does.
//!
//! The grammar is matched by hand (no regex engine); the results, including which of several possible
//! error messages is reported, follow the Go regular expressions of `docker/reference/regexp.go`:
//!
//! ```text
//! reference        := name [ ":" tag ] [ "@" digest ]
//! name             := [domain "/"] path-component ("/" path-component)*
//! domain           := domain-component ("." domain-component)* [":" port]
//! domain-component := [a-zA-Z0-9] | [a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]
//! path-component   := [a-z0-9]+ ( ([._] | "__" | "-"*) [a-z0-9]+ )*
//! tag              := [\w][\w.-]{0,127}
//! digest           := [A-Za-z][A-Za-z0-9]*([-_+.][A-Za-z][A-Za-z0-9]*)* ":" [0-9a-fA-F]{32,}
//! ```

use std::fmt;

/// Why a reference could not be parsed; `Display` is containers/image's text
/// (e.g. `invalid reference format: repository name must be lowercase`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ReferenceError {
    /// `invalid reference format`
    #[error("invalid reference format")]
    InvalidFormat,
    /// `invalid reference format: repository name must be lowercase`
    #[error("invalid reference format: repository name must be lowercase")]
    NameNotLowercase,
    /// `repository name must have at least one component`
    #[error("repository name must have at least one component")]
    NameEmpty,
    /// `repository name must not be more than 255 characters`
    #[error("repository name must not be more than 255 characters")]
    NameTooLong,
    /// `repository name must be canonical`
    #[error("repository name must be canonical")]
    NameNotCanonical,
    /// `invalid repository name (<s>), cannot specify 64-byte hexadecimal strings`
    #[error("invalid repository name ({0}), cannot specify 64-byte hexadecimal strings")]
    HexRepositoryName(String),
    /// A digest that fails go-digest validation.
    #[error(transparent)]
    Digest(#[from] crate::digest::DigestError),
    /// `repository name must be lowercase` (Go `ErrNameContainsUppercase`): the whole string would be a
    /// valid reference if it were lower-cased, e.g. `A_b.com/foo` (where the first component is not a
    /// domain, so it is a path component, which must be lowercase).
    #[error("repository name must be lowercase")]
    NameContainsUppercase,
}

/// `NameTotalLengthMax`.
const NAME_TOTAL_LENGTH_MAX: usize = 255;
const DEFAULT_DOMAIN: &str = "docker.io";
const LEGACY_DEFAULT_DOMAIN: &str = "index.docker.io";
const OFFICIAL_REPO_NAME: &str = "library";
const DEFAULT_TAG: &str = "latest";

/// A parsed, fully normalized docker reference: `domain/path[:tag][@digest]`.
///
/// ```
/// use containers_policy::DockerReference;
/// let r = DockerReference::parse_normalized("busybox")?;
/// assert_eq!(r.to_string(), "docker.io/library/busybox");
/// assert_eq!(r.clone().with_default_tag().familiar_string(), "busybox:latest");
/// assert_eq!(
///     DockerReference::parse_normalized("docker/Docker").unwrap_err().to_string(),
///     "invalid reference format: repository name must be lowercase"
/// );
/// # Ok::<(), containers_policy::reference::ReferenceError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DockerReference {
    /// The `String()` form: `name[:tag][@digest]`.
    repr: String,
    /// Length of the domain at the start of `repr`; 0 if the name has no domain part
    /// (possible only for odd inputs such as `a_b.com/foo`, whose first component is not a valid domain).
    domain_len: usize,
    /// Length of the name (`domain/path`) at the start of `repr`.
    name_len: usize,
    /// Length of the tag (which starts at `name_len + 1`), if any.
    tag_len: Option<usize>,
    digest: Option<crate::Digest>,
}

impl DockerReference {
    /// `reference.ParseNormalizedNamed`: accepts familiar forms (`busybox`, `library/busybox:1`).
    pub fn parse_normalized(s: &str) -> Result<Self, ReferenceError> {
        if is_full_identifier(s) {
            return Err(ReferenceError::HexRepositoryName(s.to_owned()));
        }
        let (domain, remainder) = split_docker_domain(s);
        let remote_name = match remainder.find(':') {
            Some(i) => &remainder[..i],
            None => remainder,
        };
        if changes_under_go_to_lower(remote_name) {
            return Err(ReferenceError::NameNotLowercase);
        }
        let library = domain == DEFAULT_DOMAIN && !remainder.contains('/');
        let mut full = String::with_capacity(
            domain.len()
                + 1
                + if library {
                    OFFICIAL_REPO_NAME.len() + 1
                } else {
                    0
                }
                + remainder.len(),
        );
        full.push_str(domain);
        full.push('/');
        if library {
            full.push_str(OFFICIAL_REPO_NAME);
            full.push('/');
        }
        full.push_str(remainder);
        Self::parse_any(full)
    }

    /// `reference.ParseNamed`: the input must already be canonical
    /// (`docker.io/library/busybox`), else [`ReferenceError::NameNotCanonical`].
    pub fn parse_canonical(s: &str) -> Result<Self, ReferenceError> {
        let r = Self::parse_normalized(s)?;
        if r.repr != s {
            return Err(ReferenceError::NameNotCanonical);
        }
        Ok(r)
    }

    /// `reference.Parse`: parses without any normalization (`busybox` stays a domain-less `busybox`).
    pub(crate) fn parse_any(s: String) -> Result<Self, ReferenceError> {
        let Some(parts) = match_reference(&s) else {
            if s.is_empty() {
                return Err(ReferenceError::NameEmpty);
            }
            if let Some(lower) = go_to_lower_ascii(&s) {
                if match_reference(&lower).is_some() {
                    return Err(ReferenceError::NameContainsUppercase);
                }
            }
            return Err(ReferenceError::InvalidFormat);
        };
        if parts.name_len > NAME_TOTAL_LENGTH_MAX {
            return Err(ReferenceError::NameTooLong);
        }
        let digest = match parts.digest_start {
            Some(start) => Some(crate::Digest::parse(&s[start..])?),
            None => None,
        };
        Ok(DockerReference {
            domain_len: parts.domain_len,
            name_len: parts.name_len,
            tag_len: parts.tag_len,
            digest,
            repr: s,
        })
    }

    /// `domain/path`, e.g. `docker.io/library/busybox`.
    pub fn name(&self) -> String {
        self.name_str().to_owned()
    }
    /// `domain/path` without allocating, e.g. `docker.io/library/busybox`.
    pub fn name_str(&self) -> &str {
        &self.repr[..self.name_len]
    }
    /// The `String()` form without allocating: `name`, `name:tag`, `name@digest` or `name:tag@digest`.
    pub fn as_str(&self) -> &str {
        &self.repr
    }
    /// The registry `host[:port]`, e.g. `docker.io`.
    pub fn domain(&self) -> &str {
        &self.repr[..self.domain_len]
    }
    /// The repository path without the domain, e.g. `library/busybox`.
    pub fn path(&self) -> &str {
        if self.domain_len == 0 {
            &self.repr[..self.name_len]
        } else {
            &self.repr[self.domain_len + 1..self.name_len]
        }
    }
    /// The tag, if any.
    pub fn tag(&self) -> Option<&str> {
        self.tag_len
            .map(|len| &self.repr[self.name_len + 1..self.name_len + 1 + len])
    }
    /// The digest, if any.
    pub fn digest(&self) -> Option<&crate::Digest> {
        self.digest.as_ref()
    }
    /// Neither tag nor digest.
    pub fn is_name_only(&self) -> bool {
        self.tag_len.is_none() && self.digest.is_none()
    }
    /// `reference.TagNameOnly`: adds `:latest` to a name-only reference.
    pub fn with_default_tag(mut self) -> Self {
        if self.is_name_only() {
            self.repr.push(':');
            self.repr.push_str(DEFAULT_TAG);
            self.tag_len = Some(DEFAULT_TAG.len());
        }
        self
    }
    /// The reference with its tag and digest removed (`reference.TrimNamed`).
    pub fn name_only(&self) -> Self {
        DockerReference {
            repr: self.name_str().to_owned(),
            domain_len: self.domain_len,
            name_len: self.name_len,
            tag_len: None,
            digest: None,
        }
    }
    /// The familiar form (`busybox:latest` for `docker.io/library/busybox:latest`).
    pub fn familiar_string(&self) -> String {
        let mut out = String::with_capacity(self.repr.len());
        out.push_str(self.familiar_name());
        out.push_str(&self.repr[self.name_len..]);
        out
    }
    /// The familiar form of the name (`reference.FamiliarName`): `busybox` for `docker.io/library/busybox`.
    pub fn familiar_name(&self) -> &str {
        if self.domain() != DEFAULT_DOMAIN {
            return self.name_str();
        }
        let path = self.path();
        match path.split_once('/') {
            Some((OFFICIAL_REPO_NAME, rest)) if !rest.contains('/') => rest,
            _ => path,
        }
    }
}

impl fmt::Display for DockerReference {
    /// `String()`: `name`, `name:tag`, `name@digest` or `name:tag@digest`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.repr)
    }
}

/// `anchoredIdentifierRegexp`: exactly 64 lowercase hex digits.
fn is_full_identifier(s: &str) -> bool {
    s.len() == 64
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// `splitDockerDomain`, without the `library/` prefix (which the caller adds); returns `(domain, remainder)`.
fn split_docker_domain(name: &str) -> (&str, &str) {
    let (domain, remainder) = match name.split_once('/') {
        Some((first, rest)) if first.contains(['.', ':']) || first == "localhost" => (first, rest),
        _ => (DEFAULT_DOMAIN, name),
    };
    let domain = if domain == LEGACY_DEFAULT_DOMAIN {
        DEFAULT_DOMAIN
    } else {
        domain
    };
    (domain, remainder)
}

/// Whether Go's `strings.ToLower(s) != s`.
fn changes_under_go_to_lower(s: &str) -> bool {
    s.chars().any(|c| {
        let mut lower = c.to_lowercase();
        !(lower.next() == Some(c) && lower.next().is_none())
    })
}

/// Go's `strings.ToLower(s)` if the result can be pure ASCII (else `None`: such a string can never match the
/// ASCII-only reference grammar). Only ASCII letters, U+0130 (İ → i) and U+212A (Kelvin sign → k) lower-case
/// to ASCII in Go.
fn go_to_lower_ascii(s: &str) -> Option<String> {
    s.chars()
        .map(|c| match c {
            'A'..='Z' => Some(c.to_ascii_lowercase()),
            '\u{130}' => Some('i'),
            '\u{212a}' => Some('k'),
            c if c.is_ascii() => Some(c),
            _ => None,
        })
        .collect()
}

/// Positions of the parts of a string matching `ReferenceRegexp`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct RefParts {
    domain_len: usize,
    name_len: usize,
    tag_len: Option<usize>,
    digest_start: Option<usize>,
}

/// Matches `^(name)(?::(tag))?(?:@(digest))?$` and splits the name as `anchoredNameRegexp` does.
///
/// The split is unambiguous: `@` can only introduce the digest, and a `:` followed by no `/` can only
/// introduce the tag (a port is always followed by `/path`).
fn match_reference(s: &str) -> Option<RefParts> {
    let (name_tag, digest_start) = match s.split_once('@') {
        Some((left, digest)) => {
            if !is_digest_pattern(digest) {
                return None;
            }
            (left, Some(left.len() + 1))
        }
        None => (s, None),
    };
    let (name, tag_len) = match name_tag.rfind(':') {
        Some(i) if !name_tag[i + 1..].contains('/') => {
            let tag = &name_tag[i + 1..];
            if !is_tag(tag) {
                return None;
            }
            (&name_tag[..i], Some(tag.len()))
        }
        _ => (name_tag, None),
    };
    let domain_len = match_name(name)?;
    Some(RefParts {
        domain_len,
        name_len: name.len(),
        tag_len,
        digest_start,
    })
}

/// Matches `^` `NameRegexp` `$`; returns the length of the domain part as `anchoredNameRegexp` splits it
/// (it prefers a domain when the first component can be one), 0 if none.
pub(crate) fn match_name(name: &str) -> Option<usize> {
    let (first, rest) = match name.split_once('/') {
        Some((first, rest)) => (first, Some(rest)),
        None => (name, None),
    };
    let rest_ok = rest.is_none_or(|rest| rest.split('/').all(is_path_component));
    if !rest_ok {
        return None;
    }
    if rest.is_some() && is_domain(first) {
        Some(first.len())
    } else if is_path_component(first) {
        Some(0)
    } else {
        None
    }
}

/// `[a-z0-9]+(?:(?:[._]|__|[-]*)[a-z0-9]+)*`, anchored.
fn is_path_component(s: &str) -> bool {
    let b = s.as_bytes();
    let alnum = |c: u8| c.is_ascii_lowercase() || c.is_ascii_digit();
    match (b.first(), b.last()) {
        (Some(&f), Some(&l)) if alnum(f) && alnum(l) => {}
        _ => return false,
    }
    let mut i = 0;
    while i < b.len() {
        if alnum(b[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < b.len() && !alnum(b[i]) {
            i += 1;
        }
        let ok = match &b[start..i] {
            b"." | b"_" | b"__" => true,
            sep => sep.iter().all(|&c| c == b'-'),
        };
        if !ok {
            return false;
        }
    }
    true
}

/// `DomainRegexp`, anchored: `domain-component ("." domain-component)* [":" [0-9]+]`.
pub(crate) fn is_domain(s: &str) -> bool {
    let (host, port) = match s.split_once(':') {
        Some((host, port)) => (host, Some(port)),
        None => (s, None),
    };
    if let Some(port) = port {
        if port.is_empty() || !port.bytes().all(|b| b.is_ascii_digit()) {
            return false;
        }
    }
    host.split('.').all(|c| {
        let b = c.as_bytes();
        !b.is_empty()
            && b.iter().all(|&x| x.is_ascii_alphanumeric() || x == b'-')
            && b[0] != b'-'
            && b[b.len() - 1] != b'-'
    })
}

/// `[\w][\w.-]{0,127}`, anchored.
fn is_tag(s: &str) -> bool {
    let b = s.as_bytes();
    let word = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
    !b.is_empty()
        && b.len() <= 128
        && word(b[0])
        && b[1..].iter().all(|&c| word(c) || c == b'.' || c == b'-')
}

/// `[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*[:][[:xdigit:]]{32,}`, anchored.
fn is_digest_pattern(s: &str) -> bool {
    let Some((alg, hex)) = s.split_once(':') else {
        return false;
    };
    let alg_ok = alg.split(['-', '_', '+', '.']).all(|c| {
        let b = c.as_bytes();
        !b.is_empty() && b[0].is_ascii_alphabetic() && b.iter().all(|x| x.is_ascii_alphanumeric())
    });
    alg_ok && hex.len() >= 32 && hex.bytes().all(|b| b.is_ascii_hexdigit())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::digest::DigestError;

    fn pn(s: &str) -> Result<DockerReference, ReferenceError> {
        DockerReference::parse_normalized(s)
    }

    const HEX64: &str = "1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a";

    // normalize_test.go TestValidateReferenceName
    #[test]
    fn validate_reference_name() {
        let valid = [
            "docker/docker",
            "library/debian",
            "debian",
            "docker.io/docker/docker",
            "docker.io/library/debian",
            "docker.io/debian",
            "index.docker.io/docker/docker",
            "index.docker.io/library/debian",
            "index.docker.io/debian",
            "127.0.0.1:5000/docker/docker",
            "127.0.0.1:5000/library/debian",
            "127.0.0.1:5000/debian",
            "thisisthesongthatneverendsitgoesonandonandonthisisthesongthatnev",
            "docker.io/1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a",
        ];
        for name in valid {
            assert!(pn(name).is_ok(), "{name}: {:?}", pn(name));
        }
        let invalid = [
            "https://github.com/docker/docker",
            "docker/Docker",
            "-docker",
            "-docker/docker",
            "-docker.io/docker/docker",
            "docker///docker",
            "docker.io/docker/Docker",
            "docker.io/docker///docker",
            HEX64,
        ];
        for name in invalid {
            assert!(pn(name).is_err(), "{name}");
        }
    }

    // normalize_test.go TestValidateRemoteName
    #[test]
    fn validate_remote_name() {
        let valid = [
            "docker/docker",
            "thisisthesongthatneverendsitgoesonandonandonthisisthesongthatnev",
            "docker-rules/docker",
            "docker---rules/docker",
            "doc/docker",
            "d/docker",
            "jess/t",
            "dock__er/docker",
        ];
        for name in valid {
            assert!(pn(name).is_ok(), "{name}: {:?}", pn(name));
        }
        let long = "this_is_not_a_valid_namespace_because_its_length_is_greater_than_255_this_is_not_a_valid_namespace_because_its_length_is_greater_than_255_this_is_not_a_valid_namespace_because_its_length_is_greater_than_255_this_is_not_a_valid_namespace_because_its_length_is_greater_than_255/docker";
        let invalid = [
            "docker/Docker",
            "docker///docker",
            HEX64,
            "-docker/docker",
            "docker-/docker",
            "-docker-/docker",
            "____/____",
            "_docker/_docker",
            "dock..er/docker",
            "dock_.er/docker",
            "dock-.er/docker",
            "docker/",
            long,
        ];
        for name in invalid {
            assert!(pn(name).is_err(), "{name}");
        }
        assert_eq!(pn(long), Err(ReferenceError::NameTooLong));
    }

    // normalize_test.go TestParseRepositoryInfo
    #[test]
    fn parse_repository_info() {
        // (remote name, familiar name, full name, ambiguous name, domain)
        let cases = [
            (
                "fooo/bar",
                "fooo/bar",
                "docker.io/fooo/bar",
                "index.docker.io/fooo/bar",
                "docker.io",
            ),
            (
                "library/ubuntu",
                "ubuntu",
                "docker.io/library/ubuntu",
                "library/ubuntu",
                "docker.io",
            ),
            (
                "nonlibrary/ubuntu",
                "nonlibrary/ubuntu",
                "docker.io/nonlibrary/ubuntu",
                "",
                "docker.io",
            ),
            (
                "other/library",
                "other/library",
                "docker.io/other/library",
                "",
                "docker.io",
            ),
            (
                "private/moonbase",
                "127.0.0.1:8000/private/moonbase",
                "127.0.0.1:8000/private/moonbase",
                "",
                "127.0.0.1:8000",
            ),
            (
                "privatebase",
                "127.0.0.1:8000/privatebase",
                "127.0.0.1:8000/privatebase",
                "",
                "127.0.0.1:8000",
            ),
            (
                "private/moonbase",
                "example.com/private/moonbase",
                "example.com/private/moonbase",
                "",
                "example.com",
            ),
            (
                "privatebase",
                "example.com/privatebase",
                "example.com/privatebase",
                "",
                "example.com",
            ),
            (
                "private/moonbase",
                "example.com:8000/private/moonbase",
                "example.com:8000/private/moonbase",
                "",
                "example.com:8000",
            ),
            (
                "privatebasee",
                "example.com:8000/privatebasee",
                "example.com:8000/privatebasee",
                "",
                "example.com:8000",
            ),
            (
                "library/ubuntu-12.04-base",
                "ubuntu-12.04-base",
                "docker.io/library/ubuntu-12.04-base",
                "index.docker.io/library/ubuntu-12.04-base",
                "docker.io",
            ),
            (
                "library/foo",
                "foo",
                "docker.io/library/foo",
                "docker.io/foo",
                "docker.io",
            ),
            (
                "library/foo/bar",
                "library/foo/bar",
                "docker.io/library/foo/bar",
                "",
                "docker.io",
            ),
            (
                "store/foo/bar",
                "store/foo/bar",
                "docker.io/store/foo/bar",
                "",
                "docker.io",
            ),
        ];
        for (remote, familiar, full, ambiguous, domain) in cases {
            let mut inputs = vec![familiar, full];
            if !ambiguous.is_empty() {
                inputs.push(ambiguous);
            }
            for input in inputs {
                let r = pn(input).unwrap();
                assert_eq!(r.familiar_name(), familiar, "{input}");
                assert_eq!(r.familiar_string(), familiar, "{input}");
                assert_eq!(r.to_string(), full, "{input}");
                assert_eq!(r.name(), full, "{input}");
                assert_eq!(r.domain(), domain, "{input}");
                assert_eq!(r.path(), remote, "{input}");
            }
        }
    }

    // normalize_test.go TestParseReferenceWithTagAndDigest
    #[test]
    fn parse_reference_with_tag_and_digest() {
        let short = "busybox:latest@sha256:86e0e091d0da6bde2456dbb48306f3956bbeb2eae1b5b9a43045843f69fe4aaa";
        let r = pn(short).unwrap();
        assert_eq!(r.to_string(), format!("docker.io/library/{short}"));
        assert_eq!(r.tag(), Some("latest"));
        assert_eq!(
            r.digest().map(|d| d.as_str()),
            Some("sha256:86e0e091d0da6bde2456dbb48306f3956bbeb2eae1b5b9a43045843f69fe4aaa")
        );
        assert_eq!(r.familiar_string(), short);
        assert!(!r.is_name_only());
    }

    // normalize_test.go TestInvalidReferenceComponents (the part that applies)
    #[test]
    fn invalid_reference_components() {
        assert_eq!(pn("-foo"), Err(ReferenceError::InvalidFormat));
    }

    // normalize_test.go TestParseAnyReference (named cases)
    #[test]
    fn parse_any_reference_named() {
        let d = "sha256:dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9c";
        let cases = [
            ("redis".to_owned(), "docker.io/library/redis".to_owned()),
            (
                "redis:latest".into(),
                "docker.io/library/redis:latest".into(),
            ),
            (
                "docker.io/library/redis:latest".into(),
                "docker.io/library/redis:latest".into(),
            ),
            (format!("redis@{d}"), format!("docker.io/library/redis@{d}")),
            (
                format!("docker.io/library/redis@{d}"),
                format!("docker.io/library/redis@{d}"),
            ),
            ("dmcgowan/myapp".into(), "docker.io/dmcgowan/myapp".into()),
            (
                "dmcgowan/myapp:latest".into(),
                "docker.io/dmcgowan/myapp:latest".into(),
            ),
            (
                "docker.io/mcgowan/myapp:latest".into(),
                "docker.io/mcgowan/myapp:latest".into(),
            ),
            (
                format!("dmcgowan/myapp@{d}"),
                format!("docker.io/dmcgowan/myapp@{d}"),
            ),
            (
                format!("docker.io/dmcgowan/myapp@{d}"),
                format!("docker.io/dmcgowan/myapp@{d}"),
            ),
            (
                "dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9".into(),
                "docker.io/library/dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9"
                    .into(),
            ),
        ];
        for (input, equivalent) in cases {
            let r = pn(&input).unwrap();
            assert_eq!(r.to_string(), equivalent);
            assert_eq!(r, DockerReference::parse_any(equivalent.clone()).unwrap());
        }
        // A bare 64-hex string is refused by ParseNormalizedNamed.
        assert_eq!(
            pn("dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9c")
                .unwrap_err()
                .to_string(),
            "invalid repository name (dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9c), cannot specify 64-byte hexadecimal strings"
        );
    }

    // normalize_test.go TestNormalizedSplitHostname
    #[test]
    fn normalized_split_hostname() {
        let cases = [
            ("test.com/foo", "test.com", "foo"),
            ("test_com/foo", "docker.io", "test_com/foo"),
            ("docker/migrator", "docker.io", "docker/migrator"),
            ("test.com:8080/foo", "test.com:8080", "foo"),
            ("test-com:8080/foo", "test-com:8080", "foo"),
            ("foo", "docker.io", "library/foo"),
            ("xn--n3h.com/foo", "xn--n3h.com", "foo"),
            ("xn--n3h.com:18080/foo", "xn--n3h.com:18080", "foo"),
            ("docker.io/foo", "docker.io", "library/foo"),
            ("docker.io/library/foo", "docker.io", "library/foo"),
            ("docker.io/library/foo/bar", "docker.io", "library/foo/bar"),
        ];
        for (input, domain, path) in cases {
            let r = pn(input).unwrap();
            assert_eq!((r.domain(), r.path()), (domain, path), "{input}");
        }
    }

    // reference_test.go TestReferenceParse (reference.Parse)
    #[test]
    fn reference_parse() {
        let ffff = "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff";
        let sha512 = format!("sha512:{ffff}{ffff}");
        let a127 = format!("{}a", "a/".repeat(127));
        // (input, error, repository (name), domain, tag, digest)
        type Case = (
            String,
            Option<ReferenceError>,
            String,
            &'static str,
            &'static str,
            String,
        );
        let ok = |input: &str,
                  repository: &str,
                  domain: &'static str,
                  tag: &'static str,
                  digest: &str|
         -> Case {
            (
                input.to_owned(),
                None,
                repository.to_owned(),
                domain,
                tag,
                digest.to_owned(),
            )
        };
        let err = |input: &str, e: ReferenceError| -> Case {
            (
                input.to_owned(),
                Some(e),
                String::new(),
                "",
                "",
                String::new(),
            )
        };
        let cases: Vec<Case> = vec![
            ok("test_com", "test_com", "", "", ""),
            ok("test.com:tag", "test.com", "", "tag", ""),
            ok("test.com:5000", "test.com", "", "5000", ""),
            ok("test.com/repo:tag", "test.com/repo", "test.com", "tag", ""),
            ok("test:5000/repo", "test:5000/repo", "test:5000", "", ""),
            ok(
                "test:5000/repo:tag",
                "test:5000/repo",
                "test:5000",
                "tag",
                "",
            ),
            ok(
                &format!("test:5000/repo@sha256:{ffff}"),
                "test:5000/repo",
                "test:5000",
                "",
                &format!("sha256:{ffff}"),
            ),
            ok(
                &format!("test:5000/repo:tag@sha256:{ffff}"),
                "test:5000/repo",
                "test:5000",
                "tag",
                &format!("sha256:{ffff}"),
            ),
            ok("test:5000/repo", "test:5000/repo", "test:5000", "", ""),
            err("", ReferenceError::NameEmpty),
            err(":justtag", ReferenceError::InvalidFormat),
            err(&format!("@sha256:{ffff}"), ReferenceError::InvalidFormat),
            err(
                "repo@sha256:ffffffffffffffffffffffffffffffffff",
                ReferenceError::Digest(DigestError::InvalidLength),
            ),
            err(
                &format!("validname@invaliddigest:{ffff}"),
                ReferenceError::Digest(DigestError::Unsupported),
            ),
            err("Uppercase:tag", ReferenceError::NameContainsUppercase),
            err(
                "test:5000/Uppercase/lowercase:tag",
                ReferenceError::NameContainsUppercase,
            ),
            ok("lowercase:Uppercase", "lowercase", "", "Uppercase", ""),
            err(
                &format!("{}a:tag", "a/".repeat(128)),
                ReferenceError::NameTooLong,
            ),
            ok(
                &format!("{a127}:tag-puts-this-over-max"),
                &a127,
                "a",
                "tag-puts-this-over-max",
                "",
            ),
            err("aa/asdf$$^/aa", ReferenceError::InvalidFormat),
            ok(
                "sub-dom1.foo.com/bar/baz/quux",
                "sub-dom1.foo.com/bar/baz/quux",
                "sub-dom1.foo.com",
                "",
                "",
            ),
            ok(
                "sub-dom1.foo.com/bar/baz/quux:some-long-tag",
                "sub-dom1.foo.com/bar/baz/quux",
                "sub-dom1.foo.com",
                "some-long-tag",
                "",
            ),
            ok(
                "b.gcr.io/test.example.com/my-app:test.example.com",
                "b.gcr.io/test.example.com/my-app",
                "b.gcr.io",
                "test.example.com",
                "",
            ),
            ok(
                "xn--n3h.com/myimage:xn--n3h.com",
                "xn--n3h.com/myimage",
                "xn--n3h.com",
                "xn--n3h.com",
                "",
            ),
            ok(
                &format!("xn--7o8h.com/myimage:xn--7o8h.com@{sha512}"),
                "xn--7o8h.com/myimage",
                "xn--7o8h.com",
                "xn--7o8h.com",
                &sha512,
            ),
            ok("foo_bar.com:8080", "foo_bar.com", "", "8080", ""),
            ok("foo/foo_bar.com:8080", "foo/foo_bar.com", "foo", "8080", ""),
        ];
        for (input, want_err, repository, domain, tag, digest) in cases {
            let res = DockerReference::parse_any(input.clone());
            if let Some(e) = want_err {
                assert_eq!(res, Err(e), "{input}");
                continue;
            }
            let r = res.unwrap_or_else(|e| panic!("{input}: {e}"));
            assert_eq!(r.to_string(), input);
            assert_eq!(r.name(), repository, "{input}");
            assert_eq!(r.domain(), domain, "{input}");
            assert_eq!(r.tag().unwrap_or(""), tag, "{input}");
            assert_eq!(r.digest().map_or("", |d| d.as_str()), digest, "{input}");
        }
    }

    // reference_test.go TestSplitHostname (via reference.Parse of bare names)
    #[test]
    fn split_hostname() {
        let cases = [
            ("test.com/foo", "test.com", "foo"),
            ("test_com/foo", "", "test_com/foo"),
            ("test:8080/foo", "test:8080", "foo"),
            ("test.com:8080/foo", "test.com:8080", "foo"),
            ("test-com:8080/foo", "test-com:8080", "foo"),
            ("xn--n3h.com:18080/foo", "xn--n3h.com:18080", "foo"),
        ];
        for (input, domain, path) in cases {
            let r = DockerReference::parse_any(input.to_owned()).unwrap();
            assert_eq!((r.domain(), r.path()), (domain, path), "{input}");
            assert_eq!(r.name(), input);
        }
    }

    // reference_test.go TestSerialization (the parse half)
    #[test]
    fn serialization_cases() {
        assert_eq!(
            DockerReference::parse_any(String::new()),
            Err(ReferenceError::NameEmpty)
        );
        let r = DockerReference::parse_any("example.com:8000/named:tagged".into()).unwrap();
        assert_eq!(
            (r.name_str(), r.tag(), r.digest()),
            ("example.com:8000/named", Some("tagged"), None)
        );
        let d = "sha256:1234567890098765432112345667890098765432112345667890098765432112";
        let r = DockerReference::parse_any(format!("other.com/named@{d}")).unwrap();
        assert_eq!(
            (r.name_str(), r.tag(), r.digest().map(|d| d.as_str())),
            ("other.com/named", None, Some(d))
        );
    }

    // reference_test.go TestParseNamed
    #[test]
    fn parse_named() {
        let cases = [
            ("test.com/foo", Ok(("test.com", "foo"))),
            ("test:8080/foo", Ok(("test:8080", "foo"))),
            ("test_com/foo", Err(ReferenceError::NameNotCanonical)),
            ("test.com", Err(ReferenceError::NameNotCanonical)),
            ("foo", Err(ReferenceError::NameNotCanonical)),
            ("library/foo", Err(ReferenceError::NameNotCanonical)),
            ("docker.io/library/foo", Ok(("docker.io", "library/foo"))),
            ("docker.io/foo", Err(ReferenceError::NameNotCanonical)),
        ];
        for (input, want) in cases {
            let got = DockerReference::parse_canonical(input);
            match want {
                Ok((domain, path)) => {
                    let r = got.unwrap();
                    assert_eq!((r.domain(), r.path()), (domain, path), "{input}");
                }
                Err(e) => assert_eq!(got, Err(e), "{input}"),
            }
        }
    }

    // normalize_test.go TestParseDockerRef, via with_default_tag (the tag+digest case differs: ParseDockerRef
    // drops the tag, which this crate does not implement).
    #[test]
    fn default_tag() {
        let d = "sha256:e6693c20186f837fc393390135d8a598a96a833917917789d63766cab6c59582";
        let cases = [
            (
                "busybox".to_owned(),
                "docker.io/library/busybox:latest".to_owned(),
            ),
            (
                "busybox:latest".into(),
                "docker.io/library/busybox:latest".into(),
            ),
            (
                format!("busybox@{d}"),
                format!("docker.io/library/busybox@{d}"),
            ),
            (
                "library/busybox".into(),
                "docker.io/library/busybox:latest".into(),
            ),
            (
                "docker.io/busybox".into(),
                "docker.io/library/busybox:latest".into(),
            ),
            (
                "docker.io/library/busybox".into(),
                "docker.io/library/busybox:latest".into(),
            ),
            (
                "docker.io/busybox:latest".into(),
                "docker.io/library/busybox:latest".into(),
            ),
            (
                "library/busybox:latest".into(),
                "docker.io/library/busybox:latest".into(),
            ),
            (
                "docker.io/library/busybox:latest".into(),
                "docker.io/library/busybox:latest".into(),
            ),
            (
                "gcr.io/library/busybox".into(),
                "gcr.io/library/busybox:latest".into(),
            ),
        ];
        for (input, want) in cases {
            let r = pn(&input).unwrap().with_default_tag();
            assert_eq!(r.to_string(), want, "{input}");
            assert_eq!(r.tag().is_some(), !want.contains('@'));
            assert_eq!(DockerReference::parse_any(want.clone()).unwrap(), r);
        }
    }

    #[test]
    fn error_texts() {
        let cases = [
            ("", "invalid reference format"),
            (
                "docker/Docker",
                "invalid reference format: repository name must be lowercase",
            ),
            (
                "Docker",
                "invalid reference format: repository name must be lowercase",
            ),
            ("A_b.com/foo", "repository name must be lowercase"),
            ("\u{130}_b.com/foo", "repository name must be lowercase"),
            ("busybox:", "invalid reference format"),
            ("busybox@", "invalid reference format"),
            ("busybox@sha256:abc", "invalid reference format"),
            (
                "busybox@sha256:ffffffffffffffffffffffffffffffffff",
                "invalid checksum digest length",
            ),
            (
                "busybox@sha256:FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF",
                "invalid checksum digest format",
            ),
            (
                "busybox@md5:d41d8cd98f00b204e9800998ecf8427e",
                "unsupported digest algorithm",
            ),
            ("busybox@sha256:x@y", "invalid reference format"),
            ("example.com:/foo", "invalid reference format"),
            (
                "Example.com/Foo",
                "invalid reference format: repository name must be lowercase",
            ),
        ];
        for (input, want) in cases {
            assert_eq!(pn(input).unwrap_err().to_string(), want, "{input}");
        }
        let tag128 = "t".repeat(128);
        assert!(pn(&format!("busybox:{tag128}")).is_ok());
        assert_eq!(
            pn(&format!("busybox:{tag128}x")),
            Err(ReferenceError::InvalidFormat)
        );
        // 255 characters of name in total are fine, 256 are not.
        let path = "a".repeat(255 - "docker.io/library/".len());
        assert!(pn(&path).is_ok());
        assert_eq!(pn(&format!("{path}a")), Err(ReferenceError::NameTooLong));
    }

    #[test]
    fn domain_rules() {
        // Uppercase domains are kept and are distinct from lowercase ones.
        let r = pn("Example.com/foo:1").unwrap();
        assert_eq!(
            (r.domain(), r.to_string().as_str()),
            ("Example.com", "Example.com/foo:1")
        );
        assert_ne!(r, pn("example.com/foo:1").unwrap());
        assert_eq!(pn("localhost/foo").unwrap().domain(), "localhost");
        assert_eq!(
            pn("notlocalhost/foo").unwrap().to_string(),
            "docker.io/notlocalhost/foo"
        );
        assert_eq!(pn("localhost:5000/foo").unwrap().domain(), "localhost:5000");
        assert_eq!(
            pn("localhost:5000").unwrap().to_string(),
            "docker.io/library/localhost:5000"
        );
        assert_eq!(
            pn("index.docker.io/busybox").unwrap().to_string(),
            "docker.io/library/busybox"
        );
        // A first component with a '.' that is not a valid domain becomes part of the path.
        let r = pn("a_b.com/foo").unwrap();
        assert_eq!(
            (r.domain(), r.path(), r.name().as_str()),
            ("", "a_b.com/foo", "a_b.com/foo")
        );
        assert_eq!(r.familiar_string(), "a_b.com/foo");
        assert_eq!(DockerReference::parse_canonical("a_b.com/foo").unwrap(), r);
        assert_eq!(pn("-a.com/foo"), Err(ReferenceError::InvalidFormat));
        assert_eq!(pn("a-.com/foo"), Err(ReferenceError::InvalidFormat));
        assert_eq!(pn("a.com:/foo"), Err(ReferenceError::InvalidFormat));
        assert_eq!(pn("a.com:x/foo"), Err(ReferenceError::InvalidFormat));
        assert!(pn("1.2.3.4:5/foo").is_ok());
        assert!(pn("[::1]:5000/foo").is_err());
    }

    #[test]
    fn familiar_and_name_only() {
        let d = "sha256:e6693c20186f837fc393390135d8a598a96a833917917789d63766cab6c59582";
        let r = pn(&format!("library/busybox:1@{d}")).unwrap();
        assert_eq!(r.familiar_string(), format!("busybox:1@{d}"));
        assert_eq!(r.name_only().to_string(), "docker.io/library/busybox");
        assert!(r.name_only().is_name_only());
        assert_eq!(r.with_default_tag().tag(), Some("1"));
        assert_eq!(
            pn("docker.io/library/a/b").unwrap().familiar_string(),
            "library/a/b"
        );
        assert_eq!(
            pn("example.com/library/a").unwrap().familiar_string(),
            "example.com/library/a"
        );
    }

    #[test]
    fn path_component_grammar() {
        for ok in [
            "a",
            "a.b",
            "a_b",
            "a__b",
            "a-b",
            "a---b",
            "a.b_c__d-e--f",
            "0",
        ] {
            assert!(is_path_component(ok), "{ok}");
        }
        for bad in [
            "", "A", "a.", ".a", "a..b", "a___b", "a_.b", "a-.b", "a.-b", "a/b", "a:b", "é",
        ] {
            assert!(!is_path_component(bad), "{bad}");
        }
    }
}
