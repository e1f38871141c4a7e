//! `containers-policy`: answer "may this image run here?" exactly as podman, skopeo and CRI-O would.

mod demo;
mod eval;
mod paths;
mod remote;
mod serve;
mod signing;
mod upload;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Container image signature policy, compatible with containers/image (podman, skopeo, CRI-O).
#[derive(Parser)]
#[command(name = "containers-policy", version, about, long_about = None, after_help = WORKFLOW)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Show, with a throwaway key and sample images, what signed, unsigned, wrongly signed and
    /// mis-identified images get under a sample policy.
    Demo,
    /// Validate a policy.json.
    Check(eval::CheckArgs),
    /// Evaluate an image against a policy: fetched from a registry (`docker://…`, signatures through
    /// registries.d) or read from a `dir:` layout (`--dir`).
    Eval(eval::EvalArgs),
    /// Serve a lookaside signature store over HTTP, accepting authenticated uploads
    /// (`POST /upload` JSON and Nexus-style `PUT`).
    Serve(serve::ServeArgs),
    /// Publish signatures from a staging store (what `skopeo copy --sign-by` writes) to a signature
    /// server or a Nexus RAW repository.
    Upload(upload::UploadArgs),
    /// Sign a manifest (like `skopeo standalone-sign`, with the key read from a file).
    Sign(signing::SignArgs),
    /// Verify a signature of a manifest (like `skopeo standalone-verify`).
    Verify(signing::VerifyArgs),
}

/// The signing-and-publishing workflow, shown by `--help`.
const WORKFLOW: &str = "\
Signing and publishing, end to end:
  1. Sign while pushing; signatures land in a staging store named in registries.d:
       # /etc/containers/registries.d/staging.yaml
       default-docker:
         lookaside-staging: file:///var/lib/containers/staging
       skopeo copy --sign-by you@example.com oci:img:latest docker://registry.example.com/team/app:1.0
  2. Run a signature server (credentials file lines: `bearer TOKEN` or `basic USER:PASSWORD`):
       containers-policy serve --root /srv/sigstore --listen 0.0.0.0:8080 --auth-file /etc/sigstore/credentials
  3. Publish the staged signatures (token from CONTAINERS_POLICY_UPLOAD_TOKEN or --auth-file):
       containers-policy upload --staging /var/lib/containers/staging --to https://sigs.example.com/upload
     or to a Nexus RAW repository:
       containers-policy upload --staging /var/lib/containers/staging --nexus https://nexus.example.com/repository/sigstore
  4. Point readers at it and require signatures:
       # registries.d/registry.example.com.yaml
       docker:
         registry.example.com:
           lookaside: https://sigs.example.com
       # policy.json: {\"default\":[{\"type\":\"reject\"}],\"transports\":{\"docker\":{\"registry.example.com\":
       #   [{\"type\":\"signedBy\",\"keyType\":\"GPGKeys\",\"keyPath\":\"/etc/pki/sigs.gpg\"}]}}}
  5. Check an image exactly as podman, skopeo and CRI-O will:
       containers-policy eval --policy policy.json docker://registry.example.com/team/app:1.0";

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command.unwrap_or(Command::Demo) {
        Command::Demo => demo::run(),
        Command::Check(a) => eval::check(a),
        Command::Eval(a) => eval::eval(a),
        Command::Serve(a) => serve::serve(a),
        Command::Upload(a) => upload::upload(a),
        Command::Sign(a) => signing::sign(a),
        Command::Verify(a) => signing::verify(a),
    }
}
