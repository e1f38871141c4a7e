//! The registry client and remote image source against real servers on 127.0.0.1: Debian's
//! `docker-registry` (anonymous and htpasswd basic auth, credentials from auth files) and axum servers for
//! the bearer-token flow and the X-Registry-Supports-Signatures extension.

#![allow(clippy::unwrap_used)]

use std::{
    net::TcpListener,
    path::Path,
    process::{Child, Command, Stdio},
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use axum::{
    Router,
    body::Body,
    extract::State,
    http::{HeaderMap, Response, StatusCode, Uri},
};
use base64::Engine as _;
use containers_policy::{
    Digest, DockerReference, ImageReference,
    manifest::{DOCKER_V2_SCHEMA2_MEDIA_TYPE, OCI_IMAGE_MANIFEST_MEDIA_TYPE},
    signature::Signature,
};
use sigstore_lookaside::{
    Environment, HttpOptions, RegistriesD,
    registry::{RegistryClient, RegistryOptions},
    remote::{RemoteImageSource, RemoteOptions},
};

const REGISTRY: &str = "/usr/bin/docker-registry";

fn b64(s: impl AsRef<[u8]>) -> String {
    base64::engine::general_purpose::STANDARD.encode(s)
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A `docker-registry` process on 127.0.0.1 with filesystem storage in a tempdir; killed on drop.
struct RegistryProcess {
    child: Child,
    port: u16,
    _dir: tempfile::TempDir,
}

impl Drop for RegistryProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl RegistryProcess {
    /// `None` (after printing SKIPPED) when the binary is not installed.
    fn start(htpasswd: Option<(&str, &str)>) -> Option<RegistryProcess> {
        if !Path::new(REGISTRY).exists() {
            println!("SKIPPED: docker-registry not installed");
            return None;
        }
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let mut config = format!(
            "version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: {}\n\
             http:\n  addr: 127.0.0.1:{port}\n",
            dir.path().join("data").display()
        );
        if let Some((user, password)) = htpasswd {
            let hash = bcrypt::hash(password, 4).unwrap();
            let file = dir.path().join("htpasswd");
            std::fs::write(&file, format!("{user}:{hash}\n")).unwrap();
            config.push_str(&format!(
                "auth:\n  htpasswd:\n    realm: basic-realm\n    path: {}\n",
                file.display()
            ));
        }
        let config_path = dir.path().join("config.yml");
        std::fs::write(&config_path, config).unwrap();
        let child = Command::new(REGISTRY)
            .arg("serve")
            .arg(&config_path)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let registry = RegistryProcess {
            child,
            port,
            _dir: dir,
        };
        let client = sigstore_lookaside::HttpOptions::default()
            .build_client()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if client.get(registry.url("/v2/")).send().is_ok() {
                break;
            }
            assert!(Instant::now() < deadline, "docker-registry did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        Some(registry)
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    fn host(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// Pushes a one-layer schema 2 image with plain API calls; returns the manifest bytes.
    fn push(&self, name: &str, tag: &str, creds: Option<(&str, &str)>) -> Vec<u8> {
        let client = sigstore_lookaside::HttpOptions::default()
            .build_client()
            .unwrap();
        let auth = |r: reqwest::blocking::RequestBuilder| match creds {
            Some((u, p)) => r.basic_auth(u, Some(p)),
            None => r,
        };
        let upload = |blob: &[u8]| -> String {
            let digest = Digest::sha256_of(blob).as_str().to_string();
            let started = auth(client.post(self.url(&format!("/v2/{name}/blobs/uploads/"))))
                .send()
                .unwrap();
            assert_eq!(started.status(), 202, "starting an upload");
            let location = started.headers()["location"].to_str().unwrap().to_string();
            let location = if location.starts_with("http") {
                location
            } else {
                self.url(&location)
            };
            let sep = if location.contains('?') { '&' } else { '?' };
            let done = auth(client.put(format!("{location}{sep}digest={digest}")))
                .header("Content-Type", "application/octet-stream")
                .body(blob.to_vec())
                .send()
                .unwrap();
            assert_eq!(done.status(), 201, "finishing an upload");
            digest
        };
        let config = format!(
            r#"{{"architecture":"amd64","os":"linux","rootfs":{{"type":"layers","diff_ids":[]}},"comment":"{name}:{tag}"}}"#
        );
        let layer = format!("layer of {name}:{tag}").into_bytes();
        let config_digest = upload(config.as_bytes());
        let layer_digest = upload(&layer);
        let manifest = format!(
            r#"{{"schemaVersion":2,"mediaType":"{DOCKER_V2_SCHEMA2_MEDIA_TYPE}","config":{{"mediaType":"application/vnd.docker.container.image.v1+json","size":{},"digest":"{config_digest}"}},"layers":[{{"mediaType":"application/vnd.docker.image.rootfs.diff.tar.gzip","size":{},"digest":"{layer_digest}"}}]}}"#,
            config.len(),
            layer.len()
        );
        let put = auth(client.put(self.url(&format!("/v2/{name}/manifests/{tag}"))))
            .header("Content-Type", DOCKER_V2_SCHEMA2_MEDIA_TYPE)
            .body(manifest.clone())
            .send()
            .unwrap();
        assert_eq!(put.status(), 201, "pushing the manifest");
        manifest.into_bytes()
    }
}

fn insecure() -> HttpOptions {
    HttpOptions::default()
        .with_tls_verify(false)
        .with_timeouts(Duration::from_secs(5), Duration::from_secs(20))
}

/// An environment whose default auth-file locations are all inside `home` (so the user's real files
/// are never read).
fn isolated_env(home: &Path) -> Environment {
    let mut env = Environment::with_home(home, 4242);
    env.xdg_runtime_dir = Some(home.join("run"));
    env
}

fn reference(s: &str) -> DockerReference {
    DockerReference::parse_normalized(s).unwrap()
}

#[test]
fn registry_anonymous_manifests_by_tag_and_digest() {
    let Some(registry) = RegistryProcess::start(None) else {
        return;
    };
    let pushed = registry.push("test/img", "v1", None);
    let home = tempfile::tempdir().unwrap();
    let client =
        RegistryClient::new(RegistryOptions::new(insecure(), isolated_env(home.path()))).unwrap();

    let by_tag = client
        .fetch_manifest(&reference(&format!("{}/test/img:v1", registry.host())))
        .unwrap();
    assert_eq!(by_tag.bytes, pushed);
    assert_eq!(by_tag.media_type, DOCKER_V2_SCHEMA2_MEDIA_TYPE);
    assert_eq!(by_tag.digest, Digest::sha256_of(&pushed));

    let by_digest = client
        .fetch_manifest(&reference(&format!(
            "{}/test/img@{}",
            registry.host(),
            by_tag.digest
        )))
        .unwrap();
    assert_eq!(by_digest, by_tag);
    assert!(
        !client
            .supports_signatures(&reference(&format!("{}/test/img", registry.host())))
            .unwrap()
    );

    let missing_tag = client
        .fetch_manifest(&reference(&format!("{}/test/img:nope", registry.host())))
        .unwrap_err();
    assert_eq!(
        missing_tag.to_string(),
        format!(
            "reading manifest nope in {}/test/img: manifest unknown",
            registry.host()
        )
    );
    let missing_repo = client
        .fetch_manifest(&reference(&format!("{}/no/such:v1", registry.host())))
        .unwrap_err()
        .to_string();
    assert!(
        missing_repo.starts_with(&format!(
            "reading manifest v1 in {}/no/such: ",
            registry.host()
        )),
        "{missing_repo}"
    );

    // With TLS verification on there is no plain-HTTP fallback.
    let strict = RegistryClient::new(RegistryOptions::new(
        HttpOptions::default().with_timeouts(Duration::from_secs(5), Duration::from_secs(20)),
        isolated_env(home.path()),
    ))
    .unwrap();
    let err = strict
        .fetch_manifest(&reference(&format!("{}/test/img:v1", registry.host())))
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with(&format!(
            "pinging container registry {host}: Get \"https://{host}/v2/\": ",
            host = registry.host()
        )),
        "{err}"
    );
}

#[test]
fn registry_basic_auth_with_auth_files() {
    let Some(registry) = RegistryProcess::start(Some(("alice", "s3cret"))) else {
        return;
    };
    let pushed = registry.push("team/app", "v1", Some(("alice", "s3cret")));
    let home = tempfile::tempdir().unwrap();
    let env = isolated_env(home.path());
    let r = reference(&format!("{}/team/app:v1", registry.host()));

    // Anonymous: refused with containers/image's wording.
    let anonymous = RegistryClient::new(RegistryOptions::new(insecure(), env.clone())).unwrap();
    assert_eq!(
        anonymous.fetch_manifest(&r).unwrap_err().to_string(),
        format!(
            "reading manifest v1 in {}/team/app: authentication required",
            registry.host()
        )
    );

    // An explicit auth file; the repository-specific entry wins over the host entry.
    let auth_file = home.path().join("my-auth.json");
    std::fs::write(
        &auth_file,
        format!(
            r#"{{"auths":{{"{host}":{{"auth":"{wrong}"}},"{host}/team/app":{{"auth":"{right}"}}}}}}"#,
            host = registry.host(),
            wrong = b64("alice:wrong"),
            right = b64("alice:s3cret")
        ),
    )
    .unwrap();
    let client = RegistryClient::new(
        RegistryOptions::new(insecure(), env.clone()).with_auth_file(&auth_file),
    )
    .unwrap();
    assert_eq!(client.fetch_manifest(&r).unwrap().bytes, pushed);
    // For another repository only the (wrong) host entry applies.
    let other = reference(&format!("{}/team/other:v1", registry.host()));
    assert_eq!(
        client.fetch_manifest(&other).unwrap_err().to_string(),
        format!(
            "reading manifest v1 in {}/team/other: authentication required",
            registry.host()
        )
    );

    // Default locations: docker's config.json under $HOME, with a URL-style key.
    std::fs::create_dir_all(home.path().join(".docker")).unwrap();
    std::fs::write(
        home.path().join(".docker/config.json"),
        format!(
            r#"{{"auths":{{"http://{}/v1/":{{"auth":"{}"}}}}}}"#,
            registry.host(),
            b64("alice:s3cret")
        ),
    )
    .unwrap();
    let from_docker_config =
        RegistryClient::new(RegistryOptions::new(insecure(), env.clone())).unwrap();
    assert_eq!(from_docker_config.fetch_manifest(&r).unwrap().bytes, pushed);

    // $XDG_RUNTIME_DIR/containers/auth.json comes first.
    std::fs::create_dir_all(home.path().join("run/containers")).unwrap();
    std::fs::write(
        home.path().join("run/containers/auth.json"),
        format!(
            r#"{{"auths":{{"{}":{{"auth":"{}"}}}}}}"#,
            registry.host(),
            b64("alice:nope")
        ),
    )
    .unwrap();
    let runtime_first = RegistryClient::new(RegistryOptions::new(insecure(), env.clone())).unwrap();
    assert!(runtime_first.fetch_manifest(&r).is_err());

    // Explicit credentials bypass the files.
    let explicit = RegistryClient::new(
        RegistryOptions::new(insecure(), env.clone()).with_credentials("alice", "s3cret"),
    )
    .unwrap();
    assert_eq!(explicit.fetch_manifest(&r).unwrap().bytes, pushed);

    // A malformed auth file is an error naming it.
    std::fs::write(home.path().join("run/containers/auth.json"), "{broken").unwrap();
    let broken = RegistryClient::new(RegistryOptions::new(insecure(), env)).unwrap();
    let err = broken.fetch_manifest(&r).unwrap_err().to_string();
    assert!(
        err.starts_with(&format!(
            "reading JSON file \"{}\": ",
            home.path().join("run/containers/auth.json").display()
        )),
        "{err}"
    );
}

#[test]
fn remote_source_reads_lookaside_signatures() {
    let Some(registry) = RegistryProcess::start(None) else {
        return;
    };
    let pushed = registry.push("lib/signed", "v1", None);
    let digest = Digest::sha256_of(&pushed);
    let store = tempfile::tempdir().unwrap();
    let image_dir = store
        .path()
        .join(format!("lib/signed@sha256={}", digest.hex()));
    std::fs::create_dir_all(&image_dir).unwrap();
    std::fs::write(image_dir.join("signature-1"), [0xA3, 1, 2]).unwrap();
    std::fs::write(image_dir.join("signature-2"), [0xA3, 4, 5]).unwrap();
    let yaml = format!(
        "docker:\n  {}:\n    lookaside: file://{}\n",
        registry.host(),
        store.path().display()
    );
    let registries_d = RegistriesD::from_yaml_files(&[("test.yaml", yaml)]).unwrap();
    let home = tempfile::tempdir().unwrap();
    let env = isolated_env(home.path());
    let source = RemoteImageSource::new(RemoteOptions::new(
        registries_d,
        env.clone(),
        RegistryOptions::new(insecure(), env),
    ))
    .unwrap();

    let image_ref =
        ImageReference::docker(reference(&format!("{}/lib/signed:v1", registry.host()))).unwrap();
    let fetched = source.fetch(&image_ref).unwrap();
    assert_eq!(fetched.manifest_digest, digest);
    assert_eq!(fetched.image.manifest().unwrap(), pushed.as_slice());
    assert_eq!(
        fetched.image.signatures().unwrap(),
        [
            Signature::from_blob(&[0xA3, 1, 2]).unwrap(),
            Signature::from_blob(&[0xA3, 4, 5]).unwrap()
        ]
    );
    assert_eq!(
        fetched.signature_source,
        format!("file://{}/lib/signed", store.path().display())
    );

    // A signature read error is kept in the image, not returned.
    std::fs::write(image_dir.join("signature-2"), b"garbage").unwrap();
    let fetched = source.fetch(&image_ref).unwrap();
    assert_eq!(
        fetched.image.signatures().unwrap_err().to_string(),
        format!(
            "parsing signature \"{}\": unrecognized signature format, starting with binary 0x67",
            image_dir.join("signature-2").display()
        )
    );

    // A manifest error is returned.
    let missing =
        ImageReference::docker(reference(&format!("{}/lib/signed:v2", registry.host()))).unwrap();
    assert!(source.fetch(&missing).is_err());
}

// ---- axum test registry: bearer tokens and the signatures extension ----

#[derive(Clone)]
struct TokenServer {
    port: u16,
    token_requests: Arc<AtomicUsize>,
    supports_header: Option<&'static str>,
}

const MANIFEST: &[u8] = br#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","size":2,"digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"},"layers":[]}"#;

fn respond(
    status: StatusCode,
    headers: &[(&str, String)],
    body: impl Into<Body>,
) -> Response<Body> {
    let mut builder = Response::builder().status(status);
    for (k, v) in headers {
        builder = builder.header(*k, v);
    }
    builder.body(body.into()).unwrap()
}

async fn token_registry(
    State(state): State<TokenServer>,
    uri: Uri,
    headers: HeaderMap,
) -> Response<Body> {
    let authorized = headers
        .get("authorization")
        .is_some_and(|v| v.as_bytes() == b"Bearer tok-1");
    let unauthorized = || {
        respond(
            StatusCode::UNAUTHORIZED,
            &[(
                "WWW-Authenticate",
                format!(
                    r#"Bearer realm="http://127.0.0.1:{}/token",service="svc.test""#,
                    state.port
                ),
            )],
            r#"{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}"#,
        )
    };
    let digest = Digest::sha256_of(MANIFEST);
    match uri.path() {
        "/v2/" => {
            let mut response = unauthorized();
            if let Some(v) = state.supports_header {
                response
                    .headers_mut()
                    .insert("X-Registry-Supports-Signatures", v.parse().unwrap());
            }
            response
        }
        "/token" => {
            state.token_requests.fetch_add(1, Ordering::SeqCst);
            let query = uri.query().unwrap_or("");
            let expected_basic = format!("Basic {}", b64("bob:pw"));
            let basic_ok = headers
                .get("authorization")
                .is_some_and(|v| v.as_bytes() == expected_basic.as_bytes());
            let query_ok = query.contains("service=svc.test")
                && query.contains("scope=repository%3Ans%2F")
                && query.ends_with("%3Apull")
                && query.contains("account=bob");
            if !basic_ok {
                return respond(
                    StatusCode::UNAUTHORIZED,
                    &[],
                    r#"{"details":"incorrect username or password"}"#,
                );
            }
            if !query_ok {
                return respond(StatusCode::BAD_REQUEST, &[], format!("bad query {query}"));
            }
            respond(
                StatusCode::OK,
                &[("Content-Type", "application/json".into())],
                r#"{"access_token":"tok-1","expires_in":300}"#,
            )
        }
        "/v2/ns/img/manifests/v1" if authorized => respond(
            StatusCode::OK,
            &[(
                "Content-Type",
                format!("{OCI_IMAGE_MANIFEST_MEDIA_TYPE}; charset=utf-8"),
            )],
            MANIFEST,
        ),
        p if p == format!("/extensions/v2/ns/img/signatures/{digest}") && authorized => {
            let body = format!(
                r#"{{"signatures":[{{"schemaVersion":2,"name":"{digest}@0123","type":"atomic","content":"{}"}},{{"schemaVersion":2,"name":"{digest}@4567","type":"other","content":"{}"}}]}}"#,
                b64([0xA3, 9, 9]),
                b64([0xA3, 8, 8])
            );
            respond(StatusCode::OK, &[], body)
        }
        _ if !authorized => unauthorized(),
        _ => respond(
            StatusCode::NOT_FOUND,
            &[],
            r#"{"errors":[{"code":"NAME_UNKNOWN","message":"repository name not known to registry"}]}"#,
        ),
    }
}

/// Starts the axum registry on 127.0.0.1 in its own runtime thread.
fn start_token_registry(supports_header: Option<&'static str>) -> TokenServer {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let state = TokenServer {
        port: listener.local_addr().unwrap().port(),
        token_requests: Arc::new(AtomicUsize::new(0)),
        supports_header,
    };
    let app = Router::new()
        .fallback(token_registry)
        .with_state(state.clone());
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            axum::serve(listener, app).await.unwrap();
        });
    });
    state
}

#[test]
fn bearer_token_flow_and_cache() {
    let server = start_token_registry(None);
    let home = tempfile::tempdir().unwrap();
    let client = RegistryClient::new(
        RegistryOptions::new(insecure(), isolated_env(home.path())).with_credentials("bob", "pw"),
    )
    .unwrap();
    let r = reference(&format!("127.0.0.1:{}/ns/img:v1", server.port));
    let fetched = client.fetch_manifest(&r).unwrap();
    assert_eq!(fetched.bytes, MANIFEST);
    assert_eq!(fetched.media_type, OCI_IMAGE_MANIFEST_MEDIA_TYPE);
    assert_eq!(fetched.digest, Digest::sha256_of(MANIFEST));
    client.fetch_manifest(&r).unwrap();
    assert_eq!(
        server.token_requests.load(Ordering::SeqCst),
        1,
        "token cached"
    );
    assert!(!client.supports_signatures(&r).unwrap());

    // Wrong password: the token endpoint refuses.
    let wrong = RegistryClient::new(
        RegistryOptions::new(insecure(), isolated_env(home.path())).with_credentials("bob", "x"),
    )
    .unwrap();
    assert_eq!(
        wrong.fetch_manifest(&r).unwrap_err().to_string(),
        "unable to retrieve auth token: invalid username/password: unauthorized: incorrect username or password"
    );
}

#[test]
fn signatures_extension_is_used_when_advertised() {
    let server = start_token_registry(Some("1"));
    let home = tempfile::tempdir().unwrap();
    let env = isolated_env(home.path());
    let registry_options =
        RegistryOptions::new(insecure(), env.clone()).with_credentials("bob", "pw");
    // The lookaside configuration points at a port nothing listens on: it must not be used at all.
    let yaml = format!(
        "default-docker:\n  lookaside: http://127.0.0.1:{}/never\n",
        free_port()
    );
    let source = RemoteImageSource::new(RemoteOptions::new(
        RegistriesD::from_yaml_files(&[("x.yaml", yaml)]).unwrap(),
        env,
        registry_options,
    ))
    .unwrap();
    let r = reference(&format!("127.0.0.1:{}/ns/img:v1", server.port));
    assert!(source.registry().supports_signatures(&r).unwrap());
    let fetched = source
        .fetch(&ImageReference::docker(r.clone()).unwrap())
        .unwrap();
    assert_eq!(fetched.signature_source, "registry extension");
    assert_eq!(
        fetched.image.signatures().unwrap(),
        [Signature::SimpleSigning(vec![0xA3, 9, 9])]
    );

    // An unknown repository: the extension's error, worded as upstream.
    let digest = Digest::sha256_of(b"other");
    let other = reference(&format!("127.0.0.1:{}/ns/other:v1", server.port));
    assert_eq!(
        source
            .registry()
            .extension_signatures(&other, &digest)
            .unwrap_err()
            .to_string(),
        format!(
            "downloading signatures for {digest} in 127.0.0.1:{}/ns/other: repository name not known to registry",
            server.port
        )
    );
}

#[test]
fn signatures_header_must_be_exactly_1() {
    let server = start_token_registry(Some("true"));
    let home = tempfile::tempdir().unwrap();
    let client = RegistryClient::new(
        RegistryOptions::new(insecure(), isolated_env(home.path())).with_credentials("bob", "pw"),
    )
    .unwrap();
    let r = reference(&format!("127.0.0.1:{}/ns/img:v1", server.port));
    assert!(!client.supports_signatures(&r).unwrap());
}
