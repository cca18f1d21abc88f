-- Indexes for reading a large knowledge base (`mapekd kb`, `mapekd status`, the report) and for
-- pruning it: deleting a row checks every foreign key that references it, and a referencing
-- column without an index is scanned in full for each row deleted.

-- Time to mitigate and incident filters: resolved incidents by time, covering what they read.
CREATE INDEX incidents_status_opened ON incidents (status, opened_at, signature, resolved_at);
-- "Did a real remedy run on this incident?", answered from the index alone.
CREATE INDEX executions_incident_kind ON executions (incident_id, kind, state);
-- Success rates over a period, and the targets the action counter counts.
CREATE INDEX executions_kind_started ON executions (kind, started_at, state, incident_id, action, duration_ms);
CREATE INDEX outcomes_execution_result ON outcomes (execution_id, result);
-- Foreign keys that had no index (prune).
CREATE INDEX executions_decision ON executions (decision_id);
CREATE INDEX outcomes_incident ON outcomes (incident_id);
CREATE INDEX approvals_incident ON approvals (incident_id);
CREATE INDEX approvals_decision ON approvals (decision_id);
CREATE INDEX llm_calls_incident ON llm_calls (incident_id);
