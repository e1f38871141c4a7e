//! registries.d files decoded exactly as containers/image v5.42 decodes them with yaml.v3: every input
//! of `tests/yaml-v3/expected.jsonl` (recorded by `tests/yaml-v3/main.go` against the real
//! `go.yaml.in/yaml/v3` v3.0.5) must give the same configuration, or the same error text byte for byte.

use serde_json::Value;
use sigstore_lookaside::{RegistriesD, Section};

const RECORDING: &str = include_str!("yaml-v3/expected.jsonl");

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex"))
        .collect()
}

/// A section as the recording writes it (Go's JSON with `omitempty`: empty strings and nil left out).
fn section_json(s: &Section) -> Value {
    let mut m = serde_json::Map::new();
    for (k, v) in [
        ("lookaside", &s.lookaside),
        ("lookaside-staging", &s.lookaside_staging),
        ("sigstore", &s.sigstore),
        ("sigstore-staging", &s.sigstore_staging),
    ] {
        if let Some(v) = v.as_ref().filter(|v| !v.is_empty()) {
            m.insert(k.to_owned(), Value::String(v.clone()));
        }
    }
    if let Some(b) = s.use_sigstore_attachments {
        m.insert("use-sigstore-attachments".to_owned(), Value::Bool(b));
    }
    Value::Object(m)
}

/// A decoded file as the recording writes it; a nil and an empty `docker` map are both left out.
fn config_json(c: &RegistriesD) -> Value {
    let mut m = serde_json::Map::new();
    if let Some(d) = &c.default_docker {
        m.insert("default-docker".to_owned(), section_json(d));
    }
    if !c.docker.is_empty() {
        let docker: serde_json::Map<String, Value> = c
            .docker
            .iter()
            .map(|(k, v)| (k.clone(), section_json(v)))
            .collect();
        m.insert("docker".to_owned(), Value::Object(docker));
    }
    Value::Object(m)
}

/// Compares every record of a recording; returns (records, disagreements).
fn replay(recording: &str) -> (usize, Vec<String>) {
    let mut failures = Vec::new();
    let mut count = 0;
    for line in recording.lines() {
        let record: Value = serde_json::from_str(line).expect("recording line");
        let input = match (record["in"].as_str(), record["in_hex"].as_str()) {
            (_, Some("-")) => Vec::new(),
            (_, Some(h)) => unhex(h),
            (Some(s), None) => s.as_bytes().to_vec(),
            (None, None) => panic!("record without input: {line}"),
        };
        count += 1;
        let ours = RegistriesD::from_yaml_files(&[("/etc/containers/registries.d/f.yaml", &input)]);
        let shown = String::from_utf8_lossy(&input);
        match (&record["err"], ours) {
            (Value::String(want), Err(e)) => {
                let want = format!("parsing /etc/containers/registries.d/f.yaml: {want}");
                if e.to_string() != want || e.kind() != sigstore_lookaside::ErrorKind::Config {
                    failures.push(format!(
                        "{shown:?}\n    yaml.v3: {want:?}\n    ours:    {:?}",
                        e.to_string()
                    ));
                }
            }
            (Value::String(want), Ok(c)) => failures.push(format!(
                "{shown:?}\n    yaml.v3: {want:?}\n    ours:    accepted {}",
                config_json(&c)
            )),
            (_, Err(e)) => failures.push(format!(
                "{shown:?}\n    yaml.v3: accepted {}\n    ours:    {:?}",
                record["ok"],
                e.to_string()
            )),
            (_, Ok(c)) => {
                let mut want = record["ok"].clone();
                if want
                    .get("docker")
                    .is_some_and(|d| d.as_object().is_some_and(|m| m.is_empty()))
                {
                    want.as_object_mut().map(|m| m.remove("docker"));
                }
                let got = config_json(&c);
                if want != got {
                    failures.push(format!(
                        "{shown:?}\n    yaml.v3: accepted {want}\n    ours:    accepted {got}"
                    ));
                }
            }
        }
    }
    (count, failures)
}

fn check(recording: &str, min: usize) {
    let (count, failures) = replay(recording);
    assert!(count >= min, "recording too small: {count}");
    for f in failures.iter().take(60) {
        eprintln!("{f}");
    }
    assert!(
        failures.is_empty(),
        "{} of {count} recorded inputs disagree with yaml.v3",
        failures.len()
    );
}

#[test]
fn every_recorded_yaml_v3_answer_is_reproduced() {
    check(RECORDING, 10_000);
}

/// A longer comparison on a recording made with `main.go -fuzz N` (not kept in the repository).
#[test]
#[ignore = "needs YAML_V3_FUZZ=<recording made by tests/yaml-v3/main.go -fuzz N>"]
fn fuzz_recording_is_reproduced() {
    let path = std::env::var("YAML_V3_FUZZ").expect("YAML_V3_FUZZ");
    let recording = std::fs::read_to_string(path).expect("read YAML_V3_FUZZ");
    check(&recording, 1);
}
