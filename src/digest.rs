//! Choosing what goes into a digest and building its view model.
//!
//! Comes after `analyze.rs` (threads, answered, topic groups are current) and
//! before `render.rs` (templates) and `send.rs` (lettre). "Needs a reply" holds
//! the messages that ask the owner something and are not answered, not
//! handled (done, ignored, muted) and not snoozed; each gets a stable item id
//! (`#12`) from the store. Everything that came from a message is carried as
//! plain text here; escaping is the template engine's job, and links are
//! limited to http, https and mailto.

use anyhow::Result;
use jiff::Timestamp;
use serde::Serialize;

use crate::analyze::{self, TopicGroup};
use crate::classify::Source;
use crate::config::Config;
use crate::store::{Row, Store};

#[derive(Debug, Clone, Serialize)]
pub(crate) struct Digest {
    pub owner: String,
    /// The day the digest is for, in the owner's zone ("2026-11-26").
    pub period: String,
    /// That day for people ("Thursday 26 November 2026").
    pub day: String,
    pub subject: String,
    pub needs_reply: Vec<NeedsReply>,
    pub topics: Vec<TopicView>,
    /// Messages stored that could not be fully parsed (kept raw, listed so nothing hides).
    pub unparsed: usize,
    pub empty: bool,
}

#[derive(Debug, Clone, Serialize)]
pub(crate) struct NeedsReply {
    pub id: i64,
    pub message_id: String,
    pub who: String,
    pub email: String,
    /// "a comment on “Post”", "Netadmins", "direct mail".
    #[serde(rename = "where")]
    pub place: String,
    pub kind: &'static str,
    pub age: String,
    pub subject: String,
    pub question: String,
    pub why: String,
    pub link: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub(crate) struct TopicView {
    pub id: i64,
    pub label: String,
    pub readers: usize,
    pub words: Vec<String>,
    pub askers: Vec<String>,
    pub messages: Vec<String>,
}

/// An item of the digest, as `allears items --json` lists it.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct ItemView {
    pub id: String,
    pub kind: &'static str,
    pub message_ids: Vec<String>,
    pub summary: String,
}

/// The day a digest made at `now` is for, in the owner's zone.
pub(crate) fn period(config: &Config, now: Timestamp) -> (String, String) {
    let tz = owner_zone(config);
    let day = now.to_zoned_datetime(tz).date();
    (day.to_string(), day.strftime("%A %-d %B %Y").to_string())
}

pub(crate) fn owner_zone(config: &Config) -> jiff::tz::TimeZone {
    if config.schedule.timezone.is_empty() {
        jiff::tz::TimeZone::system()
    } else {
        jiff::tz::TimeZone::get(&config.schedule.timezone).unwrap_or(jiff::tz::TimeZone::UTC)
    }
}

/// Is this stored message an open "needs a reply" candidate (before item state)?
pub(crate) fn wants_reply(row: &Row) -> bool {
    row.asks_owner
        && row.answered_by.is_none()
        && !matches!(row.source, Source::Own | Source::Automated)
}

pub(crate) fn build(store: &mut Store, config: &Config, now: Timestamp) -> Result<Digest> {
    let (period, day) = period(config, now);
    let rows = store.rows()?;
    let mutes = store.mutes()?;
    let oldest = now.as_second() - i64::from(config.digest.max_age_days) * 86_400;
    let mut needs_reply = Vec::new();
    for row in rows.iter().filter(|r| wants_reply(r)) {
        if row.date.is_some_and(|d| d < oldest) {
            continue;
        }
        let muted = mutes.iter().any(|(kind, value)| {
            (kind == "thread" && row.thread.as_deref() == Some(value.as_str()))
                || (kind == "sender" && value.eq_ignore_ascii_case(&who_email(row)))
        });
        if muted {
            continue;
        }
        let item = store.item_for(&format!("msg:{}", row.message_id))?;
        let snoozed = item.snooze_until.is_some_and(|t| t > now.as_second());
        if item.state != "open" || snoozed {
            continue;
        }
        needs_reply.push(needs_reply_view(item.id, row, now));
    }
    let topics = analyze::topic_groups(store, config)?
        .into_iter()
        .filter(|g| g.state == "open" || g.state == "planned")
        .map(topic_view)
        .collect::<Vec<_>>();
    let unparsed = store.parse_failures()?.len();
    let subject = config.digest.subject.replace("{date}", &day);
    Ok(Digest {
        owner: config.owner.name.clone(),
        period,
        day,
        subject,
        empty: needs_reply.is_empty() && topics.is_empty(),
        needs_reply,
        topics,
        unparsed,
    })
}

fn who_email(row: &Row) -> String {
    row.class
        .context
        .author
        .as_ref()
        .map(|a| a.email.clone())
        .filter(|e| !e.is_empty())
        .unwrap_or_else(|| row.from_addr.clone())
}

fn needs_reply_view(id: i64, row: &Row, now: Timestamp) -> NeedsReply {
    let ctx = &row.class.context;
    let author = ctx.author.as_ref();
    let who = author
        .map(|a| a.name.clone())
        .filter(|n| !n.is_empty())
        .or_else(|| (!row.from_name.is_empty()).then(|| row.from_name.clone()))
        .unwrap_or_else(|| who_email(row));
    let (kind, place) = match row.source {
        Source::Comment => (
            "comment",
            match &ctx.post_title {
                Some(t) => format!("a comment on “{t}”"),
                None => "a blog comment".to_string(),
            },
        ),
        Source::List => (
            "list",
            ctx.list_name
                .clone()
                .or_else(|| ctx.list_id.clone())
                .unwrap_or_else(|| "a mailing list".to_string()),
        ),
        _ => ("direct", "direct mail".to_string()),
    };
    let why = row
        .class
        .reasons
        .iter()
        .find(|r| r.rule.starts_with("asks"))
        .map(|r| r.rule.trim_start_matches("asks: ").to_string())
        .unwrap_or_default();
    let link = ctx
        .comment_url
        .as_deref()
        .or(ctx.archive.as_deref())
        .and_then(safe_link);
    NeedsReply {
        id,
        message_id: row.message_id.clone(),
        who,
        email: who_email(row),
        place,
        kind,
        age: row
            .date
            .map(|d| age(now.as_second() - d))
            .unwrap_or_else(|| "undated".into()),
        subject: row.subject.clone(),
        question: clip(&row.class.question, 400),
        why,
        link,
    }
}

fn topic_view(g: TopicGroup) -> TopicView {
    TopicView {
        id: g.id,
        label: g.label,
        readers: g.askers.len(),
        words: g.words.iter().map(|w| clip(w, 240)).collect(),
        askers: g.askers,
        messages: g.messages,
    }
}

/// Only links a mail client may follow safely: http, https, mailto.
pub(crate) fn safe_link(url: &str) -> Option<String> {
    let u = url.trim();
    let lower = u.to_ascii_lowercase();
    let ok = (lower.starts_with("https://")
        || lower.starts_with("http://")
        || lower.starts_with("mailto:"))
        && !u
            .chars()
            .any(|c| c.is_control() || c.is_whitespace() || c == '"' || c == '<' || c == '>');
    ok.then(|| u.to_string())
}

/// "3 days ago", "5 hours ago", "just now".
pub(crate) fn age(secs: i64) -> String {
    let (n, unit) = match secs.max(0) {
        s if s < 3600 => return "just now".to_string(),
        s if s < 86_400 => (s / 3600, "hour"),
        s if s < 14 * 86_400 => (s / 86_400, "day"),
        s => (s / (7 * 86_400), "week"),
    };
    format!("{n} {unit}{} ago", if n == 1 { "" } else { "s" })
}

pub(crate) fn clip(s: &str, max: usize) -> String {
    let one_line = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if one_line.chars().count() <= max {
        return one_line;
    }
    let mut out: String = one_line.chars().take(max).collect();
    out.push('…');
    out
}

/// The digest's items for `allears items --json`.
pub(crate) fn items(d: &Digest) -> Vec<ItemView> {
    let mut out: Vec<ItemView> = d
        .needs_reply
        .iter()
        .map(|n| ItemView {
            id: format!("#{}", n.id),
            kind: "needs_reply",
            message_ids: vec![n.message_id.clone()],
            summary: format!(
                "{} ({}): {}",
                n.who,
                n.place,
                if n.question.is_empty() {
                    &n.subject
                } else {
                    &n.question
                }
            ),
        })
        .collect();
    out.extend(d.topics.iter().map(|t| ItemView {
        id: format!("T{}", t.id),
        kind: "topic",
        message_ids: t.messages.clone(),
        summary: format!(
            "{} ({} reader{})",
            t.label,
            t.readers,
            if t.readers == 1 { "" } else { "s" }
        ),
    }));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_safe_links() {
        assert!(safe_link("https://a.example/x").is_some());
        assert!(safe_link("mailto:a@b").is_some());
        assert!(safe_link("javascript:alert(1)").is_none());
        assert!(safe_link("JaVaScRiPt:alert(1)").is_none());
        assert!(safe_link("https://a.example/\"onmouseover=x").is_none());
        assert!(safe_link("data:text/html,x").is_none());
    }

    #[test]
    fn ages() {
        assert_eq!(age(10), "just now");
        assert_eq!(age(7200), "2 hours ago");
        assert_eq!(age(86_400), "1 day ago");
        assert_eq!(age(30 * 86_400), "4 weeks ago");
    }
}
