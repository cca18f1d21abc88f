"""E-mail sinks against a real SMTP server on loopback (aiosmtpd): STARTTLS with a certificate
the test makes, AUTH with a password from the environment, retries with backoff when the server
refuses, each delivery recorded as an execution of kind `notify`, and the password nowhere."""

from __future__ import annotations

import email
import email.policy
import logging
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from mapekd.config.actions import EmailActionConfig
from mapekd.config.loader import load_settings
from mapekd.config.settings import NotificationsConfig, Settings
from mapekd.errors import ConfigError
from mapekd.knowledge.store import SqliteStore
from mapekd.model import Symptom
from mapekd.notify.dispatcher import Notifier
from mapekd.notify.email_sink import EmailAction
from mapekd.notify.notice import Notice
from mapekd.notify.sink import NoticeSink
from tests.notify.smtp_server import PASSWORD, USER, Mailbox, make_certificate, start


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return make_certificate(tmp_path_factory.mktemp("tls"))


@pytest.fixture
def server(certificate: tuple[Path, Path]) -> Iterator[tuple[Mailbox, int]]:
    mailbox = Mailbox()
    controller = start(mailbox, *certificate)
    yield mailbox, controller.port
    controller.stop()


def mail_config(port: int, cert: Path | None, **extra: Any) -> EmailActionConfig:
    data = {"name": "mail", "type": "email", "host": "127.0.0.1", "port": port, "from": "mapekd@host.example"}
    data |= {"to": ["oncall@example.org"], "timeout": 5, "username": USER, "password": PASSWORD}
    if cert is not None:
        data["ca_file"] = str(cert)
    return EmailActionConfig.model_validate(data | extra)


def gave_up(store: SqliteStore, signature: str = "web_down@process:web") -> Notice:
    incident_id = store.open_incident(Symptom("web_down", "process:web", "critical", "web is down", {}))
    decision_id = store.record_decision(
        {
            "incident_id": incident_id,
            "ts": time.time(),
            "verdict": "gave_up",
            "target": "process:web",
            "source": "policy",
        }
    )
    return Notice(
        "gave_up", incident_id, decision_id, signature, "process:web", "web is down", {"restarts": 3}
    )


async def notify(
    store: SqliteStore, config: EmailActionConfig, notice: Notice, attempts: int = 3
) -> dict[str, Any]:
    settings = NotificationsConfig(attempts=attempts, backoff=0.01, max_backoff=0.05)
    notifier = Notifier(settings, "mail", {"mail": EmailAction(config)}, store, dry_run=False)
    notifier.send(notice)
    await notifier.drain(30)
    [row] = store._rows("SELECT * FROM executions")
    return row


async def test_a_notice_arrives_over_starttls_with_auth_and_is_recorded(
    tmp_path: Path,
    server: tuple[Mailbox, int],
    certificate: tuple[Path, Path],
    caplog: pytest.LogCaptureFixture,
) -> None:
    mailbox, port = server
    store = SqliteStore(tmp_path / "kb.db")
    caplog.set_level(logging.DEBUG)
    row = await notify(store, mail_config(port, certificate[0]), gave_up(store))

    assert row["state"] == "succeeded" and row["kind"] == "notify" and row["attempts"] == 1
    assert mailbox.logins == [(USER.encode(), True)]
    [envelope] = mailbox.messages
    assert envelope.mail_from == "mapekd@host.example" and envelope.rcpt_tos == ["oncall@example.org"]
    assert isinstance(envelope.content, bytes)
    message = email.message_from_bytes(envelope.content, policy=email.policy.default)
    assert message["Subject"] == "mapekd gave up healing: web_down@process:web"
    assert message["Auto-Submitted"] == "auto-generated"
    body = message.get_body().get_content()  # type: ignore[union-attr]
    assert "web is down" in body and '"restarts": 3' in body
    dump = "\n".join(str(r) for r in store._rows("SELECT * FROM executions")) + caplog.text
    assert PASSWORD not in dump and "canary" not in dump
    store.close()


async def test_a_refusing_server_is_retried_then_recorded_failed(
    tmp_path: Path, server: tuple[Mailbox, int], certificate: tuple[Path, Path]
) -> None:
    mailbox, port = server
    mailbox.refuse = 100
    store = SqliteStore(tmp_path / "kb.db")
    row = await notify(store, mail_config(port, certificate[0]), gave_up(store), attempts=3)

    assert mailbox.attempts == 3 and mailbox.messages == []
    assert row["state"] == "failed" and row["attempts"] == 3
    assert row["exit_code"] == 451 and row["error"].startswith("SMTP 451")
    store.close()


async def test_a_server_that_refuses_twice_gets_the_message_at_the_third_attempt(
    tmp_path: Path, server: tuple[Mailbox, int], certificate: tuple[Path, Path]
) -> None:
    mailbox, port = server
    mailbox.refuse = 2
    store = SqliteStore(tmp_path / "kb.db")
    row = await notify(store, mail_config(port, certificate[0]), gave_up(store), attempts=5)

    assert row["state"] == "succeeded" and row["attempts"] == 3 and len(mailbox.messages) == 1
    store.close()


async def test_a_certificate_nobody_vouches_for_stops_the_delivery_before_the_password(
    tmp_path: Path, server: tuple[Mailbox, int]
) -> None:
    mailbox, port = server
    store = SqliteStore(tmp_path / "kb.db")
    row = await notify(store, mail_config(port, None), gave_up(store), attempts=1)

    assert row["state"] == "failed" and row["error"].startswith("TLS: ")
    assert mailbox.logins == [] and mailbox.messages == []
    store.close()


async def test_a_wrong_password_is_a_failure_naming_the_server_answer(
    tmp_path: Path, server: tuple[Mailbox, int], certificate: tuple[Path, Path]
) -> None:
    mailbox, port = server
    store = SqliteStore(tmp_path / "kb.db")
    config = mail_config(port, certificate[0], password="not-the-password-at-all")
    row = await notify(store, config, gave_up(store), attempts=1)

    assert row["state"] == "failed" and row["exit_code"] == 535 and mailbox.messages == []
    assert "not-the-password" not in str(row)
    store.close()


async def test_a_closed_port_is_a_failure_not_an_exception(tmp_path: Path) -> None:
    from tests.notify.smtp_server import free_port

    store = SqliteStore(tmp_path / "kb.db")
    row = await notify(store, mail_config(free_port(), None), gave_up(store), attempts=2)

    assert row["state"] == "failed" and "ConnectionRefusedError" in row["error"] and row["attempts"] == 2
    store.close()


async def test_observed_text_cannot_add_headers_or_recipients(
    tmp_path: Path, server: tuple[Mailbox, int], certificate: tuple[Path, Path]
) -> None:
    mailbox, port = server
    store = SqliteStore(tmp_path / "kb.db")
    hostile = "web_down@x\r\nBcc: thief@evil.example\r\n\r\nfake body"
    config = mail_config(port, certificate[0], max_body_chars=500)
    notice = gave_up(store, signature=hostile)
    notice = Notice(notice.event, notice.incident_id, notice.decision_id, hostile, notice.target, "x" * 5000)
    await notify(store, config, notice)

    [envelope] = mailbox.messages
    assert envelope.rcpt_tos == ["oncall@example.org"]
    assert isinstance(envelope.content, bytes)
    message = email.message_from_bytes(envelope.content, policy=email.policy.default)
    assert message["Bcc"] is None and "\n" not in str(message["Subject"])
    body = message.get_body().get_content()  # type: ignore[union-attr]
    assert "[message cut after 500 characters]" in body and len(body) < 700
    store.close()


def test_the_password_comes_from_the_environment_and_needs_starttls(tmp_path: Path) -> None:
    action = {"name": "mail", "type": "email", "host": "smtp.example.org", "from": "a@b.example"}
    action |= {"to": ["c@d.example"], "username": "mapekd"}
    config = tmp_path / "mapekd.yaml"
    config.write_text(yaml.safe_dump({"actions": [action], "notifications": {"sinks": ["mail"]}}))

    with pytest.raises(ConfigError) as missing:
        load_settings(config, {})
    assert missing.value.path == "actions[0]" and "MAPEKD_ACTIONS__MAIL__PASSWORD" in missing.value.message

    settings = load_settings(config, {"MAPEKD_ACTIONS__MAIL__PASSWORD": "from-the-env-123"})
    mail = settings.action("mail")
    assert isinstance(mail, EmailActionConfig) and mail.starttls and mail.port == 587
    assert mail.password is not None and mail.password.get_secret_value() == "from-the-env-123"

    with pytest.raises(ConfigError) as clear:
        load_settings(
            config, {"MAPEKD_ACTIONS__MAIL__PASSWORD": "x" * 12, "MAPEKD_ACTIONS__MAIL__STARTTLS": "false"}
        )
    assert clear.value.path == "actions[0]" and "STARTTLS" in clear.value.message


def test_an_email_action_is_a_notice_sink_and_never_a_remedy_candidate() -> None:
    from mapekd.plan.candidates import _may_heal

    config = mail_config(25, None)
    assert isinstance(EmailAction(config), NoticeSink)
    assert not _may_heal(config, "process:web")


def test_a_configured_email_action_is_built_as_a_notice_sink_of_the_daemon() -> None:
    from mapekd.assemble import assemble
    from mapekd.shared_http import SharedHttp

    action = {
        "name": "mail",
        "type": "email",
        "host": "127.0.0.1",
        "from": "a@b.example",
        "to": ["c@d.example"],
    }
    settings = Settings.model_validate(
        {"actions": [action], "notifications": {"sinks": ["mail"]}, "policy": {"escalate": "mail"}}
    )
    built = assemble(settings, http=SharedHttp(), base_env={})
    assert isinstance(built.actions["mail"], EmailAction) and isinstance(built.actions["mail"], NoticeSink)
