//! Replays every `kind == "registries.d"` case of the upstream `expected-verdicts.jsonl`: loading and
//! merging a directory, scope resolution (top-level values and per-section precedence), base URLs and
//! signature URLs.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../../policy/tests/common/mod.rs"]
mod common;

use std::{collections::BTreeMap, path::Path};

use containers_policy::DockerReference;
use serde_json::Value;
use sigstore_lookaside::{Environment, LookasideUrl, RegistriesD};

const HOME: &str = "/home/upstream-test-user";

fn inline(config: &Value) -> RegistriesD {
    // JSON is YAML: the inline configuration goes through the same parser as files do.
    RegistriesD::from_yaml_files(&[("inline", config.to_string())]).expect("inline config parses")
}

fn docker_ref(s: &str) -> DockerReference {
    DockerReference::parse_normalized(s).expect("reference parses")
}

fn str_field<'a>(case: &'a Value, key: &str) -> Option<&'a str> {
    case.get(key).and_then(Value::as_str)
}

/// Runs one case; `Err` describes a mismatch.
fn run(case: &Value, root: &Path) -> Result<(), String> {
    let level = str_field(case, "level").unwrap();
    let expected = str_field(case, "expected").unwrap();
    match level {
        "load" => {
            let dir = root.join(str_field(case, "registries_d").unwrap());
            let got = RegistriesD::load_dir(&dir).map_err(|e| format!("load failed: {e}"))?;
            let want = inline(&case["registries_d_inline"]);
            (expected == "parsed" && got == want)
                .then_some(())
                .ok_or_else(|| format!("got {got:#?}\nwant {want:#?}"))
        }
        "namespace" => {
            let wrapped = serde_json::json!({ "default-docker": case["registries_d_inline"] });
            let section = inline(&wrapped).default_docker.unwrap_or_default();
            check_values(case, |write| {
                Ok(section.signature_top_level(write).unwrap_or("").to_owned())
            })
        }
        "top-level" => {
            let config = inline(&case["registries_d_inline"]);
            let reference = docker_ref(str_field(case, "reference").unwrap());
            check_values(case, |write| {
                config
                    .signature_top_level(&reference, write)
                    .map(|v| v.unwrap_or("").to_owned())
                    .map_err(|e| e.to_string())
            })
        }
        "base-url" => {
            let empty = tempfile::tempdir().unwrap();
            let dir = match str_field(case, "registries_d").unwrap() {
                "<empty directory>" => empty.path().to_path_buf(),
                p if p.starts_with('/') => p.into(),
                p => root.join(p),
            };
            let reference = docker_ref(str_field(case, "reference").unwrap());
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
                    let want_read = str_field(case, "read_url").map(|u| u.replace("$HOME", HOME));
                    if let Some(want) = &want_read {
                        if &read != want {
                            return Err(format!("read URL {read}, want {want}"));
                        }
                        if want.starts_with(&format!(
                            "file://{HOME}/.local/share/containers/sigstore/"
                        )) {
                            let want_root = want.replace(
                                &format!("{HOME}/.local/share/containers/sigstore"),
                                "/var/lib/containers/sigstore",
                            );
                            if root_read != want_root {
                                return Err(format!("root read URL {root_read}, want {want_root}"));
                            }
                        }
                    }
                    match str_field(case, "write_url") {
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
            let index = usize::try_from(case["index"].as_u64().unwrap()).unwrap() + 1; // 0-based upstream
            let result = LookasideUrl::parse(str_field(case, "base_url").unwrap())
                .and_then(|b| b.signature_url_for(str_field(case, "digest").unwrap(), index));
            match (expected, result) {
                ("url", Ok(u)) => {
                    let want = str_field(case, "url").unwrap();
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
        if let Some(want) = str_field(case, key) {
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
    match str_field(case, "error_contains") {
        Some(want) if !message.contains(want) => {
            Err(format!("error {message:?} does not contain {want:?}"))
        }
        _ => Ok(()),
    }
}

#[test]
fn upstream_registries_d_cases() {
    let source = common::upstream_source();
    if !source.join("expected-verdicts.jsonl").is_file() {
        eprintln!(
            "SKIPPED: upstream fixtures not found at {}",
            source.display()
        );
        return;
    }
    let root = common::upstream().expect("fixtures copy");
    let text = std::fs::read_to_string(root.join("expected-verdicts.jsonl")).unwrap();
    let mut tally: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    let mut failures = Vec::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let case: Value = serde_json::from_str(line).unwrap();
        if case["kind"] != "registries.d" {
            continue;
        }
        let level = str_field(&case, "level").unwrap().to_owned();
        let entry = tally.entry(level).or_default();
        entry.1 += 1;
        match run(&case, root) {
            Ok(()) => entry.0 += 1,
            Err(e) => failures.push(format!("{}: {e}", str_field(&case, "case").unwrap())),
        }
    }
    for (level, (pass, total)) in &tally {
        eprintln!("registries.d {level}: {pass}/{total} pass");
    }
    let total: usize = tally.values().map(|t| t.1).sum();
    eprintln!(
        "registries.d total: {}/{total} pass",
        total - failures.len()
    );
    assert_eq!(total, 56, "expected 56 registries.d cases");
    assert!(failures.is_empty(), "failures:\n{}", failures.join("\n"));
}
