//! `machineconfig`: OpenShift MachineConfig objects (`machineconfiguration.openshift.io/v1`) that install
//! a policy.json, its registries.d files and every key file the policy names, one object per node role.
//!
//! The files are embedded as `data:text/plain;charset=utf-8;base64,…` sources with mode 420 (0644), as
//! OpenShift's "Enabling signature verification" procedure does by hand. Ignition spec 3.2.0 (OpenShift
//! 4.6 and later) is the default; 2.2.0 writes the older layout (`filesystem: root`, `verification: {}`).
//! The output is parsed back before it is written or printed: it must be YAML whose files decode to the
//! exact input bytes and that names every key path the policy uses.

use std::{
    collections::BTreeMap,
    path::{Path, PathBuf},
    process::ExitCode,
};

use base64::Engine as _;
use clap::{Args, ValueEnum};
use containers_policy::{Policy, PolicyRequirement, config::GpgKeySource};

/// Ignition spec version of the generated config.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum Ignition {
    /// Ignition 2.2.0 (OpenShift 4.1–4.5).
    #[value(name = "2.2.0")]
    V2_2,
    /// Ignition 3.2.0 (OpenShift 4.6 and later).
    #[value(name = "3.2.0")]
    V3_2,
}

#[derive(Args)]
pub(crate) struct MachineConfigArgs {
    /// The policy.json to install as /etc/containers/policy.json.
    #[arg(long)]
    policy: PathBuf,
    /// registries.d directory whose `*.yaml` files are installed in /etc/containers/registries.d.
    #[arg(long = "registries.d", value_name = "DIR")]
    registries_d: Option<PathBuf>,
    /// Node role (MachineConfigPool) to generate for; repeat for several (default: worker and master).
    #[arg(long = "role", value_name = "ROLE")]
    roles: Vec<String>,
    /// Object name; a leading `NN-` is kept in front and the role inserted after it
    /// (`51-registry-trust` → `51-worker-registry-trust`), otherwise `-ROLE` is appended.
    #[arg(long, default_value = "51-registry-trust")]
    name: String,
    /// Ignition spec version.
    #[arg(long, value_enum, default_value = "3.2.0")]
    ignition: Ignition,
    /// Read the key files the policy names under this directory (`--root staging` reads
    /// `staging/etc/pki/key.gpg` for keyPath `/etc/pki/key.gpg`); default: at the paths themselves.
    #[arg(long, value_name = "DIR")]
    root: Option<PathBuf>,
    /// Write one file per role, `DIR/<name>.yaml`, instead of a multi-document stream on stdout.
    #[arg(long, value_name = "DIR")]
    output: Option<PathBuf>,
}

/// One file to install.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct NodeFile {
    pub(crate) path: String,
    pub(crate) contents: Vec<u8>,
}

pub(crate) fn run(args: MachineConfigArgs) -> ExitCode {
    match generate(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("Error: {e}");
            ExitCode::from(1)
        }
    }
}

fn generate(args: &MachineConfigArgs) -> Result<(), String> {
    let files = collect_files(
        &args.policy,
        args.registries_d.as_deref(),
        args.root.as_deref(),
    )?;
    let roles: Vec<String> = if args.roles.is_empty() {
        vec!["worker".to_owned(), "master".to_owned()]
    } else {
        args.roles.clone()
    };
    let mut documents = Vec::new();
    for role in &roles {
        if role.is_empty()
            || !role
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        {
            return Err(format!(
                "role {role:?}: a MachineConfigPool role is lower-case letters, digits and '-'"
            ));
        }
        let name = object_name(&args.name, role);
        let yaml = render(&name, role, args.ignition, &files);
        verify(&yaml, &name, role, &files)?;
        documents.push((name, yaml));
    }
    match &args.output {
        None => {
            let stream: Vec<&str> = documents.iter().map(|(_, y)| y.as_str()).collect();
            print!("{}", stream.join("---\n"));
        }
        Some(dir) => {
            std::fs::create_dir_all(dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;
            for (name, yaml) in &documents {
                let path = dir.join(format!("{name}.yaml"));
                crate::trust::write_atomically(&path, yaml.as_bytes(), 0o644)
                    .map_err(|e| format!("writing {}: {e}", path.display()))?;
                println!("{}", path.display());
            }
        }
    }
    Ok(())
}

fn object_name(base: &str, role: &str) -> String {
    match base.split_once('-') {
        Some((prefix, rest))
            if !prefix.is_empty() && prefix.chars().all(|c| c.is_ascii_digit()) =>
        {
            format!("{prefix}-{role}-{rest}")
        }
        _ => format!("{base}-{role}"),
    }
}

/// Every absolute path a policy makes containers/image read: `keyPath`/`keyPaths` of `signedBy` and
/// `sigstoreSigned`, Rekor keys, Fulcio and PKI CA files, in the default and in every transport scope.
pub(crate) fn key_paths(policy: &Policy) -> Vec<String> {
    let mut out = Vec::new();
    let lists = std::iter::once(&policy.default).chain(
        policy
            .transports
            .values()
            .flat_map(|scopes| scopes.values()),
    );
    for reqs in lists {
        for r in reqs {
            match r {
                PolicyRequirement::SignedBy(sb) => match &sb.keys {
                    GpgKeySource::Path(p) => out.push(p.clone()),
                    GpgKeySource::Paths(ps) => out.extend(ps.iter().cloned()),
                    _ => {}
                },
                PolicyRequirement::SigstoreSigned(s) => {
                    out.extend(s.key_path.iter().cloned());
                    out.extend(s.key_paths.iter().flatten().cloned());
                    out.extend(s.rekor_public_key_path.iter().cloned());
                    out.extend(s.rekor_public_key_paths.iter().flatten().cloned());
                    if let Some(f) = &s.fulcio {
                        out.extend(f.ca_path.iter().cloned());
                    }
                    if let Some(p) = &s.pki {
                        out.extend(p.ca_roots_path.iter().cloned());
                        out.extend(p.ca_intermediates_path.iter().cloned());
                    }
                }
                _ => {}
            }
        }
    }
    out.sort();
    out.dedup();
    out
}

/// The files to install: policy.json, the registries.d `*.yaml` files, and the key files.
pub(crate) fn collect_files(
    policy_path: &Path,
    registries_d: Option<&Path>,
    root: Option<&Path>,
) -> Result<Vec<NodeFile>, String> {
    let policy_bytes = crate::paths::read_file(policy_path)?;
    let policy = Policy::from_slice(&policy_bytes).map_err(|e| {
        format!(
            "{}: {e} (nodes would refuse every image; fix it first, see `containers-policy lint`)",
            policy_path.display()
        )
    })?;
    let mut files = vec![NodeFile {
        path: "/etc/containers/policy.json".to_owned(),
        contents: policy_bytes,
    }];
    if let Some(dir) = registries_d {
        sigstore_lookaside::RegistriesD::load_dir(dir).map_err(|e| e.to_string())?;
        let mut yaml: BTreeMap<String, Vec<u8>> = BTreeMap::new();
        let entries =
            std::fs::read_dir(dir).map_err(|e| format!("reading {}: {e}", dir.display()))?;
        for entry in entries {
            let entry = entry.map_err(|e| format!("reading {}: {e}", dir.display()))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if !name.ends_with(".yaml") || !entry.path().is_file() {
                continue;
            }
            yaml.insert(name, crate::paths::read_file(&entry.path())?);
        }
        for (name, contents) in yaml {
            files.push(NodeFile {
                path: format!("/etc/containers/registries.d/{name}"),
                contents,
            });
        }
    }
    for path in key_paths(&policy) {
        if !path.starts_with('/') {
            return Err(format!(
                "key path {path:?} is relative: nodes resolve it against the working directory of each container engine; use an absolute path in the policy"
            ));
        }
        let source = match root {
            Some(r) => r.join(path.trim_start_matches('/')),
            None => PathBuf::from(&path),
        };
        let contents = crate::paths::read_file(&source)
            .map_err(|e| format!("{e} (key file named in the policy; use --root DIR to read key files from a staging directory)"))?;
        files.push(NodeFile { path, contents });
    }
    Ok(files)
}

fn yaml_quote(s: &str) -> String {
    // JSON strings are valid YAML double-quoted scalars.
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".to_owned())
}

/// The MachineConfig YAML for one role.
pub(crate) fn render(name: &str, role: &str, ignition: Ignition, files: &[NodeFile]) -> String {
    let mut y = String::new();
    y.push_str("apiVersion: machineconfiguration.openshift.io/v1\n");
    y.push_str("kind: MachineConfig\n");
    y.push_str("metadata:\n  labels:\n");
    y.push_str(&format!(
        "    machineconfiguration.openshift.io/role: {}\n",
        yaml_quote(role)
    ));
    y.push_str(&format!("  name: {}\n", yaml_quote(name)));
    y.push_str("spec:\n  config:\n    ignition:\n");
    match ignition {
        Ignition::V2_2 => {
            y.push_str("      config: {}\n      security:\n        tls: {}\n      timeouts: {}\n      version: 2.2.0\n");
            y.push_str("    networkd: {}\n    passwd: {}\n");
        }
        Ignition::V3_2 => y.push_str("      version: 3.2.0\n"),
    }
    y.push_str("    storage:\n      files:\n");
    let engine = base64::engine::general_purpose::STANDARD;
    for f in files {
        y.push_str("      - contents:\n");
        y.push_str(&format!(
            "          source: data:text/plain;charset=utf-8;base64,{}\n",
            engine.encode(&f.contents)
        ));
        match ignition {
            Ignition::V2_2 => {
                y.push_str("          verification: {}\n        filesystem: root\n");
                y.push_str("        mode: 420\n");
            }
            Ignition::V3_2 => y.push_str("        mode: 420\n        overwrite: true\n"),
        }
        y.push_str(&format!("        path: {}\n", yaml_quote(&f.path)));
    }
    if ignition == Ignition::V2_2 {
        y.push_str("  osImageURL: \"\"\n");
    }
    y
}

/// Parses `yaml` back and checks it installs exactly `files` under the expected name and role.
pub(crate) fn verify(yaml: &str, name: &str, role: &str, files: &[NodeFile]) -> Result<(), String> {
    let fail = |what: String| format!("internal error: generated MachineConfig {name}: {what}");
    let doc: serde_yaml::Value = serde_yaml::from_str(yaml).map_err(|e| fail(e.to_string()))?;
    let got = decode_files(&doc).map_err(fail)?;
    let meta = &doc["metadata"];
    if meta["name"].as_str() != Some(name)
        || meta["labels"]["machineconfiguration.openshift.io/role"].as_str() != Some(role)
    {
        return Err(fail("name or role label differ".to_owned()));
    }
    if got != files {
        return Err(fail("files differ after decoding".to_owned()));
    }
    Ok(())
}

/// The files of a parsed MachineConfig (`spec.config.storage.files`), decoded from their data URLs.
pub(crate) fn decode_files(doc: &serde_yaml::Value) -> Result<Vec<NodeFile>, String> {
    let entries = doc["spec"]["config"]["storage"]["files"]
        .as_sequence()
        .ok_or("no spec.config.storage.files")?;
    let engine = base64::engine::general_purpose::STANDARD;
    let mut out = Vec::new();
    for e in entries {
        let path = e["path"].as_str().ok_or("a file without path")?;
        let source = e["contents"]["source"]
            .as_str()
            .ok_or("a file without contents.source")?;
        let data = source
            .strip_prefix("data:text/plain;charset=utf-8;base64,")
            .ok_or("a source that is not a base64 data URL")?;
        let contents = engine
            .decode(data)
            .map_err(|e| format!("{path}: bad base64: {e}"))?;
        if e["mode"].as_u64() != Some(420) {
            return Err(format!("{path}: mode is not 420"));
        }
        out.push(NodeFile {
            path: path.to_owned(),
            contents,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(
            object_name("51-registry-trust", "worker"),
            "51-worker-registry-trust"
        );
        assert_eq!(object_name("trust", "master"), "trust-master");
    }

    #[test]
    fn render_and_verify_both_versions() {
        let files = vec![
            NodeFile {
                path: "/etc/containers/policy.json".into(),
                contents: b"{\"default\":[{\"type\":\"reject\"}]}".to_vec(),
            },
            NodeFile {
                path: "/etc/pki/k.gpg".into(),
                contents: vec![0, 1, 2, 255],
            },
        ];
        for v in [Ignition::V2_2, Ignition::V3_2] {
            let y = render("51-worker-x", "worker", v, &files);
            verify(&y, "51-worker-x", "worker", &files).unwrap();
            assert!(verify(&y, "51-worker-x", "master", &files).is_err());
        }
    }
}
