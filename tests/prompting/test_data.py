"""Clipping and compacting observed values before they enter a prompt."""

from __future__ import annotations

import pytest

from mapekd.prompting.data import ago, clip, compact, number, oneline


@pytest.mark.parametrize(
    ("text", "limit", "expected"),
    [
        ("short", 10, "short"),
        ("/usr/bin/app --password=s3cr3tvalue --verbose", 30, "/usr/bin/app ..."),
        ("/usr/bin/app --password=s3cr3tvalue --verbose", 36, "/usr/bin/app --password=s3cr3tvalue ..."),
        ("token=" + "a" * 100, 40, "<106 chars>"),
        ("a b", 2, "a ..."),
    ],
)
def test_clip_cuts_only_at_whitespace(text: str, limit: int, expected: str) -> None:
    assert clip(text, limit) == expected


def test_clip_never_shows_part_of_a_token() -> None:
    secret = "Zq8vLx2Rk9Wm4Tp7"
    text = f"run --key {secret} --mode fast"
    for limit in range(1, len(text) + 1):
        clipped = clip(text, limit)
        assert secret in clipped or not any(secret[:n] in clipped for n in range(4, len(secret)))


def test_oneline_flattens_control_characters() -> None:
    assert oneline("a\nb\x1b[31m\tc\u2028d") == "a b [31m c d"


def test_numbers_lose_digits_not_meaning() -> None:
    assert [number(x) for x in (1234.567, 12.345, 0.000123456, 3.0, 7)] == [1235, 12.3, 0.000123, 3, 7]


def test_compact_drops_non_finite_numbers_and_clips_text() -> None:
    value = {"x": float("inf"), "y": [float("nan"), 2.25], "s": "word " * 100}
    result = compact(value, text_limit=20)
    assert result["x"] is None and result["y"] == [None, 2.2]
    assert result["s"].endswith(" ...") and len(result["s"]) <= 24


@pytest.mark.parametrize(
    ("seconds", "text"), [(5, "5s"), (119, "119s"), (150, "2m"), (7300, "2h"), (400000, "5d")]
)
def test_ago(seconds: float, text: str) -> None:
    assert ago(seconds) == text
