//! Choosing what goes into a digest and building its view model.
//!
//! Comes after `analyze.rs` (threads, answered, topic groups are current) and
//! before `render.rs` (templates) and `send.rs` (lettre). "Needs a reply" holds
//! the messages that ask the owner something and are not answered, not
//! handled (done, ignored, muted) and not snoozed, and that no accepted digest
//! has shown yet; those it has shown are "Still waiting". Each gets a stable
//! item id (`#12`) from the store. "On your lists", "Comments on your posts"
//! and "Handled" cover what happened since the last digest the server
//! accepted (before the first one: `max_age_days`). Everything that came from
//! a message is carried as plain, one-line text here (`clip`); escaping is the
//! template engine's job, and links are limited to http, https and mailto.

use std::collections::{BTreeMap, HashMap};

use anyhow::Result;
use jiff::Timestamp;
use jiff::civil::Date;
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
    /// "since your last digest (Wednesday 25 November)" or "over the last 60 days".
    pub since: String,
    /// Open items never shown in an accepted digest, oldest first.
    pub needs_reply: Vec<NeedsReply>,
    pub topics: Vec<TopicView>,
    pub lists: Vec<ListView>,
    pub posts: Vec<PostView>,
    /// Open items an earlier digest showed, still not acted on.
    pub still_waiting: Vec<NeedsReply>,
    pub handled: Vec<HandledView>,
    /// Where replies with commands go (the digest's Reply-To).
    pub reply_to: String,
    /// The secret token, shown in the footer only when `reply_to` does not carry it
    /// (a configured `[commands] address`), so a reply quoting the footer does.
    pub command_key: Option<String>,
    /// Messages stored that could not be fully parsed (kept raw, listed so nothing hides).
    pub unparsed: usize,
    /// Replies to a digest that were not allowed to command, and why.
    pub refused: Vec<String>,
    /// Nothing new since the last digest (`[schedule] empty` decides whether it is sent).
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
    /// What the link opens: "the comment", "the archive".
    pub link_label: &'static str,
    /// For "Still waiting": when a digest first showed it ("5 days ago").
    pub shown: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub(crate) struct TopicView {
    pub id: i64,
    pub label: String,
    pub readers: usize,
    pub words: Vec<String>,
    pub askers: Vec<String>,
    pub messages: Vec<String>,
    /// Some request in it arrived since the last digest.
    pub new: bool,
}

/// One mailing list's activity since the last digest.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct ListView {
    pub name: String,
    pub messages: usize,
    pub new_threads: usize,
    pub busiest: Option<ThreadView>,
    /// Messages that name the owner (by name, @handle or address).
    pub mentions: Vec<MentionView>,
}

#[derive(Debug, Clone, Serialize)]
pub(crate) struct ThreadView {
    pub subject: String,
    pub messages: usize,
    pub link: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub(crate) struct MentionView {
    pub who: String,
    pub subject: String,
    pub excerpt: String,
    pub link: Option<String>,
}

/// Comments on one of the owner's posts since the last digest.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct PostView {
    pub title: String,
    pub link: Option<String>,
    pub comments: Vec<CommentView>,
    /// Pingbacks and trackbacks, collapsed into one line.
    pub pingbacks: usize,
    pub linked_from: Vec<SiteView>,
}

/// A site that linked to a post (a pingback's or trackback's "Website:" and "URL:").
#[derive(Debug, Clone, Serialize)]
pub(crate) struct SiteView {
    pub name: String,
    pub link: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub(crate) struct CommentView {
    pub who: String,
    pub age: String,
    pub excerpt: String,
    pub link: Option<String>,
}

/// An item shown before that was handled since the last digest.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct HandledView {
    pub id: i64,
    pub who: String,
    pub subject: String,
    /// "you replied", "done", "ignored", "muted".
    pub how: String,
}

/// An item of the digest, as `allears items --json` lists it.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct ItemView {
    pub id: String,
    pub kind: &'static str,
    pub message_ids: Vec<String>,
    pub summary: String,
}

/// The owner's time zone: `[schedule] timezone`, else the machine's.
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

/// The digest for the day `now` falls on (what `allears digest` previews).
pub(crate) fn build(store: &mut Store, config: &Config, now: Timestamp) -> Result<Digest> {
    let day = now.to_zoned_datetime(owner_zone(config)).date();
    build_for(store, config, now, day)
}

/// The digest for `day`, made at `now`: open items, and what happened since the last
/// digest the server accepted (or over `max_age_days` before the first one).
pub(crate) fn build_for(
    store: &mut Store,
    config: &Config,
    now: Timestamp,
    day: Date,
) -> Result<Digest> {
    let rows = store.rows()?;
    let since = since(store, config, now)?;
    let (needs_reply, still_waiting) = open_items(store, config, &rows, now)?;
    let topics = topics(store, config, &rows, since.at)?;
    let window: Vec<&Row> = rows
        .iter()
        .filter(|r| r.date.unwrap_or(0) >= since.at && r.source != Source::Own)
        .collect();
    let lists = lists(store, config, &rows, &window)?;
    let posts = posts(store, &config.owner, &window, now)?;
    let handled = handled(store, &rows, since.at)?;
    let token = store.command_token()?;
    let reply_to = crate::send::reply_to(config, &token);
    let day_name = day.strftime("%A %-d %B %Y").to_string();
    let refused = refused(store, &rows, since.at)?;
    let empty = refused.is_empty()
        && needs_reply.is_empty()
        && !topics.iter().any(|t| t.new)
        && lists.is_empty()
        && posts.is_empty()
        && handled.is_empty();
    Ok(Digest {
        owner: config.owner.name.clone(),
        period: day.to_string(),
        subject: config.digest.subject.replace("{date}", &day_name),
        day: day_name,
        since: since.label,
        needs_reply,
        topics,
        lists,
        posts,
        still_waiting,
        handled,
        command_key: (!reply_to.contains(&token)).then_some(token),
        reply_to,
        unparsed: store.parse_failures()?.len(),
        refused,
        empty,
    })
}

/// Replies to a digest that were refused since `at`: who sent them and why.
fn refused(store: &Store, rows: &[Row], at: i64) -> Result<Vec<String>> {
    Ok(store
        .refused_commands_since(at)?
        .into_iter()
        .map(|(id, why)| {
            let who = rows
                .iter()
                .find(|r| r.message_id == id)
                .map(|r| format!("“{}” from {}", clip(&r.subject, 80), r.from_addr))
                .unwrap_or_else(|| format!("<{id}>"));
            format!("{who}: {}", why.trim_start_matches("ignored: "))
        })
        .collect())
}

struct Since {
    at: i64,
    label: String,
}

/// Where "new" starts: the last accepted digest, else `max_age_days` back.
fn since(store: &Store, config: &Config, now: Timestamp) -> Result<Since> {
    if let Some(at) = store.last_sent_digest()?.and_then(|d| d.sent_at) {
        let day = Timestamp::from_second(at)
            .map(|t| {
                t.to_zoned_datetime(owner_zone(config))
                    .strftime("%A %-d %B")
                    .to_string()
            })
            .unwrap_or_default();
        return Ok(Since {
            at,
            label: format!("since your last digest ({day})"),
        });
    }
    let days = config.digest.max_age_days;
    Ok(Since {
        at: now.as_second() - i64::from(days) * 86_400,
        label: format!("over the last {days} days"),
    })
}

/// Open items, split into never shown ("Needs a reply") and shown before ("Still waiting").
fn open_items(
    store: &mut Store,
    config: &Config,
    rows: &[Row],
    now: Timestamp,
) -> Result<(Vec<NeedsReply>, Vec<NeedsReply>)> {
    let mutes = store.mutes()?;
    let oldest = now.as_second() - i64::from(config.digest.max_age_days) * 86_400;
    let (mut fresh, mut waiting) = (Vec::new(), Vec::new());
    for row in rows.iter().filter(|r| wants_reply(r)) {
        if row.date.is_some_and(|d| d < oldest) {
            continue;
        }
        let muted = mutes.iter().any(|(kind, value)| {
            (kind == "thread" && row.thread.as_deref() == Some(value.as_str()))
                || (kind == "sender" && value.eq_ignore_ascii_case(&row.reader_email()))
        });
        if muted {
            continue;
        }
        let item = store.item_for(&format!("msg:{}", row.message_id))?;
        let snoozed = item.snooze_until.is_some_and(|t| t > now.as_second());
        if item.state != "open" || snoozed {
            continue;
        }
        let mut view = needs_reply_view(item.id, row, now);
        match item.first_shown {
            Some(shown) => {
                view.shown = Some(age(now.as_second() - shown));
                waiting.push(view);
            }
            None => fresh.push(view),
        }
    }
    Ok((fresh, waiting))
}

fn topics(store: &mut Store, config: &Config, rows: &[Row], since: i64) -> Result<Vec<TopicView>> {
    let dates: HashMap<&str, i64> = rows
        .iter()
        .map(|r| (r.message_id.as_str(), r.date.unwrap_or(0)))
        .collect();
    Ok(analyze::topic_groups(store, config)?
        .into_iter()
        .filter(|g| g.state == "open" || g.state == "planned")
        .map(|g| {
            let new = g
                .messages
                .iter()
                .any(|m| dates.get(m.as_str()).is_some_and(|&d| d >= since));
            topic_view(g, new)
        })
        .collect())
}

/// Per list: how much traffic, how many new threads, the busiest, and where the owner was named.
fn lists(store: &Store, config: &Config, rows: &[Row], window: &[&Row]) -> Result<Vec<ListView>> {
    let by_id: HashMap<&str, &Row> = rows.iter().map(|r| (r.message_id.as_str(), r)).collect();
    let mut per_list: BTreeMap<String, Vec<&Row>> = BTreeMap::new();
    for row in window.iter().filter(|r| r.source == Source::List) {
        let ctx = &row.class.context;
        let name = ctx
            .list_name
            .clone()
            .or_else(|| ctx.list_id.clone())
            .unwrap_or_else(|| "a mailing list".to_string());
        per_list.entry(clip(&name, 80)).or_default().push(row);
    }
    per_list
        .into_iter()
        .map(|(name, msgs)| list_view(store, config, &by_id, name, &msgs))
        .collect()
}

fn list_view(
    store: &Store,
    config: &Config,
    by_id: &HashMap<&str, &Row>,
    name: String,
    msgs: &[&Row],
) -> Result<ListView> {
    let mut threads: BTreeMap<&str, Vec<&Row>> = BTreeMap::new();
    for row in msgs {
        let root = row.thread.as_deref().unwrap_or(&row.message_id);
        threads.entry(root).or_default().push(row);
    }
    // A thread is new when its first message is among the new ones.
    let new_threads = threads
        .keys()
        .filter(|root| msgs.iter().any(|r| r.message_id == **root))
        .count();
    let busiest = threads
        .iter()
        .max_by_key(|(_, m)| m.len())
        .filter(|(_, m)| m.len() > 1)
        .map(|(root, m)| {
            let first = by_id.get(root).copied().unwrap_or(m[0]);
            ThreadView {
                subject: clip(without_list_tags(&first.subject), 120),
                messages: m.len(),
                link: first.class.context.archive.as_deref().and_then(safe_link),
            }
        });
    let mut mentions = Vec::new();
    for row in msgs {
        if let Some(excerpt) = mention(store, config, row)? {
            mentions.push(MentionView {
                who: who(row),
                subject: clip(without_list_tags(&row.subject), 120),
                excerpt,
                link: row.class.context.archive.as_deref().and_then(safe_link),
            });
        }
    }
    Ok(ListView {
        name,
        messages: msgs.len(),
        new_threads,
        busiest,
        mentions,
    })
}

/// "[Forum] [Networking] Re: Topic" -> "Re: Topic": the list is named beside it already.
fn without_list_tags(subject: &str) -> &str {
    let mut s = subject.trim_start();
    while let Some(rest) = s.strip_prefix('[')
        && let Some(end) = rest.find(']')
    {
        s = rest[end + 1..].trim_start();
    }
    if s.is_empty() { subject } else { s }
}

/// The line of a message's new text that names the owner, if one does.
fn mention(store: &Store, config: &Config, row: &Row) -> Result<Option<String>> {
    let Some(raw) = store.raw(&row.message_id)? else {
        return Ok(None);
    };
    let msg = crate::message::parse(&raw);
    let new = crate::newtext::new_text(&msg.text);
    Ok(new
        .text
        .lines()
        .find(|line| names_owner(line, &config.owner))
        .map(|line| clip(line, 200)))
}

/// Full name, any address, or an @handle made of the first name (as forums write it).
fn names_owner(line: &str, owner: &crate::config::Owner) -> bool {
    let lower = line.to_lowercase();
    let name = owner.name.to_lowercase();
    let handle = name
        .split_whitespace()
        .next()
        .map(|first| format!("@{first}"));
    (!name.is_empty() && lower.contains(&name))
        || owner
            .addresses
            .iter()
            .any(|a| lower.contains(&a.to_lowercase()))
        || handle.is_some_and(|h| {
            lower.match_indices(&h).any(|(i, _)| {
                !lower[i + h.len()..]
                    .chars()
                    .next()
                    .is_some_and(|c| c.is_alphanumeric())
            })
        })
}

/// Per post: the new comments, and pingbacks collapsed into one line.
fn posts(
    store: &Store,
    owner: &crate::config::Owner,
    window: &[&Row],
    now: Timestamp,
) -> Result<Vec<PostView>> {
    let mut per_post: BTreeMap<String, PostView> = BTreeMap::new();
    // The owner's own reply comments come back as notifications too; they are not news.
    let by_owner = |r: &Row| {
        r.class
            .context
            .author
            .as_ref()
            .is_some_and(|a| owner.is_owner(&a.email))
    };
    for row in window
        .iter()
        .filter(|r| matches!(r.source, Source::Comment | Source::Pingback) && !by_owner(r))
    {
        let ctx = &row.class.context;
        let title = ctx
            .post_title
            .clone()
            .or_else(|| quoted_title(&row.subject))
            .or_else(|| ctx.post_url.clone())
            .unwrap_or_else(|| "a post".to_string());
        // One post, however its notifications name it: by its URL when known.
        let key = ctx.post_url.clone().unwrap_or_else(|| title.clone());
        let post = per_post.entry(key).or_insert_with(|| PostView {
            title: clip(&title, 120),
            link: ctx.post_url.as_deref().and_then(safe_link),
            comments: Vec::new(),
            pingbacks: 0,
            linked_from: Vec::new(),
        });
        if row.source == Source::Pingback {
            post.pingbacks += 1;
            let site = linking_site(store, row)?;
            if !post.linked_from.iter().any(|s| s.name == site.name) {
                post.linked_from.push(site);
            }
            continue;
        }
        post.comments.push(CommentView {
            who: who(row),
            age: row
                .date
                .map(|d| age(now.as_second() - d))
                .unwrap_or_else(|| "undated".into()),
            excerpt: comment_text(store, row)?,
            link: ctx.comment_url.as_deref().and_then(safe_link),
        });
    }
    Ok(per_post.into_values().collect())
}

/// `[Blog] Pingback: "Title"` -> `Title` (WordPress notification subjects).
fn quoted_title(subject: &str) -> Option<String> {
    let (_, rest) = subject.split_once('"')?;
    let title = rest.trim_end().trim_end_matches('"');
    (!title.is_empty()).then(|| title.to_string())
}

/// The site behind a pingback or trackback: WordPress writes `Website: NAME (IP address: ...)`
/// and `URL: ...` in the notification; else the sender.
fn linking_site(store: &Store, row: &Row) -> Result<SiteView> {
    let msg = store
        .raw(&row.message_id)?
        .map(|raw| crate::message::parse(&raw));
    let field = |name: &str| {
        msg.as_ref().and_then(|m| {
            m.text
                .lines()
                .find_map(|l| l.trim().strip_prefix(name).map(str::trim))
                .filter(|v| !v.is_empty())
                .map(str::to_string)
        })
    };
    let name = field("Website:")
        .map(|w| w.split(" (IP address").next().unwrap_or("").to_string())
        .filter(|w| !w.trim().is_empty())
        .unwrap_or_else(|| who(row));
    Ok(SiteView {
        name: clip(&name, 80),
        link: field("URL:").as_deref().and_then(safe_link),
    })
}

fn comment_text(store: &Store, row: &Row) -> Result<String> {
    let Some(raw) = store.raw(&row.message_id)? else {
        return Ok(String::new());
    };
    let msg = crate::message::parse(&raw);
    let body = crate::classify::source::writer_text(&msg, row.source);
    Ok(clip(&crate::newtext::new_text(&body).text, 200))
}

/// Items an accepted digest showed that were handled since the last one: closed by a
/// command, or answered by a message of the owner's dated after it.
fn handled(store: &Store, rows: &[Row], since: i64) -> Result<Vec<HandledView>> {
    let by_id: HashMap<&str, &Row> = rows.iter().map(|r| (r.message_id.as_str(), r)).collect();
    let mut out = Vec::new();
    for item in store.items()?.iter().filter(|i| i.first_shown.is_some()) {
        let Some(row) = item
            .key
            .strip_prefix("msg:")
            .and_then(|id| by_id.get(id).copied())
        else {
            continue;
        };
        let how = if item.state != "open" {
            item.closed_at
                .is_some_and(|t| t >= since)
                .then(|| item.state.clone())
        } else {
            row.answered_by
                .as_deref()
                .and_then(|a| by_id.get(a))
                .filter(|answer| answer.date.unwrap_or(0) >= since)
                .map(|_| "you replied".to_string())
        };
        if let Some(how) = how {
            out.push(HandledView {
                id: item.id,
                who: who(row),
                subject: clip(&row.subject, 120),
                how,
            });
        }
    }
    Ok(out)
}

/// The person behind a message, for people: the commenter's name, else the sender's.
fn who(row: &Row) -> String {
    let name = row
        .class
        .context
        .author
        .as_ref()
        .map(|a| a.name.clone())
        .filter(|n| !n.trim().is_empty())
        .or_else(|| (!row.from_name.trim().is_empty()).then(|| row.from_name.clone()))
        .unwrap_or_else(|| row.reader_email());
    clip(&name, 80)
}

fn needs_reply_view(id: i64, row: &Row, now: Timestamp) -> NeedsReply {
    let ctx = &row.class.context;
    let (kind, place) = match row.source {
        Source::Comment => (
            "comment",
            match &ctx.post_title {
                Some(t) => format!("a comment on “{}”", clip(t, 120)),
                None => "a blog comment".to_string(),
            },
        ),
        Source::List => (
            "list",
            clip(
                ctx.list_name
                    .as_deref()
                    .or(ctx.list_id.as_deref())
                    .unwrap_or("a mailing list"),
                80,
            ),
        ),
        _ => ("direct", "direct mail".to_string()),
    };
    let why = row
        .class
        .reasons
        .iter()
        .find(|r| r.rule.starts_with("asks"))
        .map(|r| clip(r.rule.trim_start_matches("asks: "), 160))
        .unwrap_or_default();
    let (link, link_label) = match ctx.comment_url.as_deref().and_then(safe_link) {
        Some(url) => (Some(url), "the comment"),
        None => (ctx.archive.as_deref().and_then(safe_link), "the archive"),
    };
    NeedsReply {
        id,
        message_id: row.message_id.clone(),
        who: who(row),
        email: clip(&row.reader_email(), 120),
        place,
        kind,
        age: row
            .date
            .map(|d| age(now.as_second() - d))
            .unwrap_or_else(|| "undated".into()),
        subject: clip(&row.subject, 200),
        question: clip(&row.class.question, 400),
        why,
        link,
        link_label,
        shown: None,
    }
}

fn topic_view(g: TopicGroup, new: bool) -> TopicView {
    TopicView {
        id: g.id,
        label: clip(&g.label, 120),
        readers: g.askers.len(),
        words: g.words.iter().map(|w| clip(w, 240)).collect(),
        askers: g.askers.iter().map(|a| clip(a, 120)).collect(),
        messages: g.messages,
        new,
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

/// Reader text made safe to show: one line (no CR/LF to break a header or a
/// layout), no control or bidirectional-override characters (a terminal escape
/// or a reordered line could disguise it), at most `max` characters.
pub(crate) fn clip(s: &str, max: usize) -> String {
    let one_line = s
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .chars()
        .filter(|&c| !c.is_control() && !is_bidi_control(c))
        .collect::<String>();
    if one_line.chars().count() <= max {
        return one_line;
    }
    let mut out: String = one_line.chars().take(max).collect();
    out.push('…');
    out
}

/// Unicode bidirectional formatting characters (UAX #9): embeddings, overrides, isolates.
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}')
}

/// The digest's items for `allears items --json`.
pub(crate) fn items(d: &Digest) -> Vec<ItemView> {
    let mut out: Vec<ItemView> = d
        .needs_reply
        .iter()
        .chain(&d.still_waiting)
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
    fn reader_text_is_one_line_without_control_or_bidi_characters() {
        let hostile = "Hi\r\nBcc: x@y\x1b[2J \u{202E}gnp.exe\u{202C} ok";
        let out = clip(hostile, 100);
        assert_eq!(out, "Hi Bcc: x@y[2J gnp.exe ok");
        assert_eq!(clip("abcdef", 3), "abc…");
    }

    #[test]
    fn list_tags_come_off_subjects() {
        assert_eq!(without_list_tags("[Forum] [Net] Re: Hi"), "Re: Hi");
        assert_eq!(without_list_tags("[only a tag]"), "[only a tag]");
        assert_eq!(without_list_tags("No tag [x]"), "No tag [x]");
    }

    #[test]
    fn the_owner_is_named_by_name_address_or_handle() {
        let owner = crate::config::Owner {
            name: "Robin Ellis".into(),
            addresses: vec!["robin@ellis-on-it.example".into()],
        };
        assert!(names_owner("as robin ellis said", &owner));
        assert!(names_owner("@robin, thoughts?", &owner));
        assert!(!names_owner("@robinhood is a bird", &owner));
        assert!(!names_owner("a robin sang", &owner));
    }

    fn config(extra: &str) -> Config {
        let text = format!(
            "[owner]\nname = \"Robin Ellis\"\naddresses = [\"robin@ellis-on-it.example\"]\n[schedule]\ntimezone = \"Europe/Lisbon\"\n{extra}"
        );
        Config::parse(&text, crate::config::Origin::default()).unwrap()
    }

    #[test]
    fn the_command_token_is_in_the_reply_address_or_else_in_the_footer() {
        let now = "2026-11-26T08:00:00Z".parse().unwrap();
        let mut store = Store::in_memory().unwrap();
        let token = store.command_token().unwrap();
        let d = build(&mut store, &config(""), now).unwrap();
        assert!(d.reply_to.contains(&format!("+{token}@")), "{}", d.reply_to);
        assert_eq!(d.command_key, None);
        let own = config("[commands]\naddress = \"digest@ellis-on-it.example\"\n");
        let d = build(&mut store, &own, now).unwrap();
        assert_eq!(d.reply_to, "digest@ellis-on-it.example");
        assert_eq!(d.command_key.as_deref(), Some(token.as_str()));
        let text = crate::render::Renderer::new()
            .unwrap()
            .text("digest", &d)
            .unwrap();
        assert!(text.contains(&token), "{text}");
    }

    #[test]
    fn ages() {
        assert_eq!(age(10), "just now");
        assert_eq!(age(7200), "2 hours ago");
        assert_eq!(age(86_400), "1 day ago");
        assert_eq!(age(30 * 86_400), "4 weeks ago");
    }
}
