//! Messages: each kept once with its raw bytes, where it was found (files,
//! IMAP folders and UIDs), how it was judged, and the IMAP checkpoints that
//! commit with the batches they cover.

use anyhow::{Context, Result};
use rusqlite::{OptionalExtension, params};

use super::raw::{Codec, Packer};
use super::{Store, now};
use crate::classify::{self, Classification, Source, TopicRequest};
use crate::message::Message;

/// The page cache while [`Store::for_each_link`] reads every row once, in KiB.
const SCAN_CACHE_KIB: i64 = -1024;

/// A message ready to be kept: parsed, judged, and where it was found.
pub(crate) struct Incoming {
    /// The message's bytes, packed as `codec` says once [`Incoming::slim`] ran.
    pub raw: Vec<u8>,
    pub codec: Codec,
    pub msg: Message,
    pub class: Classification,
    pub location: Location,
    /// The classification as stored: made by the worker that judged it, so
    /// the one thread that writes does not also serialize.
    pub columns: ClassColumns,
    /// Already stored with these very bytes (`msg.content_hash`): only the
    /// location is new, and nothing was parsed or judged.
    pub seen: bool,
    /// Over the size limit: `raw` is its header only, and this its full size.
    pub too_large: Option<u64>,
    /// Fetched partially (`source/imap/partial.rs`): the parts whose bodies
    /// `raw` goes without.
    pub skipped: Vec<SkippedPart>,
}

/// A part of a message left on the IMAP server: its body is not in the
/// stored bytes (its MIME header is).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SkippedPart {
    /// IMAP part number (RFC 3501 section 6.4.5): "2", "1.3".
    pub part: String,
    /// MIME type, lower case.
    pub mime: String,
    /// Its file name, or "".
    pub name: String,
    /// Bytes as sent (transfer-encoded).
    pub size: u64,
}

impl Incoming {
    /// Drop what `save_batch` does not read (the headers, the text, the
    /// reasons: they are in `columns` or the raw bytes), so that the thread
    /// that judged the message frees them, not the one thread that writes.
    pub fn slim(&mut self, packer: &Packer) {
        self.pack(packer);
        let m = &mut self.msg;
        (m.headers, m.text, m.html, m.mime_types) = Default::default();
        (m.to, m.cc, m.reply_to, m.sender) = Default::default();
        let c = &mut self.class;
        (c.question, c.topics, c.reasons) = Default::default();
        c.context = Default::default();
    }

    /// Compress the raw bytes, where the message was judged: the one thread
    /// that writes only writes them (and the batch waiting to be written
    /// holds a third of the bytes).
    pub fn pack(&mut self, packer: &Packer) {
        if self.codec == Codec::Plain && !self.seen {
            (self.raw, self.codec) = packer.pack(&self.raw);
        }
    }

    /// A message whose bytes are stored already, found at `location`.
    pub fn seen(content_hash: String, location: Location) -> Incoming {
        Incoming {
            raw: Vec::new(),
            codec: Codec::Plain,
            msg: Message {
                content_hash,
                ..Message::default()
            },
            class: empty_class(),
            location,
            columns: ClassColumns::default(),
            seen: true,
            too_large: None,
            skipped: Vec::new(),
        }
    }
}

/// The ids of judgements and contexts as they are kept (each JSON once, in
/// `classes` and `contexts`), remembered for a batch: most of a list's
/// mail is judged alike, so most lookups never reach SQLite.
#[derive(Default)]
struct Judgements {
    classes: std::collections::HashMap<String, i64>,
    contexts: std::collections::HashMap<String, i64>,
}

impl Judgements {
    fn class(&mut self, conn: &rusqlite::Connection, json: &str) -> Result<i64> {
        Self::id(&mut self.classes, conn, "classes", json)
    }

    fn context(&mut self, conn: &rusqlite::Connection, json: &str) -> Result<i64> {
        Self::id(&mut self.contexts, conn, "contexts", json)
    }

    fn id(
        seen: &mut std::collections::HashMap<String, i64>,
        conn: &rusqlite::Connection,
        table: &str,
        json: &str,
    ) -> Result<i64> {
        if let Some(&id) = seen.get(json) {
            return Ok(id);
        }
        let hash = json_hash(json);
        let found: Option<i64> = conn
            .prepare_cached(&format!(
                "SELECT id FROM {table} WHERE hash = ?1 AND json = ?2"
            ))?
            .query_row(params![hash, json], |r| r.get(0))
            .optional()?;
        let id = match found {
            Some(id) => id,
            None => {
                conn.prepare_cached(&format!("INSERT INTO {table} (hash, json) VALUES (?1, ?2)"))?
                    .execute(params![hash, json])?;
                conn.last_insert_rowid()
            }
        };
        // A batch that judges many messages differently (a reclassify of
        // comments) must not hold them all.
        if seen.len() < 10_000 {
            seen.insert(json.to_string(), id);
        }
        Ok(id)
    }
}

/// The ids of places, remembered for a batch (most of a batch shares one).
#[derive(Default)]
struct Places(std::collections::HashMap<String, i64>);

impl Places {
    fn id(&mut self, conn: &rusqlite::Connection, place: &str) -> Result<i64> {
        if let Some(&id) = self.0.get(place) {
            return Ok(id);
        }
        conn.prepare_cached(
            "INSERT INTO places (place) VALUES (?1) ON CONFLICT (place) DO NOTHING",
        )?
        .execute([place])?;
        let id: i64 = conn
            .prepare_cached("SELECT id FROM places WHERE place = ?1")?
            .query_row([place], |r| r.get(0))?;
        self.0.insert(place.to_string(), id);
        Ok(id)
    }
}

/// How `classes` and `contexts` find a JSON: the first 8 bytes of its SHA-256.
fn json_hash(json: &str) -> i64 {
    use sha2::Digest;
    let d = sha2::Sha256::digest(json.as_bytes());
    i64::from_be_bytes(d[..8].try_into().unwrap_or_default())
}

/// Version 7's migration: the hash of every judgement and context kept.
pub(super) fn hash_judgements(conn: &rusqlite::Connection) -> Result<()> {
    for table in ["classes", "contexts"] {
        let rows: Vec<(i64, String)> = conn
            .prepare(&format!("SELECT id, json FROM {table}"))?
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?;
        let mut set = conn.prepare(&format!("UPDATE {table} SET hash = ?2 WHERE id = ?1"))?;
        for (id, json) in rows {
            set.execute(params![id, json_hash(&json)])?;
        }
    }
    Ok(())
}

/// A classification as JSON: the whole of it, its context, its topics.
#[derive(Debug, Clone, Default)]
pub(crate) struct ClassColumns {
    pub class: String,
    pub context: String,
    pub topics: String,
}

impl ClassColumns {
    pub fn of(c: &Classification) -> ClassColumns {
        ClassColumns {
            class: json_at_size(c, "{}"),
            context: json_at_size(&c.context, "{}"),
            topics: json_at_size(&c.topics, "[]"),
        }
    }
}

/// `v` as JSON, copied out at its size (serde_json's buffer grows by
/// doubling, and a judged message waits with its columns until stored),
/// or `or` should it not serialize.
fn json_at_size<T: serde::Serialize + ?Sized>(v: &T, or: &str) -> String {
    serde_json::to_string(v).map_or_else(|_| or.to_owned(), |s| s.as_str().to_owned())
}

/// A stored message's raw bytes and where it was found, to judge it again.
pub(crate) struct Kept {
    pub id: i64,
    pub raw: Vec<u8>,
    /// Found in the owner's sent mail.
    pub sent: bool,
    /// Every place it was found, one per line ("file:PATH", "imap:ACCOUNT/FOLDER").
    pub places: String,
}

/// The columns [`Kept`] reads besides the bytes, for the message whose id
/// is the SQL expression `$id`: found in sent mail, and its places.
macro_rules! kept_places {
    ($id:literal) => {
        concat!(
            "EXISTS (SELECT 1 FROM locations l WHERE l.message = ",
            $id,
            " AND l.sent), (SELECT group_concat(p.place, char(10)) FROM locations l JOIN places p ON p.id = l.place WHERE l.message = ",
            $id,
            ")"
        )
    };
}

#[derive(Debug, Clone)]
pub(crate) struct Location {
    /// "file:PATH" or "imap:ACCOUNT/FOLDER".
    pub place: String,
    /// IMAP UID, or the message's position in an mbox.
    pub uid: u32,
    /// The place is the owner's sent mail.
    pub sent: bool,
}

/// An IMAP folder's position, saved with the batch that reached it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Checkpoint {
    pub uidvalidity: u32,
    pub last_uid: u32,
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Counts {
    /// Stored for the first time.
    pub new: usize,
    /// Already stored (same Message-ID, or same content without one): a new location at most.
    pub known: usize,
    /// Stored, but mailparse could not parse all of it.
    pub failed: usize,
    /// Stored as its header only: larger than `[store] max_message_mb`.
    pub too_large: usize,
    /// Stored without its attachments (fetched by its structure over IMAP).
    pub partial: usize,
    /// New or changed facts about known messages (a new place, found in Sent),
    /// beside the new messages: threads and answers need a look only if any.
    pub changed: usize,
}

impl std::ops::AddAssign for Counts {
    fn add_assign(&mut self, o: Counts) {
        self.new += o.new;
        self.known += o.known;
        self.failed += o.failed;
        self.too_large += o.too_large;
        self.partial += o.partial;
        self.changed += o.changed;
    }
}

/// The header fields threading and "answered" need, for every message.
#[derive(Debug, Clone)]
pub(crate) struct Links {
    pub message_id: String,
    pub in_reply_to: Option<String>,
    pub references: Vec<String>,
    pub subject: String,
    pub from_addr: String,
    pub date: i64,
    pub context: classify::Context,
    pub topics: Vec<TopicRequest>,
}

/// One stored message's sender and reply links, as [`Store::for_each_head`] lends them.
pub(crate) struct Head<'a> {
    pub message_id: &'a str,
    pub from_addr: &'a str,
    pub in_reply_to: Option<&'a str>,
    /// Space separated ids.
    pub refs: &'a str,
}

/// One stored message's links as [`Store::for_each_link`] lends them.
pub(crate) struct LinkRef<'a> {
    pub id: i64,
    pub message_id: &'a str,
    pub in_reply_to: Option<&'a str>,
    /// Space separated ids.
    pub refs: &'a str,
    pub subject: &'a str,
    pub from: &'a str,
    pub date: i64,
    pub source: Source,
    pub thread: Option<&'a str>,
    pub answered_by: Option<&'a str>,
    pub post_url: Option<&'a str>,
    pub list_id: Option<&'a str>,
    pub comment_url: Option<&'a str>,
    pub parent_comment_url: Option<&'a str>,
    /// A notification's commenter, the commenter a reply names as its
    /// parent, and the post's title (`answered` matches replies by name).
    pub author_name: Option<&'a str>,
    pub parent_author: Option<&'a str>,
    pub post_title: Option<&'a str>,
    pub call_for_topics: bool,
    pub parent_is_owners: bool,
    pub under_owners_call: bool,
    pub list_tag: bool,
}

/// One stored message as the digest and `messages --json` see it.
#[derive(Debug, Clone)]
pub(crate) struct Row {
    pub message_id: String,
    pub subject: String,
    pub from_name: String,
    pub from_addr: String,
    pub date: Option<i64>,
    pub source: Source,
    pub asks_owner: bool,
    pub class: Classification,
    pub answered_by: Option<String>,
    pub thread: Option<String>,
    pub parse_error: Option<String>,
    pub places: Vec<String>,
}

impl Row {
    /// Who wrote it: the commenter behind a notification, else From. The
    /// digest shows it, `mute sender` records it, and answers go to it.
    pub fn reader_email(&self) -> String {
        self.class
            .context
            .author
            .as_ref()
            .map(|a| a.email.clone())
            .filter(|e| e.contains('@'))
            .unwrap_or_else(|| self.from_addr.clone())
    }
}

/// The thread root a message is first given (its oldest reference, else
/// itself). Its `thread` column stays NULL while that guess holds, as it
/// does for most mail (version 8: R-help's 172,000 roots written out cost
/// 7 MB of the store).
macro_rules! first_guess {
    () => {
        "CASE WHEN m.refs = '' THEN m.message_id ELSE substr(m.refs, 1, instr(m.refs || ' ', ' ') - 1) END"
    };
}
pub(super) use first_guess;

/// In-Reply-To as stored (version 8): NULL when it is the last reference
/// (most replies) or there is neither, '' when there are references but no
/// In-Reply-To. [`reply_to`] reads it back.
fn stored_reply_to<'a>(in_reply_to: Option<&'a str>, refs: &[String]) -> Option<&'a str> {
    match (in_reply_to, refs.last()) {
        (Some(id), Some(last)) if id == last => None,
        (None, Some(_)) => Some(""),
        (id, _) => id,
    }
}

/// In-Reply-To as [`stored_reply_to`] kept it, given the stored references.
fn reply_to<'a>(stored: Option<&'a str>, refs: &'a str) -> Option<&'a str> {
    match stored {
        None => refs.split_whitespace().next_back(),
        Some("") => None,
        Some(id) => Some(id),
    }
}

/// Version 8's step: In-Reply-To kept as [`stored_reply_to`] says (the
/// thread roots are done in SQL, by migrations in store/mod.rs).
pub(super) fn store_reply_to_compactly(conn: &rusqlite::Connection) -> Result<()> {
    let mut read = conn.prepare("SELECT id, in_reply_to, refs FROM messages")?;
    let mut write = conn.prepare("UPDATE messages SET in_reply_to = ?2 WHERE id = ?1")?;
    let mut rows = read.query([])?;
    while let Some(r) = rows.next()? {
        let (id, in_reply_to, refs): (i64, Option<String>, String) =
            (r.get(0)?, r.get(1)?, r.get(2)?);
        let refs: Vec<String> = refs.split_whitespace().map(str::to_string).collect();
        let stored = stored_reply_to(in_reply_to.as_deref(), &refs);
        if stored != in_reply_to.as_deref() {
            write.execute(params![id, stored])?;
        }
    }
    Ok(())
}

impl Store {
    /// Keep a batch in one transaction, with the checkpoint it reaches.
    pub fn save_batch(
        &mut self,
        batch: &[Incoming],
        checkpoint: Option<(&str, &str, Checkpoint)>,
    ) -> Result<Counts> {
        self.transaction(|s| {
        let tx = &s.conn;
        let mut counts = Counts::default();
        {
            let mut find =
                tx.prepare_cached("SELECT id, date FROM messages WHERE message_id = ?1")?;
            let mut insert = tx.prepare_cached(
                "INSERT INTO messages (message_id, content_hash, parse_error, subject,
                    from_name, from_addr, date, date_offset, in_reply_to, refs, imported_at,
                    source, asks_owner, class_id, context_id, topics, thread, too_large)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18)",
            )?;
            let mut keep_raw =
                tx.prepare_cached("INSERT INTO raw (message, codec, bytes) VALUES (?1, ?2, ?3)")?;
            let mut keep_skipped = tx.prepare_cached(
                "INSERT OR IGNORE INTO skipped_parts (message, part, type, name, size) VALUES (?1, ?2, ?3, ?4, ?5)",
            )?;
            let mut locate = tx.prepare_cached(
                "INSERT OR IGNORE INTO locations (message, place, uid, sent) VALUES (?1, ?2, ?3, ?4)",
            )?;
            let mut places = Places::default();
            let mut mark_own = tx.prepare_cached(
                "UPDATE messages SET source = 'own', asks_owner = 0 WHERE id = ?1 AND source != 'own'",
            )?;
            let stamp = now();
            let mut kept = Judgements::default();
            let mut by_hash =
                tx.prepare_cached("SELECT id FROM messages WHERE content_hash = ?1 LIMIT 1")?;
            for inc in batch {
                let m = &inc.msg;
                let mut message_id = std::borrow::Cow::Borrowed(m.message_id.as_str());
                let key = crate::message::hash_key(&m.content_hash);
                let existing = if inc.seen {
                    // Stored already with these very bytes, or a copy of a
                    // message found by its Message-ID earlier in this run:
                    // only the place may be new.
                    let id: Option<i64> = by_hash
                        .query_row([&key.to_be_bytes()[..]], |r| r.get(0))
                        .optional()?;
                    let id = id
                        .or_else(|| s.copies.get(&key).copied())
                        .context("a message known by its bytes is no longer stored")?;
                    Some(id)
                } else {
                    let mut found: Option<(i64, Option<i64>)> = find
                        .query_row([&message_id], |r| Ok((r.get(0)?, r.get(1)?)))
                        .optional()?;
                    // Two different messages can carry one Message-ID (broken
                    // generators, test corpora). A copy of the same message keeps
                    // its Date through lists and folders; a different Date means a
                    // different message, kept under an id made unique by its hash.
                    if let Some((_, Some(date))) = found
                        && m.date.is_some_and(|d| d != date)
                    {
                        message_id = format!("{}#{}", m.message_id, &m.content_hash[..12]).into();
                        found = find
                            .query_row([&message_id], |r| Ok((r.get(0)?, r.get(1)?)))
                            .optional()?;
                    }
                    found.map(|(id, _)| id)
                };
                let id = match existing {
                    Some(id) => {
                        counts.known += 1;
                        if !inc.seen {
                            s.copies.insert(key, id);
                        }
                        // The owner's list post echoed back is the same message as the sent copy.
                        if inc.location.sent {
                            counts.changed += mark_own.execute([id])?;
                        }
                        id
                    }
                    None => {
                        insert.execute(params![
                            message_id,
                            &key.to_be_bytes()[..],
                            m.parse_error,
                            m.subject,
                            m.from.as_ref().map(|a| a.name.as_str()).unwrap_or(""),
                            m.email_from(),
                            m.date,
                            m.date_offset,
                            stored_reply_to(m.in_reply_to.as_deref(), &m.references),
                            m.references.join(" "),
                            stamp,
                            inc.class.source,
                            inc.class.asks_owner,
                            kept.class(tx, &inc.columns.class)?,
                            kept.context(tx, &inc.columns.context)?,
                            inc.columns.topics,
                            // The thread root: the first guess (NULL), right for
                            // most mail, so that threading after the import
                            // rewrites only the rows it corrects.
                            None::<&str>,
                            inc.too_large.map(|n| i64::try_from(n).unwrap_or(i64::MAX)),
                        ])?;
                        counts.new += 1;
                        if inc.too_large.is_some() {
                            counts.too_large += 1;
                        } else if m.parse_error.is_some() {
                            counts.failed += 1;
                        }
                        let id = tx.last_insert_rowid();
                        // Mail the workers did not pack (the owner's, prepared
                        // alone), or packed before the store's first dictionary
                        // came, is packed here.
                        let packed = s.raw.repack(tx, &inc.raw, inc.codec)?;
                        let (bytes, codec) = match &packed {
                            Some((b, c)) => (b, *c),
                            None => (&inc.raw, inc.codec),
                        };
                        keep_raw.execute(params![id, codec as i64, bytes])?;
                        counts.partial += usize::from(!inc.skipped.is_empty());
                        for p in &inc.skipped {
                            let size = i64::try_from(p.size).unwrap_or(i64::MAX);
                            keep_skipped.execute(params![id, p.part, p.mime, p.name, size])?;
                        }
                        id
                    }
                };
                counts.changed += locate.execute(params![
                    id,
                    places.id(tx, &inc.location.place)?,
                    inc.location.uid,
                    inc.location.sent
                ])?;
            }
            // Threads and answers are out of date until `analyze::refresh` has
            // run; said in this transaction, so a run that dies before the
            // refresh leaves the next run a note to do it.
            if counts.new + counts.changed > 0 {
                tx.execute(
                    "INSERT INTO settings (key, value) VALUES ('refresh_pending', '1')
                     ON CONFLICT (key) DO UPDATE SET value = '1'",
                    [],
                )?;
            }
            if let Some((account, folder, cp)) = checkpoint {
                tx.execute(
                    "INSERT INTO folders (account, folder, uidvalidity, last_uid) VALUES (?1, ?2, ?3, ?4)
                     ON CONFLICT (account, folder) DO UPDATE SET uidvalidity = ?3, last_uid = ?4",
                    params![account, folder, cp.uidvalidity, cp.last_uid],
                )?;
            }
        }
        s.raw.stored(&s.conn, counts.new)?;
        Ok(counts)
        })
    }

    pub fn checkpoint(&self, account: &str, folder: &str) -> Result<Option<Checkpoint>> {
        Ok(self
            .conn
            .query_row(
                "SELECT uidvalidity, last_uid FROM folders WHERE account = ?1 AND folder = ?2",
                params![account, folder],
                |r| {
                    Ok(Checkpoint {
                        uidvalidity: r.get(0)?,
                        last_uid: r.get(1)?,
                    })
                },
            )
            .optional()?)
    }

    /// UIDVALIDITY changed: the folder's old UIDs mean nothing now. Forget the
    /// locations and the checkpoint; the messages stay (and dedupe on re-sync).
    pub fn reset_folder(&mut self, account: &str, folder: &str) -> Result<()> {
        let place = format!("imap:{account}/{folder}");
        self.transaction(|s| {
            s.conn.execute(
                "DELETE FROM locations WHERE place = (SELECT id FROM places WHERE place = ?1)",
                [&place],
            )?;
            s.conn.execute(
                "DELETE FROM folders WHERE account = ?1 AND folder = ?2",
                params![account, folder],
            )?;
            Ok(())
        })
    }

    #[cfg(test)]
    pub fn message_count(&self) -> Result<i64> {
        Ok(self
            .conn
            .query_row("SELECT count(*) FROM messages", [], |r| r.get(0))?)
    }

    /// No message is stored yet.
    pub fn is_empty(&self) -> Result<bool> {
        Ok(self
            .conn
            .query_row("SELECT 1 FROM messages LIMIT 1", [], |_| Ok(()))
            .optional()?
            .is_none())
    }

    /// The content hash of every stored message, as `message::hash_key`s.
    pub fn content_hashes(&self) -> Result<std::collections::HashSet<u128>> {
        let mut stmt = self.conn.prepare("SELECT content_hash FROM messages")?;
        let mut rows = stmt.query([])?;
        let mut out = std::collections::HashSet::new();
        while let Some(r) = rows.next()? {
            out.insert(match r.get_ref(0)? {
                rusqlite::types::ValueRef::Blob(b) => {
                    u128::from_be_bytes(b.try_into().unwrap_or_default())
                }
                // A version 6 hash the migration left as it was (not 64 hex digits).
                v => crate::message::hash_key(v.as_str().unwrap_or_default()),
            });
        }
        Ok(out)
    }

    /// Up to `limit` messages' raw bytes after row id `after`, in id order,
    /// with where each was found: `reclassify` reads them so.
    pub fn raw_page(&self, after: i64, limit: usize) -> Result<Vec<Kept>> {
        let mut stmt = self.conn.prepare_cached(concat!(
            "SELECT m.id, r.bytes, r.codec, ",
            kept_places!("m.id"),
            " FROM messages m JOIN raw r ON r.message = m.id WHERE m.id > ?1 ORDER BY m.id LIMIT ?2"
        ))?;
        let mut rows = stmt.query(params![after, limit as i64])?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            out.push(Kept {
                id: r.get(0)?,
                raw: self.raw.unpack(&self.conn, r.get(1)?, r.get(2)?)?,
                sent: r.get(3)?,
                places: r.get::<_, Option<String>>(4)?.unwrap_or_default(),
            });
        }
        Ok(out)
    }

    pub fn update_classes(&mut self, classes: &[(i64, Classification)]) -> Result<()> {
        self.transaction(|s| {
            let mut upd = s.conn.prepare_cached(
                "UPDATE messages SET source = ?2, asks_owner = ?3, class_id = ?4, context_id = ?5, topics = ?6
                 WHERE id = ?1",
            )?;
            let mut kept = Judgements::default();
            for (id, c) in classes {
                let cols = ClassColumns::of(c);
                upd.execute(params![
                    id,
                    c.source,
                    c.asks_owner,
                    kept.class(&s.conn, &cols.class)?,
                    kept.context(&s.conn, &cols.context)?,
                    cols.topics,
                ])?;
            }
            Ok(())
        })
    }

    /// Forget judgements and contexts no message points at any more (after
    /// messages were judged again).
    pub fn drop_unused_judgements(&mut self) -> Result<()> {
        self.conn.execute_batch(
            "DELETE FROM classes WHERE id NOT IN (SELECT class_id FROM messages WHERE class_id IS NOT NULL);
             DELETE FROM contexts WHERE id NOT IN (SELECT context_id FROM messages WHERE context_id IS NOT NULL);",
        )?;
        Ok(())
    }

    /// The columns every [`Links`] read starts with, as [`Store::link_row`] reads them.
    const LINK_SQL: &str = concat!(
        "SELECT m.id, m.message_id, m.in_reply_to, m.refs, m.subject, m.from_addr,
            coalesce(m.date, 0), m.source, coalesce(m.thread, ",
        first_guess!(),
        "), m.answered_by"
    );
    /// What [`Store::LINK_SQL`] reads from, with each message's context as `x.json`.
    const LINK_FROM: &str = "FROM messages m LEFT JOIN contexts x ON x.id = m.context_id";

    /// A [`Links`] from the first ten columns, without context or topics.
    fn link_row(r: &rusqlite::Row) -> rusqlite::Result<Links> {
        let refs: String = r.get(3)?;
        Ok(Links {
            message_id: r.get(1)?,
            in_reply_to: reply_to(r.get_ref(2)?.as_str_or_null()?, &refs).map(str::to_string),
            references: refs.split_whitespace().map(str::to_string).collect(),
            subject: r.get(4)?,
            from_addr: r.get(5)?,
            date: r.get(6)?,
            context: classify::Context::default(),
            topics: Vec::new(),
        })
    }

    /// The fields threading and "answered" work on, for every message,
    /// with its whole context and its topic requests.
    pub fn links(&self) -> Result<Vec<Links>> {
        self.links_where("")
    }

    /// [`Store::links`] of the messages that ask for topics (few, on any store).
    pub fn topic_links(&self) -> Result<Vec<Links>> {
        self.links_where("WHERE m.topics != '[]'")
    }

    fn links_where(&self, filter: &str) -> Result<Vec<Links>> {
        let mut stmt = self.conn.prepare(&format!(
            "{}, coalesce(x.json, '{{}}'), m.topics {} {filter} ORDER BY m.id",
            Self::LINK_SQL,
            Self::LINK_FROM
        ))?;
        let rows = stmt.query_map([], |r| {
            let context: String = r.get(10)?;
            let topics: String = r.get(11)?;
            Ok((Self::link_row(r)?, context, topics))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (mut l, context, topics) = row?;
            // Columns an older allears wrote differently read as empty; `reclassify` fixes them.
            if context != "{}" {
                l.context = serde_json::from_str(&context).unwrap_or_default();
            }
            if topics != "[]" {
                l.topics = serde_json::from_str(&topics).unwrap_or_default();
            }
            out.push(l);
        }
        Ok(out)
    }

    /// Every message's id, sender and reply links, lent to `f` one row at a
    /// time: what picking out command messages reads.
    pub fn for_each_head(&self, mut f: impl FnMut(&Head) -> Result<()>) -> Result<()> {
        let mut stmt = self
            .conn
            .prepare("SELECT message_id, from_addr, in_reply_to, refs FROM messages ORDER BY id")?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            let refs = r.get_ref(3)?.as_str()?;
            f(&Head {
                message_id: r.get_ref(0)?.as_str()?,
                from_addr: r.get_ref(1)?.as_str()?,
                in_reply_to: reply_to(r.get_ref(2)?.as_str_or_null()?, refs),
                refs,
            })?;
        }
        Ok(())
    }

    /// What threading, `answered` and the refresh's facts read, for every
    /// message in row id order, lent to `f` one row at a time (nothing is
    /// allocated per message here): its links, and of its context only the
    /// links (post, list, comment, parent comment) and flags.
    pub fn for_each_link(&self, mut f: impl FnMut(&LinkRef) -> Result<()>) -> Result<()> {
        // Each context's fields are read once, not once per message that
        // shares it (R-devel: 60,195 messages, 534 contexts; the JSON was
        // 5% of an import's CPU). Rows an older allears wrote without
        // valid JSON read as no links.
        let fields = [
            "post_url",
            "list_id",
            "comment_url",
            "parent_comment_url",
            "call_for_topics",
            "facts.parent_is_owners",
            "facts.under_owners_call",
            "author.name",
            "parent_author",
            "post_title",
            "facts.list_tag",
        ];
        let extracted: Vec<String> = fields
            .iter()
            .enumerate()
            .map(|(i, path)| format!("json_extract(j, '$.{path}') AS f{i}"))
            .collect();
        let read: Vec<String> = (0..fields.len()).map(|i| format!("x.f{i}")).collect();
        let mut stmt = self.conn.prepare(&format!(
            "WITH x AS MATERIALIZED (SELECT id, {} FROM (SELECT id, \
               CASE WHEN json_valid(json) THEN json ELSE '{{}}' END AS j FROM contexts)) \
             {}, {} FROM messages m LEFT JOIN x ON x.id = m.context_id ORDER BY m.id",
            extracted.join(", "),
            Self::LINK_SQL,
            read.join(", "),
        ))?;
        fn text<'r>(r: &'r rusqlite::Row, i: usize) -> rusqlite::Result<&'r str> {
            Ok(r.get_ref(i)?.as_str()?)
        }
        // A value of another JSON type than string is no link.
        fn link<'r>(r: &'r rusqlite::Row, i: usize) -> rusqlite::Result<Option<&'r str>> {
            Ok(match r.get_ref(i)? {
                rusqlite::types::ValueRef::Text(t) => std::str::from_utf8(t).ok(),
                _ => None,
            })
        }
        let flag = |r: &rusqlite::Row, i: usize| -> rusqlite::Result<bool> {
            Ok(matches!(
                r.get_ref(i)?,
                rusqlite::types::ValueRef::Integer(1)
            ))
        };
        // One pass in row order: a page once read is not read again, so the
        // page cache is kept small while it runs (it would otherwise fill
        // to its size of 16 MB at the refresh's peak memory).
        self.conn
            .pragma_update(None, "cache_size", SCAN_CACHE_KIB)?;
        let scanned = (|| -> Result<()> {
            let mut rows = stmt.query([])?;
            while let Some(r) = rows.next()? {
                let refs = text(r, 3)?;
                let l = LinkRef {
                    id: r.get(0)?,
                    message_id: text(r, 1)?,
                    in_reply_to: reply_to(r.get_ref(2)?.as_str_or_null()?, refs),
                    refs,
                    subject: text(r, 4)?,
                    from: text(r, 5)?,
                    date: r.get(6)?,
                    source: r.get(7)?,
                    thread: r.get_ref(8)?.as_str_or_null()?,
                    answered_by: r.get_ref(9)?.as_str_or_null()?,
                    post_url: link(r, 10)?,
                    list_id: link(r, 11)?,
                    comment_url: link(r, 12)?,
                    parent_comment_url: link(r, 13)?,
                    call_for_topics: flag(r, 14)?,
                    parent_is_owners: flag(r, 15)?,
                    under_owners_call: flag(r, 16)?,
                    author_name: link(r, 17)?,
                    parent_author: link(r, 18)?,
                    post_title: link(r, 19)?,
                    list_tag: flag(r, 20)?,
                };
                f(&l)?;
            }
            Ok(())
        })();
        self.conn
            .pragma_update(None, "cache_size", super::CACHE_KIB)?;
        scanned
    }

    /// The raw bytes of these messages, with where each was found.
    pub fn raw_of(&self, ids: &[i64]) -> Result<Vec<Kept>> {
        let mut stmt = self.conn.prepare_cached(concat!(
            "SELECT r.bytes, r.codec, ",
            kept_places!("?1"),
            " FROM raw r WHERE r.message = ?1"
        ))?;
        let mut out = Vec::with_capacity(ids.len());
        for &id in ids {
            if let Some((bytes, codec, sent, places)) = stmt
                .query_row([id], |r| {
                    Ok((
                        r.get::<_, Vec<u8>>(0)?,
                        r.get(1)?,
                        r.get::<_, bool>(2)?,
                        r.get::<_, Option<String>>(3)?,
                    ))
                })
                .optional()?
            {
                out.push(Kept {
                    id,
                    raw: self.raw.unpack(&self.conn, bytes, codec)?,
                    sent,
                    places: places.unwrap_or_default(),
                });
            }
        }
        Ok(out)
    }

    /// Save derived fields where they changed: for each message (row id),
    /// the row whose Message-ID is its thread root, and the row of the
    /// owner's answering reply (None for none).
    pub fn update_links(&mut self, changes: &[(i64, Option<i64>, Option<i64>)]) -> Result<()> {
        self.transaction(|s| {
            let mut upd = s.conn.prepare_cached(concat!(
                "UPDATE messages AS m SET \
                   thread = nullif((SELECT message_id FROM messages WHERE id = ?2), ",
                first_guess!(),
                "), answered_by = (SELECT message_id FROM messages WHERE id = ?3) WHERE id = ?1"
            ))?;
            for (id, thread, answered) in changes {
                upd.execute(params![id, thread, answered])?;
            }
            Ok(())
        })
    }

    const ROW_SQL: &str = concat!(
        "SELECT m.id, m.message_id, m.subject, m.from_name, m.from_addr, m.date,
            m.source, m.asks_owner, c.json, m.answered_by, coalesce(m.thread, ",
        first_guess!(),
        "), m.parse_error,
            (SELECT group_concat(p.place, char(10)) FROM locations l JOIN places p ON p.id = l.place
              WHERE l.message = m.id)
         FROM messages m LEFT JOIN classes c ON c.id = m.class_id"
    );

    fn row(r: &rusqlite::Row) -> rusqlite::Result<Row> {
        let class: String = r.get::<_, Option<String>>(8)?.unwrap_or_default();
        let places: Option<String> = r.get(12)?;
        Ok(Row {
            message_id: r.get(1)?,
            subject: r.get(2)?,
            from_name: r.get(3)?,
            from_addr: r.get(4)?,
            date: r.get(5)?,
            source: r.get(6)?,
            asks_owner: r.get(7)?,
            class: parse_class(&class),
            answered_by: r.get(9)?,
            thread: r.get(10)?,
            parse_error: r.get(11)?,
            places: places
                .map(|p| p.lines().map(str::to_string).collect())
                .unwrap_or_default(),
        })
    }

    /// Every message, oldest first, lent to `f` one at a time: a listing
    /// of the whole store holds one row, not all of them.
    pub fn for_each_row(&self, mut f: impl FnMut(Row) -> Result<()>) -> Result<()> {
        let sql = format!("{} ORDER BY coalesce(m.date, 0), m.id", Self::ROW_SQL);
        let mut stmt = self.conn.prepare(&sql)?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            f(Self::row(r)?)?;
        }
        Ok(())
    }

    /// Every message, oldest first (tests; the program streams them).
    #[cfg(test)]
    pub fn rows(&self) -> Result<Vec<Row>> {
        let sql = format!("{} ORDER BY coalesce(m.date, 0), m.id", Self::ROW_SQL);
        let mut stmt = self.conn.prepare(&sql)?;
        let rows = stmt.query_map([], Self::row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// What a digest can show, oldest first: messages that may need a reply
    /// (they ask, are not answered, and are not older than `oldest`) and
    /// those dated since `since`. The rest of the store is not read.
    pub fn digest_rows(&self, since: i64, oldest: i64) -> Result<Vec<Row>> {
        let sql = format!(
            "{} WHERE (m.asks_owner AND m.answered_by IS NULL AND (m.date IS NULL OR m.date >= ?2))
                OR coalesce(m.date, 0) >= ?1
             ORDER BY coalesce(m.date, 0), m.id",
            Self::ROW_SQL
        );
        let mut stmt = self.conn.prepare(&sql)?;
        let rows = stmt.query_map([since, oldest], Self::row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    pub fn row_by_message_id(&self, message_id: &str) -> Result<Option<Row>> {
        let sql = format!("{} WHERE m.message_id = ?1", Self::ROW_SQL);
        Ok(self
            .conn
            .prepare_cached(&sql)?
            .query_row([message_id], Self::row)
            .optional()?)
    }

    pub fn raw(&self, message_id: &str) -> Result<Option<Vec<u8>>> {
        self.conn
            .query_row(
                "SELECT r.bytes, r.codec FROM messages m JOIN raw r ON r.message = m.id WHERE m.message_id = ?1",
                [message_id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?
            .map(|(bytes, codec)| self.raw.unpack(&self.conn, bytes, codec))
            .transpose()
    }

    /// Messages that could not be fully parsed: (message id, error).
    pub fn parse_failures(&self) -> Result<Vec<(String, String)>> {
        let mut stmt = self.conn.prepare(
            "SELECT message_id, parse_error FROM messages WHERE parse_error IS NOT NULL AND too_large IS NULL ORDER BY id",
        )?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// The parts of a message left on the IMAP server (none: it was stored
    /// whole), in part order.
    pub fn skipped_parts(&self, message_id: &str) -> Result<Vec<SkippedPart>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT p.part, p.type, p.name, p.size FROM skipped_parts p
             JOIN messages m ON m.id = p.message WHERE m.message_id = ?1 ORDER BY p.rowid",
        )?;
        let rows = stmt.query_map([message_id], |r| {
            Ok(SkippedPart {
                part: r.get(0)?,
                mime: r.get(1)?,
                name: r.get(2)?,
                size: u64::try_from(r.get::<_, i64>(3)?).unwrap_or(0),
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Messages kept as their header only, with their full size, oldest first.
    pub fn too_large(&self) -> Result<Vec<(String, u64)>> {
        let mut stmt = self.conn.prepare(
            "SELECT message_id, too_large FROM messages WHERE too_large IS NOT NULL ORDER BY id",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((r.get(0)?, u64::try_from(r.get::<_, i64>(1)?).unwrap_or(0)))
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}

fn empty_class() -> Classification {
    Classification {
        source: Source::Direct,
        asks_owner: false,
        question: String::new(),
        topics: Vec::new(),
        reasons: Vec::new(),
        context: Default::default(),
    }
}

/// A class column that does not parse (an older allears wrote it) reads as
/// "not judged" rather than failing the run; `reclassify` fixes it.
fn parse_class(json: &str) -> Classification {
    serde_json::from_str(json).unwrap_or_else(|_| empty_class())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn incoming(raw: &[u8], place: &str, uid: u32) -> Incoming {
        let msg = crate::message::parse(raw);
        Incoming {
            raw: raw.to_vec(),
            codec: Codec::Plain,
            msg,
            columns: ClassColumns::of(&empty_class()),
            class: empty_class(),
            seen: false,
            too_large: None,
            skipped: Vec::new(),
            location: Location {
                place: place.into(),
                uid,
                sent: false,
            },
        }
    }

    #[test]
    fn mail_is_compressed_with_a_dictionary_of_the_store_once_it_has_enough() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("allears.db");
        let mut s = Store::open(&db, std::time::Duration::from_secs(1)).unwrap();
        let mails: Vec<Vec<u8>> = (0..2_500).map(crate::store::tests::varied_mail).collect();
        let packer = s.packer();
        for (n, chunk) in mails.chunks(500).enumerate() {
            let batch: Vec<Incoming> = chunk
                .iter()
                .enumerate()
                .map(|(i, raw)| {
                    let mut inc = incoming(raw, "f:a", (n * 500 + i) as u32);
                    // As the import's workers do, before the store has a dictionary or after.
                    inc.pack(&packer);
                    inc
                })
                .collect();
            s.save_batch(&batch, None).unwrap();
        }
        let codecs = |s: &Store| -> Vec<(i64, i64)> {
            s.conn
                .prepare("SELECT codec, count(*) FROM raw GROUP BY codec")
                .unwrap()
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
                .unwrap()
                .collect::<rusqlite::Result<_>>()
                .unwrap()
        };
        assert_eq!(
            codecs(&s),
            vec![(2, 2_500)],
            "the first 1,000 made again with the dictionary"
        );
        let dictionaries: i64 = s
            .conn
            .query_row("SELECT count(*) FROM dictionaries", [], |r| r.get(0))
            .unwrap();
        assert_eq!(dictionaries, 1);
        drop(s);
        // Read back by another process: the dictionary comes from the store.
        let s = Store::open(&db, std::time::Duration::from_secs(1)).unwrap();
        for (i, raw) in mails.iter().enumerate() {
            assert_eq!(
                s.raw(&format!("m{i}@x")).unwrap().as_ref(),
                Some(raw),
                "message {i}"
            );
        }
        // A store that lost its dictionary says so; it does not make up mail.
        s.conn.execute("DELETE FROM dictionaries", []).unwrap();
        let s = Store::open(&db, std::time::Duration::from_secs(1)).unwrap();
        let err = s.raw("m3@x").unwrap_err();
        assert!(format!("{err:#}").contains("dictionary"), "{err:#}");
    }

    #[test]
    fn a_batch_that_adds_anything_leaves_a_refresh_pending() {
        let mut s = Store::in_memory().unwrap();
        let raw = b"Message-ID: <x@y>\r\n\r\nbody";
        assert!(!s.refresh_pending().unwrap());
        s.save_batch(&[incoming(raw, "imap:a/INBOX", 1)], None)
            .unwrap();
        assert!(s.refresh_pending().unwrap());
        s.refresh_done().unwrap();
        // The same message at the same place adds nothing.
        s.save_batch(&[incoming(raw, "imap:a/INBOX", 1)], None)
            .unwrap();
        assert!(!s.refresh_pending().unwrap());
        // A new place for it does.
        s.save_batch(&[incoming(raw, "imap:a/Lists", 4)], None)
            .unwrap();
        assert!(s.refresh_pending().unwrap());
    }

    #[test]
    fn a_message_is_stored_once_and_remembers_its_places() {
        let mut s = Store::in_memory().unwrap();
        let raw = b"Message-ID: <x@y>\r\nSubject: hi\r\n\r\nbody";
        let c1 = s
            .save_batch(&[incoming(raw, "imap:a/INBOX", 1)], None)
            .unwrap();
        let c2 = s
            .save_batch(&[incoming(raw, "imap:a/Lists", 7)], None)
            .unwrap();
        assert_eq!((c1.new, c2.new, c2.known), (1, 0, 1));
        assert_eq!(s.message_count().unwrap(), 1);
        let row = s.row_by_message_id("x@y").unwrap().unwrap();
        assert_eq!(row.places.len(), 2);
    }

    #[test]
    fn thread_links_read_the_context_links_and_survive_bad_json() {
        let mut s = Store::in_memory().unwrap();
        let mut post = incoming(b"Message-ID: <p@x>\r\n\r\none", "f:a", 0);
        post.columns.context =
            r#"{"post_url":"https://blog.example/p","list_id":null,"comment_url":7}"#.into();
        let broken = incoming(b"Message-ID: <b@x>\r\n\r\ntwo", "f:b", 0);
        s.save_batch(&[post, broken], None).unwrap();
        s.conn
            .execute_batch(
                "INSERT INTO contexts (hash, json) VALUES (0, 'not json');
                 UPDATE messages SET context_id = last_insert_rowid() WHERE message_id = 'b@x'",
            )
            .unwrap();
        let mut links = Vec::new();
        s.for_each_link(|l| {
            let own = |v: Option<&str>| v.map(str::to_string);
            links.push((
                own(l.post_url),
                own(l.list_id),
                own(l.comment_url),
                own(l.thread),
            ));
            Ok(())
        })
        .unwrap();
        assert_eq!(links.len(), 2);
        assert_eq!(links[0].0.as_deref(), Some("https://blog.example/p"));
        // null and a number are no links.
        assert_eq!((links[0].1.as_deref(), links[0].2.as_deref()), (None, None));
        assert_eq!((links[1].0.as_deref(), links[1].1.as_deref()), (None, None));
        // A first guess at the thread root is stored with the message.
        assert_eq!(links[0].3.as_deref(), Some("p@x"));
    }

    #[test]
    fn a_different_message_with_a_colliding_message_id_is_kept() {
        let mut s = Store::in_memory().unwrap();
        let a = b"Message-ID: <same@x>\r\nDate: Tue, 24 Nov 2026 10:00:00 +0000\r\n\r\none";
        let b = b"Message-ID: <same@x>\r\nDate: Wed, 25 Nov 2026 10:00:00 +0000\r\n\r\ntwo";
        let echo = b"Message-ID: <same@x>\r\nDate: Tue, 24 Nov 2026 10:00:00 +0000\r\n\r\none\r\n-- list footer";
        let c = s
            .save_batch(
                &[
                    incoming(a, "f:a", 0),
                    incoming(b, "f:b", 0),
                    incoming(echo, "f:c", 0),
                ],
                None,
            )
            .unwrap();
        assert_eq!((c.new, c.known), (2, 1));
        assert_eq!(s.message_count().unwrap(), 2);
    }

    #[test]
    fn checkpoint_commits_with_its_batch() {
        let mut s = Store::in_memory().unwrap();
        let cp = Checkpoint {
            uidvalidity: 9,
            last_uid: 42,
        };
        s.save_batch(&[], Some(("a", "INBOX", cp))).unwrap();
        assert_eq!(s.checkpoint("a", "INBOX").unwrap(), Some(cp));
        s.reset_folder("a", "INBOX").unwrap();
        assert_eq!(s.checkpoint("a", "INBOX").unwrap(), None);
    }
}
