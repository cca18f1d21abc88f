"""Tables: coloured on a terminal, plain and aligned when piped, data never read as markup."""

from __future__ import annotations

import io

from mapekd.cli.render import TTY_TABLE_ROWS, print_table

ROWS = [
    {"id": 1, "status": "open", "signature": "[red]down@process:web", "success_rate": 0.25},
    {"id": 12, "status": "resolved", "signature": "cpu@host", "success_rate": 1.0},
]
COLUMNS = [("id", "ID"), ("status", "STATUS"), ("signature", "SIGNATURE"), ("success_rate", "SUCCESS")]


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_piped_output_is_plain_aligned_columns() -> None:
    out = io.StringIO()
    print_table(ROWS, COLUMNS, out=out)
    assert out.getvalue() == (
        "ID  STATUS    SIGNATURE              SUCCESS\n"
        " 1  open      [red]down@process:web      25%\n"
        "12  resolved  cpu@host                  100%\n"
    )


def test_a_terminal_gets_colours_and_the_same_text() -> None:
    out = Terminal()
    print_table(ROWS, COLUMNS, out=out)
    text = out.getvalue()
    assert "\x1b[1;31mopen" in text and "\x1b[32mresolved" in text  # open red, resolved green
    assert "\x1b[31m    25%" in text and "\x1b[32m   100%" in text  # a poor rate red, a good one green
    assert "[red]down@process:web" in text  # printed as written, not as markup


def test_long_tables_are_lines_on_a_terminal_too() -> None:
    rows = [
        {"id": i, "status": "open", "signature": f"s{i}", "success_rate": None}
        for i in range(TTY_TABLE_ROWS + 1)
    ]
    out = Terminal()
    print_table(rows, COLUMNS, out=out)
    lines = out.getvalue().splitlines()
    assert len(lines) == TTY_TABLE_ROWS + 2 and "\x1b[1;31mopen" in lines[1]


def test_an_empty_table_says_so() -> None:
    out = io.StringIO()
    print_table([], COLUMNS, title="open incidents (0)", out=out)
    assert out.getvalue() == "open incidents (0)\n(none)\n"
