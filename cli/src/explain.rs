//! `explain`: a readable account of one policy decision: the scope that matched (and the ones looked up
//! first), every requirement of that scope with its result, and for each signature who signed it, what
//! it claims, and why it was or was not accepted, including the identity the policy would have accepted.
//!
//! The verdict comes from [`PolicyContext::evaluate`] (the same call `eval` makes); everything else here
//! only describes the inputs: key files are read to list the trusted fingerprints and user IDs, and each
//! signature's claims are read without verification (as `skopeo inspect`-style tools do) so that a
//! rejected signature can still be described. Those untrusted claims are labelled as such.

use std::{fmt::Write as _, path::Path, process::ExitCode};

use clap::Args;
use containers_policy::{
    ImageReference, MatchedScope, PolicyContext, PolicyRequirement, SignedIdentity, UnparsedImage,
    config::GpgKeySource, openpgp::Keyring, payload::SimpleSigningPayload,
};

/// Exit status when the inputs could not be read (as `eval`).
const EXIT_INPUT: u8 = 2;

#[derive(Args)]
pub(crate) struct ExplainArgs {
    #[command(flatten)]
    input: crate::eval::ImageArgs,
}

pub(crate) fn run(args: ExplainArgs) -> ExitCode {
    let (ctx, image, policy_path, source) = match crate::eval::load_inputs(&args.input, "explain") {
        Ok(x) => x,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(EXIT_INPUT);
        }
    };
    let decision = ctx.evaluate(&image);
    print!(
        "{}",
        explain(&ctx, &image, &decision, &policy_path, &source.describe())
    );
    if decision.allowed() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

/// The identity (or set of identities) a `signedIdentity` rule accepts for `image`, in words.
pub(crate) fn accepted_identity(identity: &SignedIdentity, image: &ImageReference) -> String {
    let docker = image.docker_reference();
    let repo_of = |r: &containers_policy::DockerReference| r.name();
    let exact_or_repo = |r: &containers_policy::DockerReference| {
        if r.digest().is_some() {
            format!("any reference in repository {}", repo_of(r))
        } else if r.tag().is_some() {
            format!("exactly {}", r.as_str())
        } else {
            format!("nothing ({} has neither tag nor digest)", r.as_str())
        }
    };
    match identity {
        SignedIdentity::MatchExact => match docker {
            Some(r) if r.tag().is_some() || r.digest().is_some() => {
                format!("exactly {}", r.as_str())
            }
            Some(r) => format!("nothing ({} has neither tag nor digest)", r.as_str()),
            None => no_docker_reference(image),
        },
        SignedIdentity::MatchRepoDigestOrExact => match docker {
            Some(r) => exact_or_repo(r),
            None => no_docker_reference(image),
        },
        SignedIdentity::MatchRepository => match docker {
            Some(r) => format!("any reference in repository {}", repo_of(r)),
            None => no_docker_reference(image),
        },
        SignedIdentity::ExactReference { docker_reference } => {
            format!("exactly {docker_reference}")
        }
        SignedIdentity::ExactRepository { docker_repository } => {
            format!("any reference in repository {docker_repository}")
        }
        SignedIdentity::RemapIdentity {
            prefix,
            signed_prefix,
        } => match docker {
            Some(r) => {
                let s = r.as_str();
                match s.strip_prefix(prefix.as_str()) {
                    Some(rest) => match containers_policy::DockerReference::parse_normalized(
                        &format!("{signed_prefix}{rest}"),
                    ) {
                        Ok(remapped) => format!(
                            "{} (the image name with {prefix} remapped to {signed_prefix})",
                            exact_or_repo(&remapped)
                        ),
                        Err(e) => format!("nothing (remapping gives an invalid name: {e})"),
                    },
                    None => exact_or_repo(r),
                }
            }
            None => no_docker_reference(image),
        },
        _ => "(an identity rule this version cannot describe)".to_owned(),
    }
}

fn no_docker_reference(image: &ImageReference) -> String {
    format!(
        "nothing: {} has no docker reference to compare with (give --reference docker://… for a dir: copy)",
        image
    )
}

/// The trusted keys of a `signedBy` requirement: one line per key or unusable source, and each
/// fingerprint with a label (`path (user IDs)`).
fn trusted_keys(keys: &GpgKeySource) -> (Vec<String>, Vec<(String, String)>) {
    let sources: Vec<(String, Option<Vec<u8>>)> = match keys {
        GpgKeySource::Path(p) => vec![(p.clone(), std::fs::read(p).ok())],
        GpgKeySource::Paths(ps) => ps
            .iter()
            .map(|p| (p.clone(), std::fs::read(p).ok()))
            .collect(),
        GpgKeySource::Data(d) => vec![("keyData".to_owned(), Some(d.clone()))],
        _ => Vec::new(),
    };
    let mut lines = Vec::new();
    let mut labels = Vec::new();
    for (name, data) in sources {
        match data {
            None => lines.push(format!("{name}: cannot be read")),
            Some(d) => {
                let ring = Keyring::from_blobs([d.as_slice()]);
                if ring.is_empty() {
                    lines.push(format!("{name}: holds no usable OpenPGP key"));
                }
                let ids = crate::trust::key_identities(&d);
                let label = if ids.is_empty() {
                    name.clone()
                } else {
                    format!("{name} ({})", ids.join(", "))
                };
                for fpr in ring.fingerprints() {
                    lines.push(format!(
                        "{name}: {fpr}{}",
                        if ids.is_empty() {
                            String::new()
                        } else {
                            format!(" ({})", ids.join(", "))
                        }
                    ));
                    labels.push((fpr.clone(), label.clone()));
                }
            }
        }
    }
    (lines, labels)
}

/// What a simple-signing signature claims, read without verifying it, and whether its key ID is the
/// primary key of a trusted key.
fn untrusted_claims(blob: &[u8], trusted: &[(String, String)]) -> String {
    match containers_policy::openpgp::untrusted_contents(blob) {
        Err(e) => format!("unreadable ({e})"),
        Ok(c) => {
            let key = match trusted
                .iter()
                .find(|(fpr, _)| fpr.ends_with(&c.short_key_id))
            {
                Some((_, label)) => format!("key ID {} (trusted: {label})", c.short_key_id),
                None => format!(
                    "key ID {} (not the primary key of any trusted key)",
                    c.short_key_id
                ),
            };
            match SimpleSigningPayload::from_slice(&c.content) {
                Ok(p) => format!(
                    "{key} claims {} with manifest {}",
                    p.docker_reference, p.docker_manifest_digest
                ),
                Err(e) => format!("{key} signed an invalid payload ({e})"),
            }
        }
    }
}

/// The explanation text.
pub(crate) fn explain(
    ctx: &PolicyContext,
    image: &UnparsedImage,
    decision: &containers_policy::Decision,
    policy_path: &Path,
    source: &str,
) -> String {
    let mut out = String::new();
    let reference = image.reference();
    let _ = writeln!(out, "Image:  {reference} ({source})");
    if let Ok(m) = image.manifest() {
        if let Ok(d) = containers_policy::manifest::manifest_digest(m) {
            let _ = writeln!(out, "        manifest digest {d}");
        }
    }
    let _ = writeln!(out, "Policy: {}", policy_path.display());
    let _ = writeln!(out, "Looked up: {}", crate::eval::lookup_chain(reference));
    let reqs: &[PolicyRequirement] = match &decision.scope {
        MatchedScope::Scope { transport, scope } => {
            let what = if scope.is_empty() {
                format!("transports.{transport}[\"\"] (the {transport} transport's default)")
            } else {
                format!("transports.{transport}[{}]", crate::paths::quote(scope))
            };
            let _ = writeln!(out, "Matched:   {what}");
            ctx.policy().scope(transport, scope).unwrap_or(&[])
        }
        MatchedScope::Default => {
            let _ = writeln!(out, "Matched:   default (no transport scope matched)");
            &ctx.policy().default
        }
        _ => &[],
    };
    let _ = writeln!(out, "All {} requirement(s) must be satisfied:", reqs.len());
    let simple: Vec<&[u8]> = image
        .signatures()
        .map(|s| s.iter().filter_map(|s| s.as_simple_signing()).collect())
        .unwrap_or_default();
    let other_signatures = image
        .signatures()
        .map(|s| s.len() - simple.len())
        .unwrap_or(0);
    for (i, req) in reqs.iter().enumerate() {
        let outcome = decision.requirements.iter().find(|o| o.index == i);
        let verdict = match outcome.map(|o| &o.result) {
            Some(Ok(())) => "SATISFIED".to_owned(),
            Some(Err(e)) => format!("DENIED: {e}"),
            None => "not evaluated (an earlier requirement already denied the image)".to_owned(),
        };
        let _ = writeln!(out, "\n  {}. {} -> {verdict}", i + 1, req.type_name());
        match req {
            PolicyRequirement::InsecureAcceptAnything => {
                let _ = writeln!(out, "     accepts any image, signed or not");
            }
            PolicyRequirement::Reject => {
                let _ = writeln!(out, "     refuses every image");
            }
            PolicyRequirement::SignedBaseLayer { .. } => {
                let _ = writeln!(
                    out,
                    "     never implemented by containers/image: refuses every image"
                );
            }
            PolicyRequirement::SignedBy(sb) => {
                let _ = writeln!(
                    out,
                    "     needs at least one valid signature by a trusted key (keyType {})",
                    sb.key_type.as_str()
                );
                let (lines, labels) = trusted_keys(&sb.keys);
                for k in lines {
                    let _ = writeln!(out, "       trusted: {k}");
                }
                let _ = writeln!(
                    out,
                    "     signedIdentity {}: the signature must claim {}",
                    sb.signed_identity.type_name(),
                    accepted_identity(&sb.signed_identity, reference)
                );
                if simple.is_empty() {
                    let _ = writeln!(
                        out,
                        "     the image has no simple-signing signatures{}",
                        if other_signatures > 0 {
                            format!(" ({other_signatures} of another format)")
                        } else {
                            String::new()
                        }
                    );
                }
                for s in outcome.map(|o| o.signatures.as_slice()).unwrap_or(&[]) {
                    let blob = simple.get(s.index.wrapping_sub(1)).copied();
                    match &s.result {
                        Ok(a) => {
                            let by = labels
                                .iter()
                                .find(|(fpr, _)| *fpr == a.signer)
                                .map(|(_, l)| format!(" ({l})"))
                                .unwrap_or_default();
                            let _ = writeln!(
                                out,
                                "     signature {}: ACCEPTED: signed by {}{by}, claims {} with manifest {}",
                                s.index, a.signer, a.docker_reference, a.docker_manifest_digest
                            );
                        }
                        Err(e) => {
                            let claims = blob
                                .map(|b| untrusted_claims(b, &labels))
                                .unwrap_or_default();
                            let _ = writeln!(out, "     signature {}: REJECTED: {e}", s.index);
                            if !claims.is_empty() {
                                let _ = writeln!(out, "       (unverified) {claims}");
                            }
                        }
                    }
                }
            }
            PolicyRequirement::SigstoreSigned(s) => {
                let _ = writeln!(
                    out,
                    "     needs a valid sigstore signature; signedIdentity {}: it must claim {}",
                    s.signed_identity.type_name(),
                    accepted_identity(&s.signed_identity, reference)
                );
            }
            _ => {}
        }
    }
    match &decision.result {
        Ok(()) => {
            let _ = writeln!(out, "\nVerdict: ALLOWED");
        }
        Err(e) => {
            let _ = writeln!(out, "\nVerdict: DENIED: {e}");
        }
    }
    out
}
