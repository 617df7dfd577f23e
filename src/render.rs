//! View models -> text and HTML, with handlebars and the templates in
//! `templates/` (compiled in, so the binary works from any folder). With
//! `[digest] templates = "dir"`, any of those files found in that folder
//! replaces the built-in one; a missing file falls back to it, and one that
//! does not parse is an error naming the file.
//!
//! The HTML registry escapes every value (handlebars' default), which is what
//! keeps reader text inert, in attributes too (`"`, `'`, `=` are escaped);
//! the text registry does not escape, since a terminal shows text as text.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use handlebars::Handlebars;
use serde::Serialize;

use crate::config::Config;

/// The templates: (registry name, file name, built-in text).
const TEXT: [(&str, &str, &str); 3] = [
    (
        "digest",
        "digest.txt.hbs",
        include_str!("../templates/digest.txt.hbs"),
    ),
    (
        "tell",
        "tell.txt.hbs",
        include_str!("../templates/tell.txt.hbs"),
    ),
    (
        "weekly",
        "weekly.txt.hbs",
        include_str!("../templates/weekly.txt.hbs"),
    ),
];
const HTML: [(&str, &str, &str); 2] = [
    (
        "digest",
        "digest.html.hbs",
        include_str!("../templates/digest.html.hbs"),
    ),
    (
        "weekly",
        "weekly.html.hbs",
        include_str!("../templates/weekly.html.hbs"),
    ),
];

pub(crate) struct Renderer {
    text: Handlebars<'static>,
    html: Handlebars<'static>,
    /// Where each template came from, for errors: "templates/digest.txt.hbs"
    /// (built in) or the owner's file.
    origin: Vec<(String, String)>,
}

impl Renderer {
    /// The built-in templates, or the owner's where `[digest] templates` has them.
    pub fn new(config: &Config) -> Result<Renderer> {
        let dir = config.digest.templates.as_ref().map(|d| config.resolve(d));
        if let Some(d) = &dir
            && !d.is_dir()
        {
            anyhow::bail!(
                "{}: digest.templates: {} is not a folder",
                config.origin.name(),
                d.display()
            );
        }
        let mut r = Renderer {
            text: Handlebars::new(),
            html: Handlebars::new(),
            origin: Vec::new(),
        };
        r.text.set_strict_mode(true);
        r.text.register_escape_fn(handlebars::no_escape);
        r.html.set_strict_mode(true);
        for (name, file, builtin) in TEXT {
            let (src, from) = source(dir.as_deref(), file, builtin)?;
            r.text
                .register_template_string(name, src)
                .with_context(|| format!("the template {from} does not parse"))?;
            r.origin.push((format!("{name}.txt"), from));
        }
        for (name, file, builtin) in HTML {
            let (src, from) = source(dir.as_deref(), file, builtin)?;
            r.html
                .register_template_string(name, src)
                .with_context(|| format!("the template {from} does not parse"))?;
            r.origin.push((format!("{name}.html"), from));
        }
        Ok(r)
    }

    fn from(&self, key: &str) -> String {
        self.origin
            .iter()
            .find(|(k, _)| k == key)
            .map_or_else(|| key.to_string(), |(_, f)| f.clone())
    }

    pub fn text<T: Serialize>(&self, name: &str, data: &T) -> Result<String> {
        self.text
            .render(name, data)
            .with_context(|| format!("rendering {}", self.from(&format!("{name}.txt"))))
    }

    pub fn html<T: Serialize>(&self, name: &str, data: &T) -> Result<String> {
        self.html
            .render(name, data)
            .with_context(|| format!("rendering {}", self.from(&format!("{name}.html"))))
    }
}

/// A template's text and where it came from: the owner's file when their
/// folder has it, else the built-in one.
fn source(dir: Option<&Path>, file: &str, builtin: &str) -> Result<(String, String)> {
    let builtin_name = || format!("templates/{file} (built in)");
    let Some(dir) = dir else {
        return Ok((builtin.to_string(), builtin_name()));
    };
    let path: PathBuf = dir.join(file);
    match std::fs::read_to_string(&path) {
        Ok(text) => Ok((text, path.display().to_string())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            Ok((builtin.to_string(), builtin_name()))
        }
        Err(e) => Err(e).with_context(|| format!("reading the template {}", path.display())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(extra: &str, dir: &Path) -> Config {
        let text = format!(
            "[owner]\nname = \"Robin Ellis\"\naddresses = [\"robin@ellis-on-it.example\"]\n{extra}"
        );
        let origin = crate::config::Origin {
            file: Some(dir.join("digest.toml")),
            dir: dir.to_path_buf(),
        };
        Config::parse(&text, origin).unwrap()
    }

    #[test]
    fn html_escapes_reader_text_in_text_and_attributes() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("digest.html.hbs"),
            "<p title=\"{{x}}\">{{x}}</p>",
        )
        .unwrap();
        let c = config("[digest]\ntemplates = \".\"\n", dir.path());
        let r = Renderer::new(&c).unwrap();
        let out = r
            .html(
                "digest",
                &serde_json::json!({"x": "\"><script>alert(1)</script>"}),
            )
            .unwrap();
        assert!(!out.contains("<script>"), "{out}");
        assert!(!out.contains("\"><"), "{out}");
    }

    #[test]
    fn an_owners_template_replaces_the_built_in_one_and_a_missing_one_falls_back() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("t")).unwrap();
        std::fs::write(dir.path().join("t/tell.txt.hbs"), "Hi! {{topic}}: {{link}}").unwrap();
        let c = config("[digest]\ntemplates = \"t\"\n", dir.path());
        let r = Renderer::new(&c).unwrap();
        let data = serde_json::json!({"topic": "IPv6", "link": "https://x.example/", "owner": "R"});
        assert_eq!(
            r.text("tell", &data).unwrap(),
            "Hi! IPv6: https://x.example/"
        );
        // digest.txt.hbs is not in the folder: the built-in one is used.
        let builtin = Renderer::new(&config("", dir.path())).unwrap();
        assert_eq!(
            builtin.text("weekly", &serde_json::json!({})).is_err(),
            r.text("weekly", &serde_json::json!({})).is_err()
        );
    }

    #[test]
    fn a_template_that_does_not_parse_is_an_error_naming_its_file() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("digest.txt.hbs"),
            "{{#each x}} never closed",
        )
        .unwrap();
        let c = config("[digest]\ntemplates = \".\"\n", dir.path());
        let err = format!("{:#}", Renderer::new(&c).err().expect("an error"));
        assert!(err.contains("digest.txt.hbs"), "{err}");
        assert!(err.contains(&dir.path().display().to_string()), "{err}");
        assert!(err.contains("does not parse"), "{err}");
    }

    #[test]
    fn a_templates_key_that_is_no_folder_is_an_error_naming_the_key() {
        let dir = tempfile::tempdir().unwrap();
        let c = config("[digest]\ntemplates = \"nowhere\"\n", dir.path());
        let err = format!("{:#}", Renderer::new(&c).err().expect("an error"));
        assert!(err.contains("digest.templates"), "{err}");
        assert!(err.contains("digest.toml"), "{err}");
    }
}
