"""offline specifics: prepared answers and embeddings files, matching, faults, hashed vectors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mapekd.errors import ConfigError
from mapekd.llm import errors
from mapekd.llm.base import Ranker
from mapekd.llm.providers.offline import ALIKE, LIKELY, UNLIKELY
from mapekd.llm.providers.offline_data import OfflineAnswer
from mapekd.llm.providers.registry import OfflineConfig, OfflineProvider, build_provider
from mapekd.llm.types import ChatRequest, EmbeddingRequest, Message

from .harness import config


def ask(text: str) -> ChatRequest:
    return ChatRequest(
        messages=(
            Message("system", "sys mentions disk full"),
            Message("user", text),
            Message("assistant", "earlier"),
        )
    )


def make(
    tmp_path: Path,
    answers: object,
    suffix: str = ".yaml",
    **extra: object,
) -> OfflineProvider:
    path = tmp_path / f"answers{suffix}"
    path.write_text(json.dumps(answers))  # JSON is valid YAML too
    provider = build_provider(config({"name": "off", "type": "offline", "answers_path": str(path), **extra}))
    assert isinstance(provider, OfflineProvider)
    return provider


@pytest.mark.parametrize("suffix", [".json", ".yaml"])
async def test_first_match_on_the_last_user_message_wins(tmp_path: Path, suffix: str) -> None:
    provider = make(
        tmp_path,
        {
            "default": "fallback",
            "answers": [
                {"match": "DISK FULL", "answer": '{"action": "noop"}'},
                {"regex": r"web\w* (is )?down", "answer": '{"action": "restart"}'},
                {"match": "web", "answer": "never reached for 'webserver down'"},
            ],
        },
        suffix,
    )
    assert (await provider.chat(ask("the Disk Full alarm"))).text == '{"action": "noop"}'
    assert (await provider.chat(ask("webserver down"))).text == '{"action": "restart"}'
    assert (await provider.chat(ask("something else"))).text == "fallback"
    completion = await provider.chat(ask("webserver down"))
    assert completion.model == "offline" and completion.provider == "off"
    assert completion.usage.output_tokens == 2  # whitespace tokens


async def test_bare_list_and_config_default(tmp_path: Path) -> None:
    provider = make(tmp_path, [{"match": "a", "answer": "A"}], default_answer="cfg default")
    assert (await provider.chat(ask("zzz"))).text == "cfg default"


async def test_no_match_and_no_default_is_not_found(tmp_path: Path) -> None:
    provider = make(tmp_path, [{"match": "a", "answer": "A"}])
    with pytest.raises(errors.NotFound):
        await provider.chat(ask("zzz"))


async def test_scripted_fault_only_for_its_match(tmp_path: Path) -> None:
    provider = make(
        tmp_path, [{"match": "chaos", "error": "overloaded", "retry_after": 2}, {"answer": "calm"}]
    )
    with pytest.raises(errors.Overloaded) as caught:
        await provider.chat(ask("chaos drill"))
    assert caught.value.retry_after == 2.0
    assert (await provider.chat(ask("normal"))).text == "calm"


async def test_in_memory_answers_come_first(tmp_path: Path) -> None:
    provider = OfflineProvider(
        OfflineConfig(name="mem", type="offline", default_answer="d"),
        answers=[OfflineAnswer(match="ping", answer="pong")],
    )
    assert (await provider.chat(ask("ping?"))).text == "pong"
    assert (await provider.chat(ask("other"))).text == "d"


async def test_embeddings_from_file_and_hashed_fallback(tmp_path: Path) -> None:
    vectors = tmp_path / "vectors.json"
    vectors.write_text(json.dumps({"disk full": [1.0, 0.0, 0.0], "cpu hot": [0.0, 1.0, 0.0]}))
    provider = build_provider(config({"name": "off", "type": "offline", "embeddings_path": str(vectors)}))
    result = await provider.embed(EmbeddingRequest(inputs=("disk full", "unknown words here")))
    assert result.vectors[0] == (1.0, 0.0, 0.0)
    assert len(result.vectors[1]) == 3
    again = await provider.embed(EmbeddingRequest(inputs=("unknown words here",)))
    assert again.vectors[0] == result.vectors[1]


async def test_hashed_vectors_are_unit_length_and_lexical(tmp_path: Path) -> None:
    provider = build_provider(config({"name": "off", "type": "offline", "embedding_dim": 32}))
    a, b, c = (
        await provider.embed(
            EmbeddingRequest(inputs=("restart the web server", "restart web server", "rotate logs"))
        )
    ).vectors
    assert len(a) == 32 and abs(sum(x * x for x in a) - 1.0) < 1e-9

    def dot(u: tuple[float, ...], v: tuple[float, ...]) -> float:
        return sum(x * y for x, y in zip(u, v, strict=True))

    assert dot(a, b) > dot(a, c)


@pytest.mark.parametrize(
    ("content", "field"),
    [
        ("{not json", "answers_path"),
        (json.dumps([{"match": "a", "answer": "x", "colour": "red"}]), "answers_path"),
        (json.dumps([{"regex": "(", "answer": "x"}]), "answers_path"),
        (json.dumps([{"error": "exploded"}]), "answers_path"),
    ],
)
def test_bad_answer_files_are_config_errors(tmp_path: Path, content: str, field: str) -> None:
    path = tmp_path / "a.json"
    path.write_text(content)
    with pytest.raises(ConfigError) as caught:
        build_provider(config({"name": "off", "type": "offline", "answers_path": str(path)}))
    assert caught.value.path == field


def test_missing_files_are_config_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read"):
        build_provider(
            config({"name": "off", "type": "offline", "embeddings_path": str(tmp_path / "nope.yaml")})
        )
    ragged = tmp_path / "v.yaml"
    ragged.write_text("a: [1, 2]\nb: [1]\n")
    with pytest.raises(ConfigError, match="differ in length"):
        build_provider(config({"name": "off", "type": "offline", "embeddings_path": str(ragged)}))


async def test_rank_is_deterministic_from_the_prepared_answers(tmp_path: Path) -> None:
    """The offline provider can rank (the Ranker capability): scripted scores, else the option its
    answer names first, else all alike; scripted faults apply as to a chat."""
    provider = make(
        tmp_path,
        {
            "default": "no model here",
            "answers": [
                {"match": "hang", "scores": {"kill": -0.5, "restart": -3.0}},
                {"match": "db down", "answer": '{"action": "start_db"}'},
                {"match": "chaos", "error": "overloaded"},
            ],
        },
    )
    assert isinstance(provider, Ranker)
    options = ["kill", "restart", "start_db", "escalate"]
    assert await provider.rank(ask("a hang"), options) == {
        "kill": -0.5,
        "restart": -3.0,
        "start_db": UNLIKELY,
        "escalate": UNLIKELY,
    }
    named = await provider.rank(ask("db down"), options)
    assert max(named, key=named.__getitem__) == "start_db" and named["start_db"] == LIKELY
    assert set((await provider.rank(ask("else"), options)).values()) == {ALIKE}
    with pytest.raises(errors.Overloaded):
        await provider.rank(ask("chaos"), options)
