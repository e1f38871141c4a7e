//! Reviewing a policy.json: everything [`Policy::from_slice`] refuses (as errors), plus the warnings a
//! careful reviewer would give (as warnings), each with the line and column it is about.
//!
//! Warnings are about policies containers/image accepts but that probably do not do what their author
//! meant: key files that are missing or hold no usable key, expired or revoked keys, docker scopes no
//! image can ever match, a permissive default next to strict scopes, `insecureAcceptAnything` or
//! `reject` mixed into a list with other requirements, requirement types that always deny, and fields
//! that need a newer containers/image than the one the policy is meant for
//! ([`LintOptions::target_version`]).
//!
//! ```
//! use containers_policy::lint::{LintOptions, Severity, lint};
//!
//! let findings = lint(
//!     br#"{"default": [{"type": "insecureAcceptAnything"}],
//!  "transports": {"docker": {"docker.io/busybox": [{"type": "reject"}]}}}"#,
//!     &LintOptions::default(),
//! );
//! assert!(findings.iter().all(|f| f.severity == Severity::Warning));
//! let scope = findings.iter().find(|f| f.code == "scope-never-matches").expect("found");
//! assert_eq!((scope.line, scope.column), (2, 28));
//!
//! let findings = lint(br#"{"default": []}"#, &LintOptions::default());
//! assert_eq!(findings[0].severity, Severity::Error);
//! assert_eq!(findings[0].message, "List of verification policy requirements must not be empty");
//! ```

use std::{
    fmt,
    path::{Path, PathBuf},
    time::SystemTime,
};

use sequoia_openpgp::{
    cert::CertParser, parse::Parse, policy::StandardPolicy, types::RevocationStatus,
};

use crate::{
    Policy, PolicyRequirement, SignedIdentity,
    config::{GpgKeySource, KeyType},
    json::{Document, Kind, Value},
    openpgp::Keyring,
    transports::validate_scope,
};

/// How serious a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Severity {
    /// containers/image refuses the policy (what `check` reports).
    Error,
    /// containers/image accepts the policy, but it probably does not do what was meant.
    Warning,
}

impl Severity {
    /// `error` or `warning`.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One finding.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Finding {
    /// Error or warning.
    pub severity: Severity,
    /// A stable identifier, e.g. `key-file-missing` (see [`lint`] for the list).
    pub code: &'static str,
    /// What is wrong and what to do about it. For errors, containers/image's own message.
    pub message: String,
    /// 1-based line of the JSON value the finding is about (1 when the whole file is concerned).
    pub line: usize,
    /// 1-based column, in characters.
    pub column: usize,
    /// Where in the document, as a JSON pointer (RFC 6901), e.g. `/transports/docker/quay.io~1acme/0/keyPath`.
    pub pointer: String,
}

impl Finding {
    /// A finding (for callers reviewing related files, e.g. registries.d, with the same type).
    pub fn new(
        severity: Severity,
        code: &'static str,
        message: impl Into<String>,
        line: usize,
        column: usize,
    ) -> Self {
        Finding {
            severity,
            code,
            message: message.into(),
            line,
            column,
            pointer: String::new(),
        }
    }
}

/// A containers/image release, `major.minor` (patch releases add no policy features).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
#[non_exhaustive]
pub struct Version {
    /// Major version (5).
    pub major: u32,
    /// Minor version.
    pub minor: u32,
}

impl Version {
    /// `major.minor`.
    pub const fn new(major: u32, minor: u32) -> Self {
        Version { major, minor }
    }

    /// Parses `5.23`, `5.23.1` or `v5.23.1`.
    pub fn parse(s: &str) -> Option<Version> {
        let s = s.strip_prefix('v').unwrap_or(s);
        let mut parts = s.split('.');
        let major = parts.next()?.parse().ok()?;
        let minor = parts.next()?.parse().ok()?;
        if let Some(patch) = parts.next() {
            patch.parse::<u32>().ok()?;
        }
        if parts.next().is_some() {
            return None;
        }
        Some(Version { major, minor })
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

/// Knobs for [`lint`].
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct LintOptions {
    /// The oldest containers/image the policy must work with; fields introduced later are warned
    /// about. `None` = no version check.
    pub target_version: Option<Version>,
    /// The time keys are judged at (expiry); `None` = now.
    pub now: Option<SystemTime>,
    /// Directory relative key paths are resolved against; `None` = the working directory, as
    /// containers/image does.
    pub base_dir: Option<PathBuf>,
}

impl LintOptions {
    /// Sets [`LintOptions::target_version`].
    pub fn with_target_version(mut self, version: Option<Version>) -> Self {
        self.target_version = version;
        self
    }

    /// Sets [`LintOptions::now`].
    pub fn with_now(mut self, now: SystemTime) -> Self {
        self.now = Some(now);
        self
    }

    /// Sets [`LintOptions::base_dir`].
    pub fn with_base_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.base_dir = Some(dir.into());
        self
    }
}

/// Reviews a policy.json.
///
/// Findings come in document order. When containers/image refuses the file, the result is exactly one
/// [`Severity::Error`] (code `invalid-policy`, message = containers/image's, positioned at the offending
/// requirement or scope when it can be found) and nothing else. Otherwise it holds warnings only:
///
/// | code | about |
/// | --- | --- |
/// | `key-file-missing` | a `keyPath`/`keyPaths`/CA/Rekor path that cannot be read |
/// | `key-file-unusable` | key material (file or `keyData`) with no key containers/image would import |
/// | `key-expired`, `key-revoked`, `key-cannot-sign` | an OpenPGP key that cannot make acceptable signatures now |
/// | `relative-key-path` | a key path resolved against whatever working directory the evaluating process has |
/// | `secret-key-material` | a trusted key file that also holds the secret key |
/// | `no-keys` | `keyPaths: []` / empty `keyData`: every image is refused |
/// | `unsupported-key-type` | `signedBy` with a `keyType` other than `GPGKeys`: every image is refused |
/// | `always-denies` | `signedBaseLayer`, which containers/image never implemented |
/// | `scope-never-matches` | a docker scope no normalized image name can equal (e.g. `docker.io/busybox`) |
/// | `permissive-default` | `default` (or a transport's `""`) accepts anything while other scopes require signatures |
/// | `mixed-accept` | `insecureAcceptAnything` next to signature requirements (it adds nothing) |
/// | `mixed-reject` | `reject` next to other requirements (they can never matter) |
/// | `needs-newer-version` | a field introduced after [`LintOptions::target_version`] |
pub fn lint(data: &[u8], options: &LintOptions) -> Vec<Finding> {
    let doc = match Document::parse(data) {
        Ok(d) => d,
        Err(message) => {
            // Go's syntax errors carry no position; serde_json's parser finds the same fault in all
            // but exotic cases (it is stricter about invalid UTF-8), so use its position when it agrees
            // that the input is malformed.
            let (line, column) = match serde_json::from_slice::<serde::de::IgnoredAny>(data) {
                Err(e) if e.is_syntax() || e.is_eof() => (e.line().max(1), e.column().max(1)),
                _ => (1, 1),
            };
            return vec![Finding {
                severity: Severity::Error,
                code: "invalid-policy",
                message,
                line,
                column,
                pointer: String::new(),
            }];
        }
    };
    let mut l = Linter {
        src: data,
        options,
        findings: Vec::new(),
    };
    if let Err(e) = Policy::from_slice(data) {
        let at = l.locate_error(&doc);
        let (line, column) = match at {
            Some((v, _)) => l.position(v),
            None => (1, 1),
        };
        l.findings.push(Finding {
            severity: Severity::Error,
            code: "invalid-policy",
            message: e.to_string(),
            line,
            column,
            pointer: at.map(|(_, p)| p).unwrap_or_default(),
        });
        return l.findings;
    }
    l.review(&doc);
    l.findings
}

struct Linter<'a> {
    src: &'a [u8],
    options: &'a LintOptions,
    findings: Vec<Finding>,
}

/// A requirement list in the document: where it is, and its parsed requirements with their values.
struct ReqList<'d> {
    value: Value<'d>,
    pointer: String,
    reqs: Vec<(Value<'d>, PolicyRequirement)>,
}

fn escape_pointer(s: &str) -> String {
    s.replace('~', "~0").replace('/', "~1")
}

fn member<'d>(v: Value<'d>, key: &str) -> Option<Value<'d>> {
    v.members()
        .find(|(k, _)| k.as_str().as_deref() == Some(key))
        .map(|(_, v)| v)
}

/// Whether `requirements` verify signatures.
fn verifies(r: &PolicyRequirement) -> bool {
    matches!(
        r,
        PolicyRequirement::SignedBy(_) | PolicyRequirement::SigstoreSigned(_)
    )
}

impl<'a> Linter<'a> {
    fn offset(&self, v: Value<'_>) -> usize {
        (v.raw().as_ptr() as usize).saturating_sub(self.src.as_ptr() as usize)
    }

    fn position(&self, v: Value<'_>) -> (usize, usize) {
        let offset = self.offset(v).min(self.src.len());
        let before = &self.src[..offset];
        let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
        let line_start = before
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |i| i + 1);
        let column = String::from_utf8_lossy(&before[line_start..])
            .chars()
            .count()
            + 1;
        (line, column)
    }

    fn warn(&mut self, v: Value<'_>, pointer: &str, code: &'static str, message: String) {
        let (line, column) = self.position(v);
        self.findings.push(Finding {
            severity: Severity::Warning,
            code,
            message,
            line,
            column,
            pointer: pointer.to_owned(),
        });
    }

    /// Finds the requirement or scope containers/image's error is most likely about: the first one that
    /// does not parse on its own.
    fn locate_error<'d>(&self, doc: &'d Document<'d>) -> Option<(Value<'d>, String)> {
        let root = doc.root();
        if root.kind() != Kind::Object {
            return None;
        }
        for (k, v) in root.members() {
            match k.as_str().as_deref() {
                Some("default") => {
                    if let Some(found) = bad_requirement(v, "/default") {
                        return Some(found);
                    }
                }
                Some("transports") => {
                    for (tk, tv) in v.members() {
                        let transport = tk.as_str().unwrap_or_default().into_owned();
                        let tp = format!("/transports/{}", escape_pointer(&transport));
                        for (sk, sv) in tv.members() {
                            let scope = sk.as_str().unwrap_or_default().into_owned();
                            let sp = format!("{tp}/{}", escape_pointer(&scope));
                            if validate_scope(&transport, &scope).is_err() {
                                return Some((sk, sp));
                            }
                            if let Some(found) = bad_requirement(sv, &sp) {
                                return Some(found);
                            }
                        }
                    }
                }
                Some(other) => return Some((k, format!("/{}", escape_pointer(other)))),
                None => {}
            }
        }
        None
    }

    fn review(&mut self, doc: &Document<'_>) {
        let root = doc.root();
        let mut lists: Vec<(Option<(String, String)>, ReqList<'_>)> = Vec::new();
        if let Some(d) = member(root, "default") {
            lists.push((None, req_list(d, "/default".to_owned())));
        }
        if let Some(t) = member(root, "transports") {
            for (tk, tv) in t.members() {
                let transport = tk.as_str().unwrap_or_default().into_owned();
                let tp = format!("/transports/{}", escape_pointer(&transport));
                for (sk, sv) in tv.members() {
                    let scope = sk.as_str().unwrap_or_default().into_owned();
                    let sp = format!("{tp}/{}", escape_pointer(&scope));
                    if transport == "docker" {
                        self.check_docker_scope(sk, &sp, &scope);
                    }
                    lists.push((Some((transport.clone(), scope.clone())), req_list(sv, sp)));
                }
            }
        }
        let strict_scopes: Vec<String> = lists
            .iter()
            .filter(|(_, l)| l.reqs.iter().any(|(_, r)| verifies(r)))
            .filter_map(|(s, _)| s.as_ref())
            .map(|(t, s)| format!("{t}:{s}"))
            .collect();
        for (scope, list) in &lists {
            self.check_list(scope.as_ref(), list, &strict_scopes);
            for (i, (v, r)) in list.reqs.iter().enumerate() {
                let pointer = format!("{}/{i}", list.pointer);
                self.check_requirement(*v, &pointer, r);
            }
        }
        self.findings
            .sort_by_key(|f| (f.line, f.column, f.severity, f.code));
    }

    fn check_docker_scope(&mut self, key: Value<'_>, pointer: &str, scope: &str) {
        if let Some(rest) = scope.strip_prefix("*.") {
            if let Some(v) = self.options.target_version {
                if v < Version::new(5, 10) {
                    self.warn(
                        key,
                        pointer,
                        "needs-newer-version",
                        format!("wildcard scope {scope:?} needs containers/image 5.10 or newer (target {v}); older releases never match it"),
                    );
                }
            }
            if rest.is_empty() || rest.contains(['/', ':', '*', '@']) {
                self.warn(
                    key,
                    pointer,
                    "scope-never-matches",
                    format!("wildcard scope {scope:?} can never match: a wildcard is `*.` followed by a domain (no port, path, tag or digest)"),
                );
            }
            return;
        }
        if scope.is_empty() {
            return;
        }
        let Some((host, path)) = scope.split_once('/') else {
            // A registry host: it must look like one, or images naming it are parsed as docker.io paths.
            if !(scope.contains(['.', ':']) || scope == "localhost") {
                self.warn(
                    key,
                    pointer,
                    "scope-never-matches",
                    format!("scope {scope:?} can never match: image names are fully qualified (a host with a dot or port, e.g. \"docker.io/library/{scope}\" or \"{scope}.example.com\")"),
                );
            } else if matches!(scope, "index.docker.io" | "registry-1.docker.io") {
                self.warn(key, pointer, "scope-never-matches", format!("scope {scope:?} can never match: Docker Hub images are normalized to \"docker.io\""));
            }
            return;
        };
        let hosty = host.contains(['.', ':']) || host == "localhost";
        if !hosty {
            self.warn(
                key,
                pointer,
                "scope-never-matches",
                format!("scope {scope:?} can never match: it has no registry host, and image names are fully qualified (did you mean \"docker.io/{}\"?)", if path.contains('/') { scope.to_owned() } else { format!("library/{scope}") }),
            );
            return;
        }
        if matches!(host, "index.docker.io" | "registry-1.docker.io") {
            self.warn(
                key,
                pointer,
                "scope-never-matches",
                format!("scope {scope:?} can never match: Docker Hub images are normalized to \"docker.io/{path}\""),
            );
            return;
        }
        match crate::DockerReference::parse_normalized(scope) {
            Ok(r) if r.as_str() == scope => {}
            Ok(r) if host == "docker.io" && !path.contains('/') && r.tag().is_none() && r.digest().is_none() => {
                self.warn(
                    key,
                    pointer,
                    "scope-never-matches",
                    format!("scope {scope:?} matches only repositories of the Docker Hub user {path:?}, never the official image {:?}; write \"{}\"", r.as_str(), r.as_str()),
                );
            }
            Ok(r) => self.warn(
                key,
                pointer,
                "scope-never-matches",
                format!("scope {scope:?} can never match: image names are normalized to {:?}", r.as_str()),
            ),
            Err(e) => self.warn(
                key,
                pointer,
                "scope-never-matches",
                format!("scope {scope:?} can never match: it is not a valid image name or namespace ({e})"),
            ),
        }
    }

    fn check_list(
        &mut self,
        scope: Option<&(String, String)>,
        list: &ReqList<'_>,
        strict_scopes: &[String],
    ) {
        let any_verifies = list.reqs.iter().any(|(_, r)| verifies(r));
        let all_accept = !list.reqs.is_empty()
            && list
                .reqs
                .iter()
                .all(|(_, r)| *r == PolicyRequirement::InsecureAcceptAnything);
        let permissive_position = match scope {
            None => true,
            Some((_, s)) => s.is_empty(),
        };
        if all_accept && permissive_position {
            let transport = scope.map(|(t, _)| t.as_str());
            let stricter: Vec<&String> = strict_scopes
                .iter()
                .filter(|s| transport.is_none_or(|t| s.starts_with(&format!("{t}:"))))
                .collect();
            if !stricter.is_empty() {
                let (what, applies) = match transport {
                    None => (
                        "default".to_owned(),
                        "any image no transport scope matches".to_owned(),
                    ),
                    Some(t) => (
                        format!("the {t} transport default \"\""),
                        format!("every {t} image no other {t} scope matches"),
                    ),
                };
                let names: Vec<String> = stricter
                    .iter()
                    .take(3)
                    .map(|s| format!("{:?}", s.split_once(':').map_or(s.as_str(), |(_, b)| b)))
                    .collect();
                self.warn(
                    list.value,
                    &list.pointer,
                    "permissive-default",
                    format!(
                        "{what} is insecureAcceptAnything while {} require signatures: {applies} runs unverified (an image pulled through another registry name, a mirror or a typo skips the signature check); prefer a reject default with explicit exceptions",
                        names.join(", ") + if stricter.len() > 3 { ", …" } else { "" }
                    ),
                );
            }
        }
        if list.reqs.len() > 1 {
            for (i, (v, r)) in list.reqs.iter().enumerate() {
                let pointer = format!("{}/{i}", list.pointer);
                match r {
                    PolicyRequirement::InsecureAcceptAnything if any_verifies => self.warn(
                        *v,
                        &pointer,
                        "mixed-accept",
                        "insecureAcceptAnything next to signature requirements adds nothing (all requirements of a list must be satisfied, so signatures are still required); remove it, or remove the signature requirements if unsigned images are meant to run".to_owned(),
                    ),
                    PolicyRequirement::Reject => self.warn(
                        *v,
                        &pointer,
                        "mixed-reject",
                        "reject refuses every image, so the other requirements in this list never matter; use [{\"type\": \"reject\"}] alone".to_owned(),
                    ),
                    _ => {}
                }
            }
        }
    }

    fn check_requirement<'d>(&mut self, v: Value<'d>, pointer: &str, r: &PolicyRequirement) {
        match r {
            PolicyRequirement::SignedBy(sb) => {
                if sb.key_type != KeyType::GpgKeys {
                    self.warn(
                        member(v, "keyType").unwrap_or(v),
                        &format!("{pointer}/keyType"),
                        "unsupported-key-type",
                        format!("keyType {:?} is not implemented by containers/image: every image this requirement applies to is refused; use \"GPGKeys\"", sb.key_type.as_str()),
                    );
                }
                match &sb.keys {
                    GpgKeySource::Path(p) => {
                        let at = member(v, "keyPath").unwrap_or(v);
                        self.check_gpg_file(at, &format!("{pointer}/keyPath"), p);
                    }
                    GpgKeySource::Paths(ps) => {
                        let at = member(v, "keyPaths").unwrap_or(v);
                        self.version_check(
                            at,
                            &format!("{pointer}/keyPaths"),
                            "signedBy keyPaths",
                            Version::new(5, 22),
                        );
                        if ps.is_empty() {
                            self.warn(at, &format!("{pointer}/keyPaths"), "no-keys", "keyPaths is empty: no public keys are imported and every image is refused".to_owned());
                        }
                        let elems: Vec<Value<'_>> = at.elements().collect();
                        for (i, p) in ps.iter().enumerate() {
                            let ev = elems.get(i).copied().unwrap_or(at);
                            self.check_gpg_file(ev, &format!("{pointer}/keyPaths/{i}"), p);
                        }
                    }
                    GpgKeySource::Data(d) => {
                        let at = member(v, "keyData").unwrap_or(v);
                        let p = format!("{pointer}/keyData");
                        if d.is_empty() {
                            self.warn(at, &p, "no-keys", "keyData is empty: no public keys are imported and every image is refused".to_owned());
                        } else {
                            self.check_gpg_keys(at, &p, d, "keyData");
                        }
                    }
                }
                self.check_identity(v, pointer, &sb.signed_identity, "signedIdentity");
            }
            PolicyRequirement::SignedBaseLayer { .. } => self.warn(
                v,
                pointer,
                "always-denies",
                "signedBaseLayer was never implemented by containers/image: it refuses every image"
                    .to_owned(),
            ),
            PolicyRequirement::SigstoreSigned(s) => {
                self.version_check(v, pointer, "sigstoreSigned", Version::new(5, 22));
                for (field, since) in [
                    ("fulcio", Version::new(5, 24)),
                    ("rekorPublicKeyPath", Version::new(5, 24)),
                    ("rekorPublicKeyData", Version::new(5, 24)),
                    ("keyPaths", Version::new(5, 33)),
                    ("keyDatas", Version::new(5, 33)),
                    ("rekorPublicKeyPaths", Version::new(5, 33)),
                    ("rekorPublicKeyDatas", Version::new(5, 33)),
                    ("pki", Version::new(5, 35)),
                ] {
                    if let Some(fv) = member(v, field) {
                        self.version_check(
                            fv,
                            &format!("{pointer}/{field}"),
                            &format!("sigstoreSigned {field}"),
                            since,
                        );
                    }
                }
                let mut paths: Vec<(Value<'d>, String, String)> = Vec::new();
                let mut single = |name: &str,
                                  value: &Option<String>,
                                  parent: Value<'d>,
                                  parent_pointer: &str| {
                    if let Some(p) = value {
                        let at = member(parent, name).unwrap_or(parent);
                        paths.push((at, format!("{parent_pointer}/{name}"), p.clone()));
                    }
                };
                single("keyPath", &s.key_path, v, pointer);
                single("rekorPublicKeyPath", &s.rekor_public_key_path, v, pointer);
                if let (Some(f), Some(fv)) = (&s.fulcio, member(v, "fulcio")) {
                    single("caPath", &f.ca_path, fv, &format!("{pointer}/fulcio"));
                }
                if let (Some(pk), Some(pv)) = (&s.pki, member(v, "pki")) {
                    let pp = format!("{pointer}/pki");
                    single("caRootsPath", &pk.ca_roots_path, pv, &pp);
                    single("caIntermediatesPath", &pk.ca_intermediates_path, pv, &pp);
                }
                for (name, list) in [
                    ("keyPaths", &s.key_paths),
                    ("rekorPublicKeyPaths", &s.rekor_public_key_paths),
                ] {
                    if let (Some(ps), Some(lv)) = (list, member(v, name)) {
                        let elems: Vec<Value<'_>> = lv.elements().collect();
                        for (i, p) in ps.iter().enumerate() {
                            paths.push((
                                elems.get(i).copied().unwrap_or(lv),
                                format!("{pointer}/{name}/{i}"),
                                p.clone(),
                            ));
                        }
                    }
                }
                for (at, p, path) in paths {
                    self.check_pem_file(at, &p, &path);
                }
                self.check_identity(v, pointer, &s.signed_identity, "signedIdentity");
            }
            _ => {}
        }
    }

    fn check_identity(
        &mut self,
        v: Value<'_>,
        pointer: &str,
        identity: &SignedIdentity,
        field: &str,
    ) {
        if matches!(identity, SignedIdentity::RemapIdentity { .. }) {
            let at = member(v, field).unwrap_or(v);
            self.version_check(
                at,
                &format!("{pointer}/{field}"),
                "signedIdentity remapIdentity",
                Version::new(5, 9),
            );
        }
    }

    fn version_check(&mut self, v: Value<'_>, pointer: &str, what: &str, since: Version) {
        if let Some(target) = self.options.target_version {
            if target < since {
                self.warn(
                    v,
                    pointer,
                    "needs-newer-version",
                    format!("{what} needs containers/image {since} or newer, but the target is {target}: older releases refuse the whole policy"),
                );
            }
        }
    }

    fn resolve(&self, path: &str) -> PathBuf {
        match &self.options.base_dir {
            Some(base) if Path::new(path).is_relative() => base.join(path),
            _ => PathBuf::from(path),
        }
    }

    fn read(&mut self, v: Value<'_>, pointer: &str, path: &str) -> Option<Vec<u8>> {
        if Path::new(path).is_relative() {
            self.warn(v, pointer, "relative-key-path", format!("key path {path:?} is relative: containers/image resolves it against the working directory of whatever process evaluates the policy; use an absolute path"));
        }
        match std::fs::read(self.resolve(path)) {
            Ok(data) => Some(data),
            Err(e) => {
                self.warn(v, pointer, "key-file-missing", format!("{path}: {}: every image this requirement applies to will be refused until the file is installed", io_reason(&e)));
                None
            }
        }
    }

    fn check_gpg_file(&mut self, v: Value<'_>, pointer: &str, path: &str) {
        if let Some(data) = self.read(v, pointer, path) {
            self.check_gpg_keys(v, pointer, &data, path);
        }
    }

    fn check_gpg_keys(&mut self, v: Value<'_>, pointer: &str, data: &[u8], what: &str) {
        let keyring = Keyring::from_blobs([data]);
        if keyring.is_empty() {
            self.warn(v, pointer, "key-file-unusable", format!("{what} holds no OpenPGP public key gpg would import (not a key, damaged, or a key without a self-signed user ID): every image is refused"));
            return;
        }
        let now = self.options.now.unwrap_or_else(SystemTime::now);
        let policy = StandardPolicy::new();
        let Ok(parser) = CertParser::from_bytes(data) else {
            return;
        };
        for cert in parser.flatten() {
            let fpr = cert.fingerprint().to_hex();
            if cert.is_tsk() {
                self.warn(v, pointer, "secret-key-material", format!("{what}: key {fpr} includes its secret key: publish only the public key (`gpg --export`), and never install secret keys on the machines that verify"));
            }
            if let RevocationStatus::Revoked(_) = cert.revocation_status(&policy, now) {
                self.warn(
                    v,
                    pointer,
                    "key-revoked",
                    format!("{what}: key {fpr} is revoked: signatures made with it are refused"),
                );
                continue;
            }
            let vc = match cert.with_policy(&policy, now) {
                Ok(vc) => vc,
                Err(e) => {
                    self.warn(v, pointer, "key-expired", format!("{what}: key {fpr} is not valid now ({e}): signatures made with it are refused"));
                    continue;
                }
            };
            if let Err(e) = vc.alive() {
                self.warn(v, pointer, "key-expired", format!("{what}: key {fpr} has expired ({e}): signatures made with it are refused; extend its expiry and redistribute it"));
                continue;
            }
            if vc
                .keys()
                .for_signing()
                .alive()
                .revoked(false)
                .next()
                .is_none()
            {
                self.warn(v, pointer, "key-cannot-sign", format!("{what}: key {fpr} has no live signing-capable key: no signature can be accepted with it"));
            }
        }
    }

    fn check_pem_file(&mut self, v: Value<'_>, pointer: &str, path: &str) {
        if let Some(data) = self.read(v, pointer, path) {
            if !data.windows(11).any(|w| w == b"-----BEGIN ") {
                self.warn(v, pointer, "key-file-unusable", format!("{path} holds no PEM block (\"-----BEGIN …\"): containers/image cannot use it"));
            }
        }
    }
}

fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file".to_owned(),
        std::io::ErrorKind::PermissionDenied => "permission denied".to_owned(),
        _ => e.to_string(),
    }
}

fn req_list(v: Value<'_>, pointer: String) -> ReqList<'_> {
    let reqs = v
        .elements()
        .filter_map(|e| {
            PolicyRequirement::from_json_slice(e.raw())
                .ok()
                .map(|r| (e, r))
        })
        .collect();
    ReqList {
        value: v,
        pointer,
        reqs,
    }
}

fn bad_requirement<'d>(list: Value<'d>, pointer: &str) -> Option<(Value<'d>, String)> {
    if list.kind() != Kind::Array {
        return Some((list, pointer.to_owned()));
    }
    for (i, e) in list.elements().enumerate() {
        if PolicyRequirement::from_json_slice(e.raw()).is_err() {
            return Some((e, format!("{pointer}/{i}")));
        }
    }
    if list.elements().next().is_none() {
        return Some((list, pointer.to_owned()));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codes(json: &str, options: &LintOptions) -> Vec<(&'static str, usize, usize)> {
        lint(json.as_bytes(), options)
            .into_iter()
            .map(|f| (f.code, f.line, f.column))
            .collect()
    }

    #[test]
    fn errors_match_check_and_are_positioned() {
        let src = "{\"default\": [{\"type\": \"reject\"}],\n \"transports\": {\"docker\": {\"quay.io/a\": [\n  {\"type\": \"signedBy\"}]}}}";
        let f = lint(src.as_bytes(), &LintOptions::default());
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].severity, Severity::Error);
        assert_eq!(
            f[0].message,
            Policy::from_slice(src.as_bytes()).unwrap_err().to_string()
        );
        assert_eq!((f[0].line, f[0].column), (3, 3));
        assert_eq!(f[0].pointer, "/transports/docker/quay.io~1a/0");

        let f = lint(b"{", &LintOptions::default());
        assert_eq!(f[0].code, "invalid-policy");
        assert_eq!(f[0].message, "unexpected end of JSON input");

        let f = lint(
            b"{\n  \"default\": [{\"type\": \"reject\"},]\n}",
            &LintOptions::default(),
        );
        assert_eq!(
            f[0].message,
            "invalid character ']' looking for beginning of value"
        );
        assert_eq!((f[0].line, f[0].column), (2, 34));

        let f = lint(
            br#"{"default": [{"type": "reject"}], "Transports": {}}"#,
            &LintOptions::default(),
        );
        assert_eq!(f[0].message, r#"Unknown key "Transports""#);
        assert_eq!(
            (f[0].line, f[0].column, f[0].pointer.as_str()),
            (1, 35, "/Transports")
        );
    }

    #[test]
    fn scopes() {
        let src = r#"{"default":[{"type":"reject"}],"transports":{"docker":{
"docker.io/busybox":[{"type":"insecureAcceptAnything"}],
"busybox":[{"type":"insecureAcceptAnything"}],
"index.docker.io/library/x":[{"type":"insecureAcceptAnything"}],
"docker.io/library/busybox":[{"type":"insecureAcceptAnything"}],
"quay.io":[{"type":"insecureAcceptAnything"}],
"localhost:5000/a/b:tag":[{"type":"insecureAcceptAnything"}],
"*.example.com":[{"type":"insecureAcceptAnything"}],
"*.example.com/x":[{"type":"insecureAcceptAnything"}]}}}"#;
        let got = codes(src, &LintOptions::default());
        assert_eq!(
            got,
            vec![
                ("scope-never-matches", 2, 1),
                ("scope-never-matches", 3, 1),
                ("scope-never-matches", 4, 1),
                ("scope-never-matches", 9, 1),
            ]
        );
    }

    #[test]
    fn permissive_default_and_mixing() {
        let src = r#"{"default":[{"type":"insecureAcceptAnything"}],"transports":{"docker":{
"quay.io/a":[{"type":"insecureAcceptAnything"},{"type":"signedBy","keyType":"GPGKeys","keyData":""}],
"quay.io/b":[{"type":"reject"},{"type":"signedBaseLayer","baseLayerIdentity":{"type":"matchExact"}}]}}}"#;
        let got = codes(src, &LintOptions::default());
        let names: Vec<&str> = got.iter().map(|c| c.0).collect();
        assert_eq!(
            names,
            [
                "permissive-default",
                "mixed-accept",
                "no-keys",
                "mixed-reject",
                "always-denies"
            ]
        );
        assert_eq!(got[0].1, 1);
    }

    #[test]
    fn versions_and_missing_files() {
        let src = r#"{"default":[{"type":"reject"}],"transports":{"docker":{
"quay.io/a":[{"type":"signedBy","keyType":"GPGKeys","keyPaths":["/nonexistent/k.gpg"]}],
"quay.io/b":[{"type":"sigstoreSigned","keyPaths":["/nonexistent/k.pub"]}],
"quay.io/c":[{"type":"sigstoreSigned","pki":{"caRootsPath":"/nonexistent/ca.pem","subjectEmail":"a@b"}}]}}}"#;
        let opts = LintOptions::default().with_target_version(Version::parse("5.21"));
        let got = codes(src, &opts);
        let names: Vec<&str> = got.iter().map(|c| c.0).collect();
        assert_eq!(
            names,
            [
                "needs-newer-version",
                "key-file-missing",
                "needs-newer-version",
                "needs-newer-version",
                "key-file-missing",
                "needs-newer-version",
                "needs-newer-version",
                "key-file-missing"
            ]
        );
        let opts = LintOptions::default().with_target_version(Version::parse("v5.35.2"));
        assert_eq!(
            codes(src, &opts)
                .iter()
                .filter(|c| c.0 == "needs-newer-version")
                .count(),
            0
        );
        assert_eq!(Version::parse("5"), None);
        assert_eq!(Version::parse("5.x"), None);
    }

    #[test]
    fn unusable_and_expired_keys() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("junk.gpg"), b"not a key").unwrap();
        let key = crate::openpgp::generate_key("Lint <lint@example.com>").unwrap();
        std::fs::write(dir.path().join("good.gpg"), &key.public_armored).unwrap();
        let src = format!(
            r#"{{"default":[{{"type":"signedBy","keyType":"GPGKeys","keyPaths":["{0}/junk.gpg","{0}/good.gpg"]}}]}}"#,
            dir.path().display()
        );
        let got = codes(&src, &LintOptions::default());
        assert_eq!(
            got.iter().map(|c| c.0).collect::<Vec<_>>(),
            ["key-file-unusable"]
        );
        std::fs::write(dir.path().join("good.gpg"), &key.secret_armored).unwrap();
        let got = codes(&src, &LintOptions::default());
        assert_eq!(
            got.iter().map(|c| c.0).collect::<Vec<_>>(),
            ["key-file-unusable", "secret-key-material"]
        );
    }

    #[test]
    fn expired_and_revoked_keys() {
        use sequoia_openpgp::{
            Packet,
            cert::{CertBuilder, CipherSuite},
            serialize::SerializeInto,
        };
        use std::time::Duration;
        let created = SystemTime::now() - Duration::from_secs(3600);
        let (expiring, _) = CertBuilder::new()
            .set_cipher_suite(CipherSuite::Cv25519)
            .set_creation_time(created)
            .add_userid("Expiring <e@example.com>")
            .add_signing_subkey()
            .set_validity_period(Duration::from_secs(7200))
            .generate()
            .unwrap();
        let (revoked, revocation) = CertBuilder::new()
            .set_cipher_suite(CipherSuite::Cv25519)
            .set_creation_time(created)
            .add_userid("Revoked <r@example.com>")
            .add_signing_subkey()
            .generate()
            .unwrap();
        let revoked = revoked
            .insert_packets(std::iter::once(Packet::from(revocation)))
            .unwrap()
            .0;
        let src = format!(
            r#"{{"default":[{{"type":"signedBy","keyType":"GPGKeys","keyData":"{}"}},
{{"type":"signedBy","keyType":"GPGKeys","keyData":"{}"}}]}}"#,
            crate::json::encode::base64_std(&expiring.armored().to_vec().unwrap()),
            crate::json::encode::base64_std(&revoked.armored().to_vec().unwrap()),
        );
        // Valid now; expired three hours from now.
        assert_eq!(
            codes(&src, &LintOptions::default()),
            [("key-revoked", 2, 50)]
        );
        let later =
            LintOptions::default().with_now(SystemTime::now() + Duration::from_secs(3 * 3600));
        assert_eq!(
            codes(&src, &later),
            [("key-expired", 1, 62), ("key-revoked", 2, 50)]
        );
    }
}
