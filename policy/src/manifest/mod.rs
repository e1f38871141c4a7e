//! Manifest digests, including docker schema 1 signed manifests (JWS stripped before hashing), and
//! manifest MIME type sniffing (containers/image `internal/manifest`).
//!
//! ```
//! use containers_policy::manifest::{guess_mime_type, manifest_digest, DOCKER_V2_SCHEMA2_MEDIA_TYPE};
//! let m = br#"{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json"}"#;
//! assert_eq!(guess_mime_type(m), DOCKER_V2_SCHEMA2_MEDIA_TYPE);
//! assert_eq!(
//!     manifest_digest(b"")?.as_str(),
//!     "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
//! );
//! # Ok::<(), containers_policy::Error>(())
//! ```

use std::borrow::Cow;

use crate::{Digest, Error};

pub(crate) mod gojson;
mod libtrust;

use gojson::{Ctx, Cursor};

/// Docker manifest schema 1 (unsigned).
pub const DOCKER_V2_SCHEMA1_MEDIA_TYPE: &str =
    "application/vnd.docker.distribution.manifest.v1+json";
/// Docker manifest schema 1 with a JWS signature.
pub const DOCKER_V2_SCHEMA1_SIGNED_MEDIA_TYPE: &str =
    "application/vnd.docker.distribution.manifest.v1+prettyjws";
/// Docker manifest schema 2.
pub const DOCKER_V2_SCHEMA2_MEDIA_TYPE: &str =
    "application/vnd.docker.distribution.manifest.v2+json";
/// Docker schema 2 config blob.
pub const DOCKER_V2_SCHEMA2_CONFIG_MEDIA_TYPE: &str =
    "application/vnd.docker.container.image.v1+json";
/// Docker schema 2 gzip layer.
pub const DOCKER_V2_SCHEMA2_LAYER_MEDIA_TYPE: &str =
    "application/vnd.docker.image.rootfs.diff.tar.gzip";
/// Docker schema 2 zstd layer.
pub const DOCKER_V2_SCHEMA2_LAYER_MEDIA_TYPE_ZSTD: &str =
    "application/vnd.docker.image.rootfs.diff.tar.zst";
/// Docker schema 2 uncompressed layer.
pub const DOCKER_V2_SCHEMA_LAYER_MEDIA_TYPE_UNCOMPRESSED: &str =
    "application/vnd.docker.image.rootfs.diff.tar";
/// Docker manifest list (schema 2).
pub const DOCKER_V2_LIST_MEDIA_TYPE: &str =
    "application/vnd.docker.distribution.manifest.list.v2+json";
/// Docker schema 2 foreign layer.
pub const DOCKER_V2_SCHEMA2_FOREIGN_LAYER_MEDIA_TYPE: &str =
    "application/vnd.docker.image.rootfs.foreign.diff.tar";
/// Docker schema 2 gzipped foreign layer.
pub const DOCKER_V2_SCHEMA2_FOREIGN_LAYER_MEDIA_TYPE_GZIP: &str =
    "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip";
/// CNCF seccomp profile config.
pub const CNCF_SECCOMP_PROFILE_CONFIG_MEDIA_TYPE: &str =
    "application/vnd.cncf.seccomp-profile.config.v1+json";
/// OCI image manifest.
pub const OCI_IMAGE_MANIFEST_MEDIA_TYPE: &str = "application/vnd.oci.image.manifest.v1+json";
/// OCI image index.
pub const OCI_IMAGE_INDEX_MEDIA_TYPE: &str = "application/vnd.oci.image.index.v1+json";
/// OCI image config.
pub const OCI_IMAGE_CONFIG_MEDIA_TYPE: &str = "application/vnd.oci.image.config.v1+json";

/// The fields `GuessMIMEType` reads first (`mediaType`, `schemaVersion`, `signatures`).
#[derive(Default)]
struct Meta {
    media_type: String,
    schema_version: i64,
    signatures: bool,
}

/// Decodes [`Meta`] like Go's `json.Unmarshal` into that struct, assuming syntactically valid input;
/// `None` for a decoding (type) error. On invalid input the result is unspecified (but never a panic).
fn decode_meta(m: &[u8]) -> Option<Meta> {
    let mut c = Cursor::new(m);
    let mut meta = Meta::default();
    match c.peek() {
        b'n' => return Some(meta),
        b'{' => c.open(),
        _ => return None,
    }
    let ctx = Ctx::Top;
    let mut ok = true;
    while let Some(k) = c.next_key() {
        if gojson::field_matches(&k, "mediaType") {
            ok &= c.string_into(&mut meta.media_type, ctx).is_ok();
        } else if gojson::field_matches(&k, "schemaVersion") {
            ok &= c.int_into(&mut meta.schema_version, ctx, "int").is_ok();
        } else if gojson::field_matches(&k, "signatures") {
            match c.any(ctx) {
                Ok(non_null) => meta.signatures = non_null,
                Err(_) => ok = false,
            }
        } else {
            c.skip_value();
        }
    }
    ok.then_some(meta)
}

fn recognized_media_type(t: &str) -> Option<&'static str> {
    [
        DOCKER_V2_SCHEMA2_MEDIA_TYPE,
        DOCKER_V2_LIST_MEDIA_TYPE,
        OCI_IMAGE_MANIFEST_MEDIA_TYPE,
        OCI_IMAGE_INDEX_MEDIA_TYPE,
    ]
    .into_iter()
    .find(|&r| r == t)
}

/// `manifest.GuessMIMEType`: the MIME type of a manifest if it is recognized, `""` if unknown.
///
/// Mostly one of the constants of this module; for a schema-2 index-like document whose `config.mediaType`
/// is something else, upstream returns that config media type verbatim (hence the `Cow`).
///
/// ```
/// use containers_policy::manifest::{guess_mime_type, DOCKER_V2_SCHEMA1_SIGNED_MEDIA_TYPE};
/// assert_eq!(guess_mime_type(br#"{"schemaVersion": 1, "signatures": []}"#), DOCKER_V2_SCHEMA1_SIGNED_MEDIA_TYPE);
/// assert_eq!(guess_mime_type(b"not JSON"), "");
/// ```
pub fn guess_mime_type(manifest: &[u8]) -> Cow<'static, str> {
    if gojson::check_valid(manifest).is_err() {
        return Cow::Borrowed("");
    }
    let Some(meta) = decode_meta(manifest) else {
        return Cow::Borrowed("");
    };
    if let Some(t) = recognized_media_type(&meta.media_type) {
        return Cow::Borrowed(t);
    }
    match meta.schema_version {
        1 if meta.signatures => Cow::Borrowed(DOCKER_V2_SCHEMA1_SIGNED_MEDIA_TYPE),
        1 => Cow::Borrowed(DOCKER_V2_SCHEMA1_MEDIA_TYPE),
        2 => guess_schema2(manifest),
        _ => Cow::Borrowed(""),
    }
}

/// The `schemaVersion: 2` branch of `GuessMIMEType` (input known to be valid JSON, an object).
fn guess_schema2(manifest: &[u8]) -> Cow<'static, str> {
    // Two separate json.Unmarshal calls upstream; decode both in one pass, apply in upstream order.
    let mut config_media_type = String::new();
    let mut config_ok = true;
    let mut manifests: Result<usize, ()> = Ok(0);
    let mut c = Cursor::new(manifest);
    if c.peek() == b'{' {
        c.open();
        while let Some(k) = c.next_key() {
            if gojson::field_matches(&k, "config") {
                config_ok &= decode_config(&mut c, &mut config_media_type);
            } else if gojson::field_matches(&k, "manifests") {
                let r = decode_descriptors(&mut c);
                manifests = match (manifests, r) {
                    (Err(()), _) | (_, Err(())) => Err(()),
                    (Ok(_), Ok(n)) => Ok(n),
                };
            } else {
                c.skip_value();
            }
        }
    }
    if !config_ok {
        return Cow::Borrowed("");
    }
    match config_media_type.as_str() {
        OCI_IMAGE_CONFIG_MEDIA_TYPE => return Cow::Borrowed(OCI_IMAGE_MANIFEST_MEDIA_TYPE),
        DOCKER_V2_SCHEMA2_CONFIG_MEDIA_TYPE => return Cow::Borrowed(DOCKER_V2_SCHEMA2_MEDIA_TYPE),
        _ => {}
    }
    match manifests {
        Err(()) => Cow::Borrowed(""),
        Ok(0) => Cow::Borrowed(OCI_IMAGE_MANIFEST_MEDIA_TYPE),
        Ok(_) if config_media_type.is_empty() => Cow::Borrowed(OCI_IMAGE_INDEX_MEDIA_TYPE),
        Ok(_) => Cow::Owned(config_media_type),
    }
}

/// `Config struct { MediaType string }`; false on a type error.
fn decode_config(c: &mut Cursor<'_>, media_type: &mut String) -> bool {
    match c.peek() {
        b'n' => {
            c.skip_value();
            true
        }
        b'{' => {
            c.open();
            let mut ok = true;
            while let Some(k) = c.next_key() {
                if gojson::field_matches(&k, "mediaType") {
                    ok &= c.string_into(media_type, Ctx::Top).is_ok();
                } else {
                    c.skip_value();
                }
            }
            ok
        }
        _ => {
            c.skip_value();
            false
        }
    }
}

/// `[]imgspecv1.Descriptor`: the number of elements, or `Err` on any type error.
fn decode_descriptors(c: &mut Cursor<'_>) -> Result<usize, ()> {
    match c.peek() {
        b'n' => {
            c.skip_value();
            return Ok(0);
        }
        b'[' => c.open(),
        _ => {
            c.skip_value();
            return Err(());
        }
    }
    let mut n = 0;
    let mut ok = true;
    while c.next_elem() {
        n += 1;
        ok &= decode_descriptor(c);
    }
    if ok { Ok(n) } else { Err(()) }
}

fn decode_descriptor(c: &mut Cursor<'_>) -> bool {
    let ctx = Ctx::Top;
    match c.peek() {
        b'n' => {
            c.skip_value();
            return true;
        }
        b'{' => c.open(),
        _ => {
            c.skip_value();
            return false;
        }
    }
    let mut ok = true;
    let mut scratch = String::new();
    while let Some(k) = c.next_key() {
        let f = |name: &str| gojson::field_matches(&k, name);
        ok &= if f("mediaType") || f("digest") || f("artifactType") {
            c.string_into(&mut scratch, ctx).is_ok()
        } else if f("size") {
            c.int_into(&mut 0, ctx, "int64").is_ok()
        } else if f("urls") {
            c.string_slice(ctx).is_ok()
        } else if f("annotations") {
            c.string_map_into(&mut None, ctx).is_ok()
        } else if f("data") {
            c.bytes(ctx).is_ok()
        } else if f("platform") {
            decode_platform(c)
        } else {
            c.skip_value();
            true
        };
    }
    ok
}

fn decode_platform(c: &mut Cursor<'_>) -> bool {
    let ctx = Ctx::Top;
    match c.peek() {
        b'n' => {
            c.skip_value();
            return true;
        }
        b'{' => c.open(),
        _ => {
            c.skip_value();
            return false;
        }
    }
    let mut ok = true;
    let mut scratch = String::new();
    while let Some(k) = c.next_key() {
        let f = |name: &str| gojson::field_matches(&k, name);
        ok &= if f("architecture") || f("os") || f("os.version") || f("variant") {
            c.string_into(&mut scratch, ctx).is_ok()
        } else if f("os.features") {
            c.string_slice(ctx).is_ok()
        } else {
            c.skip_value();
            true
        };
    }
    ok
}

/// Whether `GuessMIMEType(manifest) == DockerV2Schema1SignedMediaType`, cheaply: a single lenient pass
/// over the top-level keys, with the full syntax check only when that pass says "signed schema 1".
fn is_signed_schema1(manifest: &[u8]) -> bool {
    let Some(meta) = decode_meta(manifest) else {
        return false;
    };
    meta.schema_version == 1
        && meta.signatures
        && recognized_media_type(&meta.media_type).is_none()
        && gojson::check_valid(manifest).is_ok()
}

/// `manifest.Digest`: sha256 of the manifest, of the JWS payload for signed schema 1.
///
/// Errors (libtrust's texts, e.g. `error unmarshalling signatures: json: cannot unmarshal number into Go
/// value of type []libtrust.jsParsedSignature`) are [`Error::Manifest`].
pub fn manifest_digest(manifest: &[u8]) -> Result<Digest, Error> {
    if is_signed_schema1(manifest) {
        let payload = libtrust::pretty_signature_payload(manifest).map_err(Error::Manifest)?;
        return Ok(Digest::sha256_of(&payload));
    }
    Ok(Digest::sha256_of(manifest))
}

/// A digest algorithm containers/image can compute (go-digest `Algorithm`s that are available).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DigestAlgorithm {
    /// `sha256` (go-digest `Canonical`).
    Sha256,
    /// `sha384`.
    Sha384,
    /// `sha512`.
    Sha512,
}

/// `manifest.DigestWithAlgorithm`: like [`manifest_digest`] with a chosen algorithm.
///
/// ```
/// use containers_policy::manifest::{manifest_digest_with_algorithm, DigestAlgorithm};
/// let d = manifest_digest_with_algorithm(b"", DigestAlgorithm::Sha512)?;
/// assert!(d.as_str().starts_with("sha512:cf83e135"));
/// # Ok::<(), containers_policy::Error>(())
/// ```
pub fn manifest_digest_with_algorithm(
    manifest: &[u8],
    algorithm: DigestAlgorithm,
) -> Result<Digest, Error> {
    use sha2::Digest as _;
    let stripped;
    let data = if is_signed_schema1(manifest) {
        stripped = libtrust::pretty_signature_payload(manifest).map_err(Error::Manifest)?;
        &stripped[..]
    } else {
        manifest
    };
    let (name, hash): (&str, Vec<u8>) = match algorithm {
        DigestAlgorithm::Sha256 => return Ok(Digest::sha256_of(data)),
        DigestAlgorithm::Sha384 => ("sha384", sha2::Sha384::digest(data).to_vec()),
        DigestAlgorithm::Sha512 => ("sha512", sha2::Sha512::digest(data).to_vec()),
    };
    let mut s = String::with_capacity(name.len() + 1 + hash.len() * 2);
    s.push_str(name);
    s.push(':');
    for b in hash {
        use std::fmt::Write as _;
        let _ = write!(s, "{b:02x}");
    }
    Ok(Digest::parse(&s)?)
}

/// `manifest.MatchesDigest`: string equality with [`manifest_digest`].
pub fn matches_digest(manifest: &[u8], expected: &str) -> Result<bool, Error> {
    Ok(manifest_digest(manifest)?.as_str() == expected)
}

/// `manifest.NormalizedMIMEType`: the effective MIME type of a manifest MIME type returned by a server
/// (`application/json` and anything unrecognized are treated as signed schema 1).
pub fn normalized_mime_type(input: &str) -> &'static str {
    [
        DOCKER_V2_SCHEMA1_MEDIA_TYPE,
        DOCKER_V2_SCHEMA1_SIGNED_MEDIA_TYPE,
        OCI_IMAGE_MANIFEST_MEDIA_TYPE,
        OCI_IMAGE_INDEX_MEDIA_TYPE,
        DOCKER_V2_SCHEMA2_MEDIA_TYPE,
        DOCKER_V2_LIST_MEDIA_TYPE,
    ]
    .into_iter()
    .find(|&t| t == input)
    .unwrap_or(DOCKER_V2_SCHEMA1_SIGNED_MEDIA_TYPE)
}

/// `manifest.MIMETypeIsMultiImage`: whether the MIME type is a manifest list / image index.
pub fn mime_type_is_multi_image(mime_type: &str) -> bool {
    mime_type == DOCKER_V2_LIST_MEDIA_TYPE || mime_type == OCI_IMAGE_INDEX_MEDIA_TYPE
}

#[cfg(test)]
mod tests {
    use super::*;

    const SIGNED_PREFIX: &str = r#"{"schemaVersion":1,"name":"x"}"#;

    fn signed(signatures: &str) -> Vec<u8> {
        // A signed manifest whose payload is SIGNED_PREFIX (formatLength 29 + tail "}").
        format!("{{\"schemaVersion\":1,\"name\":\"x\",\n\"signatures\": {signatures}}}")
            .into_bytes()
    }

    fn protected(json: &str) -> String {
        use base64::Engine as _;
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(json)
    }

    #[test]
    fn jws_stripping() {
        let p = protected(r#"{"formatLength":29,"formatTail":"fQ"}"#);
        let m = signed(&format!(r#"[{{"protected":"{p}"}}]"#));
        assert_eq!(
            manifest_digest(&m).unwrap(),
            Digest::sha256_of(SIGNED_PREFIX.as_bytes())
        );
        // Padding is optional, entries agree.
        let p2 = {
            use base64::Engine as _;
            base64::engine::general_purpose::URL_SAFE
                .encode(r#"{"formatLength":29, "formatTail":"fQ=="}"#)
        };
        assert!(p2.ends_with('='));
        let m = signed(&format!(
            r#"[{{"protected":"{p}"}}, {{"protected":"{p2}"}}]"#
        ));
        assert_eq!(
            manifest_digest(&m).unwrap(),
            Digest::sha256_of(SIGNED_PREFIX.as_bytes())
        );
        // Empty / null signature arrays strip everything.
        for s in ["[]", "null"] {
            let mut m = signed(s);
            if s == "null" {
                // GuessMIMEType needs a non-null `signatures` (case-insensitive, last wins).
                m = br#"{"schemaVersion":1,"signatures":null,"Signatures":[]}"#.to_vec();
            }
            assert_eq!(manifest_digest(&m).unwrap(), Digest::sha256_of(b""), "{s}");
        }
    }

    #[test]
    fn jws_errors() {
        let p = |j: &str| protected(j);
        let cases: Vec<(String, &str)> = vec![
            (
                "1".to_owned(),
                "error unmarshalling signatures: json: cannot unmarshal number into Go value of type []libtrust.jsParsedSignature",
            ),
            (
                "[1]".to_owned(),
                "error unmarshalling signatures: json: cannot unmarshal number into Go value of type libtrust.jsParsedSignature",
            ),
            (
                r#"[{"protected": 1}]"#.to_owned(),
                "error unmarshalling signatures: json: cannot unmarshal number into Go struct field jsParsedSignature.protected of type string",
            ),
            (
                r#"[{"header": {"alg": true}}]"#.to_owned(),
                "error unmarshalling signatures: json: cannot unmarshal bool into Go struct field jsParsedHeader.header.alg of type string",
            ),
            (
                r#"[{"protected": "a"}]"#.to_owned(),
                "base64 decode error: illegal base64url string",
            ),
            (
                r#"[{"protected": "a*"}]"#.to_owned(),
                "base64 decode error: illegal base64 data at input byte 1",
            ),
            (
                format!(r#"[{{"protected": "{}"}}]"#, p("[]")),
                "error unmarshalling protected header: json: cannot unmarshal array into Go value of type map[string]interface {}",
            ),
            (
                format!(r#"[{{"protected": "{}"}}]"#, p("{")),
                "error unmarshalling protected header: unexpected end of JSON input",
            ),
            (
                format!(r#"[{{"protected": "{}"}}]"#, p("null")),
                "missing formatted length",
            ),
            (
                format!(r#"[{{"protected": "{}"}}]"#, p(r#"{"formatLength":"1"}"#)),
                "missing formatted length",
            ),
            (
                format!(r#"[{{"protected": "{}"}}]"#, p(r#"{"formatLength":1}"#)),
                "missing formatted tail",
            ),
            (
                format!(
                    r#"[{{"protected": "{}"}}]"#,
                    p(r#"{"formatLength":1,"formatTail":"a"}"#)
                ),
                "base64 decode error on tail: illegal base64url string",
            ),
            (
                format!(
                    r#"[{{"protected": "{}"}}]"#,
                    p(r#"{"formatLength":1e999,"formatTail":"fQ"}"#)
                ),
                "error unmarshalling protected header: json: cannot unmarshal number 1e999 into Go value of type float64",
            ),
            (
                format!(
                    r#"[{{"protected": "{}"}},{{"protected": "{}"}}]"#,
                    p(r#"{"formatLength":29,"formatTail":"fQ"}"#),
                    p(r#"{"formatLength":28,"formatTail":"fQ"}"#)
                ),
                "conflicting format length",
            ),
            (
                format!(
                    r#"[{{"protected": "{}"}},{{"protected": "{}"}}]"#,
                    p(r#"{"formatLength":29,"formatTail":"fQ"}"#),
                    p(r#"{"formatLength":29,"formatTail":"fX0"}"#)
                ),
                "conflicting format tail",
            ),
            (
                format!(
                    r#"[{{"protected": "{}"}}]"#,
                    p(r#"{"formatLength":1e9,"formatTail":""}"#)
                ),
                "invalid format length",
            ),
            (
                format!(
                    r#"[{{"protected": "{}"}}]"#,
                    p(r#"{"formatLength":-3,"formatTail":""}"#)
                ),
                "invalid format length",
            ),
            (
                format!(
                    r#"[{{"protected": "{}"}}]"#,
                    p(r#"{"formatLength":1e300,"formatTail":""}"#)
                ),
                "invalid format length",
            ),
            (
                format!(
                    r#"[{{"protected": "{}", "header": {{"jwk": null}}}}]"#,
                    p(r#"{"formatLength":29,"formatTail":"fQ"}"#)
                ),
                "error unmarshalling public key: JWK Public Key type: \"kty\" value not specified",
            ),
            (
                format!(
                    r#"[{{"protected": "{}", "header": {{"jwk": "x"}}}}]"#,
                    p(r#"{"formatLength":29,"formatTail":"fQ"}"#)
                ),
                "error unmarshalling public key: decoding JWK Public Key JSON data: json: cannot unmarshal string into Go value of type map[string]interface {}\n",
            ),
            (
                format!(
                    r#"[{{"protected": "{}", "header": {{"jwk": {{"kty":"oct"}}}}}}]"#,
                    p(r#"{"formatLength":29,"formatTail":"fQ"}"#)
                ),
                "error unmarshalling public key: JWK Public Key type not supported: \"oct\"\n",
            ),
            (
                format!(
                    r#"[{{"protected": "{}", "header": {{"jwk": {{"kty":"EC","crv":"P-256","x":"AA","y":"AA"}}}}}}]"#,
                    p(r#"{"formatLength":29,"formatTail":"fQ"}"#)
                ),
                "error unmarshalling public key: JWK EC Public Key x-coordinate: invalid number of octets: got 1, should be 32",
            ),
            (
                format!(
                    r#"[{{"protected": "{}", "header": {{"jwk": {{"kty":"RSA","n":"AQAB","e":"AQAB","d":"x"}}}}}}]"#,
                    p(r#"{"formatLength":29,"formatTail":"fQ"}"#)
                ),
                "error unmarshalling public key: JWK RSA Public Key cannot contain private exponent",
            ),
        ];
        for (sigs, want) in cases {
            let m = signed(&sigs);
            assert_eq!(
                guess_mime_type(&m),
                DOCKER_V2_SCHEMA1_SIGNED_MEDIA_TYPE,
                "{sigs}"
            );
            assert_eq!(
                manifest_digest(&m),
                Err(Error::Manifest(want.to_owned())),
                "{sigs}"
            );
        }
        // Case-insensitive detection, but libtrust looks up exactly "signatures".
        let m = br#"{"schemaVersion":1,"SIGNATURES":[]}"#;
        assert_eq!(
            manifest_digest(m),
            Err(Error::Manifest("missing signature key".into()))
        );
    }

    #[test]
    fn not_signed_schema1() {
        for m in [
            &br#"{"schemaVersion":1,"signatures":null}"#[..],
            br#"{"schemaVersion":1,"signatures":[1e999]}"#,
            br#"{"schemaVersion":"1","signatures":1}"#,
            br#"{"schemaVersion":1.0,"signatures":1}"#,
            br#"{"schemaVersion":1,"signatures":1} x"#,
            br#"{"schemaVersion":1,"signatures":1,"mediaType":"application/vnd.oci.image.manifest.v1+json"}"#,
            br#"[{"schemaVersion":1,"signatures":1}]"#,
            b"",
            b"\xff",
        ] {
            assert_eq!(manifest_digest(m).unwrap(), Digest::sha256_of(m), "{}", String::from_utf8_lossy(m));
        }
    }

    #[test]
    fn guess_edge_cases() {
        assert_eq!(guess_mime_type(br#"{"mediaType":1}"#), "");
        assert_eq!(guess_mime_type(b"null"), "");
        assert_eq!(
            guess_mime_type(br#"{"schemaVersion":2}"#),
            OCI_IMAGE_MANIFEST_MEDIA_TYPE
        );
        assert_eq!(
            guess_mime_type(br#"{"schemaVersion":2,"manifests":[null]}"#),
            OCI_IMAGE_INDEX_MEDIA_TYPE
        );
        assert_eq!(
            guess_mime_type(br#"{"schemaVersion":2,"manifests":[{"size":1.5}]}"#),
            ""
        );
        assert_eq!(
            guess_mime_type(br#"{"schemaVersion":2,"manifests":[{"data":"!"}]}"#),
            ""
        );
        assert_eq!(
            guess_mime_type(
                br#"{"schemaVersion":2,"manifests":[{"platform":{"os.features":[1]}}]}"#
            ),
            ""
        );
        assert_eq!(
            guess_mime_type(
                br#"{"schemaVersion":2,"config":{"mediaType":"x/y"},"manifests":[{}]}"#
            ),
            "x/y"
        );
        assert_eq!(
            guess_mime_type(br#"{"schemaVersion":2,"config":1,"manifests":[{}]}"#),
            ""
        );
        assert_eq!(
            guess_mime_type(br#"{"SCHEMAVERSION":2,"Config":{"MEDIATYPE":"application/vnd.docker.container.image.v1+json"}}"#),
            DOCKER_V2_SCHEMA2_MEDIA_TYPE
        );
        assert_eq!(guess_mime_type(br#"{"schemaVersion":3}"#), "");
    }

    #[test]
    fn normalized() {
        assert_eq!(
            normalized_mime_type("application/json"),
            DOCKER_V2_SCHEMA1_SIGNED_MEDIA_TYPE
        );
        assert_eq!(
            normalized_mime_type(OCI_IMAGE_INDEX_MEDIA_TYPE),
            OCI_IMAGE_INDEX_MEDIA_TYPE
        );
        assert_eq!(
            normalized_mime_type(""),
            DOCKER_V2_SCHEMA1_SIGNED_MEDIA_TYPE
        );
        assert!(mime_type_is_multi_image(DOCKER_V2_LIST_MEDIA_TYPE));
    }
}
