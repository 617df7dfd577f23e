//! The demo: a fictional owner's mailbox (`fixtures/demo`, built into the
//! binary by `build.rs`) and the annotated `digest.toml` as its config, so
//! `allears run` shows what allears does wherever it is run, before any
//! config exists.
//!
//! Everything the demo makes stays in one folder, `./allears-demo/`, named
//! in what it prints: the mailbox written out (`mail/`), the store, and the
//! digest (`out/`). `allears --demo COMMAND` reads that folder again
//! (`items`, `show`, `explain`...). The demo believes it is the morning of
//! its mailbox's last day, so its digest has items whatever today is.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

use crate::config::{Config, LocalSource, Origin};

include!(concat!(env!("OUT_DIR"), "/demo_files.rs"));

/// The folder the demo keeps everything in, under the current folder.
pub(crate) const DIR: &str = "allears-demo";

/// The demo's "now": the morning after its last message, digest time.
pub(crate) const NOW: &str = "2026-11-26T07:30:00Z";

/// The demo's folder, absolute.
pub(crate) fn dir() -> Result<PathBuf> {
    Ok(std::env::current_dir()
        .context("reading the current directory")?
        .join(DIR))
}

/// The demo's config, its state in [`dir`]. With `write_out`, the mailbox
/// is written there first (what is already there and the same is left
/// alone); without, the folder must hold a demo run already, so a command
/// given `--demo` before any demo run creates nothing.
pub(crate) fn config(write_out: bool) -> Result<Config> {
    let dir = dir()?;
    if write_out {
        write_mailbox(&dir.join("mail"))?;
    } else if !dir.join("allears.db").is_file() {
        bail!(
            "no demo here ({} has no demo store): `allears run` without a config runs the demo first",
            dir.display()
        );
    }
    let mut config = Config::parse(
        crate::config::EMBEDDED,
        Origin {
            file: None,
            dir: dir.clone(),
        },
    )?;
    config.source = vec![LocalSource {
        path: PathBuf::from("mail"),
        sent: false,
    }];
    if let Ok(at) = NOW.parse() {
        crate::clock::pin(at);
    }
    Ok(config)
}

/// Write the embedded mailbox under `mail`, each file only when it is
/// missing or different.
fn write_mailbox(mail: &Path) -> Result<()> {
    for (rel, bytes) in FILES {
        let path = mail.join(rel);
        if std::fs::read(&path).is_ok_and(|b| b == *bytes) {
            continue;
        }
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("creating {}", parent.display()))?;
        }
        std::fs::write(&path, bytes).with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_demo_mailbox_is_built_in_whole() {
        // 45 files today: 35 in INBOX, 5 in Sent, an mbox and 4 .eml in lists.
        assert!(FILES.len() >= 40, "{}", FILES.len());
        for top in ["INBOX/", "Sent/", "lists/"] {
            assert!(FILES.iter().any(|(p, _)| p.starts_with(top)), "{top}");
        }
        assert!(
            !FILES
                .iter()
                .any(|(p, _)| p.ends_with(".md") || p.ends_with(".json"))
        );
    }
}
