"""Token estimates made before a call, for TPM reservations and budget checks.

About four characters per token for English and code, plus a few tokens of framing per message;
deliberately on the high side. Real usage replaces the estimate when the provider reports it."""

from __future__ import annotations

from mapekd.llm.types import ChatRequest

CHARS_PER_TOKEN = 4
PER_MESSAGE = 4


def estimate_text(text: str) -> int:
    return (len(text) + CHARS_PER_TOKEN - 1) // CHARS_PER_TOKEN


def estimate_input(request: ChatRequest) -> int:
    return sum(estimate_text(m.content) + PER_MESSAGE for m in request.messages)


def estimate_call(request: ChatRequest) -> int:
    """What a call may cost at most, as far as can be known before it: input + max_tokens."""
    return estimate_input(request) + request.max_tokens
