//! `WWW-Authenticate` challenges and bearer tokens (the registry token protocol).

use std::{
    collections::BTreeMap,
    time::{Duration, Instant},
};

use serde::Deserialize;

use crate::{Error, Result};

/// One authentication challenge from a `WWW-Authenticate` header.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Challenge {
    /// The scheme, lower-cased (`basic`, `bearer`).
    pub scheme: String,
    /// Parameters (`realm`, `service`, `scope`, …), keys lower-cased.
    pub parameters: BTreeMap<String, String>,
}

/// Parses every `WWW-Authenticate` value, one challenge per header line (as docker/distribution's client
/// does); unparsable lines are skipped.
pub fn parse_challenges<'a>(values: impl IntoIterator<Item = &'a str>) -> Vec<Challenge> {
    values.into_iter().filter_map(parse_challenge).collect()
}

fn parse_challenge(value: &str) -> Option<Challenge> {
    let value = value.trim_start();
    let end = value
        .find(|c: char| !is_token_char(c))
        .unwrap_or(value.len());
    if end == 0 {
        return None;
    }
    let scheme = value[..end].to_ascii_lowercase();
    let mut rest = &value[end..];
    let mut parameters = BTreeMap::new();
    loop {
        rest = rest.trim_start_matches([' ', '\t', ',']);
        if rest.is_empty() {
            break;
        }
        let key_end = rest.find(|c: char| !is_token_char(c)).unwrap_or(rest.len());
        if key_end == 0 {
            break;
        }
        let key = rest[..key_end].to_ascii_lowercase();
        rest = rest[key_end..].trim_start();
        let Some(after_eq) = rest.strip_prefix('=') else {
            break;
        };
        rest = after_eq.trim_start();
        let (val, remaining) = if let Some(quoted) = rest.strip_prefix('"') {
            let mut out = String::new();
            let mut chars = quoted.char_indices();
            let mut end = None;
            while let Some((i, c)) = chars.next() {
                match c {
                    '\\' => {
                        if let Some((_, n)) = chars.next() {
                            out.push(n);
                        }
                    }
                    '"' => {
                        end = Some(i + 1);
                        break;
                    }
                    c => out.push(c),
                }
            }
            let end = end?;
            (out, &quoted[end..])
        } else {
            let e = rest.find(|c: char| !is_token_char(c)).unwrap_or(rest.len());
            (rest[..e].to_string(), &rest[e..])
        };
        parameters.insert(key, val);
        rest = remaining;
    }
    Some(Challenge { scheme, parameters })
}

fn is_token_char(c: char) -> bool {
    c.is_ascii_graphic() && !"()<>@,;:\\\"/[]?={}".contains(c)
}

/// A bearer token and when to stop using it.
#[derive(Debug, Clone)]
pub(crate) struct BearerToken {
    pub(crate) token: String,
    pub(crate) expires_at: Instant,
}

#[derive(Deserialize)]
struct TokenResponse {
    #[serde(default)]
    token: String,
    #[serde(default)]
    access_token: String,
    #[serde(default)]
    expires_in: i64,
}

/// Tokens are used for at least this long (containers/image `minimumTokenLifetimeSeconds`).
const MINIMUM_TOKEN_LIFETIME: Duration = Duration::from_secs(60);

/// Parses a token endpoint's JSON: `token`, else `access_token`; `expires_in` seconds (at least 60).
pub(crate) fn parse_token_response(body: &[u8]) -> Result<BearerToken> {
    let parsed: TokenResponse = serde_json::from_slice(body)
        .map_err(|e| Error::Auth(format!("decoding bearer token response: {e}")))?;
    let token = if parsed.token.is_empty() {
        parsed.access_token
    } else {
        parsed.token
    };
    if token.is_empty() {
        return Err(Error::Auth(
            "decoding bearer token response: neither \"token\" nor \"access_token\" is set".into(),
        ));
    }
    let lifetime = u64::try_from(parsed.expires_in)
        .map(Duration::from_secs)
        .unwrap_or_default()
        .max(MINIMUM_TOKEN_LIFETIME);
    Ok(BearerToken {
        token,
        expires_at: Instant::now() + lifetime,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn challenges() {
        let c = parse_challenges([
            r#"Bearer realm="https://auth.example/token",service="registry.example",scope="repository:a/b:pull""#,
            "Basic realm=basic-realm",
            "",
        ]);
        assert_eq!(c.len(), 2);
        assert_eq!(c[0].scheme, "bearer");
        assert_eq!(c[0].parameters["realm"], "https://auth.example/token");
        assert_eq!(c[0].parameters["service"], "registry.example");
        assert_eq!(c[0].parameters["scope"], "repository:a/b:pull");
        assert_eq!(c[1].scheme, "basic");
        assert_eq!(c[1].parameters["realm"], "basic-realm");
        let q = parse_challenges([r#"Bearer realm="a\"b", error="invalid_token""#]);
        assert_eq!(q[0].parameters["realm"], "a\"b");
        assert_eq!(q[0].parameters["error"], "invalid_token");
    }

    #[test]
    fn token_responses() {
        assert_eq!(
            parse_token_response(br#"{"token":"t1"}"#).unwrap().token,
            "t1"
        );
        assert_eq!(
            parse_token_response(br#"{"access_token":"t2","expires_in":300}"#)
                .unwrap()
                .token,
            "t2"
        );
        assert!(parse_token_response(br#"{"x":1}"#).is_err());
        assert!(parse_token_response(b"<html>").is_err());
    }
}
