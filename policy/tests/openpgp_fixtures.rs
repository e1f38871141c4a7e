//! The `mechanism`, `keyring` and `untrusted-contents` cases of the upstream fixtures'
//! `expected-verdicts.jsonl`, with the GPGME column's verdict, plus the exact GPGME texts observed with
//! skopeo 1.9.3 (`skopeo standalone-verify`, GPGME, `TZ=UTC`).

use std::{
    path::Path,
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use containers_policy::{
    Error,
    openpgp::{Keyring, untrusted_contents, verify},
};
use containers_policy_testsupport::upstream;
use serde_json::Value;

/// Reads a fixture file of the upstream fixtures (`upstream::root()`: a private copy, upstream symlinks
/// materialized).
fn read_fixture(base: &Path, rel: &str) -> Vec<u8> {
    let path = base.join(rel);
    std::fs::read(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}

fn cases(base: &Path, kind: &str) -> Vec<Value> {
    let text = std::fs::read_to_string(base.join("expected-verdicts.jsonl")).expect("verdicts");
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str::<Value>(l).expect("JSON line"))
        .filter(|v| v["kind"] == kind)
        .collect()
}

fn keyring_blobs(base: &Path, case: &Value) -> Vec<Vec<u8>> {
    case["keyring"]
        .as_array()
        .expect("keyring list")
        .iter()
        .map(|entry| upstream::blob(base, entry).unwrap_or_else(|e| panic!("{e}")))
        .collect()
}

fn keyring_of(base: &Path, case: &Value) -> Keyring {
    let blobs = keyring_blobs(base, case);
    Keyring::from_blobs(blobs.iter().map(Vec::as_slice))
}

fn signature_of(base: &Path, case: &Value) -> Vec<u8> {
    match (case.get("signature"), case.get("signature_bytes")) {
        (Some(p), _) => read_fixture(base, p.as_str().expect("path")),
        (None, Some(b)) => b.as_str().expect("bytes").as_bytes().to_vec(),
        _ => panic!("case without signature: {case}"),
    }
}

#[test]
fn mechanism_cases() {
    let Some(base) = upstream::root() else { return };
    let all = cases(base, "mechanism");
    assert!(
        all.len() >= 15,
        "expected the mechanism cases, found {}",
        all.len()
    );
    let now = SystemTime::now();
    for case in &all {
        let name = case["case"].as_str().expect("case id");
        let keyring = keyring_of(base, case);
        let blob = signature_of(base, case);
        let res = verify(&keyring, &blob, now);
        match case["expected"].as_str() {
            Some("verified") => {
                let v = res.unwrap_or_else(|e| panic!("{name}: expected verified, got {e}"));
                assert_eq!(
                    v.primary_fingerprint,
                    case["signer"].as_str().expect("signer"),
                    "{name}"
                );
                assert_eq!(
                    v.content,
                    case["content"].as_str().expect("content").as_bytes(),
                    "{name}"
                );
            }
            Some("rejected") => {
                let e = res
                    .err()
                    .unwrap_or_else(|| panic!("{name}: expected rejection"));
                if let Some(by) = case["by_mechanism"]["gpgme"].as_str() {
                    if let Some(q) = by
                        .strip_prefix("rejected: '")
                        .and_then(|s| s.split('\'').next())
                    {
                        if !q.contains("...") {
                            assert_eq!(e.to_string(), q, "{name}");
                        }
                    }
                }
            }
            other => panic!("{name}: unexpected expectation {other:?}"),
        }
    }
}

#[test]
fn keyring_cases() {
    let Some(base) = upstream::root() else { return };
    let all = cases(base, "keyring");
    assert!(all.len() >= 7);
    for case in &all {
        let name = case["case"].as_str().expect("case id");
        let keyring = keyring_of(base, case);
        let want: Vec<&str> = case["key_identities"]
            .as_array()
            .expect("identities")
            .iter()
            .map(|v| v.as_str().expect("fpr"))
            .collect();
        // keyring.garbage is "no-keys-or-error"; GPGME imports nothing without error.
        assert_eq!(keyring.fingerprints(), want, "{name}");
    }
}

#[test]
fn untrusted_contents_cases() {
    let Some(base) = upstream::root() else { return };
    let all = cases(base, "untrusted-contents");
    assert!(all.len() >= 9);
    for case in &all {
        let name = case["case"].as_str().expect("case id");
        let blob = signature_of(base, case);
        let res = untrusted_contents(&blob);
        let u = &case["untrusted"];
        match case["expected"].as_str() {
            Some("contents") => {
                let c = res.unwrap_or_else(|e| panic!("{name}: {e}"));
                assert_eq!(
                    c.content,
                    u["content"].as_str().expect("content").as_bytes(),
                    "{name}"
                );
                assert_eq!(
                    c.short_key_id,
                    u["short_key_id"].as_str().expect("key id"),
                    "{name}"
                );
            }
            Some("parsed") => {
                // Contents must be the simple-signing JSON carrying the listed claims.
                let c = res.unwrap_or_else(|e| panic!("{name}: {e}"));
                assert_eq!(
                    c.short_key_id,
                    u["short_key_id"].as_str().expect("key id"),
                    "{name}"
                );
                let json: Value = serde_json::from_slice(&c.content).expect("JSON payload");
                assert_eq!(
                    json["critical"]["identity"]["docker-reference"], u["docker-reference"],
                    "{name}"
                );
                assert_eq!(
                    json["critical"]["image"]["docker-manifest-digest"],
                    u["docker-manifest-digest"],
                    "{name}"
                );
                assert_eq!(
                    json["optional"]
                        .get("creator")
                        .cloned()
                        .unwrap_or(Value::Null),
                    u["creator"],
                    "{name}"
                );
                assert_eq!(
                    json["optional"]
                        .get("timestamp")
                        .cloned()
                        .unwrap_or(Value::Null),
                    u["timestamp"],
                    "{name}"
                );
            }
            Some("rejected") => match res {
                // The signature layer rejects it (not a signature, or a payload that is not JSON: the
                // JSON layer refuses the latter).
                Err(_) => {}
                Ok(c) => assert!(
                    serde_json::from_slice::<Value>(&c.content).is_err(),
                    "{name}: parsed as JSON"
                ),
            },
            other => panic!("{name}: unexpected expectation {other:?}"),
        }
    }
}

fn fixture_keyring(base: &Path) -> Keyring {
    let pubring = read_fixture(base, "signature/fixtures/pubring.gpg");
    Keyring::from_blobs([pubring.as_slice()])
}

fn verify_fixture(
    base: &Path,
    file: &str,
    now: SystemTime,
) -> Result<containers_policy::openpgp::VerifiedMessage, Error> {
    let blob = read_fixture(base, &format!("signature/fixtures/{file}"));
    verify(&fixture_keyring(base), &blob, now)
}

const ZERO: &str = "time.Date(1970, time.January, 1, 0, 0, 0, 0, time.Local)";

/// Texts observed with `skopeo standalone-verify` (skopeo 1.9.3, containers/image 5.23.1, GPGME, TZ=UTC).
#[test]
fn gpgme_error_texts() {
    let Some(base) = upstream::root() else { return };
    let now = SystemTime::now();
    let bad = format!(
        "Invalid GPG signature: gpgme.Signature{{Summary:4, Fingerprint:\"E932F44B23E8DD43\", Status:gpgme.Error{{err:0x7000008}}, Timestamp:{ZERO}, ExpTimestamp:{ZERO}, WrongKeyUsage:false, PKATrust:0x0, ChainModel:false, Validity:0, ValidityReason:error(nil), PubkeyAlgo:0, HashAlgo:0}}"
    );
    for f in ["corrupt.signature", "corrupt.signature-v3"] {
        assert_eq!(
            verify_fixture(base, f, now),
            Err(Error::InvalidSignature(bad.clone())),
            "{f}"
        );
    }
    assert_eq!(
        verify_fixture(base, "expired.signature", now),
        Err(Error::InvalidSignature(
            "Invalid GPG signature: gpgme.Signature{Summary:64, Fingerprint:\"08CD26E446E2E95249B7A405E932F44B23E8DD43\", Status:gpgme.Error{err:0x700009a}, Timestamp:time.Date(2025, time.June, 23, 21, 0, 58, 0, time.Local), ExpTimestamp:time.Date(2025, time.June, 24, 10, 0, 0, 0, time.Local), WrongKeyUsage:false, PKATrust:0x0, ChainModel:false, Validity:0, ValidityReason:error(nil), PubkeyAlgo:1, HashAlgo:8}"
                .to_owned()
        ))
    );
    assert_eq!(
        verify_fixture(base, "unknown-key.signature", now),
        Err(Error::InvalidSignature(format!(
            "Invalid GPG signature: gpgme.Signature{{Summary:128, Fingerprint:\"5F9470E3BC6C3B55\", Status:gpgme.Error{{err:0x9}}, Timestamp:time.Date(2025, time.June, 24, 17, 16, 54, 0, time.Local), ExpTimestamp:{ZERO}, WrongKeyUsage:false, PKATrust:0x0, ChainModel:false, Validity:0, ValidityReason:error(nil), PubkeyAlgo:1, HashAlgo:8}}"
        )))
    );
    let revoked = format!(
        "Invalid GPG signature: gpgme.Signature{{Summary:16, Fingerprint:\"4D33404E00B470050709F3233EF0F93A1F602997\", Status:gpgme.Error{{err:0x700005e}}, Timestamp:time.Date(2025, time.July, 23, 20, 40, 16, 0, time.Local), ExpTimestamp:{ZERO}, WrongKeyUsage:false, PKATrust:0x0, ChainModel:false, Validity:0, ValidityReason:error(nil), PubkeyAlgo:1, HashAlgo:8}}"
    );
    for f in ["subkey-revoked.signature", "subkey-revoked.signature-v3"] {
        assert_eq!(
            verify_fixture(base, f, now),
            Err(Error::InvalidSignature(revoked.clone())),
            "{f}"
        );
    }
    for f in [
        "unsigned-literal.signature",
        "unsigned-encrypted.signature",
        "public-key-1.gpg",
    ] {
        assert_eq!(
            verify_fixture(base, f, now),
            Err(Error::InvalidSignature(
                "Unexpected GPG signature count 0".into()
            )),
            "{f}"
        );
    }
}

#[test]
fn expired_signature_is_time_dependent() {
    let Some(base) = upstream::root() else { return };
    // Created 2025-06-23T21:00:58Z, expires 2025-06-24T10:00:00Z.
    let before = UNIX_EPOCH + Duration::from_secs(1_750_759_200 - 60);
    let v = verify_fixture(base, "expired.signature", before).expect("valid before expiry");
    assert_eq!(v.content, b"This signature is expired.\n");
    assert!(
        verify_fixture(
            base,
            "expired.signature",
            UNIX_EPOCH + Duration::from_secs(1_750_759_200)
        )
        .is_err()
    );
}

#[test]
fn subkey_signature_reports_subkey_and_primary() {
    let Some(base) = upstream::root() else { return };
    for f in ["subkey.signature", "subkey.signature-v3"] {
        let v = verify_fixture(base, f, SystemTime::now()).expect(f);
        assert_eq!(
            v.key_fingerprint,
            "57D1D95BBC53BA0EAFF0718CD75B3109B3BAAEAF"
        );
        assert_eq!(
            v.primary_fingerprint,
            "B9F4CDB9FD8C475BFA340AC38D54A947EE396F36"
        );
    }
}

#[test]
fn only_listed_keys_are_used() {
    let Some(base) = upstream::root() else { return };
    let other = read_fixture(base, "signature/fixtures/public-key-2.gpg");
    let keyring = Keyring::from_blobs([other.as_slice()]);
    let blob = read_fixture(base, "signature/fixtures/dir-img-valid/signature-1");
    let e = verify(&keyring, &blob, SystemTime::now()).expect_err("08CD is not in the keyring");
    assert!(
        e.to_string()
            .starts_with("Invalid GPG signature: gpgme.Signature{Summary:128, "),
        "{e}"
    );
    let v = verify(&fixture_keyring(base), &blob, SystemTime::now()).expect("valid");
    assert_eq!(
        v.key_fingerprint,
        "08CD26E446E2E95249B7A405E932F44B23E8DD43"
    );
    // The pseudo-link in dir-img-valid-2 leads to the same bytes.
    assert_eq!(
        read_fixture(base, "signature/fixtures/dir-img-valid-2/signature-1"),
        blob
    );
}

/// Measures the cost of one RSA-2048 verification of a ~400-byte payload (release build:
/// `cargo test --release -p containers-policy --features crypto-nettle --test openpgp_fixtures -- --ignored --nocapture verify_cost`).
#[test]
#[ignore = "timing, run on demand"]
fn verify_cost() {
    use sequoia_openpgp::{
        cert::{CertBuilder, CipherSuite},
        serialize::SerializeInto,
        types::KeyFlags,
    };
    let (cert, _) = CertBuilder::new()
        .set_cipher_suite(CipherSuite::RSA2k)
        .set_primary_key_flags(KeyFlags::empty().set_signing().set_certification())
        .add_userid("bench <bench@example.com>")
        .generate()
        .expect("generate");
    let tsk = cert.as_tsk().to_vec().expect("serialize");
    let key =
        containers_policy::openpgp::SigningKey::from_bytes(&tsk, None, None).expect("signing key");
    let keyring = Keyring::from_blobs([cert.to_vec().expect("serialize").as_slice()]);
    let now = SystemTime::now() + Duration::from_secs(10);
    let blobs: Vec<Vec<u8>> = (0..300u32)
        .map(|i| {
            let mut payload = vec![b'x'; 396];
            payload.extend_from_slice(&i.to_be_bytes());
            containers_policy::openpgp::sign(&key, &payload, now).expect("sign")
        })
        .collect();
    let t = std::time::Instant::now();
    for b in &blobs {
        verify(&keyring, b, now).expect("verify");
    }
    let fresh = t.elapsed() / blobs.len() as u32;
    let n = 30000;
    let t = std::time::Instant::now();
    for i in 0..n {
        verify(&keyring, &blobs[i % blobs.len()], now).expect("verify");
    }
    let cached = t.elapsed() / n as u32;
    eprintln!(
        "verify RSA-2048, 400-byte payload: {fresh:?} per distinct signature, {cached:?} when sequoia's signature cache hits"
    );
}
