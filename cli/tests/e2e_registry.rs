//! End to end, with the real tools: Debian's `docker-registry` and our signature server on 127.0.0.1,
//! images pushed and signed by `skopeo copy --sign-by` into a staging store, published with our upload
//! client (to the `/upload` JSON API and, Nexus style, by `PUT`), and then pulled by a real
//! `skopeo copy --policy … --registries.d …` through our server. `containers-policy eval docker://…`
//! must give the same verdict and the same message for every image.
//!
//! Needs `docker-registry`, `skopeo` and `gpg` (`scripts/setup` installs them); without them the test
//! says it skipped.

#![allow(clippy::unwrap_used)] // test helpers: a failed set-up step should stop the test loudly

mod common;

use std::{
    io::{BufRead, BufReader, Read, Write},
    net::{TcpListener, TcpStream},
    path::{Path, PathBuf},
    process::{Child, Command, Output, Stdio},
    time::{Duration, Instant},
};

use serde_json::json;
use sha2::{Digest as _, Sha256};

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_containers-policy"));
    c.env("TZ", "UTC");
    c
}

fn have(tool: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
}

/// A child process killed (and reaped) when dropped.
struct Guard(Child);

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Waits until `GET /v2/` on 127.0.0.1:`port` answers.
fn wait_http(port: u16) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) {
            let _ = s.write_all(b"GET /v2/ HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n");
            let mut buf = [0u8; 12];
            if s.read_exact(&mut buf).is_ok() && buf.starts_with(b"HTTP/1.") {
                return;
            }
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("nothing answered on 127.0.0.1:{port}");
}

fn start_registry(dir: &Path) -> (Guard, u16) {
    let port = free_port();
    let config = dir.join("registry.yml");
    std::fs::write(
        &config,
        format!(
            "version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: {}\n  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:{port}\n",
            dir.join("registry-storage").display()
        ),
    )
    .unwrap();
    let child = Command::new("docker-registry")
        .arg("serve")
        .arg(&config)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start docker-registry");
    let guard = Guard(child);
    wait_http(port);
    (guard, port)
}

/// Starts `containers-policy serve` and returns it with its base URL (read from its first output line).
fn start_server(root: &Path, auth_file: &Path, extra: &[&str]) -> (Guard, String) {
    std::fs::create_dir_all(root).unwrap();
    let mut child = bin()
        .args(["serve", "--listen", "127.0.0.1:0", "--root"])
        .arg(root)
        .arg("--auth-file")
        .arg(auth_file)
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start containers-policy serve");
    let stdout = child.stdout.take().unwrap();
    let guard = Guard(child);
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line).unwrap();
    let url = line
        .split_whitespace()
        .find(|w| w.starts_with("http://127.0.0.1:"))
        .unwrap_or_else(|| panic!("no URL in the server's first line: {line:?}"))
        .trim_end_matches('/')
        .to_owned();
    (guard, url)
}

fn sha256_hex(b: &[u8]) -> String {
    Sha256::digest(b)
        .iter()
        .map(|x| format!("{x:02x}"))
        .collect()
}

/// Writes a one-layer OCI image layout (tag `latest`) whose config carries `label`, so every image has its
/// own manifest digest. No network, no build tool.
fn write_oci_image(layout: &Path, label: &str) {
    let blobs = layout.join("blobs/sha256");
    std::fs::create_dir_all(&blobs).unwrap();
    let put = |data: &[u8]| {
        let hex = sha256_hex(data);
        std::fs::write(blobs.join(&hex), data).unwrap();
        (format!("sha256:{hex}"), data.len())
    };
    let layer = vec![0u8; 1024]; // an empty tar archive
    let (layer_digest, layer_size) = put(&layer);
    let config = serde_json::to_vec(&json!({
        "architecture": "amd64", "os": "linux",
        "config": {"Labels": {"e2e": label}},
        "rootfs": {"type": "layers", "diff_ids": [layer_digest]}
    }))
    .unwrap();
    let (config_digest, config_size) = put(&config);
    let manifest = serde_json::to_vec(&json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": config_digest, "size": config_size},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": layer_digest, "size": layer_size}]
    }))
    .unwrap();
    let (manifest_digest, manifest_size) = put(&manifest);
    std::fs::write(
        layout.join("index.json"),
        serde_json::to_vec(&json!({
            "schemaVersion": 2,
            "manifests": [{
                "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "digest": manifest_digest, "size": manifest_size,
                "annotations": {"org.opencontainers.image.ref.name": "latest"}
            }]
        }))
        .unwrap(),
    )
    .unwrap();
    std::fs::write(
        layout.join("oci-layout"),
        br#"{"imageLayoutVersion":"1.0.0"}"#,
    )
    .unwrap();
}

fn gpg(home: &Path, args: &[&str]) -> Output {
    let out = Command::new("gpg")
        .env("GNUPGHOME", home)
        .args(["--batch", "--pinentry-mode", "loopback", "--passphrase", ""])
        .args(args)
        .output()
        .expect("run gpg");
    assert!(
        out.status.success(),
        "gpg {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Kills the gpg-agent of a throwaway GNUPGHOME.
struct GpgHome(PathBuf);

impl Drop for GpgHome {
    fn drop(&mut self) {
        let _ = Command::new("gpgconf")
            .env("GNUPGHOME", &self.0)
            .args(["--kill", "all"])
            .output();
    }
}

fn skopeo(gnupg: &Path, args: &[&str]) -> Output {
    Command::new("skopeo")
        .env("GNUPGHOME", gnupg)
        .env("TZ", "UTC")
        .args(args)
        .output()
        .expect("run skopeo")
}

fn check(out: &Output, what: &str) {
    assert!(
        out.status.success(),
        "{what} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `skopeo copy` from our registry into a fresh `dir:` with the given policy and registries.d.
fn skopeo_pull(
    gnupg: &Path,
    policy: &Path,
    registries_d: &Path,
    image: &str,
    into: &Path,
) -> Output {
    skopeo(
        gnupg,
        &[
            "--policy",
            policy.to_str().unwrap(),
            "--registries.d",
            registries_d.to_str().unwrap(),
            "copy",
            "--src-tls-verify=false",
            image,
            &format!("dir:{}", into.display()),
        ],
    )
}

/// `containers-policy eval --tls-verify=false` of a registry image.
fn our_eval(policy: &Path, registries_d: &Path, image: &str, json: bool) -> Output {
    let mut c = bin();
    c.args(["eval", "--tls-verify=false", "--policy"])
        .arg(policy)
        .arg("--registries.d")
        .arg(registries_d)
        .arg(image);
    if json {
        c.arg("--json");
    }
    c.output().unwrap()
}

/// `containers-policy upload --staging STAGING [extra…]` with the upload token in the environment
/// (or none).
fn our_upload(staging: &Path, extra: &[&str], token: Option<&str>) -> Output {
    let mut c = bin();
    c.args(["upload", "--staging"]).arg(staging).args(extra);
    match token {
        Some(t) => c.env("CONTAINERS_POLICY_UPLOAD_TOKEN", t),
        None => c.env_remove("CONTAINERS_POLICY_UPLOAD_TOKEN"),
    };
    c.output().unwrap()
}

/// skopeo's refusal text: the `Source image rejected: …` message, unquoted from logrus' `msg="…"`.
fn skopeo_rejection(out: &Output) -> Option<String> {
    let stderr = String::from_utf8_lossy(&out.stderr);
    let start = stderr.find("msg=\"")? + 4;
    let rest = &stderr[start..];
    // The quoted value ends at the first unescaped quote.
    let mut end = 1;
    let bytes = rest.as_bytes();
    while end < bytes.len() && bytes[end] != b'"' {
        end += if bytes[end] == b'\\' { 2 } else { 1 };
    }
    let msg: String = serde_json::from_str(&rest[..=end]).ok()?;
    msg.strip_prefix("Source image rejected: ")
        .map(str::to_owned)
}

#[test]
fn skopeo_and_containers_policy_agree_through_our_signature_server() {
    for tool in ["docker-registry", "skopeo", "gpg"] {
        if !have(tool) {
            eprintln!("SKIPPED: {tool} is not installed (scripts/setup installs it)");
            return;
        }
    }
    let skopeo_version = String::from_utf8(
        Command::new("skopeo")
            .arg("--version")
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap()
    .trim()
    .to_owned();
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let (_registry, reg_port) = start_registry(t);
    let registry = format!("127.0.0.1:{reg_port}");

    // Throwaway signing keys.
    let gnupg = t.join("gnupg");
    std::fs::create_dir_all(&gnupg).unwrap();
    let _agent = GpgHome(gnupg.clone());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&gnupg, std::fs::Permissions::from_mode(0o700)).unwrap();
    }
    for who in ["good", "wrong"] {
        gpg(
            &gnupg,
            &[
                "--quick-gen-key",
                &format!("E2E {who} <{who}@e2e.test>"),
                "ed25519",
                "sign",
                "never",
            ],
        );
    }
    let good_pub = t.join("good.pub");
    let exported = gpg(&gnupg, &["--armor", "--export", "good@e2e.test"]);
    std::fs::write(&good_pub, &exported.stdout).unwrap();

    // Push: a permissive policy for reading the local layouts, and a staging store for signatures.
    let staging = t.join("staging");
    let push_d = t.join("push.d");
    std::fs::create_dir_all(&push_d).unwrap();
    std::fs::write(
        push_d.join("staging.yaml"),
        format!(
            "default-docker:\n  lookaside-staging: file://{}\n",
            staging.display()
        ),
    )
    .unwrap();
    let permissive = t.join("permissive.json");
    std::fs::write(
        &permissive,
        r#"{"default":[{"type":"insecureAcceptAnything"}]}"#,
    )
    .unwrap();
    let images = [
        ("signed", Some("good@e2e.test")),
        ("unsigned", None),
        ("wrongsig", Some("wrong@e2e.test")),
    ];
    for (name, signer) in images {
        let layout = t.join(format!("oci-{name}"));
        write_oci_image(&layout, name);
        let src = format!("oci:{}:latest", layout.display());
        let dst = format!("docker://{registry}/e2e/team/{name}:v1");
        let mut args = vec![
            "--policy",
            permissive.to_str().unwrap(),
            "--registries.d",
            push_d.to_str().unwrap(),
            "copy",
            "--dest-tls-verify=false",
        ];
        if let Some(s) = signer {
            args.extend(["--sign-by", s]);
        }
        args.extend([src.as_str(), dst.as_str()]);
        check(&skopeo(&gnupg, &args), &format!("skopeo copy {name}"));
    }
    // "moved": the signed image under another name, with the signed image's signature beside it.
    check(
        &skopeo(
            &gnupg,
            &[
                "--policy",
                permissive.to_str().unwrap(),
                "copy",
                "--src-tls-verify=false",
                "--dest-tls-verify=false",
                &format!("docker://{registry}/e2e/team/signed:v1"),
                &format!("docker://{registry}/e2e/team/moved:v1"),
            ],
        ),
        "skopeo copy moved",
    );
    let team = staging.join("e2e/team");
    let signed_dir = std::fs::read_dir(&team)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .find(|n| n.starts_with("signed@sha256="))
        .expect("skopeo wrote the signed image's signature into the staging store");
    let moved_dir = team.join(signed_dir.replacen("signed@", "moved@", 1));
    std::fs::create_dir_all(&moved_dir).unwrap();
    std::fs::copy(
        team.join(&signed_dir).join("signature-1"),
        moved_dir.join("signature-1"),
    )
    .unwrap();

    // Publish: our server, our upload client (JSON /upload API), credentials from a file and the environment.
    let token = "e2e-upload-token-7f3a";
    let auth_file = t.join("server-credentials");
    std::fs::write(
        &auth_file,
        format!("# upload credentials\nbearer {token}\n"),
    )
    .unwrap();
    let (_server, server_url) = start_server(&t.join("lookaside"), &auth_file, &[]);
    let upload_url = format!("{server_url}/upload");
    let upload = our_upload(&staging, &["--to", &upload_url], Some(token));
    check(&upload, "containers-policy upload");
    let uploaded = String::from_utf8_lossy(&upload.stdout);
    assert_eq!(uploaded.matches("uploaded ").count(), 3, "{uploaded}");
    // Uploading again publishes nothing new (the server keeps exactly one copy).
    let again = our_upload(&staging, &["--to", &upload_url], Some(token));
    check(&again, "second containers-policy upload");
    let again_out = String::from_utf8_lossy(&again.stdout);
    assert_eq!(
        again_out.matches("already present ").count(),
        3,
        "{again_out}"
    );
    let published: Vec<_> = walk(&t.join("lookaside"));
    assert_eq!(published.len(), 3, "published files: {published:?}");
    // Without credentials the server refuses, and says so.
    let anonymous = our_upload(&staging, &["--to", &upload_url], None);
    assert!(!anonymous.status.success());
    let refusal = String::from_utf8_lossy(&anonymous.stderr);
    assert!(refusal.contains("401"), "{refusal}");

    // Pull: signatures required for our registry, read through our server.
    let policy = t.join("policy.json");
    std::fs::write(
        &policy,
        serde_json::to_vec(&json!({
            "default": [{"type": "reject"}],
            "transports": {"docker": {registry.clone(): [
                {"type": "signedBy", "keyType": "GPGKeys", "keyPath": good_pub}
            ]}}
        }))
        .unwrap(),
    )
    .unwrap();
    let pull_d = t.join("pull.d");
    std::fs::create_dir_all(&pull_d).unwrap();
    std::fs::write(
        pull_d.join("lookaside.yaml"),
        format!("docker:\n  {registry}:\n    lookaside: {server_url}\n"),
    )
    .unwrap();

    let expectations = [
        ("signed", None),
        (
            "unsigned",
            Some("A signature was required, but no signature exists".to_owned()),
        ),
        (
            "wrongsig",
            Some("Invalid GPG signature: gpgme.Signature{".to_owned()),
        ),
        (
            "moved",
            Some(format!(
                "Signature for identity \"{registry}/e2e/team/signed:v1\" is not accepted"
            )),
        ),
    ];
    for (name, expected) in &expectations {
        let image = format!("docker://{registry}/e2e/team/{name}:v1");
        let theirs = skopeo_pull(
            &gnupg,
            &policy,
            &pull_d,
            &image,
            &t.join(format!("pulled-{name}")),
        );
        let ours = our_eval(&policy, &pull_d, &image, true);
        let ours_json: serde_json::Value =
            serde_json::from_slice(&ours.stdout).unwrap_or_else(|e| {
                panic!(
                    "eval {name}: not JSON ({e}): {}{}",
                    String::from_utf8_lossy(&ours.stdout),
                    String::from_utf8_lossy(&ours.stderr)
                )
            });
        match expected {
            None => {
                check(&theirs, &format!("skopeo pull of {name}"));
                assert_eq!(ours_json["allowed"], true, "{name}: {ours_json}");
                assert_eq!(ours.status.code(), Some(0));
            }
            Some(prefix) => {
                assert!(!theirs.status.success(), "skopeo accepted {name}");
                let theirs_msg = skopeo_rejection(&theirs).unwrap_or_else(|| {
                    panic!("{name}: {}", String::from_utf8_lossy(&theirs.stderr))
                });
                assert!(
                    theirs_msg.starts_with(&common::as_older_release(prefix, &skopeo_version)),
                    "{name}: skopeo said {theirs_msg:?}"
                );
                assert_eq!(ours_json["allowed"], false, "{name}: {ours_json}");
                let ours_msg = ours_json["error"].as_str().unwrap_or_default();
                assert_eq!(
                    common::as_older_release(ours_msg, &skopeo_version),
                    theirs_msg,
                    "{name}: our message differs from skopeo {skopeo_version}'s"
                );
                assert_eq!(ours.status.code(), Some(1));
            }
        }
    }

    // A Nexus RAW repository layout: PUT under /repository/sigstore, read from the same URL.
    let (_nexus, nexus_url) = start_server(
        &t.join("nexus"),
        &auth_file,
        &["--base-path", "/repository/sigstore"],
    );
    let nexus_base = format!("{nexus_url}/repository/sigstore");
    let staged_file = team.join(&signed_dir).join("signature-1");
    let put = our_upload(
        &staging,
        &[staged_file.to_str().unwrap(), "--nexus", &nexus_base],
        Some(token),
    );
    check(&put, "containers-policy upload --nexus");
    let nexus_d = t.join("nexus.d");
    std::fs::create_dir_all(&nexus_d).unwrap();
    std::fs::write(
        nexus_d.join("nexus.yaml"),
        format!("docker:\n  {registry}/e2e:\n    sigstore: {nexus_base}\n"),
    )
    .unwrap();
    let image = format!("docker://{registry}/e2e/team/signed:v1");
    check(
        &skopeo_pull(&gnupg, &policy, &nexus_d, &image, &t.join("pulled-nexus")),
        "skopeo pull through the Nexus-style store",
    );
    let ours = our_eval(&policy, &nexus_d, &image, false);
    check(
        &ours,
        "containers-policy eval through the Nexus-style store",
    );
    let explained = String::from_utf8_lossy(&ours.stdout);
    for line in [
        format!("Signatures read from: {nexus_base}/e2e/team/signed"),
        "Verdict:  ALLOWED".to_owned(),
        "signature 1: accepted".to_owned(),
    ] {
        assert!(
            explained.contains(&line),
            "missing {line:?} in:\n{explained}"
        );
    }
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}
