//! Raw mail in, stored and judged messages out: the import pipeline shared by
//! local sources and IMAP.
//!
//! A reader hands raw messages in order; two workers parse (`message.rs`) and
//! judge (`classify/`) them in parallel; the calling thread puts them back in
//! order and stores them in batches, one transaction each (`store.rs`).
//! Channels are bounded, so memory stays flat however much mail there is.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};

use anyhow::Result;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::config::{Config, Owner};
use crate::source::local::{self, Entry};
use crate::store::{Counts, Incoming, Location, Store};

/// Messages per transaction.
const BATCH: usize = 1000;

/// What an import did, for the run summary.
#[derive(Debug, Default)]
pub(crate) struct Summary {
    pub counts: Counts,
    /// Files or folders that could not be read at all (one line each).
    pub problems: Vec<String>,
}

pub(crate) fn progress_bar(len: Option<u64>, what: &str) -> ProgressBar {
    let bar = match len {
        Some(n) => ProgressBar::new(n),
        None => ProgressBar::new_spinner(),
    };
    if !std::io::IsTerminal::is_terminal(&std::io::stderr()) {
        bar.set_draw_target(ProgressDrawTarget::hidden());
    }
    let template = if len.is_some() {
        "{msg} [{bar:30}] {pos}/{len} ({per_sec}, {eta})"
    } else {
        "{msg} {spinner} {pos} ({per_sec})"
    };
    if let Ok(style) = ProgressStyle::with_template(template) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_message(what.to_string());
    bar
}

/// Parse and judge one raw message.
pub(crate) fn prepare(raw: Vec<u8>, location: Location, owner: &Owner) -> Incoming {
    let hash = crate::message::content_hash(&raw);
    prepare_hashed(raw, hash, location, owner)
}

/// [`prepare`] for a caller that has hashed the bytes already.
fn prepare_hashed(raw: Vec<u8>, hash: String, location: Location, owner: &Owner) -> Incoming {
    let msg = crate::message::parse_hashed(&raw, hash);
    let class = crate::classify::classify(&msg, owner, location.sent);
    let columns = crate::store::ClassColumns::of(&class);
    Incoming {
        raw,
        msg,
        class,
        location,
        columns,
        seen: false,
    }
}

/// One raw message on its way to a worker: its place in the order, its bytes
/// and where it was found.
type Raw = (usize, Vec<u8>, Location);

/// Hands raw messages to the workers in order, a chunk at a time: one
/// channel message per chunk rather than per mail, because on a small
/// machine waking a thread costs about as much as judging a short message.
pub(crate) struct Feeder {
    tx: SyncSender<Vec<Raw>>,
    chunk: Vec<Raw>,
    bytes: usize,
    seq: usize,
}

impl Feeder {
    /// Messages and bytes per chunk.
    const CHUNK: usize = 32;
    const CHUNK_BYTES: usize = 1 << 20;

    pub fn send(&mut self, raw: Vec<u8>, location: Location) -> Result<()> {
        self.bytes += raw.len();
        self.chunk.push((self.seq, raw, location));
        self.seq += 1;
        if self.chunk.len() >= Self::CHUNK || self.bytes >= Self::CHUNK_BYTES {
            self.flush()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<()> {
        if self.chunk.is_empty() {
            return Ok(());
        }
        self.bytes = 0;
        let chunk = std::mem::replace(&mut self.chunk, Vec::with_capacity(Self::CHUNK));
        self.tx
            .send(chunk)
            .map_err(|_| anyhow::anyhow!("the import workers stopped"))
    }
}

/// Run `produce` (which hands raw messages over in order) through parse +
/// classify workers and store the results in ordered batches.
pub(crate) fn pipeline(
    store: &mut Store,
    owner: &Owner,
    bar: &ProgressBar,
    produce: impl FnOnce(&mut Feeder) -> Result<()> + Send,
) -> Result<Counts> {
    let workers = std::thread::available_parallelism()
        .map_or(2, |n| n.get())
        .clamp(1, 4);
    let (raw_tx, raw_rx) = sync_channel::<Vec<Raw>>(8);
    let raw_rx = std::sync::Mutex::new(raw_rx);
    // Mail read before (the same Maildir on every run) is recognised by its
    // bytes and not parsed or judged again: only where it was found is new.
    let known = store.content_hashes()?;
    let known = &known;
    std::thread::scope(|scope| {
        let (done_tx, done_rx) = sync_channel::<Vec<(usize, Incoming)>>(2 * BATCH / Feeder::CHUNK);
        let producer = scope.spawn(move || {
            let mut feeder = Feeder {
                tx: raw_tx,
                chunk: Vec::with_capacity(Feeder::CHUNK),
                bytes: 0,
                seq: 0,
            };
            produce(&mut feeder)?;
            feeder.flush()
        });
        let raw_rx = &raw_rx;
        for _ in 0..workers {
            let done_tx = done_tx.clone();
            scope.spawn(move || {
                loop {
                    let next = match raw_rx.lock() {
                        Ok(rx) => rx.recv(),
                        Err(_) => return,
                    };
                    let Ok(chunk) = next else { return };
                    let judged = chunk
                        .into_iter()
                        .map(|(seq, raw, loc)| {
                            let hash = crate::message::content_hash(&raw);
                            let inc = if known.contains(&hash) {
                                Incoming::seen(hash, loc)
                            } else {
                                prepare_hashed(raw, hash, loc, owner)
                            };
                            (seq, inc)
                        })
                        .collect();
                    if done_tx.send(judged).is_err() {
                        return;
                    }
                }
            });
        }
        drop(done_tx);
        let counts = store_in_order(store, done_rx, bar);
        let produced = producer
            .join()
            .map_err(|_| anyhow::anyhow!("the mail reader thread panicked"))?;
        let counts = counts?;
        produced?;
        Ok(counts)
    })
}

fn store_in_order(
    store: &mut Store,
    rx: Receiver<Vec<(usize, Incoming)>>,
    bar: &ProgressBar,
) -> Result<Counts> {
    let mut pending: BTreeMap<usize, Incoming> = BTreeMap::new();
    let mut next = 0usize;
    let mut batch = Vec::with_capacity(BATCH);
    let mut counts = Counts::default();
    for judged in rx {
        pending.extend(judged);
        while let Some(inc) = pending.remove(&next) {
            batch.push(inc);
            next += 1;
            if batch.len() >= BATCH {
                let t = std::time::Instant::now();
                counts += store.save_batch(&batch, None)?;
                tracing::debug!("batch stored in {:?}", t.elapsed());
                bar.inc(batch.len() as u64);
                batch.clear();
            }
        }
    }
    // Whatever is left is in order already (the producer finished).
    batch.extend(pending.into_values());
    if !batch.is_empty() {
        counts += store.save_batch(&batch, None)?;
        bar.inc(batch.len() as u64);
    }
    Ok(counts)
}

/// `allears import PATH...` and the local half of `allears run`.
pub(crate) fn import_paths(
    store: &mut Store,
    config: &Config,
    paths: &[(PathBuf, bool)],
) -> Result<Summary> {
    let mut summary = Summary::default();
    let mut entries = Vec::new();
    for (path, sent) in paths {
        match local::entries(path, *sent, &mut summary.problems) {
            Ok(e) => entries.extend(e),
            Err(e) => summary.problems.push(format!("{e:#}")),
        }
    }
    tracing::debug!("found {} file(s) and mbox(es) to read", entries.len());
    let files = entries
        .iter()
        .filter(|e| matches!(e, Entry::Message { .. }))
        .count();
    let has_mbox = entries.iter().any(|e| matches!(e, Entry::Mbox { .. }));
    let bar = progress_bar((!has_mbox).then_some(files as u64), "importing");
    let mut read_problems = Vec::new();
    let counts = pipeline(store, &config.owner, &bar, |feeder| {
        let mut send = |raw: Vec<u8>, loc: Location| feeder.send(raw, loc);
        for entry in &entries {
            match entry {
                Entry::Message { path, place, sent } => match local::read_message(path) {
                    Ok(raw) => send(
                        raw,
                        Location {
                            place: place.clone(),
                            uid: 0,
                            sent: *sent,
                        },
                    )?,
                    Err(e) => read_problems.push(format!("{e:#}")),
                },
                Entry::Mbox { path, sent } => {
                    if let Err(e) = local::read_mbox(path, *sent, &mut send) {
                        read_problems.push(format!("{e:#}"));
                    }
                }
            }
        }
        Ok(())
    })?;
    bar.finish_and_clear();
    summary.problems.extend(read_problems);
    summary.counts = counts;
    Ok(summary)
}
