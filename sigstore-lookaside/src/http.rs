//! The blocking HTTP client shared by lookaside reads, uploads and the registry client.
//!
//! TLS is rustls, configured here for every client this crate builds (see [`HttpOptions::build_client`]); no
//! OpenSSL is linked. This crate enables reqwest's `rustls-no-provider` feature, and Cargo unifies features:
//! a program that also builds its own `reqwest` clients with the default builder and without a TLS feature of
//! its own gets reqwest's "No rustls crypto provider is configured" panic. Such a program should build its
//! clients with [`HttpOptions::build_client`], enable a reqwest TLS feature of its own, or install a provider
//! once at start (`rustls::crypto::aws_lc_rs::default_provider().install_default()`).

use std::{sync::Arc, time::Duration};

use rustls::{
    DigitallySignedStruct,
    client::danger::{HandshakeSignatureValid, ServerCertVerified},
    pki_types::{CertificateDer, ServerName, UnixTime},
};

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
    ///
    /// TLS is rustls. Its primitives are the process's default rustls `CryptoProvider` when the embedding
    /// program has installed one, else AWS-LC's (aws-lc-rs, the library that also verifies RSA signatures in
    /// `containers-policy`); none is installed here. Server certificates are checked
    /// against the system trust store (rustls-platform-verifier: `SSL_CERT_FILE`/`SSL_CERT_DIR`, else the
    /// distribution's bundle), as Go's crypto/tls does; with `tls_verify` off any certificate is accepted,
    /// but the handshake signature is still checked against it.
    pub fn build_client(&self) -> Result<reqwest::blocking::Client> {
        reqwest::blocking::Client::builder()
            .user_agent(concat!("containers-policy/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(self.connect_timeout)
            .timeout(self.timeout)
            .redirect(reqwest::redirect::Policy::limited(self.max_redirects))
            .tls_backend_preconfigured(tls_config(self.tls_verify)?)
            .no_proxy()
            .build()
            .map_err(|e| Error::Other(format!("creating HTTP client: {e}")))
    }
}

/// The rustls client configuration of [`HttpOptions::build_client`].
fn tls_config(verify: bool) -> Result<rustls::ClientConfig> {
    let provider = rustls::crypto::CryptoProvider::get_default()
        .cloned()
        .unwrap_or_else(|| Arc::new(rustls::crypto::aws_lc_rs::default_provider()));
    let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::Other(format!("creating TLS configuration: {e}")))?
        .dangerous();
    let builder = if verify {
        let verifier = rustls_platform_verifier::Verifier::new(provider)
            .map_err(|e| Error::Other(format!("loading the system's TLS trust store: {e}")))?;
        builder.with_custom_certificate_verifier(Arc::new(verifier))
    } else {
        builder.with_custom_certificate_verifier(Arc::new(AnyCertificate(provider)))
    };
    let mut config = builder.with_no_client_auth();
    // HTTP/2 where the server offers it, as Go's http.Transport negotiates.
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(config)
}

/// A certificate verifier for `tls_verify: false` (`--tls-verify=false`): any certificate chain and name is
/// accepted, as Go's `InsecureSkipVerify`; the server must still prove it holds the certificate's key.
#[derive(Debug)]
struct AnyCertificate(Arc<rustls::crypto::CryptoProvider>);

impl rustls::client::danger::ServerCertVerifier for AnyCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> std::result::Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}
