-- The knowledge base: what happened (incidents, symptoms), what was decided and done
-- (decisions, executions), how it ended (outcomes), and room for LLM calls and runbooks.

CREATE TABLE incidents (
    id          INTEGER PRIMARY KEY,
    signature   TEXT NOT NULL,
    rule        TEXT NOT NULL,
    target      TEXT NOT NULL,
    severity    TEXT NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('open', 'gave_up', 'resolved')),
    summary     TEXT NOT NULL DEFAULT '',
    opened_at   REAL NOT NULL,
    updated_at  REAL NOT NULL,
    gave_up_at  REAL,
    resolved_at REAL
);
-- One active incident per signature: an incident is active until its rule clears.
CREATE UNIQUE INDEX incidents_one_active_per_signature
    ON incidents (signature) WHERE resolved_at IS NULL;
CREATE INDEX incidents_opened_at ON incidents (opened_at);

CREATE TABLE symptoms (
    id          INTEGER PRIMARY KEY,
    incident_id INTEGER NOT NULL REFERENCES incidents (id),
    ts          REAL NOT NULL,
    rule        TEXT NOT NULL,
    target      TEXT NOT NULL,
    severity    TEXT NOT NULL,
    message     TEXT NOT NULL,
    fields      TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX symptoms_incident ON symptoms (incident_id);

CREATE TABLE decisions (
    id              INTEGER PRIMARY KEY,
    incident_id     INTEGER NOT NULL REFERENCES incidents (id),
    ts              REAL NOT NULL,
    verdict         TEXT NOT NULL CHECK (verdict IN ('execute', 'would_execute', 'gave_up', 'refused')),
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
    model           TEXT
);
CREATE INDEX decisions_incident ON decisions (incident_id);

-- Written with state 'started' before the action runs and completed after, so a crash in
-- between stays visible and is reconciled ('interrupted') at the next start.
CREATE TABLE executions (
    id          INTEGER PRIMARY KEY,
    decision_id INTEGER NOT NULL REFERENCES decisions (id),
    incident_id INTEGER NOT NULL REFERENCES incidents (id),
    action      TEXT NOT NULL,
    target      TEXT NOT NULL,
    state       TEXT NOT NULL CHECK (state IN ('started', 'succeeded', 'failed', 'timeout',
                                               'would_execute', 'interrupted')),
    started_at  REAL NOT NULL,
    finished_at REAL,
    exit_code   INTEGER,
    output_tail TEXT NOT NULL DEFAULT '',
    duration_ms REAL,
    error       TEXT
);
CREATE INDEX executions_target_started ON executions (target, started_at);
CREATE INDEX executions_incident ON executions (incident_id);

CREATE TABLE outcomes (
    id           INTEGER PRIMARY KEY,
    execution_id INTEGER NOT NULL REFERENCES executions (id),
    incident_id  INTEGER NOT NULL REFERENCES incidents (id),
    ts           REAL NOT NULL,
    result       TEXT NOT NULL CHECK (result IN ('resolved', 'not_resolved', 'failed')),
    detail       TEXT NOT NULL DEFAULT ''
);
CREATE INDEX outcomes_execution ON outcomes (execution_id);

CREATE TABLE llm_calls (
    id              INTEGER PRIMARY KEY,
    ts              REAL NOT NULL,
    incident_id     INTEGER REFERENCES incidents (id),
    kind            TEXT NOT NULL,
    role            TEXT,
    tenant          TEXT NOT NULL DEFAULT 'default',
    provider        TEXT NOT NULL,
    model           TEXT NOT NULL,
    input_tokens    INTEGER NOT NULL DEFAULT 0,
    output_tokens   INTEGER NOT NULL DEFAULT 0,
    cost            REAL NOT NULL DEFAULT 0,
    latency_ms      REAL NOT NULL DEFAULT 0,
    cached          INTEGER NOT NULL DEFAULT 0,
    error_class     TEXT,
    prompt_template TEXT,
    prompt_version  TEXT
);
CREATE INDEX llm_calls_ts ON llm_calls (ts);

CREATE TABLE runbooks (
    id        INTEGER PRIMARY KEY,
    name      TEXT NOT NULL UNIQUE,
    signature TEXT NOT NULL DEFAULT '',
    body      TEXT NOT NULL,
    source    TEXT NOT NULL DEFAULT 'seed'
);

CREATE TABLE samples (
    id         INTEGER PRIMARY KEY,
    ts         REAL NOT NULL,
    check_name TEXT NOT NULL,
    target     TEXT NOT NULL,
    ok         INTEGER NOT NULL,
    fields     TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX samples_ts ON samples (ts);
CREATE INDEX samples_target_ts ON samples (target, ts);
