//! Upload clients for signature servers and Nexus RAW repositories. OWNER: helper C (server).
//!
//! Two targets are supported:
//!
//! * [`UploadTarget::SignatureServer`]: `POST <upload_url>` with the JSON API of the nginx/Lua servers in
//!   use today (and of our `serve`): `{"repoName", "layerId", "signatureData"}`, each standard base64.
//!   `repoName` is the repository path without its last component (possibly empty) and `layerId` is
//!   `<last component>@<algo>=<hex>`, the staging folder name — exactly what the existing clients send
//!   for `<ns>/<name>` repositories, generalized to any depth. The server picks the index.
//! * [`UploadTarget::Nexus`]: `PUT <base_url>/<repo path>@<algo>=<hex>/signature-<N>`. A RAW repository
//!   does not pick indices, so the client first reads `signature-1`, `signature-2`, … until a `404`,
//!   returns early when an identical signature is already there, and otherwise writes the first free
//!   index. Two clients uploading to the same image at the same moment can still race on a real Nexus
//!   (our server never overwrites, and stores at the next free index instead).
//!
//! Staging stores (`sigstore-staging: file:///…`, as skopeo writes them) can be walked with
//! [`staged_signatures`] and uploaded whole with [`Uploader::upload_staging`].

use std::{
    io::Read as _,
    path::{Path, PathBuf},
};

use base64::Engine as _;
use containers_policy::Digest;
use reqwest::{StatusCode, header};
use url::Url;

use crate::{
    Error, HttpOptions, Result, SignatureLocation,
    auth::Credential,
    store::{MAX_SIGNATURE_BODY, MAX_SIGNATURES},
};

/// Where signatures are uploaded.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum UploadTarget {
    /// A signature server's JSON upload endpoint, e.g. `https://sigs.example.com/upload`.
    SignatureServer {
        /// The full URL of the upload endpoint.
        upload_url: Url,
    },
    /// A Nexus RAW repository (or our server's `PUT` API), e.g.
    /// `https://nexus.example.com/repository/sigstore`.
    Nexus {
        /// The base URL the lookaside layout starts under.
        base_url: Url,
    },
}

/// The result of one upload.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct UploadOutcome {
    /// `<repo path>@<algo>=<hex>/signature-<N>` when the index is known, else the image folder
    /// `<repo path>@<algo>=<hex>` (a server that does not say where it stored the signature).
    pub path: String,
    /// Where the signature can be read, when known.
    pub url: Option<Url>,
    /// The 1-based index the signature is stored at, when known.
    pub index: Option<usize>,
    /// False when an identical signature was already stored (nothing was written).
    pub created: bool,
}

/// An upload client for one target.
#[derive(Debug)]
pub struct Uploader {
    target: UploadTarget,
    credential: Option<Credential>,
    client: reqwest::blocking::Client,
}

/// What our server (and possibly others) answers to an upload.
#[derive(serde::Deserialize)]
struct ServerAnswer {
    path: Option<String>,
    index: Option<usize>,
    created: Option<bool>,
}

/// Reads at most `limit` bytes of a response body; `None` if it is longer.
fn read_limited(resp: reqwest::blocking::Response, limit: u64) -> std::io::Result<Option<Vec<u8>>> {
    let mut buf = Vec::new();
    resp.take(limit + 1).read_to_end(&mut buf)?;
    Ok((buf.len() as u64 <= limit).then_some(buf))
}

/// The message of an error response: its JSON `error`/`message` member, else its text (shortened).
fn server_message(resp: reqwest::blocking::Response) -> String {
    let body = match read_limited(resp, 64 * 1024) {
        Ok(Some(b)) => b,
        Ok(None) => return "(response body too large)".into(),
        Err(e) => return format!("(reading the response body failed: {e})"),
    };
    if let Ok(v) = serde_json::from_slice::<serde_json::Value>(&body) {
        for key in ["error", "message"] {
            if let Some(m) = v.get(key).and_then(serde_json::Value::as_str) {
                return m.to_owned();
            }
        }
    }
    let text = String::from_utf8_lossy(&body);
    let text = text.trim();
    let mut end = text.len().min(1024);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    if text.is_empty() {
        "(empty response body)".into()
    } else {
        text[..end].to_owned()
    }
}

fn status_error(action: &str, url: &Url, resp: reqwest::blocking::Response) -> Error {
    let status = resp.status();
    let message = server_message(resp);
    let text = format!("{action} {url}: received unexpected HTTP status: {status}: {message}");
    // A refused credential is an authentication failure, whatever the endpoint.
    if matches!(status, StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN) {
        Error::Auth(text)
    } else {
        Error::Upload(text)
    }
}

fn send_error(action: &str, url: &Url, e: reqwest::Error) -> Error {
    // The whole chain: reqwest's top-level text ("error sending request for url …") hides the cause
    // ("Connection refused", a TLS failure, a timeout).
    Error::Upload(format!(
        "{action} {url}: {}",
        crate::store::http::error_chain(&e)
    ))
}

impl Uploader {
    /// A client for `target`, sending `credential` (if any) with every request.
    pub fn new(
        target: UploadTarget,
        credential: Option<Credential>,
        http: &HttpOptions,
    ) -> Result<Self> {
        let client = http.build_client()?;
        Ok(Uploader {
            target,
            credential,
            client,
        })
    }

    /// The target.
    pub fn target(&self) -> &UploadTarget {
        &self.target
    }

    fn authorized(
        &self,
        request: reqwest::blocking::RequestBuilder,
    ) -> reqwest::blocking::RequestBuilder {
        match &self.credential {
            Some(c) => request.header(header::AUTHORIZATION, c.authorization_header()),
            None => request,
        }
    }

    /// Uploads one signature of image `digest` in `repository` (a path without host, any depth).
    pub fn upload(&self, repository: &str, digest: &Digest, blob: &[u8]) -> Result<UploadOutcome> {
        let image = SignatureLocation::new(repository, digest.clone(), 1)?;
        if blob.is_empty() {
            return Err(Error::Upload(format!(
                "refusing to upload an empty signature for {}",
                image.image_dir()
            )));
        }
        match &self.target {
            UploadTarget::SignatureServer { upload_url } => {
                self.upload_json(upload_url, &image, blob)
            }
            UploadTarget::Nexus { base_url } => self.upload_nexus(base_url, &image, blob),
        }
    }

    fn upload_json(
        &self,
        upload_url: &Url,
        image: &SignatureLocation,
        blob: &[u8],
    ) -> Result<UploadOutcome> {
        let (repo_name, last) = match image.repository.rsplit_once('/') {
            Some((prefix, last)) => (prefix, last),
            None => ("", image.repository.as_str()),
        };
        let layer_id = format!("{last}@{}={}", image.digest.algorithm(), image.digest.hex());
        let b64 = |b: &[u8]| base64::engine::general_purpose::STANDARD.encode(b);
        let body = serde_json::json!({
            "repoName": b64(repo_name.as_bytes()),
            "layerId": b64(layer_id.as_bytes()),
            "signatureData": b64(blob),
        });
        let action = "uploading signature to";
        let resp = self
            .authorized(self.client.post(upload_url.clone()))
            .header(header::CONTENT_TYPE, "application/json")
            .body(body.to_string())
            .send()
            .map_err(|e| send_error(action, upload_url, e))?;
        if !resp.status().is_success() {
            return Err(status_error(action, upload_url, resp));
        }
        let status = resp.status();
        let location = resp
            .headers()
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| upload_url.join(v).ok());
        let answer = read_limited(resp, 64 * 1024)
            .ok()
            .flatten()
            .and_then(|b| serde_json::from_slice::<ServerAnswer>(&b).ok());
        let (path, index, created) = match answer {
            Some(a) => (a.path, a.index, a.created),
            None => (None, None, None),
        };
        let index = index.filter(|&i| i >= 1);
        let path = match (path, index) {
            (Some(p), _) => p,
            (None, Some(i)) => format!("{}/signature-{i}", image.image_dir()),
            (None, None) => image.image_dir(),
        };
        Ok(UploadOutcome {
            path,
            url: location,
            index,
            created: created.unwrap_or(status != StatusCode::OK || index.is_none()),
        })
    }

    fn upload_nexus(
        &self,
        base_url: &Url,
        image: &SignatureLocation,
        blob: &[u8],
    ) -> Result<UploadOutcome> {
        let base = base_url.as_str().trim_end_matches('/');
        let url_of = |loc: &SignatureLocation| -> Result<Url> {
            let s = format!("{base}/{}", loc.relative_path());
            Url::parse(&s).map_err(|e| Error::Upload(format!("invalid upload URL {s}: {e}")))
        };
        let mut free = None;
        for index in 1..MAX_SIGNATURES {
            let loc = SignatureLocation::new(&image.repository, image.digest.clone(), index)?;
            let url = url_of(&loc)?;
            let action = "reading signature from";
            let resp = self
                .authorized(self.client.get(url.clone()))
                .send()
                .map_err(|e| send_error(action, &url, e))?;
            match resp.status() {
                StatusCode::NOT_FOUND => {
                    free = Some((loc, url));
                    break;
                }
                s if s.is_success() => {
                    let existing = read_limited(resp, MAX_SIGNATURE_BODY)
                        .map_err(|e| Error::Upload(format!("{action} {url}: {e}")))?
                        .ok_or_else(|| {
                            Error::Upload(format!(
                                "{action} {url}: signature is larger than {MAX_SIGNATURE_BODY} bytes"
                            ))
                        })?;
                    if existing == blob {
                        return Ok(UploadOutcome {
                            path: loc.relative_path(),
                            url: Some(url),
                            index: Some(index),
                            created: false,
                        });
                    }
                }
                _ => return Err(status_error(action, &url, resp)),
            }
        }
        let Some((loc, url)) = free else {
            return Err(Error::Upload(format!(
                "{base}/{} already has {} signatures, the most containers/image reads",
                image.image_dir(),
                MAX_SIGNATURES - 1
            )));
        };
        let action = "uploading signature to";
        let resp = self
            .authorized(self.client.put(url.clone()))
            .header(header::CONTENT_TYPE, "application/octet-stream")
            .body(blob.to_vec())
            .send()
            .map_err(|e| send_error(action, &url, e))?;
        if !resp.status().is_success() {
            return Err(status_error(action, &url, resp));
        }
        // Our server may have stored at another index (a concurrent upload took this one); Nexus says
        // nothing and stores where it was told.
        let answer = read_limited(resp, 64 * 1024)
            .ok()
            .flatten()
            .and_then(|b| serde_json::from_slice::<ServerAnswer>(&b).ok());
        if let Some(ServerAnswer {
            index: Some(index),
            created,
            ..
        }) = answer
        {
            if let Ok(actual) =
                SignatureLocation::new(&image.repository, image.digest.clone(), index)
            {
                return Ok(UploadOutcome {
                    url: Some(url_of(&actual)?),
                    path: actual.relative_path(),
                    index: Some(index),
                    created: created.unwrap_or(true),
                });
            }
        }
        Ok(UploadOutcome {
            path: loc.relative_path(),
            url: Some(url),
            index: Some(loc.index),
            created: true,
        })
    }

    /// Uploads every signature of a staging store ([`staged_signatures`] order: by repository, digest and
    /// index), stopping at the first failure (whose message names the file).
    pub fn upload_staging(&self, staging_root: &Path) -> Result<Vec<UploadOutcome>> {
        let mut out = Vec::new();
        for (loc, file) in staged_signatures(staging_root)? {
            let blob = std::fs::read(&file)
                .map_err(|e| containers_policy::error::IoError::new("open", &file, e))?;
            let outcome = self
                .upload(&loc.repository, &loc.digest, &blob)
                .map_err(|e| e.context(file.display()))?;
            out.push(outcome);
        }
        Ok(out)
    }
}

fn layout_error(path: &Path, message: &str) -> Error {
    Error::Layout(format!("{}: {message}", path.display()))
}

/// Lists the signatures of a staging store (`<root>/<repo path, any depth>@<algo>=<hex>/signature-<N>`),
/// sorted by repository, digest and index. Hidden files (`.…`, e.g. temporary files of a writer) are
/// skipped; anything else that does not parse as a signature location — stray files, symbolic links,
/// non-UTF-8 names, folders inside an image folder — is an error naming the path.
pub fn staged_signatures(staging_root: &Path) -> Result<Vec<(SignatureLocation, PathBuf)>> {
    let mut out = Vec::new();
    walk(staging_root, &mut Vec::new(), &mut out)?;
    out.sort_by(|(a, _), (b, _)| {
        (a.repository.as_str(), a.digest.as_str(), a.index).cmp(&(
            b.repository.as_str(),
            b.digest.as_str(),
            b.index,
        ))
    });
    Ok(out)
}

/// Sorted `(name, path, file type)` of a folder's entries.
fn entries(dir: &Path) -> Result<Vec<(String, PathBuf, std::fs::FileType)>> {
    let io = |e| containers_policy::error::IoError::new("open", dir, e);
    let mut list = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(io)? {
        let entry = entry.map_err(io)?;
        let path = entry.path();
        let file_type = entry
            .file_type()
            .map_err(|e| containers_policy::error::IoError::new("lstat", &path, e))?;
        let name = entry
            .file_name()
            .into_string()
            .map_err(|_| layout_error(&path, "file name is not UTF-8"))?;
        list.push((name, path, file_type));
    }
    list.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(list)
}

fn walk(
    dir: &Path,
    components: &mut Vec<String>,
    out: &mut Vec<(SignatureLocation, PathBuf)>,
) -> Result<()> {
    for (name, path, file_type) in entries(dir)? {
        if name.starts_with('.') && file_type.is_file() {
            continue;
        }
        if file_type.is_symlink() {
            return Err(layout_error(
                &path,
                "symbolic links are not followed in a staging store",
            ));
        }
        if !file_type.is_dir() {
            return Err(layout_error(
                &path,
                "not inside an image folder (`<repository>@<algorithm>=<hex>`)",
            ));
        }
        components.push(name.clone());
        if name.contains('@') {
            for (file, file_path, file_type) in entries(&path)? {
                if file.starts_with('.') && file_type.is_file() {
                    continue;
                }
                if !file_type.is_file() {
                    return Err(layout_error(
                        &file_path,
                        "an image folder holds only signature-<N> files",
                    ));
                }
                let rel = format!("{}/{file}", components.join("/"));
                let loc = SignatureLocation::parse_relative(&rel).map_err(|e| {
                    layout_error(&file_path, &format!("not a signature location: {e}"))
                })?;
                out.push((loc, file_path));
            }
        } else {
            walk(&path, components, out)?;
        }
        components.pop();
    }
    Ok(())
}

/// The location of `file` inside the staging store at `staging_root` (both are resolved first, so
/// relative paths work). Errors name the file.
pub fn locate_staged_file(staging_root: &Path, file: &Path) -> Result<SignatureLocation> {
    let root = std::fs::canonicalize(staging_root)
        .map_err(|e| containers_policy::error::IoError::new("lstat", staging_root, e))?;
    let real = std::fs::canonicalize(file)
        .map_err(|e| containers_policy::error::IoError::new("lstat", file, e))?;
    let rel = real.strip_prefix(&root).map_err(|_| {
        layout_error(
            file,
            &format!("is not inside the staging store {}", staging_root.display()),
        )
    })?;
    let mut parts = Vec::new();
    for c in rel.components() {
        match c {
            std::path::Component::Normal(s) => parts.push(
                s.to_str()
                    .ok_or_else(|| layout_error(file, "file name is not UTF-8"))?,
            ),
            _ => return Err(layout_error(file, "not a signature location")),
        }
    }
    SignatureLocation::parse_relative(&parts.join("/"))
        .map_err(|e| layout_error(file, &format!("not a signature location: {e}")))
}
