-- Policy counts the effect of a remedy (the unit restarted, the check signalled, the command
-- run), not the incident's target; a decision may be deferred to a maintenance window; an
-- approval may wait for a window to open (not_before) as well as for a person.
ALTER TABLE executions ADD COLUMN effect TEXT;
ALTER TABLE approvals ADD COLUMN not_before REAL;

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
    source          TEXT NOT NULL CHECK (source IN ('rule', 'knowledge', 'llm', 'policy')),
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
    latency_ms      REAL
);
INSERT INTO decisions_new SELECT * FROM decisions;
DROP TABLE decisions;
ALTER TABLE decisions_new RENAME TO decisions;
CREATE INDEX decisions_incident ON decisions (incident_id);
CREATE INDEX decisions_ts ON decisions (ts);
