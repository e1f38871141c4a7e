//! Registry credentials from containers `auth.json` and docker `config.json` / `.dockercfg` files, in
//! containers/image's lookup order (`pkg/docker/config`).

use std::{
    collections::BTreeMap,
    path::{Path, PathBuf},
};

use base64::Engine as _;
use serde::Deserialize;

use crate::{Environment, Error, Result};

/// A user name and password for a registry.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Credentials {
    /// The user name.
    pub username: String,
    /// The password (never printed by `Debug`).
    pub password: String,
}

impl Credentials {
    /// Credentials from a user name and password.
    pub fn new(username: impl Into<String>, password: impl Into<String>) -> Self {
        Credentials {
            username: username.into(),
            password: password.into(),
        }
    }
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("username", &self.username)
            .field("password", &"<redacted>")
            .finish()
    }
}

/// One file to look in, and whether it is docker's legacy `.dockercfg` format (no `auths` wrapper).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct AuthFile {
    /// The file.
    pub path: PathBuf,
    /// `true` for `~/.dockercfg` (`{"<host>": {"auth": …}}`).
    pub legacy_format: bool,
}

/// The files searched for credentials, most preferred first: `explicit` (else `$REGISTRY_AUTH_FILE`),
/// else `$XDG_RUNTIME_DIR/containers/auth.json` (or `/run/containers/<uid>/auth.json`); then
/// `$XDG_CONFIG_HOME/containers/auth.json` (or `$HOME/.config/containers/auth.json`),
/// `$DOCKER_CONFIG/config.json` (or `$HOME/.docker/config.json`) and `$HOME/.dockercfg`.
pub fn auth_file_paths(explicit: Option<&Path>, env: &Environment) -> Vec<AuthFile> {
    let file = |path: PathBuf| AuthFile {
        path,
        legacy_format: false,
    };
    let mut out = Vec::new();
    match explicit.or(env.registry_auth_file.as_deref()) {
        Some(p) => out.push(file(p.to_path_buf())),
        None => match &env.xdg_runtime_dir {
            Some(dir) => out.push(file(dir.join("containers/auth.json"))),
            None => out.push(file(PathBuf::from(format!(
                "/run/containers/{}/auth.json",
                env.uid
            )))),
        },
    }
    if let Some(dir) = &env.xdg_config_home {
        out.push(file(dir.join("containers/auth.json")));
    } else if let Some(home) = &env.home {
        out.push(file(home.join(".config/containers/auth.json")));
    }
    if let Some(dir) = &env.docker_config {
        out.push(file(dir.join("config.json")));
    } else if let Some(home) = &env.home {
        out.push(file(home.join(".docker/config.json")));
    }
    if let Some(home) = &env.home {
        out.push(AuthFile {
            path: home.join(".dockercfg"),
            legacy_format: true,
        });
    }
    out
}

#[derive(Deserialize, Default)]
struct Entry {
    #[serde(default)]
    auth: String,
    #[serde(default, rename = "identitytoken")]
    identity_token: String,
}

#[derive(Deserialize, Default)]
struct ConfigFile {
    #[serde(default)]
    auths: BTreeMap<String, Entry>,
    #[serde(default, rename = "credHelpers")]
    cred_helpers: BTreeMap<String, String>,
    #[serde(default, rename = "credsStore")]
    creds_store: String,
}

/// Finds credentials for `key` (`<host>` or `<host>/<repo path>`) of `registry` in `files`, in order: in
/// each file the most specific `auths` key first (`host/ns/repo`, `host/ns`, `host`), then keys written as
/// URLs (`https://host/v1/`). `Ok(None)` when no file has any. A file that exists but is not valid JSON
/// fails with `reading JSON file "<path>": <err>`; a credential helper configured for `registry` fails, as
/// helpers are not supported.
pub fn find_credentials(
    files: &[AuthFile],
    key: &str,
    registry: &str,
) -> Result<Option<Credentials>> {
    for file in files {
        let data = match std::fs::read(&file.path) {
            Ok(d) => d,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => {
                return Err(Error::Auth(format!(
                    "reading JSON file {}: {}",
                    quote_path(&file.path),
                    containers_policy::error::IoError::new("open", &file.path, e)
                )));
            }
        };
        let config: ConfigFile = if file.legacy_format {
            serde_json::from_slice::<BTreeMap<String, Entry>>(&data).map(|auths| ConfigFile {
                auths,
                ..ConfigFile::default()
            })
        } else {
            serde_json::from_slice(&data)
        }
        .map_err(|e| Error::Auth(format!("reading JSON file {}: {e}", quote_path(&file.path))))?;
        if let Some(helper) = config.cred_helpers.get(registry) {
            return Err(Error::Auth(format!(
                "credential helper {helper:?} configured for {registry} in {} is not supported; \
                 use an auth.json entry with \"auth\" instead",
                quote_path(&file.path)
            )));
        }
        let found = lookup_keys(key, registry)
            .iter()
            .find_map(|k| config.auths.get(k.as_str()))
            .or_else(|| {
                config
                    .auths
                    .iter()
                    .find(|(k, _)| normalize_url_key(k).as_deref() == Some(registry))
                    .map(|(_, v)| v)
            });
        let Some(entry) = found else { continue };
        if !entry.identity_token.is_empty() {
            return Err(Error::Auth(format!(
                "identity tokens (entry for {registry} in {}) are not supported",
                quote_path(&file.path)
            )));
        }
        if entry.auth.is_empty() {
            if !config.creds_store.is_empty() {
                return Err(Error::Auth(format!(
                    "credential store {:?} configured in {} is not supported; use an auth.json entry \
                     with \"auth\" instead",
                    config.creds_store,
                    quote_path(&file.path)
                )));
            }
            continue;
        }
        return decode_auth(&entry.auth)
            .map(Some)
            .map_err(|e| Error::Auth(format!("{e} (in {})", quote_path(&file.path))));
    }
    Ok(None)
}

fn quote_path(p: &Path) -> String {
    containers_policy::error::go_quote(&p.display().to_string())
}

/// `host/a/b/repo` → [`host/a/b/repo`, `host/a/b`, `host/a`, `host`].
fn lookup_keys(key: &str, registry: &str) -> Vec<String> {
    let mut out = vec![key.to_string()];
    let mut current = key;
    while current != registry {
        match current.rsplit_once('/') {
            Some((parent, _)) => {
                out.push(parent.to_string());
                current = parent;
            }
            None => break,
        }
    }
    out
}

/// `https://index.docker.io/v1/` → `docker.io`; `http://host:5000/x` → `host:5000`; keys without a
/// scheme are not URL keys.
fn normalize_url_key(key: &str) -> Option<String> {
    let rest = key
        .strip_prefix("http://")
        .or_else(|| key.strip_prefix("https://"))?;
    let host = rest.split('/').next().unwrap_or(rest);
    Some(match host {
        "index.docker.io" | "registry-1.docker.io" => "docker.io".to_string(),
        h => h.to_string(),
    })
}

/// Decodes an `auth` value: base64 of `user:password`.
fn decode_auth(auth: &str) -> Result<Credentials> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(auth.trim())
        .map_err(|e| Error::Auth(format!("decoding \"auth\" credentials: {e}")))?;
    let text = String::from_utf8(bytes)
        .map_err(|_| Error::Auth("decoding \"auth\" credentials: not UTF-8".into()))?;
    match text.split_once(':') {
        Some((user, password)) => Ok(Credentials::new(user, password)),
        None => Err(Error::Auth(
            "decoding \"auth\" credentials: no \":\" between user name and password".into(),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b64(s: &str) -> String {
        base64::engine::general_purpose::STANDARD.encode(s)
    }

    #[test]
    fn keys_most_specific_first() {
        assert_eq!(
            lookup_keys("h:5000/a/b/c", "h:5000"),
            ["h:5000/a/b/c", "h:5000/a/b", "h:5000/a", "h:5000"]
        );
        assert_eq!(lookup_keys("h", "h"), ["h"]);
    }

    #[test]
    fn order_specificity_and_legacy_keys() {
        let dir = tempfile::tempdir().unwrap();
        let first = dir.path().join("auth.json");
        let second = dir.path().join("config.json");
        std::fs::write(
            &first,
            format!(
                r#"{{"auths":{{"reg.example/ns":{{"auth":"{}"}},"reg.example":{{"auth":"{}"}}}}}}"#,
                b64("ns:pw"),
                b64("host:pw")
            ),
        )
        .unwrap();
        std::fs::write(
            &second,
            format!(
                r#"{{"auths":{{"https://index.docker.io/v1/":{{"auth":"{}"}}}}}}"#,
                b64("hub:pw")
            ),
        )
        .unwrap();
        let files = [
            AuthFile {
                path: dir.path().join("missing.json"),
                legacy_format: false,
            },
            AuthFile {
                path: first,
                legacy_format: false,
            },
            AuthFile {
                path: second,
                legacy_format: false,
            },
        ];
        let user = |key: &str, reg: &str| {
            find_credentials(&files, key, reg)
                .unwrap()
                .map(|c| c.username)
        };
        assert_eq!(
            user("reg.example/ns/repo", "reg.example").as_deref(),
            Some("ns")
        );
        assert_eq!(
            user("reg.example/other/repo", "reg.example").as_deref(),
            Some("host")
        );
        assert_eq!(
            user("docker.io/library/busybox", "docker.io").as_deref(),
            Some("hub")
        );
        assert_eq!(user("elsewhere/x", "elsewhere"), None);
    }

    #[test]
    fn malformed_and_unsupported() {
        let dir = tempfile::tempdir().unwrap();
        let bad = dir.path().join("auth.json");
        std::fs::write(&bad, "{not json").unwrap();
        let files = [AuthFile {
            path: bad.clone(),
            legacy_format: false,
        }];
        let err = find_credentials(&files, "h/r", "h")
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with(&format!("reading JSON file \"{}\": ", bad.display())),
            "{err}"
        );

        std::fs::write(&bad, r#"{"credHelpers":{"h":"secretservice"},"auths":{}}"#).unwrap();
        let err = find_credentials(&files, "h/r", "h")
            .unwrap_err()
            .to_string();
        assert!(err.contains("not supported"), "{err}");
        // A helper for another host does not matter.
        assert!(find_credentials(&files, "o/r", "o").unwrap().is_none());

        std::fs::write(&bad, r#"{"credsStore":"desktop","auths":{"h":{}}}"#).unwrap();
        assert!(find_credentials(&files, "h/r", "h").is_err());
        assert!(find_credentials(&files, "o/r", "o").unwrap().is_none());

        std::fs::write(&bad, r#"{"auths":{"h":{"auth":"!!!"}}}"#).unwrap();
        let err = find_credentials(&files, "h/r", "h")
            .unwrap_err()
            .to_string();
        assert!(err.contains("decoding \"auth\""), "{err}");
    }

    #[test]
    fn legacy_dockercfg() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join(".dockercfg");
        std::fs::write(
            &p,
            format!(r#"{{"https://h:5000":{{"auth":"{}"}}}}"#, b64("u:p:x")),
        )
        .unwrap();
        let files = [AuthFile {
            path: p,
            legacy_format: true,
        }];
        let c = find_credentials(&files, "h:5000/r", "h:5000")
            .unwrap()
            .unwrap();
        assert_eq!((c.username.as_str(), c.password.as_str()), ("u", "p:x"));
    }

    #[test]
    fn default_paths() {
        let mut env = Environment::with_home("/home/u", 1000);
        env.xdg_runtime_dir = Some("/run/user/1000".into());
        let paths: Vec<String> = auth_file_paths(None, &env)
            .into_iter()
            .map(|f| f.path.display().to_string())
            .collect();
        assert_eq!(
            paths,
            [
                "/run/user/1000/containers/auth.json",
                "/home/u/.config/containers/auth.json",
                "/home/u/.docker/config.json",
                "/home/u/.dockercfg"
            ]
        );
        let explicit = auth_file_paths(Some(Path::new("/x/auth.json")), &env);
        assert_eq!(explicit[0].path, Path::new("/x/auth.json"));
    }
}
