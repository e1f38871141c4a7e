//! Content digests (`algorithm:hex`) with the validation rules of `github.com/opencontainers/go-digest`.

use std::fmt;

use sha2::{Digest as _, Sha256};

/// Why a string is not a valid digest; `Display` is go-digest's text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DigestError {
    /// `invalid checksum digest format`
    #[error("invalid checksum digest format")]
    InvalidFormat,
    /// `invalid checksum digest length`
    #[error("invalid checksum digest length")]
    InvalidLength,
    /// `unsupported digest algorithm`
    #[error("unsupported digest algorithm")]
    Unsupported,
}

/// A validated digest such as `sha256:20bf21ed…`.
///
/// Only the algorithms containers/image has available (`sha256`, `sha384`, `sha512`) with lowercase hex
/// of the exact length are accepted, as go-digest's `Parse` does.
///
/// ```
/// use containers_policy::Digest;
/// let d = Digest::parse("sha256:20bf21ed457b390829cdbeec8795a7bea1626991fda603e0d01b4e7f60427e55")?;
/// assert_eq!(d.algorithm(), "sha256");
/// assert_eq!(Digest::parse("sha256:../hello").unwrap_err().to_string(), "invalid checksum digest length");
/// # Ok::<(), containers_policy::DigestError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Digest {
    value: String,
    colon: usize,
}

impl Digest {
    /// Parses and validates `s` (go-digest `Parse`).
    pub fn parse(s: &str) -> Result<Self, DigestError> {
        let colon = match s.find(':') {
            Some(i) if i > 0 && i + 1 < s.len() => i,
            _ => return Err(DigestError::InvalidFormat),
        };
        let (algorithm, encoded) = (&s[..colon], &s[colon + 1..]);
        let size = match algorithm {
            "sha256" => 32,
            "sha384" => 48,
            "sha512" => 64,
            _ => {
                return Err(if matches_digest_grammar(s) {
                    DigestError::Unsupported
                } else {
                    DigestError::InvalidFormat
                });
            }
        };
        if encoded.len() != size * 2 {
            return Err(DigestError::InvalidLength);
        }
        if !encoded
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        {
            return Err(DigestError::InvalidFormat);
        }
        Ok(Digest {
            value: s.to_owned(),
            colon,
        })
    }

    /// The SHA-256 digest of `data`.
    pub fn sha256_of(data: &[u8]) -> Self {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let hash = Sha256::digest(data);
        let mut value = String::with_capacity(7 + 64);
        value.push_str("sha256:");
        for b in hash {
            value.push(char::from(HEX[usize::from(b >> 4)]));
            value.push(char::from(HEX[usize::from(b & 0x0f)]));
        }
        Digest { value, colon: 6 }
    }

    /// The algorithm part, e.g. `sha256`.
    pub fn algorithm(&self) -> &str {
        &self.value[..self.colon]
    }

    /// The encoded (hex) part.
    pub fn hex(&self) -> &str {
        &self.value[self.colon + 1..]
    }

    /// The whole `algorithm:hex` string.
    pub fn as_str(&self) -> &str {
        &self.value
    }
}

impl fmt::Display for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.value)
    }
}

/// go-digest `DigestRegexp`: `[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+`, anchored.
fn matches_digest_grammar(s: &str) -> bool {
    let Some((alg, enc)) = s.split_once(':') else {
        return false;
    };
    let alg_ok = alg.split(['.', '+', '_', '-']).all(|c| {
        !c.is_empty()
            && c.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
    });
    let enc_ok = !enc.is_empty()
        && enc
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'=' | b'_' | b'-'));
    alg_ok && enc_ok
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_rules() {
        let hex64 = "20bf21ed457b390829cdbeec8795a7bea1626991fda603e0d01b4e7f60427e55";
        assert!(Digest::parse(&format!("sha256:{hex64}")).is_ok());
        let cases = [
            ("", DigestError::InvalidFormat),
            ("sha256", DigestError::InvalidFormat),
            (":abc", DigestError::InvalidFormat),
            ("sha256:", DigestError::InvalidFormat),
            ("sha256:abc", DigestError::InvalidLength),
            (
                "md5:d41d8cd98f00b204e9800998ecf8427e",
                DigestError::Unsupported,
            ),
            ("MD5:abc", DigestError::InvalidFormat),
            ("sha384:abc", DigestError::InvalidLength),
        ];
        for (input, want) in cases {
            assert_eq!(Digest::parse(input), Err(want), "{input}");
        }
        let upper = format!("sha256:{}", hex64.to_uppercase());
        assert_eq!(Digest::parse(&upper), Err(DigestError::InvalidFormat));
        let d = Digest::parse(&format!("sha256:{hex64}")).unwrap();
        assert_eq!((d.algorithm(), d.hex()), ("sha256", hex64));
    }

    #[test]
    fn sha256_of_empty() {
        assert_eq!(
            Digest::sha256_of(b"").as_str(),
            "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }
}
