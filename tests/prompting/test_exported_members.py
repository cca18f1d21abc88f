"""The public API of mapekd.prompting, pinned."""

from __future__ import annotations

import mapekd.prompting as prompting


def test_exported_members() -> None:
    assert sorted(prompting.__all__) == sorted(
        [
            "ESCALATE",
            "NO_ACTION",
            "TRIMS",
            "Analysis",
            "Anomaly",
            "CandidateView",
            "HostSnapshot",
            "OutputInvalid",
            "PlanProposal",
            "PromptError",
            "PromptTooLarge",
            "Prompts",
            "Redactor",
            "Rendered",
            "Trim",
            "analysis_schema",
            "analyze_context",
            "budget",
            "copies_example",
            "count_tokens",
            "estimate_tokens",
            "explain_context",
            "explain_text",
            "parse_analysis",
            "parse_plan",
            "plan_choices",
            "plan_context",
            "plan_schema",
            "render_fitted",
            "repair_messages",
            "snapshot_host",
        ]
    )
    for name in (n for n in prompting.__all__ if not n.isupper()):  # constants have no __module__
        assert getattr(prompting, name).__module__.startswith("mapekd.prompting."), name
