"""LLM providers: one file per backend; `registry` chooses one by its configured `type`. Importing
this package imports none of them (the configuration models in `config` need no client library)."""
