-- allears state, version 4 -> 5: each judgement and context is kept once,
-- in its own table, and messages point at it (schema.sql says why).

CREATE TABLE classes (id INTEGER PRIMARY KEY, json TEXT NOT NULL UNIQUE);
CREATE TABLE contexts (id INTEGER PRIMARY KEY, json TEXT NOT NULL UNIQUE);
INSERT OR IGNORE INTO classes (json) SELECT class FROM messages;
INSERT OR IGNORE INTO contexts (json) SELECT context FROM messages;
ALTER TABLE messages ADD COLUMN class_id INTEGER;
ALTER TABLE messages ADD COLUMN context_id INTEGER;
UPDATE messages SET
    class_id = (SELECT id FROM classes WHERE json = messages.class),
    context_id = (SELECT id FROM contexts WHERE json = messages.context);
ALTER TABLE messages DROP COLUMN class;
ALTER TABLE messages DROP COLUMN context
