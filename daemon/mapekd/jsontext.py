"""Values as the prompts write them: compact, deterministic JSON text that cannot close the
section it sits in (`<`, `>` and `&` escaped, everything outside ASCII escaped). One definition,
shared by the prompts' `tojson` filter and by redaction, which must find a secret in that form
too; importing it loads nothing of the prompting side."""

from __future__ import annotations

import json
from typing import Any

_SECTION_SAFE = str.maketrans({"<": "\\u003c", ">": "\\u003e", "&": "\\u0026"})


def to_json(value: Any, sort_keys: bool = True) -> str:
    """The `tojson` filter: one line, no spaces, keys sorted unless told otherwise."""
    text = json.dumps(value, sort_keys=sort_keys, separators=(",", ":"), ensure_ascii=True, allow_nan=False)
    return text.translate(_SECTION_SAFE)
