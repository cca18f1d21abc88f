"""How often the LLM is asked for an incident's analysis: the model is a guest on the host.

At most `plan.analysis_per_hour` analyses are asked in any hour, and one per incident kind within
`plan.analysis_reuse`; a kind is the cause fingerprint when the incident has one (one signature
may have several causes, each its own analysis), else the signature (rule and target). A repeat
of a kind asked within that window reuses the earlier analysis (recorded again for the new
incident, marked as reused), or is skipped when the earlier one gave no valid (grounded) answer or
is still being asked; past the hourly limit an analysis is skipped. A crash loop of one service
is then one analysis, not one per crash. Kept in memory, bounded by the hourly limit: a restart
or a reload starts counting afresh (the recorded analyses of a known cause are reused across it).
"""

from __future__ import annotations

import collections
from dataclasses import dataclass, field
from typing import Any, Literal

HOUR = 3600.0
Reason = Literal["hourly_limit", "kind_in_progress", "kind_unanswered"]


@dataclass
class KindAsked:
    """The latest analysis asked for one incident kind."""

    at: float
    incident_id: int
    row: dict[str, Any] | None = None
    """Its stored row once answered validly and grounded; None while asked, or when the answer was
    not valid or not grounded (an invention is not handed on)."""
    answered: bool = False


@dataclass(frozen=True)
class Verdict:
    ask: bool
    reuse: KindAsked | None = None
    skipped: Reason | None = None


@dataclass
class AnalysisLimiter:
    per_hour: int
    reuse_window: float
    _asked_at: collections.deque[float] = field(default_factory=collections.deque)
    _kinds: dict[str, KindAsked] = field(default_factory=dict)

    def admit(self, signature: str, incident_id: int, now: float) -> Verdict:
        """Ask the model (counted from now on), reuse an earlier analysis, or skip."""
        self._forget(now)
        earlier = self._kinds.get(signature)
        if earlier is not None:
            if earlier.row is not None:
                return Verdict(ask=False, reuse=earlier)
            return Verdict(ask=False, skipped="kind_unanswered" if earlier.answered else "kind_in_progress")
        if len(self._asked_at) >= self.per_hour:
            return Verdict(ask=False, skipped="hourly_limit")
        self._asked_at.append(now)
        self._kinds[signature] = KindAsked(now, incident_id)
        return Verdict(ask=True)

    def answered(self, signature: str, row: dict[str, Any] | None) -> None:
        """The model answered: `row` is the stored analysis, None when it was not valid."""
        asked = self._kinds.get(signature)
        if asked is not None:
            asked.row, asked.answered = row, True

    def abandoned(self, signature: str) -> None:
        """Asked but never answered (cancelled, the daemon stopping): the kind may be asked again
        (the hourly count keeps it)."""
        asked = self._kinds.get(signature)
        if asked is not None and not asked.answered:
            del self._kinds[signature]

    def _forget(self, now: float) -> None:
        while self._asked_at and self._asked_at[0] <= now - HOUR:
            self._asked_at.popleft()
        for signature in [s for s, a in self._kinds.items() if a.at <= now - self.reuse_window]:
            del self._kinds[signature]
