//! The `containers-policy` binary, run as a user would.

use std::{
    path::{Path, PathBuf},
    process::{Command, Output},
};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_containers-policy"))
}

fn run(args: &[&str]) -> Output {
    bin().args(args).output().expect("run containers-policy")
}

fn stdout_json(o: &Output) -> serde_json::Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}): {}",
            String::from_utf8_lossy(&o.stdout)
        )
    })
}

/// The upstream fixtures with their textual links resolved into real files, or `None` (after printing
/// the skip message) when absent.
fn fixtures() -> Option<PathBuf> {
    containers_policy_testsupport::upstream::root().map(|r| r.join("signature/fixtures"))
}

fn signed_by_policy(dir: &Path) -> PathBuf {
    let policy = serde_json::json!({
        "default": [{"type": "reject"}],
        "transports": {"docker": {"docker.io/testing/manifest": [
            {"type": "signedBy", "keyType": "GPGKeys", "keyPath": dir.join("public-key.gpg")}
        ]}}
    });
    let path = dir.join("signed-by.json");
    std::fs::write(&path, policy.to_string()).expect("write policy");
    path
}

#[test]
fn check_reports_upstream_messages_as_json() {
    let tmp = tempfile::tempdir().unwrap();
    let bad = tmp.path().join("bad.json");
    std::fs::write(&bad, r#"{"default":[{"type":"reject"}],"unknown":1}"#).unwrap();
    let o = run(&["check", bad.to_str().unwrap(), "--json"]);
    assert_eq!(o.status.code(), Some(1));
    let j = stdout_json(&o);
    assert_eq!(j["ok"], false);
    assert_eq!(
        j["error"],
        format!(
            r#"invalid policy in "{}": Unknown key "unknown""#,
            bad.display()
        )
    );

    let good = tmp.path().join("good.json");
    std::fs::write(&good, r#"{"default":[{"type":"insecureAcceptAnything"}]}"#).unwrap();
    let o = run(&["check", good.to_str().unwrap(), "--json"]);
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(
        stdout_json(&o),
        serde_json::json!({"ok": true, "error": null})
    );
}

#[test]
fn eval_verdicts_and_exit_codes() {
    let Some(f) = fixtures() else { return };
    let policy = signed_by_policy(&f);
    let p = policy.to_str().unwrap();
    let eval = |dir: &str, reference: &str| {
        run(&[
            "eval",
            "--policy",
            p,
            "--dir",
            f.join(dir).to_str().unwrap(),
            "--reference",
            reference,
            "--json",
        ])
    };

    let o = eval("dir-img-valid", "docker://testing/manifest:latest");
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert_eq!(
        stdout_json(&o),
        serde_json::json!({"allowed": true, "error": null})
    );

    let o = eval("dir-img-unsigned", "docker://testing/manifest:latest");
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        stdout_json(&o)["error"],
        "A signature was required, but no signature exists"
    );

    let o = eval("dir-img-valid", "docker://testing/manifest:other");
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        stdout_json(&o)["error"],
        r#"Signature for identity "testing/manifest:latest" is not accepted"#
    );

    let o = eval(
        "dir-img-modified-manifest",
        "docker://testing/manifest:latest",
    );
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        stdout_json(&o)["error"],
        "Signature for digest sha256:20bf21ed457b390829cdbeec8795a7bea1626991fda603e0d01b4e7f60427e55 does not match"
    );

    let o = eval("dir-img-valid", "docker://quay.io/other/image:1");
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        stdout_json(&o)["error"],
        "Running image docker://quay.io/other/image:1 is rejected by policy."
    );

    // Unreadable inputs: exit 2, JSON still printed.
    let o = run(&[
        "eval",
        "--policy",
        "/this/does/not/exist",
        "--dir",
        f.to_str().unwrap(),
        "--json",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(
        stdout_json(&o)["error"],
        "open /this/does/not/exist: no such file or directory"
    );
}

#[test]
fn eval_explains_in_human_form() {
    let Some(f) = fixtures() else { return };
    let policy = signed_by_policy(&f);
    let o = run(&[
        "eval",
        "--policy",
        policy.to_str().unwrap(),
        "--dir",
        f.join("dir-img-valid").to_str().unwrap(),
        "--reference",
        "docker://testing/manifest:other",
    ]);
    let text = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        text.contains(r#"Scope:    transports.docker["docker.io/testing/manifest"]"#),
        "{text}"
    );
    assert!(text.contains("Requirement 1: signedBy"), "{text}");
    assert!(text.contains(r#"signature 1: rejected: Signature for identity "testing/manifest:latest" is not accepted"#), "{text}");
    assert!(text.contains("Verdict:  DENIED"), "{text}");
}

#[test]
fn verify_matches_skopeo_standalone_verify_output() {
    let Some(f) = fixtures() else { return };
    let o = run(&[
        "verify",
        "--public-key-file",
        f.join("public-key.gpg").to_str().unwrap(),
        f.join("image.manifest.json").to_str().unwrap(),
        "testing/manifest",
        "08CD26E446E2E95249B7A405E932F44B23E8DD43",
        f.join("image.signature").to_str().unwrap(),
    ]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&o.stdout),
        "Signature verified using fingerprint 08CD26E446E2E95249B7A405E932F44B23E8DD43, digest sha256:20bf21ed457b390829cdbeec8795a7bea1626991fda603e0d01b4e7f60427e55\n"
    );
    let o = run(&[
        "verify",
        "--public-key-file",
        f.join("public-key.gpg").to_str().unwrap(),
        f.join("image.manifest.json").to_str().unwrap(),
        "example.com/does-not/match",
        "any",
        f.join("image.signature").to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&o.stderr).trim_end(),
        r#"Error: Error verifying signature: Docker reference "testing/manifest" does not match "example.com/does-not/match""#
    );
}

#[test]
fn demo_runs_without_arguments_and_gets_the_expected_verdicts() {
    let o = bin().output().expect("run");
    let text = String::from_utf8_lossy(&o.stdout);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{text}\n{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(text.contains("ALLOWED"), "{text}");
    assert!(
        text.contains("A signature was required, but no signature exists"),
        "{text}"
    );
    assert!(
        text.contains(
            r#"Signature for identity "registry.demo.invalid/team/app:1.0" is not accepted"#
        ),
        "{text}"
    );
    assert_eq!(text.matches("DENIED").count(), 3, "{text}");
}

#[test]
fn sign_then_verify_round_trip() {
    // Uses a key made by the real gpg when available; the demo test covers our own keys.
    if Command::new("gpg").arg("--version").output().is_err() {
        eprintln!("skipped: gpg not installed");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().join("gnupg");
    std::fs::create_dir(&home).unwrap();
    let gpg = |args: &[&str]| {
        let o = Command::new("gpg")
            .env("GNUPGHOME", &home)
            .args(["--batch", "--pinentry-mode", "loopback", "--passphrase", ""])
            .args(args)
            .output()
            .unwrap();
        assert!(
            o.status.success(),
            "gpg {args:?}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        o.stdout
    };
    gpg(&[
        "--quick-gen-key",
        "CLI Test <cli@test.invalid>",
        "ed25519",
        "sign",
        "never",
    ]);
    std::fs::write(
        tmp.path().join("secret.asc"),
        gpg(&["--armor", "--export-secret-keys"]),
    )
    .unwrap();
    std::fs::write(tmp.path().join("public.asc"), gpg(&["--armor", "--export"])).unwrap();
    let manifest = tmp.path().join("manifest.json");
    std::fs::write(&manifest, br#"{"schemaVersion":2}"#).unwrap();
    let sig = tmp.path().join("sig");
    let p = |n: &str| tmp.path().join(n).to_str().unwrap().to_owned();
    let o = run(&[
        "sign",
        "--key",
        &p("secret.asc"),
        manifest.to_str().unwrap(),
        "quay.io/ns/app:1.0",
        "cli@test.invalid",
        "-o",
        sig.to_str().unwrap(),
    ]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let o = run(&[
        "verify",
        "--public-key-file",
        &p("public.asc"),
        manifest.to_str().unwrap(),
        "quay.io/ns/app:1.0",
        "any",
        sig.to_str().unwrap(),
    ]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(
        String::from_utf8_lossy(&o.stdout).starts_with("Signature verified using fingerprint ")
    );
}
