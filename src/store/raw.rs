//! Raw mail as the store keeps it: one zstd frame per message, so reading
//! one message never reads another; the `codec` column says how a row's
//! bytes are kept, so rows an older allears wrote stay readable as they are.
//!
//! Since version 7 the frames are made with a dictionary trained on the
//! store's own mail (`dictionaries`; zstd writes the dictionary's id in each
//! frame). Measured with the zstd tool on 3,000 R-help messages: one frame
//! each at level 1, 1.92x; level 3, 1.94x; with a 110 KB dictionary trained
//! on 2,000 other messages of the same months, 2.36x at level 1 and 2.64x at
//! level 3; trained on mail 18 years older, 2.41x at level 3 (against
//! 2.03x without). Mail drifts, so a new dictionary is trained every
//! [`RETRAIN_EVERY`] messages, from the newest; each frame keeps the one it
//! was made with. Frames of 16 messages would do better still (2.8x without
//! a dictionary) but make a message's row depend on its neighbours'.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use anyhow::{Context, Result};
use rusqlite::{Connection, OptionalExtension, params};
use zstd::dict::{DecoderDictionary, EncoderDictionary};

/// How a row of `raw` holds its message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Codec {
    /// The bytes as they came (stores before version 4).
    Plain = 0,
    /// One zstd frame.
    Zstd = 1,
    /// One zstd frame made with a dictionary of `dictionaries` (version 7).
    ZstdDict = 2,
}

/// zstd's level without a dictionary: on R-help messages one at a time it
/// keeps 99% of level 3's gain (1.92x against 1.94x) for less time.
const LEVEL: i32 = 1;
/// With a dictionary, level 3 gains a tenth over level 1 (2.64x against
/// 2.36x). Level 4 would keep R-help 1.5% smaller and level 6 6% smaller,
/// but an import of R-help took 0.5-2.5 s longer with level 4 (of 13 s).
const DICT_LEVEL: i32 = 3;
/// A message larger than this (most of it an attachment, as a rule) is
/// compressed at [`LEVEL`] without the dictionary, which helps small
/// messages only: zstd's level 3 with a dictionary goes through a slower
/// path on large input. usrp-users (495 MB, a thousand messages over this
/// size hold 346 MB), one run each: import 3.83 s against 4.07-4.12 s, the
/// store 288.9 MB against 284.8 MB (level 3 without the dictionary: 3.99 s,
/// 284.9 MB).
const WITHOUT_DICT_ABOVE: usize = 64 * 1024;
/// The store's first dictionary is trained once it holds this many messages
/// (those before it are compressed again with it).
pub(super) const FIRST_AFTER: usize = 2_000;
/// A new dictionary is trained after this many messages made with the last
/// (R-help, 169,000 messages: four trainings, each about half a second on
/// the thread that stores; every 20,000 kept it 0.6% smaller for a second).
const RETRAIN_EVERY: usize = 40_000;
/// Trained on the newest this many messages...
const SAMPLES: i64 = 2_000;
/// ... each cut to its first this many bytes...
const SAMPLE_BYTES: usize = 8 * 1024;
/// ... into a dictionary of this size. On 8,000 R-help messages, against
/// zstd's default of 110 KB trained on 1,000: 256 KB trained on 2,000 keeps
/// the mail 6% smaller (level 3: 5.78 -> 5.47 MB; level 4: 5.41 MB).
const DICT_BYTES: usize = 256 * 1024;
/// The segment size of zstd's fastCover training. zstd's own search (d = 8,
/// four values of k from 50 to 2,000, each dictionary tried on a quarter of
/// the samples) took four times as long for no better result: trained on
/// 2,000 heads and tried on the next 3,000 messages under 64 KB, k = 1,000
/// made usrp-users' 10.45 MB (search: 10.42 MB, 558 ms against 146 ms) and
/// R-help's 2.023 MB (search: 2.037 MB, 191 ms against 46 ms).
const SEGMENT: u32 = 1_000;
/// When the first dictionary is trained, the messages stored before it are
/// compressed again with it if they are kept in at most this many bytes:
/// a dictionary helps small messages, and a large one (an attachment) would
/// cost the thread that stores most of the time for little (usrp-users: the
/// first 2,000 messages, 88 MB, took 0.71 s again; those under this, 0.27 s,
/// and the store was 0.5 MB larger).
const REPACK_BELOW: i64 = 16 * 1024;

/// A dictionary ready to compress with.
struct Dictionary {
    id: u32,
    prepared: EncoderDictionary<'static>,
}

/// How new mail is compressed: with the store's newest dictionary once it
/// has one. Shared with the import's workers, which compress what they
/// judged, so that the one thread that writes only writes.
#[derive(Default)]
pub(crate) struct Packer {
    newest: RwLock<Option<Arc<Dictionary>>>,
}

thread_local! {
    /// One compression context per thread, reused: making zstd's context
    /// anew for each message of a few KiB cost as much as compressing it.
    /// Beside it, the room zstd writes into: the frame is then copied out
    /// at its own size (a buffer of zstd's bound, 2.5 times a message's
    /// frame, would be kept by every message waiting to be stored).
    static CONTEXT: std::cell::RefCell<(Option<zstd::zstd_safe::CCtx<'static>>, Vec<u8>)> =
        const { std::cell::RefCell::new((None, Vec::new())) };
}

/// A message whose bound is larger than this is compressed into its own
/// buffer, shrunk after, rather than into the thread's reused one, which
/// would then keep that size.
const SCRATCH_BYTES: usize = 256 * 1024;

impl Packer {
    /// The bytes to keep for `raw`, and how they are kept.
    pub fn pack(&self, raw: &[u8]) -> (Vec<u8>, Codec) {
        let dict = self.newest.read().ok().and_then(|d| d.clone());
        let packed = CONTEXT.with(|c| {
            let (cctx, scratch) = &mut *c.borrow_mut();
            if cctx.is_none() {
                *cctx = zstd::zstd_safe::CCtx::try_create();
            }
            let cctx = cctx.as_mut()?;
            let mut compress = |out: &mut Vec<u8>| match &dict {
                Some(d) if raw.len() <= WITHOUT_DICT_ABOVE => cctx
                    .compress_using_cdict(out, raw, d.prepared.as_cdict())
                    .ok()
                    .map(|_| Codec::ZstdDict),
                _ => cctx.compress(out, raw, LEVEL).ok().map(|_| Codec::Zstd),
            };
            let bound = zstd::zstd_safe::compress_bound(raw.len());
            if bound <= SCRATCH_BYTES {
                scratch.clear();
                scratch.reserve_exact(bound);
                let codec = compress(scratch)?;
                Some((scratch.to_vec(), codec))
            } else {
                let mut own = Vec::with_capacity(bound);
                let codec = compress(&mut own)?;
                own.shrink_to_fit();
                Some((own, codec))
            }
        });
        // zstd fails only on allocation; keep the message whole rather than lose it.
        packed.unwrap_or_else(|| (raw.to_vec(), Codec::Plain))
    }

    /// Compress with this dictionary from now on.
    fn adopt(&self, id: u32, bytes: &[u8]) {
        let d = Dictionary {
            id,
            prepared: EncoderDictionary::copy(bytes, DICT_LEVEL),
        };
        if let Ok(mut newest) = self.newest.write() {
            *newest = Some(Arc::new(d));
        }
    }

    fn newest_id(&self) -> Option<u32> {
        self.newest.read().ok()?.as_ref().map(|d| d.id)
    }
}

/// The store's side of compression: the packer it shares, the
/// dictionaries it has read, and how many messages were stored since its
/// newest dictionary was trained (counted from the store when first needed).
#[derive(Default)]
pub(crate) struct Raw {
    pub packer: Arc<Packer>,
    readers: std::cell::RefCell<HashMap<u32, Arc<DecoderDictionary<'static>>>>,
    /// One decompression context, reused (making one costs as much as a
    /// small message's decompression).
    dctx: std::cell::RefCell<Option<zstd::zstd_safe::DCtx<'static>>>,
    since_newest: Option<usize>,
}

impl Raw {
    /// Load the newest dictionary for new mail (when the store is opened).
    pub fn open(conn: &Connection) -> Result<Raw> {
        let raw = Raw::default();
        let newest: Option<(i64, Vec<u8>)> = conn
            .query_row(
                "SELECT id, bytes FROM dictionaries ORDER BY made_at DESC, rowid DESC LIMIT 1",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        if let Some((id, bytes)) = newest {
            raw.packer.adopt(u32::try_from(id)?, &bytes);
        }
        Ok(raw)
    }

    /// The message from a row's bytes and codec.
    pub fn unpack(&self, conn: &Connection, bytes: Vec<u8>, codec: i64) -> Result<Vec<u8>> {
        use zstd::zstd_safe;
        let size = || -> Result<usize> {
            let size = zstd_safe::get_frame_content_size(&bytes)
                .ok()
                .flatten()
                .context("a stored message's zstd frame does not say its size")?;
            Ok(usize::try_from(size)?)
        };
        match codec {
            0 => Ok(bytes),
            1 | 2 => {
                let dict = match codec {
                    2 => Some(self.reader(conn, frame_dictionary(&bytes)?)?),
                    _ => None,
                };
                let mut out = Vec::with_capacity(size()?);
                let mut dctx = self.dctx.borrow_mut();
                let dctx = dctx.get_or_insert_with(zstd_safe::DCtx::create);
                match &dict {
                    Some(d) => dctx.decompress_using_ddict(&mut out, &bytes, d.as_ddict()),
                    None => dctx.decompress(&mut out, &bytes),
                }
                .map_err(|e| anyhow::anyhow!("{}", zstd_safe::get_error_name(e)))
                .context("a stored message's zstd frame does not decompress")?;
                Ok(out)
            }
            other => anyhow::bail!(
                "a stored message's bytes are kept in codec {other}, unknown to this allears"
            ),
        }
    }

    /// Append the first `n` bytes of a row's message to `out`, decompressing
    /// no more than that; how many were appended.
    fn head(
        &self,
        conn: &Connection,
        bytes: &[u8],
        codec: i64,
        n: usize,
        out: &mut Vec<u8>,
    ) -> Result<usize> {
        use std::io::Read;
        use zstd::stream::read::Decoder;
        let before = out.len();
        let read = match codec {
            0 => {
                out.extend_from_slice(&bytes[..bytes.len().min(n)]);
                Ok(0)
            }
            1 => Decoder::with_buffer(bytes).and_then(|d| d.take(n as u64).read_to_end(out)),
            2 => {
                let dict = self.reader(conn, frame_dictionary(bytes)?)?;
                Decoder::with_prepared_dictionary(bytes, &dict)
                    .and_then(|d| d.take(n as u64).read_to_end(out))
            }
            other => anyhow::bail!(
                "a stored message's bytes are kept in codec {other}, unknown to this allears"
            ),
        };
        read.context("a stored message's zstd frame does not decompress")?;
        Ok(out.len() - before)
    }

    fn reader(&self, conn: &Connection, id: u32) -> Result<Arc<DecoderDictionary<'static>>> {
        if let Some(d) = self.readers.borrow().get(&id) {
            return Ok(Arc::clone(d));
        }
        let bytes: Vec<u8> = conn
            .query_row("SELECT bytes FROM dictionaries WHERE id = ?1", [id], |r| r.get(0))
            .optional()?
            .with_context(|| {
                format!("a stored message was compressed with dictionary {id}, which the store does not have")
            })?;
        let d = Arc::new(DecoderDictionary::copy(&bytes));
        self.readers.borrow_mut().insert(id, Arc::clone(&d));
        Ok(d)
    }

    /// The bytes to keep for a message packed as `codec`, when they should
    /// be packed anew: kept as they came (the owner's mail, packed by no
    /// worker), or without the dictionary the store has now (packed while
    /// the first one was trained), if small enough for it to help
    /// ([`REPACK_BELOW`]).
    pub fn repack(
        &self,
        conn: &Connection,
        bytes: &[u8],
        codec: Codec,
    ) -> Result<Option<(Vec<u8>, Codec)>> {
        Ok(match codec {
            Codec::Plain => Some(self.packer.pack(bytes)),
            Codec::Zstd
                if self.packer.newest_id().is_some() && bytes.len() as i64 <= REPACK_BELOW =>
            {
                let whole = self.unpack(conn, bytes.to_vec(), codec as i64)?;
                Some(self.packer.pack(&whole))
            }
            _ => None,
        })
    }

    /// After `stored` new messages were written (in the caller's
    /// transaction): train the store's first dictionary once it holds
    /// enough mail, and a new one every [`RETRAIN_EVERY`] messages.
    pub fn stored(&mut self, conn: &Connection, stored: usize) -> Result<()> {
        if stored == 0 {
            return Ok(());
        }
        let since = match self.since_newest {
            Some(n) => n + stored,
            None => conn.query_row(
                "SELECT count(*) FROM raw WHERE message > coalesce((SELECT max(last_message) FROM dictionaries), 0)",
                [],
                |r| r.get::<_, i64>(0),
            )? as usize,
        };
        self.since_newest = Some(since);
        let first = self.packer.newest_id().is_none();
        if since < if first { FIRST_AFTER } else { RETRAIN_EVERY } {
            return Ok(());
        }
        let trained = self.train(conn)?;
        self.since_newest = Some(0);
        if trained && first {
            // The few messages before the first dictionary are made with it too.
            self.repack_rows(conn, Codec::Zstd, REPACK_BELOW)?;
        }
        Ok(())
    }

    /// Train a dictionary on the newest messages and compress new mail with
    /// it. False when zstd could not make one (too little mail, or mail too
    /// alike): mail is then kept as before.
    fn train(&mut self, conn: &Connection) -> Result<bool> {
        let mut stmt =
            conn.prepare("SELECT message, bytes, codec FROM raw ORDER BY message DESC LIMIT ?1")?;
        let mut rows = stmt.query([SAMPLES])?;
        // The samples end to end, as zstd takes them, and their sizes.
        let (mut samples, mut sizes, mut last) = (Vec::new(), Vec::new(), None);
        while let Some(r) = rows.next()? {
            last = last.or(Some(r.get::<_, i64>(0)?));
            // The head of a message (its header, the start of its text) is
            // what mail shares; a large attachment would only cost memory
            // and time (usrp-users' newest 2,000 messages are 88 MB whole).
            let bytes: Vec<u8> = r.get(1)?;
            sizes.push(self.head(conn, &bytes, r.get(2)?, SAMPLE_BYTES, &mut samples)?);
        }
        let Some(last) = last else {
            return Ok(false);
        };
        let Some(dict) = train_fast_cover(&samples, &sizes) else {
            tracing::debug!("no dictionary could be trained on {} messages", sizes.len());
            return Ok(false);
        };
        let Some(id) = zstd::zstd_safe::get_dict_id_from_dict(&dict) else {
            return Ok(false);
        };
        conn.execute(
            "INSERT OR REPLACE INTO dictionaries (id, bytes, made_at, last_message) VALUES (?1, ?2, ?3, ?4)",
            params![id.get(), dict, super::now(), last],
        )?;
        self.packer.adopt(id.get(), &dict);
        tracing::debug!("trained dictionary {id} on {} messages", sizes.len());
        Ok(true)
    }

    /// Every row kept as `from` is compressed again with the newest
    /// dictionary, a few hundred at a time, and checked before its row is
    /// replaced. Nothing is lost: a row that would not come back whole stays
    /// as it was.
    /// Only rows of at most `max_bytes` are taken.
    fn repack_rows(&self, conn: &Connection, from: Codec, max_bytes: i64) -> Result<()> {
        let mut last = i64::MIN;
        let mut read = conn.prepare(
            "SELECT message, bytes FROM raw WHERE codec = ?1 AND message > ?2 AND length(bytes) <= ?3 ORDER BY message LIMIT 256",
        )?;
        let mut write = conn.prepare("UPDATE raw SET bytes = ?2, codec = ?3 WHERE message = ?1")?;
        loop {
            let rows: Vec<(i64, Vec<u8>)> = read
                .query_map(params![from as i64, last, max_bytes], |r| {
                    Ok((r.get(0)?, r.get(1)?))
                })?
                .collect::<rusqlite::Result<_>>()?;
            let Some(&(end, _)) = rows.last() else {
                return Ok(());
            };
            for (id, bytes) in rows {
                let bytes = self.unpack(conn, bytes, from as i64)?;
                let (packed, codec) = self.packer.pack(&bytes);
                if codec != from && self.unpack(conn, packed.clone(), codec as i64)? == bytes {
                    write.execute(params![id, packed, codec as i64])?;
                }
            }
            last = end;
        }
    }
}

/// Migration to version 4, in its transaction: every message kept as it
/// came is compressed, and checked before its row is replaced.
pub(super) fn compress_plain_rows(conn: &Connection) -> Result<()> {
    Raw::default().repack_rows(conn, Codec::Plain, i64::MAX)
}

/// Migration to version 7, in its transaction: a store with enough mail
/// gets its first dictionary, and every message is compressed again with it.
pub(super) fn compress_with_dictionary(conn: &Connection) -> Result<()> {
    let count: i64 = conn.query_row("SELECT count(*) FROM raw", [], |r| r.get(0))?;
    if (count as usize) < FIRST_AFTER {
        return Ok(());
    }
    let mut raw = Raw::default();
    if raw.train(conn)? {
        raw.repack_rows(conn, Codec::Plain, i64::MAX)?;
        raw.repack_rows(conn, Codec::Zstd, i64::MAX)?;
    }
    Ok(())
}

/// The id of the dictionary a zstd frame was made with.
fn frame_dictionary(frame: &[u8]) -> Result<u32> {
    Ok(zstd::zstd_safe::get_dict_id_from_frame(frame)
        .context("a stored message's zstd frame does not name its dictionary")?
        .get())
}

/// A dictionary of at most [`DICT_BYTES`] trained by zstd's fastCover on
/// `samples` laid end to end (`sizes` says where each ends), with fixed
/// parameters ([`SEGMENT`], d = 8, f = 18); None when zstd cannot make one.
fn train_fast_cover(samples: &[u8], sizes: &[usize]) -> Option<Vec<u8>> {
    use zstd_sys::{ZDICT_fastCover_params_t, ZDICT_isError, ZDICT_trainFromBuffer_fastCover};
    if sizes.iter().sum::<usize>() != samples.len() {
        return None;
    }
    let count = u32::try_from(sizes.len()).ok()?;
    // Zero is zstd's default for every parameter not set here.
    // SAFETY: a plain C struct of integers and a double, for which all zeros is valid.
    let mut params: ZDICT_fastCover_params_t = unsafe { std::mem::zeroed() };
    params.k = SEGMENT;
    params.d = 8;
    // Tables of 2^18 entries, not zstd's 2^20: with 3-6 MB of samples, the
    // larger tables needed 5-8 MB more, briefly, while judging was still
    // under way (R-help's import peaked there, at 147 MB; 142 MB with
    // these), for a store 0.25% larger (226.9 MB against 226.3 MB).
    params.f = 18;
    params.splitPoint = 1.0;
    params.zParams.compressionLevel = DICT_LEVEL;
    let mut dict = vec![0u8; DICT_BYTES];
    // SAFETY: zstd reads `sizes.len()` sizes and as many bytes of
    // `samples` as they add up to (checked above), and writes at most
    // `dict.len()` bytes into `dict`; it keeps no pointer after returning.
    let made = unsafe {
        ZDICT_trainFromBuffer_fastCover(
            dict.as_mut_ptr().cast(),
            dict.len(),
            samples.as_ptr().cast(),
            sizes.as_ptr(),
            count,
            params,
        )
    };
    // SAFETY: a pure function of an integer.
    if unsafe { ZDICT_isError(made) } != 0 {
        return None;
    }
    dict.truncate(made);
    Some(dict)
}
