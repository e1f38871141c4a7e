//! What a real server refuses: path traversal in every field, bodies over the limit, bad base64, blobs
//! that are not signatures or are for another digest, signatures failing verification, symbolic links
//! leading out of the root. Nothing may be written outside (or, here, inside) the root.

#![allow(clippy::unwrap_used)]

mod server_support;

use std::fs;

use server_support::*;
use sigstore_lookaside::server::{self, ServerConfig};

#[test]
fn traversal_in_put_and_get_paths_is_refused() {
    let f = Fixture::new(|c| c);
    let (digest, blob) = signature(1, "reg.example/ns/img:1");
    let h = digest.hex().to_owned();
    let bearer = bearer();
    let auth = [(bearer.0, bearer.1.as_str())];
    let paths = [
        format!("/../outside@sha256={h}/signature-1"),
        format!("/ns/../../outside@sha256={h}/signature-1"),
        format!("/%2e%2e/outside@sha256={h}/signature-1"),
        format!("/%2E%2E/%2e%2e/outside@sha256={h}/signature-1"),
        format!("/ns%2f..%2f..%2foutside@sha256={h}/signature-1"),
        format!("/ns%2F..%2F..%2Foutside@sha256={h}/signature-1"),
        format!("//tmp/outside@sha256={h}/signature-1"),
        format!("/ns\\..\\..\\outside@sha256={h}/signature-1"),
        format!("/ns%5c..%5coutside@sha256={h}/signature-1"),
        format!("/ns/img@sha256={h}/../../../outside/signature-1"),
        format!("/ns/img@sha256={h}/signature-1/../../x"),
        format!("/ns/./img@sha256={h}/signature-1"),
        format!("/ns/img@sha256={h}/%2e%2e"),
        format!("/ns/img@sha256=../../{h}/signature-1"),
        format!("/ns/img@sha256={h}/signature-0"),
        "/etc/passwd".to_owned(),
    ];
    for p in &paths {
        let r = raw(f.addr(), "PUT", p, &auth, &blob);
        assert_eq!(r.status, 400, "PUT {p}: {} {}", r.head, r.body_text());
        let r = raw(f.addr(), "GET", p, &[], b"");
        assert!(
            r.status == 400 || r.status == 404,
            "GET {p}: {} {}",
            r.head,
            r.body_text()
        );
    }
    let r = raw(
        f.addr(),
        "PUT",
        &format!("/ns%2f..%2foutside@sha256={h}/signature-1"),
        &auth,
        &blob,
    );
    assert!(
        r.body_text().contains("encoded slashes"),
        "{}",
        r.body_text()
    );
    assert_eq!(f.tree(), vec!["root".to_owned()]);
}

#[test]
fn traversal_in_repo_name_and_layer_id_is_refused_naming_the_field() {
    let f = Fixture::new(|c| c);
    let (digest, blob) = signature(1, "reg.example/ns/img:1");
    let good_layer = layer_id("img", &digest);
    let h = digest.hex();
    let cases = [
        ("..", good_layer.clone(), "repoName"),
        ("../..", good_layer.clone(), "repoName"),
        ("ns/../..", good_layer.clone(), "repoName"),
        ("/tmp", good_layer.clone(), "repoName"),
        ("ns\\..", good_layer.clone(), "repoName"),
        ("%2e%2e", good_layer.clone(), "repoName"),
        ("ns//x", good_layer.clone(), "repoName"),
        ("NS", good_layer.clone(), "repoName"),
        ("ns", format!("../img@sha256={h}"), "layerId"),
        ("ns", format!("img@sha256={h}/../.."), "layerId"),
        ("ns", format!("x/../../img@sha256={h}"), "layerId"),
        ("ns", format!("/img@sha256={h}"), "layerId"),
        ("ns", "img@sha256=../../etc".to_owned(), "layerId"),
        ("ns", format!("img@sha256:{h}"), "layerId"),
        ("ns", format!("img%2f..@sha256={h}"), "layerId"),
        ("ns", format!("@sha256={h}"), "layerId"),
        ("ns", "img".to_owned(), "layerId"),
    ];
    let (k, v) = bearer();
    for (repo_name, layer, field) in cases {
        let r = raw(
            f.addr(),
            "POST",
            "/upload",
            &[(k, &v), ("Content-Type", "application/json")],
            upload_json(repo_name, &layer, &blob).as_bytes(),
        );
        assert_eq!(r.status, 400, "{repo_name:?} {layer:?}: {}", r.body_text());
        let msg: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
        let msg = msg["error"].as_str().unwrap();
        assert!(msg.contains(field), "{repo_name:?} {layer:?}: {msg}");
    }
    assert_eq!(f.tree(), vec!["root".to_owned()]);
}

#[test]
fn symbolic_links_out_of_the_root_are_not_followed() {
    let f = Fixture::new(|c| c);
    let (digest, blob) = signature(1, "reg.example/ns/img:1");
    let outside = f.tmp.path().join("outside");
    let image = outside.join(format!("img@sha256={}", digest.hex()));
    fs::create_dir_all(&image).unwrap();
    fs::write(image.join("signature-1"), b"secret outside the root").unwrap();
    std::os::unix::fs::symlink(&outside, f.root().join("ns")).unwrap();

    let rel = format!("/ns/img@sha256={}/signature-1", digest.hex());
    let r = raw(f.addr(), "GET", &rel, &[], b"");
    assert_eq!(r.status, 404, "{}", r.body_text());
    assert!(!r.body_text().contains("secret"));

    let (k, v) = bearer();
    let r = raw(f.addr(), "PUT", &rel, &[(k, &v)], &blob);
    assert_eq!(r.status, 403, "{}", r.body_text());
    assert!(r.body_text().contains("outside the signature store"));
    let mut names: Vec<_> = fs::read_dir(&image)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(names, vec!["signature-1".to_owned()]);

    // A link inside the root to inside the root is fine.
    let (d2, b2) = signature(2, "reg.example/inner/img:1");
    fs::create_dir_all(f.root().join("real")).unwrap();
    std::os::unix::fs::symlink(f.root().join("real"), f.root().join("inner")).unwrap();
    let rel2 = format!("/inner/img@sha256={}/signature-1", d2.hex());
    assert_eq!(raw(f.addr(), "PUT", &rel2, &[(k, &v)], &b2).status, 201);
    assert_eq!(raw(f.addr(), "GET", &rel2, &[], b"").body, b2);
}

#[test]
fn bodies_over_the_limit_get_413() {
    let f = Fixture::new(|c| c.with_max_body(1000));
    let (digest, _) = signature(1, "reg.example/ns/img:1");
    let big = vec![0xA3u8; 2000];
    let (k, v) = bearer();
    let rel = format!("/ns/img@sha256={}/signature-1", digest.hex());
    let r = raw(f.addr(), "PUT", &rel, &[(k, &v)], &big);
    assert_eq!(r.status, 413);
    assert!(r.body_text().contains("1000 bytes"), "{}", r.body_text());
    // Without Content-Length (chunked), the limit still holds.
    let resp = client()
        .put(f.url(&rel))
        .header(k, v.as_str())
        .body(reqwest::blocking::Body::new(std::io::Cursor::new(
            big.clone(),
        )))
        .send()
        .unwrap();
    assert_eq!(resp.status(), reqwest::StatusCode::PAYLOAD_TOO_LARGE);
    let r = raw(
        f.addr(),
        "POST",
        "/upload",
        &[(k, &v)],
        upload_json("ns", &layer_id("img", &digest), &big).as_bytes(),
    );
    assert_eq!(r.status, 413);
    assert_eq!(f.tree(), vec!["root".to_owned()]);
}

#[test]
fn malformed_requests_get_400_naming_the_problem() {
    let f = Fixture::new(|c| c);
    let (digest, blob) = signature(1, "reg.example/ns/img:1");
    let (k, v) = bearer();
    let post = |body: String| {
        let r = raw(f.addr(), "POST", "/upload", &[(k, &v)], body.as_bytes());
        let msg: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
        (r.status, msg["error"].as_str().unwrap().to_owned())
    };
    let layer = b64(layer_id("img", &digest).as_bytes());
    for (field, body) in [
        (
            "signatureData",
            serde_json::json!({"repoName": b64(b"ns"), "layerId": layer, "signatureData": "!!not base64!!"}),
        ),
        (
            "repoName",
            serde_json::json!({"repoName": "n s", "layerId": layer, "signatureData": b64(&blob)}),
        ),
        (
            "layerId",
            serde_json::json!({"repoName": b64(b"ns"), "layerId": "***", "signatureData": b64(&blob)}),
        ),
    ] {
        let (status, msg) = post(body.to_string());
        assert_eq!(status, 400, "{msg}");
        assert!(msg.contains(field), "{msg}");
        assert!(msg.contains("base64"), "{msg}");
    }
    let (status, msg) = post(
        serde_json::json!({"repoName": b64(b"ns"), "layerId": layer, "signatureData": b64(&blob), "extra": 1})
            .to_string(),
    );
    assert_eq!(status, 400);
    assert!(msg.contains("unknown field `extra`"), "{msg}");
    let (status, msg) =
        post(serde_json::json!({"repoName": b64(b"ns"), "layerId": layer}).to_string());
    assert_eq!(status, 400);
    assert!(msg.contains("signatureData"), "{msg}");
    let (status, _) = post("not json".into());
    assert_eq!(status, 400);
    let r = raw(f.addr(), "DELETE", "/upload", &[], b"");
    assert_eq!(r.status, 405);
    assert_eq!(f.tree(), vec!["root".to_owned()]);
}

#[test]
fn blobs_that_are_not_signatures_of_this_digest_get_422() {
    let f = Fixture::new(|c| c);
    let (digest, _) = signature(1, "reg.example/ns/img:1");
    let (other_digest, other_blob) = signature(2, "reg.example/ns/img:1");
    assert_ne!(digest, other_digest);
    let (k, v) = bearer();
    let put = |blob: &[u8]| {
        let r = raw(
            f.addr(),
            "PUT",
            &format!("/ns/img@sha256={}/signature-1", digest.hex()),
            &[(k, &v)],
            blob,
        );
        let msg: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
        (r.status, msg["error"].as_str().unwrap().to_owned())
    };
    let (status, msg) = put(&other_blob);
    assert_eq!(status, 422);
    assert!(
        msg.contains(other_digest.as_str()) && msg.contains(digest.as_str()),
        "{msg}"
    );
    let (status, msg) = put(b"-----BEGIN PGP MESSAGE-----\n");
    assert_eq!(status, 422);
    assert!(
        msg.contains("not a signature") && msg.contains("unrecognized signature format"),
        "{msg}"
    );
    let (status, msg) = put(&[0xA3, 0x01, 0x02, 0x03]);
    assert_eq!(status, 422, "{msg}");
    let (status, msg) = put(b"");
    assert_eq!(status, 422);
    assert!(msg.contains("empty signature blob"), "{msg}");
    // The JSON API applies the same check.
    let r = raw(
        f.addr(),
        "POST",
        "/upload",
        &[(k, &v)],
        upload_json("ns", &layer_id("img", &digest), &other_blob).as_bytes(),
    );
    assert_eq!(r.status, 422);
    assert_eq!(f.tree(), vec!["root".to_owned()]);
}

#[test]
fn with_verification_only_signatures_by_the_configured_keys_are_stored() {
    let dir = tempfile::tempdir().unwrap();
    let key_file = dir.path().join("key.asc");
    fs::write(&key_file, &key().public_armored).unwrap();
    let garbage = dir.path().join("garbage.asc");
    fs::write(&garbage, b"not a key").unwrap();
    let e = ServerConfig::new(dir.path())
        .with_verify_key_files([&garbage])
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("garbage.asc") && e.contains("no usable OpenPGP public key"),
        "{e}"
    );

    let f = Fixture::new(|c| c.with_verify_key_files([&key_file]).unwrap());
    let other = containers_policy::openpgp::generate_key("Other <o@example.invalid>").unwrap();
    let (digest, by_other) = signature_with(&other, 1, "reg.example/ns/img:1");
    let (_, by_key) = signature(1, "reg.example/ns/img:1");
    let (k, v) = bearer();
    let rel = format!("/ns/img@sha256={}/signature-1", digest.hex());
    let r = raw(f.addr(), "PUT", &rel, &[(k, &v)], &by_other);
    assert_eq!(r.status, 422);
    let msg = r.body_text();
    assert!(
        msg.contains("does not verify") && msg.contains("Invalid GPG signature"),
        "{msg}"
    );
    assert_eq!(f.tree(), vec!["root".to_owned()]);
    assert_eq!(raw(f.addr(), "PUT", &rel, &[(k, &v)], &by_key).status, 201);
}

#[test]
fn invalid_configuration_is_refused_at_start() {
    let dir = tempfile::tempdir().unwrap();
    for base in ["relative", "/a//b", "/a%2f"] {
        let cfg = ServerConfig::new(dir.path()).with_base_path(base);
        let e = server::start(cfg, "127.0.0.1:0".parse().unwrap())
            .unwrap_err()
            .to_string();
        assert!(e.contains("base path"), "{e}");
    }
}

#[test]
fn an_image_with_127_signatures_takes_no_more() {
    let f = Fixture::new(|c| c);
    let (digest, blob) = signature(1, "reg.example/ns/img:1");
    let image = f.root().join(format!("ns/img@sha256={}", digest.hex()));
    fs::create_dir_all(&image).unwrap();
    for i in 1..=127 {
        fs::write(
            image.join(format!("signature-{i}")),
            format!("placeholder {i}"),
        )
        .unwrap();
    }
    let (k, v) = bearer();
    let r = raw(
        f.addr(),
        "PUT",
        &format!("/ns/img@sha256={}/signature-128", digest.hex()),
        &[(k, &v)],
        &blob,
    );
    assert_eq!(r.status, 409, "{}", r.body_text());
    assert!(
        r.body_text().contains("127 signatures"),
        "{}",
        r.body_text()
    );
    assert!(!image.join("signature-128").exists());
}
