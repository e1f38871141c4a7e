//! The registry client: ping, authentication, manifests and the signatures API extension.

use std::{
    collections::HashMap,
    path::PathBuf,
    sync::{Arc, Mutex},
    time::Instant,
};

use base64::Engine as _;
use containers_policy::{Digest, DockerReference, manifest, signature::Signature};
use reqwest::{StatusCode, blocking::Response, header};
use serde::Deserialize;

use super::{
    auth::{BearerToken, Challenge, parse_challenges, parse_token_response},
    authfile::{Credentials, auth_file_paths, find_credentials},
    response::registry_error_text,
};
use crate::{
    Environment, Error, HttpOptions, Result,
    store::http::{
        ReadLimitError, read_at_most, simplify_content_type, too_large, transport_error,
    },
};

/// The largest manifest accepted (`iolimits.MaxManifestBodySize`, 4 MiB).
pub const MAX_MANIFEST_BODY: u64 = 4 << 20;
/// The largest signature list accepted from the API extension (`iolimits.MaxSignatureListBodySize`).
pub const MAX_SIGNATURE_LIST_BODY: u64 = 4 << 20;
/// The largest bearer-token response accepted (`iolimits.MaxAuthTokenBodySize`, 1 MiB).
const MAX_AUTH_TOKEN_BODY: u64 = 1 << 20;
/// The largest error body read to word an error.
const MAX_ERROR_BODY: u64 = 1 << 20;

/// The manifest types asked for, in containers/image's order (`DefaultRequestedManifestMIMETypes`).
pub const MANIFEST_ACCEPT: &[&str] = &[
    manifest::OCI_IMAGE_MANIFEST_MEDIA_TYPE,
    manifest::DOCKER_V2_SCHEMA2_MEDIA_TYPE,
    manifest::DOCKER_V2_SCHEMA1_SIGNED_MEDIA_TYPE,
    manifest::DOCKER_V2_SCHEMA1_MEDIA_TYPE,
    manifest::DOCKER_V2_LIST_MEDIA_TYPE,
    manifest::OCI_IMAGE_INDEX_MEDIA_TYPE,
];

/// Settings of a [`RegistryClient`].
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct RegistryOptions {
    /// HTTP settings. With `tls_verify` off, a registry whose HTTPS ping fails is tried over plain HTTP,
    /// as containers/image does for insecure registries.
    pub http: HttpOptions,
    /// The auth file to read first (as `--authfile`); `None` uses `$REGISTRY_AUTH_FILE`, then the
    /// default locations.
    pub auth_file: Option<PathBuf>,
    /// Where default auth files are looked for.
    pub env: Environment,
    /// Explicit credentials (as `--creds`); auth files are then not read.
    pub credentials: Option<Credentials>,
}

impl RegistryOptions {
    /// Options with these HTTP settings and environment, no explicit auth file or credentials.
    pub fn new(http: HttpOptions, env: Environment) -> Self {
        RegistryOptions {
            http,
            env,
            auth_file: None,
            credentials: None,
        }
    }

    /// Sets [`RegistryOptions::auth_file`].
    pub fn with_auth_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.auth_file = Some(path.into());
        self
    }

    /// Sets [`RegistryOptions::credentials`].
    pub fn with_credentials(
        mut self,
        username: impl Into<String>,
        password: impl Into<String>,
    ) -> Self {
        self.credentials = Some(Credentials::new(username, password));
        self
    }
}

/// A manifest as fetched from a registry.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct FetchedManifest {
    /// The manifest bytes, unchanged.
    pub bytes: Vec<u8>,
    /// The `Content-Type` without parameters (guessed from the bytes if the registry sent none).
    pub media_type: String,
    /// The digest signatures are filed under: the reference's digest when it pins a sha256 one, else the
    /// manifest's digest (schema 1 signatures stripped).
    pub digest: Digest,
}

/// What a `/v2/` ping told about a registry.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RegistryInfo {
    /// `https://host` or (insecure fallback) `http://host`.
    pub base_url: String,
    /// The authentication challenges of the ping response.
    pub challenges: Vec<Challenge>,
    /// `X-Registry-Supports-Signatures: 1` was sent.
    pub supports_signatures: bool,
}

/// A Registry HTTP API v2 client. Send + Sync: pings and bearer tokens are cached inside, behind locks.
/// It uses a blocking HTTP client, so it must not be called from an async runtime's worker thread.
pub struct RegistryClient {
    http: reqwest::blocking::Client,
    options: RegistryOptions,
    pings: Mutex<HashMap<String, Arc<RegistryInfo>>>,
    tokens: Mutex<HashMap<(String, String, String), BearerToken>>,
}

impl std::fmt::Debug for RegistryClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RegistryClient")
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

/// The host to talk to for a reference's domain (`docker.io` is served by `registry-1.docker.io`).
pub fn registry_host(domain: &str) -> &str {
    if domain == "docker.io" {
        "registry-1.docker.io"
    } else {
        domain
    }
}

impl RegistryClient {
    /// A client with these options.
    pub fn new(options: RegistryOptions) -> Result<Self> {
        Ok(RegistryClient {
            http: options.http.build_client()?,
            options,
            pings: Mutex::new(HashMap::new()),
            tokens: Mutex::new(HashMap::new()),
        })
    }

    /// The client's options.
    pub fn options(&self) -> &RegistryOptions {
        &self.options
    }

    /// The underlying HTTP client (lookaside reads share it, as containers/image does).
    pub fn http_client(&self) -> &reqwest::blocking::Client {
        &self.http
    }

    /// Pings `GET /v2/` of the registry serving `domain` (once per client; later calls use the result).
    /// Errors are `pinging container registry <host>: <cause>`.
    pub fn ping(&self, domain: &str) -> Result<Arc<RegistryInfo>> {
        let host = registry_host(domain);
        if let Some(info) = lock(&self.pings).get(host) {
            return Ok(Arc::clone(info));
        }
        let mut result = self.ping_scheme("https", host);
        if result.is_err() && !self.options.http.tls_verify {
            result = self.ping_scheme("http", host);
        }
        let info = Arc::new(
            result
                .map_err(|e| Error::Registry(format!("pinging container registry {host}: {e}")))?,
        );
        lock(&self.pings).insert(host.to_string(), Arc::clone(&info));
        Ok(info)
    }

    fn ping_scheme(&self, scheme: &str, host: &str) -> std::result::Result<RegistryInfo, String> {
        let base_url = format!("{scheme}://{host}");
        let url = format!("{base_url}/v2/");
        let response = self
            .http
            .get(&url)
            .send()
            .map_err(|e| transport_error("Get", &url, &e))?;
        let status = response.status();
        let challenges = www_authenticate(&response);
        if status != StatusCode::OK && status != StatusCode::UNAUTHORIZED {
            return Err(error_text(response));
        }
        let supports_signatures = response
            .headers()
            .get("X-Registry-Supports-Signatures")
            .is_some_and(|v| v.as_bytes() == b"1");
        Ok(RegistryInfo {
            base_url,
            challenges: parse_challenges(challenges.iter().map(String::as_str)),
            supports_signatures,
        })
    }

    /// Whether the registry of `reference` advertises the signatures API extension.
    pub fn supports_signatures(&self, reference: &DockerReference) -> Result<bool> {
        Ok(self.ping(reference.domain())?.supports_signatures)
    }

    /// The credentials used for `reference`: the explicit ones, else the first auth file entry
    /// (`Ok(None)`: anonymous).
    pub fn credentials_for(&self, reference: &DockerReference) -> Result<Option<Credentials>> {
        if let Some(c) = &self.options.credentials {
            return Ok(Some(c.clone()));
        }
        let files = auth_file_paths(self.options.auth_file.as_deref(), &self.options.env);
        find_credentials(&files, reference.name_str(), reference.domain())
    }

    /// Fetches the manifest of `reference` (by digest if it has one, else by tag, `latest` if none).
    /// A refusal is `reading manifest <tag or digest> in <name>: <registry's error>`, e.g.
    /// `… : manifest unknown`.
    pub fn fetch_manifest(&self, reference: &DockerReference) -> Result<FetchedManifest> {
        let tag_or_digest = match (reference.digest(), reference.tag()) {
            (Some(d), _) => d.as_str().to_string(),
            (None, Some(t)) => t.to_string(),
            (None, None) => "latest".to_string(),
        };
        let path = format!("/v2/{}/manifests/{tag_or_digest}", reference.path());
        let response = self.get(reference, &path, Some(&MANIFEST_ACCEPT.join(", ")))?;
        if response.status() != StatusCode::OK {
            return Err(Error::Registry(format!(
                "reading manifest {tag_or_digest} in {}: {}",
                reference.name_str(),
                error_text(response)
            )));
        }
        let content_type = response
            .headers()
            .get(header::CONTENT_TYPE)
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
            .unwrap_or_default();
        let bytes = read_at_most(response, MAX_MANIFEST_BODY).map_err(|e| match e {
            ReadLimitError::TooLarge => Error::Registry(too_large(MAX_MANIFEST_BODY)),
            ReadLimitError::Transport(m) => Error::Registry(format!(
                "reading manifest {tag_or_digest} in {}: {m}",
                reference.name_str()
            )),
        })?;
        let mut media_type = simplify_content_type(&content_type);
        if media_type.is_empty() {
            media_type = manifest::guess_mime_type(&bytes).into_owned();
        }
        let digest = match reference.digest() {
            Some(d) if d.algorithm() == "sha256" => d.clone(),
            _ => manifest::manifest_digest(&bytes)?,
        };
        Ok(FetchedManifest {
            bytes,
            media_type,
            digest,
        })
    }

    /// Reads the signatures of `digest` through the registry's signatures API extension
    /// (`GET /extensions/v2/<repo>/signatures/<digest>`): only `schemaVersion` 2 entries of type `atomic`
    /// are kept; their `content` is a simple signature. A refusal is
    /// `downloading signatures for <digest> in <name>: <registry's error>`.
    pub fn extension_signatures(
        &self,
        reference: &DockerReference,
        digest: &Digest,
    ) -> Result<Vec<Signature>> {
        let path = format!(
            "/extensions/v2/{}/signatures/{}",
            reference.path(),
            digest.as_str()
        );
        let response = self.get(reference, &path, None)?;
        if response.status() != StatusCode::OK {
            return Err(Error::Read(format!(
                "downloading signatures for {digest} in {}: {}",
                reference.name_str(),
                error_text(response)
            )));
        }
        let body = read_at_most(response, MAX_SIGNATURE_LIST_BODY).map_err(|e| match e {
            ReadLimitError::TooLarge => Error::Read(too_large(MAX_SIGNATURE_LIST_BODY)),
            ReadLimitError::Transport(m) => Error::Read(format!(
                "downloading signatures for {digest} in {}: {m}",
                reference.name_str()
            )),
        })?;
        parse_signature_list(&body)
    }

    /// `GET <registry><path>` with the authentication the ping asked for.
    fn get(
        &self,
        reference: &DockerReference,
        path: &str,
        accept: Option<&str>,
    ) -> Result<Response> {
        let info = self.ping(reference.domain())?;
        let url = format!("{}{path}", info.base_url);
        let mut request = self.http.get(&url);
        if let Some(accept) = accept {
            request = request.header(header::ACCEPT, accept);
        }
        let credentials = self.credentials_for(reference)?;
        let challenge = info
            .challenges
            .iter()
            .find(|c| c.scheme == "basic" || c.scheme == "bearer");
        match challenge {
            Some(c) if c.scheme == "basic" => {
                if let Some(creds) = &credentials {
                    request = request.basic_auth(&creds.username, Some(&creds.password));
                }
            }
            Some(c) => {
                let scope = format!("repository:{}:pull", reference.path());
                let token = self.bearer_token(&info.base_url, c, &scope, credentials.as_ref())?;
                request = request.bearer_auth(token);
            }
            None => {}
        }
        request
            .send()
            .map_err(|e| Error::Registry(transport_error("Get", &url, &e)))
    }

    /// A bearer token for `scope` (cached until it expires).
    fn bearer_token(
        &self,
        registry: &str,
        challenge: &Challenge,
        scope: &str,
        credentials: Option<&Credentials>,
    ) -> Result<String> {
        let user = credentials.map(|c| c.username.clone()).unwrap_or_default();
        let key = (registry.to_string(), scope.to_string(), user);
        if let Some(t) = lock(&self.tokens).get(&key) {
            if t.expires_at > Instant::now() {
                return Ok(t.token.clone());
            }
        }
        let realm = challenge
            .parameters
            .get("realm")
            .ok_or_else(|| Error::Auth("missing realm in bearer auth challenge".into()))?;
        let mut url = url::Url::parse(realm)
            .map_err(|e| Error::Auth(format!("parsing bearer auth realm {realm:?}: {e}")))?;
        {
            let mut query = url.query_pairs_mut();
            if let Some(c) = credentials.filter(|c| !c.username.is_empty()) {
                query.append_pair("account", &c.username);
            }
            if let Some(service) = challenge
                .parameters
                .get("service")
                .filter(|s| !s.is_empty())
            {
                query.append_pair("service", service);
            }
            query.append_pair("scope", scope);
        }
        let mut request = self.http.get(url.clone());
        if let Some(c) = credentials.filter(|c| !c.username.is_empty() && !c.password.is_empty()) {
            request = request.basic_auth(&c.username, Some(&c.password));
        }
        let response = request
            .send()
            .map_err(|e| Error::Auth(transport_error("Get", url.as_str(), &e)))?;
        match response.status() {
            StatusCode::OK => {}
            StatusCode::TOO_MANY_REQUESTS => {
                return Err(Error::Auth("too many requests to registry".into()));
            }
            StatusCode::UNAUTHORIZED => {
                return Err(Error::Auth(format!(
                    "unable to retrieve auth token: invalid username/password: {}",
                    error_text(response)
                )));
            }
            status => {
                return Err(Error::Auth(format!(
                    "Requesting bearer token: {}",
                    crate::store::http::unexpected_status(status)
                )));
            }
        }
        let body = read_at_most(response, MAX_AUTH_TOKEN_BODY).map_err(|e| match e {
            ReadLimitError::TooLarge => Error::Auth(too_large(MAX_AUTH_TOKEN_BODY)),
            ReadLimitError::Transport(m) => Error::Auth(format!("Requesting bearer token: {m}")),
        })?;
        let token = parse_token_response(&body)?;
        let text = token.token.clone();
        lock(&self.tokens).insert(key, token);
        Ok(text)
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

fn www_authenticate(response: &Response) -> Vec<String> {
    response
        .headers()
        .get_all(header::WWW_AUTHENTICATE)
        .iter()
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
        .collect()
}

/// Words a failed response as containers/image does (reads at most 1 MiB of the body).
fn error_text(response: Response) -> String {
    let status = response.status();
    let challenges = www_authenticate(&response);
    let body = read_at_most(response, MAX_ERROR_BODY).unwrap_or_default();
    registry_error_text(status, &challenges, &body)
}

#[derive(Deserialize)]
struct SignatureList {
    #[serde(default)]
    signatures: Vec<ExtensionSignature>,
}

#[derive(Deserialize)]
struct ExtensionSignature {
    #[serde(default, rename = "schemaVersion")]
    schema_version: i64,
    #[serde(default, rename = "type")]
    kind: String,
    #[serde(default)]
    content: Option<String>,
}

/// Parses the API extension's signature list.
fn parse_signature_list(body: &[u8]) -> Result<Vec<Signature>> {
    let list: SignatureList = serde_json::from_slice(body)
        .map_err(|e| Error::Read(format!("decoding signature list: {e}")))?;
    let mut out = Vec::new();
    for s in list.signatures {
        if s.schema_version != 2 || s.kind != "atomic" {
            continue;
        }
        let content = s.content.unwrap_or_default();
        let cleaned: String = content
            .chars()
            .filter(|c| *c != '\r' && *c != '\n')
            .collect();
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(cleaned)
            .map_err(|e| Error::Read(format!("decoding signature list: {e}")))?;
        out.push(Signature::SimpleSigning(bytes));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_list_filtering() {
        let body = br#"{"signatures":[
            {"schemaVersion":2,"name":"sha256:x@1","type":"atomic","content":"aGVsbG8="},
            {"schemaVersion":1,"type":"atomic","content":"eA=="},
            {"schemaVersion":2,"type":"other","content":"eA=="},
            {"schemaVersion":2,"type":"atomic","content":"d29ybGQ=","extra":true}
        ],"other":1}"#;
        let sigs = parse_signature_list(body).unwrap();
        assert_eq!(
            sigs,
            [
                Signature::SimpleSigning(b"hello".to_vec()),
                Signature::SimpleSigning(b"world".to_vec())
            ]
        );
        assert!(
            parse_signature_list(b"[")
                .unwrap_err()
                .to_string()
                .starts_with("decoding signature list: ")
        );
        assert!(
            parse_signature_list(
                br#"{"signatures":[{"schemaVersion":2,"type":"atomic","content":"!"}]}"#
            )
            .is_err()
        );
    }

    #[test]
    fn docker_io_host() {
        assert_eq!(registry_host("docker.io"), "registry-1.docker.io");
        assert_eq!(registry_host("127.0.0.1:5000"), "127.0.0.1:5000");
    }
}
