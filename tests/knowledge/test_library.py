"""sqlite-utils is imported without numpy (13 MiB of RSS the daemon never uses), and numpy stays
importable for whatever needs it afterwards."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = """
import json, sys
from mapekd.knowledge.store import SqliteStore
store = SqliteStore(sys.argv[1])
store.db.table("incidents").count
loaded = {"sqlite_utils": "sqlite_utils.db" in sys.modules, "numpy": "numpy" in sys.modules}
import numpy
loaded["numpy_after"] = numpy.__name__ == "numpy" and hasattr(numpy, "ndarray")
print(json.dumps(loaded))
"""


@pytest.mark.skipif(importlib.util.find_spec("numpy") is None, reason="only numpy's presence can be hidden")
def test_the_store_works_without_importing_numpy(tmp_path: Path) -> None:
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(tmp_path / "kb.db")], capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout) == {"sqlite_utils": True, "numpy": False, "numpy_after": True}
