//! Public keys prepared once per keyring for the public-key operation of verification.
//!
//! sequoia-openpgp rebuilds the backend's key from the OpenPGP key for every verification: with nettle that
//! is a GMP import of the modulus and GMP's generic `mpz_powm`, with OpenSSL an `EVP_PKEY` built through the
//! provider layer. For RSA, the algorithm of nearly every signing key in the field, an OpenSSL `RSA` key made
//! once per keyring keeps its Montgomery context between verifications and runs OpenSSL's assembly: 23 µs per
//! RSA-2048 verification here against 33 µs (sequoia with nettle) and 41 µs (sequoia with OpenSSL), on
//! the machine of `benches/README.md`.
//!
//! **Verdicts cannot differ from sequoia's.** [`PreparedKey::verifies`] only ever answers "certainly
//! valid": it computes `s^e mod n` and compares it with the EMSA-PKCS1-v1_5 encoding of the digest (RFC 8017
//! §9.2: `00 01 FF… 00 DigestInfo digest`), exactly what nettle's `rsa_pkcs1_verify` and libgcrypt compare.
//! Anything else (an error, a mismatch, an algorithm or hash it does not handle) makes the caller run
//! sequoia's own verification, which then decides. A bad signature thus costs both operations; a good one
//! costs only this one.
//!
//! Without the `prepared-rsa` feature (the pure-Rust `crypto-rust` build) there is nothing to prepare and
//! every verification goes through sequoia.

use std::sync::{
    OnceLock,
    atomic::{AtomicBool, Ordering},
};

use sequoia_openpgp::{
    packet::{
        Key, Signature,
        key::{KeyRole, PublicParts, UnspecifiedRole},
    },
    types::HashAlgorithm,
};

/// A key's [`PreparedKey`], made on the key's second verification.
///
/// A key used once (the `containers-policy verify` process, a one-shot check) is not worth preparing: the
/// first use of OpenSSL in a process initializes the library (error strings, algorithm tables, the
/// configuration file), about 1 ms, against the 10 µs a prepared key saves per verification. The first
/// verification with a key therefore goes through sequoia alone; from the second on, the key is prepared
/// once (by whichever thread gets there first) and shared.
#[derive(Default)]
pub(crate) struct LazyPrepared {
    prepared: OnceLock<Option<PreparedKey>>,
    used: AtomicBool,
}

impl std::fmt::Debug for LazyPrepared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LazyPrepared")
            .field("prepared", &self.prepared.get().map(Option::is_some))
            .finish_non_exhaustive()
    }
}

impl LazyPrepared {
    /// The prepared form of `key` (the key this entry belongs to), or `None` on the key's first use or
    /// when the key cannot be prepared.
    pub(crate) fn get<R: KeyRole>(&self, key: &Key<PublicParts, R>) -> Option<&PreparedKey> {
        if let Some(prepared) = self.prepared.get() {
            return prepared.as_ref();
        }
        if !self.used.swap(true, Ordering::Relaxed) {
            return None;
        }
        self.prepared
            .get_or_init(|| PreparedKey::new(key.role_as_unspecified()))
            .as_ref()
    }
}

/// A key ready for the public-key operation, made once when a keyring is built.
pub(crate) struct PreparedKey {
    #[cfg(feature = "prepared-rsa")]
    rsa: openssl::rsa::Rsa<openssl::pkey::Public>,
}

impl std::fmt::Debug for PreparedKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PreparedKey").finish_non_exhaustive()
    }
}

impl PreparedKey {
    /// Prepares `key` if it is an RSA key this build can prepare; `None` otherwise (the key is then
    /// verified through sequoia alone).
    #[cfg(feature = "prepared-rsa")]
    pub(crate) fn new(key: &Key<PublicParts, UnspecifiedRole>) -> Option<PreparedKey> {
        use openssl::{bn::BigNum, rsa::Rsa};
        use sequoia_openpgp::crypto::mpi;

        let mpi::PublicKey::RSA { e, n } = key.mpis() else {
            return None;
        };
        let n = BigNum::from_slice(n.value()).ok()?;
        let e = BigNum::from_slice(e.value()).ok()?;
        let rsa = Rsa::from_public_components(n, e).ok()?;
        Some(PreparedKey { rsa })
    }

    /// Without the `prepared-rsa` feature nothing is prepared.
    #[cfg(not(feature = "prepared-rsa"))]
    pub(crate) fn new(_key: &Key<PublicParts, UnspecifiedRole>) -> Option<PreparedKey> {
        None
    }

    /// Whether `sig` is certainly a valid signature of `digest` by this key. `false` means "not known":
    /// the caller must then ask sequoia.
    #[cfg(feature = "prepared-rsa")]
    pub(crate) fn verifies(&self, sig: &Signature, digest: &[u8]) -> bool {
        use openssl::rsa::Padding;
        use sequoia_openpgp::crypto::mpi;

        let mpi::Signature::RSA { s } = sig.mpis() else {
            return false;
        };
        let Some(prefix) = digest_info(sig.hash_algo(), digest.len()) else {
            return false;
        };
        let k = self.rsa.size() as usize;
        let s = s.value();
        // The encoding needs at least 8 bytes of padding (RFC 8017 §9.2 step 5); OpenSSL needs the
        // signature no longer than the modulus and its output buffer as long as the modulus.
        if k < prefix.len() + digest.len() + 11 || s.len() > k {
            return false;
        }
        let mut em = vec![0u8; k];
        // `s^e mod n`, left-padded to the modulus length; refused when s >= n.
        match self.rsa.public_decrypt(s, &mut em, Padding::NONE) {
            Ok(len) if len == k => {}
            _ => return false,
        }
        let ps_end = k - prefix.len() - digest.len() - 1;
        em[0] == 0
            && em[1] == 1
            && em[2..ps_end].iter().all(|&b| b == 0xff)
            && em[ps_end] == 0
            && &em[ps_end + 1..k - digest.len()] == prefix
            && &em[k - digest.len()..] == digest
    }

    /// Without the `prepared-rsa` feature nothing is prepared, so nothing is ever "certainly valid".
    #[cfg(not(feature = "prepared-rsa"))]
    pub(crate) fn verifies(&self, _sig: &Signature, _digest: &[u8]) -> bool {
        false
    }
}

/// The DER `DigestInfo` prefix of RFC 8017 §9.2 note 1 for `algo`, if the digest has that algorithm's length.
/// Only the hashes GnuPG signs with today; others go through sequoia.
#[cfg_attr(not(feature = "prepared-rsa"), allow(dead_code))]
fn digest_info(algo: HashAlgorithm, digest_len: usize) -> Option<&'static [u8]> {
    const SHA1: &[u8] = &[
        0x30, 0x21, 0x30, 0x09, 0x06, 0x05, 0x2b, 0x0e, 0x03, 0x02, 0x1a, 0x05, 0x00, 0x04, 0x14,
    ];
    const SHA224: &[u8] = &[
        0x30, 0x2d, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x04,
        0x05, 0x00, 0x04, 0x1c,
    ];
    const SHA256: &[u8] = &[
        0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01,
        0x05, 0x00, 0x04, 0x20,
    ];
    const SHA384: &[u8] = &[
        0x30, 0x41, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x02,
        0x05, 0x00, 0x04, 0x30,
    ];
    const SHA512: &[u8] = &[
        0x30, 0x51, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x03,
        0x05, 0x00, 0x04, 0x40,
    ];
    let (prefix, len) = match algo {
        HashAlgorithm::SHA1 => (SHA1, 20),
        HashAlgorithm::SHA224 => (SHA224, 28),
        HashAlgorithm::SHA256 => (SHA256, 32),
        HashAlgorithm::SHA384 => (SHA384, 48),
        HashAlgorithm::SHA512 => (SHA512, 64),
        _ => return None,
    };
    (digest_len == len).then_some(prefix)
}

/// The prepared key against sequoia's own verification (nettle in this workspace's tests) on signatures made
/// with an OpenSSL private key over crafted encodings: the prepared key may only ever say "valid" where
/// sequoia does, and must say it for every correct signature.
#[cfg(test)]
#[cfg(feature = "prepared-rsa")]
mod tests {
    use openssl::{
        bn::BigNum,
        pkey::Private,
        rsa::{Padding, Rsa},
    };
    use sequoia_openpgp::{
        crypto::mpi::{self, MPI},
        packet::{
            key::Key4,
            signature::{Signature4, subpacket::SubpacketArea},
        },
        types::{PublicKeyAlgorithm, SignatureType},
    };

    use super::*;

    const ALGOS: [HashAlgorithm; 5] = [
        HashAlgorithm::SHA1,
        HashAlgorithm::SHA224,
        HashAlgorithm::SHA256,
        HashAlgorithm::SHA384,
        HashAlgorithm::SHA512,
    ];

    struct Fixture {
        private: Rsa<Private>,
        key: Key<PublicParts, UnspecifiedRole>,
        prepared: PreparedKey,
    }

    fn fixture(bits: u32, e: u32) -> Fixture {
        let private = Rsa::generate_with_e(bits, &BigNum::from_u32(e).unwrap()).unwrap();
        let key: Key<PublicParts, UnspecifiedRole> =
            Key4::import_public_rsa(&private.e().to_vec(), &private.n().to_vec(), None)
                .unwrap()
                .into();
        let prepared = PreparedKey::new(&key).expect("an RSA key is prepared");
        Fixture {
            private,
            key,
            prepared,
        }
    }

    impl Fixture {
        fn k(&self) -> usize {
            self.private.size() as usize
        }

        /// `em^d mod n`: a signature whose public operation yields exactly `em`.
        fn sign_raw(&self, em: &[u8]) -> Vec<u8> {
            let mut s = vec![0; self.k()];
            let len = self
                .private
                .private_encrypt(em, &mut s, Padding::NONE)
                .unwrap();
            s.truncate(len);
            s
        }

        /// (prepared key says valid, sequoia says valid) for signature value `s` over `digest`.
        fn verdicts(&self, algo: HashAlgorithm, digest: &[u8], s: &[u8]) -> (bool, bool) {
            let sig: Signature = Signature4::new(
                SignatureType::Binary,
                PublicKeyAlgorithm::RSAEncryptSign,
                algo,
                SubpacketArea::default(),
                SubpacketArea::default(),
                [0, 0],
                mpi::Signature::RSA { s: MPI::new(s) },
            )
            .into();
            let fast = self.prepared.verifies(&sig, digest);
            let sequoia = self.key.verify(sig.mpis(), algo, digest).is_ok();
            assert!(
                !fast || sequoia,
                "the prepared key accepted what sequoia rejects"
            );
            (fast, sequoia)
        }
    }

    fn digest_of(algo: HashAlgorithm, seed: u8) -> Vec<u8> {
        let len = algo.digest_size().unwrap();
        (0..len)
            .map(|i| (i as u8).wrapping_mul(31) ^ seed)
            .collect()
    }

    /// EMSA-PKCS1-v1_5 of `digest` with the DigestInfo prefix `prefix`, `k` bytes long.
    fn encode(k: usize, prefix: &[u8], digest: &[u8]) -> Vec<u8> {
        let mut em = vec![0x00, 0x01];
        em.resize(k - prefix.len() - digest.len() - 1, 0xff);
        em.push(0);
        em.extend_from_slice(prefix);
        em.extend_from_slice(digest);
        em
    }

    #[test]
    fn correct_signatures_verify_and_tampered_ones_do_not() {
        for (bits, e) in [(1024, 65537), (2048, 65537), (2048, 3), (3072, 65537)] {
            let f = fixture(bits, e);
            for algo in ALGOS {
                let digest = digest_of(algo, 7);
                let prefix = digest_info(algo, digest.len()).unwrap();
                let s = f.sign_raw(&encode(f.k(), prefix, &digest));
                assert_eq!(f.verdicts(algo, &digest, &s), (true, true), "{bits} {algo}");
                // Another digest, a changed signature, a digest of the wrong length.
                assert_eq!(f.verdicts(algo, &digest_of(algo, 8), &s), (false, false));
                let mut bad = s.clone();
                *bad.last_mut().unwrap() ^= 1;
                assert_eq!(f.verdicts(algo, &digest, &bad), (false, false));
                assert!(!f.verdicts(algo, &digest[1..], &s).0);
            }
        }
    }

    #[test]
    fn malformed_encodings_are_refused_as_sequoia_refuses_them() {
        let f = fixture(2048, 65537);
        let k = f.k();
        let algo = HashAlgorithm::SHA256;
        let digest = digest_of(algo, 1);
        let prefix = digest_info(algo, 32).unwrap();
        let good = encode(k, prefix, &digest);
        let mut cases: Vec<(&str, Vec<u8>)> = Vec::new();
        let mut em = good.clone();
        em[1] = 2;
        cases.push(("block type 2", em));
        let mut em = good.clone();
        em[5] = 0xfe;
        cases.push(("padding byte not FF", em));
        // The separator one byte early, an extra zero before the DigestInfo.
        let mut em = good.clone();
        let sep = k - prefix.len() - digest.len() - 1;
        em[sep - 1] = 0;
        cases.push(("separator early", em));
        // DigestInfo without the NULL parameters (a form some verifiers accept).
        let mut no_null = vec![
            0x30, 0x2f, 0x30, 0x0b, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
            0x01, 0x04, 0x20,
        ];
        cases.push(("DigestInfo without NULL", encode(k, &no_null, &digest)));
        no_null.clear();
        // The SHA-512 prefix with a 32-byte digest.
        let sha512 = digest_info(HashAlgorithm::SHA512, 64).unwrap();
        cases.push(("other algorithm's prefix", encode(k, sha512, &digest)));
        // Only 8 bytes of padding, the rest garbage in front.
        let mut em = vec![0u8; k];
        em[k - 1 - digest.len() - prefix.len() - 9..]
            .copy_from_slice(&[&[0x01u8][..], &[0xff; 8], &[0], prefix, &digest].concat());
        cases.push(("leading zeros instead of 00 01 FF…", em));
        for (what, em) in cases {
            let s = f.sign_raw(&em);
            assert_eq!(f.verdicts(algo, &digest, &s), (false, false), "{what}");
        }
        // Values the public operation refuses or that cannot be an encoding.
        let n = f.private.n().to_vec();
        let mut above = n.clone();
        *above.last_mut().unwrap() = above.last().unwrap().wrapping_add(1);
        for (what, s) in [
            ("zero", vec![]),
            ("one", vec![1]),
            ("n", n.clone()),
            ("n + 1", above),
            ("longer than n", [&[1u8][..], &n].concat()),
        ] {
            assert!(!f.verdicts(algo, &digest, &s).0, "{what}");
        }
    }

    #[test]
    fn unprepared_algorithms_and_hashes_go_to_sequoia() {
        let f = fixture(2048, 65537);
        let digest = digest_of(HashAlgorithm::SHA256, 3);
        let s = f.sign_raw(&encode(
            f.k(),
            digest_info(HashAlgorithm::SHA256, 32).unwrap(),
            &digest,
        ));
        // The same bytes announced as RIPEMD-160 or MD5 are not the prepared key's to judge.
        assert!(!f.verdicts(HashAlgorithm::RipeMD, &digest[..20], &s).0);
        assert!(!f.verdicts(HashAlgorithm::MD5, &digest[..16], &s).0);
        // Keys of other algorithms are not prepared.
        let (cert, _) = sequoia_openpgp::cert::CertBuilder::new()
            .set_cipher_suite(sequoia_openpgp::cert::CipherSuite::Cv25519)
            .generate()
            .unwrap();
        assert!(PreparedKey::new(cert.primary_key().key().role_as_unspecified()).is_none());
    }

    #[test]
    fn keys_are_prepared_from_their_second_use_on() {
        let f = fixture(2048, 65537);
        let lazy = LazyPrepared::default();
        assert!(lazy.get(&f.key).is_none(), "first use: sequoia alone");
        assert!(lazy.get(&f.key).is_some(), "second use: prepared");
        let first = lazy.get(&f.key).map(|p| p as *const PreparedKey);
        assert_eq!(
            lazy.get(&f.key).map(|p| p as *const PreparedKey),
            first,
            "prepared once, then shared"
        );
        let (cert, _) = sequoia_openpgp::cert::CertBuilder::new()
            .set_cipher_suite(sequoia_openpgp::cert::CipherSuite::Cv25519)
            .generate()
            .unwrap();
        let lazy = LazyPrepared::default();
        for _ in 0..3 {
            assert!(lazy.get(cert.primary_key().key()).is_none());
        }
    }
}
