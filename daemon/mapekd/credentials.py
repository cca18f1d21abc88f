"""What redaction looks for: the configured secrets (every SecretStr in the settings, passwords in
URLs, webhook URLs), the shapes of credentials in command lines, URLs and headers, and the hosts
named in the configuration."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from typing import Any
from urllib.parse import quote, quote_plus, urlsplit

from pydantic import BaseModel, SecretStr

# Our settings keep URLs as str (config/base.py HttpUrl); pydantic_core's Url covers the rest
# without importing pydantic.networks, which the loop otherwise never needs.
from pydantic_core import Url

from mapekd.config.actions import WebhookActionConfig
from mapekd.jsontext import to_json

REDACTED = "[REDACTED]"
MIN_SECRET_CHARS = 4
"""Shorter configured secrets are not searched for: replacing every `abc` would wreck the prompt."""

_KEYWORDS = (
    r"pass(?:word|wd|phrase)?|pwd|secret|token|api[_-]?key|apikey|access[_-]?key|private[_-]?key"
    r"|client[_-]?secret|credentials?"
)
_REACH = 200
"""How far after a command's name its secret option is looked for: a bound, so that hostile text
full of command names costs linear time."""
_VALUE = r"(?!-)(?!\[REDACTED)[^\s\"'\\]+"
"""An argument's value: up to whitespace, a quote or a backslash (the end of a JSON string)."""


def _option_of(commands: str, option: str) -> tuple[str, int, str]:
    """The value of `option` on the command line of one of `commands` (in the same line and JSON
    string: the lazy scan stops at a newline or a quote, so it stays linear)."""
    return rf"(\b(?:{commands})\b[^\n\"]{{0,{_REACH}}}?\s{option}){_VALUE}", 0, r"\1[REDACTED]"


_COMMAND_SECRETS = (
    _option_of(r"mysql[a-z]*|mariadb[a-z-]*", "-p"),  # -pSECRET (alone, -p asks for it)
    _option_of("sshpass", r"-p\s*"),
    _option_of("redis-cli", r"-a\s+"),
    _option_of("openssl", r"-k\s+"),
    _option_of(r"ldap[a-z]*", r"-w\s+"),
    _option_of(r"docker\s+login|podman\s+login", r"-p\s*"),
    _option_of(r"sqlcmd|bcp", r"-P\s*"),
    # user:pass, user%pass: the user stays, the password goes
    (
        rf"(\bcurl\b[^\n\"]{{0,{_REACH}}}?\s(?:-[uU]\s*|--(?:proxy-)?user(?:=|\s+))[^\s\"'\\:]*:){_VALUE}",
        0,
        r"\1[REDACTED]",
    ),
    (rf"(\b(?:smbclient|rpcclient)\b[^\n\"]{{0,{_REACH}}}?\s-U\s*[^\s\"'\\%]*%){_VALUE}", 0, r"\1[REDACTED]"),
)
"""Secrets given as a command's short option (no keyword in the option's name to go by)."""

CREDENTIAL_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern, flags), replacement)
    for pattern, flags, replacement in (
        (r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?-----END [A-Z ]*PRIVATE KEY-----", re.S, "[REDACTED KEY]"),
        (r"\b([a-z][a-z0-9+.-]*://[^\s/:@\"'<>\\]*:)[^\s/@\"'<>\\]+(@)", re.I, r"\1[REDACTED]\2"),
        (
            r"(\bauthorization\b[\"'\\]*\s*[:=]\s*[\"'\\]*(?:(?:bearer|basic|token)\s+)?)[^\s\"'\\,;]+",
            re.I,
            r"\1[REDACTED]",
        ),
        (r"(\bbearer\s+)[A-Za-z0-9._~+/=-]{8,}", re.I, r"\1[REDACTED]"),
        (rf"(--?[a-z0-9_-]*(?:{_KEYWORDS})[a-z0-9_-]*(?:=|\s+))(?!-)[^\s\"'\\]+", re.I, r"\1[REDACTED]"),
        (
            rf"(\b[a-z0-9_.-]*(?:{_KEYWORDS})[a-z0-9_.-]*\\?[\"']?\s*[=:]\s*\\?[\"']?)(?!\[REDACTED)[^\s\"'\\&,;<>]+",
            re.I,
            r"\1[REDACTED]",
        ),
        (r"\bsk-(?:proj-|ant-)?[A-Za-z0-9_-]{16,}", 0, "[REDACTED]"),
        (r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b", 0, "[REDACTED]"),
        (
            r"\b(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{22,}|glpat-[A-Za-z0-9_-]{20,})",
            0,
            "[REDACTED]",
        ),
        (r"\b(?:xox[abposr]-[A-Za-z0-9-]{10,}|hf_[A-Za-z0-9]{30,}|AIza[0-9A-Za-z_-]{35})", 0, "[REDACTED]"),
        (r"\b[rs]k_(?:live|test)_[A-Za-z0-9]{16,}", 0, "[REDACTED]"),
        (r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}", 0, "[REDACTED]"),
        (r"https://hooks\.slack\.com/services/[A-Za-z0-9/_-]+", 0, "[REDACTED]"),
        (r"\bhv[sbr]\.[A-Za-z0-9_-]{20,}", 0, "[REDACTED]"),  # Vault tokens, and the legacy ones:
        (r"(?<![\w.])[sb]\.[A-Za-z0-9]{24}\b", 0, "[REDACTED]"),
        *_COMMAND_SECRETS,
    )
)
"""(pattern, replacement) in order: whole keys first, then `key=value` shapes keep their key."""


def configured_secrets(settings: BaseModel) -> set[str]:
    """Every SecretStr value anywhere in the settings, passwords of URLs, and webhook URLs (a
    Slack-style webhook URL is itself the credential)."""
    found = set(_walk(settings))
    return {s for s in found if len(s) >= MIN_SECRET_CHARS}


def _walk(value: Any) -> Iterator[str]:
    if isinstance(value, SecretStr):
        yield value.get_secret_value()
    elif isinstance(value, WebhookActionConfig):
        yield str(value.url)
        yield from _walk_model(value)
    elif isinstance(value, BaseModel):
        yield from _walk_model(value)
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from _walk(item)
    elif isinstance(value, list | tuple | set | frozenset):
        for item in value:
            yield from _walk(item)
    elif isinstance(value, str | Url):
        password = _url_password(str(value))
        if password:
            yield password


def _walk_model(model: BaseModel) -> Iterator[str]:
    for name in type(model).model_fields:
        yield from _walk(getattr(model, name))


def _url_password(text: str) -> str | None:
    if "://" not in text or "@" not in text:
        return None
    try:
        return urlsplit(text).password
    except ValueError:
        return None


def secret_forms(secret: str) -> set[str]:
    """How a secret may appear in a rendered prompt: as is, JSON-escaped by `tojson`, URL-quoted."""
    return {secret, to_json(secret)[1:-1], quote(secret, safe=""), quote_plus(secret, safe="")}


def configured_hosts(settings: BaseModel) -> set[str]:
    """Host names of the URLs in the settings (checks, actions, providers), IP addresses excluded."""
    hosts = set()
    for url in _urls(settings):
        host = urlsplit(url).hostname
        if host and not re.fullmatch(r"[\d.]+|.*:.*", host) and host != "localhost":
            hosts.add(host)
    return hosts


def _urls(value: Any) -> Iterator[str]:
    if isinstance(value, BaseModel):
        for name in type(value).model_fields:
            yield from _urls(getattr(value, name))
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _urls(item)
    elif isinstance(value, Url) or (isinstance(value, str) and "://" in value):
        yield str(value)


class Scrubber:
    """Masks the configured secrets (in every form text can hold them) and credential shapes:
    the first step of the prompts' redaction, and what the knowledge base stores of text a
    remedy or a model wrote (command output, a webhook's answer)."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        forms = {form for s in secrets if len(s) >= MIN_SECRET_CHARS for form in secret_forms(s)}
        # Longest first: a secret that contains another is replaced whole.
        alternatives = sorted(forms, key=len, reverse=True)
        self._secrets = re.compile("|".join(map(re.escape, alternatives))) if alternatives else None

    @classmethod
    def from_settings(cls, settings: BaseModel) -> Scrubber:
        return cls(configured_secrets(settings))

    def __call__(self, text: str) -> str:
        if self._secrets is not None:
            text = self._secrets.sub(REDACTED, text)
        for pattern, replacement in CREDENTIAL_PATTERNS:
            text = pattern.sub(replacement, text)
        return text
