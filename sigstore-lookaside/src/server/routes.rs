//! Request routing and the handlers of the signature server.

use std::{
    hash::{DefaultHasher, Hash, Hasher},
    path::{Path, PathBuf},
    sync::{Arc, Mutex},
};

use axum::{
    Router,
    body::Body,
    extract::{Request, State},
    http::{HeaderMap, HeaderValue, Method, StatusCode, header},
    response::{IntoResponse, Response},
};
use base64::Engine as _;
use containers_policy::{Digest, openpgp::Keyring};

use super::{ServerConfig, check::check_signature};
use crate::{
    SignatureLocation,
    auth::Credentials,
    layout::validate_repository_path,
    store::{MAX_SIGNATURES, file},
};

/// Number of lock stripes serializing "look for an identical signature, then append" per image.
const LOCK_STRIPES: usize = 64;

/// Shared state of the handlers.
pub(crate) struct AppState {
    /// Canonical root of the store.
    root: PathBuf,
    credentials: Credentials,
    allow_anonymous: bool,
    verify: Option<Keyring>,
    max_body: usize,
    base_path: String,
    locks: Vec<Mutex<()>>,
}

impl AppState {
    pub(crate) fn new(root: PathBuf, config: ServerConfig) -> Self {
        AppState {
            root,
            credentials: config.credentials,
            allow_anonymous: config.allow_anonymous_uploads,
            verify: config.verify,
            max_body: config.max_body,
            base_path: config.base_path,
            locks: (0..LOCK_STRIPES).map(|_| Mutex::new(())).collect(),
        }
    }
}

pub(crate) fn router(state: Arc<AppState>) -> Router {
    Router::new().fallback(dispatch).with_state(state)
}

/// An error response: JSON `{"error": …}` for uploads, plain text for reads.
struct Failure {
    status: StatusCode,
    message: String,
}

fn fail(status: StatusCode, message: impl Into<String>) -> Failure {
    Failure {
        status,
        message: message.into(),
    }
}

impl Failure {
    fn json(self) -> Response {
        let body = serde_json::json!({ "error": self.message }).to_string();
        let mut r = (self.status, body).into_response();
        r.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        if self.status == StatusCode::UNAUTHORIZED {
            for challenge in [
                "Bearer realm=\"containers-policy\"",
                "Basic realm=\"containers-policy\", charset=\"UTF-8\"",
            ] {
                r.headers_mut().append(
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static(challenge),
                );
            }
        }
        r
    }

    fn text(self) -> Response {
        let mut r = (self.status, format!("{}\n", self.message)).into_response();
        r.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; charset=utf-8"),
        );
        r
    }
}

fn method_not_allowed(allow: &'static str) -> Response {
    let mut r = fail(
        StatusCode::METHOD_NOT_ALLOWED,
        format!("method not allowed here; allowed: {allow}"),
    )
    .text();
    r.headers_mut()
        .insert(header::ALLOW, HeaderValue::from_static(allow));
    r
}

async fn dispatch(State(state): State<Arc<AppState>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let path = parts.uri.path();
    let rest = match path.strip_prefix(state.base_path.as_str()) {
        Some(rest) if rest.starts_with('/') => rest.to_owned(),
        _ => return fail(StatusCode::NOT_FOUND, "not found").text(),
    };
    let method = parts.method;
    if rest == "/upload" {
        return if method == Method::POST {
            upload_json(state, &parts.headers, body)
                .await
                .unwrap_or_else(Failure::json)
        } else {
            method_not_allowed("POST")
        };
    }
    if method == Method::GET || method == Method::HEAD {
        serve(state, &rest, method == Method::HEAD)
            .await
            .unwrap_or_else(Failure::text)
    } else if method == Method::PUT {
        upload_put(state, &rest, &parts.headers, body)
            .await
            .unwrap_or_else(Failure::json)
    } else {
        method_not_allowed("GET, HEAD, PUT")
    }
}

/// Truncates user input quoted in messages.
fn shown(s: &str) -> String {
    let mut end = s.len().min(200);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    if end < s.len() {
        format!("{:?}…", &s[..end])
    } else {
        format!("{s:?}")
    }
}

/// Decodes `%XX` escapes of a URL path; encoded `/` and `\` are refused (they would change how the path
/// splits into segments).
fn percent_decode(path: &str) -> Result<String, String> {
    if !path.contains('%') {
        return Ok(path.to_owned());
    }
    let bytes = path.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or_else(|| format!("invalid percent-encoding in {}", shown(path)))?;
            if hex == b'/' || hex == b'\\' {
                return Err(format!(
                    "encoded slashes and backslashes are not allowed in signature paths: {}",
                    shown(path)
                ));
            }
            out.push(hex);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| format!("path {} is not UTF-8", shown(path)))
}

/// Parses the part of a URL path after the base (`/<repo>@<algo>=<hex>/signature-<N>`).
fn parse_location(rest: &str) -> Result<SignatureLocation, String> {
    let rel = rest.strip_prefix('/').unwrap_or(rest);
    // The layout grammar admits no `..`, empty segment, absolute path, backslash, NUL or `%`.
    let rel = percent_decode(rel)?;
    SignatureLocation::parse_relative(&rel)
        .map_err(|e| format!("{} is not a signature path: {e}", shown(&rel)))
}

/// Whether `path`, or the deepest existing ancestor of it, resolves inside `root` (symbolic links
/// followed). Missing components below that ancestor are created later by the store, as directories.
fn resolves_inside(root: &Path, path: &Path) -> bool {
    let mut p = path;
    loop {
        match std::fs::canonicalize(p) {
            Ok(real) => return real.starts_with(root),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => match p.parent() {
                Some(parent) if parent.starts_with(root) || parent == root => p = parent,
                _ => return false,
            },
            Err(_) => return false,
        }
    }
}

async fn serve(state: Arc<AppState>, rest: &str, head: bool) -> Result<Response, Failure> {
    let loc = parse_location(rest).map_err(|m| fail(StatusCode::BAD_REQUEST, m))?;
    let path = state.root.join(loc.relative_path());
    let not_found = || {
        fail(
            StatusCode::NOT_FOUND,
            format!("signature {} not found", loc.relative_path()),
        )
    };
    let root = state.root.clone();
    let read = tokio::task::spawn_blocking(move || -> std::io::Result<Option<Vec<u8>>> {
        let real = match std::fs::canonicalize(&path) {
            Ok(real) => real,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e),
        };
        if !real.starts_with(&root) || !std::fs::metadata(&real)?.is_file() {
            return Ok(None);
        }
        match std::fs::read(&real) {
            Ok(b) => Ok(Some(b)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    })
    .await;
    let bytes = match read {
        Ok(Ok(Some(b))) => b,
        Ok(Ok(None)) => return Err(not_found()),
        Ok(Err(e)) => {
            // Covers "not a directory" (a file where a folder is expected): nothing to serve there.
            if e.kind() == std::io::ErrorKind::NotADirectory {
                return Err(not_found());
            }
            eprintln!("signature server: reading {}: {e}", loc.relative_path());
            return Err(fail(
                StatusCode::INTERNAL_SERVER_ERROR,
                "reading the signature failed (see the server log)",
            ));
        }
        Err(e) => {
            return Err(fail(
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("reading the signature failed: {e}"),
            ));
        }
    };
    let len = bytes.len();
    let mut r = if head {
        Response::new(Body::empty())
    } else {
        Response::new(Body::from(bytes))
    };
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/octet-stream"),
    );
    r.headers_mut()
        .insert(header::CONTENT_LENGTH, HeaderValue::from(len));
    Ok(r)
}

/// Checks the `Authorization` header against the configured credentials.
fn authorize(state: &AppState, headers: &HeaderMap) -> Result<(), Failure> {
    if state.credentials.is_empty() {
        return if state.allow_anonymous {
            Ok(())
        } else {
            Err(fail(
                StatusCode::FORBIDDEN,
                "uploads are disabled: the server has no upload credentials configured",
            ))
        };
    }
    if state.allow_anonymous {
        return Ok(());
    }
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Err(fail(
            StatusCode::UNAUTHORIZED,
            "uploading needs credentials: send `Authorization: Bearer <token>` or HTTP Basic",
        ));
    };
    let ok = value
        .to_str()
        .map(|v| state.credentials.accepts(v))
        .unwrap_or(false);
    if ok {
        Ok(())
    } else {
        Err(fail(
            StatusCode::UNAUTHORIZED,
            "the upload credentials were not accepted",
        ))
    }
}

/// Reads a request body of at most `limit` bytes (`413` beyond).
async fn read_body(headers: &HeaderMap, body: Body, limit: usize) -> Result<Vec<u8>, Failure> {
    let too_large = || {
        fail(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("the request body is larger than the server's limit of {limit} bytes"),
        )
    };
    if let Some(len) = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
    {
        if len > limit as u64 {
            return Err(too_large());
        }
    }
    match axum::body::to_bytes(body, limit).await {
        Ok(b) => Ok(b.to_vec()),
        Err(e) => {
            let inner = e.into_inner();
            let mut source: Option<&(dyn std::error::Error + 'static)> = Some(inner.as_ref());
            while let Some(s) = source {
                if s.is::<http_body_util::LengthLimitError>() {
                    return Err(too_large());
                }
                source = s.source();
            }
            Err(fail(
                StatusCode::BAD_REQUEST,
                format!("reading the request body failed: {inner}"),
            ))
        }
    }
}

/// The JSON body of `POST /upload`.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct UploadRequest {
    #[serde(rename = "repoName")]
    repo_name: String,
    #[serde(rename = "layerId")]
    layer_id: String,
    #[serde(rename = "signatureData")]
    signature_data: String,
}

fn decode_field(field: &str, value: &str) -> Result<Vec<u8>, Failure> {
    let cleaned: String = value
        .chars()
        .filter(|c| !matches!(c, '\r' | '\n'))
        .collect();
    base64::engine::general_purpose::STANDARD
        .decode(cleaned.as_bytes())
        .map_err(|e| {
            fail(
                StatusCode::BAD_REQUEST,
                format!("{field} is not valid standard base64: {e}"),
            )
        })
}

fn decode_text_field(field: &str, value: &str) -> Result<String, Failure> {
    String::from_utf8(decode_field(field, value)?).map_err(|_| {
        fail(
            StatusCode::BAD_REQUEST,
            format!("{field} does not decode to UTF-8 text"),
        )
    })
}

/// The image folder named by `repoName` + `layerId`: `(repository path, digest)`.
fn upload_target(repo_name: &str, layer_id: &str) -> Result<(String, Digest), Failure> {
    let bad = |m: String| fail(StatusCode::BAD_REQUEST, m);
    let repo = repo_name.strip_suffix('/').unwrap_or(repo_name);
    // The repository grammar admits no `..`, empty segment, absolute path, backslash, NUL or `%`.
    if !repo.is_empty() {
        validate_repository_path(repo).map_err(|e| {
            bad(format!(
                "repoName {} is not a repository path: {e}",
                shown(repo_name)
            ))
        })?;
    }
    let format_hint = "expected `<name>@<algorithm>=<hex>`, the staging folder name";
    let (name, encoded_digest) = layer_id
        .rsplit_once('@')
        .ok_or_else(|| bad(format!("layerId {}: {format_hint}", shown(layer_id))))?;
    if name.is_empty() {
        return Err(bad(format!("layerId {}: {format_hint}", shown(layer_id))));
    }
    validate_repository_path(name).map_err(|e| {
        bad(format!(
            "layerId {}: {} is not a repository path: {e}",
            shown(layer_id),
            shown(name)
        ))
    })?;
    let (algo, hex) = encoded_digest
        .split_once('=')
        .ok_or_else(|| bad(format!("layerId {}: {format_hint}", shown(layer_id))))?;
    let digest = Digest::parse(&format!("{algo}:{hex}"))
        .map_err(|e| bad(format!("layerId {}: invalid digest: {e}", shown(layer_id))))?;
    let repository = if repo.is_empty() {
        name.to_owned()
    } else {
        format!("{repo}/{name}")
    };
    let loc = SignatureLocation::new(&repository, digest, 1).map_err(|e| {
        bad(format!(
            "repoName + layerId {} is not a valid image folder: {e}",
            shown(&repository)
        ))
    })?;
    Ok((loc.repository, loc.digest))
}

async fn upload_json(
    state: Arc<AppState>,
    headers: &HeaderMap,
    body: Body,
) -> Result<Response, Failure> {
    authorize(&state, headers)?;
    // base64 grows data by 4/3; leave room for the other fields.
    let limit = state.max_body.saturating_mul(4) / 3 + 64 * 1024;
    let body = read_body(headers, body, limit).await?;
    let req: UploadRequest = serde_json::from_slice(&body).map_err(|e| {
        fail(
            StatusCode::BAD_REQUEST,
            format!(
                "invalid upload request (expected JSON with exactly repoName, layerId and \
                 signatureData, each base64): {e}"
            ),
        )
    })?;
    let repo_name = decode_text_field("repoName", &req.repo_name)?;
    let layer_id = decode_text_field("layerId", &req.layer_id)?;
    let blob = decode_field("signatureData", &req.signature_data)?;
    if blob.len() > state.max_body {
        return Err(fail(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!(
                "the signature is larger than the server's limit of {} bytes",
                state.max_body
            ),
        ));
    }
    let (repository, digest) = upload_target(&repo_name, &layer_id)?;
    store(state, repository, digest, blob).await
}

async fn upload_put(
    state: Arc<AppState>,
    rest: &str,
    headers: &HeaderMap,
    body: Body,
) -> Result<Response, Failure> {
    authorize(&state, headers)?;
    let loc = parse_location(rest).map_err(|m| fail(StatusCode::BAD_REQUEST, m))?;
    let blob = read_body(headers, body, state.max_body).await?;
    store(state, loc.repository, loc.digest, blob).await
}

/// Checks and stores a signature; `201` when stored, `200` when an identical one already was.
async fn store(
    state: Arc<AppState>,
    repository: String,
    digest: Digest,
    blob: Vec<u8>,
) -> Result<Response, Failure> {
    let st = state.clone();
    let result =
        tokio::task::spawn_blocking(move || store_blocking(&st, &repository, &digest, &blob))
            .await
            .map_err(|e| {
                fail(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    format!("storing the signature failed: {e}"),
                )
            })??;
    let (loc, created) = result;
    let rel = loc.relative_path();
    let body = serde_json::json!({ "path": rel, "index": loc.index, "created": created });
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    let mut r = (status, body.to_string()).into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    if let Ok(v) = HeaderValue::from_str(&format!("{}/{rel}", state.base_path)) {
        r.headers_mut().insert(header::LOCATION, v);
    }
    Ok(r)
}

fn store_blocking(
    state: &AppState,
    repository: &str,
    digest: &Digest,
    blob: &[u8],
) -> Result<(SignatureLocation, bool), Failure> {
    check_signature(blob, digest, state.verify.as_ref())
        .map_err(|m| fail(StatusCode::UNPROCESSABLE_ENTITY, m))?;
    let image = SignatureLocation::new(repository, digest.clone(), 1)
        .map_err(|e| fail(StatusCode::BAD_REQUEST, e.to_string()))?;
    let repo_dir = state.root.join(repository);
    let image_dir = state.root.join(image.image_dir());
    if !resolves_inside(&state.root, &image_dir) {
        return Err(fail(
            StatusCode::FORBIDDEN,
            format!(
                "{} leads outside the signature store (symbolic link); refusing to write",
                image.image_dir()
            ),
        ));
    }
    let internal = |e: crate::Error| {
        eprintln!("signature server: storing under {}: {e}", image.image_dir());
        fail(
            StatusCode::INTERNAL_SERVER_ERROR,
            "storing the signature failed (see the server log)",
        )
    };
    let mut h = DefaultHasher::new();
    image.image_dir().hash(&mut h);
    let stripe = usize::try_from(h.finish() % LOCK_STRIPES as u64).unwrap_or(0);
    let _guard = state
        .locks
        .get(stripe)
        .map(|m| m.lock().unwrap_or_else(std::sync::PoisonError::into_inner));
    if let Some(index) = file::find_identical(&repo_dir, digest, blob).map_err(internal)? {
        let loc = SignatureLocation::new(repository, digest.clone(), index).map_err(&internal)?;
        return Ok((loc, false));
    }
    // containers/image refuses to read an image with MAX_SIGNATURES signatures or more.
    let last = image_dir.join(format!("signature-{}", MAX_SIGNATURES - 1));
    if std::fs::symlink_metadata(&last).is_ok() {
        return Err(fail(
            StatusCode::CONFLICT,
            format!(
                "{} already has {} signatures, the most containers/image reads; not adding more",
                image.image_dir(),
                MAX_SIGNATURES - 1
            ),
        ));
    }
    let index = file::append_signature(&repo_dir, digest, blob).map_err(internal)?;
    let loc = SignatureLocation::new(repository, digest.clone(), index).map_err(internal)?;
    Ok((loc, true))
}
