//! libtrust `ParsePrettySignature(manifest, "signatures")` followed by `Payload()`: recovers the
//! unsigned docker schema 1 manifest from a signed ("pretty JWS") one, with libtrust's checks and error
//! texts, including the parse of each signature's `jwk` public key (`UnmarshalPublicKeyJWK`, whose `kid`
//! must match the key).
//!
//! Where libtrust panics (a negative `formatLength`, an RSA exponent longer than 4 bytes) this returns an
//! error instead.

use std::{cmp::Ordering, collections::HashMap};

use sha2::{Digest as _, Sha256};

use super::gojson::{self, Ctx, Cursor};
use crate::error::go_quote;

#[derive(Default)]
struct Block<'a> {
    protected: String,
    jwk: Option<&'a [u8]>,
}

/// The payload (unsigned manifest bytes) of a signed schema 1 manifest that passed `check_valid`.
pub(super) fn pretty_signature_payload(content: &[u8]) -> Result<Vec<u8>, String> {
    let mut c = Cursor::new(content);
    let mut sig_message = None;
    if c.peek() == b'{' {
        c.open();
        while let Some(k) = c.next_key() {
            let raw = c.skip_value();
            if k == "signatures" {
                sig_message = Some(raw);
            }
        }
    }
    let sig_message = sig_message.ok_or_else(|| "missing signature key".to_owned())?;
    let blocks =
        parse_blocks(sig_message).map_err(|e| format!("error unmarshalling signatures: {e}"))?;

    let mut format_length: i64 = 0;
    let mut format_tail: Vec<u8> = Vec::new();
    for block in &blocks {
        let protected = jose_base64url_decode(&block.protected)
            .map_err(|e| format!("base64 decode error: {e}"))?;
        let header = decode_interface_map(&protected)
            .map_err(|e| format!("error unmarshalling protected header: {e}"))?;
        let length = match header.get("formatLength") {
            Some(JVal::Num(f)) => go_float_to_int(*f),
            _ => return Err("missing formatted length".to_owned()),
        };
        let encoded_tail = match header.get("formatTail") {
            Some(JVal::Str(s)) => s,
            _ => return Err("missing formatted tail".to_owned()),
        };
        let tail = jose_base64url_decode(encoded_tail)
            .map_err(|e| format!("base64 decode error on tail: {e}"))?;
        if format_length == 0 {
            format_length = length;
        } else if format_length != length {
            return Err("conflicting format length".to_owned());
        }
        if format_tail.is_empty() {
            format_tail = tail;
        } else if format_tail != tail {
            return Err("conflicting format tail".to_owned());
        }
        if let Some(jwk) = block.jwk {
            unmarshal_public_key_jwk(jwk)
                .map_err(|e| format!("error unmarshalling public key: {e}"))?;
        }
    }
    // libtrust panics on a negative length; report it like an overlong one.
    let prefix = usize::try_from(format_length)
        .ok()
        .and_then(|n| content.get(..n))
        .ok_or_else(|| "invalid format length".to_owned())?;
    let mut payload = Vec::with_capacity(prefix.len() + format_tail.len());
    payload.extend_from_slice(prefix);
    payload.extend_from_slice(&format_tail);
    Ok(payload)
}

/// `json.Unmarshal(sigMessage, &[]jsParsedSignature)`.
fn parse_blocks(raw: &[u8]) -> Result<Vec<Block<'_>>, String> {
    let mut c = Cursor::new(raw);
    match c.peek() {
        b'n' => return Ok(Vec::new()),
        b'[' => c.open(),
        k => {
            return Err(gojson::type_error(
                gojson::kind_name(k),
                Ctx::Top,
                "[]libtrust.jsParsedSignature",
            ));
        }
    }
    let mut blocks = Vec::new();
    while c.next_elem() {
        let mut block = Block::default();
        match c.peek() {
            b'n' => {
                c.skip_value();
            }
            b'{' => {
                c.open();
                while let Some(k) = c.next_key() {
                    if gojson::field_matches(&k, "header") {
                        parse_header(&mut c, &mut block)?;
                    } else if gojson::field_matches(&k, "signature") {
                        let mut ignored = String::new();
                        c.string_into(&mut ignored, Ctx::Field("jsParsedSignature", "signature"))?;
                    } else if gojson::field_matches(&k, "protected") {
                        c.string_into(
                            &mut block.protected,
                            Ctx::Field("jsParsedSignature", "protected"),
                        )?;
                    } else {
                        c.skip_value();
                    }
                }
            }
            k => {
                return Err(gojson::type_error(
                    gojson::kind_name(k),
                    Ctx::Top,
                    "libtrust.jsParsedSignature",
                ));
            }
        }
        blocks.push(block);
    }
    Ok(blocks)
}

fn parse_header<'a>(c: &mut Cursor<'a>, block: &mut Block<'a>) -> Result<(), String> {
    match c.peek() {
        b'n' => {
            c.skip_value();
            return Ok(());
        }
        b'{' => c.open(),
        k => {
            c.skip_value();
            return Err(gojson::type_error(
                gojson::kind_name(k),
                Ctx::Field("jsParsedSignature", "header"),
                "libtrust.jsParsedHeader",
            ));
        }
    }
    while let Some(k) = c.next_key() {
        if gojson::field_matches(&k, "jwk") {
            block.jwk = Some(c.skip_value());
        } else if gojson::field_matches(&k, "alg") {
            let mut ignored = String::new();
            c.string_into(&mut ignored, Ctx::Field("jsParsedHeader", "header.alg"))?;
        } else if gojson::field_matches(&k, "x5c") {
            c.string_slice(Ctx::Field("jsParsedHeader", "header.x5c"))?;
        } else {
            c.skip_value();
        }
    }
    Ok(())
}

/// A value of a Go `map[string]interface{}` as far as libtrust looks at it.
enum JVal {
    Str(String),
    Num(f64),
    Other,
}

/// `json.Unmarshal(data, &map[string]interface{})`; `null` gives an empty map.
fn decode_interface_map(data: &[u8]) -> Result<HashMap<String, JVal>, String> {
    gojson::check_valid(data)?;
    let mut c = Cursor::new(data);
    let mut map = HashMap::new();
    match c.peek() {
        b'n' => return Ok(map),
        b'{' => c.open(),
        k => {
            return Err(gojson::type_error(
                gojson::kind_name(k),
                Ctx::Top,
                "map[string]interface {}",
            ));
        }
    }
    while let Some(k) = c.next_key() {
        let v = match c.peek() {
            b'"' => JVal::Str(c.string()),
            b'-' | b'0'..=b'9' => {
                let raw = c.skip_value();
                let s = std::str::from_utf8(raw).unwrap_or("");
                match s.parse::<f64>() {
                    Ok(f) if f.is_finite() => JVal::Num(f),
                    _ => {
                        return Err(gojson::type_error(
                            &format!("number {s}"),
                            Ctx::Top,
                            "float64",
                        ));
                    }
                }
            }
            _ => {
                c.any(Ctx::Top)?;
                JVal::Other
            }
        };
        map.insert(k, v);
    }
    Ok(map)
}

/// Go's `int(float64)` on amd64: truncation, out-of-range values become `math.MinInt64`.
fn go_float_to_int(f: f64) -> i64 {
    const LIMIT: f64 = 9_223_372_036_854_775_808.0; // 2^63
    if !(-LIMIT..LIMIT).contains(&f) {
        i64::MIN
    } else {
        f as i64
    }
}

/// libtrust `joseBase64UrlDecode`: spaces and newlines removed, missing padding added.
fn jose_base64url_decode(s: &str) -> Result<Vec<u8>, String> {
    let mut buf: Vec<u8> = s.bytes().filter(|&b| b != b'\n' && b != b' ').collect();
    match buf.len() % 4 {
        0 => {}
        2 => buf.extend_from_slice(b"=="),
        3 => buf.push(b'='),
        _ => return Err("illegal base64url string".to_owned()),
    }
    gojson::go_base64_decode(&buf, true).map_err(gojson::base64_error)
}

fn string_from_map<'m>(m: &'m HashMap<String, JVal>, key: &str) -> Result<&'m str, String> {
    match m.get(key) {
        None => Err(format!("{} value not specified", go_quote(key))),
        Some(JVal::Str(s)) => Ok(s),
        Some(_) => Err(format!("{} value must be a string", go_quote(key))),
    }
}

/// libtrust `UnmarshalPublicKeyJWK`, keeping only success or the error text.
fn unmarshal_public_key_jwk(data: &[u8]) -> Result<(), String> {
    let jwk = decode_interface_map(data)
        .map_err(|e| format!("decoding JWK Public Key JSON data: {e}\n"))?;
    let kty = string_from_map(&jwk, "kty").map_err(|e| format!("JWK Public Key type: {e}"))?;
    match kty {
        "EC" => ec_public_key_from_map(&jwk),
        "RSA" => rsa_public_key_from_map(&jwk),
        other => Err(format!(
            "JWK Public Key type not supported: {}\n",
            go_quote(other)
        )),
    }
}

struct Curve {
    byte_len: usize,
    oid: &'static [u8],
    p: &'static str,
    b: &'static str,
}

const P256: Curve = Curve {
    byte_len: 32,
    oid: &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07],
    p: "ffffffff00000001000000000000000000000000ffffffffffffffffffffffff",
    b: "5ac635d8aa3a93e7b3ebbd55769886bc651d06b0cc53b0f63bce3c3e27d2604b",
};
const P384: Curve = Curve {
    byte_len: 48,
    oid: &[0x2b, 0x81, 0x04, 0x00, 0x22],
    p: "fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffeffffffff0000000000000000ffffffff",
    b: "b3312fa7e23ee7e4988e056be3f82d19181d9c6efe8141120314088f5013875ac656398d8a2ed19d2a85c8edd3ec2aef",
};
const P521: Curve = Curve {
    byte_len: 66,
    oid: &[0x2b, 0x81, 0x04, 0x00, 0x23],
    p: "01ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
    b: "0051953eb9618e1c9a1f929a21a0b68540eea2da725b99b315f3b8b489918ef109e156193951ec7e937b1652c0bd3bb1bf073573df883d2c34f1ef451fd46b503f00",
};

fn ec_public_key_from_map(jwk: &HashMap<String, JVal>) -> Result<(), String> {
    let crv = string_from_map(jwk, "crv")
        .map_err(|e| format!("JWK EC Public Key curve identifier: {e}"))?;
    let curve = match crv {
        "P-256" => &P256,
        "P-384" => &P384,
        "P-521" => &P521,
        other => {
            return Err(format!(
                "JWK EC Public Key curve identifier not supported: {}\n",
                go_quote(other)
            ));
        }
    };
    let coordinate = |name: &str, what: &str| -> Result<Vec<u8>, String> {
        let s = string_from_map(jwk, name).map_err(|e| format!("JWK EC Public Key {what}: {e}"))?;
        let bytes = jose_base64url_decode(s)
            .map_err(|e| format!("JWK EC Public Key {what}: invalid base64 URL encoding: {e}"))?;
        if bytes.len() != curve.byte_len {
            return Err(format!(
                "JWK EC Public Key {what}: invalid number of octets: got {}, should be {}",
                bytes.len(),
                curve.byte_len
            ));
        }
        Ok(bytes)
    };
    let x = coordinate("x", "x-coordinate")?;
    let y = coordinate("y", "y-coordinate")?;
    if jwk.contains_key("kid") {
        let kid = string_from_map(jwk, "kid").map_err(|e| format!("JWK EC Public Key ID: {e}"))?;
        if kid != ec_key_id(curve, &x, &y) {
            return Err(format!("JWK EC Public Key ID does not match: {kid}"));
        }
    }
    Ok(())
}

fn rsa_public_key_from_map(jwk: &HashMap<String, JVal>) -> Result<(), String> {
    let n = string_from_map(jwk, "n").map_err(|e| format!("JWK RSA Public Key modulus: {e}"))?;
    let n = jose_base64url_decode(n)
        .map_err(|e| format!("JWK RSA Public Key modulus: invalid base64 URL encoding: {e}"))?;
    let e = string_from_map(jwk, "e").map_err(|e| format!("JWK RSA Public Key exponent: {e}"))?;
    let e = jose_base64url_decode(e)
        .map_err(|e| format!("JWK RSA Public Key exponent: invalid base64 URL encoding: {e}"))?;
    if e.len() > 4 {
        // libtrust panics here (negative slice length).
        return Err("JWK RSA Public Key exponent: exponent longer than 4 bytes".to_owned());
    }
    let e_value = e.iter().fold(0u32, |acc, &b| (acc << 8) | u32::from(b));
    if jwk.contains_key("kid") {
        let kid = string_from_map(jwk, "kid").map_err(|e| format!("JWK RSA Public Key ID: {e}"))?;
        if kid != rsa_key_id(&n, e_value) {
            return Err(format!("JWK RSA Public Key ID does not match: {kid}"));
        }
    }
    if jwk.contains_key("d") {
        return Err("JWK RSA Public Key cannot contain private exponent".to_owned());
    }
    Ok(())
}

fn der(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let len = content.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes = len.to_be_bytes();
        let skip = bytes.iter().take_while(|&&b| b == 0).count();
        out.push(0x80 | (bytes.len() - skip) as u8);
        out.extend_from_slice(&bytes[skip..]);
    }
    out.extend_from_slice(content);
    out
}

/// DER INTEGER of a non-negative big-endian magnitude.
fn der_uint(magnitude: &[u8]) -> Vec<u8> {
    let skip = magnitude.iter().take_while(|&&b| b == 0).count();
    let m = &magnitude[skip..];
    let mut content = Vec::with_capacity(m.len() + 1);
    if m.first().is_none_or(|&b| b & 0x80 != 0) {
        content.push(0);
    }
    content.extend_from_slice(m);
    der(0x02, &content)
}

/// libtrust `KeyID`: the first 240 bits of SHA-256 of the PKIX DER, base32 in groups of four.
fn key_id(spki: &[u8]) -> String {
    const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let hash = Sha256::digest(spki);
    let mut chars = String::with_capacity(60);
    let mut acc: u64 = 0;
    let mut bits = 0;
    for &b in &hash[..30] {
        acc = (acc << 8) | u64::from(b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            if !chars.is_empty() && (chars.len() + 1) % 5 == 0 {
                chars.push(':');
            }
            chars.push(char::from(ALPHABET[((acc >> bits) & 31) as usize]));
        }
    }
    chars
}

fn ec_key_id(curve: &Curve, x: &[u8], y: &[u8]) -> String {
    // Go's x509.MarshalPKIXPublicKey refuses points not on the curve; libtrust then uses "".
    if !on_curve(curve, x, y) {
        return String::new();
    }
    let mut alg = der(0x06, &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01]);
    alg.extend_from_slice(&der(0x06, curve.oid));
    let mut point = vec![0x00, 0x04];
    point.extend_from_slice(x);
    point.extend_from_slice(y);
    let mut spki = der(0x30, &alg);
    spki.extend_from_slice(&der(0x03, &point));
    key_id(&der(0x30, &spki))
}

fn rsa_key_id(n: &[u8], e: u32) -> String {
    let mut alg = der(
        0x06,
        &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01],
    );
    alg.extend_from_slice(&[0x05, 0x00]);
    let mut key = der_uint(n);
    key.extend_from_slice(&der_uint(&e.to_be_bytes()));
    let mut bits = vec![0x00];
    bits.extend_from_slice(&der(0x30, &key));
    let mut spki = der(0x30, &alg);
    spki.extend_from_slice(&der(0x03, &bits));
    key_id(&der(0x30, &spki))
}

// Minimal unsigned big integers (little-endian u64 limbs) for the on-curve check.

fn from_be(bytes: &[u8]) -> Vec<u64> {
    let mut limbs: Vec<u64> = bytes
        .rchunks(8)
        .map(|chunk| chunk.iter().fold(0u64, |acc, &b| (acc << 8) | u64::from(b)))
        .collect();
    trim(&mut limbs);
    limbs
}

fn from_hex(s: &str) -> Vec<u64> {
    let bytes: Vec<u8> = s
        .as_bytes()
        .chunks(2)
        .map(|p| {
            std::str::from_utf8(p)
                .ok()
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .unwrap_or(0)
        })
        .collect();
    from_be(&bytes)
}

fn trim(a: &mut Vec<u64>) {
    while a.last() == Some(&0) {
        a.pop();
    }
}

fn cmp(a: &[u64], b: &[u64]) -> Ordering {
    let (mut a, mut b) = (a.to_vec(), b.to_vec());
    trim(&mut a);
    trim(&mut b);
    a.len()
        .cmp(&b.len())
        .then_with(|| a.iter().rev().cmp(b.iter().rev()))
}

fn add(a: &[u64], b: &[u64]) -> Vec<u64> {
    let n = a.len().max(b.len());
    let mut out = Vec::with_capacity(n + 1);
    let mut carry = 0u128;
    for i in 0..n {
        let s = u128::from(a.get(i).copied().unwrap_or(0))
            + u128::from(b.get(i).copied().unwrap_or(0))
            + carry;
        out.push(s as u64);
        carry = s >> 64;
    }
    out.push(carry as u64);
    trim(&mut out);
    out
}

/// `a - b`, requires `a >= b`.
fn sub(a: &[u64], b: &[u64]) -> Vec<u64> {
    let mut out = Vec::with_capacity(a.len());
    let mut borrow = 0i128;
    for (i, &x) in a.iter().enumerate() {
        let mut d = i128::from(x) - i128::from(b.get(i).copied().unwrap_or(0)) - borrow;
        borrow = 0;
        if d < 0 {
            d += 1i128 << 64;
            borrow = 1;
        }
        out.push(d as u64);
    }
    trim(&mut out);
    out
}

fn mul(a: &[u64], b: &[u64]) -> Vec<u64> {
    let mut out = vec![0u64; a.len() + b.len() + 1];
    for (i, &x) in a.iter().enumerate() {
        let mut carry = 0u128;
        for (j, &y) in b.iter().enumerate() {
            let t = u128::from(x) * u128::from(y) + u128::from(out[i + j]) + carry;
            out[i + j] = t as u64;
            carry = t >> 64;
        }
        let mut k = i + b.len();
        while carry != 0 && k < out.len() {
            let t = u128::from(out[k]) + carry;
            out[k] = t as u64;
            carry = t >> 64;
            k += 1;
        }
    }
    trim(&mut out);
    out
}

fn modp(a: &[u64], p: &[u64]) -> Vec<u64> {
    let mut r: Vec<u64> = Vec::new();
    for i in (0..a.len() * 64).rev() {
        // r = 2r + bit
        let bit = (a[i / 64] >> (i % 64)) & 1;
        let mut carry = bit;
        for limb in r.iter_mut() {
            let next = *limb >> 63;
            *limb = (*limb << 1) | carry;
            carry = next;
        }
        if carry != 0 {
            r.push(carry);
        }
        if cmp(&r, p) != Ordering::Less {
            r = sub(&r, p);
        }
    }
    trim(&mut r);
    r
}

/// Whether `(x, y)` is a point of the curve (`y² = x³ − 3x + b mod p`, coordinates below `p`).
fn on_curve(curve: &Curve, x: &[u8], y: &[u8]) -> bool {
    let (p, b) = (from_hex(curve.p), from_hex(curve.b));
    let (x, y) = (from_be(x), from_be(y));
    if cmp(&x, &p) != Ordering::Less
        || cmp(&y, &p) != Ordering::Less
        || (x.is_empty() && y.is_empty())
    {
        return false;
    }
    let lhs = modp(&mul(&y, &y), &p);
    let x3 = modp(&mul(&modp(&mul(&x, &x), &p), &x), &p);
    let three_x = modp(&mul(&x, &[3]), &p);
    let rhs = modp(&add(&add(&x3, &sub(&p, &three_x)), &b), &p);
    cmp(&lhs, &rhs) == Ordering::Equal
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixture_ec_key_id() {
        let x = jose_base64url_decode("ReC5c0J9tgXSdUL4_xzEt5RsD8kFt2wWSgJcpAcOQx8").unwrap();
        let y = jose_base64url_decode("3sBGEqQ3ZMeqPKwQBAadN2toOUEASha18xa0WwsDF-M").unwrap();
        assert_eq!(
            ec_key_id(&P256, &x, &y),
            "OZ45:U3IG:TDOI:PMBD:NGP2:LDIW:II2U:PSBI:MMCZ:YZUP:TUUO:XPZT"
        );
        let mut bad = y.clone();
        bad[31] ^= 1;
        assert_eq!(ec_key_id(&P256, &x, &bad), "");
    }

    #[test]
    fn jose_decoding() {
        assert_eq!(jose_base64url_decode("Cn0").unwrap(), b"\n}");
        assert_eq!(jose_base64url_decode("Cn0=").unwrap(), b"\n}");
        assert_eq!(jose_base64url_decode("C n\n0").unwrap(), b"\n}");
        assert_eq!(
            jose_base64url_decode("Cn0==").unwrap_err(),
            "illegal base64url string"
        );
        assert_eq!(
            jose_base64url_decode("C+0=").unwrap_err(),
            "illegal base64 data at input byte 1"
        );
    }

    #[test]
    fn float_to_int() {
        assert_eq!(go_float_to_int(5.9), 5);
        assert_eq!(go_float_to_int(-0.5), 0);
        assert_eq!(go_float_to_int(1e300), i64::MIN);
    }
}
