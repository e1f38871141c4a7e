//! A Registry HTTP API v2 client: ping, authentication, manifests, and the signatures extension.
//! OWNER: helper B (network).
//!
//! Authentication follows containers/image: the `/v2/` ping's first `Basic` or `Bearer` challenge decides;
//! bearer tokens are requested from the challenge's realm for `repository:<path>:pull` (with the basic
//! credentials, if any) and cached per scope; credentials are explicit or come from auth files
//! ([`authfile::auth_file_paths`]). Credential helpers and identity tokens are not supported.

pub mod auth;
pub mod authfile;
mod client;
mod response;

pub use auth::Challenge;
pub use authfile::Credentials;
pub use client::{
    FetchedManifest, MANIFEST_ACCEPT, MAX_MANIFEST_BODY, MAX_SIGNATURE_LIST_BODY, RegistryClient,
    RegistryInfo, RegistryOptions, registry_host,
};
