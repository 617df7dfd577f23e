-- allears state, version 8. Applied by store/mod.rs when PRAGMA user_version is 0;
-- a store of an earlier version is brought up to date by migrate-N.sql.
-- Every message is kept once with its raw bytes (compressed), so classification can be re-run.

CREATE TABLE messages (
    id            INTEGER PRIMARY KEY,
    message_id    TEXT NOT NULL UNIQUE,       -- without angle brackets; synthetic when missing
    content_hash  BLOB NOT NULL,              -- the first 16 bytes of the raw bytes' SHA-256
    parse_error   TEXT,
    subject       TEXT NOT NULL DEFAULT '',
    from_name     TEXT NOT NULL DEFAULT '',
    from_addr     TEXT NOT NULL DEFAULT '',
    date          INTEGER,                    -- unix seconds UTC
    date_offset   INTEGER,                    -- minutes east of UTC, as written
    in_reply_to   TEXT,                       -- NULL: the last of refs (or none); '': none
    refs          TEXT NOT NULL DEFAULT '',   -- space separated ids
    imported_at   INTEGER NOT NULL,
    -- classification (classify/), recomputed by `allears reclassify`
    source        TEXT NOT NULL DEFAULT 'direct',
    asks_owner    INTEGER NOT NULL DEFAULT 0,
    class_id      INTEGER,                    -- classes(id): the whole Classification, reasons included
    context_id    INTEGER,                    -- contexts(id): its Context alone (list, post, comment links)
    topics        TEXT NOT NULL DEFAULT '[]', -- JSON: its topic requests alone
    -- derived over the whole store after each import
    answered_by   TEXT,                       -- message id of the owner's reply
    thread        TEXT,                       -- message id of the thread's root; NULL: refs' first, else message_id
    too_large     INTEGER                     -- its size in bytes, when over the limit: only its header is kept
);
CREATE INDEX messages_hash ON messages(content_hash);

-- Judgements (JSON) and their contexts, each kept once (version 5): most
-- list mail is judged alike (R-help: 19,400 judgements for 169,000
-- messages, 18 contexts). Unused rows go after `reclassify` and refreshes.
-- Found by `hash`, the first 8 bytes of the JSON's SHA-256 (version 7: a
-- unique index on the JSON kept a second copy of it, 16 MB on R-help).
CREATE TABLE classes (id INTEGER PRIMARY KEY, hash INTEGER NOT NULL, json TEXT NOT NULL);
CREATE INDEX classes_hash ON classes(hash);
CREATE TABLE contexts (id INTEGER PRIMARY KEY, hash INTEGER NOT NULL, json TEXT NOT NULL);
CREATE INDEX contexts_hash ON contexts(hash);

-- The raw bytes, apart: derived columns of messages are updated often, and a
-- row update rewrites the whole row. Compressed (version 4, store/raw.rs).
CREATE TABLE raw (
    message INTEGER PRIMARY KEY REFERENCES messages(id),
    bytes   BLOB NOT NULL,
    codec   INTEGER NOT NULL DEFAULT 0          -- 0: as it came, 1: one zstd frame, 2: one made with a dictionary
);

-- zstd dictionaries trained on the store's own mail (version 7, store/raw.rs):
-- a frame made with one names its id.
CREATE TABLE dictionaries (
    id           INTEGER PRIMARY KEY,           -- zstd's dictionary id
    bytes        BLOB NOT NULL,
    made_at      INTEGER NOT NULL,
    last_message INTEGER NOT NULL               -- the newest message it was trained on
);
CREATE INDEX messages_open ON messages(asks_owner, answered_by);

-- The parts of a large message fetched over IMAP that were left on the
-- server (version 6, source/imap/partial.rs): its header and text parts are
-- in raw, each other part's body is not. A message with rows here was stored
-- without its attachments.
CREATE TABLE skipped_parts (
    message INTEGER NOT NULL REFERENCES messages(id),
    part    TEXT NOT NULL,                  -- IMAP part number: "2", "1.3"
    type    TEXT NOT NULL,                  -- MIME type, lower case
    name    TEXT NOT NULL DEFAULT '',       -- its file name, when it has one
    size    INTEGER NOT NULL,               -- bytes as sent (transfer-encoded)
    PRIMARY KEY (message, part)
);

-- Where each message lives: a local file, or an IMAP folder and UID. Each
-- place is named once (version 7: R-help's 172,000 locations repeated 270
-- file names, 13 MB with their index).
CREATE TABLE places (
    id    INTEGER PRIMARY KEY,
    place TEXT NOT NULL UNIQUE                -- "file:PATH" or "imap:ACCOUNT/FOLDER"
);
CREATE TABLE locations (
    message   INTEGER NOT NULL REFERENCES messages(id),
    place     INTEGER NOT NULL REFERENCES places(id),
    uid       INTEGER NOT NULL DEFAULT 0,     -- IMAP UID, or the message's index in an mbox
    sent      INTEGER NOT NULL DEFAULT 0,     -- the place is the owner's sent mail
    PRIMARY KEY (place, uid, message)
) WITHOUT ROWID;
CREATE INDEX locations_message ON locations(message);

-- IMAP checkpoints: committed in the same transaction as the batch they cover.
CREATE TABLE folders (
    account     TEXT NOT NULL,
    folder      TEXT NOT NULL,
    uidvalidity INTEGER NOT NULL,
    last_uid    INTEGER NOT NULL,
    PRIMARY KEY (account, folder)
);

-- Topics readers asked for; ids are the "T3" of the digest.
CREATE TABLE topics (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    key         TEXT NOT NULL UNIQUE,         -- normalized subject key
    label       TEXT NOT NULL,
    merged_into INTEGER REFERENCES topics(id),
    state       TEXT NOT NULL DEFAULT 'open', -- open, planned, written, dropped (store/topics.rs TopicState)
    link        TEXT
);

-- Items of the digest; ids are the "#12" of the digest and never reused.
CREATE TABLE items (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    key          TEXT NOT NULL UNIQUE,        -- "msg:MESSAGE-ID"
    state        TEXT NOT NULL DEFAULT 'open',-- open, done, ignored, muted (store/items.rs ItemState)
    snooze_until INTEGER,
    first_shown  INTEGER,                     -- set once a digest with it was accepted
    last_shown   INTEGER,
    closed_at    INTEGER
);

-- Muted threads and senders.
CREATE TABLE mutes (
    kind  TEXT NOT NULL,                      -- thread, sender
    value TEXT NOT NULL,
    PRIMARY KEY (kind, value)
);

-- Each digest goes built -> sending -> sent; a pending one is retried with the same Message-ID.
CREATE TABLE digests (
    id          INTEGER PRIMARY KEY,
    period      TEXT NOT NULL UNIQUE,         -- the day it is for, in the owner's zone
    message_id  TEXT NOT NULL,
    state       TEXT NOT NULL,                -- built, sending, sent, skipped, superseded (store/digests.rs)
    built_at    INTEGER NOT NULL,
    sent_at     INTEGER,
    eml         BLOB NOT NULL,
    items       TEXT NOT NULL DEFAULT '[]'    -- JSON list of item ids shown
);

-- Command messages already processed (reply-by-mail), and mail allears sent for the owner.
CREATE TABLE commands (
    message_id   TEXT PRIMARY KEY,
    processed_at INTEGER NOT NULL,
    accepted     INTEGER NOT NULL,
    outcome      TEXT NOT NULL
);

-- Commands applied, once per item (or topic) and verb, whatever message
-- carried them: a repeat is reported, not applied again.
CREATE TABLE applied (
    target  TEXT NOT NULL,                    -- "#12", "T3"
    verb    TEXT NOT NULL,                    -- "reply", "done", "tell", ...
    command TEXT NOT NULL,                    -- Message-ID of the command message, or "cli:..."
    at      INTEGER NOT NULL,
    PRIMARY KEY (target, verb)
);

-- Readers told that the topic they asked for was written (`T3 tell`): once each.
CREATE TABLE told (
    topic   INTEGER NOT NULL REFERENCES topics(id),
    address TEXT NOT NULL,
    at      INTEGER NOT NULL,
    PRIMARY KEY (topic, address)
);

-- Each digest's secret token: a reply carrying it may command, for
-- [commands] token_days after it was made.
CREATE TABLE tokens (
    token   TEXT PRIMARY KEY,
    period  TEXT NOT NULL UNIQUE,             -- the digest's period (digests.period)
    made_at INTEGER NOT NULL
);

-- Small settings allears keeps for itself.
CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- Mail allears sends because the owner commanded it (answers, notes, results).
-- Queued in the transaction that applies the command; sent and marked after.
CREATE TABLE outbox (
    id         INTEGER PRIMARY KEY,
    command    TEXT NOT NULL,                 -- Message-ID of the command message, or "cli"
    recipient  TEXT NOT NULL,
    eml        BLOB NOT NULL,
    what       TEXT NOT NULL,
    kind       TEXT NOT NULL,                 -- answer, tell, results
    told_topic INTEGER,
    state      TEXT NOT NULL DEFAULT 'pending', -- pending, sent, cancelled (store/outbox.rs)
    attempts   INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    sent_at    INTEGER
);

-- What the owner taught allears (version 3): a false "needs a reply" (`#12
-- not-for-me`), a miss (`#12 needs-reply`), and the phrases of topics the
-- owner merged, so later requests in either wording join the topic that
-- stays. Judgement reads them (classify, subjects); `allears corrections`
-- lists them and can forget any.
CREATE TABLE corrections (
    id         INTEGER PRIMARY KEY,
    kind       TEXT NOT NULL,                 -- not_for_me, needs_reply (store/corrections.rs)
    sender     TEXT NOT NULL DEFAULT '',      -- the reader's address, lower case
    place      TEXT NOT NULL DEFAULT '',      -- the list id or platform it came through
    phrase     TEXT NOT NULL DEFAULT '',      -- the words that made (or should have made) it ask
    message_id TEXT NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL
);

CREATE TABLE topic_phrases (
    topic      INTEGER NOT NULL REFERENCES topics(id),
    phrase     TEXT NOT NULL,
    from_topic INTEGER NOT NULL,              -- the topic merged in that brought it
    PRIMARY KEY (topic, phrase)
);
