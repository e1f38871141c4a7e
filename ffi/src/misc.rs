//! Version, strings and buffers, manifest digests and signing.

use std::{
    ffi::{CString, c_char},
    time::SystemTime,
};

use core_policy::{manifest, openpgp::SigningKey, simple};

use crate::{
    CONTAINERS_POLICY_ABI_VERSION, containers_policy_error,
    error::{guard, guard_value},
    ptr::{bytes_arg, opt_str_arg, out_arg, str_arg, write_out},
};

/// The library version, e.g. `"0.1.0"`. Static; never free it.
#[unsafe(no_mangle)]
pub extern "C" fn containers_policy_version() -> *const c_char {
    const VERSION: &std::ffi::CStr = match std::ffi::CStr::from_bytes_with_nul(
        concat!(env!("CARGO_PKG_VERSION"), "\0").as_bytes(),
    ) {
        Ok(v) => v,
        Err(_) => c"unknown",
    };
    VERSION.as_ptr()
}

/// The ABI version the library was built with (compare with `CONTAINERS_POLICY_ABI_VERSION`).
#[unsafe(no_mangle)]
pub extern "C" fn containers_policy_abi_version() -> u32 {
    CONTAINERS_POLICY_ABI_VERSION
}

/// Stores a string in a checked `char **` out-parameter.
///
/// # Safety
/// `out` is non-NULL and writable.
pub(crate) unsafe fn write_string(out: *mut *mut c_char, s: String) {
    let s = CString::new(s.replace('\0', "\u{FFFD}")).unwrap_or_default();
    // SAFETY: the caller checked `out`.
    unsafe { *out = s.into_raw() };
}

/// Frees a string returned through a `char **` out-parameter. NULL is a no-op.
///
/// # Safety
/// `s` is NULL or a string from this library, freed at most once.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn containers_policy_string_free(s: *mut c_char) {
    if !s.is_null() {
        // SAFETY: `s` came from `CString::into_raw` in `write_string`.
        drop(unsafe { CString::from_raw(s) });
    }
}

/// Bytes returned by the library (e.g. a signature).
#[derive(Debug)]
pub struct containers_policy_buffer {
    data: Vec<u8>,
}

/// The buffer's bytes, borrowed (valid until it is freed); NULL for NULL.
///
/// # Safety
/// `b` is NULL or a live buffer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn containers_policy_buffer_data(
    b: *const containers_policy_buffer,
) -> *const u8 {
    // SAFETY: the caller's contract.
    guard_value(std::ptr::null(), || {
        unsafe { b.as_ref() }.map_or(std::ptr::null(), |b| b.data.as_ptr())
    })
}

/// The buffer's length (0 for NULL).
///
/// # Safety
/// `b` is NULL or a live buffer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn containers_policy_buffer_len(b: *const containers_policy_buffer) -> usize {
    // SAFETY: the caller's contract.
    guard_value(0, || unsafe { b.as_ref() }.map_or(0, |b| b.data.len()))
}

/// Frees a buffer. NULL is a no-op.
///
/// # Safety
/// `b` is NULL or a buffer from this library, freed at most once.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn containers_policy_buffer_free(b: *mut containers_policy_buffer) {
    // SAFETY: ownership returns from C.
    unsafe { crate::ptr::free(b) }
}

/// The manifest's digest as containers/image computes it (`"sha256:<hex>"`, schema 1 signatures stripped);
/// free the string with [`containers_policy_string_free`].
///
/// # Safety
/// `manifest` points to `len` readable bytes (or NULL with 0); `out` is writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn containers_policy_manifest_digest(
    manifest: *const u8,
    len: usize,
    out: *mut *mut c_char,
) -> *mut containers_policy_error {
    guard(|| {
        // SAFETY: the caller's contract.
        let manifest = unsafe { bytes_arg(manifest, len, "manifest") }?;
        out_arg(out, "out")?;
        let digest = manifest::manifest_digest(manifest)
            .map_err(|e| containers_policy_error::from_core(&e))?;
        // SAFETY: checked above.
        unsafe { write_string(out, digest.as_str().to_owned()) };
        Ok(())
    })
}

/// Signs a manifest for `docker_reference` as `skopeo standalone-sign` does. `secret_key` is OpenPGP secret
/// key material (armored or binary); `key_id` selects a key by fingerprint or key ID (NULL when the
/// material holds exactly one secret key); `passphrase` may be NULL. The signature blob is returned in a
/// buffer.
///
/// # Safety
/// Byte arguments point to their stated lengths (or NULL with 0); strings are NUL-terminated or NULL where
/// allowed; `out` is writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn containers_policy_sign(
    manifest: *const u8,
    manifest_len: usize,
    docker_reference: *const c_char,
    secret_key: *const u8,
    secret_key_len: usize,
    key_id: *const c_char,
    passphrase: *const c_char,
    out: *mut *mut containers_policy_buffer,
) -> *mut containers_policy_error {
    guard(|| {
        // SAFETY: the caller's contract, for each argument.
        let manifest = unsafe { bytes_arg(manifest, manifest_len, "manifest") }?;
        // SAFETY: as above.
        let docker_reference = unsafe { str_arg(docker_reference, "docker_reference") }?;
        // SAFETY: as above.
        let secret_key = unsafe { bytes_arg(secret_key, secret_key_len, "secret_key") }?;
        // SAFETY: as above.
        let key_id = unsafe { opt_str_arg(key_id, "key_id") }?;
        // SAFETY: as above.
        let passphrase = unsafe { opt_str_arg(passphrase, "passphrase") }?;
        out_arg(out, "out")?;
        let key = SigningKey::from_bytes(secret_key, key_id, passphrase)
            .map_err(|e| containers_policy_error::from_core(&e))?;
        let data =
            simple::sign_docker_manifest(manifest, docker_reference, &key, SystemTime::now())
                .map_err(|e| containers_policy_error::from_core(&e))?;
        // SAFETY: checked above.
        unsafe { write_out(out, containers_policy_buffer { data }) };
        Ok(())
    })
}
