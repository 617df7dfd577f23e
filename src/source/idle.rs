//! Waiting for the owner's replies with IMAP IDLE (RFC 2177), so that
//! `allears daemon` acts on reply commands within seconds instead of at the
//! next fetch interval.
//!
//! One thread logs in to the account the replies land in, EXAMINEs the folder
//! (read-only, like every fetch) and IDLEs. Any change the server reports
//! sets a flag; the daemon's loop sees it and fetches as usual, which picks up
//! the command message. The wait is cut into short IDLE rounds so the thread
//! notices the daemon stopping; a dropped connection is retried after a
//! pause. Errors are logged, never fatal: the interval fetch still runs.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crate::config::{Account, Config};

/// One IDLE round: short, so a stopping daemon is never kept waiting.
const ROUND: Duration = Duration::from_secs(2);
/// RFC 2177 asks clients to re-issue IDLE at least every 29 minutes; the
/// rounds do, and a fresh login every so often guards against silent drops.
const RELOGIN: Duration = Duration::from_secs(25 * 60);
/// The pause before trying again after a failure.
const RETRY: Duration = Duration::from_secs(30);

/// The account and folder the owner's replies land in: `[commands] account`
/// and `folder`, else the first account's INBOX.
pub(crate) fn watched(config: &Config) -> Option<(&Account, String)> {
    let account = match &config.commands.account {
        Some(name) => config.account.iter().find(|a| &a.name == name)?,
        None => config.account.first()?,
    };
    let folder = config
        .commands
        .folder
        .clone()
        .unwrap_or_else(|| "INBOX".to_string());
    Some((account, folder))
}

/// Watch until `stop`; set `changed` whenever the folder changes.
pub(crate) fn watch(config: &Config, stop: &AtomicBool, changed: &AtomicBool) {
    let Some((account, folder)) = watched(config) else {
        return;
    };
    while !stop.load(Ordering::Relaxed) {
        match idle_session(config, account, &folder, stop, changed) {
            Ok(()) => {}
            Err(e) => {
                tracing::warn!(
                    "IDLE on {}/{folder}: {e}; trying again in {}s",
                    account.name,
                    RETRY.as_secs()
                );
                let until = Instant::now() + RETRY;
                while Instant::now() < until && !stop.load(Ordering::Relaxed) {
                    std::thread::sleep(Duration::from_millis(250));
                }
            }
        }
    }
}

/// One login: IDLE rounds until a change, a stop, or time for a fresh login.
fn idle_session(
    config: &Config,
    account: &Account,
    folder: &str,
    stop: &AtomicBool,
    changed: &AtomicBool,
) -> Result<(), String> {
    let mut session = super::imap::login(config, account).map_err(|e| e.to_string())?;
    session
        .examine(folder)
        .map_err(|e| format!("EXAMINE {folder}: {e}"))?;
    tracing::debug!("IDLE on {}/{folder}", account.name);
    let started = Instant::now();
    while !stop.load(Ordering::Relaxed) && started.elapsed() < RELOGIN {
        let outcome = session
            .idle()
            .timeout(ROUND)
            .keepalive(false)
            .wait_while(imap::extensions::idle::stop_on_any)
            .map_err(|e| format!("IDLE: {e}"))?;
        if outcome == imap::extensions::idle::WaitOutcome::MailboxChanged {
            tracing::debug!("{}/{folder} changed", account.name);
            changed.store(true, Ordering::Relaxed);
        }
    }
    let _ = session.logout();
    Ok(())
}
