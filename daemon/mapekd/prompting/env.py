"""The one Jinja2 Environment of mapekd's prompts, and rendering a template into chat messages.

A prompt template defines two blocks, `system` and `user`, rendered separately into a system and
a user message; a text template (e.g. `explain_text.j2`) is rendered whole by `render_text`.
Every template starts with `{# version: N #}`; a template without it fails at load, as does a
syntax error: `Prompts()` loads them all, so a broken template stops the daemon at start, not at
the first incident. StrictUndefined: a misspelled variable is an error, never a blank."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2

from mapekd.jsontext import to_json
from mapekd.llm.types import Message
from mapekd.prompting.data import oneline
from mapekd.prompting.errors import PromptError
from mapekd.resources import data_dir

_VERSION = re.compile(r"\A\{#\s*version:\s*([0-9][0-9A-Za-z.-]*)\s*#\}")
_BLANK_RUNS = re.compile(r"\n{3,}")
PROMPT_BLOCKS = ("system", "user")


@dataclass(frozen=True, slots=True)
class Rendered:
    messages: tuple[Message, ...]
    template: str
    version: str
    trimmed: tuple[str, ...] = ()
    """What fitting left out to stay within the token budget, e.g. `samples.rows -12`."""


class Prompts:
    def __init__(self, directory: Path | None = None) -> None:
        self.directory = directory or data_dir("prompts")
        self._env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(str(self.directory)),
            undefined=jinja2.StrictUndefined,
            autoescape=False,  # noqa: S701 (prompts, not HTML: JSON data is escaped by tojson)
            trim_blocks=True,
            lstrip_blocks=True,
            auto_reload=False,
        )
        self._env.filters["tojson"] = to_json
        self._env.filters["oneline"] = oneline
        self._versions = {name: self._load(name) for name in self._env.list_templates(extensions=["j2"])}

    def _load(self, name: str) -> str:
        try:
            source, _, _ = self._env.loader.get_source(self._env, name)  # type: ignore[union-attr]
            self._env.get_template(name)
        except jinja2.TemplateError as exc:
            raise PromptError(f"{name}: {exc}") from exc
        match = _VERSION.match(source)
        if match is None:
            raise PromptError(f"{name}: the first line must be {{# version: N #}}")
        return match.group(1)

    def names(self) -> tuple[str, ...]:
        return tuple(sorted(self._versions))

    def version(self, name: str) -> str:
        if name not in self._versions:
            known = ", ".join(self.names()) or "none"
            raise PromptError(f"unknown prompt template {name!r} (known: {known})")
        return self._versions[name]

    def render(self, name: str, context: Mapping[str, Any]) -> Rendered:
        """The template's system and user blocks, as a system and a user message."""
        version = self.version(name)
        template = self._env.get_template(name)
        missing = [b for b in PROMPT_BLOCKS if b not in template.blocks]
        if missing:
            raise PromptError(f"{name}: not a prompt template (no block {', '.join(missing)})")
        try:
            variables = template.new_context(dict(context))
            parts = [_tidy("".join(template.blocks[block](variables))) for block in PROMPT_BLOCKS]
        except (jinja2.TemplateError, TypeError, ValueError) as exc:
            raise PromptError(f"{name}: {exc}") from exc
        messages = (Message("system", parts[0]), Message("user", parts[1]))
        return Rendered(messages=messages, template=name, version=version)

    def render_text(self, name: str, context: Mapping[str, Any]) -> str:
        """A text template rendered whole (output shown to a person, never sent to a model)."""
        self.version(name)
        try:
            return _tidy(self._env.get_template(name).render(dict(context)))
        except (jinja2.TemplateError, TypeError, ValueError) as exc:
            raise PromptError(f"{name}: {exc}") from exc


def _tidy(text: str) -> str:
    return _BLANK_RUNS.sub("\n\n", text.strip())
