-- allears state, version 2 -> 3: what the owner taught (schema.sql says more).

CREATE TABLE corrections (
    id         INTEGER PRIMARY KEY,
    kind       TEXT NOT NULL,
    sender     TEXT NOT NULL DEFAULT '',
    place      TEXT NOT NULL DEFAULT '',
    phrase     TEXT NOT NULL DEFAULT '',
    message_id TEXT NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL
);

CREATE TABLE topic_phrases (
    topic      INTEGER NOT NULL REFERENCES topics(id),
    phrase     TEXT NOT NULL,
    from_topic INTEGER NOT NULL,
    PRIMARY KEY (topic, phrase)
);
