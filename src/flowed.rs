//! The digest's text part as `format=flowed` (RFC 3676), so a phone reflows
//! it to its own width and a terminal still shows tidy 72-column lines.
//!
//! Comes after `render.rs` (the text template) and before `send.rs` (which
//! labels the part `format=flowed; delsp=no`). A line longer than
//! [`WIDTH`] is cut at spaces into lines that end in a space (a soft break,
//! 4.1), keeping its indent; a word longer than the width (a URL) is never
//! broken and stands alone on its line. Every other line is hard: trailing
//! spaces are removed so it is not read as soft, except the signature
//! separator "-- " (4.3). Lines that start with a space, ">" or "From " are
//! space-stuffed (4.4), so a reader's client removes exactly one space.

/// The column a line is wrapped at (RFC 3676 4.2 recommends 66 to 78; 72
/// leaves room for a reply's "> " quoting).
pub(crate) const WIDTH: usize = 72;

/// `text` (lines separated by "\n") as flowed lines, separated by "\n".
pub(crate) fn flow(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 16);
    for line in text.lines() {
        let line = if line == "-- " { line } else { line.trim_end() };
        if line.chars().count() <= WIDTH {
            push_line(&mut out, line);
            continue;
        }
        let indent = &line[..line.len() - line.trim_start().len()];
        let mut current = indent.to_string();
        let mut width = indent.len();
        for (gap, word) in words(line.trim_start()) {
            let len = word.chars().count();
            if width > indent.len() && width + gap.len() + len > WIDTH {
                // A soft break: the line ends in a space (RFC 3676 4.2).
                current.push(' ');
                push_line(&mut out, &current);
                current = indent.to_string();
                width = indent.len();
            } else {
                current.push_str(gap);
                width += gap.len();
            }
            current.push_str(word);
            width += len;
        }
        push_line(&mut out, &current);
    }
    out
}

/// The words of a line, each with the spaces before it (kept inside a
/// line, so aligned columns stay aligned; a break drops them).
fn words(line: &str) -> impl Iterator<Item = (&str, &str)> {
    let mut rest = line;
    std::iter::from_fn(move || {
        let word_at = rest.find(|c| c != ' ')?;
        let gap = &rest[..word_at];
        let end = rest[word_at..]
            .find(' ')
            .map_or(rest.len(), |e| word_at + e);
        let word = &rest[word_at..end];
        rest = &rest[end..];
        Some((gap, word))
    })
}

/// One line, space-stuffed when a flowed reader would otherwise take its
/// first character for stuffing or quoting.
fn push_line(out: &mut String, line: &str) {
    if line.starts_with(' ') || line.starts_with('>') || line.starts_with("From ") {
        out.push(' ');
    }
    out.push_str(line);
    out.push('\n');
}

/// What a flowed reader makes of `flowed` (RFC 3676 4.1, 4.4, delsp=no):
/// stuffing removed, soft-broken lines joined. For tests and for checking
/// that wrapping lost nothing.
#[cfg(test)]
pub(crate) fn unflow(flowed: &str) -> String {
    let mut out = String::new();
    for line in flowed.lines() {
        let line = line.strip_prefix(' ').unwrap_or(line);
        out.push_str(line);
        if !line.ends_with(' ') || line == "-- " {
            out.push('\n');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_lines_wrap_at_72_and_reflow_to_the_original() {
        let long = "Seconding Sam, in other words: I want to move my home network to v6 and keep the old printer working. A walkthrough of how you did it would be gold.";
        let text = format!("Title\n\n{long}\n    indented {long}\n");
        let flowed = flow(&text);
        // At most the width, its soft-break space and a stuffing space.
        for l in flowed.lines() {
            assert!(l.chars().count() <= WIDTH + 2, "{l:?}");
        }
        assert!(flowed.lines().nth(2).unwrap().ends_with(' '), "{flowed}");
        // The indented lines are stuffed with one more space, and keep their indent.
        assert!(flowed.contains("\n     indented Seconding"), "{flowed}");
        let back = unflow(&flowed);
        assert!(back.starts_with(&format!("Title\n\n{long}\n")), "{back}");
    }

    #[test]
    fn a_url_is_never_broken_and_stands_alone() {
        let url = "https://lists.example.org/archives/list/netadmins@lists.example.org/message/7Y3QMFCA5KKVBRKNMTX4B2L4BNUBXO6T/";
        let text = format!("See the message at {url} and answer.\n{url}\n");
        let flowed = flow(&text);
        let lines: Vec<&str> = flowed.lines().collect();
        assert_eq!(
            lines,
            [
                "See the message at ",
                &format!("{url} "),
                "and answer.",
                url
            ]
        );
    }

    #[test]
    fn spaces_inside_a_line_are_kept() {
        let text = format!(
            "{}  aligned    columns   {}\n",
            "x".repeat(30),
            "y".repeat(30)
        );
        let flowed = flow(&text);
        assert!(
            flowed.starts_with(&format!("{}  aligned    columns ", "x".repeat(30))),
            "{flowed}"
        );
    }

    #[test]
    fn hard_lines_lose_trailing_spaces_and_risky_starts_are_stuffed() {
        let flowed = flow("a line   \nFrom here\n> not a quote\n-- \n");
        assert_eq!(flowed, "a line\n From here\n > not a quote\n-- \n");
        assert_eq!(unflow(&flowed), "a line\nFrom here\n> not a quote\n-- \n");
    }
}
