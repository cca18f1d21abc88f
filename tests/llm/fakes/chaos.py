"""An OpenAI-compatible upstream whose behaviour the test switches while it runs, served by a
process of its own so that the test can SIGKILL it while it holds a request:

    python -m tests.llm.fakes.chaos --port P --control FILE --log FILE

The control file says how every chat request is answered (read again at each request):
  ok:<text>     a well-formed completion with that content
  server_error | rate_limited | overloaded | stall | malformed | unauthorized
                FakeOpenAI's own faults (429 and 503 carry Retry-After: 1)
  cut           the answer breaks off: a body with fewer bytes than its content-length, or a
                stream cut after its first chunks; then the connection closes
  garbage       200, application/json, with bytes that are neither JSON nor UTF-8
  wrong_schema  a well-formed completion whose content is JSON of another shape
Each request is appended to the log file (`<unix time> <method> <path>`) before it is answered,
so the test knows when one is held and how far apart retries came."""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from collections.abc import Sequence
from pathlib import Path
from typing import cast, get_args

from .openai_api import FakeOpenAI
from .script import Fault, FaultKind
from .server import FakeServer, Reply, Request

CHAT = ("POST", "/v1/chat/completions")
GARBAGE = b"\x89PNG\r\n\x1a\n\xff\xfe{{{ not json \x00\xc3(" * 8
WRONG_SCHEMA = json.dumps({"remedy": "reboot the world", "certainty": "very", "steps": [1, 2]})


class ChaosOpenAI:
    def __init__(self, control: Path, log: Path) -> None:
        self.control = control
        self.log = log
        self.fake = FakeOpenAI()

    def __call__(self, request: Request) -> Reply:
        with self.log.open("a") as log:
            log.write(f"{time.time():.3f} {request.method} {request.path}\n")
        if (request.method, request.path) != CHAT:
            return self.fake(request)
        mode = self.control.read_text().strip()
        if mode == "cut" and not (request.json() or {}).get("stream"):
            return _cut_body()
        if mode == "garbage":
            return Reply(headers={"content-type": "application/json"}, body=GARBAGE)
        if mode == "wrong_schema":
            self.fake.script.answer(WRONG_SCHEMA)
        elif mode.startswith("ok:"):
            self.fake.script.answer(mode.removeprefix("ok:"))
        elif mode in get_args(FaultKind):
            self.fake.script.fail(Fault(cast(FaultKind, mode), retry_after="1"))
        else:
            raise ValueError(f"unknown chaos mode {mode!r}")
        return self.fake(request)


def _cut_body() -> Reply:
    whole = json.dumps(
        {
            "id": "chatcmpl-123",
            "object": "chat.completion",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": "The answer is"}}],
        }
    ).encode()
    return Reply(headers={"content-type": "application/json"}, body=whole[: len(whole) // 2], cut=True)


async def serve(port: int, control: Path, log: Path) -> None:
    async with FakeServer(ChaosOpenAI(control, log), port=port):
        await asyncio.Event().wait()  # until killed


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.llm.fakes.chaos")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--control", type=Path, required=True)
    parser.add_argument("--log", type=Path, required=True)
    args = parser.parse_args(argv)
    asyncio.run(serve(args.port, args.control, args.log))


if __name__ == "__main__":
    main()
