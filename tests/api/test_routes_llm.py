"""/api/v1/llm/generate and /api/v1/llm/chat in seed 000's shapes."""

from __future__ import annotations

from pathlib import Path

from tests.api.harness import LLM, Api, bearer, llm_settings


async def test_generate_answers_in_seed_shape(tmp_path: Path) -> None:
    async with Api(tmp_path, llm=llm_settings(tmp_path, mode="offline")) as api:
        body = {"prompt": "hello world", "provider": "canned", "max_tokens": 64, "temperature": 0.3}
        response = await api.client.post("/api/v1/llm/generate", headers=bearer(LLM), json=body)
        answer = response.json()
        assert response.headers["x-llm-actual-provider"] == "canned"
        assert answer["text"] == "Hello from the offline provider."
        assert answer["provider"] == "canned" and answer["model"] == "canned-model"
        assert answer["tokens_used"] > 0 and answer["latency_ms"] >= 0 and answer["cached"] is False
        again = (await api.client.post("/api/v1/llm/generate", headers=bearer(LLM), json=body)).json()
        assert again["cached"] is True


async def test_chat_and_bad_bodies(tmp_path: Path) -> None:
    async with Api(tmp_path) as api:
        body = {"messages": [{"role": "system", "content": "be brief"}, {"role": "user", "content": "hello"}]}
        answer = (await api.client.post("/api/v1/llm/chat", headers=bearer(LLM), json=body)).json()
        assert answer["text"] == "Hello from the offline provider."
        unknown = await api.client.post(
            "/api/v1/llm/chat", headers=bearer(LLM), json={**body, "stream": True}
        )
        assert unknown.status_code == 400 and unknown.json()["error"]["param"] == "stream"
        conflict = await api.client.post(
            "/api/v1/llm/generate",
            headers={**bearer(LLM), "X-LLM-Provider": "canned"},
            json={"prompt": "hello", "provider": "other"},
        )
        assert conflict.status_code == 400
