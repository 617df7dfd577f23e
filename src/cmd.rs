//! One function per subcommand: each opens what it needs, drives the
//! pipeline modules (`run.rs` for a whole run), and prints for a person or
//! as JSON lines. Standard output goes through `text::Visible` and JSON
//! through `text::json`, so mail-derived text reaches a terminal as text,
//! never as control sequences.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use serde_json::json;

use crate::analyze;
use crate::cli::{Cli, Command, OutboxAction, TopicAction, exit};
use crate::config::Config;
use crate::digest;
use crate::import;
use crate::source::imap;
use crate::status::{Judge, Status};
use crate::store::{ItemState, MuteKind, OutboxState, Row, RunLock, Store};
use crate::text::{Visible, json as json_line, visible, visible_line};
use crate::thread::{Mode, Node};
use crate::ui::note;

pub(crate) fn run(cli: Cli) -> Result<ExitCode> {
    // These need no config.
    match &cli.command {
        Command::Completions { shell } => return completions(*shell),
        Command::Man => return man(),
        Command::Init(args) => return crate::init::run(cli.config.as_deref(), args),
        _ => {}
    }
    let is_run = matches!(cli.command, Command::Run { .. });
    let (mut config, demo) = if cli.demo {
        (crate::demo::config(is_run)?, true)
    } else {
        match Config::find(cli.config.as_deref())? {
            Some(c) => (c, false),
            // Only `run` starts the demo by itself; anything else would
            // leave files behind for a config that does not exist.
            None if is_run => (crate::demo::config(true)?, true),
            None => return Err(crate::cli::NoConfig.into()),
        }
    };
    if demo && is_run {
        note(&format!(
            "no config: this is the demo, built into allears (Robin Ellis's reader mail, as of {}), kept in {}/ (`allears init` makes allears yours)",
            &crate::demo::NOW[..10],
            crate::demo::DIR
        ));
    }
    // `--db` moves the store, and the OAuth2 token files that live beside it.
    if let Some(db) = &cli.db {
        config.store.path = Some(std::path::absolute(db).unwrap_or_else(|_| db.clone()));
    }
    // These two need no store.
    match &cli.command {
        Command::Check => return crate::check::run(&config),
        Command::Login {
            account,
            device,
            port,
        } => return login(&config, account, *device, *port),
        _ => {}
    }
    let db = config.db_path();
    let wait = config.store.lock_timeout();
    // One allears at a time on a store; the daemon takes it round by round.
    let opened = std::time::Instant::now();
    let lock = RunLock::take(&db, wait, cli.command.name())?;
    let mut store = Store::open(&db, wait)?;
    let judged = analyze::ensure_current(&mut store, &config)?;
    tracing::debug!("store open and current in {:.2?}", opened.elapsed());
    if judged > 0 {
        note(&format!(
            "the rules or your [owner] changed: judged {judged} stored message(s) again"
        ));
    }
    match cli.command {
        // The demo writes its digest on every run: showing it is the point.
        Command::Run { .. } if demo => {
            let code = run_once(&mut store, &config, true)?;
            note(&format!(
                "that was the demo: read {dir}/out/digest-{day}.txt (or .html); then `allears --demo items`, `allears --demo show 1`, `allears --demo explain 1`",
                dir = crate::demo::DIR,
                day = &crate::demo::NOW[..10],
            ));
            Ok(code)
        }
        Command::Run { force } => run_once(&mut store, &config, force),
        Command::Daemon => {
            drop(lock);
            crate::daemon::run(&mut store, &config)
        }
        Command::Fetch { account } => fetch(&mut store, &config, account.as_deref()),
        Command::Check
        | Command::Login { .. }
        | Command::Init(_)
        | Command::Completions { .. }
        | Command::Man => unreachable!("handled before the store is opened"),
        Command::Show { id } => show(&store, &config, &id),
        Command::Unmute { id } => unmute(&mut store, &id),
        Command::Unsnooze { id } => unsnooze(&mut store, &id),
        Command::Mutes => mutes(&store),
        Command::Outbox { action } => outbox(&mut store, action),
        Command::Import { paths, sent } => {
            let paths: Vec<(PathBuf, bool)> = paths.into_iter().map(|p| (p, sent)).collect();
            let started = std::time::Instant::now();
            let summary = import::import_paths(&mut store, &config, &paths)?;
            tracing::debug!("import took {:?}", started.elapsed());
            let started = std::time::Instant::now();
            analyze::refresh_if_pending(&mut store, &config.owner)?;
            tracing::debug!("threads and answered took {:?}", started.elapsed());
            crate::run::say_import(&summary, &store, true, &mut |l| note(&l));
            Ok(if summary.nothing_imported() {
                crate::run::say_import_failure(&summary);
                ExitCode::from(exit::NOTHING_IMPORTED)
            } else {
                ExitCode::SUCCESS
            })
        }
        Command::Digest { weekly } => {
            analyze::refresh(&mut store, &config.owner)?;
            let now = crate::clock::now();
            let (text, path) = if weekly {
                crate::deliver::preview_weekly(&mut store, &config, now)?
            } else {
                crate::deliver::preview(&mut store, &config, now)?
            };
            let mut w = out();
            write!(w, "{text}")?;
            w.flush()?;
            note(&format!("digest written to {}", path.display()));
            Ok(ExitCode::SUCCESS)
        }
        Command::Threads { json, strict } => threads(&store, json, strict),
        Command::Messages { json } => messages(&mut store, &config, json),
        Command::Explain { message_id } => explain(&mut store, &config, &message_id),
        Command::Items { json } => items(&mut store, &config, json),
        Command::Topics { json } => topics(&mut store, &config, json),
        Command::Reclassify => {
            let n = analyze::reclassify(&mut store, &config)?;
            note(&format!("reclassified {n} message(s)"));
            Ok(ExitCode::SUCCESS)
        }
        Command::Done { id } => command_line(&mut store, &config, &format!("{} done", item(&id))),
        Command::Ignore { id } => {
            command_line(&mut store, &config, &format!("{} ignore", item(&id)))
        }
        Command::Mute { id } => command_line(&mut store, &config, &format!("{} mute", item(&id))),
        Command::NotForMe { ids } => {
            let lines: Vec<String> = ids
                .iter()
                .map(|i| format!("{} not-for-me", item(i)))
                .collect();
            command_line(&mut store, &config, &lines.join("\n"))
        }
        Command::NeedsReply { ids } => {
            let lines: Vec<String> = ids
                .iter()
                .map(|i| format!("{} needs-reply", item(i)))
                .collect();
            command_line(&mut store, &config, &lines.join("\n"))
        }
        Command::Corrections { action } => corrections(&mut store, &config, action),
        Command::Snooze { id, when } => {
            command_line(&mut store, &config, &format!("{} snooze {when}", item(&id)))
        }
        Command::Reply {
            id,
            file,
            list,
            reply_to,
        } => {
            let text = if file.as_os_str() == "-" {
                std::io::read_to_string(std::io::stdin())
                    .context("reading the answer from standard input")?
            } else {
                std::fs::read_to_string(&file)
                    .with_context(|| format!("reading {}", file.display()))?
            };
            let verb = match (list, reply_to) {
                (true, _) => "reply-list",
                (_, true) => "reply-to",
                _ => "reply",
            };
            command_line(
                &mut store,
                &config,
                &format!("{} {verb}\n{text}", item(&id)),
            )
        }
        Command::Topic { action } => {
            let line = match action {
                TopicAction::Merge { from, into } => {
                    // Group first, so every topic the owner can see has its id.
                    analyze::topic_groups(&mut store, &config)?;
                    let (a, b) = (find_topic(&store, &from)?, find_topic(&store, &into)?);
                    format!("T{} merge T{}", a.id, b.id)
                }
                TopicAction::Split { id } => format!("{} split", topic(&id)),
                TopicAction::Rename { id, title } => {
                    format!("{} rename {}", topic(&id), title.replace(['\r', '\n'], " "))
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

/// `allears run`: one run of the pipeline (`run.rs`). Without `[smtp]` the
/// digest goes to the output folder, and counts as sent there.
fn run_once(store: &mut Store, config: &Config, force: bool) -> Result<ExitCode> {
    let mut say = |l: String| note(&l);
    let gathered = crate::run::once(store, config, crate::clock::now(), force, &mut say)?;
    if crate::ui::quiet() {
        crate::run::say_failures(&gathered.accounts);
        if gathered.nothing_read() {
            crate::run::say_import_failure(&gathered.import);
        }
    }
    Ok(ExitCode::from(gathered.code()))
}

/// `allears fetch`: every account (or one), then threads and answers are brought up to date.
fn fetch(store: &mut Store, config: &Config, only: Option<&str>) -> Result<ExitCode> {
    imap::require_accounts(config, only)?;
    let reports = imap::fetch_accounts(store, config, only);
    crate::run::say_fetch(&reports, store, &mut |l| note(&l));
    if crate::ui::quiet() {
        crate::run::say_failures(&reports);
    }
    let failed = reports.iter().any(imap::AccountReport::failed);
    // Threads and answers change only when a message or a location was added.
    if store.refresh_pending()? {
        let t = std::time::Instant::now();
        analyze::refresh(store, &config.owner)?;
        tracing::debug!(
            "threads and answers brought up to date in {:.2?}; peak memory {}",
            t.elapsed(),
            crate::usage::peak_memory()
        );
    }
    Ok(if failed {
        ExitCode::from(exit::PARTIAL)
    } else {
        ExitCode::SUCCESS
    })
}

/// `allears login NAME [--device] [--port P]`: sign in and keep the tokens.
fn login(config: &Config, account: &str, device: bool, port: Option<u16>) -> Result<ExitCode> {
    let flow = if device {
        crate::oauth2::Flow::Device
    } else {
        crate::oauth2::Flow::Browser {
            port: port.unwrap_or(0),
        }
    };
    crate::oauth2::login(config, account, flow, &mut |l| eprintln!("{l}"))?;
    Ok(ExitCode::SUCCESS)
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
    let parsed = crate::commands::parse(line, usize::MAX, now, &config.zone());
    if parsed.commands.is_empty() {
        anyhow::bail!("not a command: {}", line.lines().next().unwrap_or(""));
    }
    let report = crate::commands::apply_and_queue(
        store,
        config,
        &format!("cli:{}", now.as_nanosecond()),
        &parsed,
    )?;
    let mut w = out();
    for l in report.lines() {
        writeln!(w, "{}", visible(&l))?;
    }
    w.flush()?;
    crate::run::send_outbox(store, config, &mut |l| note(&l))?;
    Ok(if report.failed() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// `allears corrections`: what the owner's corrections taught, one per
/// line; `forget N` drops one and judges the stored mail again.
fn corrections(
    store: &mut Store,
    config: &Config,
    action: Option<crate::cli::CorrectionsAction>,
) -> Result<ExitCode> {
    if let Some(crate::cli::CorrectionsAction::Forget { id }) = action {
        if !store.forget_correction(id)? {
            anyhow::bail!("there is no correction {id} (see `allears corrections`)");
        }
        let n = analyze::ensure_current(store, config)?;
        note(&format!(
            "forgot correction {id}; judged {n} stored message(s) again"
        ));
        return Ok(ExitCode::SUCCESS);
    }
    let mut w = out();
    let all = store.corrections()?;
    let learned = store.topic_phrases()?;
    if all.is_empty() && learned.is_empty() {
        writeln!(
            w,
            "no corrections yet: `#12 not-for-me`, `#12 needs-reply` and `T3 merge T1` teach allears"
        )?;
    }
    for c in &all {
        let what = match c.kind {
            crate::store::CorrectionKind::NotForMe => "not for you",
            crate::store::CorrectionKind::NeedsReply => "needs a reply",
        };
        writeln!(
            w,
            "{:<4} {what}: {} through {}, like “{}”",
            c.id,
            c.sender,
            c.place,
            crate::text::clip(&c.phrase, 100)
        )?;
    }
    for (topic, phrase, from) in &learned {
        writeln!(
            w,
            "     T{topic} also means “{phrase}” (merged from T{from}; `T{topic} split` forgets)"
        )?;
    }
    w.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// Standard output: buffered, and shown as text (`text::Visible`).
fn out() -> Visible<std::io::BufWriter<std::io::StdoutLock<'static>>> {
    Visible::new(std::io::BufWriter::new(std::io::stdout().lock()))
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
            writeln!(w, "{}", json_line(&line)?)?;
        } else {
            let subject = t
                .messages
                .first()
                .map(|&i| links[i].subject.as_str())
                .unwrap_or("");
            writeln!(w, "{} message(s): {}", ids.len(), visible_line(subject))?;
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
                .map(|l| {
                    format!(
                        "{} ({})",
                        visible_line(&l.subject),
                        visible_line(&l.from_addr)
                    )
                })
                .unwrap_or_else(|| visible_line(id).into_owned()),
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

fn messages(store: &mut Store, config: &Config, as_json: bool) -> Result<ExitCode> {
    let judge = Judge::load(store, config, crate::clock::now())?;
    let mut w = out();
    store.for_each_row(|row| {
        if as_json {
            writeln!(w, "{}", json_line(&message_json(&row))?)?;
        } else {
            let open = if judge.status(&row).needs_reply() {
                "needs reply"
            } else {
                ""
            };
            writeln!(
                w,
                "{:<9} {:<11} {} <{}> {}",
                row.source.as_str(),
                open,
                visible_line(&row.from_addr),
                visible_line(&row.message_id),
                visible_line(&row.subject)
            )?;
        }
        Ok(())
    })?;
    w.flush()?;
    Ok(ExitCode::SUCCESS)
}

fn explain(store: &mut Store, config: &Config, id: &str) -> Result<ExitCode> {
    let row = message_of(store, id)?;
    let judge = Judge::load(store, config, crate::clock::now())?;
    let mut w = out();
    writeln!(w, "<{}>", visible_line(&row.message_id))?;
    writeln!(w, "  subject:   {}", visible_line(&row.subject))?;
    writeln!(
        w,
        "  from:      {} {}",
        visible_line(&row.from_name),
        visible_line(&row.from_addr)
    )?;
    writeln!(w, "  source:    {}", row.source.as_str())?;
    writeln!(
        w,
        "  asks you:  {}",
        if row.asks_owner { "yes" } else { "no" }
    )?;
    if !row.class.question.is_empty() {
        writeln!(w, "  question:  {}", visible_line(&row.class.question))?;
    }
    match &row.answered_by {
        Some(by) => writeln!(
            w,
            "  answered:  yes, by your message <{}>",
            visible_line(by)
        )?,
        None => writeln!(w, "  answered:  no")?,
    }
    match judge.status(&row) {
        Status::In(section) => writeln!(w, "  in digest: yes, under {}", section.title())?,
        Status::Out(why) => writeln!(w, "  in digest: no: {}", visible_line(&why.to_string()))?,
    }
    for t in &row.class.topics {
        writeln!(
            w,
            "  topic:     {} (\"{}\")",
            visible_line(&t.phrase),
            visible_line(&t.words)
        )?;
    }
    if let Some(t) = &row.thread {
        writeln!(w, "  thread:    <{}>", visible_line(t))?;
    }
    if let Some(e) = &row.parse_error {
        writeln!(w, "  parse error: {}", visible_line(e))?;
    }
    writeln!(w, "  why:")?;
    for r in &row.class.reasons {
        writeln!(w, "    - {}", visible_line(&r.to_string()))?;
    }
    w.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// `allears items`: an aligned table (id, kind, age, what), or JSON lines.
fn items(store: &mut Store, config: &Config, as_json: bool) -> Result<ExitCode> {
    analyze::refresh(store, &config.owner)?;
    let now = crate::clock::now();
    let d = digest::build(store, config, now)?;
    let all = digest::items(&d);
    if as_json {
        let mut w = out();
        for item in &all {
            writeln!(w, "{}", json_line(item)?)?;
        }
        w.flush()?;
        return Ok(ExitCode::SUCCESS);
    }
    if all.is_empty() {
        note("no items: nothing in the digest needs you");
        return Ok(ExitCode::SUCCESS);
    }
    // The age of an item is that of its newest message.
    let mut rows = Vec::with_capacity(all.len());
    for item in &all {
        let mut newest = None;
        for id in &item.message_ids {
            if let Some(date) = store.row_by_message_id(id)?.and_then(|r| r.date) {
                newest = newest.max(Some(date));
            }
        }
        let age = newest
            .map(|t| short_age(now.as_second() - t))
            .unwrap_or_else(|| "-".into());
        let kind = item.kind.replace('_', " ");
        rows.push([item.id.clone(), kind, age, item.summary.clone()]);
    }
    let width = |i: usize| {
        rows.iter()
            .map(|r| r[i].chars().count())
            .max()
            .unwrap_or(0)
            .max(["ID", "KIND", "AGE"][i].len())
    };
    let (a, b, c) = (width(0), width(1), width(2));
    let paint = crate::ui::Paint::stdout();
    let mut w = std::io::BufWriter::new(std::io::stdout().lock());
    writeln!(
        w,
        "{}",
        paint.bold(&format!(
            "{:<a$}  {:<b$}  {:>c$}  WHAT",
            "ID", "KIND", "AGE"
        ))
    )?;
    for [id, kind, age, summary] in &rows {
        writeln!(
            w,
            "{id:<a$}  {kind:<b$}  {age:>c$}  {}",
            visible_line(&crate::text::clip(summary, 160))
        )?;
    }
    w.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// "3d", "5h", "2w", "now": an age that fits a column.
fn short_age(secs: i64) -> String {
    match secs.max(0) {
        s if s < 3600 => format!("{}m", s / 60),
        s if s < 86_400 => format!("{}h", s / 3600),
        s if s < 14 * 86_400 => format!("{}d", s / 86_400),
        s => format!("{}w", s / (7 * 86_400)),
    }
}

/// A message as the owner names it: an item id ("#12", "12") or a Message-ID.
fn message_of(store: &Store, id: &str) -> Result<Row> {
    let id = id.trim();
    if id.starts_with(['T', 't']) && id[1..].parse::<i64>().is_ok() {
        anyhow::bail!("{id} is a topic, not a message: `allears topics` lists its requests");
    }
    if let Ok(n) = id.trim_start_matches('#').parse::<i64>() {
        let item = store
            .item(n)?
            .with_context(|| format!("there is no item #{n} (`allears items` lists them)"))?;
        let mid = item
            .key
            .strip_prefix("msg:")
            .with_context(|| format!("item #{n} is not a message"))?;
        return store
            .row_by_message_id(mid)?
            .with_context(|| format!("the message of item #{n} is gone"));
    }
    let mid = id.trim_start_matches('<').trim_end_matches('>');
    store
        .row_by_message_id(mid)?
        .with_context(|| format!("no stored message has Message-ID <{mid}>"))
}

/// `allears show ID`: the message as it came, decoded, and its thread.
fn show(store: &Store, config: &Config, id: &str) -> Result<ExitCode> {
    let row = message_of(store, id)?;
    let raw = store
        .raw(&row.message_id)?
        .context("the message's raw bytes are gone")?;
    let msg = crate::message::parse(&raw);
    let mut w = out();
    let addrs = |v: &[crate::message::Address]| {
        v.iter().map(|a| a.display()).collect::<Vec<_>>().join(", ")
    };
    let date = msg.header("Date").map(str::to_string).unwrap_or_default();
    let mut fields = vec![
        (
            "From",
            msg.from.as_ref().map(|a| a.display()).unwrap_or_default(),
        ),
        ("To", addrs(&msg.to)),
        ("Cc", addrs(&msg.cc)),
        ("Reply-To", addrs(&msg.reply_to)),
        ("Date", date),
        ("Subject", msg.subject.clone()),
        ("Message-ID", format!("<{}>", msg.message_id)),
    ];
    for name in ["List-Id", "Sender"] {
        if let Some(v) = msg.header(name) {
            fields.push((name, v.to_string()));
        }
    }
    for (name, value) in fields {
        if !value.is_empty() {
            writeln!(w, "{name}: {}", visible_line(&value))?;
        }
    }
    if !row.places.is_empty() {
        writeln!(w, "Found in: {}", visible_line(&row.places.join(", ")))?;
    }
    // A message fetched without its attachments has their MIME headers and
    // no bodies: they are listed from what the store recorded instead.
    let skipped = store.skipped_parts(&row.message_id)?;
    for a in crate::message::attachments(&raw, !skipped.is_empty()) {
        writeln!(w, "Attachment: {}", visible_line(&a))?;
    }
    if !skipped.is_empty() {
        writeln!(
            w,
            "Stored without its attachments: these parts were left on the IMAP server"
        )?;
        for p in &skipped {
            let name = if p.name.is_empty() {
                "(no name)"
            } else {
                &p.name
            };
            writeln!(
                w,
                "Left on the server: {} ({}, {}, part {})",
                visible_line(name),
                visible_line(&p.mime),
                crate::text::bytes(p.size),
                visible_line(&p.part)
            )?;
        }
    }
    if let Some(e) = &msg.parse_error {
        writeln!(w, "Parse error: {}", visible_line(e))?;
    }
    writeln!(w)?;
    if msg.html_only {
        writeln!(w, "[HTML only, shown as text]")?;
    }
    writeln!(w, "{}", visible(msg.text.trim_end()))?;
    // The conversation it belongs to, this message marked.
    let links = store.links()?;
    let threads = analyze::threads(&links, Mode::Conversation);
    if let Some(t) = threads.iter().find(|t| {
        t.messages
            .iter()
            .any(|&i| links[i].message_id == row.message_id)
    }) && t.messages.len() > 1
    {
        writeln!(w)?;
        writeln!(w, "Thread ({} messages; * is this one):", t.messages.len())?;
        let zone = config.zone();
        let mut stack = vec![(&t.tree, 1usize)];
        while let Some((node, d)) = stack.pop() {
            let label = match &node.message_id {
                Some(mid) => match links.iter().find(|l| &l.message_id == mid) {
                    Some(l) => {
                        let when = jiff::Timestamp::from_second(l.date)
                            .map(|t| {
                                t.to_zoned_datetime(zone.clone())
                                    .strftime("%Y-%m-%d")
                                    .to_string()
                            })
                            .unwrap_or_default();
                        let mark = if *mid == row.message_id { "* " } else { "" };
                        format!(
                            "{mark}{when} {} <{}>: {}",
                            visible_line(&l.from_addr),
                            visible_line(mid),
                            visible_line(&l.subject)
                        )
                    }
                    None => format!("<{}>", visible_line(mid)),
                },
                None => "(a message not stored)".to_string(),
            };
            writeln!(w, "{}{label}", "  ".repeat(d.min(40)))?;
            for child in node.children.iter().rev() {
                stack.push((child, d + 1));
            }
        }
    }
    w.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// `allears unmute ID`: an item's thread and sender may come back; or one mute by value.
fn unmute(store: &mut Store, id: &str) -> Result<ExitCode> {
    let id = id.trim();
    let mut undone = Vec::new();
    if let Ok(n) = id.trim_start_matches('#').parse::<i64>() {
        let row = message_of(store, id)?;
        let thread = row.thread.clone().unwrap_or_else(|| row.message_id.clone());
        if store.unmute(MuteKind::Thread, &thread)? {
            undone.push(format!("the thread of “{}”", row.subject));
        }
        let who = row.reader_email();
        if store.unmute(MuteKind::Sender, &who)? {
            undone.push(who);
        }
        if store.item(n)?.is_some_and(|i| i.state == ItemState::Muted) {
            store.set_item_state(n, ItemState::Open, None)?;
        }
        // So `#12 mute` is done again, not reported as a repeat.
        store.forget_applied(&format!("#{n}"), &["mute", "mute-sender"])?;
        if undone.is_empty() {
            anyhow::bail!("item #{n} is not muted (`allears mutes` lists what is)");
        }
    } else {
        let value = id.trim_start_matches('<').trim_end_matches('>');
        for kind in [MuteKind::Thread, MuteKind::Sender] {
            if store.unmute(kind, value)? {
                undone.push(value.to_string());
            }
        }
        if undone.is_empty() {
            anyhow::bail!("nothing named {value:?} is muted (`allears mutes` lists what is)");
        }
    }
    let mut w = out();
    for u in &undone {
        writeln!(w, "unmuted {}", visible_line(u))?;
    }
    w.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// `allears unsnooze ID`: the item is back in the next digest.
fn unsnooze(store: &mut Store, id: &str) -> Result<ExitCode> {
    let n: i64 = id
        .trim()
        .trim_start_matches('#')
        .parse()
        .with_context(|| format!("`{id}` is not an item id like #12"))?;
    let item = store
        .item(n)?
        .with_context(|| format!("there is no item #{n} (`allears items` lists them)"))?;
    let now = crate::clock::now().as_second();
    if item.state != ItemState::Open || item.snooze_until.is_none_or(|u| u <= now) {
        anyhow::bail!("item #{n} is not snoozed");
    }
    store.set_item_state(n, ItemState::Open, None)?;
    let mut w = out();
    writeln!(w, "#{n} is back: it is in the next digest")?;
    w.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// `allears mutes`: the threads and senders muted.
fn mutes(store: &Store) -> Result<ExitCode> {
    let all = store.mutes()?;
    let mut w = out();
    if all.is_empty() {
        writeln!(
            w,
            "nothing is muted (`allears mute 12` mutes item #12's thread)"
        )?;
    }
    for m in &all {
        match m.kind {
            MuteKind::Thread => {
                let subject = store
                    .row_by_message_id(&m.value)?
                    .map(|r| format!(" “{}”", r.subject))
                    .unwrap_or_default();
                writeln!(
                    w,
                    "thread  {}{}",
                    visible_line(&m.value),
                    visible_line(&subject)
                )?;
            }
            MuteKind::Sender => writeln!(w, "sender  {}", visible_line(&m.value))?,
        }
    }
    w.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// `allears outbox [cancel N]`: what allears sends for the owner, and its state.
fn outbox(store: &mut Store, action: Option<OutboxAction>) -> Result<ExitCode> {
    if let Some(OutboxAction::Cancel { id }) = action {
        let entry = store
            .outbox()?
            .into_iter()
            .find(|e| e.id == id)
            .with_context(|| {
                format!("there is no outbox message {id} (`allears outbox` lists them)")
            })?;
        if entry.state != OutboxState::Pending {
            anyhow::bail!(
                "outbox message {id} is {}: only a waiting one can be cancelled",
                entry.state
            );
        }
        store.cancel_mail(id)?;
        let mut w = out();
        writeln!(
            w,
            "cancelled {id}: {} to {}; it will not be sent",
            visible_line(&entry.what),
            visible_line(&entry.recipient)
        )?;
        w.flush()?;
        return Ok(ExitCode::SUCCESS);
    }
    let all = store.outbox()?;
    let mut w = out();
    if all.is_empty() {
        writeln!(w, "the outbox is empty")?;
    }
    for e in &all {
        let mut line = format!(
            "{:<4} {:<9} {:<7} to {}: {}",
            e.id,
            e.state.as_str(),
            e.kind.as_str(),
            visible_line(&e.recipient),
            visible_line(&e.what)
        );
        if e.state == OutboxState::Pending && e.attempts > 0 {
            line.push_str(&format!(
                " ({} attempt(s); last: {})",
                e.attempts,
                visible_line(e.last_error.as_deref().unwrap_or("?"))
            ));
        }
        writeln!(w, "{line}")?;
    }
    w.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// `allears completions SHELL`: clap_complete's script for that shell.
fn completions(shell: clap_complete::Shell) -> Result<ExitCode> {
    let mut cmd = <Cli as clap::CommandFactory>::command();
    let mut w = std::io::stdout().lock();
    clap_complete::generate(shell, &mut cmd, "allears", &mut w);
    w.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// `allears man`: the man page, allears(1), with every subcommand, as roff.
fn man() -> Result<ExitCode> {
    let cmd = <Cli as clap::CommandFactory>::command();
    let mut w = std::io::stdout().lock();
    clap_mangen::Man::new(cmd)
        .render(&mut w)
        .context("writing the man page")?;
    w.flush()?;
    Ok(ExitCode::SUCCESS)
}

fn topics(store: &mut Store, config: &Config, as_json: bool) -> Result<ExitCode> {
    let groups = analyze::topic_groups(store, config)?;
    let now = crate::clock::now().as_second();
    let when = |t: Option<i64>| {
        t.and_then(|t| jiff::Timestamp::from_second(t).ok())
            .map(|t| t.to_string())
    };
    let mut w = out();
    for g in &groups {
        let mut told = 0;
        for a in &g.askers {
            told += usize::from(store.was_told(g.id, a)?);
        }
        let recent = g.askers_since(now - 30 * 86_400);
        if as_json {
            let line = json!({
                "id": format!("T{}", g.id),
                "label": g.label,
                "state": g.state,
                "link": g.link,
                "messages": g.messages,
                "askers": g.askers,
                "words": g.words,
                "first_asked": when(g.first_asked()),
                "last_asked": when(g.last_asked()),
                "askers_last_30_days": recent,
                "told": told,
            });
            writeln!(w, "{line}")?;
        } else {
            let last = g
                .last_asked()
                .map(|t| crate::text::age(now - t))
                .unwrap_or_else(|| "undated".into());
            let mut state = g.state.to_string();
            if let Some(link) = &g.link {
                state.push_str(&format!(" {link}"));
            }
            if told > 0 {
                state.push_str(&format!(", {told} told"));
            }
            writeln!(
                w,
                "T{:<4} {} ({} reader(s), {recent} in the last 30 days; last asked {last}; {state})",
                g.id,
                g.label,
                g.askers.len()
            )?;
        }
    }
    w.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// A topic by id ("T12" or "12") or label, as the owner names it.
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
