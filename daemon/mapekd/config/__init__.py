"""Configuration: pydantic models of the YAML file, environment overrides, the loader."""
