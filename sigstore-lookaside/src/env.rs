//! The parts of the process environment that decide default locations, captured once so that library
//! code never reads global state (tests and embedders build an [`Environment`] by hand).

use std::path::PathBuf;

/// Process facts that select default paths, as containers/image derives them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Environment {
    /// `$HOME` if non-empty, else the `/etc/passwd` home directory of [`rootless_uid`](Self::rootless_uid)
    /// (go.podman.io/storage `unshare.HomeDir`); `None` when neither is known.
    pub home: Option<PathBuf>,
    /// The effective UID used for the root/rootless decision of the built-in lookaside location:
    /// `_CONTAINERS_ROOTLESS_UID` if set, else `geteuid()` (containers/image `rootless.GetRootlessEUID`).
    pub uid: u32,
    /// The UID selecting the `rootful`/`rootless` configuration drop-in directories (registries.d):
    /// `_CONTAINERS_ROOTLESS_UID` if set (parsed as Go's `strconv.Atoi`, 0 when invalid), else `getuid()`
    /// (go.podman.io/storage `unshare.GetRootlessUID`). 0 is rootful, positive is rootless (and adds the
    /// per-UID directory), negative selects neither.
    pub rootless_uid: i64,
    /// `$XDG_RUNTIME_DIR` (auth.json lookup).
    pub xdg_runtime_dir: Option<PathBuf>,
    /// `$XDG_CONFIG_HOME` when non-empty (auth.json lookup; per-user configuration directory).
    pub xdg_config_home: Option<PathBuf>,
    /// `XDG_CONFIG_HOME` is set but empty: go.podman.io/storage `configfile` (which tests only whether
    /// the variable is set) then uses the relative directory `containers` for per-user configuration,
    /// while the auth.json lookup treats it as unset.
    pub xdg_config_home_empty: bool,
    /// `$REGISTRY_AUTH_FILE` (auth.json override).
    pub registry_auth_file: Option<PathBuf>,
    /// `$DOCKER_CONFIG` (directory holding docker's `config.json`).
    pub docker_config: Option<PathBuf>,
    /// `$CONTAINERS_POLICY_JSON` when non-empty: the policy.json to use instead of the default search
    /// (containers/image v5.42 `DefaultPolicy`); it must exist.
    pub containers_policy_json: Option<PathBuf>,
    /// containers/image `SystemContext.RootForImplicitAbsolutePaths`: prefixed to the built-in absolute
    /// configuration paths (`/etc/containers/…`, `/usr/share/containers/…`), not to `$HOME` or
    /// `$XDG_CONFIG_HOME` paths nor to explicitly given ones. Never read from the process; `None` by
    /// default.
    pub root_for_implicit_absolute_paths: Option<PathBuf>,
}

impl Environment {
    /// Reads the process environment (and the real and effective UIDs, and `/etc/passwd` when `HOME` is
    /// unset) once.
    pub fn from_process() -> Self {
        let var = |k: &str| {
            std::env::var_os(k)
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
        };
        let rootless_override = std::env::var_os("_CONTAINERS_ROOTLESS_UID")
            .filter(|v| !v.is_empty())
            .map(|v| go_atoi(&v.to_string_lossy()));
        let status = std::fs::read_to_string("/proc/self/status").ok();
        let uid = match rootless_override {
            Some(v) => u32::try_from(v).unwrap_or(u32::MAX),
            None => status_uid(status.as_deref(), 1),
        };
        let rootless_uid =
            rootless_override.unwrap_or_else(|| i64::from(status_uid(status.as_deref(), 0)));
        let home = var("HOME").or_else(|| {
            std::fs::read_to_string("/etc/passwd")
                .ok()
                .and_then(|p| passwd_home(&p, rootless_uid))
        });
        Environment {
            home,
            uid,
            rootless_uid,
            xdg_runtime_dir: var("XDG_RUNTIME_DIR"),
            xdg_config_home: var("XDG_CONFIG_HOME"),
            xdg_config_home_empty: std::env::var_os("XDG_CONFIG_HOME")
                .is_some_and(|v| v.is_empty()),
            registry_auth_file: var("REGISTRY_AUTH_FILE"),
            docker_config: var("DOCKER_CONFIG"),
            containers_policy_json: var("CONTAINERS_POLICY_JSON"),
            root_for_implicit_absolute_paths: None,
        }
    }

    /// An environment with only `home` and the UID ([`uid`](Self::uid) and
    /// [`rootless_uid`](Self::rootless_uid)) set (for tests and embedders).
    pub fn with_home(home: impl Into<PathBuf>, uid: u32) -> Self {
        Environment {
            home: Some(home.into()),
            uid,
            rootless_uid: i64::from(uid),
            ..Environment::default()
        }
    }

    /// This environment with [`root_for_implicit_absolute_paths`](Self::root_for_implicit_absolute_paths)
    /// set (containers/image `SystemContext.RootForImplicitAbsolutePaths`).
    pub fn with_root_for_implicit_absolute_paths(mut self, root: impl Into<PathBuf>) -> Self {
        self.root_for_implicit_absolute_paths = Some(root.into());
        self
    }
}

/// Go's `strconv.Atoi` as `unshare.GetRootlessUID` uses it (`u, _ := strconv.Atoi(v)`): an optional sign
/// and decimal digits; anything else is 0; out of range saturates.
fn go_atoi(s: &str) -> i64 {
    let (negative, digits) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return 0;
    }
    let magnitude = digits.bytes().fold(0i128, |acc, b| {
        (acc * 10 + i128::from(b - b'0')).min(i128::from(i64::MAX) + 1)
    });
    let value = if negative { -magnitude } else { magnitude };
    value.clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64
}

/// The home directory of `uid` in an `/etc/passwd` text (Go's pure `os/user` lookup).
fn passwd_home(passwd: &str, uid: i64) -> Option<PathBuf> {
    passwd.lines().find_map(|line| {
        let fields: Vec<&str> = line.split(':').collect();
        if fields.len() < 7 || line.starts_with(['#', ' ', '\t']) {
            return None;
        }
        (fields[2].parse::<i64>().ok() == Some(uid) && !fields[5].is_empty())
            .then(|| PathBuf::from(fields[5]))
    })
}

/// A UID of `/proc/self/status` (`which`: 0 real, 1 effective; no `unsafe`, no libc dependency); 0 when
/// unknown would be wrong for rootless users, so an unreadable status yields `u32::MAX` (non-root).
fn status_uid(status: Option<&str>, which: usize) -> u32 {
    status
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("Uid:"))
                .and_then(|rest| {
                    rest.split_whitespace()
                        .nth(which)
                        .and_then(|v| v.parse().ok())
                })
        })
        .unwrap_or(u32::MAX)
}

/// The effective UID (see [`status_uid`]).
#[cfg(test)]
fn effective_uid() -> u32 {
    status_uid(
        std::fs::read_to_string("/proc/self/status").ok().as_deref(),
        1,
    )
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

    #[test]
    fn atoi_is_go_strconv() {
        for (s, want) in [
            ("1000", 1000),
            ("+7", 7),
            ("-3", -3),
            ("", 0),
            ("abc", 0),
            ("12a", 0),
            (" 1", 0),
            ("-", 0),
            ("99999999999999999999", i64::MAX),
            ("-99999999999999999999", i64::MIN),
        ] {
            assert_eq!(go_atoi(s), want, "{s:?}");
        }
    }

    #[test]
    fn passwd_home_finds_the_uid() {
        let passwd = "root:x:0:0:root:/root:/bin/sh\n# c:x:5:5::/c:/bin/sh\nu:x:1000:1000:U:/home/u:/bin/sh\nnohome:x:7:7:::/bin/sh\n";
        assert_eq!(passwd_home(passwd, 0), Some(PathBuf::from("/root")));
        assert_eq!(passwd_home(passwd, 1000), Some(PathBuf::from("/home/u")));
        assert_eq!(passwd_home(passwd, 5), None);
        assert_eq!(passwd_home(passwd, 7), None);
        assert_eq!(passwd_home(passwd, 42), None);
    }
}
