//! `upload`: publish staged signatures to a signature server or a Nexus RAW repository.

use std::{path::PathBuf, process::ExitCode};

use clap::Args;
use sigstore_lookaside::{
    Environment, HttpOptions, RegistriesD,
    auth::{Credential, PASSWORD_ENV, TOKEN_ENV, USER_ENV},
    upload::{UploadOutcome, UploadTarget, Uploader, locate_staged_file, staged_signatures},
};

#[derive(Args)]
#[command(group(clap::ArgGroup::new("target").required(true).args(["to", "nexus"])))]
pub(crate) struct UploadArgs {
    /// Signature files inside the staging store to publish (default: every signature in it).
    files: Vec<PathBuf>,
    /// The staging store skopeo/podman `--sign-by` wrote to (default: `default-docker`'s
    /// `lookaside-staging` in registries.d, else the default lookaside directory).
    #[arg(long, value_name = "DIR")]
    staging: Option<PathBuf>,
    /// registries.d directory used to find the default staging store.
    #[arg(long = "registries.d", value_name = "DIR")]
    registries_d: Option<PathBuf>,
    /// A signature server's JSON upload endpoint, e.g. `https://sigs.example.com/upload`.
    #[arg(long, value_name = "URL")]
    to: Option<url::Url>,
    /// A Nexus RAW repository (or `containers-policy serve --base-path`), e.g.
    /// `https://nexus.example.com/repository/sigstore`.
    #[arg(long, value_name = "URL")]
    nexus: Option<url::Url>,
    /// File holding the credential (`bearer TOKEN` or `basic USER:PASSWORD`); default: the
    /// CONTAINERS_POLICY_UPLOAD_TOKEN, or CONTAINERS_POLICY_UPLOAD_USER and _PASSWORD, environment variables.
    #[arg(long, value_name = "FILE")]
    auth_file: Option<PathBuf>,
    /// Verify the server's TLS certificate.
    #[arg(long, value_name = "BOOL", default_value_t = true, action = clap::ArgAction::Set)]
    tls_verify: bool,
}

pub(crate) fn upload(args: UploadArgs) -> ExitCode {
    match run(&args) {
        Ok(outcomes) => {
            for o in &outcomes {
                let at = o
                    .url
                    .as_ref()
                    .map(|u| format!(" -> {u}"))
                    .unwrap_or_default();
                if o.created {
                    println!("uploaded {}{at}", o.path);
                } else {
                    println!("already present {}{at}", o.path);
                }
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{e}");
            ExitCode::from(1)
        }
    }
}

fn run(args: &UploadArgs) -> Result<Vec<UploadOutcome>, String> {
    let env = Environment::from_process();
    let staging = match &args.staging {
        Some(s) => s.clone(),
        None => default_staging(args, &env)?,
    };
    let target = match (&args.to, &args.nexus) {
        (Some(u), _) => UploadTarget::SignatureServer {
            upload_url: u.clone(),
        },
        (None, Some(u)) => UploadTarget::Nexus {
            base_url: u.clone(),
        },
        (None, None) => return Err("give --to URL or --nexus URL".to_owned()),
    };
    let credential = match &args.auth_file {
        Some(f) => Some(Credential::from_file(f).map_err(|e| e.to_string())?),
        None => {
            let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
            let (t, u, p) = (var(TOKEN_ENV), var(USER_ENV), var(PASSWORD_ENV));
            Credential::from_parts(t.as_deref(), u.as_deref(), p.as_deref())
                .map_err(|e| e.to_string())?
        }
    };
    let http = HttpOptions::default().with_tls_verify(args.tls_verify);
    let uploader = Uploader::new(target, credential, &http).map_err(|e| e.to_string())?;
    if args.files.is_empty() {
        let staged = staged_signatures(&staging).map_err(|e| e.to_string())?;
        if staged.is_empty() {
            return Err(format!(
                "no signatures in the staging store {}",
                staging.display()
            ));
        }
        return uploader.upload_staging(&staging).map_err(|e| e.to_string());
    }
    let mut out = Vec::new();
    for file in &args.files {
        let loc = locate_staged_file(&staging, file).map_err(|e| e.to_string())?;
        let blob = std::fs::read(file)
            .map_err(|e| containers_policy::error::IoError::new("open", file, e).to_string())?;
        out.push(
            uploader
                .upload(&loc.repository, &loc.digest, &blob)
                .map_err(|e| format!("{}: {e}", file.display()))?,
        );
    }
    Ok(out)
}

fn default_staging(args: &UploadArgs, env: &Environment) -> Result<PathBuf, String> {
    let registries =
        RegistriesD::load(env, args.registries_d.as_deref()).map_err(|e| e.to_string())?;
    let url = registries
        .default_staging_url(env)
        .map_err(|e| e.to_string())?;
    url.file_path().ok_or_else(|| {
        format!("the default staging location {url} is not a file:// URL; give --staging DIR")
    })
}
