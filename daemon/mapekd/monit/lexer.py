"""Monit's control file as tokens. Monit's grammar is free-form: newlines mean nothing, `#`
starts a comment, strings are quoted with " or ', and `include FILE|GLOB` is lexical (the
included text stands where the include was, at any place). Reading is bounded: MAX_BYTES per
file, MAX_FILES in all, includes MAX_DEPTH deep; what is over a bound is an error, never a hang."""

from __future__ import annotations

import glob
import re
from dataclasses import dataclass
from pathlib import Path

from mapekd.errors import MapekdError

MAX_BYTES = 1024 * 1024
MAX_FILES = 256
MAX_DEPTH = 4

_TOKEN = re.compile(
    r"""(?P<space>\s+)|(?P<comment>\#[^\n]*)
    |(?P<quoted>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
    |(?P<punct>[{}(),])|(?P<op>[<>!=]=?)|(?P<word>[^\s{}(),<>!="'\#]+)""",
    re.X,
)


class MonitError(MapekdError):
    """The monitrc cannot be read or tokenized (names the file and line)."""


@dataclass(frozen=True)
class Token:
    text: str
    where: str
    """`file:line` of the token, for comments and errors."""
    quoted: bool = False

    def low(self) -> str:
        return self.text if self.quoted else self.text.lower()


@dataclass
class Reader:
    files: int = 0
    notes: list[str] | None = None

    def tokens(self, path: Path, depth: int = 0) -> list[Token]:
        self.files += 1
        if self.files > MAX_FILES:
            raise MonitError(f"{path}: more than {MAX_FILES} files included")
        text = _read(path)
        return self._expand(tokenize(text, str(path)), path.parent, depth)

    def _expand(self, tokens: list[Token], base: Path, depth: int) -> list[Token]:
        out: list[Token] = []
        i = 0
        while i < len(tokens):
            token = tokens[i]
            if token.low() == "include" and not token.quoted and i + 1 < len(tokens):
                if depth >= MAX_DEPTH:
                    raise MonitError(f"{token.where}: includes nested deeper than {MAX_DEPTH}")
                out += self._include(tokens[i + 1], base, depth)
                i += 2
                continue
            out.append(token)
            i += 1
        return out

    def _include(self, pattern: Token, base: Path, depth: int) -> list[Token]:
        target = base / pattern.text if not Path(pattern.text).is_absolute() else Path(pattern.text)
        paths = sorted(glob.glob(str(target))) if glob.has_magic(str(target)) else [str(target)]
        found: list[Token] = []
        for name in paths:
            if Path(name).is_file():
                found += self.tokens(Path(name), depth + 1)
            elif not glob.has_magic(str(target)) and self.notes is not None:
                self.notes.append(f"include {pattern.text} ({pattern.where}): no such file, not read")
        return found


def _read(path: Path) -> str:
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_BYTES + 1)
    except OSError as exc:
        raise MonitError(f"cannot read {path}: {exc.strerror}") from exc
    if len(data) > MAX_BYTES:
        raise MonitError(f"{path}: larger than {MAX_BYTES} bytes")
    return data.decode("utf-8", errors="replace")


def tokenize(text: str, name: str) -> list[Token]:
    tokens: list[Token] = []
    line, pos = 1, 0
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None:
            raise MonitError(f"{name}:{line}: unexpected {text[pos]!r} (an unclosed quote?)")
        kind, value = match.lastgroup, match.group()
        if kind == "quoted":
            body = value[1:-1]
            tokens.append(Token(re.sub(r"\\(.)", r"\1", body), f"{name}:{line}", quoted=True))
        elif kind not in ("space", "comment"):
            tokens.append(Token(value, f"{name}:{line}"))
        line += value.count("\n")
        pos = match.end()
    return tokens
