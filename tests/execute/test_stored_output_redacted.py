"""What a remedy wrote is stored with the secrets masked: a command that prints its own secret
environment and a password on a command line leaves neither in the knowledge base."""

from __future__ import annotations

import sys
from pathlib import Path

from tests.plan.loop import base_config, running_loop

CANARY = "canary-Secret-7f3a91"


async def test_command_output_is_stored_redacted(tmp_path: Path) -> None:
    config = base_config(tmp_path, None, llm="never")
    code = "import os; print('token', os.environ['API_TOKEN']); print('mysql -pHunter2pass -u root')"
    config["actions"][0] = {
        "name": "restart_a",
        "type": "command",
        "argv": [sys.executable, "-c", code],
        "env": {"API_TOKEN": CANARY},
        "settle": "300ms",
    }
    async with running_loop(tmp_path, config) as loop:
        await loop.incident_decided()
        rows = loop.rows("SELECT output_tail FROM executions WHERE action = 'restart_a'")
    assert rows
    for row in rows:
        assert "token [REDACTED]" in row["output_tail"]
        assert CANARY not in row["output_tail"] and "Hunter2pass" not in row["output_tail"]
