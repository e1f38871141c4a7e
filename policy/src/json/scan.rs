//! Syntax validation with Go `encoding/json`'s error texts (`checkValid` + its byte-at-a-time scanner).
//!
//! Go validates the whole input before decoding anything, so the first syntax error in byte order is what
//! `json.Unmarshal` reports. This module reproduces that state machine: each byte moves it to a new state or
//! fails with `invalid character <c> <context>`; end of input is treated as one more space byte, which is why
//! e.g. a truncated `tr` reports `invalid character ' ' in literal true (expecting 'u')`.

use super::quote::quote_char;

/// Go's `maxNestingDepth`.
pub(crate) const MAX_NESTING_DEPTH: usize = 10000;

#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    BeginValue,
    BeginValueOrEmpty,
    BeginStringOrEmpty,
    BeginString,
    EndValue,
    EndTop,
    InString,
    InStringEsc,
    /// Inside `\u`, with this many hex digits still expected.
    InStringEscU(u8),
    Neg,
    /// After `1`–`9` (more digits allowed).
    Digits,
    /// After a leading `0`.
    Zero,
    Dot,
    Dot0,
    E,
    ESign,
    E0,
    /// Inside a literal: the remaining expected bytes and the literal name.
    Literal(&'static [u8], &'static str),
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Container {
    ObjectKey,
    ObjectValue,
    ArrayValue,
}

struct Scanner {
    state: State,
    stack: Vec<Container>,
    end_top: bool,
}

type Step = Result<(), String>;

fn is_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\r' | b'\n')
}

fn err(c: u8, context: &str) -> String {
    if context.is_empty() {
        format!("invalid character {} ", quote_char(c))
    } else {
        format!("invalid character {} {context}", quote_char(c))
    }
}

fn is_hex(c: u8) -> bool {
    c.is_ascii_hexdigit()
}

impl Scanner {
    fn push(&mut self, c: u8, container: Container) -> Step {
        self.stack.push(container);
        if self.stack.len() <= MAX_NESTING_DEPTH {
            Ok(())
        } else {
            Err(err(c, "exceeded max depth"))
        }
    }

    fn pop(&mut self) {
        self.stack.pop();
        if self.stack.is_empty() {
            self.state = State::EndTop;
            self.end_top = true;
        } else {
            self.state = State::EndValue;
        }
    }

    fn begin_value(&mut self, c: u8) -> Step {
        if is_space(c) {
            return Ok(());
        }
        match c {
            b'{' => {
                self.state = State::BeginStringOrEmpty;
                self.push(c, Container::ObjectKey)
            }
            b'[' => {
                self.state = State::BeginValueOrEmpty;
                self.push(c, Container::ArrayValue)
            }
            b'"' => {
                self.state = State::InString;
                Ok(())
            }
            b'-' => {
                self.state = State::Neg;
                Ok(())
            }
            b'0' => {
                self.state = State::Zero;
                Ok(())
            }
            b't' => {
                self.state = State::Literal(b"rue", "true");
                Ok(())
            }
            b'f' => {
                self.state = State::Literal(b"alse", "false");
                Ok(())
            }
            b'n' => {
                self.state = State::Literal(b"ull", "null");
                Ok(())
            }
            b'1'..=b'9' => {
                self.state = State::Digits;
                Ok(())
            }
            _ => Err(err(c, "looking for beginning of value")),
        }
    }

    fn end_value(&mut self, c: u8) -> Step {
        let Some(top) = self.stack.last_mut() else {
            self.state = State::EndTop;
            self.end_top = true;
            return Self::end_top(c);
        };
        if is_space(c) {
            self.state = State::EndValue;
            return Ok(());
        }
        match *top {
            Container::ObjectKey => {
                if c == b':' {
                    *top = Container::ObjectValue;
                    self.state = State::BeginValue;
                    Ok(())
                } else {
                    Err(err(c, "after object key"))
                }
            }
            Container::ObjectValue => match c {
                b',' => {
                    *top = Container::ObjectKey;
                    self.state = State::BeginString;
                    Ok(())
                }
                b'}' => {
                    self.pop();
                    Ok(())
                }
                _ => Err(err(c, "after object key:value pair")),
            },
            Container::ArrayValue => match c {
                b',' => {
                    self.state = State::BeginValue;
                    Ok(())
                }
                b']' => {
                    self.pop();
                    Ok(())
                }
                _ => Err(err(c, "after array element")),
            },
        }
    }

    fn end_top(c: u8) -> Step {
        if is_space(c) {
            Ok(())
        } else {
            Err(err(c, "after top-level value"))
        }
    }

    fn step(&mut self, c: u8) -> Step {
        match self.state {
            State::BeginValue => self.begin_value(c),
            State::BeginValueOrEmpty => {
                if is_space(c) {
                    Ok(())
                } else if c == b']' {
                    self.end_value(c)
                } else {
                    self.begin_value(c)
                }
            }
            State::BeginStringOrEmpty => {
                if is_space(c) {
                    Ok(())
                } else if c == b'}' {
                    if let Some(top) = self.stack.last_mut() {
                        *top = Container::ObjectValue;
                    }
                    self.end_value(c)
                } else {
                    self.begin_string(c)
                }
            }
            State::BeginString => self.begin_string(c),
            State::EndValue => self.end_value(c),
            State::EndTop => Self::end_top(c),
            State::InString => {
                match c {
                    b'"' => self.state = State::EndValue,
                    b'\\' => self.state = State::InStringEsc,
                    0..0x20 => return Err(err(c, "in string literal")),
                    _ => {}
                }
                Ok(())
            }
            State::InStringEsc => match c {
                b'b' | b'f' | b'n' | b'r' | b't' | b'\\' | b'/' | b'"' => {
                    self.state = State::InString;
                    Ok(())
                }
                b'u' => {
                    self.state = State::InStringEscU(4);
                    Ok(())
                }
                _ => Err(err(c, "in string escape code")),
            },
            State::InStringEscU(left) => {
                if !is_hex(c) {
                    return Err(err(c, "in \\u hexadecimal character escape"));
                }
                self.state = if left > 1 {
                    State::InStringEscU(left - 1)
                } else {
                    State::InString
                };
                Ok(())
            }
            State::Neg => match c {
                b'0' => {
                    self.state = State::Zero;
                    Ok(())
                }
                b'1'..=b'9' => {
                    self.state = State::Digits;
                    Ok(())
                }
                _ => Err(err(c, "in numeric literal")),
            },
            State::Digits => {
                if c.is_ascii_digit() {
                    Ok(())
                } else {
                    self.zero(c)
                }
            }
            State::Zero => self.zero(c),
            State::Dot => {
                if c.is_ascii_digit() {
                    self.state = State::Dot0;
                    Ok(())
                } else {
                    Err(err(c, "after decimal point in numeric literal"))
                }
            }
            State::Dot0 => {
                if c.is_ascii_digit() {
                    Ok(())
                } else if c == b'e' || c == b'E' {
                    self.state = State::E;
                    Ok(())
                } else {
                    self.end_value(c)
                }
            }
            State::E => {
                if c == b'+' || c == b'-' {
                    self.state = State::ESign;
                    Ok(())
                } else {
                    self.e_sign(c)
                }
            }
            State::ESign => self.e_sign(c),
            State::E0 => {
                if c.is_ascii_digit() {
                    Ok(())
                } else {
                    self.end_value(c)
                }
            }
            State::Literal(rest, name) => match rest.split_first() {
                Some((&want, tail)) if want == c => {
                    self.state = if tail.is_empty() {
                        State::EndValue
                    } else {
                        State::Literal(tail, name)
                    };
                    Ok(())
                }
                Some((&want, _)) => Err(err(
                    c,
                    &format!("in literal {name} (expecting {})", quote_char(want)),
                )),
                // Not reachable: a literal state always has bytes left.
                None => self.end_value(c),
            },
        }
    }

    fn begin_string(&mut self, c: u8) -> Step {
        if is_space(c) {
            Ok(())
        } else if c == b'"' {
            self.state = State::InString;
            Ok(())
        } else {
            Err(err(c, "looking for beginning of object key string"))
        }
    }

    fn zero(&mut self, c: u8) -> Step {
        match c {
            b'.' => {
                self.state = State::Dot;
                Ok(())
            }
            b'e' | b'E' => {
                self.state = State::E;
                Ok(())
            }
            _ => self.end_value(c),
        }
    }

    fn e_sign(&mut self, c: u8) -> Step {
        if c.is_ascii_digit() {
            self.state = State::E0;
            Ok(())
        } else {
            Err(err(c, "in exponent of numeric literal"))
        }
    }
}

/// Index of the first byte of `bytes` that is `"`, `\` or a control character (below 0x20): where plain
/// string content ends. Strings are most of a policy's bytes, so this tests eight bytes at a time with the
/// classic SWAR ("SIMD within a register") tricks instead of comparing byte by byte.
pub(crate) fn find_string_special(bytes: &[u8]) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    /// The high bit of each byte of `x` that is below the same byte of `n` (all bytes of `n` equal, at most
    /// 0x80). A borrow can also set it in a byte above a flagged one, never below, so the lowest flag is exact.
    fn below(x: u64, n: u64) -> u64 {
        x.wrapping_sub(n) & !x & HIGHS
    }
    /// Flags of the bytes of a little-endian word that end plain string content.
    fn special(x: u64) -> u64 {
        below(x, 0x20 * ONES)
            | below(x ^ (u64::from(b'"') * ONES), ONES)
            | below(x ^ (u64::from(b'\\') * ONES), ONES)
    }
    let chunks = bytes.chunks_exact(8);
    let tail = chunks.remainder();
    for (n, chunk) in chunks.enumerate() {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        let flags = special(u64::from_le_bytes(word));
        if flags != 0 {
            return Some(n * 8 + (flags.trailing_zeros() / 8) as usize);
        }
    }
    // The last 0–7 bytes, padded with 0xff (which is never special).
    let mut word = [0xffu8; 8];
    word.get_mut(..tail.len())?.copy_from_slice(tail);
    let flags = special(u64::from_le_bytes(word));
    (flags != 0).then(|| bytes.len() - tail.len() + (flags.trailing_zeros() / 8) as usize)
}

/// Go's `checkValid`: `Ok` if `data` is exactly one JSON value (surrounded by optional whitespace), else the
/// `SyntaxError` text Go reports.
pub(crate) fn check_valid(data: &[u8]) -> Result<(), String> {
    let mut s = Scanner {
        state: State::BeginValue,
        stack: Vec::new(),
        end_top: false,
    };
    let mut i = 0;
    while let Some(&c) = data.get(i) {
        match s.state {
            // Fast paths (same outcome as stepping byte by byte): plain string content, the quotes around it,
            // and whitespace where the scanner only skips it.
            State::InString => {
                let rest = data.get(i..).unwrap_or_default();
                match find_string_special(rest) {
                    Some(k) if rest.get(k) == Some(&b'"') => {
                        s.state = State::EndValue;
                        i += k + 1;
                        continue;
                    }
                    // An escape or a control character: the scanner decides.
                    Some(0) => {}
                    Some(k) => {
                        i += k;
                        continue;
                    }
                    None => break,
                }
            }
            State::BeginValue
            | State::BeginValueOrEmpty
            | State::BeginStringOrEmpty
            | State::BeginString
                if c == b'"' =>
            {
                s.state = State::InString;
                i += 1;
                continue;
            }
            State::BeginValue
            | State::BeginValueOrEmpty
            | State::BeginStringOrEmpty
            | State::BeginString
            | State::EndValue
            | State::EndTop
                if is_space(c) =>
            {
                let rest = data.get(i..).unwrap_or_default();
                i += rest
                    .iter()
                    .position(|&b| !is_space(b))
                    .unwrap_or(rest.len());
                continue;
            }
            _ => {}
        }
        s.step(c)?;
        i += 1;
    }
    if s.end_top {
        return Ok(());
    }
    s.step(b' ')?;
    if s.end_top {
        Ok(())
    } else {
        Err("unexpected end of JSON input".to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_syntax_errors() {
        let cases: &[(&str, &str)] = &[
            ("", "unexpected end of JSON input"),
            ("   ", "unexpected end of JSON input"),
            ("{", "unexpected end of JSON input"),
            ("{\"a\":1", "unexpected end of JSON input"),
            ("\"abc", "unexpected end of JSON input"),
            (
                "tr",
                "invalid character ' ' in literal true (expecting 'u')",
            ),
            (
                "{\"a\":tr",
                "invalid character ' ' in literal true (expecting 'u')",
            ),
            (
                "nulx",
                "invalid character 'x' in literal null (expecting 'l')",
            ),
            (
                "fals",
                "invalid character ' ' in literal false (expecting 'e')",
            ),
            ("-", "invalid character ' ' in numeric literal"),
            (
                "1.",
                "invalid character ' ' after decimal point in numeric literal",
            ),
            ("1e", "invalid character ' ' in exponent of numeric literal"),
            (
                "1e+x",
                "invalid character 'x' in exponent of numeric literal",
            ),
            ("\"\\", "invalid character ' ' in string escape code"),
            ("\"\\x\"", "invalid character 'x' in string escape code"),
            (
                "\"\\u12g4\"",
                "invalid character 'g' in \\u hexadecimal character escape",
            ),
            ("\"a\nb\"", "invalid character '\\n' in string literal"),
            ("&", "invalid character '&' looking for beginning of value"),
            (
                "'",
                "invalid character '\\'' looking for beginning of value",
            ),
            (
                "{1:1}",
                "invalid character '1' looking for beginning of object key string",
            ),
            ("{\"a\" 1}", "invalid character '1' after object key"),
            (
                "{\"a\":1 2}",
                "invalid character '2' after object key:value pair",
            ),
            ("[1 2]", "invalid character '2' after array element"),
            ("{}{}", "invalid character '{' after top-level value"),
            ("01", "invalid character '1' after top-level value"),
            (
                "[1,]",
                "invalid character ']' looking for beginning of value",
            ),
            (
                "{\"a\":1,}",
                "invalid character '}' looking for beginning of object key string",
            ),
            (
                "\u{a0}",
                "invalid character 'Â' looking for beginning of value",
            ),
            (
                "\x01",
                "invalid character '\\x01' looking for beginning of value",
            ),
            ("\"", "unexpected end of JSON input"),
        ];
        for (input, want) in cases {
            assert_eq!(
                check_valid(input.as_bytes()).err().as_deref(),
                Some(*want),
                "{input:?}"
            );
        }
        for ok in [
            "{}",
            " [] ",
            "1",
            "-0.5e+3",
            "\"\\u00e9\"",
            "true",
            "null",
            "{\"a\":[1,{\"b\":null}]}\n",
        ] {
            assert_eq!(check_valid(ok.as_bytes()), Ok(()), "{ok:?}");
        }
    }

    #[test]
    fn string_special_bytes() {
        let naive = |b: &[u8]| b.iter().position(|&c| c < 0x20 || c == b'"' || c == b'\\');
        let mut inputs: Vec<Vec<u8>> = vec![vec![], b"abc".to_vec(), b"abcdefgh".to_vec()];
        for len in 0..20 {
            for at in 0..len {
                for special in [b'"', b'\\', 0x00, 0x1f, b'\n'] {
                    for filler in [b'a', b' ', 0x7f, 0x80, 0xff, b'!', b'#', b'[', b']'] {
                        let mut v = vec![filler; len];
                        v[at] = special;
                        // A second special byte later must not hide the first.
                        if at + 1 < len {
                            v[len - 1] = b'"';
                        }
                        inputs.push(v);
                    }
                }
            }
        }
        for v in inputs {
            assert_eq!(find_string_special(&v), naive(&v), "{v:?}");
        }
    }

    #[test]
    fn nesting_limit() {
        let ok = "[".repeat(MAX_NESTING_DEPTH) + &"]".repeat(MAX_NESTING_DEPTH);
        assert_eq!(check_valid(ok.as_bytes()), Ok(()));
        let deep = "[".repeat(MAX_NESTING_DEPTH + 1);
        assert_eq!(
            check_valid(deep.as_bytes()).err().as_deref(),
            Some("invalid character '[' exceeded max depth")
        );
    }
}
