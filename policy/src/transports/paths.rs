//! Go's `path/filepath` helpers (Unix semantics), containers/image `explicitfilepath`, and `strconv.Atoi`,
//! with Go's error texts.

use std::io;

use crate::{
    Error,
    error::{IoError, go_quote},
};

/// Go `filepath.Clean` (Unix): lexical simplification of `.`/`..`/repeated slashes.
pub(crate) fn clean(path: &str) -> String {
    if path.is_empty() {
        return ".".to_owned();
    }
    let rooted = path.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for component in path.split('/') {
        match component {
            "" | "." => {}
            ".." => match parts.last() {
                Some(&last) if last != ".." => {
                    parts.pop();
                }
                _ if rooted => {}
                _ => parts.push(".."),
            },
            c => parts.push(c),
        }
    }
    let joined = parts.join("/");
    if rooted {
        format!("/{joined}")
    } else if joined.is_empty() {
        ".".to_owned()
    } else {
        joined
    }
}

/// Go `filepath.Split`: `(dir including the trailing slash, file)`.
fn split(path: &str) -> (&str, &str) {
    match path.rfind('/') {
        Some(i) => (&path[..=i], &path[i + 1..]),
        None => ("", path),
    }
}

/// Go `filepath.Join` of two elements.
fn join(a: &str, b: &str) -> String {
    match (a.is_empty(), b.is_empty()) {
        (true, true) => String::new(),
        (true, false) => clean(b),
        (false, true) => clean(a),
        (false, false) => clean(&format!("{a}/{b}")),
    }
}

/// Go `filepath.Abs`.
fn abs(path: &str) -> Result<String, Error> {
    if path.starts_with('/') {
        return Ok(clean(path));
    }
    let wd = std::env::current_dir().map_err(|e| Error::Io(IoError::new("getwd", ".", e)))?;
    Ok(join(&wd.to_string_lossy(), path))
}

fn lstat_error(path: &str, e: io::Error) -> Error {
    Error::Io(IoError::new("lstat", path, e))
}

/// Converts a path with a NUL byte into Go's `EINVAL` instead of Rust's own error.
fn checked_path(op: &'static str, path: &str) -> Result<(), Error> {
    if path.contains('\0') {
        return Err(Error::Io(IoError::new(
            op,
            path,
            io::Error::from_raw_os_error(22),
        )));
    }
    Ok(())
}

/// Go `filepath.EvalSymlinks` (`walkSymlinks`) for an absolute path, with its error texts.
fn eval_symlinks(input: &str) -> Result<String, Error> {
    let mut path = input.to_owned();
    let mut vol_len = usize::from(path.starts_with('/'));
    let mut vol = path[..vol_len].to_owned();
    let mut dest = vol.clone();
    let mut links_walked = 0;
    let mut end = vol_len;
    let mut start;
    while end < path.len() {
        start = end;
        let bytes = path.as_bytes();
        while start < bytes.len() && bytes[start] == b'/' {
            start += 1;
        }
        end = start;
        while end < bytes.len() && bytes[end] != b'/' {
            end += 1;
        }
        if end == start {
            break;
        }
        let component = &path[start..end];
        if component == "." {
            continue;
        }
        if component == ".." {
            match last_separator(&dest, vol_len) {
                Some(r) if &dest[r + 1..] != ".." => dest.truncate(r),
                _ => {
                    if dest.len() > vol_len {
                        dest.push('/');
                    }
                    dest.push_str("..");
                }
            }
            continue;
        }
        if !dest.is_empty() && !dest.ends_with('/') {
            dest.push('/');
        }
        dest.push_str(component);
        checked_path("lstat", &dest)?;
        let meta = std::fs::symlink_metadata(&dest).map_err(|e| lstat_error(&dest, e))?;
        if !meta.file_type().is_symlink() {
            if !meta.is_dir() && end < path.len() {
                return Err(Error::Other("not a directory".to_owned()));
            }
            continue;
        }
        links_walked += 1;
        if links_walked > 255 {
            return Err(Error::Other("EvalSymlinks: too many links".to_owned()));
        }
        let link = std::fs::read_link(&dest)
            .map_err(|e| Error::Io(IoError::new("readlink", dest.as_str(), e)))?;
        let link = link.to_string_lossy().into_owned();
        path = format!("{link}{}", &path[end..]);
        if link.starts_with('/') {
            dest = "/".to_owned();
            end = 1;
            vol = "/".to_owned();
            vol_len = 1;
        } else {
            match last_separator(&dest, vol_len) {
                Some(r) => dest.truncate(r),
                None => dest = vol.clone(),
            }
            end = 0;
        }
    }
    Ok(clean(&dest))
}

/// The index of the last `/` in `dest` at or after `vol_len`.
fn last_separator(dest: &str, vol_len: usize) -> Option<usize> {
    dest.get(vol_len..)
        .and_then(|tail| tail.rfind('/'))
        .map(|i| i + vol_len)
}

fn resolve_existing(path: &str) -> Result<String, Error> {
    let resolved = abs(path)?;
    let resolved = eval_symlinks(&resolved)?;
    Ok(clean(&resolved))
}

/// containers/image `explicitfilepath.ResolvePathToFullyExplicit`: an absolute path with symlinks resolved,
/// cleaned; if the path does not exist, its parent is resolved and the last element appended.
pub(crate) fn resolve_path_to_fully_explicit(path: &str) -> Result<String, Error> {
    checked_path("faccessat", path)?;
    match std::fs::symlink_metadata(path) {
        Ok(_) => resolve_existing(path),
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            let (parent, file) = split(path);
            let resolved_parent = resolve_existing(parent)?;
            if file == "." || file == ".." {
                return Err(Error::Other(format!(
                    "Unexpectedly missing special filename component in {path}"
                )));
            }
            Ok(join(&resolved_parent, file))
        }
        Err(e) => Err(Error::Io(IoError::new("faccessat", path, e))),
    }
}

/// Go `strconv.Atoi` (64-bit `int`), with its error texts.
pub(crate) fn atoi(s: &str) -> Result<i64, String> {
    let syntax = || format!("strconv.Atoi: parsing {}: invalid syntax", go_quote(s));
    let range = || format!("strconv.Atoi: parsing {}: value out of range", go_quote(s));
    let (neg, digits) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    if digits.is_empty() {
        return Err(syntax());
    }
    let mut n: u64 = 0;
    for b in digits.bytes() {
        if !b.is_ascii_digit() {
            return Err(syntax());
        }
        n = n
            .checked_mul(10)
            .and_then(|n| n.checked_add(u64::from(b - b'0')))
            .ok_or_else(range)?;
    }
    if neg {
        if n > 1 << 63 {
            return Err(range());
        }
        Ok((n as i64).wrapping_neg())
    } else {
        i64::try_from(n).map_err(|_| range())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_matches_go() {
        let cases = [
            ("", "."),
            ("abc", "abc"),
            ("abc/def", "abc/def"),
            ("a/b/c", "a/b/c"),
            (".", "."),
            ("..", ".."),
            ("../..", "../.."),
            ("../../abc", "../../abc"),
            ("/abc", "/abc"),
            ("/", "/"),
            ("abc/", "abc"),
            ("abc/def/", "abc/def"),
            ("a/b/c/", "a/b/c"),
            ("./", "."),
            ("../", ".."),
            ("../../", "../.."),
            ("/abc/", "/abc"),
            ("abc//def//ghi", "abc/def/ghi"),
            ("//abc", "/abc"),
            ("///abc", "/abc"),
            ("//abc//", "/abc"),
            ("abc//", "abc"),
            ("abc/./def", "abc/def"),
            ("/./abc/def", "/abc/def"),
            ("abc/.", "abc"),
            ("abc/def/ghi/../jkl", "abc/def/jkl"),
            ("abc/def/../ghi/../jkl", "abc/jkl"),
            ("abc/def/..", "abc"),
            ("abc/def/../..", "."),
            ("/abc/def/../..", "/"),
            ("abc/def/../../..", ".."),
            ("/abc/def/../../..", "/"),
            ("abc/def/../../../ghi/jkl/../../../mno", "../../mno"),
            ("/../abc", "/abc"),
            ("abc/./../def", "def"),
            ("abc//./../def", "def"),
            ("abc/../../././../def", "../../def"),
        ];
        for (input, want) in cases {
            assert_eq!(clean(input), want, "{input}");
        }
    }

    #[test]
    fn atoi_matches_go() {
        assert_eq!(atoi("0"), Ok(0));
        assert_eq!(atoi("+12"), Ok(12));
        assert_eq!(atoi("-12"), Ok(-12));
        assert_eq!(atoi("9223372036854775807"), Ok(i64::MAX));
        assert_eq!(atoi("-9223372036854775808"), Ok(i64::MIN));
        assert_eq!(
            atoi("9223372036854775808").unwrap_err(),
            r#"strconv.Atoi: parsing "9223372036854775808": value out of range"#
        );
        assert_eq!(
            atoi("99999999999999999999x").unwrap_err(),
            r#"strconv.Atoi: parsing "99999999999999999999x": value out of range"#
        );
        assert_eq!(
            atoi("").unwrap_err(),
            r#"strconv.Atoi: parsing "": invalid syntax"#
        );
        assert_eq!(
            atoi("-").unwrap_err(),
            r#"strconv.Atoi: parsing "-": invalid syntax"#
        );
        assert_eq!(
            atoi("1_0").unwrap_err(),
            r#"strconv.Atoi: parsing "1_0": invalid syntax"#
        );
        assert_eq!(
            atoi(" 1").unwrap_err(),
            r#"strconv.Atoi: parsing " 1": invalid syntax"#
        );
    }

    #[test]
    fn resolve_paths() {
        let tmp = tempfile::tempdir().unwrap();
        let root = resolve_path_to_fully_explicit(tmp.path().to_str().unwrap()).unwrap();
        std::fs::create_dir(format!("{root}/dir")).unwrap();
        std::os::unix::fs::symlink("dir", format!("{root}/rel")).unwrap();
        std::os::unix::fs::symlink(format!("{root}/dir"), format!("{root}/absl")).unwrap();
        std::os::unix::fs::symlink("missing", format!("{root}/dangling")).unwrap();
        std::fs::write(format!("{root}/file"), b"").unwrap();
        let cases = [
            (format!("{root}/dir"), Ok(format!("{root}/dir"))),
            (format!("{root}/rel"), Ok(format!("{root}/dir"))),
            (format!("{root}/absl/"), Ok(format!("{root}/dir"))),
            (format!("{root}/rel/../file"), Ok(format!("{root}/file"))),
            (format!("{root}//dir/./"), Ok(format!("{root}/dir"))),
            (format!("{root}/rel/new"), Ok(format!("{root}/dir/new"))),
            (format!("{root}/new"), Ok(format!("{root}/new"))),
            (
                format!("{root}/dangling"),
                Err(format!("lstat {root}/missing: no such file or directory")),
            ),
            (
                format!("{root}/missing/new"),
                Err(format!("lstat {root}/missing: no such file or directory")),
            ),
            (
                format!("{root}/file/x"),
                Err(format!("faccessat {root}/file/x: not a directory")),
            ),
            (
                format!("{root}/file/x/y"),
                Err(format!("faccessat {root}/file/x/y: not a directory")),
            ),
        ];
        for (input, want) in cases {
            let got = resolve_path_to_fully_explicit(&input).map_err(|e| e.to_string());
            assert_eq!(got, want, "{input}");
        }
    }
}
