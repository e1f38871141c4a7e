//! `registries.d`: which lookaside store serves which docker scope (`docker/registries_d.go`).
//! OWNER: helper A (store).
//!
//! Without an explicit directory, containers/image v5.42 merges **several** directories (per user,
//! `/etc/containers`, `/usr/share/containers`, with `rootful`/`rootless` variants; see
//! [`RegistriesD::default_dirs`] and [`crate::configfile`]); up to v5.39 it read only
//! `$HOME/.config/containers/registries.d` if that existed, else `/etc/containers/registries.d`. An
//! explicit directory is read alone. Files are read in **file-name order**, as containers/image v5.42
//! does (go.podman.io/storage `configfile.Read`; up to v5.39 the order was the directory's, unsorted). Each file is decoded exactly
//! as yaml.v3 decodes it into containers/image's types (the private modules `yaml_v3`, and `libyaml`:
//! yaml.v3's own reader, scanner and parser), so verdicts and error texts are containers/image's.

use std::{
    collections::BTreeMap,
    io,
    path::{Path, PathBuf},
};

use containers_policy::{DockerReference, ImageReference, error::IoError};
use serde::Deserialize;

use crate::{Environment, Error, LookasideUrl, Result, layout::go_quote};

mod libyaml;
mod yaml_v3;

/// The administrator's registries.d directory (one of [`RegistriesD::default_dirs`]).
pub const SYSTEM_REGISTRIES_D: &str = "/etc/containers/registries.d";

/// The vendor's registries.d directory (one of [`RegistriesD::default_dirs`]; containers/image v5.42).
pub const VENDOR_REGISTRIES_D: &str = "/usr/share/containers/registries.d";

/// The built-in lookaside directory for root.
pub const ROOT_LOOKASIDE_DIR: &str = "/var/lib/containers/sigstore";

/// The built-in lookaside directory for other users, relative to `$HOME`.
pub const USER_LOOKASIDE_DIR: &str = ".local/share/containers/sigstore";

/// One `default-docker` or `docker: <scope>` section.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub struct Section {
    /// `lookaside`.
    #[serde(default)]
    pub lookaside: Option<String>,
    /// `lookaside-staging`.
    #[serde(default)]
    pub lookaside_staging: Option<String>,
    /// `sigstore` (deprecated alias of `lookaside`).
    #[serde(default)]
    pub sigstore: Option<String>,
    /// `sigstore-staging` (deprecated alias of `lookaside-staging`).
    #[serde(default)]
    pub sigstore_staging: Option<String>,
    /// `use-sigstore-attachments`.
    #[serde(default)]
    pub use_sigstore_attachments: Option<bool>,
}

impl Section {
    /// The URL this section yields, if non-empty: for reading `lookaside` else `sigstore`; for writing
    /// `lookaside-staging`, `sigstore-staging`, `lookaside`, `sigstore` (containers/image
    /// `registryNamespace.signatureTopLevel`).
    pub fn signature_top_level(&self, write: bool) -> Option<&str> {
        fn non_empty(v: &Option<String>) -> Option<&str> {
            v.as_deref().filter(|s| !s.is_empty())
        }
        let staging = if write {
            non_empty(&self.lookaside_staging).or_else(|| non_empty(&self.sigstore_staging))
        } else {
            None
        };
        staging
            .or_else(|| non_empty(&self.lookaside))
            .or_else(|| non_empty(&self.sigstore))
    }
}

/// A loaded and merged registries.d directory.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct RegistriesD {
    /// `default-docker`, if any file defines it.
    pub default_docker: Option<Section>,
    /// `docker:` sections by scope.
    pub docker: BTreeMap<String, Section>,
}

impl RegistriesD {
    /// Loads the registries.d directory `dir` alone, as containers/image v5.42 does when
    /// `SystemContext.RegistriesDirPath` is set (go.podman.io/storage `configfile` with
    /// `CustomConfigFileDropInDirectory`: **none of the default directories is read**). Every `*.yaml`
    /// entry that is not a directory (a symbolic link to one is kept, and fails to read), in file-name
    /// order; a missing directory is an empty configuration; a file vanishing between listing and
    /// reading is skipped. Files are named `filepath.Join(dir, name)` in messages.
    ///
    /// Upstream also resolves the per-user directory first and fails when neither `XDG_CONFIG_HOME` nor
    /// the home directory is known; [`load`](Self::load) with an [`Environment`] does that too.
    pub fn load_dir(dir: &Path) -> Result<Self> {
        let files = crate::configfile::read_drop_ins(&[dir.to_path_buf()], ".yaml")?;
        Self::load_files(
            files
                .into_iter()
                .filter_map(|path| match std::fs::File::open(&path) {
                    Ok(file) => Some(Ok(crate::configfile::Item { path, file })),
                    Err(e) if e.kind() == io::ErrorKind::NotFound => None,
                    Err(e) => Some(Err(IoError::new("open", &path, e).into())),
                }),
        )
    }

    /// Loads registries.d as containers/image v5.42 `loadRegistryConfiguration` does: `custom_dir`
    /// (`SystemContext.RegistriesDirPath`) alone if given (see [`load_dir`](Self::load_dir)), else the
    /// merge of the default directories ([`default_dirs`](Self::default_dirs)).
    pub fn load(env: &Environment, custom_dir: Option<&Path>) -> Result<Self> {
        let conf = crate::configfile::ConfigFile::registries_d(custom_dir);
        Self::load_files(conf.read(env))
    }

    /// Merges opened files in order; read errors are Go's (`read <path>: is a directory`).
    fn load_files(
        files: impl IntoIterator<Item = Result<crate::configfile::Item>>,
    ) -> Result<Self> {
        let mut merger = Merger::default();
        for item in files {
            let mut item = item?;
            let mut bytes = Vec::new();
            io::Read::read_to_end(&mut item.file, &mut bytes)
                .map_err(|e| IoError::new("read", &item.path, e))?;
            merger.add(&item.path.display().to_string(), &bytes)?;
        }
        Ok(merger.config)
    }

    /// Merges in-memory files, in the given order, exactly as [`load_dir`](Self::load_dir) merges a
    /// directory; `name` is what error messages call each file.
    pub fn from_yaml_files<N: AsRef<str>, B: AsRef<[u8]>>(files: &[(N, B)]) -> Result<Self> {
        let mut merger = Merger::default();
        for (name, bytes) in files {
            merger.add(name.as_ref(), bytes.as_ref())?;
        }
        Ok(merger.config)
    }

    /// The directories [`load_default`](Self::load_default) merges, highest priority first
    /// (containers/image v5.42, go.podman.io/storage `configfile`): `$XDG_CONFIG_HOME/containers/registries.d`
    /// (`$HOME/.config/containers/registries.d` when `XDG_CONFIG_HOME` is unset); then under `<root>/etc/containers`
    /// and then `<root>/usr/share/containers`: `registries.rootless.d/<UID>` and `registries.rootless.d`
    /// for a UID > 0 ([`Environment::rootless_uid`]), `registries.rootful.d` for UID 0, and
    /// `registries.d` (`<root>`: [`Environment::root_for_implicit_absolute_paths`]). All of them are read;
    /// a `*.yaml` name present in several is read only from the first; the files are read in name order.
    /// Fails only when neither `XDG_CONFIG_HOME` nor the home directory is known.
    pub fn default_dirs(env: &Environment) -> Result<Vec<PathBuf>> {
        Ok(crate::configfile::ConfigFile::registries_d(None)
            .search_paths(env)?
            .drop_in_directories)
    }

    /// The per-user directory, the first of [`default_dirs`](Self::default_dirs) (falling back to
    /// `/etc/containers/registries.d` when the home directory is unknown). Up to containers/image v5.39
    /// it was the only directory read when it existed; v5.42 reads all of
    /// [`default_dirs`](Self::default_dirs).
    #[deprecated(note = "containers/image v5.42 reads several directories: use `default_dirs`")]
    pub fn default_dir(env: &Environment) -> PathBuf {
        Self::default_dirs(env)
            .ok()
            .and_then(|d| d.into_iter().next())
            .unwrap_or_else(|| PathBuf::from(SYSTEM_REGISTRIES_D))
    }

    /// Loads the default directories for `env` ([`default_dirs`](Self::default_dirs)), as
    /// containers/image v5.42 does without `SystemContext.RegistriesDirPath`.
    pub fn load_default(env: &Environment) -> Result<Self> {
        Self::load(env, None)
    }

    /// Where `skopeo copy --sign-by` / `podman push --sign-by` write signatures when no scope of an image
    /// says otherwise: `default-docker`'s `lookaside-staging` (or `sigstore-staging`, then `lookaside`,
    /// `sigstore`), else the built-in default store for `env` (see [`default_lookaside`]). The root of a
    /// staging store, without any repository path.
    pub fn default_staging_url(&self, env: &Environment) -> Result<LookasideUrl> {
        match self
            .default_docker
            .as_ref()
            .and_then(|s| s.signature_top_level(true))
        {
            Some(u) => LookasideUrl::parse(u),
            None => default_lookaside(env),
        }
    }

    /// The configured lookaside value for `reference` before the repository path is appended (upstream
    /// `signatureTopLevel`): identity, then each namespace (wildcards included), then `default-docker`;
    /// the first section yielding a non-empty value wins. `None` means "use the built-in default".
    pub fn signature_top_level(
        &self,
        reference: &DockerReference,
        write: bool,
    ) -> Result<Option<&str>> {
        for section in self.sections_for(reference)? {
            if let Some(url) = section.signature_top_level(write) {
                return Ok(Some(url));
            }
        }
        Ok(None)
    }

    /// The lookaside base URL for `reference`, with its repository path appended
    /// (containers/image `SignatureStorageBaseURL`); `write` selects the staging location. With nothing
    /// configured: `file:///var/lib/containers/sigstore` for UID 0, else
    /// `file://$HOME/.local/share/containers/sigstore` (an error if `env` has no home).
    pub fn storage_base_url(
        &self,
        reference: &DockerReference,
        write: bool,
        env: &Environment,
    ) -> Result<LookasideUrl> {
        let base = match self.signature_top_level(reference, write)? {
            Some(top) => LookasideUrl::parse(top)?,
            None => default_lookaside(env)?,
        };
        Ok(base.with_repository(reference))
    }

    /// Whether sigstore attachments are used for `reference`: the first section of the same walk where
    /// `use-sigstore-attachments` is set decides; default false. A reference that cannot be a docker
    /// image reference (tag and digest) has no sections and yields false.
    pub fn use_sigstore_attachments(&self, reference: &DockerReference) -> bool {
        self.sections_for(reference)
            .ok()
            .and_then(|s| s.into_iter().find_map(|s| s.use_sigstore_attachments))
            .unwrap_or(false)
    }

    /// The sections applying to `reference`, most specific first.
    fn sections_for(&self, reference: &DockerReference) -> Result<Vec<&Section>> {
        let image = ImageReference::docker(reference.clone())?;
        let mut out: Vec<&Section> = std::iter::once(image.policy_identity())
            .chain(image.policy_namespaces())
            .filter_map(|scope| self.docker.get(&scope))
            .collect();
        out.extend(self.default_docker.as_ref());
        Ok(out)
    }
}

/// The built-in lookaside location (`builtinDefaultLookasideStorageDir`).
pub fn default_lookaside(env: &Environment) -> Result<LookasideUrl> {
    if env.uid == 0 {
        return Ok(LookasideUrl::file(Path::new(ROOT_LOOKASIDE_DIR)));
    }
    let home = env.home.as_ref().ok_or_else(|| {
        Error::Config(
            "cannot determine the default lookaside location: the home directory is unknown"
                .to_owned(),
        )
    })?;
    Ok(LookasideUrl::file(&home.join(USER_LOOKASIDE_DIR)))
}

#[derive(Default)]
struct Merger {
    config: RegistriesD,
    default_from: String,
    scope_from: BTreeMap<String, String>,
}

impl Merger {
    fn add(&mut self, name: &str, bytes: &[u8]) -> Result<()> {
        // `loadAndMergeConfig`: `parsing <file>: <yaml.v3 error>`.
        let file =
            yaml_v3::decode(bytes).map_err(|e| Error::Config(format!("parsing {name}: {e}")))?;
        if let Some(section) = file.default_docker {
            if self.config.default_docker.is_some() {
                return Err(Error::Config(format!(
                    "Error parsing signature storage configuration: \"default-docker\" defined both in {} and {}",
                    go_quote(&self.default_from),
                    go_quote(name)
                )));
            }
            self.config.default_docker = Some(section);
            self.default_from = name.to_owned();
        }
        for (scope, section) in file.docker.unwrap_or_default() {
            if let Some(previous) = self.scope_from.get(&scope) {
                return Err(Error::Config(format!(
                    "Error parsing signature storage configuration: \"docker\" namespace {} defined both in {} and {}",
                    go_quote(&scope),
                    go_quote(previous),
                    go_quote(name)
                )));
            }
            self.scope_from.insert(scope.clone(), name.to_owned());
            self.config.docker.insert(scope, section);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(files: &[(&str, &str)]) -> Result<RegistriesD> {
        RegistriesD::from_yaml_files(files)
    }

    fn r(s: &str) -> DockerReference {
        DockerReference::parse_normalized(s).unwrap()
    }

    #[test]
    fn empty_and_null_documents() {
        for doc in [
            "",
            "{}",
            "# only a comment\n",
            "~",
            "docker:\n",
            "default-docker:\n",
        ] {
            assert_eq!(
                load(&[("a", doc)]).unwrap(),
                RegistriesD::default(),
                "{doc:?}"
            );
        }
        let c = load(&[("a", "docker:\n  example.com:\n")]).unwrap();
        assert_eq!(c.docker["example.com"], Section::default());
    }

    #[test]
    fn unknown_keys_ignored_and_keys_case_sensitive() {
        let c = load(&[(
            "a",
            "unknown: 1\ndefault-docker:\n  Lookaside: https://x\n  other: y\n  sigstore: https://s\n",
        )])
        .unwrap();
        let d = c.default_docker.unwrap();
        assert_eq!(d.lookaside, None);
        assert_eq!(d.sigstore.as_deref(), Some("https://s"));
    }

    #[test]
    fn duplicate_keys_in_one_file_are_errors() {
        for doc in [
            "docker:\n  a:\n    lookaside: x\n  a:\n    lookaside: y\n",
            "default-docker:\n  lookaside: x\n  lookaside: y\n",
            "docker: {}\ndocker: {}\n",
            "foo: 1\nfoo: 2\n",
        ] {
            let e = load(&[("/d/f.yaml", doc)]).unwrap_err();
            assert!(e.to_string().starts_with("parsing /d/f.yaml: "), "{e}");
            assert_eq!(e.kind(), crate::ErrorKind::Config);
        }
    }

    /// yaml.v3's texts, as containers/image v5.42 wraps them (`parsing <file>: <yaml.v3 error>`); the
    /// full table recorded from yaml.v3 is in tests/registries_d_yaml_v3.rs.
    #[test]
    fn yaml_errors_have_yaml_v3_text() {
        for (doc, want) in [
            (
                "docker:\n  a: {}\ndocker: {}\ndocker: {}\n",
                "yaml: unmarshal errors:\n  line 3: mapping key \"docker\" already defined at line 1\n  \
                 line 4: mapping key \"docker\" already defined at line 1\n  \
                 line 4: mapping key \"docker\" already defined at line 3",
            ),
            (
                "default-docker:\n  lookaside: x\n   sigstore: y\n",
                "yaml: line 3: mapping values are not allowed in this context",
            ),
            (
                "default-docker:\n  lookaside: x\n sigstore: y\n",
                "yaml: line 2: did not find expected key",
            ),
            (
                "default-docker:\n  lookaside: 'unterminated\n",
                "yaml: line 2: found unexpected end of stream",
            ),
            (
                "docker:\n\tquay.io: {}\n",
                "yaml: line 2: found character that cannot start any token",
            ),
            (
                "default-docker:\n  use-sigstore-attachments: maybe\n  lookaside: [x]\n",
                "yaml: unmarshal errors:\n  line 2: cannot unmarshal !!str `maybe` into bool\n  \
                 line 3: cannot unmarshal !!seq into string",
            ),
            (
                "default-docker:\n  use-sigstore-attachments: a very long string\n",
                "yaml: unmarshal errors:\n  line 2: cannot unmarshal !!str `a very ...` into bool",
            ),
            (
                "docker: [a, b]\n",
                "yaml: unmarshal errors:\n  line 1: cannot unmarshal !!seq into map[string]docker.registryNamespace",
            ),
            (
                "docker:\n  quay.io: just-a-string\n",
                "yaml: unmarshal errors:\n  line 2: cannot unmarshal !!str `just-a-...` into docker.registryNamespace",
            ),
            (
                "default-docker: 1\n",
                "yaml: unmarshal errors:\n  line 1: cannot unmarshal !!int `1` into docker.registryNamespace",
            ),
            (
                "- a\n- b\n",
                "yaml: unmarshal errors:\n  line 1: cannot unmarshal !!seq into docker.registryConfiguration",
            ),
            (
                "default-docker: *nope\n",
                "yaml: unknown anchor 'nope' referenced",
            ),
            (
                "default-docker:\n  lookaside: !!int x\n",
                "yaml: cannot decode !!str `x` as a !!int",
            ),
            ("a: \x01\n", "yaml: control characters are not allowed"),
        ] {
            let e = load(&[("/d/f.yaml", doc)]).unwrap_err();
            assert_eq!(
                e.to_string(),
                format!("parsing /d/f.yaml: {want}"),
                "{doc:?}"
            );
            assert_eq!(e.kind(), crate::ErrorKind::Config);
        }
        let e = RegistriesD::from_yaml_files(&[("/d/f.yaml", b"a: \xff\n")]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "parsing /d/f.yaml: yaml: invalid leading UTF-8 octet"
        );
    }

    /// yaml.v3 decodes booleans of YAML 1.1 (`yes`, `on`, `n`, …) into a bool field; tags, anchors,
    /// merge keys and quoting behave as in yaml.v3.
    #[test]
    fn yaml_v3_value_forms() {
        for (word, want) in [
            ("yes", true),
            ("On", true),
            ("Y", true),
            ("'yes'", true),
            ("true", true),
            ("no", false),
            ("OFF", false),
            ("n", false),
            ("False", false),
        ] {
            let c = load(&[(
                "a",
                &*format!("default-docker:\n  use-sigstore-attachments: {word}\n"),
            )])
            .unwrap();
            assert_eq!(
                c.default_docker.unwrap().use_sigstore_attachments,
                Some(want),
                "{word}"
            );
        }
        let c = load(&[(
            "a",
            "base: &b {lookaside: merged, sigstore: s}\n\
             default-docker:\n  <<: *b\n  lookaside: own\n\
             docker:\n  quay.io:\n    lookaside: &a https://anchor.example\n    sigstore: *a\n\
             \x20 '12': {lookaside: !!binary aGVsbG8=}\n",
        )])
        .unwrap();
        let d = c.default_docker.unwrap();
        assert_eq!(d.lookaside.as_deref(), Some("own"));
        assert_eq!(d.sigstore.as_deref(), Some("s"));
        assert_eq!(
            c.docker["quay.io"].sigstore.as_deref(),
            Some("https://anchor.example")
        );
        assert_eq!(c.docker["12"].lookaside.as_deref(), Some("hello"));
        // `~` keys are dropped; a null section is an empty one; only the first document is read.
        let c = load(&[("a", "docker:\n  ~: {lookaside: x}\n  a:\n---\n- [\n")]).unwrap();
        assert_eq!(c.docker.len(), 1);
        assert_eq!(c.docker["a"], Section::default());
    }

    #[test]
    fn cross_file_duplicates_name_both_files_in_read_order() {
        let e = load(&[
            ("a.yaml", "default-docker:\n  lookaside: x\n"),
            ("b.yaml", "default-docker:\n  lookaside: y\n"),
        ])
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            r#"Error parsing signature storage configuration: "default-docker" defined both in "a.yaml" and "b.yaml""#
        );
        let e = load(&[
            ("a.yaml", "docker:\n  example.com: {}\n"),
            ("b.yaml", "docker:\n  example.com:\n    lookaside: y\n"),
        ])
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            r#"Error parsing signature storage configuration: "docker" namespace "example.com" defined both in "a.yaml" and "b.yaml""#
        );
    }

    #[test]
    fn empty_values_fall_through_and_attachments_take_first_set() {
        let c = load(&[(
            "a",
            "default-docker:\n  lookaside: https://default\n  use-sigstore-attachments: true\n\
             docker:\n  example.com/ns:\n    lookaside: ''\n    use-sigstore-attachments: false\n\
             \x20 '*.example.com':\n    lookaside: https://wild\n",
        )])
        .unwrap();
        let env = Environment::with_home("/home/u", 1000);
        assert_eq!(
            c.storage_base_url(&r("example.com/ns/repo"), false, &env)
                .unwrap()
                .to_string(),
            "https://default/ns/repo"
        );
        assert_eq!(
            c.storage_base_url(&r("sub.example.com/x"), true, &env)
                .unwrap()
                .to_string(),
            "https://wild/x"
        );
        assert!(!c.use_sigstore_attachments(&r("example.com/ns/repo")));
        assert!(c.use_sigstore_attachments(&r("example.com/other")));
    }

    #[test]
    fn built_in_defaults() {
        let c = RegistriesD::default();
        let root = Environment::with_home("/root", 0);
        assert_eq!(
            c.storage_base_url(&r("busybox"), false, &root)
                .unwrap()
                .to_string(),
            "file:///var/lib/containers/sigstore/library/busybox"
        );
        let user = Environment::with_home("/home/u", 1000);
        assert_eq!(
            c.storage_base_url(&r("busybox"), true, &user)
                .unwrap()
                .to_string(),
            "file:///home/u/.local/share/containers/sigstore/library/busybox"
        );
        let homeless = Environment {
            uid: 1000,
            ..Environment::default()
        };
        assert_eq!(
            c.storage_base_url(&r("busybox"), true, &homeless)
                .unwrap_err()
                .kind(),
            crate::ErrorKind::Config
        );
    }

    #[test]
    fn load_dir_reads_only_yaml_sorted_and_missing_is_empty() {
        let tmp = tempfile::tempdir().unwrap();
        assert_eq!(
            RegistriesD::load_dir(&tmp.path().join("missing")).unwrap(),
            RegistriesD::default()
        );
        std::fs::write(
            tmp.path().join("b.yaml"),
            "default-docker:\n  lookaside: b\n",
        )
        .unwrap();
        std::fs::write(
            tmp.path().join("a.yaml"),
            "default-docker:\n  lookaside: a\n",
        )
        .unwrap();
        std::fs::write(tmp.path().join("c.yml"), "}").unwrap();
        let e = RegistriesD::load_dir(tmp.path()).unwrap_err();
        let (a, b) = (tmp.path().join("a.yaml"), tmp.path().join("b.yaml"));
        assert_eq!(
            e.to_string(),
            format!(
                "Error parsing signature storage configuration: \"default-docker\" defined both in \"{}\" and \"{}\"",
                a.display(),
                b.display()
            )
        );
        std::fs::remove_file(&b).unwrap();
        std::fs::write(tmp.path().join("bad.yaml"), "}").unwrap();
        let e = RegistriesD::load_dir(tmp.path()).unwrap_err();
        assert!(
            e.to_string().starts_with(&format!(
                "parsing {}: ",
                tmp.path().join("bad.yaml").display()
            )),
            "{e}"
        );
        let e = RegistriesD::load_dir(Path::new("/dev/null")).unwrap_err();
        assert_eq!(e.to_string(), "open /dev/null: not a directory");
    }

    /// containers/image v5.42 (go.podman.io/storage `configfile.Read`) skips entries that are
    /// directories; a symbolic link to one is opened and fails to read. Names are `filepath.Join`ed.
    #[test]
    fn load_dir_skips_directories_named_yaml() {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::create_dir(tmp.path().join("sub.yaml")).unwrap();
        std::fs::write(
            tmp.path().join("a.yaml"),
            "default-docker:\n  lookaside: https://a\n",
        )
        .unwrap();
        let c = RegistriesD::load_dir(tmp.path()).unwrap();
        assert_eq!(
            c.default_docker.unwrap().lookaside.as_deref(),
            Some("https://a")
        );
        std::fs::write(tmp.path().join("b.yaml"), "}\n").unwrap();
        let dotted = tmp.path().join(".").join("sub.yaml").join("..");
        let e = RegistriesD::load_dir(&dotted).unwrap_err();
        assert_eq!(
            e.to_string(),
            format!(
                "parsing {}: yaml: did not find expected node content",
                tmp.path().join("b.yaml").display()
            )
        );
        std::fs::remove_file(tmp.path().join("b.yaml")).unwrap();
        std::os::unix::fs::symlink(tmp.path().join("sub.yaml"), tmp.path().join("link.yaml"))
            .unwrap();
        let e = RegistriesD::load_dir(tmp.path()).unwrap_err();
        assert_eq!(
            e.to_string(),
            format!(
                "read {}: is a directory",
                tmp.path().join("link.yaml").display()
            )
        );
    }

    fn write(path: &Path, text: &str) {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    /// containers/image v5.42: every default directory is read (not just the first that exists); a
    /// name in a higher-priority directory hides the same name below; files merge in name order.
    #[test]
    fn load_default_merges_all_directories() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().join("root");
        let env = Environment::with_home(tmp.path().join("home"), 1000)
            .with_root_for_implicit_absolute_paths(&root);
        assert_eq!(
            RegistriesD::default_dirs(&env).unwrap(),
            vec![
                tmp.path().join("home/.config/containers/registries.d"),
                root.join("etc/containers/registries.rootless.d/1000"),
                root.join("etc/containers/registries.rootless.d"),
                root.join("etc/containers/registries.d"),
                root.join("usr/share/containers/registries.rootless.d/1000"),
                root.join("usr/share/containers/registries.rootless.d"),
                root.join("usr/share/containers/registries.d"),
            ]
        );
        assert_eq!(
            RegistriesD::load_default(&env).unwrap(),
            RegistriesD::default()
        );
        let user = tmp.path().join("home/.config/containers/registries.d");
        write(
            &user.join("a.yaml"),
            "docker:\n  a.example: {lookaside: https://user}\n",
        );
        write(
            &root.join("etc/containers/registries.d/a.yaml"),
            "docker:\n  a.example: {lookaside: https://hidden}\n",
        );
        write(
            &root.join("usr/share/containers/registries.d/b.yaml"),
            "default-docker:\n  lookaside: https://vendor\n",
        );
        write(
            &root.join("usr/share/containers/registries.rootful.d/c.yaml"),
            "docker:\n  c.example: {lookaside: https://rootful}\n",
        );
        let c = RegistriesD::load_default(&env).unwrap();
        assert_eq!(c.docker.len(), 1);
        assert_eq!(
            c.docker["a.example"].lookaside.as_deref(),
            Some("https://user")
        );
        assert_eq!(
            c.default_docker.unwrap().lookaside.as_deref(),
            Some("https://vendor")
        );
        // Root reads `registries.rootful.d`, not the rootless ones.
        let mut root_env = env.clone();
        root_env.rootless_uid = 0;
        let c = RegistriesD::load_default(&root_env).unwrap();
        assert_eq!(
            c.docker["c.example"].lookaside.as_deref(),
            Some("https://rootful")
        );
        // Different names in two directories that configure the same scope conflict.
        write(
            &root.join("etc/containers/registries.rootless.d/1000/z.yaml"),
            "default-docker:\n  lookaside: https://uid\n",
        );
        let e = RegistriesD::load_default(&env).unwrap_err();
        assert_eq!(
            e.to_string(),
            format!(
                "Error parsing signature storage configuration: \"default-docker\" defined both in \"{}\" and \"{}\"",
                root.join("usr/share/containers/registries.d/b.yaml")
                    .display(),
                root.join("etc/containers/registries.rootless.d/1000/z.yaml")
                    .display()
            )
        );
        // An explicit directory replaces all default ones.
        let custom = tmp.path().join("custom");
        write(&custom.join("x.yaml"), "docker:\n  x.example: {}\n");
        let c = RegistriesD::load(&env, Some(&custom)).unwrap();
        assert_eq!(c.docker.keys().collect::<Vec<_>>(), ["x.example"]);
        assert_eq!(c.default_docker, None);
        assert_eq!(RegistriesD::load_dir(&custom).unwrap(), c);
    }

    #[test]
    #[allow(deprecated)]
    fn default_dir_is_the_user_dir() {
        let env = Environment::with_home("/home/u", 1000);
        assert_eq!(
            RegistriesD::default_dir(&env),
            PathBuf::from("/home/u/.config/containers/registries.d")
        );
        let homeless = Environment::default();
        assert_eq!(
            RegistriesD::default_dir(&homeless),
            PathBuf::from(SYSTEM_REGISTRIES_D)
        );
        assert_eq!(
            RegistriesD::load_default(&homeless)
                .unwrap_err()
                .to_string(),
            "unable to resolve HOME directory: user: unknown userid 0"
        );
    }
}
