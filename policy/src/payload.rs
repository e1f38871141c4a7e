//! Simple-signing payloads (`atomic container signature` JSON): creation and strict untrusted parsing.
//!
//! The parser is shared with sigstore payloads (`cosign container image signature`), which differ only in
//! the `critical.type` value and in accepting `"optional": null`: see `parse_untrusted_payload`.
//!
//! ```
//! use containers_policy::payload::SimpleSigningPayload;
//!
//! let mut p = SimpleSigningPayload::new(
//!     "sha256:20bf21ed457b390829cdbeec8795a7bea1626991fda603e0d01b4e7f60427e55",
//!     "docker.io/library/busybox:latest",
//! );
//! p.timestamp = Some(1458239713);
//! let json = p.to_json()?;
//! assert_eq!(
//!     String::from_utf8_lossy(&json),
//!     r#"{"critical":{"identity":{"docker-reference":"docker.io/library/busybox:latest"},"image":{"docker-manifest-digest":"sha256:20bf21ed457b390829cdbeec8795a7bea1626991fda603e0d01b4e7f60427e55"},"type":"atomic container signature"},"optional":{"timestamp":1458239713}}"#
//! );
//! assert_eq!(SimpleSigningPayload::from_slice(&json)?, p);
//! # Ok::<(), containers_policy::Error>(())
//! ```

use crate::{
    Digest, Error,
    json::{
        Document, Value,
        decode::{
            DResult, Field, any_value, exact_fields, f64_value, paranoid_object, string_value,
        },
        encode::Writer,
        quote::go_quote,
    },
};

/// The `critical.type` of simple signing.
pub const SIMPLE_SIGNING_TYPE: &str = "atomic container signature";

/// The `critical.type` of sigstore (cosign) payloads.
pub const SIGSTORE_SIGNATURE_TYPE: &str = "cosign container image signature";

/// A simple-signing payload.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SimpleSigningPayload {
    /// `critical.image.docker-manifest-digest` (as written; validated by go-digest at parse time)
    pub docker_manifest_digest: String,
    /// `critical.identity.docker-reference` (as written; not validated at parse time)
    pub docker_reference: String,
    /// `optional.creator`
    pub creator: Option<String>,
    /// `optional.timestamp` (Unix seconds)
    pub timestamp: Option<i64>,
}

impl SimpleSigningPayload {
    /// A payload for signing (`creator`/`timestamp` set by the caller).
    pub fn new(
        docker_manifest_digest: impl Into<String>,
        docker_reference: impl Into<String>,
    ) -> Self {
        SimpleSigningPayload {
            docker_manifest_digest: docker_manifest_digest.into(),
            docker_reference: docker_reference.into(),
            creator: None,
            timestamp: None,
        }
    }
    /// `MarshalJSON`: sorted keys, compact, no trailing newline. Empty digest or reference →
    /// `Unexpected empty signature content`.
    pub fn to_json(&self) -> Result<Vec<u8>, Error> {
        payload_to_json(SIMPLE_SIGNING_TYPE, self).map(String::into_bytes)
    }
    /// Strict parse of verified bytes (`untrustedSignature.UnmarshalJSON`); errors are
    /// [`Error::InvalidSignature`] with upstream text.
    pub fn from_slice(data: &[u8]) -> Result<Self, Error> {
        parse_untrusted_payload(data, SIMPLE_SIGNING_TYPE, false).map_err(Error::InvalidSignature)
    }
    /// Strict parse of a sigstore payload (`UntrustedSigstorePayload.strictUnmarshalJSON`): the same
    /// structure with `critical.type` = [`SIGSTORE_SIGNATURE_TYPE`] and `"optional": null` accepted.
    /// Nothing is verified.
    pub fn from_sigstore_slice(data: &[u8]) -> Result<Self, Error> {
        parse_untrusted_payload(data, SIGSTORE_SIGNATURE_TYPE, true)
            .map_err(Error::InvalidSignature)
    }
}

/// Serializes a payload of `signature_type` as Go marshals a `map[string]any`: sorted keys, compact, Go
/// string escaping. Empty digest or reference → `Unexpected empty signature content` ([`Error::Other`]).
pub(crate) fn payload_to_json(
    signature_type: &str,
    p: &SimpleSigningPayload,
) -> Result<String, Error> {
    if p.docker_manifest_digest.is_empty() || p.docker_reference.is_empty() {
        return Err(Error::Other(
            "Unexpected empty signature content".to_owned(),
        ));
    }
    let mut w = Writer::new("");
    w.begin_object();
    w.key("critical");
    w.begin_object();
    w.key("identity");
    w.begin_object();
    w.string_member("docker-reference", &p.docker_reference);
    w.end_object();
    w.key("image");
    w.begin_object();
    w.string_member("docker-manifest-digest", &p.docker_manifest_digest);
    w.end_object();
    w.string_member("type", signature_type);
    w.end_object();
    w.key("optional");
    w.begin_object();
    if let Some(c) = &p.creator {
        w.string_member("creator", c);
    }
    if let Some(t) = p.timestamp {
        w.key("timestamp");
        w.int(t);
    }
    w.end_object();
    w.end_object();
    Ok(w.finish())
}

/// Converts a JSON `timestamp` (a `float64` in Go) to Unix seconds: Go's `int64(f)` must round-trip.
/// Values outside the `int64` range fail (as Go's conversion does on amd64).
fn integral_timestamp(f: f64) -> Option<i64> {
    // -2^63 ≤ f < 2^63 and no fractional part.
    const LIMIT: f64 = 9_223_372_036_854_775_808.0;
    if f.fract() == 0.0 && (-LIMIT..LIMIT).contains(&f) {
        Some(f as i64)
    } else {
        None
    }
}

/// The strict parse shared by simple-signing and sigstore payloads (`untrustedSignature.strictUnmarshalJSON`
/// / `UntrustedSigstorePayload.strictUnmarshalJSON`), with their order of checks and messages.
///
/// `signature_type` is the required `critical.type`; `allow_null_optional` accepts `"optional": null`
/// (cosign emits it). Errors are the message texts (callers wrap them as [`Error::InvalidSignature`]).
pub(crate) fn parse_untrusted_payload(
    data: &[u8],
    signature_type: &str,
    allow_null_optional: bool,
) -> DResult<SimpleSigningPayload> {
    let doc = Document::parse(data)?;
    let mut critical: Option<Value<'_>> = None;
    let mut optional: Option<Value<'_>> = None;
    exact_fields(doc.root(), &["critical", "optional"], |key, v| {
        if key == "critical" {
            critical = Some(v);
        } else {
            optional = Some(v);
        }
        Ok(())
    })?;
    let (Some(critical), Some(optional)) = (critical, optional) else {
        return Err("Key \"critical\" missing in a JSON object".to_owned());
    };

    let mut creator = None;
    let mut timestamp = None;
    if !(allow_null_optional && optional.raw() == b"null") {
        paranoid_object(optional, |key, v| {
            match key {
                // A null creator is an empty string; a null timestamp is 0 (Go leaves the zero values).
                "creator" => creator = Some(string_value(v, "string")?.unwrap_or_default()),
                "timestamp" => timestamp = Some(f64_value(v)?.unwrap_or(0.0)),
                _ => any_value(v)?,
            }
            Ok(Field::Known)
        })?;
    }
    let timestamp = match timestamp {
        None => None,
        Some(f) => Some(
            integral_timestamp(f)
                .ok_or_else(|| "Field optional.timestamp is not an integer".to_owned())?,
        ),
    };

    let mut t = String::new();
    let mut image: Option<Value<'_>> = None;
    let mut identity: Option<Value<'_>> = None;
    exact_fields(critical, &["type", "image", "identity"], |key, v| {
        match key {
            "type" => {
                if let Some(s) = string_value(v, "string")? {
                    t = s;
                }
            }
            "image" => image = Some(v),
            _ => identity = Some(v),
        }
        Ok(())
    })?;
    if t != signature_type {
        return Err(format!("Unrecognized signature type {t}"));
    }
    let (Some(image), Some(identity)) = (image, identity) else {
        return Err("Key \"image\" missing in a JSON object".to_owned());
    };

    let mut digest = String::new();
    exact_fields(image, &["docker-manifest-digest"], |_, v| {
        if let Some(s) = string_value(v, "string")? {
            digest = s;
        }
        Ok(())
    })?;
    if let Err(e) = Digest::parse(&digest) {
        return Err(format!(
            "invalid docker-manifest-digest value {}: {e}",
            go_quote(&digest)
        ));
    }

    let mut reference = String::new();
    exact_fields(identity, &["docker-reference"], |_, v| {
        if let Some(s) = string_value(v, "string")? {
            reference = s;
        }
        Ok(())
    })?;

    Ok(SimpleSigningPayload {
        docker_manifest_digest: digest,
        docker_reference: reference,
        creator,
        timestamp,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const DIGEST: &str = "sha256:20bf21ed457b390829cdbeec8795a7bea1626991fda603e0d01b4e7f60427e55";

    #[test]
    fn sigstore_payloads_take_the_cosign_type_and_a_null_optional() {
        let cosign = format!(
            r#"{{"critical":{{"identity":{{"docker-reference":"quay.io/ns/app"}},"image":{{"docker-manifest-digest":"{DIGEST}"}},"type":"cosign container image signature"}},"optional":null}}"#
        );
        let p = SimpleSigningPayload::from_sigstore_slice(cosign.as_bytes()).unwrap();
        assert_eq!(p.docker_manifest_digest, DIGEST);
        assert_eq!(p.docker_reference, "quay.io/ns/app");
        // Neither parser takes the other's type, and simple signing refuses a null optional.
        assert!(SimpleSigningPayload::from_slice(cosign.as_bytes()).is_err());
        let atomic = SimpleSigningPayload::new(DIGEST, "quay.io/ns/app")
            .to_json()
            .unwrap();
        assert!(SimpleSigningPayload::from_sigstore_slice(&atomic).is_err());
    }
}
