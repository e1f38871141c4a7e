//! A JSON reader that reproduces Go `encoding/json` syntax errors and containers/image's "paranoid"
//! object decoding (duplicate and unknown keys refused) with their exact messages.
//!
//! [`Document::parse`] first validates the whole input as Go's `json.Unmarshal` does (so the first syntax
//! error in byte order wins, with Go's text), then builds a flat tree of [`Value`]s that keeps member order,
//! duplicate keys and each value's raw byte span. Semantic decoding (`decode`) then walks that tree in
//! document order, reproducing the order in which containers/image reports errors. Nothing here recurses
//! over input structure, so arbitrarily nested (up to Go's limit of 10000) input cannot exhaust the stack.
//!
//! Serialization helpers with Go's string escaping live in `encode`.

pub(crate) mod decode;
pub(crate) mod encode;
mod goprint;
pub(crate) mod quote;
pub(crate) mod scan;

use std::borrow::Cow;

/// The kind of a JSON value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// `null`
    Null,
    /// `true` / `false`
    Bool(bool),
    /// a number (text in [`Value::raw`])
    Number,
    /// a string (decode with [`Value::as_str`])
    String,
    /// an array
    Array,
    /// an object
    Object,
}

impl Kind {
    /// The word Go's `UnmarshalTypeError` uses for a JSON value of this kind.
    pub(crate) fn go_name(self) -> &'static str {
        match self {
            Kind::Null => "null",
            Kind::Bool(_) => "bool",
            Kind::Number => "number",
            Kind::String => "string",
            Kind::Array => "array",
            Kind::Object => "object",
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Node {
    kind: Kind,
    /// For a string: whether its literal contains a backslash escape (so decoding it needs [`unquote`]).
    escaped: bool,
    start: usize,
    end: usize,
    /// Index of the first node after this node's subtree.
    next: usize,
}

/// A parsed, syntactically valid JSON document: nodes in document order (pre-order). An object's children
/// are alternating key (a string node) and value subtrees; an array's children are its elements.
#[derive(Debug)]
pub(crate) struct Document<'a> {
    src: &'a [u8],
    /// `src` as text when it is all valid UTF-8 (checked once for the whole document), so that a string
    /// without escapes decodes to a borrowed slice of it instead of being validated (or copied) on its own.
    text: Option<&'a str>,
    nodes: Vec<Node>,
}

/// A value inside a [`Document`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct Value<'d> {
    doc: &'d Document<'d>,
    idx: usize,
}

impl<'a> Document<'a> {
    /// Validates `src` as Go's `json.Unmarshal` does (error text = Go's `SyntaxError`) and builds the tree.
    pub(crate) fn parse(src: &'a [u8]) -> Result<Document<'a>, String> {
        scan::check_valid(src)?;
        Ok(Document {
            src,
            text: std::str::from_utf8(src).ok(),
            nodes: build(src),
        })
    }

    /// The top-level value.
    pub(crate) fn root(&self) -> Value<'_> {
        Value { doc: self, idx: 0 }
    }
}

/// Builds the node list of input already accepted by [`scan::check_valid`] (no error handling needed).
fn build(src: &[u8]) -> Vec<Node> {
    let mut nodes: Vec<Node> = Vec::with_capacity(src.len() / 12 + 1);
    let mut open: Vec<usize> = Vec::new();
    let mut i = 0;
    while i < src.len() {
        let c = src[i];
        match c {
            b'{' | b'[' => {
                open.push(nodes.len());
                let kind = if c == b'{' { Kind::Object } else { Kind::Array };
                nodes.push(Node {
                    kind,
                    escaped: false,
                    start: i,
                    end: i,
                    next: 0,
                });
                i += 1;
            }
            b'}' | b']' => {
                i += 1;
                if let Some(o) = open.pop() {
                    let next = nodes.len();
                    if let Some(n) = nodes.get_mut(o) {
                        n.end = i;
                        n.next = next;
                    }
                }
            }
            b'"' => {
                let start = i;
                let mut escaped = false;
                i += 1;
                while let Some(rest) = src.get(i..) {
                    // Valid input has no control characters in strings, so this stops at `"` or `\`.
                    match scan::find_string_special(rest) {
                        Some(k) if rest[k] == b'\\' => {
                            escaped = true;
                            i += k + 2;
                        }
                        Some(k) => {
                            i += k;
                            break;
                        }
                        None => {
                            i = src.len();
                            break;
                        }
                    }
                }
                i += 1;
                let next = nodes.len() + 1;
                nodes.push(Node {
                    kind: Kind::String,
                    escaped,
                    start,
                    end: i.min(src.len()),
                    next,
                });
            }
            b't' | b'f' | b'n' => {
                let (kind, len) = match c {
                    b't' => (Kind::Bool(true), 4),
                    b'f' => (Kind::Bool(false), 5),
                    _ => (Kind::Null, 4),
                };
                let next = nodes.len() + 1;
                nodes.push(Node {
                    kind,
                    escaped: false,
                    start: i,
                    end: (i + len).min(src.len()),
                    next,
                });
                i += len;
            }
            b'-' | b'0'..=b'9' => {
                let start = i;
                while i < src.len()
                    && matches!(src[i], b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9')
                {
                    i += 1;
                }
                let next = nodes.len() + 1;
                nodes.push(Node {
                    kind: Kind::Number,
                    escaped: false,
                    start,
                    end: i,
                    next,
                });
            }
            // Whitespace, ':' and ','.
            _ => {
                let rest = src.get(i..).unwrap_or_default();
                i += rest
                    .iter()
                    .position(|&b| !matches!(b, b' ' | b'\t' | b'\r' | b'\n' | b':' | b','))
                    .unwrap_or(rest.len())
                    .max(1);
            }
        }
    }
    nodes
}

impl<'d> Value<'d> {
    fn node(&self) -> Node {
        // `idx` always comes from the tree itself, so it is in range; the fallback keeps this panic-free.
        self.doc.nodes.get(self.idx).copied().unwrap_or(Node {
            kind: Kind::Null,
            escaped: false,
            start: 0,
            end: 0,
            next: 0,
        })
    }

    /// The value's kind.
    pub(crate) fn kind(&self) -> Kind {
        self.node().kind
    }

    /// The value's exact bytes in the input (what Go hands to a nested `UnmarshalJSON` / `json.RawMessage`).
    pub(crate) fn raw(&self) -> &'d [u8] {
        let n = self.node();
        self.doc.src.get(n.start..n.end).unwrap_or_default()
    }

    /// Whether this is `null`.
    pub(crate) fn is_null(&self) -> bool {
        self.kind() == Kind::Null
    }

    fn children(&self) -> Children<'d> {
        let n = self.node();
        let end = if matches!(n.kind, Kind::Object | Kind::Array) {
            n.next
        } else {
            self.idx + 1
        };
        Children {
            doc: self.doc,
            next: self.idx + 1,
            end,
        }
    }

    /// An object's members in document order (duplicates included); empty for non-objects.
    pub(crate) fn members(&self) -> impl Iterator<Item = (Value<'d>, Value<'d>)> + 'd {
        let mut children = if self.kind() == Kind::Object {
            self.children()
        } else {
            Children {
                doc: self.doc,
                next: 0,
                end: 0,
            }
        };
        std::iter::from_fn(move || {
            let k = children.next()?;
            let v = children.next()?;
            Some((k, v))
        })
    }

    /// An array's elements; empty for non-arrays.
    pub(crate) fn elements(&self) -> impl Iterator<Item = Value<'d>> + 'd {
        if self.kind() == Kind::Array {
            self.children()
        } else {
            Children {
                doc: self.doc,
                next: 0,
                end: 0,
            }
        }
    }

    /// All values in this subtree (this one first), without recursion.
    pub(crate) fn descendants(&self) -> impl Iterator<Item = Value<'d>> + 'd {
        let doc = self.doc;
        let n = self.node();
        let end = if matches!(n.kind, Kind::Object | Kind::Array) {
            n.next
        } else {
            self.idx + 1
        };
        (self.idx..end).map(move |idx| Value { doc, idx })
    }

    /// The decoded contents of a string value as Go decodes it (escapes resolved, invalid UTF-8 and unpaired
    /// surrogates replaced by U+FFFD); `None` for other kinds.
    pub(crate) fn as_str(&self) -> Option<Cow<'d, str>> {
        let n = self.node();
        if n.kind != Kind::String {
            return None;
        }
        let inner = (n.start + 1)..n.end.saturating_sub(1);
        // The common case: no escapes in a document of valid UTF-8 is the literal's text itself (the quotes
        // are ASCII, so the slice is on character boundaries).
        if !n.escaped {
            if let Some(s) = self.doc.text.and_then(|t| t.get(inner.clone())) {
                return Some(Cow::Borrowed(s));
            }
        }
        Some(unquote(self.doc.src.get(inner).unwrap_or_default()))
    }
}

struct Children<'d> {
    doc: &'d Document<'d>,
    next: usize,
    end: usize,
}

impl<'d> Iterator for Children<'d> {
    type Item = Value<'d>;
    fn next(&mut self) -> Option<Value<'d>> {
        if self.next >= self.end {
            return None;
        }
        let v = Value {
            doc: self.doc,
            idx: self.next,
        };
        self.next = v.node().next.max(self.next + 1);
        Some(v)
    }
}

fn hex4(b: &[u8]) -> Option<u32> {
    let s = b.get(..4)?;
    let mut v = 0u32;
    for &c in s {
        v = v * 16 + char::from(c).to_digit(16)?;
    }
    Some(v)
}

/// Appends `bytes` (raw string content without escapes) to `out`, replacing each byte that does not start a
/// valid UTF-8 sequence by U+FFFD, one per byte (as Go's `utf8.DecodeRune` loop does).
fn push_lossy(out: &mut String, mut bytes: &[u8]) {
    loop {
        match std::str::from_utf8(bytes) {
            Ok(s) => {
                out.push_str(s);
                return;
            }
            Err(e) => {
                let (valid, rest) = bytes.split_at(e.valid_up_to());
                out.push_str(std::str::from_utf8(valid).unwrap_or_default());
                out.push('\u{fffd}');
                bytes = rest.get(1..).unwrap_or_default();
            }
        }
    }
}

/// Go's `unquoteBytes` on the inside of a valid JSON string literal.
fn unquote(inner: &[u8]) -> Cow<'_, str> {
    if !inner.contains(&b'\\') {
        if let Ok(s) = std::str::from_utf8(inner) {
            return Cow::Borrowed(s);
        }
    }
    let mut out = String::with_capacity(inner.len());
    let mut i = 0;
    while i < inner.len() {
        let run_end = inner[i..]
            .iter()
            .position(|&b| b == b'\\')
            .map_or(inner.len(), |p| i + p);
        push_lossy(&mut out, &inner[i..run_end]);
        i = run_end;
        if i >= inner.len() {
            break;
        }
        // inner[i] == '\\'; the scanner guarantees a valid escape follows.
        let esc = inner.get(i + 1).copied().unwrap_or(b'\\');
        i += 2;
        let c = match esc {
            b'b' => '\x08',
            b'f' => '\x0c',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => {
                let r = hex4(inner.get(i..).unwrap_or_default()).unwrap_or(0xfffd);
                i += 4;
                if (0xd800..0xe000).contains(&r) {
                    // A high surrogate followed by an escaped low surrogate forms one rune; anything else is U+FFFD.
                    let rest = inner.get(i..).unwrap_or_default();
                    let low = if rest.starts_with(b"\\u") {
                        hex4(&rest[2..])
                    } else {
                        None
                    };
                    match low {
                        Some(lo)
                            if (0xd800..0xdc00).contains(&r) && (0xdc00..0xe000).contains(&lo) =>
                        {
                            i += 6;
                            char::from_u32(0x10000 + ((r - 0xd800) << 10) + (lo - 0xdc00))
                                .unwrap_or('\u{fffd}')
                        }
                        _ => '\u{fffd}',
                    }
                } else {
                    char::from_u32(r).unwrap_or('\u{fffd}')
                }
            }
            other => char::from(other), // '"', '\\', '/'
        };
        out.push(c);
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(src: &str) -> Vec<String> {
        let doc = Document::parse(src.as_bytes()).expect("valid");
        doc.root()
            .elements()
            .map(|v| v.as_str().expect("string").into_owned())
            .collect()
    }

    #[test]
    fn tree_keeps_order_duplicates_and_spans() {
        let src = br#" {"b": [1, {"x": null}], "a": true, "b" : "s" } "#;
        let doc = Document::parse(src).expect("valid");
        let root = doc.root();
        assert_eq!(root.kind(), Kind::Object);
        assert_eq!(root.raw(), &src[1..src.len() - 1]);
        let members: Vec<_> = root
            .members()
            .map(|(k, v)| (k.as_str().expect("key").into_owned(), v))
            .collect();
        let keys: Vec<_> = members.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys, ["b", "a", "b"]);
        assert_eq!(members[0].1.raw(), br#"[1, {"x": null}]"#);
        assert_eq!(members[0].1.elements().count(), 2);
        assert_eq!(members[1].1.kind(), Kind::Bool(true));
        assert_eq!(members[2].1.as_str().as_deref(), Some("s"));
        assert_eq!(root.descendants().count(), 11);
    }

    #[test]
    fn unquote_like_go() {
        assert_eq!(
            strings(
                r#"["a\"\\\/\b\f\n\r\t", "\u00e9\ud83d\ude00", "\ud800x", "\udc00\ud800\udc00", "\ud800\u0041"]"#
            ),
            [
                "a\"\\/\x08\x0c\n\r\t",
                "é😀",
                "\u{fffd}x",
                "\u{fffd}𐀀",
                "\u{fffd}A"
            ]
        );
        // Invalid UTF-8: one U+FFFD per byte that does not start a valid sequence.
        let doc = Document::parse(b"[\"a\xe2\x82x\xff\"]").expect("valid");
        let v = doc.root().elements().next().expect("one");
        assert_eq!(v.as_str().as_deref(), Some("a\u{fffd}\u{fffd}x\u{fffd}"));
    }

    #[test]
    fn deep_nesting_needs_no_recursion() {
        let depth = scan::MAX_NESTING_DEPTH;
        let src = "[".repeat(depth) + &"]".repeat(depth);
        let doc = Document::parse(src.as_bytes()).expect("valid");
        assert_eq!(doc.root().descendants().count(), depth);
    }
}
