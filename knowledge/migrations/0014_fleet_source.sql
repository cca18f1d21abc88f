-- A remedy proven on other hosts (knowledge.fleet) decides with source `fleet`, told apart from
-- this host's own knowledge. SQLite cannot alter a CHECK: the table is rebuilt, every column,
-- index and reference kept (the migration runs with foreign keys off, checked after).
CREATE TABLE decisions_new (
    id              INTEGER PRIMARY KEY,
    incident_id     INTEGER NOT NULL REFERENCES incidents (id),
    ts              REAL NOT NULL,
    verdict         TEXT NOT NULL CHECK (verdict IN ('execute', 'would_execute', 'gave_up', 'refused',
                                                     'pending_approval', 'no_action', 'escalate',
                                                     'deferred')),
    action          TEXT,
    target          TEXT NOT NULL,
    params          TEXT NOT NULL DEFAULT '{}',
    candidates      TEXT NOT NULL DEFAULT '[]',
    source          TEXT NOT NULL CHECK (source IN ('rule', 'knowledge', 'fleet', 'llm', 'policy')),
    risk            TEXT,
    confidence      REAL,
    reason          TEXT NOT NULL DEFAULT '',
    dry_run         INTEGER NOT NULL DEFAULT 0,
    prompt_template TEXT,
    prompt_version  TEXT,
    model           TEXT,
    proposal_raw    TEXT,
    proposal        TEXT,
    override_reason TEXT,
    latency_ms      REAL,
    fingerprint     TEXT
);
INSERT INTO decisions_new (id, incident_id, ts, verdict, action, target, params, candidates, source,
                           risk, confidence, reason, dry_run, prompt_template, prompt_version, model,
                           proposal_raw, proposal, override_reason, latency_ms, fingerprint)
    SELECT id, incident_id, ts, verdict, action, target, params, candidates, source,
           risk, confidence, reason, dry_run, prompt_template, prompt_version, model,
           proposal_raw, proposal, override_reason, latency_ms, fingerprint FROM decisions;
DROP TABLE decisions;
ALTER TABLE decisions_new RENAME TO decisions;
CREATE INDEX decisions_incident ON decisions (incident_id);
CREATE INDEX decisions_ts ON decisions (ts);
