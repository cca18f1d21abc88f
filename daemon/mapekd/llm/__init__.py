"""The LLM provider layer: one Provider interface, several backends, a resilient gateway."""
