//! One run of the pipeline, as `allears run` and each round of `allears
//! daemon` make it: fetch the IMAP accounts, import the local sources,
//! bring threads and answers up to date, act on the owner's reply commands
//! (sending what they ask for), then deliver the digest when it is due.
//!
//! What a run says goes to a `say` callback: the command line prints it,
//! the daemon logs it.

use std::path::PathBuf;

use anyhow::{Context, Result};
use jiff::Timestamp;

use crate::analyze;
use crate::config::Config;
use crate::deliver::{self, Sink};
use crate::import::{self, Summary};
use crate::source::imap::{self, AccountReport};
use crate::store::{OutboxKind, Store};

/// Where a run's words go.
pub(crate) type Say<'a> = &'a mut dyn FnMut(String);

/// What the reading half of a run found.
pub(crate) struct Gathered {
    pub accounts: Vec<AccountReport>,
    pub import: Summary,
    /// Local sources were read (or nothing else is configured): the import summary is news.
    pub local: bool,
}

impl Gathered {
    /// An account or a folder failed; the rest went through.
    pub fn fetch_failed(&self) -> bool {
        self.accounts.iter().any(AccountReport::failed)
    }

    /// Nothing could be read at all.
    pub fn nothing_read(&self) -> bool {
        self.local && self.import.nothing_imported()
    }

    /// The exit code a run that got this far ends with (`cli::exit`):
    /// PARTIAL when an account failed, NOTHING_IMPORTED when nothing could
    /// be read, else 0.
    pub fn code(&self) -> u8 {
        if self.fetch_failed() {
            crate::cli::exit::PARTIAL
        } else if self.nothing_read() {
            crate::cli::exit::NOTHING_IMPORTED
        } else {
            0
        }
    }

    /// Tell what was read. The files skipped under the configured sources
    /// are the same run after run: counted in one line, named with `-v`.
    pub fn report(&self, store: &Store, say: Say) {
        say_fetch(&self.accounts, store, say);
        if self.local {
            say_import(&self.import, store, crate::ui::verbose(), say);
        }
    }
}

/// Fetch every account, import every local source, and bring threads and
/// answers up to date.
pub(crate) fn gather(store: &mut Store, config: &Config) -> Result<Gathered> {
    let accounts = imap::fetch_accounts(store, config, None);
    let paths: Vec<(PathBuf, bool)> = config
        .source
        .iter()
        .map(|s| (config.resolve(&s.path), s.sent))
        .collect();
    let import = import::import_paths(store, config, &paths)?;
    // Threads and answers change only when a message or a location was added.
    analyze::refresh_if_pending(store, &config.owner)?;
    Ok(Gathered {
        accounts,
        import,
        local: !paths.is_empty() || config.account.is_empty(),
    })
}

/// One run: gather, act on the owner's replies, deliver the digest if due
/// (now, with `force`).
pub(crate) fn once(
    store: &mut Store,
    config: &Config,
    now: Timestamp,
    force: bool,
    say: Say,
) -> Result<Gathered> {
    let gathered = gather(store, config)?;
    gathered.report(store, say);
    act_on_replies(store, config, say)?;
    let delivery = deliver::deliver(store, config, &Sink::of(config), now, force)?;
    say(delivery.describe(config));
    if let Some(weekly) = deliver::deliver_weekly(store, config, &Sink::of(config), now)? {
        say(weekly.describe(config));
    }
    Ok(gathered)
}

/// Apply the owner's reply commands that arrived, send the mail they asked
/// for, then a results message for each (reporting what was sent).
pub(crate) fn act_on_replies(store: &mut Store, config: &Config, say: Say) -> Result<()> {
    let handled = crate::commands::process(store, config, crate::clock::now())?;
    for h in &handled {
        say(format!(
            "applied the commands of your reply <{}>",
            h.message_id
        ));
    }
    send_outbox(store, config, say)?;
    for h in &handled {
        let (to, eml) = crate::commands::results_message(store, config, h)?;
        match &config.smtp {
            Some(_) => {
                store.queue_mail(
                    &h.message_id,
                    &to,
                    &eml,
                    "results",
                    OutboxKind::Results,
                    None,
                )?;
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
                say(format!("results written to {}", path.display()));
            }
        }
    }
    send_outbox(store, config, say)?;
    if !handled.is_empty() {
        analyze::refresh(store, &config.owner)?;
    }
    Ok(())
}

/// Send what waits in the outbox; without [smtp] it waits and says so.
pub(crate) fn send_outbox(store: &mut Store, config: &Config, say: Say) -> Result<()> {
    let pending = store.pending_mail()?.len();
    if pending == 0 {
        return Ok(());
    }
    let Some(smtp) = &config.smtp else {
        say(format!(
            "allears: warning: {pending} message(s) wait in the outbox: add an [smtp] section to send them"
        ));
        return Ok(());
    };
    let mut send = |to: &str, eml: &[u8]| crate::send::send_one(smtp, config, to, eml);
    let (sent, failed) = crate::commands::flush(store, config, &mut send)?;
    if sent > 0 {
        analyze::refresh(store, &config.owner)?;
    }
    if sent + failed > 0 {
        say(format!(
            "sent {sent} message(s) you asked for; {failed} failed and wait for the next run"
        ));
    }
    Ok(())
}

/// One summary line per folder (new, skipped as known, failed).
pub(crate) fn say_fetch(reports: &[AccountReport], store: &Store, say: Say) {
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
            if f.counts.too_large > 0 {
                line.push_str(&format!(
                    ", {} over the size limit ([store] max_message_mb): kept as their header only",
                    f.counts.too_large
                ));
            }
            if f.counts.partial > 0 {
                line.push_str(&format!(
                    ", {} large ones without their attachments (`allears show` lists what was left on the server)",
                    f.counts.partial
                ));
            }
            if f.resynced {
                line.push_str(" (UIDVALIDITY changed: folder synced again)");
            }
            if let Some(e) = &f.error {
                line.push_str(&format!("; error: {e}"));
            }
            say(line);
        }
        if let Some(e) = &r.error {
            say(format!("allears: account {}: {e}", r.account));
        }
    }
    let too_large = reports
        .iter()
        .flat_map(|r| &r.folders)
        .map(|f| f.counts.too_large)
        .sum();
    say_too_large(too_large, store, say);
}

/// At most this many skipped files are named one by one, unless `-v`.
const SKIPPED_SHOWN: usize = 20;

/// The import summary: problems, skipped files and why, counts, and the
/// messages stored with a parse error.
/// `name_skipped`: name each skipped file with its reason (`import`, or
/// `-v`), up to [`SKIPPED_SHOWN`] of them unless `-v`; else count them.
pub(crate) fn say_import(summary: &Summary, store: &Store, name_skipped: bool, say: Say) {
    for p in &summary.problems {
        say(format!("allears: warning: {p}"));
    }
    let shown = match (name_skipped, crate::ui::verbose()) {
        (_, true) => summary.skipped.len(),
        (true, false) => SKIPPED_SHOWN,
        (false, false) => 0,
    };
    for s in summary.skipped.iter().take(shown) {
        say(format!("skipped {}: {}", s.path.display(), s.why));
    }
    if summary.skipped.len() > shown {
        let first = &summary.skipped[shown];
        say(format!(
            "skipped {} {}file(s) that are not mail, like {} ({}); -v names each",
            summary.skipped.len() - shown,
            if shown > 0 { "more " } else { "" },
            first.path.display(),
            first.why
        ));
    }
    let c = summary.counts;
    let mut line = format!(
        "imported {} new message(s), {} already known, {} stored raw with a parse error",
        c.new, c.known, c.failed
    );
    if !summary.skipped.is_empty() {
        line.push_str(&format!(
            "; {} file(s) skipped, not mail",
            summary.skipped.len()
        ));
    }
    say(line);
    if c.failed > 0
        && let Ok(failures) = store.parse_failures()
    {
        for (id, err) in failures.iter().rev().take(c.failed.min(20)) {
            say(format!("  {id}: {err}"));
        }
    }
    say_too_large(c.too_large, store, say);
}

/// Under `-q`, why nothing was imported: the problems and the skipped files.
pub(crate) fn say_import_failure(summary: &Summary) {
    if !crate::ui::quiet() {
        return;
    }
    for p in &summary.problems {
        eprintln!("allears: {}", crate::text::visible(p));
    }
    for s in &summary.skipped {
        eprintln!(
            "allears: skipped {}: {}",
            crate::text::visible(&s.path.display().to_string()),
            crate::text::visible(&s.why)
        );
    }
    eprintln!("allears: nothing imported");
}

/// Under `-q`, only what failed: each account and folder that could not be fetched.
pub(crate) fn say_failures(reports: &[AccountReport]) {
    for r in reports {
        if let Some(e) = &r.error {
            eprintln!(
                "allears: account {}: {}",
                r.account,
                crate::text::visible(e)
            );
        }
        for f in &r.folders {
            if let Some(e) = &f.error {
                eprintln!(
                    "allears: {}/{}: {}",
                    r.account,
                    crate::text::visible(&f.folder),
                    crate::text::visible(e)
                );
            }
        }
    }
}

/// The messages of this run that were over the size limit: kept as their header only.
pub(crate) fn say_too_large(n: usize, store: &Store, say: Say) {
    if n == 0 {
        return;
    }
    say(format!(
        "allears: warning: {n} message(s) larger than the size limit ([store] max_message_mb) were kept as their header only:"
    ));
    if let Ok(big) = store.too_large() {
        for (id, size) in big.iter().rev().take(n.min(20)) {
            say(format!("  <{id}>: {}", crate::text::bytes(*size)));
        }
    }
}
