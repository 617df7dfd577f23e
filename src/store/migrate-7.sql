-- allears state, version 6 -> 7: a smaller store (schema.sql says more).
-- Content hashes as their first 16 bytes instead of 64 hex digits;
-- places named once, in their own table; judgements and contexts found by
-- a hash of their JSON instead of a unique index holding a second copy of
-- it (store/mod.rs fills the hashes); raw mail compressed with a
-- dictionary trained on the store's own mail (store/raw.rs trains it and
-- compresses every message again).

UPDATE messages SET content_hash = unhex(substr(content_hash, 1, 32))
 WHERE typeof(content_hash) = 'text' AND length(content_hash) = 64;

CREATE TABLE places (id INTEGER PRIMARY KEY, place TEXT NOT NULL UNIQUE);
INSERT INTO places (place) SELECT DISTINCT place FROM locations;
CREATE TABLE locations_7 (
    message   INTEGER NOT NULL REFERENCES messages(id),
    place     INTEGER NOT NULL REFERENCES places(id),
    uid       INTEGER NOT NULL DEFAULT 0,
    sent      INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (place, uid, message)
) WITHOUT ROWID;
INSERT INTO locations_7 (message, place, uid, sent)
    SELECT l.message, p.id, l.uid, l.sent FROM locations l JOIN places p ON p.place = l.place;
DROP TABLE locations;
ALTER TABLE locations_7 RENAME TO locations;
CREATE INDEX locations_message ON locations(message);

CREATE TABLE classes_7 (id INTEGER PRIMARY KEY, hash INTEGER NOT NULL, json TEXT NOT NULL);
INSERT INTO classes_7 (id, hash, json) SELECT id, 0, json FROM classes;
DROP TABLE classes;
ALTER TABLE classes_7 RENAME TO classes;
CREATE INDEX classes_hash ON classes(hash);
CREATE TABLE contexts_7 (id INTEGER PRIMARY KEY, hash INTEGER NOT NULL, json TEXT NOT NULL);
INSERT INTO contexts_7 (id, hash, json) SELECT id, 0, json FROM contexts;
DROP TABLE contexts;
ALTER TABLE contexts_7 RENAME TO contexts;
CREATE INDEX contexts_hash ON contexts(hash);

CREATE TABLE dictionaries (
    id           INTEGER PRIMARY KEY,
    bytes        BLOB NOT NULL,
    made_at      INTEGER NOT NULL,
    last_message INTEGER NOT NULL
)
