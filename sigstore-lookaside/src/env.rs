//! The parts of the process environment that decide default locations, captured once so that library
//! code never reads global state (tests and embedders build an [`Environment`] by hand).

use std::path::PathBuf;

/// Process facts that select default paths, as containers/image derives them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Environment {
    /// `$HOME` (else the passwd entry's home directory).
    pub home: Option<PathBuf>,
    /// The effective UID used for the root/rootless decision: `_CONTAINERS_ROOTLESS_UID` if set, else
    /// `geteuid()`.
    pub uid: u32,
    /// `$XDG_RUNTIME_DIR` (auth.json lookup).
    pub xdg_runtime_dir: Option<PathBuf>,
    /// `$XDG_CONFIG_HOME` (auth.json lookup).
    pub xdg_config_home: Option<PathBuf>,
    /// `$REGISTRY_AUTH_FILE` (auth.json override).
    pub registry_auth_file: Option<PathBuf>,
    /// `$DOCKER_CONFIG` (directory holding docker's `config.json`).
    pub docker_config: Option<PathBuf>,
}

impl Environment {
    /// Reads the process environment (and the effective UID) once.
    pub fn from_process() -> Self {
        let var = |k: &str| {
            std::env::var_os(k)
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
        };
        let uid = std::env::var("_CONTAINERS_ROOTLESS_UID")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(effective_uid);
        Environment {
            home: var("HOME"),
            uid,
            xdg_runtime_dir: var("XDG_RUNTIME_DIR"),
            xdg_config_home: var("XDG_CONFIG_HOME"),
            registry_auth_file: var("REGISTRY_AUTH_FILE"),
            docker_config: var("DOCKER_CONFIG"),
        }
    }

    /// An environment with only `home` and `uid` set (for tests and embedders).
    pub fn with_home(home: impl Into<PathBuf>, uid: u32) -> Self {
        Environment {
            home: Some(home.into()),
            uid,
            ..Environment::default()
        }
    }
}

/// The effective UID, read from `/proc/self/status` (no `unsafe`, no libc dependency); 0 when unknown
/// would be wrong for rootless users, so an unreadable status yields `u32::MAX` (treated as non-root).
fn effective_uid() -> u32 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("Uid:"))
                .and_then(|rest| rest.split_whitespace().nth(1).and_then(|v| v.parse().ok()))
        })
        .unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn effective_uid_matches_id_command() {
        let out = std::process::Command::new("id").arg("-u").output().unwrap();
        let expected: u32 = String::from_utf8(out.stdout)
            .unwrap()
            .trim()
            .parse()
            .unwrap();
        assert_eq!(effective_uid(), expected);
    }
}
