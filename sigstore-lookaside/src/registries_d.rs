//! `registries.d`: which lookaside store serves which docker scope (`docker/registries_d.go`).
//! OWNER: helper A (store).

use std::{collections::BTreeMap, path::Path};

use containers_policy::DockerReference;

use crate::{Environment, LookasideUrl, Result};

/// One `default-docker` or `docker: <scope>` section.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Section {
    /// `lookaside`.
    pub lookaside: Option<String>,
    /// `lookaside-staging`.
    pub lookaside_staging: Option<String>,
    /// `sigstore` (deprecated alias of `lookaside`).
    pub sigstore: Option<String>,
    /// `sigstore-staging` (deprecated alias of `lookaside-staging`).
    pub sigstore_staging: Option<String>,
    /// `use-sigstore-attachments`.
    pub use_sigstore_attachments: Option<bool>,
}

/// A loaded and merged registries.d directory.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct RegistriesD {
    /// `default-docker`, if any file defines it.
    pub default_docker: Option<Section>,
    /// `docker:` sections by scope.
    pub docker: BTreeMap<String, Section>,
}

impl RegistriesD {
    /// Loads every `*.yaml` file of `dir` (a missing directory is an empty configuration).
    pub fn load_dir(dir: &Path) -> Result<Self> {
        let _ = dir;
        todo!()
    }

    /// Loads the default directory for `env` (`$HOME/.config/containers/registries.d` if it exists, else
    /// `/etc/containers/registries.d`).
    pub fn load_default(env: &Environment) -> Result<Self> {
        let _ = env;
        todo!()
    }

    /// The lookaside base URL for `reference`, with its repository path appended
    /// (containers/image `SignatureStorageBaseURL`); `write` selects the staging location.
    pub fn storage_base_url(
        &self,
        reference: &DockerReference,
        write: bool,
        env: &Environment,
    ) -> Result<LookasideUrl> {
        let _ = (reference, write, env);
        todo!()
    }

    /// Whether sigstore attachments are used for `reference`.
    pub fn use_sigstore_attachments(&self, reference: &DockerReference) -> bool {
        let _ = reference;
        todo!()
    }
}
