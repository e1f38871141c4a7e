//! Trust administration, run as an administrator would: `trust set` / `trust show` (against the real
//! `podman image trust`), `lint`, `explain` (against the real `skopeo copy` verdicts), and
//! `machineconfig` (parsed back and decoded).
//!
//! The podman and skopeo comparisons need those tools (`scripts/setup` installs them); without them those
//! tests say they skipped.

#![allow(clippy::unwrap_used)] // test helpers: a failed set-up step should stop the test loudly

mod common;

use std::{
    path::{Path, PathBuf},
    process::{Command, Output},
};

use base64::Engine as _;

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_containers-policy"));
    c.env("TZ", "UTC");
    c
}

fn run(args: &[&str]) -> Output {
    bin().args(args).output().expect("run containers-policy")
}

fn have(tool: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
}

fn text(o: &Output) -> String {
    format!(
        "status {:?}\nstdout:\n{}\nstderr:\n{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// A throwaway OpenPGP key: (public key file, secret key file, fingerprint).
fn gpg_key(dir: &Path, name: &str) -> (PathBuf, PathBuf, String) {
    let key =
        containers_policy::openpgp::generate_key(&format!("{name} <{name}@example.com>")).unwrap();
    let public = dir.join(format!("{name}.asc"));
    let secret = dir.join(format!("{name}-secret.asc"));
    std::fs::write(&public, &key.public_armored).unwrap();
    std::fs::write(&secret, &key.secret_armored).unwrap();
    (public, secret, key.signing_key.fingerprint().to_owned())
}

/// The containers-common default policy, as shipped.
const SHIPPED_POLICY: &str = r#"{
    "default": [
        {
            "type": "insecureAcceptAnything"
        }
    ],
    "transports":
        {
            "docker-daemon":
                {
                    "": [{"type":"insecureAcceptAnything"}]
                }
        }
}
"#;

fn podman_set(policy: &Path, args: &[&str]) -> Output {
    Command::new("podman")
        .args(["image", "trust", "set", "--policypath", s(policy)])
        .args(args)
        .output()
        .unwrap()
}

fn ours_set(policy: &Path, args: &[&str]) -> Output {
    bin()
        .args(["trust", "set", "--policy", s(policy)])
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn trust_set_writes_what_podman_writes() {
    if !have("podman") {
        eprintln!("skipped: podman not installed");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let (k1, _, _) = gpg_key(tmp.path(), "k1");
    let (k2, _, _) = gpg_key(tmp.path(), "k2");
    let ours = tmp.path().join("ours.json");
    let theirs = tmp.path().join("podman.json");
    std::fs::write(&ours, SHIPPED_POLICY).unwrap();
    std::fs::write(&theirs, SHIPPED_POLICY).unwrap();
    let mut steps: Vec<Vec<String>> = vec![
        // The cases podman-image-trust(1) documents, then replacements of existing scopes.
        vec!["-t", "reject", "default"],
        vec!["-f", s(&k1), "-t", "signedBy", "docker.io"],
        vec!["-f", s(&k1), "-f", s(&k2), "registry.example.com/team"],
        vec!["-t", "accept", "docker.io/library"],
        vec!["-t", "insecureAcceptAnything", "localhost:5000"],
        vec!["-t", "reject", "docker.io"],
        vec!["-f", s(&k2), "registry.example.com/team"],
    ]
    .into_iter()
    .map(|v| v.into_iter().map(str::to_owned).collect())
    .collect();
    if have("openssl") {
        let pem = tmp.path().join("cosign.pub");
        let o = Command::new("sh")
            .args([
                "-c",
                &format!(
                    "openssl ecparam -genkey -name prime256v1 | openssl ec -pubout -out {}",
                    s(&pem)
                ),
            ])
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", text(&o));
        steps.push(
            ["-t", "sigstoreSigned", "-f", s(&pem), "quay.io/acme"]
                .map(str::to_owned)
                .to_vec(),
        );
    }
    for step in &steps {
        let args: Vec<&str> = step.iter().map(String::as_str).collect();
        let p = podman_set(&theirs, &args);
        assert!(p.status.success(), "podman {args:?}: {}", text(&p));
        let o = ours_set(&ours, &args);
        assert!(o.status.success(), "ours {args:?}: {}", text(&o));
        assert_eq!(
            std::fs::read_to_string(&ours).unwrap(),
            std::fs::read_to_string(&theirs).unwrap(),
            "after {args:?}"
        );
        let c = run(&["check", s(&ours)]);
        assert!(c.status.success(), "{}", text(&c));
    }

    // A new file: only `default` can come first, in both.
    let new_ours = tmp.path().join("new-ours.json");
    let new_theirs = tmp.path().join("new-podman.json");
    for args in [["-t", "accept", "quay.io"], ["-t", "accept", "default"]] {
        let p = podman_set(&new_theirs, &args);
        let o = ours_set(&new_ours, &args);
        assert_eq!(p.status.success(), o.status.success(), "{}", text(&o));
    }
    assert_eq!(
        std::fs::read(&new_ours).unwrap(),
        std::fs::read(&new_theirs).unwrap()
    );
}

#[test]
fn trust_set_then_show_then_check() {
    let tmp = tempfile::tempdir().unwrap();
    let (k1, _, _) = gpg_key(tmp.path(), "alice");
    let policy = tmp.path().join("policy.json");
    let rd = tmp.path().join("registries.d");
    std::fs::create_dir(&rd).unwrap();
    std::fs::write(
        rd.join("example.yaml"),
        "docker:\n  registry.example.com:\n    lookaside: https://sigs.example.com\ndefault-docker:\n  sigstore: file:///var/lib/containers/sigstore\n",
    )
    .unwrap();
    for args in [
        vec!["-t", "reject", "default"],
        vec![
            "-f",
            s(&k1),
            "--signed-identity",
            "matchRepository",
            "registry.example.com/team",
        ],
        vec!["-t", "accept", "*.internal.example.com"],
    ] {
        let o = ours_set(&policy, &args);
        assert!(o.status.success(), "{args:?}: {}", text(&o));
    }
    let c = run(&["check", s(&policy)]);
    assert!(c.status.success(), "{}", text(&c));
    // A rewrite keeps the file's permissions (it replaces the file by rename).
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::set_permissions(&policy, std::fs::Permissions::from_mode(0o640)).unwrap();
    let o = ours_set(&policy, &["-t", "accept", "*.internal.example.com"]);
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(
        std::fs::metadata(&policy).unwrap().permissions().mode() & 0o777,
        0o640
    );
    let o = run(&[
        "trust",
        "show",
        "--policy",
        s(&policy),
        "--registries.d",
        s(&rd),
        "--json",
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let rows: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(
        rows,
        serde_json::json!([
            {"transport": "all", "name": "* (default)", "repo_name": "default",
             "sigstore": "file:///var/lib/containers/sigstore", "type": "reject"},
            {"transport": "repository", "name": "*.internal.example.com",
             "repo_name": "*.internal.example.com",
             "sigstore": "file:///var/lib/containers/sigstore", "type": "accept"},
            {"transport": "repository", "name": "registry.example.com/team",
             "repo_name": "registry.example.com/team", "keys": [s(&k1)],
             "sigstore": "https://sigs.example.com", "type": "signed",
             "gpg_id": "alice@example.com"},
        ])
    );
    let written: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&policy).unwrap()).unwrap();
    assert_eq!(
        written["transports"]["docker"]["registry.example.com/team"][0]["signedIdentity"],
        serde_json::json!({"type": "matchRepository"})
    );
    let table = run(&[
        "trust",
        "show",
        "--policy",
        s(&policy),
        "--registries.d",
        s(&rd),
    ]);
    let table = String::from_utf8(table.stdout).unwrap();
    let lines: Vec<&str> = table.lines().collect();
    assert!(
        lines[0].starts_with("TRANSPORT   NAME") && lines[0].ends_with("KEYS"),
        "{table}"
    );
    assert!(
        lines[3].contains("alice@example.com") && lines[3].ends_with(s(&k1)),
        "{table}"
    );

    if have("podman") {
        // podman shows the same rows (it finds no key identities without `gpg2`, and has no keys).
        let p = Command::new("podman")
            .args(["image", "trust", "show", "-j", "--policypath", s(&policy)])
            .args(["--registrypath", s(&rd)])
            .output()
            .unwrap();
        assert!(p.status.success(), "{}", text(&p));
        let mut theirs: serde_json::Value = serde_json::from_slice(&p.stdout).unwrap();
        let mut ours = rows;
        for v in [&mut theirs, &mut ours] {
            for row in v.as_array_mut().unwrap() {
                let row = row.as_object_mut().unwrap();
                row.remove("keys");
                row.remove("gpg_id");
            }
        }
        assert_eq!(ours, theirs);
    }
}

#[test]
fn trust_set_refuses_what_it_cannot_keep_or_use() {
    let tmp = tempfile::tempdir().unwrap();
    let policy = tmp.path().join("policy.json");
    let original = r#"{"default":[{"type":"reject"}],"transports":{"docker":{"a.io":[{"type":"reject","note":"x"}]}}}"#;
    std::fs::write(&policy, original).unwrap();
    let o = ours_set(&policy, &["-t", "accept", "b.io"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains(r#"Unknown key "note""#),
        "{}",
        text(&o)
    );
    assert_eq!(std::fs::read_to_string(&policy).unwrap(), original);

    std::fs::write(&policy, r#"{"default":[{"type":"reject"}]}"#).unwrap();
    gpg_key(tmp.path(), "ops");
    let junk = tmp.path().join("junk.asc");
    std::fs::write(&junk, "not a key").unwrap();
    for (args, message) in [
        (
            vec!["-f", s(&junk), "a.io"],
            "holds no OpenPGP public key".to_owned(),
        ),
        (
            vec!["-f", "/nonexistent/key.asc", "a.io"],
            "open /nonexistent/key.asc: no such file or directory".to_owned(),
        ),
        (
            vec!["-t", "accept", "-f", s(&junk), "a.io"],
            "1 public keys unexpectedly provided for trust type accept".to_owned(),
        ),
        (
            vec!["-t", "signedBy", "a.io"],
            "at least one public key must be defined for type 'signedBy'".to_owned(),
        ),
        (
            vec!["-t", "bogus", "a.io"],
            "invalid choice: bogus (choose from 'accept', 'reject', 'signedBy', 'sigstoreSigned')"
                .to_owned(),
        ),
        (
            vec!["-t", "sigstoreSigned", "-f", s(&junk), "a.io"],
            "holds no PEM public key".to_owned(),
        ),
        (
            vec!["-f", s(&tmp.path().join("ops-secret.asc")), "a.io"],
            "holds a secret key".to_owned(),
        ),
        (
            vec!["-t", "accept", "Not Valid"],
            "invalid image uri: Not Valid".to_owned(),
        ),
    ] {
        let o = ours_set(&policy, &args);
        assert_eq!(o.status.code(), Some(1), "{args:?}: {}", text(&o));
        assert!(
            String::from_utf8_lossy(&o.stderr).contains(&message),
            "{args:?}: {}",
            text(&o)
        );
    }
    assert_eq!(
        std::fs::read_to_string(&policy).unwrap(),
        r#"{"default":[{"type":"reject"}]}"#
    );
    // No temporary files left behind.
    let names: Vec<String> = std::fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        names.iter().all(|n| !n.starts_with(".containers-policy-")),
        "{names:?}"
    );
}

/// Our message as the installed skopeo words it ([`common::as_older_release`]).
fn as_older_release(ours: &str) -> String {
    let version = Command::new("skopeo")
        .arg("--version")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        .unwrap_or_default();
    common::as_older_release(ours, &version)
}

/// skopeo's fatal message, unquoted from logrus' `msg="…"` (Go escapes, which JSON shares here).
fn skopeo_message(out: &Output) -> String {
    let stderr = String::from_utf8_lossy(&out.stderr);
    let Some(start) = stderr.find("msg=\"") else {
        return stderr.into_owned();
    };
    let rest = &stderr[start + 4..];
    let bytes = rest.as_bytes();
    let mut end = 1;
    while end < bytes.len() && bytes[end] != b'"' {
        end += if bytes[end] == b'\\' { 2 } else { 1 };
    }
    serde_json::from_str(&rest[..=end.min(rest.len() - 1)]).unwrap_or_else(|_| stderr.into_owned())
}

/// A minimal image in the layout `skopeo copy … dir:` writes.
fn dir_image(dir: &Path) -> PathBuf {
    std::fs::create_dir_all(dir).unwrap();
    let config =
        br#"{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]},"config":{}}"#;
    use sha2::Digest as _;
    let hex: String = sha2::Sha256::digest(config)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    std::fs::write(dir.join(&hex), config).unwrap();
    std::fs::write(
        dir.join("manifest.json"),
        format!(
            r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:{hex}","size":{}}},"layers":[]}}"#,
            config.len()
        ),
    )
    .unwrap();
    std::fs::write(dir.join("version"), "Directory Transport Version: 1.1\n").unwrap();
    dir.to_owned()
}

fn sign_dir(image: &Path, secret: &Path, fingerprint: &str, identity: &str) {
    let o = run(&[
        "sign",
        "--key",
        s(secret),
        s(&image.join("manifest.json")),
        identity,
        fingerprint,
        "-o",
        s(&image.join("signature-1")),
    ]);
    assert!(o.status.success(), "{}", text(&o));
}

#[test]
fn skopeo_gives_trust_set_policies_the_same_verdicts() {
    if !have("skopeo") {
        eprintln!("skipped: skopeo not installed");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let (trusted, trusted_secret, trusted_fpr) = gpg_key(tmp.path(), "release");
    let (_, other_secret, other_fpr) = gpg_key(tmp.path(), "mallory");
    let signed = dir_image(&tmp.path().join("signed"));
    sign_dir(
        &signed,
        &trusted_secret,
        &trusted_fpr,
        "quay.io/acme/app:1.0",
    );
    let wrong_identity = dir_image(&tmp.path().join("wrong-identity"));
    sign_dir(
        &wrong_identity,
        &trusted_secret,
        &trusted_fpr,
        "quay.io/acme/other:1.0",
    );
    let wrong_key = dir_image(&tmp.path().join("wrong-key"));
    sign_dir(
        &wrong_key,
        &other_secret,
        &other_fpr,
        "quay.io/acme/app:1.0",
    );
    let unsigned = dir_image(&tmp.path().join("unsigned"));
    let images = [&signed, &wrong_identity, &wrong_key, &unsigned];

    let policy = tmp.path().join("policy.json");
    std::fs::write(&policy, SHIPPED_POLICY).unwrap();
    let cases: Vec<(Vec<&str>, [bool; 4])> = vec![
        (vec!["-t", "accept", "default"], [true; 4]),
        (vec!["-t", "reject", "default"], [false; 4]),
        (
            vec![
                "-f",
                s(&trusted),
                "--signed-identity",
                "exactReference=quay.io/acme/app:1.0",
                "default",
            ],
            [true, false, false, false],
        ),
        (
            vec![
                "-f",
                s(&trusted),
                "--signed-identity",
                "exactRepository=quay.io/acme/other",
                "default",
            ],
            [false, true, false, false],
        ),
    ];
    for (args, expected) in cases {
        let o = ours_set(&policy, &args);
        assert!(o.status.success(), "{args:?}: {}", text(&o));
        for (image, want) in images.iter().zip(expected) {
            let out = tmp.path().join("out");
            let _ = std::fs::remove_dir_all(&out);
            let sk = Command::new("skopeo")
                .args(["--policy", s(&policy), "copy"])
                .arg(format!("dir:{}", s(image)))
                .arg(format!("dir:{}", s(&out)))
                .output()
                .unwrap();
            assert_eq!(
                sk.status.success(),
                want,
                "skopeo {args:?} {image:?}: {}",
                text(&sk)
            );
            let ev = run(&["eval", "--policy", s(&policy), "--dir", s(image), "--json"]);
            let ex = run(&["explain", "--policy", s(&policy), "--dir", s(image)]);
            assert_eq!(
                ev.status.success(),
                want,
                "eval {args:?} {image:?}: {}",
                text(&ev)
            );
            assert_eq!(
                ex.status.success(),
                want,
                "explain {args:?} {image:?}: {}",
                text(&ex)
            );
            let explanation = String::from_utf8_lossy(&ex.stdout).into_owned();
            assert!(
                explanation.contains(if want {
                    "Verdict: ALLOWED"
                } else {
                    "Verdict: DENIED"
                }),
                "{explanation}"
            );
            if !want {
                // skopeo's message is our verdict's message.
                let ours: serde_json::Value = serde_json::from_slice(&ev.stdout).unwrap();
                let message = as_older_release(ours["error"].as_str().unwrap());
                assert!(
                    skopeo_message(&sk).contains(&message),
                    "skopeo: {}\nours: {message}",
                    text(&sk)
                );
            }
        }
    }

    // The explanation of the last policy for the image signed with the wrong identity.
    std::fs::write(
        &policy,
        format!(
            r#"{{"default":[{{"type":"signedBy","keyType":"GPGKeys","keyPath":"{}"}}]}}"#,
            s(&trusted)
        ),
    )
    .unwrap();
    let ex = run(&[
        "explain",
        "--policy",
        s(&policy),
        "--dir",
        s(&wrong_identity),
        "docker://quay.io/acme/app:1.0",
    ]);
    assert_eq!(ex.status.code(), Some(1), "{}", text(&ex));
    let out = String::from_utf8_lossy(&ex.stdout);
    for needle in [
        "Matched:   default (no transport scope matched)".to_owned(),
        format!("trusted: {}: {trusted_fpr} (release@example.com)", s(&trusted)),
        "signedIdentity matchRepoDigestOrExact: the signature must claim exactly quay.io/acme/app:1.0"
            .to_owned(),
        "signature 1: REJECTED: Signature for identity \"quay.io/acme/other:1.0\" is not accepted".to_owned(),
        format!(
            "(unverified) key ID {} (trusted: {} (release@example.com)) claims quay.io/acme/other:1.0",
            &trusted_fpr[24..],
            s(&trusted)
        ),
    ] {
        assert!(out.contains(&needle), "missing {needle:?} in\n{out}");
    }
}

#[test]
fn lint_positions_json_and_exit_status() {
    let tmp = tempfile::tempdir().unwrap();
    let (key, _, _) = gpg_key(tmp.path(), "ops");
    let policy = tmp.path().join("policy.json");
    std::fs::write(
        &policy,
        format!(
            "{{\n  \"default\": [{{\"type\": \"reject\"}}],\n  \"transports\": {{\"docker\": {{\n    \"quay.io/acme\": [{{\"type\": \"signedBy\", \"keyType\": \"GPGKeys\", \"keyPath\": \"{}\"}}]\n  }}}}\n}}\n",
            s(&key)
        ),
    )
    .unwrap();
    let o = run(&["lint", s(&policy)]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));

    let rd = tmp.path().join("registries.d");
    std::fs::create_dir(&rd).unwrap();
    std::fs::write(
        rd.join("acme.yaml"),
        "docker:\n  quay.io/acme:\n    sigstore: https://sigs.example.com\n",
    )
    .unwrap();
    let o = run(&[
        "lint",
        s(&policy),
        "--registries.d",
        s(&rd),
        "--target-version",
        "5.23",
        "--json",
    ]);
    assert_eq!(o.status.code(), Some(3), "{}", text(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["ok"], true);
    assert_eq!(v["warnings"], 1);
    let f = &v["findings"][0];
    assert_eq!(f["code"], "deprecated-sigstore-key");
    assert_eq!(
        (f["line"].as_u64(), f["column"].as_u64()),
        (Some(3), Some(5))
    );

    // A signedBy scope with no lookaside anywhere in registries.d.
    std::fs::write(
        rd.join("acme.yaml"),
        "docker:\n  quay.io/other:\n    lookaside: https://sigs.example.com\n",
    )
    .unwrap();
    let o = run(&["lint", s(&policy), "--registries.d", s(&rd), "--json"]);
    assert_eq!(o.status.code(), Some(3), "{}", text(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let f = &v["findings"][0];
    assert_eq!(f["code"], "no-lookaside", "{v}");
    assert_eq!(
        (f["line"].as_u64(), f["column"].as_u64()),
        (Some(4), Some(5))
    );

    std::fs::write(&policy, "{\"default\": [\n  {\"type\": \"signedBy\"}\n]}").unwrap();
    let o = run(&["lint", s(&policy)]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let check = run(&["check", s(&policy), "--json"]);
    let check: serde_json::Value = serde_json::from_slice(&check.stdout).unwrap();
    let check_message = check["error"].as_str().unwrap();
    // `check` reports the file-level message; lint gives the same reason at its position.
    let lint_out = String::from_utf8_lossy(&o.stdout);
    assert!(
        lint_out.starts_with(&format!("{}:2:3: error: ", s(&policy))),
        "{lint_out}"
    );
    assert!(
        check_message.ends_with(
            lint_out
                .lines()
                .next()
                .unwrap()
                .split(": error: ")
                .nth(1)
                .unwrap()
                .trim_end_matches(" [invalid-policy]")
        ),
        "{check_message} vs {lint_out}"
    );
}

fn decode(doc: &serde_yaml::Value) -> Vec<(String, Vec<u8>)> {
    doc["spec"]["config"]["storage"]["files"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|f| {
            assert_eq!(f["mode"].as_u64(), Some(420));
            let src = f["contents"]["source"].as_str().unwrap();
            let b64 = src
                .strip_prefix("data:text/plain;charset=utf-8;base64,")
                .unwrap();
            (
                f["path"].as_str().unwrap().to_owned(),
                base64::engine::general_purpose::STANDARD
                    .decode(b64)
                    .unwrap(),
            )
        })
        .collect()
}

#[test]
fn machineconfig_round_trips_every_file_and_key() {
    let tmp = tempfile::tempdir().unwrap();
    let staging = tmp.path().join("staging");
    let pki = staging.join("etc/pki/containers");
    std::fs::create_dir_all(&pki).unwrap();
    let (k1, _, _) = gpg_key(&pki, "release");
    let (k2, _, _) = gpg_key(&pki, "partner");
    std::fs::write(
        pki.join("cosign.pub"),
        "-----BEGIN PUBLIC KEY-----\nMFkw\n-----END PUBLIC KEY-----\n",
    )
    .unwrap();
    let _ = (k1, k2);
    let policy = tmp.path().join("policy.json");
    let policy_text = r#"{
  "default": [{"type": "reject"}],
  "transports": {
    "docker": {
      "registry.access.redhat.com": [{"type": "signedBy", "keyType": "GPGKeys", "keyPath": "/etc/pki/containers/release.asc"}],
      "quay.io/partner": [{"type": "signedBy", "keyType": "GPGKeys", "keyPaths": ["/etc/pki/containers/partner.asc", "/etc/pki/containers/release.asc"]}],
      "quay.io/cosign": [{"type": "sigstoreSigned", "keyPath": "/etc/pki/containers/cosign.pub"}],
      "quay.io/inline": [{"type": "signedBy", "keyType": "GPGKeys", "keyData": "AAAA"}]
    },
    "docker-daemon": {"": [{"type": "insecureAcceptAnything"}]}
  }
}
"#;
    std::fs::write(&policy, policy_text).unwrap();
    let rd = tmp.path().join("registries.d");
    std::fs::create_dir(&rd).unwrap();
    std::fs::write(
        rd.join("registry.access.redhat.com.yaml"),
        "docker:\n     registry.access.redhat.com:\n         lookaside: https://access.redhat.com/webassets/docker/content/sigstore\n",
    )
    .unwrap();
    std::fs::write(rd.join("ignored.yml"), "not read by containers/image").unwrap();

    let expected: Vec<(String, Vec<u8>)> = vec![
        (
            "/etc/containers/policy.json".into(),
            policy_text.as_bytes().to_vec(),
        ),
        (
            "/etc/containers/registries.d/registry.access.redhat.com.yaml".into(),
            std::fs::read(rd.join("registry.access.redhat.com.yaml")).unwrap(),
        ),
        (
            "/etc/pki/containers/cosign.pub".into(),
            std::fs::read(pki.join("cosign.pub")).unwrap(),
        ),
        (
            "/etc/pki/containers/partner.asc".into(),
            std::fs::read(pki.join("partner.asc")).unwrap(),
        ),
        (
            "/etc/pki/containers/release.asc".into(),
            std::fs::read(pki.join("release.asc")).unwrap(),
        ),
    ];

    for ignition in ["2.2.0", "3.2.0"] {
        let o = run(&[
            "machineconfig",
            "--policy",
            s(&policy),
            "--registries.d",
            s(&rd),
            "--root",
            s(&staging),
            "--ignition",
            ignition,
        ]);
        assert!(o.status.success(), "{}", text(&o));
        let stream = String::from_utf8(o.stdout).unwrap();
        let docs: Vec<serde_yaml::Value> = serde_yaml::Deserializer::from_str(&stream)
            .map(|d| serde::Deserialize::deserialize(d).unwrap())
            .collect();
        assert_eq!(docs.len(), 2);
        for (doc, role) in docs.iter().zip(["worker", "master"]) {
            assert_eq!(doc["apiVersion"], "machineconfiguration.openshift.io/v1");
            assert_eq!(doc["kind"], "MachineConfig");
            assert_eq!(
                doc["metadata"]["labels"]["machineconfiguration.openshift.io/role"],
                role
            );
            assert_eq!(
                doc["metadata"]["name"].as_str(),
                Some(format!("51-{role}-registry-trust").as_str())
            );
            assert_eq!(
                doc["spec"]["config"]["ignition"]["version"].as_str(),
                Some(ignition)
            );
            assert_eq!(decode(doc), expected);
        }
    }

    // One file per role, written atomically into --output.
    let out = tmp.path().join("out");
    let o = run(&[
        "machineconfig",
        "--policy",
        s(&policy),
        "--registries.d",
        s(&rd),
        "--root",
        s(&staging),
        "--role",
        "worker",
        "--name",
        "60-trust",
        "--output",
        s(&out),
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let names: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["60-worker-trust.yaml"]);
    let doc: serde_yaml::Value =
        serde_yaml::from_str(&std::fs::read_to_string(out.join("60-worker-trust.yaml")).unwrap())
            .unwrap();
    assert_eq!(decode(&doc), expected);

    // A key file that is not there is an error, not a MachineConfig that breaks every node.
    let o = run(&["machineconfig", "--policy", s(&policy)]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(
        String::from_utf8_lossy(&o.stderr)
            .contains("open /etc/pki/containers/cosign.pub: no such file or directory"),
        "{}",
        text(&o)
    );
}
