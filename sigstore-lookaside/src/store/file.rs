//! `file://` lookaside stores: reading, and atomic staging writes. OWNER: helper A (store).
//!
//! Every filesystem write of the project goes through here. Writes never expose a half-written file under
//! a `signature-<N>` name: content goes to a temporary file in the same directory, is flushed to disk and
//! only then appears under its final name (by `rename` when replacing, by `link` when appending, which
//! fails rather than overwrite). The directory is flushed afterwards so the new name survives a crash.
//! Errors carry Go's `*PathError` text (`open /p: permission denied`).

use std::{
    ffi::OsString,
    fs::{self, File},
    io::{self, Read as _, Write as _},
    os::unix::fs::{DirBuilderExt as _, PermissionsExt as _},
    path::{Path, PathBuf},
};

use containers_policy::{Digest, error::IoError};

use crate::{Result, layout::MAX_INDEX};

/// Prefix of temporary files inside an image folder; never a valid `signature-<N>` name, so readers
/// (which only open `signature-1`, `signature-2`, …) cannot see them.
const TEMP_PREFIX: &str = ".tmp-signature-";

/// Reads one signature file; `Ok(None)` when it does not exist (the end of the list). Any other failure
/// (permission, a directory at the path, …) is an error with Go's `os.ReadFile` text.
pub fn get_one(path: &Path) -> Result<Option<Vec<u8>>> {
    let mut file = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(IoError::new("open", path, e).into()),
    };
    let mut data = Vec::new();
    file.read_to_end(&mut data)
        .map_err(|e| IoError::new("read", path, e))?;
    Ok(Some(data))
}

/// The per-image folder `<repo_dir>@<algo>=<hex>` (skopeo's naming; plain string concatenation, as
/// containers/image does it).
pub fn image_dir(repo_dir: &Path, digest: &Digest) -> PathBuf {
    let mut s = OsString::from(repo_dir.as_os_str());
    s.push(format!("@{}={}", digest.algorithm(), digest.hex()));
    PathBuf::from(s)
}

/// The path of signature `index` (1-based) of `digest` under `repo_dir`.
pub fn signature_path(repo_dir: &Path, digest: &Digest, index: usize) -> PathBuf {
    image_dir(repo_dir, digest).join(format!("signature-{index}"))
}

/// Reads all signatures of `digest` under `repo_dir`: `signature-1`, `signature-2`, … until the first
/// missing one.
pub fn read_signatures(repo_dir: &Path, digest: &Digest) -> Result<Vec<Vec<u8>>> {
    let dir = image_dir(repo_dir, digest);
    let mut out = Vec::new();
    for index in 1..=MAX_INDEX {
        match get_one(&dir.join(format!("signature-{index}")))? {
            Some(blob) => out.push(blob),
            None => break,
        }
    }
    Ok(out)
}

/// Replaces the signatures of `digest` under `repo_dir` (`<root>/<repo path>`) with `blobs`: writes
/// `signature-1..n` atomically, then removes stale `signature-(n+1)…` until one is missing (what
/// `skopeo copy --sign-by` does to a staging store, minus the window where a half-written file is visible).
pub fn write_signatures(repo_dir: &Path, digest: &Digest, blobs: &[Vec<u8>]) -> Result<()> {
    let dir = image_dir(repo_dir, digest);
    mkdir_all(&dir)?;
    for (i, blob) in blobs.iter().enumerate() {
        let final_path = dir.join(format!("signature-{}", i + 1));
        let temp = write_temp(&dir, blob)?;
        temp.persist(&final_path).map_err(|e| {
            // Go's os.Rename reports a *LinkError: `rename <old> <new>: <err>`; keep the destination,
            // which is what matters to the user.
            IoError::new("rename", &final_path, e.error)
        })?;
    }
    for index in blobs.len() + 1..=MAX_INDEX {
        let path = dir.join(format!("signature-{index}"));
        match fs::remove_file(&path) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => break,
            Err(e) => return Err(IoError::new("remove", &path, e).into()),
        }
    }
    sync_dir(&dir)
}

/// Adds one signature at the next free index (never overwriting, safe against concurrent writers in this
/// and other processes); returns the index used. Indices stay contiguous (nothing here deletes).
pub fn append_signature(repo_dir: &Path, digest: &Digest, blob: &[u8]) -> Result<usize> {
    let dir = image_dir(repo_dir, digest);
    mkdir_all(&dir)?;
    let temp = write_temp(&dir, blob)?;
    let mut index = first_missing(&dir)?;
    loop {
        let target = dir.join(format!("signature-{index}"));
        match fs::hard_link(temp.path(), &target) {
            Ok(()) => break,
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists && index < MAX_INDEX => index += 1,
            Err(e) => return Err(IoError::new("link", &target, e).into()),
        }
    }
    let temp_path = temp.path().to_path_buf();
    temp.close()
        .map_err(|e| IoError::new("remove", temp_path, e))?;
    sync_dir(&dir)?;
    Ok(index)
}

/// The index of a signature of `digest` under `repo_dir` whose bytes equal `blob`, among the contiguous
/// run `signature-1…`; used to make uploads idempotent.
pub fn find_identical(repo_dir: &Path, digest: &Digest, blob: &[u8]) -> Result<Option<usize>> {
    let dir = image_dir(repo_dir, digest);
    for index in 1..=MAX_INDEX {
        match get_one(&dir.join(format!("signature-{index}")))? {
            Some(existing) if existing == blob => return Ok(Some(index)),
            Some(_) => {}
            None => break,
        }
    }
    Ok(None)
}

/// The first `signature-<N>` that does not exist (N ≥ 1).
fn first_missing(dir: &Path) -> Result<usize> {
    for index in 1..=MAX_INDEX {
        let path = dir.join(format!("signature-{index}"));
        match fs::symlink_metadata(&path) {
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(index),
            Err(e) => return Err(IoError::new("lstat", &path, e).into()),
        }
    }
    Ok(MAX_INDEX)
}

/// A flushed 0644 temporary file in `dir` holding `blob`; removed when dropped unless persisted.
fn write_temp(dir: &Path, blob: &[u8]) -> Result<tempfile::NamedTempFile> {
    let mut temp = tempfile::Builder::new()
        .prefix(TEMP_PREFIX)
        .permissions(fs::Permissions::from_mode(0o644))
        .tempfile_in(dir)
        .map_err(|e| IoError::new("createtemp", dir.join(format!("{TEMP_PREFIX}*")), e))?;
    let path = temp.path().to_path_buf();
    temp.write_all(blob)
        .map_err(|e| IoError::new("write", &path, e))?;
    // The umask may have narrowed the mode at creation; signatures are world-readable as skopeo's are.
    temp.as_file()
        .set_permissions(fs::Permissions::from_mode(0o644))
        .map_err(|e| IoError::new("chmod", &path, e))?;
    temp.as_file()
        .sync_all()
        .map_err(|e| IoError::new("sync", &path, e))?;
    Ok(temp)
}

/// `mkdir -p` with mode 0755, reporting the component that failed as Go's `os.MkdirAll` does.
fn mkdir_all(dir: &Path) -> Result<()> {
    match fs::metadata(dir) {
        Ok(m) if m.is_dir() => return Ok(()),
        Ok(_) => {
            return Err(
                IoError::new("mkdir", dir, io::Error::from_raw_os_error(20 /* ENOTDIR */)).into(),
            );
        }
        Err(_) => {}
    }
    if let Some(parent) = dir.parent().filter(|p| !p.as_os_str().is_empty()) {
        mkdir_all(parent)?;
    }
    match fs::DirBuilder::new().mode(0o755).create(dir) {
        Ok(()) => Ok(()),
        // Another writer created it meanwhile.
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists && dir.is_dir() => Ok(()),
        Err(e) => Err(IoError::new("mkdir", dir, e).into()),
    }
}

/// Flushes a directory so that renames and links in it are durable.
fn sync_dir(dir: &Path) -> Result<()> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| IoError::new("sync", dir, e).into())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn digest() -> Digest {
        Digest::sha256_of(b"manifest")
    }

    #[test]
    fn get_one_missing_is_none_and_directory_is_error() {
        let tmp = tempfile::tempdir().unwrap();
        assert_eq!(get_one(&tmp.path().join("nope")).unwrap(), None);
        let e = get_one(tmp.path()).unwrap_err();
        assert_eq!(
            e.to_string(),
            format!("read {}: is a directory", tmp.path().display())
        );
        let file = tmp.path().join("f");
        fs::write(&file, b"x").unwrap();
        let e = get_one(&file.join("sub")).unwrap_err();
        assert_eq!(
            e.to_string(),
            format!("open {}/sub: not a directory", file.display())
        );
        assert_eq!(get_one(&file).unwrap(), Some(b"x".to_vec()));
    }

    #[test]
    fn write_then_read_and_modes() {
        let tmp = tempfile::tempdir().unwrap();
        let repo = tmp.path().join("library/busybox");
        write_signatures(&repo, &digest(), &[b"a".to_vec(), b"b".to_vec()]).unwrap();
        assert_eq!(
            read_signatures(&repo, &digest()).unwrap(),
            vec![b"a".to_vec(), b"b".to_vec()]
        );
        let dir = image_dir(&repo, &digest());
        assert_eq!(
            dir.file_name().unwrap().to_str().unwrap(),
            format!("busybox@sha256={}", digest().hex())
        );
        let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&dir.join("signature-1")), 0o644);
        assert_eq!(mode(&dir), 0o755);
        assert_eq!(fs::read_dir(&dir).unwrap().count(), 2, "no temp files left");
    }

    #[test]
    fn mkdir_failure_names_the_component() {
        let tmp = tempfile::tempdir().unwrap();
        let file = tmp.path().join("file");
        fs::write(&file, b"").unwrap();
        let e = write_signatures(&file.join("repo"), &digest(), &[b"a".to_vec()]).unwrap_err();
        assert_eq!(
            e.to_string(),
            format!("mkdir {}: not a directory", file.display())
        );
    }
}
