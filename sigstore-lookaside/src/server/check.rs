//! What an uploaded blob must satisfy before it is stored: be a signature, and claim the digest it is
//! filed under (optionally after verification with the server's keys).

use std::time::SystemTime;

use containers_policy::{
    Digest,
    openpgp::{self, Keyring},
    payload::SimpleSigningPayload,
    signature::Signature,
};

/// Checks `blob` for `digest`; the error is the reason, for a `422` response.
pub(crate) fn check_signature(
    blob: &[u8],
    digest: &Digest,
    verify: Option<&Keyring>,
) -> Result<(), String> {
    let sig =
        Signature::from_blob(blob).map_err(|e| format!("the upload is not a signature: {e}"))?;
    let claimed = if let Some(data) = sig.as_simple_signing() {
        let content = match verify {
            Some(keyring) => {
                openpgp::verify(keyring, data, SystemTime::now())
                    .map_err(|e| {
                        format!("the signature does not verify with the server's keys: {e}")
                    })?
                    .content
            }
            None => {
                openpgp::untrusted_contents(data)
                    .map_err(|e| format!("the upload is not a simple-signing signature: {e}"))?
                    .content
            }
        };
        SimpleSigningPayload::from_slice(&content)
            .map_err(|e| format!("invalid signature payload: {e}"))?
            .docker_manifest_digest
    } else if let Some(s) = sig.as_sigstore() {
        if verify.is_some() {
            return Err(
                "this server verifies simple-signing signatures with OpenPGP keys; a \
                        sigstore signature cannot be verified here"
                    .into(),
            );
        }
        SimpleSigningPayload::from_sigstore_slice(&s.payload)
            .map_err(|e| format!("invalid sigstore signature payload: {e}"))?
            .docker_manifest_digest
    } else {
        return Err(sig.unsupported_format_message());
    };
    if claimed != digest.as_str() {
        return Err(format!(
            "the signature is for manifest digest {claimed}, not for {}, the digest it is being \
             stored under",
            digest.as_str()
        ));
    }
    Ok(())
}
