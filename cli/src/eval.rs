//! `check` and `eval`.

use std::{
    path::{Path, PathBuf},
    process::ExitCode,
};

use clap::Args;
use containers_policy::{
    Decision, ImageReference, MatchedScope, Policy, PolicyContext, PolicyRequirement,
    UnparsedImage, config::GpgKeySource,
};
use serde_json::json;

/// Exit status when the inputs could not be read.
const EXIT_INPUT: u8 = 2;

#[derive(Args)]
pub(crate) struct CheckArgs {
    /// The policy.json to validate.
    file: PathBuf,
    /// Print one JSON object `{"ok": bool, "error": string|null}`.
    #[arg(long)]
    json: bool,
}

pub(crate) fn check(args: CheckArgs) -> ExitCode {
    let result = Policy::from_path(&args.file);
    if args.json {
        let error = result.as_ref().err().map(ToString::to_string);
        println!("{}", json!({"ok": result.is_ok(), "error": error}));
    } else {
        match &result {
            Ok(_) => println!("{}: valid", args.file.display()),
            Err(e) => eprintln!("{e}"),
        }
    }
    if result.is_ok() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

/// The image under evaluation and where its policy and signatures come from (`eval` and `explain`).
#[derive(Args)]
pub(crate) struct ImageArgs {
    /// The image: `docker://HOST/REPO:TAG` (or `@sha256:…`) to fetch from a registry, or with `--dir`
    /// the transport reference to evaluate the directory as (default `dir:DIR`).
    image: Option<String>,
    /// The policy.json (default: as containers/image v5.42: $CONTAINERS_POLICY_JSON,
    /// else the first of $XDG_CONFIG_HOME (or $HOME/.config)/containers/policy.json,
    /// /etc/containers/policy.json, /usr/share/containers/policy.json).
    #[arg(long)]
    policy: Option<PathBuf>,
    /// Read the image from a directory in the layout `skopeo copy … dir:DIR` writes
    /// (`manifest.json`, `signature-1`, `signature-2`, …) instead of a registry.
    #[arg(long)]
    dir: Option<PathBuf>,
    /// Same as the IMAGE argument with `--dir` (kept for scripts).
    #[arg(long, conflicts_with = "image")]
    reference: Option<String>,
    /// registries.d directory saying where signatures are stored (default: as containers/image v5.42,
    /// every registries.d under $XDG_CONFIG_HOME (or $HOME/.config)/containers, /etc/containers and
    /// /usr/share/containers, with the rootful/rootless drop-in directories, merged).
    #[arg(long = "registries.d", value_name = "DIR")]
    registries_d: Option<PathBuf>,
    /// Verify the registry's TLS certificate (`--tls-verify=false` also allows plain HTTP).
    #[arg(long, value_name = "BOOL", default_value_t = true, action = clap::ArgAction::Set)]
    tls_verify: bool,
    /// Registry credentials file (default: $REGISTRY_AUTH_FILE, then the containers auth.json and
    /// docker config.json locations).
    #[arg(long, value_name = "FILE")]
    authfile: Option<PathBuf>,
}

#[derive(Args)]
pub(crate) struct EvalArgs {
    #[command(flatten)]
    input: ImageArgs,
    /// Print one JSON object `{"allowed": bool, "error": string|null}`.
    #[arg(long)]
    json: bool,
}

pub(crate) fn eval(args: EvalArgs) -> ExitCode {
    let input = load_inputs(&args.input, "evaluate");
    let (ctx, image, policy_path, source) = match input {
        Ok(i) => i,
        Err(message) => {
            if args.json {
                println!("{}", json!({"allowed": false, "error": message}));
            } else {
                eprintln!("{message}");
            }
            return ExitCode::from(EXIT_INPUT);
        }
    };
    let decision = ctx.evaluate(&image);
    if args.json {
        let error = decision.result.as_ref().err().map(ToString::to_string);
        println!("{}", json!({"allowed": decision.allowed(), "error": error}));
    } else {
        print!(
            "{}",
            explain(&ctx, &image, &decision, &policy_path, &source)
        );
    }
    if decision.allowed() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

/// Where the image under evaluation came from, for the explanation.
pub(crate) enum Source<'a> {
    /// A `dir:` layout.
    Dir(&'a Path),
    /// A registry, with signatures from the named place.
    Registry {
        manifest_digest: String,
        signatures_from: String,
    },
}

impl Source<'_> {
    /// Where the image came from, in words.
    pub(crate) fn describe(&self) -> String {
        match self {
            Source::Dir(d) => format!("read from directory {}", d.display()),
            Source::Registry {
                manifest_digest,
                signatures_from,
            } => format!(
                "fetched from the registry, manifest {manifest_digest}, signatures from {signatures_from}"
            ),
        }
    }
}

/// Reads the policy and the image `args` name; `verb` completes the error when no image is given
/// ("nothing to {verb}").
pub(crate) fn load_inputs<'a>(
    args: &'a ImageArgs,
    verb: &str,
) -> Result<(PolicyContext, UnparsedImage, PathBuf, Source<'a>), String> {
    let policy_path = match &args.policy {
        Some(p) => p.clone(),
        None => crate::paths::default_policy_path()?,
    };
    let policy = Policy::from_path(&policy_path).map_err(|e| e.to_string())?;
    let ctx = PolicyContext::new(policy);
    if let Some(dir) = &args.dir {
        if !dir.is_dir() {
            return Err(format!("{}: not a directory", dir.display()));
        }
        let reference = match args.image.as_ref().or(args.reference.as_ref()) {
            Some(r) => r.clone(),
            None => format!("dir:{}", dir.display()),
        };
        let reference = ImageReference::parse(&reference).map_err(|e| e.to_string())?;
        return Ok((
            ctx,
            UnparsedImage::from_dir(dir, reference),
            policy_path,
            Source::Dir(dir),
        ));
    }
    let Some(image) = args.image.as_ref().or(args.reference.as_ref()) else {
        return Err(format!(
            "nothing to {verb}: give an image (docker://HOST/REPO:TAG) or --dir DIR"
        ));
    };
    let reference = ImageReference::parse(image).map_err(|e| e.to_string())?;
    if reference.transport_name() != "docker" {
        return Err(format!(
            "{image}: only docker:// images can be fetched; use --dir for an image copied with skopeo"
        ));
    }
    let remote = crate::remote::fetch(
        &reference,
        args.registries_d.as_deref(),
        args.tls_verify,
        args.authfile.as_deref(),
    )?;
    Ok((
        ctx,
        remote.image,
        policy_path,
        Source::Registry {
            manifest_digest: remote.manifest_digest,
            signatures_from: remote.signatures_from,
        },
    ))
}

/// A readable account of a decision: the scope that matched, each requirement's result and each
/// signature's fate.
pub(crate) fn explain(
    ctx: &PolicyContext,
    image: &UnparsedImage,
    decision: &Decision,
    policy_path: &Path,
    source: &Source<'_>,
) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    let reference = image.reference();
    let _ = write!(out, "Image:    {reference}");
    match source {
        Source::Dir(d) => {
            let _ = write!(out, " (read from {})", d.display());
        }
        Source::Registry {
            manifest_digest,
            signatures_from,
        } => {
            let _ = write!(
                out,
                "\nManifest: {manifest_digest}\nSignatures read from: {signatures_from}"
            );
        }
    }
    let _ = writeln!(out);
    let _ = writeln!(out, "Policy:   {}", policy_path.display());
    let (label, reqs): (String, &[PolicyRequirement]) = match &decision.scope {
        MatchedScope::Scope { transport, scope } => {
            let reqs = ctx
                .policy()
                .transports
                .get(transport)
                .and_then(|s| s.get(scope))
                .map(Vec::as_slice);
            let what = if scope.is_empty() {
                format!("transports.{transport}[\"\"] (default for the {transport} transport)")
            } else {
                format!("transports.{transport}[{}]", crate::paths::quote(scope))
            };
            (what, reqs.unwrap_or(&[]))
        }
        MatchedScope::Default => (
            "default (no transport scope matched)".to_owned(),
            &ctx.policy().default,
        ),
        _ => ("(unknown)".to_owned(), &[]),
    };
    let _ = writeln!(out, "Scope:    {label}");
    let _ = writeln!(out, "          looked up: {}", lookup_chain(reference));
    for outcome in &decision.requirements {
        let detail = reqs.get(outcome.index).map(describe).unwrap_or_default();
        let verdict = match &outcome.result {
            Ok(()) => "satisfied".to_owned(),
            Err(e) => format!("denied: {e}"),
        };
        let _ = writeln!(
            out,
            "Requirement {}: {}{detail} -> {verdict}",
            outcome.index + 1,
            outcome.type_name
        );
        for s in &outcome.signatures {
            match &s.result {
                Ok(a) => {
                    let _ = writeln!(
                        out,
                        "    signature {}: accepted, signed by {} for {} ({})",
                        s.index, a.signer, a.docker_reference, a.docker_manifest_digest
                    );
                }
                Err(e) => {
                    let _ = writeln!(out, "    signature {}: rejected: {e}", s.index);
                }
            }
        }
    }
    match &decision.result {
        Ok(()) => {
            let _ = writeln!(out, "Verdict:  ALLOWED");
        }
        Err(e) => {
            let _ = writeln!(out, "Verdict:  DENIED: {e}");
        }
    }
    out
}

/// The scopes looked up for `reference`, in order.
pub(crate) fn lookup_chain(reference: &ImageReference) -> String {
    let mut scopes = vec![reference.policy_identity()];
    scopes.extend(reference.policy_namespaces());
    let mut s: Vec<String> = scopes
        .iter()
        .filter(|s| !s.is_empty())
        .map(|s| crate::paths::quote(s))
        .collect();
    s.push("\"\"".to_owned());
    format!(
        "{} in transports.{}, then default",
        s.join(", "),
        reference.transport_name()
    )
}

fn describe(req: &PolicyRequirement) -> String {
    match req {
        PolicyRequirement::SignedBy(s) => {
            let keys = match &s.keys {
                GpgKeySource::Path(p) => format!("keyPath {p}"),
                GpgKeySource::Paths(p) => format!("keyPaths {}", p.join(", ")),
                GpgKeySource::Data(d) => format!("keyData ({} bytes)", d.len()),
                _ => "keys".to_owned(),
            };
            format!(
                " ({keys}; signedIdentity {})",
                s.signed_identity.type_name()
            )
        }
        _ => String::new(),
    }
}
