//! All SQL lives here: the SQLite file that remembers every message (raw bytes
//! included), where it was found, how it was judged, IMAP checkpoints, digest
//! items, topics, the digests themselves and the outbox.
//!
//! One [`Store`], its methods grouped by table family: `messages.rs`
//! (messages, raw bytes, places, checkpoints), `items.rs` (digest items and
//! mutes), `topics.rs` (topics and who was told), `digests.rs`, and
//! `outbox.rs` (mail sent for the owner, command messages seen). Sources hand
//! batches of parsed and classified messages to [`Store::save_batch`]; one
//! batch is one transaction, together with its IMAP checkpoint, so a crash
//! loses at most an uncommitted batch and never stores a message twice. The
//! schema (`schema.sql`) is versioned by `PRAGMA user_version`. States are
//! enums stored as their names; a name this allears does not know is an
//! error, never a silent default. No other module sees rusqlite types.

mod corrections;
mod digests;
mod items;
mod lock;
mod messages;
mod outbox;
mod raw;
mod topics;

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use rusqlite::types::{FromSql, FromSqlError, FromSqlResult, ToSql, ToSqlOutput, ValueRef};
use rusqlite::{Connection, OpenFlags, OptionalExtension, params};

use crate::classify::Source;

pub(crate) use corrections::{Correction, CorrectionKind};
pub(crate) use digests::DigestState;
pub(crate) use items::{Item, ItemState, Mute, MuteKind};
pub(crate) use lock::RunLock;
pub(crate) use messages::{
    Checkpoint, ClassColumns, Counts, Incoming, Kept, LinkRef, Links, Location, Row, SkippedPart,
};
pub(crate) use outbox::{OutboxKind, OutboxState};
pub(crate) use raw::{Codec, Packer};
pub(crate) use topics::{Topic, TopicState};

const SCHEMA: &str = include_str!("schema.sql");
const VERSION: i64 = 8;
/// A migration step's work that SQL cannot do, in the step's transaction.
type Step = fn(&Connection) -> Result<()>;

/// Version 7's step, after migrate-7.sql: judgements found by their hash,
/// raw mail compressed with a dictionary.
fn migrate_to_7(conn: &Connection) -> Result<()> {
    messages::hash_judgements(conn)?;
    raw::compress_with_dictionary(conn)
}
/// Each step brings a store of the version before it to its own.
const MIGRATIONS: &[(i64, &str, Option<Step>)] = &[
    (2, include_str!("migrate-2.sql"), None),
    (3, include_str!("migrate-3.sql"), None),
    (
        4,
        include_str!("migrate-4.sql"),
        Some(raw::compress_plain_rows),
    ),
    (5, include_str!("migrate-5.sql"), None),
    (6, include_str!("migrate-6.sql"), None),
    (7, include_str!("migrate-7.sql"), Some(migrate_to_7)),
    // Version 8: a thread root that is the first guess, and an In-Reply-To
    // that is the last reference, are not written out (store/messages.rs).
    (
        8,
        concat!(
            "UPDATE messages AS m SET thread = NULL WHERE m.thread = ",
            messages::first_guess!()
        ),
        Some(messages::store_reply_to_compactly),
    ),
];

pub(crate) struct Store {
    conn: Connection,
    /// How deep in [`Store::transaction`] calls we are: only the outermost
    /// begins and commits.
    depth: u32,
    /// Messages found stored by their Message-ID in this process, by the
    /// `message::hash_key` of the bytes they came as: a byte-identical copy
    /// later in the run (`Incoming::seen`) finds its row here when those
    /// bytes differ from the stored ones.
    copies: std::collections::HashMap<u128, i64>,
    /// How raw mail is compressed and read back (`raw.rs`).
    raw: raw::Raw,
}

/// A stored state name this allears does not know (a newer allears wrote it,
/// or the file was edited).
#[derive(Debug, thiserror::Error)]
#[error("unknown {what} `{value}` in the store")]
pub(crate) struct UnknownValue {
    pub what: &'static str,
    pub value: String,
}

/// An enum kept in the store by name: `as_str`, `FromStr` (an error on an
/// unknown name), `Display`, `Serialize` as the name, and the SQL conversions.
macro_rules! text_enum {
    ($(#[$m:meta])* pub(crate) enum $name:ident { $($(#[$vm:meta])* $v:ident = $s:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub(crate) enum $name { $($(#[$vm])* $v),+ }

        impl $name {
            pub fn as_str(self) -> &'static str {
                match self { $($name::$v => $s),+ }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl std::str::FromStr for $name {
            type Err = $crate::store::UnknownValue;
            fn from_str(s: &str) -> std::result::Result<Self, Self::Err> {
                match s {
                    $($s => Ok($name::$v),)+
                    _ => Err($crate::store::UnknownValue { what: stringify!($name), value: s.to_string() }),
                }
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl rusqlite::types::ToSql for $name {
            fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
                Ok(self.as_str().into())
            }
        }

        impl rusqlite::types::FromSql for $name {
            fn column_result(v: rusqlite::types::ValueRef<'_>) -> rusqlite::types::FromSqlResult<Self> {
                v.as_str()?.parse().map_err(|e| rusqlite::types::FromSqlError::Other(Box::new(e)))
            }
        }
    };
}
pub(crate) use text_enum;

impl ToSql for Source {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(self.as_str().into())
    }
}

impl FromSql for Source {
    fn column_result(v: ValueRef<'_>) -> FromSqlResult<Self> {
        let s = v.as_str()?;
        s.parse().map_err(|_| {
            FromSqlError::Other(Box::new(UnknownValue {
                what: "source",
                value: s.to_string(),
            }))
        })
    }
}

pub(super) fn now() -> i64 {
    crate::clock::now().as_second()
}

/// SQLite's page cache, in KiB (negative: a size, not a count of pages).
/// 8 MB: R-help's import peaked 3 MB higher with 16 MB and was no faster.
pub(super) const CACHE_KIB: i64 = -8192;

impl Store {
    /// Open the store at `path`, or make a new one where no file is. A file
    /// that is there but is empty or not an allears store is never replaced
    /// or written to: that is an error saying so. `busy` bounds how long a
    /// statement waits for another writer (SQLite's busy timeout).
    pub fn open(path: &Path, busy: std::time::Duration) -> Result<Store> {
        let exists = match std::fs::metadata(path) {
            Ok(meta) => {
                check_existing(path, &meta)?;
                true
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => false,
            Err(e) => {
                return Err(e).with_context(|| format!("reading the store {}", path.display()));
            }
        };
        if !exists
            && let Some(dir) = path.parent()
            && !dir.as_os_str().is_empty()
        {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("creating folder {}", dir.display()))?;
        }
        // An existing file is opened without SQLITE_OPEN_CREATE: if it went
        // away meanwhile, that is an error, not a new store.
        let mut flags = OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_URI
            | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        if !exists {
            flags |= OpenFlags::SQLITE_OPEN_CREATE;
        }
        let conn = Connection::open_with_flags(path, flags)
            .with_context(|| format!("opening the store {}", path.display()))?;
        conn.busy_timeout(busy)?;
        Self::init(conn).with_context(|| format!("preparing the store {}", path.display()))
    }

    #[cfg(test)]
    pub fn in_memory() -> Result<Store> {
        Self::init(Connection::open_in_memory()?)
    }

    fn init(conn: Connection) -> Result<Store> {
        // Raw mail makes rows of a few KiB: larger pages and cache mean fewer
        // page splits and writes (page_size only takes effect on a new file).
        conn.pragma_update(None, "page_size", 16384)?;
        conn.pragma_update(None, "cache_size", CACHE_KIB)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "wal_autocheckpoint", 2000)?;
        // A bulk import's transactions make a WAL of hundreds of MB: cut
        // back after each checkpoint rather than kept at its largest.
        conn.pragma_update(None, "journal_size_limit", 64i64 << 20)?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        let version: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
        let tables: i64 = conn.query_row(
            "SELECT count(*) FROM sqlite_master WHERE type = 'table'",
            [],
            |r| r.get(0),
        )?;
        let ours: i64 = conn.query_row(
            "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN ('messages', 'settings')",
            [],
            |r| r.get(0),
        )?;
        // A database with tables that are not ours (or ours without a
        // version) belongs to someone else: never add to it.
        if (version == 0 && tables > 0) || (version > 0 && ours < 2) {
            anyhow::bail!(
                "it is an SQLite database, but not an allears store (no allears tables or schema version): allears will not write to it; point --db or [store] path elsewhere"
            );
        }
        if version == 0 {
            conn.execute_batch(&format!(
                "BEGIN; {SCHEMA}; PRAGMA user_version = {VERSION}; COMMIT;"
            ))?;
        } else if version > VERSION {
            anyhow::bail!(
                "the store has schema version {version}, newer than this allears ({VERSION}); upgrade allears"
            );
        }
        for (to, sql, step) in MIGRATIONS
            .iter()
            .filter(|(to, _, _)| *to > version && version > 0)
        {
            let migrate = || -> Result<()> {
                conn.execute_batch(&format!("BEGIN IMMEDIATE; {sql};"))?;
                if let Some(step) = step {
                    step(&conn)?;
                }
                conn.execute_batch(&format!("PRAGMA user_version = {to}; COMMIT;"))?;
                Ok(())
            };
            if let Err(e) = migrate() {
                if !conn.is_autocommit() {
                    let _ = conn.execute_batch("ROLLBACK");
                }
                return Err(e.context(format!("bringing the store to schema version {to}")));
            }
        }
        // An upgrade leaves the pages of what it moved or dropped empty (a
        // version 4 store of R-help: 449 MB, 340 MB once compacted): give
        // them back, once. Version 7 compresses the mail again and moves
        // the locations, version 8 rewrites most rows: the same.
        if version > 0 && version < 8 {
            tracing::info!("compacting the store after its upgrade to version {VERSION}");
            conn.execute_batch("VACUUM")
                .context("compacting the store after its upgrade")?;
        }
        Ok(Store {
            raw: raw::Raw::open(&conn)?,
            conn,
            depth: 0,
            copies: Default::default(),
        })
    }

    /// How new mail is compressed, for the threads that judge it.
    pub fn packer(&self) -> std::sync::Arc<Packer> {
        std::sync::Arc::clone(&self.raw.packer)
    }

    /// Run `f` in one transaction: committed when it returns Ok, rolled back
    /// when it returns an error. Inside another transaction it joins that one.
    pub fn transaction<T>(&mut self, f: impl FnOnce(&mut Store) -> Result<T>) -> Result<T> {
        if self.depth > 0 {
            self.depth += 1;
            let r = f(self);
            self.depth -= 1;
            return r;
        }
        self.conn.execute_batch("BEGIN IMMEDIATE")?;
        self.depth = 1;
        let r = f(self);
        self.depth = 0;
        let r = r.and_then(|v| {
            self.conn.execute_batch("COMMIT")?;
            Ok(v)
        });
        if r.is_err() && !self.conn.is_autocommit() {
            let _ = self.conn.execute_batch("ROLLBACK");
        }
        if r.is_err() {
            // It may name rows the rollback took back.
            self.copies.clear();
        }
        r
    }

    /// Open a transaction that the batches saved next join, until
    /// [`Store::end_group`]: bulk imports commit every few thousand
    /// messages instead of every batch. Each commit writes every page it
    /// touched to the WAL, and inserts land on random pages of the
    /// Message-ID and content hash indexes: committed per batch of 500, the
    /// WAL took 3.2 GB of writes for R-help's 446 MB store.
    pub fn begin_group(&mut self) -> Result<()> {
        if self.depth == 0 {
            self.conn.execute_batch("BEGIN IMMEDIATE")?;
            self.depth = 1;
        }
        Ok(())
    }

    /// Commit the group [`Store::begin_group`] opened, or roll it back
    /// (`keep` false: a batch in it failed part way).
    pub fn end_group(&mut self, keep: bool) -> Result<()> {
        if self.depth != 1 {
            return Ok(());
        }
        self.depth = 0;
        if keep {
            let done = self.conn.execute_batch("COMMIT");
            if done.is_ok() {
                return Ok(());
            }
            if !self.conn.is_autocommit() {
                let _ = self.conn.execute_batch("ROLLBACK");
            }
            self.copies.clear();
            return Ok(done?);
        }
        if !self.conn.is_autocommit() {
            self.conn.execute_batch("ROLLBACK")?;
        }
        self.copies.clear();
        Ok(())
    }

    /// A file beside the store for advisory locks (`allears.db.send-lock`); none in memory.
    pub fn lock_path(&self, what: &str) -> Option<PathBuf> {
        self.conn
            .path()
            .filter(|p| !p.is_empty())
            .map(|p| PathBuf::from(format!("{p}.{what}-lock")))
    }

    // ---- settings ----------------------------------------------------------

    fn setting(&self, key: &str) -> Result<Option<String>> {
        Ok(self
            .conn
            .query_row("SELECT value FROM settings WHERE key = ?1", [key], |r| {
                r.get(0)
            })
            .optional()?)
    }

    fn set_setting(&self, key: &str, value: &str) -> Result<()> {
        self.conn.execute(
            "INSERT INTO settings (key, value) VALUES (?1, ?2)
             ON CONFLICT (key) DO UPDATE SET value = ?2",
            params![key, value],
        )?;
        Ok(())
    }

    /// What the stored judgements were made with (`analyze::ensure_current`).
    pub fn judged_with(&self) -> Result<Option<String>> {
        self.setting("judged_with")
    }

    pub fn set_judged_with(&mut self, what: &str) -> Result<()> {
        self.set_setting("judged_with", what)
    }

    /// The secret token of the digest for `period`, which lets the owner's
    /// replies to it command allears: made with the digest's first build,
    /// the same for every retry of it.
    pub fn digest_token(&mut self, period: &str) -> Result<String> {
        let found: Option<String> = self
            .conn
            .query_row(
                "SELECT token FROM tokens WHERE period = ?1",
                [period],
                |r| r.get(0),
            )
            .optional()?;
        if let Some(t) = found {
            return Ok(t);
        }
        let token = random_token()?;
        self.conn.execute(
            "INSERT INTO tokens (token, period, made_at) VALUES (?1, ?2, ?3)",
            params![token, period, now()],
        )?;
        Ok(token)
    }

    /// Every digest's token and when it was made (unix seconds), newest first.
    pub fn digest_tokens(&self) -> Result<Vec<(String, i64)>> {
        let mut stmt = self
            .conn
            .prepare("SELECT token, made_at FROM tokens ORDER BY made_at DESC")?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Were messages or places added since threads and answers were last
    /// brought up to date?
    pub fn refresh_pending(&self) -> Result<bool> {
        Ok(self.setting("refresh_pending")?.is_some())
    }

    /// Hand back the page cache's memory (SQLite fills it again as needed).
    pub fn shrink_memory(&self) -> Result<()> {
        self.conn.execute_batch("PRAGMA shrink_memory")?;
        crate::usage::give_back();
        Ok(())
    }

    pub fn refresh_done(&mut self) -> Result<()> {
        self.conn
            .execute("DELETE FROM settings WHERE key = 'refresh_pending'", [])?;
        Ok(())
    }
}

/// An existing store file must be a regular, non-empty SQLite file: an empty
/// one (truncated, or made by something else) would otherwise silently
/// become a new, empty store, and every item, topic and digest be gone.
fn check_existing(path: &Path, meta: &std::fs::Metadata) -> Result<()> {
    use std::io::Read;
    let name = path.display();
    if !meta.is_file() {
        anyhow::bail!("the store {name} is not a regular file: not an allears store");
    }
    if meta.len() == 0 {
        anyhow::bail!(
            "the store {name} exists but is empty (0 bytes): it is not an allears store any more (truncated?), and allears will not replace it with a new one. Restore it from a backup, or move it away to start a new store"
        );
    }
    let mut head = [0u8; 16];
    let n = std::fs::File::open(path)
        .and_then(|mut f| f.read(&mut head))
        .with_context(|| format!("reading the store {name}"))?;
    if n < head.len() || &head != b"SQLite format 3\0" {
        anyhow::bail!(
            "the store {name} is not an allears store (not an SQLite database): allears will not replace it; point --db or [store] path elsewhere, or move it away"
        );
    }
    Ok(())
}

/// 16 random bytes as 32 lowercase hex digits, from the kernel.
fn random_token() -> Result<String> {
    use std::io::Read;
    let mut bytes = [0u8; 16];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut bytes))
        .context("reading /dev/urandom for the command token")?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    const WAIT: std::time::Duration = std::time::Duration::from_secs(1);

    /// What each schema version added, undone: a store of this allears
    /// taken back to version N runs the steps of the versions above N.
    const UNDO: &[(i64, &str)] = &[
        (
            7,
            "DROP TABLE dictionaries;
             DROP TABLE locations; DROP TABLE places;
             CREATE TABLE locations (message INTEGER NOT NULL REFERENCES messages(id),
                 place TEXT NOT NULL, uid INTEGER NOT NULL DEFAULT 0, sent INTEGER NOT NULL DEFAULT 0,
                 PRIMARY KEY (place, uid, message));
             CREATE INDEX locations_message ON locations(message);
             DROP TABLE classes; DROP TABLE contexts;
             CREATE TABLE classes (id INTEGER PRIMARY KEY, json TEXT NOT NULL UNIQUE);
             CREATE TABLE contexts (id INTEGER PRIMARY KEY, json TEXT NOT NULL UNIQUE);",
        ),
        (6, "DROP TABLE skipped_parts;"),
        (
            5,
            "DROP TABLE classes; DROP TABLE contexts;
             ALTER TABLE messages DROP COLUMN class_id; ALTER TABLE messages DROP COLUMN context_id;
             ALTER TABLE messages ADD COLUMN class TEXT NOT NULL DEFAULT '{}';
             ALTER TABLE messages ADD COLUMN context TEXT NOT NULL DEFAULT '{}';",
        ),
        (4, "ALTER TABLE raw DROP COLUMN codec;"),
        (3, "DROP TABLE corrections; DROP TABLE topic_phrases;"),
        (
            2,
            "ALTER TABLE messages DROP COLUMN too_large; DROP TABLE tokens; DROP TABLE applied;",
        ),
    ];

    /// A store as allears `version` left it, with `then` run in it: its
    /// folder (kept while the test runs), its path, and a connection to it.
    fn store_as_of(version: i64, then: &str) -> (tempfile::TempDir, PathBuf, Connection) {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("allears.db");
        drop(Store::open(&db, WAIT).unwrap());
        let old = Connection::open(&db).unwrap();
        for (_, undo) in UNDO.iter().filter(|(v, _)| *v > version) {
            old.execute_batch(undo).unwrap();
        }
        old.execute_batch(&format!("{then} PRAGMA user_version = {version};"))
            .unwrap();
        (dir, db, old)
    }

    fn version_of(s: &Store) -> i64 {
        s.conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .unwrap()
    }

    #[test]
    fn a_transaction_rolls_back_on_error_and_nests() {
        let mut s = Store::in_memory().unwrap();
        let r: Result<()> = s.transaction(|s| {
            s.set_setting("a", "1")?;
            s.transaction(|s| s.set_setting("b", "2"))?;
            anyhow::bail!("stop")
        });
        assert!(r.is_err());
        assert_eq!(s.setting("a").unwrap(), None);
        assert_eq!(s.setting("b").unwrap(), None);
        s.transaction(|s| s.set_setting("a", "1")).unwrap();
        assert_eq!(s.setting("a").unwrap().as_deref(), Some("1"));
    }

    #[test]
    fn a_version_2_store_gains_the_version_3_tables_and_keeps_its_mail() {
        let (_dir, db, old) = store_as_of(
            2,
            "INSERT INTO messages (message_id, content_hash, imported_at) VALUES ('m@x', 'h', 0);",
        );
        drop(old);
        let s = Store::open(&db, WAIT).unwrap();
        assert_eq!(s.message_count().unwrap(), 1);
        assert!(s.corrections().unwrap().is_empty());
        assert_eq!(version_of(&s), VERSION);
    }

    #[test]
    fn a_version_3_store_has_its_raw_mail_compressed_and_loses_nothing() {
        // What version 3 looked like: raw bytes as they came, no codec.
        let (_dir, db, old) = store_as_of(3, "");
        let mut mails = Vec::new();
        for i in 0..600i64 {
            // Some bytes that are no UTF-8, and an empty message, come back too.
            let mut raw = format!(
                "Message-ID: <m{i}@x>\r\nSubject: number {i}\r\n\r\nbody {i}\r\n{}",
                "the same line again\r\n".repeat(i as usize % 50)
            )
            .into_bytes();
            raw.extend_from_slice(b"\xff\xfe\r\n");
            let raw = if i == 7 { Vec::new() } else { raw };
            old.execute(
                "INSERT INTO messages (id, message_id, content_hash, imported_at) VALUES (?1, ?2, 'h', 0)",
                params![i + 1, format!("m{i}@x")],
            )
            .unwrap();
            old.execute(
                "INSERT INTO raw (message, bytes) VALUES (?1, ?2)",
                params![i + 1, raw],
            )
            .unwrap();
            mails.push(raw);
        }
        drop(old);
        let s = Store::open(&db, WAIT).unwrap();
        assert_eq!(version_of(&s), VERSION);
        let plain: i64 = s
            .conn
            .query_row("SELECT count(*) FROM raw WHERE codec = 0", [], |r| r.get(0))
            .unwrap();
        assert_eq!(plain, 0, "every row is compressed");
        for (i, raw) in mails.iter().enumerate() {
            assert_eq!(
                s.raw(&format!("m{i}@x")).unwrap().as_ref(),
                Some(raw),
                "message {i}"
            );
        }
        let (mut seen, mut after) = (0, i64::MIN);
        while let Some(last) = s.raw_page(after, 100).unwrap().last().map(|k| k.id) {
            for k in s.raw_page(after, 100).unwrap() {
                assert_eq!(k.raw, mails[k.id as usize - 1]);
                seen += 1;
            }
            after = last;
        }
        assert_eq!(seen, mails.len());
    }

    #[test]
    fn a_version_4_store_keeps_each_judgement_once_and_reads_them_back() {
        // What version 4 looked like: each message's judgement as its own JSON.
        let (_dir, db, old) = store_as_of(4, "");
        let list = r#"{"source":"list","asks_owner":false,"question":"","topics":[],"reasons":[],"context":{"list_id":"r.example"}}"#;
        let asks = r#"{"source":"direct","asks_owner":true,"question":"Why?","topics":[],"reasons":[],"context":{}}"#;
        for i in 0..50 {
            let (class, context) = if i == 7 {
                (asks, "{}")
            } else {
                (list, r#"{"list_id":"r.example"}"#)
            };
            old.execute(
                "INSERT INTO messages (message_id, content_hash, imported_at, class, context) VALUES (?1, 'h', 0, ?2, ?3)",
                params![format!("m{i}@x"), class, context],
            )
            .unwrap();
        }
        drop(old);
        let s = Store::open(&db, WAIT).unwrap();
        assert_eq!(version_of(&s), VERSION);
        let count = |t: &str| -> i64 {
            s.conn
                .query_row(&format!("SELECT count(*) FROM {t}"), [], |r| r.get(0))
                .unwrap()
        };
        assert_eq!((count("classes"), count("contexts")), (2, 2));
        let asking = s.row_by_message_id("m7@x").unwrap().unwrap();
        assert!(asking.class.asks_owner);
        assert_eq!(asking.class.question, "Why?");
        let other = s.row_by_message_id("m8@x").unwrap().unwrap();
        assert_eq!(other.class.source, crate::classify::Source::List);
        assert_eq!(other.class.context.list_id.as_deref(), Some("r.example"));
        let mut lists = 0;
        s.for_each_link(|l| {
            lists += usize::from(l.list_id == Some("r.example"));
            Ok(())
        })
        .unwrap();
        assert_eq!(lists, 49);
    }

    #[test]
    fn a_version_5_store_gains_the_skipped_parts_table_and_keeps_its_mail() {
        let (_dir, db, old) = store_as_of(
            5,
            "INSERT INTO messages (id, message_id, content_hash, imported_at) VALUES (1, 'm@x', 'h', 0);\n             INSERT INTO raw (message, bytes, codec) VALUES (1, CAST('Subject: x' AS BLOB), 0);",
        );
        drop(old);
        let s = Store::open(&db, WAIT).unwrap();
        assert_eq!(version_of(&s), VERSION);
        assert_eq!(s.raw("m@x").unwrap().as_deref(), Some(&b"Subject: x"[..]));
        assert!(s.skipped_parts("m@x").unwrap().is_empty());
    }

    /// Mail unlike each other enough for zstd to train a dictionary on:
    /// words drawn by a fixed generator, a list footer they all share.
    pub(super) fn varied_mail(i: usize) -> Vec<u8> {
        const WORDS: &[&str] = &[
            "model",
            "vector",
            "package",
            "install",
            "error",
            "warning",
            "mean",
            "data",
            "frame",
            "plot",
            "lattice",
            "matrix",
            "rows",
            "columns",
            "factor",
            "levels",
            "help",
            "please",
            "thanks",
            "version",
            "windows",
            "linux",
            "regression",
            "variance",
            "sample",
            "loop",
        ];
        let mut x = (i as u64)
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let mut body = String::new();
        for n in 0..(40 + i % 200) {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            body.push_str(WORDS[(x >> 33) as usize % WORDS.len()]);
            body.push_str(if n % 12 == 11 { ".\r\n" } else { " " });
        }
        format!(
            "From: user{} at example.org\r\nMessage-ID: <m{i}@x>\r\nSubject: [R] question {}\r\n\r\n{body}\r\n\
             ______________________________________________\r\nR-help@r-project.org mailing list\r\n\
             https://stat.ethz.ch/mailman/listinfo/r-help\r\n",
            i % 97,
            x % 1000,
        )
        .into_bytes()
    }

    #[test]
    fn a_version_6_store_is_made_smaller_and_loses_nothing() {
        // What version 6 looked like: hex content hashes, places spelled out
        // in every location, judgements unique by their JSON, mail in zstd
        // frames without a dictionary.
        let (_dir, db, old) = store_as_of(6, "");
        let class = r#"{"source":"list","asks_owner":false,"question":"","topics":[],"reasons":[],"context":{"list_id":"r.example"}}"#;
        old.execute_batch(&format!(
            "INSERT INTO classes (id, json) VALUES (1, '{class}'); INSERT INTO contexts (id, json) VALUES (1, '{{}}');"
        ))
        .unwrap();
        // Enough mail for the store's first dictionary.
        let n = raw::FIRST_AFTER + 200;
        let mut mails = Vec::new();
        for i in 0..n {
            let raw = varied_mail(i);
            let (id, uid) = (i as i64 + 1, i as i64);
            let hash = crate::message::content_hash(&raw);
            old.execute(
                "INSERT INTO messages (id, message_id, content_hash, imported_at, class_id, context_id)
                 VALUES (?1, ?2, ?3, 0, 1, 1)",
                params![id, format!("m{i}@x"), hash],
            )
            .unwrap();
            old.execute(
                "INSERT INTO raw (message, bytes, codec) VALUES (?1, ?2, 1)",
                params![id, zstd::bulk::compress(&raw, 1).unwrap()],
            )
            .unwrap();
            old.execute(
                "INSERT INTO locations (message, place, uid, sent) VALUES (?1, ?2, ?3, 0)",
                params![id, format!("file:/mail/{}.txt", i % 3), uid],
            )
            .unwrap();
            mails.push((raw, hash));
        }
        drop(old);
        let mut s = Store::open(&db, WAIT).unwrap();
        assert_eq!(version_of(&s), VERSION);
        let codecs: Vec<(i64, i64)> = s
            .conn
            .prepare("SELECT codec, count(*) FROM raw GROUP BY codec")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        assert_eq!(
            codecs,
            vec![(2, n as i64)],
            "every message made with the dictionary"
        );
        let known = s.content_hashes().unwrap();
        for (i, (raw, hash)) in mails.iter().enumerate() {
            assert_eq!(
                s.raw(&format!("m{i}@x")).unwrap().as_ref(),
                Some(raw),
                "message {i}"
            );
            assert!(
                known.contains(&crate::message::hash_key(hash)),
                "message {i}'s hash"
            );
        }
        let row = s.row_by_message_id("m4@x").unwrap().unwrap();
        assert_eq!(row.places, vec!["file:/mail/1.txt".to_string()]);
        assert_eq!(row.class.context.list_id.as_deref(), Some("r.example"));
        // A copy found by its bytes, at a new place, joins its message.
        let mut copy = crate::store::Incoming::seen(
            mails[4].1.clone(),
            crate::store::Location {
                place: "file:/elsewhere".into(),
                uid: 0,
                sent: false,
            },
        );
        copy.seen = true;
        let counts = s.save_batch(&[copy], None).unwrap();
        assert_eq!((counts.new, counts.known), (0, 1));
        assert_eq!(
            s.row_by_message_id("m4@x").unwrap().unwrap().places.len(),
            2
        );
        // Judged alike again: the judgement is found, not kept twice.
        let c = s.row_by_message_id("m4@x").unwrap().unwrap().class;
        s.update_classes(&[(5, c)]).unwrap();
        let classes: i64 = s
            .conn
            .query_row("SELECT count(*) FROM classes", [], |r| r.get(0))
            .unwrap();
        assert!(classes <= 2, "{classes} judgements");
    }

    #[test]
    fn large_mail_is_kept_without_the_dictionary_and_only_small_mail_is_compressed_again() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = Store::open(&dir.path().join("s.db"), WAIT).unwrap();
        let owner = crate::config::Owner::new("Robin Ellis", &["robin@ellis-on-it.example"]);
        // Every 50th message carries an attachment of 100 KB.
        let mail = |i: usize| {
            let mut raw = varied_mail(i);
            if i.is_multiple_of(50) {
                raw.extend(
                    (0..100_000).map(|n| b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdef0123"[(n * 7 + i) % 36]),
                );
            }
            raw
        };
        let n = raw::FIRST_AFTER + 300;
        for start in (0..n).step_by(100) {
            let batch: Vec<_> = (start..start + 100)
                .map(|i| {
                    let at = Location {
                        place: "file:/mail".into(),
                        uid: i as u32,
                        sent: false,
                    };
                    crate::import::prepare(mail(i), at, &owner)
                })
                .collect();
            s.save_batch(&batch, None).unwrap();
        }
        let codec_of = |i: usize| -> i64 {
            s.conn
                .query_row(
                    "SELECT codec FROM raw JOIN messages ON messages.id = raw.message WHERE message_id = ?1",
                    [format!("m{i}@x")],
                    |r| r.get(0),
                )
                .unwrap()
        };
        // Before the dictionary and after it, small mail ends with it, large mail without.
        for i in [1, 7, 1999, 2001, n - 1] {
            assert_eq!(codec_of(i), raw::Codec::ZstdDict as i64, "message {i}");
        }
        for i in [0, 50, 1950, 2050, n - 50] {
            assert_eq!(codec_of(i), raw::Codec::Zstd as i64, "message {i}");
        }
        for i in 0..n {
            assert_eq!(
                s.raw(&format!("m{i}@x")).unwrap(),
                Some(mail(i)),
                "message {i}"
            );
        }
    }

    #[test]
    fn a_version_7_store_keeps_its_links_and_reads_them_back_the_same() {
        // Version 7 wrote every thread root and In-Reply-To out.
        let (_dir, db, old) = store_as_of(7, "");
        // (message id, In-Reply-To, references, thread root)
        let rows = [
            ("a@x", None, "", Some("a@x")),
            ("b@x", Some("a@x"), "a@x", Some("a@x")),
            ("c@x", Some("b@x"), "a@x b@x", Some("a@x")),
            // In-Reply-To that is not the last reference; a root threading moved.
            ("d@x", Some("a@x"), "z@x b@x", Some("a@x")),
            // References without In-Reply-To; In-Reply-To without references.
            ("e@x", None, "a@x c@x", Some("a@x")),
            ("f@x", Some("e@x"), "", Some("a@x")),
            // Not threaded yet.
            ("g@x", None, "q@x", None),
        ];
        for (i, (id, irt, refs, thread)) in rows.iter().enumerate() {
            old.execute(
                "INSERT INTO messages (id, message_id, content_hash, imported_at, in_reply_to, refs, thread)
                 VALUES (?1, ?2, x'00', 0, ?3, ?4, ?5)",
                params![i as i64 + 1, id, irt, refs, thread],
            )
            .unwrap();
        }
        drop(old);
        let s = Store::open(&db, WAIT).unwrap();
        assert_eq!(version_of(&s), VERSION);
        let written: i64 = s
            .conn
            .query_row(
                "SELECT count(thread) + count(in_reply_to) FROM messages",
                [],
                |r| r.get(0),
            )
            .unwrap();
        // d's root and In-Reply-To, f's root and In-Reply-To, and e's and g's missing In-Reply-To ('').
        assert_eq!(written, 6, "only what the references do not say is written");
        let mut read = Vec::new();
        s.for_each_link(|l| {
            read.push((
                l.message_id.to_string(),
                l.in_reply_to.map(str::to_string),
                l.thread.map(str::to_string),
            ));
            Ok(())
        })
        .unwrap();
        let heads = s.links().unwrap();
        for (i, (id, irt, _, thread)) in rows.iter().enumerate() {
            let thread = thread.unwrap_or(if i == 6 { "q@x" } else { id });
            assert_eq!(read[i].0, *id);
            assert_eq!(read[i].1.as_deref(), *irt, "{id}'s In-Reply-To");
            assert_eq!(read[i].2.as_deref(), Some(thread), "{id}'s thread");
            assert_eq!(heads[i].in_reply_to.as_deref(), *irt, "{id}'s In-Reply-To");
            let row = s.row_by_message_id(id).unwrap().unwrap();
            assert_eq!(row.thread.as_deref(), Some(thread), "{id}'s row");
        }
    }

    #[test]
    fn a_row_in_an_unknown_codec_is_an_error_not_garbage() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("allears.db");
        let s = Store::open(&db, std::time::Duration::from_secs(1)).unwrap();
        s.conn
            .execute_batch(
                "INSERT INTO messages (id, message_id, content_hash, imported_at) VALUES (1, 'a@x', 'h', 0);
                 INSERT INTO raw (message, bytes, codec) VALUES (1, x'00', 9);",
            )
            .unwrap();
        let err = s.raw("a@x").unwrap_err();
        assert!(format!("{err:#}").contains("codec 9"), "{err:#}");
    }

    #[test]
    fn a_version_1_store_is_brought_to_version_2() {
        // What version 1 looked like, with the one token it kept.
        let (_dir, db, old) = store_as_of(
            1,
            "INSERT INTO settings (key, value) VALUES ('command_token', 'c0ffee');",
        );
        drop(old);
        let s = Store::open(&db, WAIT).unwrap();
        assert_eq!(version_of(&s), VERSION);
        let tokens = s.digest_tokens().unwrap();
        assert_eq!(tokens.len(), 1);
        assert_eq!(
            tokens[0].0, "c0ffee",
            "the old token still commands, for a while"
        );
        assert!(s.too_large().unwrap().is_empty());
        assert_eq!(s.setting("command_token").unwrap(), None);
    }

    #[test]
    fn an_unknown_stored_state_is_an_error_not_a_default() {
        let mut s = Store::in_memory().unwrap();
        let item = s.item_for("msg:a").unwrap();
        s.conn
            .execute(
                "UPDATE items SET state = 'frobbed' WHERE id = ?1",
                [item.id],
            )
            .unwrap();
        let err = s.item(item.id).unwrap_err();
        assert!(format!("{err:#}").contains("frobbed"), "{err:#}");
    }
}
