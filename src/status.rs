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

use std::collections::HashMap;

use anyhow::Result;
use jiff::Timestamp;

use crate::classify::Source;
use crate::config::Config;
use crate::store::{Item, ItemState, Mute, MuteKind, Row, Store};

/// A section of the digest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Section {
    NeedsReply,
    StillWaiting,
    Comments,
    Lists,
}

impl Section {
    pub fn title(self) -> &'static str {
        match self {
            Section::NeedsReply => "Needs a reply",
            Section::StillWaiting => "Still waiting",
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
}

impl Judge {
    pub fn load(store: &Store, config: &Config, now: Timestamp) -> Result<Judge> {
        let days = config.digest.max_age_days;
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
        })
    }

    /// Messages dated before this never need a reply (`max_age_days`).
    pub fn oldest(&self) -> i64 {
        self.oldest
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
            Ok(()) => self.by_item(self.items.get(&Self::key(row))),
            Err(why) => self.other_section(row).unwrap_or(Status::Out(why)),
        }
    }

    /// A comment or a list mention since the last digest has its section
    /// even when it asks nothing.
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
