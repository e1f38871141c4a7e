//! containers/image-compatible container signature policy: policy.json, docker references, scope
//! matching, identity rules, simple-signing payloads, OpenPGP signing and verification, and
//! [`PolicyContext`] evaluation. No network I/O.

#![warn(missing_docs, clippy::exhaustive_enums, clippy::exhaustive_structs)]

pub mod config;
mod digest;
pub mod error;
pub mod eval;
pub mod identity;
mod image;
#[allow(dead_code)]
mod json;
pub mod lint;
pub mod manifest;
pub mod openpgp;
pub mod payload;
pub mod reference;
pub mod signature;
pub mod simple;
pub mod transports;

pub use config::{Policy, PolicyRequirement};
pub use digest::{Digest, DigestError};
pub use error::{Error, ErrorKind, Rejection};
pub use eval::{
    AcceptedSignature, Decision, MatchedScope, Options, PolicyContext, SignatureVerdict,
};
pub use identity::SignedIdentity;
pub use image::UnparsedImage;
pub use reference::DockerReference;
pub use transports::ImageReference;
