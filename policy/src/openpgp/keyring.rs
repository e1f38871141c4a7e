//! Ephemeral keyrings (containers/image `NewEphemeralGPGSigningMechanism` + `importKeysFromBytes`).

use std::{collections::HashMap, fmt, sync::Arc};

use sequoia_openpgp::{Cert, KeyID, Packet, types::SignatureType};

use super::{
    certs::{Block, read_blocks},
    rsa::RsaKey,
};

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
    /// Every key (primary and subkeys) by key ID.
    by_key_id: HashMap<KeyID, Vec<KeyEntry>>,
    /// Per certificate: whether it carries no key expiration and no revocation at all, so that a key
    /// bound at some time is alive and unrevoked at every later time (see [`time_invariant`]).
    time_invariant: Vec<bool>,
}

/// One key of the keyring.
struct KeyEntry {
    /// Index into `certs`.
    cert: usize,
    /// Index of the key in `cert.keys()`.
    key: usize,
    /// An RSA key's public operation, kept ready for every verification with this keyring.
    rsa: Option<RsaKey>,
}

/// A key found by ID: its certificate, its index in `cert.keys()`, whether the certificate's liveness and
/// revocation status cannot change over time, and the kept form of an RSA key.
pub(crate) struct FoundKey<'k> {
    pub(crate) cert: &'k Cert,
    pub(crate) index: usize,
    pub(crate) time_invariant: bool,
    pub(crate) rsa: Option<&'k RsaKey>,
}

impl fmt::Debug for Keyring {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Keyring")
            .field("fingerprints", &self.fingerprints)
            .finish_non_exhaustive()
    }
}

impl Keyring {
    /// Imports the keys in `blobs` as GnuPG's import does for the GPGME mechanism (one `gpg --import`
    /// per blob into one keyring); unusable input imports nothing (no error).
    ///
    /// Each blob is read as gpg 2.2 reads it (see `certs.rs`): binary or ASCII-armored (several armor
    /// blocks form one stream; compressed keyrings are inflated), key block by key block, and the first
    /// unreadable packet ends the blob and **drops the key being read**. A key without any self-signed
    /// user ID is not imported ("no valid user IDs"), unless the keyring already has it (Debian's gpg
    /// then merges it). Secret keys import their public part. The same key imported twice is merged
    /// (its revocations and subkeys combine) and listed twice in [`Keyring::fingerprints`]; a
    /// stand-alone revocation certificate applies to a key imported before it.
    ///
    /// Checked against the real `gpg --import` by `tests/keyring_import.rs`.
    pub fn from_blobs<'a>(blobs: impl IntoIterator<Item = &'a [u8]>) -> Keyring {
        let mut import = Import::default();
        for blob in blobs {
            import.blob(blob);
        }
        let Import {
            fingerprints,
            certs,
            ..
        } = import;
        let mut by_key_id: HashMap<KeyID, Vec<KeyEntry>> = HashMap::new();
        for (ci, cert) in certs.iter().enumerate() {
            for (ki, ka) in cert.keys().enumerate() {
                by_key_id
                    .entry(ka.key().keyid())
                    .or_default()
                    .push(KeyEntry {
                        cert: ci,
                        key: ki,
                        rsa: RsaKey::new(ka.key()),
                    });
            }
        }
        let time_invariant = certs.iter().map(time_invariant).collect();
        Keyring {
            fingerprints,
            inner: Arc::new(Inner {
                certs,
                by_key_id,
                time_invariant,
            }),
        }
    }

    /// Uppercase hex fingerprints of the imported primary keys, in import order, duplicates kept: the
    /// public key imports gpg reports (`IMPORT_OK` without the secret-key flag 16). containers/image
    /// trusts exactly the keys listed here (its list also repeats secret keys, for their secret part).
    pub fn fingerprints(&self) -> &[String] {
        &self.fingerprints
    }

    /// Whether no key was imported.
    pub fn is_empty(&self) -> bool {
        self.fingerprints.is_empty()
    }

    /// The keys whose key ID is `id`, in import order.
    pub(crate) fn keys_by_id<'s>(&'s self, id: &KeyID) -> impl Iterator<Item = FoundKey<'s>> + 's {
        self.inner
            .by_key_id
            .get(id)
            .into_iter()
            .flatten()
            .filter_map(|entry| {
                Some(FoundKey {
                    cert: self.inner.certs.get(entry.cert)?,
                    index: entry.key,
                    time_invariant: self
                        .inner
                        .time_invariant
                        .get(entry.cert)
                        .copied()
                        .unwrap_or(false),
                    rsa: entry.rsa.as_ref(),
                })
            })
    }
}

/// The state of one ephemeral GnuPG keyring while blobs are imported into it.
#[derive(Default)]
struct Import {
    /// Primary key fingerprints of gpg's public key `IMPORT_OK` reports, in order.
    fingerprints: Vec<String>,
    /// Certificates merged by fingerprint, secret key material stripped.
    certs: Vec<Cert>,
    index_of: HashMap<sequoia_openpgp::Fingerprint, usize>,
}

impl Import {
    /// One `gpg --import` of `blob`.
    fn blob(&mut self, blob: &[u8]) {
        // gpg's "secattic": secret subkeys of a secret key block that did not make it into the public
        // key; gpg offers them to the next public key block it imports, and gives up on the blob if
        // that key is then not in the keyring.
        let mut attic = false;
        for block in read_blocks(blob) {
            let (packets, secret, secret_subkeys) = match block {
                Block::Key {
                    packets,
                    secret,
                    secret_subkeys,
                } => (packets, secret, secret_subkeys),
                Block::Revocation(sig) => {
                    attic = false;
                    apply_revocation(&mut self.certs, *sig);
                    continue;
                }
            };
            let has_user_id = packets.iter().any(|p| matches!(p, Packet::UserID(_)));
            let cert = Cert::from_packets(packets.into_iter()).ok();
            if secret {
                attic = false;
                let Some(cert) = cert else { continue };
                let bound = cert
                    .keys()
                    .subkeys()
                    .filter(|k| k.self_signatures().next().is_some())
                    .count();
                let dropped_subkeys = secret_subkeys > bound;
                let known = self.index_of.contains_key(&cert.fingerprint());
                if !has_valid_user_id(&cert) && !known {
                    if !has_user_id {
                        // "no user ID": skipped.
                        continue;
                    }
                    // Debian's GnuPG treats the key as valid but does not store it (see `add`); the
                    // secret key import then fails ("failed to re-lookup public key"), which ends
                    // the blob unless some secret subkeys were set aside.
                    if dropped_subkeys {
                        attic = true;
                        continue;
                    }
                    return;
                }
                self.add(cert);
                // gpg also reports the secret part (and the secret subkeys it sets aside) as
                // imported; those reports add no key, and are not listed.
                attic = dropped_subkeys;
                continue;
            }
            let fpr = cert.map(|cert| {
                let fpr = cert.fingerprint();
                self.add(cert);
                fpr
            });
            if attic {
                attic = false;
                if !fpr.is_some_and(|f| self.index_of.contains_key(&f)) {
                    return;
                }
            }
        }
    }

    /// gpg's `import_one` for a parsed key block: a key without any self-signed user ID is not
    /// imported ("no valid user IDs"), unless it is already in the keyring: Debian's GnuPG (the `gpg`
    /// of the harness and of Debian/Ubuntu hosts) then merges it as an update (T4393). An imported or
    /// merged key is reported (and listed) again each time, duplicates included.
    fn add(&mut self, cert: Cert) {
        let fpr = cert.fingerprint();
        if !has_valid_user_id(&cert) && !self.index_of.contains_key(&fpr) {
            return;
        }
        let cert = cert.strip_secret_key_material();
        self.fingerprints.push(fpr.to_hex());
        match self.index_of.get(&fpr) {
            Some(&i) => {
                if let Some(slot) = self.certs.get_mut(i) {
                    let old = std::mem::replace(slot, cert.clone());
                    // Merging certificates with the same fingerprint cannot fail; keep the first
                    // copy if it somehow does.
                    *slot = old.clone().merge_public(cert).unwrap_or(old);
                }
            }
            None => {
                self.index_of.insert(fpr, self.certs.len());
                self.certs.push(cert);
            }
        }
    }
}

/// gpg's `import_revoke_cert`: a stand-alone key revocation applies to the key it names if that key was
/// imported already (sequoia's canonicalization then keeps it only if it verifies).
fn apply_revocation(certs: &mut [Cert], sig: sequoia_openpgp::packet::Signature) {
    let issuers = sig.get_issuers();
    for cert in certs.iter_mut() {
        let primary = cert.primary_key().key();
        if !issuers.iter().any(|h| h.aliases(primary.key_handle())) {
            continue;
        }
        let old = cert.clone();
        *cert = match old.clone().insert_packets(Packet::Signature(sig.clone())) {
            Ok((c, _)) => c,
            Err(_) => old,
        };
    }
}

/// Whether `cert` has no signature with a key expiration time and no revocation signature of any kind.
/// For such a certificate, sequoia's `alive()` is `Ok` and `revocation_status()` is `NotAsFarAsWeKnow`
/// for every key at every time the key is bound (both only consult key validity periods and revocation
/// signatures), so verification can skip them. It matters for speed: each of those calls builds (and
/// drops) an `anyhow::Error` while looking for a direct-key signature most certificates do not have,
/// and with `RUST_BACKTRACE` set every such error captures a backtrace.
fn time_invariant(cert: &Cert) -> bool {
    cert.clone().into_packets().all(|p| match p {
        Packet::Signature(sig) => {
            !matches!(
                sig.typ(),
                SignatureType::KeyRevocation
                    | SignatureType::SubkeyRevocation
                    | SignatureType::CertificationRevocation
            ) && sig.key_validity_period().is_none()
        }
        _ => true,
    })
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
    fn time_invariance_needs_no_expiration_and_no_revocation() {
        use sequoia_openpgp::{
            cert::{CertBuilder, CertRevocationBuilder},
            policy::StandardPolicy,
            types::ReasonForRevocation,
        };
        let no_expiry = || {
            CertBuilder::new()
                .add_userid("a@example.invalid")
                .add_signing_subkey()
                .set_validity_period(None)
                .generate()
                .unwrap()
                .0
        };
        assert!(time_invariant(&no_expiry()));

        let (expiring, _) = CertBuilder::new()
            .add_userid("b@example.invalid")
            .set_validity_period(std::time::Duration::from_secs(3600))
            .generate()
            .unwrap();
        assert!(!time_invariant(&expiring));

        let cert = no_expiry();
        let mut signer = cert
            .primary_key()
            .key()
            .clone()
            .parts_into_secret()
            .unwrap()
            .into_keypair()
            .unwrap();
        let revocation = CertRevocationBuilder::new()
            .set_reason_for_revocation(ReasonForRevocation::KeyCompromised, b"test")
            .unwrap()
            .build(&mut signer, &cert, None)
            .unwrap();
        let (revoked, _) = cert.insert_packets(revocation).unwrap();
        assert!(!time_invariant(&revoked));
        let p = StandardPolicy::new();
        assert!(revoked.with_policy(&p, None).is_ok());
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
