//! Ports of containers/image `internal/manifest/manifest_test.go` (`TestGuessMIMEType`, `TestDigest`,
//! `TestDigestWithAlgorithm`, `TestMatchesDigest`) against the upstream test data.

mod formats_common;

use containers_policy::{
    Digest, Error,
    manifest::{
        DOCKER_V2_LIST_MEDIA_TYPE, DOCKER_V2_SCHEMA1_MEDIA_TYPE,
        DOCKER_V2_SCHEMA1_SIGNED_MEDIA_TYPE, DOCKER_V2_SCHEMA2_MEDIA_TYPE, DigestAlgorithm,
        OCI_IMAGE_INDEX_MEDIA_TYPE, OCI_IMAGE_MANIFEST_MEDIA_TYPE, guess_mime_type,
        manifest_digest, manifest_digest_with_algorithm, matches_digest,
    },
};

const TESTDATA: &str = "internal/manifest/testdata";
const V2S2_DIGEST: &str = "sha256:20bf21ed457b390829cdbeec8795a7bea1626991fda603e0d01b4e7f60427e55";
const V2S1_DIGEST: &str = "sha256:7364fea9d84ee548ab67d4c46c6006289800c98de3fbf8c0a97138dfcc23f000";
const EMPTY_SHA256: &str =
    "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

fn testdata(root: &std::path::Path, name: &str) -> Vec<u8> {
    formats_common::read(root, &format!("{TESTDATA}/{name}"))
}

#[test]
fn guess_mime_type_upstream_cases() {
    let root = fixtures_or_skip!();
    let cases = [
        ("v2s2.manifest.json", DOCKER_V2_SCHEMA2_MEDIA_TYPE),
        ("v2list.manifest.json", DOCKER_V2_LIST_MEDIA_TYPE),
        ("v2s1.manifest.json", DOCKER_V2_SCHEMA1_SIGNED_MEDIA_TYPE),
        ("v2s1-unsigned.manifest.json", DOCKER_V2_SCHEMA1_MEDIA_TYPE),
        (
            "v2s1-invalid-signatures.manifest.json",
            DOCKER_V2_SCHEMA1_SIGNED_MEDIA_TYPE,
        ),
        ("v2s2nomime.manifest.json", DOCKER_V2_SCHEMA2_MEDIA_TYPE),
        ("unknown-version.manifest.json", ""),
        ("non-json.manifest.json", ""),
        ("ociv1.manifest.json", OCI_IMAGE_MANIFEST_MEDIA_TYPE),
        ("ociv1.artifact.json", OCI_IMAGE_MANIFEST_MEDIA_TYPE),
        ("ociv1.image.index.json", OCI_IMAGE_INDEX_MEDIA_TYPE),
        ("ociv1nomime.manifest.json", OCI_IMAGE_MANIFEST_MEDIA_TYPE),
        ("ociv1nomime.artifact.json", OCI_IMAGE_MANIFEST_MEDIA_TYPE),
        ("ociv1nomime.image.index.json", OCI_IMAGE_INDEX_MEDIA_TYPE),
    ];
    for (path, want) in cases {
        assert_eq!(guess_mime_type(&testdata(&root, path)), want, "{path}");
    }
}

#[test]
fn guess_mime_type_other_testdata() {
    // Not asserted upstream in this table, but these are lists/indexes with a declared mediaType.
    let root = fixtures_or_skip!();
    for (path, want) in [
        ("oci1index.json", OCI_IMAGE_INDEX_MEDIA_TYPE),
        ("oci1.index.everything.json", OCI_IMAGE_INDEX_MEDIA_TYPE),
        ("schema2list.json", DOCKER_V2_LIST_MEDIA_TYPE),
        ("v2list.everything.json", DOCKER_V2_LIST_MEDIA_TYPE),
    ] {
        assert_eq!(guess_mime_type(&testdata(&root, path)), want, "{path}");
    }
}

#[test]
fn digest_upstream_cases() {
    let root = fixtures_or_skip!();
    let cases: [(&str, &str, &str); 4] = [
        (
            "v2s2.manifest.json",
            V2S2_DIGEST,
            "sha512:50763a72163eef344fc0b58ec5a2676ceeddfa46b547475013778f3de5c0c1a75e18c947db36483e4622c1d46a908aa26649e6b0ac22514b8100889f74ed2b8c",
        ),
        (
            "v2s1.manifest.json",
            V2S1_DIGEST,
            "sha512:987d6df9aca32adc296bd0698cc7407f12605b4d5e8f0de2ca5d0c43f22d894082e96fb0a02c0f659db3bb8314912dd0a1fcb5cb421c04cd5cb468ad3829d9f7",
        ),
        (
            "v2s1-unsigned.manifest.json",
            V2S1_DIGEST,
            "sha512:987d6df9aca32adc296bd0698cc7407f12605b4d5e8f0de2ca5d0c43f22d894082e96fb0a02c0f659db3bb8314912dd0a1fcb5cb421c04cd5cb468ad3829d9f7",
        ),
        (
            "",
            EMPTY_SHA256,
            "sha512:cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e",
        ),
    ];
    for (path, sha256, sha512) in cases {
        let m = if path.is_empty() {
            Vec::new()
        } else {
            testdata(&root, path)
        };
        assert_eq!(manifest_digest(&m).unwrap().as_str(), sha256, "{path}");
        assert_eq!(
            manifest_digest_with_algorithm(&m, DigestAlgorithm::Sha256)
                .unwrap()
                .as_str(),
            sha256,
            "{path}"
        );
        assert_eq!(
            manifest_digest_with_algorithm(&m, DigestAlgorithm::Sha512)
                .unwrap()
                .as_str(),
            sha512,
            "{path}"
        );
    }
    // The signed v2s1 file's raw hash is not its digest.
    let v2s1 = testdata(&root, "v2s1.manifest.json");
    assert_ne!(Digest::sha256_of(&v2s1).as_str(), V2S1_DIGEST);

    let invalid = testdata(&root, "v2s1-invalid-signatures.manifest.json");
    let want = Error::Manifest(
        "error unmarshalling signatures: json: cannot unmarshal number into Go value of type []libtrust.jsParsedSignature"
            .to_owned(),
    );
    assert_eq!(manifest_digest(&invalid), Err(want.clone()));
    assert_eq!(
        manifest_digest_with_algorithm(&invalid, DigestAlgorithm::Sha512),
        Err(want)
    );
}

#[test]
fn matches_digest_upstream_cases() {
    let root = fixtures_or_skip!();
    let cases = [
        ("v2s2.manifest.json", V2S2_DIGEST.to_owned(), true),
        ("v2s1.manifest.json", V2S1_DIGEST.to_owned(), true),
        ("v2s2.manifest.json", V2S1_DIGEST.to_owned(), false),
        ("v2s1.manifest.json", V2S2_DIGEST.to_owned(), false),
        (
            "v2s2.manifest.json",
            "md5:2872f31c5c1f62a694fbd20c1e85257c".to_owned(),
            false,
        ),
        ("v2s2.manifest.json", format!("{V2S2_DIGEST}abc"), false),
        ("v2s2.manifest.json", V2S2_DIGEST[..20].to_owned(), false),
        ("v2s2.manifest.json", String::new(), false),
    ];
    for (path, expected, result) in cases {
        assert_eq!(
            matches_digest(&testdata(&root, path), &expected),
            Ok(result),
            "{path} {expected}"
        );
    }
    // Even a correct SHA256 hash is rejected if the JSON signature can't be stripped.
    let invalid = testdata(&root, "v2s1-invalid-signatures.manifest.json");
    let raw = Digest::sha256_of(&invalid);
    assert!(matches_digest(&invalid, raw.as_str()).is_err());
    assert_eq!(matches_digest(b"", EMPTY_SHA256), Ok(true));
}

#[test]
fn tampered_signed_schema1() {
    let root = fixtures_or_skip!();
    let v2s1 = String::from_utf8(testdata(&root, "v2s1.manifest.json")).unwrap();
    // A wrong key ID in the JWK is refused by libtrust.
    let bad_kid = v2s1.replace("OZ45:U3IG", "OZ45:U3IH");
    assert_eq!(
        manifest_digest(bad_kid.as_bytes()),
        Err(Error::Manifest(
            "error unmarshalling public key: JWK EC Public Key ID does not match: OZ45:U3IH:TDOI:PMBD:NGP2:LDIW:II2U:PSBI:MMCZ:YZUP:TUUO:XPZT"
                .to_owned()
        ))
    );
    // Content before formatLength changes the digest; the signatures are not verified.
    let edited = v2s1.replacen("\"name\"", "\"namf\"", 1);
    assert_ne!(
        manifest_digest(edited.as_bytes()).unwrap().as_str(),
        V2S1_DIGEST
    );
}
