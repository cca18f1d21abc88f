"""The bounded runner of evidence tools, on real processes it starts."""

from __future__ import annotations

import time

from mapekd.evidence.command import run_tool


def test_output_and_exit_code() -> None:
    out = run_tool(["/bin/echo", "hello"], timeout=10, max_bytes=1000)
    assert (out.code, out.stdout, out.error) == (0, b"hello\n", None)
    assert out.ok


def test_a_tool_past_its_deadline_is_killed_and_says_so() -> None:
    started = time.monotonic()
    out = run_tool(["/bin/sleep", "30"], timeout=0.5, max_bytes=1000)
    assert time.monotonic() - started < 10
    assert out.code is None and out.error is not None and "0.5s" in out.error


def test_endless_output_is_cut_at_the_cap() -> None:
    out = run_tool(["/usr/bin/yes", "evidence"], timeout=20, max_bytes=10_000)
    assert len(out.stdout) == 10_000 and out.stdout.startswith(b"evidence\n")
    assert out.code is None and out.error == "output cut at 10000 bytes"


def test_a_missing_tool_is_an_error_not_an_exception() -> None:
    out = run_tool(["/nonexistent/tool"], timeout=1, max_bytes=100)
    assert out.code is None and out.error is not None and "cannot start" in out.error


def test_stderr_and_a_failing_code_are_kept() -> None:
    out = run_tool(["/bin/ls", "/nonexistent-dir"], timeout=10, max_bytes=100)
    assert out.code not in (0, None) and "nonexistent-dir" in out.stderr
