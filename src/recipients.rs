//! Who an answer or a note goes to, and what the owner must see first:
//! the person's own address (never a list's; a sender the list rewrote for
//! DMARC is resolved to the person, or not at all), a Reply-To in another
//! domain (shown, used only when the owner says so), and the readers a
//! `tell` writes to (never one whose request was spam or automated).
//!
//! `digest.rs` shows it beside each item and topic; `commands/` acts on it.
//! RFC 2369 (List-Post), RFC 2919 (List-Id), RFC 5322 section 3.6.2
//! (From, Sender, Reply-To).

use anyhow::{Context as _, Result};

use crate::classify::Source;
use crate::config::{Config, Owner};
use crate::message::Message;
use crate::store::{Row, Store};

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

/// RFC 2369 List-Post: `<mailto:list@example.org>`, or `NO` (posting not allowed).
pub(crate) fn list_post_address(value: &str) -> Result<String> {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn to(raw: &str) -> Recipients {
        let owner = Owner::new("Robin Ellis", &["robin@ellis-on-it.example"]);
        let inc = crate::import::prepare(
            raw.as_bytes().to_vec(),
            crate::store::Location {
                place: "test".into(),
                uid: 0,
                sent: false,
            },
            &owner,
        );
        let mut store = Store::in_memory().unwrap();
        store.save_batch(&[inc], None).unwrap();
        let row = store.rows().unwrap().remove(0);
        recipients(&row, &crate::message::parse(raw.as_bytes()), &owner)
    }

    const LIST: &str = "List-Id: Announce <announce.lists.example.org>\nList-Post: NO\n";

    #[test]
    fn a_list_is_never_the_person() {
        let r = to(&format!(
            "From: Bob <bob@reader.example>\nReply-To: announce@lists.example.org\n{LIST}Subject: x\n\nRobin?\n"
        ));
        assert_eq!(r.person, Ok("bob@reader.example".into()));
        assert_eq!(r.reply_to, None);
        let r = to(&format!(
            "From: \"Bob via Announce\" <announce@lists.example.org>\nReply-To: Bob <bob@reader.example>\n{LIST}Subject: x\n\nRobin?\n"
        ));
        assert_eq!(r.person, Ok("bob@reader.example".into()));
        assert!(r.munged.is_some());
        let r = to(&format!(
            "From: \"Bob via Announce\" <announce@lists.example.org>\nReply-To: announce-bounces@lists.example.org\n{LIST}Subject: x\n\nRobin?\n"
        ));
        assert!(r.person.unwrap_err().contains("rewrote the sender"));
    }

    #[test]
    fn a_reply_to_elsewhere_is_only_offered() {
        let r = to(
            "From: Alice <alice@reader.example>\nReply-To: bob@third.example\nSubject: x\n\nRobin?\n",
        );
        assert_eq!(r.person, Ok("alice@reader.example".into()));
        assert_eq!(r.reply_to.as_deref(), Some("bob@third.example"));
        assert!(r.note(6).unwrap().contains("`#6 reply-to`"));
        let same = to(
            "From: Alice <alice@reader.example>\nReply-To: a.l@mail.reader.example\nSubject: x\n\nRobin?\n",
        );
        assert_eq!(same.person, Ok("a.l@mail.reader.example".into()));
        assert_eq!(same.note(6), None);
    }
}
