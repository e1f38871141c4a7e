//! The algorithm policy GnuPG 2.2 (the engine behind GPGME) applies when verifying.

use std::sync::LazyLock;

use sequoia_openpgp::{
    packet::Tag,
    policy::{AsymmetricAlgorithm, HashAlgoSecurity, StandardPolicy},
    types::HashAlgorithm,
};

static GNUPG_POLICY: LazyLock<StandardPolicy<'static>> = LazyLock::new(|| {
    let mut p = StandardPolicy::new();
    // gpg accepts SHA-1 (and RIPEMD-160) for data signatures and self-signatures alike; only MD5 is
    // refused (`--weak-digest` defaults to MD5).
    for h in [HashAlgorithm::SHA1, HashAlgorithm::RipeMD] {
        p.accept_hash_property(h, HashAlgoSecurity::CollisionResistance);
        p.accept_hash_property(h, HashAlgoSecurity::SecondPreImageResistance);
    }
    // gpg 2.2 verifies with any key size it can parse.
    for a in [
        AsymmetricAlgorithm::RSA1024,
        AsymmetricAlgorithm::DSA1024,
        AsymmetricAlgorithm::DSA2048,
        AsymmetricAlgorithm::DSA3072,
        AsymmetricAlgorithm::DSA4096,
        AsymmetricAlgorithm::ElGamal1024,
        AsymmetricAlgorithm::ElGamal2048,
        AsymmetricAlgorithm::ElGamal3072,
        AsymmetricAlgorithm::ElGamal4096,
        AsymmetricAlgorithm::BrainpoolP256,
        AsymmetricAlgorithm::BrainpoolP384,
        AsymmetricAlgorithm::BrainpoolP512,
    ] {
        p.accept_asymmetric_algo(a);
    }
    // Version 3 signatures (`gpg --force-v3-sigs`) are verified by gpg.
    p.accept_packet_tag_version(Tag::Signature, 3);
    p
});

/// The policy used to judge keys and key bindings: sequoia's `StandardPolicy`, relaxed to what GnuPG
/// 2.2 accepts (SHA-1 and RIPEMD-160 everywhere, any RSA/DSA/ElGamal key size, version 3
/// signatures). MD5 stays rejected, as in GnuPG.
pub(crate) fn gnupg_policy() -> &'static StandardPolicy<'static> {
    &GNUPG_POLICY
}

/// Whether gpg refuses data signatures made with `h` before looking at the key (`GPG_ERR_DIGEST_ALGO`).
pub(crate) fn digest_rejected(h: HashAlgorithm) -> bool {
    !matches!(
        h,
        HashAlgorithm::SHA1
            | HashAlgorithm::RipeMD
            | HashAlgorithm::SHA224
            | HashAlgorithm::SHA256
            | HashAlgorithm::SHA384
            | HashAlgorithm::SHA512
    ) || !h.is_supported()
}
