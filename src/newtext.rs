//! The new text of a message: what the writer wrote now, without quoted
//! history or signature. (A first cut; being replaced by the full version.)

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Cut {
    pub rule: &'static str,
    pub line: String,
}

#[derive(Debug, Clone, Default)]
pub(crate) struct NewText {
    pub text: String,
    pub cuts: Vec<Cut>,
    pub quoted: String,
}

pub(crate) fn new_text(body: &str) -> NewText {
    let mut out = NewText::default();
    for line in body.lines() {
        let t = line.trim();
        if t.starts_with('>') || t == "--" || (t.starts_with("On ") && t.ends_with("wrote:")) {
            out.cuts.push(Cut {
                rule: "quote",
                line: t.chars().take(80).collect(),
            });
            break;
        }
        out.text.push_str(line);
        out.text.push('\n');
    }
    out
}
