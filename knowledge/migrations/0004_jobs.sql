-- The API's job queue for long chat requests: accepted jobs survive a restart
-- (queued and running jobs are queued again when the API starts).

CREATE TABLE jobs (
    id          TEXT PRIMARY KEY,
    state       TEXT NOT NULL CHECK (state IN ('queued', 'running', 'completed', 'failed')),
    owner       TEXT NOT NULL,
    request     TEXT NOT NULL,
    provider    TEXT,
    created_at  REAL NOT NULL,
    started_at  REAL,
    finished_at REAL,
    attempts    INTEGER NOT NULL DEFAULT 0,
    result      TEXT,
    error       TEXT
);
CREATE INDEX jobs_pending ON jobs (state, created_at);
CREATE INDEX jobs_finished_at ON jobs (finished_at);
