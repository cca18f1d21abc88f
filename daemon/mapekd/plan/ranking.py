"""Choose, don't write: a small model's plan is its likelihood of each choice, blended with what
knowledge recorded, instead of an answer it writes (a 135M model copies, it does not judge).

With lp(o) the model's log-likelihood of option o as the whole answer:

    known(c)     = (s + 1) / (t + 2)             Laplace success score of candidate c: over its
                                                 record for this cause (signature + fingerprint)
                                                 when it has one, else for the signature; 0.5 untried
    model(c)     = exp((lp(c) - max_c' lp(c')) / TEMPERATURE)    relative among the candidates:
                                                 1 for the model's favourite remedy
    score(c)        = known(c) * (1 + MODEL_TILT * model(c))
    score(escalate) = ESCALATE_SHARE * (1 - max_c known(c))      a person gains as every
    score(none)     = NONE_SHARE * (1 - max_c known(c))          remedy's record worsens

The highest score is chosen (ties: the rule's order) and, capped at 1, is the proposal's
confidence, so an action's `min_confidence` applies as to any written LLM proposal.
Weights: MODEL_TILT 0.5, ESCALATE_SHARE 0.8, NONE_SHARE 0.4, TEMPERATURE 1.

Why this shape: the model tilts the choice among remedies knowledge cannot tell apart (two
untried remedies: 0.75 against 0.5), and never outweighs the record: a remedy that fixed this
cause (2/2: 0.75) beats the model's favourite that failed on it (0/2: at most 0.375), and when
every remedy keeps failing (0/5 each: at most 0.21) the decision escalates (0.69). `none` and
`escalate` are ranked and recorded, but their likelihoods do not count: measured with the
embedded SmolLM2-135M on plan.j2 (hang, dependency down, crash, broken config), "none" had the
highest likelihood in 4 of 4 (it is the shortest answer: -6.3 against -10 to -12 for the other
names), also after calibration against a content-free prompt; a short answer is no judgment.

No term for the cause class: where the class the evidence shows narrows the choice (remedies
that declare `treats`, a class other than `unknown`), plan/by_cause.py decides before any model
is asked, so a ranking only ever runs where the class says nothing about the candidates. The
model still reads the class (`incident.cause_class` in plan.j2's data) for the analysis it
writes and for the remedies that declare nothing.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from mapekd.plan.proposal import Candidate
from mapekd.plan.sources import success_score
from mapekd.prompting import ESCALATE, NO_ACTION

MODEL_TILT = 0.5
ESCALATE_SHARE = 0.8
NONE_SHARE = 0.4
TEMPERATURE = 1.0


@dataclass(frozen=True, slots=True)
class Choice:
    option: str
    score: float
    """The blended score (capped at 1: the proposal's confidence)."""
    scores: dict[str, dict[str, float]]
    """Per option: `logprob`, `model` (candidates), `known` and the blended `score`, for the record."""


def known_scores(candidates: Sequence[Candidate]) -> dict[str, float]:
    return {
        c.name: success_score(c.cause_successes, c.cause_tries)
        if c.cause_tries
        else success_score(c.successes, c.tries)
        for c in candidates
    }


def model_scores(logprobs: Mapping[str, float], names: Sequence[str]) -> dict[str, float]:
    """Relative likelihoods; a name the model gave no (finite) score is as unlikely as can be."""
    finite = {n: logprobs[n] for n in names if n in logprobs and math.isfinite(logprobs[n])}
    best = max(finite.values(), default=0.0)
    return {n: math.exp((finite[n] - best) / TEMPERATURE) if n in finite else 0.0 for n in names}


def choose(candidates: Sequence[Candidate], options: Sequence[str], logprobs: Mapping[str, float]) -> Choice:
    known = known_scores(candidates)
    model = model_scores(logprobs, list(known))
    doubt = 1.0 - max(known.values(), default=0.5)
    table: dict[str, dict[str, float]] = {}
    for option in options:
        if option in known:
            row = {"model": model[option], "known": known[option]}
            row["score"] = known[option] * (1 + MODEL_TILT * model[option])
        else:
            share = ESCALATE_SHARE if option == ESCALATE else NONE_SHARE if option == NO_ACTION else 0.0
            row = {"known": share * doubt, "score": share * doubt}
        if option in logprobs:
            row["logprob"] = logprobs[option]
        table[option] = {k: round(v, 4) for k, v in row.items()}
    best = max(options, key=lambda o: (table[o]["score"], -options.index(o)))
    return Choice(best, min(table[best]["score"], 1.0), table)
