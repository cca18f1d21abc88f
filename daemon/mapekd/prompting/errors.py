"""Errors of the prompt side, under MapekdError:

MapekdError
├── PromptError        a template is missing, has no version, or failed to render
│   └── PromptTooLarge  the prompt does not fit its token budget even with every section trimmed
└── OutputInvalid      a model's answer is not the one JSON object its schema asks for
"""

from __future__ import annotations

from mapekd.errors import MapekdError


class PromptError(MapekdError):
    """A prompt template could not be loaded or rendered."""


class PromptTooLarge(PromptError):
    """The smallest rendering allowed by the trims is still over the token budget."""

    def __init__(self, template: str, tokens: int, budget: int) -> None:
        self.template = template
        self.tokens = tokens
        self.budget = budget
        super().__init__(f"{template}: {tokens} tokens after trimming, budget {budget}")


class OutputInvalid(MapekdError):
    """A model's answer was rejected; `reason` is short and safe to show the model in a repair."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)
