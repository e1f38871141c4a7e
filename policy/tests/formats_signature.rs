//! Ports of containers/image `internal/signature/signature_test.go` and `sigstore_test.go`, plus every
//! signature blob among the upstream fixtures.

mod formats_common;

use std::collections::BTreeMap;

use containers_policy::{
    ErrorKind,
    signature::{SIGSTORE_SIGNATURE_MIME_TYPE, Signature, SigstoreSignature},
};

fn ab_cd() -> BTreeMap<String, String> {
    BTreeMap::from([
        ("a".to_owned(), "b".to_owned()),
        ("c".to_owned(), "d".to_owned()),
    ])
}

#[test]
fn blob_simple_signing() {
    let root = fixtures_or_skip!();
    let data = formats_common::read(&root, "internal/signature/testdata/simple.signature");
    assert_eq!(
        data.first(),
        Some(&0xA3),
        "simple.signature must resolve to image.signature"
    );
    let sig = Signature::SimpleSigning(data.clone());
    let blob = sig.to_blob();
    assert_eq!(blob, data);
    let from = Signature::from_blob(&blob).unwrap();
    assert_eq!(from.as_simple_signing(), Some(&data[..]));
    assert_eq!(from.format_name(), "simple-signing");

    // The newer format is accepted as well.
    let mut tagged = b"\x00simple-signing\n".to_vec();
    tagged.extend_from_slice(&data);
    assert_eq!(Signature::from_blob(&tagged).unwrap(), sig);
}

#[test]
fn blob_sigstore() {
    let s = SigstoreSignature::new("mime-type", b"payload".to_vec(), ab_cd());
    let sig = Signature::Sigstore(s.clone());
    let blob = sig.to_blob();
    assert!(blob.starts_with(b"\x00sigstore-json\n{"));
    let from = Signature::from_blob(&blob).unwrap();
    assert_eq!(from.format_name(), "sigstore-json");
    assert_eq!(from.as_sigstore(), Some(&s));
    assert_eq!(from.as_simple_signing(), None);
}

#[test]
fn from_blob_invalid() {
    for (blob, msg) in [
        (&b""[..], "empty signature blob"),
        (
            b"\xFFsimple-signing\nhello",
            "unrecognized signature format, starting with binary 0xff",
        ),
        (
            b"\x00simple-signing",
            "invalid signature format, missing newline",
        ),
        (
            b"\x00format\xFFname\ndata",
            "invalid signature format, non-ASCII byte 0xff",
        ),
        (
            b"\x00unknown-format\ndata",
            "unrecognized signature format \"unknown-format\"",
        ),
    ] {
        let err = Signature::from_blob(blob).unwrap_err();
        assert_eq!(err.to_string(), msg);
        assert_eq!(err.kind(), ErrorKind::InvalidSignature);
    }
}

#[test]
fn unsupported_format_error() {
    assert_eq!(
        Signature::SimpleSigning(Vec::new()).unsupported_format_message(),
        "unsupported signature format simple-signing"
    );
    assert_eq!(
        Signature::Sigstore(SigstoreSignature::new(
            "mime-type",
            Vec::new(),
            BTreeMap::new()
        ))
        .unsupported_format_message(),
        "unsupported signature format sigstore-json"
    );
}

#[test]
fn sigstore_from_blob_chunk() {
    let json =
        br#"{"mimeType":"mime-type","payload":"cGF5bG9hZA==", "annotations":{"a":"b","c":"d"}}"#;
    let s = SigstoreSignature::from_blob_chunk(json).unwrap();
    assert_eq!(
        s,
        SigstoreSignature::new("mime-type", b"payload".to_vec(), ab_cd())
    );
    assert_eq!(
        SigstoreSignature::from_blob_chunk(b"&")
            .unwrap_err()
            .to_string(),
        "invalid character '&' looking for beginning of value"
    );
}

#[test]
fn sigstore_blob_chunk() {
    let s = SigstoreSignature::new("mime-type", b"payload".to_vec(), ab_cd());
    let got: serde_json::Value = serde_json::from_slice(&s.blob_chunk()).unwrap();
    let want: serde_json::Value = serde_json::from_str(
        r#"{"mimeType":"mime-type","payload":"cGF5bG9hZA==", "annotations":{"a":"b","c":"d"}}"#,
    )
    .unwrap();
    assert_eq!(got, want);
}

/// Every signature file among the fixtures parses as upstream's tests imply.
#[test]
fn fixture_blobs() {
    let root = fixtures_or_skip!();
    let fixtures = root.join("signature/fixtures");
    let mut files = Vec::new();
    for entry in std::fs::read_dir(&fixtures).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if name.contains(".signature") {
            files.push(format!("signature/fixtures/{name}"));
        } else if name.starts_with("dir-img-") && path.is_dir() {
            for i in 1.. {
                let rel = format!("signature/fixtures/{name}/signature-{i}");
                if !formats_common::exists(&root, &rel) {
                    break;
                }
                files.push(rel);
            }
        }
    }
    files.sort();
    assert!(files.len() > 30, "{files:?}");
    let (mut simple, mut sigstore) = (0, 0);
    for rel in &files {
        let blob = formats_common::read(&root, rel);
        let parsed = Signature::from_blob(&blob);
        if rel.ends_with("invalid-cleartext.signature") {
            assert_eq!(
                parsed.unwrap_err().to_string(),
                "unrecognized signature format, starting with binary 0x2d",
                "{rel}"
            );
        } else if rel.ends_with("unsigned-encrypted.signature") {
            assert_eq!(
                parsed.unwrap_err().to_string(),
                "unrecognized signature format, starting with binary 0x84",
                "{rel}"
            );
        } else if rel.contains("cosign") {
            let sig = parsed.unwrap_or_else(|e| panic!("{rel}: {e}"));
            let s = sig
                .as_sigstore()
                .unwrap_or_else(|| panic!("{rel} is not sigstore"));
            if rel.contains("other-attachment") {
                assert_eq!(s.mime_type, "text/plain", "{rel}");
            } else {
                assert_eq!(s.mime_type, SIGSTORE_SIGNATURE_MIME_TYPE, "{rel}");
                assert!(
                    s.annotations
                        .contains_key("dev.cosignproject.cosign/signature"),
                    "{rel}"
                );
            }
            assert!(!s.payload.is_empty(), "{rel}");
            // Ours are byte-identical to Go's json.Marshal output (some fixture files add a final newline).
            let ours = sig.to_blob();
            assert!(ours == blob || [&ours[..], b"\n"].concat() == blob, "{rel}");
            assert_eq!(Signature::from_blob(&ours).unwrap(), sig, "{rel}");
            sigstore += 1;
        } else {
            let sig = parsed.unwrap_or_else(|e| panic!("{rel}: {e}"));
            assert_eq!(sig.as_simple_signing(), Some(&blob[..]), "{rel}");
            assert_eq!(sig.to_blob(), blob, "{rel}");
            simple += 1;
        }
    }
    assert!(
        simple > 10 && sigstore > 8,
        "simple {simple}, sigstore {sigstore}"
    );
}
