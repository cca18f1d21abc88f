"""Tokens into stanzas: `set ...` statements and `check KIND NAME ...` blocks, each block a head
and statements. A statement starts at one of STARTERS; an `if` runs to its `then ACTION` (and an
`else if ... then ACTION`), so an action named `restart` or `start` never starts a statement."""

from __future__ import annotations

from dataclasses import dataclass, field

from mapekd.monit.lexer import Token

STARTERS = frozenset(
    {"if", "start", "stop", "restart", "depends", "depend", "group", "alert", "noalert", "every",
     "mode", "onreboot", "check", "set"}
)  # fmt: skip
TOP = frozenset({"check", "set"})


@dataclass
class Statement:
    tokens: list[Token]

    @property
    def keyword(self) -> str:
        return self.tokens[0].low()

    @property
    def where(self) -> str:
        return self.tokens[0].where

    def words(self) -> list[str]:
        return [t.low() for t in self.tokens]

    def text(self) -> str:
        return " ".join(f'"{t.text}"' if t.quoted else t.text for t in self.tokens)


@dataclass
class Stanza:
    head: Statement
    body: list[Statement] = field(default_factory=list)

    @property
    def kind(self) -> str:
        """`set`, or the check's kind (process, file, host...)."""
        words = self.head.words()
        return words[1] if words[0] == "check" and len(words) > 1 else words[0]

    @property
    def name(self) -> str:
        return self.head.tokens[2].text if len(self.head.tokens) > 2 else "unnamed"


def parse(tokens: list[Token]) -> tuple[list[Stanza], list[Statement]]:
    """The stanzas, and statements found outside any (text before the first `check`/`set`)."""
    stanzas: list[Stanza] = []
    stray: list[Statement] = []
    for statement in statements(tokens):
        if statement.keyword in TOP:
            stanzas.append(Stanza(statement))
        elif stanzas and stanzas[-1].kind != "set":
            stanzas[-1].body.append(statement)
        elif stanzas:
            stanzas[-1].head.tokens += statement.tokens  # `set` runs on until the next stanza
        else:
            stray.append(statement)
    return stanzas, stray


def statements(tokens: list[Token]) -> list[Statement]:
    out: list[Statement] = []
    current: list[Token] = []
    depth = 0
    state = _IfState()
    for i, token in enumerate(tokens):
        word = token.low() if not token.quoted else ""
        previous = tokens[i - 1].low() if i else ""
        if depth == 0 and word in STARTERS and current and state.allows_break(word, previous, current):
            out.append(Statement(current))
            current, state = [], _IfState()
        current.append(token)
        depth += {"{": 1, "}": -1}.get(word, 0) if not token.quoted else 0
        depth = max(depth, 0)
        state.see(word, current)
    if current:
        out.append(Statement(current))
    return out


@dataclass
class _IfState:
    action_seen: bool = False
    after_then: bool = False

    def see(self, word: str, current: list[Token]) -> None:
        if current[0].low() != "if":
            return
        if word == "then":
            self.after_then, self.action_seen = True, False
        elif self.after_then and not self.action_seen:
            self.action_seen = True  # the word right after `then` is the action
        if word == "else":
            self.after_then = self.action_seen = False

    def allows_break(self, word: str, previous: str, current: list[Token]) -> bool:
        if current[0].low() == "set":  # `set alert`, `set daemon 60 with start delay 30`
            return word in TOP
        if current[0].low() != "if":
            return word in STARTERS
        if previous in ("else", "repeat"):  # `else if`, `and repeat every N cycles`
            return False
        return self.action_seen
