//! `lint`: `check`, plus a reviewer's warnings, each with file, line and column.
//!
//! The policy.json findings come from `containers_policy::lint`. With `--registries.d` this adds
//! `invalid-registries-d` (an error: containers/image refuses the directory), `deprecated-sigstore-key`,
//! `ignored-file` (`.yml`) and `no-lookaside` (a `signedBy` docker scope with no lookaside configured).
//!
//! Exit status: 0 no findings, 1 at least one error (the policy is refused by containers/image, or a file
//! cannot be read), 3 warnings only. (2 is left to usage errors, which clap reports with 2.)

use std::{
    path::{Path, PathBuf},
    process::ExitCode,
};

use clap::Args;
use containers_policy::lint::{Finding, LintOptions, Severity, Version, lint};
use serde_json::json;

/// Exit status when there are warnings but no errors.
const EXIT_WARNINGS: u8 = 3;

#[derive(Args)]
pub(crate) struct LintArgs {
    /// The policy.json to review.
    file: PathBuf,
    /// Also review this registries.d directory (deprecated `sigstore:` / `sigstore-staging:` keys, files
    /// containers/image would refuse).
    #[arg(long = "registries.d", value_name = "DIR")]
    registries_d: Option<PathBuf>,
    /// The oldest containers/image the policy must work with (e.g. 5.23 for Debian 12's podman 4.3):
    /// fields introduced later are reported.
    #[arg(long = "target-version", value_name = "VERSION", value_parser = parse_version)]
    target_version: Option<Version>,
    /// Print one JSON object: `{"ok": bool, "errors": N, "warnings": N, "findings": [{"file", "line",
    /// "column", "severity", "code", "message", "pointer"}]}`.
    #[arg(long)]
    json: bool,
}

fn parse_version(s: &str) -> Result<Version, String> {
    Version::parse(s).ok_or_else(|| format!("{s:?} is not a version like 5.23 or v5.23.1"))
}

/// A finding with the file it is in.
struct Located {
    file: String,
    finding: Finding,
}

pub(crate) fn run(args: LintArgs) -> ExitCode {
    let mut found: Vec<Located> = Vec::new();
    let file = args.file.display().to_string();
    match crate::paths::read_file(&args.file) {
        Ok(data) => {
            let options = LintOptions::default().with_target_version(args.target_version);
            found.extend(lint(&data, &options).into_iter().map(|finding| Located {
                file: file.clone(),
                finding,
            }));
        }
        Err(message) => found.push(Located {
            file: file.clone(),
            finding: simple_finding(Severity::Error, "unreadable", message, 1, 1),
        }),
    }
    if let Some(dir) = &args.registries_d {
        found.extend(lint_registries_d(dir));
        if let (Ok(data), Ok(registries)) = (
            std::fs::read(&args.file),
            sigstore_lookaside::RegistriesD::load_dir(dir),
        ) {
            found.extend(lint_lookaside(&data, &file, &registries));
        }
    }
    let errors = found
        .iter()
        .filter(|l| l.finding.severity == Severity::Error)
        .count();
    let warnings = found.len() - errors;
    if args.json {
        let items: Vec<serde_json::Value> = found
            .iter()
            .map(|l| {
                json!({
                    "file": l.file,
                    "line": l.finding.line,
                    "column": l.finding.column,
                    "severity": l.finding.severity.as_str(),
                    "code": l.finding.code,
                    "message": l.finding.message,
                    "pointer": l.finding.pointer,
                })
            })
            .collect();
        println!(
            "{}",
            json!({"ok": errors == 0, "errors": errors, "warnings": warnings, "findings": items})
        );
    } else {
        for l in &found {
            println!(
                "{}:{}:{}: {}: {} [{}]",
                l.file,
                l.finding.line,
                l.finding.column,
                l.finding.severity,
                l.finding.message,
                l.finding.code
            );
        }
        if found.is_empty() {
            println!("{file}: no problems found");
        } else {
            println!("{errors} error(s), {warnings} warning(s)");
        }
    }
    if errors > 0 {
        ExitCode::from(1)
    } else if warnings > 0 {
        ExitCode::from(EXIT_WARNINGS)
    } else {
        ExitCode::SUCCESS
    }
}

fn simple_finding(
    severity: Severity,
    code: &'static str,
    message: String,
    line: usize,
    column: usize,
) -> Finding {
    Finding::new(severity, code, message, line, column)
}

/// `signedBy` docker scopes for which registries.d names no lookaside store: containers/image then reads
/// signatures from the built-in local directory (`/var/lib/containers/sigstore`), which on a fresh node
/// is empty, so every image is refused unless the registry itself serves signatures.
fn lint_lookaside(
    policy: &[u8],
    file: &str,
    registries: &sigstore_lookaside::RegistriesD,
) -> Vec<Located> {
    let Ok(parsed) = containers_policy::Policy::from_slice(policy) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (scope, reqs) in parsed.transports.get("docker").into_iter().flatten() {
        let signed = reqs
            .iter()
            .any(|r| matches!(r, containers_policy::PolicyRequirement::SignedBy(_)));
        if !signed || !crate::trust::store_for_scope(registries, scope).is_empty() {
            continue;
        }
        let (line, column) = key_position(policy, scope);
        out.push(Located {
            file: file.to_owned(),
            finding: simple_finding(
                Severity::Warning,
                "no-lookaside",
                format!(
                    "scope {scope:?} requires signatures, but registries.d names no lookaside for it (nor a default-docker one): nodes will look in the local /var/lib/containers/sigstore, and refuse the images unless the registry serves signatures itself (OpenShift's registry API); add a `lookaside:` for it"
                ),
                line,
                column,
            ),
        });
    }
    out
}

/// Line and column of `key` used as an object key in JSON text (its first such occurrence), else 1:1.
fn key_position(text: &[u8], key: &str) -> (usize, usize) {
    let Ok(quoted) = serde_json::to_string(key) else {
        return (1, 1);
    };
    let needle = quoted.as_bytes();
    let mut from = 0;
    while let Some(i) = text
        .get(from..)
        .and_then(|t| t.windows(needle.len()).position(|w| w == needle))
    {
        let at = from + i;
        let after = &text[at + needle.len()..];
        let colon = after.iter().find(|b| !b.is_ascii_whitespace());
        if colon == Some(&b':') {
            let before = &text[..at];
            let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
            let start = before
                .iter()
                .rposition(|&b| b == b'\n')
                .map_or(0, |p| p + 1);
            let column = String::from_utf8_lossy(&before[start..]).chars().count() + 1;
            return (line, column);
        }
        from = at + 1;
    }
    (1, 1)
}

/// registries.d review: files containers/image would refuse (errors), and the deprecated `sigstore` /
/// `sigstore-staging` keys (warnings, positioned at the key).
fn lint_registries_d(dir: &Path) -> Vec<Located> {
    let mut out = Vec::new();
    let dir_name = dir.display().to_string();
    if let Err(e) = sigstore_lookaside::RegistriesD::load_dir(dir) {
        out.push(Located {
            file: dir_name.clone(),
            finding: simple_finding(Severity::Error, "invalid-registries-d", e.to_string(), 1, 1),
        });
    }
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    let mut names: Vec<PathBuf> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml" || e == "yml"))
        .collect();
    names.sort();
    for path in names {
        let file = path.display().to_string();
        if path.extension().is_some_and(|e| e == "yml") {
            out.push(Located {
                file,
                finding: simple_finding(
                    Severity::Warning,
                    "ignored-file",
                    "containers/image reads only files ending in .yaml: this file is ignored; rename it".to_owned(),
                    1,
                    1,
                ),
            });
            continue;
        }
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        for (n, line) in text.lines().enumerate() {
            let content = line.split('#').next().unwrap_or_default();
            let trimmed = content.trim_start();
            let indent = content.len() - trimmed.len();
            for (key, replacement) in [
                ("sigstore-staging:", "lookaside-staging"),
                ("sigstore:", "lookaside"),
            ] {
                if trimmed.starts_with(key) {
                    out.push(Located {
                        file: file.clone(),
                        finding: simple_finding(
                            Severity::Warning,
                            "deprecated-sigstore-key",
                            format!(
                                "`{}` is a deprecated alias (containers/image 5.22+): write `{replacement}:` unless nodes still run containers/image older than 5.22",
                                key.trim_end_matches(':')
                            ),
                            n + 1,
                            line[..indent].chars().count() + 1,
                        ),
                    });
                }
            }
        }
    }
    out
}
