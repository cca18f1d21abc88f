"""A configuration proposal as commented YAML: sections of stanzas, each stanza an item with the
comment lines that explain it, or only comments (what could not be proposed, and why).

Shared by `discover` and `import-monit`: what they write must load as written, so the items are
dumped by PyYAML and only the comments are text of ours (every line of it behind a `#`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

SECTIONS = ("daemon", "checks", "rules", "actions", "notifications", "policy")
"""The order sections are written in; the list sections hold named items."""
LIST_SECTIONS = frozenset({"checks", "rules", "actions"})


@dataclass
class Stanza:
    comments: list[str] = field(default_factory=list)
    item: dict[str, Any] | None = None
    """None: a stanza of comments only."""


@dataclass
class Proposal:
    header: list[str] = field(default_factory=list)
    sections: dict[str, list[Stanza]] = field(default_factory=dict)
    mappings: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Sections that are one mapping (daemon, notifications, policy), with their comments."""
    mapping_comments: dict[str, list[str]] = field(default_factory=dict)

    def add(self, section: str, item: dict[str, Any] | None, *comments: str) -> None:
        self.sections.setdefault(section, []).append(Stanza(list(comments), item))

    def names(self, section: str) -> set[str]:
        return {str(s.item["name"]) for s in self.sections.get(section, []) if s.item is not None}

    def data(self) -> dict[str, Any]:
        """The configuration as data, exactly what the text loads as."""
        out: dict[str, Any] = {}
        for section in SECTIONS:
            if section in self.mappings:
                out[section] = self.mappings[section]
            items = [s.item for s in self.sections.get(section, []) if s.item is not None]
            if items:
                out[section] = items
        return out

    def text(self) -> str:
        lines = [*_comment(self.header, ""), ""] if self.header else []
        for section in SECTIONS:
            if section in self.mappings:
                lines += _comment(self.mapping_comments.get(section, []), "")
                lines += _dump({section: self.mappings[section]}).splitlines()
                lines.append("")
            stanzas = self.sections.get(section, [])
            if stanzas:
                lines += _list_section(section, stanzas)
        return "\n".join(lines).rstrip("\n") + "\n"


def _list_section(section: str, stanzas: list[Stanza]) -> list[str]:
    has_items = any(s.item is not None for s in stanzas)
    lines = [f"{section}:" if has_items else f"# {section}: (nothing proposed)"]
    for stanza in stanzas:
        lines += _comment(stanza.comments, "  ")
        if stanza.item is not None:
            lines += ["  " + line for line in _dump([stanza.item]).splitlines()]
        lines.append("")
    return lines


def _comment(lines: list[str], indent: str) -> list[str]:
    """Each line behind a `#`; a line of ours can hold a newline only as a new comment line."""
    return [f"{indent}# {part}".rstrip() for line in lines for part in line.splitlines() or [""]]


def _dump(data: Any) -> str:
    return yaml.safe_dump(data, sort_keys=False, default_flow_style=False, allow_unicode=True, width=100)


def commented_item(item: dict[str, Any]) -> list[str]:
    """An item shown as a comment (what would be proposed, if its type existed here)."""
    return _dump([item]).splitlines()
