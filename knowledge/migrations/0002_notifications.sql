-- Executions are remedies (actions on a target, counted by policy) or notifications (deliveries
-- to a notification sink: escalations and the like, recorded the same way but never counted).
ALTER TABLE executions ADD COLUMN kind TEXT NOT NULL DEFAULT 'remedy'
    CHECK (kind IN ('remedy', 'notify'));
ALTER TABLE executions ADD COLUMN attempts INTEGER NOT NULL DEFAULT 1;
ALTER TABLE executions ADD COLUMN event TEXT;
DROP INDEX executions_target_started;
CREATE INDEX executions_target_started ON executions (target, kind, started_at);
