//! The reply commands' grammar: one table ([`GRAMMAR`]) says how each
//! command is written, what it does (the `help` text is made from it), and
//! which [`Command`] it becomes. A new command is one entry here and its
//! action in `apply.rs`.
//!
//! Commands are read from the new text of a reply, one per line. A `reply`
//! command takes the lines after it, up to the next command line or the end.
//! Lines that are not commands are reported back as such, never guessed at.

use jiff::{Timestamp, ToSpan};

pub(crate) use super::outgoing::AnswerTo;

impl AnswerTo {
    /// The command word: `reply`, `reply-list`, `reply-to`.
    pub fn verb(self) -> &'static str {
        match self {
            AnswerTo::Reader => "reply",
            AnswerTo::List => "reply-list",
            AnswerTo::ReplyTo => "reply-to",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Command {
    Done(i64),
    Ignore(i64),
    Mute(i64),
    MuteSender(i64),
    Snooze(i64, Timestamp),
    /// Send `text` to the reader, the list (its List-Post), or the message's
    /// Reply-To in another domain (only when the owner says so).
    Reply {
        item: i64,
        to: AnswerTo,
        text: String,
    },
    Planned(i64),
    Written(i64, String),
    Merge(i64, i64),
    /// Undo the merges into a topic.
    Split(i64),
    /// Give a topic a working title.
    Rename(i64, String),
    Drop(i64),
    /// A false "needs a reply": learn from it.
    NotForMe(i64),
    /// A miss: this needs a reply; learn from it.
    NeedsReply(i64),
    Tell(i64),
    Help,
}

/// One word of a command's pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Word {
    /// This word, in any case.
    Lit(&'static str),
    /// An item id: `#12`.
    Item,
    /// A topic id: `T3`.
    Topic,
    /// When a snoozed item comes back: `3d`, `12h`, `2w`, `tomorrow`, `monday`.
    When,
    /// A link allears may show: http, https or mailto.
    Url,
}

/// A command's values, in pattern order.
#[derive(Debug, Default)]
struct Values {
    ids: Vec<i64>,
    when: Option<Timestamp>,
    url: Option<String>,
    text: String,
}

/// What text a command takes after its words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Takes {
    Nothing,
    /// The rest of its line (a title).
    Line,
    /// The rest of its line and the lines after it (an answer).
    Lines,
}

/// One command of the grammar.
struct Spec {
    pattern: &'static [Word],
    takes: Takes,
    /// How the help shows it, and what it does.
    example: &'static str,
    help: &'static str,
    make: fn(Values) -> Command,
}

use Word::{Item, Lit, Topic, Url, When};

/// Every reply command, in the order `help` lists them.
const GRAMMAR: &[Spec] = &[
    Spec {
        pattern: &[Item, Lit("done")],
        takes: Takes::Nothing,
        example: "#12 done",
        help: "handled: leave the list",
        make: |v| Command::Done(v.ids[0]),
    },
    Spec {
        pattern: &[Item, Lit("ignore")],
        takes: Takes::Nothing,
        example: "#12 ignore",
        help: "not for me",
        make: |v| Command::Ignore(v.ids[0]),
    },
    Spec {
        pattern: &[Item, Lit("mute")],
        takes: Takes::Nothing,
        example: "#12 mute",
        help: "this thread never again",
        make: |v| Command::Mute(v.ids[0]),
    },
    Spec {
        pattern: &[Item, Lit("not-for-me")],
        takes: Takes::Nothing,
        example: "#12 not-for-me",
        help: "it asks you nothing: leave the list, and do not flag mail like it again",
        make: |v| Command::NotForMe(v.ids[0]),
    },
    Spec {
        pattern: &[Item, Lit("needs-reply")],
        takes: Takes::Nothing,
        example: "#12 needs-reply",
        help: "a comment or list post that does need you: list it, and flag mail like it",
        make: |v| Command::NeedsReply(v.ids[0]),
    },
    Spec {
        pattern: &[Lit("mute"), Lit("sender"), Item],
        takes: Takes::Nothing,
        example: "mute sender #12",
        help: "this sender never again",
        make: |v| Command::MuteSender(v.ids[0]),
    },
    Spec {
        pattern: &[Item, Lit("snooze"), When],
        takes: Takes::Nothing,
        example: "#12 snooze 3d",
        help: "back in the digest in 3 days (also 12h, 2w, tomorrow, monday)",
        make: |v| Command::Snooze(v.ids[0], v.when.unwrap_or_default()),
    },
    Spec {
        pattern: &[Item, Lit("reply")],
        takes: Takes::Lines,
        example: "#12 reply",
        help: "then your answer on the next lines: sent to the reader's own address",
        make: |v| Command::Reply {
            item: v.ids[0],
            to: AnswerTo::Reader,
            text: v.text,
        },
    },
    Spec {
        pattern: &[Item, Lit("reply-list")],
        takes: Takes::Lines,
        example: "#12 reply-list",
        help: "then your answer: sent to the list",
        make: |v| Command::Reply {
            item: v.ids[0],
            to: AnswerTo::List,
            text: v.text,
        },
    },
    Spec {
        pattern: &[Item, Lit("reply-to")],
        takes: Takes::Lines,
        example: "#12 reply-to",
        help: "then your answer: sent to the Reply-To the digest shows, in another domain than the sender's",
        make: |v| Command::Reply {
            item: v.ids[0],
            to: AnswerTo::ReplyTo,
            text: v.text,
        },
    },
    Spec {
        pattern: &[Topic, Lit("planned")],
        takes: Takes::Nothing,
        example: "T3 planned",
        help: "you will write it",
        make: |v| Command::Planned(v.ids[0]),
    },
    Spec {
        pattern: &[Topic, Lit("written"), Url],
        takes: Takes::Nothing,
        example: "T3 written URL",
        help: "you wrote it, here",
        make: |v| Command::Written(v.ids[0], v.url.unwrap_or_default()),
    },
    Spec {
        pattern: &[Topic, Lit("merge"), Topic],
        takes: Takes::Nothing,
        example: "T3 merge T1",
        help: "the same subject as T1",
        make: |v| Command::Merge(v.ids[0], v.ids[1]),
    },
    Spec {
        pattern: &[Topic, Lit("split")],
        takes: Takes::Nothing,
        example: "T3 split",
        help: "undo the merges into T3",
        make: |v| Command::Split(v.ids[0]),
    },
    Spec {
        pattern: &[Topic, Lit("rename")],
        takes: Takes::Line,
        example: "T3 rename \"Heat pumps in old houses\"",
        help: "give T3 a working title",
        make: |v| {
            Command::Rename(
                v.ids[0],
                v.text
                    .trim_matches(['"', '“', '”', '\''])
                    .trim()
                    .to_string(),
            )
        },
    },
    Spec {
        pattern: &[Topic, Lit("drop")],
        takes: Takes::Nothing,
        example: "T3 drop",
        help: "not a topic for you",
        make: |v| Command::Drop(v.ids[0]),
    },
    Spec {
        pattern: &[Topic, Lit("tell")],
        takes: Takes::Nothing,
        example: "T3 tell",
        help: "tell each reader who asked that you wrote it (after `written`)",
        make: |v| Command::Tell(v.ids[0]),
    },
    Spec {
        pattern: &[Lit("help")],
        takes: Takes::Nothing,
        example: "help",
        help: "this list",
        make: |_| Command::Help,
    },
];

/// The list of commands, for `help`: made from [`GRAMMAR`], so it cannot drift.
pub(crate) fn help() -> String {
    let mut out = String::from("Reply to a digest with one command per line:\n");
    for spec in GRAMMAR {
        out.push_str(&format!("  {:<20}{}\n", spec.example, spec.help));
    }
    out
}

impl Command {
    /// What a command is applied once to, and its verb: ("#12", "reply"),
    /// ("T3", "tell"). `help` may be asked for any number of times.
    pub fn once_key(&self) -> Option<(String, &'static str)> {
        let item = |i: &i64| format!("#{i}");
        let topic = |t: &i64| format!("T{t}");
        Some(match self {
            Command::Done(i) => (item(i), "done"),
            Command::Ignore(i) => (item(i), "ignore"),
            Command::Mute(i) => (item(i), "mute"),
            Command::MuteSender(i) => (item(i), "mute-sender"),
            Command::Snooze(i, _) => (item(i), "snooze"),
            Command::Reply { item: i, to, .. } => (item(i), to.verb()),
            Command::Planned(t) => (topic(t), "planned"),
            Command::Written(t, _) => (topic(t), "written"),
            Command::Merge(t, _) => (topic(t), "merge"),
            Command::Drop(t) => (topic(t), "drop"),
            Command::Tell(t) => (topic(t), "tell"),
            Command::NotForMe(i) => (item(i), "not-for-me"),
            Command::NeedsReply(i) => (item(i), "needs-reply"),
            // Naming and undoing merges change nothing outside the store:
            // the owner may do them again.
            Command::Split(_) | Command::Rename(..) | Command::Help => return None,
        })
    }

    /// How the command is written, for results ("#12 done", "T3 merge T1").
    pub fn describe(&self) -> String {
        match self {
            Command::Done(i) => format!("#{i} done"),
            Command::Ignore(i) => format!("#{i} ignore"),
            Command::Mute(i) => format!("#{i} mute"),
            Command::MuteSender(i) => format!("mute sender #{i}"),
            Command::Snooze(i, _) => format!("#{i} snooze"),
            Command::Reply { item, to, .. } => format!("#{item} {}", to.verb()),
            Command::Planned(t) => format!("T{t} planned"),
            Command::Written(t, _) => format!("T{t} written"),
            Command::Merge(a, b) => format!("T{a} merge T{b}"),
            Command::Split(t) => format!("T{t} split"),
            Command::Rename(t, _) => format!("T{t} rename"),
            Command::NotForMe(i) => format!("#{i} not-for-me"),
            Command::NeedsReply(i) => format!("#{i} needs-reply"),
            Command::Drop(t) => format!("T{t} drop"),
            Command::Tell(t) => format!("T{t} tell"),
            Command::Help => "help".to_string(),
        }
    }
}

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct Parsed {
    pub commands: Vec<Command>,
    /// Lines that were not commands, reported back as such (never guessed at).
    pub unknown: Vec<String>,
    /// Lines left unread because of the line limit.
    pub over_limit: usize,
}

/// Read commands from the new text of a reply, one per line.
pub(crate) fn parse(
    text: &str,
    max_lines: usize,
    now: Timestamp,
    tz: &jiff::tz::TimeZone,
) -> Parsed {
    let mut out = Parsed::default();
    // A command that takes text, and the lines it has taken so far.
    let mut open: Option<(&Spec, Values, Vec<&str>)> = None;
    let mut seen = 0usize;
    for line in text.lines() {
        let t = line.trim();
        // The token line a digest's mailto: links carry (and its footer asks
        // to keep) is for `auth.rs`; it is no command, and no unknown line.
        if open.is_none() && is_key_line(t) {
            continue;
        }
        let matched = parse_line(t, now, tz);
        if let Some((spec, values, mut lines)) = open.take() {
            if matched.is_none() {
                lines.push(line.trim_end());
                open = Some((spec, values, lines));
                continue;
            }
            out.commands.push(finish(spec, values, &lines));
        }
        if t.is_empty() {
            continue;
        }
        seen += 1;
        if seen > max_lines {
            out.over_limit += 1;
            continue;
        }
        match matched {
            Some((spec, mut values, first)) if spec.takes == Takes::Line => {
                values.text = first.unwrap_or("").to_string();
                if values.text.trim().is_empty() {
                    out.unknown.push(crate::text::clip(t, 120));
                } else {
                    out.commands.push((spec.make)(values));
                }
            }
            Some((spec, values, first)) if spec.takes == Takes::Lines => {
                open = Some((spec, values, first.into_iter().collect()));
            }
            Some((spec, values, _)) => out.commands.push((spec.make)(values)),
            None => out.unknown.push(crate::text::clip(t, 120)),
        }
    }
    if let Some((spec, values, lines)) = open {
        out.commands.push(finish(spec, values, &lines));
    }
    out
}

/// "allears key c0ffee", or the footer's "(keep this line in your reply: allears key c0ffee)".
fn is_key_line(t: &str) -> bool {
    let lower = t.to_ascii_lowercase();
    lower.starts_with("allears key ") || lower.starts_with("(keep this line in your reply")
}

fn finish(spec: &Spec, mut values: Values, lines: &[&str]) -> Command {
    values.text = lines.join("\n").trim().to_string();
    (spec.make)(values)
}

/// The spec a line matches, its values, and (for a command that takes text)
/// the text after the command words on the same line: "#12 reply Thanks, ...".
fn parse_line<'a>(
    line: &'a str,
    now: Timestamp,
    tz: &jiff::tz::TimeZone,
) -> Option<(&'static Spec, Values, Option<&'a str>)> {
    let words: Vec<&str> = line.split_whitespace().collect();
    GRAMMAR.iter().find_map(|spec| {
        let n = spec.pattern.len();
        let fits = if spec.takes != Takes::Nothing {
            words.len() >= n
        } else {
            words.len() == n
        };
        if !fits {
            return None;
        }
        let mut values = Values::default();
        for (word, pat) in words.iter().zip(spec.pattern) {
            match pat {
                Lit(l) => {
                    if !word.eq_ignore_ascii_case(l) {
                        return None;
                    }
                }
                Item => values.ids.push(item_id(word)?),
                Topic => values.ids.push(topic_id(word)?),
                When => values.when = Some(snooze_until(word, now, tz)?),
                Url => values.url = Some(crate::text::safe_link(word)?),
            }
        }
        let rest = (spec.takes != Takes::Nothing)
            .then(|| after_words(line, n))
            .flatten();
        Some((spec, values, rest))
    })
}

/// What follows the first `n` words of `line`, if anything.
fn after_words(line: &str, n: usize) -> Option<&str> {
    let mut rest = line.trim_start();
    for _ in 0..n {
        let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
        rest = rest[end..].trim_start();
    }
    let rest = rest.trim();
    (!rest.is_empty()).then_some(rest)
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
                    to: AnswerTo::Reader,
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
                to: AnswerTo::List,
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
    fn the_token_line_of_a_mailto_link_is_no_unknown_line() {
        // What a digest's "Done" link puts in the body with a `[commands] address`.
        let p = parse("#12 done\r\n\r\nallears key c0ffee\r\n", 50, now(), &tz());
        assert_eq!(p.commands, vec![Command::Done(12)]);
        assert!(p.unknown.is_empty(), "{:?}", p.unknown);
        let p = parse(
            "(keep this line in your reply: allears key c0ffee)\n#3 done\n",
            50,
            now(),
            &tz(),
        );
        assert_eq!(p.commands, vec![Command::Done(3)]);
        assert!(p.unknown.is_empty(), "{:?}", p.unknown);
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

    /// Every example the help shows parses as the command it documents.
    #[test]
    fn every_help_example_is_a_command() {
        for spec in GRAMMAR {
            let example = spec.example.replace("URL", "https://x.example/p");
            let p = parse(&example, 50, now(), &tz());
            assert_eq!(p.commands.len(), 1, "{example}: {p:?}");
            assert!(help().contains(spec.example));
        }
    }
}
