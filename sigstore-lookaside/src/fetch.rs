//! Reading all signatures of an image from a lookaside store, with containers/image's walk semantics
//! (`docker_image_src.go` `getSignaturesFromLookaside` / `getOneSignature`).
//! OWNER: helper B (network).
//!
//! The walk reads `signature-1`, `signature-2`, … and stops at the first missing one; the first failure
//! (a read error or an unparsable blob) ends it with that error; reading index 129 is never attempted:
//! once 128 signatures are present the walk fails with
//! `server provided 128 signatures, assuming that's unreasonable and a server error`.
//!
//! [`SignatureReader`] may fetch several indices at once; the outcome is always the sequential walk's.

use std::sync::{
    Mutex,
    atomic::{AtomicUsize, Ordering},
};

use containers_policy::{Digest, error::go_quote, signature::Signature};

use crate::{
    Error, HttpOptions, LookasideUrl, Result,
    store::{self, MAX_SIGNATURES, http::HttpStore},
};

/// Default number of signature indices fetched at once.
pub const DEFAULT_CONCURRENCY: usize = 4;

/// Reads image signatures from `file://` and `http(s)://` lookaside stores. Send + Sync; one reader can
/// serve many threads. It uses a blocking HTTP client, so it must not be called from inside an async
/// runtime's worker thread.
#[derive(Debug, Clone)]
pub struct SignatureReader {
    http: HttpStore,
    concurrency: usize,
}

/// The outcome of reading one index.
enum Slot<T> {
    /// The signature is there.
    Present(T),
    /// The index does not exist: the list ends before it.
    Missing,
    /// Reading or parsing failed.
    Failed(Error),
}

impl SignatureReader {
    /// A reader whose HTTP client is built from `options`, fetching [`DEFAULT_CONCURRENCY`] indices at once.
    pub fn new(options: &HttpOptions) -> Result<Self> {
        Ok(SignatureReader {
            http: HttpStore::new(options)?,
            concurrency: DEFAULT_CONCURRENCY,
        })
    }

    /// A reader using an existing HTTP store reader.
    pub fn from_http_store(http: HttpStore) -> Self {
        SignatureReader {
            http,
            concurrency: DEFAULT_CONCURRENCY,
        }
    }

    /// Fetch up to `n` indices at once (`0` and `1` both mean strictly one after another).
    pub fn with_concurrency(mut self, n: usize) -> Self {
        self.concurrency = n.clamp(1, MAX_SIGNATURES);
        self
    }

    /// All signatures of `digest` under `base` (a lookaside URL that already includes the repository
    /// path, as [`LookasideUrl::with_repository`] gives it), parsed with [`Signature::from_blob`].
    pub fn read_signatures(&self, base: &LookasideUrl, digest: &Digest) -> Result<Vec<Signature>> {
        self.walk(base, digest, |location, blob| {
            Signature::from_blob(&blob).map_err(|e| {
                Error::Policy(containers_policy::Error::SignatureFormat(format!(
                    "parsing signature {location}: {e}"
                )))
            })
        })
    }

    /// The raw signature blobs of `digest` under `base`. Every blob is still checked to be a recognized
    /// signature format, so the result (and any error) is exactly [`SignatureReader::read_signatures`]'s.
    pub fn read_signature_blobs(
        &self,
        base: &LookasideUrl,
        digest: &Digest,
    ) -> Result<Vec<Vec<u8>>> {
        self.walk(base, digest, |location, blob| {
            match Signature::from_blob(&blob) {
                Ok(_) => Ok(blob),
                Err(e) => Err(Error::Policy(containers_policy::Error::SignatureFormat(
                    format!("parsing signature {location}: {e}"),
                ))),
            }
        })
    }

    /// The walk: `parse(location text as upstream names it in parse errors, blob)`.
    fn walk<T: Send>(
        &self,
        base: &LookasideUrl,
        digest: &Digest,
        parse: impl Fn(&str, Vec<u8>) -> Result<T> + Sync,
    ) -> Result<Vec<T>> {
        let read_index = |index: usize| -> Slot<T> {
            match self.read_one(base, digest, index) {
                Ok(None) => Slot::Missing,
                Ok(Some((location, blob))) => match parse(&location, blob) {
                    Ok(v) => Slot::Present(v),
                    Err(e) => Slot::Failed(e),
                },
                Err(e) => Slot::Failed(e),
            }
        };
        if self.concurrency <= 1 {
            return sequential(read_index);
        }
        parallel(self.concurrency, read_index)
    }

    /// Reads index `index`: `Ok(None)` when missing, else the location text for parse errors and the blob.
    fn read_one(
        &self,
        base: &LookasideUrl,
        digest: &Digest,
        index: usize,
    ) -> Result<Option<(String, Vec<u8>)>> {
        let url = base.signature_url(digest, index)?;
        let name = redacted(&url.to_string());
        match url.scheme() {
            "file" => {
                let Some(path) = url.file_path() else {
                    return Err(unsupported(&name));
                };
                Ok(store::file::get_one(&path)?
                    .map(|blob| (go_quote(&path.display().to_string()), blob)))
            }
            "http" | "https" => {
                let Some(target) = url.to_url() else {
                    return Err(Error::Read(format!(
                        "reading signature from {name}: the URL cannot be requested"
                    )));
                };
                let mut warnings = Vec::new();
                Ok(self
                    .http
                    .get_one_named(&target, &name, &mut warnings)?
                    .map(|blob| (name, blob)))
            }
            _ => Err(unsupported(&name)),
        }
    }
}

fn unsupported(name: &str) -> Error {
    Error::Read(format!(
        "Unsupported scheme when reading signature from {name}"
    ))
}

/// Go's `URL.Redacted()` on a rendered URL: a password in the user info becomes `xxxxx`.
fn redacted(url: &str) -> String {
    let Some(scheme_end) = url.find("://") else {
        return url.to_string();
    };
    let authority_start = scheme_end + 3;
    let authority_end = url[authority_start..]
        .find(['/', '?', '#'])
        .map_or(url.len(), |i| authority_start + i);
    let authority = &url[authority_start..authority_end];
    match authority.rfind('@') {
        Some(at) => match authority[..at].find(':') {
            Some(colon) => format!(
                "{}{}:xxxxx{}",
                &url[..authority_start],
                &authority[..colon],
                &url[authority_start + at..]
            ),
            None => url.to_string(),
        },
        None => url.to_string(),
    }
}

fn cap_error() -> Error {
    Error::Read(format!(
        "server provided {MAX_SIGNATURES} signatures, assuming that's unreasonable and a server error"
    ))
}

/// containers/image's loop, verbatim in behaviour.
fn sequential<T>(read_index: impl Fn(usize) -> Slot<T>) -> Result<Vec<T>> {
    let mut out = Vec::new();
    for i in 0.. {
        if i >= MAX_SIGNATURES {
            return Err(cap_error());
        }
        match read_index(i + 1) {
            Slot::Present(v) => out.push(v),
            Slot::Missing => return Ok(out),
            Slot::Failed(e) => return Err(e),
        }
    }
    unreachable!("the loop returns")
}

/// Workers take indices 1..=MAX_SIGNATURES from a counter; `stop` holds the lowest index known to end
/// the walk (missing or failed). A worker stops once its next index is above `stop`: every index at or
/// below the final `stop` has then been read, which is all the sequential walk would have read.
fn parallel<T: Send>(
    workers: usize,
    read_index: impl Fn(usize) -> Slot<T> + Sync,
) -> Result<Vec<T>> {
    let next = AtomicUsize::new(1);
    let stop = AtomicUsize::new(usize::MAX);
    let slots: Mutex<Vec<Option<Slot<T>>>> =
        Mutex::new((0..MAX_SIGNATURES).map(|_| None).collect());
    std::thread::scope(|scope| {
        for _ in 0..workers.min(MAX_SIGNATURES) {
            scope.spawn(|| {
                loop {
                    let index = next.fetch_add(1, Ordering::SeqCst);
                    if index > MAX_SIGNATURES || index > stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let slot = read_index(index);
                    if !matches!(slot, Slot::Present(_)) {
                        stop.fetch_min(index, Ordering::SeqCst);
                    }
                    let mut guard = slots.lock().unwrap_or_else(|p| p.into_inner());
                    guard[index - 1] = Some(slot);
                }
            });
        }
    });
    let slots = slots.into_inner().unwrap_or_else(|p| p.into_inner());
    let mut out = Vec::new();
    for slot in slots {
        match slot {
            Some(Slot::Present(v)) => out.push(v),
            Some(Slot::Missing) => return Ok(out),
            Some(Slot::Failed(e)) => return Err(e),
            // Cannot happen (see above); refuse rather than return a truncated list.
            None => {
                return Err(Error::Other(
                    "internal error: signature index skipped by the parallel reader".into(),
                ));
            }
        }
    }
    Err(cap_error())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outcome(spec: &[u8], index: usize) -> Slot<usize> {
        // 'p' present, 'm' missing, 'e' error; beyond the spec: present.
        match spec.get(index - 1) {
            Some(b'm') => Slot::Missing,
            Some(b'e') => Slot::Failed(Error::Read(format!("error at {index}"))),
            _ => Slot::Present(index),
        }
    }

    fn describe(r: Result<Vec<usize>>) -> String {
        match r {
            Ok(v) => format!("ok {v:?}"),
            Err(e) => format!("err {e}"),
        }
    }

    #[test]
    fn parallel_equals_sequential() {
        let specs: &[&[u8]] = &[
            b"m",
            b"pm",
            b"pppm",
            b"pemm",
            b"pme",
            b"epm",
            b"ppppppem",
            b"pppppppppppppppppppm",
            b"",
        ];
        for spec in specs {
            let seq = describe(sequential(|i| outcome(spec, i)));
            for workers in [2, 3, 8, 200] {
                let par = describe(parallel(workers, |i| outcome(spec, i)));
                assert_eq!(
                    par,
                    seq,
                    "spec {:?} workers {workers}",
                    String::from_utf8_lossy(spec)
                );
            }
        }
        assert!(describe(sequential(|i| outcome(b"", i))).contains("server provided 128"));
    }

    #[test]
    fn redaction() {
        assert_eq!(redacted("https://u:p@h/x@y"), "https://u:xxxxx@h/x@y");
        assert_eq!(redacted("https://u@h/x"), "https://u@h/x");
        assert_eq!(redacted("https://h/a:b@c"), "https://h/a:b@c");
        assert_eq!(redacted("/plain/path"), "/plain/path");
    }
}
