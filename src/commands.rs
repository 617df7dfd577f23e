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

use jiff::{Timestamp, ToSpan};

use crate::config::Config;
use crate::message::Message;

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
    let from = msg.from_email();
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
    let in_address = msg.to.iter().chain(&msg.cc).any(|a| {
        a.email
            .split('@')
            .next()
            .is_some_and(|local| local.ends_with(&format!("+{token}")))
    });
    in_address || msg.text.contains(token)
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
pub(crate) fn is_command_message(msg: &Message, digest_ids: &[String], token: &str) -> bool {
    let replies_to_digest = msg
        .in_reply_to
        .iter()
        .chain(&msg.references)
        .any(|id| digest_ids.iter().any(|d| d == id));
    let to_command_address = !token.is_empty()
        && msg.to.iter().any(|a| {
            a.email
                .split('@')
                .next()
                .is_some_and(|l| l.ends_with(&format!("+{token}")))
        });
    replies_to_digest || to_command_address
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
