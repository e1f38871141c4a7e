//! Replays containers/image's own verdicts (`../shared/upstream-fixtures/expected-verdicts.jsonl`) through
//! the public API. Every case is run or explicitly counted as not yet covered; any mismatch fails.

mod common;

use std::{
    collections::BTreeMap,
    path::{Path, PathBuf},
    time::SystemTime,
};

use containers_policy::{
    ErrorKind, ImageReference, Options, Policy, PolicyContext, SignatureVerdict, UnparsedImage,
    manifest,
    openpgp::{self, Keyring},
    simple,
};
use serde_json::Value;

struct Run<'a> {
    root: &'a Path,
    failures: Vec<String>,
    /// kind → (passed, not covered yet)
    tally: BTreeMap<String, (usize, usize)>,
}

fn main_case_list(root: &Path) -> Vec<Value> {
    std::fs::read_to_string(root.join("expected-verdicts.jsonl"))
        .expect("expected-verdicts.jsonl")
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).expect("valid JSON line"))
        .collect()
}

fn error_kind(error_type: &str) -> Option<ErrorKind> {
    match error_type {
        "PolicyRequirementError" => Some(ErrorKind::PolicyRequirement),
        "InvalidSignatureError" => Some(ErrorKind::InvalidSignature),
        "InvalidPolicyFormatError" => Some(ErrorKind::InvalidPolicy),
        _ => None,
    }
}

impl Run<'_> {
    fn path(&self, rel: &str) -> PathBuf {
        self.root.join(rel)
    }

    fn bytes(&self, v: &Value) -> Vec<u8> {
        match v {
            Value::String(p) => std::fs::read(self.path(p)).unwrap_or_else(|e| panic!("{p}: {e}")),
            Value::Object(o) if o.contains_key("literal") => {
                o["literal"].as_str().expect("literal").as_bytes().to_vec()
            }
            Value::Object(o) if o.contains_key("concat") => o["concat"]
                .as_array()
                .expect("concat")
                .iter()
                .flat_map(|p| self.bytes(p))
                .collect(),
            other => panic!("unexpected blob spec {other}"),
        }
    }

    fn signature_blob(&self, case: &Value) -> Option<Vec<u8>> {
        if let Some(p) = case.get("signature").and_then(Value::as_str) {
            return Some(self.bytes(&Value::String(p.into())));
        }
        case.get("signature_bytes")
            .and_then(Value::as_str)
            .map(|s| s.as_bytes().to_vec())
    }

    fn image(&self, case: &Value) -> UnparsedImage {
        let reference = case
            .get("reference")
            .and_then(Value::as_str)
            .unwrap_or("testing/manifest:latest");
        let reference = ImageReference::parse(&format!("docker://{reference}")).expect("reference");
        if case["case"]
            .as_str()
            .is_some_and(|c| c.ends_with("signature-read-error"))
        {
            // Upstream: manifest.json `{}` and a signature-1 that is a symlink to itself (ELOOP).
            let dir = tempfile::tempdir().expect("tempdir").keep();
            std::fs::write(dir.join("manifest.json"), b"{}").expect("write");
            std::os::unix::fs::symlink("signature-1", dir.join("signature-1")).expect("symlink");
            return UnparsedImage::from_dir(dir, reference);
        }
        let dir = case
            .get("image_dir")
            .and_then(Value::as_str)
            .unwrap_or("signature/fixtures/dir-img-valid");
        UnparsedImage::from_dir(self.path(dir), reference)
    }

    fn context(
        &self,
        policy_json: &Value,
        case: &Value,
    ) -> Result<PolicyContext, containers_policy::Error> {
        // Empty requirement lists cannot be written in policy.json (the parser refuses them); upstream builds
        // such policies in code, and so do we.
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
        &mut self,
        case: &Value,
        ok: bool,
        err: Option<&containers_policy::Error>,
    ) -> Result<(), String> {
        let expected = case["expected"].as_str().unwrap_or_default();
        let want_ok = matches!(
            expected,
            "accepted" | "verified" | "parsed" | "match" | "digest"
        );
        if ok != want_ok {
            return Err(format!(
                "expected {expected}, got {}",
                err.map_or("success".to_owned(), |e| e.to_string())
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
        Ok(())
    }

    fn run_case(&mut self, case: &Value) -> Result<bool, String> {
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
                        return self.check_result(case, false, Some(&e)).map(|_| true);
                    }
                    Err(e) => return Err(format!("policy did not parse: {e}")),
                };
                let image = self.image(case);
                if level == "image" {
                    let d = ctx.evaluate(&image);
                    return self
                        .check_result(case, d.allowed(), d.result.as_ref().err())
                        .map(|_| true);
                }
                let blob = self.signature_blob(case).unwrap_or_else(|| {
                    std::fs::read(self.path("signature/fixtures/dir-img-valid/signature-1"))
                        .expect("sig")
                });
                let verdicts = ctx.signature_verdicts(&image, &blob);
                match (&verdicts[0].1, case["expected"].as_str()) {
                    (SignatureVerdict::Unknown, Some("unknown")) => Ok(true),
                    (SignatureVerdict::Unknown, _) => Err("got unknown".into()),
                    (SignatureVerdict::Accepted(a), _) => {
                        if let Some(p) = case.get("parsed_signature") {
                            if p["docker-reference"] != a.docker_reference.as_str()
                                || p["docker-manifest-digest"] != a.docker_manifest_digest.as_str()
                            {
                                return Err(format!("accepted with wrong claims {a:?}"));
                            }
                        }
                        self.check_result(case, true, None).map(|_| true)
                    }
                    (SignatureVerdict::Rejected(e), _) => {
                        self.check_result(case, false, Some(e)).map(|_| true)
                    }
                    (_, _) => Err("unexpected verdict".into()),
                }
            }
            ("policy", "policy") => {
                let ctx = self
                    .context(&case["policy"], case)
                    .map_err(|e| e.to_string())?;
                let d = ctx.evaluate(&self.image(case));
                self.check_result(case, d.allowed(), d.result.as_ref().err())
                    .map(|_| true)
            }
            ("policy", "accepted-signatures") => {
                let ctx = self
                    .context(&case["policy"], case)
                    .map_err(|e| e.to_string())?;
                let sigs = match ctx.signatures_with_accepted_author(&self.image(case)) {
                    Err(_) if case["expected"] == "error" => return Ok(true),
                    r => r.map_err(|e| e.to_string())?,
                };
                let want = case["accepted_signatures"].as_array().expect("list");
                let got: Vec<Value> = sigs
                    .iter()
                    .map(|s| {
                        serde_json::json!({"docker-manifest-digest": s.docker_manifest_digest,
                                           "docker-reference": s.docker_reference})
                    })
                    .collect();
                let want: Vec<Value> = want
                    .iter()
                    .map(|w| {
                        serde_json::json!({"docker-manifest-digest": w["docker-manifest-digest"],
                                           "docker-reference": w["docker-reference"]})
                    })
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
                        let parsed = Policy::from_path(self.path("signature/fixtures/policy.json"));
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
                    .map(|_| true)
            }
            ("mechanism", _) | ("keyring", _) => {
                let blobs: Vec<Vec<u8>> = case["keyring"]
                    .as_array()
                    .expect("keyring")
                    .iter()
                    .map(|k| self.bytes(k))
                    .collect();
                let keyring = Keyring::from_blobs(blobs.iter().map(Vec::as_slice));
                if kind == "keyring" {
                    let want: Vec<&str> = case["key_identities"]
                        .as_array()
                        .expect("ids")
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
                let blob = self.signature_blob(case).expect("signature");
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
                        self.check_result(case, true, None).map(|_| true)
                    }
                    Err(e) => self.check_result(case, false, Some(&e)).map(|_| true),
                }
            }
            ("untrusted-contents", _) => {
                let blob = self.signature_blob(case).expect("signature");
                let r = openpgp::untrusted_contents(&blob);
                let expected = case["expected"].as_str().unwrap_or_default();
                match (r, expected) {
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
                            let p = containers_policy::payload::SimpleSigningPayload::from_slice(
                                &c.content,
                            )
                            .map_err(|e| e.to_string())?;
                            if u["docker-reference"] != p.docker_reference.as_str()
                                || u["docker-manifest-digest"] != p.docker_manifest_digest.as_str()
                                || u["creator"] != serde_json::to_value(&p.creator).expect("json")
                                || u["timestamp"]
                                    != serde_json::to_value(p.timestamp).expect("json")
                            {
                                return Err(format!("parsed {p:?}"));
                            }
                        }
                        Ok(true)
                    }
                    (Ok(_), "rejected") => {
                        // Reading the literal data is possible, but the payload must not parse.
                        let c = openpgp::untrusted_contents(&blob).expect("ok");
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
                let blobs: Vec<Vec<u8>> = case["keyring"]
                    .as_array()
                    .expect("keyring")
                    .iter()
                    .map(|k| self.bytes(k))
                    .collect();
                let keyring = Keyring::from_blobs(blobs.iter().map(Vec::as_slice));
                let accepted: Vec<String> = case["accepted_key_identities"]
                    .as_array()
                    .expect("ids")
                    .iter()
                    .filter_map(|v| v.as_str().map(str::to_owned))
                    .collect();
                let r = simple::verify_docker_manifest_signature(
                    &self.signature_blob(case).expect("sig"),
                    &self.bytes(&case["manifest"]),
                    case["reference"].as_str().expect("ref"),
                    &keyring,
                    &accepted,
                    now,
                );
                if let (Ok(v), Some(signer)) = (&r, case.get("signer").and_then(Value::as_str)) {
                    if v.signer != signer {
                        return Err(format!("signer {}", v.signer));
                    }
                }
                self.check_result(case, r.is_ok(), r.as_ref().err())
                    .map(|_| true)
            }
            ("digest", "manifest") => {
                let m = self.bytes(&case["manifest"]);
                match (manifest::manifest_digest(&m), case["expected"].as_str()) {
                    (Ok(d), Some("digest")) if d.as_str() == case["digest"] => Ok(true),
                    (Err(_), Some("error")) => Ok(true),
                    (r, e) => Err(format!("got {r:?}, expected {e:?}")),
                }
            }
            ("digest", "matches-digest") => {
                let m = self.bytes(&case["manifest"]);
                match (
                    manifest::matches_digest(&m, case["digest"].as_str().expect("digest")),
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
                let image = self.image(case);
                if ctx.evaluate(&image).allowed() {
                    return Err(
                        "sigstoreSigned accepted an image before its verification exists".into(),
                    );
                }
                if case["expected"] == "rejected" && level == "image" {
                    Ok(true)
                } else {
                    Ok(false)
                }
            }
            _ => Ok(false),
        }
    }
}

#[test]
fn upstream_expected_verdicts() {
    let Some(root) = common::upstream() else {
        return;
    };
    let cases = main_case_list(root);
    let mut run = Run {
        root,
        failures: Vec::new(),
        tally: BTreeMap::new(),
    };
    for case in &cases {
        let kind = case["kind"].as_str().unwrap_or_default().to_owned();
        let name = case["case"].as_str().unwrap_or_default().to_owned();
        let result = run.run_case(case);
        let entry = run.tally.entry(kind).or_default();
        match result {
            Ok(true) => entry.0 += 1,
            Ok(false) => entry.1 += 1,
            Err(e) => run.failures.push(format!("{name}: {e}")),
        }
    }
    for (kind, (passed, uncovered)) in &run.tally {
        eprintln!("upstream {kind}: {passed} passed, {uncovered} not covered yet");
    }
    assert!(
        run.failures.is_empty(),
        "{} upstream cases disagree:\n{}",
        run.failures.len(),
        run.failures.join("\n")
    );
    let passed: usize = run.tally.values().map(|t| t.0).sum();
    assert!(passed >= 150, "only {passed} upstream cases ran");
}

/// One context shared by several threads gives every thread the verdicts a single thread gets.
#[test]
fn concurrent_evaluations_agree() {
    let Some(root) = common::upstream() else {
        return;
    };
    let policy = Policy::from_slice(
        serde_json::json!({
            "default": [{"type": "reject"}],
            "transports": {"docker": {"docker.io/testing/manifest": [
                {"type": "signedBy", "keyType": "GPGKeys", "keyPath": "signature/fixtures/public-key.gpg"}
            ]}}
        })
        .to_string()
        .as_bytes(),
    )
    .expect("policy");
    let ctx = PolicyContext::with_options(policy, Options::default().with_base_dir(root));
    let images: Vec<(UnparsedImage, Result<(), String>)> = [
        ("dir-img-valid", "testing/manifest:latest", Ok(())),
        (
            "dir-img-unsigned",
            "testing/manifest:latest",
            Err("A signature was required, but no signature exists"),
        ),
        (
            "dir-img-valid",
            "testing/manifest:other",
            Err(r#"Signature for identity "testing/manifest:latest" is not accepted"#),
        ),
        (
            "dir-img-valid",
            "quay.io/x/y:1",
            Err("Running image docker://quay.io/x/y:1 is rejected by policy."),
        ),
    ]
    .into_iter()
    .map(|(dir, reference, want)| {
        let reference = ImageReference::parse(&format!("docker://{reference}")).expect("reference");
        let image = UnparsedImage::from_dir(root.join("signature/fixtures").join(dir), reference);
        (image, want.map_err(str::to_owned))
    })
    .collect();
    std::thread::scope(|s| {
        for t in 0..4 {
            let (ctx, images) = (&ctx, &images);
            s.spawn(move || {
                for round in 0..50 {
                    for (image, want) in images.iter().cycle().skip(t + round).take(images.len()) {
                        let got = ctx
                            .is_running_image_allowed(image)
                            .map_err(|e| e.to_string());
                        assert_eq!(&got, want, "thread {t} round {round}");
                    }
                }
            });
        }
    });
}
