//! One function per subcommand: each opens what it needs, drives the
//! pipeline modules, and prints for a person or as JSON lines.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use serde_json::json;

use crate::analyze;
use crate::cli::{Cli, Command, TopicAction};
use crate::config::Config;
use crate::digest;
use crate::import::{self, Summary};
use crate::render::Renderer;
use crate::source::imap;
use crate::store::{Row, Store};
use crate::thread::{Mode, Node};

pub(crate) fn run(cli: Cli) -> Result<ExitCode> {
    let config = Config::load(cli.config.as_deref())?;
    let db = cli.db.clone().unwrap_or_else(|| config.db_path());
    let mut store = Store::open(&db)?;
    match cli.command {
        Command::Run { force } => run_all(&mut store, &config, force),
        Command::Daemon => crate::daemon::run(&mut store, &config),
        Command::Fetch { account } => fetch(&mut store, &config, account.as_deref()),
        Command::Check => check(&config),
        Command::Import { paths, sent } => {
            let paths: Vec<(PathBuf, bool)> = paths.into_iter().map(|p| (p, sent)).collect();
            let started = std::time::Instant::now();
            let summary = import::import_paths(&mut store, &config, &paths)?;
            tracing::debug!("import took {:?}", started.elapsed());
            let started = std::time::Instant::now();
            analyze::refresh_if_pending(&mut store)?;
            tracing::debug!("threads and answered took {:?}", started.elapsed());
            Ok(report_import(&summary, &store))
        }
        Command::Digest => {
            analyze::refresh(&mut store)?;
            let (text, path) = make_digest(&mut store, &config)?;
            print!("{text}");
            eprintln!("digest written to {}", path.display());
            Ok(ExitCode::SUCCESS)
        }
        Command::Threads { json, strict } => threads(&store, json, strict),
        Command::Messages { json } => messages(&store, json),
        Command::Explain { message_id } => explain(&store, &message_id),
        Command::Items { json } => items(&mut store, &config, json),
        Command::Topics { json } => topics(&mut store, &config, json),
        Command::Reclassify => reclassify(&mut store, &config),
        Command::Done { id } => command_line(&mut store, &config, &format!("{} done", item(&id))),
        Command::Ignore { id } => {
            command_line(&mut store, &config, &format!("{} ignore", item(&id)))
        }
        Command::Mute { id } => command_line(&mut store, &config, &format!("{} mute", item(&id))),
        Command::Snooze { id, when } => {
            command_line(&mut store, &config, &format!("{} snooze {when}", item(&id)))
        }
        Command::Reply { id, file, list } => {
            let text = if file.as_os_str() == "-" {
                std::io::read_to_string(std::io::stdin())
                    .context("reading the answer from standard input")?
            } else {
                std::fs::read_to_string(&file)
                    .with_context(|| format!("reading {}", file.display()))?
            };
            let verb = if list { "reply-list" } else { "reply" };
            command_line(
                &mut store,
                &config,
                &format!("{} {verb}\n{text}", item(&id)),
            )
        }
        Command::Topic { action } => {
            let line = match action {
                TopicAction::Merge { from, into } => {
                    return merge_topics(&mut store, &config, &from, &into);
                }
                TopicAction::Planned { id } => format!("{} planned", topic(&id)),
                TopicAction::Written { id, url } => format!("{} written {url}", topic(&id)),
                TopicAction::Drop { id } => format!("{} drop", topic(&id)),
                TopicAction::Tell { id } => format!("{} tell", topic(&id)),
            };
            command_line(&mut store, &config, &line)
        }
    }
}

/// `allears run`: fetch and classify, then send the digest if it is due. Without
/// `[smtp]` the digest is written to the output folder on every run, as before.
fn run_all(store: &mut Store, config: &Config, force: bool) -> Result<ExitCode> {
    let code = fetch_all(store, config)?;
    let Some(smtp) = &config.smtp else {
        let (_, path) = make_digest(store, config)?;
        eprintln!("digest written to {}", path.display());
        return Ok(code);
    };
    let sink = crate::send::Sink::Smtp(smtp);
    let outcome = crate::send::deliver(store, config, &sink, crate::clock::now(), force)?;
    report_delivery(&outcome, config);
    Ok(code)
}

/// Import every configured source and bring threads and answers up to date; `run`
/// and `daemon` both fetch through here.
pub(crate) fn fetch_all(store: &mut Store, config: &Config) -> Result<ExitCode> {
    let reports = imap::fetch_accounts(store, config, None);
    let fetch_failed = report_fetch(&reports);
    let paths: Vec<(PathBuf, bool)> = config
        .source
        .iter()
        .map(|s| (config.resolve(&s.path), s.sent))
        .collect();
    let summary = import::import_paths(store, config, &paths)?;
    let code = if paths.is_empty() && !config.account.is_empty() {
        ExitCode::SUCCESS
    } else {
        report_import(&summary, store)
    };
    // Threads and answers change only when a message or a location was added.
    analyze::refresh_if_pending(store)?;
    act_on_replies(store, config)?;
    Ok(if fetch_failed {
        ExitCode::from(3)
    } else {
        code
    })
}

/// `allears fetch`: every account (or one), then threads and answers are brought up to date.
fn fetch(store: &mut Store, config: &Config, only: Option<&str>) -> Result<ExitCode> {
    imap::require_accounts(config, only)?;
    let reports = imap::fetch_accounts(store, config, only);
    let failed = report_fetch(&reports);
    // Threads and answers change only when a message or a location was added.
    if store.refresh_pending()? {
        let t = std::time::Instant::now();
        analyze::refresh(store)?;
        tracing::debug!(
            "threads and answers brought up to date in {:.2?}; peak memory {}",
            t.elapsed(),
            imap::peak_memory()
        );
    }
    Ok(if failed {
        ExitCode::from(3)
    } else {
        ExitCode::SUCCESS
    })
}

/// One summary line per folder (new, skipped as known, failed); returns whether anything failed.
fn report_fetch(reports: &[imap::AccountReport]) -> bool {
    for r in reports {
        for f in &r.folders {
            let mut line = format!(
                "{}/{}: {} new, {} skipped (known), {} failed",
                r.account, f.folder, f.counts.new, f.counts.known, f.unfetched
            );
            if f.counts.failed > 0 {
                line.push_str(&format!(
                    ", {} stored raw with a parse error",
                    f.counts.failed
                ));
            }
            if f.resynced {
                line.push_str(" (UIDVALIDITY changed: folder synced again)");
            }
            if let Some(e) = &f.error {
                line.push_str(&format!("; error: {e}"));
            }
            eprintln!("{line}");
        }
        if let Some(e) = &r.error {
            eprintln!("allears: account {}: {e}", r.account);
        }
    }
    reports.iter().any(imap::AccountReport::failed)
}

/// `allears check`: what each account looks like from here, and what is wrong.
fn check(config: &Config) -> Result<ExitCode> {
    imap::require_accounts(config, None)?;
    let mut bad = false;
    for account in &config.account {
        let r = imap::check_account(config, account);
        println!("account {}:", r.account);
        for l in &r.lines {
            println!("  {l}");
        }
        for p in &r.problems {
            println!("  PROBLEM: {p}");
            eprintln!("allears: account {}: {p}", r.account);
        }
        if r.problems.is_empty() {
            println!("  ok");
        }
        bad |= !r.problems.is_empty();
    }
    Ok(if bad {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

pub(crate) fn report_delivery(outcome: &crate::send::Outcome, config: &Config) {
    use crate::send::Outcome;
    match outcome {
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
            let to = config
                .smtp
                .as_ref()
                .map(|s| s.to.as_str())
                .unwrap_or("the output folder");
            eprintln!("digest for {period} sent to {to}{again}: <{message_id}>");
        }
        Outcome::Busy => {
            eprintln!("another allears is sending the digest right now; this run sent nothing");
        }
        Outcome::SkippedEmpty { period } => {
            eprintln!("nothing new for {period}: no digest sent ([schedule] empty = \"skip\")");
        }
        Outcome::NotDue {
            period,
            state,
            next,
        } => {
            let next = crate::send::rfc5322_date(config, *next);
            eprintln!("the digest for {period} was already {state}; the next is due {next}");
        }
    }
}

/// "12" or "#12" -> "#12".
fn item(id: &str) -> String {
    format!("#{}", id.trim().trim_start_matches('#'))
}

/// "3" or "T3" -> "T3".
fn topic(id: &str) -> String {
    format!("T{}", id.trim().trim_start_matches(['T', 't']))
}

/// A command given on the command line: the same grammar and effects as in a
/// reply to the digest, applied at once; mail it asks for is sent now.
fn command_line(store: &mut Store, config: &Config, line: &str) -> Result<ExitCode> {
    let now = crate::clock::now();
    let parsed = crate::commands::parse(line, usize::MAX, now, &digest::owner_zone(config));
    if parsed.commands.is_empty() {
        anyhow::bail!("not a command: {}", line.lines().next().unwrap_or(""));
    }
    let failed = {
        store.begin()?;
        match crate::commands::apply_and_queue(
            store,
            config,
            &format!("cli:{}", now.as_nanosecond()),
            &parsed,
        ) {
            Ok(lines) => {
                store.commit()?;
                for l in &lines {
                    println!("{l}");
                }
                lines.iter().any(|l| l.contains("FAILED"))
            }
            Err(e) => {
                store.rollback();
                return Err(e);
            }
        }
    };
    send_outbox(store, config)?;
    Ok(if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// Apply the owner's reply commands that arrived, send the mail they asked
/// for, then a results message for each (reporting what was sent).
pub(crate) fn act_on_replies(store: &mut Store, config: &Config) -> Result<()> {
    let handled = crate::commands::process(store, config, crate::clock::now())?;
    for h in &handled {
        eprintln!("applied the commands of your reply <{}>", h.message_id);
    }
    send_outbox(store, config)?;
    for h in &handled {
        let (to, eml) = crate::commands::results_message(store, config, h)?;
        match &config.smtp {
            Some(_) => {
                store.queue_mail(&h.message_id, &to, &eml, "results", "results", None)?;
            }
            None => {
                let dir = config.output_dir();
                std::fs::create_dir_all(&dir)
                    .with_context(|| format!("creating {}", dir.display()))?;
                let path = dir.join(format!(
                    "results-{}.eml",
                    &crate::message::content_hash(h.message_id.as_bytes())[..12]
                ));
                std::fs::write(&path, &eml)
                    .with_context(|| format!("writing {}", path.display()))?;
                eprintln!("results written to {}", path.display());
            }
        }
    }
    send_outbox(store, config)?;
    if !handled.is_empty() {
        analyze::refresh(store)?;
    }
    Ok(())
}

/// Send what waits in the outbox; without [smtp] it waits and says so.
fn send_outbox(store: &mut Store, config: &Config) -> Result<()> {
    let pending = store.pending_mail()?.len();
    if pending == 0 {
        return Ok(());
    }
    let Some(smtp) = &config.smtp else {
        eprintln!(
            "allears: warning: {pending} message(s) wait in the outbox: add an [smtp] section to send them"
        );
        return Ok(());
    };
    let mut send = |to: &str, eml: &[u8]| crate::send::send_one(smtp, config, to, eml);
    let (sent, failed) = crate::commands::flush(store, config, &mut send)?;
    if sent > 0 {
        analyze::refresh(store)?;
    }
    if sent + failed > 0 {
        eprintln!(
            "sent {sent} message(s) you asked for; {failed} failed and wait for the next run"
        );
    }
    Ok(())
}

/// Print the import summary; the exit code is non-zero only when nothing could be read.
fn report_import(summary: &Summary, store: &Store) -> ExitCode {
    for p in &summary.problems {
        eprintln!("allears: warning: {p}");
    }
    let c = summary.counts;
    eprintln!(
        "imported {} new message(s), {} already known, {} stored raw with a parse error",
        c.new, c.known, c.failed
    );
    if c.failed > 0
        && let Ok(failures) = store.parse_failures()
    {
        for (id, err) in failures.iter().rev().take(c.failed.min(20)) {
            eprintln!("  {id}: {err}");
        }
    }
    if c.new + c.known == 0 && !summary.problems.is_empty() {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    }
}

/// Build, render and write the digest; returns its text and the .eml path.
fn make_digest(store: &mut Store, config: &Config) -> Result<(String, PathBuf)> {
    let d = digest::build(store, config, crate::clock::now())?;
    let renderer = Renderer::new()?;
    let text = renderer.text("digest", &d)?;
    let html = renderer.html("digest", &d)?;
    let message_id = crate::send::digest_message_id(config, &d.period);
    let eml = crate::send::build_digest(config, &d, &message_id, &text, &html)?;
    let ids: Vec<i64> = d.needs_reply.iter().map(|n| n.id).collect();
    store.save_digest(&d.period, &message_id, &eml, &ids)?;
    let path = crate::send::write_to_folder(&config.output_dir(), &d.period, &eml, &text, &html)?;
    Ok((text, path))
}

fn out() -> std::io::BufWriter<std::io::StdoutLock<'static>> {
    std::io::BufWriter::new(std::io::stdout().lock())
}

fn threads(store: &Store, as_json: bool, strict: bool) -> Result<ExitCode> {
    let links = store.links()?;
    let mode = if strict {
        Mode::Strict
    } else {
        Mode::Conversation
    };
    let threads = analyze::threads(&links, mode);
    let mut w = out();
    for t in &threads {
        let ids: Vec<&str> = t
            .messages
            .iter()
            .map(|&i| links[i].message_id.as_str())
            .collect();
        if as_json {
            let line = json!({"root": t.root, "messages": ids, "tree": tree_json(&t.tree, 0)});
            writeln!(w, "{line}")?;
        } else {
            let subject = t
                .messages
                .first()
                .map(|&i| links[i].subject.as_str())
                .unwrap_or("");
            writeln!(w, "{} message(s): {subject}", ids.len())?;
            draw(&mut w, &t.tree, 1, &links)?;
        }
    }
    w.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// Deeper reply chains than this are listed flat under their ancestor at
/// this depth, so hostile mail cannot make the JSON (or its writer) recurse
/// without bound, and common JSON readers (serde_json stops at 128 levels of
/// nesting; a node is two) can read every line.
const MAX_JSON_DEPTH: usize = 60;

/// A thread tree as nested JSON, bounded in depth (see [`MAX_JSON_DEPTH`]).
fn tree_json(node: &Node, depth: usize) -> serde_json::Value {
    let children: Vec<serde_json::Value> = if depth < MAX_JSON_DEPTH {
        node.children
            .iter()
            .map(|c| tree_json(c, depth + 1))
            .collect()
    } else {
        let mut flat = Vec::new();
        let mut stack: Vec<&Node> = node.children.iter().rev().collect();
        while let Some(n) = stack.pop() {
            flat.push(json!({"message_id": n.message_id, "children": []}));
            stack.extend(n.children.iter().rev());
        }
        flat
    };
    json!({"message_id": node.message_id, "children": children})
}

/// Draw a thread tree for a person; iterative, so deep chains cannot overflow.
fn draw(
    w: &mut impl Write,
    root: &Node,
    depth: usize,
    links: &[crate::store::Links],
) -> Result<()> {
    let mut stack = vec![(root, depth)];
    while let Some((node, d)) = stack.pop() {
        let label = match &node.message_id {
            Some(id) => links
                .iter()
                .find(|l| &l.message_id == id)
                .map(|l| format!("{} ({})", l.subject, l.from_addr))
                .unwrap_or_else(|| id.clone()),
            None => "(missing message)".to_string(),
        };
        writeln!(w, "{}{label}", "  ".repeat(d.min(40)))?;
        for child in node.children.iter().rev() {
            stack.push((child, d + 1));
        }
    }
    Ok(())
}

fn message_json(row: &Row) -> serde_json::Value {
    json!({
        "message_id": row.message_id,
        "source": row.source.as_str(),
        "asks_owner": row.asks_owner,
        "answered": row.answered_by.is_some(),
        "answered_by": row.answered_by,
        "topics": row.class.topics.iter().map(|t| t.phrase.as_str()).collect::<Vec<_>>(),
        "thread": row.thread,
        "reasons": row.class.reasons.iter().map(|r| r.to_string()).collect::<Vec<_>>(),
        "subject": row.subject,
        "from": row.from_addr,
        "date": row.date,
        "question": row.class.question,
        "context": row.class.context,
        "parse_error": row.parse_error,
        "places": row.places,
    })
}

fn messages(store: &Store, as_json: bool) -> Result<ExitCode> {
    let mut w = out();
    for row in store.rows()? {
        if as_json {
            writeln!(w, "{}", message_json(&row))?;
        } else {
            let open = if digest::wants_reply(&row) {
                "needs reply"
            } else {
                ""
            };
            writeln!(
                w,
                "{:<9} {:<11} {} <{}> {}",
                row.source.as_str(),
                open,
                row.from_addr,
                row.message_id,
                row.subject
            )?;
        }
    }
    w.flush()?;
    Ok(ExitCode::SUCCESS)
}

fn explain(store: &Store, message_id: &str) -> Result<ExitCode> {
    let id = message_id
        .trim()
        .trim_start_matches('<')
        .trim_end_matches('>');
    let row = store
        .row_by_message_id(id)?
        .with_context(|| format!("no stored message has Message-ID <{id}>"))?;
    let mut w = out();
    writeln!(w, "<{}>", row.message_id)?;
    writeln!(w, "  subject:   {}", row.subject)?;
    writeln!(w, "  from:      {} {}", row.from_name, row.from_addr)?;
    writeln!(w, "  source:    {}", row.source.as_str())?;
    writeln!(
        w,
        "  asks you:  {}",
        if row.asks_owner { "yes" } else { "no" }
    )?;
    if !row.class.question.is_empty() {
        writeln!(w, "  question:  {}", row.class.question)?;
    }
    match &row.answered_by {
        Some(by) => writeln!(w, "  answered:  yes, by your message <{by}>")?,
        None => writeln!(w, "  answered:  no")?,
    }
    writeln!(
        w,
        "  in digest: {}",
        if digest::wants_reply(&row) {
            "yes, under Needs a reply"
        } else {
            "no"
        }
    )?;
    for t in &row.class.topics {
        writeln!(w, "  topic:     {} (\"{}\")", t.phrase, t.words)?;
    }
    if let Some(t) = &row.thread {
        writeln!(w, "  thread:    <{t}>")?;
    }
    if let Some(e) = &row.parse_error {
        writeln!(w, "  parse error: {e}")?;
    }
    writeln!(w, "  why:")?;
    for r in &row.class.reasons {
        writeln!(w, "    - {r}")?;
    }
    w.flush()?;
    Ok(ExitCode::SUCCESS)
}

fn items(store: &mut Store, config: &Config, as_json: bool) -> Result<ExitCode> {
    analyze::refresh(store)?;
    let d = digest::build(store, config, crate::clock::now())?;
    let mut w = out();
    for item in digest::items(&d) {
        if as_json {
            writeln!(w, "{}", serde_json::to_string(&item)?)?;
        } else {
            writeln!(w, "{:<5} {}", item.id, item.summary)?;
        }
    }
    w.flush()?;
    Ok(ExitCode::SUCCESS)
}

fn topics(store: &mut Store, config: &Config, as_json: bool) -> Result<ExitCode> {
    let groups = analyze::topic_groups(store, config)?;
    let mut w = out();
    for g in &groups {
        if as_json {
            let line = json!({
                "id": format!("T{}", g.id),
                "label": g.label,
                "messages": g.messages,
                "askers": g.askers,
                "words": g.words,
                "state": g.state,
            });
            writeln!(w, "{line}")?;
        } else {
            writeln!(w, "T{:<4} {} ({} reader(s))", g.id, g.label, g.askers.len())?;
        }
    }
    w.flush()?;
    Ok(ExitCode::SUCCESS)
}

fn reclassify(store: &mut Store, config: &Config) -> Result<ExitCode> {
    let mut classes = Vec::new();
    store.for_each_raw(|id, raw, sent| {
        let msg = crate::message::parse(raw);
        classes.push((id, crate::classify::classify(&msg, &config.owner, sent)));
        Ok(())
    })?;
    store.update_classes(&classes)?;
    analyze::refresh(store)?;
    eprintln!("reclassified {} message(s)", classes.len());
    Ok(ExitCode::SUCCESS)
}

/// `allears topic merge A B`: fold topic A into B (ids as `topics` prints them, or labels).
fn merge_topics(store: &mut Store, config: &Config, a: &str, b: &str) -> Result<ExitCode> {
    // Group first, so every topic the owner can see has its id.
    analyze::topic_groups(store, config)?;
    let from = find_topic(store, a)?;
    let into = find_topic(store, b)?;
    if from.id == into.id {
        anyhow::bail!("T{} and T{} are the same topic", from.id, into.id);
    }
    store.merge_topic(from.id, into.id)?;
    eprintln!(
        "merged T{} ({}) into T{} ({})",
        from.id, from.label, into.id, into.label
    );
    Ok(ExitCode::SUCCESS)
}

fn find_topic(store: &Store, name: &str) -> Result<crate::store::Topic> {
    let n = name.trim();
    let id = n.trim_start_matches(['T', 't']).parse::<i64>().ok();
    let topics = store.topics()?;
    let found = topics.into_iter().find(|t| {
        Some(t.id) == id || t.label.eq_ignore_ascii_case(n) || t.key.eq_ignore_ascii_case(n)
    });
    let topic = found.with_context(|| format!("no topic {n:?} (see `allears topics`)"))?;
    // Name the topic that survives earlier merges.
    match topic.merged_into {
        Some(into) => Ok(store.topic(into)?.unwrap_or(topic)),
        None => Ok(topic),
    }
}
