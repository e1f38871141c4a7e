//! Test support shared by the workspace's tests (a dev-dependency only, and a dependency of the test-only
//! `conformance` crate).
//!
//! * [`upstream`]: containers/image's own test corpus (`../shared/upstream-fixtures`, or
//!   `$CONTAINERS_POLICY_UPSTREAM_FIXTURES`): locating it (with the skip message when it is absent),
//!   following upstream's symlinks (stored as small text files holding the relative target in some
//!   copies), reading its blobs and replaying `expected-verdicts.jsonl` with a per-kind tally.
//! * `replay/policy.rs` and `replay/registries_d.rs`: the replay of those cases through the
//!   containers-policy and sigstore-lookaside APIs. This crate does not depend on containers-policy (the
//!   policy crate's own tests must see a single copy of its types), so the tests that replay the corpus
//!   compile these files as their own modules (`#[path = "…/test-support/replay/policy.rs"]`).

pub mod upstream;
