"""Bearer tokens: each names a caller and its rights. Every presented token is compared with every
configured one in constant time (hmac.compare_digest over SHA-256 digests, no early exit), so
neither a match's position nor a token's length shows in the response time. Tokens are never
logged; a caller is logged by its name."""

from __future__ import annotations

import hashlib
import hmac
import os
import stat
from dataclasses import dataclass
from pathlib import Path

from starlette.requests import Request

from mapekd.api.errors import ApiError
from mapekd.config.api import ApiToken, Right
from mapekd.errors import ConfigError

_CHALLENGE = {"www-authenticate": 'Bearer realm="mapekd"'}


@dataclass(frozen=True, slots=True)
class Caller:
    name: str
    rights: frozenset[Right]


class Tokens:
    def __init__(self, entries: list[tuple[bytes, Caller]]) -> None:
        self._entries = entries

    @classmethod
    def from_config(cls, tokens: list[ApiToken]) -> Tokens:
        """Reads token files now: a missing or empty one is a ConfigError naming its key."""
        entries = []
        for i, token in enumerate(tokens):
            secret = _secret(token, f"api.tokens[{i}]")
            entries.append((_digest(secret), Caller(token.name, frozenset(token.rights))))
        digests = [d for d, _ in entries]
        if len(set(digests)) != len(digests):
            raise ConfigError("two tokens have the same value", path="api.tokens")
        return cls(entries)

    def __len__(self) -> int:
        return len(self._entries)

    def identify(self, authorization: str | None) -> Caller | None:
        scheme, _, given = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not given.strip():
            return None
        presented = _digest(given.strip())
        found: Caller | None = None
        for digest, caller in self._entries:
            if hmac.compare_digest(presented, digest):
                found = caller
        return found

    def require(self, request: Request, right: Right) -> Caller:
        """The caller of `request` if it holds `right`; 401 without a valid token, 403 without the right."""
        if not self._entries:
            raise ApiError(401, "no API token is configured: the API refuses every request", code="no_tokens")
        caller = self.identify(request.headers.get("authorization"))
        if caller is None:
            raise ApiError(
                401, "a valid bearer token is required", code="invalid_api_key", headers=_CHALLENGE
            )
        if right not in caller.rights:
            raise ApiError(
                403, f"token {caller.name!r} lacks the {right!r} right", code="insufficient_rights"
            )
        return caller


def _secret(token: ApiToken, path: str) -> str:
    if token.token is not None:
        return token.token.get_secret_value()
    assert token.token_file is not None  # the model requires one of the two
    try:
        mode = os.stat(token.token_file).st_mode
        if mode & 0o077:
            raise ConfigError(
                f"the token file is open to group or others (mode {stat.S_IMODE(mode):04o}): chmod 600 it",
                path=f"{path}.token_file",
            )
        value = Path(token.token_file).read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(
            f"cannot read token file: {exc.__class__.__name__}", path=f"{path}.token_file"
        ) from None
    if len(value) < 16:
        raise ConfigError("the token file holds fewer than 16 characters", path=f"{path}.token_file")
    return value


def _digest(value: str) -> bytes:
    return hashlib.sha256(value.encode()).digest()
