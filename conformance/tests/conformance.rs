//! The conformance runner (`cargo test -p conformance`): replays every case recorded from the real skopeo
//! and podman (`conformance/fixtures/cases.jsonl`, written by `conformance/generate/run`; another fixture
//! set with `CONFORMANCE_FIXTURES=DIR`) through
//!
//! 1. the Rust API: `Policy` + `PolicyContext` (keys resolved against the fixtures directory) on the image
//!    read from its `dir:` layout, and, for `docker://` cases with a registries.d, on the same image with
//!    its signatures read through the lookaside store that registries.d names (`RegistriesD::load_dir` of
//!    a copy with `@FIXTURES@` substituted → `storage_base_url` of the reference skopeo pulled from after
//!    the fixtures' registries.conf → `SignatureReader::read_signatures`); parsing cases through
//!    `Policy::from_slice`; standalone-verify cases through `simple::verify_docker_manifest_signature`;
//!    standalone-sign cases by verifying the signature skopeo made;
//! 2. the CLI: `containers-policy eval … --dir … --json`, `check … --json`, `verify` and (for recorded
//!    signing failures, with a throwaway key) `sign`, run with the fixtures directory as working directory
//!    (policies name keys relative to it, as when skopeo recorded them),
//!
//! and compares each verdict and message with the recorded one, exactly. Every disagreement is collected
//! and reported with the case id and all texts; the test fails at the end if there is any. It also replays
//! containers/image's own verdicts (`../shared/upstream-fixtures/expected-verdicts.jsonl`; skipped, saying
//! so, when absent), and writes `target/conformance-summary.json` for `conformance/REPORT.md`.
//!
//! **What is mapped before comparing, and why** (nothing else is):
//! * `@FIXTURES@` in a recorded message is the fixtures directory (the generator's scrubbing).
//! * `initializing source <reference>: ` before a recorded message is skopeo's wrapping of a failure to
//!   open the image source (registries.d, lookaside URL), like the `Source image rejected: ` the generator
//!   already removes.
//! * Checks that read the image's `dir:` layout name its signature files where they read them: a recorded
//!   message naming the file in the lookaside tree (skopeo read the store) or in the `dir:` path skopeo was
//!   given is compared with that location rewritten to the directory the check read; the Rust API gets a
//!   relative `dir:` reference as an absolute path (it does not run in the fixtures), and the recorded
//!   reference text is rewritten to it.
//! * The `dir:` layout cannot stand for a registries.d that fails to load or a lookaside store that
//!   cannot be read; in those cases the `dir:` checks are counted as not applicable and the lookaside
//!   check alone decides. Likewise the Rust API check of a case whose input file is missing (reading
//!   files is the caller's job; the CLI check covers it). When the store is read, the `dir:` layout must
//!   hold the same signatures (a fixture check).
//! * Recorded-versus-followed version differences, below.
//!
//! **The CLI binary.** A test cannot depend on another package's binary (`CARGO_BIN_EXE_*` exists only
//! inside the binary's own package), so the runner uses `$CONTAINERS_POLICY_CLI` when set, and otherwise
//! runs `cargo build -q -p containers-policy-cli` once (same profile and target directory as this test:
//! the directory above `deps/` holding this test executable) and uses `containers-policy` from there.
//! CLI invocations run in a small thread pool (twice the available parallelism, at most 16).
//!
//! **Recorded versus followed containers/image.** The recorded skopeo is 1.9.3 (containers/image 5.23);
//! the SDK follows v5.39+. A case whose outcome differs between the two in a known way carries
//! `"version_difference": "<id>"` (described in `fixtures/version-differences.json`);
//! [`VERSION_DIFFERENCES`] says for each id how the recorded outcome becomes the followed version's: a
//! text mapping, a rule over the case's inputs, or "not derivable" (the case is then compared with the
//! followed release's answer, and is pending while there is none). A marker naming an unknown id, or whose
//! mapping does not apply to the recorded text, is a failure; applied mappings are counted in the summary
//! (`version_differences`, and `version_differences_not_derivable`).
//!
//! **The followed release's answers.** `fixtures/expected-current.jsonl` (written by
//! `conformance/go/record-current`: containers/image at the release `conformance/go/go.mod` pins, GPGME
//! build, asked in-process what each recorded command decides) is the expectation of the not-derivable
//! cases (`expected_current` in a case takes precedence), and a cross-check of all the others: the
//! expectation derived from the recording must equal the release's answer, or the case fails (a wrong
//! mapping, or a version difference nobody marked). Counted in the summary's `current`.

use std::{
    collections::BTreeMap,
    fmt,
    path::{Path, PathBuf},
    process::Command,
    sync::{
        Mutex, OnceLock,
        atomic::{AtomicUsize, Ordering},
    },
    time::{Duration, Instant, SystemTime},
};

use conformance::{
    Case, CurrentExpectations, Expected, LookasideError, RegistriesConf, RegistriesDCopies,
    upstream,
};
use containers_policy::{
    Options, Policy, PolicyContext,
    error::go_quote,
    openpgp::{self, Keyring},
    payload::SimpleSigningPayload,
    simple,
};
use serde_json::{Value, json};
use sigstore_lookaside::{Environment, HttpOptions, fetch::SignatureReader};

/// Environment variable naming a prebuilt `containers-policy` binary.
const CLI_ENV: &str = "CONTAINERS_POLICY_CLI";

/// A documented difference between the recorded containers/image (5.23, in skopeo 1.9.3) and the version
/// the SDK follows (v5.39+); the ids are those of `fixtures/version-differences.json`.
struct VersionDifference {
    /// The id cases name in `version_difference`.
    id: &'static str,
    /// What changed (old → new).
    what: &'static str,
    /// How the recorded outcome becomes the followed version's.
    mapping: Mapping,
}

/// How a recorded outcome maps to the followed version's.
enum Mapping {
    /// Only the message changes: the recorded text → the current one (`None` when the recorded text does
    /// not show the difference: the marker is then wrong).
    Text(fn(&str) -> Option<String>),
    /// The verdict changes, by a rule applied to the case's inputs (`Err` when the rule does not apply).
    Derived(fn(&Runner, &Case) -> Result<Verdict, String>),
    /// The followed version's outcome cannot be derived from the recording: the case is compared with its
    /// `expected_current` (an expectation of the followed version recorded with it), and is reported as a
    /// failure while it has none.
    NotDerivable,
}

/// Every known difference. Text mappings rewrite only the documented fragment of the recorded text.
const VERSION_DIFFERENCES: &[VersionDifference] = &[
    VersionDifference {
        id: "identity-quoting-v5.31",
        what: "`Signature for identity %s is not accepted` (also inside `None of the signatures were \
               accepted, reasons: …`) quotes the identity with %q from v5.31",
        mapping: Mapping::Text(|old| requote(old, "Signature for identity ", " is not accepted")),
    },
    VersionDifference {
        id: "standalone-reference-quoting-v5.31",
        what: "standalone-verify: `Invalid docker reference %s in signature` and `Docker reference %s \
               does not match %s` quote the references with %q from v5.31",
        mapping: Mapping::Text(|old| {
            let a = requote(old, "Invalid docker reference ", " in signature");
            let b = requote_pair(
                a.as_deref().unwrap_or(old),
                "Docker reference ",
                " does not match ",
            );
            b.or(a)
        }),
    },
    VersionDifference {
        id: "reference-quoting-v5.31",
        what: "policy.json: `Invalid format of dockerReference %s: …`, `dockerReference %s contains \
               neither a tag nor digest` and `Invalid format of dockerRepository %s: …` quote the value \
               with %q from v5.31",
        mapping: Mapping::Text(|old| {
            let mut text = old.to_owned();
            let mut changed = false;
            for (prefix, suffix) in [
                ("Invalid format of dockerReference ", ": "),
                ("dockerReference ", " contains neither a tag nor digest"),
                ("Invalid format of dockerRepository ", ": "),
            ] {
                if let Some(t) = requote(&text, prefix, suffix) {
                    text = t;
                    changed = true;
                }
            }
            changed.then_some(text)
        }),
    },
    VersionDifference {
        id: "json-object-expected-v5.31",
        what: "`JSON object expected, got \"%s\"` becomes `got %#v` from v5.31: `\"%!s(<nil>)\"` → `<nil>`, \
               `\"%!s(float64=1)\"` → `1`, `\"%!s(bool=true)\"` → `true`, a delimiter `\"[\"` → its code \
               point `91`, a string `\"s\"` → Go-quoted `s`",
        mapping: Mapping::Text(json_object_expected),
    },
    VersionDifference {
        id: "json-key-quoting-v5.31",
        what: "`Unknown key \"%s\"` and the other key/type texts quote the value with %q from v5.31 \
               (differs when it holds `\"`, `\\` or unprintable characters)",
        mapping: Mapping::Text(json_key_quoting),
    },
    VersionDifference {
        id: "standalone-key-mismatch-v5.25",
        what: "standalone-verify by a known key other than the expected one: 5.23 `Signature by A does not \
               match expected fingerprint B` → v5.37+ with GPGME `signature by key A of A is not accepted` \
               (GPGME looks up the primary key of every signing key; A is a primary key here: signatures \
               by subkeys are marked subkey-signatures-v5.37)",
        mapping: Mapping::Text(|old| {
            let rest = old.strip_prefix("Signature by ")?;
            let (signer, _) = rest.split_once(" does not match expected fingerprint ")?;
            (!signer.contains(' '))
                .then(|| format!("signature by key {signer} of {signer} is not accepted"))
        }),
    },
    VersionDifference {
        id: "atomic-transport-not-built",
        what: "Debian's skopeo 1.9.3 lacks the atomic: transport and accepts any transports.atomic scope; \
               with it (v5.39) the first scope not matching `^[^/]*(/[^:/]*(/[^:/]*(:[^:/]*)?)?)?$` (in file \
               order) fails the parse as `Unknown key %q`",
        mapping: Mapping::Derived(atomic_scope_rejected),
    },
    VersionDifference {
        id: "subkey-signatures-v5.37",
        what: "a signature by a signing subkey: refused by key identity up to v5.36, checked as the \
               primary key's (digest, identity) from v5.37 — the recording stops before those checks",
        mapping: Mapping::NotDerivable,
    },
    VersionDifference {
        id: "sigstore-fields-v5.24",
        what: "sigstoreSigned fields and key-source rules added after 5.23 (fulcio, rekor*, keyPaths, \
               keyDatas, pki; `exactly one of …` wording; empty keyPath/keyData)",
        mapping: Mapping::NotDerivable,
    },
    VersionDifference {
        id: "registries-d-file-order-v5.42",
        what: "registries.d files: read in directory order (unsorted) up to v5.39, so `… defined both in %q \
               and %q` named b.yaml before a.yaml here; v5.42 reads them sorted by name, as the SDK does",
        mapping: Mapping::Text(sorted_file_pair),
    },
    VersionDifference {
        id: "registries-d-yaml-error-text",
        what: "the wording of a YAML syntax error: ghodss/yaml in 5.23 (`error converting YAML to JSON: yaml: \
               …`), yaml.v3 from v5.25 (`yaml: …`, as the SDK); all refuse the file with the same \
               `parsing <file>: ` prefix",
        mapping: Mapping::Text(yaml_v3_error),
    },
    VersionDifference {
        id: "registries-d-yaml-v5.25",
        what: "registries.d keys are case-sensitive from v5.25 (yaml.v3): `Lookaside:` is ignored and the \
               built-in default store is read instead",
        mapping: Mapping::NotDerivable,
    },
];

/// `… defined both in "<later>" and "<earlier>"` → the two file names in sorted order.
fn sorted_file_pair(old: &str) -> Option<String> {
    let (head, rest) = old.split_once(" defined both in \"")?;
    let (first, second) = rest.strip_suffix('"')?.split_once("\" and \"")?;
    (first > second).then(|| format!("{head} defined both in \"{second}\" and \"{first}\""))
}

/// ghodss/yaml's `error converting YAML to JSON: yaml: …` → yaml.v3's `yaml: …` (the libyaml problem text
/// and line are the same for the recorded syntax errors; expected-current.jsonl cross-checks it).
fn yaml_v3_error(old: &str) -> Option<String> {
    let (head, rest) = old.split_once("error converting YAML to JSON: yaml: ")?;
    Some(format!("{head}yaml: {rest}"))
}

/// `JSON object expected, got "<%s of the token>"` → `JSON object expected, got <%#v of the token>`.
fn json_object_expected(old: &str) -> Option<String> {
    let prefix = "JSON object expected, got ";
    let inner = old
        .strip_prefix(prefix)?
        .strip_prefix('"')?
        .strip_suffix('"')?;
    let new = if inner == "%!s(<nil>)" {
        "<nil>".to_owned()
    } else if let Some(v) = inner
        .strip_prefix("%!s(float64=")
        .or_else(|| inner.strip_prefix("%!s(bool="))
        .and_then(|v| v.strip_suffix(')'))
    {
        v.to_owned()
    } else if matches!(inner, "[" | "]" | "{" | "}") {
        // json.Delim is a rune: %#v prints the code point.
        u32::from(inner.chars().next()?).to_string()
    } else {
        go_quote(inner)
    };
    let new = format!("{prefix}{new}");
    (new != old).then_some(new)
}

/// `Unknown key "<value>"` and the like: the value between the quotes Go-quoted.
fn json_key_quoting(old: &str) -> Option<String> {
    const QUOTED: &[(&str, &str)] = &[
        ("Unknown key ", ""),
        ("Duplicate key ", ""),
        ("Key ", " missing in a JSON object"),
        ("Unknown policy requirement type ", ""),
        ("Unexpected policy requirement type ", ""),
        ("Unknown policy reference match type ", ""),
        ("invalid keyType ", ""),
        ("Unrecognized keyType value ", ""),
    ];
    QUOTED.iter().find_map(|(prefix, suffix)| {
        let value = old
            .strip_prefix(prefix)?
            .strip_suffix(suffix)?
            .strip_prefix('"')?
            .strip_suffix('"')?;
        let new = format!("{prefix}{}{suffix}", go_quote(value));
        (new != old).then_some(new)
    })
}

/// The followed version's parse verdict on a policy that 5.23 accepted only because it lacked the atomic:
/// transport: `Unknown key %q` of the first invalid `transports.atomic` scope in file order.
fn atomic_scope_rejected(runner: &Runner, case: &Case) -> Result<Verdict, String> {
    let rel = case.policy.as_deref().ok_or("no policy")?;
    let text = std::fs::read_to_string(runner.path(rel)).map_err(|e| format!("{rel}: {e}"))?;
    let json: Value = serde_json::from_str(&text).map_err(|e| format!("{rel}: {e}"))?;
    let scopes = json
        .pointer("/transports/atomic")
        .and_then(Value::as_object)
        .ok_or("the policy has no transports.atomic")?;
    let valid = |scope: &str| {
        // ^[^/]*(/[^:/]*(/[^:/]*(:[^:/]*)?)?)?$
        let mut parts = scope.splitn(3, '/');
        let _registry = parts.next();
        let ns_ok = parts.next().is_none_or(|ns| !ns.contains(':'));
        let rest_ok = parts.next().is_none_or(|rest| {
            let (stream, tag) = rest.split_once(':').unwrap_or((rest, ""));
            !stream.contains('/') && !tag.contains([':', '/'])
        });
        ns_ok && rest_ok
    };
    let first = scopes
        .keys()
        .filter(|s| !valid(s))
        .filter_map(|s| {
            let encoded = serde_json::to_string(s).ok()?;
            Some((text.find(&encoded)?, s))
        })
        .min()
        .ok_or("no invalid transports.atomic scope")?;
    Ok(Verdict::err(format!("Unknown key {}", go_quote(first.1))))
}

/// Quotes (Go `%q`) the unquoted value between the first `prefix` and the next `suffix` after it, at
/// every occurrence. `None` when there is no unquoted occurrence.
fn requote(text: &str, prefix: &str, suffix: &str) -> Option<String> {
    let mut out = String::new();
    let mut rest = text;
    let mut changed = false;
    while let Some(start) = rest.find(prefix) {
        let after = &rest[start + prefix.len()..];
        let Some(end) = after.find(suffix) else { break };
        let value = &after[..end];
        out.push_str(&rest[..start + prefix.len()]);
        if value.starts_with('"') {
            out.push_str(value);
        } else {
            out.push_str(&go_quote(value));
            changed = true;
        }
        out.push_str(suffix);
        rest = &after[end + suffix.len()..];
    }
    out.push_str(rest);
    changed.then_some(out)
}

/// `<prefix>A<middle>B` (A and B without spaces, B running to the end of the word) → both quoted.
fn requote_pair(text: &str, prefix: &str, middle: &str) -> Option<String> {
    let start = text.find(prefix)?;
    let after = &text[start + prefix.len()..];
    let mid = after.find(middle)?;
    let a = &after[..mid];
    let tail = &after[mid + middle.len()..];
    let b_end = tail.find([';', ' ']).unwrap_or(tail.len());
    let b = &tail[..b_end];
    if a.starts_with('"') || a.contains(' ') || b.is_empty() {
        return None;
    }
    Some(format!(
        "{}{prefix}{}{middle}{}{}",
        &text[..start],
        go_quote(a),
        go_quote(b),
        &tail[b_end..]
    ))
}

/// A verdict as compared: success or failure, and the message.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Verdict {
    ok: bool,
    message: Option<String>,
}

impl Verdict {
    fn ok() -> Self {
        Verdict {
            ok: true,
            message: None,
        }
    }
    fn err(message: impl Into<String>) -> Self {
        Verdict {
            ok: false,
            message: Some(message.into()),
        }
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.ok, &self.message) {
            (true, None) => write!(f, "ok"),
            (true, Some(m)) => write!(f, "ok, {m:?}"),
            (false, Some(m)) => write!(f, "FAIL {m:?}"),
            (false, None) => write!(f, "FAIL (no message)"),
        }
    }
}

/// What one path (Rust API, lookaside, CLI) said about a case.
struct Observation {
    path: &'static str,
    /// The verdict, or why the path could not run (a fixture or harness problem, itself a failure).
    got: Result<Verdict, String>,
    /// Extra disagreements beyond the verdict (claims of a verified signature, exit status, fixture
    /// consistency).
    extra: Vec<String>,
    /// For checks reading the image's `dir:` layout: the directory as they name it. Signature locations in
    /// the expected message (skopeo read the lookaside store, or the `dir:` path it was given) are
    /// rewritten to it before comparing.
    reads_from: Option<String>,
    /// Why this check cannot stand for what the tool did (not compared; counted as not applicable).
    not_applicable: Option<String>,
    /// `(as recorded, as this check was given it)`: a reference this check was given in another form
    /// than the tool (an absolute `dir:` path), replaced in the expected message before comparing.
    rename: Option<(String, String)>,
}

impl Observation {
    fn new(path: &'static str, got: Result<Verdict, String>) -> Self {
        Observation {
            path,
            got,
            extra: Vec::new(),
            reads_from: None,
            not_applicable: None,
            rename: None,
        }
    }
}

/// The outcome of one case.
struct CaseResult {
    problems: Vec<String>,
    /// The case's version difference, and whether its mapping applied (`false`: not derivable).
    version_difference: Option<(&'static str, bool)>,
    /// Per check: agreed, disagreed, or not applicable (`None`).
    checks: Vec<(&'static str, Option<bool>)>,
    /// Why the case cannot be judged yet: its version difference changes the outcome in a way the
    /// recording cannot predict and no expectation of the followed version is recorded. Such a case is
    /// neither passed nor failed; it is listed (with what the SDK says) and counted as pending.
    pending: Option<String>,
    /// The expectation is the followed release's answer recorded by `conformance/go/record-current`
    /// (a not-derivable version difference).
    from_current: bool,
    /// The cross-check of the expectation derived from the recording against the answer of the pinned
    /// containers/image release: `None` when not compared (no answer, or the answer is the expectation).
    cross_check: Option<bool>,
}

/// The fixtures' public keys.
struct FixtureKeys {
    /// (name, fingerprint) of every named key.
    names: Vec<(String, String)>,
    /// Every key file, imported together.
    keyring: Keyring,
}

/// Shared state of the replay.
struct Runner {
    fixtures: PathBuf,
    cli: PathBuf,
    registries_d: RegistriesDCopies,
    /// Parsed registries.conf files, by path relative to the fixtures.
    registries_confs: Mutex<BTreeMap<String, Result<RegistriesConf, String>>>,
    reader: SignatureReader,
    env: Environment,
    /// A throwaway signing key (file, fingerprint), made on first use.
    signing_key: OnceLock<Result<(PathBuf, String), String>>,
    /// `keys/index.json` and the keyring of every fixture key, read once.
    fixture_keys: OnceLock<Result<FixtureKeys, String>>,
    /// `expected-current.jsonl`: the answers of the containers/image release the SDK follows.
    current: Option<CurrentExpectations>,
    _home: tempfile::TempDir,
}

impl Runner {
    fn run(&self, case: &Case) -> CaseResult {
        let mut result = CaseResult {
            problems: Vec::new(),
            version_difference: None,
            checks: Vec::new(),
            pending: None,
            from_current: false,
            cross_check: None,
        };
        let expected = self.expected(case, &mut result);
        if let (Ok(derived), false) = (&expected, result.from_current) {
            if let Some(problem) = self.cross_check(case, derived, &mut result) {
                result.problems.push(problem);
            }
        }
        let observations = match self.kind(case) {
            Kind::Evaluate => self.evaluate(case),
            Kind::Parse => self.parse(case),
            Kind::Verify => self.verify(case),
            Kind::Sign => self.sign(case),
            Kind::Unknown(why) => {
                result.problems.push(why);
                return result;
            }
        };
        let mut lines = Vec::new();
        let mut bad = false;
        for o in &observations {
            if let Some(why) = &o.not_applicable {
                result.checks.push((o.path, None));
                lines.push(format!("  - {:<10} not applicable: {why}", o.path));
                continue;
            }
            let want = expected.as_ref().ok().map(|e| {
                let mut e = match &o.reads_from {
                    Some(dir) => self.relocate(e, case, dir),
                    None => e.clone(),
                };
                if let (Some((from, to)), Some(m)) = (&o.rename, &e.message) {
                    e.message = Some(m.replace(from.as_str(), to));
                }
                e
            });
            let agrees =
                matches!((&o.got, &want), (Ok(v), Some(w)) if v == w) && o.extra.is_empty();
            result.checks.push((o.path, Some(agrees)));
            bad |= !agrees;
            let mark = if agrees { " " } else { "≠" };
            match &o.got {
                Ok(v) => lines.push(format!("  {mark} {:<10} {v}", o.path)),
                Err(e) => lines.push(format!("  {mark} {:<10} could not run: {e}", o.path)),
            }
            if let (Some(w), Ok(e)) = (&want, &expected) {
                if w != e && !agrees {
                    lines.push(format!(
                        "    {:<10} expected {w} (signature location: {})",
                        "",
                        o.reads_from.as_deref().unwrap_or_default()
                    ));
                }
            }
            for x in &o.extra {
                lines.push(format!("  ≠ {:<10} {x}", o.path));
            }
        }
        if observations.iter().all(|o| o.not_applicable.is_some()) {
            bad = true;
            lines.push("  nothing was checked".to_owned());
        }
        match expected {
            // Not derivable from the recording: pending, with what the SDK says for the reader to judge.
            Err(why)
                if result
                    .version_difference
                    .is_some_and(|(_, derivable)| !derivable) =>
            {
                result.pending = Some(format!("{why}\n{}", lines.join("\n")));
            }
            // No comparison possible: say why, with what the SDK says for the reader to judge.
            Err(why) => result.problems.push(format!("{why}\n{}", lines.join("\n"))),
            Ok(expected) if bad => {
                let mut head = format!(
                    "{} (area {}, tool {})\n    {:<10} {expected}",
                    case.id, case.area, case.tool, "expected"
                );
                if let (Some((id, _)), Some(old)) =
                    (result.version_difference, &case.expected.message)
                {
                    head.push_str(&format!("\n    {:<10} {old:?} before {id}", "recorded"));
                }
                result
                    .problems
                    .push(format!("{head}\n{}", lines.join("\n")));
            }
            Ok(_) => {}
        }
        result
    }

    /// The recorded verdict, with the case's documented version difference applied.
    fn expected(&self, case: &Case, result: &mut CaseResult) -> Result<Verdict, String> {
        let e = &case.expected;
        let ok = e.allowed.or(e.ok).ok_or_else(|| {
            format!(
                "{}: expected has neither `allowed` nor `ok`: {:?}",
                case.id, e
            )
        })?;
        let mut message = self.recorded_message(case, e.message.as_deref());
        if let Some(id) = &case.version_difference {
            let diff = VERSION_DIFFERENCES
                .iter()
                .find(|d| d.id == id)
                .ok_or_else(|| {
                    format!(
                        "{}: unknown version_difference {id:?} (known: {})",
                        case.id,
                        VERSION_DIFFERENCES
                            .iter()
                            .map(|d| d.id)
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                })?;
            match diff.mapping {
                Mapping::Text(to_current) => {
                    let old = message.as_deref().unwrap_or_default();
                    message = Some(to_current(old).ok_or_else(|| {
                        format!(
                            "{}: version_difference {id:?} ({}) does not apply to the recorded text {old:?}",
                            case.id, diff.what
                        )
                    })?);
                    result.version_difference = Some((diff.id, true));
                }
                Mapping::Derived(derive) => {
                    let current = derive(self, case).map_err(|e| {
                        format!(
                            "{}: version_difference {id:?} ({}) does not apply: {e}",
                            case.id, diff.what
                        )
                    })?;
                    result.version_difference = Some((diff.id, true));
                    return Ok(current);
                }
                Mapping::NotDerivable => {
                    // The followed release's answer: recorded with the case (`expected_current`), else
                    // recorded by the pinned containers/image (`conformance/go/record-current`).
                    if let Some(current) = self.current_expected(case)? {
                        result.version_difference = Some((diff.id, true));
                        result.from_current = true;
                        return self.current_verdict(case, &current);
                    }
                    result.version_difference = Some((diff.id, false));
                    let why = match self.current.as_ref().map(|c| c.cases.get(&case.id)) {
                        Some(Some(Err(why))) => {
                            format!(" (not replayed by conformance/go/record-current: {why})")
                        }
                        Some(None) => format!(" (not in {})", conformance::EXPECTED_CURRENT),
                        _ => String::new(),
                    };
                    return Err(format!(
                        "{}: version_difference {id:?} changes the outcome in a way the 5.23 recording \
                         cannot predict ({}); recorded {}; the case needs an expectation of the followed \
                         version (`expected_current`, or conformance/go/record-current){why}",
                        case.id,
                        diff.what,
                        Verdict { ok, message }
                    ));
                }
            }
        }
        Ok(Verdict { ok, message })
    }

    /// A recorded message as the SDK's would read: `@FIXTURES@` (the generator's scrubbing) is the
    /// fixtures directory, and skopeo's `initializing source <reference>: ` (its wrapping of a failure to
    /// open the image source: registries.d, lookaside URL; the generator keeps such non-policy messages
    /// whole) is removed.
    fn recorded_message(&self, case: &Case, message: Option<&str>) -> Option<String> {
        let fixtures = self.fixtures.display().to_string();
        let message = message.map(|m| m.replace(conformance::FIXTURES_PLACEHOLDER, &fixtures))?;
        if let Some(reference) = &case.reference {
            if let Some(rest) = message.strip_prefix(&format!("initializing source {reference}: "))
            {
                return Some(rest.to_owned());
            }
        }
        Some(message)
    }

    /// The followed release's expectation of a case: `expected_current` recorded with it, else the
    /// answer in `expected-current.jsonl` (`None` when there is neither).
    fn current_expected(&self, case: &Case) -> Result<Option<Expected>, String> {
        if let Some(current) = case.extra.get("expected_current") {
            return serde_json::from_value(current.clone())
                .map(Some)
                .map_err(|e| format!("{}: expected_current: {e}", case.id));
        }
        Ok(self
            .current
            .as_ref()
            .and_then(|c| c.cases.get(&case.id))
            .and_then(|r| r.as_ref().ok())
            .cloned())
    }

    /// A recorded answer of the followed release as compared.
    fn current_verdict(&self, case: &Case, current: &Expected) -> Result<Verdict, String> {
        let ok = current.allowed.or(current.ok).ok_or_else(|| {
            format!(
                "{}: the followed release's expectation has neither `allowed` nor `ok`",
                case.id
            )
        })?;
        Ok(Verdict {
            ok,
            message: self.recorded_message(case, current.message.as_deref()),
        })
    }

    /// The expectation derived from the recording (mapped where a version difference says so) must be
    /// what the pinned containers/image release answers (`expected-current.jsonl`); a disagreement means
    /// a mapping or a recording is wrong, or an unrecorded version difference.
    fn cross_check(
        &self,
        case: &Case,
        derived: &Verdict,
        result: &mut CaseResult,
    ) -> Option<String> {
        let current = match self.current.as_ref()?.cases.get(&case.id)? {
            Ok(c) => c,
            Err(_) => return None,
        };
        let mut wrong = Vec::new();
        match self.current_verdict(case, current) {
            Ok(v) if v == *derived => {}
            Ok(v) => wrong.push(format!("verdict {v}")),
            Err(e) => wrong.push(e),
        }
        // Standalone verification claims (fingerprint, reference, digest), where both have them.
        let e = &case.expected;
        for (what, recorded, now) in [
            ("fingerprint", &e.fingerprint, &current.fingerprint),
            (
                "docker reference",
                &e.docker_reference,
                &current.docker_reference,
            ),
            ("digest", &e.digest, &current.digest),
        ] {
            if let (Some(a), Some(b)) = (recorded, now) {
                if a != b {
                    wrong.push(format!("{what} {b:?} (recorded {a:?})"));
                }
            }
        }
        result.cross_check = Some(wrong.is_empty());
        if wrong.is_empty() {
            return None;
        }
        let containers_image = self
            .current
            .as_ref()
            .map_or("?", CurrentExpectations::containers_image);
        Some(format!(
            "{} (area {}, tool {}): cross-check: the expectation derived from the recording{} is {derived}, \
             but containers/image {containers_image} answers {} ({})",
            case.id,
            case.area,
            case.tool,
            case.version_difference
                .as_deref()
                .map(|id| format!(" (mapped by {id})"))
                .unwrap_or_default(),
            wrong.join("; "),
            conformance::EXPECTED_CURRENT,
        ))
    }

    /// The claims a verified signature must make: the followed release's when the expectation is
    /// its answer, else the recorded ones.
    fn expected_claims(&self, case: &Case) -> Expected {
        let not_derivable = case.version_difference.as_deref().is_some_and(|id| {
            VERSION_DIFFERENCES
                .iter()
                .any(|d| d.id == id && matches!(d.mapping, Mapping::NotDerivable))
        });
        match self.current_expected(case) {
            Ok(Some(current)) if not_derivable => current,
            _ => case.expected.clone(),
        }
    }

    fn kind(&self, case: &Case) -> Kind {
        match case.tool.as_str() {
            "skopeo standalone-verify" => Kind::Verify,
            "skopeo standalone-sign" => Kind::Sign,
            _ if case.expected.allowed.is_some() => Kind::Evaluate,
            _ if case.expected.ok.is_some() && case.policy.is_some() => Kind::Parse,
            t => Kind::Unknown(format!(
                "{}: cannot tell how to replay a {t:?} case with expected {:?}",
                case.id, case.expected
            )),
        }
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.fixtures.join(rel)
    }

    /// `skopeo copy` / `podman push`: the policy's verdict on the image.
    fn evaluate(&self, case: &Case) -> Vec<Observation> {
        let (Some(policy), Some(image), Some(reference)) =
            (&case.policy, &case.image, &case.reference)
        else {
            return vec![Observation::new(
                "fixture",
                Err("an evaluation case needs policy, image and reference".into()),
            )];
        };
        let ctx = self.context(policy);
        let dir = self.path(image);
        // The lookaside read first: it tells whether the dir: layout can stand for what skopeo read.
        let mut lookaside = None;
        let mut dir_not_applicable = None;
        if let (Some(rd), true) = (&case.registries_d, reference.starts_with("docker://")) {
            let (obs, na) = self.lookaside_check(case, rd, &dir, reference, &ctx);
            lookaside = Some(obs);
            dir_not_applicable = na;
        }
        let api_reference = self.absolute_reference(reference);
        let mut api = Observation::new(
            "rust api",
            match &ctx {
                Ok(ctx) => conformance::dir_image(&dir, &api_reference).map(|i| decision(ctx, &i)),
                Err(v) => Ok(v.clone()),
            },
        );
        if api_reference != *reference {
            api.rename = Some((reference.clone(), api_reference));
        }
        api.reads_from = Some(dir.display().to_string());
        api.not_applicable.clone_from(&dir_not_applicable);
        let mut args: Vec<String> = vec!["eval".into(), "--policy".into(), policy.clone()];
        if let Some(Ok(copy)) = case
            .registries_d
            .as_deref()
            .map(|rd| self.registries_d.get(rd))
        {
            args.extend(["--registries.d".into(), copy.display().to_string()]);
        }
        args.extend([
            "--dir".into(),
            image.clone(),
            reference.clone(),
            "--json".into(),
        ]);
        let mut cli = self.cli_json(&args, "allowed", |error| {
            // The CLI names the policy file the way skopeo's error does before the prefix is removed.
            error
                .strip_prefix(&format!("invalid policy in {}: ", go_quote(policy)))
                .map(str::to_owned)
                .ok_or(())
        });
        cli.reads_from = Some(image.clone());
        cli.not_applicable = dir_not_applicable;
        let mut out = vec![api];
        out.extend(lookaside);
        out.push(cli);
        out
    }

    /// The second Rust API check: signatures read through the case's registries.d. Also says why the
    /// `dir:` layout cannot stand for what skopeo read, when the store or its configuration fails.
    fn lookaside_check(
        &self,
        case: &Case,
        rd: &str,
        dir: &Path,
        reference: &str,
        ctx: &Result<PolicyContext, Verdict>,
    ) -> (Observation, Option<String>) {
        let copy = match self.registries_d.get(rd) {
            Ok(c) => c,
            Err(e) => return (Observation::new("lookaside", Err(e)), None),
        };
        let conf = match self.registries_conf(case) {
            Ok(c) => c,
            Err(e) => return (Observation::new("lookaside", Err(e)), None),
        };
        let read = conformance::lookaside_image(
            dir,
            reference,
            &copy,
            conf.as_ref(),
            &self.reader,
            &self.env,
        );
        match read {
            Err(LookasideError::Config(m)) => (
                Observation::new("lookaside", Ok(unmap_paths(Verdict::err(m), &copy, rd))),
                Some(
                    "the registries.d configuration fails; a dir: layout cannot stand for that"
                        .into(),
                ),
            ),
            Err(LookasideError::Setup(m)) => (Observation::new("lookaside", Err(m)), None),
            Err(e) => (Observation::new("lookaside", Err(format!("{e:?}"))), None),
            Ok(read) => {
                let got = match ctx {
                    Ok(ctx) => decision(ctx, &read.image),
                    Err(v) => v.clone(),
                };
                let mut obs = Observation::new("lookaside", Ok(unmap_paths(got, &copy, rd)));
                let mut na = None;
                // The dir: layout holds the signatures of the fixtures' lookaside tree. A configuration
                // that sends the reader elsewhere (the built-in default store, e.g. when the followed
                // release ignores a key the recorded one read) is not represented by it.
                let store = format!("file://{}/lookaside/", self.fixtures.display());
                if !read.base_url.starts_with(&store) {
                    na = Some(format!(
                        "the registries.d names {}, not the fixtures' lookaside tree; a dir: layout \
                         cannot stand for that",
                        read.base_url
                    ));
                    return (obs, na);
                }
                match (&read.blobs, conformance::dir_signature_blobs(dir)) {
                    (Ok(store), Ok(layout)) if *store != layout => obs.extra.push(format!(
                        "fixture: {} holds {} signature(s), the lookaside store {} holds {}",
                        case.image.as_deref().unwrap_or_default(),
                        layout.len(),
                        read.base_url,
                        store.len()
                    )),
                    (Err(e), _) if !e.starts_with("parsing signature ") => {
                        na = Some(format!(
                            "reading the lookaside store fails ({e}); a dir: layout cannot stand for that"
                        ));
                    }
                    (_, Err(e)) => obs.extra.push(format!("fixture: {e}")),
                    _ => {}
                }
                (obs, na)
            }
        }
    }

    /// `dir:` / `oci:` references with a relative path name it relative to the fixtures (skopeo ran
    /// there); the Rust API runs elsewhere, so it gets the absolute path (containers/image resolves the
    /// path to an absolute one in any case).
    fn absolute_reference(&self, reference: &str) -> String {
        for transport in ["dir:", "oci:", "oci-archive:", "docker-archive:"] {
            if let Some(path) = reference.strip_prefix(transport) {
                if !path.starts_with('/') {
                    return format!("{transport}{}/{path}", self.fixtures.display());
                }
            }
        }
        reference.to_owned()
    }

    /// `expected` with its signature locations — a file in the fixtures' lookaside tree (skopeo read the
    /// store) or in the case's image directory as skopeo named it — rewritten to `dir`, where a `dir:`
    /// check reads the same signatures.
    fn relocate(&self, expected: &Verdict, case: &Case, dir: &str) -> Verdict {
        let Some(message) = &expected.message else {
            return expected.clone();
        };
        let mut text = message.clone();
        let lookaside = format!("{}/lookaside/", self.fixtures.display());
        let mut out = String::new();
        let mut rest = text.as_str();
        while let Some(start) = rest.find(&lookaside) {
            let after = &rest[start..];
            match after.find("/signature-") {
                Some(end) if !after[..end].contains(['"', ' ']) => {
                    out.push_str(&rest[..start]);
                    out.push_str(dir);
                    rest = &after[end..];
                }
                _ => {
                    out.push_str(&rest[..start + lookaside.len()]);
                    rest = &after[lookaside.len()..];
                }
            }
        }
        out.push_str(rest);
        text = out;
        if let Some(image) = &case.image {
            text = text.replace(
                &format!("\"{image}/signature-"),
                &format!("\"{dir}/signature-"),
            );
        }
        Verdict {
            ok: expected.ok,
            message: Some(text),
        }
    }

    /// Parsing cases: skopeo's verdict on a policy.json.
    fn parse(&self, case: &Case) -> Vec<Observation> {
        let Some(policy) = &case.policy else {
            return Vec::new();
        };
        let api = std::fs::read(self.path(policy))
            .map_err(|e| format!("{policy}: {e}"))
            .map(|bytes| match Policy::from_slice(&bytes) {
                Ok(_) => Verdict::ok(),
                Err(e) => Verdict::err(e.to_string()),
            });
        let mut api = Observation::new("rust api", api);
        if let Err(e) = &api.got {
            // A policy the runner cannot read (missing file, directory): reading is the caller's job, not
            // the API's; the CLI check covers it.
            api.not_applicable = Some(format!("the policy cannot be read ({e})"));
        }
        let cli = self.cli_json(
            &["check".into(), policy.clone(), "--json".into()],
            "ok",
            |error| {
                error
                    .strip_prefix(&format!("invalid policy in {}: ", go_quote(policy)))
                    .map(str::to_owned)
                    .ok_or(())
            },
        );
        vec![api, cli]
    }

    /// `skopeo standalone-verify MANIFEST DOCKER-REFERENCE KEY-FINGERPRINT SIGNATURE` (skopeo 1.9.3 uses
    /// the keys of its GNUPGHOME: the case's `keyring` file).
    fn verify(&self, case: &Case) -> Vec<Observation> {
        let inputs = match standalone_args(case) {
            Ok(StandaloneArgs { positional, .. }) if positional.len() == 4 => positional,
            Ok(a) => {
                return vec![Observation::new(
                    "fixture",
                    Err(format!("unexpected arguments {:?}", a.positional)),
                )];
            }
            Err(e) => return vec![Observation::new("fixture", Err(e))],
        };
        let [manifest, reference, fingerprints, signature] = &inputs[..] else {
            unreachable!("four arguments")
        };
        let Some(keyring) = case.extra.get("keyring").and_then(Value::as_str) else {
            return vec![Observation::new(
                "fixture",
                Err("a standalone-verify case names its keyring (`keyring`)".into()),
            )];
        };

        let read = |rel: &str| std::fs::read(self.path(rel)).map_err(|e| format!("{rel}: {e}"));
        let mut api = Observation::new("rust api", Ok(Verdict::ok()));
        match (read(keyring), read(manifest), read(signature)) {
            (Ok(keys), Ok(manifest), Ok(signature)) => {
                let keyring = Keyring::from_blobs([keys.as_slice()]);
                let accepted: Vec<String> = fingerprints.split(',').map(str::to_owned).collect();
                match simple::verify_docker_manifest_signature(
                    &signature,
                    &manifest,
                    reference,
                    &keyring,
                    &accepted,
                    SystemTime::now(),
                ) {
                    Ok(v) => {
                        api.extra = claims_mismatch(
                            &self.expected_claims(case),
                            &v.signer,
                            &v.docker_manifest_digest,
                            &v.docker_reference,
                        );
                    }
                    Err(e) => api.got = Ok(Verdict::err(e.to_string())),
                }
            }
            (Err(e), _, _) | (_, Err(e), _) | (_, _, Err(e)) => {
                // Reading the files is the caller's job, not the API's; the CLI check covers it.
                api.not_applicable = Some(format!("an input file cannot be read ({e})"));
            }
        }

        let mut cli = Observation::new("cli", Ok(Verdict::ok()));
        let args: Vec<String> = [
            "verify",
            "--public-key-file",
            keyring,
            manifest,
            reference,
            fingerprints,
            signature,
        ]
        .map(str::to_owned)
        .to_vec();
        match self.run_cli(&args) {
            Err(e) => cli.got = Err(e),
            Ok(o) => {
                let stdout = String::from_utf8_lossy(&o.stdout).trim().to_owned();
                let stderr = String::from_utf8_lossy(&o.stderr).trim().to_owned();
                if o.status.success() {
                    // `Signature verified using fingerprint F, digest D`
                    match stdout
                        .strip_prefix("Signature verified using fingerprint ")
                        .and_then(|r| r.split_once(", digest "))
                    {
                        Some((fpr, digest)) => {
                            cli.extra =
                                claims_mismatch(&self.expected_claims(case), fpr, digest, "");
                        }
                        None => cli.got = Err(format!("unexpected output {stdout:?}")),
                    }
                } else {
                    cli.got = Ok(Verdict::err(cli_error(&stderr)));
                }
            }
        }
        vec![api, cli]
    }

    /// `skopeo standalone-sign MANIFEST DOCKER-REFERENCE KEY-FINGERPRINT --output SIGNATURE`. A recorded
    /// signature must verify here (with the fixtures' public keys, at the time it claims to be made, so
    /// that keys that have expired since still count) and claim the manifest's digest and the reference
    /// as given; a recorded failure is replayed through the CLI's `sign` with a throwaway key (the
    /// recorded keys' secret halves are not committed), standing in for the named key when it is one of
    /// the fixtures'.
    fn sign(&self, case: &Case) -> Vec<Observation> {
        let args = match standalone_args(case) {
            Ok(a) if a.positional.len() == 3 => a,
            Ok(a) => {
                return vec![Observation::new(
                    "fixture",
                    Err(format!("unexpected arguments {:?}", a.positional)),
                )];
            }
            Err(e) => return vec![Observation::new("fixture", Err(e))],
        };
        let [manifest, reference, fingerprint] = &args.positional[..] else {
            unreachable!("three arguments")
        };
        if case.expected.ok == Some(true) {
            let Some(output) = &args.output else {
                return vec![Observation::new(
                    "fixture",
                    Err("standalone-sign without --output".into()),
                )];
            };
            return vec![Observation::new(
                "rust api",
                self.check_signature(manifest, reference, fingerprint, output),
            )];
        }
        let key = match self.throwaway_key() {
            Ok(k) => k,
            Err(e) => return vec![Observation::new("cli", Err(e))],
        };
        let known = self
            .fixture_keys()
            .ok()
            .and_then(|keys| keys.names.iter().find(|(_, fpr)| fpr == fingerprint));
        let sign_by = match &known {
            Some(_) => key.1.clone(),
            None => fingerprint.clone(),
        };
        let out = self
            ._home
            .path()
            .join(format!("sign-{}.sig", case.id.replace('/', "_")));
        let cli_args: Vec<String> = vec![
            "sign".into(),
            "--key".into(),
            key.0.display().to_string(),
            "--output".into(),
            out.display().to_string(),
            manifest.clone(),
            reference.clone(),
            sign_by,
        ];
        let mut cli = Observation::new("cli", Ok(Verdict::ok()));
        match self.run_cli(&cli_args) {
            Err(e) => cli.got = Err(e),
            Ok(o) if o.status.success() => {
                if let Some((name, _)) = known {
                    cli.extra.push(format!(
                        "the recorded failure depends on the secret key of `{name}`, which is not committed"
                    ));
                }
            }
            Ok(o) => {
                cli.got = Ok(Verdict::err(cli_error(
                    String::from_utf8_lossy(&o.stderr).trim(),
                )));
            }
        }
        vec![cli]
    }

    /// Verifies a signature skopeo made: signed by `fingerprint` (or a subkey of it, or the primary key
    /// of that subkey), for the digest of `manifest` and exactly `reference`.
    fn check_signature(
        &self,
        manifest: &str,
        reference: &str,
        fingerprint: &str,
        signature: &str,
    ) -> Result<Verdict, String> {
        let read = |rel: &str| std::fs::read(self.path(rel)).map_err(|e| format!("{rel}: {e}"));
        let blob = read(signature)?;
        let manifest = read(manifest)?;
        let keyring = &self.fixture_keys()?.keyring;
        // As of one second after it was made: some fixture keys have expired since (their signatures
        // were made with gpg's clock set in the past).
        let Some(made) = conformance::signature_creation_time(&blob) else {
            return Ok(Verdict::err(
                "(the signature has no creation time or does not parse)",
            ));
        };
        let made = made + Duration::from_secs(1);
        let verified = match openpgp::verify(keyring, &blob, made) {
            Ok(v) => v,
            Err(e) => return Ok(Verdict::err(e.to_string())),
        };
        let digest = containers_policy::manifest::manifest_digest(&manifest)
            .map_err(|e| format!("digest of {manifest:?}: {e}"))?;
        let mut wrong = Vec::new();
        if verified.key_fingerprint != fingerprint && verified.primary_fingerprint != fingerprint {
            wrong.push(format!(
                "signed by {} (primary {}), not {fingerprint}",
                verified.key_fingerprint, verified.primary_fingerprint
            ));
        }
        let payload =
            SimpleSigningPayload::from_slice(&verified.content).map_err(|e| e.to_string())?;
        if payload.docker_manifest_digest != digest.as_str() {
            wrong.push(format!("claims digest {}", payload.docker_manifest_digest));
        }
        if payload.docker_reference != reference {
            wrong.push(format!("claims reference {:?}", payload.docker_reference));
        }
        Ok(if wrong.is_empty() {
            Verdict::ok()
        } else {
            Verdict::err(format!("(claims) {}", wrong.join("; ")))
        })
    }

    /// The fixture keys (`keys/index.json`): names and fingerprints, and one keyring of every key file.
    fn fixture_keys(&self) -> Result<&FixtureKeys, String> {
        self.fixture_keys
            .get_or_init(|| {
                let text = std::fs::read_to_string(self.path("keys/index.json"))
                    .map_err(|e| format!("keys/index.json: {e}"))?;
                let index: Value =
                    serde_json::from_str(&text).map_err(|e| format!("keys/index.json: {e}"))?;
                let entries = index.as_array().ok_or("keys/index.json is not a list")?;
                let mut names = Vec::new();
                let mut blobs = Vec::new();
                for k in entries {
                    let name = k.get("name").and_then(Value::as_str);
                    let Some(fpr) = k.get("fingerprint").and_then(Value::as_str) else {
                        continue;
                    };
                    if let Some(name) = name {
                        names.push((name.to_owned(), fpr.to_owned()));
                    }
                    let file = match k.get("file").and_then(Value::as_str) {
                        Some(f) => f.to_owned(),
                        None => match name {
                            Some(n) => format!("keys/{n}.pub.asc"),
                            None => continue,
                        },
                    };
                    blobs
                        .push(std::fs::read(self.path(&file)).map_err(|e| format!("{file}: {e}"))?);
                }
                Ok(FixtureKeys {
                    names,
                    keyring: Keyring::from_blobs(blobs.iter().map(Vec::as_slice)),
                })
            })
            .as_ref()
            .map_err(Clone::clone)
    }

    /// A throwaway secret key (file, fingerprint) for replaying failed signings, made once.
    fn throwaway_key(&self) -> Result<(PathBuf, String), String> {
        self.signing_key
            .get_or_init(|| {
                let key = openpgp::generate_key("conformance <conformance@example.invalid>")
                    .map_err(|e| e.to_string())?;
                let path = self._home.path().join("throwaway.sec.asc");
                std::fs::write(&path, &key.secret_armored).map_err(|e| e.to_string())?;
                Ok((path, key.signing_key.fingerprint().to_owned()))
            })
            .clone()
    }

    /// The registries.conf the case ran skopeo with (`--registries-conf` in argv, else
    /// `env.CONTAINERS_REGISTRIES_CONF`, relative to the fixtures; else `registries.conf` when the fixtures
    /// have one), if any.
    fn registries_conf(&self, case: &Case) -> Result<Option<RegistriesConf>, String> {
        let from_argv = case.argv.iter().enumerate().find_map(|(i, a)| {
            match a.strip_prefix("--registries-conf") {
                Some("") => case.argv.get(i + 1).map(String::as_str),
                Some(v) => v.strip_prefix('='),
                None => None,
            }
        });
        let from_env = case
            .extra
            .get("env")
            .and_then(|e| e.get("CONTAINERS_REGISTRIES_CONF"))
            .and_then(Value::as_str);
        let rel = match from_argv.or(from_env) {
            Some(rel) => rel,
            // The generator runs every skopeo copy with CONTAINERS_REGISTRIES_CONF=registries.conf.
            None if self.path("registries.conf").is_file() => "registries.conf",
            None => return Ok(None),
        };
        let mut confs = self
            .registries_confs
            .lock()
            .expect("no panics while holding the lock");
        confs
            .entry(rel.to_owned())
            .or_insert_with(|| {
                std::fs::read_to_string(self.path(rel))
                    .map_err(|e| format!("{rel}: {e}"))
                    .and_then(|t| RegistriesConf::parse(&t))
            })
            .clone()
            .map(Some)
    }

    /// Parses the policy as the CLI and skopeo do; a parse failure is the verdict (`Err` of `Ok`).
    fn context(&self, policy: &str) -> Result<PolicyContext, Verdict> {
        let bytes = std::fs::read(self.path(policy))
            .map_err(|e| Verdict::err(format!("(runner) {policy}: {e}")))?;
        let policy = Policy::from_slice(&bytes).map_err(|e| Verdict::err(e.to_string()))?;
        Ok(PolicyContext::with_options(
            policy,
            Options::default().with_base_dir(&self.fixtures),
        ))
    }

    fn run_cli(&self, args: &[String]) -> Result<std::process::Output, String> {
        Command::new(&self.cli)
            .args(args)
            .current_dir(&self.fixtures)
            .env("HOME", self._home.path())
            .output()
            .map_err(|e| format!("running {}: {e}", self.cli.display()))
    }

    /// Runs the CLI with `--json` output `{"<verdict_key>": bool, "error": string|null}`; `strip` turns a
    /// prefixed error the CLI prints (and skopeo printed before the recording removed the prefix) into the
    /// bare message, `Err(())` when the error does not carry that prefix.
    fn cli_json(
        &self,
        args: &[String],
        verdict_key: &str,
        strip: impl Fn(&str) -> Result<String, ()>,
    ) -> Observation {
        let mut obs = Observation::new("cli", Err(String::new()));
        let output = match self.run_cli(args) {
            Ok(o) => o,
            Err(e) => {
                obs.got = Err(e);
                return obs;
            }
        };
        let json: Value = match serde_json::from_slice(&output.stdout) {
            Ok(j) => j,
            Err(e) => {
                obs.got = Err(format!(
                    "stdout is not JSON ({e}): {:?}, stderr {:?}",
                    String::from_utf8_lossy(&output.stdout),
                    String::from_utf8_lossy(&output.stderr)
                ));
                return obs;
            }
        };
        let Some(ok) = json[verdict_key].as_bool() else {
            obs.got = Err(format!("no {verdict_key:?} in {json}"));
            return obs;
        };
        if ok != output.status.success() {
            obs.extra.push(format!(
                "exit status {:?} with {verdict_key} = {ok}",
                output.status.code()
            ));
        }
        let message = json["error"]
            .as_str()
            .map(|e| strip(e).unwrap_or_else(|()| e.to_owned()));
        obs.got = Ok(Verdict { ok, message });
        obs
    }
}

/// The arguments after `standalone-sign` / `standalone-verify` in a recorded argv.
struct StandaloneArgs {
    positional: Vec<String>,
    output: Option<String>,
}

fn standalone_args(case: &Case) -> Result<StandaloneArgs, String> {
    let sub = case
        .argv
        .iter()
        .position(|a| a.starts_with("standalone-"))
        .ok_or("argv has no standalone-* command")?;
    let mut positional = Vec::new();
    let mut output = None;
    let mut args = case.argv[sub + 1..].iter();
    while let Some(a) = args.next() {
        match a.as_str() {
            "-o" | "--output" => {
                output = Some(args.next().ok_or("--output without value")?.clone())
            }
            "--passphrase-file" => {
                args.next();
            }
            s if s.starts_with("--output=") => output = Some(s["--output=".len()..].to_owned()),
            s if s.starts_with('-') && s.len() > 1 => return Err(format!("unknown option {s}")),
            s => positional.push(s.to_owned()),
        }
    }
    Ok(StandaloneArgs { positional, output })
}

/// The message of a failed CLI command: stderr without the CLI's `Error: ` and, for `verify`, the
/// `Error verifying signature: ` skopeo also prints and the recording removed.
fn cli_error(stderr: &str) -> String {
    let m = stderr.strip_prefix("Error: ").unwrap_or(stderr);
    m.strip_prefix("Error verifying signature: ")
        .unwrap_or(m)
        .to_owned()
}

enum Kind {
    Evaluate,
    Parse,
    Verify,
    Sign,
    Unknown(String),
}

fn decision(ctx: &PolicyContext, image: &containers_policy::UnparsedImage) -> Verdict {
    match ctx.evaluate(image).result {
        Ok(()) => Verdict::ok(),
        Err(e) => Verdict::err(e.to_string()),
    }
}

/// Messages naming the runner's substituted registries.d copy name the fixture directory instead (the
/// copy is the runner's artifact; skopeo was given the fixture path).
fn unmap_paths(v: Verdict, copy: &Path, rel: &str) -> Verdict {
    let copy = copy.display().to_string();
    Verdict {
        ok: v.ok,
        message: v.message.map(|m| m.replace(&copy, rel)),
    }
}

/// Differences between a verified signature's claims and the recorded ones (each checked when recorded).
fn claims_mismatch(e: &Expected, signer: &str, digest: &str, reference: &str) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(want) = &e.fingerprint {
        if want != signer {
            out.push(format!("fingerprint {signer:?}, recorded {want:?}"));
        }
    }
    if let Some(want) = &e.digest {
        if want != digest {
            out.push(format!("digest {digest:?}, recorded {want:?}"));
        }
    }
    if let (Some(want), false) = (&e.docker_reference, reference.is_empty()) {
        if want != reference {
            out.push(format!("docker reference {reference:?}, recorded {want:?}"));
        }
    }
    out
}

/// The `containers-policy` binary: `$CONTAINERS_POLICY_CLI`, else built with cargo into this test's
/// profile directory.
fn cli_binary() -> Result<PathBuf, String> {
    if let Some(p) = std::env::var_os(CLI_ENV) {
        let p = PathBuf::from(p);
        return if p.is_file() {
            Ok(p)
        } else {
            Err(format!("${CLI_ENV} = {} is not a file", p.display()))
        };
    }
    let exe = std::env::current_exe().map_err(|e| format!("current_exe: {e}"))?;
    // target/<profile>/deps/conformance-<hash>
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .ok_or_else(|| format!("unexpected test executable location {}", exe.display()))?;
    let target_dir = profile_dir.parent().ok_or("no target directory")?;
    let profile = match profile_dir.file_name().and_then(|n| n.to_str()) {
        Some("debug") => "dev",
        Some(other) => other,
        None => return Err(format!("no profile in {}", profile_dir.display())),
    };
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let status = Command::new(&cargo)
        .args([
            "build",
            "-q",
            "-p",
            "containers-policy-cli",
            "--profile",
            profile,
        ])
        .env("CARGO_TARGET_DIR", target_dir)
        .current_dir(conformance::workspace_root())
        .status()
        .map_err(|e| format!("running {cargo:?}: {e}"))?;
    if !status.success() {
        return Err(format!(
            "`cargo build -p containers-policy-cli --profile {profile}` failed ({status}); set ${CLI_ENV} to a built binary"
        ));
    }
    let bin = profile_dir.join("containers-policy");
    if bin.is_file() {
        Ok(bin)
    } else {
        Err(format!("{} was not built", bin.display()))
    }
}

#[derive(Default)]
struct Count {
    cases: usize,
    passed: usize,
    not_applicable: usize,
}

impl Count {
    fn add(&mut self, passed: bool) {
        self.cases += 1;
        self.passed += usize::from(passed);
    }
    /// A check: agreed, disagreed, or not applicable (`None`: not counted as a case).
    fn add_check(&mut self, agreed: Option<bool>) {
        match agreed {
            Some(a) => self.add(a),
            None => self.not_applicable += 1,
        }
    }
    fn json(&self) -> Value {
        let mut j = json!({"cases": self.cases, "passed": self.passed});
        if self.not_applicable > 0 {
            j["not_applicable"] = json!(self.not_applicable);
        }
        j
    }
}

fn counts_json(m: &BTreeMap<String, Count>) -> Value {
    Value::Object(m.iter().map(|(k, c)| (k.clone(), c.json())).collect())
}

#[test]
fn conformance() {
    let started = Instant::now();
    let mut failures: Vec<String> = Vec::new();

    // containers/image's own verdicts.
    let source = upstream::source();
    let upstream_json = match upstream::run(&source) {
        None => {
            eprintln!(
                "skipped: upstream fixtures not found at {}",
                source.display()
            );
            json!({"cases": 0, "passed": 0, "skipped": format!("not found at {}", source.display())})
        }
        Some(report) => {
            let total = report.total();
            for (kind, t) in &report.kinds {
                eprintln!(
                    "upstream {kind}: {}/{} passed{}",
                    t.passed,
                    t.cases,
                    if t.not_covered > 0 {
                        format!(", {} not covered yet", t.not_covered)
                    } else {
                        String::new()
                    }
                );
            }
            failures.extend(report.failures.iter().map(|f| format!("upstream {f}")));
            json!({
                "cases": total.cases,
                "passed": total.passed,
                "not_covered": total.not_covered,
                "kinds": report.kinds.iter().map(|(k, t)| (k.clone(), json!({
                    "cases": t.cases, "passed": t.passed, "not_covered": t.not_covered,
                }))).collect::<serde_json::Map<_, _>>(),
            })
        }
    };

    // The recorded cases.
    let fixtures = conformance::fixtures_dir();
    let cases_path = fixtures.join("cases.jsonl");
    let mut summary = json!({
        "areas": {},
        "tools": {},
        "checks": {},
        "upstream": upstream_json,
        "version_differences": {},
        "versions": Value::Null,
    });
    let recorded = if cases_path.is_file() {
        run_recorded(&fixtures, &cases_path, &mut summary)
    } else {
        Err(format!(
            "{} does not exist: generate the fixtures with ./conformance/generate/run (they are committed)",
            cases_path.display()
        ))
    };
    match recorded {
        Ok(f) => failures.extend(f),
        Err(e) => failures.push(e),
    }
    summary["failures"] = json!(failures.len());
    summary["seconds"] = json!(started.elapsed().as_secs_f64());

    let out = conformance::target_dir().join("conformance-summary.json");
    if let Some(dir) = out.parent() {
        std::fs::create_dir_all(dir).expect("target directory");
    }
    std::fs::write(
        &out,
        serde_json::to_string_pretty(&summary).expect("summary serializes") + "\n",
    )
    .expect("write the summary");
    eprintln!(
        "summary written to {} ({:.1}s)",
        out.display(),
        started.elapsed().as_secs_f64()
    );
    assert!(
        failures.is_empty(),
        "{} conformance failure(s):\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

/// Replays `cases.jsonl`; returns every failure (all cases run).
fn run_recorded(
    fixtures: &Path,
    cases_path: &Path,
    summary: &mut Value,
) -> Result<Vec<String>, String> {
    let cases = conformance::load_cases(cases_path)?;
    summary["versions"] = conformance::read_versions(fixtures)?;
    let cli = cli_binary()?;
    let home = tempfile::Builder::new()
        .prefix("conformance-home-")
        .tempdir()
        .map_err(|e| e.to_string())?;
    let runner = Runner {
        fixtures: fixtures
            .canonicalize()
            .map_err(|e| format!("{}: {e}", fixtures.display()))?,
        cli,
        registries_d: RegistriesDCopies::new(fixtures)?,
        registries_confs: Mutex::new(BTreeMap::new()),
        reader: SignatureReader::new(&HttpOptions::default())
            .map_err(|e| e.to_string())?
            .with_concurrency(1),
        // Registries.d scopes the fixtures do not configure fall back to the built-in store of a
        // non-root user with an empty home: no signatures.
        env: Environment::with_home(home.path(), 1000),
        signing_key: OnceLock::new(),
        fixture_keys: OnceLock::new(),
        current: conformance::load_current_expectations(fixtures)?,
        _home: home,
    };

    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<CaseResult>>> =
        Mutex::new((0..cases.len()).map(|_| None).collect());
    let workers = std::thread::available_parallelism()
        .map(|n| n.get() * 2)
        .unwrap_or(4)
        .clamp(2, 16);
    std::thread::scope(|s| {
        for _ in 0..workers {
            s.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(case) = cases.get(i) else { break };
                    let r = runner.run(case);
                    results.lock().expect("no panics while holding the lock")[i] = Some(r);
                }
            });
        }
    });
    let results = results.into_inner().expect("no poisoned lock");

    let mut areas: BTreeMap<String, Count> = BTreeMap::new();
    let mut tools: BTreeMap<String, Count> = BTreeMap::new();
    let mut checks: BTreeMap<String, Count> = BTreeMap::new();
    let mut differences: BTreeMap<String, usize> = BTreeMap::new();
    let mut not_derivable: BTreeMap<String, usize> = BTreeMap::new();
    let mut from_current: BTreeMap<String, usize> = BTreeMap::new();
    let mut cross = Count::default();
    let mut failures = Vec::new();
    let mut pending = Vec::new();
    let mut passed = 0;
    for (case, r) in cases.iter().zip(results) {
        let r = r.expect("every case ran");
        match (r.from_current, r.version_difference) {
            (true, Some((id, _))) => *from_current.entry(id.to_owned()).or_default() += 1,
            _ => cross.add_check(r.cross_check),
        }
        match r.version_difference {
            Some((id, true)) => *differences.entry(id.to_owned()).or_default() += 1,
            Some((id, false)) => *not_derivable.entry(id.to_owned()).or_default() += 1,
            None => {}
        }
        if let Some(why) = r.pending {
            pending.push(why);
            continue;
        }
        let ok = r.problems.is_empty();
        passed += usize::from(ok);
        areas.entry(case.area.clone()).or_default().add(ok);
        tools.entry(case.tool.clone()).or_default().add(ok);
        for (path, agreed) in &r.checks {
            checks
                .entry((*path).to_owned())
                .or_default()
                .add_check(*agreed);
        }
        failures.extend(r.problems);
    }
    eprintln!(
        "recorded cases: {} ({} failing, {} pending); checks: {}",
        cases.len(),
        cases.len() - passed - pending.len(),
        pending.len(),
        checks
            .iter()
            .map(|(k, c)| format!("{k} {}/{} ({} n/a)", c.passed, c.cases, c.not_applicable))
            .collect::<Vec<_>>()
            .join(", ")
    );
    for (area, c) in &areas {
        eprintln!("  area {area}: {}/{} passed", c.passed, c.cases);
    }
    for (id, n) in &differences {
        let what = VERSION_DIFFERENCES
            .iter()
            .find(|d| d.id == id)
            .map_or("", |d| d.what);
        eprintln!("  version difference {id} applied {n}x: {what}");
    }
    for (id, n) in &not_derivable {
        eprintln!(
            "  version difference {id}: {n} case(s) pending (not comparable with the recording)"
        );
    }
    for p in &pending {
        eprintln!("PENDING {p}");
    }
    let current = runner.current.as_ref().map(|c| {
        let replayed = c.cases.values().filter(|r| r.is_ok()).count();
        eprintln!(
            "containers/image {} ({}): {replayed} of {} cases replayed; cross-check of the derived \
             expectations: {}/{} agree; the followed release's answer used for {} case(s)",
            c.containers_image(),
            conformance::EXPECTED_CURRENT,
            cases.len(),
            cross.passed,
            cross.cases,
            from_current.values().sum::<usize>()
        );
        let not_replayed = cases
            .iter()
            .filter(|case| !matches!(c.cases.get(&case.id), Some(Ok(_))))
            .count();
        json!({
            "containers_image": c.containers_image(),
            "header": c.header,
            "replayed": replayed,
            "not_replayed": not_replayed,
            "cross_check": cross.json(),
            "used_for": from_current,
        })
    });
    summary["current"] = current.unwrap_or(Value::Null);
    summary["areas"] = counts_json(&areas);
    summary["tools"] = counts_json(&tools);
    summary["checks"] = counts_json(&checks);
    summary["version_differences"] = json!(differences);
    summary["version_differences_not_derivable"] = json!(not_derivable);
    summary["pending"] = json!(pending.len());
    summary["cases"] = json!(cases.len());
    Ok(failures)
}

#[test]
fn version_difference_mappings() {
    let map = |id: &str, old: &str| {
        let d = VERSION_DIFFERENCES
            .iter()
            .find(|d| d.id == id)
            .expect("known id");
        match d.mapping {
            Mapping::Text(f) => f(old),
            _ => panic!("{id} is not a text mapping"),
        }
    };
    assert_eq!(
        map(
            "identity-quoting-v5.31",
            "None of the signatures were accepted, reasons: Signature for identity 127.0.0.1:55000/a:1 is not accepted; Signature for identity \"b:2\" is not accepted"
        )
        .as_deref(),
        Some(
            "None of the signatures were accepted, reasons: Signature for identity \"127.0.0.1:55000/a:1\" is not accepted; Signature for identity \"b:2\" is not accepted"
        )
    );
    assert_eq!(
        map(
            "identity-quoting-v5.31",
            "Signature for identity \"a:1\" is not accepted"
        ),
        None
    );
    assert_eq!(
        map(
            "registries-d-file-order-v5.42",
            r#"Error parsing signature storage configuration: "docker" namespace "r" defined both in "d/b.yaml" and "d/a.yaml""#
        )
        .as_deref(),
        Some(
            r#"Error parsing signature storage configuration: "docker" namespace "r" defined both in "d/a.yaml" and "d/b.yaml""#
        )
    );
    // Already in sorted order: the marker would be wrong.
    assert_eq!(
        map(
            "registries-d-file-order-v5.42",
            r#"x: "default-docker" defined both in "d/a.yaml" and "d/b.yaml""#
        ),
        None
    );
    assert_eq!(
        map(
            "standalone-reference-quoting-v5.31",
            "Docker reference example.com/a:1 does not match example.com/b:2"
        )
        .as_deref(),
        Some("Docker reference \"example.com/a:1\" does not match \"example.com/b:2\"")
    );
    assert_eq!(
        map(
            "reference-quoting-v5.31",
            "dockerReference busybox contains neither a tag nor digest"
        )
        .as_deref(),
        Some("dockerReference \"busybox\" contains neither a tag nor digest")
    );
    for (old, new) in [
        ("\"%!s(<nil>)\"", "<nil>"),
        ("\"[\"", "91"),
        ("\"%!s(float64=1)\"", "1"),
        ("\"%!s(bool=true)\"", "true"),
        ("\"a\\b\"", "\"a\\\\b\""),
    ] {
        assert_eq!(
            map(
                "json-object-expected-v5.31",
                &format!("JSON object expected, got {old}")
            ),
            Some(format!("JSON object expected, got {new}")),
            "{old}"
        );
    }
    assert_eq!(
        map("json-key-quoting-v5.31", "Unknown key \"a\"b\"").as_deref(),
        Some("Unknown key \"a\\\"b\"")
    );
    assert_eq!(
        map(
            "json-key-quoting-v5.31",
            "Key \"a\\b\" missing in a JSON object"
        )
        .as_deref(),
        Some("Key \"a\\\\b\" missing in a JSON object")
    );
    assert_eq!(
        map(
            "standalone-key-mismatch-v5.25",
            "Signature by AB12 does not match expected fingerprint CD34"
        )
        .as_deref(),
        Some("signature by key AB12 of AB12 is not accepted")
    );
}

#[test]
fn registries_conf_rewrites() {
    let conf = RegistriesConf::parse(
        "unqualified-search-registries = []\n\n\
         [[registry]]\nprefix = \"registry.example.com\"\nlocation = \"127.0.0.1:55000\"\ninsecure = true\n\n\
         [[registry]]\nprefix = \"docker.io\"\nlocation = \"127.0.0.1:55000/hub\"\ninsecure = true\n\n\
         [[registry]]\nlocation = \"127.0.0.1:55000\"\ninsecure = true\n",
    )
    .expect("parses");
    let physical = |r: &str| {
        let r = containers_policy::DockerReference::parse_normalized(r).expect("reference");
        conformance::physical_reference(&conf, &r)
            .expect("rewrites")
            .to_string()
    };
    assert_eq!(
        physical("busybox:latest"),
        "127.0.0.1:55000/hub/library/busybox:latest"
    );
    assert_eq!(
        physical("registry.example.com/a/b:1"),
        "127.0.0.1:55000/a/b:1"
    );
    assert_eq!(
        physical("registry.example.community/a:1"),
        "registry.example.community/a:1"
    );
    assert_eq!(
        physical("127.0.0.1:55000/conf/x:v1"),
        "127.0.0.1:55000/conf/x:v1"
    );
}
