//! The pieces of Go's `encoding/json` (and `encoding/base64`) that manifest sniffing, libtrust JWS
//! stripping and sigstore signature blobs depend on: the syntax check with Go's error texts, string
//! unquoting with Go's replacement rules, case-insensitive struct-field matching, typed-decoding error
//! texts, and base64 decoding/encoding with Go's error offsets.
//!
//! Decoding is done with a [`Cursor`] over input that has already passed [`check_valid`] (as Go's
//! `json.Unmarshal` does), so the cursor never recurses into values it skips: arbitrary nesting depth
//! cannot overflow the stack.

use std::fmt::Write as _;

/// Go's `encoding/json` maximum nesting depth (`maxNestingDepth`).
const MAX_DEPTH: usize = 10000;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Parse {
    ObjectKey,
    ObjectValue,
    ArrayValue,
}

#[derive(Clone, Copy)]
enum St {
    BeginValue,
    BeginValueOrEmpty,
    BeginStringOrEmpty,
    BeginString,
    EndValue,
    EndTop,
    InString,
    InStringEsc,
    EscU(u8),
    Neg,
    One,
    Zero,
    Dot,
    Dot0,
    E,
    ESign,
    E0,
    Lit(&'static [u8], usize),
}

fn is_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\r' | b'\n')
}

/// Go's `quoteChar`: how a byte is shown in a JSON syntax error.
fn quote_char(c: u8) -> String {
    match c {
        b'\'' => "'\\''".to_owned(),
        b'"' => "'\"'".to_owned(),
        b'\\' => "'\\\\'".to_owned(),
        0x07 => "'\\a'".to_owned(),
        0x08 => "'\\b'".to_owned(),
        0x0c => "'\\f'".to_owned(),
        b'\n' => "'\\n'".to_owned(),
        b'\r' => "'\\r'".to_owned(),
        b'\t' => "'\\t'".to_owned(),
        0x0b => "'\\v'".to_owned(),
        c if c < 0x20 || c == 0x7f => format!("'\\x{c:02x}'"),
        c if (0x80..=0xa0).contains(&c) || c == 0xad => format!("'\\u{:04x}'", c),
        c => format!("'{}'", char::from(c)),
    }
}

struct Scanner {
    state: St,
    stack: Vec<Parse>,
    end_top: bool,
}

impl Scanner {
    fn err(c: u8, context: &str) -> String {
        format!("invalid character {} {context}", quote_char(c))
    }

    fn push(&mut self, c: u8, p: Parse) -> Result<(), String> {
        self.stack.push(p);
        if self.stack.len() > MAX_DEPTH {
            return Err(Self::err(c, "exceeded max depth"));
        }
        Ok(())
    }

    fn pop(&mut self) {
        self.stack.pop();
        if self.stack.is_empty() {
            self.state = St::EndTop;
            self.end_top = true;
        } else {
            self.state = St::EndValue;
        }
    }

    fn step(&mut self, c: u8) -> Result<(), String> {
        let mut st = self.state;
        loop {
            match st {
                St::BeginValueOrEmpty => {
                    if is_space(c) {
                        return Ok(());
                    }
                    st = if c == b']' {
                        St::EndValue
                    } else {
                        St::BeginValue
                    };
                }
                St::BeginValue => {
                    if is_space(c) {
                        self.state = St::BeginValue;
                        return Ok(());
                    }
                    self.state = match c {
                        b'{' => {
                            self.push(c, Parse::ObjectKey)?;
                            St::BeginStringOrEmpty
                        }
                        b'[' => {
                            self.push(c, Parse::ArrayValue)?;
                            St::BeginValueOrEmpty
                        }
                        b'"' => St::InString,
                        b'-' => St::Neg,
                        b'0' => St::Zero,
                        b'1'..=b'9' => St::One,
                        b't' => St::Lit(b"true", 1),
                        b'f' => St::Lit(b"false", 1),
                        b'n' => St::Lit(b"null", 1),
                        _ => return Err(Self::err(c, "looking for beginning of value")),
                    };
                    return Ok(());
                }
                St::BeginStringOrEmpty => {
                    if is_space(c) {
                        self.state = St::BeginStringOrEmpty;
                        return Ok(());
                    }
                    if c == b'}' {
                        if let Some(last) = self.stack.last_mut() {
                            *last = Parse::ObjectValue;
                        }
                        st = St::EndValue;
                    } else {
                        st = St::BeginString;
                    }
                }
                St::BeginString => {
                    if is_space(c) {
                        self.state = St::BeginString;
                        return Ok(());
                    }
                    if c == b'"' {
                        self.state = St::InString;
                        return Ok(());
                    }
                    return Err(Self::err(c, "looking for beginning of object key string"));
                }
                St::EndValue => {
                    let Some(&top) = self.stack.last() else {
                        self.state = St::EndTop;
                        self.end_top = true;
                        st = St::EndTop;
                        continue;
                    };
                    self.state = St::EndValue;
                    if is_space(c) {
                        return Ok(());
                    }
                    match top {
                        Parse::ObjectKey => {
                            if c == b':' {
                                if let Some(last) = self.stack.last_mut() {
                                    *last = Parse::ObjectValue;
                                }
                                self.state = St::BeginValue;
                                return Ok(());
                            }
                            return Err(Self::err(c, "after object key"));
                        }
                        Parse::ObjectValue => {
                            if c == b',' {
                                if let Some(last) = self.stack.last_mut() {
                                    *last = Parse::ObjectKey;
                                }
                                self.state = St::BeginString;
                                return Ok(());
                            }
                            if c == b'}' {
                                self.pop();
                                return Ok(());
                            }
                            return Err(Self::err(c, "after object key:value pair"));
                        }
                        Parse::ArrayValue => {
                            if c == b',' {
                                self.state = St::BeginValue;
                                return Ok(());
                            }
                            if c == b']' {
                                self.pop();
                                return Ok(());
                            }
                            return Err(Self::err(c, "after array element"));
                        }
                    }
                }
                St::EndTop => {
                    self.state = St::EndTop;
                    if !is_space(c) {
                        return Err(Self::err(c, "after top-level value"));
                    }
                    return Ok(());
                }
                St::InString => {
                    self.state = match c {
                        b'"' => St::EndValue,
                        b'\\' => St::InStringEsc,
                        c if c < 0x20 => return Err(Self::err(c, "in string literal")),
                        _ => St::InString,
                    };
                    return Ok(());
                }
                St::InStringEsc => {
                    self.state = match c {
                        b'b' | b'f' | b'n' | b'r' | b't' | b'\\' | b'/' | b'"' => St::InString,
                        b'u' => St::EscU(0),
                        _ => return Err(Self::err(c, "in string escape code")),
                    };
                    return Ok(());
                }
                St::EscU(k) => {
                    if !c.is_ascii_hexdigit() {
                        return Err(Self::err(c, "in \\u hexadecimal character escape"));
                    }
                    self.state = if k == 3 {
                        St::InString
                    } else {
                        St::EscU(k + 1)
                    };
                    return Ok(());
                }
                St::Neg => {
                    self.state = match c {
                        b'0' => St::Zero,
                        b'1'..=b'9' => St::One,
                        _ => return Err(Self::err(c, "in numeric literal")),
                    };
                    return Ok(());
                }
                St::One => {
                    if c.is_ascii_digit() {
                        self.state = St::One;
                        return Ok(());
                    }
                    st = St::Zero;
                }
                St::Zero => match c {
                    b'.' => {
                        self.state = St::Dot;
                        return Ok(());
                    }
                    b'e' | b'E' => {
                        self.state = St::E;
                        return Ok(());
                    }
                    _ => st = St::EndValue,
                },
                St::Dot => {
                    if c.is_ascii_digit() {
                        self.state = St::Dot0;
                        return Ok(());
                    }
                    return Err(Self::err(c, "after decimal point in numeric literal"));
                }
                St::Dot0 => match c {
                    b'0'..=b'9' => {
                        self.state = St::Dot0;
                        return Ok(());
                    }
                    b'e' | b'E' => {
                        self.state = St::E;
                        return Ok(());
                    }
                    _ => st = St::EndValue,
                },
                St::E => {
                    if c == b'+' || c == b'-' {
                        self.state = St::ESign;
                        return Ok(());
                    }
                    st = St::ESign;
                }
                St::ESign => {
                    if c.is_ascii_digit() {
                        self.state = St::E0;
                        return Ok(());
                    }
                    return Err(Self::err(c, "in exponent of numeric literal"));
                }
                St::E0 => {
                    if c.is_ascii_digit() {
                        self.state = St::E0;
                        return Ok(());
                    }
                    st = St::EndValue;
                }
                St::Lit(word, pos) => {
                    let want = word.get(pos).copied().unwrap_or(0);
                    if c != want {
                        let name = std::str::from_utf8(word).unwrap_or("");
                        return Err(Self::err(
                            c,
                            &format!("in literal {name} (expecting {})", quote_char(want)),
                        ));
                    }
                    self.state = if pos + 1 == word.len() {
                        St::EndValue
                    } else {
                        St::Lit(word, pos + 1)
                    };
                    return Ok(());
                }
            }
        }
    }
}

/// Go's `checkValid`: the whole input must be one JSON value; the error is Go's `SyntaxError` text.
pub(crate) fn check_valid(data: &[u8]) -> Result<(), String> {
    let mut s = Scanner {
        state: St::BeginValue,
        stack: Vec::new(),
        end_top: false,
    };
    for &c in data {
        s.step(c)?;
    }
    if s.end_top {
        return Ok(());
    }
    s.step(b' ')?;
    if s.end_top {
        return Ok(());
    }
    Err("unexpected end of JSON input".to_owned())
}

/// Go's `unquote` of a JSON string body (between the quotes): escapes decoded, invalid UTF-8 bytes and
/// unpaired surrogates replaced by U+FFFD.
pub(crate) fn unquote(raw: &[u8]) -> String {
    if !raw.contains(&b'\\') {
        if let Ok(s) = std::str::from_utf8(raw) {
            return s.to_owned();
        }
    }
    let mut out = String::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        let c = raw[i];
        if c == b'\\' {
            let Some(&e) = raw.get(i + 1) else { break };
            match e {
                b'u' => {
                    let Some(r) = getu4(raw, i) else {
                        out.push('\u{fffd}');
                        i += 2;
                        continue;
                    };
                    if (0xd800..0xe000).contains(&r) {
                        if (0xd800..0xdc00).contains(&r) {
                            if let Some(r2) =
                                getu4(raw, i + 6).filter(|r2| (0xdc00..0xe000).contains(r2))
                            {
                                let cp = 0x10000 + ((r - 0xd800) << 10) + (r2 - 0xdc00);
                                out.push(char::from_u32(cp).unwrap_or('\u{fffd}'));
                                i += 12;
                                continue;
                            }
                        }
                        out.push('\u{fffd}');
                    } else {
                        out.push(char::from_u32(r).unwrap_or('\u{fffd}'));
                    }
                    i += 6;
                    continue;
                }
                b'b' => out.push('\u{8}'),
                b'f' => out.push('\u{c}'),
                b'n' => out.push('\n'),
                b'r' => out.push('\r'),
                b't' => out.push('\t'),
                other => out.push(char::from(other)),
            }
            i += 2;
            continue;
        }
        if c < 0x80 {
            out.push(char::from(c));
            i += 1;
            continue;
        }
        let width = match c {
            0xc0..=0xdf => 2,
            0xe0..=0xef => 3,
            0xf0..=0xf7 => 4,
            _ => 1,
        };
        match raw
            .get(i..i + width)
            .and_then(|b| std::str::from_utf8(b).ok())
        {
            Some(s) => {
                out.push_str(s);
                i += width;
            }
            None => {
                out.push('\u{fffd}');
                i += 1;
            }
        }
    }
    out
}

/// Go's `getu4`: the code unit of `\uXXXX` at `raw[i..]`.
fn getu4(raw: &[u8], i: usize) -> Option<u32> {
    let b = raw.get(i..i + 6)?;
    if b[0] != b'\\' || b[1] != b'u' {
        return None;
    }
    let s = std::str::from_utf8(&b[2..]).ok()?;
    u32::from_str_radix(s, 16).ok()
}

/// Whether an object key selects the Go struct field `field` (ASCII name): exact match, else Go's
/// case-insensitive match (`bytes.EqualFold` semantics, where `ſ` folds with `s` and the Kelvin sign with
/// `k`).
pub(crate) fn field_matches(key: &str, field: &str) -> bool {
    if key == field {
        return true;
    }
    let mut fb = field.bytes();
    for c in key.chars() {
        let folded = match c {
            'ſ' => b'S',
            '\u{212a}' => b'K',
            c if c.is_ascii() => (c as u8).to_ascii_uppercase(),
            _ => return false,
        };
        match fb.next() {
            Some(f) if f.to_ascii_uppercase() == folded => {}
            _ => return false,
        }
    }
    fb.next().is_none()
}

/// The JSON kind of a value starting with byte `c`, as Go names it in `UnmarshalTypeError`.
pub(crate) fn kind_name(c: u8) -> &'static str {
    match c {
        b'{' => "object",
        b'[' => "array",
        b'"' => "string",
        b't' | b'f' => "bool",
        b'n' => "null",
        _ => "number",
    }
}

/// Where a typed-decoding error happened: Go's `UnmarshalTypeError` context.
#[derive(Clone, Copy)]
pub(crate) enum Ctx<'a> {
    /// Top-level value.
    Top,
    /// A struct field: innermost struct name, full field path.
    Field(&'a str, &'a str),
}

/// Go's `UnmarshalTypeError` text.
pub(crate) fn type_error(value: &str, ctx: Ctx<'_>, ty: &str) -> String {
    match ctx {
        Ctx::Top => format!("json: cannot unmarshal {value} into Go value of type {ty}"),
        Ctx::Field(s, f) => {
            format!("json: cannot unmarshal {value} into Go struct field {s}.{f} of type {ty}")
        }
    }
}

/// A reader over JSON text. All methods are total (never panic, always advance or stop) even on invalid
/// input; results are only meaningful for input that passed [`check_valid`].
pub(crate) struct Cursor<'a> {
    b: &'a [u8],
    i: usize,
}

impl<'a> Cursor<'a> {
    pub(crate) fn new(b: &'a [u8]) -> Self {
        Cursor { b, i: 0 }
    }

    fn skip_ws(&mut self) {
        while self.b.get(self.i).is_some_and(|&c| is_space(c)) {
            self.i += 1;
        }
    }

    /// The first byte of the next value (0 at the end).
    pub(crate) fn peek(&mut self) -> u8 {
        self.skip_ws();
        self.b.get(self.i).copied().unwrap_or(0)
    }

    /// Consumes `{` or `[` (after [`peek`](Self::peek) said so).
    pub(crate) fn open(&mut self) {
        self.skip_ws();
        self.i += 1;
    }

    fn skip_string(&mut self) {
        self.i += 1;
        while let Some(&c) = self.b.get(self.i) {
            self.i += 1;
            match c {
                b'\\' => self.i += 1,
                b'"' => return,
                _ => {}
            }
        }
    }

    /// The body of the string at the cursor, unquoted.
    pub(crate) fn string(&mut self) -> String {
        self.skip_ws();
        let start = self.i + 1;
        self.skip_string();
        let end = self.i.saturating_sub(1).max(start).min(self.b.len());
        unquote(self.b.get(start..end).unwrap_or_default())
    }

    /// The next object key (after `{` was consumed), or `None` at `}` (consumed) or on malformed input.
    pub(crate) fn next_key(&mut self) -> Option<String> {
        self.skip_ws();
        match self.b.get(self.i)? {
            b'}' => {
                self.i += 1;
                return None;
            }
            b',' => {
                self.i += 1;
                self.skip_ws();
            }
            _ => {}
        }
        if self.b.get(self.i) != Some(&b'"') {
            self.i = self.b.len();
            return None;
        }
        let key = self.string();
        self.skip_ws();
        if self.b.get(self.i) != Some(&b':') {
            self.i = self.b.len();
            return None;
        }
        self.i += 1;
        Some(key)
    }

    /// Whether another array element follows (after `[` was consumed); consumes `]` at the end.
    pub(crate) fn next_elem(&mut self) -> bool {
        self.skip_ws();
        match self.b.get(self.i) {
            None => false,
            Some(b']') => {
                self.i += 1;
                false
            }
            Some(b',') => {
                self.i += 1;
                true
            }
            Some(_) => true,
        }
    }

    /// Skips one value, calling `on_number` for every number inside it (at any depth); returns the raw
    /// bytes of the value. Iterative, so nesting depth does not matter.
    pub(crate) fn walk_value(&mut self, mut on_number: impl FnMut(&'a str)) -> &'a [u8] {
        self.skip_ws();
        let start = self.i;
        let mut depth: usize = 0;
        while let Some(&c) = self.b.get(self.i) {
            match c {
                b'"' => self.skip_string(),
                b'{' | b'[' => {
                    depth += 1;
                    self.i += 1;
                    continue;
                }
                b'}' | b']' => {
                    if depth == 0 {
                        break;
                    }
                    depth -= 1;
                    self.i += 1;
                }
                b'-' | b'0'..=b'9' => {
                    let s = self.i;
                    while self.b.get(self.i).is_some_and(|&c| {
                        matches!(c, b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9')
                    }) {
                        self.i += 1;
                    }
                    on_number(std::str::from_utf8(&self.b[s..self.i]).unwrap_or("0"));
                }
                b'a'..=b'z' => {
                    while self.b.get(self.i).is_some_and(u8::is_ascii_lowercase) {
                        self.i += 1;
                    }
                }
                _ => {
                    // Separators inside a container; anything else is malformed: consume it.
                    if depth == 0 {
                        if self.i == start {
                            self.i += 1;
                        }
                        break;
                    }
                    self.i += 1;
                    continue;
                }
            }
            if depth == 0 {
                break;
            }
        }
        self.b.get(start..self.i).unwrap_or_default()
    }

    /// Skips one value, returning its raw bytes.
    pub(crate) fn skip_value(&mut self) -> &'a [u8] {
        self.walk_value(|_| {})
    }

    /// Decodes a value into Go's `interface{}`: only out-of-range numbers fail
    /// (`json: cannot unmarshal number 1e999 into Go value of type float64`). Returns whether the value
    /// was non-null.
    pub(crate) fn any(&mut self, ctx: Ctx<'_>) -> Result<bool, String> {
        let is_null = self.peek() == b'n';
        let mut err = None;
        self.walk_value(|n| {
            if err.is_none() && !parse_f64(n).is_some_and(f64::is_finite) {
                err = Some(type_error(&format!("number {n}"), ctx, "float64"));
            }
        });
        match err {
            Some(e) => Err(e),
            None => Ok(!is_null),
        }
    }

    /// Decodes a Go `string` field: `null` leaves `target` unchanged.
    pub(crate) fn string_into(&mut self, target: &mut String, ctx: Ctx<'_>) -> Result<(), String> {
        match self.peek() {
            b'"' => {
                *target = self.string();
                Ok(())
            }
            b'n' => {
                self.skip_value();
                Ok(())
            }
            c => {
                self.skip_value();
                Err(type_error(kind_name(c), ctx, "string"))
            }
        }
    }

    /// Decodes a Go `int`/`int64` field: `null` leaves `target` unchanged.
    pub(crate) fn int_into(
        &mut self,
        target: &mut i64,
        ctx: Ctx<'_>,
        ty: &str,
    ) -> Result<(), String> {
        match self.peek() {
            b'-' | b'0'..=b'9' => {
                let raw = self.skip_value();
                let s = std::str::from_utf8(raw).unwrap_or("");
                match s.parse::<i64>() {
                    Ok(v) => {
                        *target = v;
                        Ok(())
                    }
                    Err(_) => Err(type_error(&format!("number {s}"), ctx, ty)),
                }
            }
            b'n' => {
                self.skip_value();
                Ok(())
            }
            c => {
                self.skip_value();
                Err(type_error(kind_name(c), ctx, ty))
            }
        }
    }

    /// Decodes a Go `[]string` field (`null` → `None`).
    pub(crate) fn string_slice(&mut self, ctx: Ctx<'_>) -> Result<Option<Vec<String>>, String> {
        match self.peek() {
            b'[' => {
                self.open();
                let mut out = Vec::new();
                let mut first_err = None;
                while self.next_elem() {
                    let mut s = String::new();
                    if let Err(e) = self.string_into(&mut s, ctx) {
                        first_err.get_or_insert(e);
                    }
                    out.push(s);
                }
                match first_err {
                    Some(e) => Err(e),
                    None => Ok(Some(out)),
                }
            }
            b'n' => {
                self.skip_value();
                Ok(None)
            }
            c => {
                self.skip_value();
                Err(type_error(kind_name(c), ctx, "[]string"))
            }
        }
    }

    /// Decodes entries into a Go `map[string]string` (`null` → `None`, a second object merges).
    pub(crate) fn string_map_into(
        &mut self,
        target: &mut Option<std::collections::BTreeMap<String, String>>,
        ctx: Ctx<'_>,
    ) -> Result<(), String> {
        match self.peek() {
            b'{' => {
                self.open();
                let map = target.get_or_insert_with(Default::default);
                let mut first_err = None;
                while let Some(k) = self.next_key() {
                    let mut v = String::new();
                    if let Err(e) = self.string_into(&mut v, ctx) {
                        first_err.get_or_insert(e);
                    }
                    map.insert(k, v);
                }
                first_err.map_or(Ok(()), Err)
            }
            b'n' => {
                self.skip_value();
                *target = None;
                Ok(())
            }
            c => {
                self.skip_value();
                Err(type_error(kind_name(c), ctx, "map[string]string"))
            }
        }
    }

    /// Decodes a Go `[]byte` field: a base64 (standard, padded) string, or an array of numbers 0…255;
    /// `null` → `None`.
    pub(crate) fn bytes(&mut self, ctx: Ctx<'_>) -> Result<Option<Vec<u8>>, String> {
        match self.peek() {
            b'"' => {
                let s = self.string();
                go_base64_decode(s.as_bytes(), false)
                    .map(Some)
                    .map_err(base64_error)
            }
            b'[' => {
                self.open();
                let mut out = Vec::new();
                let mut first_err = None;
                while self.next_elem() {
                    let c = self.peek();
                    let mut v: u8 = 0;
                    match c {
                        b'-' | b'0'..=b'9' => {
                            let raw = self.skip_value();
                            let s = std::str::from_utf8(raw).unwrap_or("");
                            match s.parse::<u8>() {
                                Ok(n) => v = n,
                                _ => {
                                    first_err.get_or_insert(type_error(
                                        &format!("number {s}"),
                                        ctx,
                                        "uint8",
                                    ));
                                }
                            }
                        }
                        b'n' => {
                            self.skip_value();
                        }
                        c => {
                            self.skip_value();
                            first_err.get_or_insert(type_error(kind_name(c), ctx, "uint8"));
                        }
                    }
                    out.push(v);
                }
                match first_err {
                    Some(e) => Err(e),
                    None => Ok(Some(out)),
                }
            }
            b'n' => {
                self.skip_value();
                Ok(None)
            }
            c => {
                self.skip_value();
                Err(type_error(kind_name(c), ctx, "[]uint8"))
            }
        }
    }
}

/// `strconv.ParseFloat(s, 64)` for a JSON number literal; `None` if it is not one.
fn parse_f64(s: &str) -> Option<f64> {
    s.parse::<f64>().ok()
}

/// Go's `base64.CorruptInputError` text.
pub(crate) fn base64_error(at: usize) -> String {
    format!("illegal base64 data at input byte {at}")
}

fn b64_value(c: u8, url: bool) -> Option<u8> {
    Some(match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' if !url => 62,
        b'/' if !url => 63,
        b'-' if url => 62,
        b'_' if url => 63,
        _ => return None,
    })
}

/// Go's `base64.StdEncoding`/`URLEncoding` `DecodeString` (padding required, `\r`/`\n` ignored,
/// non-zero trailing bits accepted); the error is the `CorruptInputError` offset.
pub(crate) fn go_base64_decode(src: &[u8], url: bool) -> Result<Vec<u8>, usize> {
    let mut out = Vec::with_capacity(src.len() / 4 * 3 + 3);
    let mut si = 0;
    let len = src.len();
    while si < len {
        let mut dbuf = [0u8; 4];
        let mut j = 0;
        let mut trailing: Option<usize> = None;
        let mut dlen = 4;
        while j < 4 {
            if si == len {
                if j == 0 {
                    return Ok(out);
                }
                return Err(si - j);
            }
            let c = src[si];
            si += 1;
            if let Some(v) = b64_value(c, url) {
                dbuf[j] = v;
                j += 1;
                continue;
            }
            if c == b'\n' || c == b'\r' {
                continue;
            }
            if c != b'=' {
                return Err(si - 1);
            }
            match j {
                0 | 1 => return Err(si - 1),
                2 => {
                    while si < len && (src[si] == b'\n' || src[si] == b'\r') {
                        si += 1;
                    }
                    if si == len {
                        return Err(len);
                    }
                    if src[si] != b'=' {
                        return Err(si - 1);
                    }
                    si += 1;
                }
                _ => {}
            }
            while si < len && (src[si] == b'\n' || src[si] == b'\r') {
                si += 1;
            }
            if si < len {
                trailing = Some(si);
            }
            dlen = j;
            break;
        }
        let val = (u32::from(dbuf[0]) << 18)
            | (u32::from(dbuf[1]) << 12)
            | (u32::from(dbuf[2]) << 6)
            | u32::from(dbuf[3]);
        let bytes = [(val >> 16) as u8, (val >> 8) as u8, val as u8];
        out.extend_from_slice(&bytes[..dlen - 1]);
        if let Some(at) = trailing {
            return Err(at);
        }
        if dlen < 4 {
            break;
        }
    }
    Ok(out)
}

/// Standard padded base64 (Go `base64.StdEncoding.EncodeToString`).
pub(crate) fn base64_std_encode(data: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(data)
}

/// Go `json.Marshal` of a string (with the default HTML escaping).
pub(crate) fn write_go_json_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 || matches!(c, '<' | '>' | '&' | '\u{2028}' | '\u{2029}') => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn syntax_errors_match_go() {
        let cases: &[(&[u8], &str)] = &[
            (b"", "unexpected end of JSON input"),
            (b"&", "invalid character '&' looking for beginning of value"),
            (b"{", "unexpected end of JSON input"),
            (b"{\"a\" 1}", "invalid character '1' after object key"),
            (
                b"{\"a\":1 2}",
                "invalid character '2' after object key:value pair",
            ),
            (b"[1 2]", "invalid character '2' after array element"),
            (
                b"{1:2}",
                "invalid character '1' looking for beginning of object key string",
            ),
            (b"{} x", "invalid character 'x' after top-level value"),
            (
                b"tru",
                "invalid character ' ' in literal true (expecting 'e')",
            ),
            (
                b"nul!",
                "invalid character '!' in literal null (expecting 'l')",
            ),
            (b"-", "invalid character ' ' in numeric literal"),
            (
                b"1.",
                "invalid character ' ' after decimal point in numeric literal",
            ),
            (
                b"1e+",
                "invalid character ' ' in exponent of numeric literal",
            ),
            (b"\"\\x\"", "invalid character 'x' in string escape code"),
            (
                b"\"\\u12g\"",
                "invalid character 'g' in \\u hexadecimal character escape",
            ),
            (b"\"\x01\"", "invalid character '\\x01' in string literal"),
            (
                b"\xff",
                "invalid character '\u{ff}' looking for beginning of value",
            ),
            (
                b"\x80",
                "invalid character '\\u0080' looking for beginning of value",
            ),
            (
                b"'",
                "invalid character '\\'' looking for beginning of value",
            ),
            (b"01", "invalid character '1' after top-level value"),
        ];
        for (input, want) in cases {
            assert_eq!(
                check_valid(input).unwrap_err(),
                *want,
                "{:?}",
                String::from_utf8_lossy(input)
            );
        }
        for ok in [
            &b"{}"[..],
            b" [ ] ",
            b"1",
            b"-0.5e+3",
            b"\"\\ud800\"",
            b"null",
            b"{\"a\":[1,{\"b\":null}]}",
        ] {
            assert!(check_valid(ok).is_ok(), "{:?}", String::from_utf8_lossy(ok));
        }
        let deep = "[".repeat(10001);
        assert_eq!(
            check_valid(deep.as_bytes()).unwrap_err(),
            "invalid character '[' exceeded max depth"
        );
        let ok_deep = format!("{}{}", "[".repeat(10000), "]".repeat(10000));
        assert!(check_valid(ok_deep.as_bytes()).is_ok());
    }

    #[test]
    fn unquote_like_go() {
        assert_eq!(unquote(b"a\\u00e9\\n"), "a\u{e9}\n");
        assert_eq!(unquote(b"\\ud83d\\ude00"), "\u{1f600}");
        assert_eq!(unquote(b"\\ud800x"), "\u{fffd}x");
        assert_eq!(unquote(b"\\ude00\\ud800"), "\u{fffd}\u{fffd}");
        assert_eq!(unquote(b"\xe2\x82A"), "\u{fffd}\u{fffd}A");
        assert_eq!(unquote(b"\xed\xa0\x80"), "\u{fffd}\u{fffd}\u{fffd}");
    }

    #[test]
    fn field_folding() {
        assert!(field_matches("signatures", "signatures"));
        assert!(field_matches("SIGNATURES", "signatures"));
        assert!(field_matches("ſignatures", "signatures"));
        assert!(!field_matches("signature", "signatures"));
        assert!(!field_matches("signaturesx", "signatures"));
        assert!(!field_matches("ıgnatures", "signatures"));
    }

    #[test]
    fn base64_like_go() {
        assert_eq!(
            go_base64_decode(b"cGF5bG9hZA==", false),
            Ok(b"payload".to_vec())
        );
        assert_eq!(
            go_base64_decode(b"cGF5\nbG9h\r\nZA==", false),
            Ok(b"payload".to_vec())
        );
        assert_eq!(go_base64_decode(b"", false), Ok(vec![]));
        assert_eq!(go_base64_decode(b"cGF5bG9hZA", false), Err(8));
        assert_eq!(go_base64_decode(b"cGF5bG9hZA=", false), Err(11));
        assert_eq!(go_base64_decode(b"cGF5bG9hZA=x", false), Err(10));
        assert_eq!(go_base64_decode(b"cGF5bG9hZA==x", false), Err(12));
        assert_eq!(go_base64_decode(b"c===", false), Err(1));
        assert_eq!(go_base64_decode(b"ab*d", false), Err(2));
        assert_eq!(go_base64_decode(b"-_8=", true), Ok(vec![0xfb, 0xff]));
        assert_eq!(go_base64_decode(b"-_8=", false), Err(0));
        // Non-zero trailing bits are accepted (non-strict).
        assert_eq!(go_base64_decode(b"YR==", false), Ok(b"a".to_vec()));
    }

    #[test]
    fn walk_value_is_iterative() {
        let deep = format!("{}1e999{}", "[".repeat(200_000), "]".repeat(200_000));
        let mut c = Cursor::new(deep.as_bytes());
        assert!(c.any(Ctx::Top).is_err());
        let mut c = Cursor::new(b"[1, {\"a\": \"x]\"}, null] 5");
        assert_eq!(c.skip_value(), b"[1, {\"a\": \"x]\"}, null]");
    }

    #[test]
    fn go_json_string_escaping() {
        let mut s = String::new();
        write_go_json_string(&mut s, "a<b>&\"\\\n\u{1}\u{8}\u{2028}é");
        assert_eq!(s, r#""a\u003cb\u003e\u0026\"\\\n\u0001\b\u2028é""#);
    }
}
