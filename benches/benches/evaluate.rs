//! One evaluation of the upstream signed fixture image (`dir-img-valid`, one RSA signature, `signedBy` with
//! `matchRepoDigestOrExact`), through the Rust API and through the C ABI called from Rust. The C and Go
//! figures for the same case come from `benches/ffi-compare`.

#![allow(clippy::unwrap_used, missing_docs)]

use std::{hint::black_box, path::PathBuf, ptr};

use core_policy::{ImageReference, Policy, PolicyContext, UnparsedImage};
use criterion::{Criterion, criterion_group, criterion_main};

fn fixtures() -> Option<PathBuf> {
    let dir = std::env::var_os("CONTAINERS_POLICY_UPSTREAM_FIXTURES")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/upstream-fixtures")
        })
        .join("signature/fixtures");
    dir.is_dir().then_some(dir)
}

/// Reads a fixture file, following the text "symlinks" of the shared fixtures copy.
fn read(path: PathBuf) -> Vec<u8> {
    let mut p = path;
    for _ in 0..4 {
        let b = std::fs::read(&p).unwrap();
        if b.len() < 200 && b.starts_with(b"../") {
            p = p
                .parent()
                .unwrap()
                .join(String::from_utf8(b).unwrap().trim());
            continue;
        }
        return b;
    }
    panic!("too many links at {}", p.display());
}

pub const REFERENCE: &str = "docker://docker.io/testing/manifest:latest";

fn bench(c: &mut Criterion) {
    let Some(f) = fixtures() else {
        eprintln!("SKIPPED: upstream fixtures not found");
        return;
    };
    let policy_json = format!(
        r#"{{"default":[{{"type":"reject"}}],"transports":{{"docker":{{"docker.io/testing/manifest":[{{"type":"signedBy","keyType":"GPGKeys","keyPath":"{}"}}]}}}}}}"#,
        f.join("public-key.gpg").display()
    );
    let manifest = read(f.join("dir-img-valid/manifest.json"));
    let signature = read(f.join("dir-img-valid/signature-1"));

    let ctx = PolicyContext::new(Policy::from_slice(policy_json.as_bytes()).unwrap());
    let reference = ImageReference::parse(REFERENCE).unwrap();
    let first = ctx.evaluate(&UnparsedImage::from_blobs(
        reference.clone(),
        manifest.clone(),
        &[&signature],
    ));
    assert!(first.allowed(), "{:?}", first.result);
    c.bench_function("evaluate/rust", |b| {
        b.iter(|| {
            let image =
                UnparsedImage::from_blobs(reference.clone(), manifest.clone(), &[&signature]);
            black_box(ctx.evaluate(&image).allowed())
        })
    });

    use policy_ffi as ffi;
    let mut policy = ptr::null_mut();
    let mut cctx = ptr::null_mut();
    // SAFETY: valid inputs and out-pointers; objects freed below.
    unsafe {
        assert!(
            ffi::containers_policy_policy_from_bytes(
                policy_json.as_ptr(),
                policy_json.len(),
                &mut policy
            )
            .is_null()
        );
        assert!(ffi::containers_policy_context_new(policy, &mut cctx).is_null());
    }
    let reference_c = std::ffi::CString::new(REFERENCE).unwrap();
    let sigs = [ffi::containers_policy_slice {
        data: signature.as_ptr(),
        len: signature.len(),
    }];
    c.bench_function("evaluate/c-abi", |b| {
        b.iter(|| {
            let mut d = ptr::null_mut();
            // SAFETY: live context, valid slices, writable out-pointer; the decision is freed.
            unsafe {
                let e = ffi::containers_policy_evaluate(
                    cctx,
                    reference_c.as_ptr(),
                    manifest.as_ptr(),
                    manifest.len(),
                    sigs.as_ptr(),
                    sigs.len(),
                    &mut d,
                );
                assert!(e.is_null());
                let allowed = ffi::containers_policy_decision_allowed(d);
                ffi::containers_policy_decision_free(d);
                black_box(allowed)
            }
        })
    });
    // SAFETY: freeing what was created above, once.
    unsafe {
        ffi::containers_policy_context_free(cctx);
        ffi::containers_policy_policy_free(policy);
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
