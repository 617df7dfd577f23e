-- allears state, version 3 -> 4: raw mail is kept compressed (store/raw.rs).
-- Rows of version 3 are codec 0 (as they came) until the migration's step
-- compresses them, in the same transaction.

ALTER TABLE raw ADD COLUMN codec INTEGER NOT NULL DEFAULT 0
