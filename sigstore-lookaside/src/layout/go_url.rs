//! A URL model that parses and renders exactly as Go's `net/url` does (`url.Parse`, `URL.String()`), so that
//! lookaside URLs and their error messages are byte-identical to containers/image's.
//!
//! Go keeps what the `url` crate would normalize away (host case, default ports, `.`/`..` segments), decodes
//! the path into `Path` and re-escapes it when rendering a modified URL; this module reproduces that.

use std::fmt;

/// A parsed URL with Go `net/url.URL` semantics.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct GoUrl {
    scheme: String,
    opaque: String,
    user: Option<(String, Option<String>)>,
    host: String,
    path: String,
    raw_path: String,
    omit_host: bool,
    force_query: bool,
    raw_query: String,
    fragment: String,
    raw_fragment: String,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Path,
    UserPassword,
    Host,
    Zone,
    Fragment,
}

impl GoUrl {
    /// Parses `raw` as Go's `url.Parse`. The error is Go's `*url.Error` text, e.g.
    /// `parse ":x": missing protocol scheme`.
    pub fn parse(raw: &str) -> Result<GoUrl, String> {
        let (before_frag, frag) = match raw.find('#') {
            Some(i) => (&raw[..i], Some(&raw[i + 1..])),
            None => (raw, None),
        };
        let mut u = parse_no_fragment(before_frag)
            .map_err(|e| format!("parse {}: {e}", go_quote(before_frag)))?;
        if let Some(frag) = frag.filter(|f| !f.is_empty()) {
            let decoded = unescape(frag, Mode::Fragment)
                .map_err(|e| format!("parse {}: {e}", go_quote(raw)))?;
            u.raw_fragment = if escape(&decoded, Mode::Fragment) == frag {
                String::new()
            } else {
                frag.to_owned()
            };
            u.fragment = decoded;
        }
        Ok(u)
    }

    /// A `file` URL with the given (decoded) path, as Go's `&url.URL{Scheme: "file", Path: p}`.
    pub fn file(path: &str) -> GoUrl {
        GoUrl {
            scheme: "file".to_owned(),
            path: path.to_owned(),
            ..GoUrl::empty()
        }
    }

    fn empty() -> GoUrl {
        GoUrl {
            scheme: String::new(),
            opaque: String::new(),
            user: None,
            host: String::new(),
            path: String::new(),
            raw_path: String::new(),
            omit_host: false,
            force_query: false,
            raw_query: String::new(),
            fragment: String::new(),
            raw_fragment: String::new(),
        }
    }

    /// The scheme, lowercased (`""` if none).
    pub fn scheme(&self) -> &str {
        &self.scheme
    }

    /// The host (with port), decoded; `""` if none.
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The decoded path (Go `URL.Path`).
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The opaque part of `scheme:opaque` URLs (Go `URL.Opaque`).
    pub fn opaque(&self) -> &str {
        &self.opaque
    }

    /// The encoded query without `?` (Go `URL.RawQuery`).
    pub fn raw_query(&self) -> &str {
        &self.raw_query
    }

    /// The decoded fragment (Go `URL.Fragment`).
    pub fn fragment(&self) -> &str {
        &self.fragment
    }

    /// Replaces the decoded path (Go `u.Path = p`; the stale `RawPath` is then ignored when rendering, as in Go).
    pub fn set_path(&mut self, path: String) {
        self.path = path;
    }

    /// Go `URL.EscapedPath()`.
    pub fn escaped_path(&self) -> String {
        if !self.raw_path.is_empty()
            && valid_encoded(&self.raw_path, Mode::Path)
            && unescape(&self.raw_path, Mode::Path).as_deref() == Ok(self.path.as_str())
        {
            return self.raw_path.clone();
        }
        if self.path == "*" {
            return "*".to_owned();
        }
        escape(&self.path, Mode::Path)
    }

    fn escaped_fragment(&self) -> String {
        if !self.raw_fragment.is_empty()
            && valid_encoded(&self.raw_fragment, Mode::Fragment)
            && unescape(&self.raw_fragment, Mode::Fragment).as_deref() == Ok(self.fragment.as_str())
        {
            return self.raw_fragment.clone();
        }
        escape(&self.fragment, Mode::Fragment)
    }
}

impl fmt::Display for GoUrl {
    /// Go `URL.String()`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut buf = String::new();
        if !self.scheme.is_empty() {
            buf.push_str(&self.scheme);
            buf.push(':');
        }
        if !self.opaque.is_empty() {
            buf.push_str(&self.opaque);
        } else {
            let has_authority_part =
                !self.scheme.is_empty() || !self.host.is_empty() || self.user.is_some();
            let omit = self.omit_host && self.host.is_empty() && self.user.is_none();
            if has_authority_part && !omit {
                if !self.host.is_empty() || !self.path.is_empty() || self.user.is_some() {
                    buf.push_str("//");
                }
                if let Some((user, password)) = &self.user {
                    buf.push_str(&escape(user, Mode::UserPassword));
                    if let Some(p) = password {
                        buf.push(':');
                        buf.push_str(&escape(p, Mode::UserPassword));
                    }
                    buf.push('@');
                }
                if !self.host.is_empty() {
                    buf.push_str(&escape(&self.host, Mode::Host));
                }
            }
            let path = self.escaped_path();
            if !path.is_empty() && !path.starts_with('/') && !self.host.is_empty() {
                buf.push('/');
            }
            if buf.is_empty() {
                let first = path.split('/').next().unwrap_or("");
                if first.contains(':') {
                    buf.push_str("./");
                }
            }
            buf.push_str(&path);
        }
        if self.force_query || !self.raw_query.is_empty() {
            buf.push('?');
            buf.push_str(&self.raw_query);
        }
        if !self.fragment.is_empty() {
            buf.push('#');
            buf.push_str(&self.escaped_fragment());
        }
        f.write_str(&buf)
    }
}

fn parse_no_fragment(raw: &str) -> Result<GoUrl, String> {
    if raw.bytes().any(|b| b < 0x20 || b == 0x7f) {
        return Err("net/url: invalid control character in URL".to_owned());
    }
    let mut u = GoUrl::empty();
    if raw == "*" {
        u.path = "*".to_owned();
        return Ok(u);
    }
    let (scheme, rest) = get_scheme(raw)?;
    u.scheme = scheme.to_ascii_lowercase();
    let mut rest = rest;
    if rest.ends_with('?') && rest.matches('?').count() == 1 {
        u.force_query = true;
        rest = &rest[..rest.len() - 1];
    } else if let Some(i) = rest.find('?') {
        u.raw_query = rest[i + 1..].to_owned();
        rest = &rest[..i];
    }
    if !rest.starts_with('/') {
        if !u.scheme.is_empty() {
            u.opaque = rest.to_owned();
            return Ok(u);
        }
        let first = rest.split('/').next().unwrap_or("");
        if first.contains(':') {
            return Err("first path segment in URL cannot contain colon".to_owned());
        }
    }
    if (!u.scheme.is_empty() || !rest.starts_with("///")) && rest.starts_with("//") {
        let authority_and_path = &rest[2..];
        let (authority, path) = match authority_and_path.find('/') {
            Some(i) => (&authority_and_path[..i], &authority_and_path[i..]),
            None => (authority_and_path, ""),
        };
        let (user, host) = parse_authority(authority)?;
        u.user = user;
        u.host = host;
        rest = path;
    } else if !u.scheme.is_empty() && rest.starts_with('/') {
        u.omit_host = true;
    }
    let path = unescape(rest, Mode::Path)?;
    u.raw_path = if escape(&path, Mode::Path) == rest {
        String::new()
    } else {
        rest.to_owned()
    };
    u.path = path;
    Ok(u)
}

fn get_scheme(raw: &str) -> Result<(&str, &str), String> {
    for (i, c) in raw.bytes().enumerate() {
        match c {
            b'a'..=b'z' | b'A'..=b'Z' => {}
            b'0'..=b'9' | b'+' | b'-' | b'.' => {
                if i == 0 {
                    return Ok(("", raw));
                }
            }
            b':' => {
                if i == 0 {
                    return Err("missing protocol scheme".to_owned());
                }
                return Ok((&raw[..i], &raw[i + 1..]));
            }
            _ => return Ok(("", raw)),
        }
    }
    Ok(("", raw))
}

type UserInfo = Option<(String, Option<String>)>;

fn parse_authority(authority: &str) -> Result<(UserInfo, String), String> {
    let at = authority.rfind('@');
    let host = parse_host(match at {
        Some(i) => &authority[i + 1..],
        None => authority,
    })?;
    let Some(i) = at else {
        return Ok((None, host));
    };
    let userinfo = &authority[..i];
    if !valid_userinfo(userinfo) {
        return Err("net/url: invalid userinfo".to_owned());
    }
    let user = match userinfo.split_once(':') {
        None => (unescape(userinfo, Mode::UserPassword)?, None),
        Some((name, password)) => (
            unescape(name, Mode::UserPassword)?,
            Some(unescape(password, Mode::UserPassword)?),
        ),
    };
    Ok((Some(user), host))
}

fn valid_userinfo(s: &str) -> bool {
    s.bytes().all(|b| {
        b.is_ascii_alphanumeric()
            || matches!(
                b,
                b'-' | b'.'
                    | b'_'
                    | b':'
                    | b'~'
                    | b'!'
                    | b'$'
                    | b'&'
                    | b'\''
                    | b'('
                    | b')'
                    | b'*'
                    | b'+'
                    | b','
                    | b';'
                    | b'='
                    | b'%'
                    | b'@'
            )
            || b >= 0x80
    })
}

fn valid_optional_port(port: &str) -> bool {
    match port.strip_prefix(':') {
        _ if port.is_empty() => true,
        Some(digits) => digits.bytes().all(|b| b.is_ascii_digit()),
        None => false,
    }
}

fn parse_host(host: &str) -> Result<String, String> {
    if host.starts_with('[') {
        let Some(i) = host.rfind(']') else {
            return Err("missing ']' in host".to_owned());
        };
        let colon_port = &host[i + 1..];
        if !valid_optional_port(colon_port) {
            return Err(format!("invalid port {} after host", go_quote(colon_port)));
        }
        if let Some(zone) = host[..i].find("%25") {
            let h1 = unescape(&host[..zone], Mode::Host)?;
            let h2 = unescape(&host[zone..i], Mode::Zone)?;
            let h3 = unescape(&host[i..], Mode::Host)?;
            return Ok(h1 + &h2 + &h3);
        }
    } else if let Some(i) = host.rfind(':') {
        let colon_port = &host[i..];
        if !valid_optional_port(colon_port) {
            return Err(format!("invalid port {} after host", go_quote(colon_port)));
        }
    }
    unescape(host, Mode::Host)
}

fn should_escape(c: u8, mode: Mode) -> bool {
    if c.is_ascii_alphanumeric() {
        return false;
    }
    if matches!(mode, Mode::Host | Mode::Zone)
        && matches!(
            c,
            b'!' | b'$'
                | b'&'
                | b'\''
                | b'('
                | b')'
                | b'*'
                | b'+'
                | b','
                | b';'
                | b'='
                | b':'
                | b'['
                | b']'
                | b'<'
                | b'>'
                | b'"'
        )
    {
        return false;
    }
    match c {
        b'-' | b'_' | b'.' | b'~' => return false,
        b'$' | b'&' | b'+' | b',' | b'/' | b':' | b';' | b'=' | b'?' | b'@' => match mode {
            Mode::Path => return c == b'?',
            Mode::UserPassword => return matches!(c, b'@' | b'/' | b'?' | b':'),
            Mode::Fragment => return false,
            Mode::Host | Mode::Zone => {}
        },
        _ => {}
    }
    if mode == Mode::Fragment && matches!(c, b'!' | b'(' | b')' | b'*') {
        return false;
    }
    true
}

fn valid_encoded(s: &str, mode: Mode) -> bool {
    s.bytes().all(|c| {
        matches!(
            c,
            b'!' | b'$'
                | b'&'
                | b'\''
                | b'('
                | b')'
                | b'*'
                | b'+'
                | b','
                | b';'
                | b'='
                | b':'
                | b'@'
                | b'['
                | b']'
                | b'%'
        ) || !should_escape(c, mode)
    })
}

fn escape(s: &str, mode: Mode) -> String {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = String::with_capacity(s.len());
    for &c in s.as_bytes() {
        if should_escape(c, mode) {
            out.push('%');
            out.push(HEX[usize::from(c >> 4)] as char);
            out.push(HEX[usize::from(c & 15)] as char);
        } else {
            out.push(c as char);
        }
    }
    out
}

fn unhex(c: u8) -> u8 {
    match c {
        b'0'..=b'9' => c - b'0',
        b'a'..=b'f' => c - b'a' + 10,
        b'A'..=b'F' => c - b'A' + 10,
        _ => 0,
    }
}

fn unescape(s: &str, mode: Mode) -> Result<String, String> {
    let b = s.as_bytes();
    let escape_error = |from: usize| {
        let end = (from + 3).min(b.len());
        format!(
            "invalid URL escape {}",
            go_quote(&String::from_utf8_lossy(&b[from..end]))
        )
    };
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'%' => {
                if i + 2 >= b.len()
                    || !b[i + 1].is_ascii_hexdigit()
                    || !b[i + 2].is_ascii_hexdigit()
                {
                    return Err(escape_error(i));
                }
                if mode == Mode::Host && unhex(b[i + 1]) < 8 && &b[i..i + 3] != b"%25" {
                    return Err(escape_error(i));
                }
                if mode == Mode::Zone {
                    let v = unhex(b[i + 1]) << 4 | unhex(b[i + 2]);
                    if &b[i..i + 3] != b"%25" && v != b' ' && should_escape(v, Mode::Host) {
                        return Err(escape_error(i));
                    }
                }
                out.push(unhex(b[i + 1]) << 4 | unhex(b[i + 2]));
                i += 3;
            }
            c => {
                if matches!(mode, Mode::Host | Mode::Zone) && c < 0x80 && should_escape(c, mode) {
                    return Err(format!(
                        "invalid character {} in host name",
                        go_quote(&(c as char).to_string())
                    ));
                }
                out.push(c);
                i += 1;
            }
        }
    }
    // Go strings may hold any bytes; ours must be UTF-8. An escape decoding to invalid UTF-8 cannot be
    // represented (and has no business in a lookaside URL): refuse it.
    String::from_utf8(out).map_err(|_| escape_error(s.find('%').unwrap_or(0)))
}

pub(crate) use containers_policy::error::go_quote;

#[cfg(test)]
mod tests {
    use super::*;

    fn rt(s: &str) -> String {
        GoUrl::parse(s).unwrap().to_string()
    }

    #[test]
    fn renders_like_go() {
        for s in [
            "https://lookaside.example.com",
            "https://lookaside.centos.org/",
            "file:///tmp",
            "HTTPS://Example.COM:443/a/../b",
            "https://x/a%2Fb",
            "https://u:p@x/p?q=1#f",
            "/no/scheme/just/a/path",
            "no/scheme/relative/path",
            "http://[::1]:8080/x",
            "https://x/?",
        ] {
            let expected = if s.starts_with("HTTPS") {
                "https://Example.COM:443/a/../b".to_owned()
            } else {
                s.to_owned()
            };
            assert_eq!(rt(s), expected, "{s}");
        }
        assert_eq!(rt("https://x/%41b"), "https://x/%41b");
        assert_eq!(rt("https://x/a b!"), "https://x/a%20b%21");
    }

    #[test]
    fn modified_path_is_reescaped() {
        let mut u = GoUrl::parse("https://x/a%2Fb%41?q=%20").unwrap();
        assert_eq!(u.path(), "/a/bA");
        u.set_path(format!("{}/{}", u.path(), "repo"));
        assert_eq!(u.to_string(), "https://x/a/bA/repo?q=%20");
        let mut u = GoUrl::parse("file:///p").unwrap();
        u.set_path("/p/a b#?".to_owned());
        assert_eq!(u.to_string(), "file:///p/a%20b%23%3F");
    }

    #[test]
    fn errors_like_go() {
        let e = |s: &str| GoUrl::parse(s).unwrap_err();
        assert_eq!(
            e(":emptyscheme"),
            r#"parse ":emptyscheme": missing protocol scheme"#
        );
        assert_eq!(rt("a:b/c"), "a:b/c"); // opaque is fine with a scheme
        assert_eq!(
            e("1a:b"),
            r#"parse "1a:b": first path segment in URL cannot contain colon"#
        );
        assert_eq!(
            e("https://x\n/"),
            "parse \"https://x\\n/\": net/url: invalid control character in URL"
        );
        assert_eq!(
            e("https://x:port/"),
            r#"parse "https://x:port/": invalid port ":port" after host"#
        );
        assert_eq!(
            e("https://x/%zz"),
            r#"parse "https://x/%zz": invalid URL escape "%zz""#
        );
        assert_eq!(
            e("https://x/%4"),
            r#"parse "https://x/%4": invalid URL escape "%4""#
        );
        assert_eq!(
            e("https://[::1/"),
            r#"parse "https://[::1/": missing ']' in host"#
        );
        assert_eq!(
            e("https://a b/"),
            r#"parse "https://a b/": invalid character " " in host name"#
        );
        assert_eq!(
            e("https://x/#%zz"),
            r#"parse "https://x/#%zz": invalid URL escape "%zz""#
        );
    }
}
