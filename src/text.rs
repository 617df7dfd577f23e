//! Reader text made safe to show, wherever it goes (the digest's text and
//! HTML, results messages, the terminal): one line, no control or
//! bidirectional-override characters, bounded length; links limited to
//! http, https and mailto. Escaping HTML is the template engine's job.

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

/// "3 days ago", "5 hours ago", "just now".
pub(crate) fn age(secs: i64) -> String {
    let (n, unit) = match secs.max(0) {
        s if s < 3600 => return "just now".to_string(),
        s if s < 86_400 => (s / 3600, "hour"),
        s if s < 14 * 86_400 => (s / 86_400, "day"),
        s => (s / (7 * 86_400), "week"),
    };
    format!("{n} {unit}{} ago", if n == 1 { "" } else { "s" })
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn ages() {
        assert_eq!(age(10), "just now");
        assert_eq!(age(7200), "2 hours ago");
        assert_eq!(age(86_400), "1 day ago");
        assert_eq!(age(30 * 86_400), "4 weeks ago");
    }
}
