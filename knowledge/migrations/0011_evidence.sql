-- Evidence: what the host told about an incident when it opened (a unit's journal and verdict,
-- log tails, how the process ended, an HTTP body excerpt, a series), redacted before it is
-- written, one row a line, each with its template (the line with what varies masked). The
-- incident keeps its cause fingerprint and the templates it was made of; a decision records
-- the fingerprint it was made for. Full-text search over the evidence (FTS5, external content
-- kept by triggers, in this migration's transaction: see 0007) feeds recall by evidence.

CREATE TABLE evidence (
    id          INTEGER PRIMARY KEY,
    incident_id INTEGER NOT NULL REFERENCES incidents (id),
    kind        TEXT NOT NULL,
    source      TEXT NOT NULL DEFAULT '',
    text        TEXT NOT NULL,
    at          REAL,
    template    TEXT NOT NULL DEFAULT ''
);
CREATE INDEX evidence_incident ON evidence (incident_id, id);

ALTER TABLE incidents ADD COLUMN fingerprint TEXT;
ALTER TABLE incidents ADD COLUMN cause_templates TEXT;
ALTER TABLE decisions ADD COLUMN fingerprint TEXT;
-- Success rates per (signature, fingerprint, action) read the incidents of one signature and cause.
CREATE INDEX incidents_signature_fingerprint ON incidents (signature, fingerprint);

CREATE VIRTUAL TABLE [evidence_fts] USING FTS5 (
    [text], content=[evidence], tokenize='porter unicode61'
);
CREATE TRIGGER [evidence_fts_ai] AFTER INSERT ON [evidence] BEGIN
    INSERT INTO [evidence_fts] (rowid, [text]) VALUES (new.rowid, new.[text]);
END;
CREATE TRIGGER [evidence_fts_ad] AFTER DELETE ON [evidence] BEGIN
    INSERT INTO [evidence_fts] ([evidence_fts], rowid, [text]) VALUES ('delete', old.rowid, old.[text]);
END;
CREATE TRIGGER [evidence_fts_au] AFTER UPDATE OF [text] ON [evidence] BEGIN
    INSERT INTO [evidence_fts] ([evidence_fts], rowid, [text]) VALUES ('delete', old.rowid, old.[text]);
    INSERT INTO [evidence_fts] (rowid, [text]) VALUES (new.rowid, new.[text]);
END;
