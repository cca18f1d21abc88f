-- Leases: at most N hosts act on one remedy (an action on a target) at once. A lease expires by
-- itself (its TTL covers the action and its verification), so a host that dies holding one
-- blocks nobody for long. Taken under an advisory lock on its key: two hosts asking at once are
-- counted one after the other.

CREATE TABLE leases (
    key        TEXT NOT NULL,
    host_id    TEXT NOT NULL,
    expires_at DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (key, host_id)
);
ALTER TABLE leases ENABLE ROW LEVEL SECURITY;
CREATE POLICY read_all ON leases FOR SELECT USING (true);
CREATE POLICY own_insert ON leases FOR INSERT WITH CHECK (host_id = current_user);
CREATE POLICY own_update ON leases FOR UPDATE USING (host_id = current_user) WITH CHECK (host_id = current_user);
CREATE POLICY own_delete ON leases FOR DELETE USING (host_id = current_user);
GRANT SELECT, INSERT, UPDATE, DELETE ON leases TO mapekd_host;

CREATE FUNCTION take_lease(p_key TEXT, p_host TEXT, p_limit INTEGER, p_ttl DOUBLE PRECISION)
RETURNS BOOLEAN LANGUAGE plpgsql AS $$
DECLARE
    now_s DOUBLE PRECISION := extract(epoch FROM clock_timestamp());
BEGIN
    PERFORM pg_advisory_xact_lock(hashtext(p_key));
    IF NOT EXISTS (SELECT 1 FROM leases WHERE key = p_key AND host_id = p_host AND expires_at > now_s)
       AND (SELECT COUNT(*) FROM leases WHERE key = p_key AND expires_at > now_s) >= p_limit THEN
        RETURN false;
    END IF;
    INSERT INTO leases VALUES (p_key, p_host, now_s + p_ttl)
    ON CONFLICT (key, host_id) DO UPDATE SET expires_at = EXCLUDED.expires_at;
    RETURN true;
END $$;
GRANT EXECUTE ON FUNCTION take_lease TO mapekd_host;
