//! Every `kind == "digest"` case of the upstream-derived `expected-verdicts.jsonl`.

mod formats_common;

use containers_policy::manifest::{
    DigestAlgorithm, manifest_digest, manifest_digest_with_algorithm, matches_digest,
};
use serde_json::Value;

fn manifest_bytes(root: &std::path::Path, spec: &Value) -> Vec<u8> {
    match spec {
        Value::String(path) => formats_common::read(root, path),
        Value::Object(o) => match o.get("literal") {
            Some(Value::String(s)) => s.as_bytes().to_vec(),
            other => panic!("unsupported manifest literal {other:?}"),
        },
        other => panic!("unsupported manifest spec {other:?}"),
    }
}

#[test]
fn digest_cases() {
    let root = fixtures_or_skip!();
    let text = std::fs::read_to_string(root.join("expected-verdicts.jsonl")).unwrap();
    let mut count = 0;
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let case: Value = serde_json::from_str(line).unwrap();
        if case["kind"] != "digest" {
            continue;
        }
        count += 1;
        let name = case["case"].as_str().unwrap();
        let m = manifest_bytes(&root, &case["manifest"]);
        let expected = case["expected"].as_str().unwrap();
        match case["level"].as_str().unwrap() {
            "manifest" => match expected {
                "digest" => {
                    assert_eq!(
                        manifest_digest(&m).unwrap().as_str(),
                        case["digest"].as_str().unwrap(),
                        "{name}"
                    );
                    if let Some(sha512) = case.get("sha512").and_then(Value::as_str) {
                        let d =
                            manifest_digest_with_algorithm(&m, DigestAlgorithm::Sha512).unwrap();
                        assert_eq!(d.as_str(), sha512, "{name}");
                    }
                }
                "error" => assert!(manifest_digest(&m).is_err(), "{name}"),
                other => panic!("{name}: unknown expectation {other}"),
            },
            "matches-digest" => {
                let r = matches_digest(&m, case["digest"].as_str().unwrap());
                match expected {
                    "match" => assert_eq!(r, Ok(true), "{name}"),
                    "no-match" => assert_eq!(r, Ok(false), "{name}"),
                    "error" => assert!(r.is_err(), "{name}"),
                    other => panic!("{name}: unknown expectation {other}"),
                }
            }
            other => panic!("{name}: unknown level {other}"),
        }
    }
    assert_eq!(count, 22, "number of digest cases");
}
