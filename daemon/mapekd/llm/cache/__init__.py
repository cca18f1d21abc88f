"""Response caches: exact (on by default) and semantic (off by default, guarded)."""

from mapekd.llm.cache.embedders import Embedder, MiniLMEmbedder, ProviderEmbedder
from mapekd.llm.cache.exact import ExactCache
from mapekd.llm.cache.flight import SingleFlight
from mapekd.llm.cache.guard import guard_reason
from mapekd.llm.cache.keys import exact_key, semantic_scope
from mapekd.llm.cache.semantic import Lookup, SemanticCache

__all__ = [
    "Embedder",
    "ExactCache",
    "Lookup",
    "MiniLMEmbedder",
    "ProviderEmbedder",
    "SemanticCache",
    "SingleFlight",
    "exact_key",
    "guard_reason",
    "semantic_scope",
]
