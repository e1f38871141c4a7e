//! Error objects: a stable numeric code and containers/image's full message.

use std::{
    ffi::{CString, c_char},
    panic::{AssertUnwindSafe, catch_unwind},
    ptr,
};

use core_policy::ErrorKind;
use sigstore_lookaside::ErrorKind as LookasideKind;

/// Stable error codes. New codes may be added; existing values never change.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum containers_policy_code {
    /// Success (what [`containers_policy_error_code`] returns for NULL).
    CONTAINERS_POLICY_OK = 0,
    /// policy.json is malformed (containers/image `InvalidPolicyFormatError`).
    CONTAINERS_POLICY_INVALID_POLICY = 1,
    /// The policy refused the image (`PolicyRequirementError`).
    CONTAINERS_POLICY_POLICY_REQUIREMENT = 2,
    /// A signature is invalid or made by an unaccepted key (`InvalidSignatureError`); the image was refused.
    CONTAINERS_POLICY_INVALID_SIGNATURE = 3,
    /// A transport or docker reference could not be parsed.
    CONTAINERS_POLICY_INVALID_REFERENCE = 4,
    /// A file could not be read or written.
    CONTAINERS_POLICY_IO = 5,
    /// A manifest could not be digested or does not match.
    CONTAINERS_POLICY_MANIFEST = 6,
    /// Any other failure.
    CONTAINERS_POLICY_OTHER = 7,
    /// An argument is unusable: NULL where an object is needed, a string that is not UTF-8, …
    CONTAINERS_POLICY_INVALID_ARGUMENT = 8,
    /// An internal panic was caught (a bug; please report it).
    CONTAINERS_POLICY_PANIC = 9,
    /// registries.d or lookaside configuration is invalid.
    CONTAINERS_POLICY_CONFIG = 10,
    /// A lookaside store could not be read or written, or a path is unsafe.
    CONTAINERS_POLICY_LOOKASIDE = 11,
    /// Talking to a registry failed (network, authentication, manifest).
    CONTAINERS_POLICY_REGISTRY = 12,
}

use containers_policy_code as Code;

/// An error: a code and a message. Created by the library, freed by the caller with
/// [`containers_policy_error_free`] (or borrowed from a decision, which frees it).
#[derive(Debug)]
pub struct containers_policy_error {
    code: Code,
    message: CString,
}

impl containers_policy_error {
    pub(crate) fn new(code: Code, message: impl Into<String>) -> Box<Self> {
        let mut message: String = message.into();
        if message.contains('\0') {
            message = message.replace('\0', "\u{FFFD}");
        }
        Box::new(containers_policy_error {
            code,
            // No NUL remains, so this cannot fail; fall back to an empty message rather than panic.
            message: CString::new(message).unwrap_or_default(),
        })
    }

    pub(crate) fn invalid_argument(message: impl Into<String>) -> Box<Self> {
        Self::new(Code::CONTAINERS_POLICY_INVALID_ARGUMENT, message)
    }

    pub(crate) fn from_core(e: &core_policy::Error) -> Box<Self> {
        Self::new(core_code(e.kind()), e.to_string())
    }

    pub(crate) fn from_lookaside(e: &sigstore_lookaside::Error) -> Box<Self> {
        let code = match e {
            sigstore_lookaside::Error::Policy(inner) => core_code(inner.kind()),
            other => match other.kind() {
                LookasideKind::Config => Code::CONTAINERS_POLICY_CONFIG,
                LookasideKind::Layout | LookasideKind::Read | LookasideKind::Write => {
                    Code::CONTAINERS_POLICY_LOOKASIDE
                }
                LookasideKind::Registry | LookasideKind::Auth | LookasideKind::Upload => {
                    Code::CONTAINERS_POLICY_REGISTRY
                }
                LookasideKind::Io => Code::CONTAINERS_POLICY_IO,
                _ => Code::CONTAINERS_POLICY_OTHER,
            },
        };
        Self::new(code, e.to_string())
    }
}

fn core_code(kind: ErrorKind) -> Code {
    match kind {
        ErrorKind::InvalidPolicy => Code::CONTAINERS_POLICY_INVALID_POLICY,
        ErrorKind::PolicyRequirement => Code::CONTAINERS_POLICY_POLICY_REQUIREMENT,
        ErrorKind::InvalidSignature => Code::CONTAINERS_POLICY_INVALID_SIGNATURE,
        ErrorKind::InvalidReference => Code::CONTAINERS_POLICY_INVALID_REFERENCE,
        ErrorKind::Io => Code::CONTAINERS_POLICY_IO,
        ErrorKind::Manifest => Code::CONTAINERS_POLICY_MANIFEST,
        _ => Code::CONTAINERS_POLICY_OTHER,
    }
}

/// The result of one call's body.
pub(crate) type Outcome = Result<(), Box<containers_policy_error>>;

/// Runs `f`, turning its error or a panic into an error object for C.
pub(crate) fn guard(f: impl FnOnce() -> Outcome) -> *mut containers_policy_error {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(())) => ptr::null_mut(),
        Ok(Err(e)) => Box::into_raw(e),
        Err(payload) => Box::into_raw(panic_error(payload.as_ref())),
    }
}

/// Runs an infallible accessor; a panic yields `fallback`.
pub(crate) fn guard_value<T>(fallback: T, f: impl FnOnce() -> T) -> T {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or(fallback)
}

fn panic_error(payload: &(dyn std::any::Any + Send)) -> Box<containers_policy_error> {
    let what = payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".to_owned());
    containers_policy_error::new(
        Code::CONTAINERS_POLICY_PANIC,
        format!("internal error in libcontainers_policy (please report): {what}"),
    )
}

/// The error's code; `CONTAINERS_POLICY_OK` for NULL.
///
/// # Safety
/// `err` is NULL or an error returned by this library and not yet freed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn containers_policy_error_code(
    err: *const containers_policy_error,
) -> containers_policy_code {
    // SAFETY: the caller passes NULL or a live error.
    match unsafe { err.as_ref() } {
        Some(e) => e.code,
        None => Code::CONTAINERS_POLICY_OK,
    }
}

/// The error's message (containers/image's text), borrowed: valid until the error is freed. `""` for NULL.
///
/// # Safety
/// `err` is NULL or an error returned by this library and not yet freed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn containers_policy_error_message(
    err: *const containers_policy_error,
) -> *const c_char {
    // SAFETY: the caller passes NULL or a live error.
    match unsafe { err.as_ref() } {
        Some(e) => e.message.as_ptr(),
        None => c"".as_ptr(),
    }
}

/// Frees an error returned by a call. NULL is a no-op. Errors borrowed from a decision must not be freed.
///
/// # Safety
/// `err` is NULL or an error returned (not borrowed) from this library, freed at most once.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn containers_policy_error_free(err: *mut containers_policy_error) {
    // SAFETY: the caller transfers ownership of a live, owned error (or NULL).
    unsafe { crate::ptr::free(err) }
}
