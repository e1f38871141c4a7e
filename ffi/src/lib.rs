//! `libcontainers_policy`: the C ABI of containers-policy.
//!
//! Conventions (the header and `ffi/README.md` say the same):
//! - every fallible function returns a `containers_policy_error *`: NULL on success, else an error the
//!   caller frees with [`containers_policy_error_free`]; out-parameters are written only on success;
//! - every object the library returns is freed with its `_free` function, and `_free(NULL)` does nothing;
//! - inputs are copied, never retained; strings are NUL-terminated UTF-8;
//! - policies, contexts, registries.d configurations and remote sources are immutable and may be used from
//!   many threads at once; there is no thread-local "last error";
//! - a Rust panic never unwinds into C: it becomes a `CONTAINERS_POLICY_PANIC` error.

#![allow(non_camel_case_types)]

mod accepted;
mod context;
mod decision;
mod error;
mod lookaside;
mod misc;
mod policy;
mod ptr;

pub use accepted::*;
pub use context::*;
pub use decision::*;
pub use error::*;
pub use lookaside::*;
pub use misc::*;
pub use policy::*;

/// The ABI version of this header; [`containers_policy_abi_version`] returns the library's. It is also the
/// number in the shared library's soname (`libcontainers_policy.so.1`): additions keep it, any incompatible
/// change increments it.
pub const CONTAINERS_POLICY_ABI_VERSION: u32 = 1;

/// A borrowed byte slice passed into the library (never retained).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct containers_policy_slice {
    /// The bytes; may be NULL when `len` is 0.
    pub data: *const u8,
    /// Their number.
    pub len: usize,
}
