//! `trust show` and `trust set`: podman's `image trust show` / `image trust set`, on the same files and
//! with the same output, plus key paths and stricter input checks.
//!
//! `trust set` writes what podman (pkg/trust `AddPolicyEntries`) writes, byte for byte: the policy as Go's
//! `json.MarshalIndent(…, "", "    ")` renders it (transports and scopes sorted, every untouched
//! requirement kept as written, re-indented, `<>&` escaped as Go does, no final newline), with the scope
//! replaced in whichever transport already has it, else added under `docker`. Unlike podman it refuses a
//! policy.json containers/image itself would refuse (unknown fields included: nothing is silently
//! dropped), refuses key files that are missing or hold no usable key, records key paths as absolute
//! paths (podman's help promises that; its code stores them as given), can set `signedIdentity`, validates
//! the result before writing it, and writes atomically.

use std::{
    collections::BTreeMap,
    io::Write as _,
    path::{Path, PathBuf},
    process::ExitCode,
};

use clap::{Args, Subcommand};
use containers_policy::{Policy, PolicyRequirement, config::GpgKeySource, openpgp::Keyring};
use serde::Serialize;
use sigstore_lookaside::{Environment, RegistriesD};

#[derive(Subcommand)]
pub(crate) enum TrustCommand {
    /// Show the trust policy: one row per requirement, with key identities, key files and the
    /// lookaside store registries.d names (podman `image trust show`).
    Show(ShowArgs),
    /// Set the requirements of a scope, or of `default` (podman `image trust set`).
    Set(SetArgs),
}

#[derive(Args)]
pub(crate) struct ShowArgs {
    /// The policy.json (default: as containers/image v5.42: $CONTAINERS_POLICY_JSON,
    /// else the first of $XDG_CONFIG_HOME (or $HOME/.config)/containers/policy.json,
    /// /etc/containers/policy.json, /usr/share/containers/policy.json).
    #[arg(long)]
    policy: Option<PathBuf>,
    /// registries.d directory (default: as containers/image v5.42, every registries.d under
    /// $XDG_CONFIG_HOME (or $HOME/.config)/containers, /etc/containers and /usr/share/containers, merged).
    #[arg(long = "registries.d", value_name = "DIR")]
    registries_d: Option<PathBuf>,
    /// Print JSON (podman's `--json` objects, with `keys` filled in).
    #[arg(long, short = 'j')]
    json: bool,
    /// Print the policy file as it is.
    #[arg(long)]
    raw: bool,
    /// Do not print column headings.
    #[arg(long, short = 'n')]
    noheading: bool,
}

#[derive(Args)]
pub(crate) struct SetArgs {
    /// `default`, or a scope: `registry.example.com`, `registry.example.com/team/app`, `*.example.com`.
    scope: String,
    /// The policy.json to edit (default: as containers/image v5.42 finds it: $CONTAINERS_POLICY_JSON, else
    /// the first of the user's, /etc's and /usr/share's containers/policy.json). A missing file is created (only `default` can be set first).
    #[arg(long)]
    policy: Option<PathBuf>,
    /// accept (= insecureAcceptAnything), reject, signedBy, sigstoreSigned.
    #[arg(long = "type", short = 't', default_value = "signedBy")]
    trust_type: String,
    /// Public key file to trust; repeat for several. Each file becomes its own requirement, so an image
    /// must be signed by a key from every file (as podman does). GPG keys for signedBy, PEM public keys
    /// for sigstoreSigned.
    #[arg(long = "pubkeysfile", short = 'f', value_name = "FILE")]
    pubkeysfile: Vec<PathBuf>,
    /// The identity signatures must claim: matchRepoDigestOrExact (the default, written only when given),
    /// matchExact, matchRepository, exactReference=REF, exactRepository=REPO,
    /// remapIdentity=PREFIX,SIGNED_PREFIX.
    #[arg(long = "signed-identity", value_name = "IDENTITY")]
    signed_identity: Option<String>,
}

pub(crate) fn run(command: TrustCommand) -> ExitCode {
    let result = match command {
        TrustCommand::Show(a) => show(&a),
        TrustCommand::Set(a) => set(&a),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("Error: {e}");
            ExitCode::from(1)
        }
    }
}

fn policy_path(given: Option<&Path>) -> Result<PathBuf, String> {
    match given {
        Some(p) => Ok(p.to_owned()),
        None => crate::paths::default_policy_path(),
    }
}

// ---------------------------------------------------------------------------------------------------------
// show

/// One row of `trust show` (podman's `trust.Policy`, same JSON field names and order).
#[derive(Serialize, Debug, Clone, PartialEq, Eq)]
pub(crate) struct Row {
    transport: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    name: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    repo_name: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    keys: Vec<String>,
    #[serde(rename = "sigstore", skip_serializing_if = "String::is_empty")]
    signature_store: String,
    #[serde(rename = "type")]
    trust_type: String,
    #[serde(rename = "gpg_id", skip_serializing_if = "String::is_empty")]
    gpg_id: String,
}

fn show(args: &ShowArgs) -> Result<(), String> {
    let path = policy_path(args.policy.as_deref())?;
    let raw = crate::paths::read_file(&path)?;
    if args.raw {
        println!("{}", String::from_utf8_lossy(&raw));
        return Ok(());
    }
    let policy = Policy::from_path(&path).map_err(|e| e.to_string())?;
    let registries = RegistriesD::load(&Environment::from_process(), args.registries_d.as_deref())
        .map_err(|e| e.to_string())?;
    let rows = rows(&policy, &registries);
    if args.json {
        let text = serde_json::to_string_pretty(&rows).map_err(|e| e.to_string())?;
        println!("{}", go_html_escape(&text));
        return Ok(());
    }
    print!("{}", table(&rows, !args.noheading));
    Ok(())
}

/// podman's rows: `default` first, then transports and scopes in sorted order (`docker` shown as
/// `repository`), one row per requirement.
pub(crate) fn rows(policy: &Policy, registries: &RegistriesD) -> Vec<Row> {
    let mut out = Vec::new();
    let mut add =
        |transport: &str, name: &str, repo_name: &str, scope: &str, reqs: &[PolicyRequirement]| {
            let store = store_for_scope(registries, scope);
            for r in reqs {
                let (keys, gpg_id) = describe_keys(r);
                out.push(Row {
                    transport: transport.to_owned(),
                    name: name.to_owned(),
                    repo_name: repo_name.to_owned(),
                    keys,
                    signature_store: store.clone(),
                    trust_type: match r {
                        PolicyRequirement::InsecureAcceptAnything => "accept".to_owned(),
                        PolicyRequirement::SignedBy(_) => "signed".to_owned(),
                        other => other.type_name().to_owned(),
                    },
                    gpg_id,
                });
            }
        };
    add("all", "* (default)", "default", "", &policy.default);
    for (transport, scopes) in &policy.transports {
        let shown = if transport == "docker" {
            "repository"
        } else {
            transport
        };
        for (scope, reqs) in scopes {
            add(shown, scope, scope, scope, reqs);
        }
    }
    out
}

/// podman's registries.d lookup for a scope string: the scope, then its parents (`a/b/c`, `a/b`, `a`),
/// else `default-docker`; the first section found decides (its `lookaside`, else `sigstore`).
pub(crate) fn store_for_scope(registries: &RegistriesD, scope: &str) -> String {
    let mut search = scope;
    let section = loop {
        if search.is_empty() {
            break registries.default_docker.as_ref();
        }
        if let Some(s) = registries.docker.get(search) {
            break Some(s);
        }
        match search.rfind('/') {
            Some(i) => search = &search[..i],
            None => break registries.default_docker.as_ref(),
        }
    };
    section
        .map(|s| {
            s.lookaside
                .clone()
                .filter(|l| !l.is_empty())
                .or_else(|| s.sigstore.clone())
                .unwrap_or_default()
        })
        .unwrap_or_default()
}

/// Key paths (or `keyData`) and, for GPG keys, the identities podman's ID column shows (the e-mail
/// address of each user ID, or the whole user ID).
fn describe_keys(r: &PolicyRequirement) -> (Vec<String>, String) {
    match r {
        PolicyRequirement::SignedBy(sb) => {
            let (keys, blobs): (Vec<String>, Vec<Vec<u8>>) = match &sb.keys {
                GpgKeySource::Path(p) => {
                    (vec![p.clone()], vec![std::fs::read(p).unwrap_or_default()])
                }
                GpgKeySource::Paths(ps) => (
                    ps.clone(),
                    ps.iter()
                        .map(|p| std::fs::read(p).unwrap_or_default())
                        .collect(),
                ),
                GpgKeySource::Data(d) => (vec!["keyData".to_owned()], vec![d.clone()]),
                _ => (Vec::new(), Vec::new()),
            };
            let ids: Vec<String> = blobs.iter().flat_map(|b| key_identities(b)).collect();
            (keys, ids.join(", "))
        }
        PolicyRequirement::SigstoreSigned(s) => {
            let mut keys = Vec::new();
            keys.extend(s.key_path.clone());
            keys.extend(s.key_paths.clone().unwrap_or_default());
            if s.key_data.is_some() || s.key_datas.is_some() {
                keys.push("keyData".to_owned());
            }
            if let Some(f) = &s.fulcio {
                keys.push(format!("fulcio {} {}", f.oidc_issuer, f.subject_email));
            }
            if s.pki.is_some() {
                keys.push("pki".to_owned());
            }
            (keys, "N/A".to_owned())
        }
        _ => (Vec::new(), String::new()),
    }
}

/// The user IDs of the keys gpg would import from `blob`, reduced to the address between `<` and `>`
/// when there is one (what podman extracts from `gpg --with-colons`).
pub(crate) fn key_identities(blob: &[u8]) -> Vec<String> {
    use sequoia_openpgp::{cert::CertParser, parse::Parse};
    if Keyring::from_blobs([blob]).is_empty() {
        return Vec::new();
    }
    let mut out = Vec::new();
    let Ok(parser) = CertParser::from_bytes(blob) else {
        return out;
    };
    for cert in parser.flatten() {
        for uid in cert.userids() {
            let text = String::from_utf8_lossy(uid.userid().value()).into_owned();
            let id = match (text.find('<'), text.rfind('>')) {
                (Some(a), Some(b)) if a < b => text[a + 1..b].to_owned(),
                _ => text,
            };
            if !id.is_empty() {
                out.push(id);
            }
        }
    }
    out
}

/// podman's table (Go tabwriter: minimum width 12, padding 2; the last column unpadded), plus a
/// final KEYS column.
pub(crate) fn table(rows: &[Row], heading: bool) -> String {
    let mut lines: Vec<[String; 6]> = Vec::new();
    if heading {
        lines.push(["TRANSPORT", "NAME", "TYPE", "ID", "STORE", "KEYS"].map(str::to_owned));
    }
    for r in rows {
        lines.push([
            r.transport.clone(),
            r.repo_name.clone(),
            r.trust_type.clone(),
            r.gpg_id.clone(),
            r.signature_store.clone(),
            r.keys.join(", "),
        ]);
    }
    let mut widths = [0usize; 5];
    for l in &lines {
        for (w, cell) in widths.iter_mut().zip(l.iter()) {
            *w = (*w).max(cell.chars().count() + 2).max(12);
        }
    }
    let mut out = String::new();
    for l in &lines {
        for (i, cell) in l.iter().enumerate() {
            if i < 5 {
                out.push_str(cell);
                out.push_str(&" ".repeat(widths[i] - cell.chars().count()));
            } else {
                out.push_str(cell);
            }
        }
        out.push('\n');
    }
    out
}

// ---------------------------------------------------------------------------------------------------------
// set

fn set(args: &SetArgs) -> Result<(), String> {
    let path = policy_path_for_set(args.policy.as_deref())?;
    let existing = match std::fs::read(&path) {
        Ok(b) => Some(b),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(containers_policy::error::IoError::new("open", &path, e).to_string()),
    };
    let updated = set_in(existing.as_deref(), &path, args)?;
    write_atomically(&path, updated.as_bytes(), 0o644)
        .map_err(|e| format!("writing {}: {e}", path.display()))?;
    Ok(())
}

fn policy_path_for_set(given: Option<&Path>) -> Result<PathBuf, String> {
    if let Some(p) = given {
        return Ok(p.to_owned());
    }
    crate::paths::default_policy_path()
}

/// podman's `isValidImageURI`, which `podman image trust set` applies to its argument first.
fn podman_valid_scope(scope: &str) -> bool {
    // Host part of `http://<scope>`: up to the first `/`, `?` or `#`. Unlike podman, `*.domain`
    // wildcard scopes (containers/image 5.10+) are allowed.
    let rest = scope.strip_prefix("*.").unwrap_or(scope);
    let host_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let host = &rest[..host_end];
    let host_ok = {
        // ^[a-zA-Z0-9-_\.]+\/?:?[0-9]*[a-z0-9-\/:]*$ on the host (which contains no `/`).
        let name_len = host
            .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
            .unwrap_or(host.len());
        if name_len == 0 {
            false
        } else {
            let mut tail = &host[name_len..];
            tail = tail.strip_prefix(':').unwrap_or(tail);
            let digits = tail
                .find(|c: char| !c.is_ascii_digit())
                .unwrap_or(tail.len());
            tail[digits..].chars().all(|c| {
                c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '-' | '/' | ':')
            })
        }
    };
    let fragment = scope.split_once('#').map_or("", |(_, f)| f);
    host_ok
        && fragment.chars().all(|c| {
            c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '-' | ':' | '.' | '/')
        })
}

fn parse_signed_identity(s: &str) -> Result<containers_policy::SignedIdentity, String> {
    use containers_policy::SignedIdentity as S;
    let (kind, value) = s.split_once('=').unwrap_or((s, ""));
    let need_value = |what: &str| -> Result<(), String> {
        if value.is_empty() {
            Err(format!(
                "--signed-identity {kind} needs a value: {kind}={what}"
            ))
        } else {
            Ok(())
        }
    };
    let identity = match kind {
        "matchRepoDigestOrExact" => S::MatchRepoDigestOrExact,
        "matchExact" => S::MatchExact,
        "matchRepository" => S::MatchRepository,
        "exactReference" => {
            need_value("REFERENCE")?;
            S::exact_reference(value).map_err(|e| e.to_string())?
        }
        "exactRepository" => {
            need_value("REPOSITORY")?;
            S::exact_repository(value).map_err(|e| e.to_string())?
        }
        "remapIdentity" => {
            need_value("PREFIX,SIGNED_PREFIX")?;
            let Some((prefix, signed)) = value.split_once(',') else {
                return Err(
                    "--signed-identity remapIdentity needs remapIdentity=PREFIX,SIGNED_PREFIX"
                        .to_owned(),
                );
            };
            S::remap_identity(prefix, signed).map_err(|e| e.to_string())?
        }
        other => {
            return Err(format!(
                "unknown --signed-identity {other:?} (choose from matchRepoDigestOrExact, matchExact, matchRepository, exactReference=REF, exactRepository=REPO, remapIdentity=PREFIX,SIGNED_PREFIX)"
            ));
        }
    };
    if !value.is_empty()
        && matches!(
            kind,
            "matchRepoDigestOrExact" | "matchExact" | "matchRepository"
        )
    {
        return Err(format!("--signed-identity {kind} takes no value"));
    }
    Ok(identity)
}

/// The new requirement list as compact JSON, as podman builds it (one requirement per key file).
fn new_requirements(args: &SetArgs) -> Result<String, String> {
    let t = args.trust_type.as_str();
    let trust_type = match t {
        "accept" | "insecureAcceptAnything" => "insecureAcceptAnything",
        "reject" | "signedBy" | "sigstoreSigned" => t,
        _ => {
            return Err(format!(
                "invalid choice: {t} (choose from 'accept', 'reject', 'signedBy', 'sigstoreSigned')"
            ));
        }
    };
    let identity = args
        .signed_identity
        .as_deref()
        .map(parse_signed_identity)
        .transpose()?;
    let mut reqs: Vec<String> = Vec::new();
    match trust_type {
        "insecureAcceptAnything" | "reject" => {
            if !args.pubkeysfile.is_empty() {
                return Err(format!(
                    "{} public keys unexpectedly provided for trust type {t}",
                    args.pubkeysfile.len()
                ));
            }
            if identity.is_some() {
                return Err(format!(
                    "--signed-identity does not apply to trust type {t}"
                ));
            }
            reqs.push(format!("{{\"type\":\"{trust_type}\"}}"));
        }
        _ => {
            if args.pubkeysfile.is_empty() {
                return Err(format!(
                    "at least one public key must be defined for type '{trust_type}'"
                ));
            }
            for file in &args.pubkeysfile {
                let abs = absolute(file)?;
                check_key_file(&abs, trust_type)?;
                let abs = abs
                    .to_str()
                    .ok_or_else(|| format!("{}: key path is not valid UTF-8", abs.display()))?
                    .to_owned();
                let mut obj = format!("{{\"type\":\"{trust_type}\"");
                if trust_type == "signedBy" {
                    obj.push_str(",\"keyType\":\"GPGKeys\"");
                }
                obj.push_str(",\"keyPath\":");
                obj.push_str(&serde_json::to_string(&abs).map_err(|e| e.to_string())?);
                if let Some(id) = &identity {
                    obj.push_str(",\"signedIdentity\":");
                    obj.push_str(&identity_json(id).to_string());
                }
                obj.push('}');
                PolicyRequirement::from_json_slice(obj.as_bytes()).map_err(|e| e.to_string())?;
                reqs.push(obj);
            }
        }
    }
    Ok(format!("[{}]", reqs.join(",")))
}

fn identity_json(id: &containers_policy::SignedIdentity) -> serde_json::Value {
    use containers_policy::SignedIdentity as S;
    let mut m = serde_json::Map::new();
    m.insert("type".into(), id.type_name().into());
    match id {
        S::ExactReference { docker_reference } => {
            m.insert("dockerReference".into(), docker_reference.clone().into());
        }
        S::ExactRepository { docker_repository } => {
            m.insert("dockerRepository".into(), docker_repository.clone().into());
        }
        S::RemapIdentity {
            prefix,
            signed_prefix,
        } => {
            m.insert("prefix".into(), prefix.clone().into());
            m.insert("signedPrefix".into(), signed_prefix.clone().into());
        }
        _ => {}
    }
    serde_json::Value::Object(m)
}

fn absolute(p: &Path) -> Result<PathBuf, String> {
    if p.is_absolute() {
        return Ok(p.to_owned());
    }
    let cwd = std::env::current_dir().map_err(|e| format!("finding the working directory: {e}"))?;
    Ok(cwd.join(p))
}

fn check_key_file(path: &Path, trust_type: &str) -> Result<(), String> {
    let data = crate::paths::read_file(path)?;
    if trust_type == "signedBy" {
        if Keyring::from_blobs([data.as_slice()]).is_empty() {
            return Err(format!(
                "{}: holds no OpenPGP public key (export one with `gpg --export --armor KEY-ID`)",
                path.display()
            ));
        }
        if holds_secret_key(&data) {
            return Err(format!(
                "{}: holds a secret key; trust only its public part (`gpg --export --armor KEY-ID`) and keep the secret key off the nodes",
                path.display()
            ));
        }
    } else if !data.windows(26).any(|w| w == b"-----BEGIN PUBLIC KEY-----") {
        return Err(format!(
            "{}: holds no PEM public key (\"-----BEGIN PUBLIC KEY-----\"; cosign writes one with `cosign generate-key-pair`)",
            path.display()
        ));
    }
    Ok(())
}

/// Whether `blob` carries OpenPGP secret key material.
pub(crate) fn holds_secret_key(blob: &[u8]) -> bool {
    use sequoia_openpgp::{cert::CertParser, parse::Parse};
    CertParser::from_bytes(blob)
        .map(|p| p.flatten().any(|c| c.is_tsk()))
        .unwrap_or(false)
}

/// The top level of a policy.json, with requirement lists kept as written.
#[derive(serde::Deserialize)]
struct RawPolicy<'a> {
    #[serde(borrow)]
    default: Option<&'a serde_json::value::RawValue>,
    #[serde(borrow, default)]
    transports: Option<BTreeMap<String, Option<BTreeMap<String, &'a serde_json::value::RawValue>>>>,
}

/// Applies `trust set` to the bytes of an existing policy (or none) and returns the new file content.
fn set_in(existing: Option<&[u8]>, path: &Path, args: &SetArgs) -> Result<String, String> {
    if !podman_valid_scope(&args.scope) {
        return Err(format!("invalid image uri: {}", args.scope));
    }
    let new = new_requirements(args)?;
    let mut default: Option<String> = None;
    let mut transports: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    if let Some(bytes) = existing {
        // Strict first: never rewrite a file containers/image refuses, never drop what we do not know.
        Policy::from_slice(bytes).map_err(|e| {
            format!(
                "{e} (in {}; fix it, e.g. with `containers-policy lint`, before editing it)",
                path.display()
            )
        })?;
        let text = std::str::from_utf8(bytes)
            .map_err(|e| format!("{}: not UTF-8: {e}", path.display()))?;
        let raw: RawPolicy<'_> =
            serde_json::from_str(text).map_err(|e| format!("{}: {e}", path.display()))?;
        default = raw.default.map(|r| r.get().to_owned());
        for (t, scopes) in raw.transports.unwrap_or_default() {
            let scopes: BTreeMap<String, String> = scopes
                .unwrap_or_default()
                .into_iter()
                .map(|(s, r)| (s, r.get().to_owned()))
                .collect();
            transports.insert(t, scopes);
        }
    }
    if args.scope == "default" {
        default = Some(new);
    } else {
        if default.is_none() {
            return Err(
                "default trust policy must be set (run `trust set --type … default` first)"
                    .to_owned(),
            );
        }
        let transport = transports
            .iter()
            .find(|(_, scopes)| scopes.contains_key(&args.scope))
            .map(|(t, _)| t.clone())
            .unwrap_or_else(|| "docker".to_owned());
        if !args.scope.is_empty() {
            containers_policy::transports::validate_scope(&transport, &args.scope).map_err(
                |e| {
                    format!(
                        "invalid scope {:?} for transport {transport}: {e}",
                        args.scope
                    )
                },
            )?;
        }
        transports
            .entry(transport)
            .or_default()
            .insert(args.scope.clone(), new);
    }
    let mut compact = String::from("{\"default\":");
    compact.push_str(default.as_deref().unwrap_or("null"));
    // Go's `omitempty` drops an empty transports map.
    if !transports.is_empty() {
        compact.push_str(",\"transports\":{");
        for (i, (t, scopes)) in transports.iter().enumerate() {
            if i > 0 {
                compact.push(',');
            }
            compact.push_str(&serde_json::to_string(t).map_err(|e| e.to_string())?);
            compact.push_str(":{");
            for (j, (s, reqs)) in scopes.iter().enumerate() {
                if j > 0 {
                    compact.push(',');
                }
                compact.push_str(&serde_json::to_string(s).map_err(|e| e.to_string())?);
                compact.push(':');
                compact.push_str(reqs);
            }
            compact.push('}');
        }
        compact.push('}');
    }
    compact.push('}');
    let out = go_indent(&compact, "    ");
    Policy::from_slice(out.as_bytes())
        .map_err(|e| format!("the edited policy would be invalid, not writing it: {e}"))?;
    Ok(out)
}

/// Go's `json.MarshalIndent` rendering of (possibly already formatted) JSON text: whitespace
/// dropped and re-added, empty `{}`/`[]` kept compact, `<`, `>`, `&`, U+2028 and U+2029 inside strings
/// escaped as `\u003c`…, everything else byte for byte.
pub(crate) fn go_indent(src: &str, indent: &str) -> String {
    let mut out = String::with_capacity(src.len() * 2);
    let mut depth = 0usize;
    let mut chars = src.chars().peekable();
    let newline = |out: &mut String, depth: usize| {
        out.push('\n');
        for _ in 0..depth {
            out.push_str(indent);
        }
    };
    while let Some(c) = chars.next() {
        match c {
            ' ' | '\t' | '\n' | '\r' => {}
            '{' | '[' => {
                out.push(c);
                // Skip whitespace to see whether the container is empty.
                while chars.peek().is_some_and(|c| c.is_ascii_whitespace()) {
                    chars.next();
                }
                let close = if c == '{' { '}' } else { ']' };
                if chars.peek() == Some(&close) {
                    chars.next();
                    out.push(close);
                } else {
                    depth += 1;
                    newline(&mut out, depth);
                }
            }
            '}' | ']' => {
                depth = depth.saturating_sub(1);
                newline(&mut out, depth);
                out.push(c);
            }
            ',' => {
                out.push(',');
                newline(&mut out, depth);
            }
            ':' => out.push_str(": "),
            '"' => {
                out.push('"');
                while let Some(c) = chars.next() {
                    match c {
                        '\\' => {
                            out.push('\\');
                            if let Some(n) = chars.next() {
                                out.push(n);
                            }
                        }
                        '"' => {
                            out.push('"');
                            break;
                        }
                        other => push_go_escaped(&mut out, other),
                    }
                }
            }
            other => out.push(other),
        }
    }
    out
}

fn push_go_escaped(out: &mut String, c: char) {
    match c {
        '<' => out.push_str("\\u003c"),
        '>' => out.push_str("\\u003e"),
        '&' => out.push_str("\\u0026"),
        '\u{2028}' => out.push_str("\\u2028"),
        '\u{2029}' => out.push_str("\\u2029"),
        other => out.push(other),
    }
}

/// Go's `json.Marshal` HTML escaping applied to serde_json output (for `--json`, as podman prints it).
fn go_html_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut in_string = false;
    let mut escaped = false;
    for c in s.chars() {
        if in_string {
            if escaped {
                escaped = false;
                out.push(c);
                continue;
            }
            match c {
                '\\' => {
                    escaped = true;
                    out.push(c);
                }
                '"' => {
                    in_string = false;
                    out.push(c);
                }
                other => push_go_escaped(&mut out, other),
            }
        } else {
            if c == '"' {
                in_string = true;
            }
            out.push(c);
        }
    }
    out
}

/// Writes `data` to `path` atomically: a temporary file in the same directory, fsynced, given the
/// existing file's permissions (or `mode`), renamed over `path`, and the directory fsynced.
pub(crate) fn write_atomically(path: &Path, data: &[u8], mode: u32) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt as _;
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_owned(),
        _ => PathBuf::from("."),
    };
    let permissions = match std::fs::metadata(path) {
        Ok(m) => m.permissions(),
        Err(_) => std::fs::Permissions::from_mode(mode),
    };
    let mut tmp = tempfile::Builder::new()
        .prefix(".containers-policy-")
        .tempfile_in(&dir)?;
    tmp.write_all(data)?;
    tmp.as_file().set_permissions(permissions)?;
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    if let Ok(d) = std::fs::File::open(&dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn indent_like_go() {
        assert_eq!(
            go_indent(r#"{"a":[],"b":{ },"c":[{"d":"<x>&"}],"e":1.5e3}"#, "  "),
            "{\n  \"a\": [],\n  \"b\": {},\n  \"c\": [\n    {\n      \"d\": \"\\u003cx\\u003e\\u0026\"\n    }\n  ],\n  \"e\": 1.5e3\n}"
        );
        assert_eq!(go_indent(r#""a\"b""#, "  "), r#""a\"b""#);
    }

    #[test]
    fn podman_scope_check() {
        for ok in [
            "default",
            "quay.io",
            "quay.io/a/b",
            "localhost:5000/x",
            "docker.io/library/busybox",
            "*.example.com",
        ] {
            assert!(podman_valid_scope(ok), "{ok}");
        }
        assert!(!podman_valid_scope("quay.io:5000X"));
        assert!(!podman_valid_scope("a b"));
        assert!(!podman_valid_scope(""));
    }
}
