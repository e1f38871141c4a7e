//! Shared helpers of the server tests: real keys and signatures, a real server on 127.0.0.1, raw HTTP.

#![allow(clippy::unwrap_used, dead_code, unreachable_pub)]

use std::{
    io::{BufRead, Read as _, Write as _},
    net::{SocketAddr, TcpListener, TcpStream},
    path::{Path, PathBuf},
    sync::{Arc, OnceLock, atomic::AtomicUsize},
    time::{Duration, SystemTime},
};

use base64::Engine as _;
use containers_policy::{
    Digest,
    manifest::manifest_digest,
    openpgp::{GeneratedKey, generate_key},
    simple::sign_docker_manifest,
};
use sigstore_lookaside::{
    auth::{Credential, Credentials},
    server::{self, RunningServer, ServerConfig},
};

pub const TOKEN: &str = "s3cret-token_for.tests";

/// One key per test process (generation is cheap, but there is no need to repeat it).
pub fn key() -> &'static GeneratedKey {
    static KEY: OnceLock<GeneratedKey> = OnceLock::new();
    KEY.get_or_init(|| generate_key("Test Signer <signer@example.invalid>").unwrap())
}

/// A manifest, different for each `n`.
pub fn manifest(n: usize) -> Vec<u8> {
    format!(
        r#"{{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json","config":{{"mediaType":"application/vnd.docker.container.image.v1+json","size":{n},"digest":"sha256:{:064x}"}},"layers":[]}}"#,
        n
    )
    .into_bytes()
}

/// A real simple signature of manifest `n` claiming `reference`, with its digest.
pub fn signature(n: usize, reference: &str) -> (Digest, Vec<u8>) {
    signature_with(key(), n, reference)
}

pub fn signature_with(key: &GeneratedKey, n: usize, reference: &str) -> (Digest, Vec<u8>) {
    let m = manifest(n);
    let blob = sign_docker_manifest(&m, reference, &key.signing_key, SystemTime::now()).unwrap();
    (manifest_digest(&m).unwrap(), blob)
}

pub fn credentials() -> Credentials {
    Credentials::new()
        .with(Credential::bearer(TOKEN).unwrap())
        .with(Credential::basic("alice", "pa:ss word").unwrap())
}

/// A tempdir with the store at `<tmp>/root`, so that writes outside the root would be visible.
pub struct Fixture {
    pub tmp: tempfile::TempDir,
    pub server: RunningServer,
}

impl Fixture {
    pub fn new(config: impl FnOnce(ServerConfig) -> ServerConfig) -> Self {
        let tmp = tempfile::tempdir().unwrap();
        let cfg =
            config(ServerConfig::new(tmp.path().join("root")).with_credentials(credentials()));
        let server = server::start(cfg, "127.0.0.1:0".parse().unwrap()).unwrap();
        Fixture { tmp, server }
    }

    pub fn root(&self) -> PathBuf {
        self.tmp.path().join("root")
    }

    pub fn addr(&self) -> SocketAddr {
        self.server.local_addr()
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr())
    }

    /// Every file and folder under the tempdir, relative, sorted (symbolic links not followed).
    pub fn tree(&self) -> Vec<String> {
        let mut out = Vec::new();
        walk(self.tmp.path(), self.tmp.path(), &mut out);
        out.sort();
        out
    }
}

fn walk(base: &Path, dir: &Path, out: &mut Vec<String>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let e = e.unwrap();
        let p = e.path();
        out.push(p.strip_prefix(base).unwrap().display().to_string());
        if e.file_type().unwrap().is_dir() {
            walk(base, &p, out);
        }
    }
}

pub fn b64(b: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(b)
}

/// The JSON body of `POST /upload`.
pub fn upload_json(repo_name: &str, layer_id: &str, blob: &[u8]) -> String {
    serde_json::json!({
        "repoName": b64(repo_name.as_bytes()),
        "layerId": b64(layer_id.as_bytes()),
        "signatureData": b64(blob),
    })
    .to_string()
}

pub fn layer_id(name: &str, digest: &Digest) -> String {
    format!("{name}@{}={}", digest.algorithm(), digest.hex())
}

/// The crate's own HTTP client (rustls, no proxies): reqwest's default builder has no TLS provider here.
pub fn client() -> reqwest::blocking::Client {
    sigstore_lookaside::HttpOptions::default()
        .build_client()
        .unwrap()
}

/// A raw HTTP/1.1 response.
#[derive(Debug)]
pub struct RawResponse {
    pub status: u16,
    pub head: String,
    pub body: Vec<u8>,
}

impl RawResponse {
    pub fn body_text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// Sends `method path` exactly as written (no client-side normalization of `..` or `%2e`).
pub fn raw(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> RawResponse {
    let mut s = TcpStream::connect(addr).unwrap();
    let mut req = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    s.write_all(req.as_bytes()).unwrap();
    s.write_all(body).unwrap();
    let mut resp = Vec::new();
    s.read_to_end(&mut resp).unwrap();
    let split = resp
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("response head");
    let head = String::from_utf8_lossy(&resp[..split]).into_owned();
    let status = head.split_whitespace().nth(1).unwrap().parse().unwrap();
    RawResponse {
        status,
        head,
        body: resp[split + 4..].to_vec(),
    }
}

pub fn bearer() -> (&'static str, String) {
    ("Authorization", format!("Bearer {TOKEN}"))
}

/// Reads one HTTP/1.1 request head (request line and headers; the test clients send no bodies) and returns
/// its path; `None` when the connection ends first.
pub fn read_request_path(reader: &mut impl BufRead) -> Option<String> {
    let mut request_line = String::new();
    if reader.read_line(&mut request_line).unwrap_or(0) == 0 {
        return None;
    }
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return None;
        }
        if line == "\r\n" || line == "\n" {
            break;
        }
    }
    Some(request_line.split(' ').nth(1).unwrap_or("/").to_string())
}

/// Listens on 127.0.0.1 (a free port) and runs `handler` for every connection on a thread of its own, with
/// a request counter the handler bumps; returns the port and the counter. Server-side reads time out after
/// 10 s so that a stuck client cannot keep a test thread forever.
pub fn serve_loopback(
    handler: impl Fn(TcpStream, &AtomicUsize) + Send + Sync + 'static,
) -> (u16, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let requests = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&requests);
    let handler = Arc::new(handler);
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { continue };
            let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
            let (handler, counter) = (Arc::clone(&handler), Arc::clone(&counter));
            std::thread::spawn(move || handler(stream, &counter));
        }
    });
    (port, requests)
}
