-- The LLM joins the loop: decisions record the candidates, the model's proposal (raw and parsed),
-- an override, and approval states; analyses are attached to incidents; approvals wait for people.

CREATE TABLE decisions_new (
    id              INTEGER PRIMARY KEY,
    incident_id     INTEGER NOT NULL REFERENCES incidents (id),
    ts              REAL NOT NULL,
    verdict         TEXT NOT NULL CHECK (verdict IN ('execute', 'would_execute', 'gave_up', 'refused',
                                                     'pending_approval', 'no_action', 'escalate')),
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
INSERT INTO decisions_new (id, incident_id, ts, verdict, action, target, params, candidates, source,
                           risk, confidence, reason, dry_run, prompt_template, prompt_version, model)
    SELECT id, incident_id, ts, verdict, action, target, params, candidates, source, risk,
           confidence, reason, dry_run, prompt_template, prompt_version, model FROM decisions;
DROP TABLE decisions;
ALTER TABLE decisions_new RENAME TO decisions;
CREATE INDEX decisions_incident ON decisions (incident_id);
CREATE INDEX decisions_ts ON decisions (ts);

CREATE TABLE analyses (
    id              INTEGER PRIMARY KEY,
    incident_id     INTEGER NOT NULL REFERENCES incidents (id),
    ts              REAL NOT NULL,
    state           TEXT NOT NULL CHECK (state IN ('ok', 'invalid', 'failed')),
    summary         TEXT NOT NULL DEFAULT '',
    suspected_cause TEXT NOT NULL DEFAULT '',
    confidence      REAL,
    parsed          TEXT,
    raw             TEXT,
    error           TEXT,
    prompt_template TEXT,
    prompt_version  TEXT,
    model           TEXT,
    latency_ms      REAL
);
CREATE INDEX analyses_incident ON analyses (incident_id);

-- A decision that needs a person: approved or denied through the knowledge base (`mapekd approve
-- ID`, the API), picked up by the daemon within a second; expired ones never run.
CREATE TABLE approvals (
    id           INTEGER PRIMARY KEY,
    decision_id  INTEGER NOT NULL REFERENCES decisions (id),
    incident_id  INTEGER NOT NULL REFERENCES incidents (id),
    action       TEXT NOT NULL,
    target       TEXT NOT NULL,
    state        TEXT NOT NULL CHECK (state IN ('pending', 'approved', 'denied', 'expired', 'executed')),
    requested_at REAL NOT NULL,
    expires_at   REAL NOT NULL,
    decided_at   REAL,
    decided_by   TEXT,
    reason       TEXT NOT NULL DEFAULT ''
);
CREATE INDEX approvals_state ON approvals (state, expires_at);
