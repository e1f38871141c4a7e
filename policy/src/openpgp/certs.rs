//! Reading key blocks out of a key blob the way `gpg --import` (GnuPG 2.2, as GPGME runs it) does.
//!
//! GnuPG's import is a stream reader, not a certificate parser, and its verdicts follow from that:
//!
//! * **Input form** (`armor.c` `check_input`): the first line decides. A blank first line, or one whose
//!   first two bytes do not look like an OpenPGP packet header (`is_armored`), selects ASCII armor; anything
//!   else is read as binary, to the end. In armor mode every `-----BEGIN PGP PUBLIC KEY BLOCK-----`
//!   (or `PRIVATE KEY BLOCK`, `SECRET KEY BLOCK`) block is decoded, junk between blocks is skipped, and the
//!   decoded blocks form **one** packet stream. Text after a binary keyring is read as packets.
//! * **Armor errors**: a malformed or wrong CRC makes every packet read after the failing chunk (8 KiB of
//!   decoded data) an error.
//! * **Packets** (`parse-packet.c`): field by field, with GnuPG's tolerance for reads past the end
//!   (missing bytes read as `0xff` in many places) and its errors elsewhere.
//! * **Blocks** (`import.c` `read_block`): a key block runs from a primary key packet to the next one.
//!   The first read error ends the import and **drops the block being read**; unknown packets, over-long
//!   comments and user IDs are skipped; v3 (or unknown-version) primary keys are skipped with everything
//!   up to the next primary key; a key revocation signature before any key is a revocation certificate.

use sequoia_openpgp::{Packet, packet::Signature, parse::Parse};

/// One unit `gpg --import` processes, in stream order.
pub(crate) enum Block {
    /// A transferable public or secret key: the packets gpg keeps for it (those sequoia can parse), with
    /// the primary key first.
    Key {
        /// The packets, primary key first.
        packets: Vec<Packet>,
        /// Whether the primary key packet is a secret key packet.
        secret: bool,
        /// How many secret subkey packets gpg read in the block (usable or not).
        secret_subkeys: usize,
    },
    /// A stand-alone key revocation certificate.
    Revocation(Box<Signature>),
}

/// The blocks gpg reads out of `blob`, up to its first read error (the block being read then is
/// dropped).
pub(crate) fn read_blocks(blob: &[u8]) -> Vec<Block> {
    let mut input = Input::new(decode(blob));
    let mut out = Vec::new();
    let mut pending: Option<Raw> = None;
    while let BlockEnd::Block(raws) = read_block(&mut input, &mut pending) {
        if let Some(block) = to_block(&input.s.data, &raws) {
            out.push(block);
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Input decoding (armor.c)

/// Decoded data, as the packet parser sees it.
struct Stream {
    data: Vec<u8>,
    /// Offset of the decoded chunk whose reading failed (armor CRC errors); reads at or after it
    /// make the packet being parsed an error.
    error_at: usize,
    /// Offsets at which a read sees one end-of-file and then continues (an armor read that returned no
    /// data without ending the input).
    soft_eofs: Vec<usize>,
    /// Offset at which reading makes gpg exit (a corrupt compressed stream: `log_fatal`).
    fatal_at: usize,
}

/// GnuPG's `MAX_LINELEN` for armored input.
const MAX_LINELEN: usize = 20000;
/// GnuPG's `IOBUF_BUFFER_SIZE`: the armor filter decodes at most this much per read.
const CHUNK: usize = 8192;

fn decode(blob: &[u8]) -> Stream {
    let mut armor = Armor {
        blob,
        pos: 0,
        buffer: Vec::new(),
        buffer_pos: 0,
        inp_checked: false,
        inp_bypass: false,
        crc: CRC_INIT,
        idx: 0,
        val: 0,
    };
    let mut stream = Stream {
        data: Vec::new(),
        error_at: usize::MAX,
        soft_eofs: Vec::new(),
        fatal_at: usize::MAX,
    };
    // Each iteration is one `underflow` of the iobuf above the armor filter.
    for _ in 0..blob.len().saturating_mul(2).saturating_add(16) {
        let (chunk, rc) = armor.underflow();
        match rc {
            Rc::Ok => {
                if chunk.is_empty() {
                    stream.soft_eofs.push(stream.data.len());
                }
                stream.data.extend_from_slice(&chunk);
            }
            Rc::Eof => {
                stream.data.extend_from_slice(&chunk);
                break;
            }
            Rc::Err => {
                stream.error_at = stream.data.len();
                stream.data.extend_from_slice(&chunk);
                break;
            }
        }
    }
    stream
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Rc {
    Ok,
    Eof,
    Err,
}

/// The state of GnuPG's armor filter (`armor_filter_context_t`) over the raw blob.
struct Armor<'a> {
    blob: &'a [u8],
    /// Read position in `blob`.
    pos: usize,
    /// The current line (`afx->buffer`), with its line feed.
    buffer: Vec<u8>,
    buffer_pos: usize,
    inp_checked: bool,
    inp_bypass: bool,
    crc: u32,
    idx: u8,
    val: u8,
}

const CRC_INIT: u32 = 0x00B7_04CE;

fn crc24(mut crc: u32, data: &[u8]) -> u32 {
    for &b in data {
        crc ^= u32::from(b) << 16;
        for _ in 0..8 {
            crc <<= 1;
            if crc & 0x0100_0000 != 0 {
                crc ^= 0x0186_4CFB;
            }
        }
    }
    crc & 0x00FF_FFFF
}

fn radix64_value(c: u8) -> Option<u8> {
    match c {
        b'A'..=b'Z' => Some(c - b'A'),
        b'a'..=b'z' => Some(c - b'a' + 26),
        b'0'..=b'9' => Some(c - b'0' + 52),
        b'+' => Some(62),
        b'/' => Some(63),
        _ => None,
    }
}

/// `is_armored`: whether the first two bytes do *not* look like the start of a binary packet.
fn is_armored(buf: &[u8]) -> bool {
    let ctb = buf.first().copied().unwrap_or(0);
    if ctb & 0x80 == 0 {
        return true;
    }
    let new_format = ctb & 0x40 != 0;
    let tag = if new_format {
        ctb & 0x3f
    } else {
        (ctb >> 2) & 0xf
    };
    let indeterminate_allowed = match tag {
        1 | 2 | 3 | 4 | 5 | 6 | 7 | 10 | 12 | 13 | 14 | 17 | 19 => false,
        8 | 9 | 18 | 11 | 16 | 61 | 63 => true,
        _ => return true,
    };
    if !indeterminate_allowed {
        let indeterminate = if new_format {
            let b = buf.get(1).copied().unwrap_or(0);
            (224..255).contains(&b)
        } else {
            ctb & 3 == 3
        };
        if indeterminate {
            return true;
        }
    }
    false
}

/// Armor header lines gpg accepts when importing keys (`head_strings` 1, 5 and 6).
fn is_key_armor_header(line: &[u8]) -> bool {
    if line.len() < 15 || !line.starts_with(b"-----") {
        return false;
    }
    // gpg works on a C string.
    let s = &line[..line.iter().position(|&b| b == 0).unwrap_or(line.len())];
    let Some(rel) = s
        .get(5..)
        .and_then(|t| t.windows(5).position(|w| w == b"-----"))
    else {
        return false;
    };
    let end = 5 + rel;
    let rest = &s[end + 5..];
    if !rest
        .iter()
        .all(|&b| matches!(b, b' ' | b'\r' | b'\n' | b'\t'))
    {
        return false;
    }
    matches!(
        &s[5..end],
        b"BEGIN PGP PUBLIC KEY BLOCK"
            | b"BEGIN PGP PRIVATE KEY BLOCK"
            | b"BEGIN PGP SECRET KEY BLOCK"
    )
}

impl Armor<'_> {
    /// `iobuf_read_line` with `MAX_LINELEN`: the next line with its line feed (empty at the end), and
    /// whether it was truncated.
    fn read_line(&mut self) -> (Vec<u8>, bool) {
        let rest = &self.blob[self.pos.min(self.blob.len())..];
        let nl = rest.iter().position(|&b| b == b'\n');
        let line_len = nl.map_or(rest.len(), |i| i + 1);
        if rest.len() >= MAX_LINELEN - 1 && nl.is_none_or(|i| i >= MAX_LINELEN - 1) {
            let mut line = rest[..MAX_LINELEN - 2].to_vec();
            line.push(b'\n');
            self.pos += line_len;
            return (line, true);
        }
        self.pos += line_len;
        (rest[..line_len].to_vec(), false)
    }

    /// Reads the next line into `buffer`, skipping truncated lines.
    fn next_line_untruncated(&mut self) {
        loop {
            let (line, truncated) = self.read_line();
            self.buffer = line;
            if !truncated {
                break;
            }
        }
    }

    fn underflow(&mut self) -> (Vec<u8>, Rc) {
        if self.inp_bypass {
            let mut out = self.buffer.get(self.buffer_pos..).unwrap_or(&[]).to_vec();
            self.buffer.clear();
            self.buffer_pos = 0;
            out.extend_from_slice(&self.blob[self.pos.min(self.blob.len())..]);
            self.pos = self.blob.len();
            let rc = if out.is_empty() { Rc::Eof } else { Rc::Ok };
            return (out, rc);
        }
        if !self.inp_checked {
            let rc = self.check_input();
            if self.inp_bypass {
                let out = self.buffer.get(self.buffer_pos..).unwrap_or(&[]).to_vec();
                self.buffer.clear();
                self.buffer_pos = 0;
                let rc = if out.is_empty() { Rc::Eof } else { Rc::Ok };
                return (out, rc);
            }
            if rc != Rc::Ok {
                return (Vec::new(), rc);
            }
        }
        self.radix64_read(CHUNK)
    }

    /// `check_input`: binary or armored; find the next key armor header and skip its header lines.
    fn check_input(&mut self) -> Rc {
        let (line, truncated) = self.read_line();
        self.buffer = line;
        if truncated {
            self.inp_checked = true;
            self.inp_bypass = true;
            return Rc::Ok;
        }
        if self.buffer.is_empty() {
            return Rc::Eof;
        }
        let first = self.buffer[0];
        let blank = first == b'\n' || (first == b'\r' && self.buffer.get(1) == Some(&b'\n'));
        if !blank && self.buffer.len() >= 2 && !is_armored(&self.buffer) {
            self.inp_checked = true;
            self.inp_bypass = true;
            return Rc::Ok;
        }
        while !self.buffer.is_empty() {
            if is_key_armor_header(&self.buffer) {
                break;
            }
            self.next_line_untruncated();
        }
        while !self.buffer.is_empty() {
            self.next_line_untruncated();
            if self.parse_header_line() <= 0 {
                break;
            }
        }
        self.inp_checked = true;
        self.crc = CRC_INIT;
        self.idx = 0;
        self.val = 0;
        Rc::Ok
    }

    /// `parse_header_line` on `buffer`: 0 for a blank line, -1 for an invalid header, 1 otherwise.
    fn parse_header_line(&mut self) -> i32 {
        let line = &self.buffer;
        let len2 = line.len()
            - line
                .iter()
                .rev()
                .take_while(|&&b| matches!(b, b' ' | b'\t' | b'\r' | b'\n'))
                .count();
        if len2 == 0 {
            self.buffer_pos = 0;
            return 0;
        }
        let cstr = &line[..line.iter().position(|&b| b == 0).unwrap_or(line.len())];
        match cstr.iter().position(|&b| b == b':') {
            Some(i) if matches!(cstr.get(i + 1), Some(b' ' | b'\n' | b'\r')) => 1,
            _ => -1,
        }
    }

    /// The next byte of the current line, reading further lines as needed; `None` at the end.
    fn next_char(&mut self) -> Option<u8> {
        loop {
            if let Some(&c) = self.buffer.get(self.buffer_pos) {
                self.buffer_pos += 1;
                return Some(c);
            }
            self.buffer_pos = 0;
            let (line, _) = self.read_line();
            self.buffer = line;
            if self.buffer.is_empty() {
                return None;
            }
        }
    }

    /// `radix64_read`.
    fn radix64_read(&mut self, size: usize) -> (Vec<u8>, Rc) {
        let mut out = Vec::new();
        let mut checkcrc = false;
        let mut onlypad = false;
        let mut idx = self.idx;
        let mut val = self.val;
        let mut last = 0u8;
        while out.len() < size {
            let Some(mut c) = self.next_char() else { break };
            last = c;
            loop {
                if matches!(c, b'\n' | b' ' | b'\r' | b'\t') {
                    break;
                }
                if c == b'=' {
                    let b = &self.buffer;
                    let p = self.buffer_pos;
                    if p + 2 < b.len() {
                        let (c1, c2, c3) = (b[p], b[p + 1], b[p + 2]);
                        if c1.is_ascii_hexdigit()
                            && c2.is_ascii_hexdigit()
                            && matches!(c3, b'=' | b'\n' | b'\r' | b'\t' | b' ')
                        {
                            let hex = |h: u8| (h as char).to_digit(16).unwrap_or(0) as u8;
                            c = (hex(c1) << 4) | hex(c2);
                            self.buffer_pos += 2;
                            continue;
                        }
                    }
                    if p + 6 < b.len()
                        && b[p] == b'3'
                        && b[p + 1] == b'D'
                        && b[p + 2..p + 6].iter().all(|&x| radix64_value(x).is_some())
                        && b[p + 6] == b'\n'
                    {
                        self.buffer_pos += 2;
                    }
                    if out.is_empty() {
                        onlypad = true;
                    }
                    if idx == 1 {
                        out.push(val);
                    }
                    checkcrc = true;
                    break;
                }
                let Some(v) = radix64_value(c) else { break };
                match idx {
                    0 => val = v << 2,
                    1 => {
                        val |= (v >> 4) & 3;
                        out.push(val);
                        val = (v << 4) & 0xf0;
                    }
                    2 => {
                        val |= (v >> 2) & 15;
                        out.push(val);
                        val = (v << 6) & 0xc0;
                    }
                    _ => {
                        val |= v & 0x3f;
                        out.push(val);
                    }
                }
                idx = (idx + 1) % 4;
                break;
            }
            if checkcrc {
                break;
            }
        }
        self.crc = crc24(self.crc, &out);
        self.idx = idx;
        self.val = val;
        let mut rc = Rc::Ok;
        if checkcrc {
            self.inp_checked = false;
            // Skip line ends and pad characters.
            let mut c = last;
            while let Some(n) = self.next_char() {
                c = n;
                if !matches!(c, b'\n' | b' ' | b'\r' | b'\t' | b'=') {
                    break;
                }
            }
            let mut mycrc = 0u32;
            let mut i = 0;
            let mut v8 = 0u8;
            while let Some(v) = radix64_value(c) {
                match i {
                    0 => v8 = v << 2,
                    1 => {
                        v8 |= (v >> 4) & 3;
                        mycrc |= u32::from(v8) << 16;
                        v8 = (v << 4) & 0xf0;
                    }
                    2 => {
                        v8 |= (v >> 2) & 15;
                        mycrc |= u32::from(v8) << 8;
                        v8 = (v << 6) & 0xc0;
                    }
                    _ => {
                        v8 |= v & 0x3f;
                        mycrc |= u32::from(v8);
                    }
                }
                match self.next_char() {
                    Some(n) => c = n,
                    None => break,
                }
                i += 1;
                if i >= 4 {
                    break;
                }
            }
            rc = if i == 0 {
                Rc::Ok
            } else if i != 4 || mycrc != self.crc {
                Rc::Err
            } else {
                Rc::Ok
            };
        }
        if out.is_empty() && !onlypad {
            rc = Rc::Eof;
        }
        (out, rc)
    }
}

// ---------------------------------------------------------------------------------------------
// Packet parsing (parse-packet.c)

/// A read position in the decoded stream, with GnuPG's `iobuf` semantics.
struct Input {
    s: Stream,
    pos: usize,
    soft: usize,
    /// Whether the packet being parsed read at or past `error_at`.
    hit_error: bool,
    /// Whether the packet being parsed hit the end of the data.
    hit_eof: bool,
    /// Whether gpg would have exited.
    fatal: bool,
}

const EOF_BYTE: u8 = 0xff;

impl Input {
    fn new(s: Stream) -> Self {
        Input {
            s,
            pos: 0,
            soft: 0,
            hit_error: false,
            hit_eof: false,
            fatal: false,
        }
    }

    /// `iobuf_get`.
    fn get(&mut self) -> Option<u8> {
        if self.pos >= self.s.fatal_at {
            self.fatal = true;
            self.hit_eof = true;
            return None;
        }
        if self.pos >= self.s.error_at {
            self.hit_error = true;
        }
        if self.s.soft_eofs.get(self.soft) == Some(&self.pos) {
            self.soft += 1;
            self.hit_eof = true;
            return None;
        }
        match self.s.data.get(self.pos) {
            Some(&b) => {
                self.pos += 1;
                Some(b)
            }
            None => {
                self.hit_eof = true;
                None
            }
        }
    }

    /// `iobuf_get_noeof`.
    fn noeof(&mut self) -> u8 {
        self.get().unwrap_or(EOF_BYTE)
    }

    fn read_16(&mut self) -> u64 {
        let a = u64::from(self.noeof());
        (a << 8) | u64::from(self.noeof())
    }

    fn read_32(&mut self) {
        for _ in 0..4 {
            self.noeof();
        }
    }

    /// Replaces `data[at..end]` (input a decompressor consumed) by `with` (its output), which is
    /// followed by one end of file, as gpg's iobuf reports when it pops the decompression filter.
    fn splice(&mut self, at: usize, end: usize, with: Vec<u8>) {
        let added = with.len();
        let removed = end - at;
        self.s.data.splice(at..end, with);
        let shift = |p: usize| p - removed + added;
        if self.s.error_at != usize::MAX && self.s.error_at >= at {
            self.s.error_at = if self.s.error_at >= end {
                shift(self.s.error_at)
            } else {
                at + added
            };
        }
        let (done, rest) = self
            .s
            .soft_eofs
            .split_at(self.soft.min(self.s.soft_eofs.len()));
        let mut soft: Vec<usize> = done.to_vec();
        soft.push(at + added);
        soft.extend(rest.iter().filter(|&&p| p >= end).map(|&p| shift(p)));
        self.s.soft_eofs = soft;
    }

    /// `iobuf_skip_rest` (not partial): reads up to `n` bytes, stopping at an end of file.
    fn skip(&mut self, n: u64) {
        self.read_exact(n);
    }

    /// `iobuf_read`: reads `n` bytes; whether they were all there (as `n` calls of [`Input::get`]).
    fn read_exact(&mut self, n: u64) -> bool {
        if n == 0 {
            return true;
        }
        let target = u64::try_from(self.pos)
            .unwrap_or(u64::MAX)
            .saturating_add(n);
        let target = usize::try_from(target).unwrap_or(usize::MAX);
        let soft = self
            .s
            .soft_eofs
            .get(self.soft)
            .copied()
            .unwrap_or(usize::MAX);
        let stop = target.min(self.s.data.len()).min(soft).min(self.s.fatal_at);
        // Positions `pos..stop` are read; at `stop < target` one more read finds the end.
        let last_tried = if stop < target { stop } else { stop - 1 };
        if last_tried >= self.s.error_at && (stop > self.pos || stop < target) {
            self.hit_error = true;
        }
        self.pos = stop;
        if stop < target {
            // The read at `stop` returns end of file (consuming a soft one).
            let _ = self.get();
            return false;
        }
        true
    }
}

/// A packet gpg parsed successfully.
#[derive(Clone, Copy)]
struct Raw {
    tag: u8,
    start: usize,
    end: usize,
    /// Whether its bytes are all there and can be handed to sequoia (gpg also accepts some damaged
    /// packets that can never be used: those are left out).
    usable: bool,
    /// For signatures: the signature class.
    sig_class: u8,
    /// For secret keys: the public key fields (`body..public_end`).
    body: usize,
    public_end: usize,
}

/// What `parse_packet` returned.
enum Step {
    /// -1: end of input.
    Eof,
    /// A read error: the import stops.
    Fail,
    /// An error `read_block` ignores (unknown packet, too large comment).
    Ignore,
    /// A too large user ID or attribute: skipped with the signatures after it.
    TooLarge,
    /// A primary key of version 2, 3 or unknown.
    Legacy,
    Packet(Raw),
}

/// `MAX_EXTERN_MPI_BITS`.
const MAX_MPI_BITS: u64 = 16384;

fn parse_packet(inp: &mut Input) -> Step {
    loop {
        inp.hit_error = false;
        inp.hit_eof = false;
        let step = parse_one(inp);
        if inp.fatal {
            return Step::Fail;
        }
        match step {
            None => continue, // skipped (type 0, ring trust)
            Some(Step::Packet(_)) if inp.hit_error => return Step::Fail,
            Some(Step::Packet(mut raw)) => {
                raw.usable &= !inp.hit_eof;
                return Step::Packet(raw);
            }
            Some(other) => return other,
        }
    }
}

/// One `parse()` call; `None` when the packet is skipped and parsing goes on.
fn parse_one(inp: &mut Input) -> Option<Step> {
    let start = inp.pos;
    let Some(ctb) = inp.get() else {
        return Some(Step::Eof);
    };
    if ctb & 0x80 == 0 {
        return Some(Step::Fail);
    }
    let mut partial = false;
    let mut pktlen: u64 = 0;
    let tag;
    if ctb & 0x40 != 0 {
        tag = ctb & 0x3f;
        let Some(c) = inp.get() else {
            return Some(Step::Fail);
        };
        if c < 192 {
            pktlen = u64::from(c);
        } else if c < 224 {
            let Some(c2) = inp.get() else {
                return Some(Step::Fail);
            };
            pktlen = (u64::from(c) - 192) * 256 + u64::from(c2) + 192;
        } else if c == 255 {
            for _ in 0..4 {
                let Some(b) = inp.get() else {
                    return Some(Step::Fail);
                };
                pktlen = (pktlen << 8) | u64::from(b);
            }
        } else {
            if !matches!(tag, 8 | 9 | 11 | 18 | 20) {
                return Some(Step::Fail);
            }
            partial = true;
            pktlen = 1 << (c & 0x1f);
        }
    } else {
        tag = (ctb >> 2) & 0xf;
        let lenbytes = if ctb & 3 == 3 { 0 } else { 1 << (ctb & 3) };
        if lenbytes == 0 {
            if !matches!(tag, 8 | 9 | 11) {
                return Some(Step::Fail);
            }
            if tag == 8 {
                return Some(compressed(inp));
            }
            // Indeterminate: to the end.
            let rest = inp.s.data.len().saturating_sub(inp.pos);
            inp.skip(rest as u64);
            return Some(Step::Ignore);
        }
        for _ in 0..lenbytes {
            let Some(b) = inp.get() else {
                return Some(Step::Fail);
            };
            pktlen = (pktlen << 8) | u64::from(b);
        }
    }
    if tag == 63 && pktlen == 0xFFFF_FFFF {
        // gpg exits ("garbled packet").
        return Some(Step::Fail);
    }
    if partial {
        if tag == 8 {
            // Not de-chunked: the decompressor sees the chunk headers (and fails on them).
            return Some(compressed(inp));
        }
        skip_partial(inp, pktlen);
        return Some(Step::Ignore);
    }
    if tag == 0 {
        inp.skip(pktlen);
        return None;
    }
    let body_start = inp.pos;
    let end = body_start as u64 + pktlen;
    let mut raw = Raw {
        tag,
        start,
        end: usize::try_from(end).unwrap_or(usize::MAX),
        usable: end <= inp.s.data.len() as u64,
        sig_class: 0,
        body: body_start,
        public_end: 0,
    };
    let step = match tag {
        5 | 6 | 7 | 14 => parse_key(inp, tag, pktlen, &mut raw),
        2 => parse_signature(inp, pktlen, &mut raw),
        13 => {
            if pktlen > 2 * 1024 {
                inp.skip(pktlen);
                Step::TooLarge
            } else {
                inp.skip(pktlen);
                Step::Packet(raw)
            }
        }
        17 => {
            if pktlen > 16 * 1024 * 1024 {
                inp.skip(pktlen);
                Step::TooLarge
            } else {
                inp.skip(pktlen);
                Step::Packet(raw)
            }
        }
        16 | 61 => {
            inp.skip(pktlen);
            if pktlen > 64 * 1024 {
                Step::Ignore
            } else {
                raw.usable = false;
                Step::Packet(raw)
            }
        }
        12 => {
            // Ring trust: merged into the previous packet; parsing goes on.
            inp.skip(pktlen);
            return None;
        }
        10 => {
            let ok = pktlen == 3
                && inp.get() == Some(b'P')
                && inp.get() == Some(b'G')
                && inp.get() == Some(b'P');
            if ok {
                raw.usable = false;
                Step::Packet(raw)
            } else {
                let consumed = (inp.pos - body_start) as u64;
                inp.skip(pktlen.saturating_sub(consumed));
                Step::Fail
            }
        }
        8 => compressed(inp),
        1 => parse_pubkey_enc(inp, pktlen),
        3 => parse_symkey_enc(inp, pktlen),
        4 => {
            let ok = pktlen >= 13 && inp.noeof() == 3;
            if ok {
                inp.skip(pktlen - 1);
                Step::Ignore
            } else {
                inp.skip(pktlen.saturating_sub(1));
                Step::Fail
            }
        }
        // Literal and encrypted data: gpg reads the header; the body stays in the stream and is read
        // as packets.
        11 => {
            if pktlen < 6 {
                Step::Fail
            } else {
                inp.noeof();
                let namelen = inp.noeof();
                let mut len = pktlen - 2;
                let mut i = 0;
                while len > 4 && i < namelen {
                    inp.noeof();
                    len -= 1;
                    i += 1;
                }
                inp.read_32();
                Step::Ignore
            }
        }
        9 => {
            if pktlen < 10 {
                inp.skip(pktlen);
                Step::Fail
            } else {
                Step::Ignore
            }
        }
        18 => {
            if inp.noeof() != 1 {
                Step::Fail
            } else if pktlen.wrapping_sub(1) < 10 {
                inp.skip(pktlen.wrapping_sub(1));
                Step::Fail
            } else {
                Step::Ignore
            }
        }
        20 => {
            if pktlen < 19 {
                inp.skip(pktlen);
                Step::Fail
            } else if inp.noeof() != 1 {
                Step::Fail
            } else {
                for _ in 0..3 {
                    inp.noeof();
                }
                Step::Ignore
            }
        }
        19 => {
            if ctb & 0x40 == 0 || pktlen != 20 {
                Step::Fail
            } else {
                inp.skip(pktlen);
                Step::Ignore
            }
        }
        // gpg's control packets carry a per-process random marker: anything read is rejected.
        63 => {
            inp.skip(pktlen);
            Step::Fail
        }
        _ => {
            inp.skip(pktlen);
            return Some(Step::Ignore);
        }
    };
    // Data packets gpg parses without error are dropped by `read_block` like any other packet that
    // does not belong in a key block (but, unlike unknown packets, after the check for a pending read
    // error).
    Some(match step {
        Step::Ignore if !keyblock_packet(tag) && tag != 16 && tag != 61 => {
            raw.usable = false;
            Step::Packet(raw)
        }
        other => other,
    })
}

/// A compressed data packet (its algorithm byte is next): gpg pushes a decompressor onto the stream
/// and reads on from its output (`read_block`, `compress.c`). Algorithm 0 ("none") gets no filter: the
/// body is read as packets. BZip2 is not reproduced (treated as an error); unknown algorithms are one.
fn compressed(inp: &mut Input) -> Step {
    let algo = inp.noeof();
    let unused = |inp: &Input| {
        Step::Packet(Raw {
            tag: 8,
            start: inp.pos,
            end: inp.pos,
            usable: false,
            sig_class: 0,
            body: inp.pos,
            public_end: 0,
        })
    };
    match algo {
        0 => unused(inp),
        1 | 2 => {
            let Inflated { out, end, fatal } = inflate_like_gpg(&inp.s.data, inp.pos, algo == 1);
            let at = inp.pos;
            let len = out.len();
            inp.splice(at, end, out);
            if fatal {
                inp.s.fatal_at = at + len;
            }
            unused(inp)
        }
        _ => Step::Fail,
    }
}

/// Upper bound on decompressed key data (a guard against compression bombs; gpg has none).
const MAX_INFLATED: usize = 64 << 20;
/// `compress.c`'s input buffer size: the decompressor reads its input in chunks of this size and
/// drops what is left of the last chunk when the compressed stream ends.
const INFLATE_CHUNK: usize = 2048;

/// What gpg's decompression filter delivers.
struct Inflated {
    out: Vec<u8>,
    /// End of the input it consumed.
    end: usize,
    /// Whether reading past `out` makes gpg exit (corrupt data: `log_fatal`).
    fatal: bool,
}

/// `compress_filter`'s output buffer (the iobuf buffer size): the data of the read that hits corrupt
/// input never reaches the parser.
const INFLATE_OUT_CHUNK: usize = 8192;

/// Inflates `data[start..]` as gpg's decompression filter does.
fn inflate_like_gpg(data: &[u8], start: usize, raw: bool) -> Inflated {
    use miniz_oxide::{
        DataFormat, MZError, MZFlush, MZStatus,
        inflate::stream::{InflateState, inflate},
    };
    let mut state = InflateState::new_boxed(if raw {
        DataFormat::Raw
    } else {
        DataFormat::Zlib
    });
    let mut out = Vec::new();
    let mut buf = vec![0u8; 32 * 1024];
    let mut pos = start.min(data.len());
    let mut dummy_bytes = 0;
    let fatal = |mut out: Vec<u8>, end: usize| {
        out.truncate(out.len() / INFLATE_OUT_CHUNK * INFLATE_OUT_CHUNK);
        Inflated {
            out,
            end,
            fatal: true,
        }
    };
    loop {
        let end = pos.saturating_add(INFLATE_CHUNK).min(data.len());
        let mut chunk = data.get(pos..end).unwrap_or_default().to_vec();
        pos = end;
        let short = chunk.len() < INFLATE_CHUNK;
        // For raw deflate gpg adds a dummy 0xff byte after a short read (up to four times).
        if short && raw && dummy_bytes < 4 {
            chunk.push(0xff);
            dummy_bytes += 1;
        }
        let mut input = &chunk[..];
        loop {
            let r = inflate(&mut state, input, &mut buf, MZFlush::None);
            out.extend_from_slice(buf.get(..r.bytes_written).unwrap_or_default());
            input = input.get(r.bytes_consumed..).unwrap_or_default();
            if out.len() > MAX_INFLATED {
                return fatal(out, pos);
            }
            match r.status {
                Ok(MZStatus::StreamEnd) => {
                    return Inflated {
                        out,
                        end: pos,
                        fatal: false,
                    };
                }
                Ok(_) if input.is_empty() && r.bytes_written < buf.len() => break,
                Ok(_) => {}
                Err(MZError::Buf) => break,
                Err(_) => return fatal(out, pos),
            }
        }
        if short && (!raw || dummy_bytes >= 4) {
            // The input ended inside the compressed stream: what was inflated, then the end.
            return Inflated {
                out,
                end: data.len(),
                fatal: false,
            };
        }
    }
}

/// `parse_pubkeyenc`.
fn parse_pubkey_enc(inp: &mut Input, pktlen: u64) -> Step {
    if pktlen < 12 {
        inp.skip(pktlen);
        return Step::Fail;
    }
    let mut len = pktlen;
    let version = inp.noeof();
    len -= 1;
    if version != 2 && version != 3 {
        inp.skip(len);
        return Step::Fail;
    }
    inp.read_32();
    inp.read_32();
    let algo = inp.noeof();
    len -= 9;
    let nenc = match algo {
        1..=3 => 1,
        16 | 18 | 20 => 2,
        _ => 0,
    };
    for i in 0..nenc {
        let ok = if algo == 18 && i == 1 {
            read_size_body(inp, &mut len)
        } else {
            mpi_read(inp, &mut len)
        };
        if !ok {
            inp.skip(len);
            return Step::Fail;
        }
    }
    inp.skip(len);
    Step::Ignore
}

/// `parse_symkeyenc`.
fn parse_symkey_enc(inp: &mut Input, pktlen: u64) -> Step {
    let mut len = pktlen;
    let fail = |inp: &mut Input, len: u64| {
        inp.skip(len);
        Step::Fail
    };
    if len < 4 {
        return fail(inp, len);
    }
    let version = inp.noeof();
    len -= 1;
    if (version != 4 && version != 5) || len > 200 {
        return fail(inp, len);
    }
    inp.noeof();
    len -= 1;
    if version == 5 {
        inp.noeof();
        len -= 1;
    }
    if len < 2 {
        return fail(inp, len);
    }
    let mode = inp.noeof();
    inp.noeof();
    len -= 2;
    let minlen = match mode {
        0 => 0,
        1 => 8,
        3 => 9,
        // gpg logs "unknown S2K mode" and goes on.
        _ => {
            inp.skip(len);
            return Step::Ignore;
        }
    };
    if minlen > len {
        return fail(inp, len);
    }
    inp.skip(len);
    Step::Ignore
}

/// Skips a body in partial-length mode, starting with a chunk of `first` bytes.
fn skip_partial(inp: &mut Input, first: u64) {
    let mut chunk = first;
    loop {
        if !inp.read_exact(chunk) {
            return;
        }
        let Some(c) = inp.get() else { return };
        if c < 192 {
            inp.skip(u64::from(c));
            return;
        } else if c < 224 {
            let Some(c2) = inp.get() else { return };
            inp.skip((u64::from(c) - 192) * 256 + u64::from(c2) + 192);
            return;
        } else if c == 255 {
            let mut n = 0u64;
            for _ in 0..4 {
                let Some(b) = inp.get() else { return };
                n = (n << 8) | u64::from(b);
            }
            inp.skip(n);
            return;
        }
        chunk = 1 << (c & 0x1f);
    }
}

/// `mpi_read`: whether an MPI of at most `*len` bytes was read; `*len` is reduced by what was read.
fn mpi_read(inp: &mut Input, len: &mut u64) -> bool {
    let nmax = *len;
    let mut nread = 0u64;
    let ok = (|| {
        if nmax == 0 {
            return false;
        }
        let Some(c1) = inp.get() else { return false };
        nread += 1;
        if nread == nmax {
            return false;
        }
        let Some(c2) = inp.get() else { return false };
        nread += 1;
        let nbits = (u64::from(c1) << 8) | u64::from(c2);
        if nbits > MAX_MPI_BITS {
            return false;
        }
        for _ in 0..nbits.div_ceil(8) {
            if nread == nmax {
                return false;
            }
            if inp.get().is_none() {
                return false;
            }
            nread += 1;
        }
        true
    })();
    *len = len.wrapping_sub(nread);
    ok
}

/// `read_size_body` (an ECC OID or KDF parameters).
fn read_size_body(inp: &mut Input, len: &mut u64) -> bool {
    if *len == 0 {
        return false;
    }
    let Some(c) = inp.get() else { return false };
    *len = len.wrapping_sub(1);
    let n = u64::from(c);
    if !(2..=254).contains(&n) || n > *len {
        return false;
    }
    for _ in 0..n {
        if inp.get().is_none() {
            return false;
        }
        *len = len.wrapping_sub(1);
    }
    true
}

fn parse_key(inp: &mut Input, tag: u8, pktlen: u64, raw: &mut Raw) -> Step {
    let primary = matches!(tag, 5 | 6);
    let mut len = pktlen;
    let version = inp.noeof();
    len = len.wrapping_sub(1);
    let fail = |inp: &mut Input, len: u64, step: Step| {
        inp.skip(len);
        step
    };
    if tag == 14 && version == b'#' {
        inp.skip(len);
        raw.usable = false;
        return Step::Packet(*raw);
    }
    if version != 4 {
        return fail(inp, len, if primary { Step::Legacy } else { Step::Fail });
    }
    if !(11..=256 * 1024).contains(&len) {
        return fail(inp, len, Step::Fail);
    }
    inp.read_32();
    len -= 4;
    let algo = inp.noeof();
    len -= 1;
    let npkey: usize = match algo {
        1..=3 => 2,
        16 | 20 | 18 => 3,
        17 => 4,
        19 | 22 => 2,
        _ => 0,
    };
    if npkey == 0 {
        // Unknown algorithm: the rest is kept opaque (a short read is no error).
        if !inp.read_exact(len) {
            raw.usable = false;
        }
        return Step::Packet(*raw);
    }
    for i in 0..npkey {
        let oid = (matches!(algo, 19 | 22) && i == 0) || (algo == 18 && (i == 0 || i == 2));
        let ok = if oid {
            read_size_body(inp, &mut len)
        } else {
            mpi_read(inp, &mut len)
        };
        if !ok {
            return fail(inp, len, Step::Fail);
        }
    }
    if matches!(tag, 5 | 7) {
        raw.public_end = inp.pos;
        let nskey = match algo {
            1..=3 => 6,
            16 | 20 | 18 => 4,
            17 => 5,
            _ => 3,
        };
        return match parse_secret_parts(inp, &mut len, npkey, nskey) {
            Some(true) => {
                inp.skip(len);
                Step::Packet(*raw)
            }
            // GNU stubs: gpg stops reading here without skipping the rest of the packet.
            Some(false) => Step::Packet(*raw),
            None => {
                inp.skip(len);
                Step::Fail
            }
        };
    }
    inp.skip(len);
    Step::Packet(*raw)
}

/// The secret part of a secret key packet: `None` on a parse error, `Some(false)` when gpg stops
/// reading the packet early (GNU stub modes 1001 and 1002).
fn parse_secret_parts(inp: &mut Input, len: &mut u64, npkey: usize, nskey: usize) -> Option<bool> {
    if *len < 1 {
        return None;
    }
    let usage = inp.noeof();
    *len -= 1;
    let mut mode: u32 = 0;
    let protected = usage != 0;
    if protected {
        let mut cipher = usage;
        let mut snlen: u64 = 0;
        if usage == 254 || usage == 255 {
            if *len < 3 {
                return None;
            }
            cipher = inp.noeof();
            mode = u32::from(inp.noeof());
            inp.noeof();
            *len -= 3;
            if mode == 101 {
                let mut temp = [0u8; 4];
                let mut i = 0;
                while i < 4 && *len > 0 {
                    temp[i] = inp.noeof();
                    i += 1;
                    *len -= 1;
                }
                if i < 4 || &temp[..3] != b"GNU" {
                    return None;
                }
                mode = 1000 + u32::from(temp[3]);
            }
            if mode == 1 || mode == 3 {
                let mut i = 0;
                while i < 8 && *len > 0 {
                    inp.noeof();
                    i += 1;
                    *len -= 1;
                }
                if i < 8 {
                    return None;
                }
            }
            if !matches!(mode, 0 | 1 | 3 | 1001 | 1002) {
                return None;
            }
            if mode == 3 {
                if *len < 1 {
                    return None;
                }
                inp.noeof();
                *len -= 1;
            } else if mode == 1002 {
                if *len < 1 {
                    return None;
                }
                let sn = inp.get();
                *len -= 1;
                match sn {
                    Some(n) if *len >= u64::from(n) => snlen = u64::from(n),
                    _ => return None,
                }
            }
        }
        let ivlen = match (mode, cipher) {
            (1001, _) => 0,
            (1002, _) => snlen.min(16),
            (_, 7..=13) => 16,
            _ => 8,
        };
        if *len < ivlen {
            return None;
        }
        for _ in 0..ivlen {
            inp.noeof();
        }
        *len -= ivlen;
    }
    if mode == 1001 || mode == 1002 {
        return Some(false);
    }
    if protected {
        if *len < 2 {
            return None;
        }
        // Read to the end of the packet (a short read is no error).
        inp.read_exact(*len);
        *len = 0;
        return Some(true);
    }
    let mut ok = true;
    for _ in npkey..nskey {
        if *len < 2 {
            return None;
        }
        ok &= mpi_read(inp, len);
    }
    if !ok || *len < 2 {
        return None;
    }
    inp.read_16();
    *len -= 2;
    Some(true)
}

fn parse_signature(inp: &mut Input, pktlen: u64, raw: &mut Raw) -> Step {
    let mut len = pktlen;
    if len < 16 {
        // gpg logs "too short" and returns success with an empty signature.
        inp.skip(len);
        raw.usable = false;
        return Step::Packet(*raw);
    }
    let underflow = |inp: &mut Input, len: u64| {
        inp.skip(len);
        Step::Fail
    };
    let version = inp.noeof();
    len -= 1;
    let v4 = version == 4;
    if !v4 && version != 2 && version != 3 {
        inp.skip(len);
        return Step::Fail;
    }
    if !v4 {
        if len == 0 {
            return underflow(inp, len);
        }
        inp.noeof();
        len -= 1;
    }
    if len == 0 {
        return underflow(inp, len);
    }
    raw.sig_class = inp.noeof();
    len -= 1;
    if !v4 {
        if len < 12 {
            return underflow(inp, len);
        }
        for _ in 0..3 {
            inp.read_32();
        }
        len -= 12;
    }
    if len < 2 {
        return underflow(inp, len);
    }
    let pk_algo = inp.noeof();
    inp.noeof();
    len -= 2;
    if v4 {
        for _ in 0..2 {
            if len < 2 {
                return underflow(inp, len);
            }
            let n = inp.read_16();
            len -= 2;
            if len < n {
                return underflow(inp, len);
            }
            if n > 10000 {
                inp.skip(len);
                return Step::Fail;
            }
            if n > 0 {
                if !inp.read_exact(n) {
                    // "premature eof while reading hashed signature data": gpg returns -1.
                    inp.skip(len - n);
                    return Step::Eof;
                }
                len -= n;
            }
        }
    }
    if len < 2 {
        return underflow(inp, len);
    }
    inp.noeof();
    inp.noeof();
    len -= 2;
    let ndata = match pk_algo {
        1..=3 => 1,
        17 | 19 | 20 | 22 => 2,
        _ => 0,
    };
    if ndata == 0 {
        if len > 5 * MAX_MPI_BITS / 8 {
            inp.skip(len);
            return Step::Fail;
        }
        if !inp.read_exact(len) {
            raw.usable = false;
        }
        return Step::Packet(*raw);
    }
    let mut ok = true;
    for _ in 0..ndata {
        ok &= mpi_read(inp, &mut len);
    }
    inp.skip(len);
    if ok { Step::Packet(*raw) } else { Step::Fail }
}

// ---------------------------------------------------------------------------------------------
// Key blocks (import.c read_block)

enum BlockEnd {
    Block(Vec<Raw>),
    Done,
}

/// Packet types `valid_keyblock_packet` keeps in a key block.
fn keyblock_packet(tag: u8) -> bool {
    matches!(tag, 2 | 5 | 6 | 7 | 13 | 14 | 17)
}

fn read_block(inp: &mut Input, pending: &mut Option<Raw>) -> BlockEnd {
    let mut root: Vec<Raw> = Vec::new();
    let mut in_cert = false;
    if let Some(p) = pending.take() {
        root.push(p);
        in_cert = true;
    }
    let mut in_v3key = false;
    let mut skip_sigs = false;
    loop {
        let raw = match parse_packet(inp) {
            Step::Eof => break,
            Step::Fail => return BlockEnd::Done,
            Step::Legacy => {
                in_v3key = true;
                continue;
            }
            Step::Ignore => {
                skip_sigs = false;
                continue;
            }
            Step::TooLarge => {
                skip_sigs = true;
                continue;
            }
            Step::Packet(raw) => raw,
        };
        if skip_sigs {
            if raw.tag == 2 {
                continue;
            }
            skip_sigs = false;
        }
        let primary = matches!(raw.tag, 5 | 6);
        if in_v3key && !primary {
            continue;
        }
        in_v3key = false;
        if root.is_empty() && raw.tag == 2 && raw.sig_class == 0x20 {
            return BlockEnd::Block(vec![raw]);
        }
        if primary {
            if in_cert {
                *pending = Some(raw);
                return BlockEnd::Block(root);
            }
            in_cert = true;
        }
        if in_cert && keyblock_packet(raw.tag) {
            root.push(raw);
        }
    }
    if root.is_empty() {
        BlockEnd::Done
    } else {
        BlockEnd::Block(root)
    }
}

/// The sequoia packets of a block gpg read (packets gpg accepted but that can never be used are left
/// out).
fn to_block(data: &[u8], raws: &[Raw]) -> Option<Block> {
    let first = raws.first()?;
    if first.tag == 2 {
        let bytes = data.get(first.start..first.end)?;
        return match Packet::from_bytes(bytes) {
            Ok(Packet::Signature(sig)) => Some(Block::Revocation(Box::new(sig))),
            _ => None,
        };
    }
    let mut packets = Vec::with_capacity(raws.len());
    for raw in raws.iter().filter(|r| r.usable) {
        let parsed = if matches!(raw.tag, 5 | 7) {
            // gpg imports the public part of a secret key (the secret part only goes to the agent,
            // unchecked): parse that part alone.
            let Some(public) = data.get(raw.body..raw.public_end) else {
                continue;
            };
            let mut bytes = vec![0xc0 | if raw.tag == 5 { 6 } else { 14 }, 0xff];
            bytes.extend_from_slice(&u32::try_from(public.len()).unwrap_or(0).to_be_bytes());
            bytes.extend_from_slice(public);
            Packet::from_bytes(&bytes)
        } else {
            let Some(bytes) = data.get(raw.start..raw.end) else {
                continue;
            };
            Packet::from_bytes(bytes)
        };
        if let Ok(p) = parsed {
            packets.push(p);
        }
    }
    Some(Block::Key {
        packets,
        secret: first.tag == 5,
        secret_subkeys: raws.iter().filter(|r| r.tag == 7).count(),
    })
}

// ---------------------------------------------------------------------------------------------
// Signing keys

/// Upper bound on the bytes one armor block may decode to (keys are kilobytes; this only stops hostile
/// input from exhausting memory).
const MAX_DEARMORED: u64 = 64 << 20;

/// Every certificate (public or secret) found in `blob`, in order, read leniently (for loading signing
/// keys, not for imitating gpg's import): binary data is parsed as a keyring; text is scanned for every
/// `-----BEGIN PGP …-----` armor block. Unparsable parts are skipped, never an error.
pub(crate) fn parse_certs(blob: &[u8]) -> Vec<sequoia_openpgp::Cert> {
    use std::io::Read;

    use sequoia_openpgp::{
        armor::{self, ReaderMode},
        cert::CertParser,
    };

    let parse_binary = |bin: &[u8], out: &mut Vec<sequoia_openpgp::Cert>| {
        if bin.is_empty() {
            return;
        }
        if let Ok(parser) = CertParser::from_bytes(bin) {
            out.extend(parser.flatten());
        }
    };
    let mut out = Vec::new();
    let blocks = armor_blocks(blob);
    if blocks.is_empty() {
        parse_binary(blob, &mut out);
    } else {
        for block in blocks {
            let mut reader = armor::Reader::from_bytes(block, ReaderMode::Tolerant(None));
            let mut bin = Vec::new();
            // A damaged block still yields what decoded before the damage.
            let _ = (&mut reader).take(MAX_DEARMORED).read_to_end(&mut bin);
            parse_binary(&bin, &mut out);
        }
    }
    out
}

/// The armor blocks (header line through footer line) in `blob`, if it contains any.
fn armor_blocks(blob: &[u8]) -> Vec<&[u8]> {
    const BEGIN: &[u8] = b"-----BEGIN PGP ";
    const END: &[u8] = b"-----END PGP ";
    let mut blocks = Vec::new();
    let mut pos = 0;
    while let Some(start) = find_line_starting(blob, pos, BEGIN) {
        let Some(end) = find_line_starting(blob, start + BEGIN.len(), END) else {
            blocks.push(&blob[start..]);
            break;
        };
        let line_end = blob[end..]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(blob.len(), |i| end + i + 1);
        blocks.push(&blob[start..line_end]);
        pos = line_end;
    }
    blocks
}

/// Offset of the first line at or after `from` that starts with `prefix`.
fn find_line_starting(blob: &[u8], from: usize, prefix: &[u8]) -> Option<usize> {
    let mut i = from;
    while i < blob.len() {
        let at_line_start = i == 0 || blob[i - 1] == b'\n';
        if at_line_start && blob[i..].starts_with(prefix) {
            return Some(i);
        }
        i += blob[i..]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(blob.len() - i, |n| n + 1);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(blob: &[u8]) -> usize {
        read_blocks(blob)
            .iter()
            .filter(|b| matches!(b, Block::Key { .. }))
            .count()
    }

    #[test]
    fn garbage_and_empty_read_nothing() {
        assert_eq!(keys(b"This is invalid"), 0);
        assert_eq!(keys(b""), 0);
        assert_eq!(keys(b"\n"), 0);
        assert_eq!(keys(&[0x99]), 0);
        let hostile: Vec<u8> = std::iter::repeat_n([0xa3u8, 0x00], 5000)
            .flatten()
            .collect();
        assert_eq!(keys(&hostile), 0);
    }

    #[test]
    fn armor_detection_follows_the_first_line() {
        // Old-format public key header: binary.
        assert!(!is_armored(&[0x99, 0x01]));
        // New-format user ID with a partial length: not binary.
        assert!(is_armored(&[0xcd, 0xe0]));
        assert!(is_armored(b"--"));
        assert!(is_key_armor_header(
            b"-----BEGIN PGP PUBLIC KEY BLOCK-----\n"
        ));
        assert!(is_key_armor_header(
            b"-----BEGIN PGP PRIVATE KEY BLOCK----- \t\r\n"
        ));
        assert!(!is_key_armor_header(b"-----BEGIN PGP SIGNATURE-----\n"));
        assert!(!is_key_armor_header(
            b"-----BEGIN PGP PUBLIC KEY BLOCK-----x\n"
        ));
    }

    #[test]
    fn crc24_matches_openpgp() {
        // The CRC of no data is the initial value ("=twTO").
        assert_eq!(crc24(CRC_INIT, b""), 0xB704CE);
        assert_eq!(crc24(CRC_INIT, b"a"), 0xF25713);
    }
}
