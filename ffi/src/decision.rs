//! `containers_policy_decision`: a verdict with its reasons, converted once for C.

use std::ffi::{CString, c_char};

use core_policy::MatchedScope;

use crate::{containers_policy_error, error::guard_value};

/// One requirement's outcome.
#[derive(Debug)]
struct Requirement {
    type_name: CString,
    reason: Option<Box<containers_policy_error>>,
}

/// A verdict: allowed or not, why, the matched scope and each requirement's outcome. Immutable.
#[derive(Debug)]
pub struct containers_policy_decision {
    reason: Option<Box<containers_policy_error>>,
    scope: CString,
    requirements: Vec<Requirement>,
}

pub(crate) type Decision = containers_policy_decision;

fn c_string(s: &str) -> CString {
    CString::new(s.replace('\0', "\u{FFFD}")).unwrap_or_default()
}

impl containers_policy_decision {
    pub(crate) fn new(d: &core_policy::Decision) -> Self {
        let scope = match &d.scope {
            MatchedScope::Scope { transport, scope } => format!("{transport}:{scope}"),
            _ => "default".to_owned(),
        };
        containers_policy_decision {
            reason: d
                .result
                .as_ref()
                .err()
                .map(containers_policy_error::from_core),
            scope: c_string(&scope),
            requirements: d
                .requirements
                .iter()
                .map(|r| Requirement {
                    type_name: c_string(r.type_name),
                    reason: r
                        .result
                        .as_ref()
                        .err()
                        .map(containers_policy_error::from_core),
                })
                .collect(),
        }
    }
}

/// Whether the image may run. False for NULL.
///
/// # Safety
/// `d` is NULL or a live decision.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn containers_policy_decision_allowed(
    d: *const containers_policy_decision,
) -> bool {
    // SAFETY: the caller's contract.
    guard_value(false, || {
        unsafe { d.as_ref() }.is_some_and(|d| d.reason.is_none())
    })
}

/// Why the image was refused (borrowed from the decision; do not free), or NULL when it is allowed.
///
/// # Safety
/// `d` is NULL or a live decision.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn containers_policy_decision_reason(
    d: *const containers_policy_decision,
) -> *const containers_policy_error {
    guard_value(std::ptr::null(), || {
        // SAFETY: the caller's contract.
        match unsafe { d.as_ref() }.and_then(|d| d.reason.as_deref()) {
            Some(e) => e as *const _,
            None => std::ptr::null(),
        }
    })
}

/// The policy scope that applied: `"<transport>:<scope>"` (e.g. `"docker:quay.io/ns"`, `"docker:"` for a
/// transport default) or `"default"`. Borrowed; `""` for NULL.
///
/// # Safety
/// `d` is NULL or a live decision.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn containers_policy_decision_scope(
    d: *const containers_policy_decision,
) -> *const c_char {
    // SAFETY: the caller's contract.
    guard_value(c"".as_ptr(), || match unsafe { d.as_ref() } {
        Some(d) => d.scope.as_ptr(),
        None => c"".as_ptr(),
    })
}

/// How many requirements of the matched scope were evaluated.
///
/// # Safety
/// `d` is NULL or a live decision.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn containers_policy_decision_requirements_len(
    d: *const containers_policy_decision,
) -> usize {
    // SAFETY: the caller's contract.
    guard_value(0, || {
        unsafe { d.as_ref() }.map_or(0, |d| d.requirements.len())
    })
}

/// Requirement `i`'s type (`"signedBy"`, `"reject"`, …), borrowed; NULL when out of range.
///
/// # Safety
/// `d` is NULL or a live decision.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn containers_policy_decision_requirement_type(
    d: *const containers_policy_decision,
    i: usize,
) -> *const c_char {
    guard_value(std::ptr::null(), || {
        // SAFETY: the caller's contract.
        unsafe { d.as_ref() }
            .and_then(|d| d.requirements.get(i))
            .map_or(std::ptr::null(), |r| r.type_name.as_ptr())
    })
}

/// Why requirement `i` refused the image (borrowed), or NULL when it was satisfied or `i` is out of range.
///
/// # Safety
/// `d` is NULL or a live decision.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn containers_policy_decision_requirement_reason(
    d: *const containers_policy_decision,
    i: usize,
) -> *const containers_policy_error {
    guard_value(std::ptr::null(), || {
        // SAFETY: the caller's contract.
        unsafe { d.as_ref() }
            .and_then(|d| d.requirements.get(i))
            .and_then(|r| r.reason.as_deref())
            .map_or(std::ptr::null(), |e| e as *const _)
    })
}

/// Frees a decision (and the errors borrowed from it). NULL is a no-op.
///
/// # Safety
/// `d` is NULL or a decision from this library, freed at most once.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn containers_policy_decision_free(d: *mut containers_policy_decision) {
    // SAFETY: ownership returns from C.
    unsafe { crate::ptr::free(d) }
}
