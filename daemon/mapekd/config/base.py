"""Shared pieces of the configuration models: strict models and identifier names."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

Name = Annotated[str, StringConstraints(pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")]
"""Names of checks, rules and actions: identifiers, so they are safe in signatures, logs and argv."""

UnitName = Annotated[
    str, StringConstraints(pattern=r"^[A-Za-z0-9:_.@\\-]{1,255}\.(service|socket|timer|target|mount|path)$")
]


def _http_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("invalid URL: expected http:// or https:// and a host")
    if any(c.isspace() for c in url):
        raise ValueError("invalid URL: it contains whitespace")
    _ = parts.port  # a port that is not a number (or out of range) raises ValueError
    return url


HttpUrl = Annotated[str, StringConstraints(strip_whitespace=True), AfterValidator(_http_url)]
"""An http(s) URL with a host, kept as written. (Checked with urllib rather than pydantic's URL
types, whose module costs the daemon 2 MiB of imports.)"""


class StrictModel(BaseModel):
    """Unknown keys are errors: a typo must never silently disable a check."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


def section() -> Any:
    """The default of a nested section: its own defaults, validated through the enclosing model.
    (A default instance, `= DaemonConfig()`, would build the section's own validator at import
    time: memory the daemon keeps for nothing.)"""
    return Field(default_factory=dict, validate_default=True)
