//! The signature server (`containers-policy serve`). OWNER: helper C (server).
//!
//! It serves a `file://` lookaside store over HTTP, as containers/image reads it, and accepts uploads:
//!
//! * `GET`/`HEAD <base>/<repo path>@<algo>=<hex>/signature-<N>`: the signature bytes
//!   (`application/octet-stream`), `404` when missing. Paths that do not parse as a signature location
//!   (see [`SignatureLocation`](crate::SignatureLocation)) get `400`; nothing outside the root is ever
//!   read, there are no directory listings, and a symbolic link inside the root that leads outside it is
//!   answered with `404`.
//! * `POST <base>/upload`: the JSON API of the nginx/Lua signature servers in use today:
//!   `{"repoName": b64, "layerId": b64, "signatureData": b64}` (standard base64; line breaks are
//!   tolerated). The image folder is `repoName` (any depth, may be empty, one trailing `/` tolerated)
//!   joined with `layerId` = `<name>@<algo>=<hex>`. Unknown JSON fields are refused (`400`) so that a
//!   misspelt field is not silently ignored.
//! * `PUT <base>/<repo path>@<algo>=<hex>/signature-<N>`: a Nexus RAW-style upload; the body is the
//!   signature. **The index in the URL is advisory**: the server never overwrites, so the signature is
//!   stored at the next free index of the image (which is `N` when clients probe first, as ours does).
//!
//! Both uploads need a configured credential (`Authorization: Bearer …` or `Basic …`; `401` with
//! `WWW-Authenticate` otherwise); with no credentials configured uploads are refused (`403`) unless
//! [`ServerConfig::allow_anonymous_uploads`] is set. Bodies over the limit get `413`. The blob must be a
//! signature (`Signature::from_blob`), and its payload (unverified, or verified with
//! [`ServerConfig::verify`] keys) must claim the digest it is filed under, else `422`. An identical
//! signature already stored answers `200` (an idempotent retry); a new one `201 Created`; both with
//! `Location` and `{"path": "<relative path>", "index": N, "created": bool}`. Errors are
//! `{"error": "<message>"}` (uploads) or plain text (reads).
//!
//! An image keeps at most `MAX_SIGNATURES - 1` (127) signatures: containers/image refuses to read an image
//! with 128 or more (`server provided 128 signatures, …`), so a further upload gets `409`.
//!
//! Known limits: the check that a path stays inside the root is done before writing (a symbolic link
//! swapped in concurrently by someone with write access to the root is not defended against), and there
//! is no per-connection read timeout (put a reverse proxy in front for exposure to the internet).

mod check;
mod routes;

use std::{
    net::SocketAddr,
    path::{Path, PathBuf},
    sync::Arc,
    time::Duration,
};

use containers_policy::openpgp::Keyring;
use tokio::sync::watch;

use crate::{Error, Result, auth::Credentials, store::MAX_SIGNATURE_BODY};

/// Settings of the signature server. Build with [`ServerConfig::new`] and the `with_*` methods.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ServerConfig {
    /// The root of the `file://` lookaside store served and written.
    pub root: PathBuf,
    /// Credentials accepted for uploads.
    pub credentials: Credentials,
    /// Accept uploads without credentials (default false). Only meaningful when nobody else can reach
    /// the server.
    pub allow_anonymous_uploads: bool,
    /// When set, an uploaded simple-signing signature must verify with one of these keys.
    pub verify: Option<Keyring>,
    /// The largest signature accepted, in bytes (default 4 MiB, `MAX_SIGNATURE_BODY`).
    pub max_body: usize,
    /// A path prefix for every route, e.g. `/repository/sigstore` to mimic a Nexus RAW repository URL
    /// (default empty).
    pub base_path: String,
}

impl ServerConfig {
    /// Defaults for a store at `root`: no credentials (uploads refused), no verification, 4 MiB limit,
    /// no base path.
    pub fn new(root: impl Into<PathBuf>) -> Self {
        ServerConfig {
            root: root.into(),
            credentials: Credentials::new(),
            allow_anonymous_uploads: false,
            verify: None,
            max_body: usize::try_from(MAX_SIGNATURE_BODY).unwrap_or(usize::MAX),
            base_path: String::new(),
        }
    }

    /// Sets [`ServerConfig::credentials`].
    pub fn with_credentials(mut self, credentials: Credentials) -> Self {
        self.credentials = credentials;
        self
    }

    /// Sets [`ServerConfig::allow_anonymous_uploads`].
    pub fn with_anonymous_uploads(mut self, allow: bool) -> Self {
        self.allow_anonymous_uploads = allow;
        self
    }

    /// Sets [`ServerConfig::verify`].
    pub fn with_verify_keyring(mut self, keyring: Keyring) -> Self {
        self.verify = Some(keyring);
        self
    }

    /// Sets [`ServerConfig::verify`] from public key files (binary or armored); a file that cannot be
    /// read or holds no usable key is an error naming it.
    pub fn with_verify_key_files<P: AsRef<Path>>(
        mut self,
        files: impl IntoIterator<Item = P>,
    ) -> Result<Self> {
        let mut blobs = Vec::new();
        for f in files {
            let f = f.as_ref();
            let blob = std::fs::read(f)
                .map_err(|e| containers_policy::error::IoError::new("open", f, e))?;
            if Keyring::from_blobs([blob.as_slice()]).is_empty() {
                return Err(Error::Config(format!(
                    "{}: no usable OpenPGP public key in the file",
                    f.display()
                )));
            }
            blobs.push(blob);
        }
        if blobs.is_empty() {
            return Err(Error::Config(
                "signature verification needs at least one public key file".into(),
            ));
        }
        self.verify = Some(Keyring::from_blobs(blobs.iter().map(Vec::as_slice)));
        Ok(self)
    }

    /// Sets [`ServerConfig::max_body`].
    pub fn with_max_body(mut self, bytes: usize) -> Self {
        self.max_body = bytes;
        self
    }

    /// Sets [`ServerConfig::base_path`] (a trailing `/` is dropped).
    pub fn with_base_path(mut self, base_path: impl Into<String>) -> Self {
        let mut b: String = base_path.into();
        while b.ends_with('/') {
            b.pop();
        }
        self.base_path = b;
        self
    }
}

/// Triggers a graceful shutdown of a [`RunningServer`] from any thread.
#[derive(Debug, Clone)]
pub struct ShutdownHandle(Arc<watch::Sender<bool>>);

impl ShutdownHandle {
    /// Asks the server to stop accepting connections and finish the requests in flight.
    pub fn shutdown(&self) {
        self.0.send_replace(true);
    }
}

/// How long a graceful shutdown waits for requests in flight.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// A server started by [`start`]. Dropping it shuts it down (gracefully, waiting at most 10 s).
#[derive(Debug)]
pub struct RunningServer {
    local_addr: SocketAddr,
    shutdown: ShutdownHandle,
    runtime: Option<tokio::runtime::Runtime>,
    task: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
}

/// Starts serving `config.root` on `addr` (port 0 picks a free port) on a runtime of its own. The root is
/// created if missing. Returns once the socket is bound.
pub fn start(config: ServerConfig, addr: SocketAddr) -> Result<RunningServer> {
    if !config.base_path.is_empty()
        && (!config.base_path.starts_with('/')
            || config.base_path.contains("//")
            || config.base_path.contains(['?', '#', '%', '\\']))
    {
        return Err(Error::Config(format!(
            "invalid server base path {:?}: expected empty or `/segment[/segment…]`",
            config.base_path
        )));
    }
    if config.max_body == 0 {
        return Err(Error::Config("the maximum body size must not be 0".into()));
    }
    std::fs::create_dir_all(&config.root)
        .map_err(|e| containers_policy::error::IoError::new("mkdir", &config.root, e))?;
    let root = std::fs::canonicalize(&config.root)
        .map_err(|e| containers_policy::error::IoError::new("lstat", &config.root, e))?;
    let state = Arc::new(routes::AppState::new(root, config));

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("lookaside-server")
        .enable_all()
        .build()
        .map_err(|e| Error::Other(format!("starting the server runtime: {e}")))?;
    let listener = std::net::TcpListener::bind(addr)
        .map_err(|e| Error::Other(format!("listen tcp {addr}: {e}")))?;
    listener
        .set_nonblocking(true)
        .map_err(|e| Error::Other(format!("listen tcp {addr}: {e}")))?;
    let listener = {
        let _guard = runtime.enter();
        tokio::net::TcpListener::from_std(listener)
            .map_err(|e| Error::Other(format!("listen tcp {addr}: {e}")))?
    };
    let local_addr = listener
        .local_addr()
        .map_err(|e| Error::Other(format!("listen tcp {addr}: {e}")))?;

    let (tx, mut rx) = watch::channel(false);
    let app = routes::router(state);
    let task = runtime.spawn(async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(async move {
                // A dropped sender also ends the server.
                let _ = rx.wait_for(|stop| *stop).await;
            })
            .await
    });
    Ok(RunningServer {
        local_addr,
        shutdown: ShutdownHandle(Arc::new(tx)),
        runtime: Some(runtime),
        task: Some(task),
    })
}

impl RunningServer {
    /// The address the server listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// A handle that stops the server from another thread (e.g. while [`RunningServer::wait`] blocks).
    pub fn shutdown_handle(&self) -> ShutdownHandle {
        self.shutdown.clone()
    }

    /// Stops accepting connections, lets requests in flight finish (at most 10 s) and returns.
    pub fn shutdown(mut self) -> Result<()> {
        self.shutdown.shutdown();
        self.finish(false)
    }

    /// Blocks until Ctrl-C or a [`ShutdownHandle::shutdown`], then shuts down gracefully.
    pub fn wait(mut self) -> Result<()> {
        self.finish(true)
    }

    fn finish(&mut self, until_ctrl_c: bool) -> Result<()> {
        let (Some(runtime), Some(mut task)) = (self.runtime.take(), self.task.take()) else {
            return Ok(());
        };
        let handle = self.shutdown.clone();
        let result = runtime.block_on(async move {
            if until_ctrl_c {
                tokio::select! {
                    r = &mut task => return r,
                    _ = tokio::signal::ctrl_c() => handle.shutdown(),
                }
            }
            match tokio::time::timeout(SHUTDOWN_GRACE, &mut task).await {
                Ok(r) => r,
                Err(_) => {
                    task.abort();
                    Ok(Ok(()))
                }
            }
        });
        runtime.shutdown_timeout(Duration::from_secs(1));
        match result {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(Error::Other(format!("signature server: {e}"))),
            Err(e) => Err(Error::Other(format!("signature server task failed: {e}"))),
        }
    }
}

impl Drop for RunningServer {
    fn drop(&mut self) {
        self.shutdown.shutdown();
        if tokio::runtime::Handle::try_current().is_ok() {
            // Cannot block inside an async context: stop without waiting.
            if let Some(rt) = self.runtime.take() {
                rt.shutdown_background();
            }
            return;
        }
        let _ = self.finish(false);
    }
}
