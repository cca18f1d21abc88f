"""Rules: one file per rule type, and the registry that builds them from configuration."""
