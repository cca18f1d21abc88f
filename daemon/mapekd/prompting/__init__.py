"""The prompt side of the LLM decision: templates, their contexts, fitting, redaction, parsing.

Prompts (env)         one Jinja2 Environment over `prompts/`; render() -> Rendered messages
*_context (context)   template contexts from the situation, the host and knowledge recall
render_fitted (fit)   the same, trimmed by priority to a token budget
Redactor (redact)     the one choke point before a prompt leaves the process
parse_* (output)      the model's answer -> ProseAnalysis | PlanProposal, or OutputInvalid
parse_cause           a small model's structured analysis -> CauseAnalysis (structured)
ground (grounding)    does an analysis cite only what was observed?
"""

from mapekd.prompting.context import AnalysisStyle, CandidateView, analyze_context, plan_context
from mapekd.prompting.env import Prompts, Rendered
from mapekd.prompting.errors import OutputInvalid, PromptError, PromptTooLarge
from mapekd.prompting.evidence import evidence_ids
from mapekd.prompting.explain import explain_context, explain_text, recorded_analysis
from mapekd.prompting.fit import TRIMS, Trim, budget, count_tokens, estimate_tokens, render_fitted
from mapekd.prompting.grounding import Grounding, ground
from mapekd.prompting.host import HostSnapshot, snapshot_host
from mapekd.prompting.output import (
    ESCALATE,
    NO_ACTION,
    Anomaly,
    PlanProposal,
    ProseAnalysis,
    analysis_schema,
    parse_analysis,
    parse_plan,
    plan_choices,
    plan_schema,
    repair_messages,
)
from mapekd.prompting.redact import Redactor
from mapekd.prompting.structured import CAUSES, Analysis, CauseAnalysis, cause_schema, parse_cause

__all__ = [
    "CAUSES",
    "ESCALATE",
    "NO_ACTION",
    "TRIMS",
    "Analysis",
    "AnalysisStyle",
    "Anomaly",
    "CandidateView",
    "CauseAnalysis",
    "Grounding",
    "HostSnapshot",
    "OutputInvalid",
    "PlanProposal",
    "PromptError",
    "PromptTooLarge",
    "Prompts",
    "ProseAnalysis",
    "Redactor",
    "Rendered",
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
