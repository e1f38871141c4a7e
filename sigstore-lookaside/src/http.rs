//! The blocking HTTP client shared by lookaside reads, uploads and the registry client.

use std::time::Duration;

use crate::{Error, Result};

/// Settings of the HTTP client.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct HttpOptions {
    /// Verify TLS certificates (default true). `false` is for loopback test servers only.
    pub tls_verify: bool,
    /// Time allowed to establish a connection (default 30 s, as Go's `net.Dialer` in containers/image).
    pub connect_timeout: Duration,
    /// Time allowed for one whole request, headers and body (default 60 s).
    pub timeout: Duration,
    /// At most this many redirects are followed (default 10, as Go's `http.Client`).
    pub max_redirects: usize,
}

impl Default for HttpOptions {
    fn default() -> Self {
        HttpOptions {
            tls_verify: true,
            connect_timeout: Duration::from_secs(30),
            timeout: Duration::from_secs(60),
            max_redirects: 10,
        }
    }
}

impl HttpOptions {
    /// Sets [`HttpOptions::tls_verify`].
    pub fn with_tls_verify(mut self, on: bool) -> Self {
        self.tls_verify = on;
        self
    }

    /// Sets both timeouts.
    pub fn with_timeouts(mut self, connect: Duration, total: Duration) -> Self {
        self.connect_timeout = connect;
        self.timeout = total;
        self
    }

    /// Builds a client with these settings. Proxies are not taken from the environment.
    pub fn build_client(&self) -> Result<reqwest::blocking::Client> {
        reqwest::blocking::Client::builder()
            .user_agent(concat!("containers-policy/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(self.connect_timeout)
            .timeout(self.timeout)
            .redirect(reqwest::redirect::Policy::limited(self.max_redirects))
            .danger_accept_invalid_certs(!self.tls_verify)
            .no_proxy()
            .build()
            .map_err(|e| Error::Other(format!("creating HTTP client: {e}")))
    }
}
