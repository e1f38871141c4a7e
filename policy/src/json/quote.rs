//! Go's text formatting of values that appear in error messages: `strconv.Quote` (`%q`), the scanner's
//! `quoteChar`, and `%v` of a `float64`.

use std::fmt::Write as _;

use super::goprint::NOT_PRINTABLE;

/// Go's `strconv.IsPrint`.
pub(crate) fn is_go_printable(c: char) -> bool {
    let c = c as u32;
    if (0x20..0x7f).contains(&c) {
        return true;
    }
    // Binary search for a range containing c.
    let idx = NOT_PRINTABLE.partition_point(|&(_, hi)| hi < c);
    !matches!(NOT_PRINTABLE.get(idx), Some(&(lo, _)) if lo <= c)
}

fn push_quoted_rune(out: &mut String, c: char, quote: char) {
    match c {
        '\x07' => out.push_str("\\a"),
        '\x08' => out.push_str("\\b"),
        '\x0c' => out.push_str("\\f"),
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        '\x0b' => out.push_str("\\v"),
        '\\' => out.push_str("\\\\"),
        c if c == quote => {
            out.push('\\');
            out.push(c);
        }
        c if is_go_printable(c) => out.push(c),
        c if (c as u32) < 0x20 || c as u32 == 0x7f => {
            let _ = write!(out, "\\x{:02x}", c as u32);
        }
        c if (c as u32) < 0x10000 => {
            let _ = write!(out, "\\u{:04x}", c as u32);
        }
        c => {
            let _ = write!(out, "\\U{:08x}", c as u32);
        }
    }
}

/// Go's `strconv.Quote` (what `%q` and `%#v` print for a string).
pub(crate) fn go_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        push_quoted_rune(&mut out, c, '"');
    }
    out.push('"');
    out
}

/// The scanner's `quoteChar`: the byte taken as a code point (so `0xC2` prints as `Â`), in single quotes.
pub(crate) fn quote_char(c: u8) -> String {
    match c {
        b'\'' => "'\\''".to_owned(),
        b'"' => "'\"'".to_owned(),
        _ => {
            let mut out = String::from("'");
            push_quoted_rune(&mut out, char::from(c), '"');
            out.push('\'');
            out
        }
    }
}

/// Go's `%v` of a finite `float64`: `strconv.FormatFloat(f, 'g', -1, 64)` (shortest digits; exponent form when
/// the decimal exponent is < -4 or >= 6).
pub(crate) fn go_float_v(f: f64) -> String {
    if f == 0.0 {
        return if f.is_sign_negative() {
            "-0".to_owned()
        } else {
            "0".to_owned()
        };
    }
    // Rust's `{:e}` is the shortest representation that round-trips, as Go's precision -1.
    let e = format!("{f:e}");
    let (mantissa, exp) = e.split_once('e').unwrap_or((&e, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let (neg, mantissa) = match mantissa.strip_prefix('-') {
        Some(m) => (true, m),
        None => (false, mantissa),
    };
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    let mut out = String::new();
    if neg {
        out.push('-');
    }
    if !(-4..6).contains(&exp) {
        out.push_str(&digits[..1]);
        if digits.len() > 1 {
            out.push('.');
            out.push_str(&digits[1..]);
        }
        out.push('e');
        out.push(if exp < 0 { '-' } else { '+' });
        let _ = write!(out, "{:02}", exp.unsigned_abs());
    } else if exp < 0 {
        out.push_str("0.");
        for _ in 0..(-exp - 1) {
            out.push('0');
        }
        out.push_str(&digits);
    } else {
        let int_len = exp as usize + 1;
        if digits.len() <= int_len {
            out.push_str(&digits);
            for _ in digits.len()..int_len {
                out.push('0');
            }
        } else {
            out.push_str(&digits[..int_len]);
            out.push('.');
            out.push_str(&digits[int_len..]);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quote_like_go() {
        assert_eq!(go_quote("a\"b\\c\n"), r#""a\"b\\c\n""#);
        assert_eq!(go_quote("\x00\x7f"), r#""\x00\x7f""#);
        assert_eq!(go_quote("\u{200b}é\u{ad}"), r#""\u200bé\u00ad""#);
        assert_eq!(go_quote("\u{e0001}\u{1f600}"), "\"\\U000e0001\u{1f600}\"");
        assert_eq!(go_quote("\u{fffd}\u{a0}"), "\"\u{fffd}\\u00a0\"");
        assert_eq!(go_quote("'"), "\"'\"");
    }

    #[test]
    fn quote_char_like_go() {
        assert_eq!(quote_char(b'x'), "'x'");
        assert_eq!(quote_char(b'\''), "'\\''");
        assert_eq!(quote_char(b'"'), "'\"'");
        assert_eq!(quote_char(b'\n'), "'\\n'");
        assert_eq!(quote_char(0x80), "'\\u0080'");
        assert_eq!(quote_char(0xc3), "'Ã'");
        assert_eq!(quote_char(0xff), "'ÿ'");
    }

    #[test]
    fn floats_like_go() {
        let cases = [
            (1.0, "1"),
            (-1.5, "-1.5"),
            (1e21, "1e+21"),
            (1e20, "1e+20"),
            (123456789.0, "1.23456789e+08"),
            (100000.0, "100000"),
            (1000000.0, "1e+06"),
            (123456.5, "123456.5"),
            (0.0001, "0.0001"),
            (0.00001, "1e-05"),
            (1.25e-7, "1.25e-07"),
            (-0.0, "-0"),
            (5e-324, "5e-324"),
            (1.7976931348623157e308, "1.7976931348623157e+308"),
        ];
        for (f, want) in cases {
            assert_eq!(go_float_v(f), want, "{f}");
        }
    }
}
