"""Knowledge: the SQLite knowledge base of incidents, decisions, executions and outcomes."""
