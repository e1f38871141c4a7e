//! Images evaluated by reference: the manifest from the registry, the signatures from the registry's
//! signatures API extension when it advertises one, else from the lookaside store registries.d names
//! (`docker_image_src.go` `GetSignaturesWithFormat`). OWNER: helper B (network).

use containers_policy::{Digest, ImageReference, UnparsedImage};

use crate::{
    Environment, Error, RegistriesD, Result,
    fetch::{DEFAULT_CONCURRENCY, SignatureReader},
    registry::{RegistryClient, RegistryOptions},
    store::http::HttpStore,
};

/// What a [`RemoteImageSource`] is built from.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct RemoteOptions {
    /// Which lookaside store serves which scope.
    pub registries_d: RegistriesD,
    /// Process facts (the default lookaside store depends on the UID and `$HOME`).
    pub env: Environment,
    /// Registry client settings (its HTTP settings are also used for lookaside reads).
    pub registry: RegistryOptions,
    /// Signature indices read at once from a lookaside store.
    pub concurrency: usize,
}

impl RemoteOptions {
    /// Options with [`DEFAULT_CONCURRENCY`].
    pub fn new(registries_d: RegistriesD, env: Environment, registry: RegistryOptions) -> Self {
        RemoteOptions {
            registries_d,
            env,
            registry,
            concurrency: DEFAULT_CONCURRENCY,
        }
    }

    /// Sets [`RemoteOptions::concurrency`].
    pub fn with_concurrency(mut self, n: usize) -> Self {
        self.concurrency = n;
        self
    }
}

/// An image fetched from a registry, ready for policy evaluation.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct RemoteImage {
    /// The image; a failure to read signatures is kept inside it, for the policy to report where
    /// containers/image reports it.
    pub image: UnparsedImage,
    /// The digest signatures are filed under.
    pub manifest_digest: Digest,
    /// The manifest's media type.
    pub media_type: String,
    /// Where signatures were read: the lookaside base URL (with the repository path), or
    /// `registry extension`.
    pub signature_source: String,
}

/// Fetches images from registries for evaluation. Send + Sync.
#[derive(Debug)]
pub struct RemoteImageSource {
    registry: RegistryClient,
    reader: SignatureReader,
    registries_d: RegistriesD,
    env: Environment,
}

impl RemoteImageSource {
    /// A source with these options.
    pub fn new(options: RemoteOptions) -> Result<Self> {
        let registry = RegistryClient::new(options.registry)?;
        let reader = SignatureReader::from_http_store(HttpStore::from_client(
            registry.http_client().clone(),
        ))
        .with_concurrency(options.concurrency);
        Ok(RemoteImageSource {
            registry,
            reader,
            registries_d: options.registries_d,
            env: options.env,
        })
    }

    /// The registry client.
    pub fn registry(&self) -> &RegistryClient {
        &self.registry
    }

    /// Fetches the manifest of a `docker:` reference (failures are `Err`), then its signatures (failures
    /// are kept in [`RemoteImage::image`]). An invalid lookaside configuration is `Err`, as it fails
    /// image source creation upstream.
    pub fn fetch(&self, reference: &ImageReference) -> Result<RemoteImage> {
        let docker = match reference.docker_reference() {
            Some(r) if reference.transport_name() == "docker" => r,
            _ => {
                return Err(Error::Other(format!(
                    "only docker:// references can be fetched from a registry, not {}:{}",
                    reference.transport_name(),
                    reference.string_within_transport()
                )));
            }
        };
        let manifest = self.registry.fetch_manifest(docker)?;
        let (signatures, source) = if self.registry.supports_signatures(docker)? {
            (
                self.registry.extension_signatures(docker, &manifest.digest),
                "registry extension".to_string(),
            )
        } else {
            let base = self
                .registries_d
                .storage_base_url(docker, false, &self.env)?;
            (
                self.reader.read_signatures(&base, &manifest.digest),
                base.to_string(),
            )
        };
        let image = UnparsedImage::with_results(
            reference.clone(),
            Ok(manifest.bytes),
            signatures.map_err(into_policy_error),
        );
        Ok(RemoteImage {
            image,
            manifest_digest: manifest.digest,
            media_type: manifest.media_type,
            signature_source: source,
        })
    }
}

/// Carries a lookaside error into the policy core with its text (and kind where one matches).
pub fn into_policy_error(e: Error) -> containers_policy::Error {
    match e {
        Error::Policy(e) => e,
        Error::Io(e) => containers_policy::Error::Io(e),
        other => containers_policy::Error::Other(other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_send_sync<T: Send + Sync>() {}

    #[test]
    fn types_are_send_and_sync() {
        assert_send_sync::<RemoteImageSource>();
        assert_send_sync::<RegistryClient>();
        assert_send_sync::<SignatureReader>();
    }
}
