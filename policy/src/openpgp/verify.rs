//! Verifying simple-signing OpenPGP messages.

use std::time::{SystemTime, UNIX_EPOCH};

use sequoia_openpgp::{
    Cert, KeyHandle, KeyID,
    cert::amalgamation::{
        ValidAmalgamation, ValidateAmalgamation, key::ValidErasedKeyAmalgamation,
    },
    packet::{Signature, key::PublicParts},
    types::{RevocationStatus, SignatureType},
};

use super::{
    Keyring,
    gpgme::{GpgmeSignature, Status, code, gpgme_pubkey_algo},
    message::{self, MAX_CONTENT},
    policy::{digest_rejected, gnupg_policy},
    rsa::RsaKey,
};
use crate::Error;

/// A message whose signature verified.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct VerifiedMessage {
    /// The signed literal data.
    pub content: Vec<u8>,
    /// Uppercase hex fingerprint of the signing key (a subkey's own fingerprint if a subkey signed).
    pub key_fingerprint: String,
    /// Uppercase hex fingerprint of the primary key owning the signing key.
    pub primary_fingerprint: String,
}

/// Verifies `blob` (an OpenPGP signed message) against `keyring` at time `now`, with the GPGME mechanism's
/// verdicts: exactly one signature (`Unexpected GPG signature count N`), any bad/expired/revoked/unknown-key
/// status rejected (`Invalid GPG signature: …`).
///
/// See the [module docs](super) for the accepted forms and the checks. Errors:
/// * [`Error::Other`]`("No data")` when the input is not OpenPGP at all (empty, garbage), and
///   `Error::Other("Bad data")` for more than one literal data packet — plain errors from GPGME, as
///   upstream;
/// * [`Error::InvalidSignature`] for everything else: `Unexpected GPG signature count N`, or
///   `Invalid GPG signature: gpgme.Signature{…}`.
///
/// Known differences from the real GPGME text:
/// * `Timestamp`/`ExpTimestamp` are printed in UTC; Go prints the local time of the podman process
///   (identical when `TZ` is UTC, as in most containers).
/// * Literal data larger than 32 MiB is refused (`Error::Other`); gpg has no such limit.
/// * Unusual cases whose gpg status was not observed (signature classes other than binary/text, keys
///   with unsupported algorithms) are reported as a bad signature or with `GPG_ERR_PUBKEY_ALGO`.
pub fn verify(keyring: &Keyring, blob: &[u8], now: SystemTime) -> Result<VerifiedMessage, Error> {
    let m = message::parse(blob);
    if !m.any_packet {
        return Err(Error::Other("No data".into()));
    }
    if m.literal_count > 1 {
        return Err(Error::Other("Bad data".into()));
    }
    if m.truncated {
        return Err(Error::Other(format!(
            "signed content exceeds {MAX_CONTENT} bytes"
        )));
    }
    let [sig] = &m.signatures[..] else {
        return Err(Error::InvalidSignature(format!(
            "Unexpected GPG signature count {}",
            m.signatures.len()
        )));
    };
    let (key_fingerprint, primary_fingerprint) = check_signature(keyring, sig, &m.content, now)
        .map_err(|s| Error::InvalidSignature(format!("Invalid GPG signature: {s}")))?;
    let mut content = m.content;
    if m.cleartext {
        // gpg writes cleartext with a line ending after the last line, which is not part of the signed
        // text.
        content.push(b'\n');
    }
    Ok(VerifiedMessage {
        content,
        key_fingerprint,
        primary_fingerprint,
    })
}

fn unix(t: SystemTime) -> i64 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
        Err(e) => -i64::try_from(e.duration().as_secs()).unwrap_or(i64::MAX),
    }
}

/// The issuer key ID gpg reports (`BADSIG <keyid>`): the Issuer subpacket, else derived from the
/// Issuer Fingerprint subpacket, else zeros.
fn issuer_key_id(sig: &Signature) -> KeyID {
    sig.issuers()
        .next()
        .cloned()
        .or_else(|| sig.issuer_fingerprints().next().map(KeyID::from))
        .unwrap_or_else(|| KeyID::new(0))
}

/// Checks `sig` over `content` as gpg does; `Ok((signing key fingerprint, primary fingerprint))`.
fn check_signature(
    keyring: &Keyring,
    sig: &Signature,
    content: &[u8],
    now: SystemTime,
) -> Result<(String, String), GpgmeSignature> {
    let timestamp = sig.signature_creation_time().map_or(0, unix);
    let key_id = issuer_key_id(sig);
    let pubkey_algo = gpgme_pubkey_algo(u8::from(sig.pk_algo()));
    let hash_algo = u32::from(u8::from(sig.hash_algo()));
    // `ERRSIG` carries the issuer fingerprint when the signature names it, else the key ID.
    let errsig = |rc: u32| GpgmeSignature {
        status: Status::Err(rc),
        fingerprint: sig
            .issuer_fingerprints()
            .next()
            .map_or_else(|| key_id.to_hex(), |f| f.to_hex()),
        timestamp,
        exp_timestamp: 0,
        pubkey_algo,
        hash_algo,
    };

    if digest_rejected(sig.hash_algo()) {
        return Err(errsig(code::DIGEST_ALGO));
    }
    if !sig.pk_algo().is_supported() {
        return Err(errsig(code::PUBKEY_ALGO));
    }
    let Some((cert, ka, time_invariant, rsa)) = find_key(keyring, sig, now) else {
        return Err(errsig(code::NO_PUBKEY));
    };
    let ka = match ka {
        Ok(ka) => ka,
        Err(rc) => return Err(errsig(rc)),
    };
    let key = ka.key();
    let sig_time = sig.signature_creation_time().unwrap_or(UNIX_EPOCH);
    if key.creation_time() > sig_time || key.creation_time() > now {
        return Err(errsig(code::TIME_CONFLICT));
    }
    let can_sign = match ka.key_flags() {
        Some(flags) => flags.for_signing(),
        // No Key Flags subpacket: gpg derives the usage from the algorithm.
        None => key.pk_algo().for_signing(),
    };
    if !can_sign {
        return Err(errsig(code::WRONG_KEY_USAGE));
    }

    let crypto_ok = matches!(sig.typ(), SignatureType::Binary | SignatureType::Text)
        && verify_signature(sig, key, rsa, content);
    if !crypto_ok {
        return Err(GpgmeSignature::bad(key_id.to_hex()));
    }

    let exp = sig.signature_expiration_time();
    let status = if exp.is_some_and(|e| now >= e) {
        Some(Status::SigExpired)
    } else if time_invariant {
        // No expiration and no revocation anywhere in the certificate: alive and unrevoked.
        None
    } else if ka.alive().is_err() || ka.valid_cert().alive().is_err() {
        Some(Status::KeyExpired)
    } else if is_revoked(ka.revocation_status()) || is_revoked(ka.valid_cert().revocation_status())
    {
        Some(Status::KeyRevoked)
    } else {
        None
    };
    let key_fingerprint = key.fingerprint().to_hex();
    if let Some(status) = status {
        return Err(GpgmeSignature {
            status,
            fingerprint: key_fingerprint,
            timestamp,
            exp_timestamp: exp.map_or(0, unix),
            pubkey_algo,
            hash_algo,
        });
    }
    Ok((key_fingerprint, cert.fingerprint().to_hex()))
}

fn is_revoked(s: RevocationStatus<'_>) -> bool {
    matches!(s, RevocationStatus::Revoked(_))
}

/// Looks the issuer up as gpg does (Issuer Fingerprint if present, else key ID) and returns the first
/// key bound to its certificate at `now` (with whether the certificate's validity is time-invariant);
/// `Err(rc)` for a key gpg finds but cannot use.
#[allow(clippy::type_complexity)]
fn find_key<'k>(
    keyring: &'k Keyring,
    sig: &Signature,
    now: SystemTime,
) -> Option<(
    &'k Cert,
    Result<ValidErasedKeyAmalgamation<'k, PublicParts>, u32>,
    bool,
    Option<&'k RsaKey>,
)> {
    let policy = gnupg_policy();
    let mut time_conflict = None;
    for handle in sig.get_issuers() {
        let id = KeyID::from(&handle);
        for found in keyring.keys_by_id(&id) {
            let cert = found.cert;
            let Some(ka) = cert.keys().nth(found.index) else {
                continue;
            };
            if let KeyHandle::Fingerprint(fpr) = &handle {
                if &ka.key().fingerprint() != fpr {
                    continue;
                }
            }
            if ka.key().creation_time() > now {
                // gpg: "key … was created … seconds in the future".
                time_conflict.get_or_insert(cert);
                continue;
            }
            if let Ok(vka) = ka.with_policy(policy, now) {
                return Some((cert, Ok(vka), found.time_invariant, found.rsa));
            }
        }
    }
    time_conflict.map(|c| (c, Err(code::TIME_CONFLICT), false, None))
}

/// Whether `sig` is a valid signature by `key` over `content`: `Signature::verify_digest` without sequoia's
/// process-wide signature verification cache, with the same checks (signature and key versions, v6 salt, v6
/// DSA, a creation time not before the key's), then the public-key operation.
///
/// A binary RSA signature is first given to the key's kept AWS-LC form (`rsa`, see [`super::rsa`]) with the
/// content itself: AWS-LC hashes the content and the signature's trailer, so a good signature is hashed once.
/// Everything else, and whatever AWS-LC does not accept, is decided by sequoia over the digest the parser
/// computed (a signature announced by a one-pass packet) or that is computed here (binary content as is,
/// text canonicalized; gpg checks a detached signature against empty data).
///
/// The cache is bypassed on purpose. Its lookup hashes the signature, the digest and the key with SHA-512 and
/// takes a lock shared by every thread, and a hit saves the public-key operation only when the very same
/// signature is verified again in the same process; evaluation then costs what it costs on first sight, on
/// every thread independently. Verdicts cannot differ: the cache only remembers successes of this same check.
fn verify_signature(
    sig: &Signature,
    key: &sequoia_openpgp::packet::Key<PublicParts, impl sequoia_openpgp::packet::key::KeyRole>,
    rsa: Option<&RsaKey>,
    content: &[u8],
) -> bool {
    if (sig.version() == 6) != (key.version() == 6) {
        return false;
    }
    if sig.version() == 6 {
        let want = sig.hash_algo().salt_size().ok();
        #[allow(deprecated)]
        if want != sig.salt().map(<[u8]>::len)
            || sig.pk_algo() == sequoia_openpgp::types::PublicKeyAlgorithm::DSA
        {
            return false;
        }
    }
    match sig.signature_creation_time() {
        Some(t) if t >= key.creation_time() => {}
        _ => return false,
    }
    if sig.typ() == SignatureType::Binary && rsa.is_some_and(|rsa| rsa.verifies(sig, content)) {
        return true;
    }
    let verify = |digest: &[u8]| key.verify(sig.mpis(), sig.hash_algo(), digest).is_ok();
    match sig.computed_digest() {
        Some(digest) => verify(digest),
        None => digest_over(sig, content).is_some_and(|digest| verify(&digest)),
    }
}

/// The digest `sig` signs over `content` (binary, or text-canonicalized for text signatures) followed by its
/// trailer, as `Signature::verify_hash` computes it.
fn digest_over(sig: &Signature, content: &[u8]) -> Option<Vec<u8>> {
    let mut ctx = sig.hash_algo().context().ok()?.for_signature(sig.version());
    if sig.typ() == SignatureType::Text {
        ctx.update(&text_canonical(content));
    } else {
        ctx.update(content);
    }
    sequoia_openpgp::crypto::hash::Hash::hash(sig, &mut ctx).ok()?;
    ctx.into_digest().ok()
}

/// Line endings normalized to CR LF, as text signatures are computed.
fn text_canonical(content: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(content.len() + content.len() / 16);
    let mut i = 0;
    while i < content.len() {
        match content[i] {
            b'\r' if content.get(i + 1) == Some(&b'\n') => {
                out.extend_from_slice(b"\r\n");
                i += 1;
            }
            b'\r' | b'\n' => out.extend_from_slice(b"\r\n"),
            b => out.push(b),
        }
        i += 1;
    }
    out
}

/// Contents of a signature read without verifying it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct UntrustedContents {
    /// The literal data.
    pub content: Vec<u8>,
    /// The issuer's 16-hex-digit key ID, uppercase.
    pub short_key_id: String,
}

/// `UntrustedSignatureContents`: reads the literal data and issuer key ID without verifying
/// (`The input is not a signature` when unsigned).
///
/// Upstream uses `golang.org/x/crypto/openpgp.ReadMessage` here for every mechanism, so this follows it:
/// binary input only (armor and cleartext fail with `openpgp: invalid data: tag byte does not have MSB
/// set`), the key ID is the first one-pass signature packet's, an encrypted message fails with
/// `openpgp: incorrect key`, an empty one with `EOF`, a message without one-pass signature with
/// `The input is not a signature`. All errors are [`Error::Other`].
pub fn untrusted_contents(blob: &[u8]) -> Result<UntrustedContents, Error> {
    let Some(&first) = blob.first() else {
        return Err(Error::Other("EOF".into()));
    };
    if first & 0x80 == 0 {
        return Err(Error::Other(
            "openpgp: invalid data: tag byte does not have MSB set".into(),
        ));
    }
    let m = message::parse(blob);
    if m.encrypted && m.one_pass_issuers.is_empty() {
        return Err(Error::Other("openpgp: incorrect key".into()));
    }
    let Some(issuer) = m.one_pass_issuers.first() else {
        if !m.any_packet || m.parse_error {
            return Err(Error::Other("unexpected EOF".into()));
        }
        return Err(Error::Other("The input is not a signature".into()));
    };
    if m.literal_count == 0 {
        return Err(Error::Other("unexpected EOF".into()));
    }
    if m.truncated {
        return Err(Error::Other(format!(
            "signed content exceeds {MAX_CONTENT} bytes"
        )));
    }
    Ok(UntrustedContents {
        content: m.content,
        short_key_id: issuer.to_hex(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_canonicalization() {
        assert_eq!(text_canonical(b"a\nb\r\nc\rd"), b"a\r\nb\r\nc\r\nd");
        assert_eq!(text_canonical(b""), b"");
    }

    #[test]
    fn garbage_is_no_data() {
        let k = Keyring::default();
        let now = SystemTime::now();
        assert_eq!(verify(&k, b"", now), Err(Error::Other("No data".into())));
        assert_eq!(
            verify(&k, b"invalid signature", now),
            Err(Error::Other("No data".into()))
        );
        let nested: Vec<u8> = std::iter::repeat_n([0xa3u8, 0x00], 10_000)
            .flatten()
            .collect();
        assert!(verify(&k, &nested, now).is_err());
        assert!(untrusted_contents(&nested).is_err());
        assert!(untrusted_contents(b"").is_err());
    }
}
