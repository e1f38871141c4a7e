//! The reader, scanner and parser of yaml.v3 (`readerc.go`, `scannerc.go`, `parserc.go` of
//! `go.yaml.in/yaml/v3`), written from their behaviour: yaml.v3 is a Go port of libyaml with changes of
//! its own (comment handling that consumes comments while scanning, a lookahead of three tokens, nesting
//! limits, tab rules), and its error texts and marks are what containers/image reports. Comment texts are
//! not kept (nothing here uses them), but comments are scanned, and their marks recorded, exactly where
//! yaml.v3 does so, since that moves the scanner. The reader decodes the input in yaml.v3's 512-byte
//! chunks as the scanner asks for characters, so an encoding error surfaces at the same point.

use std::collections::HashMap;

/// A position (0-based line and column; index in characters).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct Mark {
    pub(super) index: usize,
    pub(super) line: usize,
    pub(super) column: usize,
}

/// Which of yaml.v3's error setters made an error: each sets some of the parser's error fields and
/// leaves the others as an earlier (ignored) error left them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum ErrorKind {
    /// `yaml_parser_set_reader_error`: the problem only.
    Reader,
    /// `yaml_parser_set_scanner_error`: problem, problem mark and context mark.
    Scanner,
    /// `yaml_parser_set_parser_error`: problem and problem mark.
    Parser,
    /// `yaml_parser_set_parser_error_context`: problem, problem mark and context mark.
    ParserContext,
}

/// A reader, scanner or parser error (yaml.v3 `parser.error`, `problem`, `problem_mark`,
/// `context_mark`).
#[derive(Debug, Clone)]
pub(super) struct YamlError {
    pub(super) kind: ErrorKind,
    pub(super) problem: String,
    pub(super) problem_mark: Mark,
    pub(super) context_mark: Mark,
}

impl YamlError {
    /// yaml.v3 `parser.fail`: `line N: problem` with N from the context mark, else the problem mark
    /// (0-based; scanner errors add one), omitted when 0.
    pub(super) fn message(&self) -> String {
        let add = usize::from(self.kind == ErrorKind::Scanner);
        let line = if self.context_mark.line != 0 {
            self.context_mark.line + add
        } else if self.problem_mark.line != 0 {
            self.problem_mark.line + add
        } else {
            0
        };
        let problem = if self.problem.is_empty() {
            "unknown problem parsing YAML content"
        } else {
            &self.problem
        };
        if line != 0 {
            format!("line {line}: {problem}")
        } else {
            problem.to_owned()
        }
    }
}

type Res<T> = Result<T, YamlError>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TokenType {
    StreamStart,
    StreamEnd,
    VersionDirective,
    TagDirective,
    DocumentStart,
    DocumentEnd,
    BlockSequenceStart,
    BlockMappingStart,
    BlockEnd,
    FlowSequenceStart,
    FlowSequenceEnd,
    FlowMappingStart,
    FlowMappingEnd,
    BlockEntry,
    FlowEntry,
    Key,
    Value,
    Alias,
    Anchor,
    Tag,
    Scalar,
}

/// Scalar styles.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum ScalarStyle {
    Plain,
    SingleQuoted,
    DoubleQuoted,
    Literal,
    Folded,
}

#[derive(Debug, Clone)]
struct Token {
    typ: TokenType,
    start_mark: Mark,
    end_mark: Mark,
    /// Alias/anchor name, scalar value, tag handle, %TAG handle.
    value: String,
    /// Tag suffix.
    suffix: String,
    /// %TAG prefix.
    prefix: String,
    style: ScalarStyle,
    major: i32,
    minor: i32,
}

impl Token {
    fn new(typ: TokenType, start_mark: Mark, end_mark: Mark) -> Self {
        Token {
            typ,
            start_mark,
            end_mark,
            value: String::new(),
            suffix: String::new(),
            prefix: String::new(),
            style: ScalarStyle::Plain,
            major: 0,
            minor: 0,
        }
    }
}

#[derive(Debug, Clone, Copy, Default)]
struct SimpleKey {
    possible: bool,
    required: bool,
    token_number: usize,
    mark: Mark,
}

#[derive(Debug, Clone, Default)]
struct Comment {
    scan_mark: Mark,
    token_mark: Mark,
    start_mark: Mark,
    end_mark: Mark,
    head: String,
    line: String,
    foot: String,
}

// -------------------------------------------------------------------------------------------------
// Reader (yaml.v3 `readerc.go`)

/// yaml.v3 reads its input through a raw buffer of this many bytes.
const RAW_BUFFER_SIZE: usize = 512;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Encoding {
    Any,
    Utf8,
    Utf16Le,
    Utf16Be,
}

/// yaml.v3's reader: the raw input is decoded in chunks of [`RAW_BUFFER_SIZE`] bytes as the scanner asks
/// for characters, so an encoding error is reported only when the scanner gets near it.
struct Reader {
    input: Vec<u8>,
    /// The raw buffer holds `input[raw_start..raw_end]`; decoding is at `raw_pos`.
    raw_start: usize,
    raw_end: usize,
    raw_pos: usize,
    eof: bool,
    encoding: Encoding,
}

impl Reader {
    fn new(input: &[u8]) -> Self {
        // `newParser`: an empty input is parsed as a single line break.
        let input = if input.is_empty() {
            b"\n".to_vec()
        } else {
            input.to_vec()
        };
        Reader {
            input,
            raw_start: 0,
            raw_end: 0,
            raw_pos: 0,
            eof: false,
            encoding: Encoding::Any,
        }
    }

    /// `yaml_parser_update_raw_buffer` over the string read handler.
    fn update_raw_buffer(&mut self) {
        if self.raw_pos == self.raw_start && self.raw_end - self.raw_start == RAW_BUFFER_SIZE {
            return;
        }
        if self.eof {
            return;
        }
        self.raw_start = self.raw_pos;
        if self.raw_end == self.input.len() {
            self.eof = true;
            return;
        }
        let room = RAW_BUFFER_SIZE - (self.raw_end - self.raw_start);
        self.raw_end = self.input.len().min(self.raw_end + room);
    }

    fn determine_encoding(&mut self) {
        while !self.eof && self.raw_end - self.raw_pos < 3 {
            self.update_raw_buffer();
        }
        let buf = &self.input[self.raw_pos..self.raw_end];
        if buf.starts_with(b"\xff\xfe") {
            self.encoding = Encoding::Utf16Le;
            self.raw_pos += 2;
        } else if buf.starts_with(b"\xfe\xff") {
            self.encoding = Encoding::Utf16Be;
            self.raw_pos += 2;
        } else if buf.starts_with(b"\xef\xbb\xbf") {
            self.encoding = Encoding::Utf8;
            self.raw_pos += 3;
        } else {
            self.encoding = Encoding::Utf8;
        }
    }

    /// Decodes every complete character of the raw buffer into `out` (the inner loop of
    /// `yaml_parser_update_buffer`); the problem text on an encoding error.
    fn decode(&mut self, out: &mut Vec<char>) -> Result<(), &'static str> {
        while self.raw_pos != self.raw_end {
            let raw = &self.input[self.raw_pos..self.raw_end];
            let (value, width) = match self.encoding {
                Encoding::Utf16Le | Encoding::Utf16Be => {
                    let unit = |i: usize| -> u32 {
                        let (lo, hi) = if self.encoding == Encoding::Utf16Be {
                            (raw[i + 1], raw[i])
                        } else {
                            (raw[i], raw[i + 1])
                        };
                        u32::from(lo) | (u32::from(hi) << 8)
                    };
                    if raw.len() < 2 {
                        if self.eof {
                            return Err("incomplete UTF-16 character");
                        }
                        break;
                    }
                    let value = unit(0);
                    if value & 0xFC00 == 0xDC00 {
                        return Err("unexpected low surrogate area");
                    }
                    if value & 0xFC00 == 0xD800 {
                        if raw.len() < 4 {
                            if self.eof {
                                return Err("incomplete UTF-16 surrogate pair");
                            }
                            break;
                        }
                        let value2 = unit(2);
                        if value2 & 0xFC00 != 0xDC00 {
                            return Err("expected low surrogate area");
                        }
                        (0x10000 + ((value & 0x3FF) << 10) + (value2 & 0x3FF), 4)
                    } else {
                        (value, 2)
                    }
                }
                Encoding::Utf8 | Encoding::Any => {
                    let octet = raw[0];
                    let width = match octet {
                        o if o & 0x80 == 0 => 1,
                        o if o & 0xE0 == 0xC0 => 2,
                        o if o & 0xF0 == 0xE0 => 3,
                        o if o & 0xF8 == 0xF0 => 4,
                        _ => return Err("invalid leading UTF-8 octet"),
                    };
                    if width > raw.len() {
                        if self.eof {
                            return Err("incomplete UTF-8 octet sequence");
                        }
                        break;
                    }
                    let mut value = u32::from(match width {
                        1 => octet & 0x7F,
                        2 => octet & 0x1F,
                        3 => octet & 0x0F,
                        _ => octet & 0x07,
                    });
                    for &trailing in &raw[1..width] {
                        if trailing & 0xC0 != 0x80 {
                            return Err("invalid trailing UTF-8 octet");
                        }
                        value = (value << 6) + u32::from(trailing & 0x3F);
                    }
                    let shortest = match width {
                        1 => true,
                        2 => value >= 0x80,
                        3 => value >= 0x800,
                        _ => value >= 0x10000,
                    };
                    if !shortest {
                        return Err("invalid length of a UTF-8 sequence");
                    }
                    if (0xD800..=0xDFFF).contains(&value) || value > 0x10FFFF {
                        return Err("invalid Unicode character");
                    }
                    (value, width)
                }
            };
            let allowed = matches!(value, 0x09 | 0x0A | 0x0D | 0x20..=0x7E | 0x85 | 0xA0..=0xD7FF | 0xE000..=0xFFFD | 0x10000..=0x10FFFF);
            let ch = match char::from_u32(value) {
                Some(c) if allowed => c,
                _ => return Err("control characters are not allowed"),
            };
            out.push(ch);
            self.raw_pos += width;
        }
        Ok(())
    }
}

const MAX_FLOW_LEVEL: usize = 10000;
const MAX_INDENTS: usize = 10000;

struct Scanner {
    reader: Reader,
    /// The characters decoded so far (yaml.v3's buffer, never compacted here).
    text: Vec<char>,
    pos: usize,
    /// Where yaml.v3's buffer starts (it is compacted to the scan position on every refill).
    buffer_start: usize,
    /// yaml.v3's error fields (`parser.error`, `problem`, marks): an error some caller ignored is kept,
    /// later errors overwrite the fields their setter sets, and the parse call reports the result.
    error: Option<YamlError>,
    /// The next comment the parser has not folded into its pending comments (`comments_head`).
    comments_head: usize,
    mark: Mark,
    tokens: Vec<Token>,
    tokens_head: usize,
    tokens_parsed: usize,
    token_available: bool,
    stream_start_produced: bool,
    stream_end_produced: bool,
    indent: i64,
    indents: Vec<i64>,
    simple_key_allowed: bool,
    simple_keys: Vec<SimpleKey>,
    simple_keys_by_tok: HashMap<usize, usize>,
    flow_level: usize,
    newlines: usize,
    comments: Vec<Comment>,
}

fn is_break_char(c: char) -> bool {
    matches!(c, '\r' | '\n' | '\u{85}' | '\u{2028}' | '\u{2029}')
}

fn is_alpha_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '-'
}

impl Scanner {
    fn new(input: &[u8]) -> Self {
        Scanner {
            reader: Reader::new(input),
            text: Vec::new(),
            pos: 0,
            buffer_start: 0,
            error: None,
            comments_head: 0,
            mark: Mark::default(),
            tokens: Vec::new(),
            tokens_head: 0,
            tokens_parsed: 0,
            token_available: false,
            stream_start_produced: false,
            stream_end_produced: false,
            indent: 0,
            indents: Vec::new(),
            simple_key_allowed: false,
            simple_keys: Vec::new(),
            simple_keys_by_tok: HashMap::new(),
            flow_level: 0,
            newlines: 0,
            comments: Vec::new(),
        }
    }

    /// yaml.v3 `cache`/`yaml_parser_update_buffer`: at least `length` characters from the scan position
    /// (NUL past the end of the input), decoding more input when fewer are there.
    fn cache(&mut self, length: usize) -> Res<()> {
        if self.text.len().saturating_sub(self.pos) >= length {
            return Ok(());
        }
        if self.reader.encoding == Encoding::Any {
            self.reader.determine_encoding();
        }
        self.buffer_start = self.pos;
        let mut first = true;
        while self.text.len().saturating_sub(self.pos) < length {
            if !first || self.reader.raw_pos == self.reader.raw_end {
                self.reader.update_raw_buffer();
            }
            first = false;
            if let Err(problem) = self.reader.decode(&mut self.text) {
                let e = YamlError {
                    kind: ErrorKind::Reader,
                    problem: problem.to_owned(),
                    problem_mark: Mark::default(),
                    context_mark: Mark::default(),
                };
                self.record(&e);
                return Err(e);
            }
            if self.reader.eof {
                break;
            }
        }
        Ok(())
    }

    /// Sets yaml.v3's error fields as the setter that made `e` does.
    fn record(&mut self, e: &YamlError) {
        let mut state = self.error.clone().unwrap_or(YamlError {
            kind: e.kind,
            problem: String::new(),
            problem_mark: Mark::default(),
            context_mark: Mark::default(),
        });
        state.kind = e.kind;
        state.problem = e.problem.clone();
        match e.kind {
            ErrorKind::Reader => {}
            ErrorKind::Parser => state.problem_mark = e.problem_mark,
            ErrorKind::Scanner | ErrorKind::ParserContext => {
                state.problem_mark = e.problem_mark;
                state.context_mark = e.context_mark;
            }
        }
        self.error = Some(state);
    }

    /// yaml.v3's `is_bom` looks at the start of its buffer, not at the scan position.
    fn is_bom(&self) -> bool {
        self.text.get(self.buffer_start) == Some(&'\u{feff}')
    }

    // --- character classes at pos + k ---

    fn at(&self, k: usize) -> char {
        self.text.get(self.pos + k).copied().unwrap_or('\0')
    }
    fn is_z(&self, k: usize) -> bool {
        self.at(k) == '\0'
    }
    fn is_blank(&self, k: usize) -> bool {
        matches!(self.at(k), ' ' | '\t')
    }
    fn is_break(&self, k: usize) -> bool {
        is_break_char(self.at(k))
    }
    fn is_breakz(&self, k: usize) -> bool {
        self.is_break(k) || self.is_z(k)
    }
    fn is_blankz(&self, k: usize) -> bool {
        self.is_blank(k) || self.is_breakz(k)
    }
    fn is_alpha(&self, k: usize) -> bool {
        is_alpha_char(self.at(k))
    }
    fn is_hex(&self, k: usize) -> bool {
        self.at(k).is_ascii_hexdigit()
    }
    fn as_hex(&self, k: usize) -> u32 {
        self.at(k).to_digit(16).unwrap_or(0)
    }

    // --- movement ---

    fn skip(&mut self) {
        if !self.is_blank(0) {
            self.newlines = 0;
        }
        self.mark.index += 1;
        self.mark.column += 1;
        self.pos += 1;
    }

    fn skip_line(&mut self) {
        if self.at(0) == '\r' && self.at(1) == '\n' {
            self.mark.index += 2;
            self.mark.column = 0;
            self.mark.line += 1;
            self.pos += 2;
            self.newlines += 1;
        } else if self.is_break(0) {
            self.mark.index += 1;
            self.mark.column = 0;
            self.mark.line += 1;
            self.pos += 1;
            self.newlines += 1;
        }
    }

    fn read(&mut self, s: &mut String) {
        if !self.is_blank(0) {
            self.newlines = 0;
        }
        s.push(self.at(0));
        self.pos += 1;
        self.mark.index += 1;
        self.mark.column += 1;
    }

    fn read_line(&mut self, s: &mut String) {
        match self.at(0) {
            '\r' if self.at(1) == '\n' => {
                s.push('\n');
                self.pos += 2;
                self.mark.index += 1;
            }
            '\r' | '\n' | '\u{85}' => {
                s.push('\n');
                self.pos += 1;
            }
            c @ ('\u{2028}' | '\u{2029}') => {
                s.push(c);
                self.pos += 1;
            }
            _ => return,
        }
        self.mark.index += 1;
        self.mark.column = 0;
        self.mark.line += 1;
        self.newlines += 1;
    }

    fn error(&self, context_mark: Mark, problem: &str) -> YamlError {
        YamlError {
            kind: ErrorKind::Scanner,
            problem: problem.to_owned(),
            problem_mark: self.mark,
            context_mark,
        }
    }

    // --- token queue ---

    /// yaml.v3 `yaml_insert_token`: at `pos` from the queue head, appended when `pos` is negative.
    fn insert_token(&mut self, pos: i64, token: Token) {
        match usize::try_from(pos) {
            Ok(p) => {
                let at = (self.tokens_head + p).min(self.tokens.len());
                self.tokens.insert(at, token);
            }
            Err(_) => self.tokens.push(token),
        }
    }

    fn last_token(&self) -> Option<&Token> {
        self.tokens.last()
    }

    /// The head token, fetching as needed (the scanning half of yaml.v3 `peek_token`); a failure is
    /// recorded in the error fields.
    fn peek_token(&mut self) -> Res<&Token> {
        if !self.token_available {
            if let Err(e) = self.fetch_more_tokens() {
                self.record(&e);
                return Err(e);
            }
        }
        self.tokens.get(self.tokens_head).ok_or_else(|| YamlError {
            kind: ErrorKind::Parser,
            problem: String::new(),
            problem_mark: self.mark,
            context_mark: Mark::default(),
        })
    }

    fn skip_token(&mut self) {
        self.token_available = false;
        self.tokens_parsed += 1;
        self.stream_end_produced = self
            .tokens
            .get(self.tokens_head)
            .is_some_and(|t| t.typ == TokenType::StreamEnd);
        self.tokens_head += 1;
    }

    fn fetch_more_tokens(&mut self) -> Res<()> {
        loop {
            // yaml.v3 keeps a lookahead of three tokens (for its comment handling), more while the
            // head token may still be a simple key.
            if self.tokens.len() >= self.tokens_head + 3 {
                let Some(&idx) = self.simple_keys_by_tok.get(&self.tokens_parsed) else {
                    break;
                };
                if !self.simple_key_is_valid(idx)? {
                    break;
                }
            }
            self.fetch_next_token()?;
        }
        self.token_available = true;
        Ok(())
    }

    /// yaml.v3 `yaml_simple_key_is_valid` for `simple_keys[idx]`.
    fn simple_key_is_valid(&mut self, idx: usize) -> Res<bool> {
        let key = self.simple_keys[idx];
        if !key.possible {
            return Ok(false);
        }
        if key.mark.line < self.mark.line || key.mark.index + 1024 < self.mark.index {
            if key.required {
                return Err(self.error(key.mark, "could not find expected ':'"));
            }
            self.simple_keys[idx].possible = false;
            return Ok(false);
        }
        Ok(true)
    }

    fn fetch_next_token(&mut self) -> Res<()> {
        self.cache(1)?;
        if !self.stream_start_produced {
            self.fetch_stream_start();
            return Ok(());
        }
        let scan_mark = self.mark;
        self.scan_to_next_token()?;
        self.unroll_indent(self.mark.column as i64, scan_mark);
        self.cache(4)?;
        if self.is_z(0) {
            return self.fetch_stream_end();
        }
        let c = self.at(0);
        if self.mark.column == 0 && c == '%' {
            return self.fetch_directive();
        }
        if self.mark.column == 0
            && c == '-'
            && self.at(1) == '-'
            && self.at(2) == '-'
            && self.is_blankz(3)
        {
            return self.fetch_document_indicator(TokenType::DocumentStart);
        }
        if self.mark.column == 0
            && c == '.'
            && self.at(1) == '.'
            && self.at(2) == '.'
            && self.is_blankz(3)
        {
            return self.fetch_document_indicator(TokenType::DocumentEnd);
        }
        let mut comment_mark = self.mark;
        if !self.tokens.is_empty()
            && (self.flow_level == 0 && c == ':' || self.flow_level > 0 && c == ',')
        {
            if let Some(t) = self.last_token() {
                comment_mark = t.start_mark;
            }
        }
        self.fetch_token_body(c)?;
        // The deferred line-comment scan after every token but a block entry.
        if self
            .last_token()
            .is_some_and(|t| t.typ == TokenType::BlockEntry)
        {
            return Ok(());
        }
        self.scan_line_comment(comment_mark)
    }

    fn fetch_token_body(&mut self, c: char) -> Res<()> {
        match c {
            '[' => return self.fetch_flow_collection_start(TokenType::FlowSequenceStart),
            '{' => return self.fetch_flow_collection_start(TokenType::FlowMappingStart),
            ']' => return self.fetch_flow_collection_end(TokenType::FlowSequenceEnd),
            '}' => return self.fetch_flow_collection_end(TokenType::FlowMappingEnd),
            ',' => return self.fetch_flow_entry(),
            _ => {}
        }
        if c == '-' && self.is_blankz(1) {
            return self.fetch_block_entry();
        }
        if c == '?' && (self.flow_level > 0 || self.is_blankz(1)) {
            return self.fetch_key();
        }
        if c == ':' && (self.flow_level > 0 || self.is_blankz(1)) {
            return self.fetch_value();
        }
        match c {
            '*' => return self.fetch_anchor(TokenType::Alias),
            '&' => return self.fetch_anchor(TokenType::Anchor),
            '!' => return self.fetch_tag(),
            '|' if self.flow_level == 0 => return self.fetch_block_scalar(true),
            '>' if self.flow_level == 0 => return self.fetch_block_scalar(false),
            '\'' => return self.fetch_flow_scalar(true),
            '"' => return self.fetch_flow_scalar(false),
            _ => {}
        }
        let indicator = matches!(
            c,
            '-' | '?'
                | ':'
                | ','
                | '['
                | ']'
                | '{'
                | '}'
                | '#'
                | '&'
                | '*'
                | '!'
                | '|'
                | '>'
                | '\''
                | '"'
                | '%'
                | '@'
                | '`'
        );
        if !(self.is_blankz(0) || indicator)
            || (c == '-' && !self.is_blank(1))
            || (self.flow_level == 0 && (c == '?' || c == ':') && !self.is_blankz(1))
        {
            return self.fetch_plain_scalar();
        }
        Err(self.error(self.mark, "found character that cannot start any token"))
    }

    fn save_simple_key(&mut self) -> Res<()> {
        let required = self.flow_level == 0 && self.indent == self.mark.column as i64;
        if self.simple_key_allowed {
            let key = SimpleKey {
                possible: true,
                required,
                token_number: self.tokens_parsed + (self.tokens.len() - self.tokens_head),
                mark: self.mark,
            };
            self.remove_simple_key()?;
            let last = self.simple_keys.len() - 1;
            self.simple_keys[last] = key;
            self.simple_keys_by_tok.insert(key.token_number, last);
        }
        Ok(())
    }

    fn remove_simple_key(&mut self) -> Res<()> {
        let i = self.simple_keys.len() - 1;
        if self.simple_keys[i].possible {
            if self.simple_keys[i].required {
                return Err(self.error(self.simple_keys[i].mark, "could not find expected ':'"));
            }
            self.simple_keys[i].possible = false;
            self.simple_keys_by_tok
                .remove(&self.simple_keys[i].token_number);
        }
        Ok(())
    }

    fn increase_flow_level(&mut self) -> Res<()> {
        self.simple_keys.push(SimpleKey {
            possible: false,
            required: false,
            token_number: self.tokens_parsed + (self.tokens.len() - self.tokens_head),
            mark: self.mark,
        });
        self.flow_level += 1;
        if self.flow_level > MAX_FLOW_LEVEL {
            let mark = self.simple_keys[self.simple_keys.len() - 1].mark;
            return Err(self.error(mark, &format!("exceeded max depth of {MAX_FLOW_LEVEL}")));
        }
        Ok(())
    }

    fn decrease_flow_level(&mut self) {
        if self.flow_level > 0 {
            self.flow_level -= 1;
            if let Some(last) = self.simple_keys.pop() {
                self.simple_keys_by_tok.remove(&last.token_number);
            }
        }
    }

    /// `number`: the token number to insert before, or -1 to append.
    fn roll_indent(&mut self, column: i64, number: i64, typ: TokenType, mark: Mark) -> Res<()> {
        if self.flow_level > 0 {
            return Ok(());
        }
        if self.indent < column {
            self.indents.push(self.indent);
            self.indent = column;
            if self.indents.len() > MAX_INDENTS {
                let mark = self.simple_keys[self.simple_keys.len() - 1].mark;
                return Err(self.error(mark, &format!("exceeded max depth of {MAX_INDENTS}")));
            }
            let token = Token::new(typ, mark, mark);
            let pos = if number > -1 {
                number - self.tokens_parsed as i64
            } else {
                number
            };
            self.insert_token(pos, token);
        }
        Ok(())
    }

    fn unroll_indent(&mut self, column: i64, scan_mark: Mark) {
        if self.flow_level > 0 {
            return;
        }
        // Go's marks are ints: the block-end mark's index may be -1.
        let mut block_mark = scan_mark;
        let mut block_index = scan_mark.index as i64 - 1;
        while self.indent > column {
            let mut stop_index = block_index;
            for comment in self.comments.iter().rev() {
                if (comment.end_mark.index as i64) < stop_index {
                    break;
                }
                if comment.start_mark.column as i64 == self.indent + 1 {
                    block_mark = comment.start_mark;
                    block_index = comment.start_mark.index as i64;
                }
                stop_index = comment.scan_mark.index as i64;
            }
            let mut mark = block_mark;
            mark.index = usize::try_from(block_index).unwrap_or(0);
            self.insert_token(-1, Token::new(TokenType::BlockEnd, mark, mark));
            self.indent = self.indents.pop().unwrap_or(-1);
        }
    }

    fn fetch_stream_start(&mut self) {
        self.indent = -1;
        self.simple_keys.push(SimpleKey::default());
        self.simple_keys_by_tok.clear();
        self.simple_key_allowed = true;
        self.stream_start_produced = true;
        self.insert_token(-1, Token::new(TokenType::StreamStart, self.mark, self.mark));
    }

    fn fetch_stream_end(&mut self) -> Res<()> {
        if self.mark.column != 0 {
            self.mark.column = 0;
            self.mark.line += 1;
        }
        self.unroll_indent(-1, self.mark);
        self.remove_simple_key()?;
        self.simple_key_allowed = false;
        self.insert_token(-1, Token::new(TokenType::StreamEnd, self.mark, self.mark));
        Ok(())
    }

    fn fetch_directive(&mut self) -> Res<()> {
        self.unroll_indent(-1, self.mark);
        self.remove_simple_key()?;
        self.simple_key_allowed = false;
        let token = self.scan_directive()?;
        self.insert_token(-1, token);
        Ok(())
    }

    fn fetch_document_indicator(&mut self, typ: TokenType) -> Res<()> {
        self.unroll_indent(-1, self.mark);
        self.remove_simple_key()?;
        self.simple_key_allowed = false;
        let start = self.mark;
        self.skip();
        self.skip();
        self.skip();
        self.insert_token(-1, Token::new(typ, start, self.mark));
        Ok(())
    }

    fn fetch_flow_collection_start(&mut self, typ: TokenType) -> Res<()> {
        self.save_simple_key()?;
        self.increase_flow_level()?;
        self.simple_key_allowed = true;
        let start = self.mark;
        self.skip();
        self.insert_token(-1, Token::new(typ, start, self.mark));
        Ok(())
    }

    fn fetch_flow_collection_end(&mut self, typ: TokenType) -> Res<()> {
        self.remove_simple_key()?;
        self.decrease_flow_level();
        self.simple_key_allowed = false;
        let start = self.mark;
        self.skip();
        self.insert_token(-1, Token::new(typ, start, self.mark));
        Ok(())
    }

    fn fetch_flow_entry(&mut self) -> Res<()> {
        self.remove_simple_key()?;
        self.simple_key_allowed = true;
        let start = self.mark;
        self.skip();
        self.insert_token(-1, Token::new(TokenType::FlowEntry, start, self.mark));
        Ok(())
    }

    fn fetch_block_entry(&mut self) -> Res<()> {
        if self.flow_level == 0 {
            if !self.simple_key_allowed {
                return Err(self.error(
                    self.mark,
                    "block sequence entries are not allowed in this context",
                ));
            }
            self.roll_indent(
                self.mark.column as i64,
                -1,
                TokenType::BlockSequenceStart,
                self.mark,
            )?;
        }
        self.remove_simple_key()?;
        self.simple_key_allowed = true;
        let start = self.mark;
        self.skip();
        self.insert_token(-1, Token::new(TokenType::BlockEntry, start, self.mark));
        Ok(())
    }

    fn fetch_key(&mut self) -> Res<()> {
        if self.flow_level == 0 {
            if !self.simple_key_allowed {
                return Err(self.error(self.mark, "mapping keys are not allowed in this context"));
            }
            self.roll_indent(
                self.mark.column as i64,
                -1,
                TokenType::BlockMappingStart,
                self.mark,
            )?;
        }
        self.remove_simple_key()?;
        self.simple_key_allowed = self.flow_level == 0;
        let start = self.mark;
        self.skip();
        self.insert_token(-1, Token::new(TokenType::Key, start, self.mark));
        Ok(())
    }

    fn fetch_value(&mut self) -> Res<()> {
        let idx = self.simple_keys.len() - 1;
        if self.simple_key_is_valid(idx)? {
            let key = self.simple_keys[idx];
            let token = Token::new(TokenType::Key, key.mark, key.mark);
            self.insert_token(key.token_number as i64 - self.tokens_parsed as i64, token);
            self.roll_indent(
                key.mark.column as i64,
                key.token_number as i64,
                TokenType::BlockMappingStart,
                key.mark,
            )?;
            self.simple_keys[idx].possible = false;
            self.simple_keys_by_tok.remove(&key.token_number);
            self.simple_key_allowed = false;
        } else {
            if self.flow_level == 0 {
                if !self.simple_key_allowed {
                    return Err(
                        self.error(self.mark, "mapping values are not allowed in this context")
                    );
                }
                self.roll_indent(
                    self.mark.column as i64,
                    -1,
                    TokenType::BlockMappingStart,
                    self.mark,
                )?;
            }
            self.simple_key_allowed = self.flow_level == 0;
        }
        let start = self.mark;
        self.skip();
        self.insert_token(-1, Token::new(TokenType::Value, start, self.mark));
        Ok(())
    }

    fn fetch_anchor(&mut self, typ: TokenType) -> Res<()> {
        self.save_simple_key()?;
        self.simple_key_allowed = false;
        let token = self.scan_anchor(typ)?;
        self.insert_token(-1, token);
        Ok(())
    }

    fn fetch_tag(&mut self) -> Res<()> {
        self.save_simple_key()?;
        self.simple_key_allowed = false;
        let token = self.scan_tag()?;
        self.insert_token(-1, token);
        Ok(())
    }

    fn fetch_block_scalar(&mut self, literal: bool) -> Res<()> {
        self.remove_simple_key()?;
        self.simple_key_allowed = true;
        let token = self.scan_block_scalar(literal)?;
        self.insert_token(-1, token);
        Ok(())
    }

    fn fetch_flow_scalar(&mut self, single: bool) -> Res<()> {
        self.save_simple_key()?;
        self.simple_key_allowed = false;
        let token = self.scan_flow_scalar(single)?;
        self.insert_token(-1, token);
        Ok(())
    }

    fn fetch_plain_scalar(&mut self) -> Res<()> {
        self.save_simple_key()?;
        self.simple_key_allowed = false;
        let token = self.scan_plain_scalar()?;
        self.insert_token(-1, token);
        Ok(())
    }

    fn scan_to_next_token(&mut self) -> Res<()> {
        let scan_mark = self.mark;
        loop {
            self.cache(1)?;
            if self.mark.column == 0 && self.is_bom() {
                self.skip();
            }
            self.cache(1)?;
            while self.at(0) == ' '
                || ((self.flow_level > 0 || !self.simple_key_allowed) && self.at(0) == '\t')
            {
                self.skip();
                self.cache(1)?;
            }
            if !self.comments.is_empty() && self.tokens.len() > 1 {
                let n = self.tokens.len();
                let (a, b) = (self.tokens[n - 2].typ, self.tokens[n - 1].typ);
                let at_break = self.is_break(0);
                let mark = self.mark;
                if let Some(comment) = self.comments.last_mut() {
                    if a == TokenType::BlockSequenceStart
                        && b == TokenType::BlockEntry
                        && !comment.line.is_empty()
                        && !at_break
                    {
                        comment.head = std::mem::take(&mut comment.line);
                        if comment.start_mark.line + 1 == mark.line {
                            comment.token_mark = mark;
                        }
                    }
                }
            }
            if self.at(0) == '#' {
                self.scan_comments(scan_mark)?;
            }
            if self.is_break(0) {
                self.cache(2)?;
                self.skip_line();
                if self.flow_level == 0 {
                    self.simple_key_allowed = true;
                }
            } else {
                break;
            }
        }
        Ok(())
    }

    fn scan_directive(&mut self) -> Res<Token> {
        let start = self.mark;
        self.skip();
        let name = self.scan_directive_name(start)?;
        let token = match name.as_str() {
            "YAML" => {
                let (major, minor) = self.scan_version_directive_value(start)?;
                let mut t = Token::new(TokenType::VersionDirective, start, self.mark);
                t.major = major;
                t.minor = minor;
                t
            }
            "TAG" => {
                let (handle, prefix) = self.scan_tag_directive_value(start)?;
                let mut t = Token::new(TokenType::TagDirective, start, self.mark);
                t.value = handle;
                t.prefix = prefix;
                t
            }
            _ => {
                return Err(self.error(start, "found unknown directive name"));
            }
        };
        self.cache(1)?;
        while self.is_blank(0) {
            self.skip();
            self.cache(1)?;
        }
        if self.at(0) == '#' {
            while !self.is_breakz(0) {
                self.skip();
                self.cache(1)?;
            }
        }
        if !self.is_breakz(0) {
            return Err(self.error(start, "did not find expected comment or line break"));
        }
        if self.is_break(0) {
            self.cache(2)?;
            self.skip_line();
        }
        Ok(token)
    }

    fn scan_directive_name(&mut self, start: Mark) -> Res<String> {
        self.cache(1)?;
        let mut s = String::new();
        while self.is_alpha(0) {
            self.read(&mut s);
            self.cache(1)?;
        }
        if s.is_empty() {
            return Err(self.error(start, "could not find expected directive name"));
        }
        if !self.is_blankz(0) {
            return Err(self.error(start, "found unexpected non-alphabetical character"));
        }
        Ok(s)
    }

    fn scan_version_directive_value(&mut self, start: Mark) -> Res<(i32, i32)> {
        self.cache(1)?;
        while self.is_blank(0) {
            self.skip();
            self.cache(1)?;
        }
        let major = self.scan_version_directive_number(start)?;
        if self.at(0) != '.' {
            return Err(self.error(start, "did not find expected digit or '.' character"));
        }
        self.skip();
        let minor = self.scan_version_directive_number(start)?;
        Ok((major, minor))
    }

    fn scan_version_directive_number(&mut self, start: Mark) -> Res<i32> {
        self.cache(1)?;
        let (mut value, mut length) = (0i32, 0);
        while self.at(0).is_ascii_digit() {
            length += 1;
            if length > 2 {
                return Err(self.error(start, "found extremely long version number"));
            }
            value = value * 10 + self.at(0).to_digit(10).map_or(0, |d| d as i32);
            self.skip();
            self.cache(1)?;
        }
        if length == 0 {
            return Err(self.error(start, "did not find expected version number"));
        }
        Ok(value)
    }

    fn scan_tag_directive_value(&mut self, start: Mark) -> Res<(String, String)> {
        self.cache(1)?;
        while self.is_blank(0) {
            self.skip();
            self.cache(1)?;
        }
        let handle = self.scan_tag_handle(true, start)?;
        self.cache(1)?;
        if !self.is_blank(0) {
            return Err(self.error(start, "did not find expected whitespace"));
        }
        while self.is_blank(0) {
            self.skip();
            self.cache(1)?;
        }
        let prefix = self.scan_tag_uri(true, "", start)?;
        self.cache(1)?;
        if !self.is_blankz(0) {
            return Err(self.error(start, "did not find expected whitespace or line break"));
        }
        Ok((handle, prefix))
    }

    fn scan_anchor(&mut self, typ: TokenType) -> Res<Token> {
        let mut s = String::new();
        let start = self.mark;
        self.skip();
        self.cache(1)?;
        while self.is_alpha(0) {
            self.read(&mut s);
            self.cache(1)?;
        }
        let end = self.mark;
        if s.is_empty()
            || !(self.is_blankz(0)
                || matches!(self.at(0), '?' | ':' | ',' | ']' | '}' | '%' | '@' | '`'))
        {
            return Err(self.error(
                start,
                "did not find expected alphabetic or numeric character",
            ));
        }
        let mut t = Token::new(typ, start, end);
        t.value = s;
        Ok(t)
    }

    fn scan_tag(&mut self) -> Res<Token> {
        let start = self.mark;
        self.cache(2)?;
        let (handle, suffix);
        if self.at(1) == '<' {
            self.skip();
            self.skip();
            suffix = self.scan_tag_uri(false, "", start)?;
            if self.at(0) != '>' {
                return Err(self.error(start, "did not find the expected '>'"));
            }
            self.skip();
            handle = String::new();
        } else {
            let h = self.scan_tag_handle(false, start)?;
            if h.starts_with('!') && h.len() > 1 && h.ends_with('!') {
                suffix = self.scan_tag_uri(false, "", start)?;
                handle = h;
            } else {
                let s = self.scan_tag_uri(false, &h, start)?;
                if s.is_empty() {
                    handle = String::new();
                    suffix = "!".to_owned();
                } else {
                    handle = "!".to_owned();
                    suffix = s;
                }
            }
        }
        self.cache(1)?;
        if !self.is_blankz(0) {
            return Err(self.error(start, "did not find expected whitespace or line break"));
        }
        let mut t = Token::new(TokenType::Tag, start, self.mark);
        t.value = handle;
        t.suffix = suffix;
        Ok(t)
    }

    fn scan_tag_handle(&mut self, directive: bool, start: Mark) -> Res<String> {
        self.cache(1)?;
        if self.at(0) != '!' {
            return Err(self.tag_error(directive, start, "did not find expected '!'"));
        }
        let mut s = String::new();
        self.read(&mut s);
        self.cache(1)?;
        while self.is_alpha(0) {
            self.read(&mut s);
            self.cache(1)?;
        }
        if self.at(0) == '!' {
            self.read(&mut s);
        } else if directive && s != "!" {
            return Err(self.tag_error(directive, start, "did not find expected '!'"));
        }
        Ok(s)
    }

    fn tag_error(&self, _directive: bool, start: Mark, problem: &str) -> YamlError {
        self.error(start, problem)
    }

    fn scan_tag_uri(&mut self, directive: bool, head: &str, start: Mark) -> Res<String> {
        let mut bytes: Vec<u8> = Vec::new();
        let mut has_tag = !head.is_empty();
        if head.len() > 1 {
            bytes.extend_from_slice(&head.as_bytes()[1..]);
        }
        self.cache(1)?;
        loop {
            let c = self.at(0);
            let ok = is_alpha_char(c)
                || matches!(
                    c,
                    ';' | '/'
                        | '?'
                        | ':'
                        | '@'
                        | '&'
                        | '='
                        | '+'
                        | '$'
                        | ','
                        | '.'
                        | '!'
                        | '~'
                        | '*'
                        | '\''
                        | '('
                        | ')'
                        | '['
                        | ']'
                        | '%'
                );
            if !ok {
                break;
            }
            if c == '%' {
                self.scan_uri_escapes(directive, start, &mut bytes)?;
            } else {
                let mut tmp = [0u8; 4];
                bytes.extend_from_slice(c.encode_utf8(&mut tmp).as_bytes());
                self.read(&mut String::new());
            }
            self.cache(1)?;
            has_tag = true;
        }
        if !has_tag {
            return Err(self.tag_error(directive, start, "did not find expected tag URI"));
        }
        Ok(String::from_utf8_lossy(&bytes).into_owned())
    }

    fn scan_uri_escapes(&mut self, directive: bool, start: Mark, s: &mut Vec<u8>) -> Res<()> {
        let mut w: usize = 1024;
        while w > 0 {
            self.cache(3)?;
            if !(self.at(0) == '%' && self.is_hex(1) && self.is_hex(2)) {
                return Err(self.tag_error(directive, start, "did not find URI escaped octet"));
            }
            let octet = ((self.as_hex(1) << 4) + self.as_hex(2)) as u8;
            if w == 1024 {
                w = match octet {
                    o if o & 0x80 == 0 => 1,
                    o if o & 0xE0 == 0xC0 => 2,
                    o if o & 0xF0 == 0xE0 => 3,
                    o if o & 0xF8 == 0xF0 => 4,
                    _ => 0,
                };
                if w == 0 {
                    return Err(self.tag_error(
                        directive,
                        start,
                        "found an incorrect leading UTF-8 octet",
                    ));
                }
            } else if octet & 0xC0 != 0x80 {
                return Err(self.tag_error(
                    directive,
                    start,
                    "found an incorrect trailing UTF-8 octet",
                ));
            }
            s.push(octet);
            self.skip();
            self.skip();
            self.skip();
            w -= 1;
        }
        Ok(())
    }

    fn scan_block_scalar(&mut self, literal: bool) -> Res<Token> {
        let start = self.mark;
        self.skip();
        self.cache(1)?;
        let (mut chomping, mut increment) = (0i32, 0i64);
        if matches!(self.at(0), '+' | '-') {
            chomping = if self.at(0) == '+' { 1 } else { -1 };
            self.skip();
            self.cache(1)?;
            if self.at(0).is_ascii_digit() {
                if self.at(0) == '0' {
                    return Err(self.error(start, "found an indentation indicator equal to 0"));
                }
                increment = i64::from(self.at(0).to_digit(10).unwrap_or(0));
                self.skip();
            }
        } else if self.at(0).is_ascii_digit() {
            if self.at(0) == '0' {
                return Err(self.error(start, "found an indentation indicator equal to 0"));
            }
            increment = i64::from(self.at(0).to_digit(10).unwrap_or(0));
            self.skip();
            self.cache(1)?;
            if matches!(self.at(0), '+' | '-') {
                chomping = if self.at(0) == '+' { 1 } else { -1 };
                self.skip();
            }
        }
        self.cache(1)?;
        while self.is_blank(0) {
            self.skip();
            self.cache(1)?;
        }
        if self.at(0) == '#' {
            self.scan_line_comment(start)?;
            while !self.is_breakz(0) {
                self.skip();
                self.cache(1)?;
            }
        }
        if !self.is_breakz(0) {
            return Err(self.error(start, "did not find expected comment or line break"));
        }
        if self.is_break(0) {
            self.cache(2)?;
            self.skip_line();
        }
        let mut end = self.mark;
        let mut indent: i64 = 0;
        if increment > 0 {
            indent = if self.indent >= 0 {
                self.indent + increment
            } else {
                increment
            };
        }
        let (mut s, mut leading_break, mut trailing_breaks) =
            (String::new(), String::new(), String::new());
        self.scan_block_scalar_breaks(&mut indent, &mut trailing_breaks, start, &mut end)?;
        self.cache(1)?;
        let (mut leading_blank, mut trailing_blank);
        leading_blank = false;
        while self.mark.column as i64 == indent && !self.is_z(0) {
            trailing_blank = self.is_blank(0);
            if !literal && !leading_blank && !trailing_blank && leading_break.starts_with('\n') {
                if trailing_breaks.is_empty() {
                    s.push(' ');
                }
            } else {
                s.push_str(&leading_break);
            }
            leading_break.clear();
            s.push_str(&trailing_breaks);
            trailing_breaks.clear();
            leading_blank = self.is_blank(0);
            while !self.is_breakz(0) {
                self.read(&mut s);
                self.cache(1)?;
            }
            self.cache(2)?;
            self.read_line(&mut leading_break);
            self.scan_block_scalar_breaks(&mut indent, &mut trailing_breaks, start, &mut end)?;
        }
        if chomping != -1 {
            s.push_str(&leading_break);
        }
        if chomping == 1 {
            s.push_str(&trailing_breaks);
        }
        let mut t = Token::new(TokenType::Scalar, start, end);
        t.value = s;
        t.style = if literal {
            ScalarStyle::Literal
        } else {
            ScalarStyle::Folded
        };
        Ok(t)
    }

    fn scan_block_scalar_breaks(
        &mut self,
        indent: &mut i64,
        breaks: &mut String,
        start: Mark,
        end: &mut Mark,
    ) -> Res<()> {
        *end = self.mark;
        let mut max_indent: i64 = 0;
        loop {
            self.cache(1)?;
            while (*indent == 0 || (self.mark.column as i64) < *indent) && self.at(0) == ' ' {
                self.skip();
                self.cache(1)?;
            }
            if self.mark.column as i64 > max_indent {
                max_indent = self.mark.column as i64;
            }
            if (*indent == 0 || (self.mark.column as i64) < *indent) && self.at(0) == '\t' {
                return Err(self.error(
                    start,
                    "found a tab character where an indentation space is expected",
                ));
            }
            if !self.is_break(0) {
                break;
            }
            self.cache(2)?;
            self.read_line(breaks);
            *end = self.mark;
        }
        if *indent == 0 {
            *indent = max_indent;
            if *indent < self.indent + 1 {
                *indent = self.indent + 1;
            }
            if *indent < 1 {
                *indent = 1;
            }
        }
        Ok(())
    }

    fn scan_flow_scalar(&mut self, single: bool) -> Res<Token> {
        let start = self.mark;
        self.skip();
        let (mut s, mut leading_break, mut trailing_breaks, mut whitespaces) =
            (String::new(), String::new(), String::new(), String::new());
        loop {
            self.cache(4)?;
            if self.mark.column == 0
                && ((self.at(0) == '-' && self.at(1) == '-' && self.at(2) == '-')
                    || (self.at(0) == '.' && self.at(1) == '.' && self.at(2) == '.'))
                && self.is_blankz(3)
            {
                return Err(self.error(start, "found unexpected document indicator"));
            }
            if self.is_z(0) {
                return Err(self.error(start, "found unexpected end of stream"));
            }
            let mut leading_blanks = false;
            while !self.is_blankz(0) {
                let c = self.at(0);
                if single && c == '\'' && self.at(1) == '\'' {
                    s.push('\'');
                    self.skip();
                    self.skip();
                } else if (single && c == '\'') || (!single && c == '"') {
                    break;
                } else if !single && c == '\\' && self.is_break(1) {
                    self.cache(3)?;
                    self.skip();
                    self.skip_line();
                    leading_blanks = true;
                    break;
                } else if !single && c == '\\' {
                    let mut code_length = 0;
                    match self.at(1) {
                        '0' => s.push('\0'),
                        'a' => s.push('\x07'),
                        'b' => s.push('\x08'),
                        't' | '\t' => s.push('\t'),
                        'n' => s.push('\n'),
                        'v' => s.push('\x0B'),
                        'f' => s.push('\x0C'),
                        'r' => s.push('\r'),
                        'e' => s.push('\x1B'),
                        ' ' => s.push(' '),
                        '"' => s.push('"'),
                        '\'' => s.push('\''),
                        '\\' => s.push('\\'),
                        'N' => s.push('\u{85}'),
                        '_' => s.push('\u{A0}'),
                        'L' => s.push('\u{2028}'),
                        'P' => s.push('\u{2029}'),
                        'x' => code_length = 2,
                        'u' => code_length = 4,
                        'U' => code_length = 8,
                        _ => return Err(self.error(start, "found unknown escape character")),
                    }
                    self.skip();
                    self.skip();
                    if code_length > 0 {
                        self.cache(code_length)?;
                        let mut value: u32 = 0;
                        for k in 0..code_length {
                            if !self.is_hex(k) {
                                return Err(
                                    self.error(start, "did not find expected hexdecimal number")
                                );
                            }
                            value = (value << 4) + self.as_hex(k);
                        }
                        let Some(ch) = char::from_u32(value) else {
                            return Err(
                                self.error(start, "found invalid Unicode character escape code")
                            );
                        };
                        s.push(ch);
                        for _ in 0..code_length {
                            self.skip();
                        }
                    }
                } else {
                    self.read(&mut s);
                }
                self.cache(2)?;
            }
            self.cache(1)?;
            if single {
                if self.at(0) == '\'' {
                    break;
                }
            } else if self.at(0) == '"' {
                break;
            }
            while self.is_blank(0) || self.is_break(0) {
                if self.is_blank(0) {
                    if !leading_blanks {
                        self.read(&mut whitespaces);
                    } else {
                        self.skip();
                    }
                } else {
                    self.cache(2)?;
                    if !leading_blanks {
                        whitespaces.clear();
                        self.read_line(&mut leading_break);
                        leading_blanks = true;
                    } else {
                        self.read_line(&mut trailing_breaks);
                    }
                }
                self.cache(1)?;
            }
            if leading_blanks {
                if leading_break.starts_with('\n') {
                    if trailing_breaks.is_empty() {
                        s.push(' ');
                    } else {
                        s.push_str(&trailing_breaks);
                    }
                } else {
                    s.push_str(&leading_break);
                    s.push_str(&trailing_breaks);
                }
                trailing_breaks.clear();
                leading_break.clear();
            } else {
                s.push_str(&whitespaces);
                whitespaces.clear();
            }
        }
        self.skip();
        let mut t = Token::new(TokenType::Scalar, start, self.mark);
        t.value = s;
        t.style = if single {
            ScalarStyle::SingleQuoted
        } else {
            ScalarStyle::DoubleQuoted
        };
        Ok(t)
    }

    fn scan_plain_scalar(&mut self) -> Res<Token> {
        let (mut s, mut leading_break, mut trailing_breaks, mut whitespaces) =
            (String::new(), String::new(), String::new(), String::new());
        let mut leading_blanks = false;
        let indent = self.indent + 1;
        let start = self.mark;
        let mut end = self.mark;
        loop {
            self.cache(4)?;
            if self.mark.column == 0
                && ((self.at(0) == '-' && self.at(1) == '-' && self.at(2) == '-')
                    || (self.at(0) == '.' && self.at(1) == '.' && self.at(2) == '.'))
                && self.is_blankz(3)
            {
                break;
            }
            if self.at(0) == '#' {
                break;
            }
            while !self.is_blankz(0) {
                let c = self.at(0);
                if (c == ':' && self.is_blankz(1))
                    || (self.flow_level > 0 && matches!(c, ',' | '?' | '[' | ']' | '{' | '}'))
                {
                    break;
                }
                if leading_blanks || !whitespaces.is_empty() {
                    if leading_blanks {
                        if leading_break.starts_with('\n') {
                            if trailing_breaks.is_empty() {
                                s.push(' ');
                            } else {
                                s.push_str(&trailing_breaks);
                            }
                        } else {
                            s.push_str(&leading_break);
                            s.push_str(&trailing_breaks);
                        }
                        trailing_breaks.clear();
                        leading_break.clear();
                        leading_blanks = false;
                    } else {
                        s.push_str(&whitespaces);
                        whitespaces.clear();
                    }
                }
                self.read(&mut s);
                end = self.mark;
                self.cache(2)?;
            }
            if !(self.is_blank(0) || self.is_break(0)) {
                break;
            }
            self.cache(1)?;
            while self.is_blank(0) || self.is_break(0) {
                if self.is_blank(0) {
                    if leading_blanks && (self.mark.column as i64) < indent && self.at(0) == '\t' {
                        return Err(
                            self.error(start, "found a tab character that violates indentation")
                        );
                    }
                    if !leading_blanks {
                        self.read(&mut whitespaces);
                    } else {
                        self.skip();
                    }
                } else {
                    self.cache(2)?;
                    if !leading_blanks {
                        whitespaces.clear();
                        self.read_line(&mut leading_break);
                        leading_blanks = true;
                    } else {
                        self.read_line(&mut trailing_breaks);
                    }
                }
                self.cache(1)?;
            }
            if self.flow_level == 0 && (self.mark.column as i64) < indent {
                break;
            }
        }
        let mut t = Token::new(TokenType::Scalar, start, end);
        t.value = s;
        t.style = ScalarStyle::Plain;
        if leading_blanks {
            self.simple_key_allowed = true;
        }
        Ok(t)
    }

    /// yaml.v3 `yaml_parser_scan_line_comment`: a comment after a token on the same line is consumed.
    fn scan_line_comment(&mut self, token_mark: Mark) -> Res<()> {
        if self.newlines > 0 {
            return Ok(());
        }
        let mut start_mark = Mark::default();
        let mut text = String::new();
        for peek in 0..512 {
            // A reader error here is kept for the next parse call (yaml.v3 breaks out of the loop).
            if self.cache(peek + 1).is_err() {
                break;
            }
            if self.is_blank(peek) {
                continue;
            }
            if self.at(peek) == '#' {
                let seen = self.mark.index + peek;
                loop {
                    self.cache(1)?;
                    if self.is_breakz(0) {
                        if self.mark.index >= seen {
                            break;
                        }
                        self.cache(2)?;
                        self.skip_line();
                    } else if self.mark.index >= seen {
                        if text.is_empty() {
                            start_mark = self.mark;
                        }
                        self.read(&mut text);
                    } else {
                        self.skip();
                    }
                }
            }
            break;
        }
        if !text.is_empty() {
            self.comments.push(Comment {
                token_mark,
                start_mark,
                line: text,
                ..Comment::default()
            });
        }
        Ok(())
    }

    /// yaml.v3 `yaml_parser_scan_comments`: head and foot comments, possibly several lines of them.
    fn scan_comments(&mut self, mut scan_mark: Mark) -> Res<()> {
        let n = self.tokens.len();
        let mut token = self.tokens[n - 1].clone();
        if token.typ == TokenType::FlowEntry && n > 1 {
            token = self.tokens[n - 2].clone();
        }
        let mut token_mark = token.start_mark;
        let mut start_mark = Mark::default();
        let mut next_indent = self.indent.max(0);
        let mut recent_empty = false;
        let mut first_empty = self.newlines <= 1;
        let mut line = self.mark.line;
        let mut column = self.mark.column;
        let mut text = String::new();
        let mut foot_line: i64 = -1;
        if scan_mark.line > 0 {
            foot_line = self.mark.line as i64 - self.newlines as i64 + 1;
            if self.newlines == 0 && self.mark.column > 1 {
                foot_line += 1;
            }
        }
        let mut peek: usize = 0;
        while peek < 512 {
            if self.cache(peek + 1).is_err() {
                break;
            }
            column += 1;
            if self.is_blank(peek) {
                peek += 1;
                continue;
            }
            let c = self.at(peek);
            let close_flow = self.flow_level > 0 && (c == ']' || c == '}');
            if close_flow || self.is_breakz(peek) {
                if close_flow || !recent_empty {
                    if close_flow
                        || first_empty
                            && (start_mark.line as i64 == foot_line
                                && token.typ != TokenType::Value
                                || (start_mark.column as i64) - 1 < next_indent)
                    {
                        if !text.is_empty() {
                            if (start_mark.column as i64) - 1 < next_indent {
                                token_mark = start_mark;
                            }
                            let end = Mark {
                                index: self.mark.index + peek,
                                line,
                                column,
                            };
                            self.comments.push(Comment {
                                scan_mark,
                                token_mark,
                                start_mark,
                                end_mark: end,
                                foot: std::mem::take(&mut text),
                                ..Comment::default()
                            });
                            scan_mark = end;
                            token_mark = scan_mark;
                        }
                    } else if !text.is_empty() && self.at(peek) != '\0' {
                        text.push('\n');
                    }
                }
                if !self.is_break(peek) {
                    break;
                }
                first_empty = false;
                recent_empty = true;
                column = 0;
                line += 1;
                peek += 1;
                continue;
            }
            if !text.is_empty()
                && (close_flow || (column as i64) - 1 < next_indent && column != start_mark.column)
            {
                let end = Mark {
                    index: self.mark.index + peek,
                    line,
                    column,
                };
                self.comments.push(Comment {
                    scan_mark,
                    token_mark,
                    start_mark,
                    end_mark: end,
                    foot: std::mem::take(&mut text),
                    ..Comment::default()
                });
                scan_mark = end;
                token_mark = scan_mark;
            }
            if self.at(peek) != '#' {
                break;
            }
            if text.is_empty() {
                start_mark = Mark {
                    index: self.mark.index + peek,
                    line,
                    column,
                };
            } else {
                text.push('\n');
            }
            recent_empty = false;
            let seen = self.mark.index + peek;
            loop {
                self.cache(1)?;
                if self.is_breakz(0) {
                    if self.mark.index >= seen {
                        break;
                    }
                    self.cache(2)?;
                    self.skip_line();
                } else if self.mark.index >= seen {
                    self.read(&mut text);
                } else {
                    self.skip();
                }
            }
            peek = 0;
            column = 0;
            line = self.mark.line;
            next_indent = self.indent.max(0);
            peek += 1;
        }
        if !text.is_empty() {
            let end = Mark {
                index: (self.mark.index + peek).wrapping_sub(1),
                line,
                column,
            };
            self.comments.push(Comment {
                scan_mark,
                token_mark: start_mark,
                start_mark,
                end_mark: end,
                head: text,
                ..Comment::default()
            });
        }
        Ok(())
    }
}

// -------------------------------------------------------------------------------------------------
// Parser

/// A parsing event (only what yaml.v3's node builder uses).
#[derive(Debug, Clone)]
pub(super) enum EventData {
    StreamStart,
    StreamEnd,
    DocumentStart,
    DocumentEnd,
    Alias {
        anchor: String,
    },
    Scalar {
        anchor: Option<String>,
        tag: Option<String>,
        value: String,
        style: ScalarStyle,
    },
    SequenceStart {
        anchor: Option<String>,
        tag: Option<String>,
    },
    SequenceEnd,
    MappingStart {
        anchor: Option<String>,
        tag: Option<String>,
    },
    MappingEnd,
}

#[derive(Debug, Clone)]
pub(super) struct Event {
    pub(super) data: EventData,
    pub(super) start_mark: Mark,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    StreamStart,
    ImplicitDocumentStart,
    DocumentStart,
    DocumentContent,
    DocumentEnd,
    BlockNode,
    BlockSequenceFirstEntry,
    BlockSequenceEntry,
    IndentlessSequenceEntry,
    BlockMappingFirstKey,
    BlockMappingKey,
    BlockMappingValue,
    FlowSequenceFirstEntry,
    FlowSequenceEntry,
    FlowSequenceEntryMappingKey,
    FlowSequenceEntryMappingValue,
    FlowSequenceEntryMappingEnd,
    FlowMappingFirstKey,
    FlowMappingKey,
    FlowMappingValue,
    FlowMappingEmptyValue,
    End,
}

/// yaml.v3's event parser over its scanner.
pub(super) struct Parser {
    scanner: Scanner,
    state: State,
    states: Vec<State>,
    marks: Vec<Mark>,
    tag_directives: Vec<(String, String)>,
    failed: bool,
    /// yaml.v3's pending comments: only their presence and splitting change what the parser scans
    /// (`yaml_parser_split_stem_comment` peeks at the next token, which can resume a failed scan).
    head_comment: String,
    line_comment: String,
    foot_comment: String,
}

fn parser_error(problem: &str, problem_mark: Mark) -> YamlError {
    YamlError {
        kind: ErrorKind::Parser,
        problem: problem.to_owned(),
        problem_mark,
        context_mark: Mark::default(),
    }
}

fn parser_error_context(context_mark: Mark, problem: &str, problem_mark: Mark) -> YamlError {
    YamlError {
        kind: ErrorKind::ParserContext,
        problem: problem.to_owned(),
        problem_mark,
        context_mark,
    }
}

impl Parser {
    /// A parser over raw input bytes.
    pub(super) fn new(input: &[u8]) -> Self {
        Parser {
            scanner: Scanner::new(input),
            state: State::StreamStart,
            states: Vec::new(),
            marks: Vec::new(),
            tag_directives: Vec::new(),
            failed: false,
            head_comment: String::new(),
            line_comment: String::new(),
            foot_comment: String::new(),
        }
    }

    /// yaml.v3 `peek_token`: the head token, with the comments before it folded in.
    fn peek(&mut self) -> Res<Token> {
        let token = self.scanner.peek_token()?.clone();
        self.unfold_comments(&token);
        Ok(token)
    }

    /// yaml.v3 `yaml_parser_unfold_comments`.
    fn unfold_comments(&mut self, token: &Token) {
        fn append(to: &mut String, text: &str) {
            if !to.is_empty() {
                to.push('\n');
            }
            to.push_str(text);
        }
        let sc = &mut self.scanner;
        while sc.comments_head < sc.comments.len()
            && token.start_mark.index >= sc.comments[sc.comments_head].token_mark.index
        {
            let comment = &mut sc.comments[sc.comments_head];
            if !comment.head.is_empty() {
                if token.typ == TokenType::BlockEnd {
                    break;
                }
                append(&mut self.head_comment, &comment.head);
            }
            if !comment.foot.is_empty() {
                append(&mut self.foot_comment, &comment.foot);
            }
            if !comment.line.is_empty() {
                append(&mut self.line_comment, &comment.line);
            }
            *comment = Comment::default();
            sc.comments_head += 1;
        }
    }

    /// yaml.v3 `yaml_parser_set_event_comments`: the pending comments go to the event.
    fn set_event_comments(&mut self) {
        self.head_comment.clear();
        self.line_comment.clear();
        self.foot_comment.clear();
    }

    /// yaml.v3 `yaml_parser_split_stem_comment`: a scan failure here is ignored (and recorded).
    fn split_stem_comment(&mut self, stem_len: usize) {
        if stem_len == 0 {
            return;
        }
        let Ok(token) = self.peek() else {
            return;
        };
        if token.typ != TokenType::BlockSequenceStart && token.typ != TokenType::BlockMappingStart {
            return;
        }
        if self.head_comment.len() <= stem_len {
            self.head_comment.clear();
        } else {
            self.head_comment = self.head_comment[stem_len + 1..].to_owned();
        }
    }

    fn skip_token(&mut self) {
        self.scanner.skip_token();
    }

    fn pop_state(&mut self) {
        self.state = self.states.pop().unwrap_or(State::End);
    }

    fn event(data: EventData, start_mark: Mark) -> Event {
        Event { data, start_mark }
    }

    /// yaml.v3 `yaml_parser_parse`: the next event (a stream end once the stream has ended).
    pub(super) fn parse(&mut self) -> Res<Event> {
        if self.failed {
            return Err(self
                .scanner
                .error
                .clone()
                .unwrap_or_else(|| parser_error("", Mark::default())));
        }
        if self.scanner.stream_end_produced || self.state == State::End {
            return Ok(Self::event(EventData::StreamEnd, self.scanner.mark));
        }
        let r = self.state_machine();
        if let Err(e) = &r {
            if matches!(e.kind, ErrorKind::Parser | ErrorKind::ParserContext) {
                self.scanner.record(e);
            }
        }
        // An error a caller ignored during this call is reported now, as yaml.v3's node builder checks
        // `parser.error` after every event.
        if let Some(e) = &self.scanner.error {
            self.failed = true;
            return Err(e.clone());
        }
        r
    }

    fn state_machine(&mut self) -> Res<Event> {
        match self.state {
            State::StreamStart => self.parse_stream_start(),
            State::ImplicitDocumentStart => self.parse_document_start(true),
            State::DocumentStart => self.parse_document_start(false),
            State::DocumentContent => self.parse_document_content(),
            State::DocumentEnd => self.parse_document_end(),
            State::BlockNode => self.parse_node(true, false),
            State::BlockSequenceFirstEntry => self.parse_block_sequence_entry(true),
            State::BlockSequenceEntry => self.parse_block_sequence_entry(false),
            State::IndentlessSequenceEntry => self.parse_indentless_sequence_entry(),
            State::BlockMappingFirstKey => self.parse_block_mapping_key(true),
            State::BlockMappingKey => self.parse_block_mapping_key(false),
            State::BlockMappingValue => self.parse_block_mapping_value(),
            State::FlowSequenceFirstEntry => self.parse_flow_sequence_entry(true),
            State::FlowSequenceEntry => self.parse_flow_sequence_entry(false),
            State::FlowSequenceEntryMappingKey => self.parse_flow_sequence_entry_mapping_key(),
            State::FlowSequenceEntryMappingValue => self.parse_flow_sequence_entry_mapping_value(),
            State::FlowSequenceEntryMappingEnd => self.parse_flow_sequence_entry_mapping_end(),
            State::FlowMappingFirstKey => self.parse_flow_mapping_key(true),
            State::FlowMappingKey => self.parse_flow_mapping_key(false),
            State::FlowMappingValue => self.parse_flow_mapping_value(false),
            State::FlowMappingEmptyValue => self.parse_flow_mapping_value(true),
            State::End => Ok(Self::event(EventData::StreamEnd, self.scanner.mark)),
        }
    }

    fn parse_stream_start(&mut self) -> Res<Event> {
        let token = self.peek()?;
        if token.typ != TokenType::StreamStart {
            return Err(parser_error(
                "did not find expected <stream-start>",
                token.start_mark,
            ));
        }
        self.state = State::ImplicitDocumentStart;
        self.skip_token();
        Ok(Self::event(EventData::StreamStart, token.start_mark))
    }

    fn parse_document_start(&mut self, implicit: bool) -> Res<Event> {
        let mut token = self.peek()?;
        if !implicit {
            while token.typ == TokenType::DocumentEnd {
                self.skip_token();
                token = self.peek()?;
            }
        }
        if implicit
            && !matches!(
                token.typ,
                TokenType::VersionDirective
                    | TokenType::TagDirective
                    | TokenType::DocumentStart
                    | TokenType::StreamEnd
            )
        {
            self.process_directives()?;
            self.states.push(State::DocumentEnd);
            self.state = State::BlockNode;
            // The head comment up to its last blank line belongs to the document.
            let head = self.head_comment.as_bytes();
            let mut i = head.len().saturating_sub(1);
            while i > 0 {
                if head[i] == b'\n' {
                    if i == head.len() - 1 {
                        self.head_comment.clear();
                        break;
                    } else if head[i - 1] == b'\n' {
                        self.head_comment = self.head_comment[i + 1..].to_owned();
                        break;
                    }
                }
                i -= 1;
            }
            Ok(Self::event(EventData::DocumentStart, token.start_mark))
        } else if token.typ != TokenType::StreamEnd {
            let start = token.start_mark;
            self.process_directives()?;
            let token = self.peek()?;
            if token.typ != TokenType::DocumentStart {
                return Err(parser_error(
                    "did not find expected <document start>",
                    token.start_mark,
                ));
            }
            self.states.push(State::DocumentEnd);
            self.state = State::DocumentContent;
            self.skip_token();
            Ok(Self::event(EventData::DocumentStart, start))
        } else {
            self.state = State::End;
            self.skip_token();
            Ok(Self::event(EventData::StreamEnd, token.start_mark))
        }
    }

    fn parse_document_content(&mut self) -> Res<Event> {
        let token = self.peek()?;
        if matches!(
            token.typ,
            TokenType::VersionDirective
                | TokenType::TagDirective
                | TokenType::DocumentStart
                | TokenType::DocumentEnd
                | TokenType::StreamEnd
        ) {
            self.pop_state();
            return Ok(Self::empty_scalar(token.start_mark));
        }
        self.parse_node(true, false)
    }

    fn parse_document_end(&mut self) -> Res<Event> {
        let token = self.peek()?;
        if token.typ == TokenType::DocumentEnd {
            self.skip_token();
        }
        self.tag_directives.clear();
        self.state = State::DocumentStart;
        self.set_event_comments();
        Ok(Self::event(EventData::DocumentEnd, token.start_mark))
    }

    fn parse_node(&mut self, block: bool, indentless_sequence: bool) -> Res<Event> {
        let mut token = self.peek()?;
        if token.typ == TokenType::Alias {
            self.pop_state();
            self.set_event_comments();
            self.skip_token();
            return Ok(Self::event(
                EventData::Alias {
                    anchor: token.value,
                },
                token.start_mark,
            ));
        }
        let mut start_mark = token.start_mark;
        let mut tag_token = false;
        let (mut tag_handle, mut tag_suffix) = (String::new(), String::new());
        let mut anchor: Option<String> = None;
        let mut tag_mark = Mark::default();
        if token.typ == TokenType::Anchor {
            anchor = Some(token.value.clone());
            start_mark = token.start_mark;
            self.skip_token();
            token = self.peek()?;
            if token.typ == TokenType::Tag {
                tag_token = true;
                tag_handle = token.value.clone();
                tag_suffix = token.suffix.clone();
                tag_mark = token.start_mark;
                self.skip_token();
                token = self.peek()?;
            }
        } else if token.typ == TokenType::Tag {
            tag_token = true;
            tag_handle = token.value.clone();
            tag_suffix = token.suffix.clone();
            start_mark = token.start_mark;
            tag_mark = token.start_mark;
            self.skip_token();
            token = self.peek()?;
            if token.typ == TokenType::Anchor {
                anchor = Some(token.value.clone());
                self.skip_token();
                token = self.peek()?;
            }
        }
        let mut tag = String::new();
        if tag_token {
            if tag_handle.is_empty() {
                tag = tag_suffix;
            } else {
                let prefix = self
                    .tag_directives
                    .iter()
                    .find(|(h, _)| *h == tag_handle)
                    .map(|(_, p)| p.clone());
                if let Some(p) = prefix {
                    tag = p + &tag_suffix;
                }
                if tag.is_empty() {
                    return Err(parser_error_context(
                        start_mark,
                        "found undefined tag handle",
                        tag_mark,
                    ));
                }
            }
        }
        let tag_opt = (!tag.is_empty()).then(|| tag.clone());
        if indentless_sequence && token.typ == TokenType::BlockEntry {
            self.state = State::IndentlessSequenceEntry;
            return Ok(Self::event(
                EventData::SequenceStart {
                    anchor,
                    tag: tag_opt,
                },
                start_mark,
            ));
        }
        if token.typ == TokenType::Scalar {
            self.pop_state();
            self.set_event_comments();
            self.skip_token();
            return Ok(Self::event(
                EventData::Scalar {
                    anchor,
                    tag: tag_opt,
                    value: token.value,
                    style: token.style,
                },
                start_mark,
            ));
        }
        if token.typ == TokenType::FlowSequenceStart {
            self.state = State::FlowSequenceFirstEntry;
            self.set_event_comments();
            return Ok(Self::event(
                EventData::SequenceStart {
                    anchor,
                    tag: tag_opt,
                },
                start_mark,
            ));
        }
        if token.typ == TokenType::FlowMappingStart {
            self.state = State::FlowMappingFirstKey;
            self.set_event_comments();
            return Ok(Self::event(
                EventData::MappingStart {
                    anchor,
                    tag: tag_opt,
                },
                start_mark,
            ));
        }
        if block && token.typ == TokenType::BlockSequenceStart {
            self.state = State::BlockSequenceFirstEntry;
            return Ok(Self::event(
                EventData::SequenceStart {
                    anchor,
                    tag: tag_opt,
                },
                start_mark,
            ));
        }
        if block && token.typ == TokenType::BlockMappingStart {
            self.state = State::BlockMappingFirstKey;
            return Ok(Self::event(
                EventData::MappingStart {
                    anchor,
                    tag: tag_opt,
                },
                start_mark,
            ));
        }
        if anchor.is_some() || !tag.is_empty() {
            self.pop_state();
            return Ok(Self::event(
                EventData::Scalar {
                    anchor,
                    tag: tag_opt,
                    value: String::new(),
                    style: ScalarStyle::Plain,
                },
                start_mark,
            ));
        }
        Err(parser_error_context(
            start_mark,
            "did not find expected node content",
            token.start_mark,
        ))
    }

    fn parse_block_sequence_entry(&mut self, first: bool) -> Res<Event> {
        if first {
            let token = self.peek()?;
            self.marks.push(token.start_mark);
            self.skip_token();
        }
        let token = self.peek()?;
        if token.typ == TokenType::BlockEntry {
            let mark = token.end_mark;
            let prior_head_len = self.head_comment.len();
            self.skip_token();
            self.split_stem_comment(prior_head_len);
            let token = self.peek()?;
            if token.typ != TokenType::BlockEntry && token.typ != TokenType::BlockEnd {
                self.states.push(State::BlockSequenceEntry);
                return self.parse_node(true, false);
            }
            self.state = State::BlockSequenceEntry;
            return Ok(Self::empty_scalar(mark));
        }
        if token.typ == TokenType::BlockEnd {
            self.pop_state();
            self.marks.pop();
            self.skip_token();
            return Ok(Self::event(EventData::SequenceEnd, token.start_mark));
        }
        let context = self.marks.pop().unwrap_or_default();
        Err(parser_error_context(
            context,
            "did not find expected '-' indicator",
            token.start_mark,
        ))
    }

    fn parse_indentless_sequence_entry(&mut self) -> Res<Event> {
        let token = self.peek()?;
        if token.typ == TokenType::BlockEntry {
            let mark = token.end_mark;
            let prior_head_len = self.head_comment.len();
            self.skip_token();
            self.split_stem_comment(prior_head_len);
            let token = self.peek()?;
            if !matches!(
                token.typ,
                TokenType::BlockEntry | TokenType::Key | TokenType::Value | TokenType::BlockEnd
            ) {
                self.states.push(State::IndentlessSequenceEntry);
                return self.parse_node(true, false);
            }
            self.state = State::IndentlessSequenceEntry;
            return Ok(Self::empty_scalar(mark));
        }
        self.pop_state();
        Ok(Self::event(EventData::SequenceEnd, token.start_mark))
    }

    fn parse_block_mapping_key(&mut self, first: bool) -> Res<Event> {
        if first {
            let token = self.peek()?;
            self.marks.push(token.start_mark);
            self.skip_token();
        }
        let token = self.peek()?;
        if token.typ == TokenType::Key {
            let mark = token.end_mark;
            self.skip_token();
            let token = self.peek()?;
            if !matches!(
                token.typ,
                TokenType::Key | TokenType::Value | TokenType::BlockEnd
            ) {
                self.states.push(State::BlockMappingValue);
                return self.parse_node(true, true);
            }
            self.state = State::BlockMappingValue;
            return Ok(Self::empty_scalar(mark));
        } else if token.typ == TokenType::BlockEnd {
            self.pop_state();
            self.marks.pop();
            self.set_event_comments();
            self.skip_token();
            return Ok(Self::event(EventData::MappingEnd, token.start_mark));
        }
        let context = self.marks.pop().unwrap_or_default();
        Err(parser_error_context(
            context,
            "did not find expected key",
            token.start_mark,
        ))
    }

    fn parse_block_mapping_value(&mut self) -> Res<Event> {
        let token = self.peek()?;
        if token.typ == TokenType::Value {
            let mark = token.end_mark;
            self.skip_token();
            let token = self.peek()?;
            if !matches!(
                token.typ,
                TokenType::Key | TokenType::Value | TokenType::BlockEnd
            ) {
                self.states.push(State::BlockMappingKey);
                return self.parse_node(true, true);
            }
            self.state = State::BlockMappingKey;
            return Ok(Self::empty_scalar(mark));
        }
        self.state = State::BlockMappingKey;
        Ok(Self::empty_scalar(token.start_mark))
    }

    fn parse_flow_sequence_entry(&mut self, first: bool) -> Res<Event> {
        if first {
            let token = self.peek()?;
            self.marks.push(token.start_mark);
            self.skip_token();
        }
        let mut token = self.peek()?;
        if token.typ != TokenType::FlowSequenceEnd {
            if !first {
                if token.typ == TokenType::FlowEntry {
                    self.skip_token();
                    token = self.peek()?;
                } else {
                    let context = self.marks.pop().unwrap_or_default();
                    return Err(parser_error_context(
                        context,
                        "did not find expected ',' or ']'",
                        token.start_mark,
                    ));
                }
            }
            if token.typ == TokenType::Key {
                self.state = State::FlowSequenceEntryMappingKey;
                self.skip_token();
                return Ok(Self::event(
                    EventData::MappingStart {
                        anchor: None,
                        tag: None,
                    },
                    token.start_mark,
                ));
            } else if token.typ != TokenType::FlowSequenceEnd {
                self.states.push(State::FlowSequenceEntry);
                return self.parse_node(false, false);
            }
        }
        self.pop_state();
        self.marks.pop();
        self.set_event_comments();
        self.skip_token();
        Ok(Self::event(EventData::SequenceEnd, token.start_mark))
    }

    fn parse_flow_sequence_entry_mapping_key(&mut self) -> Res<Event> {
        let token = self.peek()?;
        if !matches!(
            token.typ,
            TokenType::Value | TokenType::FlowEntry | TokenType::FlowSequenceEnd
        ) {
            self.states.push(State::FlowSequenceEntryMappingValue);
            return self.parse_node(false, false);
        }
        let mark = token.end_mark;
        self.skip_token();
        self.state = State::FlowSequenceEntryMappingValue;
        Ok(Self::empty_scalar(mark))
    }

    fn parse_flow_sequence_entry_mapping_value(&mut self) -> Res<Event> {
        let token = self.peek()?;
        if token.typ == TokenType::Value {
            self.skip_token();
            let next = self.peek()?;
            if next.typ != TokenType::FlowEntry && next.typ != TokenType::FlowSequenceEnd {
                self.states.push(State::FlowSequenceEntryMappingEnd);
                return self.parse_node(false, false);
            }
        }
        self.state = State::FlowSequenceEntryMappingEnd;
        Ok(Self::empty_scalar(token.start_mark))
    }

    fn parse_flow_sequence_entry_mapping_end(&mut self) -> Res<Event> {
        let token = self.peek()?;
        self.state = State::FlowSequenceEntry;
        Ok(Self::event(EventData::MappingEnd, token.start_mark))
    }

    fn parse_flow_mapping_key(&mut self, first: bool) -> Res<Event> {
        if first {
            let token = self.peek()?;
            self.marks.push(token.start_mark);
            self.skip_token();
        }
        let mut token = self.peek()?;
        if token.typ != TokenType::FlowMappingEnd {
            if !first {
                if token.typ == TokenType::FlowEntry {
                    self.skip_token();
                    token = self.peek()?;
                } else {
                    let context = self.marks.pop().unwrap_or_default();
                    return Err(parser_error_context(
                        context,
                        "did not find expected ',' or '}'",
                        token.start_mark,
                    ));
                }
            }
            if token.typ == TokenType::Key {
                self.skip_token();
                let token = self.peek()?;
                if !matches!(
                    token.typ,
                    TokenType::Value | TokenType::FlowEntry | TokenType::FlowMappingEnd
                ) {
                    self.states.push(State::FlowMappingValue);
                    return self.parse_node(false, false);
                }
                self.state = State::FlowMappingValue;
                return Ok(Self::empty_scalar(token.start_mark));
            } else if token.typ != TokenType::FlowMappingEnd {
                self.states.push(State::FlowMappingEmptyValue);
                return self.parse_node(false, false);
            }
        }
        self.pop_state();
        self.marks.pop();
        self.set_event_comments();
        self.skip_token();
        Ok(Self::event(EventData::MappingEnd, token.start_mark))
    }

    fn parse_flow_mapping_value(&mut self, empty: bool) -> Res<Event> {
        let token = self.peek()?;
        if empty {
            self.state = State::FlowMappingKey;
            return Ok(Self::empty_scalar(token.start_mark));
        }
        if token.typ == TokenType::Value {
            self.skip_token();
            let next = self.peek()?;
            if next.typ != TokenType::FlowEntry && next.typ != TokenType::FlowMappingEnd {
                self.states.push(State::FlowMappingKey);
                return self.parse_node(false, false);
            }
            self.state = State::FlowMappingKey;
            return Ok(Self::empty_scalar(next.start_mark));
        }
        self.state = State::FlowMappingKey;
        Ok(Self::empty_scalar(token.start_mark))
    }

    fn empty_scalar(mark: Mark) -> Event {
        Self::event(
            EventData::Scalar {
                anchor: None,
                tag: None,
                value: String::new(),
                style: ScalarStyle::Plain,
            },
            mark,
        )
    }

    fn process_directives(&mut self) -> Res<()> {
        let mut have_version = false;
        let mut token = self.peek()?;
        while matches!(
            token.typ,
            TokenType::VersionDirective | TokenType::TagDirective
        ) {
            if token.typ == TokenType::VersionDirective {
                if have_version {
                    return Err(parser_error(
                        "found duplicate %YAML directive",
                        token.start_mark,
                    ));
                }
                if token.major != 1 || token.minor != 1 {
                    return Err(parser_error(
                        "found incompatible YAML document",
                        token.start_mark,
                    ));
                }
                have_version = true;
            } else {
                self.append_tag_directive(
                    token.value.clone(),
                    token.prefix.clone(),
                    false,
                    token.start_mark,
                )?;
            }
            self.skip_token();
            token = self.peek()?;
        }
        self.append_tag_directive("!".to_owned(), "!".to_owned(), true, token.start_mark)?;
        self.append_tag_directive(
            "!!".to_owned(),
            "tag:yaml.org,2002:".to_owned(),
            true,
            token.start_mark,
        )?;
        Ok(())
    }

    fn append_tag_directive(
        &mut self,
        handle: String,
        prefix: String,
        allow_duplicates: bool,
        mark: Mark,
    ) -> Res<()> {
        if self.tag_directives.iter().any(|(h, _)| *h == handle) {
            if allow_duplicates {
                return Ok(());
            }
            return Err(parser_error("found duplicate %TAG directive", mark));
        }
        self.tag_directives.push((handle, prefix));
        Ok(())
    }
}
