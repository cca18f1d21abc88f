-- Runbooks say which incidents they fit: JSON arrays of glob patterns over rule names, check
-- names and signatures. A runbook fits an incident when every non-empty list has a pattern that
-- matches it (the old single `signature` column, when set, counts as one more signature pattern).
ALTER TABLE runbooks ADD COLUMN title TEXT NOT NULL DEFAULT '';
ALTER TABLE runbooks ADD COLUMN rules TEXT NOT NULL DEFAULT '[]';
ALTER TABLE runbooks ADD COLUMN checks TEXT NOT NULL DEFAULT '[]';
ALTER TABLE runbooks ADD COLUMN signatures TEXT NOT NULL DEFAULT '[]';
ALTER TABLE runbooks ADD COLUMN updated_at REAL;
