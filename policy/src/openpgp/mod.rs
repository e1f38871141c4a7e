//! OpenPGP with sequoia-openpgp, behaving as containers/image's default GPGME mechanism does:
//! ephemeral keyrings, verification of signed messages, signing.
//!
//! # Compatibility with the GPGME mechanism
//!
//! containers/image's default build verifies with GnuPG through GPGME. This module reproduces its
//! verdicts without running gpg:
//!
//! * **Key import** ([`Keyring::from_blobs`]): each blob is read as `gpg --import` (GnuPG 2.2.40, the
//!   version Debian's skopeo/podman use through GPGME) reads it: binary or ASCII-armored as decided by
//!   its first line, several keys and armor blocks per blob; **the first unreadable packet ends the blob
//!   and drops the key being read** (so a binary keyring followed by other data can import nothing:
//!   `No public keys imported`); truncation, CRC errors, compressed keyrings, v3 keys, unknown and
//!   oversized packets and stand-alone revocation certificates behave as in gpg (tested against the real
//!   gpg in `policy/tests/keyring_import.rs`). As `gpg --import` does, a key without any user ID carrying
//!   a valid self-signature is not imported, unless that key is already in the keyring (Debian's gpg
//!   merges it, GnuPG T4393). Keys are merged by fingerprint (a revocation in a second blob applies to the
//!   key from the first), and the reported fingerprints keep import order and duplicates.
//! * **Message forms** ([`verify`]): signed messages, compressed or not, one-pass or not, old or new
//!   packet framing, v3 or v4 signature packets, binary or text signatures, binary or ASCII-armored;
//!   **cleartext-signed** messages are accepted as GPGME does (the content then ends with the final
//!   line break that `gpg` outputs). Input gpg does not recognise as OpenPGP fails with `No data`; more
//!   than one literal data packet fails with `Bad data`; anything else that yields no signature
//!   (literal only, encrypted, truncated, a key) fails with `Unexpected GPG signature count 0`.
//! * **Exactly one signature** is required (`Unexpected GPG signature count N`); a detached signature
//!   is checked against empty data, as gpg does, and therefore fails as a bad signature.
//! * **Rejections** carry GPGME's text `Invalid GPG signature: gpgme.Signature{…}` (Go `%#v`), with
//!   the `Summary`, `Fingerprint`, `Status`, timestamps and algorithms gpg 2.2 reports:
//!   bad signature (`Summary:4`, key ID, zero times), unknown key (`Summary:128`, issuer fingerprint or
//!   key ID), expired signature (`Summary:64`), expired key (`Summary:32`), revoked key or subkey, hard
//!   or soft revocation, at any time (`Summary:16`), rejected digest (MD5: `Summary:2048`,
//!   `err:0x5`), key newer than the signature or created after `now` (`err:0x27`), signing key without
//!   the signing capability (`err:0x7d`). The last two are inferred from gpg's source (`ERRSIG` with
//!   `GPG_ERR_TIME_CONFLICT` / `GPG_ERR_WRONG_KEY_USAGE`), not observed; all others were observed with
//!   skopeo 1.9.3. gpg checks in this order: digest algorithm, key lookup, key
//!   time conflicts, key usage, the cryptographic check, then signature expiry, key expiry and key
//!   revocation (reported in that precedence).
//! * **Algorithm policy**: GnuPG 2.2 accepts SHA-1 and RIPEMD-160 data signatures and old RSA/DSA key
//!   sizes that sequoia's `StandardPolicy` rejects; only MD5 is refused. The keyring therefore evaluates
//!   keys with a `StandardPolicy` relaxed to accept those.
//!
//! Differences that cannot be closed are listed in the docs of [`verify`].

mod certs;
mod generate;
mod gpgme;
mod keyring;
mod message;
mod policy;
mod rsa;
mod sign;
mod verify;

pub use generate::{GeneratedKey, generate_key};
pub use keyring::Keyring;
pub use sign::{SigningKey, sign};
pub use verify::{UntrustedContents, VerifiedMessage, untrusted_contents, verify};
