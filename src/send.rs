//! The digest as a MIME message (lettre), and where it goes: the output folder
//! when there is no `[smtp]`, an SMTP server otherwise.
//!
//! Comes after `render.rs`. The Message-ID depends only on the owner and the
//! period, so every retry of one digest carries the same id.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use lettre::message::header::{ContentType, HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart, SinglePart};

use crate::config::Config;

/// The digest's Message-ID (without brackets) for a period.
pub(crate) fn digest_message_id(config: &Config, period: &str) -> String {
    let owner = config
        .owner
        .addresses
        .first()
        .map(String::as_str)
        .unwrap_or("owner@localhost");
    let domain = owner.rsplit('@').next().unwrap_or("localhost");
    let hash = crate::message::content_hash(owner.to_ascii_lowercase().as_bytes());
    format!("allears-digest.{period}.{}@{domain}", &hash[..12])
}

fn owner_mailbox(config: &Config) -> Result<Mailbox> {
    let addr = config
        .owner
        .addresses
        .first()
        .context("owner.addresses is empty")?;
    let email = addr
        .parse()
        .with_context(|| format!("owner address `{addr}`"))?;
    Ok(Mailbox::new(Some(config.owner.name.clone()), email))
}

/// Build the multipart/alternative digest message.
pub(crate) fn build_digest(
    config: &Config,
    subject: &str,
    message_id: &str,
    text: &str,
    html: &str,
) -> Result<Vec<u8>> {
    let owner = owner_mailbox(config)?;
    let (from, to) = match &config.smtp {
        Some(s) => (
            s.from
                .parse::<Mailbox>()
                .with_context(|| format!("smtp.from `{}`", s.from))?,
            s.to.parse::<Mailbox>()
                .with_context(|| format!("smtp.to `{}`", s.to))?,
        ),
        None => (owner.clone(), owner),
    };
    let when = std::time::SystemTime::UNIX_EPOCH
        + std::time::Duration::from_secs(crate::clock::now().as_second().max(0) as u64);
    let msg = lettre::Message::builder()
        .from(from)
        .to(to)
        .subject(subject)
        .message_id(Some(format!("<{message_id}>")))
        .date(when)
        // RFC 3834: automatic responders must not answer the digest.
        .raw_header(HeaderValue::new(
            HeaderName::new_from_ascii_str("Auto-Submitted"),
            "auto-generated".to_string(),
        ))
        .multipart(
            MultiPart::alternative()
                .singlepart(
                    SinglePart::builder()
                        .header(ContentType::TEXT_PLAIN)
                        .body(text.to_string()),
                )
                .singlepart(
                    SinglePart::builder()
                        .header(ContentType::TEXT_HTML)
                        .body(html.to_string()),
                ),
        )
        .context("building the digest message")?;
    Ok(msg.formatted())
}

/// Write the digest to the output folder: `digest-PERIOD.eml`, `.html`, `.txt`.
pub(crate) fn write_to_folder(
    dir: &Path,
    period: &str,
    eml: &[u8],
    text: &str,
    html: &str,
) -> Result<PathBuf> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let base = dir.join(format!("digest-{period}"));
    let eml_path = base.with_extension("eml");
    write_atomic(&eml_path, eml)?;
    write_atomic(&base.with_extension("html"), html.as_bytes())?;
    write_atomic(&base.with_extension("txt"), text.as_bytes())?;
    Ok(eml_path)
}

/// Write via a temporary file and rename, so a reader never sees half a digest.
fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, bytes).with_context(|| format!("writing {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("renaming to {}", path.display()))?;
    Ok(())
}
