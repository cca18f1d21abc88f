"""Plan: from an incident and its candidates to one healing decision, under policy."""
