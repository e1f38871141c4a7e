//! Python-style `repr` pieces for the classes' `__repr__`.

/// A string literal as Python's `repr` writes it (single quotes unless the text has `'` and no `"`).
pub(crate) fn string(s: &str) -> String {
    let quote = if s.contains('\'') && !s.contains('"') {
        '"'
    } else {
        '\''
    };
    let mut out = String::with_capacity(s.len() + 2);
    out.push(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if c.is_control() => out.push_str(&format!("\\x{:02x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push(quote);
    out
}

/// `None` or a string literal.
pub(crate) fn opt(s: Option<&str>) -> String {
    s.map_or_else(|| "None".to_owned(), string)
}

/// `True` / `False`.
pub(crate) fn boolean(b: bool) -> &'static str {
    if b { "True" } else { "False" }
}

/// `None` or a number.
pub(crate) fn opt_num(n: Option<usize>) -> String {
    n.map_or_else(|| "None".to_owned(), |n| n.to_string())
}
