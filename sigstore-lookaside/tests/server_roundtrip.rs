//! Round trips through a real signature server on 127.0.0.1: the JSON upload API and `PUT`, then `GET`;
//! idempotent re-uploads; the Nexus and signature-server clients; staging stores of any depth.

#![allow(clippy::unwrap_used)]

mod server_support;

use std::fs;

use reqwest::StatusCode;
use server_support::*;
use sigstore_lookaside::{
    HttpOptions, SignatureLocation,
    auth::Credential,
    store::file,
    upload::{UploadTarget, Uploader, locate_staged_file, staged_signatures},
};
use url::Url;

#[test]
fn json_upload_then_get_three_levels_and_deeper() {
    let f = Fixture::new(|c| c);
    let c = client();
    for (repo_name, name, repo) in [
        ("docker", "busybox", "docker/busybox"),
        ("", "alpine", "alpine"),
        ("team/sub/", "app", "team/sub/app"),
    ] {
        let reference = format!("reg.example/{repo}:1");
        let (digest, blob) = signature(1, &reference);
        let resp = c
            .post(f.url("/upload"))
            .header("Authorization", format!("Bearer {TOKEN}"))
            .body(upload_json(repo_name, &layer_id(name, &digest), &blob))
            .send()
            .unwrap();
        assert_eq!(resp.status(), StatusCode::CREATED);
        let rel = format!("{repo}@sha256={}/signature-1", digest.hex());
        assert_eq!(
            resp.headers()["location"].to_str().unwrap(),
            format!("/{rel}")
        );
        let body: serde_json::Value = resp.json_or_text();
        assert_eq!(
            body,
            serde_json::json!({"path": rel, "index": 1, "created": true})
        );
        // On disk, exactly the bytes.
        assert_eq!(fs::read(f.root().join(&rel)).unwrap(), blob);
        // Served back.
        let got = c.get(f.url(&format!("/{rel}"))).send().unwrap();
        assert_eq!(got.status(), StatusCode::OK);
        assert_eq!(
            got.headers()["content-type"].to_str().unwrap(),
            "application/octet-stream"
        );
        assert_eq!(got.bytes().unwrap().as_ref(), blob.as_slice());
    }
}

/// reqwest's blocking `json()` needs a feature we do not enable; parse by hand.
trait JsonOrText {
    fn json_or_text(self) -> serde_json::Value;
}

impl JsonOrText for reqwest::blocking::Response {
    fn json_or_text(self) -> serde_json::Value {
        let text = self.text().unwrap();
        serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON: {text}"))
    }
}

#[test]
fn put_then_get_head_and_missing_is_404() {
    let f = Fixture::new(|c| c);
    let c = client();
    let (digest, blob) = signature(2, "reg.example/a/b/c:1");
    let rel = format!("a/b/c@sha256={}/signature-1", digest.hex());
    let resp = c
        .put(f.url(&format!("/{rel}")))
        .header("Authorization", format!("Bearer {TOKEN}"))
        .body(blob.clone())
        .send()
        .unwrap();
    assert_eq!(resp.status(), StatusCode::CREATED);
    let got = c.get(f.url(&format!("/{rel}"))).send().unwrap();
    assert_eq!(got.bytes().unwrap().as_ref(), blob.as_slice());

    let head = c.head(f.url(&format!("/{rel}"))).send().unwrap();
    assert_eq!(head.status(), StatusCode::OK);
    assert_eq!(
        head.headers()["content-length"].to_str().unwrap(),
        blob.len().to_string()
    );

    let missing = c
        .get(f.url(&format!("/a/b/c@sha256={}/signature-2", digest.hex())))
        .send()
        .unwrap();
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    assert!(
        missing.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    // The image folder itself is not listed.
    let dir = c
        .get(f.url(&format!("/a/b/c@sha256={}", digest.hex())))
        .send()
        .unwrap();
    assert!(dir.status().is_client_error(), "{}", dir.status());
    let root = c.get(f.url("/")).send().unwrap();
    assert!(root.status().is_client_error(), "{}", root.status());
}

#[test]
fn put_to_an_occupied_index_stores_at_the_next_free_one_and_reuploads_are_idempotent() {
    let f = Fixture::new(|c| c);
    let c = client();
    let (digest, first) = signature(3, "reg.example/ns/img:1");
    // A second, different signature of the same manifest (different timestamp → different bytes? use
    // another key to be sure).
    let other = containers_policy::openpgp::generate_key("Other <o@example.invalid>").unwrap();
    let (digest2, second) = signature_with(&other, 3, "reg.example/ns/img:1");
    assert_eq!(digest, digest2);
    assert_ne!(first, second);
    let put = |blob: &[u8], index: usize| {
        c.put(f.url(&format!(
            "/ns/img@sha256={}/signature-{index}",
            digest.hex()
        )))
        .header("Authorization", format!("Bearer {TOKEN}"))
        .body(blob.to_vec())
        .send()
        .unwrap()
    };
    assert_eq!(put(&first, 1).status(), StatusCode::CREATED);
    // Same index, other bytes: not overwritten, stored as signature-2.
    let r = put(&second, 1);
    assert_eq!(r.status(), StatusCode::CREATED);
    assert_eq!(r.json_or_text()["index"], 2);
    // Identical re-upload (PUT and JSON): 200, nothing new.
    let r = put(&first, 3);
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(
        r.json_or_text(),
        serde_json::json!({"path": format!("ns/img@sha256={}/signature-1", digest.hex()), "index": 1, "created": false})
    );
    let r = c
        .post(f.url("/upload"))
        .header("Authorization", format!("Bearer {TOKEN}"))
        .body(upload_json("ns", &layer_id("img", &digest), &second))
        .send()
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.json_or_text()["index"], 2);
    let stored = file::read_signatures(&f.root().join("ns/img"), &digest).unwrap();
    assert_eq!(stored, vec![first, second]);
}

#[test]
fn nexus_client_against_a_nexus_style_base_path() {
    let f = Fixture::new(|c| c.with_base_path("/repository/sigstore"));
    let base = Url::parse(&f.url("/repository/sigstore")).unwrap();
    let up = Uploader::new(
        UploadTarget::Nexus {
            base_url: base.clone(),
        },
        Some(Credential::basic("alice", "pa:ss word").unwrap()),
        &HttpOptions::default(),
    )
    .unwrap();
    let (digest, a) = signature(4, "reg.example/x/y/z/w:1");
    let other = containers_policy::openpgp::generate_key("Other <o@example.invalid>").unwrap();
    let (_, b) = signature_with(&other, 4, "reg.example/x/y/z/w:1");

    let o1 = up.upload("x/y/z/w", &digest, &a).unwrap();
    assert_eq!((o1.index, o1.created), (Some(1), true));
    let expected_rel = format!("x/y/z/w@sha256={}/signature-1", digest.hex());
    assert_eq!(o1.path, expected_rel);
    assert_eq!(
        o1.url.as_ref().unwrap().as_str(),
        format!("{}/{expected_rel}", base.as_str())
    );
    let o2 = up.upload("x/y/z/w", &digest, &b).unwrap();
    assert_eq!((o2.index, o2.created), (Some(2), true));
    // Retrying finds the identical signature and writes nothing.
    let o3 = up.upload("x/y/z/w", &digest, &a).unwrap();
    assert_eq!((o3.index, o3.created), (Some(1), false));
    assert_eq!(
        file::read_signatures(&f.root().join("x/y/z/w"), &digest).unwrap(),
        vec![a.clone(), b]
    );
    // Outside the base path there is nothing.
    let r = client()
        .get(f.url(&format!("/{expected_rel}")))
        .send()
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    // A wrong password is reported with URL, status and the server's message.
    let bad = Uploader::new(
        UploadTarget::Nexus { base_url: base },
        Some(Credential::basic("alice", "nope").unwrap()),
        &HttpOptions::default(),
    )
    .unwrap();
    let (d5, s5) = signature(5, "reg.example/x:1");
    let e = bad.upload("x", &d5, &s5).unwrap_err().to_string();
    assert!(e.contains("401"), "{e}");
    assert!(e.contains("not accepted"), "{e}");
    assert!(e.contains(&f.url("/repository/sigstore/x@sha256=")), "{e}");
}

#[test]
fn signature_server_client_sends_old_style_repo_name_and_layer_id() {
    let f = Fixture::new(|c| c);
    let up = Uploader::new(
        UploadTarget::SignatureServer {
            upload_url: Url::parse(&f.url("/upload")).unwrap(),
        },
        Some(Credential::bearer(TOKEN).unwrap()),
        &HttpOptions::default(),
    )
    .unwrap();
    for repo in ["docker/busybox", "single", "a/b/c/d"] {
        let (digest, blob) = signature(6, &format!("reg.example/{repo}:1"));
        let o = up.upload(repo, &digest, &blob).unwrap();
        let rel = format!("{repo}@sha256={}/signature-1", digest.hex());
        assert_eq!(
            (o.path.as_str(), o.index, o.created),
            (rel.as_str(), Some(1), true)
        );
        assert_eq!(o.url.unwrap().as_str(), f.url(&format!("/{rel}")));
        assert_eq!(fs::read(f.root().join(&rel)).unwrap(), blob);
        let again = up.upload(repo, &digest, &blob).unwrap();
        assert_eq!((again.index, again.created), (Some(1), false));
    }
    // Server refusals come back as Error::Upload with status and message.
    let (digest, _) = signature(7, "reg.example/x:1");
    let e = up.upload("x", &digest, b"not a signature").unwrap_err();
    assert_eq!(e.kind(), sigstore_lookaside::ErrorKind::Upload);
    let e = e.to_string();
    assert!(e.contains("422"), "{e}");
    assert!(e.contains("not a signature"), "{e}");
}

#[test]
fn staging_tree_of_any_depth_is_listed_and_uploaded() {
    let staging = tempfile::tempdir().unwrap();
    let mut expected = Vec::new();
    for (n, repo) in ["docker/busybox", "a", "x/y/z/deep"]
        .into_iter()
        .enumerate()
    {
        let (digest, blob) = signature(10 + n, &format!("reg.example/{repo}:1"));
        let other = containers_policy::openpgp::generate_key("O <o@example.invalid>").unwrap();
        let (_, blob2) = signature_with(&other, 10 + n, &format!("reg.example/{repo}:1"));
        file::write_signatures(
            &staging.path().join(repo),
            &digest,
            &[blob.clone(), blob2.clone()],
        )
        .unwrap();
        expected.push((repo.to_owned(), digest.clone(), 1, blob));
        expected.push((repo.to_owned(), digest, 2, blob2));
    }
    // A leftover temporary file of a killed writer is skipped.
    assert_eq!(expected[2].0, "a");
    let some_image = staging
        .path()
        .join(format!("a@sha256={}", expected[2].1.hex()));
    fs::write(some_image.join(".tmp-signature-leftover"), b"partial").unwrap();

    let listed = staged_signatures(staging.path()).unwrap();
    let mut want: Vec<_> = expected
        .iter()
        .map(|(r, d, i, _)| SignatureLocation::new(r, d.clone(), *i).unwrap())
        .collect();
    want.sort_by(|a, b| {
        (a.repository.as_str(), a.digest.as_str(), a.index).cmp(&(
            b.repository.as_str(),
            b.digest.as_str(),
            b.index,
        ))
    });
    let got: Vec<_> = listed.iter().map(|(l, _)| l.clone()).collect();
    assert_eq!(got, want);
    for (loc, path) in &listed {
        assert_eq!(&locate_staged_file(staging.path(), path).unwrap(), loc);
    }

    let f = Fixture::new(|c| c);
    let up = Uploader::new(
        UploadTarget::SignatureServer {
            upload_url: Url::parse(&f.url("/upload")).unwrap(),
        },
        Some(Credential::bearer(TOKEN).unwrap()),
        &HttpOptions::default(),
    )
    .unwrap();
    let outcomes = up.upload_staging(staging.path()).unwrap();
    assert_eq!(outcomes.len(), 6);
    assert!(outcomes.iter().all(|o| o.created));
    for (repo, digest, index, blob) in &expected {
        let rel = format!("{repo}@sha256={}/signature-{index}", digest.hex());
        assert_eq!(&fs::read(f.root().join(rel)).unwrap(), blob);
    }
}

#[test]
fn staging_walk_refuses_what_does_not_parse() {
    let (digest, blob) = signature(20, "reg.example/ns/img:1");
    type Make = Box<dyn Fn(&std::path::Path)>;
    let cases: Vec<(&str, Make)> = vec![
        (
            "README",
            Box::new(|root| fs::write(root.join("README"), b"x").unwrap()),
        ),
        (
            "UPPER",
            Box::new(|root| {
                let d = root.join(format!("ns/UPPER@sha256={}", "a".repeat(64)));
                fs::create_dir_all(&d).unwrap();
                fs::write(d.join("signature-1"), b"x").unwrap();
            }),
        ),
        (
            "signature-01",
            Box::new(|root| {
                let d = root.join(format!("ns/img@sha256={}", "b".repeat(64)));
                fs::create_dir_all(&d).unwrap();
                fs::write(d.join("signature-01"), b"x").unwrap();
            }),
        ),
        (
            "link",
            Box::new(|root| {
                std::os::unix::fs::symlink("/etc", root.join("ns/link")).unwrap();
            }),
        ),
    ];
    for (needle, make) in cases {
        let staging = tempfile::tempdir().unwrap();
        file::write_signatures(
            &staging.path().join("ns/img"),
            &digest,
            std::slice::from_ref(&blob),
        )
        .unwrap();
        make(staging.path());
        let e = staged_signatures(staging.path()).unwrap_err().to_string();
        assert!(e.contains(needle), "{needle}: {e}");
        assert!(e.contains(&staging.path().display().to_string()), "{e}");
    }
    let outside = tempfile::tempdir().unwrap();
    let staging = tempfile::tempdir().unwrap();
    let stray = outside.path().join("signature-1");
    fs::write(&stray, b"x").unwrap();
    let e = locate_staged_file(staging.path(), &stray)
        .unwrap_err()
        .to_string();
    assert!(e.contains("not inside the staging store"), "{e}");
}

#[test]
fn wait_returns_after_a_shutdown_from_another_thread_and_the_port_closes() {
    let tmp = tempfile::tempdir().unwrap();
    let server = sigstore_lookaside::server::start(
        sigstore_lookaside::server::ServerConfig::new(tmp.path()),
        "127.0.0.1:0".parse().unwrap(),
    )
    .unwrap();
    let addr = server.local_addr();
    assert_eq!(raw(addr, "GET", "/x", &[], b"").status, 400);
    let handle = server.shutdown_handle();
    let waiter = std::thread::spawn(move || server.wait());
    handle.shutdown();
    waiter.join().unwrap().unwrap();
    assert!(std::net::TcpStream::connect(addr).is_err());

    // shutdown() and Drop close the port too.
    let server = sigstore_lookaside::server::start(
        sigstore_lookaside::server::ServerConfig::new(tmp.path()),
        "127.0.0.1:0".parse().unwrap(),
    )
    .unwrap();
    let addr = server.local_addr();
    server.shutdown().unwrap();
    assert!(std::net::TcpStream::connect(addr).is_err());
    let server = sigstore_lookaside::server::start(
        sigstore_lookaside::server::ServerConfig::new(tmp.path()),
        "127.0.0.1:0".parse().unwrap(),
    )
    .unwrap();
    let addr = server.local_addr();
    drop(server);
    assert!(std::net::TcpStream::connect(addr).is_err());
}
