//! One function per subcommand: each opens what it needs, drives the
//! pipeline modules, and prints for a person or as JSON lines.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use serde_json::json;

use crate::analyze;
use crate::cli::{Cli, Command};
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
        Command::Run => run_all(&mut store, &config),
        Command::Fetch { account } => fetch(&mut store, &config, account.as_deref()),
        Command::Check => check(&config),
        Command::Import { paths, sent } => {
            let paths: Vec<(PathBuf, bool)> = paths.into_iter().map(|p| (p, sent)).collect();
            let summary = import::import_paths(&mut store, &config, &paths)?;
            analyze::refresh(&mut store)?;
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
    }
}

/// `allears run`: import every configured source, classify, build the digest.
fn run_all(store: &mut Store, config: &Config) -> Result<ExitCode> {
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
    analyze::refresh(store)?;
    let (_, path) = make_digest(store, config)?;
    eprintln!("digest written to {}", path.display());
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
    let changed = reports
        .iter()
        .flat_map(|r| &r.folders)
        .any(|f| f.counts.new + f.counts.known > 0);
    if changed {
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
    let eml = crate::send::build_digest(config, &d.subject, &message_id, &text, &html)?;
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
            let line = json!({"root": t.root, "messages": ids, "tree": t.tree});
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
