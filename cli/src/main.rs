//! `containers-policy`: answer "may this image run here?" exactly as podman, skopeo and CRI-O would.

mod demo;
mod eval;
mod paths;
mod signing;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Container image signature policy, compatible with containers/image (podman, skopeo, CRI-O).
#[derive(Parser)]
#[command(name = "containers-policy", version, about, long_about = None)]
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
    /// Evaluate an image stored in the `dir:` layout against a policy.
    Eval(eval::EvalArgs),
    /// Sign a manifest (like `skopeo standalone-sign`, with the key read from a file).
    Sign(signing::SignArgs),
    /// Verify a signature of a manifest (like `skopeo standalone-verify`).
    Verify(signing::VerifyArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command.unwrap_or(Command::Demo) {
        Command::Demo => demo::run(),
        Command::Check(a) => eval::check(a),
        Command::Eval(a) => eval::eval(a),
        Command::Sign(a) => signing::sign(a),
        Command::Verify(a) => signing::verify(a),
    }
}
