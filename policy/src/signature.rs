//! Signature blobs as stored by containers/image (`internal/signature`): raw simple-signing OpenPGP or a
//! format-tagged blob (`\0sigstore-json\n{…}`), sniffed by the first byte.
//!
//! ```
//! use std::collections::BTreeMap;
//! use containers_policy::signature::{Signature, SigstoreSignature};
//!
//! let sig = Signature::Sigstore(SigstoreSignature::new("mime-type", b"payload".to_vec(), BTreeMap::new()));
//! let blob = sig.to_blob();
//! assert!(blob.starts_with(b"\0sigstore-json\n{"));
//! assert_eq!(Signature::from_blob(&blob)?, sig);
//! assert_eq!(
//!     Signature::from_blob(b"-----BEGIN PGP SIGNED MESSAGE-----").unwrap_err().to_string(),
//!     "unrecognized signature format, starting with binary 0x2d"
//! );
//! # Ok::<(), containers_policy::Error>(())
//! ```

use std::collections::BTreeMap;

use crate::{
    Error,
    error::go_quote,
    manifest::gojson::{self, Ctx, Cursor},
};

/// Format name of simple-signing signatures (`signature.SimpleSigningFormat`).
pub const SIMPLE_SIGNING_FORMAT: &str = "simple-signing";
/// Format name of sigstore signatures (`signature.SigstoreFormat`).
pub const SIGSTORE_FORMAT: &str = "sigstore-json";
/// MIME type of a sigstore signature attachment (`SigstoreSignatureMIMEType`).
pub const SIGSTORE_SIGNATURE_MIME_TYPE: &str = "application/vnd.dev.cosign.simplesigning.v1+json";
/// Annotation holding the base64 signature of a sigstore payload (`SigstoreSignatureAnnotationKey`).
pub const SIGSTORE_SIGNATURE_ANNOTATION_KEY: &str = "dev.cosignproject.cosign/signature";
/// Annotation holding a Rekor SET (`SigstoreSETAnnotationKey`).
pub const SIGSTORE_SET_ANNOTATION_KEY: &str = "dev.sigstore.cosign/bundle";
/// Annotation holding a PEM certificate (`SigstoreCertificateAnnotationKey`).
pub const SIGSTORE_CERTIFICATE_ANNOTATION_KEY: &str = "dev.sigstore.cosign/certificate";
/// Annotation holding a PEM intermediate+root chain (`SigstoreIntermediateCertificateChainAnnotationKey`).
pub const SIGSTORE_INTERMEDIATE_CERTIFICATE_CHAIN_ANNOTATION_KEY: &str =
    "dev.sigstore.cosign/chain";

/// One signature of an image.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Signature {
    /// A simple-signing OpenPGP message.
    SimpleSigning(Vec<u8>),
    /// A sigstore (cosign) signature.
    Sigstore(SigstoreSignature),
}

/// A sigstore signature: an attachment's MIME type, payload and annotations.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SigstoreSignature {
    /// `mimeType`
    pub mime_type: String,
    /// The payload bytes.
    pub payload: Vec<u8>,
    /// Annotations.
    pub annotations: BTreeMap<String, String>,
}

impl SigstoreSignature {
    /// `signature.SigstoreFromComponents`.
    pub fn new(
        mime_type: impl Into<String>,
        payload: impl Into<Vec<u8>>,
        annotations: BTreeMap<String, String>,
    ) -> Self {
        SigstoreSignature {
            mime_type: mime_type.into(),
            payload: payload.into(),
            annotations,
        }
    }

    /// `signature.SigstoreFromBlobChunk`: Go `json.Unmarshal` into `{mimeType, payload (base64), annotations}`
    /// (unknown keys ignored, keys matched case-insensitively, `null` leaves a field empty); the error is
    /// Go's JSON error text.
    pub fn from_blob_chunk(chunk: &[u8]) -> Result<Self, Error> {
        Self::decode(chunk).map_err(Error::SignatureFormat)
    }

    fn decode(chunk: &[u8]) -> Result<Self, String> {
        gojson::check_valid(chunk)?;
        let mut sig = SigstoreSignature::new("", Vec::new(), BTreeMap::new());
        let mut c = Cursor::new(chunk);
        match c.peek() {
            b'n' => return Ok(sig),
            b'{' => c.open(),
            k => {
                return Err(gojson::type_error(
                    gojson::kind_name(k),
                    Ctx::Top,
                    "signature.sigstoreJSONRepresentation",
                ));
            }
        }
        const S: &str = "sigstoreJSONRepresentation";
        let mut annotations: Option<BTreeMap<String, String>> = None;
        while let Some(k) = c.next_key() {
            if gojson::field_matches(&k, "mimeType") {
                c.string_into(&mut sig.mime_type, Ctx::Field(S, "mimeType"))?;
            } else if gojson::field_matches(&k, "payload") {
                sig.payload = c.bytes(Ctx::Field(S, "payload"))?.unwrap_or_default();
            } else if gojson::field_matches(&k, "annotations") {
                c.string_map_into(&mut annotations, Ctx::Field(S, "annotations"))?;
            } else {
                c.skip_value();
            }
        }
        sig.annotations = annotations.unwrap_or_default();
        Ok(sig)
    }

    /// The JSON containers/image stores (Go `json.Marshal` of `{mimeType, payload, annotations}`).
    pub fn blob_chunk(&self) -> Vec<u8> {
        let mut out = String::with_capacity(64 + self.mime_type.len() + self.payload.len() * 4 / 3);
        out.push_str("{\"mimeType\":");
        gojson::write_go_json_string(&mut out, &self.mime_type);
        out.push_str(",\"payload\":\"");
        out.push_str(&gojson::base64_std_encode(&self.payload));
        out.push_str("\",\"annotations\":{");
        for (i, (k, v)) in self.annotations.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            gojson::write_go_json_string(&mut out, k);
            out.push(':');
            gojson::write_go_json_string(&mut out, v);
        }
        out.push_str("}}");
        out.into_bytes()
    }
}

/// Whether a first byte marks a bare OpenPGP message (compressed data, one-pass signature or signature
/// packet), exactly the list upstream checks — including its `0x3D` where `0x93` was meant.
fn is_openpgp_start(b: u8) -> bool {
    matches!(b, 0xA0..=0xA3 | 0xC8 | 0x90 | 0x91 | 0x92 | 0x3D | 0xC4 | 0x88..=0x8B | 0xC2)
}

impl Signature {
    /// `signature.FromBlob` (`empty signature blob`, `unrecognized signature format, starting with binary 0x2d`, …).
    pub fn from_blob(blob: &[u8]) -> Result<Signature, Error> {
        let Some((&first, rest)) = blob.split_first() else {
            return Err(Error::SignatureFormat("empty signature blob".to_owned()));
        };
        if is_openpgp_start(first) {
            return Ok(Signature::SimpleSigning(blob.to_vec()));
        }
        if first != 0 {
            return Err(Error::SignatureFormat(format!(
                "unrecognized signature format, starting with binary {first:#x}"
            )));
        }
        let Some(nl) = rest.iter().position(|&b| b == b'\n') else {
            return Err(Error::SignatureFormat(
                "invalid signature format, missing newline".to_owned(),
            ));
        };
        let (format, chunk) = (&rest[..nl], &rest[nl + 1..]);
        if let Some(&bad) = format.iter().find(|&&b| !(32..0x7f).contains(&b)) {
            return Err(Error::SignatureFormat(format!(
                "invalid signature format, non-ASCII byte {bad:#x}"
            )));
        }
        match format {
            b"simple-signing" => Ok(Signature::SimpleSigning(chunk.to_vec())),
            b"sigstore-json" => Ok(Signature::Sigstore(SigstoreSignature::from_blob_chunk(
                chunk,
            )?)),
            _ => Err(Error::SignatureFormat(format!(
                "unrecognized signature format {}",
                go_quote(&String::from_utf8_lossy(format))
            ))),
        }
    }

    /// `signature.Blob`: simple signing as the raw OpenPGP bytes (for compatibility with old storage),
    /// other formats as `\0<format>\n<data>`.
    pub fn to_blob(&self) -> Vec<u8> {
        match self {
            Signature::SimpleSigning(data) => data.clone(),
            Signature::Sigstore(s) => {
                let chunk = s.blob_chunk();
                let mut out = Vec::with_capacity(2 + SIGSTORE_FORMAT.len() + chunk.len());
                out.push(0);
                out.extend_from_slice(SIGSTORE_FORMAT.as_bytes());
                out.push(b'\n');
                out.extend_from_slice(&chunk);
                out
            }
        }
    }

    /// The format name (`simple-signing`, `sigstore-json`).
    pub fn format_name(&self) -> &'static str {
        match self {
            Signature::SimpleSigning(_) => SIMPLE_SIGNING_FORMAT,
            Signature::Sigstore(_) => SIGSTORE_FORMAT,
        }
    }

    /// The OpenPGP message of a simple-signing signature.
    pub fn as_simple_signing(&self) -> Option<&[u8]> {
        match self {
            Signature::SimpleSigning(data) => Some(data),
            Signature::Sigstore(_) => None,
        }
    }

    /// The sigstore signature, if it is one.
    pub fn as_sigstore(&self) -> Option<&SigstoreSignature> {
        match self {
            Signature::Sigstore(s) => Some(s),
            Signature::SimpleSigning(_) => None,
        }
    }

    /// `signature.UnsupportedFormatError`'s text for this signature (`unsupported signature format …`).
    pub fn unsupported_format_message(&self) -> String {
        format!("unsupported signature format {}", self.format_name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(blob: &[u8]) -> String {
        Signature::from_blob(blob).unwrap_err().to_string()
    }

    #[test]
    fn from_blob_errors() {
        assert_eq!(err(b""), "empty signature blob");
        assert_eq!(
            err(b"\xFFsimple-signing\nhello"),
            "unrecognized signature format, starting with binary 0xff"
        );
        assert_eq!(
            err(b"\x05x"),
            "unrecognized signature format, starting with binary 0x5"
        );
        assert_eq!(
            err(b"\x93x"),
            "unrecognized signature format, starting with binary 0x93"
        );
        assert_eq!(
            err(b"\x00simple-signing"),
            "invalid signature format, missing newline"
        );
        assert_eq!(
            err(b"\x00format\xFFname\ndata"),
            "invalid signature format, non-ASCII byte 0xff"
        );
        assert_eq!(
            err(b"\x00a\tb\n"),
            "invalid signature format, non-ASCII byte 0x9"
        );
        assert_eq!(
            err(b"\x00unknown-format\ndata"),
            "unrecognized signature format \"unknown-format\""
        );
        assert_eq!(
            err(b"\x00a\"b\\\n"),
            r#"unrecognized signature format "a\"b\\""#
        );
        assert_eq!(err(b"\x00\n"), "unrecognized signature format \"\"");
        assert_eq!(
            err(b"\x00sigstore-json\n&"),
            "invalid character '&' looking for beginning of value"
        );
        assert_eq!(
            err(b"\x00sigstore-json\n[]"),
            "json: cannot unmarshal array into Go value of type signature.sigstoreJSONRepresentation"
        );
        assert_eq!(
            err(b"\x00sigstore-json\n{\"mimeType\":1}"),
            "json: cannot unmarshal number into Go struct field sigstoreJSONRepresentation.mimeType of type string"
        );
        assert_eq!(
            err(b"\x00sigstore-json\n{\"payload\":\"!\"}"),
            "illegal base64 data at input byte 0"
        );
        assert_eq!(
            err(b"\x00sigstore-json\n{\"payload\":[256]}"),
            "json: cannot unmarshal number 256 into Go struct field sigstoreJSONRepresentation.payload of type uint8"
        );
        assert_eq!(
            err(b"\x00sigstore-json\n{\"annotations\":{\"a\":1}}"),
            "json: cannot unmarshal number into Go struct field sigstoreJSONRepresentation.annotations of type string"
        );
        assert!(Signature::from_blob(b"\x00simple-signing\n").is_ok());
    }

    #[test]
    fn first_byte_table() {
        for b in 0u8..=255 {
            let blob = [b, 1, 2, 3];
            let r = Signature::from_blob(&blob);
            let want =
                matches!(b, 0xA0..=0xA3 | 0xC8 | 0x90..=0x92 | 0x3D | 0xC4 | 0x88..=0x8B | 0xC2);
            assert_eq!(matches!(r, Ok(Signature::SimpleSigning(_))), want, "{b:#x}");
        }
    }

    #[test]
    fn sigstore_lenient_json() {
        let s = Signature::from_blob(
            b"\x00sigstore-json\n{\"MIMETYPE\":\"t\",\"x\":[1e999],\"payload\":[104,105],\"annotations\":{\"a\":\"1\"},\"annotations\":{\"b\":null}}",
        )
        .unwrap();
        let s = s.as_sigstore().unwrap();
        assert_eq!(s.mime_type, "t");
        assert_eq!(s.payload, b"hi");
        assert_eq!(
            s.annotations,
            BTreeMap::from([
                ("a".to_owned(), "1".to_owned()),
                ("b".to_owned(), String::new())
            ])
        );
        let s = Signature::from_blob(b"\x00sigstore-json\nnull").unwrap();
        assert_eq!(
            s,
            Signature::Sigstore(SigstoreSignature::new("", vec![], BTreeMap::new()))
        );
    }

    #[test]
    fn sigstore_blob_json() {
        let s = SigstoreSignature::new(
            "mime-type",
            b"payload".to_vec(),
            BTreeMap::from([
                ("c".to_owned(), "d<".to_owned()),
                ("a".to_owned(), "b".to_owned()),
            ]),
        );
        assert_eq!(
            String::from_utf8(s.blob_chunk()).unwrap(),
            r#"{"mimeType":"mime-type","payload":"cGF5bG9hZA==","annotations":{"a":"b","c":"d\u003c"}}"#
        );
        let empty = SigstoreSignature::new("", vec![], BTreeMap::new());
        assert_eq!(
            empty.blob_chunk(),
            br#"{"mimeType":"","payload":"","annotations":{}}"#
        );
    }
}
