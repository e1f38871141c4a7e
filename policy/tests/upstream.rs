//! Replays containers/image's own verdicts (`../shared/upstream-fixtures/expected-verdicts.jsonl`) through
//! the public API. Every case is run or explicitly counted as not yet covered; any mismatch fails.

#[path = "../../test-support/replay/policy.rs"]
mod replay;

use containers_policy::{ImageReference, Options, Policy, PolicyContext, UnparsedImage};
use containers_policy_testsupport::upstream;

#[test]
fn upstream_expected_verdicts() {
    let Some(root) = upstream::root() else {
        return;
    };
    let report = upstream::replay(
        root,
        |case| Some(case["kind"].as_str().unwrap_or_default().to_owned()),
        |case| replay::run_case(root, case),
    );
    for (kind, t) in &report.kinds {
        eprintln!(
            "upstream {kind}: {} passed, {} not covered yet",
            t.passed, t.not_covered
        );
    }
    assert!(
        report.failures.is_empty(),
        "{} upstream cases disagree:\n{}",
        report.failures.len(),
        report.failures.join("\n")
    );
    let passed = report.total().passed;
    assert!(passed >= 150, "only {passed} upstream cases ran");
}

/// One context shared by several threads gives every thread the verdicts a single thread gets.
#[test]
fn concurrent_evaluations_agree() {
    let Some(root) = upstream::root() else {
        return;
    };
    let policy = Policy::from_slice(
        serde_json::json!({
            "default": [{"type": "reject"}],
            "transports": {"docker": {"docker.io/testing/manifest": [
                {"type": "signedBy", "keyType": "GPGKeys", "keyPath": "signature/fixtures/public-key.gpg"}
            ]}}
        })
        .to_string()
        .as_bytes(),
    )
    .expect("policy");
    let ctx = PolicyContext::with_options(policy, Options::default().with_base_dir(root));
    let images: Vec<(UnparsedImage, Result<(), String>)> = [
        ("dir-img-valid", "testing/manifest:latest", Ok(())),
        (
            "dir-img-unsigned",
            "testing/manifest:latest",
            Err("A signature was required, but no signature exists"),
        ),
        (
            "dir-img-valid",
            "testing/manifest:other",
            Err(r#"Signature for identity "testing/manifest:latest" is not accepted"#),
        ),
        (
            "dir-img-valid",
            "quay.io/x/y:1",
            Err("Running image docker://quay.io/x/y:1 is rejected by policy."),
        ),
    ]
    .into_iter()
    .map(|(dir, reference, want)| {
        let reference = ImageReference::parse(&format!("docker://{reference}")).expect("reference");
        let image = UnparsedImage::from_dir(root.join("signature/fixtures").join(dir), reference);
        (image, want.map_err(str::to_owned))
    })
    .collect();
    std::thread::scope(|s| {
        for t in 0..4 {
            let (ctx, images) = (&ctx, &images);
            s.spawn(move || {
                for round in 0..50 {
                    for (image, want) in images.iter().cycle().skip(t + round).take(images.len()) {
                        let got = ctx
                            .is_running_image_allowed(image)
                            .map_err(|e| e.to_string());
                        assert_eq!(&got, want, "thread {t} round {round}");
                    }
                }
            });
        }
    });
}
