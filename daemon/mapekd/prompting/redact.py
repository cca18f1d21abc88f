"""The one redaction choke point: every rendered prompt passes here just before it leaves the
process through the gateway.

In order: the configured secrets (in every form a prompt can hold them), credential shapes
(`--password=..`, `token=..`, `user:pass@`, `Authorization: Bearer ..`, `sk-..`, `AKIA..`,
`ghp_..`, private keys...), then, when asked, IP addresses and host names, replaced by
placeholders (`<ip-1>`, `<host-1>`) that `restore` maps back in the model's answer. Secrets are
never restorable. The placeholders of one Redactor stay the same across its prompts."""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Iterable

from mapekd.config.settings import Settings
from mapekd.credentials import Scrubber, configured_hosts, configured_secrets
from mapekd.llm.types import Message

_IPV4 = re.compile(r"(?<![\d.])(?:\d{1,3}\.){3}\d{1,3}(?![\d.])")
_IPV6 = re.compile(r"(?<![0-9A-Fa-f:])(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{0,4}(?![0-9A-Fa-f:])")
_FQDN = re.compile(r"(?<![\w.-])(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.){2,}[a-z]{2,24}(?![\w-])", re.I)
_NOT_TLDS = frozenset(
    {
        *("py", "gz", "xz", "bz2", "zst", "tar", "log", "txt", "json", "yaml", "yml", "toml", "conf"),
        *("cfg", "ini", "pid", "sock", "db", "sqlite", "so", "sh", "js", "html", "css", "md", "tmp"),
        *("service", "socket", "timer", "mount", "bak", "lock", "gguf"),
    }
)
"""Last labels of file names, not of hosts: `access.log.1.gz` is no host to mask."""
_PLACEHOLDER = re.compile(r"(?:<|\\u003c)((?:ip|host)-\d+)(?:>|\\u003e)")


class Redactor:
    def __init__(
        self,
        secrets: Iterable[str] = (),
        *,
        hostnames: Iterable[str] = (),
        mask_ips: bool = False,
        mask_hosts: bool = False,
    ) -> None:
        self._scrub = Scrubber(secrets)
        names = sorted({h.lower() for h in hostnames if h}, key=len, reverse=True)
        alternation = "|".join(map(re.escape, names))
        self._hostnames = re.compile(rf"(?<![\w.-])(?:{alternation})(?![\w-])", re.I) if names else None
        self.mask_ips = mask_ips
        self.mask_hosts = mask_hosts
        self._placeholders: dict[str, str] = {}
        self._originals: dict[str, str] = {}
        self._counts = {"ip": 0, "host": 0}

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        *,
        mask_ips: bool = False,
        mask_hosts: bool = False,
        hostnames: Iterable[str] = (),
    ) -> Redactor:
        """Secrets from the settings; with `mask_hosts`, also the hosts its URLs name and this
        machine's names, besides anything that looks like a fully qualified name."""
        names = set(hostnames)
        if mask_hosts:
            names |= configured_hosts(settings) | {socket.gethostname(), socket.getfqdn()}
        names.discard("localhost")
        return cls(configured_secrets(settings), hostnames=names, mask_ips=mask_ips, mask_hosts=mask_hosts)

    def redact(self, messages: Iterable[Message]) -> tuple[Message, ...]:
        return tuple(Message(m.role, self.redact_text(m.content)) for m in messages)

    def redact_text(self, text: str) -> str:
        text = self._scrub(text)
        if self.mask_ips:
            text = _IPV4.sub(lambda m: self._mask_ip(m.group()), text)
            text = _IPV6.sub(lambda m: self._mask_ip(m.group()), text)
        if self.mask_hosts:
            if self._hostnames is not None:
                text = self._hostnames.sub(lambda m: self._mask("host", m.group()), text)
            text = _FQDN.sub(self._mask_fqdn, text)
        return text

    def restore(self, text: str) -> str:
        """Placeholders in a model's answer back to what they stand for (unknown ones stay)."""
        return _PLACEHOLDER.sub(lambda m: self._originals.get(m.group(1), m.group()), text)

    def _mask_ip(self, text: str) -> str:
        try:
            address = ipaddress.ip_address(text)
        except ValueError:
            return text
        if address.is_loopback or address.is_unspecified:
            return text  # names no one: nothing to hide
        return self._mask("ip", text)

    def _mask_fqdn(self, match: re.Match[str]) -> str:
        name = match.group()
        return name if name.rsplit(".", 1)[1].lower() in _NOT_TLDS else self._mask("host", name)

    def _mask(self, kind: str, original: str) -> str:
        key = original.lower() if kind == "host" else original
        if key not in self._placeholders:
            self._counts[kind] += 1
            label = f"{kind}-{self._counts[kind]}"
            self._placeholders[key] = label
            self._originals[label] = original
        return f"<{self._placeholders[key]}>"
