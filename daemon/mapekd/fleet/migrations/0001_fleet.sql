-- The fleet's shared knowledge: each host's incidents, decisions, executions and outcomes, keyed by
-- (host_id, base_id, local id) so that every host (and every base a host ever had) keeps its own
-- ids. Times are seconds since the epoch, as in each host's SQLite. A host writes with its own role,
-- named as its host id, and row-level security lets it write only its own rows (the tables' owner,
-- who applies these migrations, is exempt).

CREATE TABLE hosts (
    host_id    TEXT PRIMARY KEY,
    base_id    TEXT NOT NULL,
    first_seen DOUBLE PRECISION NOT NULL,
    last_seen  DOUBLE PRECISION NOT NULL,
    sent_until DOUBLE PRECISION,  -- the newest local time fully replicated (lag = last_seen - sent_until)
    pending    BIGINT NOT NULL DEFAULT 0,
    dropped    BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE incidents (
    host_id     TEXT NOT NULL,
    base_id     TEXT NOT NULL,
    id          BIGINT NOT NULL,
    signature   TEXT NOT NULL,
    rule        TEXT NOT NULL,
    target      TEXT NOT NULL,
    severity    TEXT NOT NULL,
    status      TEXT NOT NULL,
    fingerprint TEXT,
    opened_at   DOUBLE PRECISION NOT NULL,
    updated_at  DOUBLE PRECISION NOT NULL,
    resolved_at DOUBLE PRECISION,
    PRIMARY KEY (host_id, base_id, id)
);

CREATE TABLE decisions (
    host_id     TEXT NOT NULL,
    base_id     TEXT NOT NULL,
    id          BIGINT NOT NULL,
    incident_id BIGINT NOT NULL,
    ts          DOUBLE PRECISION NOT NULL,
    verdict     TEXT NOT NULL,
    action      TEXT,
    target      TEXT NOT NULL,
    source      TEXT NOT NULL,
    confidence  DOUBLE PRECISION,
    reason      TEXT NOT NULL DEFAULT '',
    dry_run     BOOLEAN NOT NULL,
    fingerprint TEXT,
    PRIMARY KEY (host_id, base_id, id)
);

CREATE TABLE executions (
    host_id     TEXT NOT NULL,
    base_id     TEXT NOT NULL,
    id          BIGINT NOT NULL,
    decision_id BIGINT NOT NULL,
    incident_id BIGINT NOT NULL,
    action      TEXT NOT NULL,
    target      TEXT NOT NULL,
    kind        TEXT NOT NULL,
    state       TEXT NOT NULL,
    started_at  DOUBLE PRECISION NOT NULL,
    finished_at DOUBLE PRECISION,
    exit_code   INTEGER,
    error       TEXT,
    PRIMARY KEY (host_id, base_id, id)
);

-- An outcome carries what the fleet record is kept by (the incident's signature and cause, the
-- action, whether a real remedy ran), read together from the host's SQLite: the record needs no join.
CREATE TABLE outcomes (
    host_id      TEXT NOT NULL,
    base_id      TEXT NOT NULL,
    id           BIGINT NOT NULL,
    execution_id BIGINT NOT NULL,
    incident_id  BIGINT NOT NULL,
    ts           DOUBLE PRECISION NOT NULL,
    result       TEXT NOT NULL,
    signature    TEXT NOT NULL,
    fingerprint  TEXT,
    action       TEXT NOT NULL,
    target       TEXT NOT NULL,
    counted      BOOLEAN NOT NULL,
    PRIMARY KEY (host_id, base_id, id)
);
CREATE INDEX outcomes_failures ON outcomes (action, target, ts) WHERE counted AND result <> 'resolved';

-- Each host's record per (signature, cause, action), kept by a trigger as outcomes arrive.
CREATE TABLE host_records (
    signature   TEXT NOT NULL,
    fingerprint TEXT NOT NULL DEFAULT '',
    action      TEXT NOT NULL,
    host_id     TEXT NOT NULL,
    successes   BIGINT NOT NULL,
    tries       BIGINT NOT NULL,
    last_at     DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (signature, fingerprint, action, host_id)
);

CREATE FUNCTION record_outcome() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.counted THEN
        INSERT INTO host_records AS r (signature, fingerprint, action, host_id, successes, tries, last_at)
        VALUES (NEW.signature, COALESCE(NEW.fingerprint, ''), NEW.action, NEW.host_id,
                (NEW.result = 'resolved')::int, 1, NEW.ts)
        ON CONFLICT (signature, fingerprint, action, host_id) DO UPDATE
        SET successes = r.successes + EXCLUDED.successes, tries = r.tries + 1,
            last_at = GREATEST(r.last_at, EXCLUDED.last_at);
        IF NEW.result <> 'resolved' THEN
            -- Hosts listening re-read the quarantine at once.
            PERFORM pg_notify('mapekd_fleet', json_build_object('action', NEW.action, 'target', NEW.target,
                                                                 'host', NEW.host_id)::text);
        END IF;
    END IF;
    RETURN NULL;
END $$;
-- Only a row really inserted (ON CONFLICT DO NOTHING fires no AFTER INSERT trigger): a batch sent
-- twice counts once.
CREATE TRIGGER outcomes_record AFTER INSERT ON outcomes FOR EACH ROW EXECUTE FUNCTION record_outcome();

-- The fleet record: no host counts for more than 20 tries (its successes scaled alike), so one
-- busy host cannot outweigh the others.
CREATE VIEW fleet_record AS
SELECT signature, NULLIF(fingerprint, '') AS fingerprint, action,
       COUNT(*) AS hosts,
       SUM(ROUND(successes * LEAST(tries, 20)::numeric / tries))::bigint AS successes,
       SUM(LEAST(tries, 20))::bigint AS tries,
       MAX(last_at) AS last_at
FROM host_records GROUP BY signature, fingerprint, action;

ALTER TABLE hosts ENABLE ROW LEVEL SECURITY;
ALTER TABLE incidents ENABLE ROW LEVEL SECURITY;
ALTER TABLE decisions ENABLE ROW LEVEL SECURITY;
ALTER TABLE executions ENABLE ROW LEVEL SECURITY;
ALTER TABLE outcomes ENABLE ROW LEVEL SECURITY;
CREATE POLICY own_rows ON hosts USING (true) WITH CHECK (host_id = current_user);
CREATE POLICY own_rows ON incidents USING (true) WITH CHECK (host_id = current_user);
CREATE POLICY own_rows ON decisions USING (true) WITH CHECK (host_id = current_user);
CREATE POLICY own_rows ON executions USING (true) WITH CHECK (host_id = current_user);
CREATE POLICY own_rows ON outcomes USING (true) WITH CHECK (host_id = current_user);

-- What every host role is granted (`mapekd fleet add-host`): its role is a member of this one.
-- host_records is written only by the trigger, which runs as the role that inserted the outcome:
-- hosts may insert and update there, and nothing else (a host's rows there follow from its own
-- outcomes alone, by the policy below).
DO $$ BEGIN
    CREATE ROLE mapekd_host NOLOGIN;  -- roles belong to the cluster: another database may have made it
EXCEPTION WHEN duplicate_object THEN NULL;
END $$;
GRANT SELECT, INSERT, UPDATE ON hosts, incidents, decisions, executions TO mapekd_host;
GRANT SELECT, INSERT ON outcomes TO mapekd_host;
GRANT SELECT, INSERT, UPDATE ON host_records TO mapekd_host;
GRANT SELECT ON fleet_record, migrations TO mapekd_host;
ALTER TABLE host_records ENABLE ROW LEVEL SECURITY;
CREATE POLICY own_rows ON host_records USING (true) WITH CHECK (host_id = current_user);

-- The same per (signature, action), whatever the cause: each host's tries summed first, then capped.
CREATE VIEW fleet_signature_record AS
SELECT signature, action, COUNT(*) AS hosts,
       SUM(ROUND(successes * LEAST(tries, 20)::numeric / tries))::bigint AS successes,
       SUM(LEAST(tries, 20))::bigint AS tries,
       MAX(last_at) AS last_at
FROM (SELECT signature, action, host_id, SUM(successes) AS successes, SUM(tries) AS tries,
             MAX(last_at) AS last_at
      FROM host_records GROUP BY signature, action, host_id) per_host
GROUP BY signature, action;
GRANT SELECT ON fleet_signature_record TO mapekd_host;
