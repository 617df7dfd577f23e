//! The weekly "what your readers want" digest (`[schedule] weekly =
//! "sunday"`, off by default): the topics readers asked for over the last
//! 30 days with their askers and trend (this week against the week
//! before), what was written and who was told, and the readers who have
//! waited longest.
//!
//! Comes after `digest.rs` (whose open items and command address it
//! reuses) and before `render.rs` (`templates/weekly.*.hbs`); `deliver.rs`
//! sends it once per week, as its own period (`week-2026-11-29`), so it
//! never stands in for the daily digest.

use anyhow::Result;
use jiff::Timestamp;
use jiff::civil::Date;
use serde::Serialize;

use crate::config::Config;
use crate::digest::{self, NeedsReply};
use crate::store::{Store, TopicState};
use crate::text::{clip, span};

/// The window the weekly digest looks at, in days.
const WINDOW_DAYS: i64 = 30;
const WEEK: i64 = 7 * 86_400;
/// Topics, written topics and waiting readers shown at most.
const MAX_TOPICS: usize = 15;
const MAX_WRITTEN: usize = 10;
const MAX_WAITING: usize = 10;

#[derive(Debug, Clone, Serialize)]
pub(crate) struct Weekly {
    pub owner: String,
    pub period: String,
    /// "Sunday 29 November 2026".
    pub day: String,
    pub subject: String,
    pub summary: Vec<String>,
    pub topics: Vec<TopicTrend>,
    pub topics_more: usize,
    pub written: Vec<Written>,
    /// The open items whose readers have waited longest, oldest first.
    pub waiting: Vec<NeedsReply>,
    pub waiting_more: usize,
    pub reply_to: String,
    pub command_key: Option<String>,
}

/// A topic asked for in the last 30 days, and how its asking moves.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct TopicTrend {
    pub id: i64,
    pub label: String,
    pub readers: usize,
    pub askers: String,
    pub this_week: usize,
    pub week_before: usize,
    /// "rising", "new", "steady", "quieter", "quiet".
    pub trend: &'static str,
    pub planned: bool,
}

/// A topic written (and perhaps told) with requests in the window.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Written {
    pub id: i64,
    pub label: String,
    pub link: Option<String>,
    pub readers: usize,
    pub told: usize,
    /// When the last asker was told ("3 days ago").
    pub told_when: Option<String>,
}

/// The weekly digest for the week ending on `day`, made at `now`.
pub(crate) fn build(
    store: &mut Store,
    config: &Config,
    now: Timestamp,
    day: Date,
    period: &str,
) -> Result<Weekly> {
    let d = digest::build_for(store, config, now, day, period)?;
    let at = now.as_second();
    let groups = crate::analyze::topic_groups(store, config)?;
    // The askers by name, found among the topic's own requests (each read
    // once), not the whole store.
    let names_of = |g: &crate::analyze::TopicGroup| -> Result<Vec<String>> {
        let mut rows = Vec::new();
        for m in &g.messages {
            rows.extend(store.row_by_message_id(m)?);
        }
        Ok(g.askers
            .iter()
            .map(|a| {
                rows.iter()
                    .find(|r| r.reader_email().eq_ignore_ascii_case(a))
                    .map(digest::who)
                    .unwrap_or_else(|| clip(a, 60))
            })
            .collect())
    };
    let mut topics = Vec::new();
    let mut written = Vec::new();
    for g in &groups {
        let recent = g.askers_since(at - WINDOW_DAYS * 86_400);
        let told = store.told(g.id)?;
        let told_recently = told.iter().any(|(_, t)| *t >= at - WINDOW_DAYS * 86_400);
        match g.state {
            TopicState::Open | TopicState::Planned if recent > 0 => {
                let this_week = g.askers_since(at - WEEK);
                let week_before = g.askers_since(at - 2 * WEEK) - this_week;
                let names = names_of(g)?;
                topics.push(TopicTrend {
                    id: g.id,
                    label: clip(&g.label, 120),
                    readers: g.askers.len(),
                    askers: list(&names, 5),
                    this_week,
                    week_before,
                    trend: trend(this_week, week_before, recent),
                    planned: g.state == TopicState::Planned,
                });
            }
            TopicState::Written if recent > 0 || told_recently => written.push(Written {
                id: g.id,
                label: clip(&g.label, 120),
                link: g.link.as_deref().and_then(crate::text::safe_link),
                readers: g.askers.len(),
                told: told.len(),
                told_when: told.last().map(|(_, t)| crate::text::age(at - t)),
            }),
            _ => {}
        }
    }
    // Most readers in the window first; among as many, the busiest week.
    topics.sort_by(|a, b| {
        (b.readers, b.this_week)
            .cmp(&(a.readers, a.this_week))
            .then(a.id.cmp(&b.id))
    });
    let topics_more = topics.len().saturating_sub(MAX_TOPICS);
    topics.truncate(MAX_TOPICS);
    written.truncate(MAX_WRITTEN);
    let mut waiting: Vec<NeedsReply> = d
        .needs_reply
        .into_iter()
        .chain(d.still_waiting)
        .chain(d.hidden)
        .collect();
    waiting.sort_by_key(|n| n.waited_since());
    let waiting_more = waiting.len().saturating_sub(MAX_WAITING);
    waiting.truncate(MAX_WAITING);
    let mailto = digest::Mailto::new(
        &d.reply_to,
        &d.title,
        d.command_key.as_deref(),
        &digest::digest_message_id(config, period),
    );
    for n in &mut waiting {
        n.actions = mailto.for_item(n.id);
    }
    let day_name = day.strftime("%A %-d %B %Y").to_string();
    let mut summary = vec![format!(
        "{} topic{} asked for in the last {WINDOW_DAYS} days",
        topics.len() + topics_more,
        if topics.len() + topics_more == 1 {
            ""
        } else {
            "s"
        }
    )];
    if !written.is_empty() {
        summary.push(format!("{} written", written.len()));
    }
    if let Some(oldest) = waiting.first() {
        summary.push(format!(
            "{} waiting, the longest for {}",
            waiting.len() + waiting_more,
            span(at - oldest.waited_since())
        ));
    }
    Ok(Weekly {
        owner: config.owner.name.clone(),
        period: period.to_string(),
        subject: format!("What your readers want, week to {day_name}"),
        day: day_name,
        summary,
        topics,
        topics_more,
        written,
        waiting,
        waiting_more,
        reply_to: d.reply_to,
        command_key: d.command_key,
    })
}

/// This week against the week before, for people.
fn trend(this_week: usize, week_before: usize, in_window: usize) -> &'static str {
    match (this_week, week_before) {
        (t, 0) if t > 0 && t == in_window => "new",
        (t, b) if t > b => "rising",
        (0, 0) => "quiet",
        (t, b) if t == b => "steady",
        _ => "quieter",
    }
}

fn list(names: &[String], max: usize) -> String {
    let mut out = names
        .iter()
        .take(max)
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    if names.len() > max {
        out.push_str(&format!(" and {} more", names.len() - max));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trends_compare_this_week_with_the_one_before() {
        assert_eq!(trend(3, 0, 3), "new");
        assert_eq!(trend(3, 1, 5), "rising");
        assert_eq!(trend(1, 1, 4), "steady");
        assert_eq!(trend(0, 2, 4), "quieter");
        assert_eq!(trend(0, 0, 2), "quiet");
    }
}
