"""Evaluating a rule's `when` on one sample, with 'unknown' for samples that cannot answer."""

from __future__ import annotations

from mapekd.analyze.expr import Expression
from mapekd.model import FieldValue, Sample


def condition_on(expr: Expression, sample: Sample) -> bool | None:
    """True/False, or None when the check failed and the sample lacks a field the rule reads
    (a failed check must neither trip nor clear a rule about what it could not see)."""
    if sample.error is not None and not expr.fields <= sample.fields.keys():
        return None
    return expr.evaluate(sample.fields)


def relevant_fields(expr: Expression, sample: Sample) -> dict[str, FieldValue]:
    """The fields the expression reads (plus ok/error), for symptoms and prompts."""
    keep = expr.fields | {"ok", "error"}
    return {k: v for k, v in sample.fields.items() if k in keep}
