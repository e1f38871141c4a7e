//! `containers-policy`: answer "may this image run here?" exactly as podman, skopeo and CRI-O would.

mod bench;
mod demo;
mod eval;
mod explain;
mod lint;
mod machineconfig;
mod paths;
mod remote;
mod serve;
mod signing;
mod trust;
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
    /// Show or edit the trust policy (podman `image trust show` / `image trust set`).
    #[command(subcommand)]
    Trust(trust::TrustCommand),
    /// Review a policy.json: what `check` refuses, plus warnings (missing or expired keys, scopes that
    /// never match, permissive defaults, fields too new for --target-version), with line and column.
    /// Exit status: 0 clean, 1 errors, 3 warnings only.
    Lint(lint::LintArgs),
    /// Explain a decision: the matched scope, each requirement's result, and for each signature who
    /// signed it, what it claims and which identity the policy would have accepted.
    Explain(explain::ExplainArgs),
    /// Generate OpenShift MachineConfig objects installing the policy, registries.d and key files on
    /// every node of each role.
    Machineconfig(machineconfig::MachineConfigArgs),
    /// Measure in-process evaluation speed of one `dir:` image (evaluations/s, p50/p99 latency).
    Bench(bench::BenchArgs),
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
        Command::Trust(c) => trust::run(c),
        Command::Lint(a) => lint::run(a),
        Command::Explain(a) => explain::run(a),
        Command::Machineconfig(a) => machineconfig::run(a),
        Command::Bench(a) => bench::bench(a),
    }
}
