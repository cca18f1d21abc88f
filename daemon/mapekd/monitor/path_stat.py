"""The first step of the checks of a path (file, directory): stat it, or say why not as a sample.

A missing path is a finding, not a failure of the check: ok false, exists false, no error. A path
of the wrong kind, or one stat cannot read, fails the check (the error says why)."""

from __future__ import annotations

import os
from collections.abc import Callable

from mapekd.model import Sample


def stat_or_finding(
    check: str, target: str, path: str, *, kind: Callable[[int], bool], kind_name: str
) -> os.stat_result | Sample:
    """`os.stat(path)` (following symlinks, as Monit does) when it is of `kind` (e.g.
    stat.S_ISDIR), else the sample to report."""
    try:
        info = os.stat(path)
    except FileNotFoundError:
        return Sample(check, target, {"ok": False, "error": None, "exists": False})
    except OSError as exc:
        return Sample.failed(check, target, f"{type(exc).__name__}: {exc.strerror}")
    if not kind(info.st_mode):
        return Sample.failed(check, target, f"not a {kind_name}: {path}")
    return info
