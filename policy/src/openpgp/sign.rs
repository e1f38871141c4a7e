//! Signing simple-signing payloads.

use std::{fmt, io::Write, time::SystemTime};

use sequoia_openpgp::{
    Cert,
    cert::amalgamation::key::PrimaryKey,
    crypto::Password,
    packet::{
        Key,
        key::{SecretParts, UnspecifiedRole},
    },
    serialize::stream::{Compressor, LiteralWriter, Message, Signer},
    types::{CompressionAlgorithm, DataFormat, HashAlgorithm, PublicKeyAlgorithm},
};

use super::{certs::parse_certs, policy::gnupg_policy};
use crate::Error;

/// A secret key able to sign.
#[derive(Clone)]
pub struct SigningKey {
    fingerprint: String,
    /// The (sub)key that signs, with its secret unlocked.
    key: Key<SecretParts, UnspecifiedRole>,
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey")
            .field("fingerprint", &self.fingerprint)
            .field("signing_key", &self.key.fingerprint().to_hex())
            .finish_non_exhaustive()
    }
}

fn fail(e: impl fmt::Display) -> Error {
    Error::Other(format!("signing failed: {e}"))
}

fn other(msg: impl Into<String>) -> Error {
    Error::Other(msg.into())
}

impl SigningKey {
    /// Loads a secret key (binary or armored transferable secret key, or a keyring of several) and selects
    /// the key named by `sign_by` (fingerprint, key ID or user ID substring, as `--sign-by` does; `None` = the
    /// only one), unlocking it with `passphrase` if encrypted.
    ///
    /// `sign_by` follows gpg's key specifications: a 40-hex fingerprint, 16- or 8-hex key ID (optionally
    /// `0x`-prefixed) of the primary key or a subkey, `=exact user ID`, `<email>`, or a case-insensitive
    /// user ID substring. As with gpg, the newest valid signing-capable subkey of the selected
    /// certificate signs (the primary key only if no subkey can); a trailing `!` after a fingerprint
    /// or key ID forces exactly that key. Keys are judged at the current time.
    ///
    /// Errors ([`Error::Other`], GPGME's texts where it has one):
    /// `invalid passphrase: must not contain a line break`; `key "<sign_by>" not found` (also when the
    /// data holds no secret key); `Unusable secret key` (no valid, unexpired, unrevoked signing-capable
    /// key with secret material); `Bad passphrase` (wrong passphrase); `No passphrase given` (the key is
    /// encrypted and `passphrase` is `None` or empty); `more than one secret key; select one by
    /// fingerprint or key ID` (`sign_by` is `None` and the data holds several).
    pub fn from_bytes(
        data: &[u8],
        sign_by: Option<&str>,
        passphrase: Option<&str>,
    ) -> Result<Self, Error> {
        if passphrase.is_some_and(|p| p.contains('\n')) {
            return Err(other("invalid passphrase: must not contain a line break"));
        }
        let passphrase = passphrase.filter(|p| !p.is_empty());
        let certs: Vec<Cert> = parse_certs(data).into_iter().filter(Cert::is_tsk).collect();
        let spec = sign_by.map(KeySpec::parse);
        let (cert, exact) = match &spec {
            None => match &certs[..] {
                [only] => (only, None),
                [] => return Err(other("no secret key found")),
                _ => {
                    return Err(other(
                        "more than one secret key; select one by fingerprint or key ID",
                    ));
                }
            },
            Some(spec) => certs
                .iter()
                .find_map(|c| spec.matches(c).map(|exact| (c, exact)))
                .ok_or_else(|| {
                    other(format!(
                        "key {} not found",
                        crate::error::go_quote(spec.text)
                    ))
                })?,
        };
        let key = select_signing_key(cert, exact.as_ref())?;
        let key = if key.has_unencrypted_secret() {
            key
        } else {
            let Some(p) = passphrase else {
                return Err(other("No passphrase given"));
            };
            key.decrypt_secret(&Password::from(p))
                .map_err(|_| other("Bad passphrase"))?
        };
        Ok(SigningKey {
            fingerprint: cert.fingerprint().to_hex(),
            key,
        })
    }

    /// Uppercase hex fingerprint of the primary key.
    pub fn fingerprint(&self) -> &str {
        &self.fingerprint
    }

    /// Uppercase hex fingerprint of the (sub)key that makes the signatures.
    pub fn signing_key_fingerprint(&self) -> String {
        self.key.fingerprint().to_hex()
    }
}

/// The signing key gpg would use: `exact` if given (it must be able to sign), else the newest valid
/// signing subkey, else the primary key.
fn select_signing_key(
    cert: &Cert,
    exact: Option<&sequoia_openpgp::Fingerprint>,
) -> Result<Key<SecretParts, UnspecifiedRole>, Error> {
    let unusable = || other("Unusable secret key");
    let vcert = cert
        .with_policy(gnupg_policy(), SystemTime::now())
        .map_err(|_| unusable())?;
    if vcert.alive().is_err()
        || matches!(
            vcert.revocation_status(),
            sequoia_openpgp::types::RevocationStatus::Revoked(_)
        )
    {
        return Err(unusable());
    }
    let mut best: Option<(bool, SystemTime, Key<SecretParts, UnspecifiedRole>)> = None;
    for ka in vcert.keys().secret().alive().revoked(false) {
        let can_sign = match ka.key_flags() {
            Some(f) => f.for_signing(),
            None => ka.key().pk_algo().for_signing(),
        };
        if !can_sign || exact.is_some_and(|f| *f != ka.key().fingerprint()) {
            continue;
        }
        let rank = (!ka.primary(), ka.key().creation_time());
        if best.as_ref().is_none_or(|(p, t, _)| rank > (*p, *t)) {
            best = Some((rank.0, rank.1, ka.key().clone().role_into_unspecified()));
        }
    }
    best.map(|(_, _, k)| k).ok_or_else(unusable)
}

/// A parsed `--sign-by` value.
struct KeySpec<'a> {
    text: &'a str,
    kind: SpecKind,
}

enum SpecKind {
    /// Uppercase hex: a fingerprint (40), long (16) or short (8) key ID; `bool` = exactly this key (`!`).
    Hex(String, bool),
    /// `=…`: the whole user ID.
    Exact(String),
    /// `<…>`: the email address.
    Email(String),
    /// Case-insensitive user ID substring.
    Substring(String),
}

impl<'a> KeySpec<'a> {
    fn parse(text: &'a str) -> Self {
        let t = text.trim();
        let (body, bang) = match t.strip_suffix('!') {
            Some(b) => (b, true),
            None => (t, false),
        };
        let hex = body
            .strip_prefix("0x")
            .or_else(|| body.strip_prefix("0X"))
            .unwrap_or(body);
        let kind = if matches!(hex.len(), 8 | 16 | 40) && hex.chars().all(|c| c.is_ascii_hexdigit())
        {
            SpecKind::Hex(hex.to_ascii_uppercase(), bang)
        } else if let Some(u) = t.strip_prefix('=') {
            SpecKind::Exact(u.to_owned())
        } else if t.starts_with('<') {
            SpecKind::Email(
                t.trim_start_matches('<')
                    .trim_end_matches('>')
                    .to_ascii_lowercase(),
            )
        } else {
            SpecKind::Substring(t.to_lowercase())
        };
        KeySpec { text, kind }
    }

    /// `Some(exact key)` if `cert` matches (`Some(None)`: the certificate as a whole).
    fn matches(&self, cert: &Cert) -> Option<Option<sequoia_openpgp::Fingerprint>> {
        match &self.kind {
            SpecKind::Hex(hex, bang) => cert.keys().find_map(|ka| {
                let fpr = ka.key().fingerprint();
                let fhex = fpr.to_hex();
                let hit = if hex.len() == 40 {
                    fhex == *hex
                } else {
                    fhex.ends_with(hex.as_str())
                };
                hit.then(|| bang.then_some(fpr))
            }),
            SpecKind::Exact(u) => cert
                .userids()
                .any(|ua| ua.userid().value() == u.as_bytes())
                .then_some(None),
            SpecKind::Email(e) => cert
                .userids()
                .any(|ua| {
                    ua.userid()
                        .email_normalized()
                        .ok()
                        .flatten()
                        .is_some_and(|m| m == *e)
                })
                .then_some(None),
            SpecKind::Substring(s) => cert
                .userids()
                .any(|ua| {
                    String::from_utf8_lossy(ua.userid().value())
                        .to_lowercase()
                        .contains(s.as_str())
                })
                .then_some(None),
        }
    }
}

/// The digest gpg 2.2 picks with its default preferences: SHA-512, except SHA-256 for DSA (whose
/// subgroup size bounds the digest).
fn hash_for(algo: PublicKeyAlgorithm) -> HashAlgorithm {
    #[allow(deprecated)]
    match algo {
        PublicKeyAlgorithm::DSA => HashAlgorithm::SHA256,
        _ => HashAlgorithm::SHA512,
    }
}

/// Signs `payload` into an OpenPGP signed message (binary, as `gpg --sign`), created at `now`.
///
/// The message has gpg's structure: ZIP-compressed data holding a one-pass signature, the literal data
/// (binary, no file name, dated `now`) and a version 4 binary signature with creation time, issuer and
/// issuer fingerprint subpackets. (Sequoia writes new-format packet headers, so the blob starts with
/// `0xC8` where gpg's starts with `0xA3`; containers/image accepts both.)
pub fn sign(key: &SigningKey, payload: &[u8], now: SystemTime) -> Result<Vec<u8>, Error> {
    let keypair = key.key.clone().into_keypair().map_err(fail)?;
    let mut out = Vec::new();
    {
        let message = Message::new(&mut out);
        let message = Compressor::new(message)
            .algo(CompressionAlgorithm::Zip)
            .build()
            .map_err(fail)?;
        let message = Signer::new(message, keypair)
            .and_then(|s| s.hash_algo(hash_for(key.key.pk_algo())))
            .map(|s| s.creation_time(now))
            .and_then(|s| s.build())
            .map_err(fail)?;
        let mut literal = LiteralWriter::new(message)
            .format(DataFormat::Binary)
            .date(now)
            .and_then(|l| l.build())
            .map_err(fail)?;
        literal.write_all(payload).map_err(fail)?;
        literal.finalize().map_err(fail)?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_break_in_passphrase() {
        let e = SigningKey::from_bytes(b"", None, Some("a\nb")).unwrap_err();
        assert_eq!(
            e.to_string(),
            "invalid passphrase: must not contain a line break"
        );
    }

    #[test]
    fn no_secret_key() {
        assert_eq!(
            SigningKey::from_bytes(b"garbage", Some("ABCD"), None)
                .unwrap_err()
                .to_string(),
            "key \"ABCD\" not found"
        );
        assert!(SigningKey::from_bytes(b"garbage", None, None).is_err());
    }
}
