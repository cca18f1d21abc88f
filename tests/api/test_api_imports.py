"""The API depends on the healing loop through the LoopView Protocol only: importing every module
of mapekd.api loads neither the runner nor the engine (nor the daemon's view over them)."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import mapekd.api

LOOP_MODULES = ("mapekd.runner", "mapekd.engine", "mapekd.daemon_view")


def test_no_api_module_imports_the_runner_or_the_engine() -> None:
    code = (
        "import importlib, json, pkgutil, sys\n"
        "import mapekd.api\n"
        "names = [m.name for m in pkgutil.iter_modules(mapekd.api.__path__, 'mapekd.api.')]\n"
        "for name in names:\n"
        "    importlib.import_module(name)\n"
        "print(json.dumps([names, sorted(m for m, v in sys.modules.items() if v is not None)]))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    names, loaded = json.loads(out.stdout.splitlines()[-1])

    assert "mapekd.api.app" in names and "mapekd.api.context" in names  # the walk saw the package
    assert [m for m in loaded if m in LOOP_MODULES] == []


def test_no_api_module_names_the_runner_or_the_engine_even_for_typing() -> None:
    # An import under TYPE_CHECKING is a dependency all the same: mypy and a reader follow it.
    package = Path(mapekd.api.__file__).parent
    found = {
        f"{path.name}: {target}"
        for path in sorted(package.rglob("*.py"))
        for target in _imported(ast.parse(path.read_text()))
        if any(target == m or target.startswith(m + ".") for m in LOOP_MODULES)
    }

    assert len(list(package.rglob("*.py"))) > 5
    assert found == set()


def _imported(tree: ast.AST) -> list[str]:
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.append(node.module)
            names.extend(f"{node.module}.{alias.name}" for alias in node.names)
    return names
