//! The digest as a MIME message (lettre), and where it goes: the output folder
//! when there is no `[smtp]`, an SMTP server otherwise, exactly once per period.
//!
//! Comes after `schedule.rs` (which period is due), `digest.rs` (the view
//! model) and `render.rs` (text and HTML). Each digest is recorded in the
//! store as it goes built -> sending -> sent. The Message-ID depends only on
//! the owner and the period, so a retry carries the same id; a digest left in
//! `sending` (the session failed, or died after DATA and before the reply) is
//! sent again byte for byte, so a receiver that did get the first copy sees
//! the same message twice and can drop it by Message-ID (RFC 5322 3.6.4).
//! Items count as shown only once the server accepted their digest.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result, bail};
use jiff::Timestamp;
use lettre::address::Envelope;
use lettre::message::header::{ContentType, HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{SmtpTransport, Transport};

use crate::config::{self, Config, Empty, Smtp};
use crate::digest::{self, Digest};
use crate::render::Renderer;
use crate::schedule::Daily;
use crate::store::Store;

/// The digest's Message-ID (without brackets) for a period.
pub(crate) fn digest_message_id(config: &Config, period: &str) -> String {
    let owner = config.owner.primary();
    let domain = config.owner.domain();
    let hash = crate::message::content_hash(owner.to_ascii_lowercase().as_bytes());
    format!("allears-digest.{period}.{}@{domain}", &hash[..12])
}

/// Where the owner's command replies go (the digest's Reply-To): `[commands] address`,
/// else `owner+TOKEN@domain`, whose subaddress carries the secret token that
/// `commands.rs` requires of a command message.
pub(crate) fn reply_to(config: &Config, token: &str) -> String {
    if let Some(a) = &config.commands.address {
        return a.clone();
    }
    let owner = config.owner.primary();
    match owner.rsplit_once('@') {
        Some((local, domain)) => format!("{local}+{token}@{domain}"),
        None => owner.to_string(),
    }
}

/// The owner as a mailbox: name and primary address.
pub(crate) fn owner_mailbox(config: &Config) -> Result<Mailbox> {
    let addr = config.owner.primary();
    let email = addr
        .parse()
        .with_context(|| format!("owner address `{addr}`"))?;
    Ok(Mailbox::new(Some(config.owner.name.clone()), email))
}

/// From and To: `[smtp]` from/to, else the owner to themself.
fn from_to(config: &Config) -> Result<(Mailbox, Mailbox)> {
    let owner = owner_mailbox(config)?;
    Ok(match &config.smtp {
        Some(s) => (
            s.from
                .parse::<Mailbox>()
                .with_context(|| format!("smtp.from `{}`", s.from))?,
            s.to.parse::<Mailbox>()
                .with_context(|| format!("smtp.to `{}`", s.to))?,
        ),
        None => (owner.clone(), owner),
    })
}

/// RFC 5322 3.3 date-time in the owner's zone: "Thu, 26 Nov 2026 07:30:00 +0000".
pub(crate) fn rfc5322_date(config: &Config, now: Timestamp) -> String {
    now.to_zoned_datetime(digest::owner_zone(config))
        .strftime("%a, %d %b %Y %H:%M:%S %z")
        .to_string()
}

/// Build the multipart/alternative digest message. Only config values reach the
/// header fields; reader text goes into the bodies, which lettre encodes.
pub(crate) fn build_digest(
    config: &Config,
    d: &Digest,
    message_id: &str,
    text: &str,
    html: &str,
) -> Result<Vec<u8>> {
    let (from, to) = from_to(config)?;
    let reply_to: Mailbox = d
        .reply_to
        .parse()
        .with_context(|| format!("the command address `{}`", d.reply_to))?;
    let subject = &d.subject;
    let mut msg = lettre::Message::builder()
        .from(from)
        .to(to)
        .reply_to(reply_to)
        .subject(digest::clip(subject, 200))
        .message_id(Some(format!("<{message_id}>")))
        // RFC 3834 5: automatic responders must not answer the digest.
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
    // lettre writes Date in UTC; the owner reads it in their own zone.
    msg.headers_mut().insert_raw(HeaderValue::new(
        HeaderName::new_from_ascii_str("Date"),
        rfc5322_date(config, crate::clock::now()),
    ));
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

/// What one delivery attempt did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// This period's digest was already sent (or skipped as empty); the next is due then.
    NotDue {
        period: String,
        /// "sent" or "skipped".
        state: String,
        next: Timestamp,
    },
    /// Nothing new and `[schedule] empty = "skip"`: recorded, not sent.
    SkippedEmpty { period: String },
    /// Another allears process is sending right now (a cron `run` beside a daemon).
    Busy,
    /// The server accepted it. `retry` says a pending digest was sent again.
    Sent {
        period: String,
        message_id: String,
        retry: bool,
    },
}

/// Where a scheduled digest goes.
pub(crate) enum Sink<'a> {
    Smtp(&'a Smtp),
    /// No `[smtp]`: the output folder (used by `allears daemon`; a write counts as sent).
    Folder(PathBuf),
}

impl<'a> Sink<'a> {
    pub fn of(config: &'a Config) -> Sink<'a> {
        match &config.smtp {
            Some(s) => Sink::Smtp(s),
            None => Sink::Folder(config.output_dir()),
        }
    }
}

/// Is the latest slot's period still without a sent (or skipped) digest?
pub(crate) fn is_due(store: &Store, config: &Config, now: Timestamp) -> Result<bool> {
    let daily = Daily::new(&config.schedule.time, digest::owner_zone(config))?;
    let period = daily.latest(now)?.day.to_string();
    Ok(!store
        .digest_for(&period)?
        .is_some_and(|r| matches!(r.state.as_str(), "sent" | "skipped")))
}

/// Send the due digest once: a pending one again as it was, else a new one for the
/// latest slot's period; `force` sends now whatever the schedule says.
pub(crate) fn deliver(
    store: &mut Store,
    config: &Config,
    sink: &Sink,
    now: Timestamp,
    force: bool,
) -> Result<Outcome> {
    let Some(_lock) = send_lock(store)? else {
        return Ok(Outcome::Busy);
    };
    let daily = Daily::new(&config.schedule.time, digest::owner_zone(config))?;
    let due = daily.latest(now)?;
    let period = if force {
        forced_period(store, config, now)?
    } else {
        due.day.to_string()
    };
    let record = store.digest_for(&period)?;
    // (A forced period is never a sent one, and a day skipped as empty may be forced.)
    if let Some(r) = &record
        && !force
        && matches!(r.state.as_str(), "sent" | "skipped")
    {
        return Ok(Outcome::NotDue {
            period,
            state: r.state.clone(),
            next: daily.next(now)?.at,
        });
    }
    supersede_older(store, &period)?;
    if let Some(r) = record.filter(|r| r.state == "sending") {
        send_recorded(store, sink, config, &period, &r.eml, None)?;
        return Ok(Outcome::Sent {
            period,
            message_id: r.message_id,
            retry: true,
        });
    }
    let day = if force {
        now.to_zoned_datetime(digest::owner_zone(config)).date()
    } else {
        due.day
    };
    send_new(store, config, sink, &period, day, now, force)
}

/// Build the digest for `day`, record it, and send it (or record an empty day as skipped).
fn send_new(
    store: &mut Store,
    config: &Config,
    sink: &Sink,
    period: &str,
    day: jiff::civil::Date,
    now: Timestamp,
    force: bool,
) -> Result<Outcome> {
    let d = digest::build_for(store, config, now, day)?;
    let message_id = digest_message_id(config, period);
    let period = period.to_string();
    if d.empty && config.schedule.empty == Empty::Skip && !force {
        store.save_digest(&period, &message_id, b"", &[])?;
        store.set_digest_state(&period, "skipped")?;
        return Ok(Outcome::SkippedEmpty { period });
    }
    let renderer = Renderer::new()?;
    let text = renderer.text("digest", &d)?;
    let html = renderer.html("digest", &d)?;
    let eml = build_digest(config, &d, &message_id, &text, &html)?;
    let ids: Vec<i64> = d
        .needs_reply
        .iter()
        .chain(&d.still_waiting)
        .map(|n| n.id)
        .collect();
    store.save_digest(&period, &message_id, &eml, &ids)?;
    store.set_digest_state(&period, "sending")?;
    send_recorded(store, sink, config, &period, &eml, Some((&text, &html)))?;
    Ok(Outcome::Sent {
        period,
        message_id,
        retry: false,
    })
}

/// One sender at a time: an advisory lock on a file beside the store, held while a
/// digest is built and sent, so two processes (a cron `run` beside a daemon) cannot
/// both send a period. The lock goes with the file when this is dropped.
struct SendLock {
    _file: Option<std::fs::File>,
}

/// The lock, or `None` when another process holds it. An in-memory store has no
/// other process and needs none.
fn send_lock(store: &Store) -> Result<Option<SendLock>> {
    let Some(path) = store.lock_path("send") else {
        return Ok(Some(SendLock { _file: None }));
    };
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .with_context(|| format!("opening {}", path.display()))?;
    match file.try_lock() {
        Ok(()) => Ok(Some(SendLock { _file: Some(file) })),
        Err(std::fs::TryLockError::WouldBlock) => Ok(None),
        Err(std::fs::TryLockError::Error(e)) => {
            Err(e).with_context(|| format!("locking {}", path.display()))
        }
    }
}

/// `--force` sends a digest now: for today, or, when today's was sent, one of its own.
fn forced_period(store: &Store, config: &Config, now: Timestamp) -> Result<String> {
    let local = now.to_zoned_datetime(digest::owner_zone(config));
    let today = local.date().to_string();
    match store.digest_for(&today)? {
        Some(r) if r.state == "sent" => Ok(format!("{today}T{}", local.strftime("%H%M%S"))),
        _ => Ok(today),
    }
}

/// A pending digest of an earlier period is replaced by the due one: one digest, never several.
fn supersede_older(store: &mut Store, period: &str) -> Result<()> {
    for d in store.digests()? {
        if d.period != period && matches!(d.state.as_str(), "built" | "sending") {
            tracing::info!(
                "the pending digest for {} is replaced by the one for {period}",
                d.period
            );
            store.set_digest_state(&d.period, "superseded")?;
        }
    }
    Ok(())
}

/// Hand the recorded bytes to the server (or the folder); mark sent only on its 250.
fn send_recorded(
    store: &mut Store,
    sink: &Sink,
    config: &Config,
    period: &str,
    eml: &[u8],
    parts: Option<(&str, &str)>,
) -> Result<()> {
    let smtp = match sink {
        Sink::Smtp(smtp) => smtp,
        Sink::Folder(dir) => {
            let (text, html) = parts.unwrap_or(("", ""));
            write_to_folder(dir, period, eml, text, html)?;
            store.mark_digest_sent(period)?;
            return Ok(());
        }
    };
    send_one(smtp, config, &smtp.to, eml).with_context(|| {
        format!("the digest for {period} was not sent; it stays pending and the next run sends it")
    })?;
    store.mark_digest_sent(period)?;
    Ok(())
}

/// Send one message through `[smtp]` from `smtp.from` to `recipient`, in one SMTP
/// session; Ok only once the server accepted it. (The digest, and the mail reply
/// commands send: `commands::flush` takes this as its `send`.)
pub(crate) fn send_one(smtp: &Smtp, config: &Config, recipient: &str, eml: &[u8]) -> Result<()> {
    let from: Mailbox = smtp
        .from
        .parse()
        .with_context(|| format!("smtp.from `{}`", smtp.from))?;
    let to: Mailbox = recipient
        .parse()
        .with_context(|| format!("the recipient `{recipient}`"))?;
    let envelope = Envelope::new(Some(from.email), vec![to.email]).context("the envelope")?;
    transport(smtp, config)?
        .send_raw(&envelope, eml)
        .map_err(|e| smtp_error(smtp, e))?;
    Ok(())
}

/// A lettre SMTP transport for `[smtp]`: certificates always verified, a CA file added.
fn transport(smtp: &Smtp, config: &Config) -> Result<SmtpTransport> {
    if smtp.tls == config::Tls::None && !config::is_loopback(&smtp.host) {
        bail!("smtp.tls = \"none\" is refused for {}", smtp.host);
    }
    let mut params = TlsParameters::builder(smtp.host.clone());
    if let Some(ca) = &smtp.ca_file {
        let path = config.resolve(ca);
        let pem = std::fs::read(&path)
            .with_context(|| format!("reading smtp.ca_file {}", path.display()))?;
        let cert = Certificate::from_pem(&pem)
            .with_context(|| format!("smtp.ca_file {} is not a PEM certificate", path.display()))?;
        params = params.add_root_certificate(cert);
    }
    let params = params.build_native().context("setting up TLS for [smtp]")?;
    let tls = match smtp.tls {
        config::Tls::Implicit => Tls::Wrapper(params),
        config::Tls::Starttls => Tls::Required(params),
        config::Tls::None => Tls::None,
    };
    let mut builder = SmtpTransport::builder_dangerous(smtp.host.as_str())
        .port(smtp.port)
        .tls(tls)
        .timeout(Some(Duration::from_secs(smtp.timeout_secs)));
    if let Some(user) = &smtp.username {
        let password = smtp.password.reveal().context("smtp password")?;
        builder = builder.credentials(Credentials::new(user.clone(), password));
    }
    Ok(builder.build())
}

/// Say what failed in words a person can act on; 535 is RFC 4954's "credentials invalid".
fn smtp_error(smtp: &Smtp, e: lettre::transport::smtp::Error) -> anyhow::Error {
    let at = format!("{}:{}", smtp.host, smtp.port);
    match e.status().map(|c| c.to_string()) {
        Some(code) if code == "535" || code == "534" => anyhow::anyhow!(
            "the SMTP server {at} refused the login of `{}` ({e}): check smtp.username and the password",
            smtp.username.as_deref().unwrap_or("")
        ),
        _ if e.is_permanent() => anyhow::anyhow!("the SMTP server {at} refused the digest: {e}"),
        _ => anyhow::anyhow!("talking to the SMTP server {at}: {e}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Origin;

    fn config(extra: &str) -> Config {
        let text = format!(
            "[owner]\nname = \"Robin Ellis\"\naddresses = [\"robin@ellis-on-it.example\"]\n[schedule]\ntimezone = \"Europe/Lisbon\"\n{extra}"
        );
        Config::parse(&text, Origin::default()).unwrap()
    }

    #[test]
    fn the_date_is_written_in_the_owners_zone() {
        let c = config("");
        let summer: Timestamp = "2026-07-01T06:30:00Z".parse().unwrap();
        assert_eq!(rfc5322_date(&c, summer), "Wed, 01 Jul 2026 07:30:00 +0100");
        let winter: Timestamp = "2026-11-26T07:30:00Z".parse().unwrap();
        assert_eq!(rfc5322_date(&c, winter), "Thu, 26 Nov 2026 07:30:00 +0000");
    }

    #[test]
    fn commands_go_to_a_subaddress_with_the_token_unless_configured() {
        assert_eq!(
            reply_to(&config(""), "c0ffee"),
            "robin+c0ffee@ellis-on-it.example"
        );
        let c = config("[commands]\naddress = \"digest@ellis-on-it.example\"\n");
        assert_eq!(reply_to(&c, "c0ffee"), "digest@ellis-on-it.example");
    }

    #[test]
    fn a_subject_with_line_breaks_cannot_add_a_header() {
        let c = config("");
        let mut store = Store::in_memory().unwrap();
        let now = "2026-11-26T08:00:00Z".parse().unwrap();
        let mut d = digest::build(&mut store, &c, now).unwrap();
        d.subject = "Hi\r\nBcc: evil@example.org".to_string();
        let eml = build_digest(&c, &d, "x@y", "t", "<p>h</p>").unwrap();
        let text = String::from_utf8_lossy(&eml);
        let head = text.split("\r\n\r\n").next().unwrap_or("");
        assert!(!head.lines().any(|l| l.starts_with("Bcc:")), "{head}");
        assert!(head.contains("Auto-Submitted: auto-generated"), "{head}");
        assert!(
            head.contains(&format!("Reply-To: {}", d.reply_to)),
            "{head}"
        );
    }
}
