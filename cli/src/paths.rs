//! Default file locations, resolved only here at the top layer (the library reads no environment).

use std::path::PathBuf;

/// containers/image v5.42's policy.json search (`signature.DefaultPolicy`, go.podman.io/storage
/// `configfile`): `$CONTAINERS_POLICY_JSON` if set (it must exist), else the first that exists of
/// `$XDG_CONFIG_HOME/containers/policy.json` (`$HOME/.config/containers/policy.json` when
/// `XDG_CONFIG_HOME` is unset), `/etc/containers/policy.json`, `/usr/share/containers/policy.json`; else
/// `config file not found: no policy.json file found; searched paths: [...]`. See
/// [`sigstore_lookaside::configfile::default_policy_path`].
pub(crate) fn default_policy_path() -> Result<PathBuf, String> {
    let env = sigstore_lookaside::Environment::from_process();
    sigstore_lookaside::configfile::default_policy_path(&env).map_err(|e| e.to_string())
}

pub(crate) fn quote(s: &str) -> String {
    containers_policy::error::go_quote(s)
}

/// Go's `os.ReadFile`: the error names the failing operation and the path as Go prints them
/// (`open x: no such file or directory`, `read d: is a directory`).
pub(crate) fn read_file(path: &std::path::Path) -> Result<Vec<u8>, String> {
    use containers_policy::error::IoError;
    let mut file =
        std::fs::File::open(path).map_err(|e| IoError::new("open", path, e).to_string())?;
    let mut data = Vec::new();
    std::io::Read::read_to_end(&mut file, &mut data)
        .map_err(|e| IoError::new("read", path, e).to_string())?;
    Ok(data)
}
