//! Reader text made safe to show, wherever it goes (the digest's text and
//! HTML, results messages, the terminal): one line, no control or
//! bidirectional-override characters, bounded length; links limited to
//! http, https and mailto. Escaping HTML is the template engine's job.
//!
//! What the command line prints passes through [`visible`] (text, by the
//! [`Visible`] writer) or [`json`] (JSON lines): a terminal only ever gets
//! text, never an escape sequence (ECMA-48 C0/C1 controls: CSI, OSC) or a
//! bidirectional override (UAX #9) that a mail put in a subject or a name.

use std::borrow::Cow;
use std::io::Write;

/// Reader text made safe to show: one line (no CR/LF to break a header or a
/// layout), no control or bidirectional-override characters (a terminal escape
/// or a reordered line could disguise it), at most `max` characters.
pub(crate) fn clip(s: &str, max: usize) -> String {
    let one_line = s
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .chars()
        .filter(|&c| !c.is_control() && !is_bidi_control(c))
        .collect::<String>();
    if one_line.chars().count() <= max {
        return one_line;
    }
    let mut out: String = one_line.chars().take(max).collect();
    out.push('…');
    out
}

/// Unicode bidirectional formatting characters (UAX #9): embeddings, overrides, isolates.
pub(crate) fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}')
}

/// Characters a terminal must not receive raw from mail, beside C0 and C1
/// controls: bidirectional formatting (UAX #9), and the invisible format
/// characters that can hide or reorder text (zero-width, word joiners,
/// line and paragraph separators, the byte order mark, interlinear annotations).
fn is_invisible_format(c: char) -> bool {
    is_bidi_control(c)
        || matches!(c, '\u{061C}' | '\u{200B}'..='\u{200D}' | '\u{2028}' | '\u{2029}' | '\u{2060}'..='\u{2064}' | '\u{FEFF}' | '\u{FFF9}'..='\u{FFFB}')
}

/// Must be shown as an escape rather than sent to a terminal: every control
/// character (C0 but the line feed, DEL, C1) and the invisible format ones.
fn needs_escape(c: char) -> bool {
    (c.is_control() && c != '\n') || is_invisible_format(c)
}

/// Mail-derived text as a terminal may show it: line feeds kept (a CR LF
/// line end, as quoted-printable decodes, is one), every other control
/// character as `\x1b` (C0, DEL) or `<U+009B>` (C1), and bidi and
/// invisible format characters as `<U+202E>`. Text with none is borrowed.
pub(crate) fn visible(s: &str) -> Cow<'_, str> {
    if !s.chars().any(needs_escape) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 16);
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\r' if chars.peek() == Some(&'\n') => {}
            c if !needs_escape(c) => out.push(c),
            c if (c as u32) < 0x80 => out.push_str(&format!("\\x{:02x}", c as u32)),
            c => out.push_str(&format!("<U+{:04X}>", c as u32)),
        }
    }
    Cow::Owned(out)
}

/// [`visible`] for one field of a one-line listing: a line feed is escaped too.
pub(crate) fn visible_line(s: &str) -> Cow<'_, str> {
    match visible(s) {
        Cow::Borrowed(b) if !b.contains('\n') => Cow::Borrowed(b),
        v => Cow::Owned(v.replace('\n', "\\x0a")),
    }
}

/// A writer for the terminal (standard output): every line passes through
/// [`visible`] before it is written, so nothing printed can reach the
/// terminal raw, whatever field it came from. Bytes are held until a line
/// ends (or `flush`), so a character is never split between two writes.
pub(crate) struct Visible<W: Write> {
    inner: W,
    pending: Vec<u8>,
}

impl<W: Write> Visible<W> {
    pub fn new(inner: W) -> Visible<W> {
        Visible {
            inner,
            pending: Vec::new(),
        }
    }

    fn write_lines(&mut self, all: bool) -> std::io::Result<()> {
        let end = if all {
            self.pending.len()
        } else {
            match memchr::memrchr(b'\n', &self.pending) {
                Some(i) => i + 1,
                None => return Ok(()),
            }
        };
        let text = String::from_utf8_lossy(&self.pending[..end]);
        self.inner.write_all(visible(&text).as_bytes())?;
        self.pending.drain(..end);
        Ok(())
    }
}

impl<W: Write> Write for Visible<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.pending.extend_from_slice(buf);
        if buf.contains(&b'\n') {
            self.write_lines(false)?;
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.write_lines(true)?;
        self.inner.flush()
    }
}

impl<W: Write> Drop for Visible<W> {
    fn drop(&mut self) {
        let _ = self.flush();
    }
}

/// serde_json's compact output, with DEL, C1 controls and bidi and invisible
/// format characters escaped as `\u202e` too (serde_json escapes only C0).
struct JsonEscapes;

impl serde_json::ser::Formatter for JsonEscapes {
    fn write_string_fragment<W: ?Sized + Write>(
        &mut self,
        w: &mut W,
        fragment: &str,
    ) -> std::io::Result<()> {
        let mut start = 0;
        for (i, c) in fragment.char_indices() {
            if needs_escape(c) {
                w.write_all(&fragment.as_bytes()[start..i])?;
                write!(w, "\\u{:04x}", c as u32)?;
                start = i + c.len_utf8();
            }
        }
        w.write_all(&fragment.as_bytes()[start..])
    }
}

/// One JSON line for the command line's `--json` output: nothing in it a
/// terminal would act on (see [`JsonEscapes`]), and still plain JSON.
pub(crate) fn json(value: &impl serde::Serialize) -> serde_json::Result<String> {
    let mut out = Vec::new();
    let mut ser = serde_json::Serializer::with_formatter(&mut out, JsonEscapes);
    value.serialize(&mut ser)?;
    // The formatter writes UTF-8 only.
    Ok(String::from_utf8(out).unwrap_or_default())
}

/// Only links a mail client may follow safely: http, https, mailto.
pub(crate) fn safe_link(url: &str) -> Option<String> {
    let u = url.trim();
    let lower = u.to_ascii_lowercase();
    let ok = (lower.starts_with("https://")
        || lower.starts_with("http://")
        || lower.starts_with("mailto:"))
        && !u
            .chars()
            .any(|c| c.is_control() || c.is_whitespace() || c == '"' || c == '<' || c == '>');
    ok.then(|| u.to_string())
}

/// A size for people: "3.0 MB", "2.0 GB", "512 bytes" (MB = 2^20 bytes).
pub(crate) fn bytes(n: u64) -> String {
    const MB: f64 = (1u64 << 20) as f64;
    match n {
        n if n >= 1 << 30 => format!("{:.1} GB", n as f64 / (MB * 1024.0)),
        n if n >= 1 << 20 => format!("{:.1} MB", n as f64 / MB),
        n if n >= 1 << 10 => format!("{:.1} KB", n as f64 / 1024.0),
        n => format!("{n} bytes"),
    }
}

/// "3 days ago", "5 hours ago", "just now".
pub(crate) fn age(secs: i64) -> String {
    if secs < 3600 {
        return "just now".to_string();
    }
    format!("{} ago", span(secs))
}

/// A length of time for people: "3 days", "5 hours", "2 weeks", "minutes".
pub(crate) fn span(secs: i64) -> String {
    let (n, unit) = match secs.max(0) {
        s if s < 3600 => return "minutes".to_string(),
        s if s < 86_400 => (s / 3600, "hour"),
        s if s < 14 * 86_400 => (s / 86_400, "day"),
        s => (s / (7 * 86_400), "week"),
    };
    format!("{n} {unit}{}", if n == 1 { "" } else { "s" })
}

/// Reader text as an excerpt: [`clip`]ped to one safe line, and when it is
/// longer than `max` characters, cut at the last word boundary before that,
/// with an ellipsis. A text that arrives already cut mid-word (it ends in
/// "…" right after a letter) loses the broken word.
pub(crate) fn excerpt(s: &str, max: usize) -> String {
    let line = clip(s, usize::MAX);
    let cut_before = line
        .strip_suffix('…')
        .filter(|head| head.ends_with(char::is_alphanumeric));
    let (body, cut) = match cut_before {
        Some(head) => (head.to_string(), true),
        None if line.chars().count() > max => (line.chars().take(max + 1).collect(), true),
        None => return line,
    };
    if !cut {
        return body;
    }
    // Drop the last (possibly broken) word, then trailing punctuation.
    let head = match body.rfind(char::is_whitespace) {
        Some(i) if body[..i].chars().count() * 2 >= body.chars().count() => &body[..i],
        _ => body.as_str(),
    };
    let head: String = head.chars().take(max).collect();
    let head = head.trim_end_matches(|c: char| c.is_whitespace() || ",;:-–—(".contains(c));
    format!("{head}…")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excerpts_end_at_a_word_with_an_ellipsis() {
        assert_eq!(excerpt("short enough", 40), "short enough");
        assert_eq!(
            excerpt("Which spam filter do you use, SpamAssassin or rspamd?", 40),
            "Which spam filter do you use…"
        );
        // Cut mid-word by someone else: the broken word goes.
        assert_eq!(
            excerpt("or did you move to rsp…", 200),
            "or did you move to…"
        );
        assert_eq!(excerpt("a whole sentence.…", 200), "a whole sentence.…");
        assert_eq!(excerpt(&"x".repeat(50), 10), format!("{}…", "x".repeat(10)));
        assert_eq!(span(3 * 86_400), "3 days");
        assert_eq!(age(3 * 86_400), "3 days ago");
    }

    #[test]
    fn only_safe_links() {
        assert!(safe_link("https://a.example/x").is_some());
        assert!(safe_link("mailto:a@b").is_some());
        assert!(safe_link("javascript:alert(1)").is_none());
        assert!(safe_link("JaVaScRiPt:alert(1)").is_none());
        assert!(safe_link("https://a.example/\"onmouseover=x").is_none());
        assert!(safe_link("data:text/html,x").is_none());
    }

    #[test]
    fn reader_text_is_one_line_without_control_or_bidi_characters() {
        let hostile = "Hi\r\nBcc: x@y\x1b[2J \u{202E}gnp.exe\u{202C} ok";
        let out = clip(hostile, 100);
        assert_eq!(out, "Hi Bcc: x@y[2J gnp.exe ok");
        assert_eq!(clip("abcdef", 3), "abc…");
    }

    #[test]
    fn a_terminal_gets_escapes_not_controls() {
        let hostile = "a\x1b]0;owned\x07b\u{9b}31mc\u{202E}d\re\tf\x7f\ng";
        assert_eq!(
            visible(hostile),
            "a\\x1b]0;owned\\x07b<U+009B>31mc<U+202E>d\\x0de\\x09f\\x7f\ng"
        );
        assert_eq!(visible_line("a\nb"), "a\\x0ab");
        // A CR LF line end is a line end; a lone CR is escaped.
        assert_eq!(visible("a\r\nb\rc\r"), "a\nb\\x0dc\\x0d");
        assert!(matches!(visible("plain, café"), Cow::Borrowed(_)));
        let mut out = Vec::new();
        {
            let mut w = Visible::new(&mut out);
            // A character split between two writes is still one character.
            let bytes = "x\u{202E}y\n\x1b".as_bytes();
            w.write_all(&bytes[..2]).unwrap();
            w.write_all(&bytes[2..]).unwrap();
        }
        assert_eq!(String::from_utf8(out).unwrap(), "x<U+202E>y\n\\x1b");
    }

    #[test]
    fn json_escapes_what_a_terminal_would_obey() {
        let v = serde_json::json!({"s": "a\x1b[2Jb\u{9b}c\u{202E}d\u{7f}é"});
        let line = json(&v).unwrap();
        assert_eq!(line, r#"{"s":"a\u001b[2Jb\u009bc\u202ed\u007fé"}"#);
        assert!(!line.chars().any(needs_escape));
        let back: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert_eq!(back, v);
    }

    #[test]
    fn ages() {
        assert_eq!(age(10), "just now");
        assert_eq!(age(7200), "2 hours ago");
        assert_eq!(age(86_400), "1 day ago");
        assert_eq!(age(30 * 86_400), "4 weeks ago");
    }
}
