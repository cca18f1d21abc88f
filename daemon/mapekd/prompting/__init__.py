"""The prompt side of the LLM decision: templates, their contexts, fitting, redaction, parsing.

Prompts (env)         one Jinja2 Environment over `prompts/`; render() -> Rendered messages
*_context (context)   template contexts from the situation, the host and knowledge recall
render_fitted (fit)   the same, trimmed by priority to a token budget
Redactor (redact)     the one choke point before a prompt leaves the process
parse_* (output)      the model's answer -> Analysis | PlanProposal, or OutputInvalid
"""

from mapekd.prompting.context import CandidateView, analyze_context, plan_context
from mapekd.prompting.env import Prompts, Rendered
from mapekd.prompting.errors import OutputInvalid, PromptError, PromptTooLarge
from mapekd.prompting.explain import explain_context, explain_text
from mapekd.prompting.fit import TRIMS, Trim, budget, count_tokens, estimate_tokens, render_fitted
from mapekd.prompting.host import HostSnapshot, snapshot_host
from mapekd.prompting.output import (
    ESCALATE,
    NO_ACTION,
    Analysis,
    Anomaly,
    PlanProposal,
    analysis_schema,
    copies_example,
    parse_analysis,
    parse_plan,
    plan_choices,
    plan_schema,
    repair_messages,
)
from mapekd.prompting.redact import Redactor

__all__ = [
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
