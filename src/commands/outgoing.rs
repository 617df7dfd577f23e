//! Mail that commands send: the owner's answer to a reader (threaded under
//! the reader's message), "you asked, I wrote it" notes, and the results
//! message for each command message; and sending what waits in the outbox.
//! Nothing here writes to anyone by itself (RFC 3834): only the owner's
//! explicit `reply` or `tell` does.

use anyhow::{Context as _, Result};

use crate::classify::Source;
use crate::config::{Config, Owner};
use crate::message::Message;
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

/// Where a private answer to a message goes, and what the owner must see
/// about it before answering.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Recipients {
    /// The person who wrote: their own address (never a list's), or why
    /// there is none.
    pub person: Result<String, String>,
    /// A Reply-To in another domain than the author's (and not a list's):
    /// shown, and used only by `#N reply-to`.
    pub reply_to: Option<String>,
    /// The list rewrote the sender for DMARC ("Bob via Announce" <list@>),
    /// as this: the person was found elsewhere in the message.
    pub munged: Option<String>,
}

impl Recipients {
    /// What the digest item says about where answers go, when it is not
    /// simply the sender shown.
    pub fn note(&self, item: i64) -> Option<String> {
        match (&self.person, &self.reply_to) {
            (Err(why), _) => Some(format!("no private answer: {why}")),
            (Ok(p), Some(rt)) => Some(format!(
                "answers go to {p}; its Reply-To asks for {rt}, another domain than the sender's: `#{item} reply-to` answers there"
            )),
            (Ok(p), None) => self
                .munged
                .as_ref()
                .map(|m| format!("answers go to {p} (the list rewrote the sender as {m})")),
        }
    }
}

/// Where a private answer to the message `row` (parsed as `msg`) goes.
pub(crate) fn recipients(row: &Row, msg: &Message, owner: &Owner) -> Recipients {
    let lists = list_addresses(row, msg);
    let is_list = |a: &str| is_list_address(a, &lists);
    let usable = |a: &str| a.contains('@') && !is_list(a) && !owner.is_owner(a);
    let mut out = Recipients {
        person: Err("the message names no one to answer".to_string()),
        reply_to: None,
        munged: None,
    };
    // A comment or pingback notification comes from the platform: the
    // person is the commenter it names.
    if matches!(row.source, Source::Comment | Source::Pingback) {
        out.person = match commenter(row) {
            Some(who) if usable(&who) => Ok(who),
            _ => Err("the notification names no address of the commenter".to_string()),
        };
        return out;
    }
    let Some(from) = &msg.from else {
        return out;
    };
    let via = munged_name(&from.name);
    if is_list(&from.email) || (via.is_some() && !lists.is_empty()) {
        // DMARC munging (Mailman's from_is_list, Google Groups): the list's
        // own address stands in From; the person is in X-Original-From,
        // or in Reply-To or Cc, where the list put them.
        out.munged = Some(format!("“{}” <{}>", from.name, from.email));
        let original = ["X-Original-From", "X-Original-Sender"]
            .iter()
            .filter_map(|h| msg.header(h))
            .filter_map(|v| mailparse::addrparse(v).ok())
            .flat_map(|l| l.extract_single_info())
            .map(|s| s.addr.trim().to_ascii_lowercase());
        let named = |a: &&crate::message::Address| {
            via.as_deref()
                .is_some_and(|n| a.name.eq_ignore_ascii_case(n))
        };
        // An address at the list's own domain (Discourse's replies+...@) is
        // the list's, however it is named.
        let found = original
            .chain(msg.reply_to.iter().map(|a| a.email.clone()))
            .chain(msg.cc.iter().filter(named).map(|a| a.email.clone()))
            .find(|a| usable(a) && !same_domain(a, &from.email));
        let instead = if row.class.context.list_post.is_some() {
            "answer on the list (`reply-list`) or write to them yourself"
        } else {
            "answer where they wrote, or write to them yourself"
        };
        out.person = found.ok_or_else(|| {
            format!(
                "the list rewrote the sender as “{}” <{}> and the message names no address of the person: {instead}",
                from.name, from.email
            )
        });
        return out;
    }
    if !usable(&from.email) {
        out.person = Err(format!(
            "its sender {} is not a person's address",
            from.email
        ));
        return out;
    }
    out.person = Ok(from.email.clone());
    // A Reply-To that is the list's (Mailman's reply_goes_to_list) is never
    // used for a private answer; one in the sender's own domain is theirs;
    // one elsewhere may be anyone's: shown, and used only when told.
    if let Some(rt) = msg
        .reply_to
        .iter()
        .map(|a| a.email.clone())
        .find(|a| usable(a) && *a != from.email)
    {
        if same_domain(&rt, &from.email) {
            out.person = Ok(rt);
        } else {
            out.reply_to = Some(rt);
        }
    }
    out
}

/// The commenter's own address, from a comment or pingback notification
/// (never the platform's sending address).
fn commenter(row: &Row) -> Option<String> {
    row.class
        .context
        .author
        .as_ref()
        .map(|a| a.email.clone())
        .filter(|e| e.contains('@'))
}

/// "Bob Lister via Announce" -> "Bob Lister" (also Google Groups' "'Bob' via Group").
fn munged_name(name: &str) -> Option<String> {
    let lower = name.to_lowercase();
    let at = lower.rfind(" via ")?;
    let who = name[..at].trim().trim_matches(['\'', '"']).trim();
    (!who.is_empty()).then(|| who.to_string())
}

/// The addresses the message's list answers at or sends from: List-Post,
/// the address a List-Id (RFC 2919) or X-BeenThere names, and a list
/// Sender.
fn list_addresses(row: &Row, msg: &Message) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(post) = msg.header("List-Post")
        && let Ok(a) = list_post_address(post)
    {
        out.push(a.to_ascii_lowercase());
    }
    let ids = msg
        .header("List-Id")
        .map(|v| crate::classify::source::parse_list_id(v).1)
        .into_iter()
        .chain(row.class.context.list_id.clone());
    for id in ids {
        if id.contains('@') {
            out.push(id.to_ascii_lowercase());
        } else if let Some((local, domain)) = id.split_once('.')
            && domain.contains('.')
        {
            out.push(format!("{local}@{domain}").to_ascii_lowercase());
        }
    }
    for h in ["X-BeenThere", "X-Mailing-List"] {
        if let Some(v) = msg.header(h)
            && let Some(a) = v
                .split(|c: char| c.is_whitespace() || matches!(c, '<' | '>' | ';' | ','))
                .find(|w| w.contains('@'))
        {
            out.push(a.to_ascii_lowercase());
        }
    }
    if let Some(sender) = &msg.sender
        && (!out.is_empty() || list_role(&sender.email))
    {
        out.push(sender.email.clone());
    }
    out
}

/// A list's administrative address: `x-bounces@`, `x-request@`, `owner-x@`...
fn list_role(address: &str) -> bool {
    let local = address.split('@').next().unwrap_or("");
    [
        "-bounces",
        "-request",
        "-owner",
        "-admin",
        "-help",
        "-subscribe",
        "-unsubscribe",
    ]
    .iter()
    .any(|s| local.ends_with(s) || local.contains(&format!("{s}+")))
        || local.starts_with("owner-")
}

fn is_list_address(address: &str, lists: &[String]) -> bool {
    let a = address.to_ascii_lowercase();
    lists.contains(&a) || (!lists.is_empty() && list_role(&a))
}

/// The same domain, or one under the other (mail.example.org, example.org).
fn same_domain(a: &str, b: &str) -> bool {
    let (Some((_, da)), Some((_, db))) = (a.rsplit_once('@'), b.rsplit_once('@')) else {
        return false;
    };
    let (da, db) = (da.to_ascii_lowercase(), db.to_ascii_lowercase());
    let under =
        |long: &str, short: &str| short.contains('.') && long.ends_with(&format!(".{short}"));
    da == db || under(&da, &db) || under(&db, &da)
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

/// RFC 2369 List-Post: `<mailto:list@example.org>`, or `NO` (posting not allowed).
fn list_post_address(value: &str) -> Result<String> {
    let v = value.trim();
    if v.eq_ignore_ascii_case("no")
        || v.to_ascii_lowercase().starts_with("no ")
        || v.starts_with("NO")
    {
        anyhow::bail!("the list says List-Post: NO (it does not accept posts)");
    }
    let start = v
        .to_ascii_lowercase()
        .find("mailto:")
        .context("List-Post has no mailto: address")?;
    let rest = &v[start + 7..];
    let end = rest.find(['>', '?', ',', ' ']).unwrap_or(rest.len());
    let addr = rest[..end].trim();
    if !addr.contains('@') {
        anyhow::bail!("List-Post `{v}` has no usable address");
    }
    Ok(addr.to_string())
}

/// Who `T3 tell` writes to: each reader whose request for the topic was
/// not judged spam or automated, by address; and the others, with why not.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct Told {
    pub tell: Vec<String>,
    pub not: Vec<String>,
}

pub(crate) fn who_to_tell(
    store: &Store,
    config: &Config,
    group: &crate::analyze::TopicGroup,
) -> Result<Told> {
    let mut out = Told::default();
    for id in &group.messages {
        let Some(row) = store.row_by_message_id(id)? else {
            continue;
        };
        let asker = if matches!(row.source, Source::Comment | Source::Pingback) {
            commenter(&row).unwrap_or_default()
        } else {
            row.reader_email()
        };
        let why_not = if matches!(
            row.source,
            Source::Automated | Source::Pingback | Source::Own
        ) {
            Some("automated")
        } else if row.class.reasons.iter().any(|r| {
            r.rule == crate::classify::Rule::AsksNothing && r.why == crate::classify::asks::SPAM
        }) {
            Some("spam")
        } else if !asker.contains('@') || config.owner.is_owner(&asker) {
            Some("no address")
        } else {
            None
        };
        match why_not {
            None if !out.tell.contains(&asker) => out.tell.push(asker),
            None => {}
            Some(why) => {
                let who = match (&row.class.context.author, asker.is_empty()) {
                    (Some(a), true) if !a.name.is_empty() => a.name.clone(),
                    (_, true) => row.from_addr.clone(),
                    _ => asker.clone(),
                };
                let line = format!("{who} ({why})");
                if !out.not.contains(&line) {
                    out.not.push(line);
                }
            }
        }
    }
    // Asked once as spam and once in earnest: the earnest request counts.
    out.not
        .retain(|n| !out.tell.iter().any(|t| n.starts_with(&format!("{t} ("))));
    Ok(out)
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
    let renderer = crate::render::Renderer::new()?;
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
