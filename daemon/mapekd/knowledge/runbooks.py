"""Runbooks shipped in `knowledge/runbooks/*.md`, loaded into the `runbooks` table at start.

A runbook is Markdown with YAML front matter saying which incidents it fits (glob patterns):

    ---
    title: A disk is filling up
    signatures: ["*@disk:*"]
    rules: ["*disk*"]          # optional, like checks
    ---
    What an SRE would do, short.

Loading is idempotent: seed rows (source `seed`) follow the files (inserted, updated, removed
when their file is gone); a row added by an operator under the same name is never touched."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from mapekd.errors import ConfigError
from mapekd.knowledge.queries import Queries, mapped
from mapekd.resources import data_dir

if TYPE_CHECKING:
    from sqlite_utils.db import Table

SEED = "seed"


class RunbookMeta(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    title: str = Field(min_length=1, max_length=120)
    rules: list[str] = Field(default_factory=list)
    checks: list[str] = Field(default_factory=list)
    signatures: list[str] = Field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Runbook:
    name: str
    meta: RunbookMeta
    body: str

    def row(self) -> dict[str, object]:
        return {
            "name": self.name,
            "title": self.meta.title,
            "rules": json.dumps(self.meta.rules),
            "checks": json.dumps(self.meta.checks),
            "signatures": json.dumps(self.meta.signatures),
            "body": self.body,
            "source": SEED,
        }


@dataclass(frozen=True, slots=True)
class LoadResult:
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0
    kept_operator: int = 0
    """Files not loaded because an operator's runbook has the same name."""


def runbooks_dir() -> Path:
    return data_dir("knowledge") / "runbooks"


def parse_runbook(path: Path) -> Runbook:
    text = path.read_text(encoding="utf-8")
    head, sep, body = text.removeprefix("---\n").partition("\n---\n")
    if not text.startswith("---\n") or not sep:
        raise ConfigError("a runbook starts with YAML front matter between --- lines", path=path.name)
    try:
        meta = RunbookMeta.model_validate(yaml.safe_load(head))
    except (yaml.YAMLError, ValidationError) as exc:
        raise ConfigError(f"invalid front matter: {exc}", path=path.name) from exc
    if not (meta.rules or meta.checks or meta.signatures):
        raise ConfigError(
            "front matter names no rules, checks or signatures: it would fit nothing", path=path.name
        )
    if not body.strip():
        raise ConfigError("the runbook has no body", path=path.name)
    return Runbook(path.stem, meta, body.strip())


def load_runbooks(store: Queries, directory: Path | None = None) -> LoadResult:
    runbooks = [parse_runbook(p) for p in sorted((directory or runbooks_dir()).glob("*.md"))]
    with mapped("cannot load runbooks"), store.db.atomic():
        return _sync(store.db.table("runbooks"), runbooks)


def _sync(table: Table, runbooks: list[Runbook]) -> LoadResult:
    columns = ("id", "name", "title", "rules", "checks", "signatures", "body", "source")
    existing = {row["name"]: row for row in table.rows_where(select=", ".join(columns))}
    counts = dict.fromkeys(("inserted", "updated", "unchanged", "removed", "kept_operator"), 0)
    now = time.time()
    for runbook in runbooks:
        new, old = runbook.row(), existing.get(runbook.name)
        if old is None:
            table.insert({**new, "updated_at": now})
            counts["inserted"] += 1
        elif old["source"] != SEED:
            counts["kept_operator"] += 1
        elif {k: old[k] for k in new} != new:
            table.update(old["id"], {**new, "updated_at": now})
            counts["updated"] += 1
        else:
            counts["unchanged"] += 1
    names = {r.name for r in runbooks}
    for name, old in existing.items():
        if old["source"] == SEED and name not in names:
            table.delete(old["id"])
            counts["removed"] += 1
    return LoadResult(**counts)
