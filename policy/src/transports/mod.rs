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
