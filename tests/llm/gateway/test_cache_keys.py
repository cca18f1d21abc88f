"""The exact-cache key changes with every field that can change an answer, and with the tenant."""

from __future__ import annotations

import dataclasses

import pytest

from mapekd.llm.cache import exact_key, semantic_scope
from mapekd.llm.cache.keys import IGNORED_FIELDS, SCOPE_FIELDS
from mapekd.llm.types import ChatRequest, Message

from .doubles import ask

BASE = ask("restart nginx?")

VARIANTS = {
    "messages": dataclasses.replace(BASE, messages=(Message("user", "restart nginx!"),)),
    "message_role": dataclasses.replace(BASE, messages=(Message("system", "restart nginx?"),)),
    "model": dataclasses.replace(BASE, model="gpt-x"),
    "role": dataclasses.replace(BASE, role="plan"),
    "max_tokens": dataclasses.replace(BASE, max_tokens=100),
    "temperature": dataclasses.replace(BASE, temperature=0.7),
    "top_p": dataclasses.replace(BASE, top_p=0.9),
    "stop": dataclasses.replace(BASE, stop=("\n",)),
    "seed": dataclasses.replace(BASE, seed=42),
    "json_schema": dataclasses.replace(BASE, json_schema={"type": "object"}),
    "tools": dataclasses.replace(BASE, tools=({"type": "function", "name": "restart"},)),
    "options": dataclasses.replace(BASE, options={"num_ctx": 4096}),
    "tenant": dataclasses.replace(BASE, tenant="team-b"),
}


@pytest.mark.parametrize("field", sorted(VARIANTS))
def test_every_output_affecting_field_changes_the_key(field: str) -> None:
    assert exact_key(VARIANTS[field]) != exact_key(BASE)


def test_every_chat_request_field_is_keyed_or_explicitly_ignored() -> None:
    fields = {f.name for f in dataclasses.fields(ChatRequest)}
    assert fields == set(SCOPE_FIELDS) | {"messages"} | IGNORED_FIELDS
    assert set(SCOPE_FIELDS) | {"messages"} <= set(VARIANTS)  # each one proven to change the key


def test_the_pinned_provider_is_part_of_the_key() -> None:
    assert exact_key(BASE, "a") != exact_key(BASE, "b") != exact_key(BASE)


def test_task_does_not_change_the_key() -> None:
    assert exact_key(dataclasses.replace(BASE, task="incident-1")) == exact_key(BASE)


def test_equivalent_spellings_give_the_same_key() -> None:
    a = dataclasses.replace(BASE, temperature=0, options={"a": 1, "b": {"x": 1, "y": 2}})
    b = dataclasses.replace(BASE, temperature=0.0, options={"b": {"y": 2, "x": 1}, "a": 1.0})
    assert exact_key(a) == exact_key(b)


def test_semantic_scope_ignores_the_last_message_only() -> None:
    history = (Message("system", "You are an SRE."), Message("user", "restart nginx"))
    a = ChatRequest(messages=history)
    b = ChatRequest(messages=(history[0], Message("user", "bounce nginx")))
    c = ChatRequest(messages=(Message("system", "You are a poet."), history[1]))
    assert semantic_scope(a) == semantic_scope(b)
    assert semantic_scope(a) != semantic_scope(c)
    assert semantic_scope(a) != semantic_scope(dataclasses.replace(a, temperature=0.5))
    assert semantic_scope(a) != semantic_scope(dataclasses.replace(a, tenant="other"))
