//! Walking an OpenPGP message once: literal data, signatures (with their digests computed by the
//! parser), one-pass signature issuers, and whether the input was OpenPGP at all.

use std::io::Read;

use sequoia_openpgp::{
    KeyID, Packet,
    armor::ReaderMode,
    packet::Signature,
    parse::{Dearmor, PacketParserBuilder, PacketParserResult, Parse},
};

/// Upper bound on literal data we keep (signature payloads are a few hundred bytes; this stops
/// decompression bombs).
pub(crate) const MAX_CONTENT: u64 = 32 << 20;

/// Container nesting we follow (gpg refuses deeper nesting too).
const MAX_DEPTH: u8 = 16;

/// What one pass over a message found.
#[derive(Debug, Default)]
pub(crate) struct Message {
    /// Whether at least one packet parsed: gpg's "valid OpenPGP data" (else it reports `No data`).
    pub(crate) any_packet: bool,
    /// The literal data (of the first literal data packet).
    pub(crate) content: Vec<u8>,
    /// Number of literal data packets.
    pub(crate) literal_count: usize,
    /// Whether the content was cut at [`MAX_CONTENT`].
    pub(crate) truncated: bool,
    /// Signature packets at message level, in order, with digests computed over the content where the
    /// parser could (one-pass signed, cleartext).
    pub(crate) signatures: Vec<Signature>,
    /// Issuer key IDs of the one-pass signature packets, in order.
    pub(crate) one_pass_issuers: Vec<KeyID>,
    /// Whether an encrypted container (or session key packet) was met.
    pub(crate) encrypted: bool,
    /// Whether the input was a cleartext-signed message.
    pub(crate) cleartext: bool,
    /// Whether parsing stopped at an error (truncated or malformed input).
    pub(crate) parse_error: bool,
    /// Whether key material was met: the input is a key block, whose self-signatures gpg does not
    /// count as message signatures.
    pub(crate) key_block: bool,
}

/// Parses `blob` (binary or armored, optionally cleartext-signed). Never fails: what could not be
/// parsed is reflected in the flags.
pub(crate) fn parse(blob: &[u8]) -> Message {
    let mut m = Message::default();
    let ppr = PacketParserBuilder::from_bytes(blob).and_then(|b| {
        b.max_recursion_depth(MAX_DEPTH)
            .dearmor(Dearmor::Auto(ReaderMode::Tolerant(None)))
            .process_csf_message(true)
            .build()
    });
    let mut ppr = match ppr {
        Ok(p) => p,
        Err(_) => {
            m.parse_error = true;
            return m;
        }
    };
    while let PacketParserResult::Some(mut pp) = ppr {
        if !matches!(pp.packet, Packet::Unknown(_)) {
            m.any_packet = true;
        }
        if pp.processing_csf_message() {
            m.cleartext = true;
        }
        match &pp.packet {
            Packet::Literal(_) => {
                m.literal_count += 1;
                if m.literal_count == 1 {
                    // Reading through the parser feeds the hashers of pending one-pass signatures.
                    let mut buf = Vec::new();
                    match (&mut pp).take(MAX_CONTENT + 1).read_to_end(&mut buf) {
                        Ok(_) => {
                            if buf.len() as u64 > MAX_CONTENT {
                                m.truncated = true;
                                buf.truncate(MAX_CONTENT as usize);
                            }
                            m.content = buf;
                        }
                        Err(_) => {
                            m.parse_error = true;
                            break;
                        }
                    }
                }
            }
            Packet::OnePassSig(ops) => m.one_pass_issuers.push(KeyID::from(ops.issuer())),
            Packet::PKESK(_) | Packet::SKESK(_) | Packet::SEIP(_) => m.encrypted = true,
            Packet::PublicKey(_)
            | Packet::SecretKey(_)
            | Packet::PublicSubkey(_)
            | Packet::SecretSubkey(_) => m.key_block = true,
            _ => {}
        }
        // Descend into compressed data; encrypted containers cannot be opened and are skipped.
        let step = if m.encrypted { pp.next() } else { pp.recurse() };
        match step {
            Ok((packet, next)) => {
                if let (Packet::Signature(sig), false) = (packet, m.key_block) {
                    m.signatures.push(sig);
                }
                ppr = next;
            }
            Err(_) => {
                m.parse_error = true;
                break;
            }
        }
    }
    m
}
