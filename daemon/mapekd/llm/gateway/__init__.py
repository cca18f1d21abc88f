"""The resilient gateway in front of the providers (see core.Gateway and build.build_gateway)."""

from mapekd.llm.gateway.build import build_gateway
from mapekd.llm.gateway.core import Gateway
from mapekd.llm.gateway.runtime import Runtime, Sink

__all__ = ["Gateway", "Runtime", "Sink", "build_gateway"]
