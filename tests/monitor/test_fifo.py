"""FifoCheck on a named pipe the test makes (never opened by the check)."""

from __future__ import annotations

import os
import time
from pathlib import Path

from mapekd.config.checks_monit import FifoCheckConfig
from mapekd.model import Sample
from mapekd.monitor.fifo import FifoCheck


async def collect_one(path: Path) -> Sample:
    [sample] = await FifoCheck(FifoCheckConfig(name="pipe", type="fifo", path=str(path))).collect()
    assert sample.target == "fifo:pipe"
    return sample


async def test_a_fifo_with_its_age_and_permissions(tmp_path: Path) -> None:
    pipe = tmp_path / "control"
    os.mkfifo(pipe, 0o620)
    an_hour_ago = time.time() - 3600
    os.utime(pipe, (an_hour_ago, an_hour_ago))

    sample = await collect_one(pipe)  # returns at once: no writer needed, nothing opened

    assert sample.ok and sample.error is None and sample.fields["exists"] is True
    assert sample.fields["mode"] == f"{0o620 & ~current_umask():04o}"
    assert sample.fields["uid"] == os.getuid() and 3600 <= sample.fields["mtime_age_s"] < 3660
    assert "size_bytes" not in sample.fields


async def test_a_missing_fifo_and_a_regular_file(tmp_path: Path) -> None:
    (tmp_path / "plain").write_text("x")

    missing = await collect_one(tmp_path / "gone")
    plain = await collect_one(tmp_path / "plain")

    assert not missing.ok and missing.fields["exists"] is False and missing.error is None
    assert not plain.ok and plain.error == f"not a FIFO: {tmp_path / 'plain'}"


def current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
