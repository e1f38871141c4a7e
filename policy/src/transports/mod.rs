//! Image references per transport (`docker://…`, `dir:…`, `oci:…`, …) and what the policy sees of them:
//! the policy identity, the namespaces searched for a scope, and scope validation at parse time.
//!
//! Parsing follows `transports/alltransports.ParseImageName` and each transport's `ParseReference`, with
//! their error texts. Path-based transports resolve their path (`explicitfilepath.ResolvePathToFullyExplicit`)
//! at parse time, so parsing may touch the file system (never writes).
//!
//! ```
//! use containers_policy::ImageReference;
//! let r = ImageReference::parse("docker://busybox")?;
//! assert_eq!(r.to_string(), "docker://busybox:latest");
//! assert_eq!(r.policy_identity(), "docker.io/library/busybox:latest");
//! assert_eq!(r.policy_namespaces(), ["docker.io/library/busybox", "docker.io/library", "docker.io", "*.io"]);
//! # Ok::<(), containers_policy::Error>(())
//! ```

mod paths;
mod storage;

use crate::{Digest, Error, error::go_quote, reference::DockerReference};

use self::{
    paths::{atoi, clean, resolve_path_to_fully_explicit},
    storage::{StorageReference, StoreDefaults},
};

/// `docker.UnknownDigestSuffix`: `docker://name@@unknown-digest@@` names an image to push without a tag.
const UNKNOWN_DIGEST_SUFFIX: &str = "@@unknown-digest@@";

/// An image reference: a transport and its transport-specific name (containers/image `types.ImageReference`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageReference {
    inner: Inner,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Inner {
    /// `docker://`: never name-only (unless `unknown_digest`), never tag+digest.
    Docker {
        reference: DockerReference,
        unknown_digest: bool,
    },
    /// `atomic:`: always tagged, `host/namespace/stream:tag`.
    Atomic { reference: DockerReference },
    /// `dir:`
    Dir { path: String, resolved: String },
    /// `oci:path[:image|:@index]`
    Oci {
        dir: String,
        resolved: String,
        image: String,
        index: Option<i64>,
    },
    /// `oci-archive:path[:image]`
    OciArchive {
        file: String,
        resolved: String,
        image: String,
    },
    /// `docker-archive:path[:ref|:@index]`
    DockerArchive {
        path: String,
        reference: Option<DockerReference>,
        index: Option<i64>,
    },
    /// `docker-daemon:` by image ID or by (tagged or digested) name.
    DockerDaemon {
        id: Option<Digest>,
        reference: Option<DockerReference>,
    },
    /// `containers-storage:`
    Storage(Box<StorageReference>),
    /// `sif:`
    Sif { file: String, resolved: String },
    /// `tarball:file[:file…]`
    Tarball { filenames: Vec<String> },
}

const DOCKER: &str = "docker";
const ATOMIC: &str = "atomic";
const DIR: &str = "dir";
const OCI: &str = "oci";
const OCI_ARCHIVE: &str = "oci-archive";
const DOCKER_ARCHIVE: &str = "docker-archive";
const DOCKER_DAEMON: &str = "docker-daemon";
const CONTAINERS_STORAGE: &str = "containers-storage";
const SIF: &str = "sif";
const TARBALL: &str = "tarball";
/// Registered as a stub transport: known, but every reference is refused.
const OSTREE: &str = "ostree";

impl ImageReference {
    /// Parses `transport:name` as `transports/alltransports.ParseImageName` does
    /// (`docker://busybox`, `dir:/tmp/img`, `oci:/x:tag`, `containers-storage:[overlay@/root]busybox`, …).
    ///
    /// `containers-storage:` references that do not name their store use containers/storage's compiled-in
    /// defaults for root (driver `overlay`, graph root `/var/lib/containers/storage`, run root
    /// `/run/containers/storage`); use [`ImageReference::parse_with_storage_defaults`] to supply others
    /// (containers/image reads them from `storage.conf`).
    pub fn parse(s: &str) -> Result<Self, Error> {
        Self::parse_with_defaults(s, storage::ROOT_DEFAULTS)
    }

    /// Like [`ImageReference::parse`], with the defaults for the parts of a `containers-storage:` store that
    /// the reference does not specify: the graph driver, the graph root and the run root.
    pub fn parse_with_storage_defaults(
        s: &str,
        driver: &str,
        graph_root: &str,
        run_root: &str,
    ) -> Result<Self, Error> {
        Self::parse_with_defaults(
            s,
            StoreDefaults {
                driver,
                graph_root,
                run_root,
            },
        )
    }

    fn parse_with_defaults(s: &str, defaults: StoreDefaults<'_>) -> Result<Self, Error> {
        let Some((transport, within)) = s.split_once(':') else {
            return Err(Error::Other(format!(
                "Invalid image name {}, expected colon-separated transport:reference",
                go_quote(s)
            )));
        };
        let inner = match transport {
            DOCKER => parse_docker(within)?,
            ATOMIC => parse_atomic(within)?,
            DIR => Inner::Dir {
                path: within.to_owned(),
                resolved: resolve_path_to_fully_explicit(within)?,
            },
            OCI => parse_oci(within)?,
            OCI_ARCHIVE => parse_oci_archive(within)?,
            DOCKER_ARCHIVE => parse_docker_archive(within)?,
            DOCKER_DAEMON => parse_docker_daemon(within)?,
            CONTAINERS_STORAGE => Inner::Storage(Box::new(storage::parse(within, defaults)?)),
            SIF => Inner::Sif {
                file: within.to_owned(),
                resolved: resolve_path_to_fully_explicit(within)?,
            },
            TARBALL => parse_tarball(within)?,
            OSTREE => {
                return Err(Error::Other(format!(
                    r#"The transport "{OSTREE}:" is not supported in this build"#
                )));
            }
            _ => {
                return Err(Error::Other(format!(
                    "Invalid image name {}, unknown transport {}",
                    go_quote(s),
                    go_quote(transport)
                )));
            }
        };
        Ok(ImageReference { inner })
    }

    /// A `docker:` reference (the name is parsed with `ParseNormalizedNamed`, `:latest` added when name-only;
    /// tag+digest refused with `Docker references with both a tag and digest are currently not supported`).
    pub fn docker(reference: DockerReference) -> Result<Self, Error> {
        Ok(ImageReference {
            inner: new_docker(reference.with_default_tag(), false)?,
        })
    }

    /// The transport name (`docker`, `dir`, …).
    pub fn transport_name(&self) -> &'static str {
        match &self.inner {
            Inner::Docker { .. } => DOCKER,
            Inner::Atomic { .. } => ATOMIC,
            Inner::Dir { .. } => DIR,
            Inner::Oci { .. } => OCI,
            Inner::OciArchive { .. } => OCI_ARCHIVE,
            Inner::DockerArchive { .. } => DOCKER_ARCHIVE,
            Inner::DockerDaemon { .. } => DOCKER_DAEMON,
            Inner::Storage(_) => CONTAINERS_STORAGE,
            Inner::Sif { .. } => SIF,
            Inner::Tarball { .. } => TARBALL,
        }
    }

    /// `StringWithinTransport()`, e.g. `//busybox:latest` for docker, the path for `dir`.
    pub fn string_within_transport(&self) -> String {
        match &self.inner {
            Inner::Docker {
                reference,
                unknown_digest,
            } => {
                let mut s = format!("//{}", reference.familiar_string());
                if *unknown_digest {
                    s.push_str(UNKNOWN_DIGEST_SUFFIX);
                }
                s
            }
            Inner::Atomic { reference } => reference.familiar_string(),
            Inner::Dir { path, .. } => path.clone(),
            Inner::Oci {
                dir, image, index, ..
            } => match index {
                Some(index) => format!("{dir}:@{index}"),
                None => format!("{dir}:{image}"),
            },
            Inner::OciArchive { file, image, .. } => format!("{file}:{image}"),
            Inner::DockerArchive {
                path,
                reference,
                index,
            } => match (reference, index) {
                (Some(reference), _) => format!("{path}:{reference}"),
                (None, Some(index)) => format!("{path}:@{index}"),
                (None, None) => path.clone(),
            },
            Inner::DockerDaemon { id, reference } => match (id, reference) {
                (Some(id), _) => id.to_string(),
                (None, Some(reference)) => reference.familiar_string(),
                (None, None) => String::new(),
            },
            Inner::Storage(r) => r.string_within_transport(),
            Inner::Sif { file, .. } => file.clone(),
            Inner::Tarball { filenames } => filenames.join(":"),
        }
    }

    /// `PolicyConfigurationIdentity()`: the most specific scope.
    pub fn policy_identity(&self) -> String {
        match &self.inner {
            Inner::Docker {
                reference,
                unknown_digest: true,
            } => reference.name(),
            Inner::Docker { reference, .. } | Inner::Atomic { reference } => reference.to_string(),
            Inner::DockerDaemon {
                id: None,
                reference: Some(reference),
            } => reference.to_string(),
            Inner::Dir { resolved, .. }
            | Inner::Oci { resolved, .. }
            | Inner::OciArchive { resolved, .. }
            | Inner::Sif { resolved, .. } => resolved.clone(),
            Inner::Storage(r) => r.policy_identity(),
            Inner::DockerArchive { .. } | Inner::DockerDaemon { .. } | Inner::Tarball { .. } => {
                String::new()
            }
        }
    }

    /// `PolicyConfigurationNamespaces()`: less specific scopes, most specific first.
    pub fn policy_namespaces(&self) -> Vec<String> {
        match &self.inner {
            Inner::Docker {
                reference,
                unknown_digest,
            } => {
                let mut ns = docker_reference_namespaces(reference.name_str());
                if *unknown_digest && ns.first().map(String::as_str) == Some(reference.name_str()) {
                    ns.remove(0);
                }
                ns
            }
            Inner::Atomic { reference }
            | Inner::DockerDaemon {
                id: None,
                reference: Some(reference),
            } => docker_reference_namespaces(reference.name_str()),
            Inner::Dir { resolved, .. } | Inner::Sif { resolved, .. } => {
                parent_directories(resolved)
            }
            Inner::Oci { resolved, .. } | Inner::OciArchive { resolved, .. } => {
                let mut ns = Vec::new();
                let mut path = resolved.as_str();
                while path != "/" {
                    let Some(last_slash) = path.rfind('/') else {
                        break;
                    };
                    ns.push(path.to_owned());
                    path = &path[..last_slash];
                }
                ns
            }
            Inner::Storage(r) => r.policy_namespaces(),
            Inner::DockerArchive { .. } | Inner::DockerDaemon { .. } | Inner::Tarball { .. } => {
                Vec::new()
            }
        }
    }

    /// `DockerReference()`: the identity used by `signedIdentity` matching, if the transport has one.
    pub fn docker_reference(&self) -> Option<&DockerReference> {
        match &self.inner {
            Inner::Docker { reference, .. } | Inner::Atomic { reference } => Some(reference),
            Inner::DockerArchive { reference, .. } | Inner::DockerDaemon { reference, .. } => {
                reference.as_ref()
            }
            Inner::Storage(r) => r.named.as_ref(),
            Inner::Dir { .. }
            | Inner::Oci { .. }
            | Inner::OciArchive { .. }
            | Inner::Sif { .. }
            | Inner::Tarball { .. } => None,
        }
    }
}

impl std::fmt::Display for ImageReference {
    /// `transport:StringWithinTransport`, e.g. `docker://busybox:latest`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}:{}",
            self.transport_name(),
            self.string_within_transport()
        )
    }
}

/// `ValidatePolicyConfigurationScope` of the named transport. Unknown transports accept everything.
/// The returned text is the transport's own message (policy.json parsing replaces it by `Unknown key "<scope>"`).
///
/// The `""` scope is always valid (containers/image never asks transports about it).
pub fn validate_scope(transport: &str, scope: &str) -> Result<(), String> {
    if scope.is_empty() {
        return Ok(());
    }
    match transport {
        ATOMIC => {
            if atomic_scope_ok(scope) {
                Ok(())
            } else {
                Err(format!("Invalid scope name {scope}"))
            }
        }
        DIR | SIF => {
            validate_absolute_scope(scope, "Must be an absolute path")?;
            let cleaned = clean(scope);
            if cleaned != scope {
                return Err(format!(
                    "Invalid scope {scope}: Uses non-canonical format, perhaps try {cleaned}"
                ));
            }
            Ok(())
        }
        OCI | OCI_ARCHIVE => {
            validate_absolute_scope(scope, "must be an absolute path")?;
            let cleaned = clean(scope);
            if cleaned != scope {
                return Err(format!(
                    "Invalid scope {scope}: Uses non-canonical path format, perhaps try with path {cleaned}"
                ));
            }
            Ok(())
        }
        DOCKER_ARCHIVE => Err(
            r#"docker-archive: does not support any scopes except the default "" one"#.to_owned(),
        ),
        DOCKER_DAEMON => {
            if Digest::parse(scope).is_ok() {
                Err(format!(
                    "docker-daemon: can not use algo:digest value {scope} as a namespace"
                ))
            } else {
                Ok(())
            }
        }
        CONTAINERS_STORAGE => storage::validate_scope(scope),
        TARBALL => {
            Err(r#"tarball: does not support any scopes except the default "" one"#.to_owned())
        }
        // docker accepts anything; ostree is a stub that accepts anything; unknown transports are not validated.
        _ => Ok(()),
    }
}

fn validate_absolute_scope(scope: &str, not_absolute: &str) -> Result<(), String> {
    if !scope.starts_with('/') {
        return Err(format!("Invalid scope {scope}: {not_absolute}"));
    }
    if scope == "/" {
        return Err(r#"Invalid scope "/": Use the generic default scope """#.to_owned());
    }
    Ok(())
}

/// openshift `scopeRegexp`: `^[^/]*(/[^:/]*(/[^:/]*(:[^:/]*)?)?)?$`.
fn atomic_scope_ok(scope: &str) -> bool {
    let mut parts = scope.split('/');
    let _host = parts.next();
    let Some(namespace) = parts.next() else {
        return true;
    };
    if namespace.contains(':') {
        return false;
    }
    let Some(stream) = parts.next() else {
        return true;
    };
    parts.next().is_none() && stream.matches(':').count() <= 1
}

/// `policyconfiguration.DockerReferenceNamespaces`: the repository, its parents up to the host[:port], then
/// `*.domain` wildcards of the host (port stripped).
fn docker_reference_namespaces(name: &str) -> Vec<String> {
    let mut res = Vec::new();
    let mut name = name;
    loop {
        res.push(name.to_owned());
        match name.rfind('/') {
            Some(i) => name = &name[..i],
            None => break,
        }
    }
    if let Some(colon) = name.find(':') {
        name = &name[..colon];
    }
    while let Some(dot) = name.find('.') {
        name = &name[dot + 1..];
        res.push(format!("*.{name}"));
    }
    res
}

/// dir/sif namespaces: parent directories, longest first, excluding `/`.
fn parent_directories(resolved: &str) -> Vec<String> {
    let mut res = Vec::new();
    let mut path = resolved;
    while let Some(last_slash) = path.rfind('/') {
        if last_slash == 0 {
            break;
        }
        path = &path[..last_slash];
        res.push(path.to_owned());
    }
    res
}

fn new_docker(reference: DockerReference, unknown_digest: bool) -> Result<Inner, Error> {
    if reference.is_name_only() && !unknown_digest {
        return Err(Error::Other(format!(
            "Docker reference {} is not for an unknown digest case; tag or digest is needed",
            reference.familiar_string()
        )));
    }
    if !reference.is_name_only() && unknown_digest {
        return Err(Error::Other(format!(
            "Docker reference {} is for an unknown digest case but reference has a tag or digest",
            reference.familiar_string()
        )));
    }
    if reference.tag().is_some() && reference.digest().is_some() {
        return Err(Error::Other(
            "Docker references with both a tag and digest are currently not supported".to_owned(),
        ));
    }
    Ok(Inner::Docker {
        reference,
        unknown_digest,
    })
}

fn parse_docker(within: &str) -> Result<Inner, Error> {
    let Some(s) = within.strip_prefix("//") else {
        return Err(Error::Other(format!(
            "docker: image reference {within} does not start with //"
        )));
    };
    let (s, unknown_digest) = match s.strip_suffix(UNKNOWN_DIGEST_SUFFIX) {
        Some(s) => (s, true),
        None => (s, false),
    };
    let reference = DockerReference::parse_normalized(s)?;
    if unknown_digest {
        if !reference.is_name_only() {
            return Err(Error::Other(format!(
                "docker: image reference {} has unknown digest set but it contains either a tag or digest",
                go_quote(&format!("{reference}{UNKNOWN_DIGEST_SUFFIX}"))
            )));
        }
        return new_docker(reference, true);
    }
    new_docker(reference.with_default_tag(), false)
}

fn parse_atomic(within: &str) -> Result<Inner, Error> {
    let reference = DockerReference::parse_normalized(within).map_err(|e| {
        Error::Other(format!(
            "failed to parse image reference {}: {e}",
            go_quote(within)
        ))
    })?;
    if reference.tag().is_none() {
        return Err(Error::Other(format!(
            "invalid image reference {within}, expected format: 'hostname/namespace/stream:tag'"
        )));
    }
    if reference.path().splitn(3, '/').count() != 2 {
        return Err(Error::Other(format!(
            "invalid image reference: {}, expected format: 'hostname/namespace/stream:tag'",
            reference.familiar_string()
        )));
    }
    if reference.digest().is_some() {
        // containers/image accepts this, and then panics computing the policy identity
        // (policyconfiguration.DockerReferenceIdentity fails); refuse it up front with that error's text.
        return Err(Error::Other(format!(
            "Unexpected Docker reference {} with both a name and a digest",
            reference.familiar_string()
        )));
    }
    Ok(Inner::Atomic { reference })
}

/// oci `refRegexp`: `component(/component)*`, component = `[A-Za-z0-9]+` separated by one of
/// `-._:@+` or `--`.
fn oci_image_name_ok(image: &str) -> bool {
    image.split('/').all(|component| {
        let b = component.as_bytes();
        match (b.first(), b.last()) {
            (Some(f), Some(l)) if f.is_ascii_alphanumeric() && l.is_ascii_alphanumeric() => {}
            _ => return false,
        }
        let mut i = 0;
        while i < b.len() {
            if b[i].is_ascii_alphanumeric() {
                i += 1;
                continue;
            }
            let start = i;
            while i < b.len() && !b[i].is_ascii_alphanumeric() {
                i += 1;
            }
            let sep = &b[start..i];
            let ok = sep == b"--" || (sep.len() == 1 && b"-._:@+".contains(&sep[0]));
            if !ok {
                return false;
            }
        }
        true
    })
}

fn validate_oci_image_name(image: &str) -> Result<(), Error> {
    if image.is_empty() || oci_image_name_ok(image) {
        Ok(())
    } else {
        Err(Error::Other(format!("Invalid image {image}")))
    }
}

fn parse_oci(within: &str) -> Result<Inner, Error> {
    let (dir, image) = within.split_once(':').unwrap_or((within, ""));
    let (image, index) = match image.strip_prefix('@') {
        Some(index_str) => {
            let index = atoi(index_str).map_err(|e| {
                Error::Other(format!(
                    "Invalid source index @{index_str}: not an integer: {e}"
                ))
            })?;
            if index < 0 {
                return Err(Error::Other(format!(
                    "Invalid source index @{index}: must not be negative"
                )));
            }
            ("", Some(index))
        }
        None => (image, None),
    };
    let resolved = resolve_path_to_fully_explicit(dir)?;
    validate_oci_image_name(image)?;
    Ok(Inner::Oci {
        dir: dir.to_owned(),
        resolved,
        image: image.to_owned(),
        index,
    })
}

fn parse_oci_archive(within: &str) -> Result<Inner, Error> {
    let (file, image) = within.split_once(':').unwrap_or((within, ""));
    let resolved = resolve_path_to_fully_explicit(file)?;
    validate_oci_image_name(image)?;
    Ok(Inner::OciArchive {
        file: file.to_owned(),
        resolved,
        image: image.to_owned(),
    })
}

fn parse_docker_archive(within: &str) -> Result<Inner, Error> {
    if within.is_empty() {
        return Err(Error::Other(format!(
            "docker-archive reference {within} isn't of the form <path>[:<reference>]"
        )));
    }
    let (path, tag_or_index) = match within.split_once(':') {
        Some((path, rest)) => (path, Some(rest)),
        None => (within, None),
    };
    let mut reference = None;
    let mut index = None;
    match tag_or_index {
        Some(s) if s.starts_with('@') => {
            let i = atoi(&s[1..])
                .map_err(|e| Error::Other(format!("Invalid source index {s}: {e}")))?;
            if i < 0 {
                return Err(Error::Other(format!(
                    "Invalid source index @{i}: must not be negative"
                )));
            }
            index = Some(i);
        }
        Some(s) => {
            let r = DockerReference::parse_normalized(s)
                .map_err(|e| Error::Other(format!("docker-archive parsing reference: {e}")))?
                .with_default_tag();
            if r.tag().is_none() {
                return Err(Error::Other(format!(
                    "reference does not include a tag: {r}"
                )));
            }
            if r.digest().is_some() {
                return Err(Error::Other(format!(
                    "docker-archive doesn't support digest references: {r}"
                )));
            }
            reference = Some(r);
        }
        None => {}
    }
    Ok(Inner::DockerArchive {
        path: path.to_owned(),
        reference,
        index,
    })
}

fn parse_docker_daemon(within: &str) -> Result<Inner, Error> {
    if let Ok(id) = Digest::parse(within) {
        if id.algorithm() != "sha256" {
            return Err(Error::Other(format!(
                "Invalid docker-daemon: reference {within}: only digest algorithm sha256 accepted"
            )));
        }
        return Ok(Inner::DockerDaemon {
            id: Some(id),
            reference: None,
        });
    }
    let reference = DockerReference::parse_normalized(within)?;
    if reference.familiar_name() == "sha256" {
        return Err(Error::Other(format!(
            "Invalid docker-daemon: reference {within}: The sha256 repository name is reserved for (non-shortened) digest references"
        )));
    }
    if reference.is_name_only() {
        return Err(Error::Other(format!(
            "docker-daemon: reference {} has neither a tag nor a digest",
            reference.familiar_string()
        )));
    }
    if reference.tag().is_some() && reference.digest().is_some() {
        return Err(Error::Other(
            "docker-daemon: references with both a tag and digest are currently not supported"
                .to_owned(),
        ));
    }
    Ok(Inner::DockerDaemon {
        id: None,
        reference: Some(reference),
    })
}

/// tarball: every file must be openable (`-`, standard input, is accepted but not read here).
fn parse_tarball(within: &str) -> Result<Inner, Error> {
    let filenames: Vec<String> = within.split(':').map(str::to_owned).collect();
    for filename in &filenames {
        if filename == "-" {
            continue;
        }
        if let Err(e) = std::fs::File::open(filename) {
            let e = crate::error::IoError::new("open", filename.as_str(), e);
            return Err(Error::Other(format!(
                "error opening {}: {e}",
                go_quote(filename)
            )));
        }
    }
    Ok(Inner::Tarball { filenames })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> ImageReference {
        ImageReference::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    fn parse_err(s: &str) -> String {
        match ImageReference::parse(s) {
            Ok(r) => panic!("{s}: unexpectedly parsed as {r:?}"),
            Err(e) => e.to_string(),
        }
    }

    const SHA256_DIGEST: &str =
        "@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    const HEX: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    // docker/policyconfiguration/naming_test.go TestDockerReference
    #[test]
    fn docker_reference_naming() {
        let table: &[(&str, &[&str])] = &[
            (
                "example.com/ns/repo",
                &[
                    "example.com/ns/repo",
                    "example.com/ns",
                    "example.com",
                    "*.com",
                ],
            ),
            (
                "example.com/repo",
                &["example.com/repo", "example.com", "*.com"],
            ),
            (
                "localhost/ns/repo",
                &["localhost/ns/repo", "localhost/ns", "localhost"],
            ),
            ("localhost/repo", &["localhost/repo", "localhost"]),
            (
                "notlocalhost/repo",
                &[
                    "docker.io/notlocalhost/repo",
                    "docker.io/notlocalhost",
                    "docker.io",
                    "*.io",
                ],
            ),
            (
                "docker.io/ns/repo",
                &["docker.io/ns/repo", "docker.io/ns", "docker.io", "*.io"],
            ),
            (
                "docker.io/library/repo",
                &[
                    "docker.io/library/repo",
                    "docker.io/library",
                    "docker.io",
                    "*.io",
                ],
            ),
            (
                "docker.io/repo",
                &[
                    "docker.io/library/repo",
                    "docker.io/library",
                    "docker.io",
                    "*.io",
                ],
            ),
            (
                "ns/repo",
                &["docker.io/ns/repo", "docker.io/ns", "docker.io", "*.io"],
            ),
            (
                "library/repo",
                &[
                    "docker.io/library/repo",
                    "docker.io/library",
                    "docker.io",
                    "*.io",
                ],
            ),
            (
                "repo",
                &[
                    "docker.io/library/repo",
                    "docker.io/library",
                    "docker.io",
                    "*.io",
                ],
            ),
            (
                "yet.another.example.com:8443/ns/repo",
                &[
                    "yet.another.example.com:8443/ns/repo",
                    "yet.another.example.com:8443/ns",
                    "yet.another.example.com:8443",
                    "*.another.example.com",
                    "*.example.com",
                    "*.com",
                ],
            ),
        ];
        for (input, expected_ns) in table {
            for suffix in [":tag", SHA256_DIGEST] {
                let full = format!("{input}{suffix}");
                for transport in ["docker://", "atomic:", "docker-daemon:"] {
                    if transport == "atomic:"
                        && (suffix != ":tag"
                            || DockerReference::parse_normalized(input)
                                .unwrap()
                                .path()
                                .matches('/')
                                .count()
                                != 1)
                    {
                        continue;
                    }
                    let r = parse(&format!("{transport}{full}"));
                    assert_eq!(
                        r.policy_identity(),
                        format!("{}{suffix}", expected_ns[0]),
                        "{transport}{full}"
                    );
                    assert_eq!(r.policy_namespaces(), *expected_ns, "{transport}{full}");
                    assert_eq!(
                        r.docker_reference().map(|d| d.to_string()),
                        Some(r.policy_identity())
                    );
                }
            }
        }
    }

    // The spec's namespace examples.
    #[test]
    fn docker_namespace_examples() {
        let d = format!("sha256:{HEX}");
        let cases: Vec<(String, String, Vec<&str>)> = vec![
            (
                "busybox".into(),
                "docker.io/library/busybox:latest".into(),
                vec![
                    "docker.io/library/busybox",
                    "docker.io/library",
                    "docker.io",
                    "*.io",
                ],
            ),
            (
                "example.com/ns/repo:tag".into(),
                "example.com/ns/repo:tag".into(),
                vec![
                    "example.com/ns/repo",
                    "example.com/ns",
                    "example.com",
                    "*.com",
                ],
            ),
            (
                format!("yet.another.example.com:8443/ns/repo@{d}"),
                format!("yet.another.example.com:8443/ns/repo@{d}"),
                vec![
                    "yet.another.example.com:8443/ns/repo",
                    "yet.another.example.com:8443/ns",
                    "yet.another.example.com:8443",
                    "*.another.example.com",
                    "*.example.com",
                    "*.com",
                ],
            ),
            (
                "localhost:5000/x/y:1".into(),
                "localhost:5000/x/y:1".into(),
                vec!["localhost:5000/x/y", "localhost:5000/x", "localhost:5000"],
            ),
            (
                "127.0.0.1:5000/test/signed:v1".into(),
                "127.0.0.1:5000/test/signed:v1".into(),
                vec![
                    "127.0.0.1:5000/test/signed",
                    "127.0.0.1:5000/test",
                    "127.0.0.1:5000",
                    "*.0.0.1",
                    "*.0.1",
                    "*.1",
                ],
            ),
            // A first component that is not a valid domain is part of the path (domain "").
            (
                "a_b.com/foo:1".into(),
                "a_b.com/foo:1".into(),
                vec!["a_b.com/foo", "a_b.com", "*.com"],
            ),
            (
                "very.deep.com/n1/n2/n3/repo:tag2".into(),
                "very.deep.com/n1/n2/n3/repo:tag2".into(),
                vec![
                    "very.deep.com/n1/n2/n3/repo",
                    "very.deep.com/n1/n2/n3",
                    "very.deep.com/n1/n2",
                    "very.deep.com/n1",
                    "very.deep.com",
                    "*.deep.com",
                    "*.com",
                ],
            ),
        ];
        for (input, identity, ns) in cases {
            let r = parse(&format!("docker://{input}"));
            assert_eq!(r.policy_identity(), identity, "{input}");
            assert_eq!(r.policy_namespaces(), ns, "{input}");
        }
    }

    // transports/alltransports/alltransports_test.go
    #[test]
    fn image_name_handling() {
        for (transport, input, roundtrip) in [
            ("dir", "/etc", "/etc"),
            ("docker", "//busybox", "//busybox:latest"),
            ("docker", "//busybox:notlatest", "//busybox:notlatest"),
            (
                "docker-archive",
                "/var/lib/oci/busybox.tar:busybox:latest",
                "/var/lib/oci/busybox.tar:docker.io/library/busybox:latest",
            ),
            (
                "docker-archive",
                "busybox.tar:busybox:latest",
                "busybox.tar:docker.io/library/busybox:latest",
            ),
            ("oci", "/etc:someimage", "/etc:someimage"),
            ("oci", "/etc:someimage:mytag", "/etc:someimage:mytag"),
            ("oci-archive", "/etc:someimage", "/etc:someimage"),
            (
                "oci-archive",
                "/etc:someimage:mytag",
                "/etc:someimage:mytag",
            ),
        ] {
            let full = format!("{transport}:{input}");
            let r = parse(&full);
            assert_eq!(r.transport_name(), transport);
            assert_eq!(r.to_string(), format!("{transport}:{roundtrip}"), "{full}");
        }
        assert_eq!(
            parse_err(""),
            r#"Invalid image name "", expected colon-separated transport:reference"#
        );
        assert_eq!(
            parse_err("busybox"),
            r#"Invalid image name "busybox", expected colon-separated transport:reference"#
        );
        assert_eq!(
            parse_err(":busybox"),
            r#"Invalid image name ":busybox", unknown transport """#
        );
        assert_eq!(
            parse_err("docker:"),
            "docker: image reference  does not start with //"
        );
        assert_eq!(
            parse_err("nope:x:y"),
            r#"Invalid image name "nope:x:y", unknown transport "nope""#
        );
        assert_eq!(
            parse_err("Docker://busybox"),
            r#"Invalid image name "Docker://busybox", unknown transport "Docker""#
        );
        assert_eq!(
            parse_err("ostree:/x"),
            r#"The transport "ostree:" is not supported in this build"#
        );
    }

    #[test]
    fn docker_transport() {
        let r = parse("docker://busybox");
        assert_eq!(r.string_within_transport(), "//busybox:latest");
        assert_eq!(
            r.docker_reference().unwrap().as_str(),
            "docker.io/library/busybox:latest"
        );
        let r = parse(&format!("docker://example.com/ns/repo{SHA256_DIGEST}"));
        assert_eq!(
            r.to_string(),
            format!("docker://example.com/ns/repo{SHA256_DIGEST}")
        );
        assert_eq!(
            r.policy_identity(),
            format!("example.com/ns/repo{SHA256_DIGEST}")
        );

        assert_eq!(
            parse_err("docker:busybox"),
            "docker: image reference busybox does not start with //"
        );
        assert_eq!(parse_err("docker://"), "invalid reference format");
        assert_eq!(
            parse_err("docker://Busybox"),
            "invalid reference format: repository name must be lowercase"
        );
        assert!(matches!(
            ImageReference::parse("docker://UPPER"),
            Err(Error::InvalidReference(_))
        ));
        assert_eq!(
            parse_err(&format!("docker://busybox:1{SHA256_DIGEST}")),
            "Docker references with both a tag and digest are currently not supported"
        );
        assert_eq!(
            parse_err(&format!("docker://{HEX}")),
            format!("invalid repository name ({HEX}), cannot specify 64-byte hexadecimal strings")
        );

        // Unknown-digest references (for pushing without a tag).
        let r = parse("docker://example.com/ns/repo@@unknown-digest@@");
        assert_eq!(
            r.string_within_transport(),
            "//example.com/ns/repo@@unknown-digest@@"
        );
        assert_eq!(r.policy_identity(), "example.com/ns/repo");
        assert_eq!(
            r.policy_namespaces(),
            ["example.com/ns", "example.com", "*.com"]
        );
        assert!(r.docker_reference().unwrap().is_name_only());
        assert_eq!(
            parse_err("docker://busybox:1@@unknown-digest@@"),
            r#"docker: image reference "docker.io/library/busybox:1@@unknown-digest@@" has unknown digest set but it contains either a tag or digest"#
        );

        // The programmatic constructor.
        let r =
            ImageReference::docker(DockerReference::parse_normalized("busybox").unwrap()).unwrap();
        assert_eq!(r, parse("docker://busybox:latest"));
        let both = DockerReference::parse_normalized(&format!("busybox:1{SHA256_DIGEST}")).unwrap();
        assert_eq!(
            ImageReference::docker(both).unwrap_err().to_string(),
            "Docker references with both a tag and digest are currently not supported"
        );
    }

    #[test]
    fn atomic_transport() {
        let r = parse("atomic:registry.example.com/ns/stream:tag");
        assert_eq!(r.to_string(), "atomic:registry.example.com/ns/stream:tag");
        assert_eq!(r.policy_identity(), "registry.example.com/ns/stream:tag");
        assert_eq!(
            r.policy_namespaces(),
            [
                "registry.example.com/ns/stream",
                "registry.example.com/ns",
                "registry.example.com",
                "*.example.com",
                "*.com"
            ]
        );
        assert_eq!(
            r.docker_reference().unwrap().as_str(),
            "registry.example.com/ns/stream:tag"
        );
        // docker.io/library/busybox has a two-component path.
        assert_eq!(
            parse("atomic:busybox:1").string_within_transport(),
            "busybox:1"
        );
        assert_eq!(
            parse_err("atomic:host/ns/stream"),
            "invalid image reference host/ns/stream, expected format: 'hostname/namespace/stream:tag'"
        );
        assert_eq!(
            parse_err(&format!("atomic:host/ns/stream{SHA256_DIGEST}")),
            format!(
                "invalid image reference host/ns/stream{SHA256_DIGEST}, expected format: 'hostname/namespace/stream:tag'"
            )
        );
        assert_eq!(
            parse_err("atomic:host/a/b/c:tag"),
            "invalid image reference: host/a/b/c:tag, expected format: 'hostname/namespace/stream:tag'"
        );
        assert_eq!(
            parse_err("atomic:example.com/stream:tag"),
            "invalid image reference: example.com/stream:tag, expected format: 'hostname/namespace/stream:tag'"
        );
        // "host" is not a domain, so this is docker.io/host/stream:tag.
        assert_eq!(
            parse("atomic:host/stream:tag").policy_identity(),
            "docker.io/host/stream:tag"
        );
        assert_eq!(
            parse_err("atomic:UPPER:tag"),
            r#"failed to parse image reference "UPPER:tag": invalid reference format: repository name must be lowercase"#
        );
        // containers/image panics computing the identity of this one; it is refused at parse time here.
        assert_eq!(
            parse_err(&format!("atomic:example.com/ns/stream:tag{SHA256_DIGEST}")),
            format!(
                "Unexpected Docker reference example.com/ns/stream:tag{SHA256_DIGEST} with both a name and a digest"
            )
        );
    }

    #[test]
    fn path_transports() {
        let tmp = tempfile::tempdir().unwrap();
        let root = paths::resolve_path_to_fully_explicit(tmp.path().to_str().unwrap()).unwrap();
        std::fs::create_dir_all(format!("{root}/real/sub")).unwrap();
        std::os::unix::fs::symlink(format!("{root}/real"), format!("{root}/link")).unwrap();
        let parents = |p: &str| -> Vec<String> {
            let mut v = Vec::new();
            let mut p = p;
            while let Some(i) = p.rfind('/') {
                if i == 0 {
                    break;
                }
                p = &p[..i];
                v.push(p.to_owned());
            }
            v
        };
        let resolved = format!("{root}/real/sub");
        for transport in ["dir", "sif"] {
            let input = format!("{transport}:{root}/link/sub");
            let r = parse(&input);
            assert_eq!(r.to_string(), input);
            assert_eq!(r.policy_identity(), resolved);
            assert_eq!(r.policy_namespaces(), parents(&resolved));
            assert_eq!(r.policy_namespaces()[0], format!("{root}/real"));
            assert!(r.docker_reference().is_none());
            // A missing last element is appended to the resolved parent.
            let r = parse(&format!("{transport}:{root}/link/new"));
            assert_eq!(r.policy_identity(), format!("{root}/real/new"));
            assert_eq!(
                parse_err(&format!("{transport}:{root}/missing/new")),
                format!("lstat {root}/missing: no such file or directory")
            );
        }
        let mut with_self = vec![resolved.clone()];
        with_self.extend(parents(&resolved));
        for transport in ["oci", "oci-archive"] {
            let r = parse(&format!("{transport}:{root}/link/sub:img:tag"));
            assert_eq!(
                r.string_within_transport(),
                format!("{root}/link/sub:img:tag")
            );
            assert_eq!(r.policy_identity(), resolved);
            assert_eq!(r.policy_namespaces(), with_self);
            assert!(r.docker_reference().is_none());
            let r = parse(&format!("{transport}:{root}/link/sub"));
            assert_eq!(r.string_within_transport(), format!("{root}/link/sub:"));
            assert_eq!(
                parse_err(&format!("{transport}:{root}/link/sub:a..b")),
                "Invalid image a..b"
            );
            assert!(ImageReference::parse(&format!("{transport}:{root}:a--b/c.d@e+f:G")).is_ok());
            assert_eq!(
                parse(&format!("{transport}:/")).policy_namespaces(),
                Vec::<String>::new()
            );
        }
        let r = parse(&format!("oci:{root}/real:@3"));
        assert_eq!(r.string_within_transport(), format!("{root}/real:@3"));
        assert_eq!(r.policy_identity(), format!("{root}/real"));
        // oci-archive has no source index syntax.
        assert_eq!(
            parse_err(&format!("oci-archive:{root}/real:@3")),
            "Invalid image @3"
        );
        assert_eq!(
            parse_err("oci:/x:@-1"),
            "Invalid source index @-1: must not be negative"
        );
        assert_eq!(
            parse_err("oci:/x:@a"),
            r#"Invalid source index @a: not an integer: strconv.Atoi: parsing "a": invalid syntax"#
        );
        assert_eq!(
            parse(&format!("dir:{root}")).policy_namespaces(),
            parents(&root)
        );
        assert_eq!(parse("dir:/").policy_namespaces(), Vec::<String>::new());
    }

    #[test]
    fn docker_archive_transport() {
        let r = parse("docker-archive:/a/b.tar");
        assert_eq!(
            (
                r.string_within_transport().as_str(),
                r.policy_identity().as_str()
            ),
            ("/a/b.tar", "")
        );
        assert!(r.policy_namespaces().is_empty() && r.docker_reference().is_none());
        let r = parse("docker-archive:/a/b.tar:busybox");
        assert_eq!(
            r.string_within_transport(),
            "/a/b.tar:docker.io/library/busybox:latest"
        );
        assert_eq!(
            r.docker_reference().unwrap().as_str(),
            "docker.io/library/busybox:latest"
        );
        assert_eq!(r.policy_identity(), "");
        assert_eq!(
            parse("docker-archive:/a/b.tar:@2").string_within_transport(),
            "/a/b.tar:@2"
        );
        assert_eq!(
            parse_err("docker-archive:"),
            "docker-archive reference  isn't of the form <path>[:<reference>]"
        );
        assert_eq!(
            parse_err("docker-archive:/x:@-1"),
            "Invalid source index @-1: must not be negative"
        );
        assert_eq!(
            parse_err("docker-archive:/x:@"),
            r#"Invalid source index @: strconv.Atoi: parsing "": invalid syntax"#
        );
        assert_eq!(
            parse_err(&format!("docker-archive:/x:busybox{SHA256_DIGEST}")),
            format!("reference does not include a tag: docker.io/library/busybox{SHA256_DIGEST}")
        );
        assert_eq!(
            parse_err(&format!("docker-archive:/x:busybox:1{SHA256_DIGEST}")),
            format!(
                "docker-archive doesn't support digest references: docker.io/library/busybox:1{SHA256_DIGEST}"
            )
        );
        assert_eq!(
            parse_err("docker-archive:/x:UPPER"),
            "docker-archive parsing reference: invalid reference format: repository name must be lowercase"
        );
        assert_eq!(
            parse_err("docker-archive:/x:"),
            "docker-archive parsing reference: invalid reference format"
        );
    }

    #[test]
    fn docker_daemon_transport() {
        let id = format!("sha256:{HEX}");
        let r = parse(&format!("docker-daemon:{id}"));
        assert_eq!(r.string_within_transport(), id);
        assert_eq!(r.policy_identity(), "");
        assert!(r.policy_namespaces().is_empty() && r.docker_reference().is_none());
        let r = parse("docker-daemon:busybox:1");
        assert_eq!(r.string_within_transport(), "busybox:1");
        assert_eq!(r.policy_identity(), "docker.io/library/busybox:1");
        assert_eq!(
            r.docker_reference().unwrap().as_str(),
            "docker.io/library/busybox:1"
        );
        assert_eq!(
            parse_err(&format!("docker-daemon:sha512:{HEX}{HEX}")),
            format!(
                "Invalid docker-daemon: reference sha512:{HEX}{HEX}: only digest algorithm sha256 accepted"
            )
        );
        assert_eq!(
            parse_err("docker-daemon:sha256:tag"),
            "Invalid docker-daemon: reference sha256:tag: The sha256 repository name is reserved for (non-shortened) digest references"
        );
        assert_eq!(
            parse_err("docker-daemon:busybox"),
            "docker-daemon: reference busybox has neither a tag nor a digest"
        );
        assert_eq!(
            parse_err(&format!("docker-daemon:busybox:1{SHA256_DIGEST}")),
            "docker-daemon: references with both a tag and digest are currently not supported"
        );
        assert_eq!(
            parse_err("docker-daemon:sha256:abc"),
            "Invalid docker-daemon: reference sha256:abc: The sha256 repository name is reserved for (non-shortened) digest references"
        );
    }

    #[test]
    fn containers_storage_transport() {
        let r = parse("containers-storage:busybox");
        assert_eq!(
            r.string_within_transport(),
            "[overlay@/var/lib/containers/storage+/run/containers/storage]docker.io/library/busybox:latest"
        );
        assert_eq!(
            r.policy_identity(),
            "[overlay@/var/lib/containers/storage]docker.io/library/busybox:latest"
        );
        assert_eq!(
            r.policy_namespaces(),
            [
                "[overlay@/var/lib/containers/storage]docker.io/library/busybox",
                "[overlay@/var/lib/containers/storage]docker.io/library",
                "[overlay@/var/lib/containers/storage]docker.io",
                "[overlay@/var/lib/containers/storage]",
                "[/var/lib/containers/storage]",
            ]
        );
        assert_eq!(
            r.docker_reference().unwrap().as_str(),
            "docker.io/library/busybox:latest"
        );

        let r = ImageReference::parse(&format!(
            "containers-storage:[vfs@/g//x/../y:a,b]busybox:1{SHA256_DIGEST}@{HEX}"
        ))
        .unwrap();
        assert_eq!(
            r.string_within_transport(),
            format!(
                "[vfs@/g/y+/run/containers/storage:a,b]docker.io/library/busybox:1{SHA256_DIGEST}@{HEX}"
            )
        );
        assert_eq!(
            r.policy_identity(),
            format!("[vfs@/g/y]docker.io/library/busybox:1{SHA256_DIGEST}@{HEX}")
        );
        assert_eq!(
            r.policy_namespaces(),
            [
                format!("[vfs@/g/y]docker.io/library/busybox:1{SHA256_DIGEST}"),
                "[vfs@/g/y]docker.io/library/busybox:1".to_owned(),
                "[vfs@/g/y]docker.io/library/busybox".to_owned(),
                "[vfs@/g/y]docker.io/library".to_owned(),
                "[vfs@/g/y]docker.io".to_owned(),
                "[vfs@/g/y]".to_owned(),
                "[/g/y]".to_owned(),
            ]
        );
        // ID only; a store spec without a driver; explicit run root.
        let r = ImageReference::parse_with_storage_defaults(
            &format!("containers-storage:[/g+/r]@{HEX}"),
            "vfs",
            "/d",
            "/dr",
        )
        .unwrap();
        assert_eq!(
            r.string_within_transport(),
            format!("[overlay@/g+/r]@{HEX}")
        );
        assert_eq!(r.policy_identity(), format!("[overlay@/g]@{HEX}"));
        assert_eq!(r.policy_namespaces(), ["[overlay@/g]", "[/g]"]);
        assert!(r.docker_reference().is_none());
        let r = ImageReference::parse_with_storage_defaults(
            "containers-storage:x:1",
            "vfs",
            "/d",
            "/dr",
        )
        .unwrap();
        assert_eq!(
            r.string_within_transport(),
            "[vfs@/d+/dr]docker.io/library/x:1"
        );

        for (input, err) in [
            ("", r#""" is an empty reference: invalid reference"#.to_owned()),
            ("[vfs@/g]", r#""" is an empty reference: invalid reference"#.to_owned()),
            ("[", "invalid reference".to_owned()),
            ("[]x", "invalid reference".to_owned()),
            ("[@/g]x", "invalid reference".to_owned()),
            ("[vfs@]x", "invalid reference".to_owned()),
            ("[vfs@rel]x", "path name is not absolute".to_owned()),
            ("[vfs@/g+rel]x", "path name is not absolute".to_owned()),
            ("[vfs@:o]x", "no storage runroot or graphroot specified: missing necessary StoreOptions".to_owned()),
            ("[vfs@/g][x", r#"store specifier in "[x" did not end: invalid reference"#.to_owned()),
            ("busybox@", r#"empty trailing digest or ID in "busybox@": invalid reference"#.to_owned()),
            ("busybox@abc", r#""abc" does not look like an image ID or digest: invalid reference"#.to_owned()),
            (
                "UPPER",
                r#"parsing named reference "UPPER": invalid reference format: repository name must be lowercase"#.to_owned(),
            ),
            (
                "busybox@sha256:abc",
                r#""sha256:abc" does not look like an image ID or digest: invalid reference"#.to_owned(),
            ),
        ] {
            assert_eq!(parse_err(&format!("containers-storage:{input}")), err, "{input}");
        }
    }

    #[test]
    fn tarball_transport() {
        let tmp = tempfile::tempdir().unwrap();
        let file = tmp.path().join("layer.tar");
        std::fs::write(&file, b"").unwrap();
        let file = file.to_str().unwrap();
        let r = parse(&format!("tarball:{file}:-"));
        assert_eq!(r.string_within_transport(), format!("{file}:-"));
        assert_eq!(r.policy_identity(), "");
        assert!(r.policy_namespaces().is_empty() && r.docker_reference().is_none());
        assert_eq!(
            parse_err(&format!("tarball:{file}:/nonexistent")),
            r#"error opening "/nonexistent": open /nonexistent: no such file or directory"#
        );
        assert_eq!(
            parse_err("tarball:"),
            r#"error opening "": open : no such file or directory"#
        );
    }

    #[test]
    fn scope_validation() {
        let d = format!("sha256:{HEX}");
        let ok = |t: &str, s: &str| assert_eq!(validate_scope(t, s), Ok(()), "{t} {s}");
        let err = |t: &str, s: &str, e: &str| {
            assert_eq!(validate_scope(t, s), Err(e.to_owned()), "{t} {s}")
        };
        for t in ["docker", "ostree", "unknown-transport"] {
            for s in ["", "x", "*.example.com", "/", "[", &d] {
                ok(t, s);
            }
        }
        for t in ["dir", "sif"] {
            ok(t, "/a/b");
            err(t, "a", "Invalid scope a: Must be an absolute path");
            err(
                t,
                "/",
                r#"Invalid scope "/": Use the generic default scope """#,
            );
            err(
                t,
                "/a/../b",
                "Invalid scope /a/../b: Uses non-canonical format, perhaps try /b",
            );
            err(
                t,
                "/a/",
                "Invalid scope /a/: Uses non-canonical format, perhaps try /a",
            );
        }
        for t in ["oci", "oci-archive"] {
            ok(t, "/a/b");
            err(t, "a", "Invalid scope a: must be an absolute path");
            err(
                t,
                "/",
                r#"Invalid scope "/": Use the generic default scope """#,
            );
            err(
                t,
                "//a",
                "Invalid scope //a: Uses non-canonical path format, perhaps try with path /a",
            );
        }
        for s in [
            "host",
            "host/ns",
            "host/ns/stream",
            "host/ns/stream:tag",
            "h:5000/ns/s:t",
            "host/ns/:",
        ] {
            ok("atomic", s);
        }
        for s in [
            "host/ns:x/stream",
            "host/ns/stream:a:b",
            "host/ns/stream/x",
            "host/ns/st:a/b",
        ] {
            err("atomic", s, &format!("Invalid scope name {s}"));
        }
        err(
            "docker-archive",
            "/x",
            r#"docker-archive: does not support any scopes except the default "" one"#,
        );
        err(
            "tarball",
            "/x",
            r#"tarball: does not support any scopes except the default "" one"#,
        );
        ok("docker-archive", "");
        ok("docker-daemon", "docker.io/library/busybox");
        ok("docker-daemon", "sha256:abc");
        err(
            "docker-daemon",
            &d,
            &format!("docker-daemon: can not use algo:digest value {d} as a namespace"),
        );

        // storage_transport_test.go TestTransportValidatePolicyConfigurationScope
        let store = "[vfs@/var/lib/containers/storage]";
        let d2 = "sha256:2222222222222222222222222222222222222222222222222222222222222222";
        for s in [
            "[/var/lib/containers/storagesuffix1]".to_owned(),
            "[vfs@/var/lib/containers/storagesuffix3]".to_owned(),
            format!("{store}@{HEX}"),
            format!("{store}docker.io"),
            format!("{store}docker.io/library"),
            format!("{store}docker.io/library/busybox"),
            format!("{store}docker.io/library/busybox:notlatest"),
            format!("{store}docker.io/library/busybox:notlatest@{HEX}"),
            format!("{store}docker.io/library/busybox@{d2}"),
            format!("{store}docker.io/library/busybox@{d2}@{HEX}"),
            format!("{store}docker.io/library/busybox:notlatest@{d2}"),
            format!("{store}docker.io/library/busybox:notlatest@{d2}@{HEX}"),
        ] {
            ok("containers-storage", &s);
        }
        for (s, e) in [
            ("busybox".to_owned(), "invalid reference"),
            ("[unterminated".to_owned(), "invalid reference"),
            ("[]".to_owned(), "invalid reference"),
            ("[relative/path]".to_owned(), "path name is not absolute"),
            (
                "[vfs@relative/path]".to_owned(),
                "path name is not absolute",
            ),
            (
                format!("{store}@"),
                " is neither a valid digest(invalid checksum digest format) nor a valid ID(invalid checksum digest format)",
            ),
            (
                format!("{store}docker.io/library/busybox@sha256:ab"),
                "sha256:ab is neither a valid digest(invalid checksum digest length) nor a valid ID(invalid checksum digest length)",
            ),
            (
                format!("{store}docker.io/library/busybox@ab"),
                "ab is neither a valid digest(invalid checksum digest format) nor a valid ID(invalid checksum digest length)",
            ),
            (
                format!("{store}docker.io/library/busybox@"),
                " is neither a valid digest(invalid checksum digest format) nor a valid ID(invalid checksum digest format)",
            ),
            (
                format!("{store}docker.io/library/busybox@@{HEX}"),
                "invalid checksum digest format",
            ),
            (
                format!("{store}docker.io/library/busybox@ab@{HEX}"),
                "invalid checksum digest format",
            ),
            (
                format!("{store}docker.io/library/busybox@sha256:ab@{HEX}"),
                "invalid checksum digest length",
            ),
            (
                format!("{store}docker.io/library/busybox@{d2}@"),
                "invalid checksum digest format",
            ),
            (
                format!("{store}docker.io/library/busybox@{d2}@ab"),
                "invalid checksum digest length",
            ),
        ] {
            err("containers-storage", &s, e);
        }
    }
}
