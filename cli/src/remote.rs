//! Fetching an image from a registry for `eval docker://…`: the environment is read here, at the top
//! layer, and handed to the library.

use std::path::Path;

use containers_policy::{ImageReference, UnparsedImage};
use sigstore_lookaside::{
    Environment, HttpOptions, RegistriesD,
    registry::RegistryOptions,
    remote::{RemoteImageSource, RemoteOptions},
};

/// An image fetched from a registry, ready to evaluate.
pub(crate) struct Fetched {
    pub(crate) image: UnparsedImage,
    pub(crate) manifest_digest: String,
    pub(crate) signatures_from: String,
}

pub(crate) fn fetch(
    reference: &ImageReference,
    registries_d: Option<&Path>,
    tls_verify: bool,
    authfile: Option<&Path>,
) -> Result<Fetched, String> {
    let env = Environment::from_process();
    let registries = RegistriesD::load(&env, registries_d).map_err(|e| e.to_string())?;
    let mut registry = RegistryOptions::new(
        HttpOptions::default().with_tls_verify(tls_verify),
        env.clone(),
    );
    if let Some(f) = authfile {
        registry = registry.with_auth_file(f);
    }
    let source = RemoteImageSource::new(RemoteOptions::new(registries, env, registry))
        .map_err(|e| e.to_string())?;
    let remote = source.fetch(reference).map_err(|e| e.to_string())?;
    Ok(Fetched {
        manifest_digest: remote.manifest_digest.to_string(),
        signatures_from: remote.signature_source.clone(),
        image: remote.image,
    })
}
