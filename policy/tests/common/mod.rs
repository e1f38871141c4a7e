//! Shared test helpers: locating containers/image's own fixtures.
#![allow(dead_code)]

use std::{
    fs,
    path::{Path, PathBuf},
    sync::OnceLock,
};

/// Where the upstream fixtures live: `$CONTAINERS_POLICY_UPSTREAM_FIXTURES`, else `../shared/upstream-fixtures`
/// beside the workspace.
pub(crate) fn upstream_source() -> PathBuf {
    if let Some(p) = std::env::var_os("CONTAINERS_POLICY_UPSTREAM_FIXTURES") {
        return PathBuf::from(p);
    }
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/upstream-fixtures")
}

/// A private copy of the upstream fixtures with upstream's symlinks materialized: in some copies they are
/// stored as small text files holding the relative target (`../image.manifest.json`). `None` (after
/// printing why) when the fixtures are absent.
pub(crate) fn upstream() -> Option<&'static Path> {
    static ROOT: OnceLock<Option<PathBuf>> = OnceLock::new();
    ROOT.get_or_init(|| {
        let src = upstream_source();
        if !src.join("expected-verdicts.jsonl").is_file() {
            eprintln!("skipped: upstream fixtures not found at {}", src.display());
            return None;
        }
        let dst = tempfile::Builder::new()
            .prefix("upstream-fixtures-")
            .tempdir()
            .expect("temp dir")
            .keep();
        copy_tree(&src, &src, &dst);
        Some(dst)
    })
    .as_deref()
}

fn copy_tree(root: &Path, dir: &Path, dst: &Path) {
    fs::create_dir_all(dst).expect("mkdir");
    for entry in fs::read_dir(dir).expect("read_dir") {
        let entry = entry.expect("entry");
        let path = entry.path();
        let target = dst.join(entry.file_name());
        if path.is_dir() {
            copy_tree(root, &path, &target);
        } else if let Some(resolved) = resolve(root, &path) {
            fs::write(&target, fs::read(resolved).expect("read link target")).expect("write");
        } else {
            // Dangling upstream link (its target was not copied): leave it out, as a missing file.
        }
    }
}

/// Follows real and textual links until a regular file with content is reached.
fn resolve(root: &Path, path: &Path) -> Option<PathBuf> {
    let mut path = path.to_path_buf();
    for _ in 0..8 {
        let meta = fs::metadata(&path).ok()?;
        if meta.len() > 0 && meta.len() < 200 {
            let text = fs::read(&path).ok()?;
            if let Ok(text) = std::str::from_utf8(&text) {
                let t = text.trim_end_matches('\n');
                if (t.starts_with("../")
                    || (!t.contains(' ') && t.contains('/') && !t.starts_with('{')))
                    && !t.contains('\n')
                {
                    let candidate = path.parent()?.join(t);
                    if candidate.exists() && candidate.starts_with(root) {
                        path = candidate;
                        continue;
                    }
                }
            }
        }
        return Some(path);
    }
    None
}
