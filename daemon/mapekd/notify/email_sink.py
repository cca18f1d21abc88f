"""`email`: notices (and, named as a remedy, the incident) sent to people over SMTP.

smtplib runs in a worker thread, off the loop; every network step is bounded by the action's
`timeout` (the socket's) and the whole delivery by it too. STARTTLS (on by default) verifies the
server's certificate and name before the password, read from the configuration (which takes it
from the environment), is sent; the password is never logged or stored. Errors from smtplib, ssl
and the socket are mapped by type into a result, most specific first."""

from __future__ import annotations

import asyncio
import smtplib
import socket
import ssl
import time
from email.message import EmailMessage

from mapekd.config.actions import EmailActionConfig
from mapekd.execute.base import ActionRequest, ExecResult
from mapekd.notify.email_message import action_message, notice_message
from mapekd.notify.notice import Notice


class EmailAction:
    def __init__(self, config: EmailActionConfig) -> None:
        self.config = config
        self.name = config.name

    def applies_to(self, target: str) -> bool:
        return True

    def effect_of(self, target: str) -> str:
        return self.name

    async def run(self, request: ActionRequest) -> ExecResult:
        facts = {
            "incident": request.incident_id,
            "signature": request.signature,
            "target": request.target,
            **request.params,
        }
        return await self.send(action_message(self.config, facts))

    async def deliver(self, notice: Notice) -> ExecResult:
        return await self.send(notice_message(self.config, notice))

    async def send(self, message: EmailMessage) -> ExecResult:
        started = time.monotonic()
        try:
            async with asyncio.timeout(self.config.timeout):
                refused = await asyncio.to_thread(send_blocking, self.config, message)
        except TimeoutError:
            return ExecResult("timeout", _ms(started), error="SMTP delivery timed out")
        except smtplib.SMTPRecipientsRefused as exc:
            return ExecResult(
                "failed", _ms(started), error=f"every recipient refused: {_codes(exc.recipients)}"
            )
        except smtplib.SMTPResponseException as exc:
            reply = (
                exc.smtp_error.decode("utf-8", "replace")
                if isinstance(exc.smtp_error, bytes)
                else str(exc.smtp_error)
            )
            return ExecResult(
                "failed", _ms(started), exit_code=exc.smtp_code, error=f"SMTP {exc.smtp_code}: {reply}"
            )
        except smtplib.SMTPNotSupportedError as exc:
            return ExecResult("failed", _ms(started), error=f"the server does not offer it: {exc}")
        except ssl.SSLError as exc:  # before OSError, of which it is one
            return ExecResult("failed", _ms(started), error=f"TLS: {exc.reason or exc}")
        except (smtplib.SMTPException, OSError) as exc:
            return ExecResult("failed", _ms(started), error=f"{type(exc).__name__}: {exc}")
        tail = f"accepted for {len(self.config.to) - len(refused)} of {len(self.config.to)} recipient(s)"
        return ExecResult(
            "succeeded", _ms(started), output_tail=tail + (f"; refused: {_codes(refused)}" if refused else "")
        )


def send_blocking(config: EmailActionConfig, message: EmailMessage) -> dict[str, tuple[int, bytes]]:
    """One SMTP session (worker thread): the recipients refused, if some but not all were."""
    # The local name is given: smtplib would otherwise look the host's FQDN up in DNS, unbounded.
    with smtplib.SMTP(
        config.host, config.port, timeout=config.timeout, local_hostname=socket.gethostname()
    ) as smtp:
        smtp.ehlo()
        if config.starttls:
            smtp.starttls(context=ssl.create_default_context(cafile=config.ca_file))
            smtp.ehlo()
        if config.username is not None and config.password is not None:
            smtp.login(config.username, config.password.get_secret_value())
        return smtp.send_message(message)


def _codes(refused: dict[str, tuple[int, bytes]]) -> str:
    return ", ".join(f"{addr} ({code})" for addr, (code, _) in sorted(refused.items()))


def _ms(started: float) -> float:
    return round((time.monotonic() - started) * 1000, 3)
