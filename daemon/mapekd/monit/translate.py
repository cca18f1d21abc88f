"""A monitrc into a proposal: `set` statements first (the cycle length is needed to translate
`for N cycles`), then each check by its kind; what has no translation stays as a comment."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from mapekd.config.checks import CheckBase
from mapekd.discover.yamlout import Proposal, commented_item
from mapekd.monit import kinds, pathkinds
from mapekd.monit.context import DEFAULT_CYCLE_S, Ctx
from mapekd.monit.globals import Globals
from mapekd.monit.lexer import Reader
from mapekd.monit.parser import Stanza, parse
from mapekd.monit.pending import untranslated
from mapekd.monit.stanza import StanzaTranslation

KINDS: dict[str, Callable[[Stanza, Ctx], StanzaTranslation]] = {
    "process": kinds.process,
    "system": kinds.system,
    "filesystem": kinds.filesystem,
    "host": kinds.host,
    "file": pathkinds.path_check,
    "fifo": pathkinds.path_check,
    "directory": pathkinds.path_check,
    "program": pathkinds.program,
    "network": pathkinds.network,
}
"""Monit check kinds with a translation (file, fifo, directory, program and network where this
version has those check types); any other kind is kept as a comment (pending.py)."""


def translate_file(path: Path, check_types: Iterable[str]) -> Proposal:
    reader = Reader(notes=[])
    stanzas, stray = parse(reader.tokens(path))
    settings = Globals(notes=list(reader.notes or []))
    for stanza in (s for s in stanzas if s.kind == "set"):
        settings.see(stanza)
    settings.notes += [f"not translated: `{s.text()}` ({s.where}): outside any check" for s in stray]
    ctx = Ctx(cycle_s=settings.cycle_s or DEFAULT_CYCLE_S, check_types=frozenset(check_types))
    proposal = Proposal(header=_header(path, settings, ctx))
    mail = settings.email_action()
    if mail is not None:
        ctx.taken.add("mail")
    services = [KINDS.get(s.kind, untranslated)(s, ctx) for s in stanzas if s.kind != "set"]
    _dependencies(services)
    for service in services:
        _emit(proposal, service)
    _daemon(proposal, settings)
    _policy(proposal, ctx, mail)
    return proposal


def _header(path: Path, settings: Globals, ctx: Ctx) -> list[str]:
    cycle = f"{ctx.cycle_s}s" + ("" if settings.cycle_s else " (no `set daemon`: assumed)")
    return [
        f"Translated by `mapekd import-monit` from {path.name}. Review it, then `mapekd check-config`.",
        f"One Monit cycle = {cycle}: `for N cycles` becomes `for: (N-1) x cycle`.",
        "Monit's `then alert` is a rule without remedies: mapekd asks a person (a notice) before",
        "anything runs. `then restart` uses the service's restart (see each action).",
        *settings.notes,
    ]


def _dependencies(services: list[StanzaTranslation]) -> None:
    """`depends on` as `depends_on` of the main check, naming the checks the dependencies became;
    a dependency that became no check (or a version without depends_on) is a note."""
    checks = {s.stanza.name: s.out.checks[0]["name"] for s in services if s.out.checks}
    supported = "depends_on" in CheckBase.model_fields
    for service in services:
        if not service.depends:
            continue
        known = [checks[d] for d in service.depends if d in checks]
        if supported and known and service.out.checks:
            service.out.checks[0]["depends_on"] = known
        missing = (
            service.depends
            if not (supported and service.out.checks)
            else [d for d in service.depends if d not in checks]
        )
        if missing:
            why = "became no check" if supported else "no `depends_on` in this version"
            service.out.notes.append(f"depends on {', '.join(missing)}: not translated ({why})")


def _emit(proposal: Proposal, service: StanzaTranslation) -> None:
    out, stanza = service.out, service.stanza
    header = [f"monit ({stanza.head.where}): {stanza.head.text()}", *out.notes]
    for why, item in out.pending:
        header += [f"Would be {why}:", *commented_item(item)]
    if out.checks:
        proposal.add("checks", out.checks[0], *header)
        for check in out.checks[1:]:
            proposal.add("checks", check)
    else:
        proposal.add("checks", None, *header)
    for rule, comment in out.rules:
        proposal.add("rules", rule, comment)
    for action, comment in out.actions:
        proposal.add("actions", action, f"monit: {comment}")


def _daemon(proposal: Proposal, settings: Globals) -> None:
    if settings.cycle_s:
        proposal.mappings["daemon"] = {"interval": f"{settings.cycle_s}s"}
        proposal.mapping_comments["daemon"] = [f"monit: set daemon {settings.cycle_s}"]


def _policy(proposal: Proposal, ctx: Ctx, mail: tuple[dict[str, Any], list[str]] | None) -> None:
    policy: dict[str, Any] = {}
    comments: list[str] = []
    if ctx.restart_limits:
        counts = Counter((n, m) for n, m, _ in ctx.restart_limits)
        (restarts, cycles), _ = counts.most_common(1)[0]
        text = next(t for n, m, t in ctx.restart_limits if (n, m) == (restarts, cycles))
        policy |= {"max_actions": restarts, "window": f"{cycles * ctx.cycle_s}s"}
        comments += [
            f"monit: {text} (the most common restart limit)",
            "Here: at most max_actions actions per target in the trailing window; one more and the",
            "incident gives up and escalates (Monit's `timeout`). The count ages out with the window.",
        ]
        others = sorted({t for n, m, t in ctx.restart_limits if (n, m) != (restarts, cycles)})
        if others:
            comments.append(f"Other limits, not translated (one policy for all): {'; '.join(others)}")
    if mail is not None:
        action, mail_comments = mail
        proposal.add("actions", action, *mail_comments)
        proposal.mappings["notifications"] = {"sinks": ["mail"]}
        policy["escalate"] = "mail"
    if policy:
        proposal.mappings["policy"] = policy
        proposal.mapping_comments["policy"] = comments
