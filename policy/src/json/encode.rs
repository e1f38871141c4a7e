//! Serialization helpers with Go `encoding/json`'s output conventions.

use std::fmt::Write as _;

const HEX: &[u8; 16] = b"0123456789abcdef";

/// Appends `s` as a JSON string literal escaped as Go's `json.Marshal` does by default: `"` and `\` escaped,
/// `\b \f \n \r \t` short forms, other control characters and (HTML-safety) `<`, `>`, `&` as `\u00XX`,
/// U+2028 and U+2029 as `\u2028` / `\u2029`; everything else verbatim.
pub(crate) fn push_go_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\x08' => out.push_str("\\b"),
            '\x0c' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c if (c as u32) < 0x20 || c == '<' || c == '>' || c == '&' => {
                let b = c as u32 as usize;
                out.push_str("\\u00");
                out.push(char::from(HEX[b >> 4]));
                out.push(char::from(HEX[b & 0xf]));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Go's `base64.StdEncoding.EncodeToString` (how `json.Marshal` writes a `[]byte`).
pub(crate) fn base64_std(data: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let v = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[((v >> (18 - 6 * i)) & 0x3f) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// A small indenting JSON writer (objects and arrays, members in the order written).
pub(crate) struct Writer {
    out: String,
    indent: &'static str,
    /// One entry per open container: whether it already has an element.
    stack: Vec<bool>,
    /// A key was just written; the next value goes on the same line.
    after_key: bool,
}

impl Writer {
    /// A writer indenting with `indent` per level (`""` for compact output).
    pub(crate) fn new(indent: &'static str) -> Self {
        Writer {
            out: String::new(),
            indent,
            stack: Vec::new(),
            after_key: false,
        }
    }

    fn newline(&mut self) {
        if !self.indent.is_empty() {
            self.out.push('\n');
            for _ in 0..self.stack.len() {
                self.out.push_str(self.indent);
            }
        }
    }

    fn before_value(&mut self) {
        if self.after_key {
            self.after_key = false;
            return;
        }
        if let Some(has) = self.stack.last_mut() {
            if *has {
                self.out.push(',');
            }
            *has = true;
            self.newline();
        }
    }

    /// Writes an object key (the value must follow).
    pub(crate) fn key(&mut self, k: &str) {
        self.before_value();
        push_go_string(&mut self.out, k);
        self.out.push(':');
        if !self.indent.is_empty() {
            self.out.push(' ');
        }
        self.after_key = true;
    }

    /// Opens an object.
    pub(crate) fn begin_object(&mut self) {
        self.before_value();
        self.out.push('{');
        self.stack.push(false);
    }

    /// Closes an object.
    pub(crate) fn end_object(&mut self) {
        self.close('}');
    }

    /// Opens an array.
    pub(crate) fn begin_array(&mut self) {
        self.before_value();
        self.out.push('[');
        self.stack.push(false);
    }

    /// Closes an array.
    pub(crate) fn end_array(&mut self) {
        self.close(']');
    }

    fn close(&mut self, c: char) {
        let had = self.stack.pop().unwrap_or(false);
        if had {
            self.newline();
        }
        self.out.push(c);
    }

    /// Writes a string value.
    pub(crate) fn string(&mut self, s: &str) {
        self.before_value();
        push_go_string(&mut self.out, s);
    }

    /// Writes an integer value.
    pub(crate) fn int(&mut self, i: i64) {
        self.before_value();
        let _ = write!(self.out, "{i}");
    }

    /// Writes `"key": "value"`.
    pub(crate) fn string_member(&mut self, k: &str, v: &str) {
        self.key(k);
        self.string(v);
    }

    /// Writes `"key": ["a", …]`.
    pub(crate) fn string_list_member<S: AsRef<str>>(&mut self, k: &str, items: &[S]) {
        self.key(k);
        self.begin_array();
        for i in items {
            self.string(i.as_ref());
        }
        self.end_array();
    }

    /// The output.
    pub(crate) fn finish(self) -> String {
        self.out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_escaping() {
        let mut s = String::new();
        push_go_string(&mut s, "a\"\\<>&\u{2028}\u{2029}\x01\x08\x0c\n\r\t\x7fé");
        assert_eq!(
            s,
            r#""a\"\\\u003c\u003e\u0026\u2028\u2029\u0001\b\f\n\r\t"#.to_owned() + "\x7fé\""
        );
    }

    #[test]
    fn base64() {
        assert_eq!(base64_std(b""), "");
        assert_eq!(base64_std(b"a"), "YQ==");
        assert_eq!(base64_std(b"ab"), "YWI=");
        assert_eq!(base64_std(b"abc"), "YWJj");
        assert_eq!(base64_std(&[0xff, 0xfe, 0xfd, 0xfc]), "//79/A==");
    }

    #[test]
    fn writer() {
        let mut w = Writer::new("  ");
        w.begin_object();
        w.key("a");
        w.begin_array();
        w.end_array();
        w.string_list_member("b", &["x", "y"]);
        w.key("c");
        w.begin_object();
        w.end_object();
        w.end_object();
        assert_eq!(
            w.finish(),
            "{\n  \"a\": [],\n  \"b\": [\n    \"x\",\n    \"y\"\n  ],\n  \"c\": {}\n}"
        );
        let mut w = Writer::new("");
        w.begin_object();
        w.string_member("k", "v");
        w.key("n");
        w.int(-3);
        w.end_object();
        assert_eq!(w.finish(), r#"{"k":"v","n":-3}"#);
    }
}
