-- allears state, version 1 -> 2.

-- A message over the size limit is kept as its header, with its size here.
ALTER TABLE messages ADD COLUMN too_large INTEGER;

-- Each digest has its own secret token, which expires; the one token of
-- version 1 becomes the token of the digests made before, from now.
CREATE TABLE tokens (
    token   TEXT PRIMARY KEY,
    period  TEXT NOT NULL UNIQUE,
    made_at INTEGER NOT NULL
);
INSERT INTO tokens (token, period, made_at)
    SELECT value, 'before version 2', CAST(strftime('%s', 'now') AS INTEGER)
    FROM settings WHERE key = 'command_token';
DELETE FROM settings WHERE key = 'command_token';

-- Commands applied, once per item (or topic) and verb, whatever message
-- carried them: a repeat is reported, not applied again.
CREATE TABLE applied (
    target  TEXT NOT NULL,                    -- "#12", "T3"
    verb    TEXT NOT NULL,                    -- "reply", "done", "tell", ...
    command TEXT NOT NULL,                    -- Message-ID of the command message, or "cli:..."
    at      INTEGER NOT NULL,
    PRIMARY KEY (target, verb)
);
