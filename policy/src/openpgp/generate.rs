//! Generating throwaway keys (demos, tests, first-time setup).

use sequoia_openpgp::{
    cert::{CertBuilder, CipherSuite},
    serialize::SerializeInto,
};

use super::SigningKey;
use crate::Error;

/// A freshly generated OpenPGP key: an Ed25519 primary key that can sign, with no passphrase.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct GeneratedKey {
    /// The key, ready to sign.
    pub signing_key: SigningKey,
    /// The ASCII-armored public certificate (what a policy's `keyPath` points at).
    pub public_armored: Vec<u8>,
    /// The ASCII-armored secret key (as `gpg --armor --export-secret-keys` writes it).
    pub secret_armored: Vec<u8>,
}

/// Generates a signing key with the user ID `user_id` (e.g. `Release Key <release@example.com>`).
///
/// ```
/// let key = containers_policy::openpgp::generate_key("Demo <demo@example.invalid>")?;
/// assert_eq!(key.signing_key.fingerprint().len(), 40);
/// # Ok::<(), containers_policy::Error>(())
/// ```
pub fn generate_key(user_id: &str) -> Result<GeneratedKey, Error> {
    let fail = |e: sequoia_openpgp::anyhow::Error| Error::Other(format!("generating a key: {e}"));
    let (cert, _revocation) = CertBuilder::new()
        .set_cipher_suite(CipherSuite::Cv25519)
        .add_userid(user_id)
        .set_primary_key_flags(
            sequoia_openpgp::types::KeyFlags::empty()
                .set_certification()
                .set_signing(),
        )
        .generate()
        .map_err(fail)?;
    let secret_armored = cert.as_tsk().armored().to_vec().map_err(fail)?;
    let public_armored = cert.armored().to_vec().map_err(fail)?;
    let signing_key = SigningKey::from_bytes(&secret_armored, None, None)?;
    Ok(GeneratedKey {
        signing_key,
        public_armored,
        secret_armored,
    })
}
