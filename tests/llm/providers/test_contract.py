"""The contract every provider keeps, run against each one (see harness.py)."""

from __future__ import annotations

import pytest

from mapekd.llm import errors
from mapekd.llm.base import Provider
from mapekd.llm.types import ChatRequest, Chunk, Message

from ..fakes.script import Fault, FaultKind
from .conftest import harness_kinds
from .harness import Harness

REQUEST = ChatRequest(
    messages=(Message("system", "You are terse."), Message("user", "Say hello to the operator.")),
    max_tokens=24,
)
TEXT = "Hello operator, all services are healthy and nothing needs a restart today."


def every(fault: FaultKind | None = None) -> pytest.MarkDecorator:
    """Run for every provider (that can produce `fault`: an in-process model has no HTTP 429)."""
    return pytest.mark.parametrize("harness", harness_kinds(fault), indirect=True)


async def collect(provider: Provider, request: ChatRequest = REQUEST) -> list[Chunk]:
    return [chunk async for chunk in provider.stream(request)]


@every()
async def test_chat_returns_text_model_and_usage(harness: Harness) -> None:
    harness.answer(TEXT)
    completion = await harness.provider().chat(REQUEST)
    if harness.knows_text:
        assert completion.text == TEXT
    assert completion.text.strip()
    assert completion.model
    assert completion.provider == harness.provider().name
    assert completion.usage.input_tokens > 0
    assert completion.usage.output_tokens > 0
    assert completion.finish_reason in ("stop", "length")


@every()
async def test_stream_concatenates_to_the_text_and_ends_with_finish_reason(
    harness: Harness,
) -> None:
    harness.answer(TEXT)
    chunks = await collect(harness.provider())
    text = "".join(c.delta for c in chunks)
    if harness.knows_text:
        assert text == TEXT
    assert text.strip()
    assert len(chunks) > 2
    assert [c.finish_reason is not None for c in chunks] == [False] * (len(chunks) - 1) + [True]
    assert chunks[-1].finish_reason in ("stop", "length")
    assert chunks[-1].usage is not None and chunks[-1].usage.output_tokens > 0


@every("rate_limited")
async def test_429_is_rate_limited_with_retry_after(harness: Harness) -> None:
    harness.fail(Fault("rate_limited", retry_after="7"))
    with pytest.raises(errors.RateLimited) as caught:
        await harness.provider().chat(REQUEST)
    assert caught.value.retry_after == 7.0
    assert caught.value.retryable


@every("rate_limited")
async def test_429_on_a_stream_is_rate_limited(harness: Harness) -> None:
    harness.fail(Fault("rate_limited", retry_after="3"))
    with pytest.raises(errors.RateLimited) as caught:
        await collect(harness.provider())
    assert caught.value.retry_after == 3.0


@every("server_error")
async def test_5xx_is_server_error(harness: Harness) -> None:
    harness.fail(Fault("server_error"))
    with pytest.raises(errors.ServerError):
        await harness.provider().chat(REQUEST)


@every("overloaded")
async def test_overload_is_overloaded(harness: Harness) -> None:
    """503 (Anthropic: 529 overloaded_error) -> Overloaded, with Retry-After where sent."""
    harness.fail(Fault("overloaded"))
    with pytest.raises(errors.Overloaded) as caught:
        await harness.provider().chat(REQUEST)
    assert caught.value.retryable


@every("unauthorized")
async def test_unauthorized_is_authentication_failed(harness: Harness) -> None:
    harness.fail(Fault("unauthorized"))
    with pytest.raises(errors.AuthenticationFailed):
        await harness.provider().chat(REQUEST)


@every("stall")
async def test_no_answer_is_provider_timeout(harness: Harness) -> None:
    harness.fail(Fault("stall"))
    with pytest.raises(errors.ProviderTimeout):
        await harness.provider(total=0.5).chat(REQUEST)


@every("stall")
async def test_no_stream_is_provider_timeout(harness: Harness) -> None:
    harness.fail(Fault("stall"))
    with pytest.raises(errors.ProviderTimeout):
        await collect(harness.provider(total=0.5))


@every("malformed")
async def test_malformed_body_is_malformed_response(harness: Harness) -> None:
    harness.fail(Fault("malformed"))
    with pytest.raises(errors.MalformedResponse):
        await harness.provider().chat(REQUEST)


@every("malformed")
async def test_malformed_stream_is_malformed_response(harness: Harness) -> None:
    harness.fail(Fault("malformed"))
    with pytest.raises(errors.MalformedResponse):
        await collect(harness.provider())


@every("cut")
async def test_stream_cut_midway_is_interrupted_never_a_clean_end(harness: Harness) -> None:
    harness.fail(Fault("cut"))
    received: list[Chunk] = []
    with pytest.raises(errors.StreamInterrupted):
        async for chunk in harness.provider().stream(REQUEST):
            received.append(chunk)
    assert received, "the cut must come after the first chunk"
    assert all(c.finish_reason is None for c in received)


@every()
async def test_models_lists_something(harness: Harness) -> None:
    assert await harness.provider().models()


@every()
async def test_close_is_idempotent_and_final(harness: Harness) -> None:
    provider = harness.provider()
    await provider.close()
    await provider.close()
    assert getattr(provider, "closed") is True  # noqa: B009 - not part of the Protocol
    with pytest.raises(errors.ProviderUnavailable):
        await provider.chat(REQUEST)
    stream = provider.stream(REQUEST)  # errors surface when iterated, never on the call
    with pytest.raises(errors.ProviderUnavailable):
        await anext(stream)
