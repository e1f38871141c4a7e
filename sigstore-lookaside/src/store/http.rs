//! `http(s)://` lookaside stores: reading one signature (`docker_image_src.go` `getOneSignature`).
//! OWNER: helper B (network).

use std::io::Read;

use crate::{Error, HttpOptions, Result, store::MAX_SIGNATURE_BODY};

/// Reads signatures from a lookaside web server: plain `GET`s, no authentication, redirects followed
/// (up to [`HttpOptions::max_redirects`]), with the client's TLS and timeout settings.
///
/// containers/image only logs a warning when a signature is served as `text/html`; this type never logs.
/// [`HttpStore::get_one`] drops such warnings, [`HttpStore::get_one_with_warnings`] hands them to the
/// caller.
#[derive(Debug, Clone)]
pub struct HttpStore {
    client: reqwest::blocking::Client,
}

impl HttpStore {
    /// A store reader with a new client built from `options`.
    pub fn new(options: &HttpOptions) -> Result<Self> {
        Ok(HttpStore {
            client: options.build_client()?,
        })
    }

    /// A store reader sharing an existing client (for example the registry client's).
    pub fn from_client(client: reqwest::blocking::Client) -> Self {
        HttpStore { client }
    }

    /// Reads the signature at `url`: `Ok(None)` on 404 (the end of the list); any other status but 200 is
    /// `reading signature from <url>: received unexpected HTTP status: <code> <reason>`; a body over
    /// 4 MiB is `exceeded maximum allowed size of 4194304 bytes` (containers/image's bare text); transport
    /// failures are `Get "<url>": <cause>`.
    pub fn get_one(&self, url: &url::Url) -> Result<Option<Vec<u8>>> {
        self.get_one_with_warnings(url, &mut Vec::new())
    }

    /// As [`HttpStore::get_one`], also appending warnings (a `text/html` `Content-Type`, with
    /// containers/image's wording) to `warnings`.
    pub fn get_one_with_warnings(
        &self,
        url: &url::Url,
        warnings: &mut Vec<String>,
    ) -> Result<Option<Vec<u8>>> {
        self.get_one_named(url, url.as_str(), warnings)
    }

    /// As [`HttpStore::get_one_with_warnings`], naming the URL as `url` in messages (Go's rendering of
    /// the configured URL, with any password redacted).
    pub(crate) fn get_one_named(
        &self,
        target: &url::Url,
        url: &str,
        warnings: &mut Vec<String>,
    ) -> Result<Option<Vec<u8>>> {
        let response = self
            .client
            .get(target.clone())
            .send()
            .map_err(|e| Error::Read(transport_error("Get", url, &e)))?;
        let status = response.status();
        if status == reqwest::StatusCode::NOT_FOUND {
            return Ok(None);
        }
        if status != reqwest::StatusCode::OK {
            return Err(Error::Read(format!(
                "reading signature from {url}: {}",
                unexpected_status(status)
            )));
        }
        let content_type = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
            .unwrap_or_default();
        if simplify_content_type(&content_type) == "text/html" {
            warnings.push(format!(
                "Signature {} has Content-Type {}, unexpected for a signature",
                go_quote(url),
                go_quote(&content_type)
            ));
        }
        read_at_most(response, MAX_SIGNATURE_BODY)
            .map(Some)
            .map_err(|e| match e {
                ReadLimitError::TooLarge => Error::Read(too_large(MAX_SIGNATURE_BODY)),
                ReadLimitError::Transport(m) => {
                    Error::Read(format!("reading signature from {url}: {m}"))
                }
            })
    }
}

/// Go's `%q` of a string.
fn go_quote(s: &str) -> String {
    containers_policy::error::go_quote(s)
}

/// `iolimits.ReadAtMost`'s error text.
pub(crate) fn too_large(limit: u64) -> String {
    format!("exceeded maximum allowed size of {limit} bytes")
}

/// Why [`read_at_most`] failed.
pub(crate) enum ReadLimitError {
    /// More than the limit was sent.
    TooLarge,
    /// The body could not be read (the text of the cause).
    Transport(String),
}

/// Reads a response body, refusing more than `limit` bytes (without buffering more than `limit + 1`).
pub(crate) fn read_at_most(
    response: reqwest::blocking::Response,
    limit: u64,
) -> std::result::Result<Vec<u8>, ReadLimitError> {
    let mut body = Vec::new();
    response
        .take(limit + 1)
        .read_to_end(&mut body)
        .map_err(|e| ReadLimitError::Transport(error_chain(&e)))?;
    if body.len() as u64 > limit {
        return Err(ReadLimitError::TooLarge);
    }
    Ok(body)
}

/// Go's `unexpectedHTTPStatusError` text: `received unexpected HTTP status: 500 Internal Server Error`.
pub(crate) fn unexpected_status(status: reqwest::StatusCode) -> String {
    format!("received unexpected HTTP status: {}", status_text(status))
}

/// Go's `resp.Status` (`<code> <reason>`; the canonical reason, as the wire reason is not kept).
pub(crate) fn status_text(status: reqwest::StatusCode) -> String {
    match status.canonical_reason() {
        Some(reason) => format!("{} {reason}", status.as_u16()),
        None => status.as_u16().to_string(),
    }
}

/// Go's `simplifyContentType`: the media type without parameters, lower-cased; `""` if unparsable.
pub(crate) fn simplify_content_type(content_type: &str) -> String {
    let media = content_type.split(';').next().unwrap_or("").trim();
    let valid = media.split_once('/').is_some_and(|(a, b)| {
        !a.is_empty() && !b.is_empty() && !b.contains('/') && media.bytes().all(is_token_or_slash)
    });
    if valid {
        media.to_ascii_lowercase()
    } else {
        String::new()
    }
}

fn is_token_or_slash(b: u8) -> bool {
    b == b'/' || (b.is_ascii_graphic() && !b"()<>@,;:\\\"[]?=".contains(&b))
}

/// A Go `*url.Error`-like text for a failed request: `Get "<url>": <cause>`.
pub(crate) fn transport_error(method: &str, url: &str, e: &reqwest::Error) -> String {
    let cause = if e.is_timeout() {
        "timeout exceeded while awaiting response (Client.Timeout exceeded)".to_string()
    } else if e.is_redirect() {
        "stopped after too many redirects".to_string()
    } else {
        error_chain(e)
    };
    format!("{method} {}: {cause}", go_quote(url))
}

/// The texts of an error and its sources, most specific last, without repeats and without reqwest's
/// `error sending request for url (…)` wrapper (the URL is named by the caller).
pub(crate) fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut current: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = current {
        let text = err.to_string();
        let skip = text.starts_with("error sending request")
            || text.starts_with("error decoding response body")
            || text == "client error (Connect)"
            || parts.iter().any(|p| p == &text || p.contains(&text));
        if !skip {
            parts.push(text);
        }
        current = err.source();
    }
    if parts.is_empty() {
        e.to_string()
    } else {
        parts.join(": ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_type_simplification() {
        assert_eq!(
            simplify_content_type("text/html; charset=utf-8"),
            "text/html"
        );
        assert_eq!(simplify_content_type("Text/HTML"), "text/html");
        assert_eq!(simplify_content_type(""), "");
        assert_eq!(simplify_content_type("garbage"), "");
    }

    #[test]
    fn status_texts() {
        assert_eq!(
            unexpected_status(reqwest::StatusCode::INTERNAL_SERVER_ERROR),
            "received unexpected HTTP status: 500 Internal Server Error"
        );
        assert_eq!(
            status_text(reqwest::StatusCode::from_u16(599).unwrap()),
            "599"
        );
    }
}
