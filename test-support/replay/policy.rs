//! Replays the policy, signature, key, digest and parsing cases of containers/image's
//! `expected-verdicts.jsonl` through the containers-policy API. Compiled by the tests that replay them
//! (`policy/tests/upstream.rs`, the conformance suite) as their own module: see the crate documentation.

use std::{fs, path::Path, time::SystemTime};

use containers_policy::{
    ErrorKind, ImageReference, Options, Policy, PolicyContext, SignatureVerdict, UnparsedImage,
    manifest,
    openpgp::{self, Keyring},
    simple,
};
use containers_policy_testsupport::upstream::{self, signature_blob};
use serde_json::Value;

/// Replays one case of the corpus materialized at `root`: `Ok(true)` as expected, `Ok(false)` not covered
/// by this SDK yet (including every kind this replay does not know), `Err` a disagreement.
pub(crate) fn run_case(root: &Path, case: &Value) -> Result<bool, String> {
    Run { root }.run_case(case)
}

fn to_json(v: &impl serde::Serialize) -> Result<Value, String> {
    serde_json::to_value(v).map_err(|e| e.to_string())
}

fn error_kind(error_type: &str) -> Option<ErrorKind> {
    match error_type {
        "PolicyRequirementError" => Some(ErrorKind::PolicyRequirement),
        "InvalidSignatureError" => Some(ErrorKind::InvalidSignature),
        "InvalidPolicyFormatError" => Some(ErrorKind::InvalidPolicy),
        _ => None,
    }
}

struct Run<'a> {
    root: &'a Path,
}

impl Run<'_> {
    fn image(&self, case: &Value) -> Result<UnparsedImage, String> {
        let reference = case
            .get("reference")
            .and_then(Value::as_str)
            .unwrap_or("testing/manifest:latest");
        let reference = ImageReference::parse(&format!("docker://{reference}"))
            .map_err(|e| format!("reference: {e}"))?;
        if case["case"]
            .as_str()
            .is_some_and(|c| c.ends_with("signature-read-error"))
        {
            // Upstream: manifest.json `{}` and a signature-1 that is a symlink to itself (ELOOP).
            let dir = self.root.join("runner-signature-read-error");
            if !dir.is_dir() {
                fs::create_dir(&dir).map_err(|e| e.to_string())?;
                fs::write(dir.join("manifest.json"), b"{}").map_err(|e| e.to_string())?;
                std::os::unix::fs::symlink("signature-1", dir.join("signature-1"))
                    .map_err(|e| e.to_string())?;
            }
            return Ok(UnparsedImage::from_dir(dir, reference));
        }
        let dir = case
            .get("image_dir")
            .and_then(Value::as_str)
            .unwrap_or("signature/fixtures/dir-img-valid");
        Ok(UnparsedImage::from_dir(self.root.join(dir), reference))
    }

    fn context(
        &self,
        policy_json: &Value,
        case: &Value,
    ) -> Result<PolicyContext, containers_policy::Error> {
        // Empty requirement lists cannot be written in policy.json (the parser refuses them);
        // upstream builds such policies in code, and so do we.
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
        &self,
        case: &Value,
        ok: bool,
        err: Option<&containers_policy::Error>,
    ) -> Result<bool, String> {
        let expected = case["expected"].as_str().unwrap_or_default();
        let want_ok = matches!(
            expected,
            "accepted" | "verified" | "parsed" | "match" | "digest"
        );
        if ok != want_ok {
            return Err(format!(
                "expected {expected}, got {}",
                err.map_or("success".to_owned(), ToString::to_string)
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
        Ok(true)
    }

    fn keyring(&self, case: &Value) -> Result<Keyring, String> {
        let mut blobs = Vec::new();
        for k in case["keyring"].as_array().ok_or("no keyring")? {
            blobs.push(upstream::blob(self.root, k)?);
        }
        Ok(Keyring::from_blobs(blobs.iter().map(Vec::as_slice)))
    }

    /// `Ok(true)`: as expected; `Ok(false)`: not covered by this SDK yet; `Err`: a disagreement.
    fn run_case(&self, case: &Value) -> Result<bool, String> {
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
                        return self.check_result(case, false, Some(&e));
                    }
                    Err(e) => return Err(format!("policy did not parse: {e}")),
                };
                let image = self.image(case)?;
                if level == "image" {
                    let d = ctx.evaluate(&image);
                    return self.check_result(case, d.allowed(), d.result.as_ref().err());
                }
                let blob = match signature_blob(self.root, case)? {
                    Some(b) => b,
                    None => upstream::blob(
                        self.root,
                        &Value::String("signature/fixtures/dir-img-valid/signature-1".into()),
                    )?,
                };
                let verdicts = ctx.signature_verdicts(&image, &blob);
                let Some((_, verdict)) = verdicts.first() else {
                    return Err("no verdict".into());
                };
                match (verdict, case["expected"].as_str()) {
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
                        self.check_result(case, true, None)
                    }
                    (SignatureVerdict::Rejected(e), _) => self.check_result(case, false, Some(e)),
                    (_, _) => Err("unexpected verdict".into()),
                }
            }
            ("policy", "policy") => {
                let ctx = self
                    .context(&case["policy"], case)
                    .map_err(|e| e.to_string())?;
                let d = ctx.evaluate(&self.image(case)?);
                self.check_result(case, d.allowed(), d.result.as_ref().err())
            }
            ("policy", "accepted-signatures") => {
                let ctx = self
                    .context(&case["policy"], case)
                    .map_err(|e| e.to_string())?;
                let sigs = match ctx.signatures_with_accepted_author(&self.image(case)?) {
                    Err(_) if case["expected"] == "error" => return Ok(true),
                    r => r.map_err(|e| e.to_string())?,
                };
                let claims = |d: &Value, r: &Value| serde_json::json!({"docker-manifest-digest": d, "docker-reference": r});
                let got: Vec<Value> = sigs
                    .iter()
                    .map(|s| {
                        claims(
                            &s.docker_manifest_digest.as_str().into(),
                            &s.docker_reference.as_str().into(),
                        )
                    })
                    .collect();
                let want: Vec<Value> = case["accepted_signatures"]
                    .as_array()
                    .ok_or("no accepted_signatures")?
                    .iter()
                    .map(|w| claims(&w["docker-manifest-digest"], &w["docker-reference"]))
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
                        let parsed =
                            Policy::from_path(self.root.join("signature/fixtures/policy.json"));
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
            }
            ("mechanism", _) | ("keyring", _) => {
                let keyring = self.keyring(case)?;
                if kind == "keyring" {
                    let want: Vec<&str> = case["key_identities"]
                        .as_array()
                        .ok_or("no key_identities")?
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
                let blob = signature_blob(self.root, case)?.ok_or("no signature")?;
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
                        self.check_result(case, true, None)
                    }
                    Err(e) => self.check_result(case, false, Some(&e)),
                }
            }
            ("untrusted-contents", _) => {
                let blob = signature_blob(self.root, case)?.ok_or("no signature")?;
                let expected = case["expected"].as_str().unwrap_or_default();
                match (openpgp::untrusted_contents(&blob), expected) {
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
                                || u["creator"] != to_json(&p.creator)?
                                || u["timestamp"] != to_json(&p.timestamp)?
                            {
                                return Err(format!("parsed {p:?}"));
                            }
                        }
                        Ok(true)
                    }
                    (Ok(c), "rejected") => {
                        // Reading the literal data is possible, but the payload must not parse.
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
                let keyring = self.keyring(case)?;
                let accepted: Vec<String> = case["accepted_key_identities"]
                    .as_array()
                    .ok_or("no accepted_key_identities")?
                    .iter()
                    .filter_map(|v| v.as_str().map(str::to_owned))
                    .collect();
                let r = simple::verify_docker_manifest_signature(
                    &signature_blob(self.root, case)?.ok_or("no signature")?,
                    &upstream::blob(self.root, &case["manifest"])?,
                    case["reference"].as_str().ok_or("no reference")?,
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
            }
            ("digest", "manifest") => {
                let m = upstream::blob(self.root, &case["manifest"])?;
                match (manifest::manifest_digest(&m), case["expected"].as_str()) {
                    (Ok(d), Some("digest")) if d.as_str() == case["digest"] => Ok(true),
                    (Err(_), Some("error")) => Ok(true),
                    (r, e) => Err(format!("got {r:?}, expected {e:?}")),
                }
            }
            ("digest", "matches-digest") => {
                let m = upstream::blob(self.root, &case["manifest"])?;
                let digest = case["digest"].as_str().ok_or("no digest")?;
                match (
                    manifest::matches_digest(&m, digest),
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
                if ctx.evaluate(&self.image(case)?).allowed() {
                    return Err(
                        "sigstoreSigned accepted an image before its verification exists".into(),
                    );
                }
                Ok(case["expected"] == "rejected" && level == "image")
            }
            _ => Ok(false),
        }
    }
}
