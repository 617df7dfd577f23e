//! Replies to a digest: reading the owner's commands ("#12 done",
//! "#12 reply ...", "T3 merge T1"), deciding whether a message may command
//! at all, and applying what it says.
//!
//! Comes after import: command messages arrive like any mail (IMAP or local)
//! and are picked out here. Only the owner commands: the reply must come from
//! one of the owner's addresses AND carry the digest's secret token, and an
//! Authentication-Results header of the owner's own server (`authserv_id`)
//! must not report a failing DKIM, SPF or DMARC result. Anything else is
//! recorded and mentioned in the next digest, and nobody is written to about
//! it (no backscatter). Nothing here ever answers a reader by itself
//! (RFC 3834): only an explicit `reply` or `tell` of the owner sends mail.

use anyhow::{Context as _, Result};
use jiff::{Timestamp, ToSpan};

use crate::classify::Source;
use crate::config::Config;
use crate::message::Message;
use crate::store::Store;

/// Most command lines read from one reply, unless `[commands] max_lines` says otherwise.
pub(crate) const DEFAULT_MAX_LINES: usize = 50;

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Command {
    Done(i64),
    Ignore(i64),
    Mute(i64),
    MuteSender(i64),
    Snooze(i64, Timestamp),
    /// Send `text` to the reader (`list`: to the list's List-Post).
    Reply {
        item: i64,
        list: bool,
        text: String,
    },
    Planned(i64),
    Written(i64, String),
    Merge(i64, i64),
    Drop(i64),
    Tell(i64),
    Help,
}

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct Parsed {
    pub commands: Vec<Command>,
    /// Lines that were not commands, reported back as such (never guessed at).
    pub unknown: Vec<String>,
    /// Lines left unread because of the line limit.
    pub over_limit: usize,
}

/// Read commands from the new text of a reply, one per line. A `reply`
/// command takes the lines after it, up to the next command line or the end.
pub(crate) fn parse(
    text: &str,
    max_lines: usize,
    now: Timestamp,
    tz: &jiff::tz::TimeZone,
) -> Parsed {
    let mut out = Parsed::default();
    let mut answer: Option<(i64, bool, Vec<&str>)> = None;
    let mut seen = 0usize;
    for line in text.lines() {
        let t = line.trim();
        let command = parse_line(t, now, tz);
        if let Some((item, list, lines)) = answer.take() {
            if command.is_none() {
                answer = Some((item, list, lines));
                if let Some((_, _, lines)) = answer.as_mut() {
                    lines.push(line.trim_end());
                }
                continue;
            }
            out.commands.push(finish_reply(item, list, &lines));
        }
        if t.is_empty() {
            continue;
        }
        seen += 1;
        if seen > max_lines {
            out.over_limit += 1;
            continue;
        }
        match command {
            Some(LineCommand::Whole(c)) => out.commands.push(c),
            Some(LineCommand::ReplyStart { item, list, first }) => {
                answer = Some((item, list, first.into_iter().collect()));
            }
            None => out.unknown.push(crate::digest::clip(t, 120)),
        }
    }
    if let Some((item, list, lines)) = answer {
        out.commands.push(finish_reply(item, list, &lines));
    }
    out
}

fn finish_reply(item: i64, list: bool, lines: &[&str]) -> Command {
    let text = lines.join("\n").trim().to_string();
    Command::Reply { item, list, text }
}

enum LineCommand<'a> {
    Whole(Command),
    ReplyStart {
        item: i64,
        list: bool,
        first: Option<&'a str>,
    },
}

fn parse_line<'a>(
    line: &'a str,
    now: Timestamp,
    tz: &jiff::tz::TimeZone,
) -> Option<LineCommand<'a>> {
    let mut words = line.split_whitespace();
    let first = words.next()?;
    if first.eq_ignore_ascii_case("help") && words.next().is_none() {
        return Some(LineCommand::Whole(Command::Help));
    }
    if first.eq_ignore_ascii_case("mute") {
        let (Some(w), Some(id), None) = (words.next(), words.next(), words.next()) else {
            return None;
        };
        return (w.eq_ignore_ascii_case("sender"))
            .then(|| item_id(id))
            .flatten()
            .map(|id| LineCommand::Whole(Command::MuteSender(id)));
    }
    if let Some(id) = item_id(first) {
        let verb = words.next()?.to_ascii_lowercase();
        let rest: Vec<&str> = words.collect();
        let whole = |c: Command| Some(LineCommand::Whole(c));
        return match (verb.as_str(), rest.as_slice()) {
            ("done", []) => whole(Command::Done(id)),
            ("ignore", []) => whole(Command::Ignore(id)),
            ("mute", []) => whole(Command::Mute(id)),
            ("snooze", [when]) => whole(Command::Snooze(id, snooze_until(when, now, tz)?)),
            ("reply" | "reply-list", _) => {
                let list = verb == "reply-list";
                // Text may start on the same line: "#12 reply Thanks, ..."
                let after = line
                    .split_once(char::is_whitespace)
                    .map(|(_, r)| r.trim_start())
                    .and_then(|r| r.split_once(char::is_whitespace))
                    .map(|(_, r)| r.trim())
                    .filter(|r| !r.is_empty());
                Some(LineCommand::ReplyStart {
                    item: id,
                    list,
                    first: after,
                })
            }
            _ => None,
        };
    }
    if let Some(id) = topic_id(first) {
        let verb = words.next()?.to_ascii_lowercase();
        let rest: Vec<&str> = words.collect();
        let c = match (verb.as_str(), rest.as_slice()) {
            ("planned", []) => Command::Planned(id),
            ("written", [url]) => Command::Written(id, crate::digest::safe_link(url)?),
            ("merge", [other]) => Command::Merge(id, topic_id(other)?),
            ("drop", []) => Command::Drop(id),
            ("tell", []) => Command::Tell(id),
            _ => return None,
        };
        return Some(LineCommand::Whole(c));
    }
    None
}

/// "#12" -> 12.
fn item_id(word: &str) -> Option<i64> {
    word.strip_prefix('#')?.parse().ok().filter(|&n| n > 0)
}

/// "T3" / "t3" -> 3.
fn topic_id(word: &str) -> Option<i64> {
    word.strip_prefix(['T', 't'])?
        .parse()
        .ok()
        .filter(|&n| n > 0)
}

/// "3d", "12h", "2w", "tomorrow", "monday": when a snoozed item comes back.
/// Named days mean the start of that day in the owner's zone.
pub(crate) fn snooze_until(
    word: &str,
    now: Timestamp,
    tz: &jiff::tz::TimeZone,
) -> Option<Timestamp> {
    let w = word.to_ascii_lowercase();
    let split = w.find(|c: char| !c.is_ascii_digit()).unwrap_or(w.len());
    if split > 0 {
        let n: i64 = w[..split].parse().ok().filter(|&n| n > 0 && n <= 366)?;
        let hours = match &w[split..] {
            "h" | "hour" | "hours" => n,
            "d" | "day" | "days" | "" => n * 24,
            "w" | "week" | "weeks" => n * 24 * 7,
            _ => return None,
        };
        return now.checked_add(hours.hours()).ok();
    }
    let today = now.to_zoned_datetime(tz.clone()).date();
    let days_ahead = if w == "tomorrow" {
        1
    } else {
        let target = weekday(&w)?;
        let from = today.weekday().to_monday_zero_offset();
        let to = target.to_monday_zero_offset();
        match (to - from).rem_euclid(7) {
            0 => 7,
            d => d,
        }
    };
    let day = today.checked_add(i64::from(days_ahead).days()).ok()?;
    day.to_zoned_datetime(tz.clone())
        .ok()
        .map(|z| z.timestamp())
}

fn weekday(w: &str) -> Option<jiff::civil::Weekday> {
    use jiff::civil::Weekday::*;
    Some(match w {
        "monday" | "mon" => Monday,
        "tuesday" | "tue" => Tuesday,
        "wednesday" | "wed" => Wednesday,
        "thursday" | "thu" => Thursday,
        "friday" | "fri" => Friday,
        "saturday" | "sat" => Saturday,
        "sunday" | "sun" => Sunday,
        _ => return None,
    })
}

/// Why a message may not command, or `Ok` when it may.
pub(crate) fn authenticate(msg: &Message, config: &Config, token: &str) -> Result<(), String> {
    let from = msg.email_from();
    if !config.owner.is_owner(from) {
        return Err(format!("it came from {from}, not one of your addresses"));
    }
    if token.is_empty() || !carries_token(msg, token) {
        return Err("it does not carry this digest's secret token".to_string());
    }
    if let Some(server) = &config.commands.authserv_id {
        for (name, value) in &msg.headers {
            if !name.eq_ignore_ascii_case("Authentication-Results") {
                continue;
            }
            if let Some(failure) = failing_result(value, server) {
                return Err(format!("{server} reported {failure}"));
            }
        }
    }
    Ok(())
}

/// The token is in a recipient address (`owner+TOKEN@domain`) or in the text
/// (the digest's footer, quoted in the reply).
fn carries_token(msg: &Message, token: &str) -> bool {
    msg.to
        .iter()
        .chain(&msg.cc)
        .any(|a| token_address(a, token))
        || msg.text.contains(token)
}

/// `owner+TOKEN@domain`: the subaddress is the token.
fn token_address(a: &crate::message::Address, token: &str) -> bool {
    a.email
        .split('@')
        .next()
        .is_some_and(|local| local.ends_with(&format!("+{token}")))
}

/// RFC 8601 Authentication-Results from our own server: the first method
/// among dkim, spf and dmarc whose result is fail (or softfail, permerror).
fn failing_result(value: &str, authserv_id: &str) -> Option<String> {
    let mut parts = value.split(';');
    let id = parts.next()?.split_whitespace().next()?;
    if !id.eq_ignore_ascii_case(authserv_id) {
        return None;
    }
    for part in parts {
        let part = part.trim();
        let Some((method, rest)) = part.split_once('=') else {
            continue;
        };
        let method = method.trim().to_ascii_lowercase();
        if !matches!(method.as_str(), "dkim" | "spf" | "dmarc") {
            continue;
        }
        let result = rest
            .split_whitespace()
            .next()
            .unwrap_or("")
            .to_ascii_lowercase();
        if matches!(result.as_str(), "fail" | "softfail" | "permerror") {
            return Some(format!("{method}={result}"));
        }
    }
    None
}

/// Is this message a reply to a digest (and so meant as commands)?
pub(crate) fn is_command_message(
    msg: &Message,
    config: &Config,
    digest_ids: &[String],
    token: &str,
) -> bool {
    let to_configured_address = config.commands.address.as_deref().is_some_and(|a| {
        msg.to
            .iter()
            .any(|t| t.email.eq_ignore_ascii_case(a.trim()))
    });
    let replies_to_digest = msg
        .in_reply_to
        .iter()
        .chain(&msg.references)
        .any(|id| digest_ids.iter().any(|d| d == id));
    let to_command_address = !token.is_empty() && msg.to.iter().any(|a| token_address(a, token));
    replies_to_digest || to_command_address || to_configured_address
}

/// Mail a command asks allears to send: an answer to a reader, or a "you
/// asked, I wrote it" note. Sent by the caller; recorded once accepted.
#[derive(Debug, Clone)]
pub(crate) struct Outgoing {
    pub to: String,
    pub eml: Vec<u8>,
    /// What it is, for the results message ("answer to Marta Kowalczyk <m@x>").
    pub what: String,
    /// For a `tell`: the topic and the reader, marked told once sent.
    pub told: Option<(i64, String)>,
}

/// What applying commands did: a line per command, and the mail to send.
#[derive(Debug, Default)]
pub(crate) struct Applied {
    pub lines: Vec<String>,
    pub outgoing: Vec<Outgoing>,
}

/// Apply commands to the store. State changes happen here; mail to readers is
/// built and returned, to be sent (and recorded) by the caller.
pub(crate) fn apply(store: &mut Store, config: &Config, commands: &[Command]) -> Applied {
    let mut out = Applied::default();
    for c in commands {
        let line = match apply_one(store, config, c, &mut out.outgoing) {
            Ok(done) => format!("{}: {done}", describe(c)),
            Err(e) => format!("{}: FAILED: {e:#}", describe(c)),
        };
        out.lines.push(line);
    }
    out
}

fn describe(c: &Command) -> String {
    match c {
        Command::Done(i) => format!("#{i} done"),
        Command::Ignore(i) => format!("#{i} ignore"),
        Command::Mute(i) => format!("#{i} mute"),
        Command::MuteSender(i) => format!("mute sender #{i}"),
        Command::Snooze(i, _) => format!("#{i} snooze"),
        Command::Reply {
            item, list: false, ..
        } => format!("#{item} reply"),
        Command::Reply {
            item, list: true, ..
        } => format!("#{item} reply-list"),
        Command::Planned(t) => format!("T{t} planned"),
        Command::Written(t, _) => format!("T{t} written"),
        Command::Merge(a, b) => format!("T{a} merge T{b}"),
        Command::Drop(t) => format!("T{t} drop"),
        Command::Tell(t) => format!("T{t} tell"),
        Command::Help => "help".to_string(),
    }
}

fn apply_one(
    store: &mut Store,
    config: &Config,
    c: &Command,
    outgoing: &mut Vec<Outgoing>,
) -> Result<String> {
    match c {
        Command::Done(i) => set_state(store, *i, "done", None),
        Command::Ignore(i) => set_state(store, *i, "ignored", None),
        Command::Snooze(i, until) => {
            set_state(store, *i, "open", Some(until.as_second()))?;
            Ok(format!(
                "back in the digest after {}",
                until.strftime("%Y-%m-%d %H:%M UTC")
            ))
        }
        Command::Mute(i) => {
            let row = item_message(store, *i)?;
            let thread = row.thread.clone().unwrap_or_else(|| row.message_id.clone());
            store.mute("thread", &thread)?;
            set_state(store, *i, "muted", None)?;
            Ok(format!(
                "the thread of “{}” will not come back",
                row.subject
            ))
        }
        Command::MuteSender(i) => {
            let row = item_message(store, *i)?;
            let who = row.reader_email();
            store.mute("sender", &who)?;
            set_state(store, *i, "muted", None)?;
            Ok(format!("nothing from {who} will come back"))
        }
        Command::Reply { item, list, text } => {
            if text.trim().is_empty() {
                anyhow::bail!("no answer text after the command line");
            }
            let o = build_answer(store, config, *item, *list, text)?;
            let what = format!("will be sent to {}", o.to);
            outgoing.push(o);
            Ok(what)
        }
        Command::Planned(t) => {
            topic(store, *t)?;
            store.set_topic_state(*t, "planned", None)?;
            Ok("marked planned".into())
        }
        Command::Written(t, url) => {
            topic(store, *t)?;
            store.set_topic_state(*t, "written", Some(url))?;
            Ok(format!(
                "marked written at {url}; `T{t} tell` lets the readers know"
            ))
        }
        Command::Merge(a, b) => {
            topic(store, *a)?;
            topic(store, *b)?;
            if a == b {
                anyhow::bail!("a topic cannot be merged into itself");
            }
            store.merge_topic(*a, *b)?;
            Ok(format!("merged into T{b}"))
        }
        Command::Drop(t) => {
            topic(store, *t)?;
            store.set_topic_state(*t, "dropped", None)?;
            Ok("dropped".into())
        }
        Command::Tell(t) => {
            let n = build_tells(store, config, *t, outgoing)?;
            Ok(format!("{n} reader(s) will be told"))
        }
        Command::Help => Ok(HELP.to_string()),
    }
}

fn set_state(store: &mut Store, id: i64, state: &str, snooze: Option<i64>) -> Result<String> {
    store
        .item(id)?
        .with_context(|| format!("there is no item #{id}"))?;
    store.set_item_state(id, state, snooze)?;
    Ok(format!("marked {state}"))
}

fn item_message(store: &Store, id: i64) -> Result<crate::store::Row> {
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

fn topic(store: &Store, id: i64) -> Result<crate::store::Topic> {
    store
        .topic(id)?
        .with_context(|| format!("there is no topic T{id}"))
}

/// The owner's answer to item `item`, threaded under the reader's message.
fn build_answer(
    store: &Store,
    config: &Config,
    item: i64,
    list: bool,
    text: &str,
) -> Result<Outgoing> {
    let row = item_message(store, item)?;
    let raw = store
        .raw(&row.message_id)?
        .context("the raw message is gone")?;
    let msg = crate::message::parse(&raw);
    let to = if list {
        let post = row
            .class
            .context
            .list_post
            .clone()
            .context("the message did not come through a list with a List-Post address")?;
        list_post_address(&post)?
    } else if row.source == Source::Comment || row.source == Source::Pingback {
        row.reader_email()
    } else {
        msg.reply_to
            .first()
            .or(msg.from.as_ref())
            .map(|a| a.email.clone())
            .context("the message names no one to answer (no Reply-To or From)")?
    };
    if !to.contains('@') {
        anyhow::bail!("no address to answer: `{to}`");
    }
    if config.owner.is_owner(&to) {
        anyhow::bail!("the answer would go to your own address {to}");
    }
    let subject = answer_subject(&row);
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
        what: format!("answer to {to} for #{item}"),
        to,
        eml,
        told: None,
    })
}

/// A fresh Message-ID on the owner's domain for mail allears sends for them.
pub(crate) fn new_message_id(config: &Config, body: &str) -> String {
    let hash = crate::message::content_hash(body.as_bytes());
    let now = crate::clock::now().as_nanosecond();
    format!("<allears.{now}.{}@{}>", &hash[..12], config.owner.domain())
}

/// "Re: ..." for mail; for a blog comment, a subject about the post.
fn answer_subject(row: &crate::store::Row) -> String {
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

/// One note per reader who asked for topic `t`, once the owner wrote it.
fn build_tells(
    store: &mut Store,
    config: &Config,
    t: i64,
    outgoing: &mut Vec<Outgoing>,
) -> Result<usize> {
    let topic = topic(store, t)?;
    let link = match (topic.state.as_str(), &topic.link) {
        ("written", Some(link)) => link.clone(),
        _ => anyhow::bail!("T{t} is not written yet: say `T{t} written URL` first"),
    };
    let groups = crate::analyze::topic_groups(store, config)?;
    let group = groups
        .iter()
        .find(|g| g.id == t)
        .with_context(|| format!("T{t} has no requests left"))?;
    let renderer = crate::render::Renderer::new()?;
    let mut n = 0;
    for asker in &group.askers {
        if store.was_told(t, asker)? || config.owner.is_owner(asker) || !asker.contains('@') {
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
    Ok(n)
}

/// What one command message did, for its results message.
#[derive(Debug)]
pub(crate) struct Handled {
    pub message_id: String,
    pub subject: String,
    pub lines: Vec<String>,
}

/// Pick out command messages not yet processed, check who sent them, apply
/// them and queue the mail they ask for. A message that may not command is
/// recorded (and shown in the next digest) and nobody is written to.
pub(crate) fn process(store: &mut Store, config: &Config, now: Timestamp) -> Result<Vec<Handled>> {
    let token = store.command_token()?;
    let digest_ids: Vec<String> = store.digests()?.into_iter().map(|d| d.message_id).collect();
    let tz = crate::digest::owner_zone(config);
    let max = config.commands.max_lines.unwrap_or(DEFAULT_MAX_LINES);
    let mut handled = Vec::new();
    for l in store.links()? {
        let replies = l
            .in_reply_to
            .iter()
            .chain(&l.references)
            .any(|id| digest_ids.contains(id));
        if !replies && !config.owner.is_owner(&l.from_addr) {
            continue;
        }
        if store.command_seen(&l.message_id)? {
            continue;
        }
        let Some(raw) = store.raw(&l.message_id)? else {
            continue;
        };
        let msg = crate::message::parse(&raw);
        if !is_command_message(&msg, config, &digest_ids, &token) {
            continue;
        }
        if let Err(reason) = authenticate(&msg, config, &token) {
            tracing::warn!(
                "ignored a reply to the digest, <{}>: {reason}",
                l.message_id
            );
            store.record_command(&l.message_id, false, &format!("ignored: {reason}"))?;
            continue;
        }
        let text = crate::newtext::new_text(&msg.text).text;
        let parsed = parse(&text, max, now, &tz);
        store.begin()?;
        let result = apply_and_queue(store, config, &l.message_id, &parsed);
        match result {
            Ok(lines) => {
                store.commit()?;
                handled.push(Handled {
                    message_id: l.message_id.clone(),
                    subject: msg.subject.clone(),
                    lines,
                });
            }
            Err(e) => {
                store.rollback();
                return Err(e.context(format!("applying the commands of <{}>", l.message_id)));
            }
        }
    }
    Ok(handled)
}

/// Apply parsed commands and queue their mail, inside the caller's transaction.
pub(crate) fn apply_and_queue(
    store: &mut Store,
    config: &Config,
    command: &str,
    parsed: &Parsed,
) -> Result<Vec<String>> {
    let applied = apply(store, config, &parsed.commands);
    for o in &applied.outgoing {
        let kind = if o.told.is_some() { "tell" } else { "answer" };
        store.queue_mail(
            command,
            &o.to,
            &o.eml,
            &o.what,
            kind,
            o.told.as_ref().map(|t| t.0),
        )?;
    }
    let mut lines = applied.lines;
    for u in &parsed.unknown {
        lines.push(format!("not a command, ignored: {u}"));
    }
    if parsed.over_limit > 0 {
        lines.push(format!(
            "{} more line(s) not read: one reply carries at most {} commands",
            parsed.over_limit,
            config.commands.max_lines.unwrap_or(DEFAULT_MAX_LINES)
        ));
    }
    if parsed.commands.is_empty() && parsed.unknown.is_empty() {
        lines.push("no commands found; reply `help` for the list".to_string());
    }
    store.record_command(command, true, &lines.join("\n"))?;
    Ok(lines)
}

/// Send what the outbox holds. `send(recipient, eml)` delivers one message.
/// A sent answer is stored as the owner's own mail, so the reader's message
/// counts as answered; a sent note marks its reader told.
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
                if m.kind == "answer" {
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
    h: &Handled,
) -> Result<(String, Vec<u8>)> {
    let mut body = String::from("allears read your reply and did this:\n\n");
    for line in &h.lines {
        body.push_str(&format!("- {line}\n"));
    }
    for m in store.mail_for_command(&h.message_id)? {
        let status = match (m.state.as_str(), &m.last_error) {
            ("sent", _) => "sent".to_string(),
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

/// The list of commands, for `help` and the digest's footer.
pub(crate) const HELP: &str = "\
Reply to a digest with one command per line:
  #12 done            handled: leave the list
  #12 ignore          not for me
  #12 mute            this thread never again
  mute sender #12     this sender never again
  #12 snooze 3d       back in the digest in 3 days (also 12h, 2w, tomorrow, monday)
  #12 reply           then your answer on the next lines: sent to the reader
  #12 reply-list      then your answer: sent to the list
  T3 planned          you will write it
  T3 written URL      you wrote it, here
  T3 merge T1         the same subject as T1
  T3 drop             not a topic for you
  T3 tell             tell each reader who asked that you wrote it (after `written`)
  help                this list
";

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> Timestamp {
        "2026-11-26T07:30:00Z".parse().unwrap()
    }
    fn tz() -> jiff::tz::TimeZone {
        jiff::tz::TimeZone::get("Europe/Lisbon").unwrap()
    }

    #[test]
    fn reads_one_command_per_line_and_reports_the_rest() {
        let p = parse(
            "#12 done\n#3 ignore\nmute sender #4\nT3 merge T1\nplease do the thing\nhelp\n",
            50,
            now(),
            &tz(),
        );
        assert_eq!(
            p.commands,
            vec![
                Command::Done(12),
                Command::Ignore(3),
                Command::MuteSender(4),
                Command::Merge(3, 1),
                Command::Help
            ]
        );
        assert_eq!(p.unknown, vec!["please do the thing".to_string()]);
    }

    #[test]
    fn a_reply_takes_the_lines_up_to_the_next_command() {
        let p = parse(
            "#12 reply\nThanks Marta!\n\nI use rspamd.\n#13 done\n",
            50,
            now(),
            &tz(),
        );
        assert_eq!(
            p.commands,
            vec![
                Command::Reply {
                    item: 12,
                    list: false,
                    text: "Thanks Marta!\n\nI use rspamd.".into()
                },
                Command::Done(13)
            ]
        );
        let p = parse("#7 reply-list Same here: it works.", 50, now(), &tz());
        assert_eq!(
            p.commands,
            vec![Command::Reply {
                item: 7,
                list: true,
                text: "Same here: it works.".into()
            }]
        );
    }

    #[test]
    fn written_needs_a_safe_link() {
        let p = parse(
            "T2 written javascript:alert(1)\nT2 written https://ellis-on-it.example/ipv6\n",
            50,
            now(),
            &tz(),
        );
        assert_eq!(
            p.commands,
            vec![Command::Written(
                2,
                "https://ellis-on-it.example/ipv6".into()
            )]
        );
        assert_eq!(p.unknown.len(), 1);
    }

    #[test]
    fn the_line_limit_holds() {
        let text = "#1 done\n".repeat(10);
        let p = parse(&text, 3, now(), &tz());
        assert_eq!(p.commands.len(), 3);
        assert_eq!(p.over_limit, 7);
    }

    #[test]
    fn snooze_by_span_and_by_day() {
        assert_eq!(
            snooze_until("3d", now(), &tz()),
            Some("2026-11-29T07:30:00Z".parse().unwrap())
        );
        // 2026-11-26 is a Thursday; "monday" is the 30th, midnight in Lisbon (UTC+0 in winter).
        assert_eq!(
            snooze_until("monday", now(), &tz()),
            Some("2026-11-30T00:00:00Z".parse().unwrap())
        );
        assert_eq!(
            snooze_until("thursday", now(), &tz()),
            Some("2026-12-03T00:00:00Z".parse().unwrap())
        );
        assert_eq!(snooze_until("soon", now(), &tz()), None);
    }

    fn config() -> Config {
        let text = "[owner]\nname = 'Robin Ellis'\naddresses = ['robin@ellis-on-it.example']\n[commands]\nauthserv_id = 'mx.ellis-on-it.example'\n";
        Config::parse(text, crate::config::Origin::default()).unwrap()
    }

    fn store_mail(store: &mut Store, config: &Config, raw: &str, sent: bool) {
        let loc = crate::store::Location {
            place: "test".into(),
            uid: 0,
            sent,
        };
        let inc = crate::import::prepare(raw.as_bytes().to_vec(), loc, &config.owner);
        store.save_batch(&[inc], None).unwrap();
    }

    /// A store with a digest, a reader's question as item #1, and a reply to the digest.
    fn scene(reply_from: &str, token_in_to: bool, auth: &str) -> (Store, Config, String) {
        let config = config();
        let mut store = Store::in_memory().unwrap();
        let token = store.command_token().unwrap();
        store
            .save_digest("2026-11-26", "digest-1@ellis-on-it.example", b"x", &[1])
            .unwrap();
        store_mail(
            &mut store,
            &config,
            "Message-ID: <q@reader>\nFrom: Marta <marta@reader.example>\nSubject: Spam filter?\n\nWhich spam filter do you use?\n",
            false,
        );
        let item = store.item_for("msg:q@reader").unwrap();
        assert_eq!(item.id, 1);
        let to = if token_in_to {
            format!("robin+{token}@ellis-on-it.example")
        } else {
            "robin@ellis-on-it.example".into()
        };
        let reply = format!(
            "Message-ID: <cmd@owner>\nFrom: {reply_from}\nTo: {to}\nIn-Reply-To: <digest-1@ellis-on-it.example>\n{auth}Subject: Re: Your readers\n\n#1 reply\nrspamd, since 2019.\n\nOn Thu, allears wrote:\n> #1 Marta\n"
        );
        store_mail(&mut store, &config, &reply, false);
        (store, config, token)
    }

    #[test]
    fn the_owner_answers_a_reader_once() {
        let (mut store, config, _) = scene("Robin <robin@ellis-on-it.example>", true, "");
        let handled = process(&mut store, &config, now()).unwrap();
        assert_eq!(handled.len(), 1, "{handled:?}");
        let mut sent = Vec::new();
        flush(&mut store, &config, &mut |to, eml| {
            sent.push((to.to_string(), String::from_utf8_lossy(eml).into_owned()));
            Ok(())
        })
        .unwrap();
        assert_eq!(sent.len(), 1);
        assert_eq!(sent[0].0, "marta@reader.example");
        assert!(
            sent[0].1.contains("In-Reply-To: <q@reader>"),
            "{}",
            sent[0].1
        );
        assert!(
            sent[0].1.contains("Subject: Re: Spam filter?"),
            "{}",
            sent[0].1
        );
        assert!(sent[0].1.contains("rspamd, since 2019."), "{}", sent[0].1);
        assert!(
            !sent[0].1.contains("> #1 Marta"),
            "the quoted digest is not part of the answer"
        );
        crate::analyze::refresh(&mut store).unwrap();
        let q = store.row_by_message_id("q@reader").unwrap().unwrap();
        assert!(
            q.answered_by.is_some(),
            "the sent answer counts as the owner's reply"
        );
        // Processing again does nothing more.
        assert!(process(&mut store, &config, now()).unwrap().is_empty());
        assert!(store.pending_mail().unwrap().is_empty());
    }

    #[test]
    fn a_reply_from_someone_else_commands_nothing() {
        let (mut store, config, _) = scene("Mallory <m@evil.example>", true, "");
        assert!(process(&mut store, &config, now()).unwrap().is_empty());
        assert!(store.pending_mail().unwrap().is_empty());
        let refused = store.refused_commands_since(0).unwrap();
        assert_eq!(refused.len(), 1);
        assert!(refused[0].1.contains("m@evil.example"), "{refused:?}");
    }

    #[test]
    fn a_reply_without_the_token_commands_nothing() {
        let (mut store, config, _) = scene("Robin <robin@ellis-on-it.example>", false, "");
        assert!(process(&mut store, &config, now()).unwrap().is_empty());
        assert!(store.pending_mail().unwrap().is_empty());
        assert_eq!(store.refused_commands_since(0).unwrap().len(), 1);
    }

    #[test]
    fn a_failing_dkim_result_commands_nothing() {
        let (mut store, config, _) = scene(
            "Robin <robin@ellis-on-it.example>",
            true,
            "Authentication-Results: mx.ellis-on-it.example; dkim=fail; spf=pass\n",
        );
        assert!(process(&mut store, &config, now()).unwrap().is_empty());
        assert!(store.pending_mail().unwrap().is_empty());
    }

    /// `T tell` writes to each reader who asked, once, and only after `written`.
    #[test]
    fn tell_notes_each_asker_once_after_written() {
        let config = config();
        let mut store = Store::in_memory().unwrap();
        for (id, who) in [
            ("r1@x", "ann@reader.example"),
            ("r2@x", "ben@reader.example"),
            ("r3@x", "ann@reader.example"),
        ] {
            let raw = format!(
                "Message-ID: <{id}>\nFrom: {who}\nSubject: idea\n\nCould you write about IPv6 at home?\n"
            );
            store_mail(&mut store, &config, &raw, false);
        }
        let groups = crate::analyze::topic_groups(&mut store, &config).unwrap();
        assert_eq!(groups.len(), 1, "{groups:?}");
        let t = groups[0].id;
        let early = apply(&mut store, &config, &[Command::Tell(t)]);
        assert!(early.outgoing.is_empty());
        assert!(
            early.lines[0].contains("not written yet"),
            "{:?}",
            early.lines
        );
        apply(
            &mut store,
            &config,
            &[Command::Written(
                t,
                "https://ellis-on-it.example/ipv6".into(),
            )],
        );
        let told = apply(&mut store, &config, &[Command::Tell(t)]);
        let mut to: Vec<&str> = told.outgoing.iter().map(|o| o.to.as_str()).collect();
        to.sort();
        assert_eq!(to, vec!["ann@reader.example", "ben@reader.example"]);
        let note = String::from_utf8_lossy(&told.outgoing[0].eml).into_owned();
        assert!(note.contains("https://ellis-on-it.example/ipv6"), "{note}");
        for o in &told.outgoing {
            let (t, who) = o.told.clone().unwrap();
            store.mark_told(t, &who).unwrap();
        }
        let again = apply(&mut store, &config, &[Command::Tell(t)]);
        assert!(again.outgoing.is_empty(), "each reader is told once");
    }

    #[test]
    fn authentication_results_of_our_server_only() {
        assert_eq!(
            failing_result(
                "mx.ellis.example; dkim=fail header.d=x; spf=pass",
                "mx.ellis.example"
            ),
            Some("dkim=fail".into())
        );
        assert_eq!(
            failing_result("mx.other.example; dkim=fail", "mx.ellis.example"),
            None
        );
        assert_eq!(
            failing_result(
                "mx.ellis.example; dkim=pass; dmarc=pass",
                "mx.ellis.example"
            ),
            None
        );
    }
}
