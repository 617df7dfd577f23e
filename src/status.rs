//! Is a message in the digest, under which section, and if not, why not?
//! One answer for the digest itself, `items`, `messages` and `explain`, so
//! they can never disagree.
//!
//! Comes after `analyze/` (answered and threads are current) and before
//! `digest.rs`. A message needs a reply when it asks the owner something,
//! is not the owner's own or automated, is not answered, is younger than
//! `max_age_days`, is not muted, and its item is open and not snoozed; it
//! is "Still waiting" once an accepted digest has shown it. Comments and
//! list mentions since the last digest have their own sections.
//!
//! Every message is in one section only. A message whose only asks are
//! topic requests is under "Topics" (with the topic's other askers), not
//! under "Needs a reply"; it leaves when its topic is written or dropped, or
//! its asker was told (`T3 tell`). A message that asks something else too
//! stays under "Needs a reply" (the digest adds "also asked for T3") until
//! its asker is told about one of its topics: telling them is writing to
//! them. Comments and mentions are shown only when they are in neither.
//! A comment held for moderation that carries spam cues is counted, never
//! shown.

use std::collections::HashMap;

use anyhow::Result;
use jiff::Timestamp;

use crate::classify::Source;
use crate::config::Config;
use crate::store::{Item, ItemState, Mute, MuteKind, Row, Store, TopicState};

/// A section of the digest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Section {
    NeedsReply,
    StillWaiting,
    /// A request for a topic and nothing else: shown with its topic.
    Topics,
    Comments,
    Lists,
}

impl Section {
    pub fn title(self) -> &'static str {
        match self {
            Section::NeedsReply => "Needs a reply",
            Section::StillWaiting => "Still waiting",
            Section::Topics => "Topics readers asked for",
            Section::Comments => "Comments on your posts",
            Section::Lists => "On your lists",
        }
    }
}

/// Why a message is not in the digest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Why {
    /// It asks the owner nothing (and is no comment or mention since the last digest).
    AsksNothing,
    /// The owner's own mail, or automated mail.
    NotForReplies(Source),
    /// The owner answered it, with this message.
    Answered(String),
    /// Older than `max_age_days`.
    TooOld(u32),
    /// Its thread or its sender is muted.
    Muted(MuteKind),
    /// The owner marked it done, ignored or muted.
    Closed(ItemState),
    /// Snoozed until then.
    Snoozed(Timestamp),
    /// Its topic was written or dropped, or its asker told: `T3`, and how.
    TopicDone(i64, &'static str),
    /// A comment held for moderation that looks like spam: counted, not shown.
    HeldSpam,
}

impl std::fmt::Display for Why {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Why::AsksNothing => write!(f, "it asks you nothing"),
            Why::NotForReplies(s) => write!(f, "{} mail never needs a reply", s.as_str()),
            Why::Answered(by) => write!(f, "you answered it with <{by}>"),
            Why::TooOld(days) => write!(f, "it is older than {days} days ([digest] max_age_days)"),
            Why::Muted(MuteKind::Thread) => write!(f, "you muted its thread"),
            Why::Muted(MuteKind::Sender) => write!(f, "you muted its sender"),
            Why::Closed(state) => write!(f, "you marked it {state}"),
            Why::Snoozed(until) => {
                write!(f, "snoozed until {}", until.strftime("%Y-%m-%d %H:%M UTC"))
            }
            Why::TopicDone(t, how) => write!(f, "its topic T{t} was {how}"),
            Why::HeldSpam => write!(
                f,
                "a comment held for moderation that looks like spam: counted, not shown"
            ),
        }
    }
}

/// Where a message stands with the digest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Status {
    In(Section),
    Out(Why),
}

impl Status {
    /// In "Needs a reply" or "Still waiting".
    pub fn needs_reply(&self) -> bool {
        matches!(
            self,
            Status::In(Section::NeedsReply | Section::StillWaiting)
        )
    }
}

/// Where "new" starts: the last digest the server accepted, else `max_age_days` back.
pub(crate) struct Since {
    pub at: i64,
    pub label: String,
}

impl Since {
    pub fn of(store: &Store, config: &Config, now: Timestamp) -> Result<Since> {
        if let Some(at) = store.last_sent_digest()?.and_then(|d| d.sent_at) {
            let day = Timestamp::from_second(at)
                .map(|t| {
                    t.to_zoned_datetime(config.zone())
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
}

/// What the answer depends on beyond the message: mutes, the time, the
/// last digest, the owner's item states.
pub(crate) struct Judge {
    mutes: Vec<Mute>,
    now: Timestamp,
    oldest: i64,
    max_age_days: u32,
    pub since: Since,
    items: HashMap<String, Item>,
    /// The topics each message asks for, by message id.
    topics: HashMap<String, Vec<TopicMark>>,
}

/// One topic a message asks for, as it stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TopicMark {
    pub id: i64,
    pub state: TopicState,
    /// The message's asker was told about it (`T3 tell`).
    pub told: bool,
}

impl TopicMark {
    /// Still to write: open or planned, and this asker not told yet.
    fn pending(&self) -> bool {
        matches!(self.state, TopicState::Open | TopicState::Planned) && !self.told
    }

    fn how(&self) -> &'static str {
        match (self.told, self.state) {
            (true, _) => "told to its asker",
            (_, TopicState::Written) => "written",
            (_, TopicState::Dropped) => "dropped",
            _ => "handled",
        }
    }
}

impl Judge {
    /// Everything the answer depends on, topics included (grouping them
    /// gives new topics their ids, hence `&mut`).
    pub fn load(store: &mut Store, config: &Config, now: Timestamp) -> Result<Judge> {
        let groups = crate::analyze::topic_groups(store, config)?;
        Self::load_with(store, config, now, &groups)
    }

    /// [`Judge::load`] with the topic groups already made.
    pub fn load_with(
        store: &Store,
        config: &Config,
        now: Timestamp,
        groups: &[crate::analyze::TopicGroup],
    ) -> Result<Judge> {
        let days = config.digest.max_age_days;
        let mut topics: HashMap<String, Vec<TopicMark>> = HashMap::new();
        for g in groups {
            for m in &g.messages {
                let told = match store.row_by_message_id(m)? {
                    Some(row) => store.was_told(g.id, &row.reader_email())?,
                    None => false,
                };
                topics.entry(m.clone()).or_default().push(TopicMark {
                    id: g.id,
                    state: g.state,
                    told,
                });
            }
        }
        Ok(Judge {
            mutes: store.mutes()?,
            now,
            oldest: now.as_second() - i64::from(days) * 86_400,
            max_age_days: days,
            since: Since::of(store, config, now)?,
            items: store
                .items()?
                .into_iter()
                .map(|i| (i.key.clone(), i))
                .collect(),
            topics,
        })
    }

    /// The topics a message asks for.
    pub fn topics_of(&self, row: &Row) -> &[TopicMark] {
        self.topics
            .get(&row.message_id)
            .map(Vec::as_slice)
            .unwrap_or_default()
    }

    /// The item key of a message.
    pub fn key(row: &Row) -> String {
        format!("msg:{}", row.message_id)
    }

    /// Why the message cannot need a reply, whatever its item says.
    pub fn candidate(&self, row: &Row) -> Result<(), Why> {
        if matches!(row.source, Source::Own | Source::Automated) {
            return Err(Why::NotForReplies(row.source));
        }
        if !row.asks_owner {
            return Err(Why::AsksNothing);
        }
        if let Some(by) = &row.answered_by {
            return Err(Why::Answered(by.clone()));
        }
        if row.date.is_some_and(|d| d < self.oldest) {
            return Err(Why::TooOld(self.max_age_days));
        }
        let reader = row.reader_email();
        for m in &self.mutes {
            let hit = match m.kind {
                MuteKind::Thread => row.thread.as_deref() == Some(m.value.as_str()),
                MuteKind::Sender => m.value.eq_ignore_ascii_case(&reader),
            };
            if hit {
                return Err(Why::Muted(m.kind));
            }
        }
        Ok(())
    }

    /// The message ids of the items a digest has shown.
    pub fn shown(&self) -> impl Iterator<Item = &str> {
        self.items
            .values()
            .filter(|i| i.first_shown.is_some())
            .filter_map(|i| i.key.strip_prefix("msg:"))
    }

    /// The oldest date a message may have and still need a reply.
    pub fn oldest(&self) -> i64 {
        self.oldest
    }

    /// A candidate's section, by its item: open items never shown need a
    /// reply, shown ones are still waiting; closed and snoozed ones are out.
    pub fn by_item(&self, item: Option<&Item>) -> Status {
        let Some(item) = item else {
            return Status::In(Section::NeedsReply);
        };
        if item.state != ItemState::Open {
            return Status::Out(Why::Closed(item.state));
        }
        if let Some(until) = item.snooze_until
            && until > self.now.as_second()
        {
            return Status::Out(Why::Snoozed(
                Timestamp::from_second(until).unwrap_or(self.now),
            ));
        }
        match item.first_shown {
            Some(_) => Status::In(Section::StillWaiting),
            None => Status::In(Section::NeedsReply),
        }
    }

    /// Where the message stands with the digest.
    pub fn status(&self, row: &Row) -> Status {
        match self.candidate(row) {
            Ok(()) => self.by_topics(row, self.by_item(self.items.get(&Self::key(row)))),
            Err(_) if is_held_spam(row) => Status::Out(Why::HeldSpam),
            Err(why) => self.other_section(row).unwrap_or(Status::Out(why)),
        }
    }

    /// An open candidate that asks for topics: under Topics when that is
    /// all it asks, out once its topics are done (or its asker told).
    pub fn by_topics(&self, row: &Row, by_item: Status) -> Status {
        let marks = self.topics_of(row);
        if marks.is_empty() || !by_item.needs_reply() {
            return by_item;
        }
        if only_topics(row) {
            return match marks.iter().find(|m| !m.pending()) {
                _ if marks.iter().any(TopicMark::pending) => Status::In(Section::Topics),
                Some(done) => Status::Out(Why::TopicDone(done.id, done.how())),
                None => by_item,
            };
        }
        match marks.iter().find(|m| m.told) {
            Some(told) => Status::Out(Why::TopicDone(told.id, told.how())),
            None => by_item,
        }
    }

    /// A comment or a list mention since the last digest has its section
    /// even when it asks nothing (or was answered).
    fn other_section(&self, row: &Row) -> Option<Status> {
        if row.date.unwrap_or(0) < self.since.at {
            return None;
        }
        match row.source {
            Source::Comment | Source::Pingback => Some(Status::In(Section::Comments)),
            Source::List if row.class.context.mention.is_some() => Some(Status::In(Section::Lists)),
            _ => None,
        }
    }
}

/// Does the message ask for topics and nothing else? Its question is the
/// asking sentences joined; with every topic request's words taken out,
/// nothing that asks is left ("1. Could you share the slides? 2. Would you
/// write about monitoring?" asks something else too).
pub(crate) fn only_topics(row: &Row) -> bool {
    let topics = &row.class.topics;
    if topics.is_empty() {
        return false;
    }
    let mut rest = row.class.question.clone();
    for t in topics {
        let words = t.words.split_whitespace().collect::<Vec<_>>().join(" ");
        if !words.is_empty() {
            rest = rest.replace(&words, " ");
        }
    }
    // What is left of list numbering and punctuation asks nothing.
    !rest
        .split_whitespace()
        .any(|w| w.chars().filter(|c| c.is_alphabetic()).count() > 0)
}

/// A comment the platform holds for moderation whose words carry a spam
/// cue: the platform already doubted it, and one cue is enough to count it
/// rather than show it (the classifier needs more to call it spam).
pub(crate) fn is_held_spam(row: &Row) -> bool {
    let ctx = &row.class.context;
    if !ctx.held || row.source != Source::Comment {
        return false;
    }
    let name = ctx.author.as_ref().map(|a| a.name.as_str()).unwrap_or("");
    let words = ctx.excerpt.as_deref().unwrap_or("");
    !crate::classify::source::spam_cues(&format!("{name}\n{words}")).is_empty()
}
