//! registries.d, lookaside URLs, and evaluation of an image fetched from its registry.

use std::ffi::c_char;

use core_policy::{Digest, DockerReference, ImageReference};
use sigstore_lookaside::{
    Environment, HttpOptions, RegistriesD,
    registry::RegistryOptions,
    remote::{RemoteImageSource, RemoteOptions},
};

use crate::{
    containers_policy_context, containers_policy_decision, containers_policy_error,
    decision::Decision,
    error::guard,
    misc::write_string,
    ptr::{obj_arg, opt_str_arg, out_arg, str_arg, write_out},
};

/// A loaded registries.d configuration. Immutable; may be shared between threads.
#[derive(Debug)]
pub struct containers_policy_registries_d {
    config: RegistriesD,
    env: Environment,
}

/// Loads every `*.yaml` of `dir`, or (`dir` NULL) of the directories containers/image v5.42 reads for this
/// process (every `registries.d` under `$XDG_CONFIG_HOME` or `$HOME/.config/containers`, `/etc/containers`
/// and `/usr/share/containers`, with the rootful/rootless drop-in directories, merged; a file name in an
/// earlier directory hides the same name in later ones). A missing directory is an empty configuration.
///
/// # Safety
/// `dir` is NULL or NUL-terminated; `out` is writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn containers_policy_registries_d_load(
    dir: *const c_char,
    out: *mut *mut containers_policy_registries_d,
) -> *mut containers_policy_error {
    guard(|| {
        // SAFETY: the caller's contract.
        let dir = unsafe { opt_str_arg(dir, "dir") }?;
        out_arg(out, "out")?;
        let env = Environment::from_process();
        let config = RegistriesD::load(&env, dir.map(std::path::Path::new))
            .map_err(|e| containers_policy_error::from_lookaside(&e))?;
        // SAFETY: checked above.
        unsafe { write_out(out, containers_policy_registries_d { config, env }) };
        Ok(())
    })
}

/// Frees a registries.d configuration. NULL is a no-op.
///
/// # Safety
/// `r` is NULL or from this library, freed at most once.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn containers_policy_registries_d_free(
    r: *mut containers_policy_registries_d,
) {
    // SAFETY: ownership returns from C.
    unsafe { crate::ptr::free(r) }
}

/// The URL of signature `index` (1-based) of manifest `digest` for `docker_reference` (e.g.
/// `"quay.io/ns/app:1.0"`), in the store registries.d names (`write`: the staging store). Free the string
/// with `containers_policy_string_free`.
///
/// # Safety
/// `r` is live; strings are NUL-terminated; `out` is writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn containers_policy_lookaside_url(
    r: *const containers_policy_registries_d,
    docker_reference: *const c_char,
    digest: *const c_char,
    index: usize,
    write: bool,
    out: *mut *mut c_char,
) -> *mut containers_policy_error {
    guard(|| {
        // SAFETY: the caller's contract, for each argument.
        let r = unsafe { obj_arg(r, "registries_d") }?;
        // SAFETY: as above.
        let reference = unsafe { str_arg(docker_reference, "docker_reference") }?;
        // SAFETY: as above.
        let digest = unsafe { str_arg(digest, "digest") }?;
        out_arg(out, "out")?;
        let reference = DockerReference::parse_normalized(reference).map_err(|e| {
            containers_policy_error::new(
                crate::containers_policy_code::CONTAINERS_POLICY_INVALID_REFERENCE,
                e.to_string(),
            )
        })?;
        let digest = Digest::parse(digest).map_err(|e| {
            containers_policy_error::new(
                crate::containers_policy_code::CONTAINERS_POLICY_LOOKASIDE,
                e.to_string(),
            )
        })?;
        let base = r
            .config
            .storage_base_url(&reference, write, &r.env)
            .map_err(|e| containers_policy_error::from_lookaside(&e))?;
        let url = base
            .signature_url(&digest, index)
            .map_err(|e| containers_policy_error::from_lookaside(&e))?;
        // SAFETY: checked above.
        unsafe { write_string(out, url.to_string()) };
        Ok(())
    })
}

/// Fetches images from registries (manifests over the Registry API v2, signatures through registries.d).
/// Immutable; may be shared between threads.
#[derive(Debug)]
pub struct containers_policy_remote {
    source: RemoteImageSource,
}

/// A remote image source using a copy of `r`. `tls_verify` false also allows plain HTTP (loopback tests);
/// `auth_file` NULL means the containers `auth.json` and docker `config.json` locations.
///
/// # Safety
/// `r` is live; `auth_file` is NULL or NUL-terminated; `out` is writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn containers_policy_remote_new(
    r: *const containers_policy_registries_d,
    tls_verify: bool,
    auth_file: *const c_char,
    out: *mut *mut containers_policy_remote,
) -> *mut containers_policy_error {
    guard(|| {
        // SAFETY: the caller's contract.
        let r = unsafe { obj_arg(r, "registries_d") }?;
        // SAFETY: the caller's contract.
        let auth_file = unsafe { opt_str_arg(auth_file, "auth_file") }?;
        out_arg(out, "out")?;
        let mut registry = RegistryOptions::new(
            HttpOptions::default().with_tls_verify(tls_verify),
            r.env.clone(),
        );
        if let Some(f) = auth_file {
            registry = registry.with_auth_file(f);
        }
        let source = RemoteImageSource::new(RemoteOptions::new(
            r.config.clone(),
            r.env.clone(),
            registry,
        ))
        .map_err(|e| containers_policy_error::from_lookaside(&e))?;
        // SAFETY: checked above.
        unsafe { write_out(out, containers_policy_remote { source }) };
        Ok(())
    })
}

/// Frees a remote source. NULL is a no-op.
///
/// # Safety
/// `remote` is NULL or from this library, freed at most once, with no call using it in flight.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn containers_policy_remote_free(remote: *mut containers_policy_remote) {
    // SAFETY: ownership returns from C.
    unsafe { crate::ptr::free(remote) }
}

/// Evaluates a `docker://` image by reference alone: fetches its manifest, reads its signatures, decides.
/// Fetch failures are errors (`CONTAINERS_POLICY_REGISTRY`, …); a refusal is a decision.
///
/// # Safety
/// `ctx` and `remote` are live; `image_reference` is NUL-terminated; `out` is writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn containers_policy_evaluate_remote(
    ctx: *const containers_policy_context,
    remote: *const containers_policy_remote,
    image_reference: *const c_char,
    out: *mut *mut containers_policy_decision,
) -> *mut containers_policy_error {
    guard(|| {
        // SAFETY: the caller's contract, for each argument.
        let ctx = unsafe { obj_arg(ctx, "ctx") }?;
        // SAFETY: as above.
        let remote = unsafe { obj_arg(remote, "remote") }?;
        // SAFETY: as above.
        let reference = unsafe { str_arg(image_reference, "image_reference") }?;
        out_arg(out, "out")?;
        let reference =
            ImageReference::parse(reference).map_err(|e| containers_policy_error::from_core(&e))?;
        let fetched = remote
            .source
            .fetch(&reference)
            .map_err(|e| containers_policy_error::from_lookaside(&e))?;
        let decision = Decision::new(&ctx.ctx.evaluate(&fetched.image));
        // SAFETY: checked above.
        unsafe { write_out(out, decision) };
        Ok(())
    })
}
