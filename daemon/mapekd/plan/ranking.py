"""Choose, don't write: a small model's plan is its likelihood of each choice, blended with what
knowledge recorded, instead of an answer it writes (a 135M model copies, it does not judge).

For each option o (the candidates, `none`, `escalate`), with lp(o) the model's log-likelihood of
o as the whole answer:

    model(o)     = exp((lp(o) - max lp) / TEMPERATURE)         in (0, 1]: 1 for the model's favourite
    known(c)     = (s + 1) / (t + 2)                           Laplace success score of candidate c:
                   over its record for this cause (signature + fingerprint) when it has one,
                   else over its record for the signature; 0.5 when never tried
    known(escalate) = 0.8 * (1 - max_c known(c))               a person gains as every remedy's
    known(none)     = 0.4 * (1 - max_c known(c))               record worsens; below an untried
                   remedy (0.4 < 0.5) before any record, so a model must prefer escalating clearly
    score(o)     = W_MODEL * model(o) + W_KNOWLEDGE * known(o)

The highest score is chosen (ties: the rule's order, candidates before none and escalate), and
its score is the proposal's confidence, so an action's `min_confidence` applies as to any LLM
proposal: a remedy the model finds unlikely and knowledge does not back stays below 0.5.
W_KNOWLEDGE > W_MODEL: once a cause has a record, the record decides; before it, the candidates
tie on knowledge and the model's preference decides. The model is relative (its favourite is 1)
because only the order of its likelihoods is informative, not their scale (longer names have
more tokens to be unlikely in). Weights: W_MODEL 0.4, W_KNOWLEDGE 0.6, TEMPERATURE 1.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from mapekd.plan.proposal import Candidate
from mapekd.plan.sources import success_score
from mapekd.prompting import ESCALATE, NO_ACTION

W_MODEL = 0.4
W_KNOWLEDGE = 0.6
TEMPERATURE = 1.0
ESCALATE_SHARE = 0.8
NONE_SHARE = 0.4


@dataclass(frozen=True, slots=True)
class Choice:
    option: str
    score: float
    """The blended score: the proposal's confidence."""
    scores: dict[str, dict[str, float]]
    """Per option: `logprob`, `model`, `known` and the blended `score`, for the record."""


def known_scores(candidates: Sequence[Candidate]) -> dict[str, float]:
    known = {
        c.name: success_score(c.cause_successes, c.cause_tries)
        if c.cause_tries
        else success_score(c.successes, c.tries)
        for c in candidates
    }
    doubt = 1.0 - max(known.values(), default=0.5)
    return {**known, NO_ACTION: NONE_SHARE * doubt, ESCALATE: ESCALATE_SHARE * doubt}


def model_scores(logprobs: Mapping[str, float], options: Sequence[str]) -> dict[str, float]:
    """Relative likelihoods; an option the model gave no (finite) score is as unlikely as can be."""
    finite = {o: logprobs[o] for o in options if o in logprobs and math.isfinite(logprobs[o])}
    best = max(finite.values(), default=0.0)
    return {o: math.exp((finite[o] - best) / TEMPERATURE) if o in finite else 0.0 for o in options}


def choose(candidates: Sequence[Candidate], options: Sequence[str], logprobs: Mapping[str, float]) -> Choice:
    known = known_scores(candidates)
    model = model_scores(logprobs, options)
    table: dict[str, dict[str, float]] = {}
    for option in options:
        score = W_MODEL * model[option] + W_KNOWLEDGE * known[option]
        row = {"model": round(model[option], 4), "known": round(known[option], 4), "score": round(score, 4)}
        if option in logprobs:
            row["logprob"] = round(logprobs[option], 4)
        table[option] = row
    best = max(options, key=lambda o: (table[o]["score"], -options.index(o)))
    return Choice(best, table[best]["score"], table)
