//! Property tests: mutated, truncated and random inputs never panic, parsing is deterministic, and whatever
//! parses survives a serialize/parse round trip unchanged.

use containers_policy::{Policy, payload::SimpleSigningPayload};
use proptest::prelude::*;

const POLICY_SEEDS: &[&str] = &[
    r#"{"default":[{"type":"reject"}],"transports":{"docker":{"example.com/a":[{"type":"insecureAcceptAnything"}],"":[{"type":"signedBy","keyType":"GPGKeys","keyPaths":["/a","/b"],"signedIdentity":{"type":"remapIdentity","prefix":"example.com","signedPrefix":"docker.io/library"}}]},"dir":{"/tmp/x":[{"type":"signedBaseLayer","baseLayerIdentity":{"type":"exactReference","dockerReference":"busybox:latest"}}]}}}"#,
    r#"{"default":[{"type":"sigstoreSigned","fulcio":{"caData":"YWJj","oidcIssuer":"https://i","subjectEmail":"e@x"},"rekorPublicKeyDatas":["YQ==","Yg=="],"signedIdentity":{"type":"exactRepository","dockerRepository":"quay.io/x/y"}}]}"#,
    r#"{"default":[{"type":"sigstoreSigned","pki":{"caRootsPath":"/r","caIntermediatesData":"","subjectHostname":"h"}},{"type":"signedBy","keyType":"X509Certificates","keyData":"a2V5\r\n","signedIdentity":{"type":"matchRepository"}}],"transports":{"oci":{"/a/b":[{"type":"reject"}]},"containers-storage":{"[overlay@/var/lib/containers/storage]docker.io/library/busybox":[{"type":"reject"}]}}}"#,
];

const PAYLOAD_SEED: &str = r#"{"critical":{"identity":{"docker-reference":"docker.io/library/busybox:latest"},"image":{"docker-manifest-digest":"sha256:20bf21ed457b390829cdbeec8795a7bea1626991fda603e0d01b4e7f60427e55"},"type":"atomic container signature"},"optional":{"creator":"atomic 5.39.2","timestamp":1458239713,"other":[1,{"x":null}]}}"#;

/// Bytes likely to change the meaning of a JSON document.
const INTERESTING: &[u8] = b"{}[]\",:\\ 0123456789-+.eEtrufalsn\x00\x1f\x7f\xc3\xa9\xff\n\r\t/u";

fn mutate(seed: &[u8], edits: &[(usize, u8, u8)]) -> Vec<u8> {
    let mut data = seed.to_vec();
    for &(pos, op, byte) in edits {
        if data.is_empty() {
            data.push(byte);
            continue;
        }
        let pos = pos % (data.len() + 1);
        let b = if byte < 128 {
            INTERESTING[usize::from(byte) % INTERESTING.len()]
        } else {
            byte
        };
        match op % 4 {
            0 => data.insert(pos, b),
            1 if pos < data.len() => {
                data.remove(pos);
            }
            2 if pos < data.len() => data[pos] = b,
            _ => data.truncate(pos),
        }
    }
    data
}

fn check_policy(data: &[u8]) {
    let first = Policy::from_slice(data);
    let second = Policy::from_slice(data);
    assert_eq!(first, second, "parsing is deterministic");
    if let Ok(p) = first {
        let json = p.to_json();
        assert_eq!(
            Policy::from_slice(json.as_bytes()).as_ref(),
            Ok(&p),
            "round trip of {json}"
        );
    }
}

fn check_payload(data: &[u8]) {
    let first = SimpleSigningPayload::from_slice(data);
    assert_eq!(
        first,
        SimpleSigningPayload::from_slice(data),
        "parsing is deterministic"
    );
    if let Ok(p) = first {
        if let Ok(json) = p.to_json() {
            assert_eq!(SimpleSigningPayload::from_slice(&json), Ok(p));
        }
    } else if let Err(e) = first {
        assert_eq!(e.kind(), containers_policy::ErrorKind::InvalidSignature);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn mutated_policies(seed in 0..POLICY_SEEDS.len(), edits in prop::collection::vec((any::<usize>(), any::<u8>(), any::<u8>()), 0..6)) {
        check_policy(&mutate(POLICY_SEEDS[seed].as_bytes(), &edits));
    }

    #[test]
    fn truncated_policies(seed in 0..POLICY_SEEDS.len(), len in any::<usize>()) {
        let s = POLICY_SEEDS[seed].as_bytes();
        check_policy(&s[..len % (s.len() + 1)]);
    }

    #[test]
    fn random_bytes(data in prop::collection::vec(any::<u8>(), 0..64)) {
        check_policy(&data);
        check_payload(&data);
    }

    #[test]
    fn random_json_like(data in prop::collection::vec(prop::sample::select(INTERESTING), 0..64)) {
        check_policy(&data);
        check_payload(&data);
    }

    #[test]
    fn mutated_payloads(edits in prop::collection::vec((any::<usize>(), any::<u8>(), any::<u8>()), 0..6)) {
        check_payload(&mutate(PAYLOAD_SEED.as_bytes(), &edits));
    }
}

#[test]
fn seeds_are_valid() {
    for s in POLICY_SEEDS {
        Policy::from_slice(s.as_bytes()).expect("seed parses");
    }
    SimpleSigningPayload::from_slice(PAYLOAD_SEED.as_bytes()).expect("seed parses");
}

#[test]
fn deep_nesting_is_bounded() {
    for depth in [9_999, 10_000, 10_001, 100_000] {
        let open = "[".repeat(depth);
        let close = "]".repeat(depth);
        let doc = format!(r#"{{"default":[{{"type":"reject"}}],"x":{open}{close}}}"#);
        let err = Policy::from_slice(doc.as_bytes()).unwrap_err().to_string();
        // The object itself is one level, so Go's limit of 10000 is reached by 10000 arrays inside it.
        if depth < 10_000 {
            assert_eq!(err, r#"Unknown key "x""#);
        } else {
            assert_eq!(err, "invalid character '[' exceeded max depth");
        }
        let payload = format!(r#"{{"critical":{{}},"optional":{{"x":{open}{close}}}}}"#);
        assert!(SimpleSigningPayload::from_slice(payload.as_bytes()).is_err());
    }
}
