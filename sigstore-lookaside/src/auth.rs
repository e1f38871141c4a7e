//! Upload credentials, shared by the signature server (which accepts them) and the upload clients (which
//! send them).
//!
//! # Credential files
//!
//! Server and client read the same text format: one credential per line,
//!
//! ```text
//! # comments and blank lines are ignored
//! bearer 3f1c…token
//! basic ci-uploader:s3cret:with:colons
//! ```
//!
//! `bearer <token>` is sent as `Authorization: Bearer <token>`; `basic <user>:<password>` as
//! `Authorization: Basic base64(<user>:<password>)` (the user name ends at the first `:`). The keyword is
//! case-insensitive; leading and trailing white space of a line is ignored. Errors name the file and line
//! (`/etc/uploads.cred:3: …`) but never repeat the secret.
//!
//! Credentials are never taken from the command line (they would show up in `ps`): the CLI reads
//! [`TOKEN_ENV`], or [`USER_ENV`] + [`PASSWORD_ENV`], and passes the values to [`Credential::from_parts`].

use std::{fmt, path::Path};

use base64::Engine as _;
use sha2::{Digest as _, Sha256};
use subtle::ConstantTimeEq as _;

use crate::{Error, Result};

/// Environment variable holding a bearer token for uploads (read by the CLI, not by this library).
pub const TOKEN_ENV: &str = "CONTAINERS_POLICY_UPLOAD_TOKEN";
/// Environment variable holding the user name for HTTP Basic uploads (with [`PASSWORD_ENV`]).
pub const USER_ENV: &str = "CONTAINERS_POLICY_UPLOAD_USER";
/// Environment variable holding the password for HTTP Basic uploads (with [`USER_ENV`]).
pub const PASSWORD_ENV: &str = "CONTAINERS_POLICY_UPLOAD_PASSWORD";

/// One upload credential. `Debug` never prints the secret.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Credential {
    /// `Authorization: Bearer <token>`.
    Bearer(String),
    /// `Authorization: Basic base64(<user>:<password>)`.
    Basic {
        /// The user name (no `:`).
        user: String,
        /// The password.
        password: String,
    },
}

impl fmt::Debug for Credential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Credential::Bearer(_) => f.write_str("Bearer(<redacted>)"),
            Credential::Basic { user, .. } => f
                .debug_struct("Basic")
                .field("user", user)
                .field("password", &format_args!("<redacted>"))
                .finish(),
        }
    }
}

/// Checks a bearer token: non-empty, visible ASCII only (it must fit in an HTTP header as one token).
fn check_token(token: &str) -> std::result::Result<(), &'static str> {
    if token.is_empty() {
        return Err("empty bearer token");
    }
    if !token.bytes().all(|b| b.is_ascii_graphic()) {
        return Err("a bearer token must be visible ASCII without spaces");
    }
    Ok(())
}

fn check_basic(user: &str, password: &str) -> std::result::Result<(), &'static str> {
    if user.is_empty() {
        return Err("empty user name");
    }
    if user.contains(':') {
        return Err("a user name must not contain ':'");
    }
    if password.is_empty() {
        return Err("empty password");
    }
    if user.chars().chain(password.chars()).any(char::is_control) {
        return Err("user names and passwords must not contain control characters");
    }
    Ok(())
}

impl Credential {
    /// A bearer token credential; the token must be non-empty visible ASCII.
    pub fn bearer(token: impl Into<String>) -> Result<Self> {
        let token = token.into();
        check_token(&token).map_err(|m| Error::Auth(format!("invalid upload credential: {m}")))?;
        Ok(Credential::Bearer(token))
    }

    /// An HTTP Basic credential; the user must be non-empty without `:`, the password non-empty.
    pub fn basic(user: impl Into<String>, password: impl Into<String>) -> Result<Self> {
        let (user, password) = (user.into(), password.into());
        check_basic(&user, &password)
            .map_err(|m| Error::Auth(format!("invalid upload credential: {m}")))?;
        Ok(Credential::Basic { user, password })
    }

    /// The credential from the values of [`TOKEN_ENV`], [`USER_ENV`] and [`PASSWORD_ENV`] (as read by the
    /// caller; `None` = unset): a token, or a user and password, or nothing (`Ok(None)`). Setting both a
    /// token and a user, or only one of user/password, is an error naming the variables.
    pub fn from_parts(
        token: Option<&str>,
        user: Option<&str>,
        password: Option<&str>,
    ) -> Result<Option<Self>> {
        let named = |m: String| Error::Auth(m);
        match (token, user, password) {
            (None, None, None) => Ok(None),
            (Some(t), None, None) => Credential::bearer(t)
                .map(Some)
                .map_err(|e| named(format!("{TOKEN_ENV}: {e}"))),
            (None, Some(u), Some(p)) => Credential::basic(u, p)
                .map(Some)
                .map_err(|e| named(format!("{USER_ENV}/{PASSWORD_ENV}: {e}"))),
            (Some(_), _, _) => Err(named(format!(
                "set either {TOKEN_ENV} or {USER_ENV} and {PASSWORD_ENV}, not both"
            ))),
            (None, Some(_), None) => Err(named(format!(
                "{USER_ENV} is set but {PASSWORD_ENV} is not"
            ))),
            (None, None, Some(_)) => Err(named(format!(
                "{PASSWORD_ENV} is set but {USER_ENV} is not"
            ))),
        }
    }

    /// Reads a credential file that must hold exactly one credential (the client side).
    pub fn from_file(path: &Path) -> Result<Self> {
        let mut all = Credentials::from_file(path)?.list;
        match all.len() {
            1 => Ok(all.remove(0)),
            0 => Err(Error::Auth(format!(
                "{}: no credential in file",
                path.display()
            ))),
            n => Err(Error::Auth(format!(
                "{}: holds {n} credentials; an upload client needs exactly one",
                path.display()
            ))),
        }
    }

    /// The `Authorization` header value (`Bearer <token>` or `Basic <base64>`). It contains the secret.
    pub fn authorization_header(&self) -> String {
        match self {
            Credential::Bearer(t) => format!("Bearer {t}"),
            Credential::Basic { user, password } => format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
            ),
        }
    }

    /// A fixed-length fingerprint of (scheme, secret) so that comparisons take the same time whatever the
    /// lengths involved.
    fn fingerprint(&self) -> [u8; 32] {
        match self {
            Credential::Bearer(t) => fingerprint(b"bearer", t.as_bytes()),
            Credential::Basic { user, password } => {
                fingerprint(b"basic", format!("{user}:{password}").as_bytes())
            }
        }
    }
}

fn fingerprint(scheme: &[u8], secret: &[u8]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(scheme);
    h.update([0u8]);
    h.update(secret);
    h.finalize().into()
}

/// Parses an `Authorization` header value into the fingerprint of what it presents.
fn presented_fingerprint(header: &str) -> Option<[u8; 32]> {
    let (scheme, rest) = header.trim().split_once(' ')?;
    let rest = rest.trim();
    if scheme.eq_ignore_ascii_case("bearer") {
        Some(fingerprint(b"bearer", rest.as_bytes()))
    } else if scheme.eq_ignore_ascii_case("basic") {
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(rest)
            .ok()?;
        Some(fingerprint(b"basic", &decoded))
    } else {
        None
    }
}

/// A set of accepted credentials (the server side). `Debug` never prints secrets.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Credentials {
    list: Vec<Credential>,
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(&self.list).finish()
    }
}

impl Credentials {
    /// No credentials (the server then refuses uploads unless anonymous uploads are allowed).
    pub fn new() -> Self {
        Credentials::default()
    }

    /// Adds a credential.
    pub fn with(mut self, credential: Credential) -> Self {
        self.list.push(credential);
        self
    }

    /// Adds a credential.
    pub fn push(&mut self, credential: Credential) {
        self.list.push(credential);
    }

    /// Whether no credential is configured.
    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// The credentials, in file order.
    pub fn iter(&self) -> impl Iterator<Item = &Credential> {
        self.list.iter()
    }

    /// Parses the text of a credential file; `name` is used in errors (`<name>:<line>: …`).
    pub fn parse(text: &str, name: &str) -> Result<Self> {
        let mut list = Vec::new();
        for (i, raw) in text.lines().enumerate() {
            let line = raw.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let at = |m: &str| Error::Auth(format!("{name}:{}: {m}", i + 1));
            let (keyword, value) = match line.split_once(|c: char| c.is_ascii_whitespace()) {
                Some((k, v)) => (k, v.trim()),
                None => (line, ""),
            };
            let credential = if keyword.eq_ignore_ascii_case("bearer") {
                check_token(value).map_err(at)?;
                Credential::Bearer(value.to_owned())
            } else if keyword.eq_ignore_ascii_case("basic") {
                let (user, password) = value
                    .split_once(':')
                    .ok_or_else(|| at("expected `basic <user>:<password>`"))?;
                check_basic(user, password).map_err(at)?;
                Credential::Basic {
                    user: user.to_owned(),
                    password: password.to_owned(),
                }
            } else {
                return Err(at(
                    "expected `bearer <token>` or `basic <user>:<password>` (the line is not shown)",
                ));
            };
            list.push(credential);
        }
        Ok(Credentials { list })
    }

    /// Reads a credential file (see the [module docs](self) for the format).
    pub fn from_file(path: &Path) -> Result<Self> {
        let bytes = std::fs::read(path)
            .map_err(|e| containers_policy::error::IoError::new("open", path, e))?;
        let text = String::from_utf8(bytes)
            .map_err(|_| Error::Auth(format!("{}: not UTF-8 text", path.display())))?;
        Credentials::parse(&text, &path.display().to_string())
    }

    /// Whether an `Authorization` header value presents one of the credentials. Every configured
    /// credential is compared, in constant time over fixed-length digests, whatever matches.
    pub fn accepts(&self, header_value: &str) -> bool {
        let Some(presented) = presented_fingerprint(header_value) else {
            return false;
        };
        let mut ok = subtle::Choice::from(0u8);
        for c in &self.list {
            ok |= c.fingerprint().ct_eq(&presented);
        }
        bool::from(ok)
    }
}
