//! Mail that commands send: the owner's answer to a reader (threaded under
//! the reader's message), "you asked, I wrote it" notes, and the results
//! message for each command message; and sending what waits in the outbox.
//! Nothing here writes to anyone by itself (RFC 3834): only the owner's
//! explicit `reply` or `tell` does.

use anyhow::{Context as _, Result};

use crate::classify::Source;
use crate::config::Config;
use crate::recipients::{list_post_address, recipients, who_to_tell};
use crate::store::{OutboxKind, OutboxState, Row, Store, Topic, TopicState};

/// Mail a command asks allears to send: an answer to a reader, or a "you
/// asked, I wrote it" note. Queued in the outbox; recorded once accepted.
#[derive(Debug, Clone)]
pub(crate) struct Outgoing {
    pub to: String,
    pub eml: Vec<u8>,
    /// What it is, for the results message ("answer to Marta Kowalczyk <m@x>").
    pub what: String,
    /// For a `tell`: the topic and the reader, marked told once sent.
    pub told: Option<(i64, String)>,
}

/// Where an answer goes: the reader (their own address), the list, or
/// (only when the owner says so) a Reply-To in another domain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AnswerTo {
    Reader,
    List,
    ReplyTo,
}

/// The owner's answer to item `item` (the message `row`, whose raw bytes are
/// `raw`), threaded under the reader's message, sent where `to` says.
pub(crate) fn answer(
    config: &Config,
    item: i64,
    row: &Row,
    raw: &[u8],
    to: AnswerTo,
    text: &str,
) -> Result<Outgoing> {
    let msg = crate::message::parse(raw);
    let r = recipients(row, &msg, &config.owner);
    let (to, note) = match to {
        AnswerTo::List => {
            let post = row
                .class
                .context
                .list_post
                .clone()
                .context("the message did not come through a list with a List-Post address")?;
            (list_post_address(&post)?, String::new())
        }
        AnswerTo::Reader => {
            let person = r.person.clone().map_err(anyhow::Error::msg)?;
            let note = match (&r.reply_to, &r.munged) {
                (Some(rt), _) => format!(
                    " (its Reply-To asks for {rt}, another domain than the sender's: `#{item} reply-to` answers there)"
                ),
                (None, Some(m)) => format!(" (the list rewrote the sender as {m})"),
                (None, None) => String::new(),
            };
            (person, note)
        }
        AnswerTo::ReplyTo => {
            let rt = r.reply_to.clone().with_context(|| {
                format!("#{item} has no Reply-To in another domain than its sender's: `#{item} reply` answers the sender")
            })?;
            let person = r.person.clone().unwrap_or_default();
            (
                rt,
                format!(" (its Reply-To, as you said; the sender is {person})"),
            )
        }
    };
    if !to.contains('@') {
        anyhow::bail!("no address to answer: `{to}`");
    }
    if config.owner.is_owner(&to) {
        anyhow::bail!("the answer would go to your own address {to}");
    }
    let subject = answer_subject(row);
    let mut references = msg.references.clone();
    if !msg.synthetic_id {
        references.push(msg.message_id.clone());
    }
    let mut body = text.trim_end().to_string();
    if !row.class.question.is_empty() {
        let who = row.from_name.clone();
        body.push_str(&format!("\n\n{who} wrote:\n"));
        for line in row.class.question.lines() {
            body.push_str(&format!("> {line}\n"));
        }
    }
    let mut builder = lettre::Message::builder()
        .from(crate::send::owner_mailbox(config)?)
        .to(to
            .parse()
            .with_context(|| format!("answer address `{to}`"))?)
        .subject(subject)
        .message_id(Some(new_message_id(config, &body)));
    if !msg.synthetic_id {
        builder = builder
            .in_reply_to(format!("<{}>", msg.message_id))
            .references(
                references
                    .iter()
                    .map(|r| format!("<{r}>"))
                    .collect::<Vec<_>>()
                    .join(" "),
            );
    }
    let eml = builder
        .body(body)
        .context("building the answer")?
        .formatted();
    Ok(Outgoing {
        what: format!("answer to {to} for #{item}{note}"),
        to,
        eml,
        told: None,
    })
}

/// The owner's answer as the reader gets it: no line that carries a secret
/// token (the digest's "allears key ..." line, kept in a reply as the
/// footer asks), and nothing from where the quoted digest begins (a client
/// that quotes without ">", so `newtext` left it). Signatures and ">"
/// quotes were cut from the whole command message already.
pub(crate) fn answer_text(text: &str, tokens: &[String]) -> String {
    let digest_starts = |t: &str| {
        t == "--"
            || t.starts_with("NEEDS A REPLY (")
            || t.starts_with("Reply to this message, one command per line")
            || t.starts_with("(keep this line in your reply")
    };
    let mut out = Vec::new();
    for line in text.lines() {
        let t = line.trim();
        if digest_starts(t) {
            break;
        }
        let secret = tokens
            .iter()
            .any(|k| !k.is_empty() && line.contains(k.as_str()))
            || t.to_ascii_lowercase().contains("allears key ");
        if !secret {
            out.push(line);
        }
    }
    out.join("\n").trim().to_string()
}

/// A fresh Message-ID on the owner's domain for mail allears sends for them.
pub(crate) fn new_message_id(config: &Config, body: &str) -> String {
    let hash = crate::message::content_hash(body.as_bytes());
    let now = crate::clock::now().as_nanosecond();
    format!("<allears.{now}.{}@{}>", &hash[..12], config.owner.domain())
}

/// "Re: ..." for mail; for a blog comment, a subject about the post.
fn answer_subject(row: &Row) -> String {
    if row.source == Source::Comment
        && let Some(title) = &row.class.context.post_title
    {
        return format!("Re: your comment on “{title}”");
    }
    let s = row.subject.trim();
    let lower = s.to_ascii_lowercase();
    if lower.starts_with("re:") || lower.starts_with("aw:") || lower.starts_with("sv:") {
        s.to_string()
    } else {
        format!("Re: {s}")
    }
}

/// One note per reader who asked for `topic`, once the owner wrote it;
/// none to those whose request was judged spam or automated.
pub(crate) fn tells(
    store: &mut Store,
    config: &Config,
    topic: &Topic,
    outgoing: &mut Vec<Outgoing>,
) -> Result<(usize, Vec<String>)> {
    let t = topic.id;
    let link = match (topic.state, &topic.link) {
        (TopicState::Written, Some(link)) => link.clone(),
        _ => anyhow::bail!("T{t} is not written yet: say `T{t} written URL` first"),
    };
    let groups = crate::analyze::topic_groups(store, config)?;
    let group = groups
        .iter()
        .find(|g| g.id == t)
        .with_context(|| format!("T{t} has no requests left"))?;
    let told = who_to_tell(store, config, group)?;
    let renderer = crate::render::Renderer::new(config)?;
    let mut n = 0;
    for asker in &told.tell {
        if store.was_told(t, asker)? {
            continue;
        }
        let data = serde_json::json!({
            "owner": config.owner.name,
            "topic": topic.label,
            "link": link,
        });
        let text = renderer.text("tell", &data)?;
        let eml = lettre::Message::builder()
            .from(crate::send::owner_mailbox(config)?)
            .to(asker
                .parse()
                .with_context(|| format!("reader address `{asker}`"))?)
            .subject(format!("You asked, I wrote it: {}", topic.label))
            .body(text)
            .context("building the note")?
            .formatted();
        outgoing.push(Outgoing {
            to: asker.clone(),
            eml,
            what: format!("note to {asker} about T{t}"),
            told: Some((t, asker.clone())),
        });
        n += 1;
    }
    Ok((n, told.not))
}

/// Send what the outbox holds. `send(recipient, eml)` delivers one message.
/// A sent answer is stored as the owner's own mail, so the reader's message
/// counts as answered; a sent note marks its reader told. Returns (sent, failed).
pub(crate) fn flush(
    store: &mut Store,
    config: &Config,
    send: &mut dyn FnMut(&str, &[u8]) -> Result<()>,
) -> Result<(usize, usize)> {
    let (mut sent, mut failed) = (0, 0);
    for m in store.pending_mail()? {
        match send(&m.recipient, &m.eml) {
            Ok(()) => {
                store.mail_sent(m.id)?;
                sent += 1;
                if let Some(t) = m.told_topic {
                    store.mark_told(t, &m.recipient)?;
                }
                if m.kind == OutboxKind::Answer {
                    let location = crate::store::Location {
                        place: "allears:sent".to_string(),
                        uid: 0,
                        sent: true,
                    };
                    let inc = crate::import::prepare(m.eml.clone(), location, &config.owner);
                    store.save_batch(&[inc], None)?;
                }
            }
            Err(e) => {
                failed += 1;
                tracing::warn!("could not send {} (kept for the next run): {e:#}", m.what);
                store.mail_failed(m.id, &format!("{e:#}"))?;
            }
        }
    }
    Ok((sent, failed))
}

/// The owner's results message for one command message, like Mailman's "Results".
pub(crate) fn results_message(
    store: &Store,
    config: &Config,
    h: &super::Handled,
) -> Result<(String, Vec<u8>)> {
    let mut body = String::from("allears read your reply and did this:\n\n");
    for line in h.report.lines() {
        body.push_str(&format!("- {line}\n"));
    }
    for m in store.mail_for_command(&h.message_id)? {
        let status = match (m.state, &m.last_error) {
            (OutboxState::Sent, _) => "sent".to_string(),
            (_, Some(e)) => format!("NOT SENT yet ({e}); allears tries again on the next run"),
            _ => "waiting to be sent".to_string(),
        };
        body.push_str(&format!("- {}: {status}\n", m.what));
    }
    let to = match &config.smtp {
        Some(s) => s.to.clone(),
        None => config.owner.primary().to_string(),
    };
    let subject = format!("Results: {}", h.subject.trim());
    let eml = lettre::Message::builder()
        .from(crate::send::owner_mailbox(config)?)
        .to(to
            .parse()
            .with_context(|| format!("results address `{to}`"))?)
        .subject(subject)
        .in_reply_to(format!("<{}>", h.message_id))
        .message_id(Some(new_message_id(config, &body)))
        // RFC 3834: this answers a message, automatically.
        .raw_header(lettre::message::header::HeaderValue::new(
            lettre::message::header::HeaderName::new_from_ascii_str("Auto-Submitted"),
            "auto-replied".to_string(),
        ))
        .body(body)
        .context("building the results message")?
        .formatted();
    Ok((to, eml))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_answer_never_carries_a_token_or_the_digest() {
        let text = "Hi Marta,\n\nrspamd.\n\nallears key c0ffee\nmy key: c0ffee\n--\nYour readers, Thursday\nNEEDS A REPLY (1)\n";
        assert_eq!(
            answer_text(text, &["c0ffee".into()]),
            "Hi Marta,\n\nrspamd."
        );
        let quoted_plainly = "Yes.\nReply to this message, one command per line:\n(keep this line in your reply: allears key 12ab)\n";
        assert_eq!(answer_text(quoted_plainly, &[]), "Yes.");
    }
}
