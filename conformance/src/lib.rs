//! Test support for the conformance suite (`cargo test -p conformance`): loading the fixtures that
//! `conformance/generate/run` records with the real skopeo and podman (`conformance/fixtures/`), preparing
//! them for replay (registries.d copies with `@FIXTURES@` substituted, images read in the `dir:` layout and
//! through the lookaside store), and replaying containers/image's own test verdicts
//! (`../shared/upstream-fixtures/expected-verdicts.jsonl`, see [`upstream`]).
//!
//! The fixture format is described in `conformance/README.md`; the runner is `tests/conformance.rs`.

use std::{
    collections::{BTreeMap, HashMap},
    fs,
    path::{Path, PathBuf},
    sync::Mutex,
};

use containers_policy::{DockerReference, ImageReference, UnparsedImage, manifest};
use serde::Deserialize;
use serde_json::Value;
use sigstore_lookaside::{Environment, RegistriesD, fetch::SignatureReader, remote};

/// What registries.d files write where the absolute path of `conformance/fixtures` belongs.
pub const FIXTURES_PLACEHOLDER: &str = "@FIXTURES@";

/// The crate's directory, `conformance/`.
pub fn crate_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The workspace root (the parent of `conformance/`).
pub fn workspace_root() -> PathBuf {
    crate_dir()
        .parent()
        .expect("conformance/ lives inside the workspace")
        .to_path_buf()
}

/// The recorded fixtures: `$CONFORMANCE_FIXTURES` if set (to try the runner on another fixture set),
/// else `conformance/fixtures`.
pub fn fixtures_dir() -> PathBuf {
    match std::env::var_os("CONFORMANCE_FIXTURES") {
        Some(p) => PathBuf::from(p),
        None => crate_dir().join("fixtures"),
    }
}

/// Cargo's target directory: `$CARGO_TARGET_DIR` if set, else `target/` in the workspace root.
pub fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(p) => {
            let p = PathBuf::from(p);
            if p.is_relative() {
                workspace_root().join(p)
            } else {
                p
            }
        }
        None => workspace_root().join("target"),
    }
}

/// One recorded case (one line of `cases.jsonl`).
#[derive(Debug, Clone, Deserialize)]
#[non_exhaustive]
pub struct Case {
    /// Unique, stable name.
    pub id: String,
    /// `signatures`, `identities`, `scopes`, `lookaside`, `keys`, `parsing`, `standalone` or `cli`.
    pub area: String,
    /// The tool that produced the expectation: `skopeo copy`, `podman push`, `skopeo standalone-verify`,
    /// `skopeo standalone-sign`.
    pub tool: String,
    /// The policy (relative to the fixtures directory).
    #[serde(default)]
    pub policy: Option<String>,
    /// The registries.d directory (relative to the fixtures directory).
    #[serde(default)]
    pub registries_d: Option<String>,
    /// The image in the `dir:` layout (relative to the fixtures directory).
    #[serde(default)]
    pub image: Option<String>,
    /// The transport reference the tool evaluated.
    #[serde(default)]
    pub reference: Option<String>,
    /// Exactly what was run (paths relative to the fixtures directory).
    #[serde(default)]
    pub argv: Vec<String>,
    /// The tool's exit status.
    #[serde(default)]
    pub exit: Option<i32>,
    /// The tool's standard error, trimmed.
    #[serde(default)]
    pub stderr: Option<String>,
    /// The observed outcome.
    pub expected: Expected,
    /// Free text.
    #[serde(default)]
    pub notes: Option<String>,
    /// The id of a documented difference between the recorded tool's containers/image and the one the
    /// SDK follows.
    #[serde(default)]
    pub version_difference: Option<String>,
    /// Any other field, for case kinds that need more inputs.
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

/// A case's observed outcome; which fields are set depends on the case kind.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct Expected {
    /// Evaluation cases: whether the image was allowed.
    #[serde(default)]
    pub allowed: Option<bool>,
    /// Parsing and standalone cases: whether the operation succeeded.
    #[serde(default)]
    pub ok: Option<bool>,
    /// containers/image's error text with the tool's prefixes removed; `None` on success.
    #[serde(default)]
    pub message: Option<String>,
    /// Standalone verification: the signing key's fingerprint.
    #[serde(default)]
    pub fingerprint: Option<String>,
    /// Standalone verification: the docker reference the signature claims.
    #[serde(default)]
    pub docker_reference: Option<String>,
    /// Standalone verification: the manifest digest the signature claims.
    #[serde(default)]
    pub digest: Option<String>,
}

/// Reads `cases.jsonl`: every non-empty line must be a case, and ids must be unique.
pub fn load_cases(path: &Path) -> Result<Vec<Case>, String> {
    let text = fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut cases: Vec<Case> = Vec::new();
    let mut seen = HashMap::new();
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let case: Case = serde_json::from_str(line)
            .map_err(|e| format!("{}:{}: not a case: {e}", path.display(), n + 1))?;
        if let Some(first) = seen.insert(case.id.clone(), n + 1) {
            return Err(format!(
                "{}:{}: duplicate case id {:?} (first on line {first})",
                path.display(),
                n + 1,
                case.id
            ));
        }
        cases.push(case);
    }
    Ok(cases)
}

/// The file of [`CurrentExpectations`] in the fixtures directory.
pub const EXPECTED_CURRENT: &str = "expected-current.jsonl";

/// `expected-current.jsonl`: what containers/image itself (the release `conformance/go/go.mod` pins,
/// GPGME build) decides for each recorded case, written by `conformance/go/record-current`. Its first
/// line describes the recording (`containers_image`, `gpgme`, `gpg`, `go`, counts); every other line is
/// `{"id", "expected"}` in the form of a case's `expected` (messages as the generator records them:
/// skopeo's prefixes removed, `@FIXTURES@`), or `{"id", "not_replayed": "<why>"}`.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct CurrentExpectations {
    /// The first line, as written.
    pub header: Value,
    /// Case id → the answer of the pinned release (`Err`: why the case was not replayed).
    pub cases: BTreeMap<String, Result<Expected, String>>,
}

impl CurrentExpectations {
    /// The containers/image release that answered (`header.containers_image`).
    pub fn containers_image(&self) -> &str {
        self.header["containers_image"].as_str().unwrap_or("?")
    }
}

/// Reads [`EXPECTED_CURRENT`] from `fixtures`; `Ok(None)` when the file does not exist.
pub fn load_current_expectations(fixtures: &Path) -> Result<Option<CurrentExpectations>, String> {
    let path = fixtures.join(EXPECTED_CURRENT);
    let text = match fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("{}: {e}", path.display())),
    };
    #[derive(Deserialize)]
    struct Line {
        id: String,
        #[serde(default)]
        expected: Option<Expected>,
        #[serde(default)]
        not_replayed: Option<String>,
    }
    let mut lines = text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty());
    let header: Value = match lines.next() {
        Some((_, l)) => {
            serde_json::from_str(l).map_err(|e| format!("{}:1: {e}", path.display()))?
        }
        None => return Err(format!("{}: empty", path.display())),
    };
    if header.get("containers_image").is_none() {
        return Err(format!(
            "{}:1: the first line must describe the recording (containers_image, …)",
            path.display()
        ));
    }
    let mut cases = BTreeMap::new();
    for (n, l) in lines {
        let at = || format!("{}:{}", path.display(), n + 1);
        let line: Line = serde_json::from_str(l).map_err(|e| format!("{}: {e}", at()))?;
        let value = match (line.expected, line.not_replayed) {
            (Some(e), None) => Ok(e),
            (None, Some(why)) => Err(why),
            _ => {
                return Err(format!(
                    "{}: exactly one of `expected` and `not_replayed`",
                    at()
                ));
            }
        };
        if cases.insert(line.id.clone(), value).is_some() {
            return Err(format!("{}: duplicate case id {:?}", at(), line.id));
        }
    }
    Ok(Some(CurrentExpectations { header, cases }))
}

/// `VERSIONS.json`: the recorded tools' versions.
pub fn read_versions(fixtures: &Path) -> Result<Value, String> {
    let path = fixtures.join("VERSIONS.json");
    let text = fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
}

/// Private copies of the fixtures' registries.d directories with [`FIXTURES_PLACEHOLDER`] replaced by the
/// absolute fixtures path, made once per directory. Send + Sync.
#[derive(Debug)]
pub struct RegistriesDCopies {
    fixtures: PathBuf,
    tmp: tempfile::TempDir,
    made: Mutex<HashMap<String, Result<PathBuf, String>>>,
}

impl RegistriesDCopies {
    /// Copies will be made from `fixtures` into a new temporary directory.
    pub fn new(fixtures: &Path) -> Result<Self, String> {
        let fixtures = fixtures
            .canonicalize()
            .map_err(|e| format!("{}: {e}", fixtures.display()))?;
        let tmp = tempfile::Builder::new()
            .prefix("conformance-registries.d-")
            .tempdir()
            .map_err(|e| format!("temporary directory: {e}"))?;
        Ok(RegistriesDCopies {
            fixtures,
            tmp,
            made: Mutex::new(HashMap::new()),
        })
    }

    /// The absolute fixtures path substituted for [`FIXTURES_PLACEHOLDER`].
    pub fn fixtures(&self) -> &Path {
        &self.fixtures
    }

    /// The substituted copy of `rel` (a registries.d directory relative to the fixtures).
    pub fn get(&self, rel: &str) -> Result<PathBuf, String> {
        let mut made = self.made.lock().expect("no panics while holding the lock");
        if let Some(r) = made.get(rel) {
            return r.clone();
        }
        let dst = self.tmp.path().join(format!("{}", made.len()));
        let r = self
            .copy_substituted(&self.fixtures.join(rel), &dst)
            .map(|()| dst);
        made.insert(rel.to_owned(), r.clone());
        r
    }

    /// Where the copy of `rel` would be, if made (for mapping messages back to fixture paths).
    pub fn temp_root(&self) -> &Path {
        self.tmp.path()
    }

    fn copy_substituted(&self, src: &Path, dst: &Path) -> Result<(), String> {
        fs::create_dir_all(dst).map_err(|e| format!("{}: {e}", dst.display()))?;
        let entries = fs::read_dir(src).map_err(|e| format!("{}: {e}", src.display()))?;
        let fixtures = self.fixtures.to_str().ok_or("fixtures path is not UTF-8")?;
        for entry in entries {
            let entry = entry.map_err(|e| format!("{}: {e}", src.display()))?;
            let from = entry.path();
            let to = dst.join(entry.file_name());
            let kind = entry
                .file_type()
                .map_err(|e| format!("{}: {e}", from.display()))?;
            if kind.is_dir() {
                self.copy_substituted(&from, &to)?;
            } else {
                let bytes = fs::read(&from).map_err(|e| format!("{}: {e}", from.display()))?;
                let bytes = match String::from_utf8(bytes) {
                    Ok(text) => text.replace(FIXTURES_PLACEHOLDER, fixtures).into_bytes(),
                    Err(e) => e.into_bytes(),
                };
                fs::write(&to, bytes).map_err(|e| format!("{}: {e}", to.display()))?;
            }
        }
        Ok(())
    }
}

/// The image in `dir` (the `dir:` layout: `manifest.json`, `signature-1`, …) evaluated as `reference`.
pub fn dir_image(dir: &Path, reference: &str) -> Result<UnparsedImage, String> {
    let reference = ImageReference::parse(reference).map_err(|e| format!("reference: {e}"))?;
    Ok(UnparsedImage::from_dir(dir, reference))
}

/// An image read as skopeo reads a registry image's signatures, see [`lookaside_image`].
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct LookasideRead {
    /// The image: the manifest from the `dir:` layout, the signatures from the lookaside store (a read
    /// failure kept inside, for the policy to report).
    pub image: UnparsedImage,
    /// The raw signature blobs the store holds (`SignatureReader::read_signature_blobs`), or the read
    /// error's text: for checking the `dir:` layout against the store.
    pub blobs: Result<Vec<Vec<u8>>, String>,
    /// The lookaside base URL read (with the repository path).
    pub base_url: String,
}

/// The image evaluated as `reference` with the manifest from `dir/manifest.json` and the signatures read
/// as skopeo reads them for a registry image: through `registries_d` (`RegistriesD::load_dir` →
/// `storage_base_url` of the physical reference (after `registries_conf`'s rewriting) →
/// `SignatureReader::read_signatures` of the manifest's digest). A configuration that fails to load or to
/// give a URL is [`LookasideError::Config`], as it fails image source creation upstream; a failure to
/// read signatures is kept in the image, as the policy reports it.
pub fn lookaside_image(
    dir: &Path,
    reference: &str,
    registries_d: &Path,
    registries_conf: Option<&RegistriesConf>,
    reader: &SignatureReader,
    env: &Environment,
) -> Result<LookasideRead, LookasideError> {
    let parsed = ImageReference::parse(reference)
        .map_err(|e| LookasideError::Setup(format!("reference: {e}")))?;
    let docker = parsed
        .docker_reference()
        .filter(|_| parsed.transport_name() == "docker")
        .ok_or_else(|| LookasideError::Setup(format!("{reference} is not a docker:// reference")))?
        .clone();
    let manifest_path = dir.join("manifest.json");
    let manifest = fs::read(&manifest_path)
        .map_err(|e| LookasideError::Setup(format!("{}: {e}", manifest_path.display())))?;
    let digest = manifest::manifest_digest(&manifest)
        .map_err(|e| LookasideError::Setup(format!("digest of {}: {e}", dir.display())))?;
    // skopeo reads signatures from the lookaside of the location it pulled from (the physical reference,
    // after the registries.conf rewriting), not of the name it was given.
    let docker = match registries_conf {
        Some(conf) => physical_reference(conf, &docker).map_err(LookasideError::Setup)?,
        None => docker,
    };
    let config =
        RegistriesD::load_dir(registries_d).map_err(|e| LookasideError::Config(e.to_string()))?;
    let base = config
        .storage_base_url(&docker, false, env)
        .map_err(|e| LookasideError::Config(e.to_string()))?;
    let signatures = reader
        .read_signatures(&base, &digest)
        .map_err(remote::into_policy_error);
    let blobs = reader
        .read_signature_blobs(&base, &digest)
        .map_err(|e| e.to_string());
    Ok(LookasideRead {
        image: UnparsedImage::with_results(parsed, Ok(manifest), signatures),
        blobs,
        base_url: base.to_string(),
    })
}

/// The creation time of the (first) OpenPGP signature in `blob`, looking into compressed data.
pub fn signature_creation_time(blob: &[u8]) -> Option<std::time::SystemTime> {
    use sequoia_openpgp::{Packet, PacketPile, parse::Parse};
    let pile = PacketPile::from_bytes(blob).ok()?;
    pile.descendants().find_map(|p| match p {
        Packet::Signature(s) => s.signature_creation_time(),
        _ => None,
    })
}

/// The signature blobs of a `dir:` layout: `signature-1`, `signature-2`, … up to the first missing one.
pub fn dir_signature_blobs(dir: &Path) -> Result<Vec<Vec<u8>>, String> {
    let mut out = Vec::new();
    for n in 1.. {
        let path = dir.join(format!("signature-{n}"));
        match fs::read(&path) {
            Ok(b) => out.push(b),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => break,
            Err(e) => return Err(format!("{}: {e}", path.display())),
        }
    }
    Ok(out)
}

/// The `[[registry]]` `prefix` → `location` rewrites of a registries.conf (the subset the fixtures use:
/// no mirrors, no wildcards), which decide where skopeo pulled an image from and so whose lookaside it read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct RegistriesConf {
    /// `(prefix, location)`; a `[[registry]]` without `prefix` has its location as prefix.
    pub rewrites: Vec<(String, String)>,
}

impl RegistriesConf {
    /// Parses the subset: `[[registry]]` tables with `prefix = "…"` / `location = "…"`; other keys of
    /// those tables (`insecure`, `blocked`) and top-level keys are ignored; any other table is an error.
    pub fn parse(text: &str) -> Result<Self, String> {
        type Entry = (Option<String>, Option<String>);
        let mut rewrites = Vec::new();
        let mut current: Option<Entry> = None;
        let mut finish = |entry: Option<Entry>| -> Result<(), String> {
            if let Some((prefix, location)) = entry {
                let location = location.ok_or("a [[registry]] without location")?;
                rewrites.push((prefix.unwrap_or_else(|| location.clone()), location));
            }
            Ok(())
        };
        for line in text.lines() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            if line == "[[registry]]" {
                finish(current.take())?;
                current = Some((None, None));
                continue;
            }
            if line.starts_with('[') {
                return Err(format!("unsupported registries.conf table {line}"));
            }
            let Some((key, value)) = line.split_once('=') else {
                return Err(format!("unsupported registries.conf line {line}"));
            };
            let (key, value) = (key.trim(), value.trim());
            if let Some(entry) = current.as_mut() {
                let unquoted = || {
                    serde_json::from_str::<String>(value)
                        .map_err(|e| format!("registries.conf value {value}: {e}"))
                };
                match key {
                    "prefix" => entry.0 = Some(unquoted()?),
                    "location" => entry.1 = Some(unquoted()?),
                    _ => {}
                }
            }
        }
        finish(current.take())?;
        Ok(RegistriesConf { rewrites })
    }
}

/// Where skopeo pulls `reference` from under `conf` (sysregistriesv2 `FindRegistry` +
/// `PullSourcesFromReference`, without mirrors): the longest prefix matching the whole reference text, or a
/// part of it ending before `/`, `:` or `@`, is replaced by its location.
pub fn physical_reference(
    conf: &RegistriesConf,
    reference: &DockerReference,
) -> Result<DockerReference, String> {
    let text = reference.to_string();
    let best = conf
        .rewrites
        .iter()
        .filter(|(prefix, _)| {
            text == *prefix
                || (text.starts_with(prefix.as_str())
                    && matches!(text.as_bytes().get(prefix.len()), Some(b'/' | b':' | b'@')))
        })
        .max_by_key(|(prefix, _)| prefix.len());
    match best {
        None => Ok(reference.clone()),
        Some((prefix, location)) => {
            let rewritten = format!("{location}{}", &text[prefix.len()..]);
            DockerReference::parse_normalized(&rewritten)
                .map_err(|e| format!("rewritten reference {rewritten}: {e}"))
        }
    }
}

/// Why [`lookaside_image`] produced no image.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum LookasideError {
    /// The registries.d configuration failed (what the tool reports instead of a verdict).
    Config(String),
    /// The case itself cannot be replayed this way (a fixture problem).
    Setup(String),
}

pub mod upstream {
    //! Replays containers/image's own test verdicts (`../shared/upstream-fixtures/expected-verdicts.jsonl`)
    //! through the public API: the policy, signature, key, digest and parsing cases (as
    //! `policy/tests/upstream.rs` does) and the registries.d cases (as
    //! `sigstore-lookaside/tests/upstream_registries_d.rs` does). Copied here, not shared, because it is
    //! test support of another leaf.

    use std::{
        collections::BTreeMap,
        fs,
        path::{Path, PathBuf},
        time::SystemTime,
    };

    use containers_policy::{
        DockerReference, ErrorKind, ImageReference, Options, Policy, PolicyContext,
        SignatureVerdict, UnparsedImage, manifest,
        openpgp::{self, Keyring},
        simple,
    };
    use serde_json::Value;
    use sigstore_lookaside::{Environment, LookasideUrl, RegistriesD};

    /// Where the corpus lives: `$CONTAINERS_POLICY_UPSTREAM_FIXTURES`, else `../shared/upstream-fixtures`
    /// beside the workspace.
    pub fn source() -> PathBuf {
        if let Some(p) = std::env::var_os("CONTAINERS_POLICY_UPSTREAM_FIXTURES") {
            return PathBuf::from(p);
        }
        super::workspace_root().join("../shared/upstream-fixtures")
    }

    /// Per-kind outcome of the replay.
    #[derive(Debug, Clone, Default, PartialEq, Eq)]
    #[non_exhaustive]
    pub struct Tally {
        /// Cases of this kind.
        pub cases: usize,
        /// Cases replayed with the expected outcome.
        pub passed: usize,
        /// Cases this SDK does not cover yet (sigstoreSigned verification); never counted as passed.
        pub not_covered: usize,
    }

    /// The whole replay.
    #[derive(Debug, Clone, Default)]
    #[non_exhaustive]
    pub struct Report {
        /// kind → tally.
        pub kinds: BTreeMap<String, Tally>,
        /// `case: reason` for every disagreement.
        pub failures: Vec<String>,
    }

    impl Report {
        /// The sum over all kinds.
        pub fn total(&self) -> Tally {
            let mut t = Tally::default();
            for k in self.kinds.values() {
                t.cases += k.cases;
                t.passed += k.passed;
                t.not_covered += k.not_covered;
            }
            t
        }
    }

    /// Replays the corpus at `source`; `None` when it is absent.
    pub fn run(source: &Path) -> Option<Report> {
        if !source.join("expected-verdicts.jsonl").is_file() {
            return None;
        }
        let tmp = tempfile::Builder::new()
            .prefix("conformance-upstream-")
            .tempdir()
            .expect("temporary directory");
        let root = tmp.path();
        copy_tree(source, source, root);
        let text = fs::read_to_string(root.join("expected-verdicts.jsonl"))
            .expect("expected-verdicts.jsonl is readable");
        let mut report = Report::default();
        for (n, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let case: Value = match serde_json::from_str(line) {
                Ok(c) => c,
                Err(e) => {
                    report
                        .failures
                        .push(format!("expected-verdicts.jsonl:{}: {e}", n + 1));
                    continue;
                }
            };
            let kind = case["kind"].as_str().unwrap_or_default().to_owned();
            let name = case["case"].as_str().unwrap_or_default().to_owned();
            let result = if kind == "registries.d" {
                run_registries_d(&case, root).map(|()| true)
            } else {
                Run { root }.run_case(&case)
            };
            let tally = report.kinds.entry(kind).or_default();
            tally.cases += 1;
            match result {
                Ok(true) => tally.passed += 1,
                Ok(false) => tally.not_covered += 1,
                Err(e) => report.failures.push(format!("{name}: {e}")),
            }
        }
        Some(report)
    }

    /// Copies the corpus with upstream's symlinks materialized (some copies store them as small text
    /// files holding the relative target, `../image.manifest.json`).
    fn copy_tree(root: &Path, dir: &Path, dst: &Path) {
        fs::create_dir_all(dst).expect("mkdir");
        for entry in fs::read_dir(dir).expect("read_dir") {
            let entry = entry.expect("entry");
            let path = entry.path();
            let target = dst.join(entry.file_name());
            if path.is_dir() {
                copy_tree(root, &path, &target);
            } else if let Some(resolved) = resolve(root, &path) {
                fs::write(&target, fs::read(resolved).expect("read link target")).expect("write");
            } else {
                // Dangling upstream link (its target was not copied): left out, as a missing file.
            }
        }
    }

    /// Follows real and textual links until a regular file with content is reached.
    fn resolve(root: &Path, path: &Path) -> Option<PathBuf> {
        let mut path = path.to_path_buf();
        for _ in 0..8 {
            let meta = fs::metadata(&path).ok()?;
            if meta.len() > 0 && meta.len() < 200 {
                let text = fs::read(&path).ok()?;
                if let Ok(text) = std::str::from_utf8(&text) {
                    let t = text.trim_end_matches('\n');
                    if (t.starts_with("../")
                        || (!t.contains(' ') && t.contains('/') && !t.starts_with('{')))
                        && !t.contains('\n')
                    {
                        let candidate = path.parent()?.join(t);
                        if candidate.exists() && candidate.starts_with(root) {
                            path = candidate;
                            continue;
                        }
                    }
                }
            }
            return Some(path);
        }
        None
    }

    fn to_json(v: &impl serde::Serialize) -> Result<Value, String> {
        serde_json::to_value(v).map_err(|e| e.to_string())
    }

    fn error_kind(error_type: &str) -> Option<ErrorKind> {
        match error_type {
            "PolicyRequirementError" => Some(ErrorKind::PolicyRequirement),
            "InvalidSignatureError" => Some(ErrorKind::InvalidSignature),
            "InvalidPolicyFormatError" => Some(ErrorKind::InvalidPolicy),
            _ => None,
        }
    }

    struct Run<'a> {
        root: &'a Path,
    }

    impl Run<'_> {
        fn path(&self, rel: &str) -> PathBuf {
            self.root.join(rel)
        }

        fn bytes(&self, v: &Value) -> Result<Vec<u8>, String> {
            match v {
                Value::String(p) => fs::read(self.path(p)).map_err(|e| format!("{p}: {e}")),
                Value::Object(o) if o.contains_key("literal") => Ok(o["literal"]
                    .as_str()
                    .ok_or("literal is not a string")?
                    .as_bytes()
                    .to_vec()),
                Value::Object(o) if o.contains_key("concat") => {
                    let mut out = Vec::new();
                    for p in o["concat"].as_array().ok_or("concat is not a list")? {
                        out.extend(self.bytes(p)?);
                    }
                    Ok(out)
                }
                other => Err(format!("unexpected blob spec {other}")),
            }
        }

        fn signature_blob(&self, case: &Value) -> Result<Option<Vec<u8>>, String> {
            if let Some(p) = case.get("signature").and_then(Value::as_str) {
                return self.bytes(&Value::String(p.into())).map(Some);
            }
            Ok(case
                .get("signature_bytes")
                .and_then(Value::as_str)
                .map(|s| s.as_bytes().to_vec()))
        }

        fn image(&self, case: &Value) -> Result<UnparsedImage, String> {
            let reference = case
                .get("reference")
                .and_then(Value::as_str)
                .unwrap_or("testing/manifest:latest");
            let reference = ImageReference::parse(&format!("docker://{reference}"))
                .map_err(|e| format!("reference: {e}"))?;
            if case["case"]
                .as_str()
                .is_some_and(|c| c.ends_with("signature-read-error"))
            {
                // Upstream: manifest.json `{}` and a signature-1 that is a symlink to itself (ELOOP).
                let dir = self.root.join("runner-signature-read-error");
                if !dir.is_dir() {
                    fs::create_dir(&dir).map_err(|e| e.to_string())?;
                    fs::write(dir.join("manifest.json"), b"{}").map_err(|e| e.to_string())?;
                    std::os::unix::fs::symlink("signature-1", dir.join("signature-1"))
                        .map_err(|e| e.to_string())?;
                }
                return Ok(UnparsedImage::from_dir(dir, reference));
            }
            let dir = case
                .get("image_dir")
                .and_then(Value::as_str)
                .unwrap_or("signature/fixtures/dir-img-valid");
            Ok(UnparsedImage::from_dir(self.path(dir), reference))
        }

        fn context(
            &self,
            policy_json: &Value,
            case: &Value,
        ) -> Result<PolicyContext, containers_policy::Error> {
            // Empty requirement lists cannot be written in policy.json (the parser refuses them);
            // upstream builds such policies in code, and so do we.
            let mut json = policy_json.clone();
            let mut empty = Vec::new();
            if let Some(transports) = json.get_mut("transports").and_then(Value::as_object_mut) {
                for (t, scopes) in transports.iter_mut() {
                    if let Some(scopes) = scopes.as_object_mut() {
                        scopes.retain(|s, reqs| {
                            let is_empty = reqs.as_array().is_some_and(Vec::is_empty);
                            if is_empty {
                                empty.push((t.clone(), s.clone()));
                            }
                            !is_empty
                        });
                    }
                }
            }
            let mut policy = Policy::from_slice(json.to_string().as_bytes())?;
            for (t, s) in empty {
                policy
                    .transports
                    .entry(t)
                    .or_default()
                    .insert(s, Vec::new());
            }
            let mut options = Options::default().with_base_dir(self.root);
            if let Some(on) = case
                .pointer("/options/require_signature_verification")
                .and_then(Value::as_bool)
            {
                options = options.with_require_signature_verification(on);
            }
            Ok(PolicyContext::with_options(policy, options))
        }

        /// Checks an outcome against `expected`, `error_contains` and `error_type`.
        fn check_result(
            &self,
            case: &Value,
            ok: bool,
            err: Option<&containers_policy::Error>,
        ) -> Result<bool, String> {
            let expected = case["expected"].as_str().unwrap_or_default();
            let want_ok = matches!(
                expected,
                "accepted" | "verified" | "parsed" | "match" | "digest"
            );
            if ok != want_ok {
                return Err(format!(
                    "expected {expected}, got {}",
                    err.map_or("success".to_owned(), ToString::to_string)
                ));
            }
            if let Some(e) = err {
                if let Some(needle) = case.get("error_contains").and_then(Value::as_str) {
                    if !e.to_string().contains(needle) {
                        return Err(format!(
                            "error {:?} does not contain {needle:?}",
                            e.to_string()
                        ));
                    }
                }
                if let Some(kind) = case
                    .get("error_type")
                    .and_then(Value::as_str)
                    .and_then(error_kind)
                {
                    if e.kind() != kind {
                        return Err(format!(
                            "error {:?} is {:?}, expected {kind:?}",
                            e.to_string(),
                            e.kind()
                        ));
                    }
                }
            }
            Ok(true)
        }

        fn keyring(&self, case: &Value) -> Result<Keyring, String> {
            let mut blobs = Vec::new();
            for k in case["keyring"].as_array().ok_or("no keyring")? {
                blobs.push(self.bytes(k)?);
            }
            Ok(Keyring::from_blobs(blobs.iter().map(Vec::as_slice)))
        }

        /// `Ok(true)`: as expected; `Ok(false)`: not covered by this SDK yet; `Err`: a disagreement.
        fn run_case(&self, case: &Value) -> Result<bool, String> {
            let kind = case["kind"].as_str().unwrap_or_default();
            let level = case["level"].as_str().unwrap_or_default();
            let now = SystemTime::now();
            match (kind, level) {
                ("signedBy" | "policy", "signature" | "image") => {
                    let policy = serde_json::json!({"default": [case["requirement"].clone()]});
                    let ctx = match self.context(&policy, case) {
                        Ok(c) => c,
                        // Several/no key sources cannot even be expressed: the parser refuses them.
                        Err(e) if case["expected"] == "rejected" => {
                            return self.check_result(case, false, Some(&e));
                        }
                        Err(e) => return Err(format!("policy did not parse: {e}")),
                    };
                    let image = self.image(case)?;
                    if level == "image" {
                        let d = ctx.evaluate(&image);
                        return self.check_result(case, d.allowed(), d.result.as_ref().err());
                    }
                    let blob = match self.signature_blob(case)? {
                        Some(b) => b,
                        None => self.bytes(&Value::String(
                            "signature/fixtures/dir-img-valid/signature-1".into(),
                        ))?,
                    };
                    let verdicts = ctx.signature_verdicts(&image, &blob);
                    let Some((_, verdict)) = verdicts.first() else {
                        return Err("no verdict".into());
                    };
                    match (verdict, case["expected"].as_str()) {
                        (SignatureVerdict::Unknown, Some("unknown")) => Ok(true),
                        (SignatureVerdict::Unknown, _) => Err("got unknown".into()),
                        (SignatureVerdict::Accepted(a), _) => {
                            if let Some(p) = case.get("parsed_signature") {
                                if p["docker-reference"] != a.docker_reference.as_str()
                                    || p["docker-manifest-digest"]
                                        != a.docker_manifest_digest.as_str()
                                {
                                    return Err(format!("accepted with wrong claims {a:?}"));
                                }
                            }
                            self.check_result(case, true, None)
                        }
                        (SignatureVerdict::Rejected(e), _) => {
                            self.check_result(case, false, Some(e))
                        }
                        (_, _) => Err("unexpected verdict".into()),
                    }
                }
                ("policy", "policy") => {
                    let ctx = self
                        .context(&case["policy"], case)
                        .map_err(|e| e.to_string())?;
                    let d = ctx.evaluate(&self.image(case)?);
                    self.check_result(case, d.allowed(), d.result.as_ref().err())
                }
                ("policy", "accepted-signatures") => {
                    let ctx = self
                        .context(&case["policy"], case)
                        .map_err(|e| e.to_string())?;
                    let sigs = match ctx.signatures_with_accepted_author(&self.image(case)?) {
                        Err(_) if case["expected"] == "error" => return Ok(true),
                        r => r.map_err(|e| e.to_string())?,
                    };
                    let claims = |d: &Value, r: &Value| serde_json::json!({"docker-manifest-digest": d, "docker-reference": r});
                    let got: Vec<Value> = sigs
                        .iter()
                        .map(|s| {
                            claims(
                                &s.docker_manifest_digest.as_str().into(),
                                &s.docker_reference.as_str().into(),
                            )
                        })
                        .collect();
                    let want: Vec<Value> = case["accepted_signatures"]
                        .as_array()
                        .ok_or("no accepted_signatures")?
                        .iter()
                        .map(|w| claims(&w["docker-manifest-digest"], &w["docker-reference"]))
                        .collect();
                    if got == want {
                        Ok(true)
                    } else {
                        Err(format!("accepted {got:?}, want {want:?}"))
                    }
                }
                ("policy-parse", _) => {
                    let r = match case["case"].as_str() {
                        Some("parse.fixtures-policy.json") => {
                            let parsed =
                                Policy::from_path(self.path("signature/fixtures/policy.json"));
                            let want = Policy::from_slice(case["policy"].to_string().as_bytes())
                                .map_err(|e| e.to_string())?;
                            match parsed {
                                Ok(p) if p == want => Ok(()),
                                Ok(p) => return Err(format!("parsed to {p:?}")),
                                Err(e) => Err(e),
                            }
                        }
                        Some("parse.empty-bytes") => Policy::from_slice(b"").map(drop),
                        Some("parse.dev-null") => Policy::from_path("/dev/null").map(drop),
                        Some("parse.missing-file") => {
                            Policy::from_path("/this/does/not/exist").map(drop)
                        }
                        _ => return Ok(false),
                    };
                    self.check_result(case, r.is_ok(), r.as_ref().err())
                }
                ("mechanism", _) | ("keyring", _) => {
                    let keyring = self.keyring(case)?;
                    if kind == "keyring" {
                        let want: Vec<&str> = case["key_identities"]
                            .as_array()
                            .ok_or("no key_identities")?
                            .iter()
                            .filter_map(Value::as_str)
                            .collect();
                        let got: Vec<&str> =
                            keyring.fingerprints().iter().map(String::as_str).collect();
                        return if got == want {
                            Ok(true)
                        } else {
                            Err(format!("imported {got:?}, want {want:?}"))
                        };
                    }
                    let blob = self.signature_blob(case)?.ok_or("no signature")?;
                    match openpgp::verify(&keyring, &blob, now) {
                        Ok(v) => {
                            if let Some(signer) = case.get("signer").and_then(Value::as_str) {
                                if v.primary_fingerprint != signer {
                                    return Err(format!(
                                        "signer {} want {signer}",
                                        v.primary_fingerprint
                                    ));
                                }
                            }
                            if let Some(content) = case.get("content").and_then(Value::as_str) {
                                if v.content != content.as_bytes() {
                                    return Err(format!(
                                        "content {:?}",
                                        String::from_utf8_lossy(&v.content)
                                    ));
                                }
                            }
                            self.check_result(case, true, None)
                        }
                        Err(e) => self.check_result(case, false, Some(&e)),
                    }
                }
                ("untrusted-contents", _) => {
                    let blob = self.signature_blob(case)?.ok_or("no signature")?;
                    let expected = case["expected"].as_str().unwrap_or_default();
                    match (openpgp::untrusted_contents(&blob), expected) {
                        (Err(_), "rejected") => Ok(true),
                        (Ok(c), "contents" | "parsed") => {
                            let u = &case["untrusted"];
                            if u["short_key_id"] != c.short_key_id.as_str() {
                                return Err(format!("key id {}", c.short_key_id));
                            }
                            if let Some(content) = u.get("content").and_then(Value::as_str) {
                                if c.content != content.as_bytes() {
                                    return Err("content differs".into());
                                }
                            }
                            if expected == "parsed" {
                                let p =
                                    containers_policy::payload::SimpleSigningPayload::from_slice(
                                        &c.content,
                                    )
                                    .map_err(|e| e.to_string())?;
                                if u["docker-reference"] != p.docker_reference.as_str()
                                    || u["docker-manifest-digest"]
                                        != p.docker_manifest_digest.as_str()
                                    || u["creator"] != to_json(&p.creator)?
                                    || u["timestamp"] != to_json(&p.timestamp)?
                                {
                                    return Err(format!("parsed {p:?}"));
                                }
                            }
                            Ok(true)
                        }
                        (Ok(c), "rejected") => {
                            // Reading the literal data is possible, but the payload must not parse.
                            match containers_policy::payload::SimpleSigningPayload::from_slice(
                                &c.content,
                            ) {
                                Err(_) => Ok(true),
                                Ok(p) => Err(format!("parsed {p:?}")),
                            }
                        }
                        (r, e) => Err(format!("got {r:?}, expected {e}")),
                    }
                }
                ("verify-docker-manifest", _) => {
                    let keyring = self.keyring(case)?;
                    let accepted: Vec<String> = case["accepted_key_identities"]
                        .as_array()
                        .ok_or("no accepted_key_identities")?
                        .iter()
                        .filter_map(|v| v.as_str().map(str::to_owned))
                        .collect();
                    let r = simple::verify_docker_manifest_signature(
                        &self.signature_blob(case)?.ok_or("no signature")?,
                        &self.bytes(&case["manifest"])?,
                        case["reference"].as_str().ok_or("no reference")?,
                        &keyring,
                        &accepted,
                        now,
                    );
                    if let (Ok(v), Some(signer)) = (&r, case.get("signer").and_then(Value::as_str))
                    {
                        if v.signer != signer {
                            return Err(format!("signer {}", v.signer));
                        }
                    }
                    self.check_result(case, r.is_ok(), r.as_ref().err())
                }
                ("digest", "manifest") => {
                    let m = self.bytes(&case["manifest"])?;
                    match (manifest::manifest_digest(&m), case["expected"].as_str()) {
                        (Ok(d), Some("digest")) if d.as_str() == case["digest"] => Ok(true),
                        (Err(_), Some("error")) => Ok(true),
                        (r, e) => Err(format!("got {r:?}, expected {e:?}")),
                    }
                }
                ("digest", "matches-digest") => {
                    let m = self.bytes(&case["manifest"])?;
                    let digest = case["digest"].as_str().ok_or("no digest")?;
                    match (
                        manifest::matches_digest(&m, digest),
                        case["expected"].as_str(),
                    ) {
                        (Ok(true), Some("match"))
                        | (Ok(false), Some("no-match"))
                        | (Err(_), Some("error")) => Ok(true),
                        (r, e) => Err(format!("got {r:?}, expected {e:?}")),
                    }
                }
                ("sigstoreSigned", "image" | "signature") => {
                    // Not implemented yet: must never accept.
                    let policy = serde_json::json!({"default": [case["requirement"].clone()]});
                    let Ok(ctx) = self.context(&policy, case) else {
                        return Ok(false);
                    };
                    if ctx.evaluate(&self.image(case)?).allowed() {
                        return Err(
                            "sigstoreSigned accepted an image before its verification exists"
                                .into(),
                        );
                    }
                    Ok(case["expected"] == "rejected" && level == "image")
                }
                _ => Ok(false),
            }
        }
    }

    const HOME: &str = "/home/upstream-test-user";

    fn str_field<'a>(case: &'a Value, key: &str) -> Result<&'a str, String> {
        case.get(key)
            .and_then(Value::as_str)
            .ok_or_else(|| format!("no {key}"))
    }

    fn inline(config: &Value) -> Result<RegistriesD, String> {
        // JSON is YAML: the inline configuration goes through the same parser as files do.
        RegistriesD::from_yaml_files(&[("inline", config.to_string())])
            .map_err(|e| format!("inline config: {e}"))
    }

    fn docker_ref(s: &str) -> Result<DockerReference, String> {
        DockerReference::parse_normalized(s).map_err(|e| format!("reference {s}: {e}"))
    }

    fn run_registries_d(case: &Value, root: &Path) -> Result<(), String> {
        let level = str_field(case, "level")?;
        let expected = str_field(case, "expected")?;
        match level {
            "load" => {
                let dir = root.join(str_field(case, "registries_d")?);
                let got = RegistriesD::load_dir(&dir).map_err(|e| format!("load failed: {e}"))?;
                let want = inline(&case["registries_d_inline"])?;
                (expected == "parsed" && got == want)
                    .then_some(())
                    .ok_or_else(|| format!("got {got:#?}\nwant {want:#?}"))
            }
            "namespace" => {
                let wrapped = serde_json::json!({ "default-docker": case["registries_d_inline"] });
                let section = inline(&wrapped)?.default_docker.unwrap_or_default();
                check_values(case, |write| {
                    Ok(section.signature_top_level(write).unwrap_or("").to_owned())
                })
            }
            "top-level" => {
                let config = inline(&case["registries_d_inline"])?;
                let reference = docker_ref(str_field(case, "reference")?)?;
                check_values(case, |write| {
                    config
                        .signature_top_level(&reference, write)
                        .map(|v| v.unwrap_or("").to_owned())
                        .map_err(|e| e.to_string())
                })
            }
            "base-url" => {
                let empty = tempfile::tempdir().map_err(|e| e.to_string())?;
                let dir = match str_field(case, "registries_d")? {
                    "<empty directory>" => empty.path().to_path_buf(),
                    p if p.starts_with('/') => p.into(),
                    p => root.join(p),
                };
                let reference = docker_ref(str_field(case, "reference")?)?;
                let env = Environment::with_home(HOME, 1000);
                let result = RegistriesD::load_dir(&dir).and_then(|c| {
                    let read = c.storage_base_url(&reference, false, &env)?;
                    let write = c.storage_base_url(&reference, true, &env)?;
                    let root_env = Environment::with_home("/root", 0);
                    let root_read = c.storage_base_url(&reference, false, &root_env)?;
                    Ok((read.to_string(), write.to_string(), root_read.to_string()))
                });
                match (expected, result) {
                    ("error", Err(e)) => check_error(case, &e.to_string()),
                    ("error", Ok(v)) => Err(format!("expected an error, got {v:?}")),
                    ("url", Ok((read, write, root_read))) => {
                        let want_read = case
                            .get("read_url")
                            .and_then(Value::as_str)
                            .map(|u| u.replace("$HOME", HOME));
                        if let Some(want) = &want_read {
                            if &read != want {
                                return Err(format!("read URL {read}, want {want}"));
                            }
                            let home_store = format!("{HOME}/.local/share/containers/sigstore");
                            if want.starts_with(&format!("file://{home_store}/")) {
                                let want_root =
                                    want.replace(&home_store, "/var/lib/containers/sigstore");
                                if root_read != want_root {
                                    return Err(format!(
                                        "root read URL {root_read}, want {want_root}"
                                    ));
                                }
                            }
                        }
                        match case.get("write_url").and_then(Value::as_str) {
                            Some(want) if write != want => {
                                Err(format!("write URL {write}, want {want}"))
                            }
                            _ => Ok(()),
                        }
                    }
                    (_, r) => Err(format!("unexpected result {r:?}")),
                }
            }
            "signature-url" => {
                // 0-based upstream.
                let index = case["index"]
                    .as_u64()
                    .and_then(|i| usize::try_from(i).ok())
                    .ok_or("no index")?
                    + 1;
                let digest = str_field(case, "digest")?;
                let result = LookasideUrl::parse(str_field(case, "base_url")?)
                    .and_then(|b| b.signature_url_for(digest, index));
                match (expected, result) {
                    ("url", Ok(u)) => {
                        let want = str_field(case, "url")?;
                        (u.to_string() == want)
                            .then_some(())
                            .ok_or_else(|| format!("got {u}, want {want}"))
                    }
                    ("error", Err(e)) => check_error(case, &e.to_string()),
                    (_, r) => Err(format!("unexpected result {r:?}")),
                }
            }
            other => Err(format!("unknown level {other}")),
        }
    }

    /// Compares `read_url` / `write_url` (whichever the case has) with `get(write)`.
    fn check_values(
        case: &Value,
        get: impl Fn(bool) -> Result<String, String>,
    ) -> Result<(), String> {
        let mut checked = 0;
        for (key, write) in [("read_url", false), ("write_url", true)] {
            if let Some(want) = case.get(key).and_then(Value::as_str) {
                checked += 1;
                let got = get(write)?;
                if got != want {
                    return Err(format!("{key}: got {got:?}, want {want:?}"));
                }
            }
        }
        (checked > 0)
            .then_some(())
            .ok_or_else(|| "case checks nothing".to_owned())
    }

    fn check_error(case: &Value, message: &str) -> Result<(), String> {
        match case.get("error_contains").and_then(Value::as_str) {
            Some(want) if !message.contains(want) => {
                Err(format!("error {message:?} does not contain {want:?}"))
            }
            _ => Ok(()),
        }
    }
}
