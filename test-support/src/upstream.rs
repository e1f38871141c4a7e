//! containers/image's own test corpus: `expected-verdicts.jsonl` and the files its cases name
//! (`signature/fixtures/…`, `docker/…`, …).

use std::{
    collections::BTreeMap,
    fs,
    path::{Path, PathBuf},
    sync::OnceLock,
};

use serde_json::Value;

/// The environment variable naming the corpus directory.
pub const ENV: &str = "CONTAINERS_POLICY_UPSTREAM_FIXTURES";

/// The case list, at the corpus root.
pub const VERDICTS: &str = "expected-verdicts.jsonl";

/// Where the corpus lives: `$CONTAINERS_POLICY_UPSTREAM_FIXTURES`, else `../shared/upstream-fixtures`
/// beside the workspace.
pub fn source() -> PathBuf {
    match std::env::var_os(ENV) {
        Some(p) => PathBuf::from(p),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/upstream-fixtures"),
    }
}

/// Whether `source` holds the corpus (its [`VERDICTS`] file).
pub fn present(source: &Path) -> bool {
    source.join(VERDICTS).is_file()
}

/// What a test prints when it skips: `skipped: upstream fixtures not found at …`.
pub fn skip_message(source: &Path) -> String {
    format!(
        "skipped: upstream fixtures not found at {}",
        source.display()
    )
}

/// A private copy of the corpus at [`source`] with upstream's symlinks materialized, made once per process
/// (and kept). `None`, after printing [`skip_message`], when the corpus is absent.
pub fn root() -> Option<&'static Path> {
    static ROOT: OnceLock<Option<PathBuf>> = OnceLock::new();
    let root = ROOT
        .get_or_init(|| {
            let src = source();
            present(&src).then(|| {
                let dst = tempfile::Builder::new()
                    .prefix("upstream-fixtures-")
                    .tempdir()
                    .expect("temporary directory")
                    .keep();
                materialize(&src, &dst);
                dst
            })
        })
        .as_deref();
    if root.is_none() {
        eprintln!("{}", skip_message(&source()));
    }
    root
}

/// Copies the corpus at `source` into `dst`, every file with the content [`resolve`] finds for it (real
/// and textual links followed); dangling links are left out, as missing files.
pub fn materialize(source: &Path, dst: &Path) {
    let root = fs::canonicalize(source).unwrap_or_else(|e| panic!("{}: {e}", source.display()));
    copy_tree(&root, &root, dst);
}

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

/// Follows real and textual links (a small file holding a relative path such as
/// `../dir-img-valid/manifest.json`) from `path` until a regular file with content is reached, and returns
/// its canonical path. `None` when the file or a link target is missing or not a regular file. Textual
/// links are followed only to targets inside `root` (a canonical path).
pub fn resolve(root: &Path, path: &Path) -> Option<PathBuf> {
    let mut path = path.to_path_buf();
    for _ in 0..8 {
        let meta = fs::metadata(&path).ok()?;
        if !meta.is_file() {
            return None;
        }
        if meta.len() > 0 && meta.len() < 200 {
            let text = fs::read(&path).ok()?;
            if let Ok(text) = std::str::from_utf8(&text) {
                let t = text.trim_end_matches('\n');
                if (t.starts_with("../")
                    || (!t.contains(' ') && t.contains('/') && !t.starts_with('{')))
                    && !t.contains('\n')
                {
                    let candidate = path.parent()?.join(t);
                    if let Ok(candidate) = fs::canonicalize(candidate) {
                        if candidate.starts_with(root) {
                            path = candidate;
                            continue;
                        }
                    }
                }
            }
        }
        return fs::canonicalize(path).ok();
    }
    None
}

/// The bytes a case names: a path relative to `root`, `{"literal": "…"}` or `{"concat": [spec, …]}`.
pub fn blob(root: &Path, spec: &Value) -> Result<Vec<u8>, String> {
    match spec {
        Value::String(p) => fs::read(root.join(p)).map_err(|e| format!("{p}: {e}")),
        Value::Object(o) if o.contains_key("literal") => Ok(o["literal"]
            .as_str()
            .ok_or("literal is not a string")?
            .as_bytes()
            .to_vec()),
        Value::Object(o) if o.contains_key("concat") => {
            let mut out = Vec::new();
            for p in o["concat"].as_array().ok_or("concat is not a list")? {
                out.extend(blob(root, p)?);
            }
            Ok(out)
        }
        other => Err(format!("unexpected blob spec {other}")),
    }
}

/// A case's signature: the file `signature` names, or the text of `signature_bytes`; `None` when it has
/// neither.
pub fn signature_blob(root: &Path, case: &Value) -> Result<Option<Vec<u8>>, String> {
    if let Some(p) = case.get("signature").and_then(Value::as_str) {
        return fs::read(root.join(p))
            .map(Some)
            .map_err(|e| format!("{p}: {e}"));
    }
    Ok(case
        .get("signature_bytes")
        .and_then(Value::as_str)
        .map(|s| s.as_bytes().to_vec()))
}

/// Per-group outcome of a replay.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Tally {
    /// Cases of this group.
    pub cases: usize,
    /// Cases replayed with the expected outcome.
    pub passed: usize,
    /// Cases not covered yet (never counted as passed).
    pub not_covered: usize,
}

/// A whole replay.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct Report {
    /// Group (a case's kind, or its level) → tally.
    pub kinds: BTreeMap<String, Tally>,
    /// `case: reason` for every disagreement (and `expected-verdicts.jsonl:N: …` for a malformed line).
    pub failures: Vec<String>,
}

impl Report {
    /// The sum over all groups.
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

/// Replays the cases of [`VERDICTS`] under `root` for which `group` names a group, with `run`:
/// `Ok(true)` as expected, `Ok(false)` not covered yet, `Err` a disagreement.
pub fn replay(
    root: &Path,
    group: impl Fn(&Value) -> Option<String>,
    mut run: impl FnMut(&Value) -> Result<bool, String>,
) -> Report {
    let text =
        fs::read_to_string(root.join(VERDICTS)).expect("expected-verdicts.jsonl is readable");
    let mut report = Report::default();
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let case: Value = match serde_json::from_str(line) {
            Ok(c) => c,
            Err(e) => {
                report.failures.push(format!("{VERDICTS}:{}: {e}", n + 1));
                continue;
            }
        };
        let Some(group) = group(&case) else {
            continue;
        };
        let result = run(&case);
        let tally = report.kinds.entry(group).or_default();
        tally.cases += 1;
        match result {
            Ok(true) => tally.passed += 1,
            Ok(false) => tally.not_covered += 1,
            Err(e) => report.failures.push(format!(
                "{}: {e}",
                case["case"].as_str().unwrap_or_default()
            )),
        }
    }
    report
}

/// A case's string field `key`.
pub fn str_field<'a>(case: &'a Value, key: &str) -> Result<&'a str, String> {
    case.get(key)
        .and_then(Value::as_str)
        .ok_or_else(|| format!("no {key}"))
}
