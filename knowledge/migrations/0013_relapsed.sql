-- A remedy whose success is watched over its rule's window may end `relapsed`: the rule fired
-- again for the signature meanwhile (a restart that works for one sample is no success).
CREATE TABLE outcomes_new (
    id           INTEGER PRIMARY KEY,
    execution_id INTEGER NOT NULL REFERENCES executions (id),
    incident_id  INTEGER NOT NULL REFERENCES incidents (id),
    ts           REAL NOT NULL,
    result       TEXT NOT NULL CHECK (result IN ('resolved', 'not_resolved', 'failed', 'relapsed')),
    detail       TEXT NOT NULL DEFAULT ''
);
INSERT INTO outcomes_new (id, execution_id, incident_id, ts, result, detail)
    SELECT id, execution_id, incident_id, ts, result, detail FROM outcomes;
DROP TABLE outcomes;
ALTER TABLE outcomes_new RENAME TO outcomes;
CREATE INDEX outcomes_execution ON outcomes (execution_id);
CREATE INDEX outcomes_execution_result ON outcomes (execution_id, result);
CREATE INDEX outcomes_incident ON outcomes (incident_id);
