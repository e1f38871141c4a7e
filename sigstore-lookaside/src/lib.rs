//! Lookaside signature storage, compatible with containers/image: `registries.d` configuration, the
//! `<base>/<repo>@<algo>=<hex>/signature-<N>` layout, reading signatures from `file://` and `http(s)://`
//! stores, writing a `file://` staging store atomically, a signature server with upload APIs, upload
//! clients, and a registry client that fetches manifests so that images can be evaluated by reference.
//!
//! All network I/O of the project lives here; the policy decision itself is `containers-policy`'s.

pub mod auth;
pub mod configfile;
pub mod env;
pub mod error;
pub mod fetch;
pub mod http;
pub mod layout;
pub mod registries_d;
pub mod registry;
pub mod remote;
pub mod server;
pub mod store;
pub mod upload;

pub use env::Environment;
pub use error::{Error, ErrorKind, Result};
pub use http::HttpOptions;
pub use layout::{LookasideUrl, SignatureLocation};
pub use registries_d::{RegistriesD, Section};
