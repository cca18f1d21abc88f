"""The evaluation as text: one line per run as it ends, and the table of figures per source."""

from __future__ import annotations

from typing import Any

ROWS = (
    ("right first (fault scenarios)", "correct_rate"),
    ("actions on no-fault controls", "actions_on_no_fault_runs"),
    ("mitigated (fault scenarios)", "mitigated_rate"),
    ("median time to mitigate s", "ttm_median_s"),
    ("median decision ms: knowledge", "latency_knowledge_ms"),
    ("median decision ms: rule", "latency_fast_rule_ms"),
    ("median decision ms: LLM path", "latency_llm_path_ms"),
    ("median plan call ms", "llm_plan_call_ms"),
    ("LLM asked", "llm_asked"),
    ("LLM answers (within the deadline)", "llm_answered"),
    ("  valid answer (schema)", "llm_valid_answer"),
    ("  copied the prompt's example", "llm_copied_example"),
    ("  acted on as the LLM's", "llm_final"),
    ("own answers on scored decisions", "llm_own_answers_scored"),
    ("  of which the expected remedy", "llm_own_picked_expected"),
    ("model CPU s per incident", "model_cpu_s_per_incident"),
    ("analyses repeated, known fingerprint", "repeated_analyses"),
    ("alternating: median time to mitigate s", "alternating_ttm_median_s"),
)


def line(r: dict[str, Any]) -> str:
    where = f"{r['scenario']:<16} {r['source']:<9}"
    if r.get("skipped"):
        return f"--- {where} skipped: {r['skipped']}"
    mark = "ok " if r["correct"] else "BAD"
    ttm = f"{r['ttm_s']:.1f}s" if r["ttm_s"] is not None else "-"
    episode = f" (occurrence {r['occurrence']})" if r.get("occurrence") else ""
    return (
        f"{mark} {where} chose {r['choice']!s:<13} (expected {r['expected']}, from "
        f"{r['scored_source']}){episode} ttm {ttm:>6} actions {','.join(r['actions']) or '-'} "
        f"[{r['wall_s']}s]"
    )


def table(summary: dict[str, dict[str, Any]]) -> str:
    sources = list(summary)
    width = max(12, *(len(s) + 2 for s in sources))
    out = [f"{'':<38}" + "".join(f"{s:>{width}}" for s in sources)]
    for label, key in ROWS:
        out.append(f"{label:<38}" + "".join(f"{fmt(summary[s][key]):>{width}}" for s in sources))
    scenarios = sorted({name for figures in summary.values() for name in figures["right_by_scenario"]})
    if scenarios:
        out.append("right first, by scenario:")
    for name in scenarios:
        marks = [summary[s]["right_by_scenario"].get(name, "-") for s in sources]
        out.append(f"  {name:<36}" + "".join(f"{m:>{width}}" for m in marks))
    for source, figures in summary.items():
        for cause, rate in (figures["right_from_second_occurrence"] or {}).items():
            out.append(f"alternating, {source}: {cause} right from its 2nd occurrence: {fmt(rate)}")
    return "\n".join(out)


def fmt(value: Any) -> str:
    return "-" if value is None else f"{value:g}" if isinstance(value, float) else str(value)
