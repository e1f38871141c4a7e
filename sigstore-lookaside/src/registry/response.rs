//! Error texts for registry responses, worded as containers/image words them
//! (`docker/errors.go` `registryHTTPResponseToError` over docker/distribution's `errcode` values).

use serde::Deserialize;

use super::auth::parse_challenges;
use crate::store::http::unexpected_status;

/// Registered error codes: (code, default message). Unregistered codes become `UNKNOWN`.
const CODES: &[(&str, &str)] = &[
    ("UNKNOWN", "unknown error"),
    ("UNSUPPORTED", "The operation is unsupported."),
    ("UNAUTHORIZED", "authentication required"),
    ("DENIED", "requested access to the resource is denied"),
    ("UNAVAILABLE", "service unavailable"),
    ("TOOMANYREQUESTS", "too many requests"),
    (
        "DIGEST_INVALID",
        "provided digest did not match uploaded content",
    ),
    (
        "SIZE_INVALID",
        "provided length did not match content length",
    ),
    ("NAME_INVALID", "invalid repository name"),
    ("TAG_INVALID", "manifest tag did not match URI"),
    ("NAME_UNKNOWN", "repository name not known to registry"),
    ("MANIFEST_UNKNOWN", "manifest unknown"),
    ("MANIFEST_INVALID", "manifest invalid"),
    (
        "MANIFEST_UNVERIFIED",
        "manifest failed signature verification",
    ),
    ("MANIFEST_BLOB_UNKNOWN", "blob unknown to registry"),
    ("BLOB_UNKNOWN", "blob unknown to registry"),
    ("BLOB_UPLOAD_UNKNOWN", "blob upload unknown to registry"),
    ("BLOB_UPLOAD_INVALID", "blob upload invalid"),
    (
        "PAGINATION_NUMBER_INVALID",
        "invalid number of results requested",
    ),
    ("RANGE_INVALID", "invalid content range"),
];

fn default_message(code: &str) -> &'static str {
    CODES
        .iter()
        .find(|(c, _)| *c == code)
        .map_or("unknown error", |(_, m)| m)
}

/// One `errcode.Error`: a registered code and its message.
struct CodeError {
    code: &'static str,
    message: String,
}

impl CodeError {
    fn new(code: &str, message: Option<String>) -> Self {
        let code = CODES
            .iter()
            .find(|(c, _)| *c == code)
            .map_or("UNKNOWN", |(c, _)| c);
        let message = message
            .filter(|m| !m.is_empty())
            .unwrap_or_else(|| default_message(code).to_string());
        CodeError { code, message }
    }

    /// containers/image's rewording: the bare message when it is the code's default, else
    /// `<code in lower case with spaces>: <message>`.
    fn text(&self) -> String {
        if self.message == default_message(self.code) {
            self.message.clone()
        } else {
            format!(
                "{}: {}",
                self.code.replace('_', " ").to_ascii_lowercase(),
                self.message
            )
        }
    }
}

#[derive(Deserialize)]
struct Details {
    #[serde(default)]
    details: String,
}

#[derive(Deserialize)]
struct ErrorList {
    #[serde(default)]
    errors: Option<Vec<ErrorEntry>>,
}

#[derive(Deserialize)]
struct ErrorEntry {
    #[serde(default)]
    code: String,
    #[serde(default)]
    message: String,
}

/// The error text for a registry response that is not a success.
pub(crate) fn registry_error_text(
    status: reqwest::StatusCode,
    www_authenticate: &[String],
    body: &[u8],
) -> String {
    let code = status.as_u16();
    if !(400..500).contains(&code) {
        return unexpected_status(status);
    }
    if code == 401 {
        for c in parse_challenges(www_authenticate.iter().map(String::as_str)) {
            if c.scheme != "bearer" {
                continue;
            }
            let code = match c.parameters.get("error").map(String::as_str) {
                Some("invalid_token") => "UNAUTHORIZED",
                Some("insufficient_scope") => "DENIED",
                _ => continue,
            };
            return CodeError::new(code, c.parameters.get("error_description").cloned()).text();
        }
    }
    if let Some(d) = serde_json::from_slice::<Details>(body)
        .ok()
        .filter(|d| !d.details.is_empty())
    {
        let code = match code {
            401 => "UNAUTHORIZED",
            429 => "TOOMANYREQUESTS",
            _ => "UNKNOWN",
        };
        return CodeError::new(code, Some(d.details)).text();
    }
    match serde_json::from_slice::<ErrorList>(body) {
        Ok(ErrorList {
            errors: Some(errors),
        }) if !errors.is_empty() => {
            let first = &errors[0];
            CodeError::new(&first.code, Some(first.message.clone())).text()
        }
        _ if code == 401 => CodeError::new("UNAUTHORIZED", None).text(),
        _ => {
            let mut response = String::from_utf8_lossy(body).into_owned();
            if body.len() > 50 {
                response = String::from_utf8_lossy(&body[..50]).into_owned() + "...";
            }
            format!(
                "StatusCode: {code}, {}",
                containers_policy::error::go_quote(&response)
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::StatusCode;

    #[test]
    fn texts() {
        let t = |s: u16, body: &str| {
            registry_error_text(StatusCode::from_u16(s).unwrap(), &[], body.as_bytes())
        };
        assert_eq!(
            t(
                404,
                r#"{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown","detail":{"Tag":"x"}}]}"#
            ),
            "manifest unknown"
        );
        assert_eq!(
            t(
                404,
                r#"{"errors":[{"code":"NAME_UNKNOWN","message":"repo x not found"}]}"#
            ),
            "name unknown: repo x not found"
        );
        assert_eq!(
            t(403, r#"{"errors":[{"code":"WEIRD","message":"m"}]}"#),
            "unknown: m"
        );
        assert_eq!(t(401, "nope"), "authentication required");
        assert_eq!(t(401, r#"{"details":"bad"}"#), "unauthorized: bad");
        assert_eq!(
            t(404, "404 page not found\n"),
            "StatusCode: 404, \"404 page not found\\n\""
        );
        assert_eq!(
            t(400, &"x".repeat(60)),
            format!("StatusCode: 400, \"{}...\"", "x".repeat(50))
        );
        assert_eq!(
            t(500, "{}"),
            "received unexpected HTTP status: 500 Internal Server Error"
        );
        assert_eq!(
            registry_error_text(
                StatusCode::UNAUTHORIZED,
                &[r#"Bearer realm="r",error="insufficient_scope""#.to_string()],
                b""
            ),
            "requested access to the resource is denied"
        );
    }
}
