//! The `containers-storage` transport (`storage/storage_transport.go`, `storage/storage_reference.go`),
//! without access to an actual store: the store is described only by what the reference says, with
//! caller-supplied defaults for what it leaves out.

use super::paths::clean;
use crate::{Digest, Error, error::go_quote, reference::DockerReference};

const ERR_INVALID_REFERENCE: &str = "invalid reference";
const ERR_PATH_NOT_ABSOLUTE: &str = "path name is not absolute";

/// The defaults used for the parts of a store a `containers-storage:` reference does not specify
/// (in containers/image they come from `storage.conf`).
#[derive(Debug, Clone, Copy)]
pub(crate) struct StoreDefaults<'a> {
    pub(crate) driver: &'a str,
    pub(crate) graph_root: &'a str,
    pub(crate) run_root: &'a str,
}

/// The driver containers/storage picks for a new store whose driver is not specified, on Linux systems
/// that support it (the first entry of its driver priority list).
const AUTODETECTED_DRIVER: &str = "overlay";

/// The compiled-in defaults of containers/storage for root.
pub(crate) const ROOT_DEFAULTS: StoreDefaults<'static> = StoreDefaults {
    driver: "overlay",
    graph_root: "/var/lib/containers/storage",
    run_root: "/run/containers/storage",
};

/// The store a reference lives in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Store {
    pub(crate) driver: String,
    pub(crate) graph_root: String,
    pub(crate) run_root: String,
    pub(crate) options: Vec<String>,
}

impl Store {
    /// `[driver@graphRoot]`
    pub(crate) fn spec(&self) -> String {
        format!("[{}@{}]", self.driver, self.graph_root)
    }
}

/// A parsed `containers-storage:` reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct StorageReference {
    pub(crate) store: Store,
    pub(crate) named: Option<DockerReference>,
    pub(crate) id: Option<String>,
}

fn invalid() -> Error {
    Error::Other(ERR_INVALID_REFERENCE.to_owned())
}

/// `validateImageID`: a full 64-hex image ID.
fn validate_image_id(id: &str) -> Result<(), Error> {
    Digest::parse(&format!("sha256:{id}"))
        .map(|_| ())
        .map_err(Error::from)
}

/// `storageTransport.ParseReference`.
pub(crate) fn parse(
    reference: &str,
    defaults: StoreDefaults<'_>,
) -> Result<StorageReference, Error> {
    let mut reference = reference;
    let store = if let Some(rest) = reference.strip_prefix('[') {
        let Some(close) = rest.find(']') else {
            return Err(invalid());
        };
        let store_spec = &rest[..close];
        reference = &rest[close + 1..];
        let (driver, spec) = match store_spec.split_once('@') {
            None => {
                if store_spec.is_empty() {
                    return Err(invalid());
                }
                ("", store_spec)
            }
            Some((driver, spec)) => {
                if driver.is_empty() || spec.is_empty() {
                    return Err(invalid());
                }
                (driver, spec)
            }
        };
        let (spec, options) = match spec.split_once(':') {
            Some((spec, options)) => (spec, options.split(',').map(str::to_owned).collect()),
            None => (spec, Vec::new()),
        };
        let (graph_root, run_root) = spec.split_once('+').unwrap_or((spec, ""));
        if !graph_root.is_empty() && !graph_root.starts_with('/') {
            return Err(Error::Other(ERR_PATH_NOT_ABSOLUTE.to_owned()));
        }
        if !run_root.is_empty() && !run_root.starts_with('/') {
            return Err(Error::Other(ERR_PATH_NOT_ABSOLUTE.to_owned()));
        }
        if graph_root.is_empty() && run_root.is_empty() {
            return Err(Error::Other(
                "no storage runroot or graphroot specified: missing necessary StoreOptions"
                    .to_owned(),
            ));
        }
        let graph_root = if graph_root.is_empty() {
            defaults.graph_root.to_owned()
        } else {
            clean(graph_root)
        };
        let run_root = if run_root.is_empty() {
            defaults.run_root.to_owned()
        } else {
            clean(run_root)
        };
        // A store spec without a driver does not use the configured default driver: containers/storage
        // auto-detects one, normally the first in its priority list.
        let driver = if driver.is_empty() {
            AUTODETECTED_DRIVER
        } else {
            driver
        };
        Store {
            driver: driver.to_owned(),
            graph_root,
            run_root,
            options,
        }
    } else {
        Store {
            driver: defaults.driver.to_owned(),
            graph_root: defaults.graph_root.to_owned(),
            run_root: defaults.run_root.to_owned(),
            options: Vec::new(),
        }
    };
    parse_store_reference(store, reference)
}

/// `storageTransport.ParseStoreReference`, without the lookups of truncated image IDs in the store.
fn parse_store_reference(store: Store, reference: &str) -> Result<StorageReference, Error> {
    if reference.is_empty() {
        return Err(Error::Other(format!(
            "{} is an empty reference: {ERR_INVALID_REFERENCE}",
            go_quote(reference)
        )));
    }
    let mut rest = reference;
    if let Some(after) = rest.strip_prefix('[') {
        match after.find(']') {
            Some(i) => rest = &after[i + 1..],
            None => {
                return Err(Error::Other(format!(
                    "store specifier in {} did not end: {ERR_INVALID_REFERENCE}",
                    go_quote(reference)
                )));
            }
        }
    }
    let mut id = None;
    if let Some(split) = rest.rfind('@') {
        let possible_id = &rest[split + 1..];
        if possible_id.is_empty() {
            return Err(Error::Other(format!(
                "empty trailing digest or ID in {}: {ERR_INVALID_REFERENCE}",
                go_quote(rest)
            )));
        }
        if Digest::parse(possible_id).is_err() {
            if validate_image_id(possible_id).is_err() {
                return Err(Error::Other(format!(
                    "{} does not look like an image ID or digest: {ERR_INVALID_REFERENCE}",
                    go_quote(possible_id)
                )));
            }
            id = Some(possible_id.to_owned());
            rest = &rest[..split];
        }
    }
    let named = if rest.is_empty() {
        None
    } else {
        let named = DockerReference::parse_normalized(rest).map_err(|e| {
            Error::Other(format!("parsing named reference {}: {e}", go_quote(rest)))
        })?;
        Some(named.with_default_tag())
    };
    if named.is_none() && id.is_none() {
        return Err(invalid());
    }
    Ok(StorageReference { store, named, id })
}

impl StorageReference {
    /// `StringWithinTransport`: `[driver@graphRoot+runRoot[:options]]name@id`.
    pub(crate) fn string_within_transport(&self) -> String {
        let mut res = format!(
            "[{}@{}+{}",
            self.store.driver, self.store.graph_root, self.store.run_root
        );
        if !self.store.options.is_empty() {
            res.push(':');
            res.push_str(&self.store.options.join(","));
        }
        res.push(']');
        self.push_named_and_id(&mut res);
        res
    }

    fn push_named_and_id(&self, res: &mut String) {
        if let Some(named) = &self.named {
            res.push_str(named.as_str());
        }
        if let Some(id) = &self.id {
            res.push('@');
            res.push_str(id);
        }
    }

    /// `PolicyConfigurationIdentity`: `[driver@graphRoot]name@id`.
    pub(crate) fn policy_identity(&self) -> String {
        let mut res = self.store.spec();
        self.push_named_and_id(&mut res);
        res
    }

    /// `PolicyConfigurationNamespaces`.
    pub(crate) fn policy_namespaces(&self) -> Vec<String> {
        let spec = self.store.spec();
        let mut res = Vec::new();
        if let Some(named) = &self.named {
            if self.id.is_some() {
                res.push(format!("{spec}{named}"));
            }
            if let (Some(tag), Some(_)) = (named.tag(), named.digest()) {
                res.push(format!("{spec}{}:{tag}", named.name_str()));
            }
            let mut name = named.name_str();
            loop {
                res.push(format!("{spec}{name}"));
                match name.rfind('/') {
                    Some(i) => name = &name[..i],
                    None => break,
                }
            }
        }
        res.push(spec);
        res.push(format!("[{}]", self.store.graph_root));
        res
    }
}

/// `storageTransport.ValidatePolicyConfigurationScope`.
pub(crate) fn validate_scope(scope: &str) -> Result<(), String> {
    let Some(after) = scope.strip_prefix('[') else {
        return Err(ERR_INVALID_REFERENCE.to_owned());
    };
    let Some(close) = after.find(']') else {
        return Err(ERR_INVALID_REFERENCE.to_owned());
    };
    let store_spec = &after[..close];
    let rest = &after[close + 1..];
    match store_spec.split_once('@') {
        Some((a, b)) if !a.is_empty() && !b.is_empty() => {
            if !b.starts_with('/') {
                return Err(ERR_PATH_NOT_ABSOLUTE.to_owned());
            }
        }
        None if !store_spec.is_empty() => {
            if !store_spec.starts_with('/') {
                return Err(ERR_PATH_NOT_ABSOLUTE.to_owned());
            }
        }
        _ => return Err(ERR_INVALID_REFERENCE.to_owned()),
    }
    if rest.is_empty() {
        return Ok(());
    }
    let fields: Vec<&str> = rest.splitn(3, '@').collect();
    match fields.as_slice() {
        [_] => Ok(()),
        [_, second] => {
            if let Err(id_err) = validate_image_id(second) {
                if let Err(digest_err) = Digest::parse(second) {
                    return Err(format!(
                        "{second} is neither a valid digest({digest_err}) nor a valid ID({id_err})"
                    ));
                }
            }
            Ok(())
        }
        [_, digest, id] => {
            Digest::parse(digest).map_err(|e| e.to_string())?;
            validate_image_id(id).map_err(|e| e.to_string())
        }
        _ => Err("Internal error: unexpected number of fields form strings.SplitN".to_owned()),
    }
}
