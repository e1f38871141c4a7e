//! One registries.d file decoded as containers/image decodes it: `yaml.Unmarshal` of yaml.v3
//! (`go.yaml.in/yaml/v3` v3.0.5 in containers/image v5.42) into `registryConfiguration`.
//!
//! yaml.v3 is a Go port of libyaml (reader, scanner, parser) plus its own decoder. We reproduce it in
//! two stages, each following the Go behaviour:
//!
//! 1. [`Builder`]: the node tree yaml.v3's `parser` builds from the libyaml event stream (first document
//!    only; anchors registered before their children; unknown aliases refused while parsing). The event
//!    stream comes from [`super::libyaml`], yaml.v3's own scanner and parser (libyaml as yaml.v3
//!    changed it), so syntax errors have yaml.v3's problem texts and marks; the `line N: ` prefix is
//!    computed as yaml.v3's `parser.fail` does;
//! 2. [`Decoder`]: yaml.v3's `decoder` specialised to the fixed schema (tag resolution incl. the YAML 1.1
//!    booleans accepted for bool targets, duplicate-key detection, merge keys, aliases, type errors
//!    collected with their lines, fatal errors).
//!
//! Errors are the complete yaml.v3 text (`yaml: line 3: …`, `yaml: unmarshal errors:\n  line 4: …`).

use std::collections::{HashMap, HashSet};

use super::libyaml::{Event, EventData, Parser, ScalarStyle};

use super::Section;
use crate::layout::go_quote;

/// What one file decodes to (`registryConfiguration`): `docker` keeps the first-seen order of scopes.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct FileConfig {
    /// `default-docker` (a Go `*registryNamespace`: `None` when absent or null).
    pub(crate) default_docker: Option<Section>,
    /// `docker` (a Go map: `None` when absent or null).
    pub(crate) docker: Option<Vec<(String, Section)>>,
}

/// Decodes one file; the error is yaml.v3's complete message.
pub(crate) fn decode(bytes: &[u8]) -> Result<FileConfig, String> {
    let mut builder = Builder::new(bytes);
    let root = builder.parse_root().map_err(|m| format!("yaml: {m}"))?;
    let mut config = FileConfig::default();
    if let Some(root) = root {
        let mut d = Decoder::new(&builder.nodes);
        d.unmarshal(root, &mut Out::Config(&mut config))
            .map_err(|m| format!("yaml: {m}"))?;
        if !d.terrors.is_empty() {
            return Err(format!(
                "yaml: unmarshal errors:\n  {}",
                d.terrors.join("\n  ")
            ));
        }
    }
    Ok(config)
}

// ---------------------------------------------------------------------------------------------
// Nodes (yaml.v3 `Node`, only what decoding uses)

const NULL_TAG: &str = "!!null";
const BOOL_TAG: &str = "!!bool";
const STR_TAG: &str = "!!str";
const INT_TAG: &str = "!!int";
const FLOAT_TAG: &str = "!!float";
const TIMESTAMP_TAG: &str = "!!timestamp";
const SEQ_TAG: &str = "!!seq";
const MAP_TAG: &str = "!!map";
const BINARY_TAG: &str = "!!binary";
const MERGE_TAG: &str = "!!merge";
const LONG_TAG_PREFIX: &str = "tag:yaml.org,2002:";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Document,
    Sequence,
    Mapping,
    Scalar,
    Alias,
}

#[derive(Debug)]
struct Node {
    kind: Kind,
    /// yaml.v3's `Node.Tag` as the parser sets it (short form; resolved for plain scalars).
    tag: String,
    value: String,
    /// Quoted, literal or folded (yaml.v3's `indicatedString` styles).
    quoted: bool,
    /// 1-based line.
    line: u64,
    /// The anchored node an alias refers to.
    alias: Option<usize>,
    content: Vec<usize>,
}

impl Node {
    /// An empty sequence or mapping node; its children are added as they are parsed.
    fn collection(kind: Kind, tag: String, line: u64) -> Self {
        Node {
            kind,
            tag,
            value: String::new(),
            quoted: false,
            line,
            alias: None,
            content: Vec::new(),
        }
    }
}

/// yaml.v3 `shortTag`.
fn short_tag(tag: &str) -> String {
    match tag.strip_prefix(LONG_TAG_PREFIX) {
        Some(rest) => format!("!!{rest}"),
        None => tag.to_owned(),
    }
}

// ---------------------------------------------------------------------------------------------
// Parser → node tree (yaml.v3 `parser`)

struct Builder {
    parser: Parser,
    event: Option<Event>,
    nodes: Vec<Node>,
    anchors: HashMap<String, usize>,
}

impl Builder {
    fn new(input: &[u8]) -> Self {
        Builder {
            parser: Parser::new(input),
            event: None,
            nodes: Vec::new(),
            anchors: HashMap::new(),
        }
    }

    fn peek(&mut self) -> Result<(), String> {
        if self.event.is_none() {
            let event = self.parser.parse().map_err(|e| e.message())?;
            self.event = Some(event);
        }
        Ok(())
    }

    fn add(&mut self, node: Node, anchor: Option<&str>) -> usize {
        let id = self.nodes.len();
        self.nodes.push(node);
        if let Some(a) = anchor {
            self.anchors.insert(a.to_owned(), id);
        }
        id
    }

    /// The next event, consumed (yaml.v3's `peek` then `expect`: nothing happens in between that could
    /// fail differently).
    fn next_event(&mut self) -> Result<Event, String> {
        self.peek()?;
        self.event
            .take()
            .ok_or_else(|| "unknown problem parsing YAML content".to_owned())
    }

    /// yaml.v3 `parser.parse` at the top: the first document's node, or `None` for an empty stream.
    fn parse_root(&mut self) -> Result<Option<usize>, String> {
        self.next_event()?; // STREAM-START
        let start = self.next_event()?;
        if matches!(start.data, EventData::StreamEnd) {
            return Ok(None);
        }
        let doc = self.add(
            Node {
                kind: Kind::Document,
                tag: String::new(),
                value: String::new(),
                quoted: false,
                line: start.start_mark.line as u64 + 1,
                alias: None,
                content: Vec::new(),
            },
            None,
        );
        // Open collections, innermost last.
        let mut stack: Vec<usize> = vec![doc];
        loop {
            let event = self.next_event()?;
            let line = event.start_mark.line as u64 + 1;
            let (node, anchor, open) = match event.data {
                EventData::SequenceEnd | EventData::MappingEnd => {
                    stack.pop();
                    if stack.len() <= 1 {
                        break;
                    }
                    continue;
                }
                EventData::Scalar {
                    anchor,
                    tag,
                    value,
                    style,
                    ..
                } => {
                    let quoted = style != ScalarStyle::Plain;
                    let default_tag = if quoted {
                        STR_TAG
                    } else if value == "<<" {
                        MERGE_TAG
                    } else {
                        ""
                    };
                    let tag = node_tag(tag.as_deref(), default_tag, Some(&value))?;
                    let node = Node {
                        kind: Kind::Scalar,
                        tag,
                        value,
                        quoted,
                        line,
                        alias: None,
                        content: Vec::new(),
                    };
                    (node, anchor, false)
                }
                EventData::Alias { anchor } => {
                    let Some(&target) = self.anchors.get(&anchor) else {
                        return Err(format!("unknown anchor '{anchor}' referenced"));
                    };
                    let node = Node {
                        kind: Kind::Alias,
                        tag: String::new(),
                        value: anchor,
                        quoted: false,
                        line,
                        alias: Some(target),
                        content: Vec::new(),
                    };
                    (node, None, false)
                }
                EventData::SequenceStart { anchor, tag, .. } => {
                    let tag = node_tag(tag.as_deref(), SEQ_TAG, None)?;
                    (Node::collection(Kind::Sequence, tag, line), anchor, true)
                }
                EventData::MappingStart { anchor, tag, .. } => {
                    let tag = node_tag(tag.as_deref(), MAP_TAG, None)?;
                    (Node::collection(Kind::Mapping, tag, line), anchor, true)
                }
                _ => return Err("unknown problem parsing YAML content".to_owned()),
            };
            let id = self.add(node, anchor.as_deref());
            if let Some(&parent) = stack.last() {
                self.nodes[parent].content.push(id);
            }
            if open {
                stack.push(id);
            } else if stack.len() == 1 {
                break;
            }
        }
        self.next_event()?; // DOCUMENT-END
        Ok(Some(doc))
    }
}

/// yaml.v3 `parser.node`'s tag: an explicit tag (other than `!`) in short form, else the default, else
/// (plain scalars) the resolved tag.
fn node_tag(tag: Option<&str>, default_tag: &str, scalar: Option<&str>) -> Result<String, String> {
    match tag {
        Some(t) if !t.is_empty() && t != "!" => Ok(short_tag(t)),
        _ if !default_tag.is_empty() => Ok(default_tag.to_owned()),
        _ => match scalar {
            Some(v) => Ok(resolve("", v)?.0),
            None => Ok(String::new()),
        },
    }
}

// ---------------------------------------------------------------------------------------------
// Tag resolution (yaml.v3 `resolve`)

#[derive(Debug, Clone, PartialEq)]
enum Resolved {
    Null,
    Bool(bool),
    Str(String),
    /// An int, float or timestamp: none of them fits a string-or-bool schema.
    Other,
}

fn resolvable(tag: &str) -> bool {
    matches!(
        tag,
        "" | STR_TAG | BOOL_TAG | INT_TAG | FLOAT_TAG | NULL_TAG | TIMESTAMP_TAG
    )
}

/// yaml.v3 `resolve(tag, in)`: the resolved tag and value, or the fatal `cannot decode …` message.
fn resolve(tag: &str, input: &str) -> Result<(String, Resolved), String> {
    let tag = short_tag(tag);
    if !resolvable(&tag) {
        return Ok((tag, Resolved::Str(input.to_owned())));
    }
    let (rtag, out) = resolve_plain(&tag, input);
    if tag.is_empty() || tag == rtag || tag == STR_TAG || tag == BINARY_TAG {
        return Ok((rtag.to_owned(), out));
    }
    if tag == FLOAT_TAG && rtag == INT_TAG {
        return Ok((FLOAT_TAG.to_owned(), Resolved::Other));
    }
    Err(format!(
        "cannot decode {} `{}` as a {}",
        short_tag(rtag),
        input,
        short_tag(&tag)
    ))
}

fn resolve_plain(tag: &str, input: &str) -> (&'static str, Resolved) {
    let hint = match input.as_bytes().first() {
        None => b'N',
        Some(b'+' | b'-') => b'S',
        Some(b'0'..=b'9') => b'D',
        Some(b'y' | b'Y' | b'n' | b'N' | b't' | b'T' | b'f' | b'F' | b'o' | b'O' | b'~') => b'M',
        Some(b'.') => b'.',
        Some(_) => 0,
    };
    if hint != 0 && tag != STR_TAG && tag != BINARY_TAG {
        match input {
            "true" | "True" | "TRUE" => return (BOOL_TAG, Resolved::Bool(true)),
            "false" | "False" | "FALSE" => return (BOOL_TAG, Resolved::Bool(false)),
            "" | "~" | "null" | "Null" | "NULL" => return (NULL_TAG, Resolved::Null),
            ".nan" | ".NaN" | ".NAN" | ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF"
            | "-.inf" | "-.Inf" | "-.INF" => return (FLOAT_TAG, Resolved::Other),
            "<<" => return (MERGE_TAG, Resolved::Str("<<".to_owned())),
            _ => {}
        }
        match hint {
            b'.' if go_parse_float(input) => return (FLOAT_TAG, Resolved::Other),
            b'D' | b'S' => {
                if (tag.is_empty() || tag == TIMESTAMP_TAG) && go_timestamp(input) {
                    return (TIMESTAMP_TAG, Resolved::Other);
                }
                let plain = input.replace('_', "");
                if go_parse_int(&plain, 0, true) || go_parse_int(&plain, 0, false) {
                    return (INT_TAG, Resolved::Other);
                }
                if yaml_style_float(&plain) && go_parse_float(&plain) {
                    return (FLOAT_TAG, Resolved::Other);
                }
                if let Some(digits) = plain.strip_prefix("0b") {
                    if go_parse_int(digits, 2, true) || go_parse_int(digits, 2, false) {
                        return (INT_TAG, Resolved::Other);
                    }
                } else if let Some(digits) = plain.strip_prefix("-0b") {
                    if go_parse_int(&format!("-{digits}"), 2, true) {
                        return (INT_TAG, Resolved::Other);
                    }
                }
                if let Some(digits) = plain.strip_prefix("0o") {
                    if go_parse_int(digits, 8, true) || go_parse_int(digits, 8, false) {
                        return (INT_TAG, Resolved::Other);
                    }
                } else if let Some(digits) = plain.strip_prefix("-0o") {
                    if go_parse_int(&format!("-{digits}"), 8, true) {
                        return (INT_TAG, Resolved::Other);
                    }
                }
            }
            _ => {}
        }
    }
    (STR_TAG, Resolved::Str(input.to_owned()))
}

/// Whether Go's `strconv.ParseInt(s, base, 64)` (`signed`) or `ParseUint` succeeds.
fn go_parse_int(s: &str, base: u32, signed: bool) -> bool {
    let (neg, body) = match s.as_bytes().first() {
        Some(b'+') if signed => (false, &s[1..]),
        Some(b'-') if signed => (true, &s[1..]),
        _ => (false, s),
    };
    let (base, digits, prefixed) = if base == 0 {
        let lower = body.get(..2).map(str::to_ascii_lowercase);
        match lower.as_deref() {
            Some("0x") => (16, &body[2..], true),
            Some("0o") => (8, &body[2..], true),
            Some("0b") => (2, &body[2..], true),
            _ if body.starts_with('0') && body.len() > 1 => (8, &body[1..], true),
            _ => (10, body, false),
        }
    } else {
        (base, body, false)
    };
    // Underscores are allowed by Go only with a base prefix (and never here: callers removed them);
    // a prefixed literal may start with one (`0x_1f`).
    let digits = if prefixed {
        digits.strip_prefix('_').unwrap_or(digits)
    } else {
        digits
    };
    if digits.is_empty() || digits.contains('_') && !prefixed {
        return false;
    }
    let mut value: u128 = 0;
    for c in digits.chars() {
        if c == '_' {
            continue;
        }
        let Some(d) = c.to_digit(base) else {
            return false;
        };
        value = value * u128::from(base) + u128::from(d);
        if value > u128::from(u64::MAX) {
            return false;
        }
    }
    if signed {
        if neg {
            value <= 1u128 << 63
        } else {
            value < 1u128 << 63
        }
    } else {
        true
    }
}

/// `^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`
fn yaml_style_float(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    if matches!(b.first(), Some(b'+' | b'-')) {
        i += 1;
    }
    let digits = |i: &mut usize| {
        let start = *i;
        while *i < b.len() && b[*i].is_ascii_digit() {
            *i += 1;
        }
        *i - start
    };
    if b.get(i) == Some(&b'.') {
        i += 1;
        if digits(&mut i) == 0 {
            return false;
        }
    } else {
        if digits(&mut i) == 0 {
            return false;
        }
        if b.get(i) == Some(&b'.') {
            i += 1;
            digits(&mut i);
        }
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        if digits(&mut i) == 0 {
            return false;
        }
    }
    i == b.len()
}

/// Whether Go's `strconv.ParseFloat(s, 64)` succeeds for the decimal forms yaml.v3 hands it (a
/// leading `.`, or text matching [`yaml_style_float`]); out of range is an error in Go.
fn go_parse_float(s: &str) -> bool {
    if !yaml_style_float(s) {
        return false;
    }
    s.parse::<f64>().is_ok_and(f64::is_finite)
}

/// yaml.v3 `parseTimestamp`: four digits and `-`, then one of Go's layouts `2006-1-2T15:4:5.999999999Z07:00`,
/// the same with `t`, `2006-1-2 15:4:5.999999999`, `2006-1-2`.
fn go_timestamp(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() < 5 || !b[..4].iter().all(u8::is_ascii_digit) || b[4] != b'-' {
        return false;
    }
    ["T", "t", " ", ""].iter().any(|sep| go_time_layout(b, sep))
}

fn go_time_layout(b: &[u8], sep: &str) -> bool {
    // getnum(s, false): one or two digits.
    fn num(b: &[u8], i: &mut usize) -> Option<u32> {
        let d0 = *b.get(*i).filter(|c| c.is_ascii_digit())?;
        *i += 1;
        let mut v = u32::from(d0 - b'0');
        if let Some(d1) = b.get(*i).filter(|c| c.is_ascii_digit()) {
            v = v * 10 + u32::from(d1 - b'0');
            *i += 1;
        }
        Some(v)
    }
    fn lit(b: &[u8], i: &mut usize, c: u8) -> Option<()> {
        (b.get(*i) == Some(&c)).then(|| *i += 1)
    }
    let parse = || -> Option<()> {
        let year: u32 = std::str::from_utf8(&b[..4]).ok()?.parse().ok()?;
        let mut i = 4;
        lit(b, &mut i, b'-')?;
        let month = num(b, &mut i)?;
        lit(b, &mut i, b'-')?;
        let day = num(b, &mut i)?;
        if !(1..=12).contains(&month) {
            return None;
        }
        let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
        let days = match month {
            2 if leap => 29,
            2 => 28,
            4 | 6 | 9 | 11 => 30,
            _ => 31,
        };
        if day < 1 || day > days {
            return None;
        }
        if sep.is_empty() {
            return (i == b.len()).then_some(());
        }
        lit(b, &mut i, sep.as_bytes()[0])?;
        let hour = num(b, &mut i)?;
        lit(b, &mut i, b':')?;
        let minute = num(b, &mut i)?;
        lit(b, &mut i, b':')?;
        let second = num(b, &mut i)?;
        if hour >= 24 || minute >= 60 || second >= 60 {
            return None;
        }
        // Optional fraction (`.` or `,` then digits).
        if i + 1 < b.len() && matches!(b[i], b'.' | b',') && b[i + 1].is_ascii_digit() {
            i += 1;
            while i < b.len() && b[i].is_ascii_digit() {
                i += 1;
            }
        }
        if sep == " " {
            return (i == b.len()).then_some(());
        }
        // Z07:00
        match b.get(i) {
            Some(b'Z') => i += 1,
            Some(b'+' | b'-') => {
                let tz = &b[i + 1..];
                if tz.len() < 5 || tz[2] != b':' {
                    return None;
                }
                if !(tz[0].is_ascii_digit()
                    && tz[1].is_ascii_digit()
                    && tz[3].is_ascii_digit()
                    && tz[4].is_ascii_digit())
                {
                    return None;
                }
                let hh = u32::from(tz[0] - b'0') * 10 + u32::from(tz[1] - b'0');
                let mm = u32::from(tz[3] - b'0') * 10 + u32::from(tz[4] - b'0');
                if hh > 24 || mm > 60 {
                    return None;
                }
                i += 6;
            }
            _ => return None,
        }
        (i == b.len()).then_some(())
    };
    parse().is_some()
}

// ---------------------------------------------------------------------------------------------
// Decoder (yaml.v3 `decoder`, for the registries.d types)

/// Where a node is decoded to, as the Go `reflect.Value` yaml.v3 would be handed.
enum Out<'o> {
    /// `registryConfiguration` (the top level).
    Config(&'o mut FileConfig),
    /// `*registryNamespace` (`default-docker`).
    SectionPtr(&'o mut Option<Section>),
    /// `registryNamespace` (a `docker` map value).
    Section(&'o mut Section),
    /// `map[string]registryNamespace` (`docker`).
    Map(&'o mut Option<Vec<(String, Section)>>),
    /// `string` (a field, a struct key or a map key).
    Str(&'o mut Option<String>),
    /// `*bool` (`use-sigstore-attachments`).
    BoolPtr(&'o mut Option<bool>),
}

impl Out<'_> {
    fn type_name(&self) -> &'static str {
        match self {
            Out::Config(_) => "docker.registryConfiguration",
            Out::SectionPtr(_) => "*docker.registryNamespace",
            Out::Section(_) => "docker.registryNamespace",
            Out::Map(_) => "map[string]docker.registryNamespace",
            Out::Str(_) => "string",
            Out::BoolPtr(_) => "*bool",
        }
    }
}

/// A fatal yaml.v3 error (`failf`), without the `yaml: ` prefix.
type Fatal = String;

const SECTION_FIELDS: [&str; 5] = [
    "lookaside",
    "lookaside-staging",
    "sigstore",
    "sigstore-staging",
    "use-sigstore-attachments",
];
const CONFIG_FIELDS: [&str; 2] = ["default-docker", "docker"];

struct Decoder<'n> {
    nodes: &'n [Node],
    terrors: Vec<String>,
    aliases: HashSet<usize>,
    decode_count: u64,
    alias_count: u64,
    alias_depth: u64,
    /// yaml.v3 `mergedFields`: only string keys can match a field or map key.
    merged_fields: Option<HashSet<String>>,
}

impl<'n> Decoder<'n> {
    fn new(nodes: &'n [Node]) -> Self {
        Decoder {
            nodes,
            terrors: Vec::new(),
            aliases: HashSet::new(),
            decode_count: 0,
            alias_count: 0,
            alias_depth: 0,
            merged_fields: None,
        }
    }

    fn node(&self, id: usize) -> &'n Node {
        &self.nodes[id]
    }

    /// yaml.v3 `Node.ShortTag`.
    fn short_tag_of(&self, id: usize) -> String {
        let n = self.node(id);
        if self.indicated_string(id) {
            return STR_TAG.to_owned();
        }
        if n.tag.is_empty() || n.tag == "!" {
            return match n.kind {
                Kind::Mapping => MAP_TAG.to_owned(),
                Kind::Sequence => SEQ_TAG.to_owned(),
                Kind::Alias => n.alias.map(|a| self.short_tag_of(a)).unwrap_or_default(),
                Kind::Scalar => resolve("", &n.value).map(|r| r.0).unwrap_or_default(),
                Kind::Document => String::new(),
            };
        }
        short_tag(&n.tag)
    }

    /// yaml.v3 `Node.indicatedString`.
    fn indicated_string(&self, id: usize) -> bool {
        let n = self.node(id);
        n.kind == Kind::Scalar
            && (short_tag(&n.tag) == STR_TAG || (n.tag.is_empty() || n.tag == "!") && n.quoted)
    }

    fn is_merge(&self, id: usize) -> bool {
        let n = self.node(id);
        n.kind == Kind::Scalar
            && n.value == "<<"
            && (n.tag.is_empty() || n.tag == "!" || short_tag(&n.tag) == MERGE_TAG)
    }

    /// yaml.v3 `decoder.terror`.
    fn terror(&mut self, id: usize, tag: &str, out: &Out<'_>) {
        self.terror_into(id, tag, out.type_name());
    }

    /// yaml.v3 `decoder.terror` for a target of Go type `type_name`.
    fn terror_into(&mut self, id: usize, tag: &str, type_name: &str) {
        let n = self.node(id);
        let tag = if n.tag.is_empty() { tag } else { &n.tag };
        let value = if tag != SEQ_TAG && tag != MAP_TAG {
            if n.value.len() > 10 {
                format!(" `{}...`", go_prefix_bytes(&n.value, 7))
            } else {
                format!(" `{}`", n.value)
            }
        } else {
            // Go leaves a sequence or mapping tag's node value as it is (a scalar tagged `!!map`).
            n.value.clone()
        };
        self.terrors.push(format!(
            "line {}: cannot unmarshal {}{} into {}",
            n.line,
            short_tag(tag),
            value,
            type_name
        ));
    }

    /// yaml.v3 `decoder.unmarshal`: whether the value was set ("good").
    fn unmarshal(&mut self, id: usize, out: &mut Out<'_>) -> Result<bool, Fatal> {
        self.count()?;
        let n = self.node(id);
        match n.kind {
            Kind::Document => {
                if n.content.len() == 1 {
                    self.unmarshal(n.content[0], out)?;
                    return Ok(true);
                }
                return Ok(false);
            }
            Kind::Alias => return self.alias(id, out),
            _ => {}
        }
        // `prepare`: pointers are allocated and followed unless the node is null.
        let is_null = self.short_tag_of(id) == NULL_TAG;
        match out {
            Out::SectionPtr(p) if !is_null => {
                let section = p.get_or_insert_with(Section::default);
                return self.unmarshal_prepared(id, &mut Out::Section(section));
            }
            Out::BoolPtr(p) if !is_null => {
                let mut value = Some(p.unwrap_or(false));
                let good = self.bool_value(id, &mut value)?;
                **p = value;
                return Ok(good);
            }
            _ => {}
        }
        self.unmarshal_prepared(id, out)
    }

    fn count(&mut self) -> Result<(), Fatal> {
        self.decode_count += 1;
        if self.alias_depth > 0 {
            self.alias_count += 1;
        }
        if self.alias_count > 100 && self.decode_count > 1000 {
            let ratio = self.alias_count as f64 / self.decode_count as f64;
            let allowed = match self.decode_count {
                c if c <= 400_000 => 0.99,
                c if c >= 4_000_000 => 0.10,
                c => 0.99 - 0.89 * ((c - 400_000) as f64 / 3_600_000.0),
            };
            if ratio > allowed {
                return Err("document contains excessive aliasing".to_owned());
            }
        }
        Ok(())
    }

    fn alias(&mut self, id: usize, out: &mut Out<'_>) -> Result<bool, Fatal> {
        let n = self.node(id);
        if self.aliases.contains(&id) {
            return Err(format!("anchor '{}' value contains itself", n.value));
        }
        let Some(target) = n.alias else {
            return Ok(false);
        };
        self.aliases.insert(id);
        self.alias_depth += 1;
        let good = self.unmarshal(target, out);
        self.alias_depth -= 1;
        self.aliases.remove(&id);
        good
    }

    fn unmarshal_prepared(&mut self, id: usize, out: &mut Out<'_>) -> Result<bool, Fatal> {
        match self.node(id).kind {
            Kind::Scalar => self.scalar(id, out),
            Kind::Mapping => self.mapping(id, out),
            Kind::Sequence => {
                self.terror(id, SEQ_TAG, out);
                Ok(false)
            }
            Kind::Document | Kind::Alias => Ok(false),
        }
    }

    /// The resolved value of a scalar (yaml.v3 `decoder.scalar`, first half).
    fn scalar_value(&self, id: usize) -> Result<(String, Resolved), Fatal> {
        let n = self.node(id);
        if self.indicated_string(id) {
            return Ok((STR_TAG.to_owned(), Resolved::Str(n.value.clone())));
        }
        let (tag, resolved) = resolve(&n.tag, &n.value)?;
        if tag == BINARY_TAG {
            let Resolved::Str(text) = &resolved else {
                return Ok((tag, resolved));
            };
            let data = go_base64(text)
                .ok_or_else(|| "!!binary value contains invalid base64 data".to_owned())?;
            return Ok((
                tag,
                Resolved::Str(String::from_utf8_lossy(&data).into_owned()),
            ));
        }
        Ok((tag, resolved))
    }

    fn scalar(&mut self, id: usize, out: &mut Out<'_>) -> Result<bool, Fatal> {
        let (tag, resolved) = self.scalar_value(id)?;
        if resolved == Resolved::Null {
            // `decoder.null`: pointers and maps are set to nil; other kinds are left alone.
            return Ok(match out {
                Out::SectionPtr(p) => {
                    **p = None;
                    true
                }
                Out::BoolPtr(p) => {
                    **p = None;
                    true
                }
                Out::Map(m) => {
                    **m = None;
                    true
                }
                Out::Config(_) | Out::Section(_) | Out::Str(_) => false,
            });
        }
        if let Out::Str(s) = out {
            let n = self.node(id);
            **s = Some(match (tag.as_str(), resolved) {
                (BINARY_TAG, Resolved::Str(decoded)) => decoded,
                _ => n.value.clone(),
            });
            return Ok(true);
        }
        self.terror(id, &tag, out);
        Ok(false)
    }

    /// A non-null node into a `bool` (the target of `*bool` after `prepare`).
    fn bool_value(&mut self, id: usize, value: &mut Option<bool>) -> Result<bool, Fatal> {
        let n = self.node(id);
        match n.kind {
            Kind::Scalar => {
                let (tag, resolved) = self.scalar_value(id)?;
                let b = match &resolved {
                    Resolved::Bool(b) => Some(*b),
                    Resolved::Str(s) => match s.as_str() {
                        "y" | "Y" | "yes" | "Yes" | "YES" | "on" | "On" | "ON" => Some(true),
                        "n" | "N" | "no" | "No" | "NO" | "off" | "Off" | "OFF" => Some(false),
                        _ => None,
                    },
                    Resolved::Null | Resolved::Other => None,
                };
                if let Some(b) = b {
                    *value = Some(b);
                    return Ok(true);
                }
                self.terror_into(id, &tag, "bool");
                Ok(false)
            }
            Kind::Mapping => {
                if !self.unique_keys(id) {
                    return Ok(false);
                }
                self.terror_into(id, MAP_TAG, "bool");
                Ok(false)
            }
            Kind::Sequence => {
                self.terror_into(id, SEQ_TAG, "bool");
                Ok(false)
            }
            Kind::Document | Kind::Alias => Ok(false),
        }
    }

    /// yaml.v3's duplicate-key check at the start of `decoder.mapping`; false if any was found.
    fn unique_keys(&mut self, id: usize) -> bool {
        let content = &self.node(id).content;
        let before = self.terrors.len();
        let mut i = 0;
        while i < content.len() {
            let ni = self.node(content[i]);
            let mut j = i + 2;
            while j < content.len() {
                let nj = self.node(content[j]);
                if ni.kind == nj.kind && ni.value == nj.value {
                    self.terrors.push(format!(
                        "line {}: mapping key {} already defined at line {}",
                        nj.line,
                        go_quote(&nj.value),
                        ni.line
                    ));
                }
                j += 2;
            }
            i += 2;
        }
        self.terrors.len() == before
    }

    fn mapping(&mut self, id: usize, out: &mut Out<'_>) -> Result<bool, Fatal> {
        if !self.unique_keys(id) {
            return Ok(false);
        }
        match out {
            Out::Config(c) => self.mapping_struct(id, &mut StructOut::Config(c)),
            Out::Section(s) => self.mapping_struct(id, &mut StructOut::Section(s)),
            Out::Map(m) => self.mapping_map(id, m),
            Out::SectionPtr(_) | Out::Str(_) | Out::BoolPtr(_) => {
                self.terror(id, MAP_TAG, out);
                Ok(false)
            }
        }
    }

    fn mapping_struct(&mut self, id: usize, out: &mut StructOut<'_>) -> Result<bool, Fatal> {
        let content = &self.node(id).content;
        let mut merged = self.merged_fields.take();
        let mut merge_node = None;
        let mut done = [false; 5];
        let mut name: Option<String> = None;
        for pair in content.chunks(2) {
            let (ki, vi) = (pair[0], pair.get(1).copied());
            if self.is_merge(ki) {
                merge_node = vi;
                continue;
            }
            let good = self.unmarshal(ki, &mut Out::Str(&mut name))?;
            let Some(value) = vi else { continue };
            if !good {
                continue;
            }
            let sname = name.clone().unwrap_or_default();
            if let Some(m) = merged.as_mut() {
                if !m.insert(sname.clone()) {
                    continue;
                }
            }
            let Some(field) = out.fields().iter().position(|f| *f == sname) else {
                continue; // unknown keys are ignored, their values not decoded
            };
            if done[field] {
                self.terrors.push(format!(
                    "line {}: field {} already set in type {}",
                    self.node(ki).line,
                    sname,
                    out.type_name()
                ));
                continue;
            }
            done[field] = true;
            match out {
                StructOut::Config(c) => match field {
                    0 => self.unmarshal(value, &mut Out::SectionPtr(&mut c.default_docker))?,
                    _ => self.unmarshal(value, &mut Out::Map(&mut c.docker))?,
                },
                StructOut::Section(s) => match field {
                    0 => self.unmarshal(value, &mut Out::Str(&mut s.lookaside))?,
                    1 => self.unmarshal(value, &mut Out::Str(&mut s.lookaside_staging))?,
                    2 => self.unmarshal(value, &mut Out::Str(&mut s.sigstore))?,
                    3 => self.unmarshal(value, &mut Out::Str(&mut s.sigstore_staging))?,
                    _ => {
                        self.unmarshal(value, &mut Out::BoolPtr(&mut s.use_sigstore_attachments))?
                    }
                },
            };
        }
        self.merged_fields = merged;
        if let Some(m) = merge_node {
            self.merge(id, m, &mut |d, node| match out {
                StructOut::Config(c) => d.unmarshal(node, &mut Out::Config(c)),
                StructOut::Section(s) => d.unmarshal(node, &mut Out::Section(s)),
            })?;
        }
        Ok(true)
    }

    fn mapping_map(
        &mut self,
        id: usize,
        out: &mut Option<Vec<(String, Section)>>,
    ) -> Result<bool, Fatal> {
        let content = &self.node(id).content;
        let mut merged = self.merged_fields.take();
        let mut merge_node = None;
        let map_is_new = out.is_none();
        let map = out.get_or_insert_with(Vec::new);
        for pair in content.chunks(2) {
            let (ki, vi) = (pair[0], pair.get(1).copied());
            if self.is_merge(ki) {
                merge_node = vi;
                continue;
            }
            let mut key = None;
            if !self.unmarshal(ki, &mut Out::Str(&mut key))? {
                continue;
            }
            let Some(value) = vi else { continue };
            let key = key.unwrap_or_default();
            if let Some(m) = merged.as_mut() {
                if !m.insert(key.clone()) {
                    continue;
                }
            }
            let mut section = Section::default();
            let good = self.unmarshal(value, &mut Out::Section(&mut section))?;
            let existing = map.iter().position(|(k, _)| *k == key);
            if good || self.short_tag_of(value) == NULL_TAG && (map_is_new || existing.is_none()) {
                match existing {
                    Some(i) => map[i].1 = section,
                    None => map.push((key, section)),
                }
            }
        }
        self.merged_fields = merged;
        if let Some(m) = merge_node {
            self.merge(id, m, &mut |d, node| d.unmarshal(node, &mut Out::Map(out)))?;
        }
        Ok(true)
    }

    /// yaml.v3 `decoder.merge`.
    fn merge(
        &mut self,
        parent: usize,
        merge: usize,
        into: &mut dyn FnMut(&mut Self, usize) -> Result<bool, Fatal>,
    ) -> Result<(), Fatal> {
        const WANT_MAP: &str = "map merge requires map or sequence of maps as the value";
        // A set inherited from an enclosing merge is shared (a Go map), a new one is dropped afterwards.
        let fresh = self.merged_fields.is_none();
        if fresh {
            let mut fields = HashSet::new();
            for &k in self.node(parent).content.iter().step_by(2) {
                if let Some(s) = self.interface_key(k)? {
                    fields.insert(s);
                }
            }
            self.merged_fields = Some(fields);
        }
        let m = self.node(merge);
        match m.kind {
            Kind::Mapping => {
                into(self, merge)?;
            }
            Kind::Alias => {
                if m.alias.is_some_and(|a| self.node(a).kind != Kind::Mapping) {
                    return Err(WANT_MAP.to_owned());
                }
                into(self, merge)?;
            }
            Kind::Sequence => {
                for &item in &m.content {
                    let n = self.node(item);
                    let ok = match n.kind {
                        Kind::Alias => n.alias.is_none_or(|a| self.node(a).kind == Kind::Mapping),
                        k => k == Kind::Mapping,
                    };
                    if !ok {
                        return Err(WANT_MAP.to_owned());
                    }
                    into(self, item)?;
                }
            }
            _ => return Err(WANT_MAP.to_owned()),
        }
        if fresh {
            self.merged_fields = None;
        }
        Ok(())
    }

    /// A parent key decoded into `interface{}` for the merge bookkeeping: `Some` for string values.
    fn interface_key(&mut self, id: usize) -> Result<Option<String>, Fatal> {
        self.count()?;
        let n = self.node(id);
        match n.kind {
            Kind::Alias => {
                if self.aliases.contains(&id) {
                    return Err(format!("anchor '{}' value contains itself", n.value));
                }
                let Some(target) = n.alias else {
                    return Ok(None);
                };
                self.aliases.insert(id);
                self.alias_depth += 1;
                let r = self.interface_key(target);
                self.alias_depth -= 1;
                self.aliases.remove(&id);
                r
            }
            Kind::Scalar => Ok(match self.scalar_value(id)?.1 {
                Resolved::Str(s) => Some(s),
                _ => None,
            }),
            Kind::Mapping => {
                if !self.unique_keys(id) {
                    return Ok(None);
                }
                let string_keys = n.content.iter().step_by(2).all(|&k| {
                    let t = self.short_tag_of(k);
                    t == STR_TAG || t == MERGE_TAG
                });
                Err(format!(
                    "runtime error: hash of unhashable type {}",
                    if string_keys {
                        "map[string]interface {}"
                    } else {
                        "map[interface {}]interface {}"
                    }
                ))
            }
            Kind::Sequence => {
                Err("runtime error: hash of unhashable type []interface {}".to_owned())
            }
            Kind::Document => Ok(None),
        }
    }
}

enum StructOut<'o> {
    Config(&'o mut FileConfig),
    Section(&'o mut Section),
}

impl StructOut<'_> {
    fn fields(&self) -> &'static [&'static str] {
        match self {
            StructOut::Config(_) => &CONFIG_FIELDS,
            StructOut::Section(_) => &SECTION_FIELDS,
        }
    }

    fn type_name(&self) -> &'static str {
        match self {
            StructOut::Config(_) => "docker.registryConfiguration",
            StructOut::Section(_) => "docker.registryNamespace",
        }
    }
}

/// Go's `value[:n]` (bytes): a multi-byte character it cuts leaves invalid UTF-8 in Go's message, which
/// a Rust string cannot hold; each dangling byte becomes U+FFFD (as Go's JSON encoding shows them).
fn go_prefix_bytes(value: &str, n: usize) -> String {
    let bytes = &value.as_bytes()[..n.min(value.len())];
    match std::str::from_utf8(bytes) {
        Ok(s) => s.to_owned(),
        Err(e) => {
            let valid = e.valid_up_to();
            let mut out = String::from_utf8_lossy(&bytes[..valid]).into_owned();
            out.extend(std::iter::repeat_n('\u{FFFD}', bytes.len() - valid));
            out
        }
    }
}

/// Go's `base64.StdEncoding.DecodeString`: padded standard alphabet, `\r` and `\n` ignored.
fn go_base64(s: &str) -> Option<Vec<u8>> {
    use base64::Engine;
    let cleaned: String = s.chars().filter(|c| *c != '\r' && *c != '\n').collect();
    let engine = base64::engine::GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        base64::engine::GeneralPurposeConfig::new()
            .with_decode_allow_trailing_bits(true)
            .with_decode_padding_mode(base64::engine::DecodePaddingMode::RequireCanonical),
    );
    engine.decode(cleaned).ok()
}
