"""Local rate limits: RPM and TPM per provider and per API key, three algorithms."""

from mapekd.llm.limits.base import Meter, Ticket
from mapekd.llm.limits.fixed_window import FixedWindow
from mapekd.llm.limits.limiter import (
    ALGORITHMS,
    RateLimiter,
    Reservation,
    describe_wait,
    make_meter,
    try_reserve,
)
from mapekd.llm.limits.sliding_window import SlidingWindow
from mapekd.llm.limits.token_bucket import TokenBucket
from mapekd.llm.limits.tokens import estimate_call, estimate_input, estimate_text

__all__ = [
    "ALGORITHMS",
    "FixedWindow",
    "Meter",
    "RateLimiter",
    "Reservation",
    "SlidingWindow",
    "Ticket",
    "TokenBucket",
    "describe_wait",
    "estimate_call",
    "estimate_input",
    "estimate_text",
    "make_meter",
    "try_reserve",
]
