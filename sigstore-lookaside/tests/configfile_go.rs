//! The configuration search of containers/image v5.42 (go.podman.io/storage v1.65.0 `pkg/configfile`,
//! as `docker.loadRegistryConfiguration` and `signature.DefaultPolicy` configure it), replayed: every
//! scenario of `tests/configfile-go/scenarios.txt` is built under a temporary directory and must give
//! the search paths, the files read (in order) and the error that `tests/configfile-go/main.go`
//! recorded in `expected.jsonl` against the real Go package (`tests/configfile-go/record.sh`).

#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};

use serde_json::{Value, json};
use sigstore_lookaside::{
    Environment, RegistriesD,
    configfile::{self, ConfigFile},
};

const SCENARIOS: &str = include_str!("configfile-go/scenarios.txt");
const RECORDING: &str = include_str!("configfile-go/expected.jsonl");

#[derive(Default)]
struct Scenario {
    name: String,
    uid: i64,
    xdg: Option<String>,
    custom: Option<String>,
    policy_env: Option<String>,
    paths_only: bool,
    operations: Vec<Vec<String>>,
}

fn parse_scenarios() -> Vec<Scenario> {
    let mut out: Vec<Scenario> = Vec::new();
    for line in SCENARIOS.lines().map(str::trim) {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let fields: Vec<String> = line.split_whitespace().map(str::to_owned).collect();
        if fields[0] == "scenario" {
            out.push(Scenario {
                name: fields[1].clone(),
                uid: 1000,
                ..Scenario::default()
            });
            continue;
        }
        let cur = out.last_mut().expect("a scenario line first");
        match fields[0].as_str() {
            "uid" => cur.uid = fields[1].parse().unwrap(),
            "xdg" => cur.xdg = Some(fields.get(1).cloned().unwrap_or_default()),
            "custom" => cur.custom = Some(fields[1].clone()),
            "policy-env" => cur.policy_env = Some(fields[1].clone()),
            "paths-only" => cur.paths_only = true,
            "file" | "dir" | "symlink" | "chmod" => cur.operations.push(fields),
            other => panic!("unknown line {other:?}"),
        }
    }
    out
}

/// `$T/…` → under `t`; anything else verbatim.
fn t_path(t: &Path, p: &str) -> PathBuf {
    match p.strip_prefix("$T") {
        Some(rest) => PathBuf::from(format!("{}{rest}", t.display())),
        None => PathBuf::from(p),
    }
}

fn build(t: &Path, sc: &Scenario) {
    use std::os::unix::fs::PermissionsExt;
    for op in &sc.operations {
        let p = t.join(&op[1]);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        match op[0].as_str() {
            "file" => std::fs::write(&p, b"").unwrap(),
            "dir" => std::fs::create_dir_all(&p).unwrap(),
            "symlink" => std::os::unix::fs::symlink(t_path(t, &op[2]), &p).unwrap(),
            "chmod" => std::fs::set_permissions(
                &p,
                std::fs::Permissions::from_mode(u32::from_str_radix(&op[2], 8).unwrap()),
            )
            .unwrap(),
            _ => unreachable!(),
        }
    }
}

fn env_for(t: &Path, sc: &Scenario) -> Environment {
    let mut env = Environment::with_home(t.join("home"), u32::try_from(sc.uid).unwrap_or(u32::MAX))
        .with_root_for_implicit_absolute_paths(t.join("root"));
    env.rootless_uid = sc.uid;
    match sc.xdg.as_deref() {
        Some("") => env.xdg_config_home_empty = true,
        Some(x) => env.xdg_config_home = Some(t_path(t, x)),
        None => {}
    }
    env.containers_policy_json = sc.policy_env.as_deref().map(|p| t_path(t, p));
    env
}

fn strings(paths: &[PathBuf]) -> Value {
    Value::from(
        paths
            .iter()
            .map(|p| p.display().to_string())
            .collect::<Vec<_>>(),
    )
}

/// One configuration's record, as main.go writes it.
fn result(conf: &ConfigFile, env: &Environment, paths_only: bool) -> Value {
    let paths = match conf.search_paths(env) {
        Ok(p) => p,
        Err(e) => return json!({"dirs": null, "main": null, "files": null, "error": e.to_string()}),
    };
    let mut out = json!({
        "dirs": strings(&paths.drop_in_directories),
        "main": strings(&paths.main_files),
    });
    let mut files = Vec::new();
    if !paths_only {
        for item in conf.read(env) {
            match item {
                Ok(mut item) => {
                    files.push(item.path.clone());
                    let mut sink = Vec::new();
                    if let Err(e) = std::io::Read::read_to_end(&mut item.file, &mut sink) {
                        out["error"] = Value::from(
                            containers_policy::error::IoError::new("read", &item.path, e)
                                .to_string(),
                        );
                        break;
                    }
                }
                Err(e) => {
                    out["error"] = Value::from(e.to_string());
                    break;
                }
            }
        }
    }
    out["files"] = strings(&files);
    out
}

#[test]
fn configfile_search_matches_go() {
    let scenarios = parse_scenarios();
    let recorded: Vec<Value> = RECORDING
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(scenarios.len(), recorded.len(), "re-run record.sh");
    let mut failures = Vec::new();
    for (sc, want) in scenarios.iter().zip(&recorded) {
        assert_eq!(want["scenario"], sc.name.as_str(), "re-run record.sh");
        let tmp = tempfile::tempdir().unwrap();
        let t = tmp.path();
        build(t, sc);
        let env = env_for(t, sc);
        let custom = sc.custom.as_deref().map(|c| t_path(t, c));
        let got = json!({
            "scenario": sc.name,
            "registries": result(&ConfigFile::registries_d(custom.as_deref()), &env, sc.paths_only),
            "policy": result(&ConfigFile::policy_json(&env), &env, sc.paths_only),
        });
        let got: Value =
            serde_json::from_str(&got.to_string().replace(&t.display().to_string(), "$T")).unwrap();
        if &got != want {
            failures.push(format!("{}:\n  got  {got}\n  want {want}", sc.name));
            continue;
        }
        if sc.paths_only {
            continue;
        }
        // The public entry points agree with the raw search.
        let unt = |s: String| s.replace(&t.display().to_string(), "$T");
        let reg = &want["registries"];
        match RegistriesD::load(&env, custom.as_deref()) {
            Ok(_) => assert!(reg.get("error").is_none(), "{}: loaded", sc.name),
            Err(e) => assert_eq!(unt(e.to_string()), reg["error"], "{}", sc.name),
        }
        if let Some(c) = &custom {
            match RegistriesD::load_dir(c) {
                Ok(_) => assert!(reg.get("error").is_none(), "{}: loaded", sc.name),
                Err(e) => assert_eq!(unt(e.to_string()), reg["error"], "{}", sc.name),
            }
        }
        let pol = &want["policy"];
        match configfile::default_policy_path(&env) {
            Ok(p) => assert_eq!(unt(p.display().to_string()), pol["files"][0], "{}", sc.name),
            Err(e) => assert_eq!(unt(e.to_string()), pol["error"], "{}", sc.name),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
