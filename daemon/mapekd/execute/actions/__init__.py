"""Action types: one file each, built by execute.registry."""
