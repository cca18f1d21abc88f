"""The restart floor: a supervisor that starts a command again the moment it exits.

    python bench/restart_floor.py -- COMMAND [ARG...]

Nothing can restart a crashed service sooner: no detection delay but `wait()`, no decision, no
policy. bench/loop_mttr.py measures mapekd against it. SIGTERM stops the command and the loop."""

from __future__ import annotations

import signal
import subprocess
import sys
from types import FrameType


def main(argv: list[str]) -> int:
    if not argv or argv[0] != "--" or len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    command = argv[1:]
    stopping = False
    child: subprocess.Popen[bytes] | None = None

    def stop(signum: int, frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True
        if child is not None and child.poll() is None:
            child.terminate()

    signal.signal(signal.SIGTERM, stop)
    while not stopping:
        child = subprocess.Popen(command, stdout=subprocess.DEVNULL)
        if stopping:  # SIGTERM came while starting it
            child.terminate()
        child.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
