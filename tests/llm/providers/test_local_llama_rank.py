"""local_llama's rank() (the Ranker capability) with the real SmolLM2-135M-Instruct model: each
option's log-likelihood as the whole answer, in the model's child process."""

from __future__ import annotations

import asyncio
import math
import time
from typing import Any

import httpx
import psutil
import pytest

from mapekd.llm import errors
from mapekd.llm.base import Ranker
from mapekd.llm.providers import local_llama_rank
from mapekd.llm.providers import local_llama_runtime as runtime
from mapekd.llm.providers.local_llama import MAX_OPTIONS, LocalLlamaProvider
from mapekd.llm.types import ChatRequest, Message

from ..conftest import requires_llama
from .test_local_llama import SHORT, gone_within, make

pytestmark = requires_llama


def ask(question: str) -> ChatRequest:
    return ChatRequest(messages=(Message("user", question),))


async def test_the_local_provider_is_a_ranker_and_its_scores_are_finite_log_probabilities() -> None:
    provider = make()
    assert isinstance(provider, Ranker)
    scores = await provider.rank(ask("Answer yes or no: is fire hot?"), ["yes", "no", "purple elephant"])
    await provider.close()
    assert set(scores) == {"yes", "no", "purple elephant"}
    assert all(math.isfinite(s) and s < 0 for s in scores.values()), scores
    assert scores["yes"] > scores["no"] > scores["purple elephant"], scores


async def test_the_answer_the_question_calls_for_ranks_first() -> None:
    provider = make()
    question = ask("What is the capital of France? Answer with one word.")
    scores = await provider.rank(question, ["London", "Paris", "Berlin", "banana"])
    again = await provider.rank(question, ["banana", "Paris"])  # the prompt now comes from the cache
    await provider.close()
    assert max(scores, key=scores.__getitem__) == "Paris", scores
    assert again == pytest.approx({k: scores[k] for k in again}, abs=1e-3)  # greedy: deterministic


async def test_a_longer_answer_is_not_its_prefix() -> None:
    """The end of the turn is scored too: an option and the same option continued differ."""
    provider = make()
    scores = await provider.rank(ask("Answer yes or no: is fire hot?"), ["yes", "yes yes yes"])
    await provider.close()
    assert scores["yes"] > scores["yes yes yes"], scores


@pytest.mark.parametrize(
    "options",
    [[], [""], ["x" * 300], [f"option {i}" for i in range(MAX_OPTIONS + 1)]],
    ids=["none", "empty", "too-long", "too-many"],
)
async def test_options_out_of_bounds_are_a_bad_request_without_a_model_process(options: list[str]) -> None:
    provider = make()
    with pytest.raises(errors.BadRequest):
        await provider.rank(ask("Say hi."), options)
    assert provider.process.pid is None  # refused before any model work
    await provider.close()


LONG_OPTIONS = [f"restart the service number {i} and then " + "wait for it " * 12 for i in range(MAX_OPTIONS)]


async def test_a_rank_cancelled_midway_kills_the_child_at_once_and_the_next_call_works() -> None:
    provider = make()
    task = asyncio.create_task(provider.rank(ask("What should be done?"), LONG_OPTIONS))
    pid = await asyncio.to_thread(busy_child, provider, time.monotonic() + 120)
    cancelled = time.monotonic()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert await asyncio.to_thread(gone_within, pid, 1.0), "the model process outlived its cancelled rank"
    assert time.monotonic() - cancelled < 1.5
    assert (await provider.chat(SHORT)).text  # a new child serves on
    assert provider.process.pid not in (None, pid)
    await provider.close()


def busy_child(provider: LocalLlamaProvider, deadline: float) -> int:
    """The pid of the provider's child once it has computed for a while (past loading)."""
    while time.monotonic() < deadline:
        pid = provider.process.pid
        if pid is not None:
            try:
                if sum(psutil.Process(pid).cpu_times()[:2]) > 1.5:
                    return int(pid)
            except psutil.Error:
                pass
        time.sleep(0.05)  # polling the child's CPU time, not a fixed wait
    raise AssertionError("the model process never got busy ranking")


async def test_a_rank_past_its_deadline_is_a_timeout_and_frees_the_model() -> None:
    provider = make(timeouts={"total": 1.0})
    with pytest.raises(errors.ProviderTimeout):
        await provider.rank(ask("What should be done?"), LONG_OPTIONS)
    assert provider.process.pid is None  # the child computing it was killed
    await provider.close()


@pytest.fixture(scope="module")
def model_here(smollm2_gguf: str) -> Any:
    """The child's runtime, loaded in this test process (to call the child's ranking directly)."""
    return runtime.load({"model_path": smollm2_gguf, "n_ctx": 512, "n_threads": 1})


@pytest.mark.parametrize("option", ["maybe so", "restart_web", "kill_hung_process", "escalate", "yes"])
def test_an_option_is_scored_in_the_tokenizer_s_own_tokens(
    option: str, model_here: Any, llama_server: str
) -> None:
    """Forcing the text (not its tokens) would let greedy decoding spell "maybe" as "m", "ay",
    "be" and score that spelling: the tokens scored are those llama.cpp's tokenizer gives."""
    messages = [{"role": "user", "content": "Answer yes or no: is fire hot?"}]
    scored = local_llama_rank.canonical_tokens(model_here, messages, option)
    root = llama_server.removesuffix("/v1")
    body = {"content": option, "add_special": False, "parse_special": False}
    assert scored == httpx.post(f"{root}/tokenize", json=body, timeout=30).json()["tokens"]
