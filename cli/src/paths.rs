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
