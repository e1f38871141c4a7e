//! The policy.json model, its strict parser (containers/image's messages) and its serializer.
//!
//! Parsing follows containers/image's `NewPolicyFromBytes` rule for rule and message for message (see the
//! crate's spec §1.2–1.5): every object is decoded "paranoidly" (duplicate and unknown keys refused), values
//! with Go `encoding/json` semantics, and errors surface in the order containers/image reports them.
//!
//! ```
//! use containers_policy::{Policy, PolicyRequirement, SignedIdentity};
//!
//! let policy = Policy::from_slice(br#"{"default": [{"type": "reject"}]}"#)?;
//! assert_eq!(policy.default, [PolicyRequirement::Reject]);
//!
//! let err = Policy::from_slice(br#"{"default": [{"type": "reject"}], "Default": []}"#).unwrap_err();
//! assert_eq!(err.to_string(), r#"Unknown key "Default""#);
//!
//! // Building a policy and writing it out:
//! let mut policy = Policy::new(vec![PolicyRequirement::insecure_accept_anything()])?;
//! policy.default.push(PolicyRequirement::signed_by_key_paths(
//!     vec!["/etc/pki/key.gpg".into()],
//!     SignedIdentity::MatchRepository,
//! ));
//! let json = policy.to_json();
//! assert_eq!(Policy::from_slice(json.as_bytes())?, policy);
//! # Ok::<(), containers_policy::Error>(())
//! ```

use std::{borrow::Cow, collections::BTreeMap, fs::File, io::Read as _, path::Path};

use crate::{
    Error,
    error::IoError,
    identity::SignedIdentity,
    json::{
        Document, Value,
        decode::{
            DResult, Field, bytes_list, bytes_value, exact_fields, lenient_type, paranoid_object,
            str_value, string_list, string_value,
        },
        encode::{Writer, base64_std},
        quote::go_quote,
    },
    transports::validate_scope,
};

/// A parsed policy.json.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Policy {
    /// Requirements used when no transport scope matches. Never empty in a parsed policy.
    pub default: Vec<PolicyRequirement>,
    /// transport name → scope → requirements (`""` is the transport-wide default scope).
    pub transports: BTreeMap<String, BTreeMap<String, Vec<PolicyRequirement>>>,
}

/// One requirement; a list of them is ANDed.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum PolicyRequirement {
    /// `insecureAcceptAnything`
    InsecureAcceptAnything,
    /// `reject`
    Reject,
    /// `signedBy`
    SignedBy(SignedBy),
    /// `signedBaseLayer` (parses; never implemented upstream: always denies)
    SignedBaseLayer {
        /// `baseLayerIdentity`
        base_layer_identity: SignedIdentity,
    },
    /// `sigstoreSigned`
    SigstoreSigned(Box<SigstoreSigned>),
}

/// `signedBy` fields.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SignedBy {
    /// `keyType`
    pub key_type: KeyType,
    /// exactly one of `keyPath`, `keyPaths`, `keyData`
    pub keys: GpgKeySource,
    /// `signedIdentity` (default `matchRepoDigestOrExact`)
    pub signed_identity: SignedIdentity,
}

/// `signedBy.keyType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeyType {
    /// `GPGKeys` (the only implemented one)
    GpgKeys,
    /// `signedByGPGKeys`
    SignedByGpgKeys,
    /// `X509Certificates`
    X509Certificates,
    /// `signedByX509CAs`
    SignedByX509Cas,
}

impl KeyType {
    /// The value for a JSON spelling (exact, case-sensitive), if it is one of the four.
    pub fn from_name(name: &str) -> Option<KeyType> {
        match name {
            "GPGKeys" => Some(KeyType::GpgKeys),
            "signedByGPGKeys" => Some(KeyType::SignedByGpgKeys),
            "X509Certificates" => Some(KeyType::X509Certificates),
            "signedByX509CAs" => Some(KeyType::SignedByX509Cas),
            _ => None,
        }
    }

    /// The JSON spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            KeyType::GpgKeys => "GPGKeys",
            KeyType::SignedByGpgKeys => "signedByGPGKeys",
            KeyType::X509Certificates => "X509Certificates",
            KeyType::SignedByX509Cas => "signedByX509CAs",
        }
    }
}

/// Where `signedBy` keys come from.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum GpgKeySource {
    /// `keyPath`
    Path(String),
    /// `keyPaths`
    Paths(Vec<String>),
    /// `keyData` (decoded)
    Data(Vec<u8>),
}

/// `sigstoreSigned` fields (each `Option` is "absent"; the parser enforces the exactly-one rules).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct SigstoreSigned {
    /// `keyPath`
    pub key_path: Option<String>,
    /// `keyPaths`
    pub key_paths: Option<Vec<String>>,
    /// `keyData` (decoded)
    pub key_data: Option<Vec<u8>>,
    /// `keyDatas` (decoded)
    pub key_datas: Option<Vec<Vec<u8>>>,
    /// `fulcio`
    pub fulcio: Option<Fulcio>,
    /// `rekorPublicKeyPath`
    pub rekor_public_key_path: Option<String>,
    /// `rekorPublicKeyPaths`
    pub rekor_public_key_paths: Option<Vec<String>>,
    /// `rekorPublicKeyData` (decoded)
    pub rekor_public_key_data: Option<Vec<u8>>,
    /// `rekorPublicKeyDatas` (decoded)
    pub rekor_public_key_datas: Option<Vec<Vec<u8>>>,
    /// `pki`
    pub pki: Option<Pki>,
    /// `signedIdentity`
    pub signed_identity: SignedIdentity,
}

/// `sigstoreSigned.fulcio`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct Fulcio {
    /// `caPath`
    pub ca_path: Option<String>,
    /// `caData` (decoded)
    pub ca_data: Option<Vec<u8>>,
    /// `oidcIssuer`
    pub oidc_issuer: String,
    /// `subjectEmail`
    pub subject_email: String,
}

/// `sigstoreSigned.pki`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct Pki {
    /// `caRootsPath`
    pub ca_roots_path: Option<String>,
    /// `caRootsData` (decoded)
    pub ca_roots_data: Option<Vec<u8>>,
    /// `caIntermediatesPath`
    pub ca_intermediates_path: Option<String>,
    /// `caIntermediatesData` (decoded)
    pub ca_intermediates_data: Option<Vec<u8>>,
    /// `subjectEmail`
    pub subject_email: Option<String>,
    /// `subjectHostname`
    pub subject_hostname: Option<String>,
}

const EMPTY_REQUIREMENTS: &str = "List of verification policy requirements must not be empty";
const PR_TYPE: &str = "signature.prTypeIdentifier";
const PRM_TYPE: &str = "signature.prmTypeIdentifier";

impl Policy {
    /// A policy whose `default` is `default` and which has no transport scopes.
    ///
    /// Fails with `List of verification policy requirements must not be empty` if `default` is empty.
    ///
    /// ```
    /// use containers_policy::{Policy, PolicyRequirement};
    /// let policy = Policy::new(vec![PolicyRequirement::reject()])?;
    /// assert!(policy.transports.is_empty());
    /// assert!(Policy::new(vec![]).is_err());
    /// # Ok::<(), containers_policy::Error>(())
    /// ```
    pub fn new(default: Vec<PolicyRequirement>) -> Result<Policy, Error> {
        if default.is_empty() {
            return Err(Error::InvalidPolicyFormat(EMPTY_REQUIREMENTS.to_owned()));
        }
        Ok(Policy {
            default,
            transports: BTreeMap::new(),
        })
    }

    /// `NewPolicyFromBytes`: strict parse; errors are [`Error::InvalidPolicyFormat`] with upstream text.
    pub fn from_slice(data: &[u8]) -> Result<Policy, Error> {
        parse_policy(data).map_err(Error::InvalidPolicyFormat)
    }

    /// `NewPolicyFromFile`: read errors are [`Error::Io`] (`open <path>: …`), parse errors
    /// [`Error::InvalidPolicyFile`] (`invalid policy in "<path>": <msg>`).
    pub fn from_path(path: impl AsRef<Path>) -> Result<Policy, Error> {
        let path = path.as_ref();
        let mut file = File::open(path).map_err(|e| Error::Io(IoError::new("open", path, e)))?;
        let mut data = Vec::new();
        file.read_to_end(&mut data)
            .map_err(|e| Error::Io(IoError::new("read", path, e)))?;
        parse_policy(&data).map_err(|message| Error::InvalidPolicyFile {
            path: path.to_owned(),
            message,
        })
    }

    /// Serializes to JSON that containers/image (and [`Policy::from_slice`]) accepts: indented by four
    /// spaces, ending in a newline, keys in containers/image's field order, byte fields as base64, strings
    /// escaped as Go does. `transports` is always written as an object (never `null`).
    ///
    /// For a policy that [`Policy::from_slice`] returned, parsing the output gives an equal policy.
    pub fn to_json(&self) -> String {
        let mut w = Writer::new("    ");
        w.begin_object();
        w.key("default");
        write_requirements(&mut w, &self.default);
        w.key("transports");
        w.begin_object();
        for (transport, scopes) in &self.transports {
            w.key(transport);
            w.begin_object();
            for (scope, reqs) in scopes {
                w.key(scope);
                write_requirements(&mut w, reqs);
            }
            w.end_object();
        }
        w.end_object();
        w.end_object();
        let mut out = w.finish();
        out.push('\n');
        out
    }

    /// The requirements configured for exactly `scope` of `transport` (`""` = the transport's default), if any.
    pub fn scope(&self, transport: &str, scope: &str) -> Option<&[PolicyRequirement]> {
        self.transports
            .get(transport)?
            .get(scope)
            .map(Vec::as_slice)
    }

    /// Sets the requirements of `scope` in `transport` (`""` = the transport's default), returning the
    /// previous ones.
    ///
    /// Fails with `List of verification policy requirements must not be empty` for an empty list, and with
    /// the transport's own message if it does not accept `scope` (a parsed file would report that as
    /// `Unknown key "<scope>"`).
    ///
    /// ```
    /// use containers_policy::{Policy, PolicyRequirement};
    /// let mut policy = Policy::new(vec![PolicyRequirement::reject()])?;
    /// policy.set_scope("example-transport", "some/scope", vec![PolicyRequirement::insecure_accept_anything()])?;
    /// assert_eq!(policy.scope("example-transport", "some/scope"), Some(&[PolicyRequirement::InsecureAcceptAnything][..]));
    /// assert!(policy.remove_scope("example-transport", "some/scope").is_some());
    /// assert!(policy.transports.is_empty());
    /// # Ok::<(), containers_policy::Error>(())
    /// ```
    pub fn set_scope(
        &mut self,
        transport: &str,
        scope: &str,
        requirements: Vec<PolicyRequirement>,
    ) -> Result<Option<Vec<PolicyRequirement>>, Error> {
        if requirements.is_empty() {
            return Err(Error::InvalidPolicyFormat(EMPTY_REQUIREMENTS.to_owned()));
        }
        if !scope.is_empty() {
            validate_scope(transport, scope).map_err(Error::InvalidPolicyFormat)?;
        }
        Ok(self
            .transports
            .entry(transport.to_owned())
            .or_default()
            .insert(scope.to_owned(), requirements))
    }

    /// Removes `scope` from `transport`, returning its requirements; a transport left without scopes is
    /// removed too (an empty transport section behaves like an absent one).
    pub fn remove_scope(&mut self, transport: &str, scope: &str) -> Option<Vec<PolicyRequirement>> {
        let scopes = self.transports.get_mut(transport)?;
        let removed = scopes.remove(scope);
        if scopes.is_empty() {
            self.transports.remove(transport);
        }
        removed
    }
}

impl PolicyRequirement {
    /// Parses one requirement object with the same strict rules and messages as inside a policy.json
    /// (errors are [`Error::InvalidPolicyFormat`]).
    ///
    /// ```
    /// use containers_policy::PolicyRequirement;
    /// let req = PolicyRequirement::from_json_slice(br#"{"type":"reject"}"#)?;
    /// assert_eq!(req, PolicyRequirement::Reject);
    /// assert_eq!(req.to_json(), "{\n    \"type\": \"reject\"\n}");
    /// assert_eq!(
    ///     PolicyRequirement::from_json_slice(br#"{"type":"nope"}"#).unwrap_err().to_string(),
    ///     r#"Unknown policy requirement type "nope""#
    /// );
    /// # Ok::<(), containers_policy::Error>(())
    /// ```
    pub fn from_json_slice(data: &[u8]) -> Result<Self, Error> {
        let doc = Document::parse(data).map_err(Error::InvalidPolicyFormat)?;
        parse_requirement(doc.root()).map_err(Error::InvalidPolicyFormat)
    }

    /// The requirement as JSON, formatted as in [`Policy::to_json`] (four-space indent, no final newline).
    pub fn to_json(&self) -> String {
        let mut w = Writer::new("    ");
        write_requirement(&mut w, self);
        w.finish()
    }

    /// The requirement's `type`, e.g. `signedBy`.
    pub fn type_name(&self) -> &'static str {
        match self {
            PolicyRequirement::InsecureAcceptAnything => "insecureAcceptAnything",
            PolicyRequirement::Reject => "reject",
            PolicyRequirement::SignedBy(_) => "signedBy",
            PolicyRequirement::SignedBaseLayer { .. } => "signedBaseLayer",
            PolicyRequirement::SigstoreSigned(_) => "sigstoreSigned",
        }
    }

    /// `insecureAcceptAnything`.
    pub fn insecure_accept_anything() -> Self {
        PolicyRequirement::InsecureAcceptAnything
    }

    /// `reject`.
    pub fn reject() -> Self {
        PolicyRequirement::Reject
    }

    /// `signedBy` with `keyType: GPGKeys` and a `keyPath` (`NewPRSignedByKeyPath`). An empty path fails with
    /// `exactly one of keyPath, keyPaths and keyData must be specified`.
    ///
    /// ```
    /// use containers_policy::{PolicyRequirement, SignedIdentity};
    /// let req = PolicyRequirement::signed_by_key_path("/etc/pki/containers/key.gpg", SignedIdentity::default())?;
    /// assert!(matches!(req, PolicyRequirement::SignedBy(_)));
    /// assert!(PolicyRequirement::signed_by_key_path("", SignedIdentity::default()).is_err());
    /// # Ok::<(), containers_policy::Error>(())
    /// ```
    pub fn signed_by_key_path(
        path: impl Into<String>,
        signed_identity: SignedIdentity,
    ) -> Result<Self, Error> {
        let path = path.into();
        if path.is_empty() {
            return Err(Error::InvalidPolicyFormat(
                "exactly one of keyPath, keyPaths and keyData must be specified".to_owned(),
            ));
        }
        Ok(Self::signed_by(
            KeyType::GpgKeys,
            GpgKeySource::Path(path),
            signed_identity,
        ))
    }

    /// `signedBy` with `keyType: GPGKeys` and `keyPaths` (`NewPRSignedByKeyPaths`).
    pub fn signed_by_key_paths(paths: Vec<String>, signed_identity: SignedIdentity) -> Self {
        Self::signed_by(
            KeyType::GpgKeys,
            GpgKeySource::Paths(paths),
            signed_identity,
        )
    }

    /// `signedBy` with `keyType: GPGKeys` and `keyData` (the keyring bytes; `NewPRSignedByKeyData`).
    pub fn signed_by_key_data(data: impl Into<Vec<u8>>, signed_identity: SignedIdentity) -> Self {
        Self::signed_by(
            KeyType::GpgKeys,
            GpgKeySource::Data(data.into()),
            signed_identity,
        )
    }

    /// `signedBy` with any key type and key source.
    pub fn signed_by(
        key_type: KeyType,
        keys: GpgKeySource,
        signed_identity: SignedIdentity,
    ) -> Self {
        PolicyRequirement::SignedBy(SignedBy {
            key_type,
            keys,
            signed_identity,
        })
    }

    /// `signedBaseLayer` (parses, but containers/image never accepts an image with it).
    pub fn signed_base_layer(base_layer_identity: SignedIdentity) -> Self {
        PolicyRequirement::SignedBaseLayer {
            base_layer_identity,
        }
    }

    /// `sigstoreSigned` with a `keyPath` (`NewPRSigstoreSignedKeyPath`).
    pub fn sigstore_signed_key_path(
        path: impl Into<String>,
        signed_identity: SignedIdentity,
    ) -> Result<Self, Error> {
        let s = SigstoreSigned {
            key_path: Some(path.into()),
            signed_identity,
            ..SigstoreSigned::default()
        };
        Self::sigstore_signed(s)
    }

    /// `sigstoreSigned` with `keyData` (PEM bytes; `NewPRSigstoreSignedKeyData`).
    pub fn sigstore_signed_key_data(
        data: impl Into<Vec<u8>>,
        signed_identity: SignedIdentity,
    ) -> Self {
        let s = SigstoreSigned {
            key_data: Some(data.into()),
            signed_identity,
            ..SigstoreSigned::default()
        };
        PolicyRequirement::SigstoreSigned(Box::new(s))
    }

    /// `sigstoreSigned` from fields set by the caller, validated with `NewPRSigstoreSigned`'s rules and
    /// messages (exactly one key source, Rekor rules, `fulcio` / `pki` contents).
    ///
    /// ```
    /// use containers_policy::{PolicyRequirement, SignedIdentity, config::{Fulcio, SigstoreSigned}};
    /// let mut fulcio = Fulcio::default();
    /// fulcio.ca_path = Some("/etc/fulcio.pem".into());
    /// fulcio.oidc_issuer = "https://github.com/login/oauth".into();
    /// fulcio.subject_email = "user@example.com".into();
    /// let mut s = SigstoreSigned::default();
    /// s.fulcio = Some(fulcio);
    /// let err = PolicyRequirement::sigstore_signed(s.clone()).unwrap_err();
    /// assert_eq!(
    ///     err.to_string(),
    ///     "At least one of rekorPublickeyPath, rekorPublicKeyPaths, rekorPublickeyData and rekorPublicKeyDatas must be specified if fulcio is used"
    /// );
    /// s.rekor_public_key_path = Some("/etc/rekor.pub".into());
    /// s.signed_identity = SignedIdentity::MatchRepository;
    /// assert!(PolicyRequirement::sigstore_signed(s).is_ok());
    /// ```
    pub fn sigstore_signed(s: SigstoreSigned) -> Result<Self, Error> {
        let check = || -> DResult<()> {
            if let Some(f) = &s.fulcio {
                validate_fulcio(f)?;
            }
            if let Some(p) = &s.pki {
                validate_pki(p)?;
            }
            validate_sigstore(&s)
        };
        check().map_err(Error::InvalidPolicyFormat)?;
        Ok(PolicyRequirement::SigstoreSigned(Box::new(s)))
    }
}

// ---------------------------------------------------------------------------------------------------------
// Parsing

fn known(r: DResult<()>) -> DResult<Field> {
    r.map(|()| Field::Known)
}

fn parse_policy(data: &[u8]) -> DResult<Policy> {
    let doc = Document::parse(data)?;
    let mut default = None;
    let mut transports = BTreeMap::new();
    paranoid_object(doc.root(), |key, v| match key {
        "default" => known(parse_requirements(v).map(|r| default = Some(r))),
        "transports" => known(parse_transports(v).map(|t| transports = t)),
        _ => Ok(Field::Unknown),
    })?;
    let default = default.ok_or_else(|| "Default policy is missing".to_owned())?;
    Ok(Policy {
        default,
        transports,
    })
}

type Scopes = BTreeMap<String, Vec<PolicyRequirement>>;

// The maps below are collected in document order and built at the end: `paranoid_object` has refused
// duplicate keys, and `BTreeMap::from_iter` sorts (linear time for the usual already-sorted keys) and builds
// the tree in bulk, cheaper than one search-and-insert per scope.

fn parse_transports(v: Value<'_>) -> DResult<BTreeMap<String, Scopes>> {
    let mut out = Vec::new();
    paranoid_object(v, |transport, tv| {
        let scopes = parse_scopes(transport, tv)?;
        out.push((transport.to_owned(), scopes));
        Ok(Field::Known)
    })?;
    Ok(out.into_iter().collect())
}

fn parse_scopes(transport: &str, v: Value<'_>) -> DResult<Scopes> {
    let mut out = Vec::new();
    paranoid_object(v, |scope, sv| {
        // A scope the transport refuses is reported as an unknown key (the transport's message is dropped).
        if !scope.is_empty() && validate_scope(transport, scope).is_err() {
            return Ok(Field::Unknown);
        }
        out.push((scope.to_owned(), parse_requirements(sv)?));
        Ok(Field::Known)
    })?;
    Ok(out.into_iter().collect())
}

/// `PolicyRequirements.UnmarshalJSON`: first into `[]json.RawMessage`, then each element.
fn parse_requirements(v: Value<'_>) -> DResult<Vec<PolicyRequirement>> {
    match v.kind() {
        crate::json::Kind::Array | crate::json::Kind::Null => {}
        k => {
            return Err(format!(
                "json: cannot unmarshal {} into Go value of type []json.RawMessage",
                k.go_name()
            ));
        }
    }
    let count = v.elements().count();
    if count == 0 {
        return Err(EMPTY_REQUIREMENTS.to_owned());
    }
    let mut out = Vec::with_capacity(count);
    for e in v.elements() {
        out.push(parse_requirement(e)?);
    }
    Ok(out)
}

fn unexpected_type(t: &str) -> String {
    format!("Unexpected policy requirement type {}", go_quote(t))
}

/// Decodes a `type` member strictly (into the named Go string type); `null` leaves it unchanged. The text is
/// borrowed from the document: it is only compared with the expected type.
fn type_field<'d>(v: Value<'d>, go_type: &str, out: &mut Cow<'d, str>) -> DResult<()> {
    if let Some(t) = str_value(v, go_type)? {
        *out = t;
    }
    Ok(())
}

fn string_field(v: Value<'_>, out: &mut String) -> DResult<()> {
    if let Some(s) = string_value(v, "string")? {
        *out = s;
    }
    Ok(())
}

/// An object whose only member is `type`, which must equal `want`.
fn parse_type_only(v: Value<'_>, want: &str, go_type: &str) -> DResult<()> {
    let mut t = Cow::Borrowed("");
    exact_fields(v, &["type"], |_, fv| type_field(fv, go_type, &mut t))?;
    if t != want {
        return Err(unexpected_type(&t));
    }
    Ok(())
}

fn parse_requirement(v: Value<'_>) -> DResult<PolicyRequirement> {
    let ty = lenient_type(v, "prCommon", PR_TYPE)?;
    match &*ty {
        "insecureAcceptAnything" => {
            parse_type_only(v, "insecureAcceptAnything", PR_TYPE)?;
            Ok(PolicyRequirement::InsecureAcceptAnything)
        }
        "reject" => {
            parse_type_only(v, "reject", PR_TYPE)?;
            Ok(PolicyRequirement::Reject)
        }
        "signedBy" => parse_signed_by(v),
        "signedBaseLayer" => parse_signed_base_layer(v),
        "sigstoreSigned" => parse_sigstore_signed(v),
        _ => Err(format!("Unknown policy requirement type {}", go_quote(&ty))),
    }
}

fn parse_signed_by(v: Value<'_>) -> DResult<PolicyRequirement> {
    let mut t = Cow::Borrowed("");
    let mut key_type: Option<KeyType> = None;
    let (mut got_path, mut got_paths, mut got_data) = (false, false, false);
    let mut key_path = String::new();
    let mut key_paths: Option<Vec<String>> = None;
    let mut key_data: Option<Vec<u8>> = None;
    let mut signed_identity: Option<Value<'_>> = None;
    paranoid_object(v, |key, fv| {
        match key {
            "type" => type_field(fv, PR_TYPE, &mut t)?,
            "keyType" => {
                // sbKeyType.UnmarshalJSON: a string (null → ""), which must be one of the four names.
                let s = str_value(fv, "string")?.unwrap_or_default();
                key_type = Some(
                    KeyType::from_name(&s)
                        .ok_or_else(|| format!("Unrecognized keyType value {}", go_quote(&s)))?,
                );
            }
            "keyPath" => {
                got_path = true;
                string_field(fv, &mut key_path)?;
            }
            "keyPaths" => {
                got_paths = true;
                key_paths = string_list(fv)?;
            }
            "keyData" => {
                got_data = true;
                key_data = bytes_value(fv)?;
            }
            "signedIdentity" => signed_identity = Some(fv),
            _ => return Ok(Field::Unknown),
        }
        Ok(Field::Known)
    })?;
    if t != "signedBy" {
        return Err(unexpected_type(&t));
    }
    let signed_identity = match signed_identity {
        None => SignedIdentity::MatchRepoDigestOrExact,
        Some(si) => parse_signed_identity(si)?,
    };
    match (got_path, got_paths, got_data) {
        (false, false, false) => {
            return Err(
                "Exactly one of keyPath, keyPaths and keyData must be specified, none of them present".to_owned()
            );
        }
        (true, false, false) | (false, true, false) | (false, false, true) => {}
        _ => {
            return Err(
                "Exactly one of keyPath, keyPaths and keyData must be specified, more than one present".to_owned()
            );
        }
    }
    let Some(key_type) = key_type else {
        return Err(format!("invalid keyType {}", go_quote("")));
    };
    let keys = match (key_path.is_empty(), key_paths, key_data) {
        (false, None, None) => GpgKeySource::Path(key_path),
        (true, Some(paths), None) => GpgKeySource::Paths(paths),
        (true, None, Some(data)) => GpgKeySource::Data(data),
        _ => {
            return Err(
                "exactly one of keyPath, keyPaths and keyData must be specified".to_owned(),
            );
        }
    };
    Ok(PolicyRequirement::SignedBy(SignedBy {
        key_type,
        keys,
        signed_identity,
    }))
}

fn parse_signed_base_layer(v: Value<'_>) -> DResult<PolicyRequirement> {
    let mut t = Cow::Borrowed("");
    let mut identity: Option<Value<'_>> = None;
    exact_fields(v, &["type", "baseLayerIdentity"], |key, fv| {
        if key == "type" {
            type_field(fv, PR_TYPE, &mut t)
        } else {
            identity = Some(fv);
            Ok(())
        }
    })?;
    if t != "signedBaseLayer" {
        return Err(unexpected_type(&t));
    }
    let Some(identity) = identity else {
        return Err("baseLayerIdentity not specified".to_owned());
    };
    Ok(PolicyRequirement::SignedBaseLayer {
        base_layer_identity: parse_signed_identity(identity)?,
    })
}

fn non_empty_path(s: String) -> Option<String> {
    if s.is_empty() { None } else { Some(s) }
}

fn parse_sigstore_signed(v: Value<'_>) -> DResult<PolicyRequirement> {
    let mut t = Cow::Borrowed("");
    let mut s = SigstoreSigned::default();
    // Presence of the list keys matters even when their value is null ("… contains no entries").
    let (mut got_paths, mut got_datas, mut got_rekor_paths, mut got_rekor_datas) =
        (false, false, false, false);
    let mut signed_identity: Option<Value<'_>> = None;
    paranoid_object(v, |key, fv| {
        match key {
            "type" => type_field(fv, PR_TYPE, &mut t)?,
            "keyPath" => {
                let mut p = String::new();
                string_field(fv, &mut p)?;
                s.key_path = non_empty_path(p);
            }
            "keyPaths" => {
                got_paths = true;
                s.key_paths = string_list(fv)?;
            }
            "keyData" => s.key_data = bytes_value(fv)?,
            "keyDatas" => {
                got_datas = true;
                s.key_datas = bytes_list(fv)?;
            }
            "fulcio" => s.fulcio = Some(parse_fulcio(fv)?),
            "rekorPublicKeyPath" => {
                let mut p = String::new();
                string_field(fv, &mut p)?;
                s.rekor_public_key_path = non_empty_path(p);
            }
            "rekorPublicKeyPaths" => {
                got_rekor_paths = true;
                s.rekor_public_key_paths = string_list(fv)?;
            }
            "rekorPublicKeyData" => s.rekor_public_key_data = bytes_value(fv)?,
            "rekorPublicKeyDatas" => {
                got_rekor_datas = true;
                s.rekor_public_key_datas = bytes_list(fv)?;
            }
            "pki" => s.pki = Some(parse_pki(fv)?),
            "signedIdentity" => signed_identity = Some(fv),
            _ => return Ok(Field::Unknown),
        }
        Ok(Field::Known)
    })?;
    if t != "sigstoreSigned" {
        return Err(unexpected_type(&t));
    }
    s.signed_identity = match signed_identity {
        None => SignedIdentity::MatchRepoDigestOrExact,
        Some(si) => parse_signed_identity(si)?,
    };
    // A present-but-null list is "no entries" (Go passes the nil slice to the option, which refuses it).
    let fill = |got: bool, list: &mut Option<Vec<_>>| {
        if got && list.is_none() {
            *list = Some(Vec::new());
        }
    };
    fill(got_paths, &mut s.key_paths);
    fill(got_rekor_paths, &mut s.rekor_public_key_paths);
    if got_datas && s.key_datas.is_none() {
        s.key_datas = Some(Vec::new());
    }
    if got_rekor_datas && s.rekor_public_key_datas.is_none() {
        s.rekor_public_key_datas = Some(Vec::new());
    }
    validate_sigstore(&s)?;
    Ok(PolicyRequirement::SigstoreSigned(Box::new(s)))
}

/// `newPRSigstoreSigned`'s checks, in its order (the "no entries" checks come from the options, applied in
/// the order keyPaths, keyDatas, rekorPublicKeyPaths, rekorPublicKeyDatas).
fn validate_sigstore(s: &SigstoreSigned) -> DResult<()> {
    if s.key_paths.as_ref().is_some_and(Vec::is_empty) {
        return Err("\"keyPaths\" contains no entries".to_owned());
    }
    if s.key_datas.as_ref().is_some_and(Vec::is_empty) {
        return Err("\"keyDatas\" contains no entries".to_owned());
    }
    if s.rekor_public_key_paths.as_ref().is_some_and(Vec::is_empty) {
        return Err("\"rekorPublickeyPaths\" contains no entries".to_owned());
    }
    if s.rekor_public_key_datas.as_ref().is_some_and(Vec::is_empty) {
        return Err("\"rekorPublickeyDatas\" contains no entries".to_owned());
    }
    let key_sources = [
        s.key_path.as_ref().is_some_and(|p| !p.is_empty()),
        s.key_paths.is_some(),
        s.key_data.is_some(),
        s.key_datas.is_some(),
        s.fulcio.is_some(),
        s.pki.is_some(),
    ]
    .into_iter()
    .filter(|b| *b)
    .count();
    if key_sources != 1 {
        return Err("exactly one of keyPath, keyPaths, keyData, keyDatas, fulcio, and pki must be specified".to_owned());
    }
    let rekor_sources = [
        s.rekor_public_key_path
            .as_ref()
            .is_some_and(|p| !p.is_empty()),
        s.rekor_public_key_paths.is_some(),
        s.rekor_public_key_data.is_some(),
        s.rekor_public_key_datas.is_some(),
    ]
    .into_iter()
    .filter(|b| *b)
    .count();
    if rekor_sources > 1 {
        return Err("at most one of rekorPublickeyPath, rekorPublicKeyPaths, rekorPublickeyData and rekorPublicKeyDatas can be used simultaneously".to_owned());
    }
    if s.fulcio.is_some() && rekor_sources == 0 {
        return Err("At least one of rekorPublickeyPath, rekorPublicKeyPaths, rekorPublickeyData and rekorPublicKeyDatas must be specified if fulcio is used".to_owned());
    }
    if s.pki.is_some() && rekor_sources > 0 {
        return Err("rekorPublickeyPath, rekorPublicKeyPaths, rekorPublickeyData and rekorPublicKeyDatas are not supported for pki".to_owned());
    }
    Ok(())
}

fn parse_fulcio(v: Value<'_>) -> DResult<Fulcio> {
    let mut f = Fulcio::default();
    paranoid_object(v, |key, fv| {
        match key {
            "caPath" => {
                let mut p = String::new();
                string_field(fv, &mut p)?;
                f.ca_path = non_empty_path(p);
            }
            "caData" => f.ca_data = bytes_value(fv)?,
            "oidcIssuer" => string_field(fv, &mut f.oidc_issuer)?,
            "subjectEmail" => string_field(fv, &mut f.subject_email)?,
            _ => return Ok(Field::Unknown),
        }
        Ok(Field::Known)
    })?;
    validate_fulcio(&f)?;
    Ok(f)
}

fn validate_fulcio(f: &Fulcio) -> DResult<()> {
    let has_path = f.ca_path.as_ref().is_some_and(|p| !p.is_empty());
    if has_path && f.ca_data.is_some() {
        return Err("caPath and caData cannot be used simultaneously".to_owned());
    }
    if !has_path && f.ca_data.is_none() {
        return Err("At least one of caPath and caData must be specified".to_owned());
    }
    if f.oidc_issuer.is_empty() {
        return Err("oidcIssuer not specified".to_owned());
    }
    if f.subject_email.is_empty() {
        return Err("subjectEmail not specified".to_owned());
    }
    Ok(())
}

fn parse_pki(v: Value<'_>) -> DResult<Pki> {
    let mut p = Pki::default();
    let opt_string = |fv: Value<'_>, out: &mut Option<String>| -> DResult<()> {
        let mut s = String::new();
        string_field(fv, &mut s)?;
        *out = non_empty_path(s);
        Ok(())
    };
    paranoid_object(v, |key, fv| {
        match key {
            "caRootsPath" => opt_string(fv, &mut p.ca_roots_path)?,
            "caRootsData" => p.ca_roots_data = bytes_value(fv)?,
            "caIntermediatesPath" => opt_string(fv, &mut p.ca_intermediates_path)?,
            "caIntermediatesData" => p.ca_intermediates_data = bytes_value(fv)?,
            "subjectEmail" => opt_string(fv, &mut p.subject_email)?,
            "subjectHostname" => opt_string(fv, &mut p.subject_hostname)?,
            _ => return Ok(Field::Unknown),
        }
        Ok(Field::Known)
    })?;
    validate_pki(&p)?;
    Ok(p)
}

fn validate_pki(p: &Pki) -> DResult<()> {
    let set = |s: &Option<String>| s.as_ref().is_some_and(|s| !s.is_empty());
    if set(&p.ca_roots_path) && p.ca_roots_data.is_some() {
        return Err("caRootsPath and caRootsData cannot be used simultaneously".to_owned());
    }
    if !set(&p.ca_roots_path) && p.ca_roots_data.is_none() {
        return Err("At least one of caRootsPath and caRootsData must be specified".to_owned());
    }
    if set(&p.ca_intermediates_path) && p.ca_intermediates_data.is_some() {
        return Err(
            "caIntermediatesPath and caIntermediatesData cannot be used simultaneously".to_owned(),
        );
    }
    if !set(&p.subject_email) && !set(&p.subject_hostname) {
        return Err("At least one of subjectEmail, subjectHostname must be specified".to_owned());
    }
    Ok(())
}

/// `newPolicyReferenceMatchFromJSON`.
fn parse_signed_identity(v: Value<'_>) -> DResult<SignedIdentity> {
    let ty = lenient_type(v, "prmCommon", PRM_TYPE)?;
    let simple = match &*ty {
        "matchExact" => Some(SignedIdentity::MatchExact),
        "matchRepoDigestOrExact" => Some(SignedIdentity::MatchRepoDigestOrExact),
        "matchRepository" => Some(SignedIdentity::MatchRepository),
        _ => None,
    };
    if let Some(identity) = simple {
        parse_type_only(v, &ty, PRM_TYPE)?;
        return Ok(identity);
    }
    let mut t = Cow::Borrowed("");
    match &*ty {
        "exactReference" => {
            let mut reference = String::new();
            exact_fields(v, &["type", "dockerReference"], |key, fv| match key {
                "type" => type_field(fv, PRM_TYPE, &mut t),
                _ => string_field(fv, &mut reference),
            })?;
            if t != "exactReference" {
                return Err(unexpected_type(&t));
            }
            SignedIdentity::exact_reference(&reference).map_err(|e| e.to_string())
        }
        "exactRepository" => {
            let mut repository = String::new();
            exact_fields(v, &["type", "dockerRepository"], |key, fv| match key {
                "type" => type_field(fv, PRM_TYPE, &mut t),
                _ => string_field(fv, &mut repository),
            })?;
            if t != "exactRepository" {
                return Err(unexpected_type(&t));
            }
            SignedIdentity::exact_repository(&repository).map_err(|e| e.to_string())
        }
        "remapIdentity" => {
            let (mut prefix, mut signed_prefix) = (String::new(), String::new());
            exact_fields(
                v,
                &["type", "prefix", "signedPrefix"],
                |key, fv| match key {
                    "type" => type_field(fv, PRM_TYPE, &mut t),
                    "prefix" => string_field(fv, &mut prefix),
                    _ => string_field(fv, &mut signed_prefix),
                },
            )?;
            if t != "remapIdentity" {
                return Err(unexpected_type(&t));
            }
            SignedIdentity::remap_identity(&prefix, &signed_prefix).map_err(|e| e.to_string())
        }
        _ => Err(format!(
            "Unknown policy reference match type {}",
            go_quote(&ty)
        )),
    }
}

// ---------------------------------------------------------------------------------------------------------
// Serialization

fn write_requirements(w: &mut Writer, reqs: &[PolicyRequirement]) {
    w.begin_array();
    for r in reqs {
        write_requirement(w, r);
    }
    w.end_array();
}

fn write_requirement(w: &mut Writer, r: &PolicyRequirement) {
    w.begin_object();
    match r {
        PolicyRequirement::InsecureAcceptAnything => {
            w.string_member("type", "insecureAcceptAnything")
        }
        PolicyRequirement::Reject => w.string_member("type", "reject"),
        PolicyRequirement::SignedBy(sb) => {
            w.string_member("type", "signedBy");
            w.string_member("keyType", sb.key_type.as_str());
            match &sb.keys {
                GpgKeySource::Path(p) => w.string_member("keyPath", p),
                GpgKeySource::Paths(ps) => w.string_list_member("keyPaths", ps),
                GpgKeySource::Data(d) => w.string_member("keyData", &base64_std(d)),
            }
            w.key("signedIdentity");
            write_identity(w, &sb.signed_identity);
        }
        PolicyRequirement::SignedBaseLayer {
            base_layer_identity,
        } => {
            w.string_member("type", "signedBaseLayer");
            w.key("baseLayerIdentity");
            write_identity(w, base_layer_identity);
        }
        PolicyRequirement::SigstoreSigned(s) => write_sigstore(w, s),
    }
    w.end_object();
}

fn write_bytes_list(w: &mut Writer, key: &str, items: &[Vec<u8>]) {
    let encoded: Vec<String> = items.iter().map(|d| base64_std(d)).collect();
    w.string_list_member(key, &encoded);
}

fn write_sigstore(w: &mut Writer, s: &SigstoreSigned) {
    w.string_member("type", "sigstoreSigned");
    if let Some(p) = &s.key_path {
        w.string_member("keyPath", p);
    }
    if let Some(ps) = &s.key_paths {
        w.string_list_member("keyPaths", ps);
    }
    if let Some(d) = &s.key_data {
        w.string_member("keyData", &base64_std(d));
    }
    if let Some(ds) = &s.key_datas {
        write_bytes_list(w, "keyDatas", ds);
    }
    if let Some(f) = &s.fulcio {
        w.key("fulcio");
        w.begin_object();
        if let Some(p) = &f.ca_path {
            w.string_member("caPath", p);
        }
        if let Some(d) = &f.ca_data {
            w.string_member("caData", &base64_std(d));
        }
        w.string_member("oidcIssuer", &f.oidc_issuer);
        w.string_member("subjectEmail", &f.subject_email);
        w.end_object();
    }
    if let Some(p) = &s.rekor_public_key_path {
        w.string_member("rekorPublicKeyPath", p);
    }
    if let Some(ps) = &s.rekor_public_key_paths {
        w.string_list_member("rekorPublicKeyPaths", ps);
    }
    if let Some(d) = &s.rekor_public_key_data {
        w.string_member("rekorPublicKeyData", &base64_std(d));
    }
    if let Some(ds) = &s.rekor_public_key_datas {
        write_bytes_list(w, "rekorPublicKeyDatas", ds);
    }
    if let Some(p) = &s.pki {
        w.key("pki");
        w.begin_object();
        let fields = [
            ("caRootsPath", &p.ca_roots_path),
            ("caIntermediatesPath", &p.ca_intermediates_path),
            ("subjectEmail", &p.subject_email),
            ("subjectHostname", &p.subject_hostname),
        ];
        for (i, (name, value)) in fields.iter().enumerate() {
            if let Some(v) = value {
                w.string_member(name, v);
            }
            // Keep Go's field order: caRootsPath, caRootsData, caIntermediatesPath, caIntermediatesData, ….
            let data = match i {
                0 => &p.ca_roots_data,
                1 => &p.ca_intermediates_data,
                _ => &None,
            };
            if let Some(d) = data {
                w.string_member(
                    if i == 0 {
                        "caRootsData"
                    } else {
                        "caIntermediatesData"
                    },
                    &base64_std(d),
                );
            }
        }
        w.end_object();
    }
    w.key("signedIdentity");
    write_identity(w, &s.signed_identity);
}

fn write_identity(w: &mut Writer, identity: &SignedIdentity) {
    w.begin_object();
    w.string_member("type", identity.type_name());
    match identity {
        SignedIdentity::ExactReference { docker_reference } => {
            w.string_member("dockerReference", docker_reference)
        }
        SignedIdentity::ExactRepository { docker_repository } => {
            w.string_member("dockerRepository", docker_repository);
        }
        SignedIdentity::RemapIdentity {
            prefix,
            signed_prefix,
        } => {
            w.string_member("prefix", prefix);
            w.string_member("signedPrefix", signed_prefix);
        }
        _ => {}
    }
    w.end_object();
}
