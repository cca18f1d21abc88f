"""NetworkCheck on loopback (traffic the test sends) and on a veth pair the test creates."""

from __future__ import annotations

import asyncio
import secrets
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator

import pytest
from pydantic import TypeAdapter, ValidationError

from mapekd.config.checks import CheckConfig
from mapekd.model import Sample
from mapekd.monitor.network import NetworkCheck

RATES = {
    "rx_bytes_per_s",
    "tx_bytes_per_s",
    "rx_packets_per_s",
    "tx_packets_per_s",
    "rx_errors_per_s",
    "tx_errors_per_s",
    "rx_drops_per_s",
    "tx_drops_per_s",
    "interval_s",
}
STATE = {"ok", "error", "exists", "operstate", "link_up"}


def ip(*args: str) -> subprocess.CompletedProcess[str]:
    binary = shutil.which("ip") or "/sbin/ip"
    return subprocess.run([binary, *args], capture_output=True, text=True, timeout=30)


@pytest.fixture
def veth() -> Iterator[tuple[str, str]]:
    """A veth pair with names of its own, both ends down; deleted at the end."""
    suffix = secrets.token_hex(4)
    end, peer = f"mkd{suffix}", f"mkp{suffix}"
    made = ip("link", "add", end, "type", "veth", "peer", "name", peer)
    if made.returncode != 0:
        pytest.skip(f"creating a veth pair needs privileges this run lacks: {made.stderr.strip()}")
    yield end, peer
    ip("link", "del", end)  # deletes the peer with it


def send_over_loopback(size: int) -> None:
    """`size` bytes through a TCP connection on 127.0.0.1, received in full."""
    with socket.create_server(("127.0.0.1", 0)) as server:
        received: list[int] = []

        def receive() -> None:
            connection, _ = server.accept()
            with connection:
                total = 0
                while chunk := connection.recv(65536):
                    total += len(chunk)
                received.append(total)

        reader = threading.Thread(target=receive)
        reader.start()
        with socket.create_connection(server.getsockname()) as client:
            client.sendall(b"x" * size)
        reader.join(timeout=30)
    assert received == [size]


async def collect_by_target(check: NetworkCheck) -> dict[str, Sample]:
    return {sample.target: sample for sample in await check.collect()}


async def test_loopback_is_up_and_its_throughput_is_measured() -> None:
    check = NetworkCheck("net", ["lo"])
    first = (await collect_by_target(check))["network:lo"]
    send_over_loopback(2_000_000)
    second = (await collect_by_target(check))["network:lo"]

    assert first.ok and set(first.fields) == STATE  # no rates without a previous collection
    assert first.fields["link_up"] is True and first.fields["operstate"] == "unknown"
    assert set(second.fields) == STATE | RATES
    moved = second.fields["rx_bytes_per_s"] * second.fields["interval_s"]
    # The bytes sent (and more if anything else used lo), within interval_s's rounding to 1 ms:
    # over a ~30 ms interval that alone is up to 2 %.
    slack = 0.0005 / second.fields["interval_s"]
    assert moved >= 2_000_000 * (1 - slack) * 0.999
    assert second.fields["rx_errors_per_s"] >= 0 and second.fields["tx_drops_per_s"] >= 0


async def settled(check: NetworkCheck, target: str, operstate: str) -> Sample:
    """Collect until the kernel has published `operstate` (its link watcher may take a second)."""
    deadline = time.monotonic() + 10
    while True:
        sample = (await collect_by_target(check))[target]
        if sample.fields["operstate"] == operstate or time.monotonic() > deadline:
            return sample
        await asyncio.sleep(0.05)


async def test_link_state_follows_the_veth_pair(veth: tuple[str, str]) -> None:
    end, peer = veth
    check, target = NetworkCheck("net", [end]), f"network:{end}"

    down = await settled(check, target, "down")
    ip("link", "set", end, "up")
    peer_down = await settled(check, target, "lowerlayerdown")
    ip("link", "set", peer, "up")
    up = await settled(check, target, "up")

    assert not down.ok and down.fields["operstate"] == "down" and down.fields["link_up"] is False
    assert not peer_down.ok and peer_down.fields["operstate"] == "lowerlayerdown"
    assert peer_down.fields["link_up"] is False
    assert up.ok and up.fields["link_up"] is True and up.fields["operstate"] == "up"
    assert set(up.fields) == STATE | RATES


async def test_a_missing_interface_is_the_finding_and_fails_alone(veth: tuple[str, str]) -> None:
    end, _ = veth
    check = NetworkCheck("net", ["lo", end])
    await check.collect()
    ip("link", "del", end)

    samples = await collect_by_target(check)

    assert samples["network:lo"].ok
    gone = samples[f"network:{end}"]
    assert not gone.ok and gone.fields["exists"] is False and gone.error is None


def test_an_interface_name_cannot_step_out_of_sysfs() -> None:
    adapter = TypeAdapter(CheckConfig)
    for name in ["..", "../eth0", "a/b", "sixteen-chars-xx"]:
        with pytest.raises(ValidationError, match="interfaces"):
            adapter.validate_python({"type": "network", "name": "net", "interfaces": [name]})
