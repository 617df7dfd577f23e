-- allears state, version 5 -> 6: a large message fetched over IMAP may be
-- kept as its header and text parts only; the parts left on the server are
-- listed here (schema.sql says more). Nothing to convert: no stored message
-- was fetched so before.

CREATE TABLE skipped_parts (
    message INTEGER NOT NULL REFERENCES messages(id),
    part    TEXT NOT NULL,
    type    TEXT NOT NULL,
    name    TEXT NOT NULL DEFAULT '',
    size    INTEGER NOT NULL,
    PRIMARY KEY (message, part)
);
