"""Scoring given answers by the model's own likelihood: the child's side of the Ranker capability.

An option's score is the summed log-probability of its tokens, and of the end of the turn after
them, as the assistant's whole answer to the chat-templated prompt (teacher forcing). The server
gives it in two grammar-forced generations, greedy, with the log-probabilities it reports: those
are the model's own (taken before any sampler, the grammar included), so forcing a token does not
change its score.
1. The option's tokens: LLGuidance forces the option's text in the tokenizer's own (canonical)
   tokens. A plain GBNF string would let greedy decoding spell it in odd pieces ("m", "ay",
   "be" for "maybe"), each improbable, and score the spelling, not the answer.
2. Its score: a GBNF grammar of exactly those token ids, after which llama.cpp allows only an
   end-of-generation token; greedy takes the likeliest, the chat template's end of turn.
The prompt is evaluated once: the server's single slot keeps it cached for every later option.
"""

from __future__ import annotations

import json
from typing import Any

from mapekd.llm.providers.local_llama_runtime import Rejected, checked

MAX_OPTION_TOKENS = 64
"""The longest option scored, in tokens."""


def rank(server: Any, messages: list[dict[str, str]], options: list[str]) -> dict[str, float]:
    """Each option's log-likelihood as the whole answer to `messages`."""
    return {option: score(server, messages, option) for option in dict.fromkeys(options)}


def score(server: Any, messages: list[dict[str, str]], option: str) -> float:
    tokens = canonical_tokens(server, messages, option)
    grammar = "root ::= " + " ".join(f"<[{token}]>" for token in tokens)
    steps = forced(server, messages, grammar, len(tokens) + 1)
    if [int(step["id"]) for step in steps[:-1]] != tokens or len(steps) != len(tokens) + 1:
        raise Rejected("server", f"llama.cpp did not follow the tokens of {option!r}")
    return sum(float(step["logprob"]) for step in steps)


def canonical_tokens(server: Any, messages: list[dict[str, str]], option: str) -> list[int]:
    """The option's text in the tokenizer's own tokens (the end forced after it left out)."""
    grammar = f"%llguidance {{}}\nstart: {json.dumps(option)}"
    steps = forced(server, messages, grammar, MAX_OPTION_TOKENS + 1)
    return [int(step["id"]) for step in steps[:-1]]


def forced(
    server: Any, messages: list[dict[str, str]], grammar: str, max_tokens: int
) -> list[dict[str, Any]]:
    """The tokens of a greedy generation under `grammar`, each with its log-probability."""
    body = {
        "messages": messages,
        "grammar": grammar,
        "max_tokens": max_tokens,
        "temperature": 0,
        "logprobs": True,
        "top_logprobs": 1,  # 0 leaves the log-probabilities out altogether
    }
    choice = checked(server.handle_chat_completions(body))["choices"][0]
    if choice.get("finish_reason") != "stop":
        raise Rejected("bad_request", f"an option longer than {MAX_OPTION_TOKENS} tokens")
    steps: list[dict[str, Any]] = (choice.get("logprobs") or {}).get("content") or []
    if not steps:
        raise Rejected("server", "llama.cpp gave no log-probabilities")
    return steps
