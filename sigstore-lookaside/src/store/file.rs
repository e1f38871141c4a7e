//! `file://` lookaside stores: reading, and atomic staging writes. OWNER: helper A (store).

use std::path::Path;

use containers_policy::Digest;

use crate::Result;

/// Reads one signature file; `Ok(None)` when it does not exist (the end of the list).
pub fn get_one(path: &Path) -> Result<Option<Vec<u8>>> {
    let _ = path;
    todo!()
}

/// Replaces the signatures of `digest` under `repo_dir` (`<root>/<repo path>`) with `blobs`: writes
/// `signature-1..n` atomically, then removes stale `signature-(n+1)…`.
pub fn write_signatures(repo_dir: &Path, digest: &Digest, blobs: &[Vec<u8>]) -> Result<()> {
    let _ = (repo_dir, digest, blobs);
    todo!()
}

/// Adds one signature at the next free index (never overwriting, safe against concurrent writers);
/// returns the index used.
pub fn append_signature(repo_dir: &Path, digest: &Digest, blob: &[u8]) -> Result<usize> {
    let _ = (repo_dir, digest, blob);
    todo!()
}
