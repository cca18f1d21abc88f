"""llama.cpp through xllamacpp (a prebuilt manylinux wheel of llama.cpp's own C++ server), as the
model's child process uses it: load a model, then chat, embed and rank through the server's
in-process handlers. Imported only in that child (local_llama_child), never by the daemon.

The server also listens on HTTP whatever its settings say (an empty listen list crashes it): it
listens here on an abstract Unix socket (no file left behind when the child is killed) and answers
only requests carrying a random key that never leaves this process.

Answers come as the server writes them (OpenAI shapes: the same chunks llama-cpp-python gave), or
as an `{"error": {"code": ...}}` object, which becomes Rejected: a 4xx a bad request, anything
else the server's failure.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from typing import Any

POOLING_MEAN = "LLAMA_POOLING_TYPE_MEAN"
"""One vector per input in embedding mode (the mean of its tokens'), as before."""


class Rejected(Exception):
    """The server answered with an error object: `kind` is "bad_request" or "server"."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


def load(args: dict[str, Any]) -> Any:
    """The server for `args` (model_path, n_ctx, n_threads, embedding), the model loaded."""
    import xllamacpp  # imported after the priority is lowered: its threads inherit it

    params = xllamacpp.CommonParams()
    params.model.path = args["model_path"]
    params.n_ctx = int(args["n_ctx"])
    params.n_parallel = 1  # one inference at a time: a single slot, its prompt cache reused
    params.verbosity = -1
    params.hostnames = [f"@mapekd-model-{os.getpid()}-{secrets.token_hex(8)}.sock"]
    params.api_keys = [secrets.token_urlsafe(32)]
    params.n_threads_http = 1
    if args.get("n_threads"):
        params.cpuparams.n_threads = params.cpuparams_batch.n_threads = int(args["n_threads"])
    if args.get("embedding"):
        params.embedding = True
        params.pooling_type = getattr(xllamacpp.llama_pooling_type, POOLING_MEAN)
    return xllamacpp.Server(params)


def checked(answer: Any) -> dict[str, Any]:
    """`answer` itself, or Rejected when it is the server's error object."""
    if not isinstance(answer, dict):
        raise Rejected("server", f"llama.cpp answered {type(answer).__name__}, not an object")
    error = answer.get("error")
    if error is None:
        return answer
    detail = error if isinstance(error, dict) else {"message": str(error)}
    code = detail.get("code")
    kind = "bad_request" if isinstance(code, int) and 400 <= code < 500 else "server"
    raise Rejected(kind, f"llama.cpp rejected the request: {detail.get('message', '')}")


def chat(server: Any, kwargs: dict[str, Any], send: Callable[[dict[str, Any]], None]) -> None:
    """The chat's chunks, each sent as {"piece": chunk} as soon as the server writes it, and
    {"prompt_tokens": n} from the server's usage; a failed send (the daemon gone) stops it."""
    body = {**kwargs, "stream": True, "stream_options": {"include_usage": True}}
    failure: list[BaseException] = []

    def on_chunk(chunk: Any) -> bool:
        try:
            answer = checked(chunk)
            usage = answer.get("usage")
            if usage is not None:
                send({"prompt_tokens": int(usage.get("prompt_tokens") or 0)})
            if answer.get("choices"):
                send({"piece": answer})
        except Exception as exc:  # the server swallows what a callback raises: carried out
            failure.append(exc)
            return True  # stop generating
        return False

    server.handle_chat_completions(body, on_chunk)
    if failure:
        raise failure[0]


def embed(server: Any, inputs: list[str]) -> dict[str, Any]:
    body = checked(server.handle_embeddings({"input": inputs}))
    vectors = [row["embedding"] for row in body["data"]]
    return {"vectors": vectors, "tokens": int((body.get("usage") or {}).get("prompt_tokens") or 0)}
