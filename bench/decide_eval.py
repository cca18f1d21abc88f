"""Decision quality: `mapekd eval` (the same code), its report written to bench/data/decide_eval.json.

    python bench/decide_eval.py [mapekd eval options: --scenarios, --sources, --repeats, ...]

See `mapekd eval --help` and README "Decision quality"."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "daemon")]

from mapekd.cli.main import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main(["eval", "--out", str(ROOT / "bench" / "data" / "decide_eval.json"), *sys.argv[1:]]))
