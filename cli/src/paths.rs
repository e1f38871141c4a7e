//! Default file locations, resolved only here at the top layer (the library reads no environment).

use std::path::PathBuf;

/// containers/image's policy.json search: `$HOME/.config/containers/policy.json` if it exists, else
/// `/etc/containers/policy.json` if it exists, else the error containers/image gives.
pub(crate) fn default_policy_path() -> Result<PathBuf, String> {
    let user =
        std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config/containers/policy.json"));
    let system = PathBuf::from("/etc/containers/policy.json");
    if let Some(u) = &user {
        if u.exists() {
            return Ok(u.clone());
        }
    }
    if system.exists() {
        return Ok(system);
    }
    Err(format!(
        "no policy.json file found at any of the following: {}, {}",
        quote(&user.map(|u| u.display().to_string()).unwrap_or_default()),
        quote(&system.display().to_string())
    ))
}

pub(crate) fn quote(s: &str) -> String {
    containers_policy::error::go_quote(s)
}
