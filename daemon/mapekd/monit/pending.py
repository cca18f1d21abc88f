"""Monit check kinds without a counterpart in this version (file, directory, fifo, program,
network): kept as comments naming what they test, to be translated by hand or once the check
type exists."""

from __future__ import annotations

from mapekd.monit.context import Ctx
from mapekd.monit.parser import Stanza
from mapekd.monit.stanza import StanzaTranslation

CHECK_TYPE_OF = {"file": "file", "directory": "directory", "fifo": "fifo", "program": "program",
                 "network": "network"}  # fmt: skip


def untranslated(stanza: Stanza, ctx: Ctx) -> StanzaTranslation:
    service = StanzaTranslation(stanza, ctx, ctx.name(stanza.name))
    wanted = CHECK_TYPE_OF.get(stanza.kind)
    why = (
        f"needs a `{wanted}` check, which this version does not have"
        if wanted
        else f"Monit's `check {stanza.kind}` has no equivalent"
    )
    service.out.note(stanza.head.text(), why)
    for statement in stanza.body:
        service.out.notes.append(f"  {statement.text()}")
    return service
