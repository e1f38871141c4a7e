//! `containers-policy bench`: the output's structure and sanity (never its timings).

use std::{path::Path, process::Command, time::SystemTime};

use containers_policy::{openpgp, simple};

const REFERENCE: &str = "docker://registry.example.com/team/app:1.0";

/// A `dir:` image signed for `registry.example.com/team/app:1.0` by a fresh key, and a policy requiring
/// that key for `registry.example.com/team`.
fn setup(dir: &Path) -> (std::path::PathBuf, std::path::PathBuf) {
    let key = openpgp::generate_key("Bench test <bench@example.invalid>").expect("generate key");
    let image = dir.join("image");
    std::fs::create_dir_all(&image).expect("mkdir");
    let manifest = br#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:cbd8c24b9c8be31bbc0df2fd34741f170e9d117aab5eafd187616eb7155ef0d1","size":204},"layers":[]}"#;
    std::fs::write(image.join("manifest.json"), manifest).expect("write manifest");
    let sig = simple::sign_docker_manifest(
        manifest,
        "registry.example.com/team/app:1.0",
        &key.signing_key,
        SystemTime::now(),
    )
    .expect("sign");
    std::fs::write(image.join("signature-1"), sig).expect("write signature");
    let key_path = dir.join("key.asc");
    std::fs::write(&key_path, &key.public_armored).expect("write key");
    let policy = dir.join("policy.json");
    let json = serde_json::json!({
        "default": [{"type": "reject"}],
        "transports": {"docker": {"registry.example.com/team": [
            {"type": "signedBy", "keyType": "GPGKeys", "keyPath": key_path.display().to_string()}
        ]}}
    });
    std::fs::write(&policy, json.to_string()).expect("write policy");
    (policy, image)
}

fn bench(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_containers-policy"))
        .arg("bench")
        .args(args)
        .output()
        .expect("run containers-policy bench")
}

fn json(out: &std::process::Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}): {}",
            String::from_utf8_lossy(&out.stdout)
        )
    })
}

fn positive(v: &serde_json::Value, field: &str) -> f64 {
    let x = v[field]
        .as_f64()
        .unwrap_or_else(|| panic!("{field} is not a number: {v}"));
    assert!(x > 0.0 && x.is_finite(), "{field} = {x}");
    x
}

#[test]
fn json_report_of_an_allowed_image_on_two_threads() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let (policy, image) = setup(tmp.path());
    let out = bench(&[
        "--policy",
        policy.to_str().expect("utf-8"),
        "--dir",
        image.to_str().expect("utf-8"),
        "--reference",
        REFERENCE,
        "--iterations",
        "41",
        "--threads",
        "2",
        "--json",
    ]);
    assert!(out.status.success(), "{out:?}");
    let v = json(&out);
    assert_eq!(v["allowed"], true, "{v}");
    assert!(v["error"].is_null(), "{v}");
    assert_eq!(v["iterations"], 41, "{v}");
    assert_eq!(v["threads"], 2, "{v}");
    positive(&v, "evals_per_sec");
    positive(&v, "seconds");
    positive(&v, "mean_us");
    let p50 = positive(&v, "p50_us");
    let p99 = positive(&v, "p99_us");
    assert!(p99 >= p50, "{v}");
}

#[test]
fn a_denied_image_is_measured_and_its_reason_reported() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let (policy, image) = setup(tmp.path());
    // Not covered by the policy's scope: the default rejects it.
    let out = bench(&[
        "--policy",
        policy.to_str().expect("utf-8"),
        "--dir",
        image.to_str().expect("utf-8"),
        "--reference",
        "docker://quay.io/other/app:1.0",
        "--iterations",
        "5",
        "--json",
    ]);
    assert!(out.status.success(), "{out:?}");
    let v = json(&out);
    assert_eq!(v["allowed"], false, "{v}");
    assert_eq!(
        v["error"], "Running image docker://quay.io/other/app:1.0 is rejected by policy.",
        "{v}"
    );
    assert_eq!(
        (v["iterations"].as_u64(), v["threads"].as_u64()),
        (Some(5), Some(1))
    );
    positive(&v, "evals_per_sec");
}

#[test]
fn readable_line() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let (policy, image) = setup(tmp.path());
    let out = bench(&[
        "--policy",
        policy.to_str().expect("utf-8"),
        "--dir",
        image.to_str().expect("utf-8"),
        "--reference",
        REFERENCE,
        "--iterations",
        "10",
    ]);
    assert!(out.status.success(), "{out:?}");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.starts_with("10 evaluations on 1 thread in ")
            && text.contains(" evaluations/s, p50 ")
            && text.trim_end().ends_with("(verdict: allowed)"),
        "{text}"
    );
}

#[test]
fn unreadable_inputs_exit_2() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let (policy, _) = setup(tmp.path());
    let missing = tmp.path().join("missing");
    let out = bench(&[
        "--policy",
        policy.to_str().expect("utf-8"),
        "--dir",
        missing.to_str().expect("utf-8"),
        "--json",
    ]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let v = json(&out);
    assert_eq!(v["allowed"], false);
    assert!(
        v["error"]
            .as_str()
            .is_some_and(|e| e.ends_with("missing: not a directory")),
        "{v}"
    );
    // Zero iterations are refused by the argument parser.
    let out = bench(&["--policy", "p", "--dir", "d", "--iterations", "0"]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
}
