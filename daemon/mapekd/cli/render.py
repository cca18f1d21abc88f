"""Tables for people, drawn with rich: aligned, coloured on a terminal, plain when piped (no
colour, no wrapping, no trailing blanks: a line per row, for grep and awk). Cell text is never
read as rich markup, so a target named `[red]x` prints as written.

On a terminal a table of up to TTY_TABLE_ROWS rows is a rich Table, whose free-text columns wrap
to the terminal's width; longer tables, and piped output, are rich Text lines in columns of
rich-measured width: a rich Table costs about a millisecond per row, which a 400-row `kb stats`
cannot afford."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import Any, TextIO

from rich.cells import cell_len
from rich.console import Console, RenderableType
from rich.table import Table
from rich.text import Text

from mapekd.cli.styles import style_of
from mapekd.report.fmt import fmt_rate, fmt_seconds, fmt_ts

PIPED_WIDTH = 10_000
TTY_TABLE_ROWS = 100
GAP = "  "
PROSE = frozenset({"summary", "reason", "detail", "message", "error", "output_tail"})
"""Columns of free text: on a terminal these wrap, so that the others never have to."""
HEADER = "bold underline"


def console(out: TextIO | None = None) -> Console:
    file = out if out is not None else sys.stdout
    return Console(file=file, highlight=False, emoji=False, width=None if file.isatty() else PIPED_WIDTH)


def cell(key: str, value: Any) -> str:
    if value is None:
        return "-"
    if key.endswith("_at"):
        return fmt_ts(value)
    if key.endswith("_s") and isinstance(value, int | float):
        return fmt_seconds(value)
    if key.endswith("_rate") and isinstance(value, int | float):
        return fmt_rate(value)
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def emit(renderable: RenderableType, out: TextIO | None = None) -> None:
    """Print to a terminal as rich draws it; piped, as plain lines without trailing blanks."""
    con = console(out)
    if con.is_terminal:
        con.print(renderable)
        return
    with con.capture() as captured:
        con.print(renderable, soft_wrap=True)
    con.file.write("".join(line.rstrip() + "\n" for line in captured.get().splitlines()))


@dataclass(frozen=True)
class Layout:
    """A table's cells as text, with each column's width and alignment."""

    columns: list[tuple[str, str]]
    rows: list[dict[str, Any]]
    cells: list[list[str]]
    widths: list[int]
    numeric: list[bool]

    @classmethod
    def of(cls, rows: list[dict[str, Any]], columns: list[tuple[str, str]]) -> Layout:
        cells = [[cell(key, row.get(key)) for key, _ in columns] for row in rows]
        widths = [
            max(cell_len(title), *(cell_len(c[i]) for c in cells)) for i, (_, title) in enumerate(columns)
        ]
        numeric = []
        for key, _ in columns:
            values = [r[key] for r in rows if r.get(key) is not None]
            numeric.append(bool(values) and not key.endswith("_at") and all(_is_number(v) for v in values))
        return cls(columns, rows, cells, widths, numeric)

    def table(self) -> Table:
        grid = Table(box=None, header_style=HEADER, pad_edge=False, show_edge=False)
        for (key, title), width, numeric in zip(self.columns, self.widths, self.numeric, strict=True):
            prose = key in PROSE
            grid.add_column(
                title,
                justify="right" if numeric else "left",
                no_wrap=not prose,
                overflow="fold",
                ratio=1 if prose else None,
                min_width=None if prose else width,
            )
        for row, texts in zip(self.rows, self.cells, strict=True):
            grid.add_row(
                *(
                    Text(t, style=style_of(k, row.get(k)))
                    for (k, _), t in zip(self.columns, texts, strict=True)
                )
            )
        return grid

    def lines(self) -> Text:
        out = Text(no_wrap=True, overflow="ignore")
        last = len(self.columns) - 1
        self._line(out, [(title, HEADER) for _, title in self.columns], last)
        for row, texts in zip(self.rows, self.cells, strict=True):
            self._line(
                out,
                [(t, style_of(k, row.get(k))) for (k, _), t in zip(self.columns, texts, strict=True)],
                last,
            )
        out.rstrip()
        return out

    def _line(self, out: Text, parts: list[tuple[str, str]], last: int) -> None:
        for i, (text, style) in enumerate(parts):
            pad = " " * (self.widths[i] - cell_len(text))
            if self.numeric[i]:
                out.append(pad)
            out.append(text, style=style)
            if i < last:
                out.append(("" if self.numeric[i] else pad) + GAP)
        out.append("\n")


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def print_table(
    rows: list[dict[str, Any]],
    columns: list[tuple[str, str]],
    *,
    title: str = "",
    out: TextIO | None = None,
    empty: str = "(none)",
) -> None:
    if title:
        emit(Text(title, style="bold"), out)
    if not rows:
        emit(Text(empty, style="dim"), out)
        return
    layout = Layout.of(rows, columns)
    tty = console(out).is_terminal
    emit(layout.table() if tty and len(rows) <= TTY_TABLE_ROWS else layout.lines(), out)


def print_line(*parts: tuple[str, str] | str, out: TextIO | None = None) -> None:
    """One line from (text, style) pieces (or plain strings), never parsed as markup."""
    line = Text()
    for part in parts:
        text, style = (part, "") if isinstance(part, str) else part
        line.append(text, style=style)
    emit(line, out)
