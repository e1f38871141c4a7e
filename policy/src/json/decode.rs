//! containers/image's paranoid object decoding (`internal.ParanoidUnmarshalJSONObject` and
//! `…ExactFields`) and Go `encoding/json` decoding of individual field values, with their exact messages.
//!
//! Field decoders follow `json.Decoder.Decode(&field)` semantics: `null` is a no-op for strings, slices and
//! byte slices (returned as `None`), type mismatches are `json: cannot unmarshal <kind> into Go value of type
//! <T>`, and `[]byte` is standard padded base64 (or, as Go also allows, an array of numbers 0–255).

use std::{borrow::Cow, collections::HashSet};

use super::{
    Kind, Value,
    quote::{go_float_v, go_quote},
};

/// A decoding failure: the Go error text.
pub(crate) type DResult<T> = Result<T, String>;

/// Whether a paranoid-object resolver accepted a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Field {
    /// The key is known and its value was decoded.
    Known,
    /// The key is not accepted (`Unknown key "k"`).
    Unknown,
}

fn unmarshal_type_error(kind: Kind, go_type: &str) -> String {
    format!(
        "json: cannot unmarshal {} into Go value of type {go_type}",
        kind.go_name()
    )
}

/// Parses a JSON number as Go's `strconv.ParseFloat(s, 64)` does; out of range → the error Go's decoder
/// reports when converting the number into a `float64` (or `any`).
pub(crate) fn number_f64(v: Value<'_>) -> DResult<f64> {
    let raw = String::from_utf8_lossy(v.raw());
    match raw.parse::<f64>() {
        Ok(f) if f.is_finite() => Ok(f),
        _ => Err(format!(
            "json: cannot unmarshal number {raw} into Go value of type float64"
        )),
    }
}

/// Checks that `v` is an object, as the first `Decoder.Token()` of `ParanoidUnmarshalJSONObject` does:
/// `JSON object expected, got <Go %#v of the token>`.
pub(crate) fn expect_object(v: Value<'_>) -> DResult<()> {
    let got = match v.kind() {
        Kind::Object => return Ok(()),
        Kind::Null => "<nil>".to_owned(),
        Kind::Array => "91".to_owned(), // json.Delim('[') printed as its rune value
        Kind::Bool(b) => b.to_string(),
        Kind::String => go_quote(&v.as_str().unwrap_or_default()),
        Kind::Number => go_float_v(number_f64(v)?),
    };
    Err(format!("JSON object expected, got {got}"))
}

/// `ParanoidUnmarshalJSONObject`: `v` must be an object; for each member in document order, a duplicate key
/// fails with `Duplicate key "k"`, otherwise `field(key, value)` decodes the value (returning
/// [`Field::Unknown`] without decoding yields `Unknown key "k"`).
pub(crate) fn paranoid_object<'d>(
    v: Value<'d>,
    mut field: impl FnMut(&str, Value<'d>) -> DResult<Field>,
) -> DResult<()> {
    expect_object(v)?;
    let mut seen = SeenKeys::Ascending(None);
    for (i, (k, value)) in v.members().enumerate() {
        let key = k.as_str().unwrap_or_default();
        if seen.is_duplicate(v, i, &key) {
            return Err(format!("Duplicate key {}", go_quote(&key)));
        }
        match field(&key, value)? {
            Field::Known => {}
            Field::Unknown => return Err(format!("Unknown key {}", go_quote(&key))),
        }
        seen.add(key);
    }
    Ok(())
}

/// The keys [`paranoid_object`] has accepted so far, kept in the cheapest form that answers "was this key
/// seen before?" for the object at hand. Every form gives the same answer; only the cost differs.
enum SeenKeys<'d> {
    /// Each key so far was greater than the one before it; the last one is kept. A key greater than it is
    /// new without looking at the others. This is the case of scope maps written by tools (serializers such
    /// as `Policy::to_json` emit sorted keys), where a hash set of hundreds of keys would dominate parsing.
    Ascending(Option<Cow<'d, str>>),
    /// Few keys in no particular order (hand-written requirement objects): compared one by one with the
    /// earlier keys, read again from the document, so nothing is allocated.
    Few,
    /// Many keys in no particular order: a hash set.
    Many(HashSet<Cow<'d, str>>),
}

impl<'d> SeenKeys<'d> {
    /// Up to this many keys out of order are checked by linear search.
    const FEW: usize = 16;

    /// Whether `key`, the key of member `index` of `object`, equals one of the earlier members' keys
    /// (all of which have been [`add`](Self::add)ed).
    fn is_duplicate(&mut self, object: Value<'d>, index: usize, key: &str) -> bool {
        if let SeenKeys::Ascending(last) = self {
            if last.as_deref().is_none_or(|last| last < key) {
                return false;
            }
            *self = SeenKeys::Few;
        }
        if let SeenKeys::Few = self {
            if index < Self::FEW {
                return earlier_keys(&object, index).any(|k| k == key);
            }
            *self = SeenKeys::Many(earlier_keys(&object, index).collect());
        }
        match self {
            SeenKeys::Many(set) => set.contains(key),
            _ => false, // not reached: the other forms have answered or been replaced by `Many`
        }
    }

    /// Records an accepted key.
    fn add(&mut self, key: Cow<'d, str>) {
        match self {
            SeenKeys::Ascending(last) => *last = Some(key),
            SeenKeys::Few => {}
            SeenKeys::Many(set) => {
                set.insert(key);
            }
        }
    }
}

/// The decoded keys of the first `count` members of `object`.
fn earlier_keys<'d>(object: &Value<'d>, count: usize) -> impl Iterator<Item = Cow<'d, str>> {
    object
        .members()
        .take(count)
        .map(|(k, _)| k.as_str().unwrap_or_default())
}

/// `ParanoidUnmarshalJSONObjectExactFields`: only `names` are accepted and each must be present
/// (`Key "k" missing in a JSON object`; when several are missing, the first in `names` is reported — Go
/// iterates a map there, so its choice is unspecified).
pub(crate) fn exact_fields<'d, const N: usize>(
    v: Value<'d>,
    names: &[&str; N],
    mut field: impl FnMut(&str, Value<'d>) -> DResult<()>,
) -> DResult<()> {
    let mut present = [false; N];
    paranoid_object(v, |key, value| match names.iter().position(|n| *n == key) {
        Some(i) => {
            if let Some(p) = present.get_mut(i) {
                *p = true;
            }
            field(key, value)?;
            Ok(Field::Known)
        }
        None => Ok(Field::Unknown),
    })?;
    match names.iter().zip(&present).find(|(_, p)| !**p) {
        Some((name, _)) => Err(format!("Key {} missing in a JSON object", go_quote(name))),
        None => Ok(()),
    }
}

/// Decodes into a Go string-kinded type named `go_type` (`string`, `signature.prTypeIdentifier`, …).
/// `null` → `None` (Go leaves the field unchanged).
pub(crate) fn string_value(v: Value<'_>, go_type: &str) -> DResult<Option<String>> {
    str_value(v, go_type).map(|s| s.map(Cow::into_owned))
}

/// [`string_value`] without copying: the text is borrowed from the document unless it had escapes. For
/// values that are only compared or looked up (types, `keyType`).
pub(crate) fn str_value<'d>(v: Value<'d>, go_type: &str) -> DResult<Option<Cow<'d, str>>> {
    match v.kind() {
        Kind::Null => Ok(None),
        Kind::String => Ok(Some(v.as_str().unwrap_or_default())),
        k => Err(unmarshal_type_error(k, go_type)),
    }
}

/// Decodes into `[]string`. `null` → `None`; a `null` element is `""`.
pub(crate) fn string_list(v: Value<'_>) -> DResult<Option<Vec<String>>> {
    match v.kind() {
        Kind::Null => Ok(None),
        Kind::Array => {
            let mut out = Vec::new();
            let mut first_err = None;
            for e in v.elements() {
                match string_value(e, "string") {
                    Ok(s) => out.push(s.unwrap_or_default()),
                    Err(err) => {
                        first_err.get_or_insert(err);
                    }
                }
            }
            match first_err {
                Some(e) => Err(e),
                None => Ok(Some(out)),
            }
        }
        k => Err(unmarshal_type_error(k, "[]string")),
    }
}

/// Decodes into `[]byte`: a base64 string (`""` → empty, non-`None`), or an array of numbers 0–255.
/// `null` → `None`.
pub(crate) fn bytes_value(v: Value<'_>) -> DResult<Option<Vec<u8>>> {
    match v.kind() {
        Kind::Null => Ok(None),
        Kind::String => go_base64_decode(v.as_str().unwrap_or_default().as_bytes()).map(Some),
        Kind::Array => {
            let mut out = Vec::new();
            let mut first_err = None;
            for e in v.elements() {
                match e.kind() {
                    Kind::Null => out.push(0),
                    Kind::Number => {
                        let raw = String::from_utf8_lossy(e.raw());
                        match raw.parse::<u8>() {
                            // Go's ParseUint refuses a leading '+', which JSON cannot contain anyway.
                            Ok(b) => out.push(b),
                            Err(_) => {
                                first_err.get_or_insert(format!(
                                    "json: cannot unmarshal number {raw} into Go value of type uint8"
                                ));
                            }
                        }
                    }
                    k => {
                        first_err.get_or_insert(unmarshal_type_error(k, "uint8"));
                    }
                }
            }
            match first_err {
                Some(e) => Err(e),
                None => Ok(Some(out)),
            }
        }
        k => Err(unmarshal_type_error(k, "[]uint8")),
    }
}

/// Decodes into `[][]byte`. `null` → `None`; a `null` element is an empty byte string.
pub(crate) fn bytes_list(v: Value<'_>) -> DResult<Option<Vec<Vec<u8>>>> {
    match v.kind() {
        Kind::Null => Ok(None),
        Kind::Array => {
            let mut out = Vec::new();
            let mut first_err = None;
            for e in v.elements() {
                match bytes_value(e) {
                    Ok(b) => out.push(b.unwrap_or_default()),
                    // Base64 errors abort Go's decoding of the element but not the array; report the first.
                    Err(err) => {
                        first_err.get_or_insert(err);
                    }
                }
            }
            match first_err {
                Some(e) => Err(e),
                None => Ok(Some(out)),
            }
        }
        k => Err(unmarshal_type_error(k, "[][]uint8")),
    }
}

/// Decodes into `float64`. `null` → `None`.
pub(crate) fn f64_value(v: Value<'_>) -> DResult<Option<f64>> {
    match v.kind() {
        Kind::Null => Ok(None),
        Kind::Number => number_f64(v).map(Some),
        k => Err(unmarshal_type_error(k, "float64")),
    }
}

/// Decodes into `any` (the value is discarded): only numbers outside the `float64` range fail.
pub(crate) fn any_value(v: Value<'_>) -> DResult<()> {
    for d in v.descendants() {
        if d.kind() == Kind::Number {
            number_f64(d)?;
        }
    }
    Ok(())
}

/// The lenient first pass of `newPolicyRequirementFromJSON` / `newPolicyReferenceMatchFromJSON`:
/// `json.Unmarshal` into a struct `{Type <type_name> "json:\"type\""}` named `struct_name`
/// (e.g. `prCommon`, Go type `signature.prCommon`). Keys match `type` case-insensitively, other keys are
/// ignored, the last string wins, `null` is a no-op; the first type error is reported.
/// The type is borrowed from the document (unless escaped): it is only matched against the known names.
pub(crate) fn lenient_type<'d>(
    v: Value<'d>,
    struct_name: &str,
    type_name: &str,
) -> DResult<Cow<'d, str>> {
    match v.kind() {
        Kind::Null => Ok(Cow::Borrowed("")),
        Kind::Object => {
            let mut ty = Cow::Borrowed("");
            let mut first_err = None;
            for (k, value) in v.members() {
                if !k.as_str().unwrap_or_default().eq_ignore_ascii_case("type") {
                    continue;
                }
                match value.kind() {
                    Kind::Null => {}
                    Kind::String => ty = value.as_str().unwrap_or_default(),
                    kind => {
                        first_err.get_or_insert(format!(
                            "json: cannot unmarshal {} into Go struct field {struct_name}.type of type {type_name}",
                            kind.go_name()
                        ));
                    }
                }
            }
            match first_err {
                Some(e) => Err(e),
                None => Ok(ty),
            }
        }
        k => Err(unmarshal_type_error(k, &format!("signature.{struct_name}"))),
    }
}

fn base64_value(c: u8) -> Option<u8> {
    match c {
        b'A'..=b'Z' => Some(c - b'A'),
        b'a'..=b'z' => Some(c - b'a' + 26),
        b'0'..=b'9' => Some(c - b'0' + 52),
        b'+' => Some(62),
        b'/' => Some(63),
        _ => None,
    }
}

fn corrupt(at: usize) -> String {
    format!("illegal base64 data at input byte {at}")
}

/// Go's `base64.StdEncoding.DecodeString`: padded standard alphabet, `\r` and `\n` skipped anywhere, non-zero
/// trailing bits tolerated; errors are `illegal base64 data at input byte N` with Go's offsets.
pub(crate) fn go_base64_decode(src: &[u8]) -> DResult<Vec<u8>> {
    let is_nl = |c: u8| c == b'\n' || c == b'\r';
    let mut out = Vec::with_capacity(src.len() / 4 * 3);
    let mut si = 0;
    while si < src.len() {
        // One quantum of up to four symbols.
        let mut buf = [0u8; 4];
        let mut j = 0;
        let mut dlen = 4;
        let mut trailing_err = None;
        while j < 4 {
            let Some(&c) = src.get(si) else {
                if j == 0 {
                    return Ok(out);
                }
                // Padding is mandatory, so a short final quantum is an error.
                return Err(corrupt(si - j));
            };
            si += 1;
            if let Some(val) = base64_value(c) {
                buf[j] = val;
                j += 1;
                continue;
            }
            if is_nl(c) {
                continue;
            }
            if c != b'=' {
                return Err(corrupt(si - 1));
            }
            match j {
                0 | 1 => return Err(corrupt(si - 1)),
                2 => {
                    while si < src.len() && is_nl(src[si]) {
                        si += 1;
                    }
                    if si == src.len() {
                        return Err(corrupt(src.len()));
                    }
                    if src[si] != b'=' {
                        return Err(corrupt(si - 1));
                    }
                    si += 1;
                }
                _ => {}
            }
            while si < src.len() && is_nl(src[si]) {
                si += 1;
            }
            if si < src.len() {
                trailing_err = Some(corrupt(si));
            }
            dlen = j;
            break;
        }
        let val = (u32::from(buf[0]) << 18)
            | (u32::from(buf[1]) << 12)
            | (u32::from(buf[2]) << 6)
            | u32::from(buf[3]);
        let bytes = [(val >> 16) as u8, (val >> 8) as u8, val as u8];
        out.extend_from_slice(&bytes[..dlen - 1]);
        if let Some(e) = trailing_err {
            return Err(e);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::Document;

    fn with<T>(src: &str, f: impl FnOnce(Value<'_>) -> T) -> T {
        let doc = Document::parse(src.as_bytes()).expect("valid JSON");
        f(doc.root())
    }

    #[test]
    fn object_expected() {
        let cases = [
            ("null", "JSON object expected, got <nil>"),
            ("[]", "JSON object expected, got 91"),
            ("\"abc\"", "JSON object expected, got \"abc\""),
            ("1", "JSON object expected, got 1"),
            ("1e21", "JSON object expected, got 1e+21"),
            ("true", "JSON object expected, got true"),
            (
                "1e400",
                "json: cannot unmarshal number 1e400 into Go value of type float64",
            ),
        ];
        for (src, want) in cases {
            assert_eq!(with(src, expect_object), Err(want.to_owned()), "{src}");
        }
    }

    #[test]
    fn paranoid_rules() {
        let resolve = |key: &str, v: Value<'_>| -> DResult<Field> {
            match key {
                "a" => string_value(v, "string").map(|_| Field::Known),
                _ => Ok(Field::Unknown),
            }
        };
        assert_eq!(with("{}", |v| paranoid_object(v, resolve)), Ok(()));
        assert_eq!(
            with(r#"{"a":"x"}"#, |v| paranoid_object(v, resolve)),
            Ok(())
        );
        assert_eq!(
            with(r#"{"a":"x","a":"y"}"#, |v| paranoid_object(v, resolve)),
            Err("Duplicate key \"a\"".into())
        );
        // Duplicates are detected after unescaping, before anything else about the key.
        assert_eq!(
            with(r#"{"a":"x","\u0061":1}"#, |v| paranoid_object(v, resolve)),
            Err("Duplicate key \"a\"".into())
        );
        assert_eq!(
            with(r#"{"b":1}"#, |v| paranoid_object(v, resolve)),
            Err("Unknown key \"b\"".into())
        );
        assert_eq!(
            with(r#"{"a":1}"#, |v| paranoid_object(v, resolve)),
            Err("json: cannot unmarshal number into Go value of type string".into())
        );
        assert_eq!(
            with(r#"{"a":"x"}"#, |v| exact_fields(
                v,
                &["a", "b", "c"],
                |_, _| Ok(())
            )),
            Err("Key \"b\" missing in a JSON object".into())
        );
    }

    #[test]
    fn duplicate_keys_in_every_shape() {
        // The first duplicate in document order is reported, whatever the order and number of keys (sorted
        // runs, out-of-order keys before and after the linear-search limit, escaped spellings).
        let accept_all = |_: &str, _: Value<'_>| Ok(Field::Known);
        let naive = |keys: &[String]| {
            (0..keys.len())
                .find(|&i| keys[..i].contains(&keys[i]))
                .map(|i| format!("Duplicate key {}", go_quote(&keys[i])))
        };
        let mut cases: Vec<Vec<String>> = Vec::new();
        for n in [0, 1, 2, 5, 15, 16, 17, 40] {
            let sorted: Vec<String> = (0..n).map(|i| format!("k{i:03}")).collect();
            let mut reversed = sorted.clone();
            reversed.reverse();
            cases.push(sorted.clone());
            cases.push(reversed.clone());
            for at in 0..n {
                for from in 0..n {
                    for base in [&sorted, &reversed] {
                        let mut keys = base.clone();
                        keys.insert(at, base[from].clone());
                        cases.push(keys);
                    }
                }
            }
        }
        for keys in cases {
            let src = format!(
                "{{{}}}",
                keys.iter()
                    .map(|k| format!("\"{k}\":0"))
                    .collect::<Vec<_>>()
                    .join(",")
            );
            let got = with(&src, |v| paranoid_object(v, accept_all)).err();
            assert_eq!(got, naive(&keys), "{src}");
            // The same keys with their first letter escaped decode to the same strings.
            let escaped = src.replace("\"k", "\"\\u006b");
            let got = with(&escaped, |v| paranoid_object(v, accept_all)).err();
            assert_eq!(got, naive(&keys), "{escaped}");
        }
    }

    #[test]
    fn field_values() {
        assert_eq!(with("null", |v| string_value(v, "string")), Ok(None));
        assert_eq!(
            with("[]", |v| string_value(v, "string")),
            Err("json: cannot unmarshal array into Go value of type string".into())
        );
        assert_eq!(
            with(r#"["a",null]"#, string_list),
            Ok(Some(vec!["a".into(), String::new()]))
        );
        assert_eq!(with("[]", string_list), Ok(Some(vec![])));
        assert_eq!(
            with("{}", string_list),
            Err("json: cannot unmarshal object into Go value of type []string".into())
        );
        assert_eq!(
            with("[1]", string_list),
            Err("json: cannot unmarshal number into Go value of type string".into())
        );
        assert_eq!(with(r#""""#, bytes_value), Ok(Some(vec![])));
        assert_eq!(with(r#""YWJj""#, bytes_value), Ok(Some(b"abc".to_vec())));
        assert_eq!(
            with("[97, 98, null]", bytes_value),
            Ok(Some(b"ab\0".to_vec()))
        );
        assert_eq!(
            with("[256]", bytes_value),
            Err("json: cannot unmarshal number 256 into Go value of type uint8".into())
        );
        assert_eq!(
            with("1", bytes_value),
            Err("json: cannot unmarshal number into Go value of type []uint8".into())
        );
        assert_eq!(
            with(r#"["YQ==", null]"#, bytes_list),
            Ok(Some(vec![b"a".to_vec(), vec![]]))
        );
        assert_eq!(
            with("true", bytes_list),
            Err("json: cannot unmarshal bool into Go value of type [][]uint8".into())
        );
        assert_eq!(with("1e3", f64_value), Ok(Some(1000.0)));
        assert_eq!(
            with(r#"{"x":[1e999]}"#, any_value),
            Err("json: cannot unmarshal number 1e999 into Go value of type float64".into())
        );
    }

    #[test]
    fn lenient_type_pass() {
        let f = |src: &str| {
            with(src, |v| {
                lenient_type(v, "prCommon", "signature.prTypeIdentifier").map(Cow::into_owned)
            })
        };
        assert_eq!(f(r#"{"TYPE":"reject","x":1}"#), Ok("reject".into()));
        assert_eq!(f(r#"{"type":"a","Type":"b","type":null}"#), Ok("b".into()));
        assert_eq!(f("null"), Ok(String::new()));
        assert_eq!(
            f(r#"{"type":1}"#),
            Err("json: cannot unmarshal number into Go struct field prCommon.type of type signature.prTypeIdentifier".into())
        );
        assert_eq!(
            f(r#""x""#),
            Err("json: cannot unmarshal string into Go value of type signature.prCommon".into())
        );
    }

    #[test]
    fn base64_like_go() {
        let ok: &[(&str, &[u8])] = &[
            ("", b""),
            ("YQ==", b"a"),
            ("YWI=", b"ab"),
            ("YWJj", b"abc"),
            ("Y\r\nW\nJ\rj", b"abc"),
            ("YR==", b"a"),
            ("YQ=\n=\n", b"a"),
        ];
        for (src, want) in ok {
            assert_eq!(
                go_base64_decode(src.as_bytes()).as_deref(),
                Ok(*want),
                "{src:?}"
            );
        }
        let bad: &[(&str, usize)] = &[
            ("YQ", 0),
            ("Y", 0),
            ("YWJjZA", 4),
            ("Y===", 1),
            ("YQ=", 3),
            ("YQ=x", 2),
            ("YQ==YQ==", 4),
            ("YQ==\n\nx", 6),
            ("YW!j", 2),
            ("====", 0),
            ("YWJj\n=", 5),
        ];
        for (src, at) in bad {
            assert_eq!(
                go_base64_decode(src.as_bytes()),
                Err(format!("illegal base64 data at input byte {at}")),
                "{src:?}"
            );
        }
    }
}
