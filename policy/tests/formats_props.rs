//! Property tests: hostile bytes never panic `Signature::from_blob`, `manifest_digest` or
//! `guess_mime_type`, and sigstore/simple-signing blobs round-trip.

use containers_policy::{
    manifest::{guess_mime_type, manifest_digest},
    signature::{Signature, SigstoreSignature},
};
use proptest::prelude::*;

/// A signed schema 1 skeleton to mutate (payload `{"schemaVersion":1,"name":"x"}`).
const SIGNED: &str = concat!(
    "{\"schemaVersion\":1,\"name\":\"x\",\n\"signatures\": [{\"header\": {\"jwk\": {\"crv\": \"P-256\", ",
    "\"kid\": \"OZ45:U3IG:TDOI:PMBD:NGP2:LDIW:II2U:PSBI:MMCZ:YZUP:TUUO:XPZT\", \"kty\": \"EC\", ",
    "\"x\": \"ReC5c0J9tgXSdUL4_xzEt5RsD8kFt2wWSgJcpAcOQx8\", \"y\": \"3sBGEqQ3ZMeqPKwQBAadN2toOUEASha18xa0WwsDF-M\"}, ",
    "\"alg\": \"ES256\"}, \"signature\": \"x\", ",
    "\"protected\": \"eyJmb3JtYXRMZW5ndGgiOjI5LCJmb3JtYXRUYWlsIjoiZlEifQ\"}]}"
);

fn json_fragment() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("{".to_owned()),
        Just("}".to_owned()),
        Just("[".to_owned()),
        Just("]".to_owned()),
        Just(",".to_owned()),
        Just(":".to_owned()),
        Just("\"schemaVersion\":1".to_owned()),
        Just("\"signatures\":".to_owned()),
        Just("\"protected\":".to_owned()),
        Just("\"formatLength\":".to_owned()),
        Just("\"mediaType\":".to_owned()),
        Just("\"manifests\":[".to_owned()),
        Just("null".to_owned()),
        Just("1e999".to_owned()),
        Just("-99999999999999999999".to_owned()),
        Just("\"\\ud800\"".to_owned()),
        "\"[A-Za-z0-9_=+/-]{0,12}\"",
        "-?[0-9]{1,25}(\\.[0-9]{1,3})?",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 500, ..ProptestConfig::default() })]

    #[test]
    fn from_blob_never_panics(blob in proptest::collection::vec(any::<u8>(), 0..256)) {
        let _ = Signature::from_blob(&blob);
        let mut tagged = b"\x00sigstore-json\n".to_vec();
        tagged.extend_from_slice(&blob);
        let _ = Signature::from_blob(&tagged);
    }

    #[test]
    fn manifest_functions_never_panic(blob in proptest::collection::vec(any::<u8>(), 0..256)) {
        let _ = manifest_digest(&blob);
        let _ = guess_mime_type(&blob);
    }

    #[test]
    fn json_soup_never_panics(parts in proptest::collection::vec(json_fragment(), 0..40)) {
        let soup = parts.concat();
        let _ = manifest_digest(soup.as_bytes());
        let _ = guess_mime_type(soup.as_bytes());
        let blob = format!("\x00sigstore-json\n{soup}");
        let _ = Signature::from_blob(blob.as_bytes());
        let signed = format!("{{\"schemaVersion\":1,\"signatures\":{soup}}}");
        let _ = manifest_digest(signed.as_bytes());
    }

    #[test]
    fn mutated_signed_manifest_never_panics(pos in 0..SIGNED.len(), byte in any::<u8>(), delete in any::<bool>()) {
        let mut m = SIGNED.as_bytes().to_vec();
        if delete { m.remove(pos); } else { m[pos] = byte; }
        let _ = manifest_digest(&m);
    }

    #[test]
    fn sigstore_round_trip(
        mime in any::<String>(),
        payload in proptest::collection::vec(any::<u8>(), 0..64),
        annotations in proptest::collection::btree_map(any::<String>(), any::<String>(), 0..4),
    ) {
        let sig = Signature::Sigstore(SigstoreSignature::new(mime, payload, annotations));
        prop_assert_eq!(Signature::from_blob(&sig.to_blob()).unwrap(), sig);
    }

    #[test]
    fn simple_signing_round_trip(
        first in prop::sample::select(vec![0xA0u8, 0xA1, 0xA2, 0xA3, 0xC8, 0x90, 0x91, 0x92, 0x3D, 0xC4, 0x88, 0x89, 0x8A, 0x8B, 0xC2]),
        rest in proptest::collection::vec(any::<u8>(), 0..64),
    ) {
        let mut data = vec![first];
        data.extend(rest);
        let sig = Signature::SimpleSigning(data.clone());
        prop_assert_eq!(sig.to_blob(), data);
        prop_assert_eq!(Signature::from_blob(&sig.to_blob()).unwrap(), sig);
    }
}

#[test]
fn skeleton_is_valid() {
    assert_eq!(
        manifest_digest(SIGNED.as_bytes()).unwrap(),
        containers_policy::Digest::sha256_of(br#"{"schemaVersion":1,"name":"x"}"#)
    );
}

#[test]
fn huge_and_deep_inputs() {
    let deep = format!(
        "{{\"schemaVersion\":1,\"signatures\":{}{}}}",
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    // Too deep for Go's decoder (max depth 10000): not recognized as signed, plain sha256.
    assert_eq!(
        manifest_digest(deep.as_bytes()).unwrap(),
        containers_policy::Digest::sha256_of(deep.as_bytes())
    );
    let blob = format!("\x00sigstore-json\n{}", "[".repeat(100_000));
    assert!(Signature::from_blob(blob.as_bytes()).is_err());
}
