"""systemd's running services with their Restart= and MainPID, where systemd is the init system.

Two bounded `systemctl` runs (list, then one `show` of them all); no shell, the binary from the
system directories only. Where systemd does not run, or systemctl is missing or slow, the facts
say why and discovery goes on without units."""

from __future__ import annotations

import asyncio
import contextlib
import re
from pathlib import Path

from mapekd.binaries import system_binary
from mapekd.discover.facts import HostFacts, Unit

SYSTEMD_RUNTIME_DIR = "/run/systemd/system"
MAX_UNITS = 256
MAX_OUTPUT = 1024 * 1024
TIMEOUT_S = 5.0
_SERVICE = re.compile(r"[A-Za-z0-9:_.@\\-]{1,247}\.service")


async def read_units(facts: HostFacts, runtime_dir: str = SYSTEMD_RUNTIME_DIR) -> None:
    if not await asyncio.to_thread(Path(runtime_dir).is_dir):
        facts.systemd = "not the init system of this host: no units proposed"
        return
    systemctl = system_binary("systemctl")
    if systemctl is None:
        facts.systemd = "systemctl is not installed: no units proposed"
        return
    listed = await _run(
        systemctl, "list-units", "--type=service", "--state=running", "--no-legend", "--plain"
    )
    if listed is None:
        facts.systemd = "systemctl list-units failed: no units proposed"
        return
    names = [line.split()[0] for line in listed.splitlines() if line.strip()][:MAX_UNITS]
    names = [n for n in names if _valid(n)]
    shown = await _run(systemctl, "show", "--property=Id,Restart,MainPID", "--", *names) if names else ""
    facts.units = parse_show_many(shown or "")
    facts.systemd = "running"


def parse_show_many(text: str) -> dict[str, Unit]:
    """`systemctl show` of several units: blocks of Key=Value lines separated by a blank line."""
    units: dict[str, Unit] = {}
    for block in text.split("\n\n"):
        values = dict(line.split("=", 1) for line in block.splitlines() if "=" in line)
        name = values.get("Id", "")
        if _valid(name):
            pid = values.get("MainPID", "0")
            units[name] = Unit(
                name, values.get("Restart", "no"), int(pid) if pid.isdigit() and pid != "0" else None
            )
    return units


def _valid(name: str) -> bool:
    """A service name the configuration accepts (config/base.py UnitName)."""
    return _SERVICE.fullmatch(name) is not None


async def _run(binary: str, *args: str) -> str | None:
    proc = await asyncio.create_subprocess_exec(
        binary, "--no-pager", *args,
        stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    try:
        async with asyncio.timeout(TIMEOUT_S):
            assert proc.stdout is not None
            out = await proc.stdout.read(MAX_OUTPUT)
            await proc.wait()
    except TimeoutError:
        return None
    finally:
        if proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            await proc.wait()
    return out.decode(errors="replace") if proc.returncode == 0 else None
