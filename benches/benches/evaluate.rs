//! The criterion benchmarks of containers-policy: `cargo bench -p containers-policy-benches`
//! (`-- --test` runs every benchmark once, as a test; `-- NAME` filters). See benches/README.md.
//!
//! Inputs are made here or read from the repository: the RSA-2048, RSA-4096 and Ed25519 images of
//! `conformance/fixtures/images` (signed by skopeo with the real gpg, ZIP-compressed as gpg writes them),
//! and an Ed25519 key generated at start with our own signer for the extra (invalid) signatures. Only the
//! `upstream/…` benchmark needs `../shared/upstream-fixtures` (or `CONTAINERS_POLICY_UPSTREAM_FIXTURES`);
//! it is skipped with a message when they are absent.
//!
//! Groups: `parse/…` (policy.json, references, payloads), `scope/…` (lookup among 1 or 500 scopes),
//! `verify/…` (one OpenPGP signed message), `crypto/…` (the raw public-key operation of the compiled-in
//! sequoia backend), `evaluate/…` (a whole `PolicyContext::evaluate`), `lookaside/…` (reading an image's
//! signatures from a file store and a loopback HTTP server), `ffi/…` (the evaluation through the C ABI).

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::{
    hint::black_box,
    io::{BufRead, BufReader, Write},
    net::TcpListener,
    path::{Path, PathBuf},
    ptr,
    time::SystemTime,
};

use core_policy::{
    Digest, ImageReference, Policy, PolicyContext, UnparsedImage,
    openpgp::{self, Keyring, SigningKey},
    payload::SimpleSigningPayload,
    reference::DockerReference,
    simple,
};
use criterion::{
    Criterion, Throughput,
    measurement::{Measurement, ValueFormatter},
};
use sequoia_openpgp::{
    Packet,
    parse::{PacketParser, PacketParserResult, Parse},
};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// One image of `conformance/fixtures/images`: manifest, first signature, the reference it claims,
/// and its key file.
struct Fixture {
    manifest: Vec<u8>,
    signature: Vec<u8>,
    /// `docker-reference` of the signature, e.g. `127.0.0.1:55000/conf/signed/rsa2048:v1`.
    claimed: String,
    key_path: PathBuf,
}

impl Fixture {
    fn load(algo: &str) -> Fixture {
        let f = repo().join("conformance/fixtures");
        let image = f.join("images").join(format!("signed-{algo}"));
        let manifest = std::fs::read(image.join("manifest.json")).unwrap();
        let signature = std::fs::read(image.join("signature-1")).unwrap();
        let content = openpgp::untrusted_contents(&signature).unwrap().content;
        let claimed = SimpleSigningPayload::from_slice(&content)
            .unwrap()
            .docker_reference;
        Fixture {
            manifest,
            signature,
            claimed,
            key_path: f.join("keys").join(format!("{algo}.pub.asc")),
        }
    }

    fn reference(&self) -> ImageReference {
        ImageReference::parse(&format!("docker://{}", self.claimed)).unwrap()
    }

    fn keyring(&self) -> Keyring {
        Keyring::from_blobs([std::fs::read(&self.key_path).unwrap().as_slice()])
    }

    /// The image's repository (the policy scope).
    fn repository(&self) -> String {
        DockerReference::parse_normalized(&self.claimed)
            .unwrap()
            .name()
    }

    /// `{"default":[reject], "transports":{"docker":{<repository>: [signedBy keyPaths]}}}`.
    fn policy(&self, key_paths: &[&Path]) -> Policy {
        let paths: Vec<_> = key_paths.iter().map(|p| p.display().to_string()).collect();
        let json = serde_json::json!({
            "default": [{"type": "reject"}],
            "transports": {"docker": {self.repository(): [
                {"type": "signedBy", "keyType": "GPGKeys", "keyPaths": paths}
            ]}}
        });
        Policy::from_slice(json.to_string().as_bytes()).unwrap()
    }
}

/// A policy with `n` docker scopes (`registry-<i>.example.com/ns/app-<i>`, each signedBy one key file) plus
/// the ones given.
fn policy_with_scopes(n: usize, key: &Path, extra: &[(&str, serde_json::Value)]) -> String {
    let mut scopes = serde_json::Map::new();
    for i in 0..n {
        scopes.insert(
            format!("registry-{i}.example.com/ns/app-{i}"),
            serde_json::json!([{"type": "signedBy", "keyType": "GPGKeys", "keyPath": key.display().to_string(),
                "signedIdentity": {"type": "matchRepository"}}]),
        );
    }
    for (k, v) in extra {
        scopes.insert((*k).to_owned(), v.clone());
    }
    serde_json::json!({"default": [{"type": "reject"}], "transports": {"docker": scopes}})
        .to_string()
}

/// Work directory for key files, policies and the file lookaside store; removed on drop.
struct Work(PathBuf);

impl Work {
    fn new() -> Work {
        let d =
            std::env::temp_dir().join(format!("containers-policy-bench-{}", std::process::id()));
        std::fs::create_dir_all(&d).unwrap();
        Work(d)
    }
}

impl Drop for Work {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Signatures that a `signedBy` requirement trusting `key` rejects, in rotation: by `key` for another
/// manifest (verified, then the digest does not match), by an untrusted key (no public key), and for another
/// repository by `key` (digest matches, identity does not).
fn invalid_signatures(
    n: usize,
    key: &SigningKey,
    stranger: &SigningKey,
    manifest: &[u8],
    claimed: &str,
) -> Vec<Vec<u8>> {
    let now = SystemTime::now();
    (0..n)
        .map(|i| match i % 3 {
            0 => simple::sign_docker_manifest(
                format!("{{\"other\":{i}}}").as_bytes(),
                claimed,
                key,
                now,
            ),
            1 => simple::sign_docker_manifest(manifest, claimed, stranger, now),
            _ => simple::sign_docker_manifest(manifest, "quay.io/someone/else:1", key, now),
        })
        .collect::<Result<_, _>>()
        .unwrap()
}

fn parse_benches<M: Measurement + 'static>(c: &mut Criterion<M>, work: &Work, rsa: &Fixture) {
    let small = std::fs::read(
        repo().join("conformance/fixtures/policies/cli-dir-signedBy-matchExact.json"),
    )
    .unwrap();
    c.bench_function("parse/policy-small", |b| {
        b.iter(|| Policy::from_slice(black_box(&small)).unwrap())
    });
    let big = policy_with_scopes(500, &rsa.key_path, &[]);
    assert!(big.len() > 50_000);
    c.bench_function("parse/policy-500-scopes", |b| {
        b.iter(|| Policy::from_slice(black_box(big.as_bytes())).unwrap())
    });
    let big_path = work.0.join("policy-500.json");
    std::fs::write(&big_path, &big).unwrap();
    c.bench_function("parse/policy-500-scopes-compile", |b| {
        // Parse + PolicyContext (the key file, shared by every scope, is read and parsed once).
        b.iter(|| PolicyContext::new(Policy::from_path(&big_path).unwrap()))
    });
    c.bench_function("parse/reference-docker", |b| {
        b.iter(|| ImageReference::parse(black_box("docker://quay.io/ns/app@sha256:0dd768f5b207859a9deacbb223c1d505f8e6e21a5733852666b2c7fc5902526d")).unwrap())
    });
    c.bench_function("parse/reference-short-name", |b| {
        b.iter(|| ImageReference::parse(black_box("docker://busybox")).unwrap())
    });
    let payload = openpgp::untrusted_contents(&rsa.signature).unwrap().content;
    c.bench_function("parse/payload", |b| {
        b.iter(|| SimpleSigningPayload::from_slice(black_box(&payload)).unwrap())
    });
    c.bench_function("parse/manifest-digest", |b| {
        b.iter(|| core_policy::manifest::manifest_digest(black_box(&rsa.manifest)).unwrap())
    });
}

/// Scope lookup: one image evaluated under `insecureAcceptAnything` in a policy with 1 or 500 other scopes;
/// the lookup is hash-map based, so both should cost the same.
fn scope_benches<M: Measurement + 'static>(c: &mut Criterion<M>, rsa: &Fixture) {
    let accept = serde_json::json!([{"type": "insecureAcceptAnything"}]);
    let reject = serde_json::json!([{"type": "reject"}]);
    let image = UnparsedImage::from_blobs(rsa.reference(), rsa.manifest.clone(), &[] as &[&[u8]]);
    let repository = rsa.repository();
    for n in [1, 500] {
        let ctx = PolicyContext::new(
            Policy::from_slice(
                policy_with_scopes(n, &rsa.key_path, &[(&repository, accept.clone())]).as_bytes(),
            )
            .unwrap(),
        );
        assert!(ctx.evaluate(&image).allowed());
        c.bench_function(&format!("scope/insecureAcceptAnything-{n}-scopes"), |b| {
            b.iter(|| black_box(ctx.evaluate(black_box(&image)).allowed()))
        });
    }
    // The namespace walk: the image matches only the transport default `""` after trying its identity and
    // every namespace.
    let ctx = PolicyContext::new(
        Policy::from_slice(policy_with_scopes(500, &rsa.key_path, &[("", reject)]).as_bytes())
            .unwrap(),
    );
    assert!(!ctx.evaluate(&image).allowed());
    c.bench_function("scope/reject-transport-default-500-scopes", |b| {
        b.iter(|| black_box(ctx.evaluate(black_box(&image)).allowed()))
    });
}

fn verify_benches<M: Measurement + 'static>(c: &mut Criterion<M>, fixtures: &[(&str, &Fixture)]) {
    let now = SystemTime::now();
    for (algo, f) in fixtures {
        let keyring = f.keyring();
        openpgp::verify(&keyring, &f.signature, now).unwrap();
        c.bench_function(&format!("verify/{algo}"), |b| {
            b.iter(|| openpgp::verify(&keyring, black_box(&f.signature), now).unwrap())
        });
    }
}

/// The raw public-key verification of the signature (digest already computed), with whichever sequoia
/// crypto backend this build links (`crypto-nettle`, `crypto-openssl`, `crypto-rust` features).
fn crypto_benches<M: Measurement + 'static>(c: &mut Criterion<M>, fixtures: &[(&str, &Fixture)]) {
    let backend = if cfg!(feature = "crypto-openssl") {
        "openssl"
    } else if cfg!(feature = "crypto-rust") {
        "rust"
    } else {
        "nettle"
    };
    for (algo, f) in fixtures {
        let cert = sequoia_openpgp::Cert::from_bytes(&std::fs::read(&f.key_path).unwrap()).unwrap();
        let key = cert.primary_key().key().clone();
        let sig = message_signature(&f.signature);
        let digest = sig.computed_digest().unwrap().to_vec();
        key.verify(sig.mpis(), sig.hash_algo(), &digest).unwrap();
        c.bench_function(&format!("crypto/{algo}-verify/{backend}"), |b| {
            b.iter(|| {
                key.verify(black_box(sig.mpis()), sig.hash_algo(), black_box(&digest))
                    .unwrap()
            })
        });
        // What a hit in sequoia's process-wide signature verification cache costs instead (the lookup
        // hashes signature, digest and key with SHA-512); verification bypasses that cache (see verify.rs).
        sig.verify_digest(&key, &digest).unwrap();
        c.bench_function(&format!("crypto/{algo}-sequoia-cache-hit/{backend}"), |b| {
            b.iter(|| {
                sig.verify_digest(black_box(&key), black_box(&digest))
                    .unwrap()
            })
        });
    }
}

/// The signature packet of a signed message, with the digest the parser computed over the content.
fn message_signature(blob: &[u8]) -> sequoia_openpgp::packet::Signature {
    let mut ppr = PacketParser::from_bytes(blob).unwrap();
    while let PacketParserResult::Some(mut pp) = ppr {
        if let Packet::Literal(_) = pp.packet {
            // Reading the content feeds the one-pass signature's hasher.
            std::io::copy(&mut pp, &mut std::io::sink()).unwrap();
        }
        let (packet, next) = pp.recurse().unwrap();
        if let Packet::Signature(sig) = packet {
            return sig;
        }
        ppr = next;
    }
    panic!("no signature in the message");
}

fn evaluate_benches<M: Measurement + 'static>(
    c: &mut Criterion<M>,
    work: &Work,
    fixtures: &[(&str, &Fixture)],
) {
    for (algo, f) in fixtures {
        let ctx = PolicyContext::new(f.policy(&[&f.key_path]));
        let image = UnparsedImage::from_blobs(f.reference(), f.manifest.clone(), &[&f.signature]);
        let d = ctx.evaluate(&image);
        assert!(d.allowed(), "{:?}", d.result);
        c.bench_function(&format!("evaluate/signedBy-{algo}-1-valid"), |b| {
            b.iter(|| black_box(ctx.evaluate(black_box(&image)).allowed()))
        });
    }
    let rsa = fixtures[0].1;
    // Invalid signatures by a second trusted key (made here) and by an untrusted one, then the valid one.
    let key = openpgp::generate_key("Bench <bench@example.invalid>").unwrap();
    let stranger = openpgp::generate_key("Stranger <stranger@example.invalid>").unwrap();
    let key_path = work.0.join("bench.pub.asc");
    std::fs::write(&key_path, &key.public_armored).unwrap();
    let ctx = PolicyContext::new(rsa.policy(&[&rsa.key_path, &key_path]));
    for invalid in [4, 126] {
        let mut blobs = invalid_signatures(
            invalid,
            &key.signing_key,
            &stranger.signing_key,
            &rsa.manifest,
            &rsa.claimed,
        );
        blobs.push(rsa.signature.clone());
        let image = UnparsedImage::from_blobs(rsa.reference(), rsa.manifest.clone(), &blobs);
        let d = ctx.evaluate(&image);
        assert!(d.allowed(), "{:?}", d.result);
        assert_eq!(d.requirements[0].signatures.len(), invalid + 1);
        c.bench_function(
            &format!("evaluate/signedBy-rsa2048-{invalid}-invalid-1-valid"),
            |b| b.iter(|| black_box(ctx.evaluate(black_box(&image)).allowed())),
        );
    }
    let blobs = invalid_signatures(
        127,
        &key.signing_key,
        &stranger.signing_key,
        &rsa.manifest,
        &rsa.claimed,
    );
    let image = UnparsedImage::from_blobs(rsa.reference(), rsa.manifest.clone(), &blobs);
    assert!(!ctx.evaluate(&image).allowed());
    c.bench_function("evaluate/signedBy-127-invalid", |b| {
        b.iter(|| black_box(ctx.evaluate(black_box(&image)).allowed()))
    });

    for (name, req) in [
        ("insecureAcceptAnything", "insecureAcceptAnything"),
        ("reject", "reject"),
    ] {
        let json = format!(r#"{{"default":[{{"type":"{req}"}}]}}"#);
        let ctx = PolicyContext::new(Policy::from_slice(json.as_bytes()).unwrap());
        let image =
            UnparsedImage::from_blobs(rsa.reference(), rsa.manifest.clone(), &[&rsa.signature]);
        c.bench_function(&format!("evaluate/{name}"), |b| {
            b.iter(|| black_box(ctx.evaluate(black_box(&image)).allowed()))
        });
    }
}

/// A minimal HTTP/1.1 server on 127.0.0.1 (keep-alive, `GET` only) serving `signature-1` of every image
/// and 404 for everything else; runs until the process ends.
fn loopback_server(signature: Vec<u8>) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { continue };
            let _ = stream.set_nodelay(true);
            let signature = signature.clone();
            std::thread::spawn(move || {
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut out = stream;
                loop {
                    let mut request_line = String::new();
                    if reader.read_line(&mut request_line).unwrap_or(0) == 0 {
                        return;
                    }
                    loop {
                        let mut header = String::new();
                        if reader.read_line(&mut header).unwrap_or(0) == 0 {
                            return;
                        }
                        if header == "\r\n" || header == "\n" {
                            break;
                        }
                    }
                    let path = request_line.split(' ').nth(1).unwrap_or("");
                    let (status, body): (&str, &[u8]) = if path.ends_with("/signature-1") {
                        ("200 OK", &signature)
                    } else {
                        ("404 Not Found", b"")
                    };
                    // One write (head and body together) and no Nagle delay: otherwise the client's
                    // delayed ACK of the head holds the body back by tens of milliseconds.
                    let mut response = format!(
                        "HTTP/1.1 {status}\r\nContent-Type: application/octet-stream\r\nContent-Length: {}\r\n\r\n",
                        body.len()
                    )
                    .into_bytes();
                    response.extend_from_slice(body);
                    if out.write_all(&response).is_err() {
                        return;
                    }
                }
            });
        }
    });
    port
}

fn lookaside_benches<M: Measurement + 'static>(c: &mut Criterion<M>, work: &Work, rsa: &Fixture) {
    use sigstore_lookaside::{LookasideUrl, fetch::SignatureReader, store::file};
    let digest = Digest::parse(
        &core_policy::manifest::manifest_digest(&rsa.manifest)
            .unwrap()
            .to_string(),
    )
    .unwrap();
    let reference = DockerReference::parse_normalized(&rsa.claimed).unwrap();
    let store = work.0.join("lookaside");
    let base = LookasideUrl::file(&store).with_repository(&reference);
    file::write_signatures(
        &base.file_path().unwrap(),
        &digest,
        std::slice::from_ref(&rsa.signature),
    )
    .unwrap();
    let reader = SignatureReader::new(&sigstore_lookaside::HttpOptions::default()).unwrap();
    assert_eq!(reader.read_signatures(&base, &digest).unwrap().len(), 1);
    c.bench_function("lookaside/file-1-signature", |b| {
        b.iter(|| reader.read_signatures(&base, &digest).unwrap())
    });

    let port = loopback_server(rsa.signature.clone());
    let mut options = sigstore_lookaside::HttpOptions::default();
    options.tls_verify = false;
    let base = LookasideUrl::parse(&format!("http://127.0.0.1:{port}/sigs"))
        .unwrap()
        .with_repository(&reference);
    for concurrency in [1, sigstore_lookaside::fetch::DEFAULT_CONCURRENCY] {
        let reader = SignatureReader::new(&options)
            .unwrap()
            .with_concurrency(concurrency);
        assert_eq!(reader.read_signatures(&base, &digest).unwrap().len(), 1);
        c.bench_function(
            &format!("lookaside/http-loopback-1-signature-concurrency-{concurrency}"),
            |b| b.iter(|| reader.read_signatures(&base, &digest).unwrap()),
        );
    }
}

/// The same evaluation as `evaluate/signedBy-rsa2048-1-valid`, through the C ABI.
fn ffi_benches<M: Measurement + 'static>(c: &mut Criterion<M>, rsa: &Fixture) {
    use policy_ffi as ffi;
    let policy_json = rsa.policy(&[&rsa.key_path]).to_json();
    let mut policy = ptr::null_mut();
    let mut cctx = ptr::null_mut();
    // SAFETY: valid inputs and out-pointers; objects freed below.
    unsafe {
        assert!(
            ffi::containers_policy_policy_from_bytes(
                policy_json.as_ptr(),
                policy_json.len(),
                &mut policy
            )
            .is_null()
        );
        assert!(ffi::containers_policy_context_new(policy, &mut cctx).is_null());
    }
    let reference_c = std::ffi::CString::new(format!("docker://{}", rsa.claimed)).unwrap();
    let sigs = [ffi::containers_policy_slice {
        data: rsa.signature.as_ptr(),
        len: rsa.signature.len(),
    }];
    let evaluate = || {
        let mut d = ptr::null_mut();
        // SAFETY: live context, valid slices, writable out-pointer; the decision is freed.
        unsafe {
            let e = ffi::containers_policy_evaluate(
                cctx,
                reference_c.as_ptr(),
                rsa.manifest.as_ptr(),
                rsa.manifest.len(),
                sigs.as_ptr(),
                sigs.len(),
                &mut d,
            );
            assert!(e.is_null());
            let allowed = ffi::containers_policy_decision_allowed(d);
            ffi::containers_policy_decision_free(d);
            allowed
        }
    };
    assert!(evaluate());
    c.bench_function("ffi/signedBy-rsa2048-1-valid", |b| {
        b.iter(|| black_box(evaluate()))
    });
    // SAFETY: freeing what was created above, once.
    unsafe {
        ffi::containers_policy_context_free(cctx);
        ffi::containers_policy_policy_free(policy);
    }
}

/// The case benches/ffi-compare measures for the Go binding: upstream's `dir-img-valid`.
fn upstream_benches<M: Measurement + 'static>(c: &mut Criterion<M>) {
    let dir = std::env::var_os("CONTAINERS_POLICY_UPSTREAM_FIXTURES")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo().join("../shared/upstream-fixtures"))
        .join("signature/fixtures");
    if !dir.is_dir() {
        eprintln!(
            "upstream/dir-img-valid: skipped: upstream fixtures not found at {}",
            dir.display()
        );
        return;
    }
    let read = |p: PathBuf| -> Vec<u8> {
        // The shared copy stores symlinks as small text files holding a relative path.
        let mut p = p;
        for _ in 0..4 {
            let b = std::fs::read(&p).unwrap();
            if b.len() < 200 && b.starts_with(b"../") {
                p = p
                    .parent()
                    .unwrap()
                    .join(String::from_utf8(b).unwrap().trim());
                continue;
            }
            return b;
        }
        panic!("too many links at {}", p.display());
    };
    let policy_json = format!(
        r#"{{"default":[{{"type":"reject"}}],"transports":{{"docker":{{"docker.io/testing/manifest":[{{"type":"signedBy","keyType":"GPGKeys","keyPath":"{}"}}]}}}}}}"#,
        dir.join("public-key.gpg").display()
    );
    let ctx = PolicyContext::new(Policy::from_slice(policy_json.as_bytes()).unwrap());
    let image = UnparsedImage::from_blobs(
        ImageReference::parse("docker://docker.io/testing/manifest:latest").unwrap(),
        read(dir.join("dir-img-valid/manifest.json")),
        &[read(dir.join("dir-img-valid/signature-1"))],
    );
    assert!(ctx.evaluate(&image).allowed());
    c.bench_function("upstream/dir-img-valid", |b| {
        b.iter(|| black_box(ctx.evaluate(black_box(&image)).allowed()))
    });
}

fn benches<M: Measurement + 'static>(c: &mut Criterion<M>) {
    let work = Work::new();
    let rsa2048 = Fixture::load("rsa2048");
    let rsa4096 = Fixture::load("rsa4096");
    let ed25519 = Fixture::load("ed25519");
    let fixtures = [
        ("rsa2048", &rsa2048),
        ("rsa4096", &rsa4096),
        ("ed25519", &ed25519),
    ];
    parse_benches(c, &work, &rsa2048);
    scope_benches(c, &rsa2048);
    verify_benches(c, &fixtures);
    crypto_benches(c, &fixtures);
    evaluate_benches(c, &work, &fixtures);
    lookaside_benches(c, &work, &rsa2048);
    ffi_benches(c, &rsa2048);
    upstream_benches(c);
}

/// Process CPU time (user + system, every thread) instead of wall-clock time: on a machine shared with other
/// work, time spent waiting for a CPU is not counted. Selected with `CONTAINERS_POLICY_BENCH_CPU_TIME=1`.
struct CpuTime;

fn process_cpu_ns() -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes one timespec through a valid pointer.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_PROCESS_CPUTIME_ID, &mut ts) };
    assert_eq!(rc, 0, "clock_gettime(CLOCK_PROCESS_CPUTIME_ID)");
    u64::try_from(ts.tv_sec).unwrap() * 1_000_000_000 + u64::try_from(ts.tv_nsec).unwrap()
}

impl Measurement for CpuTime {
    type Intermediate = u64;
    type Value = u64;
    fn start(&self) -> u64 {
        process_cpu_ns()
    }
    fn end(&self, start: u64) -> u64 {
        process_cpu_ns().saturating_sub(start)
    }
    fn add(&self, a: &u64, b: &u64) -> u64 {
        a + b
    }
    fn zero(&self) -> u64 {
        0
    }
    fn to_f64(&self, v: &u64) -> f64 {
        *v as f64
    }
    fn formatter(&self) -> &dyn ValueFormatter {
        &CpuTimeFormatter
    }
}

/// Nanoseconds of CPU time, shown with criterion's time units (suffixed `cpu`).
struct CpuTimeFormatter;

impl ValueFormatter for CpuTimeFormatter {
    fn scale_values(&self, typical: f64, values: &mut [f64]) -> &'static str {
        let (factor, unit) = if typical < 1e3 {
            (1.0, "ns cpu")
        } else if typical < 1e6 {
            (1e-3, "µs cpu")
        } else if typical < 1e9 {
            (1e-6, "ms cpu")
        } else {
            (1e-9, "s cpu")
        };
        for v in values {
            *v *= factor;
        }
        unit
    }
    fn scale_throughputs(
        &self,
        _: f64,
        throughput: &Throughput,
        values: &mut [f64],
    ) -> &'static str {
        let n = match throughput {
            Throughput::Bytes(n) | Throughput::BytesDecimal(n) | Throughput::Elements(n) => {
                *n as f64
            }
            _ => 1.0,
        };
        for v in values {
            *v = n * 1e9 / *v;
        }
        "/s cpu"
    }
    fn scale_for_machines(&self, _: &mut [f64]) -> &'static str {
        "ns"
    }
}

fn main() {
    if std::env::var_os("CONTAINERS_POLICY_BENCH_CPU_TIME").is_some_and(|v| v == "1") {
        let mut c = Criterion::default()
            .with_measurement(CpuTime)
            .configure_from_args();
        benches(&mut c);
        c.final_summary();
    } else {
        let mut c = Criterion::default().configure_from_args();
        benches(&mut c);
        c.final_summary();
    }
}
