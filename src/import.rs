//! Raw mail in, stored and judged messages out: the import pipeline shared by
//! local sources and IMAP.
//!
//! A reader (files, or an IMAP folder) hands raw messages over in order, and
//! says where a batch ends; two workers parse (`message.rs`) and judge
//! (`classify/`) them in parallel; the calling thread puts them back in
//! order and stores each batch in one transaction (`store.rs`), with the IMAP
//! checkpoint it covers. Channels are bounded, so memory stays flat however
//! much mail there is.

use std::collections::{BTreeMap, HashSet};
use std::path::PathBuf;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::classify::learned::Lessons;
use crate::classify::source::TagTally;
use crate::config::{Config, Owner};
use crate::message::{Archived, Message};
pub(crate) use crate::source::found::Found;
use crate::source::local::{self, Entry, Skipped};
use crate::store::{Checkpoint, Counts, Incoming, Location, Packer, SkippedPart, Store};

/// Messages per transaction.
const BATCH: usize = 1000;

/// What an import did, for the run summary: every file is in it, as mail
/// stored or known (`counts`), a problem, or skipped with its reason.
#[derive(Debug, Default)]
pub(crate) struct Summary {
    pub counts: Counts,
    /// Files or folders that could not be read at all (one line each).
    pub problems: Vec<String>,
    /// Files that are not mail, each with the reason.
    pub skipped: Vec<Skipped>,
}

impl Summary {
    /// Nothing was stored or found known, and something was there that could not be read.
    pub fn nothing_imported(&self) -> bool {
        self.counts.new + self.counts.known == 0
            && (!self.problems.is_empty() || !self.skipped.is_empty())
    }
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

/// Parse and judge one raw message of the owner's (a sent answer, a
/// command): by the rules alone, as the owner's corrections concern
/// readers' mail.
pub(crate) fn prepare(raw: Vec<u8>, location: Location, owner: &Owner) -> Incoming {
    let hash = crate::message::content_hash(&raw);
    prepare_hashed(
        raw,
        hash,
        location,
        owner,
        &Lessons::default(),
        &TagTally::default(),
    )
}

/// [`prepare`] for a caller that has hashed the bytes already, with the
/// owner's corrections.
fn prepare_hashed(
    raw: Vec<u8>,
    hash: String,
    location: Location,
    owner: &Owner,
    lessons: &Lessons,
    tags: &TagTally,
) -> Incoming {
    let msg = parse_found(&raw, Some(hash), std::iter::once(location.place.as_str()));
    let class = crate::classify::classify_in_import(&msg, owner, location.sent, lessons, tags);
    let columns = crate::store::ClassColumns::of(&class);
    Incoming {
        raw,
        codec: crate::store::Codec::Plain,
        msg,
        class,
        location,
        columns,
        seen: false,
        too_large: None,
        skipped: Vec::new(),
    }
}

/// Parse raw mail found at these places (its content hash, when known):
/// read from a list archive's volume file, it is an archive's post
/// whatever its From says (R-devel's archive writes plain addresses before
/// 2007).
pub(crate) fn parse_found<'a>(
    raw: &[u8],
    hash: Option<String>,
    mut places: impl Iterator<Item = &'a str>,
) -> Message {
    let mut msg = match hash {
        Some(hash) => crate::message::parse_hashed(raw, hash),
        None => crate::message::parse(raw),
    };
    if msg.archived.is_none() && places.any(local::is_archive_volume) {
        msg.archived = Some(Archived::VolumeFile);
    }
    msg
}

/// A message over the size limit: judged on its header, kept with its size.
fn prepare_too_large(header: Vec<u8>, size: u64, location: Location, owner: &Owner) -> Incoming {
    let mut inc = prepare(header, location, owner);
    inc.msg.parse_error = Some(format!(
        "{} larger than the size limit ([store] max_message_mb): only its header was read and kept",
        crate::text::bytes(size)
    ));
    inc.too_large = Some(size);
    inc
}

/// What a producer hands to the pipeline, in order.
pub(crate) enum Item {
    /// A raw message, its content hash, and where it was found.
    Mail(Vec<u8>, String, Location),
    /// A message whose bytes were handed over already in this run: its
    /// content hash and where it was found (nothing to parse or judge).
    Copy(String, Location),
    /// A message over the size limit: its header, its full size, and where it was found.
    TooLarge(Vec<u8>, u64, Location),
    /// A large message fetched without its attachments: its header and text
    /// parts, the parts left out, and where it was found.
    Partial(Vec<u8>, Vec<SkippedPart>, Location),
    /// Everything handed over since the last commit is stored in one
    /// transaction, with this IMAP checkpoint when there is one.
    Commit(Option<Mark>),
}

/// An IMAP folder's checkpoint, committed with the batch it covers.
pub(crate) struct Mark {
    pub account: String,
    pub folder: String,
    pub checkpoint: Checkpoint,
}

/// An [`Item`] after the workers: the message parsed and judged.
enum Done {
    /// The message, and how many bytes it was handed over as.
    Mail(Box<Incoming>, usize),
    Commit(Option<Mark>),
}

/// Raw bytes handed over and not yet stored, shared by the feeder and the
/// thread that stores: with large attachments, the chunks queued between
/// reader, workers and store could otherwise hold hundreds of MB.
#[derive(Default)]
struct InFlight {
    state: Mutex<(usize, bool)>,
    drained: Condvar,
}

impl InFlight {
    /// Bytes that may wait between the reader and the store. The batch being
    /// read is never waited on (it is stored only once it is complete), so
    /// this bounds what is queued behind it.
    const LIMIT: usize = 24 << 20;

    /// Wait while more than the limit waits and some of it belongs to
    /// batches already complete (`uncommitted` is the batch being read);
    /// then count `n` more bytes.
    fn add(&self, n: usize, uncommitted: usize) -> Result<()> {
        let mut s = self
            .state
            .lock()
            .map_err(|_| anyhow::anyhow!("the import stopped"))?;
        while s.0 > Self::LIMIT && s.0 > uncommitted && !s.1 {
            s = self
                .drained
                .wait(s)
                .map_err(|_| anyhow::anyhow!("the import stopped"))?;
        }
        if s.1 {
            anyhow::bail!("the import workers stopped");
        }
        s.0 += n;
        Ok(())
    }

    fn stored(&self, n: usize) {
        if let Ok(mut s) = self.state.lock() {
            s.0 = s.0.saturating_sub(n);
        }
        self.drained.notify_all();
    }

    /// Nothing more will be stored: a waiting feeder stops.
    fn close(&self) {
        if let Ok(mut s) = self.state.lock() {
            s.1 = true;
        }
        self.drained.notify_all();
    }
}

/// Hands items to the workers in order, a chunk at a time: one channel
/// message per chunk rather than per mail, because on a small machine waking
/// a thread costs about as much as judging a short message.
pub(crate) struct Feeder {
    tx: SyncSender<Vec<(usize, Item)>>,
    chunk: Vec<(usize, Item)>,
    bytes: usize,
    seq: usize,
    /// Commit by itself after this many messages (local files), or only when
    /// the producer says so (IMAP, whose batches carry checkpoints).
    every: Option<usize>,
    since_commit: usize,
    /// Bytes handed over since the last commit.
    uncommitted: usize,
    flight: Arc<InFlight>,
    /// The content hashes of the messages handed over, as `message::hash_key`s.
    handed: HashSet<u128>,
}

impl Feeder {
    /// Messages and bytes per chunk.
    const CHUNK: usize = 32;
    const CHUNK_BYTES: usize = 1 << 20;
    /// A feeder that commits by itself also commits after this many bytes.
    const BATCH_BYTES: usize = 16 << 20;

    /// A byte-identical copy of a message handed over before in this run
    /// (list archives hold many: 17,186 of R-devel's 77,381) goes as its hash
    /// only: the store adds its place to the first copy's row.
    pub fn send(&mut self, raw: Vec<u8>, location: Location) -> Result<()> {
        let hash = crate::message::content_hash(&raw);
        if !self.handed.insert(crate::message::hash_key(&hash)) {
            return self.item(Item::Copy(hash, location));
        }
        self.hand_over(raw.len())?;
        self.item(Item::Mail(raw, hash, location))
    }

    /// A message over the size limit, as its header and its full size.
    pub fn send_too_large(&mut self, header: Vec<u8>, size: u64, location: Location) -> Result<()> {
        self.hand_over(header.len())?;
        self.item(Item::TooLarge(header, size, location))
    }

    /// A message fetched without some of its parts: what was kept, and what was left out.
    pub fn send_partial(
        &mut self,
        raw: Vec<u8>,
        skipped: Vec<SkippedPart>,
        location: Location,
    ) -> Result<()> {
        self.hand_over(raw.len())?;
        self.item(Item::Partial(raw, skipped, location))
    }

    fn hand_over(&mut self, n: usize) -> Result<()> {
        self.flight.add(n, self.uncommitted)?;
        self.uncommitted += n;
        self.bytes += n;
        Ok(())
    }

    /// What [`Feeder::send`] hands over, in general.
    pub fn send_found(&mut self, found: Found, location: Location) -> Result<()> {
        match found {
            Found::Whole(raw) => self.send(raw, location),
            Found::TooLarge { header, size } => self.send_too_large(header, size, location),
        }
    }

    fn item(&mut self, item: Item) -> Result<()> {
        self.push(item)?;
        self.since_commit += 1;
        if self
            .every
            .is_some_and(|n| self.since_commit >= n || self.uncommitted >= Self::BATCH_BYTES)
        {
            self.commit(None)?;
        }
        Ok(())
    }

    /// Store everything sent since the last commit in one transaction, with
    /// `mark`'s checkpoint when given. The chunk goes to the workers at once,
    /// so a batch read in full is stored even if the reader fails next.
    pub fn commit(&mut self, mark: Option<Mark>) -> Result<()> {
        self.since_commit = 0;
        self.uncommitted = 0;
        self.push(Item::Commit(mark))?;
        self.flush()
    }

    fn push(&mut self, item: Item) -> Result<()> {
        self.chunk.push((self.seq, item));
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

/// Run `produce` (which hands items over in order) through parse + classify
/// workers, and store the results in order, a transaction per commit; what
/// is stored is added to `counts` as it is stored. Mail whose bytes are in
/// `known` is not parsed or judged again: only where it was found is new.
/// `every` makes the feeder commit by itself every so many messages.
pub(crate) fn pipeline(
    store: &mut Store,
    owner: &Owner,
    bar: &ProgressBar,
    (known, every): (&HashSet<u128>, Option<usize>),
    counts: &mut Counts,
    produce: impl FnOnce(&mut Feeder) -> Result<()> + Send,
) -> Result<()> {
    // What the owner taught applies to new mail as it does to stored mail.
    let lessons = Lessons::new(&store.corrections()?);
    let lessons = &lessons;
    let packer = store.packer();
    let packer = &*packer;
    let tags = &TagTally::default();
    let workers = std::thread::available_parallelism()
        .map_or(2, |n| n.get())
        .clamp(1, 4);
    let (raw_tx, raw_rx) = sync_channel::<Vec<(usize, Item)>>(8);
    // Only the workers hold the receiving end: when the store fails, the
    // workers stop, the receiver goes with the last of them, and a reader
    // blocked on a full channel gets an error instead of waiting forever.
    let raw_rx = std::sync::Arc::new(std::sync::Mutex::new(raw_rx));
    let flight = Arc::new(InFlight::default());
    std::thread::scope(|scope| {
        let (done_tx, done_rx) = sync_channel::<Vec<(usize, Done)>>(2 * BATCH / Feeder::CHUNK);
        let feeder_flight = Arc::clone(&flight);
        let producer = scope.spawn(move || {
            let mut feeder = Feeder {
                tx: raw_tx,
                chunk: Vec::with_capacity(Feeder::CHUNK),
                bytes: 0,
                seq: 0,
                every,
                since_commit: 0,
                uncommitted: 0,
                flight: feeder_flight,
                handed: HashSet::new(),
            };
            // What was handed over before a failure is stored all the same.
            let produced = produce(&mut feeder);
            feeder.flush().and(produced)
        });
        for _ in 0..workers {
            let done_tx = done_tx.clone();
            let raw_rx = std::sync::Arc::clone(&raw_rx);
            scope.spawn(move || {
                loop {
                    let next = match raw_rx.lock() {
                        Ok(rx) => rx.recv(),
                        Err(_) => return,
                    };
                    let Ok(chunk) = next else { return };
                    let judged = chunk
                        .into_iter()
                        .map(|(seq, item)| {
                            (seq, judge(item, (known, packer, tags), owner, lessons))
                        })
                        .collect();
                    if done_tx.send(judged).is_err() {
                        return;
                    }
                }
            });
        }
        drop(done_tx);
        drop(raw_rx);
        // On a store error this returns at once, dropping `done_rx`: the
        // workers' next send fails and they stop (see `raw_rx` above).
        let stored = store_in_order(store, done_rx, bar, counts, &flight);
        flight.close();
        let produced = producer
            .join()
            .map_err(|_| anyhow::anyhow!("the mail reader thread panicked"))?;
        stored?;
        produced
    })?;
    crate::usage::give_back();
    tracing::debug!(
        "after the import: resident memory {}",
        crate::usage::resident_memory()
    );
    Ok(())
}

/// A worker's part: parse and judge a message, unless its bytes are known.
fn judge(
    item: Item,
    (known, packer, tags): (&HashSet<u128>, &Packer, &TagTally),
    owner: &Owner,
    lessons: &Lessons,
) -> Done {
    match item {
        Item::Copy(hash, location) => Done::Mail(Box::new(Incoming::seen(hash, location)), 0),
        Item::Mail(raw, hash, location) => {
            let n = raw.len();
            let mut inc = if known.contains(&crate::message::hash_key(&hash)) {
                Incoming::seen(hash, location)
            } else {
                prepare_hashed(raw, hash, location, owner, lessons, tags)
            };
            inc.slim(packer);
            Done::Mail(Box::new(inc), n)
        }
        Item::Partial(raw, skipped, location) => {
            // Never known by its bytes: what was kept hashes differently
            // from the whole message, which a local import may have stored.
            let n = raw.len();
            let hash = crate::message::content_hash(&raw);
            let mut inc = prepare_hashed(raw, hash, location, owner, lessons, tags);
            inc.skipped = skipped;
            inc.slim(packer);
            Done::Mail(Box::new(inc), n)
        }
        Item::TooLarge(header, size, location) => {
            let n = header.len();
            let mut inc = prepare_too_large(header, size, location, owner);
            inc.slim(packer);
            Done::Mail(Box::new(inc), n)
        }
        Item::Commit(mark) => Done::Commit(mark),
    }
}

fn store_in_order(
    store: &mut Store,
    rx: Receiver<Vec<(usize, Done)>>,
    bar: &ProgressBar,
    counts: &mut Counts,
    flight: &InFlight,
) -> Result<()> {
    let stored = store_grouped(store, rx, bar, counts, flight);
    // Whatever happened, no transaction stays open; what failed is not kept.
    let ended = store.end_group(stored.is_ok());
    stored.and(ended)
}

/// Batches are committed together, in transactions of this many messages
/// or this long at most: a run cut short loses at most that much work,
/// which the next run redoes (an IMAP checkpoint commits with its batch).
/// Measured on R-help's 172,000 messages (local import, one run each on a
/// shared machine): a commit per batch of 1000 wrote 3.2 GB for a 446 MB
/// store and took 17.3 s storing; groups of 5000, 1.8 GB and 11.5 s; of
/// 20,000, 1.4 GB and 11.0 s; one group of 10 s or more, 1.2 GB and 7.9 s.
/// A larger page cache changed nothing (its dirty pages spill to the WAL
/// either way) and cost its size in memory.
const GROUP: usize = 50_000;
const GROUP_TIME: Duration = Duration::from_secs(10);

fn store_grouped(
    store: &mut Store,
    rx: Receiver<Vec<(usize, Done)>>,
    bar: &ProgressBar,
    counts: &mut Counts,
    flight: &InFlight,
) -> Result<()> {
    // Counted once committed: a group rolled back stored nothing.
    let mut group = Counts::default();
    let mut grouped = 0usize;
    let mut opened = Instant::now();
    let mut pending: BTreeMap<usize, Done> = BTreeMap::new();
    let mut next = 0usize;
    let mut batch = Vec::with_capacity(BATCH);
    // Bytes the messages in `batch` were handed over as.
    let mut fed = 0;
    let (mut waiting, mut storing) = (Duration::ZERO, Duration::ZERO);
    let mut t = Instant::now();
    for judged in rx {
        waiting += t.elapsed();
        t = Instant::now();
        pending.extend(judged);
        while let Some(done) = pending.remove(&next) {
            next += 1;
            match done {
                Done::Mail(inc, n) => {
                    batch.push(*inc);
                    fed += n;
                }
                Done::Commit(None) if batch.is_empty() => {}
                Done::Commit(mark) => {
                    let checkpoint = mark
                        .as_ref()
                        .map(|m| (m.account.as_str(), m.folder.as_str(), m.checkpoint));
                    if grouped == 0 {
                        store
                            .begin_group()
                            .with_context(|| format!("storing {} message(s)", batch.len()))?;
                        opened = Instant::now();
                    }
                    group += store
                        .save_batch(&batch, checkpoint)
                        .with_context(|| format!("storing {} message(s)", batch.len()))?;
                    grouped += batch.len().max(1);
                    if grouped >= GROUP || opened.elapsed() >= GROUP_TIME {
                        store.end_group(true).context("storing messages")?;
                        *counts += std::mem::take(&mut group);
                        grouped = 0;
                    }
                    bar.inc(batch.len() as u64);
                    batch.clear();
                    // Large messages leave freed memory in the workers'
                    // arenas, which would otherwise grow batch by batch
                    // (a batch of small mail leaves little: not worth the walk).
                    if fed >= 4 << 20 {
                        crate::usage::give_back();
                    }
                    flight.stored(std::mem::take(&mut fed));
                }
            }
        }
        storing += t.elapsed();
        t = Instant::now();
    }
    // The channel is closed, so every item has arrived and is in order:
    // what is left came after the producer's last commit.
    if !batch.is_empty() {
        group += store
            .save_batch(&batch, None)
            .with_context(|| format!("storing {} message(s)", batch.len()))?;
        bar.inc(batch.len() as u64);
    }
    store.end_group(true).context("storing messages")?;
    *counts += group;
    tracing::debug!(
        "waited {waiting:.2?} for judged mail, stored in {storing:.2?}; peak memory so far {}",
        crate::usage::peak_memory()
    );
    Ok(())
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
        match local::entries(path, *sent, &mut summary.problems, &mut summary.skipped) {
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
    let known = store.content_hashes()?;
    let mut counts = Counts::default();
    let batches = (&known, Some(BATCH));
    let max = config.store.max_message_bytes();
    // In pieces, each freed once read: a list archive's Maildir names
    // 172,000 files (14 MB of paths, 7 MB of list), which would otherwise
    // stay whole until the last is read.
    let pieces: Vec<Vec<Entry>> = {
        // The whole list's buffer goes with this iterator, before the import.
        let mut entries = entries.into_iter();
        std::iter::from_fn(|| {
            let piece: Vec<Entry> = entries.by_ref().take(4096).collect();
            (!piece.is_empty()).then_some(piece)
        })
        .collect()
    };
    pipeline(store, &config.owner, &bar, batches, &mut counts, |feeder| {
        let mut send = |found: Found, loc: Location| feeder.send_found(found, loc);
        for entry in pieces.into_iter().flatten() {
            match entry {
                Entry::Message {
                    path,
                    place,
                    sent,
                    packed,
                } => match local::read_message(&path, packed, max) {
                    Ok(found) => send(
                        found,
                        Location {
                            place: place.to_string(),
                            uid: 0,
                            sent,
                        },
                    )?,
                    Err(e) => read_problems.push(format!("{e:#}")),
                },
                Entry::Mbox { path, sent, packed } => {
                    if let Err(e) = local::read_mbox(&path, (sent, packed), max, &mut send) {
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

#[cfg(test)]
mod tests {
    use super::InFlight;
    use std::sync::Arc;
    use std::sync::mpsc::channel;
    use std::time::Duration;

    #[test]
    fn the_reader_waits_for_complete_batches_to_be_stored_never_for_its_own() {
        let flight = Arc::new(InFlight::default());
        // A complete batch over the limit is queued.
        flight.add(InFlight::LIMIT + 1, 0).unwrap();
        // The batch being read goes on whatever is queued.
        flight.add(5, InFlight::LIMIT + 1).unwrap();
        let (done_tx, done_rx) = channel();
        let f = Arc::clone(&flight);
        let reader = std::thread::spawn(move || {
            // A new batch waits for the queued one.
            let r = f.add(1, 0);
            done_tx.send(()).unwrap();
            r
        });
        assert!(done_rx.recv_timeout(Duration::from_millis(200)).is_err());
        flight.stored(InFlight::LIMIT + 1);
        done_rx.recv_timeout(Duration::from_secs(10)).unwrap();
        reader.join().unwrap().unwrap();

        // When the store stops, a waiting reader stops too, with an error.
        flight.add(InFlight::LIMIT, 0).unwrap();
        let f = Arc::clone(&flight);
        let reader = std::thread::spawn(move || f.add(1, 0));
        std::thread::sleep(Duration::from_millis(50));
        flight.close();
        assert!(reader.join().unwrap().is_err());
    }
}
