"""Shared pieces of the configuration models: strict models and identifier names."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, StringConstraints

Name = Annotated[str, StringConstraints(pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")]
"""Names of checks, rules and actions: identifiers, so they are safe in signatures, logs and argv."""

UnitName = Annotated[
    str, StringConstraints(pattern=r"^[A-Za-z0-9:_.@\\-]{1,255}\.(service|socket|timer|target|mount|path)$")
]


class StrictModel(BaseModel):
    """Unknown keys are errors: a typo must never silently disable a check."""

    model_config = ConfigDict(extra="forbid", frozen=True)
