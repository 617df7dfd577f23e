//! Digest view model -> text and HTML, with handlebars and the templates in
//! `templates/` (compiled in, so the binary works from any folder).
//!
//! The HTML registry escapes every value (handlebars' default), which is what
//! keeps reader text inert; the text registry does not escape, since a
//! terminal shows text as text.

use anyhow::{Context, Result};
use handlebars::Handlebars;
use serde::Serialize;

const DIGEST_TXT: &str = include_str!("../templates/digest.txt.hbs");
const DIGEST_HTML: &str = include_str!("../templates/digest.html.hbs");
const TELL_TXT: &str = include_str!("../templates/tell.txt.hbs");

pub(crate) struct Renderer {
    text: Handlebars<'static>,
    html: Handlebars<'static>,
}

impl Renderer {
    pub fn new() -> Result<Renderer> {
        let mut text = Handlebars::new();
        text.set_strict_mode(true);
        text.register_escape_fn(handlebars::no_escape);
        text.register_template_string("digest", DIGEST_TXT)
            .context("templates/digest.txt.hbs")?;
        text.register_template_string("tell", TELL_TXT)
            .context("templates/tell.txt.hbs")?;
        let mut html = Handlebars::new();
        html.set_strict_mode(true);
        html.register_template_string("digest", DIGEST_HTML)
            .context("templates/digest.html.hbs")?;
        Ok(Renderer { text, html })
    }

    pub fn text<T: Serialize>(&self, name: &str, data: &T) -> Result<String> {
        self.text
            .render(name, data)
            .with_context(|| format!("rendering {name}.txt"))
    }

    pub fn html<T: Serialize>(&self, name: &str, data: &T) -> Result<String> {
        self.html
            .render(name, data)
            .with_context(|| format!("rendering {name}.html"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_escapes_reader_text() {
        let r = Renderer::new().unwrap();
        let mut h = Handlebars::new();
        h.register_template_string("t", "<p>{{x}}</p>").unwrap();
        let out = h
            .render("t", &serde_json::json!({"x": "<script>alert(1)</script>"}))
            .unwrap();
        assert!(!out.contains("<script>"));
        drop(r);
    }
}
