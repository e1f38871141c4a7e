//! `sign` and `verify`: the `skopeo standalone-sign` / `standalone-verify` equivalents, with keys read
//! from files instead of a gpg agent.

use crate::paths::read_file;
use std::{path::PathBuf, process::ExitCode, time::SystemTime};

use clap::Args;
use containers_policy::{
    openpgp::{Keyring, SigningKey},
    simple,
};

#[derive(Args)]
pub(crate) struct SignArgs {
    /// OpenPGP secret key file (binary or armored, e.g. `gpg --export-secret-keys`).
    #[arg(long, value_name = "FILE")]
    key: PathBuf,
    /// File that contains a passphrase for the key.
    #[arg(long, value_name = "FILE")]
    passphrase_file: Option<PathBuf>,
    /// Output the signature to SIGNATURE.
    #[arg(short, long, value_name = "SIGNATURE")]
    output: PathBuf,
    /// The manifest to sign.
    manifest: PathBuf,
    /// The docker reference the signature claims (written as given).
    docker_reference: String,
    /// Which key to sign with: fingerprint, key ID or user ID.
    key_fingerprint: String,
}

pub(crate) fn sign(a: SignArgs) -> ExitCode {
    match sign_inner(&a) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("Error: {e}");
            ExitCode::from(1)
        }
    }
}

fn sign_inner(a: &SignArgs) -> Result<(), String> {
    let manifest = read_file(&a.manifest)
        .map_err(|e| format!("Error reading {}: {e}", a.manifest.display()))?;
    let passphrase = match &a.passphrase_file {
        Some(p) => {
            let text =
                std::fs::read_to_string(p).map_err(|e| format!("reading {}: {e}", p.display()))?;
            Some(text.split('\n').next().unwrap_or_default().to_owned())
        }
        None => None,
    };
    let key_bytes =
        std::fs::read(&a.key).map_err(|e| format!("reading {}: {e}", a.key.display()))?;
    let key = SigningKey::from_bytes(&key_bytes, Some(&a.key_fingerprint), passphrase.as_deref())
        .map_err(|e| format!("Error creating signature: {e}"))?;
    let sig = simple::sign_docker_manifest(&manifest, &a.docker_reference, &key, SystemTime::now())
        .map_err(|e| format!("Error creating signature: {e}"))?;
    write_atomic(&a.output, &sig)
        .map_err(|e| format!("Error writing signature to {}: {e}", a.output.display()))
}

/// Writes `data` to a temporary file beside `path`, syncs it and renames it into place.
fn write_atomic(path: &std::path::Path, data: &[u8]) -> std::io::Result<()> {
    use std::io::Write as _;
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => std::path::Path::new("."),
    };
    let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
    tmp.write_all(data)?;
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

#[derive(Args)]
pub(crate) struct VerifyArgs {
    /// File containing the public keys to verify with (binary or armored).
    #[arg(long, value_name = "FILE")]
    public_key_file: PathBuf,
    /// The manifest the signature must be for.
    manifest: PathBuf,
    /// The docker reference the signature must claim.
    docker_reference: String,
    /// Comma-separated accepted key fingerprints, or `any` for every key in the public key file.
    key_fingerprints: String,
    /// The signature file.
    signature: PathBuf,
}

pub(crate) fn verify(a: VerifyArgs) -> ExitCode {
    match verify_inner(&a) {
        Ok(line) => {
            println!("{line}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("Error: {e}");
            ExitCode::from(1)
        }
    }
}

fn verify_inner(a: &VerifyArgs) -> Result<String, String> {
    let manifest = read_file(&a.manifest)
        .map_err(|e| format!("Error reading manifest from {}: {e}", a.manifest.display()))?;
    let signature = read_file(&a.signature).map_err(|e| {
        format!(
            "Error reading signature from {}: {e}",
            a.signature.display()
        )
    })?;
    let keys = read_file(&a.public_key_file).map_err(|e| {
        format!(
            "Error reading public keys from {}: {e}",
            a.public_key_file.display()
        )
    })?;
    let keyring = Keyring::from_blobs([keys.as_slice()]);
    let accepted: Vec<String> = if a.key_fingerprints == "any" {
        keyring.fingerprints().to_vec()
    } else {
        a.key_fingerprints.split(',').map(str::to_owned).collect()
    };
    let sig = simple::verify_docker_manifest_signature(
        &signature,
        &manifest,
        &a.docker_reference,
        &keyring,
        &accepted,
        SystemTime::now(),
    )
    .map_err(|e| format!("Error verifying signature: {e}"))?;
    Ok(format!(
        "Signature verified using fingerprint {}, digest {}",
        sig.signer, sig.docker_manifest_digest
    ))
}
