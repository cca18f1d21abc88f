"""What a fake API answers next: text, or a fault rendered in that API's own wire format."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Literal

FaultKind = Literal[
    "rate_limited",  # 429 with Retry-After
    "server_error",  # 500
    "overloaded",  # 503 (Anthropic: 529)
    "stall",  # no answer at all: the client's timeout must fire
    "malformed",  # 200 with a body that breaks the wire format
    "cut",  # the stream breaks after its first chunks
    "unauthorized",  # 401, the server echoing the key it was given
]


@dataclass(frozen=True)
class Fault:
    kind: FaultKind
    retry_after: str = "7"


class Script:
    """Replies in order; when empty, the default answer."""

    def __init__(self, default: str = "Hello from the fake server.") -> None:
        self.default = default
        self._items: deque[str | Fault] = deque()

    def answer(self, text: str) -> None:
        self._items.append(text)

    def fail(self, fault: Fault) -> None:
        self._items.append(fault)

    def next(self) -> str | Fault:
        return self._items.popleft() if self._items else self.default


def pieces(text: str, size: int = 3) -> list[str]:
    """The text split into stream deltas (words, several per delta)."""
    words = text.split(" ")
    out = [" ".join(words[i : i + size]) for i in range(0, len(words), size)]
    return [p + (" " if i < len(out) - 1 else "") for i, p in enumerate(out)]
