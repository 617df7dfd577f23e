-- allears state, version 1 -> 2.

-- A message over the size limit is kept as its header, with its size here.
ALTER TABLE messages ADD COLUMN too_large INTEGER;
