"""llama.cpp's OpenAI-compatible server on 127.0.0.1 for the tests, from the xllamacpp wheel:
`python llama_server.py MODEL PORT N_CTX`; it serves until SIGTERM or SIGINT."""

from __future__ import annotations

import os
import signal
import sys


def main(model: str, port: str, n_ctx: str) -> None:
    import xllamacpp

    params = xllamacpp.CommonParams()
    params.model.path = model
    params.hostnames = ["127.0.0.1"]
    params.port = int(port)
    params.n_ctx = int(n_ctx)
    params.n_parallel = 1
    server = xllamacpp.Server(params)
    print(f"listening on {server.listening_address}", flush=True)
    signal.sigwait({signal.SIGTERM, signal.SIGINT})
    os._exit(0)  # at once: the server's threads need no orderly shutdown


if __name__ == "__main__":
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM, signal.SIGINT})  # before any thread
    main(*sys.argv[1:4])
