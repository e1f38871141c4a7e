//! Where containers/image v5.42 finds its configuration files: go.podman.io/storage v1.65.0
//! `pkg/configfile` (`File`, `GetSearchPaths`, `Read`), for Linux, with the process facts taken from an
//! [`Environment`] instead of the process.
//!
//! A configuration has **main files** (the first one that exists is read) and **drop-in directories**
//! (all are merged), each searched in three places, highest priority first:
//!
//! 1. per user: `$XDG_CONFIG_HOME/containers` if `XDG_CONFIG_HOME` is set (even empty: then the relative
//!    `containers`), else `$HOME/.config/containers` (`HOME`, else the passwd entry; neither known is an
//!    error, `unable to resolve HOME directory: …`, even when no per-user path would be read);
//! 2. administrator: `/etc/containers`;
//! 3. vendor: `/usr/share/containers`.
//!
//! (2) and (3) are prefixed with [`Environment::root_for_implicit_absolute_paths`]; (1) never is.
//!
//! With `C` = `<dir>/<name>` (`<name>.<ext>` unless
//! [`do_not_use_extension_for_config_name`](ConfigFile::do_not_use_extension_for_config_name)):
//!
//! * main files: `C` in (1), (2), (3); a missing one is skipped, any other open error fails; none found is
//!   an error only with [`error_if_not_found`](ConfigFile::error_if_not_found). An explicit
//!   [`custom_config_file_path`](ConfigFile::custom_config_file_path), else the `EnvironmentName`
//!   variable ([`environment_path`](ConfigFile::environment_path)), replaces the search and must exist;
//!   the variable also turns drop-ins off.
//! * drop-in directories: `C.d` in (1); in (2) then (3): for UID > 0 `C.rootless.d/<UID>` (the `.ext`
//!   kept before `.rootless` when `C` ends with it), `C.rootless.d`; for UID 0 `C.rootful.d`; then
//!   `C.d` (negative UID: only `C.d`). An explicit
//!   [`custom_drop_in_directory`](ConfigFile::custom_drop_in_directory) **replaces all of them**.
//!   Missing directories are skipped; any other error (`open …: permission denied`,
//!   `open …: not a directory`) fails. Entries that end with `.<ext>` and are not directories (a
//!   symbolic link to one is kept, and fails when read) count; a file name found in several directories
//!   is read only from the highest-priority one; the files are read in byte order of their names,
//!   whatever their directory. A listed file that vanishes before it is opened is skipped.
//! * then the `EnvironmentName_OVERRIDE` file
//!   ([`environment_override_path`](ConfigFile::environment_override_path)), which must exist, unless
//!   drop-ins are off or a custom drop-in directory is given.
//!
//! containers.conf's modules are not implemented (neither registries.d nor policy.json uses them).

use std::{
    collections::BTreeMap,
    ffi::OsString,
    fs::File,
    io,
    path::{Component, Path, PathBuf},
};

use containers_policy::error::IoError;

use crate::{Environment, Error, Result, layout::go_quote};

/// The vendor configuration directory (`builtinSystemConfigPath`).
pub const SYSTEM_CONFIG_DIR: &str = "/usr/share/containers";

/// The administrator's configuration directory (`builtinAdminOverrideConfigPath`).
pub const ADMIN_CONFIG_DIR: &str = "/etc/containers";

/// One configuration's search options (go.podman.io/storage `configfile.File`). Environment variables
/// are given by value (read at the top layer), the UID, home and root prefix come from the
/// [`Environment`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ConfigFile {
    /// The file name without extension (`registries`, `policy`).
    pub name: String,
    /// The extension without the dot (`yaml`, `json`).
    pub extension: String,
    /// The non-empty value of the `EnvironmentName` variable: the only main file (it must exist), and no
    /// drop-ins.
    pub environment_path: Option<PathBuf>,
    /// The non-empty value of `EnvironmentName + "_OVERRIDE"`: read last (it must exist).
    pub environment_override_path: Option<PathBuf>,
    /// `CustomConfigFilePath`: the only main file (it must exist); not prefixed with the root.
    pub custom_config_file_path: Option<PathBuf>,
    /// `CustomConfigFileDropInDirectory`: the only drop-in directory; not prefixed with the root.
    pub custom_drop_in_directory: Option<PathBuf>,
    /// `DoNotLoadMainFiles`.
    pub do_not_load_main_files: bool,
    /// `DoNotLoadDropInFiles`.
    pub do_not_load_drop_in_files: bool,
    /// `DoNotUseExtensionForConfigName`: main file (and drop-in directory) names without the extension.
    pub do_not_use_extension_for_config_name: bool,
    /// `ErrorIfNotFound`.
    pub error_if_not_found: bool,
}

/// The paths a [`ConfigFile`] reads (go.podman.io/storage `configfile.SearchPaths`), highest priority
/// first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct SearchPaths {
    /// Main file candidates; the first that exists is read.
    pub main_files: Vec<PathBuf>,
    /// Drop-in directories.
    pub drop_in_directories: Vec<PathBuf>,
    /// The `_OVERRIDE` file, if any.
    pub extra_override_file: Option<PathBuf>,
}

/// One file [`ConfigFile::read`] yields, open.
#[derive(Debug)]
#[non_exhaustive]
pub struct Item {
    /// The path as opened (what error messages call the file).
    pub path: PathBuf,
    /// The open file.
    pub file: File,
}

impl ConfigFile {
    /// Options with only `name` and `extension` set.
    pub fn new(name: impl Into<String>, extension: impl Into<String>) -> Self {
        ConfigFile {
            name: name.into(),
            extension: extension.into(),
            ..ConfigFile::default()
        }
    }

    /// containers/image v5.42's registries.d (`docker.loadRegistryConfiguration`): drop-ins only, named
    /// `registries.d` (`registries.rootless.d`, …), `*.yaml`; `custom_dir` is
    /// `SystemContext.RegistriesDirPath`.
    pub fn registries_d(custom_dir: Option<&Path>) -> Self {
        ConfigFile {
            do_not_load_main_files: true,
            do_not_use_extension_for_config_name: true,
            custom_drop_in_directory: custom_dir.map(Path::to_path_buf),
            ..ConfigFile::new("registries", "yaml")
        }
    }

    /// containers/image v5.42's policy.json (`signature.DefaultPolicy` without
    /// `SystemContext.SignaturePolicyPath`): main files only, `$CONTAINERS_POLICY_JSON` else the search,
    /// an error when none exists.
    pub fn policy_json(env: &Environment) -> Self {
        ConfigFile {
            do_not_load_drop_in_files: true,
            environment_path: env.containers_policy_json.clone(),
            error_if_not_found: true,
            ..ConfigFile::new("policy", "json")
        }
    }

    fn conf_name(&self) -> String {
        if self.do_not_use_extension_for_config_name {
            self.name.clone()
        } else {
            format!("{}.{}", self.name, self.extension)
        }
    }

    /// The paths to read (`configfile.GetSearchPaths`).
    pub fn search_paths(&self, env: &Environment) -> Result<SearchPaths> {
        Ok(self.search_paths_and_policy(env)?.0)
    }

    /// The search paths, and whether a missing main file is skipped.
    fn search_paths_and_policy(&self, env: &Environment) -> Result<(SearchPaths, bool)> {
        let name = self.conf_name();
        let implicit = |dir: &str| match &env.root_for_implicit_absolute_paths {
            Some(root) if !root.as_os_str().is_empty() => {
                go_join(&[root, Path::new(dir), name.as_ref()])
            }
            _ => go_join(&[Path::new(dir), name.as_ref()]),
        };
        let vendor = implicit(SYSTEM_CONFIG_DIR);
        let admin = implicit(ADMIN_CONFIG_DIR);
        let user = go_join(&[&user_config_dir(env)?, name.as_ref()]);

        let mut paths = SearchPaths::default();
        let mut ignore_missing_main = true;
        let mut drop_ins = true;
        if !self.do_not_load_main_files {
            if let Some(custom) = &self.custom_config_file_path {
                paths.main_files.push(custom.clone());
                ignore_missing_main = false;
            } else if let Some(from_env) = &self.environment_path {
                paths.main_files.push(from_env.clone());
                ignore_missing_main = false;
                drop_ins = false;
            } else {
                paths.main_files = vec![user.clone(), admin.clone(), vendor.clone()];
            }
        }
        if !self.do_not_load_drop_in_files {
            if drop_ins {
                paths.drop_in_directories = match &self.custom_drop_in_directory {
                    Some(dir) => vec![dir.clone()],
                    None => {
                        let suffix = format!(".{}", self.extension);
                        let mut dirs = vec![with_suffix(&user, ".d")];
                        dirs.extend(drop_ins_under(&admin, &suffix, env.rootless_uid));
                        dirs.extend(drop_ins_under(&vendor, &suffix, env.rootless_uid));
                        dirs
                    }
                };
            }
            if self.custom_drop_in_directory.is_none() {
                paths.extra_override_file = self.environment_override_path.clone();
            }
        }
        Ok((paths, ignore_missing_main))
    }

    /// Opens the files to read, in order (`configfile.Read`): the first main file that exists, every
    /// drop-in, the `_OVERRIDE` file. Lazy, as upstream's iterator: a consumer that stops at its first
    /// error sees the same error upstream reports. After an `Err` the iterator ends.
    pub fn read<'a>(&'a self, env: &Environment) -> Read<'a> {
        let (state, paths) = match self.search_paths_and_policy(env) {
            Ok((paths, ignore_missing_main)) => (
                State::Main {
                    index: 0,
                    ignore_missing: ignore_missing_main,
                },
                paths,
            ),
            Err(e) => (State::Failed(Some(e)), SearchPaths::default()),
        };
        Read {
            conf: self,
            paths,
            state,
            used: Vec::new(),
            found: false,
        }
    }
}

/// The iterator of [`ConfigFile::read`].
#[derive(Debug)]
pub struct Read<'a> {
    conf: &'a ConfigFile,
    paths: SearchPaths,
    state: State,
    used: Vec<PathBuf>,
    found: bool,
}

#[derive(Debug)]
enum State {
    Failed(Option<Error>),
    Main { index: usize, ignore_missing: bool },
    DropIns(Option<std::vec::IntoIter<PathBuf>>),
    Override,
    NotFound,
    Done,
}

impl Read<'_> {
    fn fail(&mut self, e: impl Into<Error>) -> Option<Result<Item>> {
        self.state = State::Done;
        Some(Err(e.into()))
    }

    fn yield_item(&mut self, path: PathBuf, file: File) -> Option<Result<Item>> {
        self.found = true;
        Some(Ok(Item { path, file }))
    }
}

impl Iterator for Read<'_> {
    type Item = Result<Item>;

    fn next(&mut self) -> Option<Result<Item>> {
        loop {
            match &mut self.state {
                State::Done => return None,
                State::Failed(e) => {
                    let e = e.take();
                    self.state = State::Done;
                    return e.map(Err);
                }
                State::Main {
                    index,
                    ignore_missing,
                } => {
                    let Some(path) = self.paths.main_files.get(*index).cloned() else {
                        self.state = State::DropIns(None);
                        continue;
                    };
                    *index += 1;
                    if path.as_os_str().is_empty() {
                        continue;
                    }
                    self.used.push(path.clone());
                    match File::open(&path) {
                        Ok(file) => {
                            // Only the first main file found is read.
                            self.state = State::DropIns(None);
                            return self.yield_item(path, file);
                        }
                        Err(e) if *ignore_missing && e.kind() == io::ErrorKind::NotFound => {}
                        Err(e) => return self.fail(IoError::new("open", &path, e)),
                    }
                }
                State::DropIns(None) => {
                    if self.paths.drop_in_directories.is_empty() {
                        self.state = State::Override;
                        continue;
                    }
                    let suffix = format!(".{}", self.conf.extension);
                    match read_drop_ins(&self.paths.drop_in_directories, &suffix) {
                        Ok(files) => self.state = State::DropIns(Some(files.into_iter())),
                        Err(e) => return self.fail(e),
                    }
                }
                State::DropIns(Some(files)) => {
                    let Some(path) = files.next() else {
                        self.state = State::Override;
                        continue;
                    };
                    self.used.push(path.clone());
                    match File::open(&path) {
                        Ok(file) => return self.yield_item(path, file),
                        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                        Err(e) => return self.fail(IoError::new("open", &path, e)),
                    }
                }
                State::Override => {
                    self.state = State::NotFound;
                    if let Some(path) = self.paths.extra_override_file.clone() {
                        self.used.push(path.clone());
                        return match File::open(&path) {
                            Ok(file) => self.yield_item(path, file),
                            Err(e) => self.fail(IoError::new("open", &path, e)),
                        };
                    }
                }
                State::NotFound => {
                    self.state = State::Done;
                    if self.conf.error_if_not_found && !self.found {
                        let searched: Vec<String> = self
                            .used
                            .iter()
                            .map(|p| go_quote(&p.to_string_lossy()))
                            .collect();
                        return Some(Err(Error::Config(format!(
                            "config file not found: no {} file found; searched paths: [{}]",
                            self.conf.conf_name(),
                            searched.join(" ")
                        ))));
                    }
                }
            }
        }
    }
}

/// The per-user configuration directory (`configfile.UserConfigPath`): `$XDG_CONFIG_HOME/containers` if
/// the variable is set (even empty), else `$HOME/.config/containers`.
pub fn user_config_dir(env: &Environment) -> Result<PathBuf> {
    if let Some(xdg) = &env.xdg_config_home {
        return Ok(go_join(&[xdg, Path::new("containers")]));
    }
    if env.xdg_config_home_empty {
        return Ok(PathBuf::from("containers"));
    }
    match &env.home {
        Some(home) => Ok(go_join(&[home, Path::new(".config/containers")])),
        None => Err(Error::Other(format!(
            "unable to resolve HOME directory: user: unknown userid {}",
            env.rootless_uid
        ))),
    }
}

/// The path of the policy.json that containers/image v5.42 `signature.DefaultPolicy` reads when no
/// explicit path is given: `$CONTAINERS_POLICY_JSON` if set (it must exist: else `open <path>: no such
/// file or directory`), else the first that exists of `$XDG_CONFIG_HOME/containers/policy.json` (or
/// `$HOME/.config/containers/policy.json`), `<root>/etc/containers/policy.json`,
/// `<root>/usr/share/containers/policy.json`; none is the error
/// `config file not found: no policy.json file found; searched paths: ["…" "…" "…"]`. A candidate that
/// exists but cannot be opened fails (`open <path>: permission denied`); a directory is chosen (and
/// fails when read, `read <path>: is a directory`). No drop-ins, no `_OVERRIDE`.
pub fn default_policy_path(env: &Environment) -> Result<PathBuf> {
    let conf = ConfigFile::policy_json(env);
    let mut files = conf.read(env);
    match files.next() {
        Some(Ok(item)) => Ok(item.path),
        Some(Err(e)) => Err(e),
        None => Err(Error::Other(
            "internal error: no policy.json and no error".to_owned(),
        )),
    }
}

/// The drop-in directories under a main path (`getDropInPathsUnderMain`): for UID > 0
/// `<main>.rootless.d/<UID>` and `<main>.rootless.d`, for UID 0 `<main>.rootful.d` (the marker goes before
/// `suffix` when `main` ends with it), then `<main>.d`.
fn drop_ins_under(main: &Path, suffix: &str, uid: i64) -> Vec<PathBuf> {
    let mut out = Vec::with_capacity(3);
    if uid >= 0 {
        let special = if uid > 0 { "rootless" } else { "rootful" };
        let bytes = main.as_os_str().as_encoded_bytes();
        let mut path = match bytes.strip_suffix(suffix.as_bytes()) {
            Some(prefix) => {
                let mut v = prefix.to_vec();
                v.extend_from_slice(format!(".{special}{suffix}").as_bytes());
                v
            }
            None => {
                let mut v = bytes.to_vec();
                v.extend_from_slice(format!(".{special}").as_bytes());
                v
            }
        };
        path.extend_from_slice(b".d");
        let path = PathBuf::from(os_string_from_bytes(path));
        if uid > 0 {
            out.push(go_join(&[&path, Path::new(&uid.to_string())]));
        }
        out.push(path);
    }
    out.push(with_suffix(main, ".d"));
    out
}

#[cfg(unix)]
fn os_string_from_bytes(bytes: Vec<u8>) -> OsString {
    use std::os::unix::ffi::OsStringExt;
    OsString::from_vec(bytes)
}

#[cfg(not(unix))]
fn os_string_from_bytes(bytes: Vec<u8>) -> OsString {
    OsString::from(String::from_utf8_lossy(&bytes).into_owned())
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

/// The drop-in files of `dirs` (highest priority first), in name order, each from the highest-priority
/// directory that has it (`readDropInsFromPaths`).
pub(crate) fn read_drop_ins(dirs: &[PathBuf], suffix: &str) -> Result<Vec<PathBuf>> {
    let mut by_name: BTreeMap<OsString, PathBuf> = BTreeMap::new();
    for dir in dirs.iter().rev() {
        let entries = match std::fs::read_dir(dir) {
            Ok(e) => e,
            Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
            Err(e) => return Err(IoError::new("open", dir, e).into()),
        };
        for entry in entries {
            let entry = entry.map_err(|e| IoError::new("readdirent", dir, e))?;
            let name = entry.file_name();
            if !name.as_encoded_bytes().ends_with(suffix.as_bytes()) {
                continue;
            }
            // `DirEntry.IsDir` (the entry itself, not a symlink's target).
            let is_dir = match entry.file_type() {
                Ok(t) => t.is_dir(),
                Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
                Err(e) => return Err(IoError::new("lstat", entry.path(), e).into()),
            };
            if !is_dir {
                let path = go_join(&[dir, Path::new(&name)]);
                by_name.insert(name, path);
            }
        }
    }
    Ok(by_name.into_values().collect())
}

/// Go's `filepath.Join`: the non-empty elements joined with `/`, then [`go_clean`]ed; `""` if all are
/// empty.
pub(crate) fn go_join(parts: &[&Path]) -> PathBuf {
    let mut s = OsString::new();
    for p in parts.iter().filter(|p| !p.as_os_str().is_empty()) {
        if !s.is_empty() {
            s.push("/");
        }
        s.push(p.as_os_str());
    }
    if s.is_empty() {
        return PathBuf::new();
    }
    go_clean(Path::new(&s))
}

/// Go's `filepath.Clean` (lexical: repeated separators, `.` and `..` elements).
pub(crate) fn go_clean(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    let (mut rooted, mut depth) = (false, 0usize);
    for c in path.components() {
        match c {
            Component::RootDir | Component::Prefix(_) => {
                out.push(c.as_os_str());
                rooted = true;
            }
            Component::CurDir => {}
            Component::ParentDir if depth > 0 => {
                out.pop();
                depth -= 1;
            }
            Component::ParentDir if rooted => {}
            Component::ParentDir => out.push(".."),
            Component::Normal(n) => {
                out.push(n);
                depth += 1;
            }
        }
    }
    if out.as_os_str().is_empty() {
        out.push(".");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(home: &str, uid: i64) -> Environment {
        let mut env = Environment::with_home(home, u32::try_from(uid).unwrap_or(u32::MAX));
        env.rootless_uid = uid;
        env
    }

    fn p(s: &str) -> PathBuf {
        PathBuf::from(s)
    }

    fn names(read: Read<'_>) -> std::result::Result<Vec<PathBuf>, String> {
        read.map(|i| i.map(|i| i.path).map_err(|e| e.to_string()))
            .collect()
    }

    fn touch(path: &Path) {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, b"").unwrap();
    }

    #[test]
    fn user_config_dir_rules() {
        let mut e = env("/home/u/", 1000);
        assert_eq!(
            user_config_dir(&e).unwrap(),
            p("/home/u/.config/containers")
        );
        e.xdg_config_home_empty = true;
        assert_eq!(user_config_dir(&e).unwrap(), p("containers"));
        e.xdg_config_home = Some(p("/x//y/"));
        assert_eq!(user_config_dir(&e).unwrap(), p("/x/y/containers"));
        let homeless = Environment {
            rootless_uid: 4242,
            ..Environment::default()
        };
        assert_eq!(
            user_config_dir(&homeless).unwrap_err().to_string(),
            "unable to resolve HOME directory: user: unknown userid 4242"
        );
        // Even an explicit directory needs the per-user one resolved first, as upstream.
        let conf = ConfigFile::registries_d(Some(Path::new("/custom")));
        assert!(conf.search_paths(&homeless).is_err());
    }

    #[test]
    fn registries_d_dirs_by_uid_and_root() {
        let conf = ConfigFile::registries_d(None);
        let dirs = |e: &Environment| conf.search_paths(e).unwrap().drop_in_directories;
        assert_eq!(
            dirs(&env("/h", 0)),
            [
                "/h/.config/containers/registries.d",
                "/etc/containers/registries.rootful.d",
                "/etc/containers/registries.d",
                "/usr/share/containers/registries.rootful.d",
                "/usr/share/containers/registries.d",
            ]
            .map(p)
        );
        assert_eq!(
            dirs(&env("/h", 7)),
            [
                "/h/.config/containers/registries.d",
                "/etc/containers/registries.rootless.d/7",
                "/etc/containers/registries.rootless.d",
                "/etc/containers/registries.d",
                "/usr/share/containers/registries.rootless.d/7",
                "/usr/share/containers/registries.rootless.d",
                "/usr/share/containers/registries.d",
            ]
            .map(p)
        );
        assert_eq!(
            dirs(&env("/h", -1).with_root_for_implicit_absolute_paths("rel/root/")),
            [
                "/h/.config/containers/registries.d",
                "rel/root/etc/containers/registries.d",
                "rel/root/usr/share/containers/registries.d",
            ]
            .map(p)
        );
        // An empty root is no root.
        assert_eq!(
            dirs(&env("/h", 0).with_root_for_implicit_absolute_paths(""))[1],
            p("/etc/containers/registries.rootful.d")
        );
        let paths = conf.search_paths(&env("/h", 7)).unwrap();
        assert!(paths.main_files.is_empty());
        assert_eq!(paths.extra_override_file, None);
        // A custom directory replaces every default one (given verbatim, not prefixed, not cleaned).
        let custom = ConfigFile::registries_d(Some(Path::new("/c/./d/")));
        let e = env("/h", 7).with_root_for_implicit_absolute_paths("/r");
        assert_eq!(
            custom.search_paths(&e).unwrap().drop_in_directories,
            [p("/c/./d/")]
        );
    }

    #[test]
    fn generic_search_paths() {
        let e = env("/h", 1000);
        // With the extension in the name, the special marker goes before it.
        let conf = ConfigFile::new("containers", "conf");
        let paths = conf.search_paths(&e).unwrap();
        assert_eq!(
            paths.main_files,
            [
                "/h/.config/containers/containers.conf",
                "/etc/containers/containers.conf",
                "/usr/share/containers/containers.conf",
            ]
            .map(p)
        );
        assert_eq!(
            paths.drop_in_directories,
            [
                "/h/.config/containers/containers.conf.d",
                "/etc/containers/containers.rootless.conf.d/1000",
                "/etc/containers/containers.rootless.conf.d",
                "/etc/containers/containers.conf.d",
                "/usr/share/containers/containers.rootless.conf.d/1000",
                "/usr/share/containers/containers.rootless.conf.d",
                "/usr/share/containers/containers.conf.d",
            ]
            .map(p)
        );
        // The environment variable replaces the main files and turns drop-ins off; `_OVERRIDE` stays.
        let mut conf = ConfigFile::new("containers", "conf");
        conf.environment_path = Some(p("/env.conf"));
        conf.environment_override_path = Some(p("/override.conf"));
        let paths = conf.search_paths(&e).unwrap();
        assert_eq!(paths.main_files, [p("/env.conf")]);
        assert!(paths.drop_in_directories.is_empty());
        assert_eq!(paths.extra_override_file, Some(p("/override.conf")));
        // A custom main file wins over the variable, and drop-ins stay on.
        conf.custom_config_file_path = Some(p("/custom.conf"));
        let paths = conf.search_paths(&e).unwrap();
        assert_eq!(paths.main_files, [p("/custom.conf")]);
        assert_eq!(paths.drop_in_directories.len(), 7);
        // A custom drop-in directory turns `_OVERRIDE` off; so does DoNotLoadDropInFiles.
        conf.custom_drop_in_directory = Some(p("/dropins"));
        let paths = conf.search_paths(&e).unwrap();
        assert_eq!(paths.drop_in_directories, [p("/dropins")]);
        assert_eq!(paths.extra_override_file, None);
        conf.custom_drop_in_directory = None;
        conf.do_not_load_drop_in_files = true;
        let paths = conf.search_paths(&e).unwrap();
        assert!(paths.drop_in_directories.is_empty());
        assert_eq!(paths.extra_override_file, None);
        conf.do_not_load_main_files = true;
        assert!(conf.search_paths(&e).unwrap().main_files.is_empty());
    }

    #[test]
    fn read_order_and_errors() {
        let tmp = tempfile::tempdir().unwrap();
        let t = tmp.path();
        let e = Environment::with_home(t.join("home"), 1000)
            .with_root_for_implicit_absolute_paths(t.join("root"));
        let mut conf = ConfigFile::new("x", "conf");
        conf.error_if_not_found = true;
        assert_eq!(
            names(conf.read(&e)).unwrap_err(),
            format!(
                "config file not found: no x.conf file found; searched paths: [\"{0}/home/.config/containers/x.conf\" \"{0}/root/etc/containers/x.conf\" \"{0}/root/usr/share/containers/x.conf\"]",
                t.display()
            )
        );
        // Only the first existing main file, then the drop-ins by name, then the override.
        touch(&t.join("root/etc/containers/x.conf"));
        touch(&t.join("root/usr/share/containers/x.conf"));
        touch(&t.join("root/usr/share/containers/x.conf.d/b.conf"));
        touch(&t.join("root/etc/containers/x.rootless.conf.d/1000/b.conf"));
        touch(&t.join("home/.config/containers/x.conf.d/a.conf"));
        touch(&t.join("home/.config/containers/x.conf.d/c.txt"));
        touch(&t.join("override.conf"));
        conf.environment_override_path = Some(t.join("override.conf"));
        assert_eq!(
            names(conf.read(&e)).unwrap(),
            [
                t.join("root/etc/containers/x.conf"),
                t.join("home/.config/containers/x.conf.d/a.conf"),
                t.join("root/etc/containers/x.rootless.conf.d/1000/b.conf"),
                t.join("override.conf"),
            ]
        );
        // A missing override or custom main file is an error (not skipped).
        conf.environment_override_path = Some(t.join("missing.conf"));
        let err = names(conf.read(&e)).unwrap_err();
        assert_eq!(
            err,
            format!(
                "open {}: no such file or directory",
                t.join("missing.conf").display()
            )
        );
        conf.environment_override_path = None;
        conf.custom_config_file_path = Some(t.join("missing.conf"));
        assert_eq!(names(conf.read(&e)).unwrap_err(), err);
        // Found drop-ins alone satisfy ErrorIfNotFound.
        conf.custom_config_file_path = None;
        conf.do_not_load_main_files = true;
        assert_eq!(names(conf.read(&e)).unwrap().len(), 2);
        // The iterator ends after an error.
        conf.custom_drop_in_directory = Some(PathBuf::from("/dev/null"));
        let mut read = conf.read(&e);
        assert_eq!(
            read.next().unwrap().unwrap_err().to_string(),
            "open /dev/null: not a directory"
        );
        assert!(read.next().is_none());
    }

    #[test]
    fn policy_json_path() {
        let tmp = tempfile::tempdir().unwrap();
        let t = tmp.path();
        let mut e = Environment::with_home(t.join("home"), 0)
            .with_root_for_implicit_absolute_paths(t.join("root"));
        let err = default_policy_path(&e).unwrap_err();
        assert_eq!(err.kind(), crate::ErrorKind::Config);
        assert!(
            err.to_string()
                .starts_with("config file not found: no policy.json file found; searched paths: ["),
            "{err}"
        );
        touch(&t.join("root/usr/share/containers/policy.json"));
        assert_eq!(
            default_policy_path(&e).unwrap(),
            t.join("root/usr/share/containers/policy.json")
        );
        touch(&t.join("root/etc/containers/policy.json"));
        assert_eq!(
            default_policy_path(&e).unwrap(),
            t.join("root/etc/containers/policy.json")
        );
        // Drop-ins are not read for policy.json.
        touch(&t.join("root/etc/containers/policy.json.d/x.json"));
        touch(&t.join("home/.config/containers/policy.json"));
        assert_eq!(
            default_policy_path(&e).unwrap(),
            t.join("home/.config/containers/policy.json")
        );
        e.containers_policy_json = Some(t.join("nope.json"));
        assert_eq!(
            default_policy_path(&e).unwrap_err().to_string(),
            format!(
                "open {}: no such file or directory",
                t.join("nope.json").display()
            )
        );
    }

    #[test]
    fn go_join_and_clean_are_lexical() {
        for (p, want) in [
            ("/a/b/../c/./d.yaml", "/a/c/d.yaml"),
            ("a//b/", "a/b"),
            ("./a", "a"),
            ("../a/../../b", "../../b"),
            ("/../a", "/a"),
            ("", "."),
            ("a/..", "."),
        ] {
            assert_eq!(go_clean(Path::new(p)), PathBuf::from(want), "{p}");
        }
        assert_eq!(
            go_join(&[Path::new(""), Path::new("containers")]),
            p("containers")
        );
        assert_eq!(go_join(&[Path::new(""), Path::new("")]), p(""));
        assert_eq!(
            go_join(&[
                Path::new("/r/"),
                Path::new("/etc/containers"),
                Path::new("x")
            ]),
            p("/r/etc/containers/x")
        );
    }
}
