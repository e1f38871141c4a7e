//! The `file://` store on real directories: concurrent appends (threads and processes), replacement with
//! stale-index removal, leftovers of killed writers, and Go-style error texts.

#![allow(clippy::unwrap_used)]

use std::{
    collections::BTreeSet,
    fs,
    os::unix::fs::PermissionsExt as _,
    path::Path,
    sync::{Arc, Barrier},
};

use containers_policy::Digest;
use sigstore_lookaside::store::file;

fn digest() -> Digest {
    Digest::sha256_of(b"some manifest")
}

/// Names in the image folder, sorted.
fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    v.sort();
    v
}

#[test]
fn concurrent_appends_from_16_threads_lose_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = Arc::new(tmp.path().join("ns/repo"));
    let barrier = Arc::new(Barrier::new(16));
    let handles: Vec<_> = (0..16)
        .map(|i| {
            let (repo, barrier) = (Arc::clone(&repo), Arc::clone(&barrier));
            std::thread::spawn(move || {
                barrier.wait();
                file::append_signature(&repo, &digest(), format!("blob {i}").as_bytes()).unwrap()
            })
        })
        .collect();
    let indices: BTreeSet<usize> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    assert_eq!(indices, (1..=16).collect());
    let blobs: BTreeSet<Vec<u8>> = file::read_signatures(&repo, &digest())
        .unwrap()
        .into_iter()
        .collect();
    let expected: BTreeSet<Vec<u8>> = (0..16).map(|i| format!("blob {i}").into_bytes()).collect();
    assert_eq!(blobs, expected);
    let dir = file::image_dir(&repo, &digest());
    assert_eq!(
        names(&dir).len(),
        16,
        "no temporary files left: {:?}",
        names(&dir)
    );
}

const CHILD_ENV: &str = "SIGSTORE_LOOKASIDE_TEST_APPEND_CHILD";

/// Run by `concurrent_appends_from_processes` in child processes; a no-op otherwise.
#[test]
fn append_child_process() {
    let Some(repo) = std::env::var_os(CHILD_ENV) else {
        return;
    };
    let id = std::process::id();
    for i in 0..8 {
        file::append_signature(Path::new(&repo), &digest(), format!("{id}-{i}").as_bytes())
            .unwrap();
    }
}

#[test]
fn concurrent_appends_from_processes() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("repo");
    let exe = std::env::current_exe().unwrap();
    let children: Vec<_> = (0..4)
        .map(|_| {
            std::process::Command::new(&exe)
                .args(["--exact", "append_child_process", "--test-threads=1"])
                .env(CHILD_ENV, &repo)
                .stdout(std::process::Stdio::null())
                .spawn()
                .unwrap()
        })
        .collect();
    for mut c in children {
        assert!(c.wait().unwrap().success());
    }
    let blobs = file::read_signatures(&repo, &digest()).unwrap();
    assert_eq!(blobs.len(), 32);
    assert_eq!(
        blobs.iter().collect::<BTreeSet<_>>().len(),
        32,
        "all distinct"
    );
    assert_eq!(names(&file::image_dir(&repo, &digest())).len(), 32);
}

#[test]
fn write_signatures_replaces_and_removes_stale_indices() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("repo");
    let five: Vec<Vec<u8>> = (1..=5).map(|i| vec![i]).collect();
    file::write_signatures(&repo, &digest(), &five).unwrap();
    // A gap after 5: signature-7 is beyond the contiguous run and is left alone, as upstream does.
    let dir = file::image_dir(&repo, &digest());
    fs::write(dir.join("signature-7"), b"beyond").unwrap();
    file::write_signatures(&repo, &digest(), &[b"x".to_vec(), b"y".to_vec()]).unwrap();
    assert_eq!(
        file::read_signatures(&repo, &digest()).unwrap(),
        vec![b"x".to_vec(), b"y".to_vec()]
    );
    assert_eq!(names(&dir), ["signature-1", "signature-2", "signature-7"]);
    file::write_signatures(&repo, &digest(), &[]).unwrap();
    assert!(file::read_signatures(&repo, &digest()).unwrap().is_empty());
}

#[test]
fn leftover_temp_file_of_a_killed_writer_is_never_a_signature() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("repo");
    let dir = file::image_dir(&repo, &digest());
    fs::create_dir_all(&dir).unwrap();
    // What a writer killed between write and link leaves behind.
    fs::write(dir.join(".tmp-signature-AbC123"), b"half-writ").unwrap();
    assert!(file::read_signatures(&repo, &digest()).unwrap().is_empty());
    assert_eq!(
        file::append_signature(&repo, &digest(), b"whole").unwrap(),
        1
    );
    assert_eq!(
        file::read_signatures(&repo, &digest()).unwrap(),
        vec![b"whole".to_vec()]
    );
    assert_eq!(
        file::find_identical(&repo, &digest(), b"half-writ").unwrap(),
        None
    );
}

#[test]
fn append_never_overwrites_and_find_identical() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("repo");
    file::write_signatures(&repo, &digest(), &[b"one".to_vec(), b"two".to_vec()]).unwrap();
    assert_eq!(
        file::append_signature(&repo, &digest(), b"three").unwrap(),
        3
    );
    assert_eq!(
        file::find_identical(&repo, &digest(), b"two").unwrap(),
        Some(2)
    );
    assert_eq!(
        file::find_identical(&repo, &digest(), b"three").unwrap(),
        Some(3)
    );
    assert_eq!(
        file::find_identical(&repo, &digest(), b"four").unwrap(),
        None
    );
    assert_eq!(
        file::read_signatures(&repo, &digest()).unwrap(),
        vec![b"one".to_vec(), b"two".to_vec(), b"three".to_vec()]
    );
}

const UNPRIVILEGED_CHILD_ENV: &str = "SIGSTORE_LOOKASIDE_TEST_UNPRIVILEGED_CHILD";

#[test]
fn permission_denied_gives_go_texts() {
    let is_child = std::env::var_os(UNPRIVILEGED_CHILD_ENV).is_some();
    if sigstore_lookaside::Environment::from_process().uid == 0 {
        assert!(!is_child, "setpriv did not drop privileges");
        // Root ignores permissions: re-run this test as `nobody` if setpriv(1) is there.
        let exe = std::env::current_exe().unwrap();
        let status = std::process::Command::new("setpriv")
            .args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"])
            .arg(&exe)
            .args([
                "--exact",
                "permission_denied_gives_go_texts",
                "--test-threads=1",
            ])
            .env(UNPRIVILEGED_CHILD_ENV, "1")
            .env("TMPDIR", "/tmp")
            .status();
        match status {
            Ok(s) => assert!(s.success(), "unprivileged run failed: {s}"),
            Err(e) => eprintln!("SKIPPED: running as root and setpriv is unavailable: {e}"),
        }
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let locked = tmp.path().join("locked");
    fs::create_dir(&locked).unwrap();
    fs::set_permissions(&locked, fs::Permissions::from_mode(0o500)).unwrap();
    let e = file::append_signature(&locked.join("repo"), &digest(), b"x").unwrap_err();
    assert_eq!(
        e.to_string(),
        format!(
            "mkdir {}/repo@sha256={}: permission denied",
            locked.display(),
            digest().hex()
        )
    );
    let sig = tmp.path().join("sig");
    fs::write(&sig, b"x").unwrap();
    fs::set_permissions(&sig, fs::Permissions::from_mode(0o000)).unwrap();
    assert_eq!(
        file::get_one(&sig).unwrap_err().to_string(),
        format!("open {}: permission denied", sig.display())
    );
}
