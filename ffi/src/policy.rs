//! `containers_policy_policy`: a parsed policy.json.

use std::ffi::c_char;

use core_policy::Policy;

use crate::{
    containers_policy_error,
    error::guard,
    misc::write_string,
    ptr::{bytes_arg, obj_arg, out_arg, str_arg, write_out},
};

/// A parsed policy.json. Immutable; may be shared between threads.
#[derive(Debug)]
pub struct containers_policy_policy {
    pub(crate) policy: Policy,
}

/// Reads and parses a policy.json file (strictly, with containers/image's messages).
///
/// # Safety
/// `path` is a NUL-terminated string; `out` points to writable storage for a pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn containers_policy_policy_from_file(
    path: *const c_char,
    out: *mut *mut containers_policy_policy,
) -> *mut containers_policy_error {
    guard(|| {
        // SAFETY: the caller's contract.
        let path = unsafe { str_arg(path, "path") }?;
        out_arg(out, "out")?;
        let policy = Policy::from_path(path).map_err(|e| containers_policy_error::from_core(&e))?;
        // SAFETY: checked above.
        unsafe { write_out(out, containers_policy_policy { policy }) };
        Ok(())
    })
}

/// Parses a policy.json given as bytes.
///
/// # Safety
/// `data` points to `len` readable bytes (or is NULL with `len` 0); `out` is writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn containers_policy_policy_from_bytes(
    data: *const u8,
    len: usize,
    out: *mut *mut containers_policy_policy,
) -> *mut containers_policy_error {
    guard(|| {
        // SAFETY: the caller's contract.
        let data = unsafe { bytes_arg(data, len, "data") }?;
        out_arg(out, "out")?;
        let policy =
            Policy::from_slice(data).map_err(|e| containers_policy_error::from_core(&e))?;
        // SAFETY: checked above.
        unsafe { write_out(out, containers_policy_policy { policy }) };
        Ok(())
    })
}

/// The policy as JSON (a string to free with `containers_policy_string_free`).
///
/// # Safety
/// `policy` is a live policy; `out` is writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn containers_policy_policy_to_json(
    policy: *const containers_policy_policy,
    out: *mut *mut c_char,
) -> *mut containers_policy_error {
    guard(|| {
        // SAFETY: the caller's contract.
        let policy = unsafe { obj_arg(policy, "policy") }?;
        out_arg(out, "out")?;
        let json = policy.policy.to_json();
        // SAFETY: checked above.
        unsafe { write_string(out, json) };
        Ok(())
    })
}

/// Frees a policy. NULL is a no-op.
///
/// # Safety
/// `policy` is NULL or a policy from this library, freed at most once and not in use by another thread.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn containers_policy_policy_free(policy: *mut containers_policy_policy) {
    // SAFETY: ownership returns from C.
    unsafe { crate::ptr::free(policy) }
}
