//! RSA signature verification with AWS-LC, the key kept ready between verifications.
//!
//! sequoia-openpgp rebuilds the backend's key from the OpenPGP key for every verification and, with nettle,
//! runs GMP's generic `mpz_powm`: 33 µs per RSA-2048 verification on the machine of `benches/README.md`.
//! [`RsaKey`] instead keeps AWS-LC's parsed public key (through aws-lc-rs, statically linked, no OpenSSL
//! loaded) for as long as the keyring lives. AWS-LC computes the key's Montgomery context (R² mod n) on
//! its first verification and keeps it, so every later one costs only the exponentiation: 21–24 µs with
//! the hashing of the message, where ring, which recomputes R² for every call, took 29 µs in the same
//! paired run. RSA is the algorithm of nearly every signing key in the field.
//!
//! **Verdicts cannot differ from sequoia's.** [`RsaKey::verifies`] only ever answers "certainly valid":
//! AWS-LC checks that the signature is the EMSA-PKCS1-v1_5 encoding (RFC 8017 §9.2: `00 01 FF… 00
//! DigestInfo digest`) of the digest of the message, exactly what nettle's `rsa_pkcs1_verify` and
//! libgcrypt compare. The message is the signed content followed by the signature's trailer (RFC 4880
//! §5.2.4), rebuilt here from the parsed signature with sequoia's own serializer; the trailer ends with its
//! own length, so the message cannot be split another way, and a key's signature over it means the key
//! signed exactly this content with exactly these hashed subpackets. AWS-LC hashing the message itself also
//! spares the separate digest: a good signature is hashed once. Anything else (an error, a mismatch, an
//! algorithm, hash or key size not handled here) makes the caller run sequoia's own verification, which then
//! decides. A bad signature thus costs both operations; a good one costs only this one.
//!
//! Without the `aws-lc-rsa` feature (the pure-Rust `crypto-rust` build) there is no [`RsaKey`] and every
//! verification goes through sequoia.

use sequoia_openpgp::packet::{
    Key, Signature,
    key::{KeyRole, PublicParts},
};

/// An RSA public key ready for repeated verification: AWS-LC's parsed key per hash algorithm (SHA-256,
/// SHA-384, SHA-512), each built on its first use and kept with its Montgomery context. Built once per key
/// when a keyring is imported; `Send + Sync`, shared by every thread evaluating with the keyring.
#[cfg(feature = "aws-lc-rsa")]
pub(crate) struct RsaKey {
    n: Box<[u8]>,
    e: Box<[u8]>,
    sha256: Parsed,
    sha384: Parsed,
    sha512: Parsed,
}

/// AWS-LC's key for one hash, made on first use; `None` once AWS-LC refused it (size outside 2048–8192 bits,
/// a bad exponent, an even modulus): sequoia then decides every signature by it.
#[cfg(feature = "aws-lc-rsa")]
type Parsed = std::sync::OnceLock<Option<aws_lc_rs::signature::ParsedPublicKey>>;

#[cfg(feature = "aws-lc-rsa")]
impl RsaKey {
    /// The kept form of `key` if it is an RSA key, else `None`.
    pub(crate) fn new<R: KeyRole>(key: &Key<PublicParts, R>) -> Option<RsaKey> {
        let sequoia_openpgp::crypto::mpi::PublicKey::RSA { e, n } = key.mpis() else {
            return None;
        };
        Some(RsaKey {
            n: n.value().into(),
            e: e.value().into(),
            sha256: Parsed::new(),
            sha384: Parsed::new(),
            sha512: Parsed::new(),
        })
    }

    /// Whether `sig` is certainly a valid signature by this key over `content` (the data as hashed: for a
    /// binary signature, the literal data as is). `false` means "not known": the caller must then ask
    /// sequoia.
    pub(crate) fn verifies(&self, sig: &Signature, content: &[u8]) -> bool {
        use aws_lc_rs::signature::{self as lc, RsaPublicKeyComponents};
        use sequoia_openpgp::{crypto::mpi, types::HashAlgorithm};

        let mpi::Signature::RSA { s } = sig.mpis() else {
            return false;
        };
        let (cell, params) = match sig.hash_algo() {
            HashAlgorithm::SHA256 => (&self.sha256, &lc::RSA_PKCS1_2048_8192_SHA256),
            HashAlgorithm::SHA384 => (&self.sha384, &lc::RSA_PKCS1_2048_8192_SHA384),
            HashAlgorithm::SHA512 => (&self.sha512, &lc::RSA_PKCS1_2048_8192_SHA512),
            _ => return false,
        };
        let parsed = cell.get_or_init(|| {
            RsaPublicKeyComponents {
                n: &*self.n,
                e: &*self.e,
            }
            .to_parsed_public_key(params)
            .ok()
        });
        let Some(parsed) = parsed else {
            return false;
        };
        let Some(message) = hashed_message(sig, content) else {
            return false;
        };
        // AWS-LC wants the signature as long as the modulus; an MPI has its leading zeros stripped.
        let s = s.value();
        let Some(pad) = self.n.len().checked_sub(s.len()) else {
            return false;
        };
        let mut padded = Vec::new();
        let s = if pad == 0 {
            s
        } else {
            padded.resize(pad, 0);
            padded.extend_from_slice(s);
            &padded[..]
        };
        parsed.verify_sig(&message, s).is_ok()
    }
}

/// Without the `aws-lc-rsa` feature there is no kept RSA key: [`RsaKey::new`] always says `None`.
#[cfg(not(feature = "aws-lc-rsa"))]
pub(crate) enum RsaKey {}

#[cfg(not(feature = "aws-lc-rsa"))]
impl RsaKey {
    /// Always `None`: sequoia verifies every signature.
    pub(crate) fn new<R: KeyRole>(_key: &Key<PublicParts, R>) -> Option<RsaKey> {
        None
    }

    /// Never called: no value of this type exists.
    pub(crate) fn verifies(&self, _sig: &Signature, _content: &[u8]) -> bool {
        match *self {}
    }
}

/// `content` followed by what a version 4 signature hashes after the data (RFC 4880 §5.2.4: version, type,
/// algorithms, the hashed subpacket area with its length, then `04 FF` and that length as 32 bits), as
/// sequoia's `Signature4::hash_fields` writes it. `None` for other versions.
#[cfg_attr(not(feature = "aws-lc-rsa"), allow(dead_code))]
fn hashed_message(sig: &Signature, content: &[u8]) -> Option<Vec<u8>> {
    use sequoia_openpgp::serialize::{Marshal, MarshalInto};

    if sig.version() != 4 {
        return None;
    }
    let area = sig.hashed_area();
    let area_len = u16::try_from(area.serialized_len()).ok()?;
    let mut message = Vec::with_capacity(content.len() + 12 + usize::from(area_len));
    message.extend_from_slice(content);
    message.extend_from_slice(&[
        4,
        u8::from(sig.typ()),
        u8::from(sig.pk_algo()),
        u8::from(sig.hash_algo()),
    ]);
    message.extend_from_slice(&area_len.to_be_bytes());
    area.serialize(&mut message).ok()?;
    message.extend_from_slice(&[4, 0xff]);
    message.extend_from_slice(&(6 + u32::from(area_len)).to_be_bytes());
    Some(message)
}

/// AWS-LC against sequoia's own verification (nettle in this workspace's tests) on signatures made with an
/// OpenSSL private key over crafted encodings, and on a real gpg signature: AWS-LC may only ever say "valid"
/// where sequoia does, and must say it for every correct signature it can handle.
#[cfg(test)]
#[cfg(feature = "aws-lc-rsa")]
mod tests {
    use openssl::{
        bn::BigNum,
        pkey::Private,
        rsa::{Padding, Rsa},
    };
    use sequoia_openpgp::{
        crypto::{
            hash::Hash,
            mpi::{self, MPI},
        },
        packet::{
            key::{Key4, UnspecifiedRole},
            signature::{
                Signature4,
                subpacket::{Subpacket, SubpacketArea, SubpacketValue},
            },
        },
        types::{HashAlgorithm, PublicKeyAlgorithm, SignatureType, Timestamp},
    };

    use super::*;

    const ALGOS: [HashAlgorithm; 5] = [
        HashAlgorithm::SHA1,
        HashAlgorithm::SHA224,
        HashAlgorithm::SHA256,
        HashAlgorithm::SHA384,
        HashAlgorithm::SHA512,
    ];

    const CONTENT: &[u8] = b"{\"critical\":{\"type\":\"atomic container signature\"}}";

    /// The DER `DigestInfo` prefix of RFC 8017 §9.2 note 1 for `algo` (sequoia's table).
    fn digest_info(algo: HashAlgorithm) -> &'static [u8] {
        algo.oid().unwrap()
    }

    struct Fixture {
        private: Rsa<Private>,
        key: Key<PublicParts, UnspecifiedRole>,
        /// Kept across every verification of a test, as a keyring keeps it.
        rsa: RsaKey,
    }

    fn fixture(bits: u32, e: u32) -> Fixture {
        let private = Rsa::generate_with_e(bits, &BigNum::from_u32(e).unwrap()).unwrap();
        let key: Key<PublicParts, UnspecifiedRole> =
            Key4::import_public_rsa(&private.e().to_vec(), &private.n().to_vec(), None)
                .unwrap()
                .into();
        let rsa = RsaKey::new(&key).unwrap();
        Fixture { private, key, rsa }
    }

    /// A binary signature with a hashed creation time (so the trailer has a subpacket area) and value `s`.
    fn signature(algo: HashAlgorithm, s: &[u8]) -> Signature {
        let created = Subpacket::new(
            SubpacketValue::SignatureCreationTime(Timestamp::from(1_700_000_000)),
            false,
        )
        .unwrap();
        Signature4::new(
            SignatureType::Binary,
            PublicKeyAlgorithm::RSAEncryptSign,
            algo,
            SubpacketArea::new(vec![created]).unwrap(),
            SubpacketArea::default(),
            [0, 0],
            mpi::Signature::RSA { s: MPI::new(s) },
        )
        .into()
    }

    /// What sequoia hashes for `sig` over `content`: the content, then the signature's trailer.
    fn digest_of(sig: &Signature, content: &[u8]) -> Vec<u8> {
        let mut ctx = sig
            .hash_algo()
            .context()
            .unwrap()
            .for_signature(sig.version());
        ctx.update(content);
        Hash::hash(sig, &mut ctx).unwrap();
        ctx.into_digest().unwrap()
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

        /// The correct encoding of `CONTENT`'s digest under `algo`, and that digest.
        fn good_encoding(&self, algo: HashAlgorithm) -> (Vec<u8>, Vec<u8>) {
            let digest = digest_of(&signature(algo, &[1]), CONTENT);
            let prefix = digest_info(algo);
            (encode(self.k(), prefix, &digest), digest)
        }

        /// (AWS-LC says valid over `content`, sequoia says valid over `digest`) for signature value `s`.
        fn verdicts(
            &self,
            algo: HashAlgorithm,
            content: &[u8],
            digest: &[u8],
            s: &[u8],
        ) -> (bool, bool) {
            let sig = signature(algo, s);
            let fast = self.rsa.verifies(&sig, content);
            let sequoia = self.key.verify(sig.mpis(), algo, digest).is_ok();
            assert!(!fast || sequoia, "AWS-LC accepted what sequoia rejects");
            (fast, sequoia)
        }
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
        for (bits, e) in [(2048, 65537), (2048, 3), (3072, 65537), (4096, 65537)] {
            let f = fixture(bits, e);
            for algo in ALGOS {
                let (em, digest) = f.good_encoding(algo);
                let s = f.sign_raw(&em);
                // AWS-LC handles the SHA-2 hashes it has parameters for; SHA-1 and SHA-224 go to sequoia.
                let handled = !matches!(algo, HashAlgorithm::SHA1 | HashAlgorithm::SHA224);
                assert_eq!(
                    f.verdicts(algo, CONTENT, &digest, &s),
                    (handled, true),
                    "{bits} {e} {algo}"
                );
                // A changed signature.
                let mut bad = s.clone();
                *bad.last_mut().unwrap() ^= 1;
                assert_eq!(f.verdicts(algo, CONTENT, &digest, &bad), (false, false));
                // Other content: the signature does not cover it.
                assert_eq!(
                    f.verdicts(algo, b"other content", &digest, &s),
                    (false, true)
                );
                assert!(!f.verdicts(algo, &CONTENT[1..], &digest, &s).0);
            }
        }
    }

    /// A signature value with leading zero bytes (the MPI drops them) is padded back to the modulus length.
    #[test]
    fn short_signature_values_verify() {
        let f = fixture(2048, 65537);
        let algo = HashAlgorithm::SHA256;
        // About one signature in 256 starts with a zero byte: try contents until one does.
        let (content, digest, s) = (0u32..5000)
            .find_map(|i| {
                let content = format!("{{\"n\":{i}}}").into_bytes();
                let digest = digest_of(&signature(algo, &[1]), &content);
                let s = f.sign_raw(&encode(f.k(), digest_info(algo), &digest));
                (s[0] == 0).then_some((content, digest, s))
            })
            .expect("a signature value shorter than the modulus");
        let sig = signature(algo, &s);
        let mpi::Signature::RSA { s: mpi } = sig.mpis() else {
            unreachable!()
        };
        assert!(mpi.value().len() < f.k(), "the MPI keeps no leading zeros");
        assert_eq!(f.verdicts(algo, &content, &digest, &s), (true, true));
    }

    #[test]
    fn keys_aws_lc_does_not_take_go_to_sequoia() {
        // 1024 bits is below the minimum of the parameters used.
        let f = fixture(1024, 65537);
        let (em, digest) = f.good_encoding(HashAlgorithm::SHA256);
        let s = f.sign_raw(&em);
        // Twice: the refusal is kept too.
        for _ in 0..2 {
            assert_eq!(
                f.verdicts(HashAlgorithm::SHA256, CONTENT, &digest, &s),
                (false, true)
            );
        }
        // Keys of other algorithms.
        let (cert, _) = sequoia_openpgp::cert::CertBuilder::new()
            .set_cipher_suite(sequoia_openpgp::cert::CipherSuite::Cv25519)
            .generate()
            .unwrap();
        assert!(RsaKey::new(cert.primary_key().key()).is_none());
    }

    /// Keys no real signer has (public exponent 1 or 2, an even modulus) come from keyrings an attacker may
    /// have written: AWS-LC refuses them without panicking, and sequoia decides.
    #[test]
    fn degenerate_keys_are_left_to_sequoia() {
        let f = fixture(2048, 65537);
        let algo = HashAlgorithm::SHA256;
        let (em, _) = f.good_encoding(algo);
        let n = f.private.n().to_vec();
        let mut even = n.clone();
        *even.last_mut().unwrap() &= 0xfe;
        for (what, e, n) in [
            ("e = 1", vec![1u8], n.clone()),
            ("e = 2", vec![2], n.clone()),
            ("even modulus", vec![1, 0, 1], even),
        ] {
            let key: Key<PublicParts, UnspecifiedRole> =
                Key4::import_public_rsa(&e, &n, None).unwrap().into();
            let rsa = RsaKey::new(&key).unwrap();
            // With e = 1 the encoding itself is "signed" by the key.
            let sig = signature(algo, &em);
            for _ in 0..2 {
                assert!(!rsa.verifies(&sig, CONTENT), "{what}");
            }
        }
    }

    #[test]
    fn malformed_encodings_are_refused_as_sequoia_refuses_them() {
        let f = fixture(2048, 65537);
        let k = f.k();
        let algo = HashAlgorithm::SHA256;
        let (good, digest) = f.good_encoding(algo);
        let prefix = digest_info(algo);
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
        let no_null = [
            0x30, 0x2f, 0x30, 0x0b, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
            0x01, 0x04, 0x20,
        ];
        cases.push(("DigestInfo without NULL", encode(k, &no_null, &digest)));
        // The SHA-512 prefix with a 32-byte digest.
        let sha512 = digest_info(HashAlgorithm::SHA512);
        cases.push(("other algorithm's prefix", encode(k, sha512, &digest)));
        // Only 8 bytes of padding, the rest garbage in front.
        let mut em = vec![0u8; k];
        em[k - 1 - digest.len() - prefix.len() - 9..]
            .copy_from_slice(&[&[0x01u8][..], &[0xff; 8], &[0], prefix, &digest].concat());
        cases.push(("leading zeros instead of 00 01 FF…", em));
        for (what, em) in cases {
            let s = f.sign_raw(&em);
            assert_eq!(
                f.verdicts(algo, CONTENT, &digest, &s),
                (false, false),
                "{what}"
            );
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
            assert!(!f.verdicts(algo, CONTENT, &digest, &s).0, "{what}");
        }
    }

    /// The message built here hashes to what sequoia computes, whatever the hashed subpacket area holds.
    #[test]
    fn the_message_is_what_sequoia_hashes() {
        use sequoia_openpgp::{
            Fingerprint, KeyID, packet::signature::subpacket::NotationDataFlags,
        };

        let fpr = Fingerprint::from_bytes(4, &[0xab; 20]).unwrap();
        let values = [
            SubpacketValue::SignatureCreationTime(Timestamp::from(1_700_000_000)),
            SubpacketValue::Issuer(KeyID::from_bytes(&[0xcd; 8])),
            SubpacketValue::IssuerFingerprint(fpr),
            SubpacketValue::NotationData(
                sequoia_openpgp::packet::signature::subpacket::NotationData::new(
                    "name@example.org",
                    vec![0x55; 300],
                    NotationDataFlags::empty(),
                ),
            ),
        ];
        for count in 0..=values.len() {
            let area = SubpacketArea::new(
                values[..count]
                    .iter()
                    .map(|v| Subpacket::new(v.clone(), false).unwrap())
                    .collect(),
            )
            .unwrap();
            for algo in [HashAlgorithm::SHA256, HashAlgorithm::SHA512] {
                let sig: Signature = Signature4::new(
                    SignatureType::Binary,
                    PublicKeyAlgorithm::RSAEncryptSign,
                    algo,
                    area.clone(),
                    SubpacketArea::default(),
                    [0, 0],
                    mpi::Signature::RSA { s: MPI::new(&[1]) },
                )
                .into();
                for content in [&b""[..], CONTENT] {
                    let mut ctx = algo.context().unwrap().for_digest();
                    ctx.update(&hashed_message(&sig, content).unwrap());
                    assert_eq!(
                        ctx.into_digest().unwrap(),
                        digest_of(&sig, content),
                        "{count} subpackets, {algo}"
                    );
                }
            }
        }
    }

    /// The trailer built here is what sequoia hashes for a real `gpg --sign` signature (the fixture of the
    /// conformance suite): AWS-LC verifies it.
    #[test]
    fn a_gpg_signature_verifies_with_aws_lc() {
        use sequoia_openpgp::parse::Parse;

        let fixtures =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../conformance/fixtures");
        let blob = std::fs::read(fixtures.join("images/signed-rsa2048/signature-1")).unwrap();
        let cert = sequoia_openpgp::Cert::from_file(fixtures.join("keys/rsa2048.pub.asc")).unwrap();
        let m = super::super::message::parse(&blob);
        let [sig] = &m.signatures[..] else {
            panic!("one signature expected, got {}", m.signatures.len())
        };
        // gpg 2.2 picks SHA-512 for this key (its digest preferences), SHA-256 without preferences.
        assert!(
            matches!(
                sig.hash_algo(),
                HashAlgorithm::SHA256 | HashAlgorithm::SHA384 | HashAlgorithm::SHA512
            ),
            "{}",
            sig.hash_algo()
        );
        let digest = digest_of(sig, &m.content);
        let issuer = sig.get_issuers()[0].clone();
        let key = cert
            .keys()
            .find(|k| k.key().key_handle().aliases(&issuer))
            .expect("the signing key is in the certificate");
        assert!(
            key.key()
                .verify(sig.mpis(), sig.hash_algo(), &digest)
                .is_ok()
        );
        let rsa = RsaKey::new(key.key()).unwrap();
        assert!(rsa.verifies(sig, &m.content));
        let mut tampered = m.content.clone();
        tampered[0] ^= 1;
        assert!(!rsa.verifies(sig, &tampered));
        // The kept key answers the same on every thread, again and again.
        std::thread::scope(|scope| {
            for _ in 0..2 {
                scope.spawn(|| {
                    for _ in 0..3 {
                        assert!(rsa.verifies(sig, &m.content));
                        assert!(!rsa.verifies(sig, &tampered));
                    }
                });
            }
        });
    }
}
