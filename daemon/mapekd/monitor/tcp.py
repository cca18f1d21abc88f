"""`type: tcp`: does a port accept connections, speak TLS with a valid certificate, and answer.

Target `tcp:<check name>`; fields: ok, error, connect_ms, tls_ms, latency_ms, expect_match,
cert_days_left, hostname_ok.
- connect_ms: the TCP handshake; tls_ms: the TLS handshake (tls only); latency_ms: from the
  start of the connection to the end of what was read (or of the handshakes, without `expect`).
- With `tls`, the certificate chain is verified (system CAs, or `ca_file`) and so is the name
  (`server_name`, default `host`) by OpenSSL. A certificate valid for another name gives
  hostname_ok false, and a second handshake that skips only the name check still reports its
  cert_days_left. Any other verification failure (unknown CA, expired: the error says which)
  leaves them null. cert_days_left is fractional days until notAfter.
- With `send`, it is written once connected; with `expect`, the answer (as Latin-1 text: any
  byte matches) is read until the regex matches, the peer closes, `max_read` bytes have come or
  the timeout ends.
ok: connected, verified, the answer matched, and (with `cert_min_days`) the certificate is valid
for at least that many more days. A refused connection or a timeout is a result (ok false), not a
failure of the check.
"""

from __future__ import annotations

import asyncio
import re
import ssl
import time
from typing import TYPE_CHECKING

from mapekd.config.checks_monit import TcpCheckConfig
from mapekd.model import FieldValue, Sample
from mapekd.monitor.base import require_config

if TYPE_CHECKING:
    from mapekd.config.check_base import CheckBase
    from mapekd.shared_http import SharedHttp

Fields = dict[str, FieldValue]
HOSTNAME_MISMATCH = 62
"""OpenSSL's X509_V_ERR_HOSTNAME_MISMATCH: the chain is fine, the name is not in it."""


class TcpCheck:
    def __init__(self, config: TcpCheckConfig) -> None:
        self.name = config.name
        self.targets = (f"tcp:{config.name}",)
        self._cfg = config
        self._expect = re.compile(config.expect) if config.expect else None
        self._server_name = config.server_name or config.host
        self._context = _tls_context(config.ca_file, check_hostname=True) if config.tls else None
        self._name_unchecked: ssl.SSLContext | None = None

    @classmethod
    def from_config(cls, config: CheckBase, *, http: SharedHttp) -> TcpCheck:
        return cls(require_config(config, TcpCheckConfig))

    async def collect(self) -> list[Sample]:
        started = time.perf_counter()
        deadline = asyncio.get_running_loop().time() + self._cfg.timeout
        fields: Fields = {"ok": False, "error": None, "connect_ms": None, "tls_ms": None}
        fields |= {"expect_match": None, "cert_days_left": None, "hostname_ok": None}
        try:
            async with asyncio.timeout_at(deadline):
                await self._probe(fields, started)
        except TimeoutError:
            fields["error"] = f"timeout: no complete answer within {self._cfg.timeout:g}s"
        except ssl.SSLCertVerificationError as exc:
            fields["error"] = f"certificate: {exc.verify_message}"
            if exc.verify_code == HOSTNAME_MISMATCH:
                fields["hostname_ok"] = False
                fields["cert_days_left"] = await self._days_left_unverified_name(deadline)
        except (OSError, ssl.SSLError) as exc:  # refused, reset, unreachable, not TLS: the port is down
            fields["error"] = f"{type(exc).__name__}: {exc}"
        fields["latency_ms"] = _ms(started)
        fields["ok"] = fields["error"] is None and self._judge(fields)
        return [Sample(self.name, self.targets[0], fields)]

    async def _probe(self, fields: Fields, started: float) -> None:
        reader, writer = await asyncio.open_connection(self._cfg.host, self._cfg.port)
        try:
            fields["connect_ms"] = _ms(started)
            if self._context is not None:
                tls_started = time.perf_counter()
                await writer.start_tls(self._context, server_hostname=self._server_name)
                fields["tls_ms"] = _ms(tls_started)
                fields["hostname_ok"] = True
                fields["cert_days_left"] = _days_left(writer.get_extra_info("peercert"))
            if self._cfg.send is not None:
                writer.write(self._cfg.send.encode())
                await writer.drain()
            if self._expect is not None:
                fields["expect_match"] = await self._read_until_match(reader)
        finally:
            writer.close()

    async def _read_until_match(self, reader: asyncio.StreamReader) -> bool:
        assert self._expect is not None
        answer = bytearray()
        while len(answer) < self._cfg.max_read:
            chunk = await reader.read(self._cfg.max_read - len(answer))
            if not chunk:
                break
            answer += chunk
            if self._expect.search(answer.decode("latin-1")):  # every byte is a character
                return True
        return False

    async def _days_left_unverified_name(self, deadline: float) -> float | None:
        """The certificate's days left when only its name is wrong: a second handshake that
        verifies the chain but not the name (so an expiry is still seen coming), within what
        is left of the collection's time."""
        if self._name_unchecked is None:
            self._name_unchecked = _tls_context(self._cfg.ca_file, check_hostname=False)
        try:
            async with asyncio.timeout_at(deadline):
                _, writer = await asyncio.open_connection(
                    self._cfg.host,
                    self._cfg.port,
                    ssl=self._name_unchecked,
                    server_hostname=self._server_name,
                )
        except (TimeoutError, OSError, ssl.SSLError):
            return None
        writer.close()
        return _days_left(writer.get_extra_info("peercert"))

    def _judge(self, fields: Fields) -> bool:
        minimum, left = self._cfg.cert_min_days, fields["cert_days_left"]
        expiring = minimum is not None and isinstance(left, float) and left < minimum
        return fields["expect_match"] is not False and not expiring


def _tls_context(ca_file: str | None, *, check_hostname: bool) -> ssl.SSLContext:
    """The chain is always verified (against `ca_file`, else the system's CAs); the name only
    with `check_hostname`."""
    context = ssl.create_default_context(cafile=ca_file)
    context.check_hostname = check_hostname
    return context


def _days_left(peercert: object) -> float | None:
    """Days until the certificate's notAfter, from the peer certificate as ssl decodes it."""
    not_after = peercert.get("notAfter") if isinstance(peercert, dict) else None
    if not isinstance(not_after, str):
        return None
    return round((ssl.cert_time_to_seconds(not_after) - time.time()) / 86400, 2)


def _ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 2)
