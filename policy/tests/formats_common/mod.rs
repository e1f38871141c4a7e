//! Shared helpers of the `formats_*` integration tests: locating the upstream fixtures and reading them,
//! following upstream symlinks that are stored as small text files holding the relative target.

#![allow(dead_code, unreachable_pub)]

use std::path::{Path, PathBuf};

/// The upstream fixture directory, or `None` (after printing why) when it is absent.
pub fn fixtures_root() -> Option<PathBuf> {
    let root = match std::env::var_os("CONTAINERS_POLICY_UPSTREAM_FIXTURES") {
        Some(p) => PathBuf::from(p),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/upstream-fixtures"),
    };
    if root.join("expected-verdicts.jsonl").is_file() {
        Some(root)
    } else {
        eprintln!("skipped: upstream fixtures not found at {}", root.display());
        None
    }
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

/// Resolves `path`, following real symlinks (the OS does) and pseudo-links: a small file whose whole
/// content is a relative path to an existing file.
pub fn resolve(path: &Path) -> PathBuf {
    let mut current = path.to_path_buf();
    for _ in 0..16 {
        let Ok(meta) = std::fs::metadata(&current) else {
            return current;
        };
        if !meta.is_file() || meta.len() > 512 {
            return current;
        }
        let Ok(content) = std::fs::read(&current) else {
            return current;
        };
        let Ok(text) = std::str::from_utf8(&content) else {
            return current;
        };
        let target = text.trim_end_matches('\n');
        if target.is_empty() || target.contains(['\n', '\0']) || target.starts_with('/') {
            return current;
        }
        let Some(dir) = current.parent() else {
            return current;
        };
        let candidate = dir.join(target);
        if candidate.is_file() {
            current = candidate;
        } else {
            return current;
        }
    }
    current
}

/// Reads a fixture (relative to the fixture root), following pseudo-links.
pub fn read(root: &Path, rel: &str) -> Vec<u8> {
    let path = resolve(&root.join(rel));
    std::fs::read(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}

/// Whether a fixture exists (after following pseudo-links).
pub fn exists(root: &Path, rel: &str) -> bool {
    resolve(&root.join(rel)).is_file()
}
