//! Applying commands to the store: item and topic states, mutes, and the
//! mail a command asks for (built by `outgoing.rs`, queued in the outbox in
//! the same transaction). Each command's result is a value: what it did, or
//! why it failed.

use anyhow::{Context as _, Result};

use super::grammar::{Command, Parsed};
use super::outgoing::{self, Outgoing};
use crate::classify::learned::Origin;
use crate::config::Config;
use crate::store::{
    Correction, CorrectionKind, ItemState, MuteKind, OutboxKind, Row, Store, Topic, TopicState,
};

/// Most command lines read from one reply, unless `[commands] max_lines` says otherwise.
pub(crate) const DEFAULT_MAX_LINES: usize = 50;

/// What one command did.
#[derive(Debug, Clone)]
pub(crate) struct Outcome {
    /// The command as written ("#12 done").
    pub command: String,
    pub did: Did,
}

/// What a command did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Did {
    /// This.
    Done(String),
    /// Nothing: it was given before (in this message or another), and was done then.
    Repeat(String),
    /// Nothing, for this reason.
    Failed(String),
}

impl std::fmt::Display for Outcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.did {
            Did::Done(done) => write!(f, "{}: {done}", self.command),
            Did::Repeat(when) => write!(f, "{}: not done again: {when}", self.command),
            Did::Failed(e) => write!(f, "{}: FAILED: {e}", self.command),
        }
    }
}

/// What applying commands did: an outcome per command, and the mail to send.
#[derive(Debug, Default)]
pub(crate) struct Applied {
    pub outcomes: Vec<Outcome>,
    pub outgoing: Vec<Outgoing>,
}

/// What a command message (or a command line) did, for the owner: the
/// command outcomes, then the lines that were not commands.
#[derive(Debug, Default)]
pub(crate) struct Report {
    pub outcomes: Vec<Outcome>,
    pub notes: Vec<String>,
}

impl Report {
    /// Some command did nothing (it failed, or was a repeat).
    pub fn failed(&self) -> bool {
        self.outcomes.iter().any(|o| !matches!(o.did, Did::Done(_)))
    }

    pub fn lines(&self) -> Vec<String> {
        self.outcomes
            .iter()
            .map(ToString::to_string)
            .chain(self.notes.iter().cloned())
            .collect()
    }
}

/// Apply commands to the store, as the command message `by` (a Message-ID,
/// or "cli:..."). State changes happen here; mail to readers is built and
/// returned, to be queued by the caller. A command is applied once per item
/// (or topic) and verb, whatever message carries it: a repeat does nothing
/// and says when it was done.
pub(crate) fn apply(store: &mut Store, config: &Config, by: &str, commands: &[Command]) -> Applied {
    let mut out = Applied::default();
    // Corrections are recorded one by one and the stored mail is judged
    // again once for all of them, after the last.
    let mut corrected = Vec::new();
    for c in commands {
        let did = match repeat_of(store, c) {
            Ok(Some(before)) => Did::Repeat(before),
            Ok(None) => match apply_one(store, config, c, &mut out.outgoing) {
                Ok(done) => match c.once_key().map(|(t, v)| store.record_applied(&t, v, by)) {
                    Some(Err(e)) => Did::Failed(format!("{e:#}")),
                    _ => Did::Done(done),
                },
                Err(e) => Did::Failed(format!("{e:#}")),
            },
            Err(e) => Did::Failed(format!("{e:#}")),
        };
        if let (Did::Done(_), Command::NotForMe(i) | Command::NeedsReply(i)) = (&did, c) {
            corrected.push((out.outcomes.len(), *i, matches!(c, Command::NeedsReply(_))));
        }
        out.outcomes.push(Outcome {
            command: c.describe(),
            did,
        });
    }
    if !corrected.is_empty() {
        rejudge(store, config, &corrected, &mut out.outcomes);
    }
    out
}

/// Judge the stored mail again with what the corrections taught, once,
/// and say on each correction how many were judged, and when its own
/// message cannot change (a list post not for the owner is not read).
fn rejudge(
    store: &mut Store,
    config: &Config,
    corrected: &[(usize, i64, bool)],
    outcomes: &mut [Outcome],
) {
    let judged = crate::analyze::ensure_current(store, config);
    for &(at, id, wanted) in corrected {
        let Did::Done(said) = &mut outcomes[at].did else {
            continue;
        };
        match &judged {
            Ok(n) => said.push_str(&format!("; {n} message(s) judged again")),
            Err(e) => {
                said.push_str(&format!(
                    "; judging the stored mail again failed ({e:#}): the next run does it"
                ));
                continue;
            }
        }
        let now = item_message(store, id).is_ok_and(|r| r.class.asks_owner);
        if now != wanted {
            said.push_str(&format!(
                "; #{id} itself is not read for questions (a list post not for you), so it stays as it was"
            ));
        }
    }
}

/// When this command was applied before, and so is not again. A snooze may
/// be given again once its item is back.
fn repeat_of(store: &Store, c: &Command) -> Result<Option<String>> {
    let Some((target, verb)) = c.once_key() else {
        return Ok(None);
    };
    let Some((by, at)) = store.applied(&target, verb)? else {
        return Ok(None);
    };
    if let Command::Snooze(i, _) = c {
        let back = store.item(*i)?.is_none_or(|item| {
            item.snooze_until
                .is_none_or(|u| u <= crate::clock::now().as_second())
        });
        if back {
            return Ok(None);
        }
    }
    let when = jiff::Timestamp::from_second(at)
        .map(|t| t.strftime("%Y-%m-%d %H:%M UTC").to_string())
        .unwrap_or_default();
    let how = match by.strip_prefix("cli:") {
        Some(_) => "on the command line".to_string(),
        None => format!("by your reply <{by}>"),
    };
    Ok(Some(format!("it was given {how} on {when} and done then")))
}

fn apply_one(
    store: &mut Store,
    config: &Config,
    c: &Command,
    outgoing: &mut Vec<Outgoing>,
) -> Result<String> {
    match c {
        Command::Done(i) => set_state(store, *i, ItemState::Done, None),
        Command::Ignore(i) => set_state(store, *i, ItemState::Ignored, None),
        Command::Snooze(i, until) => {
            set_state(store, *i, ItemState::Open, Some(until.as_second()))?;
            Ok(format!(
                "back in the digest after {}",
                until.strftime("%Y-%m-%d %H:%M UTC")
            ))
        }
        Command::Mute(i) => {
            let row = item_message(store, *i)?;
            let thread = row.thread.clone().unwrap_or_else(|| row.message_id.clone());
            store.mute(MuteKind::Thread, &thread)?;
            set_state(store, *i, ItemState::Muted, None)?;
            Ok(format!(
                "the thread of “{}” will not come back",
                row.subject
            ))
        }
        Command::MuteSender(i) => {
            let row = item_message(store, *i)?;
            let who = row.reader_email();
            store.mute(MuteKind::Sender, &who)?;
            set_state(store, *i, ItemState::Muted, None)?;
            Ok(format!("nothing from {who} will come back"))
        }
        Command::Reply { item, to, text } => {
            // The secret token goes to nobody but the owner.
            let tokens: Vec<String> = store.digest_tokens()?.into_iter().map(|t| t.0).collect();
            let text = outgoing::answer_text(text, &tokens);
            if text.is_empty() {
                anyhow::bail!("no answer text after the command line");
            }
            let row = item_message(store, *item)?;
            let raw = store
                .raw(&row.message_id)?
                .context("the raw message is gone")?;
            let o = outgoing::answer(config, *item, &row, &raw, *to, &text)?;
            let what = format!("will be sent: {}", o.what);
            outgoing.push(o);
            Ok(what)
        }
        Command::Planned(t) => {
            topic(store, *t)?;
            store.set_topic_state(*t, TopicState::Planned, None)?;
            Ok("marked planned".into())
        }
        Command::Written(t, url) => {
            topic(store, *t)?;
            store.set_topic_state(*t, TopicState::Written, Some(url))?;
            Ok(format!(
                "marked written at {url}; `T{t} tell` lets the readers know"
            ))
        }
        Command::Merge(a, b) => merge(store, config, *a, *b),
        Command::Split(t) => {
            topic(store, *t)?;
            let freed = store.split_topic(*t)?;
            if freed.is_empty() {
                anyhow::bail!("no topic was merged into T{t}");
            }
            let freed: Vec<String> = freed.iter().map(|f| format!("T{f}")).collect();
            Ok(format!("{} stand(s) alone again", freed.join(", ")))
        }
        Command::Rename(t, title) => {
            topic(store, *t)?;
            let title = crate::text::clip(title, 100);
            if title.is_empty() {
                anyhow::bail!("no title after `rename`");
            }
            store.rename_topic(*t, &title)?;
            Ok(format!("now called “{title}”"))
        }
        Command::NotForMe(i) => correct(store, *i, CorrectionKind::NotForMe),
        Command::NeedsReply(i) => correct(store, *i, CorrectionKind::NeedsReply),
        Command::Drop(t) => {
            topic(store, *t)?;
            store.set_topic_state(*t, TopicState::Dropped, None)?;
            Ok("dropped".into())
        }
        Command::Tell(t) => {
            let topic = topic(store, *t)?;
            let (n, not) = outgoing::tells(store, config, &topic, outgoing)?;
            let mut said = format!("{n} reader(s) will be told");
            if !not.is_empty() {
                said.push_str(&format!("; not: {}", not.join(", ")));
            }
            Ok(said)
        }
        Command::Help => Ok(super::grammar::help()),
    }
}

/// `T{a} merge T{b}`: one subject. T{b} learns the wordings of both, so a
/// later request in either wording (or close to it) joins it.
pub(crate) fn merge(store: &mut Store, config: &Config, a: i64, b: i64) -> Result<String> {
    topic(store, a)?;
    topic(store, b)?;
    if a == b {
        anyhow::bail!("a topic cannot be merged into itself");
    }
    let groups = crate::analyze::topic_groups(store, config)?;
    let phrases: Vec<String> = groups
        .iter()
        .filter(|g| g.id == a || g.id == b)
        .flat_map(|g| g.phrases.iter().cloned())
        .collect();
    store.merge_topic(a, b)?;
    store.learn_topic_phrases(b, a, &phrases)?;
    Ok(format!("merged into T{b}"))
}

/// `#12 not-for-me` / `#12 needs-reply`: remember who wrote it, where it
/// came through and its asking words ([`apply`] then judges the stored
/// mail again with what was learned, once for the whole reply).
fn correct(store: &mut Store, id: i64, kind: CorrectionKind) -> Result<String> {
    let row = item_message(store, id)?;
    let origin = Origin::of(&row.from_addr, &row.class.context);
    let phrase = match kind {
        CorrectionKind::NotForMe if row.class.question.trim().is_empty() => {
            anyhow::bail!("#{id} is not flagged as needing a reply")
        }
        CorrectionKind::NotForMe => row.class.question.clone(),
        CorrectionKind::NeedsReply if row.class.asks_owner => {
            anyhow::bail!("#{id} is already flagged as needing a reply")
        }
        CorrectionKind::NeedsReply => row
            .class
            .context
            .excerpt
            .clone()
            .or_else(|| row.class.context.mention.clone())
            .unwrap_or_else(|| row.subject.clone()),
    };
    let n = store.add_correction(&Correction {
        id: 0,
        kind,
        sender: origin.sender.clone(),
        place: origin.place.clone(),
        phrase: crate::text::clip(&phrase, 300),
        message_id: row.message_id.clone(),
        created_at: 0,
    })?;
    if kind == CorrectionKind::NeedsReply {
        store.set_item_state(id, ItemState::Open, None)?;
    }
    let whom = format!("{} through {}", origin.sender, origin.place);
    let said = match kind {
        CorrectionKind::NotForMe => {
            format!("learned (correction {n}): mail like it from {whom} is not flagged again")
        }
        CorrectionKind::NeedsReply => {
            format!("learned (correction {n}): mail like it from {whom} is flagged")
        }
    };
    Ok(said)
}

fn set_state(store: &mut Store, id: i64, state: ItemState, snooze: Option<i64>) -> Result<String> {
    store
        .item(id)?
        .with_context(|| format!("there is no item #{id}"))?;
    store.set_item_state(id, state, snooze)?;
    Ok(format!("marked {state}"))
}

fn item_message(store: &Store, id: i64) -> Result<Row> {
    let item = store
        .item(id)?
        .with_context(|| format!("there is no item #{id}"))?;
    let mid = item
        .key
        .strip_prefix("msg:")
        .with_context(|| format!("item #{id} is not a message"))?;
    store
        .row_by_message_id(mid)?
        .with_context(|| format!("the message of item #{id} is gone"))
}

fn topic(store: &Store, id: i64) -> Result<Topic> {
    store
        .topic(id)?
        .with_context(|| format!("there is no topic T{id}"))
}

/// Apply parsed commands, queue their mail and record the command message,
/// all in one transaction: a failure leaves nothing half done.
pub(crate) fn apply_and_queue(
    store: &mut Store,
    config: &Config,
    command: &str,
    parsed: &Parsed,
) -> Result<Report> {
    store.transaction(|store| {
        let applied = apply(store, config, command, &parsed.commands);
        for o in &applied.outgoing {
            let kind = if o.told.is_some() {
                OutboxKind::Tell
            } else {
                OutboxKind::Answer
            };
            store.queue_mail(
                command,
                &o.to,
                &o.eml,
                &o.what,
                kind,
                o.told.as_ref().map(|t| t.0),
            )?;
        }
        let mut report = Report {
            outcomes: applied.outcomes,
            notes: Vec::new(),
        };
        for u in &parsed.unknown {
            report.notes.push(format!("not a command, ignored: {u}"));
        }
        if parsed.over_limit > 0 {
            report.notes.push(format!(
                "{} more line(s) not read: one reply carries at most {} commands",
                parsed.over_limit,
                config.commands.max_lines.unwrap_or(DEFAULT_MAX_LINES)
            ));
        }
        if parsed.commands.is_empty() && parsed.unknown.is_empty() {
            report
                .notes
                .push("no commands found; reply `help` for the list".to_string());
        }
        store.record_command(command, true, &report.lines().join("\n"))?;
        Ok(report)
    })
}
