//! Ephemeral keyrings (containers/image `NewEphemeralGPGSigningMechanism` + `importKeysFromBytes`).

use std::{collections::HashMap, fmt, sync::Arc};

use sequoia_openpgp::{Cert, KeyID};

use super::certs::parse_certs;

/// Public keys imported from one or more blobs (binary or ASCII-armored, several certificates each).
/// Parsed once; cheap to share behind an `Arc` (and cheap to clone: the parsed keys are shared).
#[derive(Clone, Default)]
pub struct Keyring {
    fingerprints: Vec<String>,
    inner: Arc<Inner>,
}

#[derive(Default)]
struct Inner {
    /// Certificates merged by fingerprint (as gpg merges a re-imported key into the one it has), secret
    /// key material stripped.
    certs: Vec<Cert>,
    /// Every key (primary and subkeys) by key ID: `(index into certs, index of the key in
    /// cert.keys())`.
    by_key_id: HashMap<KeyID, Vec<(usize, usize)>>,
}

impl fmt::Debug for Keyring {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Keyring")
            .field("fingerprints", &self.fingerprints)
            .finish_non_exhaustive()
    }
}

impl Keyring {
    /// Imports every certificate found in `blobs`, as GnuPG's import does for the GPGME mechanism:
    /// unparsable input imports nothing (no error).
    ///
    /// Each blob may be binary or ASCII-armored and hold several certificates (or several armor
    /// blocks). A certificate without any self-signed user ID is skipped, as `gpg --import` skips it
    /// ("no valid user IDs"). Secret key material is dropped. The same key imported twice is merged
    /// (its revocations and subkeys combine) but listed twice in [`Keyring::fingerprints`].
    pub fn from_blobs<'a>(blobs: impl IntoIterator<Item = &'a [u8]>) -> Keyring {
        let mut fingerprints = Vec::new();
        let mut certs: Vec<Cert> = Vec::new();
        let mut index_of: HashMap<sequoia_openpgp::Fingerprint, usize> = HashMap::new();
        for blob in blobs {
            for cert in parse_certs(blob) {
                if !has_valid_user_id(&cert) {
                    continue;
                }
                let cert = cert.strip_secret_key_material();
                fingerprints.push(cert.fingerprint().to_hex());
                match index_of.get(&cert.fingerprint()) {
                    Some(&i) => {
                        let Some(slot) = certs.get_mut(i) else {
                            continue;
                        };
                        let old = std::mem::replace(slot, cert.clone());
                        // Merging certificates with the same fingerprint cannot fail; keep the first
                        // copy if it somehow does.
                        *slot = old.clone().merge_public(cert).unwrap_or(old);
                    }
                    None => {
                        index_of.insert(cert.fingerprint(), certs.len());
                        certs.push(cert);
                    }
                }
            }
        }
        let mut by_key_id: HashMap<KeyID, Vec<(usize, usize)>> = HashMap::new();
        for (ci, cert) in certs.iter().enumerate() {
            for (ki, ka) in cert.keys().enumerate() {
                by_key_id
                    .entry(ka.key().keyid())
                    .or_default()
                    .push((ci, ki));
            }
        }
        Keyring {
            fingerprints,
            inner: Arc::new(Inner { certs, by_key_id }),
        }
    }

    /// Uppercase hex fingerprints of the imported primary keys, in import order, duplicates kept.
    pub fn fingerprints(&self) -> &[String] {
        &self.fingerprints
    }

    /// Whether no key was imported.
    pub fn is_empty(&self) -> bool {
        self.fingerprints.is_empty()
    }

    /// The `(certificate, key index in cert.keys())` pairs whose key has key ID `id`, in import order.
    pub(crate) fn keys_by_id<'s>(
        &'s self,
        id: &KeyID,
    ) -> impl Iterator<Item = (&'s Cert, usize)> + 's {
        self.inner
            .by_key_id
            .get(id)
            .into_iter()
            .flatten()
            .filter_map(|&(ci, ki)| self.inner.certs.get(ci).map(|c| (c, ki)))
    }
}

/// gpg imports a key only if at least one user ID carries a (cryptographically valid) self-signature;
/// sequoia's canonicalization has already set invalid self-signatures aside.
fn has_valid_user_id(cert: &Cert) -> bool {
    cert.userids().any(|u| u.self_signatures().next().is_some())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_send_sync<T: Send + Sync>() {}

    #[test]
    fn keyring_is_send_sync() {
        assert_send_sync::<Keyring>();
    }

    #[test]
    fn garbage_and_empty_import_nothing() {
        assert!(
            Keyring::from_blobs([&b"This is invalid"[..]])
                .fingerprints()
                .is_empty()
        );
        assert!(Keyring::from_blobs([&b""[..]]).fingerprints().is_empty());
        assert!(Keyring::from_blobs(std::iter::empty()).is_empty());
        // Deeply nested / hostile bytes.
        let hostile: Vec<u8> = std::iter::repeat_n([0xa3u8, 0x00], 5000)
            .flatten()
            .collect();
        assert!(
            Keyring::from_blobs([&hostile[..]])
                .fingerprints()
                .is_empty()
        );
    }
}
