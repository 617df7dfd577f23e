//! Choosing what goes into a digest and building its view model.
//!
//! Comes after `analyze/` (threads, answered, topic groups are current) and
//! `status.rs` (which section each message is in: every message in one
//! only), and before `render.rs` (templates) and `send.rs` (lettre).
//!
//! What the owner reads first is a summary ("3 people are waiting for you
//! (the oldest for 6 days) · 2 new topic requests (T4 asked by 5) · 1
//! mention on Netadmins"), which the Subject carries too. Then "Needs a
//! reply": open items ranked by how directly the reader asked (direct mail
//! and replies to the owner, then comments, then list posts) and, within
//! that, by how long they have waited; at most `[digest] max_items` of
//! them, with those a digest showed before under "Still waiting", and the
//! rest counted ("and 37 more: `allears items`"). Topics are ranked by
//! askers, then recency, at most [`MAX_TOPICS`]. Lists get one line each
//! plus the mentions that are in no other section; comments are grouped per
//! post, newest first, at most [`MAX_COMMENTS`] per post. Every section is
//! bounded and every text clipped, so a digest stays small on any volume
//! (`tests/volume.rs` measures it on 20,000 list messages).
//!
//! Each item carries one-tap actions for the HTML part: mailto: links to the
//! digest's command address with the command in the body (RFC 6068). What
//! came from a message is carried as plain one-line text (`clip`,
//! `excerpt`); escaping is the template engine's job, and links are limited
//! to http, https and mailto.

use std::collections::{BTreeMap, HashMap, HashSet};

use anyhow::Result;
use jiff::Timestamp;
use jiff::civil::Date;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde::Serialize;

use crate::analyze::TopicGroup;
use crate::classify::{Rule, Source};
use crate::config::Config;
use crate::status::{Judge, Section, Status, Why};
use crate::store::{ItemState, Row, Store, TopicState};
use crate::text::{age, clip, excerpt, safe_link, span};

/// Topics shown at most; the others are counted.
pub(crate) const MAX_TOPICS: usize = 10;
/// A topic's askers named, and its requests quoted, at most.
const MAX_ASKERS: usize = 5;
const MAX_WORDS: usize = 3;
/// Comments shown per post, and posts shown, at most.
pub(crate) const MAX_COMMENTS: usize = 5;
const MAX_POSTS: usize = 10;
/// Mentions shown per list.
const MAX_MENTIONS: usize = 5;
/// Lines of "Handled" and of ignored replies shown.
const MAX_HANDLED: usize = 10;
const MAX_REFUSED: usize = 5;
/// Sites named per post among its pingbacks.
const MAX_SITES: usize = 5;

#[derive(Debug, Clone, Serialize)]
pub(crate) struct Digest {
    pub owner: String,
    /// The day the digest is for, in the owner's zone ("2026-11-26").
    pub period: String,
    /// That day for people ("Thursday 26 November 2026").
    pub day: String,
    /// `[digest] subject` with the day and the summary's figures.
    pub subject: String,
    /// The same without the figures: the digest's heading.
    pub title: String,
    /// "since your last digest (Wednesday 25 November)" or "over the last 60 days".
    pub since: String,
    /// The figures that matter, first: who waits and how long, what readers want.
    pub summary: Vec<String>,
    /// Open items never shown in an accepted digest, ranked.
    pub needs_reply: Vec<NeedsReply>,
    /// Open items an earlier digest showed, still not acted on, ranked.
    pub still_waiting: Vec<NeedsReply>,
    /// Open items over `[digest] max_items`: counted here, listed by `allears items`.
    pub more: usize,
    #[serde(skip)]
    pub hidden: Vec<NeedsReply>,
    pub topics: Vec<TopicView>,
    pub topics_more: usize,
    /// Requests for a topic and nothing else, shown with their topic.
    #[serde(skip)]
    pub topic_requests: Vec<TopicRequest>,
    pub lists: Vec<ListView>,
    pub posts: Vec<PostView>,
    pub posts_more: usize,
    /// Comments held for moderation that look like spam, counted, never shown.
    pub held_spam: usize,
    pub handled: Vec<HandledView>,
    pub handled_more: usize,
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
    pub refused_more: usize,
    /// All of them, shown or not.
    pub refused_count: usize,
    /// Nothing new since the last digest (`[schedule] empty` decides whether it is sent).
    pub empty: bool,
}

/// A one-tap action: a mailto: link that opens a reply with the command in it.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Action {
    pub label: &'static str,
    pub href: String,
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
    /// What the link opens: "the comment", "approve", "the message on lists.example.org".
    pub link_label: String,
    /// For "Still waiting": when a digest first showed it ("5 days ago").
    pub shown: Option<String>,
    /// Where an answer goes, when it is not simply the sender shown: a
    /// Reply-To in another domain, a sender the list rewrote, or why no
    /// private answer can go.
    pub answers: Option<String>,
    /// "T3, T7": the topics it also asks for (it is listed once, here).
    pub also: Option<String>,
    pub actions: Vec<Action>,
    #[serde(skip)]
    rank: (u8, i64),
}

#[derive(Debug, Clone, Serialize)]
pub(crate) struct TopicView {
    pub id: i64,
    pub label: String,
    pub readers: usize,
    /// "Sam Okafor, Lena Fischer and 3 more".
    pub askers: String,
    /// A few requests in the askers' own words.
    pub words: Vec<String>,
    pub words_more: usize,
    /// Requests since the last digest.
    pub new: usize,
    pub planned: bool,
    /// Who `T3 tell` writes to, and who it does not (spam, automated).
    pub tell: String,
    pub not_told: String,
    pub actions: Vec<Action>,
    /// The requests shown here (those asking for this topic and nothing else).
    #[serde(skip)]
    pub messages: Vec<String>,
}

/// One mailing list's activity since the last digest, on one line, and its mentions.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct ListView {
    pub name: String,
    pub messages: usize,
    pub new_threads: usize,
    pub busiest: Option<ThreadView>,
    /// Messages that name the owner (by name, @handle or address), in no other section.
    pub mentions: Vec<MentionView>,
    pub mentions_more: usize,
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
    pub link_label: String,
    pub actions: Vec<Action>,
}

/// Comments on one of the owner's posts since the last digest.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct PostView {
    pub title: String,
    pub link: Option<String>,
    /// Newest first, at most [`MAX_COMMENTS`].
    pub comments: Vec<CommentView>,
    pub comments_more: usize,
    /// Pingbacks and trackbacks, collapsed into one line.
    pub pingbacks: usize,
    pub linked_from: Vec<SiteView>,
    /// Held for moderation and looking like spam: counted only.
    pub held_spam: usize,
    #[serde(skip)]
    newest: i64,
    #[serde(skip)]
    all_comments: Vec<CommentView>,
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
    /// The comment's public permalink, or for a held comment its approve link.
    pub link: Option<String>,
    pub link_label: &'static str,
    pub held: bool,
    pub actions: Vec<Action>,
    #[serde(skip)]
    date: i64,
}

/// A request for a topic and nothing else: its item, its topic, its message, who asked.
#[derive(Debug, Clone)]
pub(crate) struct TopicRequest {
    pub item: i64,
    pub topic: i64,
    pub message_id: String,
    pub who: String,
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
    /// The digest section it is in; a message is in one section only.
    pub section: &'static str,
    /// Shown in the digest (false: over `[digest] max_items`, counted only).
    pub shown: bool,
    pub message_ids: Vec<String>,
    pub summary: String,
}

/// The mailto: links of a digest: its command address, the subject of a
/// reply, the token when the address does not carry it, and the digest's
/// Message-ID so the reply threads under it.
pub(crate) struct Mailto {
    to: String,
    query: String,
    key: Option<String>,
}

/// What RFC 6068 lets stand unencoded in a mailto: value: the unreserved
/// characters (RFC 3986 2.3); everything else is percent-encoded as UTF-8.
const MAILTO_VALUE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');
/// In the address itself "@" and "+" (a subaddress) may stand too.
const MAILTO_ADDR: &AsciiSet = &MAILTO_VALUE.remove(b'@').remove(b'+');

impl Mailto {
    pub fn new(to: &str, subject: &str, key: Option<&str>, in_reply_to: &str) -> Mailto {
        let enc = |s: &str| utf8_percent_encode(s, MAILTO_VALUE).to_string();
        Mailto {
            to: utf8_percent_encode(to, MAILTO_ADDR).to_string(),
            query: format!(
                "subject={}&in-reply-to={}",
                enc(&format!("Re: {subject}")),
                enc(&format!("<{in_reply_to}>"))
            ),
            key: key.map(str::to_string),
        }
    }

    /// A link whose body is `command` (and the token line when needed).
    /// Line breaks are CRLF, as RFC 6068 2 asks of a body.
    pub fn href(&self, command: &str) -> String {
        let mut body = format!("{command}\r\n");
        if let Some(key) = &self.key {
            body.push_str(&format!("\r\nallears key {key}\r\n"));
        }
        format!(
            "mailto:{}?{}&body={}",
            self.to,
            self.query,
            utf8_percent_encode(&body, MAILTO_VALUE)
        )
    }

    fn action(&self, label: &'static str, command: &str) -> Action {
        Action {
            label,
            href: self.href(command),
        }
    }

    /// Done, snooze, reply: what an item that waits for the owner offers.
    pub fn for_item(&self, id: i64) -> Vec<Action> {
        vec![
            self.action("Reply", &format!("#{id} reply\r\n")),
            self.action("Done", &format!("#{id} done")),
            self.action("Snooze 3 days", &format!("#{id} snooze 3d")),
        ]
    }
}

/// The digest's Message-ID (without brackets) for a period: the same on a
/// retry, so a receiver can drop a second copy.
pub(crate) fn digest_message_id(config: &Config, period: &str) -> String {
    let owner = config.owner.primary();
    let domain = config.owner.domain();
    let hash = crate::message::content_hash(owner.to_ascii_lowercase().as_bytes());
    format!("allears-digest.{period}.{}@{domain}", &hash[..12])
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
    let groups = crate::analyze::topic_groups(store, config)?;
    let judge = Judge::load_with(store, config, now, &groups)?;
    let since = judge.since.at;
    let rows = store.digest_rows(since, judge.oldest())?;
    let refused_ids = store.refused_commands_since(since)?;
    let pointed = pointed_at(store, &judge, &rows, &groups, &refused_ids)?;
    let by_id: HashMap<&str, &Row> = rows
        .iter()
        .chain(&pointed)
        .map(|r| (r.message_id.as_str(), r))
        .collect();
    let token = store.digest_token(period)?;
    let reply_to = config.command_address(&token);
    let command_key = (!reply_to.contains(&token)).then_some(token);
    let day_name = day.strftime("%A %-d %B %Y").to_string();
    let plain_subject = subject_for(config, &day_name, "");
    let mailto = Mailto::new(
        &reply_to,
        &plain_subject,
        command_key.as_deref(),
        &digest_message_id(config, period),
    );
    let open = open_items(store, config, &judge, &rows, now, &mailto)?;
    let topics = topics(store, config, &judge, &groups, &by_id, &mailto)?;
    let window: Vec<&Row> = rows
        .iter()
        .filter(|r| r.date.unwrap_or(0) >= since && r.source != Source::Own)
        .collect();
    let lists = lists(store, config, &judge, &by_id, &window, &mailto)?;
    let posts = posts(store, &judge, &window, now, &mailto)?;
    let (handled, handled_more) = bounded(handled(store, &by_id, since)?, MAX_HANDLED);
    let (refused, refused_more) = bounded(refused(refused_ids, &by_id), MAX_REFUSED);
    let figures = Figures::count(&open, &topics.all, &window, now);
    let empty = refused.is_empty()
        && open.fresh.is_empty()
        && topics.all.iter().all(|t| t.new == 0)
        && lists.is_empty()
        && posts.all.is_empty()
        && handled.is_empty();
    let (posts_shown, posts_more) = bounded(posts.all, MAX_POSTS);
    let (topics_shown, topics_more) = bounded(topics.all, MAX_TOPICS);
    Ok(Digest {
        owner: config.owner.name.clone(),
        period: day.to_string(),
        subject: subject_for(config, &day_name, &figures.short()),
        title: plain_subject,
        day: day_name,
        since: judge.since.label.clone(),
        summary: figures.long(),
        needs_reply: open.fresh,
        still_waiting: open.waiting,
        more: open.hidden.len(),
        hidden: open.hidden,
        topics: topics_shown,
        topics_more,
        topic_requests: topics.requests,
        lists,
        posts: posts_shown,
        posts_more,
        held_spam: posts.held_spam,
        handled,
        handled_more,
        command_key,
        reply_to,
        unparsed: store.parse_failures()?.len(),
        too_large: store.too_large()?.len(),
        refused_count: refused.len() + refused_more,
        refused,
        refused_more,
        empty,
    })
}

/// `[digest] subject` with `{date}` and `{summary}` filled in; with no
/// summary, the text around `{summary}` that only joined it goes too.
fn subject_for(config: &Config, day: &str, summary: &str) -> String {
    let s = config.digest.subject.replace("{date}", day);
    if summary.is_empty() {
        let cut = s.replace(": {summary}", "").replace(" - {summary}", "");
        return cut.replace("{summary}", "").trim().to_string();
    }
    s.replace("{summary}", summary)
}

/// The first `max`, and how many more there were.
fn bounded<T>(mut all: Vec<T>, max: usize) -> (Vec<T>, usize) {
    let more = all.len().saturating_sub(max);
    all.truncate(max);
    (all, more)
}

/// The summary's figures.
struct Figures {
    people: usize,
    oldest: Option<i64>,
    new_requests: usize,
    /// The topic with the most askers among those asked for since the last digest.
    top: Option<(i64, usize)>,
    mentions: BTreeMap<String, usize>,
    comments: usize,
}

impl Figures {
    fn count(open: &Open, topics: &[TopicView], window: &[&Row], now: Timestamp) -> Figures {
        let waiting = open.fresh.iter().chain(&open.waiting).chain(&open.hidden);
        let people: HashSet<String> = waiting
            .clone()
            .map(|n| n.email.to_ascii_lowercase())
            .collect();
        let oldest = waiting.map(|n| n.rank.1).min().map(|d| now.as_second() - d);
        let top = topics
            .iter()
            .filter(|t| t.new > 0)
            .max_by_key(|t| (t.readers, std::cmp::Reverse(t.id)))
            .map(|t| (t.id, t.readers));
        let mut mentions = BTreeMap::new();
        for r in window
            .iter()
            .filter(|r| r.source == Source::List && r.class.context.mention.is_some())
        {
            *mentions.entry(list_name(r)).or_default() += 1;
        }
        Figures {
            people: people.len(),
            oldest,
            new_requests: topics.iter().map(|t| t.new).sum(),
            top,
            mentions,
            comments: window
                .iter()
                .filter(|r| r.source == Source::Comment && !crate::status::is_held_spam(r))
                .count(),
        }
    }

    fn mentions(&self) -> Option<String> {
        let n: usize = self.mentions.values().sum();
        match self.mentions.len() {
            0 => None,
            1 => Some(format!(
                "{n} mention{} on {}",
                plural(n),
                self.mentions
                    .keys()
                    .next()
                    .map(String::as_str)
                    .unwrap_or("")
            )),
            lists => Some(format!("{n} mentions on {lists} lists")),
        }
    }

    /// "3 people are waiting for you (the oldest for 6 days)", ...
    fn long(&self) -> Vec<String> {
        let mut out = vec![match (self.people, self.oldest) {
            (0, _) => "Nobody is waiting for an answer".to_string(),
            (1, Some(o)) => format!("1 person is waiting for you ({})", span(o)),
            (n, Some(o)) => format!(
                "{n} people are waiting for you (the oldest for {})",
                span(o)
            ),
            (n, None) => format!("{n} people are waiting for you"),
        }];
        if self.new_requests > 0 {
            let top = self
                .top
                .map(|(id, n)| format!(" (T{id} asked by {n})"))
                .unwrap_or_default();
            out.push(format!(
                "{} new topic request{}{top}",
                self.new_requests,
                plural(self.new_requests)
            ));
        }
        out.extend(self.mentions());
        if self.comments > 0 {
            out.push(format!(
                "{} new comment{}",
                self.comments,
                plural(self.comments)
            ));
        }
        out
    }

    /// The Subject's short form: "3 waiting (oldest 6 days), 2 topic requests, 1 mention".
    fn short(&self) -> String {
        let mut out = vec![match (self.people, self.oldest) {
            (0, _) => "nobody waiting".to_string(),
            (n, Some(o)) if n > 1 => format!("{n} waiting (oldest {})", span(o)),
            (n, _) => format!("{n} waiting"),
        }];
        if self.new_requests > 0 {
            out.push(format!(
                "{} topic request{}",
                self.new_requests,
                plural(self.new_requests)
            ));
        }
        let n: usize = self.mentions.values().sum();
        if n > 0 {
            out.push(format!("{n} mention{}", plural(n)));
        }
        out.join(", ")
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// Replies to a digest that were refused since `at`: who sent them and why.
/// The stored messages a digest points at beyond those it can show
/// (`Store::digest_rows`): the askers of open topics, the roots of the
/// window's list threads, the items shown before and the owner's answers
/// to them, and refused commands. Read one by one, so a digest reads what
/// it needs and not the whole store.
fn pointed_at(
    store: &Store,
    judge: &Judge,
    rows: &[Row],
    groups: &[TopicGroup],
    refused: &[(String, String)],
) -> Result<Vec<Row>> {
    let have: HashSet<&str> = rows.iter().map(|r| r.message_id.as_str()).collect();
    let mut wanted: Vec<String> = Vec::new();
    for g in groups
        .iter()
        .filter(|g| matches!(g.state, TopicState::Open | TopicState::Planned))
    {
        wanted.extend(g.messages.iter().cloned());
    }
    wanted.extend(rows.iter().filter_map(|r| r.thread.clone()));
    wanted.extend(judge.shown().map(str::to_string));
    wanted.extend(refused.iter().map(|(id, _)| id.clone()));
    let mut seen: HashSet<String> = HashSet::new();
    let mut out: Vec<Row> = Vec::new();
    let mut load = |id: String, out: &mut Vec<Row>| -> Result<()> {
        if !have.contains(id.as_str()) && seen.insert(id.clone()) {
            out.extend(store.row_by_message_id(&id)?);
        }
        Ok(())
    };
    for id in wanted {
        load(id, &mut out)?;
    }
    // The owner's answers to shown items, which `handled` dates.
    let answers: Vec<String> = rows
        .iter()
        .chain(&out)
        .filter_map(|r| r.answered_by.clone())
        .collect();
    for id in answers {
        load(id, &mut out)?;
    }
    Ok(out)
}

fn refused(refused: Vec<(String, String)>, by_id: &HashMap<&str, &Row>) -> Vec<String> {
    refused
        .into_iter()
        .map(|(id, why)| {
            let who = by_id
                .get(id.as_str())
                .map(|r| format!("“{}” from {}", clip(&r.subject, 80), r.from_addr))
                .unwrap_or_else(|| format!("<{id}>"));
            format!("{who}: {}", why.trim_start_matches("ignored: "))
        })
        .collect()
}

/// The open items: never shown, shown before, and those over the limit.
struct Open {
    fresh: Vec<NeedsReply>,
    waiting: Vec<NeedsReply>,
    hidden: Vec<NeedsReply>,
}

/// Open items, ranked, the first `[digest] max_items` split into never shown
/// ("Needs a reply") and shown before ("Still waiting"). An item is made
/// for each candidate on first sight, so its id is stable from then on.
fn open_items(
    store: &mut Store,
    config: &Config,
    judge: &Judge,
    rows: &[Row],
    now: Timestamp,
    mailto: &Mailto,
) -> Result<Open> {
    let mut all = Vec::new();
    for row in rows.iter().filter(|r| judge.candidate(r).is_ok()) {
        let item = store.item_for(&Judge::key(row))?;
        let still = match judge.by_topics(row, judge.by_item(Some(&item))) {
            Status::In(Section::StillWaiting) => true,
            Status::In(Section::NeedsReply) => false,
            _ => continue,
        };
        let mut view = needs_reply_view(item.id, row, now);
        if still {
            view.shown = item.first_shown.map(|shown| age(now.as_second() - shown));
        }
        let also: Vec<String> = judge
            .topics_of(row)
            .iter()
            .map(|t| format!("T{}", t.id))
            .collect();
        view.also = (!also.is_empty()).then(|| also.join(", "));
        all.push((view, row, still));
    }
    all.sort_by_key(|(v, _, _)| v.rank);
    let mut open = Open {
        fresh: Vec::new(),
        waiting: Vec::new(),
        hidden: Vec::new(),
    };
    for (n, (mut view, row, still)) in all.into_iter().enumerate() {
        if n >= config.digest.max_items {
            open.hidden.push(view);
            continue;
        }
        // Only what is shown is worth reading the message again for.
        if let Some(raw) = store.raw(&row.message_id)? {
            let msg = crate::message::parse(&raw);
            view.answers = crate::recipients::recipients(row, &msg, &config.owner)
                .note(view.id)
                .map(|n| clip(&n, 300));
            if row.class.context.comment_url.is_none() && !row.class.context.held {
                view.link_label = archive_label(view.link.as_deref(), &msg);
            }
        }
        view.actions = mailto.for_item(view.id);
        if still {
            open.waiting.push(view);
        } else {
            open.fresh.push(view);
        }
    }
    Ok(open)
}

/// What an archive link opens: one message (Archived-At), the list's
/// archive as a whole (a List-Archive that is a folder: Mailman, most list
/// servers), or one thread (a List-Archive that is not: Discourse's topic).
fn archive_label(link: Option<&str>, msg: &crate::message::Message) -> String {
    let Some(link) = link else {
        return String::new();
    };
    let url = url::Url::parse(link).ok();
    let host = url
        .as_ref()
        .and_then(|u| u.host_str().map(str::to_string))
        .unwrap_or_default();
    let archived_at = msg
        .header("Archived-At")
        .is_some_and(|a| a.contains(link.trim_end_matches('/')));
    let folder = url.as_ref().is_some_and(|u| u.path().ends_with('/'));
    match (archived_at, folder) {
        (true, _) => format!("the message on {host}"),
        (false, true) => format!("the list's archive on {host}"),
        (false, false) => format!("the thread on {host}"),
    }
}

/// The topics still to write, ranked by askers, then by the latest request.
struct Topics {
    all: Vec<TopicView>,
    requests: Vec<TopicRequest>,
}

fn topics(
    store: &mut Store,
    config: &Config,
    judge: &Judge,
    groups: &[TopicGroup],
    by_id: &HashMap<&str, &Row>,
    mailto: &Mailto,
) -> Result<Topics> {
    let since = judge.since.at;
    let mut out = Topics {
        all: Vec::new(),
        requests: Vec::new(),
    };
    let mut open: Vec<&TopicGroup> = groups
        .iter()
        .filter(|g| matches!(g.state, TopicState::Open | TopicState::Planned))
        .collect();
    open.sort_by(|a, b| {
        b.askers
            .len()
            .cmp(&a.askers.len())
            .then(b.last_asked().cmp(&a.last_asked()))
            .then(a.id.cmp(&b.id))
    });
    for g in open {
        let new = g.dates.iter().filter(|&&d| d >= since).count();
        // The askers by name, as the digest shows people.
        let mut names: Vec<String> = Vec::new();
        for m in &g.messages {
            if let Some(r) = by_id.get(m.as_str()) {
                let name = who(r);
                if !names.contains(&name) {
                    names.push(name);
                }
            }
        }
        let told = crate::recipients::who_to_tell(store, config, g)?;
        let (words, words_more) =
            bounded(g.words.iter().map(|w| excerpt(w, 200)).collect(), MAX_WORDS);
        // `T3 tell` needs the topic written first, and a written topic
        // leaves this section: no Tell button here.
        let actions = vec![
            mailto.action("Planned", &format!("T{} planned", g.id)),
            mailto.action("Written…", &format!("T{} written https://", g.id)),
            mailto.action("Drop", &format!("T{} drop", g.id)),
        ];
        let mut here = Vec::new();
        for m in &g.messages {
            if let Some(r) = by_id.get(m.as_str())
                && judge.status(r) == Status::In(Section::Topics)
                && let Some(item) = store.item_by_key(&Judge::key(r))?
            {
                here.push(m.clone());
                if out.requests.iter().any(|q| q.item == item.id) {
                    continue;
                }
                out.requests.push(TopicRequest {
                    item: item.id,
                    topic: g.id,
                    message_id: m.clone(),
                    who: who(r),
                });
            }
        }
        out.all.push(TopicView {
            id: g.id,
            label: clip(&g.label, 120),
            readers: g.askers.len(),
            askers: name_list(&names, MAX_ASKERS, 60),
            words,
            words_more,
            new,
            planned: g.state == TopicState::Planned,
            tell: name_list(&told.tell, MAX_ASKERS, 120),
            not_told: name_list(&told.not, MAX_ASKERS, 140),
            actions,
            messages: here,
        });
    }
    Ok(out)
}

/// "Sam, Lena, Tomás and 2 more": the first `max` names, each clipped.
fn name_list(names: &[String], max: usize, clip_at: usize) -> String {
    let shown: Vec<String> = names.iter().take(max).map(|n| clip(n, clip_at)).collect();
    let more = names.len().saturating_sub(max);
    match (shown.len(), more) {
        (0, _) => String::new(),
        (1, 0) => shown[0].clone(),
        (_, 0) => {
            let (last, first) = shown.split_last().unwrap_or((&shown[0], &[]));
            format!("{} and {last}", first.join(", "))
        }
        (_, more) => format!("{} and {more} more", shown.join(", ")),
    }
}

fn list_name(row: &Row) -> String {
    let ctx = &row.class.context;
    clip(
        ctx.list_name
            .as_deref()
            .or(ctx.list_id.as_deref())
            .unwrap_or("a mailing list"),
        80,
    )
}

/// Per list: how much traffic, how many new threads, the busiest, and
/// where the owner was named (only mentions in no other section).
fn lists(
    store: &mut Store,
    config: &Config,
    judge: &Judge,
    by_id: &HashMap<&str, &Row>,
    window: &[&Row],
    mailto: &Mailto,
) -> Result<Vec<ListView>> {
    let mut per_list: BTreeMap<String, Vec<&Row>> = BTreeMap::new();
    for row in window.iter().filter(|r| r.source == Source::List) {
        per_list.entry(list_name(row)).or_default().push(row);
    }
    let mut out = Vec::new();
    for (name, msgs) in per_list {
        let mut view = list_view(by_id, name, &msgs);
        let mentioned: Vec<&&Row> = msgs
            .iter()
            .filter(|r| judge.status(r) == Status::In(Section::Lists))
            .collect();
        view.mentions_more = mentioned.len().saturating_sub(MAX_MENTIONS);
        for row in mentioned.into_iter().rev().take(MAX_MENTIONS) {
            view.mentions
                .push(mention_view(store, config, row, mailto)?);
        }
        out.push(view);
    }
    Ok(out)
}

fn list_view(by_id: &HashMap<&str, &Row>, name: String, msgs: &[&Row]) -> ListView {
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
                subject: clip(without_list_tags(&first.subject), 100),
                messages: m.len(),
                link: first.class.context.archive.as_deref().and_then(safe_link),
            }
        });
    ListView {
        name,
        messages: msgs.len(),
        new_threads,
        busiest,
        mentions: Vec::new(),
        mentions_more: 0,
    }
}

/// A mention: who, where, and the sentence that names the owner, read
/// again from the message's new text so it starts and ends with the sentence.
fn mention_view(
    store: &mut Store,
    config: &Config,
    row: &Row,
    mailto: &Mailto,
) -> Result<MentionView> {
    // Comments and mentions carry item ids too, so the owner can say
    // `#12 needs-reply` of one the rules missed.
    let item = store.item_for(&Judge::key(row))?.id;
    let line = row.class.context.mention.clone().unwrap_or_default();
    let (sentence, link_label) = match store.raw(&row.message_id)? {
        Some(raw) => {
            let msg = crate::message::parse(&raw);
            let link = row.class.context.archive.as_deref().and_then(safe_link);
            (
                naming_sentence(&crate::newtext::new_text(&msg.text).text, &config.owner)
                    .unwrap_or(line),
                archive_label(link.as_deref(), &msg),
            )
        }
        None => (line, String::new()),
    };
    Ok(MentionView {
        id: item,
        message_id: row.message_id.clone(),
        who: who(row),
        subject: clip(without_list_tags(&row.subject), 100),
        excerpt: excerpt(&sentence, 240),
        link: row.class.context.archive.as_deref().and_then(safe_link),
        link_label,
        actions: vec![
            mailto.action("Reply", &format!("#{item} reply\r\n")),
            mailto.action("Needs a reply", &format!("#{item} needs-reply")),
        ],
    })
}

/// The sentence of `text` that names the owner, with the next one when it
/// is short: text wrapped at 72 columns is joined first, so a sentence is
/// never cut where a line happened to end.
fn naming_sentence(text: &str, owner: &crate::owner::Owner) -> Option<String> {
    let joined = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut sentences = Vec::new();
    let mut start = 0;
    for (i, c) in joined.char_indices() {
        let end = i + c.len_utf8();
        if matches!(c, '.' | '?' | '!') && joined[end..].starts_with(' ') {
            sentences.push(joined[start..end].trim());
            start = end;
        }
    }
    sentences.push(joined[start..].trim());
    let at = sentences
        .iter()
        .position(|s| owner.names().named_in_line(s))?;
    let mut out = sentences[at].to_string();
    if out.chars().count() < 80
        && let Some(next) = sentences.get(at + 1)
    {
        out = format!("{out} {next}");
    }
    Some(out)
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

/// Posts with their comments and pingbacks since the last digest, and the
/// held spam counted.
struct Posts {
    all: Vec<PostView>,
    held_spam: usize,
}

/// Per post: the new comments in no other section (newest first), pingbacks
/// collapsed into one line, held spam counted; the post with the newest
/// comment first.
fn posts(
    store: &mut Store,
    judge: &Judge,
    window: &[&Row],
    now: Timestamp,
    mailto: &Mailto,
) -> Result<Posts> {
    let mut per_post: BTreeMap<String, PostView> = BTreeMap::new();
    let mut held_spam = 0;
    // A held comment the rules judged spam outright is automated mail, and
    // counted here with the held comments that only look like spam.
    let judged_spam = |r: &Row| r.source == Source::Automated && r.class.context.held;
    for row in window
        .iter()
        .filter(|r| matches!(r.source, Source::Comment | Source::Pingback) || judged_spam(r))
    {
        let status = judge.status(row);
        let spam = status == Status::Out(Why::HeldSpam) || judged_spam(row);
        if status != Status::In(Section::Comments) && !spam {
            continue;
        }
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
            comments_more: 0,
            pingbacks: 0,
            linked_from: Vec::new(),
            held_spam: 0,
            newest: 0,
            all_comments: Vec::new(),
        });
        let date = row.date.unwrap_or(0);
        post.newest = post.newest.max(date);
        if spam {
            post.held_spam += 1;
            held_spam += 1;
            continue;
        }
        if row.source == Source::Pingback {
            post.pingbacks += 1;
            let site = match &ctx.site {
                Some(s) => SiteView {
                    name: clip(&s.name, 80),
                    link: s.url.as_deref().and_then(safe_link),
                },
                None => SiteView {
                    name: who(row),
                    link: None,
                },
            };
            if post.linked_from.len() < MAX_SITES
                && !post.linked_from.iter().any(|s| s.name == site.name)
            {
                post.linked_from.push(site);
            }
            continue;
        }
        let id = store.item_for(&Judge::key(row))?.id;
        let (link, link_label) = comment_link(row);
        post.all_comments.push(CommentView {
            id,
            message_id: row.message_id.clone(),
            who: who(row),
            age: row
                .date
                .map(|d| age(now.as_second() - d))
                .unwrap_or_else(|| "undated".into()),
            excerpt: excerpt(ctx.excerpt.as_deref().unwrap_or_default(), 200),
            link,
            link_label,
            held: ctx.held,
            actions: vec![mailto.action("Reply", &format!("#{id} reply\r\n"))],
            date,
        });
    }
    let mut all: Vec<PostView> = per_post
        .into_values()
        .filter(|p| !p.all_comments.is_empty() || p.pingbacks > 0 || p.held_spam > 0)
        .map(|mut p| {
            p.all_comments.sort_by_key(|c| std::cmp::Reverse(c.date));
            let (shown, more) = bounded(std::mem::take(&mut p.all_comments), MAX_COMMENTS);
            p.comments = shown;
            p.comments_more = more;
            p
        })
        .collect();
    all.sort_by_key(|p| std::cmp::Reverse(p.newest));
    Ok(Posts { all, held_spam })
}

/// A comment's link: its public permalink; a held comment has none yet,
/// so its moderation link, said to be one.
fn comment_link(row: &Row) -> (Option<String>, &'static str) {
    let ctx = &row.class.context;
    if ctx.held {
        let approve = ctx.moderation_url.as_deref().or(ctx.comment_url.as_deref());
        return (approve.and_then(safe_link), "approve");
    }
    (
        ctx.comment_url.as_deref().and_then(safe_link),
        "the comment",
    )
}

/// `[Blog] Pingback: "Title"` -> `Title` (WordPress notification subjects).
fn quoted_title(subject: &str) -> Option<String> {
    let (_, rest) = subject.split_once('"')?;
    let title = rest.trim_end().trim_end_matches('"');
    (!title.is_empty()).then(|| title.to_string())
}

/// Items an accepted digest showed that were handled since the last one: closed by a
/// command, or answered by a message of the owner's dated after it.
fn handled(store: &Store, by_id: &HashMap<&str, &Row>, since: i64) -> Result<Vec<HandledView>> {
    let mut out = Vec::new();
    for item in store.items()?.iter().filter(|i| i.first_shown.is_some()) {
        let Some(row) = item
            .key
            .strip_prefix("msg:")
            .and_then(|id| by_id.get(id).copied())
        else {
            continue;
        };
        let how = if item.state != ItemState::Open {
            item.closed_at
                .is_some_and(|t| t >= since)
                .then(|| item.state.to_string())
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
                subject: clip(&row.subject, 100),
                how,
            });
        }
    }
    Ok(out)
}

/// The person behind a message, for people: the commenter's name, else the sender's.
pub(crate) fn who(row: &Row) -> String {
    let name = row
        .class
        .context
        .author
        .as_ref()
        .map(|a| a.name.clone())
        .filter(|n| !n.trim().is_empty())
        .or_else(|| (!row.from_name.trim().is_empty()).then(|| row.from_name.clone()))
        .unwrap_or_else(|| row.reader_email());
    clip(&name, 60)
}

/// How directly a message asked: 0 direct mail or a reply to the owner's
/// own message, 1 a comment on their post, 2 a list post.
fn directness(row: &Row) -> u8 {
    match row.source {
        _ if row.class.context.facts.parent_is_owners => 0,
        Source::Comment => 1,
        Source::List => 2,
        _ => 0,
    }
}

impl NeedsReply {
    /// When the reader asked (unix seconds): how long they have waited.
    pub fn waited_since(&self) -> i64 {
        self.rank.1
    }
}

fn needs_reply_view(id: i64, row: &Row, now: Timestamp) -> NeedsReply {
    let ctx = &row.class.context;
    let (kind, place) = match row.source {
        Source::Comment => (
            "comment",
            match &ctx.post_title {
                Some(t) => format!("a comment on “{}”", clip(t, 100)),
                None => "a blog comment".to_string(),
            },
        ),
        Source::List => ("list", list_name(row)),
        _ => ("direct", "direct mail".to_string()),
    };
    let why = row
        .class
        .reasons
        .iter()
        .find(|r| r.rule == Rule::Asks)
        .map(|r| clip(&r.why, 120))
        .unwrap_or_default();
    let (link, link_label) = match comment_link(row) {
        (Some(url), label) => (Some(url), label.to_string()),
        (None, _) => (ctx.archive.as_deref().and_then(safe_link), String::new()),
    };
    let date = row.date.unwrap_or(now.as_second());
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
        subject: clip(&row.subject, 120),
        question: excerpt(&row.class.question, 300),
        why,
        link,
        link_label,
        shown: None,
        answers: None,
        also: None,
        actions: Vec::new(),
        rank: (directness(row), date),
    }
}

/// The digest's items for `allears items --json`: each message in the one
/// section it is in, those over `max_items` too (`shown: false`).
pub(crate) fn items(d: &Digest) -> Vec<ItemView> {
    let needs = |n: &NeedsReply, section: &'static str, shown: bool| ItemView {
        id: format!("#{}", n.id),
        kind: "needs_reply",
        section,
        shown,
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
    };
    let mut out: Vec<ItemView> = d
        .needs_reply
        .iter()
        .map(|n| needs(n, "needs_reply", true))
        .chain(
            d.still_waiting
                .iter()
                .map(|n| needs(n, "still_waiting", true)),
        )
        .chain(d.hidden.iter().map(|n| needs(n, "needs_reply", false)))
        .collect();
    // Comments and mentions since the last digest carry ids too
    // (`#12 needs-reply` when the rules missed one).
    for post in &d.posts {
        out.extend(post.comments.iter().map(|c| ItemView {
            id: format!("#{}", c.id),
            kind: "comment",
            section: "comments",
            shown: true,
            message_ids: vec![c.message_id.clone()],
            summary: format!("{} on “{}”: {}", c.who, post.title, c.excerpt),
        }));
    }
    for list in &d.lists {
        out.extend(list.mentions.iter().map(|m| ItemView {
            id: format!("#{}", m.id),
            kind: "mention",
            section: "lists",
            shown: true,
            message_ids: vec![m.message_id.clone()],
            summary: format!("{} on {}: {}", m.who, list.name, m.excerpt),
        }));
    }
    let shown: HashSet<i64> = d.topics.iter().map(|t| t.id).collect();
    for r in &d.topic_requests {
        out.push(ItemView {
            id: format!("#{}", r.item),
            kind: "topic_request",
            section: "topics",
            shown: shown.contains(&r.topic),
            message_ids: vec![r.message_id.clone()],
            summary: format!("{} asked for T{}", r.who, r.topic),
        });
    }
    out.extend(d.topics.iter().map(|t| ItemView {
        id: format!("T{}", t.id),
        kind: "topic",
        section: "topics",
        shown: true,
        message_ids: t.messages.clone(),
        summary: format!("{} ({} reader{})", t.label, t.readers, plural(t.readers)),
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
        let text = crate::render::Renderer::new(&own)
            .unwrap()
            .text("digest", &d)
            .unwrap();
        assert!(text.contains(&token), "{text}");
    }

    #[test]
    fn mailto_links_are_percent_encoded_and_carry_the_token_when_the_address_does_not() {
        let m = Mailto::new(
            "robin+c0ffee@ellis-on-it.example",
            "Your readers, “Thursday” & more",
            None,
            "d.1@x",
        );
        let href = m.href("#12 snooze 3d");
        assert_eq!(
            href,
            "mailto:robin+c0ffee@ellis-on-it.example?subject=Re%3A%20Your%20readers%2C%20%E2%80%9CThursday%E2%80%9D%20%26%20more&in-reply-to=%3Cd.1%40x%3E&body=%2312%20snooze%203d%0D%0A"
        );
        let keyed = Mailto::new("digest@ellis-on-it.example", "s", Some("c0ffee"), "d@x");
        assert!(
            keyed
                .href("#3 done")
                .ends_with("&body=%233%20done%0D%0A%0D%0Aallears%20key%20c0ffee%0D%0A")
        );
    }

    #[test]
    fn the_sentence_that_names_the_owner_is_whole() {
        let owner = crate::owner::Owner::new("Robin Ellis", &["robin@ellis-on-it.example"]);
        let text = "We want someone who explains \"infrastructure to general readers\".\nRobin Ellis - I know you're on this list - would you be\nwilling to join us? Thanks.";
        assert_eq!(
            naming_sentence(text, &owner).as_deref(),
            Some(
                "Robin Ellis - I know you're on this list - would you be willing to join us? Thanks."
            )
        );
    }

    #[test]
    fn names_are_listed_with_a_count_of_the_rest() {
        let n: Vec<String> = ["A", "B", "C"].iter().map(|s| s.to_string()).collect();
        assert_eq!(name_list(&n, 5, 10), "A, B and C");
        assert_eq!(name_list(&n, 2, 10), "A, B and 1 more");
        assert_eq!(name_list(&n[..1], 2, 10), "A");
    }
}
