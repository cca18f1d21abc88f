"""The exception tree of mapekd.

Errors from lower layers (pydantic, yaml, sqlite3, httpx, OSError) are mapped by type into this tree
at the boundary where they are caught, so callers handle our names, never a library's:

    MapekdError
    ├── ConfigError          invalid configuration; carries the key path and line (CLI exit 2)
    ├── CheckError           a check could not collect (becomes an error sample; the cycle goes on)
    ├── RuleError            a rule expression failed to parse or evaluate
    ├── ActionError          an action is unknown, not allowlisted, or its parameters are invalid
    │   └── ActionTimeout    an action ran past its timeout and was killed
    ├── StoreError           the knowledge base could not be opened, migrated, read or written
    ├── ApprovalError        an approval is unknown, expired or already decided
    └── LLMError             the LLM provider layer (its own subtree lives in mapekd.llm.errors)
"""

from __future__ import annotations


class MapekdError(Exception):
    """Base class of every error mapekd raises on purpose."""


class ConfigError(MapekdError):
    """Configuration is invalid. `path` names the key (e.g. `checks[2].url`), `line` the YAML line."""

    def __init__(self, message: str, *, path: str = "", line: int | None = None) -> None:
        self.message = message
        self.path = path
        self.line = line
        super().__init__(self.__str__())

    def __str__(self) -> str:
        where = self.path or "<config>"
        at = f" (line {self.line})" if self.line is not None else ""
        return f"{where}: {self.message}{at}"


class CheckError(MapekdError):
    """A check failed to collect its samples."""


class RuleError(MapekdError):
    """A rule expression is malformed or cannot be evaluated."""


class ActionError(MapekdError):
    """An action is unknown, not allowlisted, or was given parameters outside its allowlist."""


class ActionTimeout(ActionError):
    """An action exceeded its timeout."""


class StoreError(MapekdError):
    """The knowledge base failed."""


class ApprovalError(MapekdError):
    """An approval cannot be decided: unknown, expired, or decided already."""


class LLMError(MapekdError):
    """Root of the LLM provider layer's errors (see mapekd.llm.errors)."""
