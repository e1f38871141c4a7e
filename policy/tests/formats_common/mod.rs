//! Shared helpers of the `formats_*` integration tests: the upstream fixtures, read from the private copy
//! (upstream symlinks materialized) that `containers_policy_testsupport::upstream` makes.

#![allow(dead_code, unreachable_pub)]

use std::path::{Path, PathBuf};

use containers_policy_testsupport::upstream;

/// The upstream fixture directory, or `None` (after printing why) when it is absent.
pub fn fixtures_root() -> Option<PathBuf> {
    upstream::root().map(Path::to_path_buf)
}

/// Returns early from a test (as skipped) when the fixtures are absent.
#[macro_export]
macro_rules! fixtures_or_skip {
    () => {
        match $crate::formats_common::fixtures_root() {
            Some(root) => root,
            None => return,
        }
    };
}

/// Reads a fixture (relative to the fixture root).
pub fn read(root: &Path, rel: &str) -> Vec<u8> {
    let path = root.join(rel);
    std::fs::read(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}

/// Whether a fixture exists.
pub fn exists(root: &Path, rel: &str) -> bool {
    root.join(rel).is_file()
}
