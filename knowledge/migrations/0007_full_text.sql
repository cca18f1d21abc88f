-- Full-text search (FTS5) for recall: incident summaries and signatures, analyses, runbooks.
-- External-content tables (the text is stored once, in its own table) kept in sync by triggers,
-- created here rather than by sqlite-utils' enable_fts(), which commits on its own: this way
-- the tables, the triggers and the backfill land in this migration's one transaction, or not
-- at all. `content=[table]` is the form sqlite-utils detects, so `table.search()` and the
-- `sqlite-utils search` CLI find these indexes. Porter stemming: "restarting" finds "restart".

CREATE VIRTUAL TABLE [incidents_fts] USING FTS5 (
    [summary], [signature], content=[incidents], tokenize='porter unicode61'
);
CREATE TRIGGER [incidents_fts_ai] AFTER INSERT ON [incidents] BEGIN
    INSERT INTO [incidents_fts] (rowid, [summary], [signature])
        VALUES (new.rowid, new.[summary], new.[signature]);
END;
CREATE TRIGGER [incidents_fts_ad] AFTER DELETE ON [incidents] BEGIN
    INSERT INTO [incidents_fts] ([incidents_fts], rowid, [summary], [signature])
        VALUES ('delete', old.rowid, old.[summary], old.[signature]);
END;
-- Only when the indexed text changes: every new symptom updates `updated_at`, and re-indexing
-- the incident each time would cost two FTS writes per cycle for nothing.
CREATE TRIGGER [incidents_fts_au] AFTER UPDATE OF [summary], [signature] ON [incidents] BEGIN
    INSERT INTO [incidents_fts] ([incidents_fts], rowid, [summary], [signature])
        VALUES ('delete', old.rowid, old.[summary], old.[signature]);
    INSERT INTO [incidents_fts] (rowid, [summary], [signature])
        VALUES (new.rowid, new.[summary], new.[signature]);
END;
INSERT INTO [incidents_fts] ([incidents_fts]) VALUES ('rebuild');

CREATE VIRTUAL TABLE [analyses_fts] USING FTS5 (
    [summary], [suspected_cause], content=[analyses], tokenize='porter unicode61'
);
CREATE TRIGGER [analyses_fts_ai] AFTER INSERT ON [analyses] BEGIN
    INSERT INTO [analyses_fts] (rowid, [summary], [suspected_cause])
        VALUES (new.rowid, new.[summary], new.[suspected_cause]);
END;
CREATE TRIGGER [analyses_fts_ad] AFTER DELETE ON [analyses] BEGIN
    INSERT INTO [analyses_fts] ([analyses_fts], rowid, [summary], [suspected_cause])
        VALUES ('delete', old.rowid, old.[summary], old.[suspected_cause]);
END;
CREATE TRIGGER [analyses_fts_au] AFTER UPDATE OF [summary], [suspected_cause] ON [analyses] BEGIN
    INSERT INTO [analyses_fts] ([analyses_fts], rowid, [summary], [suspected_cause])
        VALUES ('delete', old.rowid, old.[summary], old.[suspected_cause]);
    INSERT INTO [analyses_fts] (rowid, [summary], [suspected_cause])
        VALUES (new.rowid, new.[summary], new.[suspected_cause]);
END;
INSERT INTO [analyses_fts] ([analyses_fts]) VALUES ('rebuild');

CREATE VIRTUAL TABLE [runbooks_fts] USING FTS5 (
    [title], [body], content=[runbooks], tokenize='porter unicode61'
);
CREATE TRIGGER [runbooks_fts_ai] AFTER INSERT ON [runbooks] BEGIN
    INSERT INTO [runbooks_fts] (rowid, [title], [body]) VALUES (new.rowid, new.[title], new.[body]);
END;
CREATE TRIGGER [runbooks_fts_ad] AFTER DELETE ON [runbooks] BEGIN
    INSERT INTO [runbooks_fts] ([runbooks_fts], rowid, [title], [body])
        VALUES ('delete', old.rowid, old.[title], old.[body]);
END;
CREATE TRIGGER [runbooks_fts_au] AFTER UPDATE OF [title], [body] ON [runbooks] BEGIN
    INSERT INTO [runbooks_fts] ([runbooks_fts], rowid, [title], [body])
        VALUES ('delete', old.rowid, old.[title], old.[body]);
    INSERT INTO [runbooks_fts] (rowid, [title], [body]) VALUES (new.rowid, new.[title], new.[body]);
END;
INSERT INTO [runbooks_fts] ([runbooks_fts]) VALUES ('rebuild');
