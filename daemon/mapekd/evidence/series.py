"""The series behind a Prometheus or PromQL incident: its labels and the values that crossed.

The facts of the incident (the last sample of its target) carry one value per configured field;
a promql target names the series' labels (`promql:<check>/<label>=<value>/...`). One item per
field with a value: `cpu_busy{instance="a:9100",job="node"} = 0.97`, its source the PromQL
expression or the metric's name; a prometheus selector's sum says over how many series.
"""

from __future__ import annotations

import time
from collections.abc import Mapping

from mapekd.evidence.base import EvidenceItem, EvidenceKind, EvidenceRequest
from mapekd.evidence.bounds import keep_newest


class SeriesGatherer:
    kind: EvidenceKind = "series"

    def __init__(self, fields: Mapping[str, str]) -> None:
        self.fields = dict(fields)
        """Sample field -> where its value comes from (the PromQL expression, the metric name)."""

    def gather(self, request: EvidenceRequest) -> list[EvidenceItem]:
        labels = labels_of(request.target)
        now = time.time()
        items: list[EvidenceItem] = []
        for field, source in self.fields.items():
            value = request.facts.get(field)
            if isinstance(value, bool) or not isinstance(value, int | float):
                continue
            count = request.facts.get(f"{field}_series")
            over = f" (sum of {count} series)" if isinstance(count, int) and count > 1 else ""
            items.append(EvidenceItem("series", source, f"{field}{labels} = {value:g}{over}", now))
        return keep_newest(items, request)


def labels_of(target: str) -> str:
    """`{a="1",b="2"}` from `promql:<check>/a=1/b=2`; '' for a target without labels."""
    _, _, rest = target.partition("/")
    pairs = [part.split("=", 1) for part in rest.split("/") if "=" in part]
    return "{" + ",".join(f'{name}="{value}"' for name, value in pairs) + "}" if pairs else ""
