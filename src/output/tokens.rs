//! The human view of a tokenization: the text cut at token boundaries (alternating colours on a
//! terminal), then one row per token with its id, vocabulary piece and the bytes it stands for.

use super::{Printer, Table};

/// Bytes as a quoted string: UTF-8 text with `\n`, `\t`, `\r`, control characters escaped;
/// bytes that are not UTF-8 (half a character) as `\xHH`.
pub fn escape_bytes(bytes: &[u8]) -> String {
    let mut out = String::new();
    for chunk in bytes.utf8_chunks() {
        for c in chunk.valid().chars() {
            match c {
                '\n' => out.push_str("\\n"),
                '\r' => out.push_str("\\r"),
                '\t' => out.push_str("\\t"),
                '\\' => out.push_str("\\\\"),
                c if c.is_control() => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
                c => out.push(c),
            }
        }
        for b in chunk.invalid() {
            out.push_str(&format!("\\x{b:02x}"));
        }
    }
    out
}

pub fn token_view(p: &Printer, ids: &[u32], tokens: &[String], pieces: &[Vec<u8>]) -> String {
    let mut out = String::new();
    if p.color && !ids.is_empty() {
        let colours = [console::Color::Color256(24), console::Color::Color256(58), console::Color::Color256(89)];
        for (i, piece) in pieces.iter().enumerate() {
            let text = escape_bytes(piece);
            out.push_str(&console::style(text).bg(colours[i % colours.len()]).white().to_string());
        }
        out.push_str("\n\n");
    }
    let mut t = Table::new(["ID", "TOKEN", "TEXT"]);
    for ((id, tok), piece) in ids.iter().zip(tokens).zip(pieces) {
        t.row([id.to_string(), tok.clone(), format!("\"{}\"", escape_bytes(piece))]);
    }
    out.push_str(&t.render(p.width()));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_control_and_partial_utf8() {
        assert_eq!(escape_bytes(b"a\nb\t"), "a\\nb\\t");
        assert_eq!(escape_bytes(&[0x20, 0xf0, 0x9f]), " \\xf0\\x9f");
        assert_eq!(escape_bytes("é🦀".as_bytes()), "é🦀");
    }
}
