//! `allears daemon`: one long-running process that fetches on an interval and
//! sends each digest at its time, until SIGTERM (or SIGINT) asks it to stop.
//!
//! It drives the same run as `allears run` (`run.rs`: gather, act on
//! replies; `deliver.rs`: send when due); what it adds is waiting. Waiting is measured on the wall
//! clock and re-checked every few seconds rather than slept in one piece: the
//! monotonic clock stops while a laptop is suspended, so a single long sleep
//! would wake late. After a suspend the schedule's rule (the due period is the
//! latest slot's day) makes it send one catch-up digest, never one per missed
//! day. A failed send is retried with a growing pause, not in a tight loop.

use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use anyhow::{Context, Result};
use jiff::{SignedDuration, Timestamp};

use crate::config::Config;
use crate::deliver::{self, Outcome, Sink};
use crate::store::Store;

/// How often the loop looks at the wall clock and the stop flag.
const TICK: Duration = Duration::from_millis(250);
/// The longest the loop waits between checks of the schedule.
const RECHECK: SignedDuration = SignedDuration::from_secs(20);
/// A failed send waits this long, doubling up to `MAX_RETRY`.
const FIRST_RETRY: SignedDuration = SignedDuration::from_secs(60);
const MAX_RETRY: SignedDuration = SignedDuration::from_secs(30 * 60);

pub(crate) fn run(store: &mut Store, config: &Config) -> Result<ExitCode> {
    let stop = Arc::new(AtomicBool::new(false));
    for signal in [signal_hook::consts::SIGTERM, signal_hook::consts::SIGINT] {
        signal_hook::flag::register(signal, Arc::clone(&stop))
            .context("installing the SIGTERM handler")?;
    }
    let every = SignedDuration::from_secs(
        i64::try_from(config.schedule.fetch_every_minutes.max(1) * 60).unwrap_or(i64::MAX),
    );
    let sink = Sink::of(config);
    tracing::info!(
        "daemon started: digest at {} {}, fetching every {} minute(s)",
        config.schedule.time,
        config.schedule.timezone,
        config.schedule.fetch_every_minutes.max(1)
    );
    // The owner's replies are watched with IMAP IDLE, so commands are acted
    // on within seconds, not at the next interval.
    let changed = AtomicBool::new(false);
    std::thread::scope(|scope| {
        if crate::source::idle::watched(config).is_some() {
            scope.spawn(|| crate::source::idle::watch(config, &stop, &changed));
        }
        let mut next_fetch = crate::clock::now();
        let mut retry = Retry::new();
        while !stop.load(Ordering::Relaxed) {
            let now = crate::clock::now();
            let due = deliver::is_due(store, config, now).unwrap_or_else(|e| {
                tracing::warn!("reading the digest state: {e:#}");
                false
            });
            let replies = changed.swap(false, Ordering::Relaxed);
            let work = now >= next_fetch || replies || (due && retry.ready(now));
            // The store is this round's only while it works: a command run
            // beside the daemon waits for the round, not for the daemon.
            let _lock = match work.then(|| store.lock_run(config.store.lock_timeout(), "daemon")) {
                Some(Err(e)) => {
                    tracing::warn!("{e:#}; this round waits for the next");
                    wait(&stop, &changed, RECHECK);
                    continue;
                }
                lock => lock,
            };
            if work {
                fetch(store, config);
                next_fetch = now.saturating_add(every).unwrap_or(now);
            }
            if due && retry.ready(now) {
                let now = crate::clock::now();
                let sent = deliver::deliver(store, config, &sink, now, false).and_then(|o| {
                    log(&o, config);
                    deliver::deliver_weekly(store, config, &sink, now)
                });
                match sent.map(|w| w.map(|o| log(&o, config))) {
                    Ok(_) => retry = Retry::new(),
                    Err(e) => {
                        let wait = retry.failed(crate::clock::now());
                        tracing::warn!("{e:#}; trying again in {}s", wait.as_secs());
                    }
                }
            }
            wait(&stop, &changed, RECHECK);
        }
    });
    tracing::info!("daemon stopped");
    Ok(ExitCode::SUCCESS)
}

/// One round of reading and acting on replies; errors are logged, not
/// fatal: the next interval tries again.
fn fetch(store: &mut Store, config: &Config) {
    let mut say = |line: String| tracing::info!("{}", crate::text::visible(&line));
    let round = crate::run::gather(store, config).and_then(|g| {
        g.report(store, &mut say);
        crate::run::act_on_replies(store, config, &mut say)
    });
    if let Err(e) = round {
        tracing::warn!("fetching: {e:#}");
    }
}

/// Say what a delivery did; "not due" is the daemon's normal state, not news.
fn log(outcome: &Outcome, config: &Config) {
    if !matches!(outcome, Outcome::NotDue { .. }) {
        tracing::info!("{}", outcome.describe(config));
    }
}

/// Wait `total`, or less when asked to stop or when the watched folder changed.
fn wait(stop: &AtomicBool, changed: &AtomicBool, total: SignedDuration) {
    let mut left = total.unsigned_abs();
    while !left.is_zero() && !stop.load(Ordering::Relaxed) && !changed.load(Ordering::Relaxed) {
        let step = left.min(TICK);
        std::thread::sleep(step);
        left = left.saturating_sub(step);
    }
}

/// When a failed send may be tried again.
struct Retry {
    at: Option<Timestamp>,
    pause: SignedDuration,
}

impl Retry {
    fn new() -> Retry {
        Retry {
            at: None,
            pause: FIRST_RETRY,
        }
    }

    fn ready(&self, now: Timestamp) -> bool {
        self.at.is_none_or(|at| now >= at)
    }

    fn failed(&mut self, now: Timestamp) -> SignedDuration {
        let wait = self.pause;
        self.at = now.saturating_add(wait).ok();
        self.pause = (self.pause * 2).min(MAX_RETRY);
        wait
    }
}
