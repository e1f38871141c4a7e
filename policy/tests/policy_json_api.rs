//! policy.json and simple-signing payload API tests: upstream's `fixtures/policy.json` (must equal
//! `policyFixtureContents` of `policy_config_test.go`), `NewPolicyFromFile` errors, serialization round trips,
//! builders, `simple_test.go` `TestMarshalJSON`, and a parse-speed check.

use std::{collections::BTreeMap, path::PathBuf, time::Instant};

use containers_policy::{
    Error, ErrorKind, Policy, PolicyRequirement, SignedIdentity,
    config::{GpgKeySource, KeyType, SigstoreSigned},
    payload::SimpleSigningPayload,
};

/// `$CONTAINERS_POLICY_UPSTREAM_FIXTURES`, else `<workspace root>/../shared/upstream-fixtures`.
fn upstream_fixtures() -> Option<PathBuf> {
    let dir = containers_policy_testsupport::upstream::source();
    if dir.is_dir() {
        Some(dir)
    } else {
        println!("skipped: upstream fixtures not found at {}", dir.display());
        None
    }
}

fn key_path(key_type: KeyType, path: &str, identity: SignedIdentity) -> PolicyRequirement {
    PolicyRequirement::signed_by(key_type, GpgKeySource::Path(path.into()), identity)
}

/// `policyFixtureContents` from upstream `policy_config_test.go`.
fn policy_fixture_contents() -> Policy {
    use KeyType::*;
    use PolicyRequirement as PR;
    use SignedIdentity::*;
    let rh = || {
        key_path(
            SignedByGpgKeys,
            "/keys/RH-key-signing-key-gpg-keyring",
            MatchRepoDigestOrExact,
        )
    };
    let mut key_path_example = SigstoreSigned::default();
    key_path_example.key_path = Some("/keys/public-key".into());
    key_path_example.signed_identity = MatchRepository;
    let mut key_data_example = SigstoreSigned::default();
    key_data_example.key_data = Some(b"nonsense".to_vec());
    let docker: BTreeMap<String, Vec<PolicyRequirement>> = [
        ("example.com/playground", vec![PR::InsecureAcceptAnything]),
        (
            "example.com/production",
            vec![key_path(
                GpgKeys,
                "/keys/employee-gpg-keyring",
                MatchRepoDigestOrExact,
            )],
        ),
        (
            "example.com/hardened",
            vec![
                key_path(GpgKeys, "/keys/employee-gpg-keyring", MatchRepository),
                key_path(
                    SignedByGpgKeys,
                    "/keys/public-key-signing-gpg-keyring",
                    MatchExact,
                ),
                PR::signed_base_layer(ExactRepository {
                    docker_repository: "registry.access.redhat.com/rhel7/rhel".into(),
                }),
            ],
        ),
        (
            "example.com/hardened-x509",
            vec![
                key_path(
                    X509Certificates,
                    "/keys/employee-cert-file",
                    MatchRepository,
                ),
                key_path(
                    SignedByX509Cas,
                    "/keys/public-key-signing-ca-file",
                    MatchRepoDigestOrExact,
                ),
            ],
        ),
        ("registry.access.redhat.com", vec![rh()]),
        (
            "registry.redhat.io/beta",
            vec![PR::signed_by(
                GpgKeys,
                GpgKeySource::Paths(vec![
                    "/keys/RH-production-signing-key-gpg-keyring".into(),
                    "/keys/RH-beta-signing-key-gpg-keyring".into(),
                ]),
                MatchRepoDigestOrExact,
            )],
        ),
        (
            "private-mirror:5000/vendor-mirror",
            vec![key_path(
                GpgKeys,
                "/keys/vendor-gpg-keyring",
                RemapIdentity {
                    prefix: "private-mirror:5000/vendor-mirror".into(),
                    signed_prefix: "vendor.example.com".into(),
                },
            )],
        ),
        ("*.access.redhat.com", vec![rh()]),
        ("*.redhat.com", vec![rh()]),
        ("*.com", vec![rh()]),
        (
            "bogus/key-data-example",
            vec![PR::signed_by(
                SignedByGpgKeys,
                GpgKeySource::Data(b"nonsense".to_vec()),
                MatchRepoDigestOrExact,
            )],
        ),
        (
            "bogus/signed-identity-example",
            vec![PR::signed_base_layer(ExactReference {
                docker_reference: "registry.access.redhat.com/rhel7/rhel:latest".into(),
            })],
        ),
        (
            "example.com/sigstore/key-data-example",
            vec![PR::SigstoreSigned(Box::new(key_data_example))],
        ),
        (
            "example.com/sigstore/key-path-example",
            vec![PR::SigstoreSigned(Box::new(key_path_example))],
        ),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    let mut policy = Policy::new(vec![PR::Reject]).expect("non-empty default");
    policy.transports.insert(
        "dir".into(),
        [(String::new(), vec![PR::InsecureAcceptAnything])]
            .into_iter()
            .collect(),
    );
    policy.transports.insert("docker".into(), docker);
    policy
}

#[test]
fn upstream_fixture_policy() {
    let Some(dir) = upstream_fixtures() else {
        return;
    };
    let path = dir.join("signature/fixtures/policy.json");
    let want = policy_fixture_contents();
    let from_path = Policy::from_path(&path).expect("fixture parses");
    assert_eq!(from_path, want);
    let bytes = std::fs::read(&path).expect("readable");
    assert_eq!(Policy::from_slice(&bytes).expect("fixture parses"), want);
    // Round trip through our serializer.
    let json = want.to_json();
    assert_eq!(
        Policy::from_slice(json.as_bytes()).expect("our output parses"),
        want,
        "{json}"
    );
}

#[test]
fn from_path_errors() {
    let err = Policy::from_path("/this/does/not/exist").unwrap_err();
    assert_eq!(
        err.to_string(),
        "open /this/does/not/exist: no such file or directory"
    );
    assert_eq!(err.kind(), ErrorKind::Io);

    let err = Policy::from_path("/dev/null").unwrap_err();
    assert_eq!(
        err.to_string(),
        r#"invalid policy in "/dev/null": unexpected end of JSON input"#
    );
    assert!(
        matches!(&err, Error::InvalidPolicyFile { message, .. } if message == "unexpected end of JSON input")
    );
    assert_eq!(err.kind(), ErrorKind::InvalidPolicy);

    let dir = tempfile::tempdir().expect("tempdir");
    let err = Policy::from_path(dir.path()).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!("read {}: is a directory", dir.path().display())
    );

    let file = dir.path().join("policy.json");
    std::fs::write(
        &file,
        br#"{"default": [{"type": "reject"}], "transports": {"docker": null}}"#,
    )
    .expect("write");
    let err = Policy::from_path(&file).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "invalid policy in \"{}\": JSON object expected, got <nil>",
            file.display()
        )
    );

    std::fs::write(
        &file,
        br#"{"default": [{"type": "insecureAcceptAnything"}]}"#,
    )
    .expect("write");
    assert_eq!(
        Policy::from_path(&file).expect("valid"),
        Policy::new(vec![PolicyRequirement::InsecureAcceptAnything]).expect("ok")
    );
}

#[test]
fn from_slice_error_is_invalid_policy_format() {
    let err = Policy::from_slice(b"").unwrap_err();
    assert_eq!(
        err,
        Error::InvalidPolicyFormat("unexpected end of JSON input".into())
    );
}

#[test]
fn to_json_shape() {
    let policy = Policy::new(vec![PolicyRequirement::reject()]).expect("ok");
    assert_eq!(
        policy.to_json(),
        "{\n    \"default\": [\n        {\n            \"type\": \"reject\"\n        }\n    ],\n    \"transports\": {}\n}\n"
    );
    let mut policy = policy;
    let req =
        PolicyRequirement::signed_by_key_data(b"\x00\xffkey".to_vec(), SignedIdentity::MatchExact);
    policy
        .set_scope("some-transport", "a<b>&c\u{2028}", vec![req.clone()])
        .expect("unknown transports accept any scope");
    let json = policy.to_json();
    assert!(
        json.contains(r#""a\u003cb\u003e\u0026c\u2028": ["#),
        "{json}"
    );
    assert!(json.contains(r#""keyData": "AP9rZXk=""#), "{json}");
    assert_eq!(Policy::from_slice(json.as_bytes()).expect("parses"), policy);
    assert_eq!(
        policy.scope("some-transport", "a<b>&c\u{2028}"),
        Some(&[req][..])
    );
}

#[test]
fn round_trip_all_requirement_kinds() {
    let mut full = SigstoreSigned::default();
    full.key_datas = Some(vec![b"a".to_vec(), vec![]]);
    full.rekor_public_key_datas = Some(vec![b"r".to_vec()]);
    full.signed_identity = SignedIdentity::MatchRepository;
    let mut pki_req = SigstoreSigned::default();
    let mut pki = containers_policy::config::Pki::default();
    pki.ca_roots_data = Some(b"roots".to_vec());
    pki.ca_intermediates_path = Some("/i".into());
    pki.subject_hostname = Some("h".into());
    pki_req.pki = Some(pki);
    let mut fulcio_req = SigstoreSigned::default();
    let mut fulcio = containers_policy::config::Fulcio::default();
    fulcio.ca_data = Some(vec![]);
    fulcio.oidc_issuer = "https://issuer".into();
    fulcio.subject_email = "a@b".into();
    fulcio_req.fulcio = Some(fulcio);
    fulcio_req.rekor_public_key_paths = Some(vec!["/r1".into(), "/r2".into()]);
    let reqs = vec![
        PolicyRequirement::insecure_accept_anything(),
        PolicyRequirement::reject(),
        PolicyRequirement::signed_by_key_path("/k", SignedIdentity::MatchRepoDigestOrExact)
            .expect("valid"),
        PolicyRequirement::signed_by_key_paths(vec![], SignedIdentity::MatchExact),
        PolicyRequirement::signed_by_key_data(Vec::new(), SignedIdentity::MatchRepository),
        PolicyRequirement::signed_by(
            KeyType::SignedByX509Cas,
            GpgKeySource::Paths(vec!["\"quoted\"\n".into()]),
            SignedIdentity::MatchExact,
        ),
        PolicyRequirement::signed_base_layer(SignedIdentity::MatchExact),
        PolicyRequirement::sigstore_signed(full).expect("valid"),
        PolicyRequirement::sigstore_signed(pki_req).expect("valid"),
        PolicyRequirement::sigstore_signed(fulcio_req).expect("valid"),
        PolicyRequirement::sigstore_signed_key_path("/cosign.pub", SignedIdentity::MatchRepository)
            .expect("valid"),
        PolicyRequirement::sigstore_signed_key_data(
            b"pem".to_vec(),
            SignedIdentity::MatchRepository,
        ),
    ];
    let mut policy = Policy::new(reqs.clone()).expect("ok");
    policy.set_scope("x-transport", "", reqs).expect("ok");
    let json = policy.to_json();
    assert_eq!(
        Policy::from_slice(json.as_bytes()).expect("parses"),
        policy,
        "{json}"
    );
}

#[test]
fn builder_errors() {
    assert_eq!(
        Policy::new(vec![]).unwrap_err().to_string(),
        "List of verification policy requirements must not be empty"
    );
    let mut policy = Policy::new(vec![PolicyRequirement::reject()]).expect("ok");
    assert!(policy.set_scope("x", "y", vec![]).is_err());
    assert_eq!(
        PolicyRequirement::signed_by_key_path("", SignedIdentity::MatchExact)
            .unwrap_err()
            .to_string(),
        "exactly one of keyPath, keyPaths and keyData must be specified"
    );
    assert_eq!(
        PolicyRequirement::sigstore_signed_key_path("", SignedIdentity::MatchExact)
            .unwrap_err()
            .to_string(),
        "exactly one of keyPath, keyPaths, keyData, keyDatas, fulcio, and pki must be specified"
    );
    let mut s = SigstoreSigned::default();
    s.key_paths = Some(vec![]);
    assert_eq!(
        PolicyRequirement::sigstore_signed(s)
            .unwrap_err()
            .to_string(),
        "\"keyPaths\" contains no entries"
    );
    let mut s = SigstoreSigned::default();
    s.pki = Some(containers_policy::config::Pki::default());
    assert_eq!(
        PolicyRequirement::sigstore_signed(s)
            .unwrap_err()
            .to_string(),
        "At least one of caRootsPath and caRootsData must be specified"
    );
    assert_eq!(policy.remove_scope("nope", ""), None);
}

const TEST_DIGEST: &str = "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";

#[test]
fn payload_marshal_like_upstream() {
    // TestMarshalJSON: empty values fail.
    for (d, r) in [("", "_"), ("_", "")] {
        let err = SimpleSigningPayload::new(d, r).to_json().unwrap_err();
        assert_eq!(err.to_string(), "Unexpected empty signature content");
    }
    let mut p = SimpleSigningPayload::new(TEST_DIGEST, "reference#@!");
    p.creator = Some("CREATOR".into());
    p.timestamp = Some(1484683104);
    assert_eq!(
        String::from_utf8(p.to_json().expect("ok")).expect("utf8"),
        format!(
            "{{\"critical\":{{\"identity\":{{\"docker-reference\":\"reference#@!\"}},\"image\":{{\"docker-manifest-digest\":\"{TEST_DIGEST}\"}},\"type\":\"atomic container signature\"}},\"optional\":{{\"creator\":\"CREATOR\",\"timestamp\":1484683104}}}}"
        )
    );
    let bare = SimpleSigningPayload::new(TEST_DIGEST, "reference#@!");
    assert_eq!(
        String::from_utf8(bare.to_json().expect("ok")).expect("utf8"),
        format!(
            "{{\"critical\":{{\"identity\":{{\"docker-reference\":\"reference#@!\"}},\"image\":{{\"docker-manifest-digest\":\"{TEST_DIGEST}\"}},\"type\":\"atomic container signature\"}},\"optional\":{{}}}}"
        )
    );
    // Go escaping of HTML characters and line separators; round trip.
    let mut odd = SimpleSigningPayload::new(TEST_DIGEST, "a<b>&\u{2028}\"\\");
    odd.creator = Some("\u{1}".into());
    odd.timestamp = Some(-5);
    let json = odd.to_json().expect("ok");
    let text = String::from_utf8(json.clone()).expect("utf8");
    assert!(
        text.contains(r#""docker-reference":"a\u003cb\u003e\u0026\u2028\"\\""#),
        "{text}"
    );
    assert!(
        text.contains(r#""creator":"\u0001","timestamp":-5"#),
        "{text}"
    );
    assert_eq!(
        SimpleSigningPayload::from_slice(&json).expect("parses"),
        odd
    );
}

#[test]
fn payload_unmarshal_values() {
    let data = format!(
        r#"{{"critical":{{"identity":{{"docker-reference":"reference#@!"}},"image":{{"docker-manifest-digest":"{TEST_DIGEST}"}},"type":"atomic container signature"}},"optional":{{"creator":"atomic 5.39.2","timestamp":1.484683104e9,"x":{{}}}}}}"#
    );
    let p = SimpleSigningPayload::from_slice(data.as_bytes()).expect("valid");
    assert_eq!(p.docker_manifest_digest, TEST_DIGEST);
    assert_eq!(p.docker_reference, "reference#@!");
    assert_eq!(p.creator.as_deref(), Some("atomic 5.39.2"));
    assert_eq!(p.timestamp, Some(1484683104));
    let err = SimpleSigningPayload::from_slice(b"{}").unwrap_err();
    assert_eq!(
        err,
        Error::InvalidSignature(r#"Key "critical" missing in a JSON object"#.into())
    );
    assert_eq!(err.kind(), ErrorKind::InvalidSignature);
}

#[test]
fn parse_speed_500_scopes() {
    let mut policy = Policy::new(vec![PolicyRequirement::reject()]).expect("ok");
    for i in 0..500 {
        let req = PolicyRequirement::signed_by_key_path(
            format!("/keys/key-{i}.gpg"),
            SignedIdentity::MatchRepository,
        )
        .expect("valid");
        policy
            .set_scope(
                "docker",
                &format!("registry{i}.example.com/ns/repo"),
                vec![req],
            )
            .expect("ok");
    }
    let json = policy.to_json();
    let mut best = f64::MAX;
    for _ in 0..20 {
        let start = Instant::now();
        let parsed = Policy::from_slice(json.as_bytes()).expect("parses");
        best = best.min(start.elapsed().as_secs_f64());
        assert_eq!(parsed.transports["docker"].len(), 500);
    }
    // Well under 1 ms in release builds; generous here so unoptimized test builds pass too.
    assert!(best < 0.05, "parsing a 500-scope policy took {best:.6} s");
    println!(
        "500-scope policy ({} bytes) parsed in {:.3} ms",
        json.len(),
        best * 1e3
    );
}
