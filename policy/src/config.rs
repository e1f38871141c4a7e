//! The policy.json model, its strict parser (containers/image's messages) and its serializer.
//!
//! OWNER: helper "policy-json". The data model is fixed (other modules use it); parsing, serializing and
//! builder methods are to be written.

use std::{collections::BTreeMap, path::Path};

use crate::{Error, identity::SignedIdentity};

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

impl Policy {
    /// `NewPolicyFromBytes`: strict parse; errors are [`Error::InvalidPolicyFormat`] with upstream text.
    pub fn from_slice(_data: &[u8]) -> Result<Policy, Error> {
        todo!("policy-json helper")
    }
    /// `NewPolicyFromFile`: read errors are [`Error::Io`] (`open <path>: …`), parse errors
    /// [`Error::InvalidPolicyFile`] (`invalid policy in "<path>": <msg>`).
    pub fn from_path(_path: impl AsRef<Path>) -> Result<Policy, Error> {
        todo!("policy-json helper")
    }
    /// Serializes to JSON that containers/image (and [`Policy::from_slice`]) accepts.
    pub fn to_json(&self) -> String {
        todo!("policy-json helper")
    }
}
