-- An analysis says whether it is grounded (everything it cites is in the evidence it was shown;
-- NULL: recorded before this was checked), what it cited that was not there, the cause
-- fingerprint of its incident, and the analysis it reuses (same fingerprint: not asked again).
ALTER TABLE analyses ADD COLUMN grounded INTEGER;
ALTER TABLE analyses ADD COLUMN unsupported TEXT;
ALTER TABLE analyses ADD COLUMN fingerprint TEXT;
ALTER TABLE analyses ADD COLUMN reused_from INTEGER REFERENCES analyses (id);
CREATE INDEX analyses_fingerprint ON analyses (fingerprint, ts);
