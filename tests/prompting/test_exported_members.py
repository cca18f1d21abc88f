"""The public API of mapekd.prompting, pinned."""

from __future__ import annotations

import mapekd.prompting as prompting


def test_exported_members() -> None:
    assert sorted(prompting.__all__) == sorted(
        [
            "Analysis",
            "AnalysisStyle",
            "Anomaly",
            "CAUSES",
            "CandidateView",
            "CauseAnalysis",
            "ESCALATE",
            "Grounding",
            "HostSnapshot",
            "NO_ACTION",
            "OutputInvalid",
            "PlanProposal",
            "PromptError",
            "PromptTooLarge",
            "Prompts",
            "ProseAnalysis",
            "Redactor",
            "Rendered",
            "TRIMS",
            "Trim",
            "analysis_schema",
            "analyze_context",
            "budget",
            "cause_schema",
            "count_tokens",
            "estimate_tokens",
            "evidence_ids",
            "explain_context",
            "explain_text",
            "ground",
            "parse_analysis",
            "parse_cause",
            "parse_plan",
            "plan_choices",
            "plan_context",
            "plan_schema",
            "recorded_analysis",
            "render_fitted",
            "repair_messages",
            "snapshot_host",
        ]
    )
    aliases = {"Analysis", "AnalysisStyle"}  # type aliases (a union, a Literal) have no __module__
    for name in (n for n in prompting.__all__ if not n.isupper() and n not in aliases):
        assert getattr(prompting, name).__module__.startswith("mapekd.prompting."), name
