"""The embedded model's own process: `python -m mapekd.llm.providers.local_llama_child ARGS`.

llama.cpp cannot be interrupted in the middle of a step, so it runs here, where the daemon can
stop it at once by killing the process (local_llama_worker.LlamaProcess starts and kills it).
First of all the process drops to the lowest CPU priority (nice 19, SCHED_IDLE where the kernel
has it): both are per-thread on Linux and inherited, so every thread llama.cpp starts later runs
at that priority too, and a model generating never takes CPU the host needs.

ARGS is a JSON object: model_path, n_ctx, n_threads (null: llama.cpp's default), embedding. Then
one JSON object a line: a request on stdin, its answer on stdout:
  {"op": "chat", "kwargs": {...}} -> {"piece": chunk}..., {"prompt_tokens": n}, {"end": stats}
  {"op": "embed", "inputs": [...]} -> {"vectors": [[...], ...], "tokens": n}, {"end": stats}
  {"op": "rank", "messages": [...], "options": [...]} -> {"scores": {option: logprob}}, {"end": stats}
  any failure                     -> {"error": "load" | "bad_request" | "server", "message": ...}
`stats` is the inference's CPU seconds and its monotonic start and end (the parent's clock too).
The model runs in llama.cpp's own server, in-process (local_llama_runtime, local_llama_rank).
Whatever llama.cpp itself prints goes to stderr, never into the answers.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import resource
import signal
import sys
import time
from collections.abc import Callable
from typing import IO, Any

from mapekd.llm.providers import local_llama_rank
from mapekd.llm.providers import local_llama_runtime as runtime

NICE = 19
PR_SET_PDEATHSIG = 1


def lowest_priority() -> None:
    with contextlib.suppress(OSError):
        os.setpriority(os.PRIO_PROCESS, 0, NICE)
    if hasattr(os, "SCHED_IDLE"):
        with contextlib.suppress(OSError):
            os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))


def die_with_parent() -> None:
    """Linux: killed when the daemon dies, even by SIGKILL (no orphan left generating)."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def answer(server: Any, request: dict[str, Any], send: Callable[[dict[str, Any]], None]) -> None:
    op = request.get("op")
    if op == "embed":
        send(runtime.embed(server, request["inputs"]))
    elif op == "rank":
        send({"scores": local_llama_rank.rank(server, request["messages"], request["options"])})
    else:
        runtime.chat(server, request["kwargs"], send)  # streamed: sent token by token


def serve(args: dict[str, Any], requests: IO[str], out: IO[str]) -> None:
    server: Any = None
    for line in requests:
        request = json.loads(line)
        try:
            server = server if server is not None else runtime.load(args)
        except Exception as exc:  # an unreadable file, a wrong format, no memory
            _send(out, {"error": "load", "message": f"cannot load {args['model_path']}: {_name(exc)}"})
            return
        started, cpu = time.monotonic(), _cpu()
        try:
            answer(server, request, lambda message: _send(out, message))
        except runtime.Rejected as exc:  # the server's own error answer (e.g. over n_ctx)
            _send(out, {"error": exc.kind, "message": str(exc)})
            continue
        except ValueError as exc:  # llama.cpp's word for a bad request (e.g. an invalid schema)
            _send(out, {"error": "bad_request", "message": f"llama.cpp rejected the request: {exc}"})
            continue
        except Exception as exc:
            _send(out, {"error": "server", "message": f"llama.cpp failed: {_name(exc)}"})
            continue
        _send(out, {"end": {"cpu_s": round(_cpu() - cpu, 4), "started": started, "ended": time.monotonic()}})


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _name(exc: Exception) -> str:
    return f"{type(exc).__name__}: {exc}"


def _send(out: IO[str], message: dict[str, Any]) -> None:
    out.write(json.dumps(message) + "\n")
    out.flush()


def main(argv: list[str]) -> int:
    lowest_priority()
    die_with_parent()
    out = os.fdopen(os.dup(1), "w", encoding="utf-8")  # the answers' own channel
    os.dup2(2, 1)  # what llama.cpp prints on stdout lands on stderr
    with contextlib.suppress(BrokenPipeError, KeyboardInterrupt):
        serve(json.loads(argv[1]), sys.stdin, out)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
