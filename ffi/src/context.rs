//! `containers_policy_context` and evaluation.

use std::ffi::c_char;

use core_policy::{ImageReference, PolicyContext, UnparsedImage};

use crate::{
    containers_policy_accepted, containers_policy_decision, containers_policy_error,
    containers_policy_slice,
    decision::Decision,
    error::{Outcome, guard},
    ptr::{bytes_arg, obj_arg, out_arg, slices_arg, str_arg, write_out},
};

/// A compiled policy: scopes indexed and keys read and parsed once. Immutable; share it between threads.
#[derive(Debug)]
pub struct containers_policy_context {
    pub(crate) ctx: PolicyContext,
}

/// Builds a context from a policy (the policy is copied; it may be freed afterwards).
///
/// # Safety
/// `policy` is a live policy; `out` is writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn containers_policy_context_new(
    policy: *const crate::containers_policy_policy,
    out: *mut *mut containers_policy_context,
) -> *mut containers_policy_error {
    guard(|| {
        // SAFETY: the caller's contract.
        let policy = unsafe { obj_arg(policy, "policy") }?;
        out_arg(out, "out")?;
        let ctx = PolicyContext::new(policy.policy.clone());
        // SAFETY: checked above.
        unsafe { write_out(out, containers_policy_context { ctx }) };
        Ok(())
    })
}

/// Frees a context. NULL is a no-op.
///
/// # Safety
/// `ctx` is NULL or a context from this library, freed at most once, with no call using it in flight.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn containers_policy_context_free(ctx: *mut containers_policy_context) {
    // SAFETY: ownership returns from C.
    unsafe { crate::ptr::free(ctx) }
}

/// Reads the common arguments of the evaluation calls: the context and the image.
///
/// # Safety
/// As the public functions that call it.
unsafe fn ctx_and_image<'a>(
    ctx: *const containers_policy_context,
    image_reference: *const c_char,
    manifest: *const u8,
    manifest_len: usize,
    signatures: *const containers_policy_slice,
    signatures_len: usize,
) -> Result<(&'a PolicyContext, UnparsedImage), Box<containers_policy_error>> {
    // SAFETY: forwarded contracts, for each argument.
    let ctx = unsafe { obj_arg(ctx, "ctx") }?;
    // SAFETY: as above.
    let reference = unsafe { str_arg(image_reference, "image_reference") }?;
    // SAFETY: as above.
    let manifest = unsafe { bytes_arg(manifest, manifest_len, "manifest") }?.to_vec();
    // SAFETY: as above.
    let blobs = unsafe { slices_arg(signatures, signatures_len, "signatures") }?;
    let reference =
        ImageReference::parse(reference).map_err(|e| containers_policy_error::from_core(&e))?;
    Ok((
        &ctx.ctx,
        UnparsedImage::from_blobs(reference, manifest, &blobs),
    ))
}

/// Evaluates an image given as a transport reference (`docker://quay.io/ns/app:1.0`, `dir:/path`, …), its
/// manifest and its signature blobs. Fails only on unusable inputs; a refusal is a decision whose
/// `allowed` is false.
///
/// # Safety
/// `ctx` is a live context; `image_reference` a NUL-terminated string; `manifest` `manifest_len` readable
/// bytes (or NULL with 0); `signatures` `signatures_len` valid slices (or NULL with 0); `out` writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn containers_policy_evaluate(
    ctx: *const containers_policy_context,
    image_reference: *const c_char,
    manifest: *const u8,
    manifest_len: usize,
    signatures: *const containers_policy_slice,
    signatures_len: usize,
    out: *mut *mut containers_policy_decision,
) -> *mut containers_policy_error {
    guard(|| {
        out_arg(out, "out")?;
        // SAFETY: the caller's contract.
        let (ctx, image) = unsafe {
            ctx_and_image(
                ctx,
                image_reference,
                manifest,
                manifest_len,
                signatures,
                signatures_len,
            )
        }?;
        let decision = Decision::new(&ctx.evaluate(&image));
        // SAFETY: checked above.
        unsafe { write_out(out, decision) };
        Ok(())
    })
}

/// CRI-O's question: NULL when the image may run, else the refusal (code
/// `CONTAINERS_POLICY_POLICY_REQUIREMENT`, `CONTAINERS_POLICY_INVALID_SIGNATURE`, … and containers/image's
/// message). Unusable inputs are errors too (`CONTAINERS_POLICY_INVALID_ARGUMENT`, …).
///
/// # Safety
/// As [`containers_policy_evaluate`], without `out`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn containers_policy_is_running_image_allowed(
    ctx: *const containers_policy_context,
    image_reference: *const c_char,
    manifest: *const u8,
    manifest_len: usize,
    signatures: *const containers_policy_slice,
    signatures_len: usize,
) -> *mut containers_policy_error {
    guard(|| -> Outcome {
        // SAFETY: the caller's contract.
        let (ctx, image) = unsafe {
            ctx_and_image(
                ctx,
                image_reference,
                manifest,
                manifest_len,
                signatures,
                signatures_len,
            )
        }?;
        ctx.is_running_image_allowed(&image)
            .map_err(|e| containers_policy_error::from_core(&e))
    })
}

/// The signatures whose author the policy accepts (`GetSignaturesWithAcceptedAuthor`).
///
/// # Safety
/// As [`containers_policy_evaluate`].
#[unsafe(no_mangle)]
pub unsafe extern "C" fn containers_policy_signatures_with_accepted_author(
    ctx: *const containers_policy_context,
    image_reference: *const c_char,
    manifest: *const u8,
    manifest_len: usize,
    signatures: *const containers_policy_slice,
    signatures_len: usize,
    out: *mut *mut containers_policy_accepted,
) -> *mut containers_policy_error {
    guard(|| {
        out_arg(out, "out")?;
        // SAFETY: the caller's contract.
        let (ctx, image) = unsafe {
            ctx_and_image(
                ctx,
                image_reference,
                manifest,
                manifest_len,
                signatures,
                signatures_len,
            )
        }?;
        let accepted = ctx
            .signatures_with_accepted_author(&image)
            .map_err(|e| containers_policy_error::from_core(&e))?;
        // SAFETY: checked above.
        unsafe { write_out(out, containers_policy_accepted::new(&accepted)) };
        Ok(())
    })
}
