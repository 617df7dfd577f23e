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
use crate::classify::{Rule, Source};
use crate::config::Config;
use crate::status::{Judge, Section, Status};
use crate::store::{ItemState, Row, Store, TopicState};
use crate::text::{age, clip, safe_link};

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
    /// Messages over the size limit, kept as their header only.
    pub too_large: usize,
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
    /// Where an answer goes, when it is not simply the sender shown: a
    /// Reply-To in another domain, a sender the list rewrote, or why no
    /// private answer can go.
    pub answers: Option<String>,
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
    /// Who `T3 tell` writes to, and who it does not (spam, automated).
    pub tell: Vec<String>,
    pub not_told: Vec<String>,
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
    /// The item id, for `#12 needs-reply` (or `done`).
    pub id: i64,
    #[serde(skip)]
    pub message_id: String,
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
    /// The item id, for `#12 needs-reply` (or `done`).
    pub id: i64,
    #[serde(skip)]
    pub message_id: String,
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

/// The digest for the day `now` falls on (what `allears digest` previews).
pub(crate) fn build(store: &mut Store, config: &Config, now: Timestamp) -> Result<Digest> {
    let day = now.to_zoned_datetime(config.zone()).date();
    build_for(store, config, now, day, &day.to_string())
}

/// The digest for `day` (recorded as `period`), made at `now`: open items,
/// and what happened since the last digest the server accepted (or over
/// `max_age_days` before the first one).
pub(crate) fn build_for(
    store: &mut Store,
    config: &Config,
    now: Timestamp,
    day: Date,
    period: &str,
) -> Result<Digest> {
    let judge = Judge::load(store, config, now)?;
    // Only what can be shown: candidates for a reply, and what came since
    // the last digest; other messages are read one by one where named.
    let rows = store.digest_rows(judge.since.at, judge.oldest())?;
    let (needs_reply, still_waiting) = open_items(store, config, &judge, &rows, now)?;
    let since = judge.since;
    let topics = topics(store, config, since.at)?;
    let window: Vec<&Row> = rows
        .iter()
        .filter(|r| r.date.unwrap_or(0) >= since.at && r.source != Source::Own)
        .collect();
    // Comments and mentions carry item ids too, so the owner can say
    // `#12 needs-reply` of one the rules missed.
    let mut ids = HashMap::new();
    for row in window
        .iter()
        .filter(|r| r.source == Source::Comment || r.class.context.mention.is_some())
    {
        ids.insert(
            row.message_id.as_str(),
            store.item_for(&Judge::key(row))?.id,
        );
    }
    // The roots of the threads on the lists, where they came before `since`.
    let mut roots = Vec::new();
    {
        let known: std::collections::HashSet<&str> =
            rows.iter().map(|r| r.message_id.as_str()).collect();
        let mut wanted: Vec<&str> = window
            .iter()
            .filter(|r| r.source == Source::List)
            .filter_map(|r| r.thread.as_deref())
            .filter(|t| !known.contains(t))
            .collect();
        wanted.sort_unstable();
        wanted.dedup();
        for id in wanted {
            roots.extend(store.row_by_message_id(id)?);
        }
    }
    let by_id: HashMap<&str, &Row> = rows
        .iter()
        .chain(&roots)
        .map(|r| (r.message_id.as_str(), r))
        .collect();
    let lists = lists(&by_id, &window, &ids);
    let posts = posts(&config.owner, &window, now, &ids);
    let handled = handled(store, since.at)?;
    let token = store.digest_token(period)?;
    let reply_to = config.command_address(&token);
    let day_name = day.strftime("%A %-d %B %Y").to_string();
    let refused = refused(store, since.at)?;
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
        too_large: store.too_large()?.len(),
        refused,
        empty,
    })
}

/// Replies to a digest that were refused since `at`: who sent them and why.
fn refused(store: &Store, at: i64) -> Result<Vec<String>> {
    let mut out = Vec::new();
    for (id, why) in store.refused_commands_since(at)? {
        let who = store
            .row_by_message_id(&id)?
            .map(|r| format!("“{}” from {}", clip(&r.subject, 80), r.from_addr))
            .unwrap_or_else(|| format!("<{id}>"));
        out.push(format!("{who}: {}", why.trim_start_matches("ignored: ")));
    }
    Ok(out)
}

/// Open items, split into never shown ("Needs a reply") and shown before
/// ("Still waiting"). An item is made for each candidate on first sight, so
/// its id is stable from then on.
fn open_items(
    store: &mut Store,
    config: &Config,
    judge: &Judge,
    rows: &[Row],
    now: Timestamp,
) -> Result<(Vec<NeedsReply>, Vec<NeedsReply>)> {
    let (mut fresh, mut waiting) = (Vec::new(), Vec::new());
    for row in rows.iter().filter(|r| judge.candidate(r).is_ok()) {
        let item = store.item_for(&Judge::key(row))?;
        let mut view = needs_reply_view(item.id, row, now);
        if let Some(raw) = store.raw(&row.message_id)? {
            let msg = crate::message::parse(&raw);
            view.answers = crate::recipients::recipients(row, &msg, &config.owner)
                .note(item.id)
                .map(|n| clip(&n, 400));
        }
        match judge.by_item(Some(&item)) {
            Status::In(Section::StillWaiting) => {
                view.shown = item.first_shown.map(|shown| age(now.as_second() - shown));
                waiting.push(view);
            }
            Status::In(_) => fresh.push(view),
            Status::Out(_) => {}
        }
    }
    Ok((fresh, waiting))
}

fn topics(store: &mut Store, config: &Config, since: i64) -> Result<Vec<TopicView>> {
    let mut out = Vec::new();
    for g in analyze::topic_groups(store, config)?
        .into_iter()
        .filter(|g| matches!(g.state, TopicState::Open | TopicState::Planned))
    {
        // The dates of its requests are their messages' dates.
        let new = g.dates.iter().any(|&d| d >= since);
        let told = crate::recipients::who_to_tell(store, config, &g)?;
        let mut view = topic_view(g, new);
        view.tell = told.tell.iter().map(|a| clip(a, 120)).collect();
        view.not_told = told.not.iter().map(|a| clip(a, 140)).collect();
        out.push(view);
    }
    Ok(out)
}

/// Per list: how much traffic, how many new threads, the busiest, and where the owner was named.
fn lists(by_id: &HashMap<&str, &Row>, window: &[&Row], ids: &HashMap<&str, i64>) -> Vec<ListView> {
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
        .map(|(name, msgs)| list_view(by_id, name, &msgs, ids))
        .collect()
}

fn list_view(
    by_id: &HashMap<&str, &Row>,
    name: String,
    msgs: &[&Row],
    ids: &HashMap<&str, i64>,
) -> ListView {
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
    let mentions = msgs
        .iter()
        .filter_map(|row| {
            let excerpt = row.class.context.mention.clone()?;
            Some(MentionView {
                id: ids
                    .get(row.message_id.as_str())
                    .copied()
                    .unwrap_or_default(),
                message_id: row.message_id.clone(),
                who: who(row),
                subject: clip(without_list_tags(&row.subject), 120),
                excerpt,
                link: row.class.context.archive.as_deref().and_then(safe_link),
            })
        })
        .collect();
    ListView {
        name,
        messages: msgs.len(),
        new_threads,
        busiest,
        mentions,
    }
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

/// Per post: the new comments, and pingbacks collapsed into one line.
fn posts(
    owner: &crate::config::Owner,
    window: &[&Row],
    now: Timestamp,
    ids: &HashMap<&str, i64>,
) -> Vec<PostView> {
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
            let site = match &ctx.site {
                Some(s) => SiteView {
                    name: s.name.clone(),
                    link: s.url.clone(),
                },
                None => SiteView {
                    name: who(row),
                    link: None,
                },
            };
            if !post.linked_from.iter().any(|s| s.name == site.name) {
                post.linked_from.push(site);
            }
            continue;
        }
        post.comments.push(CommentView {
            id: ids
                .get(row.message_id.as_str())
                .copied()
                .unwrap_or_default(),
            message_id: row.message_id.clone(),
            who: who(row),
            age: row
                .date
                .map(|d| age(now.as_second() - d))
                .unwrap_or_else(|| "undated".into()),
            excerpt: ctx.excerpt.clone().unwrap_or_default(),
            link: ctx.comment_url.as_deref().and_then(safe_link),
        });
    }
    per_post.into_values().collect()
}

/// `[Blog] Pingback: "Title"` -> `Title` (WordPress notification subjects).
fn quoted_title(subject: &str) -> Option<String> {
    let (_, rest) = subject.split_once('"')?;
    let title = rest.trim_end().trim_end_matches('"');
    (!title.is_empty()).then(|| title.to_string())
}

/// Items an accepted digest showed that were handled since the last one: closed by a
/// command, or answered by a message of the owner's dated after it.
fn handled(store: &Store, since: i64) -> Result<Vec<HandledView>> {
    let mut out = Vec::new();
    for item in store.items()?.iter().filter(|i| i.first_shown.is_some()) {
        let Some(id) = item.key.strip_prefix("msg:") else {
            continue;
        };
        let Some(row) = store.row_by_message_id(id)? else {
            continue;
        };
        let how = if item.state != ItemState::Open {
            item.closed_at
                .is_some_and(|t| t >= since)
                .then(|| item.state.to_string())
        } else {
            match row.answered_by.as_deref() {
                Some(a) => store
                    .row_by_message_id(a)?
                    .filter(|answer| answer.date.unwrap_or(0) >= since)
                    .map(|_| "you replied".to_string()),
                None => None,
            }
        };
        if let Some(how) = how {
            out.push(HandledView {
                id: item.id,
                who: who(&row),
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
        .find(|r| r.rule == Rule::Asks)
        .map(|r| clip(&r.why, 160))
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
        answers: None,
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
        tell: Vec::new(),
        not_told: Vec::new(),
    }
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
    // Comments and mentions since the last digest carry ids too
    // (`#12 needs-reply` when the rules missed one).
    for post in &d.posts {
        out.extend(post.comments.iter().map(|c| ItemView {
            id: format!("#{}", c.id),
            kind: "comment",
            message_ids: vec![c.message_id.clone()],
            summary: format!("{} on “{}”: {}", c.who, post.title, c.excerpt),
        }));
    }
    for list in &d.lists {
        out.extend(list.mentions.iter().map(|m| ItemView {
            id: format!("#{}", m.id),
            kind: "mention",
            message_ids: vec![m.message_id.clone()],
            summary: format!("{} on {}: {}", m.who, list.name, m.excerpt),
        }));
    }
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
    fn list_tags_come_off_subjects() {
        assert_eq!(without_list_tags("[Forum] [Net] Re: Hi"), "Re: Hi");
        assert_eq!(without_list_tags("[only a tag]"), "[only a tag]");
        assert_eq!(without_list_tags("No tag [x]"), "No tag [x]");
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
        let token = store.digest_token("2026-11-26").unwrap();
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
}
