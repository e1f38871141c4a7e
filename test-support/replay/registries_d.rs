//! Replays the `registries.d` cases of containers/image's `expected-verdicts.jsonl` (loading and merging a
//! directory, scope resolution, base URLs and signature URLs) through the sigstore-lookaside API. Compiled
//! by the tests that replay them (`sigstore-lookaside/tests/upstream_registries_d.rs`, the conformance
//! suite) as their own module: see the crate documentation.

use std::path::Path;

use containers_policy::DockerReference;
use containers_policy_testsupport::upstream::str_field;
use serde_json::Value;
use sigstore_lookaside::{Environment, LookasideUrl, RegistriesD};

const HOME: &str = "/home/upstream-test-user";

fn inline(config: &Value) -> Result<RegistriesD, String> {
    // JSON is YAML: the inline configuration goes through the same parser as files do.
    RegistriesD::from_yaml_files(&[("inline", config.to_string())])
        .map_err(|e| format!("inline config: {e}"))
}

fn docker_ref(s: &str) -> Result<DockerReference, String> {
    DockerReference::parse_normalized(s).map_err(|e| format!("reference {s}: {e}"))
}

/// Replays one `registries.d` case of the corpus materialized at `root`; `Err` describes a disagreement.
pub(crate) fn run_case(root: &Path, case: &Value) -> Result<(), String> {
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
                // The root default, which the case's notes give.
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
                                return Err(format!("root read URL {root_read}, want {want_root}"));
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
fn check_values(case: &Value, get: impl Fn(bool) -> Result<String, String>) -> Result<(), String> {
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
