//! `containers_policy_accepted`: the signatures whose author the policy accepts.

use std::ffi::{CString, c_char};

use core_policy::AcceptedSignature;

use crate::error::guard_value;

#[derive(Debug)]
struct Entry {
    docker_reference: CString,
    manifest_digest: CString,
    signer: CString,
}

/// A list of accepted signatures. Immutable.
#[derive(Debug)]
pub struct containers_policy_accepted {
    entries: Vec<Entry>,
}

fn c_string(s: &str) -> CString {
    CString::new(s.replace('\0', "\u{FFFD}")).unwrap_or_default()
}

impl containers_policy_accepted {
    pub(crate) fn new(list: &[AcceptedSignature]) -> Self {
        containers_policy_accepted {
            entries: list
                .iter()
                .map(|a| Entry {
                    docker_reference: c_string(&a.docker_reference),
                    manifest_digest: c_string(&a.docker_manifest_digest),
                    signer: c_string(&a.signer),
                })
                .collect(),
        }
    }

    fn field(
        a: *const containers_policy_accepted,
        i: usize,
        f: fn(&Entry) -> &CString,
    ) -> *const c_char {
        guard_value(std::ptr::null(), || {
            // SAFETY: the public functions' contract: NULL or a live list.
            unsafe { a.as_ref() }
                .and_then(|a| a.entries.get(i))
                .map_or(std::ptr::null(), |e| f(e).as_ptr())
        })
    }
}

/// The number of accepted signatures (0 for NULL).
///
/// # Safety
/// `a` is NULL or a live list.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn containers_policy_accepted_len(
    a: *const containers_policy_accepted,
) -> usize {
    // SAFETY: the caller's contract.
    guard_value(0, || unsafe { a.as_ref() }.map_or(0, |a| a.entries.len()))
}

/// Signature `i`'s claimed `docker-reference`, borrowed; NULL when out of range.
///
/// # Safety
/// `a` is NULL or a live list.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn containers_policy_accepted_docker_reference(
    a: *const containers_policy_accepted,
    i: usize,
) -> *const c_char {
    containers_policy_accepted::field(a, i, |e| &e.docker_reference)
}

/// Signature `i`'s `docker-manifest-digest`, borrowed; NULL when out of range.
///
/// # Safety
/// `a` is NULL or a live list.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn containers_policy_accepted_manifest_digest(
    a: *const containers_policy_accepted,
    i: usize,
) -> *const c_char {
    containers_policy_accepted::field(a, i, |e| &e.manifest_digest)
}

/// The fingerprint of the primary key that made signature `i`, borrowed; NULL when out of range.
///
/// # Safety
/// `a` is NULL or a live list.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn containers_policy_accepted_signer(
    a: *const containers_policy_accepted,
    i: usize,
) -> *const c_char {
    containers_policy_accepted::field(a, i, |e| &e.signer)
}

/// Frees a list. NULL is a no-op.
///
/// # Safety
/// `a` is NULL or a list from this library, freed at most once.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn containers_policy_accepted_free(a: *mut containers_policy_accepted) {
    // SAFETY: ownership returns from C.
    unsafe { crate::ptr::free(a) }
}
