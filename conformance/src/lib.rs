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

#[path = "../../test-support/replay/policy.rs"]
mod replay_policy;
#[path = "../../test-support/replay/registries_d.rs"]
mod replay_registries_d;

pub mod upstream {
    //! Replays containers/image's own test verdicts (`../shared/upstream-fixtures/expected-verdicts.jsonl`)
    //! through the public API: the policy, signature, key, digest and parsing cases (as
    //! `policy/tests/upstream.rs` does) and the registries.d cases (as
    //! `sigstore-lookaside/tests/upstream_registries_d.rs` does), with the same replay code
    //! (`test-support/replay/`).

    use std::path::Path;

    use containers_policy_testsupport::upstream;
    pub use containers_policy_testsupport::upstream::{Report, Tally, source};

    /// Replays the corpus at `source` (a private copy, with upstream's symlinks materialized); `None` when
    /// it is absent.
    pub fn run(source: &Path) -> Option<Report> {
        if !upstream::present(source) {
            return None;
        }
        let tmp = tempfile::Builder::new()
            .prefix("conformance-upstream-")
            .tempdir()
            .expect("temporary directory");
        let root = tmp.path();
        upstream::materialize(source, root);
        Some(upstream::replay(
            root,
            |case| Some(case["kind"].as_str().unwrap_or_default().to_owned()),
            |case| {
                if case["kind"] == "registries.d" {
                    super::replay_registries_d::run_case(root, case).map(|()| true)
                } else {
                    super::replay_policy::run_case(root, case)
                }
            },
        ))
    }
}
