//! Reading certificates out of key blobs the way `gpg --import` does.

use std::io::Read;

use sequoia_openpgp::{
    Cert,
    armor::{self, ReaderMode},
    cert::CertParser,
    parse::Parse,
};

/// Upper bound on the bytes one armor block may decode to (keys are kilobytes; this only stops hostile
/// input from exhausting memory).
const MAX_DEARMORED: u64 = 64 << 20;

/// Every certificate (public or secret) found in `blob`, in order. Binary data is parsed as a keyring;
/// text is scanned for every `-----BEGIN PGP …-----` armor block (gpg imports all of them, with junk in
/// between ignored). Unparsable parts are skipped, never an error.
pub(crate) fn parse_certs(blob: &[u8]) -> Vec<Cert> {
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

fn parse_binary(bin: &[u8], out: &mut Vec<Cert>) {
    if bin.is_empty() {
        return;
    }
    let Ok(parser) = CertParser::from_bytes(bin) else {
        return;
    };
    out.extend(parser.flatten());
}

/// The armor blocks (header line through footer line) in `blob`, if it contains any.
pub(crate) fn armor_blocks(blob: &[u8]) -> Vec<&[u8]> {
    const BEGIN: &[u8] = b"-----BEGIN PGP ";
    const END: &[u8] = b"-----END PGP ";
    let mut blocks = Vec::new();
    let mut pos = 0;
    while let Some(start) = find_line_starting(blob, pos, BEGIN) {
        let Some(end) = find_line_starting(blob, start + BEGIN.len(), END) else {
            // Unterminated: let the tolerant reader do what it can.
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

    #[test]
    fn finds_blocks() {
        let text = b"junk\n-----BEGIN PGP PUBLIC KEY BLOCK-----\nabc\n-----END PGP PUBLIC KEY BLOCK-----\nmore\n-----BEGIN PGP PUBLIC KEY BLOCK-----\nx\n-----END PGP PUBLIC KEY BLOCK-----";
        let b = armor_blocks(text);
        assert_eq!(b.len(), 2);
        assert!(b[0].starts_with(b"-----BEGIN") && b[0].ends_with(b"BLOCK-----\n"));
        assert!(b[1].ends_with(b"BLOCK-----"));
        assert!(armor_blocks(b"This is invalid").is_empty());
        assert!(parse_certs(b"This is invalid").is_empty());
        assert!(parse_certs(b"").is_empty());
    }
}
