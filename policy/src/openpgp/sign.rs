//! Signing simple-signing payloads.

use std::time::SystemTime;

use crate::Error;

/// A secret key able to sign.
#[derive(Debug, Clone)]
pub struct SigningKey {
    fingerprint: String,
}

impl SigningKey {
    /// Loads a secret key (binary or armored transferable secret key, or a keyring of several) and selects
    /// the key named by `sign_by` (fingerprint, key ID or user ID substring, as `--sign-by` does; `None` = the
    /// only one), unlocking it with `passphrase` if encrypted.
    pub fn from_bytes(
        _data: &[u8],
        _sign_by: Option<&str>,
        _passphrase: Option<&str>,
    ) -> Result<Self, Error> {
        todo!("openpgp helper")
    }
    /// Uppercase hex fingerprint of the primary key.
    pub fn fingerprint(&self) -> &str {
        &self.fingerprint
    }
}

/// Signs `payload` into an OpenPGP signed message (binary, as `gpg --sign`), created at `now`.
pub fn sign(_key: &SigningKey, _payload: &[u8], _now: SystemTime) -> Result<Vec<u8>, Error> {
    todo!("openpgp helper")
}
