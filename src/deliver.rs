//! Whether and when a digest goes, exactly once per period: due (the
//! schedule's latest slot has no sent digest), one sender at a time (a lock
//! beside the store), and built -> sending -> sent in the store.
//!
//! Comes after `digest.rs` (the view model), `render.rs` (text and HTML) and
//! `schedule.rs` (which period is due); hands the message to `send.rs` (an
//! SMTP server, or the output folder when there is no `[smtp]`). The
//! Message-ID depends only on the owner and the period, so a retry carries
//! the same id; a digest left in `sending` (the session failed, or died
//! after DATA and before the reply) is sent again byte for byte, so a
//! receiver that did get the first copy sees the same message twice and can
//! drop it by Message-ID (RFC 5322 3.6.4). Items count as shown only once
//! the server accepted their digest (or it was written to the folder).
//!
//! The weekly digest (`[schedule] weekly`) is its own period,
//! `week-YYYY-MM-DD` (the day it is for), delivered by the same steps after
//! the daily one; it marks no item shown and never moves "since your last
//! digest", so it takes nothing from the daily digest.

use std::path::PathBuf;

use anyhow::{Context, Result};
use jiff::Timestamp;
use jiff::civil::Date;

use crate::config::{Config, Empty, Smtp};
use crate::digest::{self, Digest, digest_message_id};
use crate::render::Renderer;
use crate::schedule::Daily;
use crate::store::{DigestState, Store};

/// A digest made and rendered, with the ids of the items it shows.
pub(crate) struct Built {
    pub digest: Digest,
    pub text: String,
    pub html: String,
    pub message_id: String,
    pub eml: Vec<u8>,
    /// Every item it shows: needs a reply and still waiting.
    pub items: Vec<i64>,
}

/// Make the digest for `day` at `now`, render it, and build its message.
pub(crate) fn build(
    store: &mut Store,
    config: &Config,
    now: Timestamp,
    day: Date,
    period: &str,
) -> Result<Built> {
    let d = digest::build_for(store, config, now, day, period)?;
    let renderer = Renderer::new(config)?;
    let text = crate::flowed::flow(&renderer.text("digest", &d)?);
    let html = renderer.html("digest", &d)?;
    let message_id = digest_message_id(config, period);
    let eml =
        crate::send::build_digest(config, &d.subject, &d.reply_to, &message_id, &text, &html)?;
    let items = d
        .needs_reply
        .iter()
        .chain(&d.still_waiting)
        .map(|n| n.id)
        .collect();
    Ok(Built {
        digest: d,
        text,
        html,
        message_id,
        eml,
        items,
    })
}

/// `allears digest`: today's digest now, recorded as built (not sent) and
/// written to the output folder. Returns its text and the .eml path.
pub(crate) fn preview(
    store: &mut Store,
    config: &Config,
    now: Timestamp,
) -> Result<(String, PathBuf)> {
    let day = now.to_zoned_datetime(config.zone()).date();
    let period = day.to_string();
    let b = build(store, config, now, day, &period)?;
    store.save_digest(&period, &b.message_id, &b.eml, &b.items)?;
    let path =
        crate::send::write_to_folder(&config.output_dir(), &period, &b.eml, &b.text, &b.html)?;
    Ok((b.text, path))
}

/// What one delivery attempt did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// This period's digest was already sent (or skipped as empty); the next is due then.
    NotDue {
        period: String,
        state: DigestState,
        next: Timestamp,
    },
    /// Nothing new and `[schedule] empty = "skip"`: recorded, not sent.
    SkippedEmpty { period: String },
    /// Another allears process is sending right now (a cron `run` beside a daemon).
    Busy,
    /// The server accepted it (or it was written to the folder). `retry`
    /// says a pending digest was sent again.
    Sent {
        period: String,
        message_id: String,
        retry: bool,
    },
}

impl Outcome {
    /// What happened, for a person.
    pub fn describe(&self, config: &Config) -> String {
        match self {
            Outcome::Sent {
                period,
                message_id,
                retry,
            } => {
                let again = if *retry {
                    " (the pending one, again)"
                } else {
                    ""
                };
                match &config.smtp {
                    Some(s) => format!(
                        "digest for {period} sent to {}{again}: <{message_id}>",
                        s.to
                    ),
                    None => format!(
                        "digest for {period} written to {}{again}",
                        config
                            .output_dir()
                            .join(format!("digest-{period}.eml"))
                            .display()
                    ),
                }
            }
            Outcome::Busy => {
                "another allears is sending the digest right now; this run sent nothing".to_string()
            }
            Outcome::SkippedEmpty { period } => {
                format!("nothing new for {period}: no digest sent ([schedule] empty = \"skip\")")
            }
            Outcome::NotDue {
                period,
                state,
                next,
            } => {
                let next = crate::send::rfc5322_date(config, *next);
                format!("the digest for {period} was already {state}; the next is due {next}")
            }
        }
    }
}

/// Where a scheduled digest goes.
pub(crate) enum Sink<'a> {
    Smtp(&'a Smtp),
    /// No `[smtp]`: the output folder (a write counts as sent).
    Folder(PathBuf),
}

impl<'a> Sink<'a> {
    pub fn of(config: &'a Config) -> Sink<'a> {
        match &config.smtp {
            Some(s) => Sink::Smtp(s),
            None => Sink::Folder(config.output_dir()),
        }
    }
}

/// Is the latest slot's period (daily, or weekly when set) still without a
/// sent (or skipped) digest?
pub(crate) fn is_due(store: &Store, config: &Config, now: Timestamp) -> Result<bool> {
    let daily = Daily::new(&config.schedule.time, config.zone())?;
    let mut periods = vec![daily.latest(now)?.day.to_string()];
    periods.extend(weekly_period(config, now)?.map(|(p, _)| p));
    for period in periods {
        if !store
            .digest_for(&period)?
            .is_some_and(|r| r.state.is_final())
        {
            return Ok(true);
        }
    }
    Ok(false)
}

/// The prefix of a weekly digest's period.
pub(crate) const WEEKLY: &str = "week-";

/// The weekly digest's due period and day, when `[schedule] weekly` is set.
fn weekly_period(config: &Config, now: Timestamp) -> Result<Option<(String, Date)>> {
    let Some(day) = &config.schedule.weekly else {
        return Ok(None);
    };
    let weekday = crate::schedule::parse_weekday(day)?;
    let slot = Daily::new(&config.schedule.time, config.zone())?.latest_on(weekday, now)?;
    Ok(Some((format!("{WEEKLY}{}", slot.day), slot.day)))
}

/// A weekly digest made and rendered.
pub(crate) struct BuiltWeekly {
    pub text: String,
    pub html: String,
    pub message_id: String,
    pub eml: Vec<u8>,
}

/// Make the weekly digest for the week ending on `day`, render it, and build its message.
pub(crate) fn build_weekly(
    store: &mut Store,
    config: &Config,
    now: Timestamp,
    day: Date,
    period: &str,
) -> Result<BuiltWeekly> {
    let w = crate::weekly::build(store, config, now, day, period)?;
    let renderer = Renderer::new(config)?;
    let text = crate::flowed::flow(&renderer.text("weekly", &w)?);
    let html = renderer.html("weekly", &w)?;
    let message_id = digest_message_id(config, period);
    let eml =
        crate::send::build_digest(config, &w.subject, &w.reply_to, &message_id, &text, &html)?;
    Ok(BuiltWeekly {
        text,
        html,
        message_id,
        eml,
    })
}

/// `allears digest --weekly`: this week's weekly digest now, recorded as
/// built (not sent) and written to the output folder.
pub(crate) fn preview_weekly(
    store: &mut Store,
    config: &Config,
    now: Timestamp,
) -> Result<(String, PathBuf)> {
    let day = now.to_zoned_datetime(config.zone()).date();
    let period = format!("{WEEKLY}{day}");
    let b = build_weekly(store, config, now, day, &period)?;
    store.save_digest(&period, &b.message_id, &b.eml, &[])?;
    let path =
        crate::send::write_to_folder(&config.output_dir(), &period, &b.eml, &b.text, &b.html)?;
    Ok((b.text, path))
}

/// Send the weekly digest once, when `[schedule] weekly` is set and its
/// period has none sent: a pending one again as it was, else a new one.
/// `None` when there is nothing to do.
pub(crate) fn deliver_weekly(
    store: &mut Store,
    config: &Config,
    sink: &Sink,
    now: Timestamp,
) -> Result<Option<Outcome>> {
    let Some((period, day)) = weekly_period(config, now)? else {
        return Ok(None);
    };
    let Some(_lock) = send_lock(store)? else {
        return Ok(Some(Outcome::Busy));
    };
    let record = store.digest_for(&period)?;
    if record.as_ref().is_some_and(|r| r.state.is_final()) {
        return Ok(None);
    }
    supersede_older(store, &period)?;
    if let Some(r) = record.filter(|r| r.state == DigestState::Sending) {
        send_recorded(store, sink, config, &period, &r.eml, None)?;
        return Ok(Some(Outcome::Sent {
            period,
            message_id: r.message_id,
            retry: true,
        }));
    }
    let b = build_weekly(store, config, now, day, &period)?;
    let parts = (b.text.as_str(), b.html.as_str());
    record_and_send(
        store,
        sink,
        config,
        period,
        b.message_id,
        &b.eml,
        parts,
        &[],
    )
    .map(Some)
}

/// Send the due digest once: a pending one again as it was, else a new one for the
/// latest slot's period; `force` sends now whatever the schedule says.
pub(crate) fn deliver(
    store: &mut Store,
    config: &Config,
    sink: &Sink,
    now: Timestamp,
    force: bool,
) -> Result<Outcome> {
    let Some(_lock) = send_lock(store)? else {
        return Ok(Outcome::Busy);
    };
    let daily = Daily::new(&config.schedule.time, config.zone())?;
    let due = daily.latest(now)?;
    let period = if force {
        forced_period(store, config, now)?
    } else {
        due.day.to_string()
    };
    let record = store.digest_for(&period)?;
    // (A forced period is never a sent one, and a day skipped as empty may be forced.)
    if let Some(r) = &record
        && !force
        && r.state.is_final()
    {
        return Ok(Outcome::NotDue {
            period,
            state: r.state,
            next: daily.next(now)?.at,
        });
    }
    supersede_older(store, &period)?;
    if let Some(r) = record.filter(|r| r.state == DigestState::Sending) {
        send_recorded(store, sink, config, &period, &r.eml, None)?;
        return Ok(Outcome::Sent {
            period,
            message_id: r.message_id,
            retry: true,
        });
    }
    let day = if force {
        now.to_zoned_datetime(config.zone()).date()
    } else {
        due.day
    };
    send_new(store, config, sink, &period, day, now, force)
}

/// Build the digest for `day`, record it, and send it (or record an empty day as skipped).
fn send_new(
    store: &mut Store,
    config: &Config,
    sink: &Sink,
    period: &str,
    day: Date,
    now: Timestamp,
    force: bool,
) -> Result<Outcome> {
    let b = build(store, config, now, day, period)?;
    let period = period.to_string();
    if b.digest.empty && config.schedule.empty == Empty::Skip && !force {
        store.save_digest(&period, &b.message_id, b"", &[])?;
        store.set_digest_state(&period, DigestState::Skipped)?;
        return Ok(Outcome::SkippedEmpty { period });
    }
    let parts = (b.text.as_str(), b.html.as_str());
    record_and_send(
        store,
        sink,
        config,
        period,
        b.message_id,
        &b.eml,
        parts,
        &b.items,
    )
}

/// Record a digest just built (with the items it shows), mark it sending,
/// and send it: the one path the daily and the weekly digest share.
#[allow(clippy::too_many_arguments)]
fn record_and_send(
    store: &mut Store,
    sink: &Sink,
    config: &Config,
    period: String,
    message_id: String,
    eml: &[u8],
    parts: (&str, &str),
    items: &[i64],
) -> Result<Outcome> {
    store.save_digest(&period, &message_id, eml, items)?;
    store.set_digest_state(&period, DigestState::Sending)?;
    send_recorded(store, sink, config, &period, eml, Some(parts))?;
    Ok(Outcome::Sent {
        period,
        message_id,
        retry: false,
    })
}

/// One sender at a time: an advisory lock on a file beside the store, held while a
/// digest is built and sent, so two processes (a cron `run` beside a daemon) cannot
/// both send a period. The lock goes with the file when this is dropped.
struct SendLock {
    _file: Option<std::fs::File>,
}

/// The lock, or `None` when another process holds it. An in-memory store has no
/// other process and needs none.
fn send_lock(store: &Store) -> Result<Option<SendLock>> {
    let Some(path) = store.lock_path("send") else {
        return Ok(Some(SendLock { _file: None }));
    };
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .with_context(|| format!("opening {}", path.display()))?;
    match file.try_lock() {
        Ok(()) => Ok(Some(SendLock { _file: Some(file) })),
        Err(std::fs::TryLockError::WouldBlock) => Ok(None),
        Err(std::fs::TryLockError::Error(e)) => {
            Err(e).with_context(|| format!("locking {}", path.display()))
        }
    }
}

/// `--force` sends a digest now: for today, or, when today's was sent, one of its own.
fn forced_period(store: &Store, config: &Config, now: Timestamp) -> Result<String> {
    let local = now.to_zoned_datetime(config.zone());
    let today = local.date().to_string();
    match store.digest_for(&today)? {
        Some(r) if r.state == DigestState::Sent => {
            Ok(format!("{today}T{}", local.strftime("%H%M%S")))
        }
        _ => Ok(today),
    }
}

/// A pending digest of an earlier period is replaced by the due one of its
/// kind (daily or weekly): one digest, never several.
fn supersede_older(store: &mut Store, period: &str) -> Result<()> {
    let weekly = period.starts_with(WEEKLY);
    for d in store.digests()? {
        if d.period != period
            && d.period.starts_with(WEEKLY) == weekly
            && matches!(d.state, DigestState::Built | DigestState::Sending)
        {
            tracing::info!(
                "the pending digest for {} is replaced by the one for {period}",
                d.period
            );
            store.set_digest_state(&d.period, DigestState::Superseded)?;
        }
    }
    Ok(())
}

/// Hand the recorded bytes to the server (or the folder); mark sent only on its 250.
fn send_recorded(
    store: &mut Store,
    sink: &Sink,
    config: &Config,
    period: &str,
    eml: &[u8],
    parts: Option<(&str, &str)>,
) -> Result<()> {
    let smtp = match sink {
        Sink::Smtp(smtp) => smtp,
        Sink::Folder(dir) => {
            let (text, html) = parts.unwrap_or(("", ""));
            crate::send::write_to_folder(dir, period, eml, text, html)?;
            store.mark_digest_sent(period)?;
            return Ok(());
        }
    };
    crate::send::send_one(smtp, config, &smtp.to, eml).with_context(|| {
        format!("the digest for {period} was not sent; it stays pending and the next run sends it")
    })?;
    store.mark_digest_sent(period)?;
    Ok(())
}
