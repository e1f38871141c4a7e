//! Replays every `kind == "registries.d"` case of the upstream `expected-verdicts.jsonl`: loading and
//! merging a directory, scope resolution (top-level values and per-section precedence), base URLs and
//! signature URLs.

#[path = "../../test-support/replay/registries_d.rs"]
mod replay;

use containers_policy_testsupport::upstream;

#[test]
fn upstream_registries_d_cases() {
    let Some(root) = upstream::root() else {
        return;
    };
    let report = upstream::replay(
        root,
        |case| {
            (case["kind"] == "registries.d")
                .then(|| case["level"].as_str().unwrap_or_default().to_owned())
        },
        |case| replay::run_case(root, case).map(|()| true),
    );
    for (level, t) in &report.kinds {
        eprintln!("registries.d {level}: {}/{} pass", t.passed, t.cases);
    }
    let total = report.total();
    eprintln!("registries.d total: {}/{} pass", total.passed, total.cases);
    assert_eq!(total.cases, 56, "expected 56 registries.d cases");
    assert!(
        report.failures.is_empty(),
        "failures:\n{}",
        report.failures.join("\n")
    );
}
