//! `serve`: the lookaside signature server.

use std::{io::Write as _, net::SocketAddr, path::PathBuf, process::ExitCode};

use clap::Args;
use containers_policy::{Policy, PolicyRequirement, config::GpgKeySource, openpgp::Keyring};
use sigstore_lookaside::{
    auth::Credentials,
    server::{self, ServerConfig},
};

#[derive(Args)]
pub(crate) struct ServeArgs {
    /// The lookaside tree to serve and to store uploads in
    /// (`<root>/<repository>@sha256=<hex>/signature-<N>`); created if missing.
    #[arg(long)]
    root: PathBuf,
    /// Address to listen on (`127.0.0.1:0` picks a free port; the URL is printed on the first line).
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// File of upload credentials, one per line: `bearer TOKEN` or `basic USER:PASSWORD`. Without it,
    /// uploads are refused (unless --allow-anonymous-uploads).
    #[arg(long, value_name = "FILE")]
    auth_file: Option<PathBuf>,
    /// Accept uploads without credentials (test set-ups only).
    #[arg(long)]
    allow_anonymous_uploads: bool,
    /// Serve and accept uploads under this path, e.g. `/repository/sigstore` as a Nexus RAW
    /// repository's URL has it.
    #[arg(long, default_value = "")]
    base_path: String,
    /// Accept only uploads that verify with a key in this public key file (repeatable).
    #[arg(long = "verify-key", value_name = "FILE")]
    verify_keys: Vec<PathBuf>,
    /// Accept only uploads that verify with one of the keys a policy.json's `signedBy` requirements name.
    #[arg(long, value_name = "POLICY")]
    verify_policy: Option<PathBuf>,
    /// Largest accepted upload, in bytes.
    #[arg(long, default_value_t = 4 << 20)]
    max_body: usize,
}

pub(crate) fn serve(args: ServeArgs) -> ExitCode {
    match run(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{e}");
            ExitCode::from(2)
        }
    }
}

fn run(args: ServeArgs) -> Result<(), String> {
    let credentials = match &args.auth_file {
        Some(f) => Credentials::from_file(f).map_err(|e| e.to_string())?,
        None => Credentials::new(),
    };
    if credentials.is_empty() && !args.allow_anonymous_uploads {
        eprintln!("note: no --auth-file given; uploads will be refused (read-only server)");
    }
    let mut config = ServerConfig::new(&args.root)
        .with_credentials(credentials)
        .with_anonymous_uploads(args.allow_anonymous_uploads)
        .with_base_path(args.base_path.clone())
        .with_max_body(args.max_body);
    let mut key_blobs = Vec::new();
    for f in &args.verify_keys {
        key_blobs.push(read(f)?);
    }
    if let Some(p) = &args.verify_policy {
        let policy = Policy::from_path(p).map_err(|e| e.to_string())?;
        key_blobs.extend(policy_keys(&policy)?);
        if key_blobs.is_empty() {
            return Err(format!(
                "{}: no signedBy requirement names a key; nothing to verify uploads with",
                p.display()
            ));
        }
    }
    if !key_blobs.is_empty() {
        let keyring = Keyring::from_blobs(key_blobs.iter().map(Vec::as_slice));
        if keyring.is_empty() {
            return Err("no usable OpenPGP public key in the verification keys".to_owned());
        }
        config = config.with_verify_keyring(keyring);
    }
    let running = server::start(config, args.listen).map_err(|e| e.to_string())?;
    let base = format!("http://{}{}", running.local_addr(), args.base_path);
    println!(
        "Serving signatures from {} on {base}/ (uploads: POST {base}/upload, PUT {base}/<repository>@<algo>=<hex>/signature-<N>)",
        args.root.display()
    );
    let _ = std::io::stdout().flush();
    running.wait().map_err(|e| e.to_string())
}

fn read(path: &std::path::Path) -> Result<Vec<u8>, String> {
    crate::paths::read_file(path)
}

/// Every key a policy's `signedBy` requirements name (relative paths as containers/image resolves them:
/// against the working directory).
fn policy_keys(policy: &Policy) -> Result<Vec<Vec<u8>>, String> {
    let mut out = Vec::new();
    let all = policy.default.iter().chain(
        policy
            .transports
            .values()
            .flat_map(|s| s.values().flatten()),
    );
    for req in all {
        if let PolicyRequirement::SignedBy(s) = req {
            match &s.keys {
                GpgKeySource::Path(p) => out.push(read(p.as_ref())?),
                GpgKeySource::Paths(ps) => {
                    for p in ps {
                        out.push(read(p.as_ref())?);
                    }
                }
                GpgKeySource::Data(d) => out.push(d.clone()),
                _ => {}
            }
        }
    }
    Ok(out)
}
