//! Mail out: the digest as a MIME message (lettre), and the two ways a
//! message leaves: an SMTP server (`[smtp]`, certificates always verified)
//! or the output folder; the SMTP login is a password or an OAuth2 token
//! (XOAUTH2, the token from `oauth2/`). When and whether a digest goes is `deliver.rs`'s
//! business; what commands send is `commands/outgoing.rs`'s.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result, bail};
use jiff::Timestamp;
use lettre::address::Envelope;
use lettre::message::header::{ContentType, HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{SmtpTransport, Transport};

use crate::config::{self, Auth, Config, Smtp, SmtpToken};

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
    now.to_zoned_datetime(config.zone())
        .strftime("%a, %d %b %Y %H:%M:%S %z")
        .to_string()
}

/// The text part's type: UTF-8, `format=flowed` (RFC 3676; `flowed.rs`
/// wrapped it), so a phone reflows it; `delsp=no`, the default, spelled out.
fn flowed_text() -> Result<ContentType> {
    ContentType::parse("text/plain; charset=utf-8; format=flowed; delsp=no")
        .context("the text part's Content-Type")
}

/// Build a multipart/alternative digest message (the daily or the weekly
/// one): `text` already flowed, `reply_to` its command address. Only config
/// values and counts reach the header fields; reader text goes into the
/// bodies, which lettre encodes.
pub(crate) fn build_digest(
    config: &Config,
    subject: &str,
    reply_to: &str,
    message_id: &str,
    text: &str,
    html: &str,
) -> Result<Vec<u8>> {
    let (from, to) = from_to(config)?;
    let reply_to: Mailbox = reply_to
        .parse()
        .with_context(|| format!("the command address `{reply_to}`"))?;
    let mut msg = lettre::Message::builder()
        .from(from)
        .to(to)
        .reply_to(reply_to)
        .subject(crate::text::clip(subject, 200))
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
                        .header(flowed_text()?)
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

/// Send one message through `[smtp]` from `smtp.from` to `recipient`, in one SMTP
/// session; Ok only once the server accepted it.
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

/// `allears check`: connect to `[smtp]`, start TLS, log in, and quit;
/// nothing is sent. The error says what failed, and whether it was the login.
pub(crate) fn check(smtp: &Smtp, config: &Config) -> Result<(), SmtpCheckError> {
    let t = transport(smtp, config).map_err(|e| SmtpCheckError {
        text: format!("{e:#}"),
        login: false,
    })?;
    match t.test_connection() {
        Ok(true) => Ok(()),
        Ok(false) => Err(SmtpCheckError {
            text: format!(
                "the SMTP server {}:{} did not answer NOOP after the login",
                smtp.host, smtp.port
            ),
            login: false,
        }),
        Err(e) => {
            let login = e
                .status()
                .is_some_and(|c| matches!(c.to_string().as_str(), "535" | "534" | "530"));
            Err(SmtpCheckError {
                text: smtp_error(smtp, e).to_string(),
                login,
            })
        }
    }
}

/// Why `[smtp]` failed `check`; `login` when the server refused the credentials.
#[derive(Debug)]
pub(crate) struct SmtpCheckError {
    pub text: String,
    pub login: bool,
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
    match smtp.auth {
        Auth::Password => {
            if let Some(user) = &smtp.username {
                let password = smtp.password.reveal().context("smtp password")?;
                builder = builder.credentials(Credentials::new(user.clone(), password));
            }
        }
        // `config.rs` refuses OAUTHBEARER for [smtp]: lettre speaks XOAUTH2 only.
        Auth::Xoauth2 | Auth::Oauthbearer => {
            let (user, token) = smtp_token(smtp, config)?;
            builder = builder
                .credentials(Credentials::new(user, token.reveal().to_string()))
                .authentication(vec![Mechanism::Xoauth2]);
        }
    }
    Ok(builder.build())
}

/// The user and access token `[smtp]` logs in with: its own token_command, or
/// an account's token (and that account's username unless smtp.username is set).
fn smtp_token(smtp: &Smtp, config: &Config) -> Result<(String, crate::oauth2::AccessToken)> {
    match &smtp.token {
        Some(SmtpToken::Command(cmd)) => {
            let user = smtp.username.clone().context("smtp.username is not set")?;
            let token = crate::oauth2::token_from_command(cmd).context("[smtp] token_command")?;
            Ok((user, token))
        }
        Some(SmtpToken::Account(name)) => {
            let account = config
                .account
                .iter()
                .find(|a| &a.name == name)
                .with_context(|| format!("smtp.token_account: no account named \"{name}\""))?;
            let token = crate::oauth2::access_token(config, account, crate::oauth2::Want::Any)
                .with_context(|| format!("[smtp] the OAuth2 token of account {name}"))?;
            let user = smtp
                .username
                .clone()
                .unwrap_or_else(|| account.username.clone());
            Ok((user, token))
        }
        None => bail!("smtp: auth = \"xoauth2\" needs token_command or token_account"),
    }
}

/// Say what failed in words a person can act on; 535 is RFC 4954's "credentials invalid".
fn smtp_error(smtp: &Smtp, e: lettre::transport::smtp::Error) -> anyhow::Error {
    let at = format!("{}:{}", smtp.host, smtp.port);
    match e.status().map(|c| c.to_string()) {
        Some(code) if (code == "535" || code == "534") && smtp.auth != Auth::Password => {
            anyhow::anyhow!(
                "the SMTP server {at} refused the XOAUTH2 login of `{}` ({e}): the access token may have expired, been revoked, or lack the SMTP scope",
                smtp.username.as_deref().unwrap_or("")
            )
        }
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
    fn a_subject_with_line_breaks_cannot_add_a_header() {
        let c = config("");
        let mut store = crate::store::Store::in_memory().unwrap();
        let now = "2026-11-26T08:00:00Z".parse().unwrap();
        let mut d = crate::digest::build(&mut store, &c, now).unwrap();
        d.subject = "Hi\r\nBcc: evil@example.org".to_string();
        let eml = build_digest(&c, &d.subject, &d.reply_to, "x@y", "t", "<p>h</p>").unwrap();
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
