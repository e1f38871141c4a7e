//! The only place raw pointers from C are turned into Rust values.

use std::ffi::{CStr, c_char};

use crate::{containers_policy_error, containers_policy_slice};

type Err = Box<containers_policy_error>;

/// A required NUL-terminated UTF-8 string argument.
///
/// # Safety
/// `p` is NULL or points to a NUL-terminated string that stays valid for `'a`.
pub(crate) unsafe fn str_arg<'a>(p: *const c_char, what: &str) -> Result<&'a str, Err> {
    if p.is_null() {
        return Err(containers_policy_error::invalid_argument(format!(
            "{what} must not be NULL"
        )));
    }
    // SAFETY: non-NULL and NUL-terminated per the caller's contract.
    unsafe { CStr::from_ptr(p) }.to_str().map_err(|e| {
        containers_policy_error::invalid_argument(format!("{what} is not valid UTF-8: {e}"))
    })
}

/// An optional string argument (NULL = `None`).
///
/// # Safety
/// As [`str_arg`].
pub(crate) unsafe fn opt_str_arg<'a>(p: *const c_char, what: &str) -> Result<Option<&'a str>, Err> {
    if p.is_null() {
        Ok(None)
    } else {
        // SAFETY: forwarded contract.
        unsafe { str_arg(p, what) }.map(Some)
    }
}

/// A byte-range argument; NULL with length 0 is empty.
///
/// # Safety
/// `p` is NULL or points to `len` readable bytes valid for `'a`.
pub(crate) unsafe fn bytes_arg<'a>(p: *const u8, len: usize, what: &str) -> Result<&'a [u8], Err> {
    if p.is_null() {
        return if len == 0 {
            Ok(&[])
        } else {
            Err(containers_policy_error::invalid_argument(format!(
                "{what} is NULL but its length is {len}"
            )))
        };
    }
    // SAFETY: non-NULL, `len` readable bytes per the caller's contract.
    Ok(unsafe { std::slice::from_raw_parts(p, len) })
}

/// An array of slices, copied into owned buffers.
///
/// # Safety
/// `p` is NULL (with `len` 0) or points to `len` valid [`containers_policy_slice`]s, each valid per
/// [`bytes_arg`].
pub(crate) unsafe fn slices_arg(
    p: *const containers_policy_slice,
    len: usize,
    what: &str,
) -> Result<Vec<Vec<u8>>, Err> {
    // SAFETY: forwarded contract (an array of `len` slices is `len * size_of` readable bytes).
    let slices: &[containers_policy_slice] = if p.is_null() {
        if len != 0 {
            return Err(containers_policy_error::invalid_argument(format!(
                "{what} is NULL but its length is {len}"
            )));
        }
        &[]
    } else {
        unsafe { std::slice::from_raw_parts(p, len) }
    };
    slices
        .iter()
        .enumerate()
        .map(|(i, s)| {
            // SAFETY: each element's contract is the caller's.
            unsafe { bytes_arg(s.data, s.len, &format!("{what}[{i}]")) }.map(<[u8]>::to_vec)
        })
        .collect()
}

/// A required object argument.
///
/// # Safety
/// `p` is NULL or points to a live `T` created by this library, valid for `'a`.
pub(crate) unsafe fn obj_arg<'a, T>(p: *const T, what: &str) -> Result<&'a T, Err> {
    // SAFETY: the caller's contract.
    unsafe { p.as_ref() }.ok_or_else(|| {
        containers_policy_error::invalid_argument(format!("{what} must not be NULL"))
    })
}

/// Checks that an out-parameter can be written.
pub(crate) fn out_arg<T>(out: *mut *mut T, what: &str) -> Result<(), Err> {
    if out.is_null() {
        Err(containers_policy_error::invalid_argument(format!(
            "{what} must not be NULL"
        )))
    } else {
        Ok(())
    }
}

/// Stores a new object in a checked out-parameter.
///
/// # Safety
/// `out` was checked with [`out_arg`] and is writable.
pub(crate) unsafe fn write_out<T>(out: *mut *mut T, value: T) {
    // SAFETY: `out` is non-NULL and writable per the caller.
    unsafe { *out = Box::into_raw(Box::new(value)) };
}

/// Frees an object created with [`write_out`] or `Box::into_raw` (NULL is a no-op).
///
/// # Safety
/// `p` is NULL or an owned pointer from `Box::into_raw`, freed at most once.
pub(crate) unsafe fn free<T>(p: *mut T) {
    if !p.is_null() {
        // SAFETY: ownership comes back from C exactly once.
        drop(unsafe { Box::from_raw(p) });
    }
}
